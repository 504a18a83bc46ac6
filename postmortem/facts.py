"""What the repository views read of one document, small enough to keep for every document
of a repository and to cache beside its parse (:mod:`postmortem.cache`).

The facts follow from the document's content alone (never from the policy, the date or
other files), so they are kept under the same key as the parse. They go to JSON as arrays
in the order of the fields, and come back checked value by value: what is read back is
hostile input, and reading the facts of every document of a repository must cost little.
"""

import json
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import attrs

from postmortem.metrics import (
    FOLLOW_UP_KINDS,
    durations,
    follow_up_tally,
    milestones,
    open_follow_ups,
)
from postmortem.model import (
    ActionStatus,
    Classification,
    DocumentStatus,
    IncidentStatus,
    Link,
    PostMortem,
    ProfileName,
    Severity,
)
from postmortem.notifications import Notice, applying_regimes, awareness, sent_notices

__all__ = [
    "DocumentFacts",
    "FollowUpFacts",
    "facts_from_json",
    "facts_of",
    "facts_to_json",
    "is_overdue",
]


class FollowUpFacts(NamedTuple):
    """An open follow-up of any kind (:func:`postmortem.metrics.open_follow_ups`), with the
    line it is written on. A named tuple: the action list reads tens of thousands of them
    back from the records at each run, and a tuple is the cheapest object to build."""

    line: int
    kind: str
    id: str | None
    action: str
    owner: str | None
    due: date | None
    status: str | None
    ticket: Link | None


def is_overdue(due: date | None, today: date) -> bool:
    """Whether a follow-up due on ``due`` (None: no date) is overdue on ``today``."""
    return due is not None and due < today


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
    open_follow_up_count: int = 0
    open_follow_ups: list[FollowUpFacts] = attrs.Factory(list)
    """Empty when read without them (:func:`facts_from_json`): the count says how many."""
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
    open_items = open_follow_ups(document)
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
        open_follow_up_count=len(open_items),
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
            for item in open_items
        ],
        aware=aware[0] if aware is not None else None,
        regimes=applying_regimes(document),
        notices=sent_notices(document),
    )


def facts_to_json(facts: DocumentFacts) -> list[Any]:
    """``facts`` as JSON values: an array of the fields in order, dates and times in ISO
    8601, durations in microseconds; the open follow-ups an array of arrays written as JSON
    text, which is decoded only for a view that lists them."""
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
        facts.open_follow_up_count,
        _json_text(
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
            ]
        ),
        _iso(facts.aware),
        facts.regimes,
        [[regime, step, _iso(time)] for regime, step, time in facts.notices],
    ]


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def facts_from_json(value: Any, *, follow_ups: bool = True) -> DocumentFacts:
    """The facts :func:`facts_to_json` gave; ValueError for anything else. Without
    ``follow_ups`` the open follow-ups are not read (only counted: for the index and the
    statistics). Checked field by field in line: a view reads the facts of every document
    of the repository."""
    if type(value) is not list or len(value) != 22:
        raise ValueError("not a document's facts")
    (
        id_, title, profile, status, severity, rank, incident_status, classification,
        exported, started, detect, acknowledge, mitigate, resolve,
        follow_ups_count, counted, done, open_count, written,
        aware, regimes, notices,
    ) = value  # fmt: skip
    if not (
        type(id_) is str
        and type(title) is str
        and type(profile) is str
        and profile in _PROFILES
        and type(status) is str
        and status in _STATUSES
        and (
            (severity is None and rank is None)
            or (type(severity) is str and type(rank) is int and _RANKS.get(severity) == rank)
        )
        and (
            incident_status is None
            or (type(incident_status) is str and incident_status in _INCIDENT_STATUSES)
        )
        and (
            classification is None
            or (type(classification) is str and classification in _CLASSIFICATIONS)
        )
        and type(exported) is bool
        and (started is None or type(started) is str)
        and type(follow_ups_count) is int
        and type(counted) is int
        and type(done) is int
        and type(open_count) is int
        and 0 <= done <= counted <= follow_ups_count
        and 0 <= open_count <= follow_ups_count
        and type(written) is str
        and (aware is None or type(aware) is str)
        and type(regimes) is list
        and all(type(name) is str for name in regimes)
        and type(notices) is list
    ):
        raise ValueError("not a document's facts")
    items = _decoded(written) if follow_ups else []
    if follow_ups and (type(items) is not list or len(items) != open_count):
        raise ValueError("not the open follow-ups")
    return DocumentFacts(
        id=id_,
        title=title,
        profile=profile,
        status=status,
        severity=severity,
        rank=rank,
        incident_status=incident_status,
        classification=classification,
        exported=exported,
        started=None if started is None else _moment(started),
        time_to_detect=_duration(detect),
        time_to_acknowledge=_duration(acknowledge),
        time_to_mitigate=_duration(mitigate),
        time_to_resolve=_duration(resolve),
        follow_ups=follow_ups_count,
        follow_ups_counted=counted,
        follow_ups_done=done,
        open_follow_up_count=open_count,
        open_follow_ups=list(map(_follow_up, items)),
        aware=None if aware is None else _moment(aware),
        regimes=regimes,
        notices=[_notice(item) for item in notices],
    )


