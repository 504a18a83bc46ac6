"""Notification clocks: the regimes that set deadlines for telling an authority of an
incident (GDPR, NIS2, or the policy's own), and where each deadline of a document stands.

A clock runs from the moment the organisation became aware of the incident (the
lifecycle's ``aware``, else ``detected``), or from the notice of an earlier step; it is met
when the step was notified by its deadline, missed when notified late or not at all by
then, and pending before; a pending deadline is approaching in the last quarter of its
period.
"""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from enum import Enum

import attrs

from postmortem.converter import FieldPath
from postmortem.metrics import instant
from postmortem.model import Milestone, PostMortem
from postmortem.model.common import describe, optional

__all__ = [
    "BUILT_IN_REGIMES",
    "Clock",
    "ClockState",
    "Notice",
    "NotificationRegime",
    "NotificationStep",
    "applying_regimes",
    "awareness",
    "clocks",
    "deadlines",
    "regime_problems",
    "sent_notices",
]


@attrs.define(kw_only=True)
class NotificationStep:
    """One notification a regime demands, and its deadline."""

    name: str = describe("the step, e.g. early warning, notification, final report")
    within: timedelta = describe("how long after the clock starts it is due, e.g. 72h")
    after: str | None = optional(
        "the step whose notice starts this clock (else the moment of awareness)"
    )


@attrs.define(kw_only=True)
class NotificationRegime:
    """A law or contract that demands notifications within deadlines."""

    name: str = describe("the regime, e.g. GDPR, NIS2 or a contract's name")
    steps: list[NotificationStep] = describe("the notifications it demands, in order")


BUILT_IN_REGIMES = (
    NotificationRegime(
        name="GDPR",
        steps=[NotificationStep(name="notification", within=timedelta(hours=72))],
    ),
    NotificationRegime(
        name="NIS2",
        steps=[
            NotificationStep(name="early warning", within=timedelta(hours=24)),
            NotificationStep(name="notification", within=timedelta(hours=72)),
            NotificationStep(name="final report", within=timedelta(days=30), after="notification"),
        ],
    ),
)
"""GDPR art. 33 (72 hours from awareness) and NIS2 art. 23 (an early warning within 24
hours, the notification within 72, a final report one month, taken as 30 days, after the
notification); a policy regime of the same name replaces one."""


def regime_problems(regimes: list[NotificationRegime]) -> list[tuple[FieldPath, str]]:
    """(path under ``notification_regimes``, message) for each regime named twice, each
    step named twice in its regime (a notice could not say which it is), each deadline that
    is not in the future, and each ``after`` naming no earlier step."""
    problems: list[tuple[FieldPath, str]] = []
    names: set[str] = set()
    for index, regime in enumerate(regimes):
        path: FieldPath = ("notification_regimes", index)
        if regime.name in names:
            problems.append(((*path, "name"), f"the regime {regime.name!r} is defined twice"))
        names.add(regime.name)
        earlier: list[str] = []
        for place, step in enumerate(regime.steps):
            where = (*path, "steps", place)
            if step.within <= timedelta(0):
                problems.append(((*where, "within"), "the deadline must be after its start"))
            if step.name in earlier:
                message = f"the step {step.name!r} is defined twice in {regime.name!r}"
                problems.append(((*where, "name"), message))
            if step.after is not None and step.after not in earlier:
                known = ", ".join(earlier) or "none"
                message = f"no earlier step {step.after!r} to count from (earlier: {known})"
                problems.append(((*where, "after"), message))
            earlier.append(step.name)
    return problems


class ClockState(str, Enum):
    """Where a deadline stands: notified in time, missed (late, or not sent in time), or
    still running."""

    MET = "met"
    MISSED = "missed"
    PENDING = "pending"


@attrs.frozen(kw_only=True)
class Clock:
    """Where one deadline of one document stands."""

    regime: str
    step: str
    deadline: datetime | None
    """None where the clock has not started (an earlier step not yet notified), or ends
    past the last moment a datetime holds."""
    notified: datetime | None
    notice: int | None
    """Index of the notice under ``compliance.notices``, if one was sent."""
    state: ClockState
    approaching: bool = False


