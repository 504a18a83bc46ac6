"""Incident metrics from one document: when it began, was detected, contained and resolved
(from the metadata, or else the timeline's milestones), the durations between them, and
the follow-ups it leaves open."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

import attrs

from postmortem.model import ActionStatus, Link, PostMortem, When

__all__ = [
    "Durations",
    "FollowUp",
    "Milestones",
    "action_item_tally",
    "completion_rate",
    "durations",
    "instant",
    "mean_and_median",
    "milestones",
    "open_follow_ups",
]

_CONTAINED = ("mitigation applied", "contained", "containment")


def instant(value: When) -> datetime:
    """A moment to compare and subtract: a date is the start of its day in UTC."""
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)


@attrs.frozen
class Milestones:
    """The moments the metrics are measured between; None where the document does not say."""

    began: datetime | None
    detected: datetime | None
    contained: datetime | None
    resolved: datetime | None


@attrs.frozen
class Durations:
    """Time to detect, contain and resolve, each from the start of the incident."""

    to_detect: timedelta | None
    to_contain: timedelta | None
    to_resolve: timedelta | None


def milestones(doc: PostMortem) -> Milestones:
    """Key moments: the metadata's dates first, then the timeline's milestone rows
    ("Incident began", "Detected", "Mitigation applied", "Resolved"); an incident with
    neither a start date nor a milestone began at its earliest timeline event."""
    metadata = doc.metadata
    events = doc.timeline.events if doc.timeline is not None else []
    earliest = min(
        (instant(event.time) for event in events if event.time is not None), default=None
    )
    return Milestones(
        began=_first(metadata.incident_start) or _milestone(doc, ("incident began",)) or earliest,
        detected=_first(metadata.detected) or _milestone(doc, ("detected",)),
        contained=_milestone(doc, _CONTAINED),
        resolved=_first(metadata.resolved, metadata.incident_end) or _milestone(doc, ("resolved",)),
    )


def durations(doc: PostMortem) -> Durations:
    """Time to detect (or the stated time to detection), contain and resolve."""
    moments = milestones(doc)

    def since_start(moment: datetime | None) -> timedelta | None:
        if moments.began is None or moment is None or moment < moments.began:
            return None
        return moment - moments.began

    stated = doc.detection.time_to_detect if doc.detection is not None else None
    measured = since_start(moments.detected)
    return Durations(
        to_detect=measured if measured is not None else stated,
        to_contain=since_start(moments.contained),
        to_resolve=since_start(moments.resolved),
    )


def mean_and_median(
    values: Iterable[timedelta | None],
) -> tuple[timedelta | None, timedelta | None]:
    """The mean and median of the known values; (None, None) if none is known."""
    known = sorted(value for value in values if value is not None)
    if not known:
        return None, None
    mean = sum(known, timedelta()) / len(known)
    return mean, known[(len(known) - 1) // 2]  # the lower median: a duration that occurred


def action_item_tally(doc: PostMortem) -> tuple[int, int]:
    """The action items that count towards completion (all but the cancelled), and those of
    them completed."""
    counted = [item for item in doc.action_items if item.status is not ActionStatus.CANCELLED]
    return len(counted), sum(item.status is ActionStatus.COMPLETED for item in counted)


def completion_rate(tallies: Iterable[tuple[int, int]]) -> float | None:
    """Share of action items completed over :func:`action_item_tally` of each document;
    None if none counts."""
    counted = completed = 0
    for document_counted, document_completed in tallies:
        counted += document_counted
        completed += document_completed
    return completed / counted if counted else None


def _first(*values: When | None) -> datetime | None:
    return next((instant(value) for value in values if value is not None), None)


def _milestone(doc: PostMortem, names: tuple[str, ...]) -> datetime | None:
    for event in doc.timeline.events if doc.timeline is not None else []:
        if (event.milestone or "").strip().lower() in names and event.time is not None:
            return instant(event.time)
    return None


@attrs.frozen
class FollowUp:
    """Something a post-mortem asks to be done: an action item or a recommendation."""

    field_path: tuple[str, int]
    kind: str
    action: str
    owner: str | None
    due: date | None
    status: ActionStatus | None
    ticket: Link | None


def open_follow_ups(doc: PostMortem) -> list[FollowUp]:
    """The document's open follow-ups, action items first: every action item and every
    recommendation that is neither completed nor cancelled (no status counts as open).

    The one definition behind ``postmortem index``'s count and ``postmortem actions``'s list.
    """
    found = [
        FollowUp(("action_items", index), "action item", item.action, item.owner, item.due,
                 item.status, item.ticket)
        for index, item in enumerate(doc.action_items)
    ] + [
        FollowUp(("recommendations", index), "recommendation", item.action or item.title,
                 item.owner, item.due, item.status, None)
        for index, item in enumerate(doc.recommendations)
    ]  # fmt: skip
    return [item for item in found if item.status is None or item.status.is_open]
