"""The argument parser: every command's arguments and options, which function runs it, and
the list of commands a bare ``postmortem`` prints."""

import argparse
import os
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from postmortem._version import __version__
from postmortem.cli.documents import (
    run_check,
    run_export,
    run_iocs_add,
    run_migrate,
    run_new,
    run_render,
    run_validate,
)
from postmortem.cli.importing import run_import
from postmortem.cli.setup import run_completion, run_init, run_profiles, run_rules, run_schema
from postmortem.cli.site import run_site
from postmortem.cli.views import run_actions, run_history, run_index, run_link, run_stats
from postmortem.model import Classification, ProfileName
from postmortem.options import (
    add_cache_option,
    add_policy_from_option,
    add_today_option,
    date_option,
)
from postmortem.reporting import ExitCode

__all__ = ["build_parser", "list_commands"]

_PROFILE_NAMES = [name.value for name in ProfileName]

_INCLUDE_COPIES_HELP = "count exported copies (metadata.exported_from) as incidents too"


class _Parser(argparse.ArgumentParser):
    """argparse with a suggestion for a misspelled command or choice, and commands of a
    command (``actions link``) chosen by their first word, so that the command keeps its
    own arguments (``actions DIR``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nested: dict[str, argparse.ArgumentParser] = {}

    def add_nested(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """A command of this command, run as ``PROG NAME ...``."""
        nested = _Parser(prog=f"{self.prog} {name}", **kwargs)
        self.nested[name] = nested
        return nested

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if args and args[0] in self.nested:
            return self.nested[args[0]].parse_known_args(args[1:], namespace)
        return super().parse_known_args(args, namespace)

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


def _file(path: str) -> str:
    """An argument naming a file that must exist."""
    if not os.path.isfile(path):
        reason = "not a file" if os.path.lexists(path) else "no such file"
        raise argparse.ArgumentTypeError(f"{path}: {reason}")
    return path


def _folder(path: str) -> str:
    """An argument naming a folder that must exist."""
    if not os.path.isdir(path):
        reason = "not a folder" if os.path.lexists(path) else "no such folder"
        raise argparse.ArgumentTypeError(f"{path}: {reason}")
    return path


def _port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535: checked here, before the site is built."""
    if not re.fullmatch(r"[0-9]{1,5}", text) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text[:20]!r} (0 to 65535)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The ``postmortem`` command line: every command with its arguments, in the order
    ``postmortem`` lists them."""
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
    new.set_defaults(run=run_new)

    validate = commands.add_parser("validate", help="check that documents load and match the model")
    validate.add_argument(
        "paths", nargs="+", metavar="PATH", help="documents, or folders to search for them"
    )
    validate.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    validate.set_defaults(run=run_validate)

    migrate = commands.add_parser(
        "migrate",
        help="rewrite documents of an older schema in the current one, comments kept",
    )
    migrate.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH",
        help="documents, or folders to search for them (default: the current folder)",
    )  # fmt: skip
    migrate.set_defaults(run=run_migrate)

    schema = commands.add_parser("schema", help="print the JSON Schema of the document")
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    schema.add_argument(
        "--format",
        choices=["json", "markdown"],
        default="json",
        help="JSON Schema, or the Markdown reference of docs/schema.md",
    )
    schema.set_defaults(run=run_schema)

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
    history.set_defaults(run=run_history)

    check = commands.add_parser(
        "check", help="run every rule: validation, completeness, classification, consistency"
    )
    check.add_argument(
        "paths", nargs="*", metavar="PATH", help="documents, published copies, or folders"
    )
    check.add_argument(
        "--format",
        choices=["text", "json", "github", "sarif"],
        default="text",
        help="output format (sarif: for GitHub code scanning)",
    )
    check.add_argument(
        "--staged", action="store_true", help="check the staged content of staged post-mortems"
    )
    add_today_option(check)
    add_policy_from_option(check)
    add_cache_option(check)
    check.set_defaults(run=run_check)

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
    render.set_defaults(run=run_render)

    importer = commands.add_parser(
        "import", help="import Markdown post-mortems (a file or a folder) as YAML"
    )
    importer.add_argument(
        "path",
        metavar="FILE.md|DIR",
        type=_existing,
        help="a Markdown post-mortem, or a folder of them (every *.md below it)",
    )
    importer.add_argument("--profile", choices=_PROFILE_NAMES, help="the template it follows")
    importer.add_argument(
        "-o",
        "--output",
        metavar="FILE.yaml|OUTDIR",
        help="write here (a folder for a folder; never overwritten)",
    )
    importer.add_argument(
        "--timezone",
        metavar="ZONE",
        help="the zone of times the documents give none for (an IANA name such as"
        " Europe/Berlin, or an offset such as +05:30); UTC by default",
    )
    importer.add_argument(
        "--report",
        action="store_true",
        help="print per file the profile and why, the share of words typed and kept,"
        " and the headings left unmapped",
    )
    importer.set_defaults(run=run_import)

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
        default="started",
        choices=["id", "title", "severity", "status", "started", "time_to_detect",
                 "time_to_acknowledge", "time_to_mitigate", "time_to_resolve", "open_actions",
                 "path"],
        help="column to sort by (default: started)",
    )  # fmt: skip
    index.add_argument("--reverse", action="store_true", help="sort descending")
    index.add_argument("--include-copies", action="store_true", help=_INCLUDE_COPIES_HELP)
    add_cache_option(index)
    index.set_defaults(run=run_index)

    actions = commands.add_parser(
        "actions",
        help="open action items and recommendations across all post-mortems",
        epilog="postmortem actions link DOC ID KEY writes a created ticket into a follow-up"
        " (postmortem actions link --help)",
    )
    actions.add_argument("directory", nargs="?", default=".", metavar="DIR", type=_folder)
    actions.add_argument("--owner", help="only this owner's")
    actions.add_argument("--overdue", action="store_true", help="only those past their deadline")
    actions.add_argument("--untracked", action="store_true", help="only those with no ticket yet")
    actions.add_argument(
        "--fail-on-overdue", action="store_true", help="exit 1 if any is overdue (scheduled CI)"
    )
    actions.add_argument(
        "--format",
        choices=["markdown", "json", "csv", "jira-csv", "github"],
        default="markdown",
        help="jira-csv: for Jira's CSV importer; github: JSON Lines for `gh issue create`",
    )
    actions.add_argument("--include-copies", action="store_true", help=_INCLUDE_COPIES_HELP)
    add_cache_option(actions)
    add_today_option(actions)
    actions.set_defaults(run=run_actions)
    link = actions.add_nested(
        "link",
        description="Write a created ticket into the follow-up with id ID of the document DOC,"
        " every other byte of the file kept: a key as the key alone (the policy's ticket_url"
        " links it), a URL as the URL.",
    )
    link.add_argument("document", metavar="DOC", type=_file, help="the YAML document")
    link.add_argument("id", metavar="ID", help="the follow-up's id, e.g. F2")
    link.add_argument("key", metavar="KEY", help="the ticket's key (PLAT-2231) or URL")
    link.set_defaults(run=run_link)

    stats = commands.add_parser(
        "stats",
        help="counts, time to detect, acknowledge, mitigate and resolve, follow-up "
        "completion, notification deadlines",
    )
    stats.add_argument("directory", nargs="?", default=".", metavar="DIR", type=_folder)
    stats.add_argument("--format", choices=["text", "json"], default="text")
    stats.add_argument("--include-copies", action="store_true", help=_INCLUDE_COPIES_HELP)
    add_cache_option(stats)
    add_today_option(stats)
    stats.set_defaults(run=run_stats)

    export = commands.add_parser(
        "export", help="the document as an audience cleared for a label may see it"
    )
    export.add_argument("path", metavar="PATH", type=_existing, help="the YAML document")
    export.add_argument(
        "--audience",
        choices=[label.value for label in Classification],
        help="the label the readers are cleared for (optional with --format stix: without it "
        "every part is exported, each marked with its label)",
    )
    export.add_argument(
        "--format",
        choices=["markdown", "yaml", "json", "stix"],
        default="markdown",
        help="stix: a STIX 2.1 bundle for threat-intelligence platforms (the stix extra)",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(run=run_export)

    site = commands.add_parser(
        "site",
        help="the library as a static website: figures, charts, search, a page per document",
        description="Build a static website of the post-mortems under PATH: a home page with "
        "figures, charts and the searchable list, a page per post-mortem, the open follow-ups "
        "and an Atom feed. It works from file:// and under any path of a static host.",
    )
    site.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH",
        help="folders (or documents) to publish (default: the current folder)",
    )  # fmt: skip
    site.add_argument("-o", "--output", required=True, metavar="DIR", help="the site's folder")
    site.add_argument(
        "--audience",
        choices=[label.value for label in Classification],
        help="build only from the copies exported for this label, leak-checked",
    )
    site.add_argument(
        "--base-url", metavar="URL", help="where the site is published (for the feed's links)"
    )
    add_today_option(site)
    site.add_argument(
        "--serve", action="store_true", help="then serve it on http://127.0.0.1 to preview"
    )
    site.add_argument(
        "--port", type=_port, default=8000, metavar="PORT", help="port of --serve (default: 8000)"
    )
    site.set_defaults(run=run_site)

    iocs = commands.add_parser("iocs", help="work on a document's indicators of compromise")
    iocs_commands = iocs.add_subparsers(
        dest="iocs_command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    iocs_add = iocs_commands.add_parser(
        "add",
        help="add a STIX 2.1 bundle's indicators to a document's IOCs",
        description="Add the indicators of a STIX 2.1 bundle to the document's IOCs: simple "
        "equality patterns become IOCs (others are reported and skipped), those already there "
        "are not added twice, TLP markings become labels. Only the iocs list changes.",
    )
    iocs_add.add_argument("document", metavar="DOC", type=_existing, help="the YAML document")
    iocs_add.add_argument(
        "--from-stix", required=True, metavar="BUNDLE", type=_existing, help="the bundle (JSON)"
    )
    iocs_add.set_defaults(run=run_iocs_add)

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
    init.set_defaults(run=run_init)

    rules = commands.add_parser("rules", help="list the rules: id, level, hooks, summary")
    rules.add_argument(
        "--format", choices=["text", "markdown"], default="text", help="markdown: docs/rules.md"
    )
    rules.set_defaults(run=run_rules)

    profiles = commands.add_parser(
        "profiles", help="the profiles (templates): their sections and what each requires"
    )
    profiles.set_defaults(run=run_profiles)

    completion = commands.add_parser(
        "completion", help="a shell completion script (bash, zsh or fish)"
    )
    completion.add_argument("shell", choices=["bash", "zsh", "fish"], help="the shell")
    completion.set_defaults(run=run_completion, parser=parser)
    return parser


def list_commands(parser: argparse.ArgumentParser) -> int:
    """Bare ``postmortem``: each command with one line."""
    from postmortem.completion import command_summaries

    print(f"usage: {parser.prog} COMMAND [options]   ({parser.prog} COMMAND --help for more)\n")
    print(f"{parser.description}\n\ncommands:")
    summaries = command_summaries(parser)
    width = max(len(name) for name in summaries)
    for name, summary in summaries.items():
        print(f"  {name:<{width}}  {summary}")
    return ExitCode.CLEAN