def awareness(document: PostMortem) -> tuple[datetime, FieldPath] | None:
    """When the organisation became aware of the incident, and where the document says so:
    the lifecycle's ``aware``, else ``detected`` (or a timeline row marking either)."""
    lifecycle = document.metadata.lifecycle
    events = document.timeline.events if document.timeline is not None else []
    for milestone in (Milestone.AWARE, Milestone.DETECTED):
        written = lifecycle.moment(milestone) if lifecycle is not None else None
        if written is not None:
            return instant(written), ("metadata", "lifecycle", milestone.value)
        for index, event in enumerate(events):
            if event.milestone is milestone and event.time is not None:
                return instant(event.time), ("timeline", "events", index, "time")
    return None


def applying_regimes(document: PostMortem) -> list[str]:
    """The regimes the document says apply: those listed, those notified under, and GDPR
    where a GDPR notification is required."""
    compliance = document.compliance
    if compliance is None:
        return []
    names = list(compliance.regimes)
    names += [notice.regime for notice in compliance.notices]
    if compliance.gdpr_notification_required:
        names.append("GDPR")
    return list(dict.fromkeys(names))


def clocks(document: PostMortem, regimes: list[NotificationRegime], today: date) -> Iterator[Clock]:
    """Every deadline of the regimes that apply to ``document`` and are in ``regimes``."""
    aware = awareness(document)
    moment = aware[0] if aware is not None else None
    yield from deadlines(moment, applying_regimes(document), sent_notices(document), regimes, today)


Notice = tuple[str, str, datetime | None]
"""A notice as the clocks read it: its regime, its step and when it was sent."""


def sent_notices(document: PostMortem) -> list[Notice]:
    """The document's notices as the clocks read them, in their order."""
    notices = document.compliance.notices if document.compliance is not None else []
    return [
        (notice.regime, notice.step, instant(notice.time) if notice.time else None)
        for notice in notices
    ]


def deadlines(
    aware: datetime | None,
    applying: list[str],
    notices: list[Notice],
    regimes: list[NotificationRegime],
    today: date,
) -> Iterator[Clock]:
    """Every deadline of the ``applying`` regimes that are in ``regimes``, for an incident
    the organisation became aware of at ``aware`` that sent ``notices`` (in their order)."""
    if aware is None:
        return
    now = instant(today)
    by_name = {regime.name: regime for regime in regimes}
    for name in applying:
        regime = by_name.get(name)
        if regime is None:
            continue
        sent: dict[str, datetime] = {}
        for step in regime.steps:
            notice, notified = next(
                (
                    (index, time)
                    for index, (notice_regime, notice_step, time) in enumerate(notices)
                    if notice_regime == name and notice_step == step.name and time
                ),
                (None, None),
            )
            if notified is not None:
                sent[step.name] = notified
            start = sent.get(step.after) if step.after is not None else aware
            deadline = _due(start, step.within) if start is not None else None
            if notified is not None:
                late = deadline is not None and notified > deadline
                state = ClockState.MISSED if late else ClockState.MET
            elif deadline is not None and now > deadline:
                state = ClockState.MISSED
            else:
                state = ClockState.PENDING
            approaching = (
                state is ClockState.PENDING
                and deadline is not None
                and deadline - now < step.within / 4
            )
            yield Clock(
                regime=name,
                step=step.name,
                deadline=deadline,
                notified=notified,
                notice=notice,
                state=state,
                approaching=approaching,
            )


def _due(start: datetime, within: timedelta) -> datetime | None:
    """``start + within``; None where that is past the last moment a datetime holds (a
    start near the year 9999, a policy's deadline of millions of days): no day of the
    calendar is after it, so it is never missed nor near."""
    try:
        return start + within
    except OverflowError:
        return None
