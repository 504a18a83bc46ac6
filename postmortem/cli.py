"""The ``postmortem`` command line: one function per command, each a thin shell over the API.

Exit codes: 0 success, 1 problems found in the input, 2 a usage or policy error,
3 an internal error (a bug: reported on one line; POSTMORTEM_DEBUG=1 shows the traceback).
Modules beyond argparse are imported inside the command that needs them, so
that ``postmortem --help`` and the hooks start fast.
"""

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from postmortem._terminal import terminal_text
from postmortem._version import __version__
from postmortem.errors import (
    DocumentError,
    LayoutError,
    PolicyError,
    PostMortemError,
    Problem,
    UsageError,
)
from postmortem.model import Classification, PostMortem, ProfileName
from postmortem.options import (
    add_cache_option,
    add_policy_from_option,
    add_today_option,
    date_option,
)
from postmortem.reporting import (
    ExitCode,
    environment_error,
    internal_error,
    layout_error,
    policy_error,
)

if TYPE_CHECKING:
    from postmortem.files import FileState
    from postmortem.history import DocumentHistory
    from postmortem.policy import Policy
    from postmortem.reports import Repository

__all__ = ["main"]

_PROFILE_NAMES = [name.value for name in ProfileName]


def _new(args: argparse.Namespace) -> int:
    from postmortem.init import schema_reference
    from postmortem.scaffold import scaffold

    path = Path(args.path)
    output = _output_state(args.path, new=True)
    schema_url = args.schema_url if args.schema_url is not None else schema_reference(path)
    incident_id = args.id if args.id is not None else path.stem
    text = scaffold(args.profile, incident_id=incident_id, title=args.title, schema_url=schema_url)
    _write_output(output, text)
    print(f"{path}: new {args.profile} document; fill it in, then run: postmortem validate {path}")
    return ExitCode.CLEAN


def _output_state(path: str, inputs: Sequence[str] = (), *, new: bool = False) -> "FileState":
    """The file ``path`` a command is to write, as it is before the command starts (so that
    a change made to it meanwhile is not overwritten). A usage error if it is a folder, one
    of the ``inputs``, a link out of its repository, or (``new``) a file already there."""
    from postmortem.files import file_state
    from postmortem.policy import find_policy

    if os.path.isdir(path):
        raise UsageError(f"{path}: is a folder; name the file to write")
    for name in inputs:
        if os.path.exists(path) and os.path.samefile(path, name):
            raise UsageError(f"{path}: is the input {name}; write to another file")
    state = file_state(path, within=find_policy(path).root)
    if new and state.data is not None:
        raise UsageError(f"{path}: already exists; not overwriting it")
    return state


def _write_output(output: "FileState", text: str) -> None:
    """Write ``text`` to a file :func:`_output_state` checked, creating its folders."""
    from postmortem.files import write_atomic

    Path(output.path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output.path, text, expected=output)


def _load_governed(path: str, known: dict[Path, "Policy"] | None = None) -> PostMortem:
    """The document at ``path``, read as the repository's policy allows (size, links)."""
    from postmortem.policy import find_policy, load_governed

    return load_governed(path, find_policy(path, known))


def _validate(args: argparse.Namespace) -> int:
    from postmortem.discovery import expand_paths
    from postmortem.reporting import styled

    known: dict[Path, Policy] = {}
    status = ExitCode.CLEAN
    for path in expand_paths(args.paths):
        try:
            _load_governed(path, known)
        except DocumentError as error:
            for problem in error.problems:
                print(styled(problem, sys.stdout))
            status = ExitCode.FINDINGS
        else:
            if not args.quiet:
                print(terminal_text(f"{path}: ok"))
    return status


def _schema(args: argparse.Namespace) -> int:
    from postmortem.schema import json_schema, reference_markdown

    output = _output_state(args.output) if args.output else None
    if args.format == "markdown":
        text = reference_markdown()
    else:
        text = json.dumps(json_schema(), indent=2) + "\n"
    if output is not None:
        _write_output(output, text)
    else:
        sys.stdout.write(text)
    return ExitCode.CLEAN


_GENERATED_HISTORY_NOTE = (
    "history: generated from git by `postmortem history --write`; edits here are replaced"
)


