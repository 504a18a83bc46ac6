"""Repository-wide views: every post-mortem under a folder as an index row, its open
follow-ups with their source lines, and the metrics across them all.

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
    Figure,
    completion_rate,
    durations,
    figure,
    milestones,
    open_follow_ups,
)
from postmortem.model import Link, PostMortem
from postmortem.notifications import BUILT_IN_REGIMES, ClockState, clocks

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = [
    "IncidentFigures",
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
    started: date | None
    time_to_detect: timedelta | None
    time_to_acknowledge: timedelta | None
    time_to_mitigate: timedelta | None
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
        start = milestones(doc).started
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
                started=start.date() if start is not None else None,
                time_to_detect=measured.to_detect,
                time_to_acknowledge=measured.to_acknowledge,
                time_to_mitigate=measured.to_mitigate,
                time_to_resolve=measured.to_resolve,
                open_actions=len(open_follow_ups(doc)),
            )
        )
    return rows


@attrs.frozen
class OpenAction:
    """An open follow-up (action item, recommendation, response action, horizon item), where
    it is written."""

    path: str
    line: int
    document_id: str
    kind: str
    id: str | None
    action: str
    owner: str | None
    due: date | None
    status: str | None
    ticket: Link | None

    def overdue(self, today: date) -> bool:
        return self.due is not None and self.due < today


def open_actions(documents: Iterable[Scanned], *, include_copies: bool = False) -> list[OpenAction]:
    """Open follow-ups of every incident, with their source lines; exported copies only with
    ``include_copies``."""
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
                    id=item.id,
                    action=item.action,
                    owner=item.owner,
                    due=item.due,
                    status=item.status.value if item.status is not None else None,
                    ticket=item.ticket,
                )
            )
    return found


@attrs.frozen
class IncidentFigures:
    """One incident's times between its lifecycle moments; None where unknown."""

    id: str
    time_to_detect: timedelta | None
    time_to_acknowledge: timedelta | None
    time_to_mitigate: timedelta | None
    time_to_resolve: timedelta | None
    notifications_met: int
    notifications_missed: int
    notifications_pending: int


@attrs.frozen
class Stats:
    """Metrics across the repository, and each incident's figures."""

    documents: int
    by_severity: dict[str, int]
    by_rank: dict[str, int]
    """Incidents by severity rank, 1 the most severe of each profile's scale: the common
    ground of Sev 1-4, P1-P3 and Critical-Low."""
    by_level: dict[str, int]
    """Incidents by level of the organisation's scale (the policy's ``severity_levels``),
    most severe first; empty when the policy has none."""
    by_month: dict[str, int]
    time_to_detect: Figure
    time_to_acknowledge: Figure
    time_to_mitigate: Figure
    time_to_resolve: Figure
    follow_ups: int
    follow_up_completion_rate: float | None
    open_follow_ups: int
    notifications: dict[str, int]
    """Notification deadlines (GDPR, NIS2, the policy's regimes) met, missed and pending."""
    incidents: tuple[IncidentFigures, ...]


def stats(
    documents: Iterable[Scanned],
    *,
    include_copies: bool = False,
    policy: "Policy | None" = None,
    today: date | None = None,
) -> Stats:
    """Counts by severity, by rank, by level of the ``policy``'s severity scale and by month
    of the incident's start; mean and median time to detect, acknowledge, mitigate and
    resolve with the number of incidents that do not say; the share of follow-ups done and
    those open; notification deadlines met, missed and pending on ``today``; each incident's
    figures. Exported copies count only with ``include_copies``."""
    docs = [scanned.document for scanned in _incidents(documents, include_copies)]
    measured = [durations(doc) for doc in docs]
    by_severity = Counter(
        doc.metadata.severity.value if doc.metadata.severity else "unknown" for doc in docs
    )
    by_rank = Counter(
        str(doc.metadata.severity.rank) if doc.metadata.severity else "unknown" for doc in docs
    )
    levels = policy.severity_levels if policy is not None else []
    by_level = Counter(_level(doc, policy) for doc in docs) if policy and levels else Counter()
    order = [level.name for level in levels] + ["not on the scale", "unknown"]
    regimes = policy.regimes() if policy is not None else list(BUILT_IN_REGIMES)
    deadlines = [
        Counter(clock.state.value for clock in clocks(doc, regimes, today or date.today()))
        for doc in docs
    ]
    starts = [milestones(doc).started for doc in docs]
    by_month = Counter(
        f"{start.year:04d}-{start.month:02d}" if start else "unknown" for start in starts
    )
    return Stats(
        documents=len(docs),
        by_severity=dict(sorted(by_severity.items())),
        by_rank=dict(sorted(by_rank.items())),
        by_level={name: by_level[name] for name in order if by_level[name]},
        by_month=dict(sorted(by_month.items())),
        time_to_detect=figure(item.to_detect for item in measured),
        time_to_acknowledge=figure(item.to_acknowledge for item in measured),
        time_to_mitigate=figure(item.to_mitigate for item in measured),
        time_to_resolve=figure(item.to_resolve for item in measured),
        follow_ups=sum(len(doc.follow_ups()) for doc in docs),
        follow_up_completion_rate=completion_rate(docs),
        open_follow_ups=sum(len(open_follow_ups(doc)) for doc in docs),
        notifications={
            state.value: sum(counted[state.value] for counted in deadlines) for state in ClockState
        },
        incidents=tuple(
            IncidentFigures(
                id=doc.metadata.id,
                time_to_detect=item.to_detect,
                time_to_acknowledge=item.to_acknowledge,
                time_to_mitigate=item.to_mitigate,
                time_to_resolve=item.to_resolve,
                notifications_met=counted[ClockState.MET.value],
                notifications_missed=counted[ClockState.MISSED.value],
                notifications_pending=counted[ClockState.PENDING.value],
            )
            for doc, item, counted in zip(docs, measured, deadlines, strict=True)
        ),
    )


def _level(doc: PostMortem, policy: "Policy") -> str:
    severity = doc.metadata.severity
    if severity is None:
        return "unknown"
    placed = policy.severity_level(severity)
    return placed[1].name if placed is not None else "not on the scale"


def _incidents(documents: Iterable[Scanned], include_copies: bool) -> Iterator[Scanned]:
    """The documents that are incidents: not copies exported from another document, unless
    ``include_copies``."""
    for scanned in documents:
        if include_copies or scanned.document.metadata.exported_from is None:
            yield scanned
