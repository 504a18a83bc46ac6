"""What the repository views read of one document, small enough to keep for every document
of a repository and to cache beside its parse (:mod:`postmortem.cache`).

The facts follow from the document's content alone (never from the policy, the date or
other files), so they are kept under the same key as the parse. They go to JSON as arrays
in the order of the fields, and come back checked value by value: what is read back is
hostile input, and reading the facts of every document of a repository must cost little.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import attrs

from postmortem.metrics import durations, follow_up_tally, instant, milestones, open_follow_ups
from postmortem.model import Link, PostMortem, Severity
from postmortem.notifications import Notice, applying_regimes, awareness

__all__ = ["DocumentFacts", "FollowUpFacts", "facts_from_json", "facts_of", "facts_to_json"]


@attrs.frozen(kw_only=True)
class FollowUpFacts:
    """An open follow-up of any kind (:func:`postmortem.metrics.open_follow_ups`), with the
    line it is written on."""

    line: int
    kind: str
    id: str | None = None
    action: str
    owner: str | None = None
    due: date | None = None
    status: str | None = None
    ticket: Link | None = None


@attrs.frozen(kw_only=True)
class DocumentFacts:
    """One document as the index, the action list and the statistics read it."""

    id: str
    title: str
    profile: str
    status: str
    severity: str | None = None
    rank: int | None = None
    """The severity's rank on its profile's scale, 1 the most severe."""
    incident_status: str | None = None
    classification: str | None = None
    exported: bool = False
    """Whether it is a copy exported for an audience (``metadata.exported_from``)."""
    started: datetime | None = None
    time_to_detect: timedelta | None = None
    time_to_acknowledge: timedelta | None = None
    time_to_mitigate: timedelta | None = None
    time_to_resolve: timedelta | None = None
    follow_ups: int = 0
    follow_ups_counted: int = 0
    """Follow-ups that count towards the completion rate (all but the cancelled)."""
    follow_ups_done: int = 0
    open_follow_ups: list[FollowUpFacts] = attrs.Factory(list)
    aware: datetime | None = None
    """When the organisation became aware of the incident, where notification clocks start."""
    regimes: list[str] = attrs.Factory(list)
    """The notification regimes the document says apply."""
    notices: list[Notice] = attrs.Factory(list)
    """The notices sent: regime, step and when (the clocks are read at view time, against
    the policy's regimes and the day)."""


def facts_of(document: PostMortem, line_of: Any) -> DocumentFacts:
    """The facts of ``document``; ``line_of(field_path)`` is the line a field is written on."""
    metadata = document.metadata
    measured = durations(document)
    counted, done = follow_up_tally(document)
    aware = awareness(document)
    return DocumentFacts(
        id=metadata.id,
        title=metadata.title,
        profile=document.profile.value,
        status=metadata.status.value,
        severity=metadata.severity.value if metadata.severity else None,
        rank=metadata.severity.rank if metadata.severity else None,
        incident_status=metadata.incident_status.value if metadata.incident_status else None,
        classification=metadata.classification.value if metadata.classification else None,
        exported=metadata.exported_from is not None,
        started=milestones(document).started,
        time_to_detect=measured.to_detect,
        time_to_acknowledge=measured.to_acknowledge,
        time_to_mitigate=measured.to_mitigate,
        time_to_resolve=measured.to_resolve,
        follow_ups=len(document.follow_ups()),
        follow_ups_counted=counted,
        follow_ups_done=done,
        open_follow_ups=[
            FollowUpFacts(
                line=line_of(item.field_path),
                kind=item.kind,
                id=item.id,
                action=item.action,
                owner=item.owner,
                due=item.due,
                status=item.status.value if item.status is not None else None,
                ticket=item.ticket,
            )
            for item in open_follow_ups(document)
        ],
        aware=aware[0] if aware is not None else None,
        regimes=applying_regimes(document),
        notices=[
            (notice.regime, notice.step, instant(notice.time) if notice.time else None)
            for notice in (document.compliance.notices if document.compliance else [])
        ],
    )


def facts_to_json(facts: DocumentFacts) -> list[Any]:
    """``facts`` as JSON values: an array of the fields in order (the open follow-ups an
    array of arrays), dates and times in ISO 8601, durations in microseconds."""
    return [
        facts.id,
        facts.title,
        facts.profile,
        facts.status,
        facts.severity,
        facts.rank,
        facts.incident_status,
        facts.classification,
        facts.exported,
        _iso(facts.started),
        _microseconds(facts.time_to_detect),
        _microseconds(facts.time_to_acknowledge),
        _microseconds(facts.time_to_mitigate),
        _microseconds(facts.time_to_resolve),
        facts.follow_ups,
        facts.follow_ups_counted,
        facts.follow_ups_done,
        [
            [
                item.line,
                item.kind,
                item.id,
                item.action,
                item.owner,
                _iso(item.due),
                item.status,
                None if item.ticket is None else [item.ticket.url, item.ticket.label],
            ]
            for item in facts.open_follow_ups
        ],
        _iso(facts.aware),
        facts.regimes,
        [[regime, step, _iso(time)] for regime, step, time in facts.notices],
    ]


def facts_from_json(value: Any) -> DocumentFacts:
    """The facts :func:`facts_to_json` gave; ValueError for anything else."""
    if type(value) is not list or len(value) != 21:
        raise ValueError("not a document's facts")
    follow_ups, regimes, notices = value[17], value[19], value[20]
    if type(follow_ups) is not list or type(regimes) is not list or type(notices) is not list:
        raise ValueError("not a list of follow-ups, regimes or notices")
    return DocumentFacts(
        id=_text(value[0]),
        title=_text(value[1]),
        profile=_text(value[2]),
        status=_text(value[3]),
        severity=_optional(_severity, value[4]),
        rank=_optional(_count, value[5]),
        incident_status=_optional(_text, value[6]),
        classification=_optional(_text, value[7]),
        exported=_flag(value[8]),
        started=_optional(_moment, value[9]),
        time_to_detect=_optional(_duration, value[10]),
        time_to_acknowledge=_optional(_duration, value[11]),
        time_to_mitigate=_optional(_duration, value[12]),
        time_to_resolve=_optional(_duration, value[13]),
        follow_ups=_count(value[14]),
        follow_ups_counted=_count(value[15]),
        follow_ups_done=_count(value[16]),
        open_follow_ups=[_follow_up(item) for item in follow_ups],
        aware=_optional(_moment, value[18]),
        regimes=[_text(name) for name in regimes],
        notices=[_notice(item) for item in notices],
    )


def _notice(value: Any) -> Notice:
    if type(value) is not list or len(value) != 3:
        raise ValueError("not a notice")
    regime, step, time = value
    return _text(regime), _text(step), _optional(_moment, time)


def _follow_up(value: Any) -> FollowUpFacts:
    if type(value) is not list or len(value) != 8:
        raise ValueError("not a follow-up")
    line, kind, id_, action, owner, due, status, ticket = value
    if not (
        type(line) is int
        and line >= 0
        and type(kind) is str
        and (id_ is None or type(id_) is str)
        and type(action) is str
        and (owner is None or type(owner) is str)
        and (status is None or type(status) is str)
    ):
        raise ValueError("not a follow-up")
    return FollowUpFacts(
        line=line,
        kind=kind,
        id=id_,
        action=action,
        owner=owner,
        due=None if due is None else _day(due),
        status=status,
        ticket=None if ticket is None else _link(ticket),
    )


T = TypeVar("T")


def _optional(read: Callable[[Any], T], value: Any) -> T | None:
    return None if value is None else read(value)


def _text(value: Any) -> str:
    if type(value) is not str:
        raise ValueError("not text")
    return value


def _severity(value: Any) -> str:
    text = _text(value)
    if text not in _SEVERITIES:
        raise ValueError("not a severity")
    return text


_SEVERITIES = frozenset(severity.value for severity in Severity)


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError("not true or false")
    return value


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("not a count")
    return value


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(_text(value))


def _day(value: Any) -> date:
    return date.fromisoformat(_text(value))


def _duration(value: Any) -> timedelta:
    if type(value) is not int:
        raise ValueError("not a duration")
    try:
        return timedelta(microseconds=value)
    except OverflowError:
        raise ValueError("not a duration") from None


def _link(value: Any) -> Link:
    if type(value) is not list or len(value) != 2:
        raise ValueError("not a link")
    return Link(url=_text(value[0]), label=_optional(_text, value[1]))


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _microseconds(value: timedelta | None) -> int | None:
    return None if value is None else value // timedelta(microseconds=1)
