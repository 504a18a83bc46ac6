"""Incident metrics from one document: the moments of its lifecycle (the metadata's
``lifecycle``, else the timeline rows that mark them), the times between them, and the
follow-ups it leaves open.

A moment the document does not give is unknown, and so is every figure measured from it:
never zero, never guessed. Aggregates say how many incidents they leave out.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import attrs

from postmortem.model import ActionStatus, Link, Milestone, PostMortem, When

__all__ = [
    "FOLLOW_UP_KINDS",
    "Durations",
    "Figure",
    "Milestones",
    "OpenFollowUp",
    "completion_rate",
    "durations",
    "figure",
    "follow_up_kind",
    "follow_up_tally",
    "instant",
    "milestones",
    "open_follow_ups",
]


def instant(value: When) -> datetime:
    """A moment to compare and subtract: a date is the start of its day in UTC."""
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)


@attrs.frozen
class Milestones:
    """The moments of the incident; None where the document does not give them."""

    started: datetime | None
    detected: datetime | None
    aware: datetime | None
    acknowledged: datetime | None
    root_cause_identified: datetime | None
    mitigated: datetime | None
    resolved: datetime | None
    closed: datetime | None
    customer_impact_start: datetime | None
    customer_impact_end: datetime | None


@attrs.frozen
class Durations:
    """Time to detect (from the start), to acknowledge (from detection), to mitigate and to
    resolve (from the start); None where a moment is unknown or they run backwards."""

    to_detect: timedelta | None
    to_acknowledge: timedelta | None
    to_mitigate: timedelta | None
    to_resolve: timedelta | None


def milestones(doc: PostMortem) -> Milestones:
    """Each lifecycle moment: the metadata's ``lifecycle`` first, then the first timeline
    row that marks it (``milestone: detected``)."""
    lifecycle = doc.metadata.lifecycle
    marked: dict[Milestone, datetime] = {}
    for event in doc.timeline.events if doc.timeline is not None else []:
        if event.milestone is not None and event.time is not None:
            marked.setdefault(event.milestone, instant(event.time))
    moments: dict[str, datetime | None] = {}
    for milestone in Milestone:
        written = lifecycle.moment(milestone) if lifecycle is not None else None
        moments[milestone.value] = (
            instant(written) if written is not None else marked.get(milestone)
        )
    return Milestones(**moments)


def durations(doc: PostMortem) -> Durations:
    """The times between the moments; time to detect is the stated ``detection.
    time_to_detect`` where the moments do not give it."""
    moments = milestones(doc)
    stated = doc.detection.time_to_detect if doc.detection is not None else None
    measured = _between(moments.started, moments.detected)
    return Durations(
        to_detect=measured if measured is not None else stated,
        to_acknowledge=_between(moments.detected, moments.acknowledged),
        to_mitigate=_between(moments.started, moments.mitigated),
        to_resolve=_between(moments.started, moments.resolved),
    )


def _between(earlier: datetime | None, later: datetime | None) -> timedelta | None:
    if earlier is None or later is None or later < earlier:
        return None
    return later - earlier


@attrs.frozen
class Figure:
    """A duration over many incidents: its mean and (lower) median over the incidents that
    give it, and how many incidents do not."""

    mean: timedelta | None
    median: timedelta | None
    known: int
    unknown: int


_MICROSECOND = timedelta(microseconds=1)


def figure(values: Iterable[timedelta | None]) -> Figure:
    """The mean and median of the known values, and how many are known and unknown. The
    mean is summed in whole microseconds: a few hundred documents that each span the
    calendar (year 1 to 9999) sum past the largest timedelta."""
    given = list(values)
    known = sorted(value for value in given if value is not None)
    if not known:
        return Figure(None, None, 0, len(given))
    total = sum(value // _MICROSECOND for value in known)  # a sum of timedeltas overflows
    mean = timedelta(microseconds=round(Fraction(total, len(known))))
    median = known[(len(known) - 1) // 2]  # the lower median: a duration that occurred
    return Figure(mean, median, len(known), len(given) - len(known))


def follow_up_tally(doc: PostMortem) -> tuple[int, int]:
    """The follow-ups of ``doc`` that count towards completion (all but the cancelled), and
    how many of them are done."""
    statuses = [
        item.status for _, item in doc.follow_ups() if item.status is not ActionStatus.CANCELLED
    ]
    return len(statuses), sum(status is not None and status.is_done for status in statuses)


def completion_rate(tallies: Iterable[tuple[int, int]]) -> float | None:
    """Share of follow-ups done over the :func:`follow_up_tally` of each document, cancelled
    ones left out; None if there are none."""
    counted = done = 0
    for document_counted, document_done in tallies:
        counted += document_counted
        done += document_done
    return done / counted if counted else None


@attrs.frozen
class OpenFollowUp:
    """A follow-up that is not done, where the document keeps it."""

    field_path: tuple[str | int, ...]
    kind: str
    id: str | None
    action: str
    owner: str | None
    due: date | None
    status: ActionStatus | None
    ticket: Link | None


_KINDS = {
    "action_items": "action item",
    "recommendations": "recommendation",
    "response": "response action",
    "prevention_plan": "prevention measure",
    "follow_up": "follow-up",
    "gaps": "gap recommendation",
}
FOLLOW_UP_KINDS = frozenset(_KINDS.values())
"""What follow-ups are called, wherever a document tracks them."""


def follow_up_kind(path: tuple[str | int, ...]) -> str:
    """What the follow-up at ``path`` is called: ``action item``, ``response action``..."""
    return _KINDS[str(path[0])]


def open_follow_ups(doc: PostMortem) -> list[OpenFollowUp]:
    """The document's open follow-ups (no status counts as open), wherever it tracks them.

    The one definition behind ``postmortem index``'s count, ``postmortem actions``'s list,
    ``stats`` and the overdue check.
    """
    return [
        OpenFollowUp(
            path, follow_up_kind(path), item.id, item.action, item.owner, item.due, item.status,
            item.ticket,
        )
        for path, item in doc.open_follow_ups()
    ]  # fmt: skip