def _notice(value: Any) -> Notice:
    if type(value) is not list or len(value) != 3:
        raise ValueError("not a notice")
    regime, step, time = value
    if type(regime) is not str or type(step) is not str or not (time is None or type(time) is str):
        raise ValueError("not a notice")
    return regime, step, None if time is None else _moment(time)


def _decoded(text: str) -> Any:
    """The JSON value ``text`` is, with no space around it (as :func:`_json_text` writes
    it): decoded without the look for space that costs ``json.loads`` a fifth of its time."""
    try:
        value, end = _DECODER.raw_decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if end != len(text):
        raise ValueError("text after the JSON value")
    return value


_DECODER = json.JSONDecoder()


def _follow_up(value: Any) -> FollowUpFacts:
    if type(value) is not list or len(value) != 8:
        raise ValueError("not a follow-up")
    line, kind, id_, action, owner, due, status, ticket = value
    if not (
        type(line) is int
        and line >= 0
        and type(kind) is str
        and kind in FOLLOW_UP_KINDS
        and (id_ is None or type(id_) is str)
        and type(action) is str
        and (owner is None or type(owner) is str)
        and (due is None or type(due) is str)
        and (status is None or (type(status) is str and status in _ACTION_STATUSES))
    ):
        raise ValueError("not a follow-up")
    return FollowUpFacts(
        line,
        kind,
        id_,
        action,
        owner,
        None if due is None else date.fromisoformat(due),
        status,
        None if ticket is None else _link(ticket),
    )


_RANKS = {severity.value: severity.rank for severity in Severity}
_PROFILES = frozenset(profile.value for profile in ProfileName)
_STATUSES = frozenset(status.value for status in DocumentStatus)
_INCIDENT_STATUSES = frozenset(status.value for status in IncidentStatus)
_CLASSIFICATIONS = frozenset(label.value for label in Classification)
_ACTION_STATUSES = frozenset(status.value for status in ActionStatus)


def _moment(text: str) -> datetime:
    """The moment ISO 8601 ``text`` gives, with its UTC offset: a document's moments all
    have one (a naive one cannot be compared with them); ValueError for anything else."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("not a moment with a UTC offset")
    return moment


def _duration(value: Any) -> timedelta | None:
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= _LONGEST:
        raise ValueError("not a duration")
    return _MICROSECOND * value  # (a third of the time of timedelta(microseconds=value))


_MICROSECOND = timedelta(microseconds=1)
_LONGEST = (datetime.max - datetime.min + timedelta(days=2)) // _MICROSECOND
"""The longest duration between two moments of a document, in microseconds: from the first
day of the calendar to the last, and a day's UTC offsets either side."""


def _link(value: Any) -> Link:
    if not (
        type(value) is list
        and len(value) == 2
        and type(value[0]) is str
        and (value[1] is None or type(value[1]) is str)
    ):
        raise ValueError("not a link")
    return Link(url=value[0], label=value[1])


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _microseconds(value: timedelta | None) -> int | None:
    return None if value is None else value // _MICROSECOND
