"""The commands that read many documents and show them together: ``history``, ``index``,
``actions`` and ``stats``."""

import argparse
import functools
import gc
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem._terminal import terminal_text
from postmortem.cli.output import write_for_people, write_view
from postmortem.errors import DocumentError, Problem
from postmortem.reporting import ExitCode

if TYPE_CHECKING:
    from postmortem.facts import FollowUpFacts
    from postmortem.history import DocumentHistory
    from postmortem.policy import Policy
    from postmortem.reports import Repository, Scanned

    OpenFollowUps = list[tuple[Scanned, FollowUpFacts]]

__all__ = ["run_actions", "run_history", "run_index", "run_link", "run_stats"]


def _cycles_collected_after(
    run: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """``run`` with the cycle collector paused until it returns: a view of a large repository
    makes hundreds of thousands of objects and no cycles, and the collector would walk them
    all again and again (a fifth of a warm view's time). Worker processes collect as usual
    (:mod:`postmortem.scanning`)."""

    @functools.wraps(run)
    def paused(args: argparse.Namespace) -> int:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return run(args)
        finally:
            if enabled:
                gc.enable()

    return paused


_GENERATED_HISTORY_NOTE = (
    "history: generated from git by `postmortem history --write`; edits here are replaced"
)


def run_history(args: argparse.Namespace) -> int:
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
        write_for_people(history_markdown(found))
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


@_cycles_collected_after
def run_index(args: argparse.Namespace) -> int:
    import attrs

    from postmortem.render.tables import format_rows, plain
    from postmortem.reports import IndexRow, index_rows

    repository = _scan(args.directory, use_cache=not args.no_cache, follow_ups=False)
    rows = [
        row
        for row in index_rows(repository.documents, include_copies=args.include_copies)
        if (not args.severity or row.severity in args.severity)
        and (not args.status or {row.status, row.incident_status} & set(args.status))
        and (not args.label or row.classification in args.label)
        and (args.since is None or (row.started is not None and row.started >= args.since))
        and (args.until is None or (row.started is not None and row.started <= args.until))
    ]
    rows.sort(key=lambda row: _sort_key(getattr(row, args.sort)), reverse=args.reverse)
    columns = [field.name for field in attrs.fields(IndexRow)]
    write_view(
        format_rows(
            [[plain(value) for value in attrs.astuple(row, recurse=False)] for row in rows],
            columns,
            args.format,
        ),
        args.format,
    )
    return ExitCode.FINDINGS if repository.problems else ExitCode.CLEAN


@_cycles_collected_after
def run_actions(args: argparse.Namespace) -> int:
    from postmortem.facts import is_overdue
    from postmortem.reports import open_follow_ups_of

    repository = _scan(args.directory, use_cache=not args.no_cache)
    today = args.today or date.today()
    owner = None if args.owner is None else args.owner.lower()
    found = open_follow_ups_of(repository.documents, include_copies=args.include_copies)
    if owner is not None or args.overdue or args.untracked:
        found = [
            (scanned, item)
            for scanned, item in found
            if (owner is None or (item.owner or "").lower() == owner)
            and (not args.overdue or is_overdue(item.due, today))
            and (not args.untracked or item.ticket is None)
        ]
    if args.format in ("jira-csv", "github"):
        _write_for_tracker(found, repository, args.format)
    else:
        _write_actions(found, today, args.format)
    if repository.problems:
        return ExitCode.FINDINGS
    if args.fail_on_overdue and any(is_overdue(item.due, today) for _, item in found):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


_ACTION_COLUMNS = (
    "source",
    "document_id",
    "kind",
    "id",
    "action",
    "owner",
    "due",
    "status",
    "ticket",
    "overdue",
)


def _write_actions(found: "OpenFollowUps", today: date, output_format: str) -> None:
    """The follow-ups as a table, each row's cells written from its facts as
    :func:`~postmortem.render.tables.plain` shows them (a large repository has tens of
    thousands of rows: no object in between)."""
    from postmortem.facts import is_overdue
    from postmortem.render.tables import format_rows

    rows = (
        (
            f"{scanned.path}:{line}",
            scanned.facts.id,
            kind,
            id_,
            action,
            owner,
            None if due is None else due.isoformat(),
            status,
            None if ticket is None else ticket.url,
            is_overdue(due, today),
        )
        for scanned, (line, kind, id_, action, owner, due, status, ticket) in found
    )
    write_view(format_rows(rows, _ACTION_COLUMNS, output_format), output_format)


def _write_for_tracker(
    found: "OpenFollowUps", repository: "Repository", output_format: str
) -> None:
    """The follow-ups as a tracker imports them; a note on standard error for each left out."""
    from postmortem.reports import OpenAction
    from postmortem.trackers import github_lines, jira_csv, tracker_items

    actions = [OpenAction.of(scanned, item) for scanned, item in found]
    items, left_out = tracker_items(actions, repository.documents)
    for note in left_out:
        print(terminal_text(note), file=sys.stderr)
    sys.stdout.write(jira_csv(items) if output_format == "jira-csv" else github_lines(items))


def run_link(args: argparse.Namespace) -> int:
    from postmortem._shown import shown_path
    from postmortem.policy import find_policy
    from postmortem.trackers import link_ticket, ticket_for

    policy = find_policy(args.document)
    ticket = ticket_for(args.key, policy.ticket_url)
    linked = link_ticket(
        args.document, args.id, ticket, ticket_url=policy.ticket_url, within=policy.root
    )
    done = "linked to" if linked else "already linked to"
    print(terminal_text(f"{shown_path(args.document)}: {args.id} {done} {args.key}"))
    return ExitCode.CLEAN


@_cycles_collected_after
def run_stats(args: argparse.Namespace) -> int:
    import attrs

    from postmortem.policy import POLICY_FILE, find_policy
    from postmortem.render.tables import format_rows, json_text, plain
    from postmortem.reports import IncidentFigures, stats

    repository = _scan(args.directory, use_cache=not args.no_cache, follow_ups=False)
    policy = find_policy(Path(args.directory) / POLICY_FILE)  # the folder's, for its scale
    figures = stats(
        repository.documents,
        include_copies=args.include_copies,
        policy=policy,
        today=args.today or date.today(),
    )
    summary = {
        field.name: _plain_figure(getattr(figures, field.name))
        for field in attrs.fields(type(figures))
        if field.name != "incidents"
    }
    columns = [field.name for field in attrs.fields(IncidentFigures)]
    cells = [[plain(getattr(item, column)) for column in columns] for item in figures.incidents]
    if args.format == "json":  # the summary, then the rows encoded a batch at a time
        rows = "".join(format_rows(cells, columns, "json")).rstrip("\n").replace("\n", "\n  ")
        summary_text = json_text(summary).removesuffix("\n}")
        sys.stdout.write(f'{summary_text},\n  "incidents": {rows}\n}}\n')
        return ExitCode.FINDINGS if repository.problems else ExitCode.CLEAN
    lines = []
    for key, value in summary.items():
        if isinstance(value, dict) and "known" in value:
            value = (
                f"mean {value['mean'] or '-'}, median {value['median'] or '-'}"
                f" ({value['known']} known, {value['unknown']} unknown)"
            )
        elif isinstance(value, dict):
            value = ", ".join(f"{name}: {count}" for name, count in value.items()) or "-"
        elif isinstance(value, float):
            value = f"{value:.0%}"
        lines.append(f"{key.replace('_', ' ')}: {'-' if value is None else value}\n")
    table = "".join(format_rows(cells, columns, "markdown")) if cells else ""
    write_for_people("".join(lines) + ("\nper incident:\n" + table if table else ""))
    return ExitCode.FINDINGS if repository.problems else ExitCode.CLEAN


def _plain_figure(value: object) -> object:
    """A stats figure as JSON shows it (a :class:`~postmortem.metrics.Figure` as a mapping)."""
    import attrs

    from postmortem.render.tables import plain

    if attrs.has(type(value)):
        return {key: plain(item) for key, item in attrs.asdict(value, recurse=False).items()}  # type: ignore[arg-type]
    return plain(value)


def _scan(directory: str, *, use_cache: bool, follow_ups: bool = True) -> "Repository":
    """The documents under ``directory``, with a progress line on a terminal; the files that
    do not load are reported on standard error."""
    from postmortem.reports import scan

    def progress(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rscanning {done}/{total} files", end=end, file=sys.stderr, flush=True)

    repository = scan(
        directory,
        progress=progress if sys.stderr.isatty() else None,
        use_cache=use_cache,
        follow_ups=follow_ups,
    )
    for problem in repository.problems:
        print(problem, file=sys.stderr)
    return repository


def _sort_key(value: object) -> tuple[bool, str]:
    """Sorts any column: missing values last, the rest by their text (ISO dates sort)."""
    from postmortem.render.tables import plain

    return (value is None, str(plain(value)) if not isinstance(value, int) else f"{value:012d}")
