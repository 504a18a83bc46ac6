"""The commands that work on one document or a list of them: ``new``, ``validate``,
``check``, ``render`` and ``export``."""

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem._terminal import terminal_text
from postmortem.cli.output import output_state, write_output
from postmortem.errors import DocumentError, PostMortemError, UsageError
from postmortem.model import PostMortem
from postmortem.reporting import ExitCode

if TYPE_CHECKING:
    from postmortem.files import FileState
    from postmortem.policy import Policy

__all__ = [
    "run_check",
    "run_export",
    "run_iocs_add",
    "run_new",
    "run_render",
    "run_validate",
]


def run_new(args: argparse.Namespace) -> int:
    from postmortem.init import schema_reference
    from postmortem.scaffold import scaffold

    path = Path(args.path)
    output = output_state(args.path, new=True)
    schema_url = args.schema_url if args.schema_url is not None else schema_reference(path)
    incident_id = args.id if args.id is not None else path.stem
    text = scaffold(args.profile, incident_id=incident_id, title=args.title, schema_url=schema_url)
    write_output(output, text)
    print(f"{path}: new {args.profile} document; fill it in, then run: postmortem validate {path}")
    return ExitCode.CLEAN


def _load_governed(path: str, known: dict[Path, "Policy"] | None = None) -> PostMortem:
    """The document at ``path``, read as the repository's policy allows (size, links)."""
    from postmortem.policy import find_policy, load_governed

    return load_governed(path, find_policy(path, known))


def run_validate(args: argparse.Namespace) -> int:
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


def run_render(args: argparse.Namespace) -> int:
    from postmortem.policy import find_policy, load_governed
    from postmortem.render import render

    output = output_state(args.output, [args.path]) if args.output else None
    policy = find_policy(args.path)
    doc = load_governed(args.path, policy)
    if not args.no_git_history:
        doc = _with_git_history(doc, args.path, policy.ticket_url)
    text = render(doc, profile=args.profile, templates=policy.templates_dir(), within=policy.root)
    if output is not None:
        write_output(output, text)
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


def run_check(args: argparse.Namespace) -> int:
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


def run_export(args: argparse.Namespace) -> int:
    from postmortem.audiences import export
    from postmortem.model import Classification
    from postmortem.policy import find_policy, relative_to_root
    from postmortem.render import render
    from postmortem.render.tables import plain
    from postmortem.yaml_io import dumps

    output = output_state(args.output, [args.path]) if args.output else None
    policy = find_policy(args.path)
    doc = _load_governed(args.path)
    if args.format == "stix":
        return _export_stix(args, doc, policy, output)
    if args.audience is None:
        raise UsageError(f"--audience is needed for --format {args.format}")
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
        write_output(output, text)
        withheld = ", ".join(copy.metadata.withheld) or "nothing"
        print(f"{args.output}: {args.audience} copy of {args.path} (withheld: {withheld})")
    else:
        sys.stdout.write(text)
    return ExitCode.CLEAN


def _export_stix(
    args: argparse.Namespace, doc: PostMortem, policy: "Policy", output: "FileState | None"
) -> int:
    from postmortem.model import Classification
    from postmortem.stix import document_times, repository_identity, stix_bundle, stix_namespace

    namespace = stix_namespace(repository_identity(args.path, policy))
    created, modified = document_times(args.path, doc)
    audience = Classification(args.audience) if args.audience is not None else None
    made = stix_bundle(
        doc,
        namespace=namespace,
        created=created,
        modified=modified,
        policy=policy,
        audience=audience,
    )
    for line in made.left_out:
        print(terminal_text(f"{args.path}: {line}; left out (warning)"), file=sys.stderr)
    if output is not None:
        write_output(output, made.json())
        count = len(made.bundle["objects"])
        print(terminal_text(f"{args.output}: STIX 2.1 bundle of {args.path} ({count} objects)"))
    else:
        sys.stdout.write(made.json())
    return ExitCode.CLEAN


def run_iocs_add(args: argparse.Namespace) -> int:
    from postmortem._shown import shown_path
    from postmortem.policy import find_policy
    from postmortem.stix import add_iocs_from_stix

    policy = find_policy(args.document)
    result = add_iocs_from_stix(args.document, args.from_stix, policy)
    for line in result.skipped:
        print(terminal_text(f"{shown_path(args.from_stix)}: {line}; skipped"), file=sys.stderr)
    print(
        terminal_text(
            f"{shown_path(args.document)}: {len(result.added)} IOCs added from "
            f"{shown_path(args.from_stix)} ({result.already_there} already there, "
            f"{len(result.skipped)} skipped)"
        )
    )
    return ExitCode.CLEAN


def run_migrate(args: argparse.Namespace) -> int:
    from postmortem.migrate import Migrated, migrate
    from postmortem.reporting import styled

    status = ExitCode.CLEAN
    for result in migrate(args.paths):
        if isinstance(result, Migrated):
            print(terminal_text(f"{result.path}: {result.kind} migrated"))
            continue
        for problem in result.problems:
            print(styled(problem, sys.stdout))
        status = ExitCode.FINDINGS
    return status
