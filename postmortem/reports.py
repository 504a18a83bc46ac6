"""Repository-wide views: every post-mortem under a folder as an index row, its open action
items and recommendations with their source lines, and the metrics across them all.

The views count incidents: a copy exported for an audience (``metadata.exported_from``)
repeats its source and is left out unless the caller asks for copies."""

import functools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from postmortem.errors import DocumentError, Problem
from postmortem.metrics import (
    completion_rate,
    durations,
    mean_and_median,
    milestones,
    open_follow_ups,
)
from postmortem.model import Link, PostMortem

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = [
    "IndexRow",
    "OpenAction",
    "Repository",
    "Scanned",
    "Stats",
    "index_rows",
    "open_actions",
    "scan",
    "stats",
]


@attrs.frozen
class Scanned:
    """One document found in the folder, with its path and text (for source lines)."""

    path: str
    text: str
    document: PostMortem


@attrs.frozen
class Repository:
    """The documents under a folder, and the files that matched but did not load."""

    documents: tuple[Scanned, ...]
    problems: tuple[Problem, ...]


def scan(
    directory: str | os.PathLike[str],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Repository:
    """Every post-mortem under ``directory``, as the hooks see them
    (:func:`postmortem.discovery.role_of`): the files its policy's ``files`` pattern names,
    and any other YAML file with a post-mortem's ``schema_version`` or ``profile`` key."""
    from postmortem.discovery import YAML_SUFFIXES, Role, files_under, role_of
    from postmortem.policy import find_policy, read_governed, relative_to_root
    from postmortem.yaml_io import loads

    candidates = [
        path for path in files_under(directory) if Path(path).suffix.lower() in YAML_SUFFIXES
    ]
    documents: list[Scanned] = []
    problems: list[Problem] = []
    policies: dict[Path, Policy] = {}
    for number, path in enumerate(candidates, start=1):
        if progress is not None:
            progress(number, len(candidates))
        policy = find_policy(path, policies)
        try:
            text = read_governed(path, policy)
        except DocumentError as error:
            if policy.names_document(relative_to_root(path, policy)):
                problems.extend(error.problems)
            continue
        if role_of(path, policy, functools.partial(str, text)) is not Role.DOCUMENT:
            continue
        try:
            document = loads(text, path, ticket_url=policy.ticket_url)
        except DocumentError as error:
            problems.extend(error.problems)
            continue
        documents.append(Scanned(path, text, document))
    return Repository(tuple(documents), tuple(problems))


@attrs.frozen
class IndexRow:
    """One post-mortem in the repository index."""

    path: str
    id: str
    title: str
    profile: str
    severity: str | None
    status: str
    incident_status: str | None
    classification: str | None
    incident_start: date | None
    time_to_detect: timedelta | None
    time_to_resolve: timedelta | None
    open_actions: int


def index_rows(documents: Iterable[Scanned], *, include_copies: bool = False) -> list[IndexRow]:
    """An index row per incident, in the order given; exported copies (documents with
    ``metadata.exported_from``) only with ``include_copies``."""
    rows = []
    for scanned in _incidents(documents, include_copies):
        doc = scanned.document
        metadata = doc.metadata
        measured = durations(doc)
        start = milestones(doc).began
        rows.append(
            IndexRow(
                path=scanned.path,
                id=metadata.id,
                title=metadata.title,
                profile=doc.profile.value,
                severity=metadata.severity.value if metadata.severity else None,
                status=metadata.status.value,
                incident_status=metadata.incident_status.value
                if metadata.incident_status
                else None,
                classification=metadata.classification.value if metadata.classification else None,
                incident_start=start.date() if start is not None else None,
                time_to_detect=measured.to_detect,
                time_to_resolve=measured.to_resolve,
                open_actions=len(open_follow_ups(doc)),
            )
        )
    return rows


@attrs.frozen
class OpenAction:
    """An open action item or recommendation, where it is written."""

    path: str
    line: int
    document_id: str
    kind: str
    action: str
    owner: str | None
    due: date | None
    status: str | None
    ticket: Link | None

    def overdue(self, today: date) -> bool:
        return self.due is not None and self.due < today


def open_actions(documents: Iterable[Scanned], *, include_copies: bool = False) -> list[OpenAction]:
    """Open action items and recommendations of every incident, with their source lines;
    exported copies only with ``include_copies``."""
    from postmortem.yaml_io import located_problems

    found: list[OpenAction] = []
    for scanned in _incidents(documents, include_copies):
        follow_ups = open_follow_ups(scanned.document)
        if not follow_ups:
            continue
        places = located_problems([(item.field_path, "") for item in follow_ups], scanned.text, "")
        for item, place in zip(follow_ups, places, strict=True):
            found.append(
                OpenAction(
                    path=scanned.path,
                    line=place.line,
                    document_id=scanned.document.metadata.id,
                    kind=item.kind,
                    action=item.action,
                    owner=item.owner,
                    due=item.due,
                    status=item.status.value if item.status is not None else None,
                    ticket=item.ticket,
                )
            )
    return found


@attrs.frozen
class Stats:
    """Metrics across the repository."""

    documents: int
    by_severity: dict[str, int]
    by_month: dict[str, int]
    mean_time_to_detect: timedelta | None
    median_time_to_detect: timedelta | None
    mean_time_to_resolve: timedelta | None
    median_time_to_resolve: timedelta | None
    action_items: int
    action_item_completion_rate: float | None
    open_actions: int


def stats(documents: Iterable[Scanned], *, include_copies: bool = False) -> Stats:
    """Counts by severity and by month of the incident's start, mean and median time to
    detect and to resolve, the share of action items completed and the open follow-ups;
    exported copies count only with ``include_copies``."""
    docs = [scanned.document for scanned in _incidents(documents, include_copies)]
    measured = [durations(doc) for doc in docs]
    by_severity = Counter(
        doc.metadata.severity.value if doc.metadata.severity else "unknown" for doc in docs
    )
    starts = [milestones(doc).began for doc in docs]
    by_month = Counter(
        f"{start.year:04d}-{start.month:02d}" if start else "unknown" for start in starts
    )
    detect = mean_and_median(item.to_detect for item in measured)
    resolve = mean_and_median(item.to_resolve for item in measured)
    return Stats(
        documents=len(docs),
        by_severity=dict(sorted(by_severity.items())),
        by_month=dict(sorted(by_month.items())),
        mean_time_to_detect=detect[0],
        median_time_to_detect=detect[1],
        mean_time_to_resolve=resolve[0],
        median_time_to_resolve=resolve[1],
        action_items=sum(len(doc.action_items) for doc in docs),
        action_item_completion_rate=completion_rate(docs),
        open_actions=sum(len(open_follow_ups(doc)) for doc in docs),
    )


def _incidents(documents: Iterable[Scanned], include_copies: bool) -> Iterator[Scanned]:
    """The documents that are incidents: not copies exported from another document, unless
    ``include_copies``."""
    for scanned in documents:
        if include_copies or scanned.document.metadata.exported_from is None:
            yield scanned
