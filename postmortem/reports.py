"""Repository-wide views: every post-mortem under a folder as an index row, its open
follow-ups with their source lines, and the metrics across them all.

The views read each document's facts (:mod:`postmortem.facts`) through the parse cache, so
that a second run parses nothing, and spread a cold run over the cores; no view holds more
than the facts of the documents. They count incidents: a copy exported for an audience
(``metadata.exported_from``) repeats its source and is left out unless the caller asks for
copies."""

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

import attrs

from postmortem.errors import Problem
from postmortem.facts import DocumentFacts, FollowUpFacts, is_overdue
from postmortem.metrics import Figure, completion_rate, figure
from postmortem.model import Link, PostMortem, Severity
from postmortem.notifications import BUILT_IN_REGIMES, ClockState, deadlines

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
    "open_follow_ups_of",
    "scan",
    "stats",
]


@attrs.frozen
class Scanned:
    """One document found in the folder: its path and its facts. Its text and its document
    are read from the file when asked for."""

    path: str
    facts: DocumentFacts
    policy: "Policy" = attrs.field(repr=False, eq=False)
    """The policy that governs it, which says how it is read."""

    @property
    def text(self) -> str:
        from postmortem.policy import read_governed

        return read_governed(self.path, self.policy)

    @property
    def document(self) -> PostMortem:
        from postmortem.policy import load_governed

        return load_governed(self.path, self.policy)


@attrs.frozen
class Repository:
    """The documents under a folder, and the files that matched but did not load."""

    documents: tuple[Scanned, ...]
    problems: tuple[Problem, ...]


def scan(
    directory: str | os.PathLike[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    use_cache: bool = True,
    follow_ups: bool = True,
) -> Repository:
    """Every post-mortem under ``directory``, as the hooks see them
    (:func:`postmortem.discovery.role_of`): the files its policy's ``files`` pattern names,
    and any other YAML file with a post-mortem's ``schema_version`` or ``profile`` key.
    Only the files changed since the last scan are read, unless ``use_cache`` is false
    (:mod:`postmortem.scanning`); ``progress(done, total)`` is told how far it is. Without
    ``follow_ups`` the facts of an unchanged file leave its open follow-ups out (counted, not
    listed: all :func:`index_rows` and :func:`stats` need)."""
    from postmortem.discovery import YAML_SUFFIXES, files_under
    from postmortem.scanning import facts_of_files

    candidates = [
        path
        for path in files_under(directory)
        if os.path.splitext(path)[1].lower() in YAML_SUFFIXES
    ]
    found, problems = facts_of_files(
        candidates, use_cache=use_cache, progress=progress, follow_ups=follow_ups
    )
    documents = [Scanned(path, facts, policy) for path, facts, policy in found]
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
        facts = scanned.facts
        rows.append(
            IndexRow(
                path=scanned.path,
                id=facts.id,
                title=facts.title,
                profile=facts.profile,
                severity=facts.severity,
                status=facts.status,
                incident_status=facts.incident_status,
                classification=facts.classification,
                started=facts.started.date() if facts.started is not None else None,
                time_to_detect=facts.time_to_detect,
                time_to_acknowledge=facts.time_to_acknowledge,
                time_to_mitigate=facts.time_to_mitigate,
                time_to_resolve=facts.time_to_resolve,
                open_actions=facts.open_follow_up_count,
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
        return is_overdue(self.due, today)

    @classmethod
    def of(cls, scanned: Scanned, item: FollowUpFacts) -> "OpenAction":
        """The open follow-up ``item`` of the document ``scanned``."""
        return cls(
            path=scanned.path,
            line=item.line,
            document_id=scanned.facts.id,
            kind=item.kind,
            id=item.id,
            action=item.action,
            owner=item.owner,
            due=item.due,
            status=item.status,
            ticket=item.ticket,
        )


def open_follow_ups_of(
    documents: Iterable[Scanned], *, include_copies: bool = False
) -> list[tuple[Scanned, FollowUpFacts]]:
    """Each open follow-up of every incident, with its document; exported copies only with
    ``include_copies``."""
    return [
        (scanned, item)
        for scanned in _incidents(documents, include_copies)
        for item in scanned.facts.open_follow_ups
    ]


def open_actions(documents: Iterable[Scanned], *, include_copies: bool = False) -> list[OpenAction]:
    """Open follow-ups of every incident, with their source lines; exported copies only with
    ``include_copies``."""
    return [
        OpenAction.of(scanned, item)
        for scanned, item in open_follow_ups_of(documents, include_copies=include_copies)
    ]


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
    facts = [scanned.facts for scanned in _incidents(documents, include_copies)]
    by_severity = Counter(item.severity or "unknown" for item in facts)
    by_rank = Counter(str(item.rank) if item.rank is not None else "unknown" for item in facts)
    levels = policy.severity_levels if policy is not None else []
    by_level = Counter(_level(item, policy) for item in facts) if policy and levels else Counter()
    order = [level.name for level in levels] + ["not on the scale", "unknown"]
    regimes = policy.regimes() if policy is not None else list(BUILT_IN_REGIMES)
    on = today or date.today()
    clocks = [
        Counter(
            clock.state.value
            for clock in deadlines(item.aware, item.regimes, item.notices, regimes, on)
        )
        for item in facts
    ]
    by_month = Counter(
        f"{item.started.year:04d}-{item.started.month:02d}" if item.started else "unknown"
        for item in facts
    )
    return Stats(
        documents=len(facts),
        by_severity=dict(sorted(by_severity.items())),
        by_rank=dict(sorted(by_rank.items())),
        by_level={name: by_level[name] for name in order if by_level[name]},
        by_month=dict(sorted(by_month.items())),
        time_to_detect=figure(item.time_to_detect for item in facts),
        time_to_acknowledge=figure(item.time_to_acknowledge for item in facts),
        time_to_mitigate=figure(item.time_to_mitigate for item in facts),
        time_to_resolve=figure(item.time_to_resolve for item in facts),
        follow_ups=sum(item.follow_ups for item in facts),
        follow_up_completion_rate=completion_rate(
            (item.follow_ups_counted, item.follow_ups_done) for item in facts
        ),
        open_follow_ups=sum(item.open_follow_up_count for item in facts),
        notifications={
            state.value: sum(counted[state.value] for counted in clocks) for state in ClockState
        },
        incidents=tuple(
            IncidentFigures(
                id=item.id,
                time_to_detect=item.time_to_detect,
                time_to_acknowledge=item.time_to_acknowledge,
                time_to_mitigate=item.time_to_mitigate,
                time_to_resolve=item.time_to_resolve,
                notifications_met=counted[ClockState.MET.value],
                notifications_missed=counted[ClockState.MISSED.value],
                notifications_pending=counted[ClockState.PENDING.value],
            )
            for item, counted in zip(facts, clocks, strict=True)
        ),
    )


def _level(facts: DocumentFacts, policy: "Policy") -> str:
    if facts.severity is None:
        return "unknown"
    placed = policy.severity_level(Severity(facts.severity))
    return placed[1].name if placed is not None else "not on the scale"


def _incidents(documents: Iterable[Scanned], include_copies: bool) -> Iterator[Scanned]:
    """The documents that are incidents: not copies exported from another document, unless
    ``include_copies``."""
    for scanned in documents:
        if include_copies or not scanned.facts.exported:
            yield scanned