def _history(args: argparse.Namespace) -> int:
    from postmortem._shown import shown_path
    from postmortem.history import apply_history
    from postmortem.render import history_json, history_markdown
    from postmortem.yaml_io import edit, emit_tree

    readable, problems = _loadable(args.paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    found = _histories(readable, summaries=not args.no_summaries)
    status = ExitCode.FINDINGS if problems else ExitCode.CLEAN
    if args.write:
        for path, document_history in found.items():
            stored = Path(path).read_bytes()
            with edit(
                path,
                section_notes={"history": _GENERATED_HISTORY_NOTE},
                ticket_url=readable[path].ticket_url,
                within=readable[path].root,
            ) as doc:
                apply_history(doc, document_history)
            done = "already current" if Path(path).read_bytes() == stored else "written"
            versions = len(document_history.committed)
            print(terminal_text(f"{shown_path(path)}: history {done} ({versions} versions)"))
        return status
    if not found:
        return status
    if args.format == "markdown":
        _write_for_people(history_markdown(found))
    elif args.format == "json":
        sys.stdout.write(json.dumps(history_json(found), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(emit_tree(history_json(found)))
    return status


def _histories(governed: dict[str, "Policy"], *, summaries: bool) -> "dict[str, DocumentHistory]":
    """The history of each document, its old versions read with its policy's ticket URL."""
    from postmortem.history import histories

    by_ticket_url: dict[str | None, list[str]] = {}
    for path, policy in governed.items():
        by_ticket_url.setdefault(policy.ticket_url, []).append(path)
    found = {}
    for ticket_url, paths in by_ticket_url.items():
        found.update(histories(paths, summaries=summaries, ticket_url=ticket_url))
    return {path: found[path] for path in governed}


def _loadable(paths: Sequence[str]) -> tuple[dict[str, "Policy"], list[Problem]]:
    """The documents named or under the folders named that load, each with its policy, and
    the problems of those that do not."""
    from postmortem.discovery import expand_paths
    from postmortem.policy import find_policy, load_governed

    known: dict[Path, Policy] = {}
    readable: dict[str, Policy] = {}
    problems: list[Problem] = []
    for path in expand_paths(paths):
        policy = find_policy(path, known)
        try:
            load_governed(path, policy)
        except DocumentError as error:
            problems.extend(error.problems)
        else:
            readable[path] = policy
    return readable, problems


def _render(args: argparse.Namespace) -> int:
    from postmortem.policy import find_policy, load_governed
    from postmortem.render import render

    output = _output_state(args.output, [args.path]) if args.output else None
    policy = find_policy(args.path)
    doc = load_governed(args.path, policy)
    if not args.no_git_history:
        doc = _with_git_history(doc, args.path, policy.ticket_url)
    text = render(doc, profile=args.profile, templates=policy.templates_dir(), within=policy.root)
    if output is not None:
        _write_output(output, text)
    else:
        sys.stdout.write(text)
    return ExitCode.CLEAN


def _with_git_history(doc: PostMortem, path: str, ticket_url: str | None) -> PostMortem:
    """The document with its history table, version and dates from git, when it is in a
    repository with commits; unchanged otherwise."""
    import attrs

    from postmortem.history import apply_history, document_history

    try:
        found = document_history(path, ticket_url=ticket_url)
    except PostMortemError:
        return doc
    copy = attrs.evolve(doc, metadata=attrs.evolve(doc.metadata))
    apply_history(copy, found)
    return copy


def _import(args: argparse.Namespace) -> int:
    from postmortem.files import read_text
    from postmortem.importer import import_markdown
    from postmortem.yaml_io import dumps

    output = _output_state(args.output, [args.path], new=True) if args.output else None
    imported = import_markdown(read_text(args.path), args.path, profile=args.profile)
    for warning in imported.warnings:
        print(f"{warning} (warning)", file=sys.stderr)
    if not imported.profile_detected:
        print(
            f"{args.path}: no template recognised; imported as {imported.document.profile.value}"
            " (use --profile to choose)",
            file=sys.stderr,
        )
    text = dumps(imported.document)
    if output is not None:
        _write_output(output, text)
        print(f"{args.output}: imported from {args.path} ({imported.document.profile.value})")
    else:
        sys.stdout.write(text)
    return ExitCode.CLEAN


def _check(args: argparse.Namespace) -> int:
    from postmortem.checks import CHECKING_HOOKS
    from postmortem.discovery import Role, expand_paths
    from postmortem.policy import policies_from
    from postmortem.runner import run

    if not args.paths and not args.staged:
        raise UsageError("name the files or folders to check, or use --staged")
    with policies_from(args.policy_from) if args.policy_from else contextlib.nullcontext():
        paths = expand_paths(args.paths, frozenset({Role.DOCUMENT, Role.PUBLISHED_COPY}))
    return run(
        paths,
        CHECKING_HOOKS,
        policy_from=args.policy_from,
        output_format=args.format,
        today=args.today,
        staged=args.staged,
        use_cache=not args.no_cache,
    )


def _index(args: argparse.Namespace) -> int:
    import attrs

    from postmortem.render.tables import format_rows
    from postmortem.reports import IndexRow, index_rows

    repository = _scan(args.directory, use_cache=not args.no_cache)
    rows = [
        row
        for row in index_rows(repository.documents, include_copies=args.include_copies)
        if (not args.severity or row.severity in args.severity)
        and (not args.status or {row.status, row.incident_status} & set(args.status))
        and (not args.label or row.classification in args.label)
        and (
            args.since is None
            or (row.incident_start is not None and row.incident_start >= args.since)
        )
        and (
            args.until is None
            or (row.incident_start is not None and row.incident_start <= args.until)
        )
    ]
    rows.sort(key=lambda row: _sort_key(getattr(row, args.sort)), reverse=args.reverse)
    columns = [field.name for field in attrs.fields(IndexRow)]
    _write_view(
        format_rows([attrs.asdict(row, recurse=False) for row in rows], columns, args.format),
        args.format,
    )
    return ExitCode.FINDINGS if repository.problems else ExitCode.CLEAN


def _actions(args: argparse.Namespace) -> int:
    import attrs

    from postmortem.render.tables import format_rows
    from postmortem.reports import open_actions

    repository = _scan(args.directory, use_cache=not args.no_cache)
    today = args.today or date.today()
    found = [
        action
        for action in open_actions(repository.documents, include_copies=args.include_copies)
        if (args.owner is None or (action.owner or "").lower() == args.owner.lower())
        and (not args.overdue or action.overdue(today))
    ]
    rows = [
        {**attrs.asdict(action, recurse=False), "source": f"{action.path}:{action.line}",
         "overdue": action.overdue(today)}
        for action in found
    ]  # fmt: skip
    columns = [
        "source",
        "document_id",
        "kind",
        "action",
        "owner",
        "due",
        "status",
        "ticket",
        "overdue",
    ]
    _write_view(format_rows(rows, columns, args.format), args.format)
    if repository.problems:
        return ExitCode.FINDINGS
    if args.fail_on_overdue and any(action.overdue(today) for action in found):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


_INCLUDE_COPIES_HELP = "count exported copies (metadata.exported_from) as incidents too"


def _stats(args: argparse.Namespace) -> int:
    import attrs

    from postmortem.render.tables import plain
    from postmortem.reports import stats

    repository = _scan(args.directory, use_cache=not args.no_cache)
    figures = {
        key: plain(value)
        for key, value in attrs.asdict(
            stats(repository.documents, include_copies=args.include_copies), recurse=False
        ).items()
    }
    if args.format == "json":
        sys.stdout.write(json.dumps(figures, indent=2) + "\n")
        return ExitCode.FINDINGS if repository.problems else ExitCode.CLEAN
    lines = []
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{name}: {count}" for name, count in value.items()) or "-"
        elif isinstance(value, float):
            value = f"{value:.0%}"
        lines.append(f"{key.replace('_', ' ')}: {'-' if value is None else value}\n")
    _write_for_people("".join(lines))
    return ExitCode.FINDINGS if repository.problems else ExitCode.CLEAN


def _write_view(text: str, output_format: str) -> None:
    """A view's output: JSON and CSV as they are (data), Markdown for people."""
    if output_format in ("json", "csv"):
        sys.stdout.write(text)
    else:
        _write_for_people(text)


def _write_for_people(text: str) -> None:
    """Text of many lines for a terminal, its control characters escaped."""
    sys.stdout.write(terminal_text(text, lines=True))


def _scan(directory: str, *, use_cache: bool) -> "Repository":
    """The documents under ``directory``, with a progress line on a terminal; the files that
    do not load are reported on standard error."""
    from postmortem.reports import scan

    def progress(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            end = "\n" if done == total else ""
            print(f"\rscanning {done}/{total} files", end=end, file=sys.stderr, flush=True)

    repository = scan(
        directory, progress=progress if sys.stderr.isatty() else None, use_cache=use_cache
    )
    for problem in repository.problems:
        print(problem, file=sys.stderr)
    return repository


def _sort_key(value: object) -> tuple[bool, str]:
    """Sorts any column: missing values last, the rest by their text (ISO dates sort)."""
    from postmortem.render.tables import plain

    return (value is None, str(plain(value)) if not isinstance(value, int) else f"{value:012d}")


def _export(args: argparse.Namespace) -> int:
    from postmortem.audiences import export
    from postmortem.model import Classification
    from postmortem.policy import find_policy, relative_to_root
    from postmortem.render import render
    from postmortem.render.tables import plain
    from postmortem.yaml_io import dumps

    output = _output_state(args.output, [args.path]) if args.output else None
    policy = find_policy(args.path)
    doc = _load_governed(args.path)
    copy = export(
        doc,
        Classification(args.audience),
        policy,
        source=relative_to_root(args.path, policy),
    )
    if args.format == "markdown":
        text = render(copy, templates=policy.templates_dir(), within=policy.root)
    elif args.format == "json":
        from postmortem.converter import unstructure

        text = (
            json.dumps(plain(unstructure(copy)), indent=2, ensure_ascii=False, default=str) + "\n"
        )
    else:
        text = dumps(copy)
    if output is not None:
        _write_output(output, text)
        withheld = ", ".join(copy.metadata.withheld) or "nothing"
        print(f"{args.output}: {args.audience} copy of {args.path} (withheld: {withheld})")
    else:
        sys.stdout.write(text)
    return ExitCode.CLEAN


def _init(args: argparse.Namespace) -> int:
    from postmortem.init import GITIGNORE, INCIDENTS_FOLDER, first_free_incident, init_repository

    done = init_repository(args.directory, hooks_repo=args.hooks_repo, hooks_rev=args.hooks_rev)
    if not done.changed:
        print(f"{done.directory}: already set up; nothing changed")
    elif done.git_initialised:
        print(f"{done.directory}: set up, a new git repository")
    else:
        print(f"{done.directory}: set up")
    for name in done.created:
        print(f"  created   {name}")
    if done.appended:
        print(f"  appended  {', '.join(done.appended)} to {GITIGNORE}")
    for name in done.kept:
        print(f"  kept      {name} (it exists; not changed)")
    incident = first_free_incident(done.directory)
    where = "" if done.directory.resolve() == Path.cwd().resolve() else f" (in {done.directory})"
    print(f"Next{where}:")
    print(
        f"  postmortem new {INCIDENTS_FOLDER}/{incident}.yaml --profile postmortem --id {incident}"
    )
    print(f"      (profiles: {', '.join(_PROFILE_NAMES)})")
    print("  pre-commit install      (after pip install pre-commit)")
    print(f"  git add {' '.join(done.files)} && git commit -m 'Incidents repository'")
    return ExitCode.CLEAN


def _rules(args: argparse.Namespace) -> int:
    from postmortem.checks.registry import RULES, rules_markdown

    if args.format == "markdown":
        sys.stdout.write(rules_markdown())
        return ExitCode.CLEAN
    for rule in RULES.values():
        hooks = ",".join(rule.hooks)
        print(f"{rule.id}  {rule.level.value:<7}  {hooks:<36} {rule.summary}")
    return ExitCode.CLEAN


def _profiles(args: argparse.Namespace) -> int:
    from postmortem.profiles import PROFILES

    for profile in PROFILES.values():
        print(f"{profile.name.value}: {profile.title} ({profile.severity_scale.value} scale)")
        print(f"  {profile.description}")
        for section in profile.sections:
            required = "required" if section.required else "optional"
            print(f"  - {section.field:<22} {required:<9} {section.heading}")
        print()
    print("Required sections apply once a document leaves Draft; a Draft needs its summary.")
    return ExitCode.CLEAN


def _completion(args: argparse.Namespace) -> int:
    from postmortem.completion import completion_script

    sys.stdout.write(completion_script(args.shell, _parser()))
    return ExitCode.CLEAN


def _commands_list(parser: argparse.ArgumentParser) -> int:
    """Bare ``postmortem``: each command with one line."""
    from postmortem.completion import command_summaries

    print(f"usage: {parser.prog} COMMAND [options]   ({parser.prog} COMMAND --help for more)\n")
    print(f"{parser.description}\n\ncommands:")
    summaries = command_summaries(parser)
    width = max(len(name) for name in summaries)
    for name, summary in summaries.items():
        print(f"  {name:<{width}}  {summary}")
    return ExitCode.CLEAN


class _Parser(argparse.ArgumentParser):
    """argparse with a suggestion for a misspelled command or choice."""

    def error(self, message: str) -> NoReturn:
        from postmortem._suggest import did_you_mean

        invalid = re.search(r"invalid choice: '?([^'\s]*)'? \(choose from (.*)\)", message)
        if invalid:
            choices = [choice.strip(" '") for choice in invalid.group(2).split(",")]
            message = f"{message}{did_you_mean(invalid.group(1), choices)}"
        super().error(message)


def _existing(path: str) -> str:
    """An argument naming a file or folder that must exist: a usage error if it does not."""
    if not os.path.lexists(path):
        raise argparse.ArgumentTypeError(f"{path}: no such file or folder")
    return path


def _folder(path: str) -> str:
    """An argument naming a folder that must exist."""
    if not os.path.isdir(path):
        reason = "not a folder" if os.path.lexists(path) else "no such folder"
        raise argparse.ArgumentTypeError(f"{path}: {reason}")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="postmortem",
        description="Incident post-mortems as typed, validated YAML documents.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    new = commands.add_parser("new", help="write a new document for a profile, ready to fill in")
    new.add_argument("path", metavar="PATH", help="the YAML file to create")
    new.add_argument("--profile", required=True, choices=_PROFILE_NAMES, help="template to follow")
    new.add_argument("--id", help="incident identifier (default: the file name without .yaml)")
    new.add_argument("--title", default="", help="incident title")
    new.add_argument(
        "--schema-url",
        help="JSON Schema for editors (default: postmortem.schema.json in the current directory)",
    )
    new.set_defaults(run=_new)

    validate = commands.add_parser("validate", help="check that documents load and match the model")
    validate.add_argument(
        "paths", nargs="+", metavar="PATH", help="documents, or folders to search for them"
    )
    validate.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    validate.set_defaults(run=_validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of the document")
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    schema.add_argument(
        "--format",
        choices=["json", "markdown"],
        default="json",
        help="JSON Schema, or the Markdown reference of docs/schema.md",
    )
    schema.set_defaults(run=_schema)

    history = commands.add_parser(
        "history", help="version history of documents, derived from git (follows renames)"
    )
    history.add_argument(
        "paths", nargs="+", metavar="PATH", help="documents in a git repository, or folders"
    )
    history.add_argument(
        "--format", choices=["markdown", "json", "yaml"], default="markdown", help="output format"
    )
    history.add_argument(
        "--write",
        action="store_true",
        help="store the history table, version and dates in each file",
    )
    history.add_argument(
        "--no-summaries", action="store_true", help="use commit subjects instead of content diffs"
    )
    history.set_defaults(run=_history)

    check = commands.add_parser(
        "check", help="run every rule: validation, completeness, classification, consistency"
    )
    check.add_argument(
        "paths", nargs="*", metavar="PATH", help="documents, published copies, or folders"
    )
    check.add_argument(
        "--format", choices=["text", "json", "github"], default="text", help="output format"
    )
    check.add_argument(
        "--staged", action="store_true", help="check the staged content of staged post-mortems"
    )
    add_today_option(check)
    add_policy_from_option(check)
    add_cache_option(check)
    check.set_defaults(run=_check)

    render = commands.add_parser("render", help="render a document as Markdown in a layout")
    render.add_argument("path", metavar="PATH", type=_existing, help="the YAML document")
    render.add_argument(
        "--profile", choices=_PROFILE_NAMES, help="render in another template's layout"
    )
    render.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    render.add_argument(
        "--no-git-history",
        action="store_true",
        help="use the document's own history table, version and dates, not git's",
    )
    render.set_defaults(run=_render)

    importer = commands.add_parser("import", help="import a Markdown post-mortem as YAML")
    importer.add_argument(
        "path", metavar="FILE.md", type=_existing, help="the Markdown post-mortem"
    )
    importer.add_argument("--profile", choices=_PROFILE_NAMES, help="the template it follows")
    importer.add_argument(
        "-o", "--output", metavar="FILE.yaml", help="write here (never overwritten)"
    )
    importer.set_defaults(run=_import)

    index = commands.add_parser("index", help="one row per post-mortem under a folder")
    index.add_argument("directory", nargs="?", default=".", metavar="DIR", type=_folder)
    index.add_argument("--format", choices=["markdown", "json", "csv"], default="markdown")
    index.add_argument("--severity", action="append", help="only this severity (repeatable)")
    index.add_argument("--status", action="append", help="only this document or incident status")
    index.add_argument("--label", action="append", help="only this classification label")
    index.add_argument("--since", type=date_option, help="incidents that began on or after DATE")
    index.add_argument("--until", type=date_option, help="incidents that began on or before DATE")
    index.add_argument(
        "--sort",
        default="incident_start",
        choices=["id", "title", "severity", "status", "incident_start", "time_to_detect",
                 "time_to_resolve", "open_actions", "path"],
        help="column to sort by (default: incident_start)",
    )  # fmt: skip
    index.add_argument("--reverse", action="store_true", help="sort descending")
    index.add_argument("--include-copies", action="store_true", help=_INCLUDE_COPIES_HELP)
    add_cache_option(index)
    index.set_defaults(run=_index)

    actions = commands.add_parser(
        "actions", help="open action items and recommendations across all post-mortems"
    )
    actions.add_argument("directory", nargs="?", default=".", metavar="DIR", type=_folder)
    actions.add_argument("--owner", help="only this owner's")
    actions.add_argument("--overdue", action="store_true", help="only those past their deadline")
    actions.add_argument(
        "--fail-on-overdue", action="store_true", help="exit 1 if any is overdue (scheduled CI)"
    )
    actions.add_argument("--format", choices=["markdown", "json", "csv"], default="markdown")
    actions.add_argument("--include-copies", action="store_true", help=_INCLUDE_COPIES_HELP)
    add_cache_option(actions)
    add_today_option(actions)
    actions.set_defaults(run=_actions)

    stats = commands.add_parser(
        "stats", help="counts, time to detect and resolve, action-item completion"
    )
    stats.add_argument("directory", nargs="?", default=".", metavar="DIR", type=_folder)
    stats.add_argument("--format", choices=["text", "json"], default="text")
    stats.add_argument("--include-copies", action="store_true", help=_INCLUDE_COPIES_HELP)
    add_cache_option(stats)
    stats.set_defaults(run=_stats)

    export = commands.add_parser(
        "export", help="the document as an audience cleared for a label may see it"
    )
    export.add_argument("path", metavar="PATH", type=_existing, help="the YAML document")
    export.add_argument(
        "--audience",
        required=True,
        choices=[label.value for label in Classification],
        help="the label the readers are cleared for",
    )
    export.add_argument("--format", choices=["markdown", "yaml", "json"], default="markdown")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(run=_export)

    init = commands.add_parser(
        "init",
        help="make a folder a ready incidents repository: policy, hooks, schema, editor",
        description="Write what an incidents repository needs (never replacing a file) and "
        "git init it if it is in no git work tree. A second run changes nothing.",
    )
    init.add_argument("directory", nargs="?", default=".", metavar="DIR", help="default: .")
    init.add_argument(
        "--hooks-repo",
        metavar="URL",
        help="where the pre-commit hooks come from (default: postmortem's repository; "
        "a mirror's URL, or a local clone)",
    )
    init.add_argument(
        "--hooks-rev", metavar="REV", help=f"tag or commit of the hooks (default: v{__version__})"
    )
    init.set_defaults(run=_init)

    rules = commands.add_parser("rules", help="list the rules: id, level, hooks, summary")
    rules.add_argument(
        "--format", choices=["text", "markdown"], default="text", help="markdown: docs/rules.md"
    )
    rules.set_defaults(run=_rules)

    profiles = commands.add_parser(
        "profiles", help="the profiles (templates): their sections and what each requires"
    )
    profiles.set_defaults(run=_profiles)

    completion = commands.add_parser(
        "completion", help="a shell completion script (bash, zsh or fish)"
    )
    completion.add_argument("shell", choices=["bash", "zsh", "fish"], help="the shell")
    completion.set_defaults(run=_completion)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _commands_list(parser)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except PolicyError as error:
        return policy_error(error)
    except DocumentError as error:
        for problem in error.problems:
            print(problem)
        return ExitCode.FINDINGS
    except LayoutError as error:
        return layout_error(error)
    except PostMortemError as error:
        print(terminal_text(f"postmortem: {error}"), file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except OSError as error:
        return environment_error(error)
    except Exception as error:
        return internal_error(error)
