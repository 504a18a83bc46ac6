"""PM4xx: the record agrees with itself and with the policy: the timeline and the lifecycle
moments, ids and what refers to them, totals and their parts, causes and their categories,
the severity and the organisation's scale."""

import math
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from postmortem._shown import shown
from postmortem.checks.context import Context, RawFinding, Rule, is_empty
from postmortem.converter import FieldPath, format_duration
from postmortem.errors import Level
from postmortem.metrics import instant, milestones
from postmortem.model import AttackPhase, CauseCategory, DocumentStatus, Milestone, PostMortem
from postmortem.notifications import ClockState, applying_regimes, awareness, clocks
from postmortem.profiles import get_profile

__all__ = ["RULES", "TITLE", "check"]

TITLE = "consistency"

_HOOKS = ("completeness",)
RULES = (
    Rule(
        id="PM401",
        summary="the timeline is not in chronological order",
        hooks=_HOOKS,
        example="PM401 timeline.events[3].time: 2024-03-12 13:00:00+00:00 is earlier than "
        "events[2] (...)",
        fix="reorder the events or correct the time",
    ),
    Rule(
        id="PM402",
        summary="detected, acknowledged or mitigated before the moment it follows",
        hooks=_HOOKS,
        example="PM402 metadata.lifecycle.detected: detected 2024-03-12 13:00:00+00:00 before "
        "started 2024-03-12 14:03:00+00:00",
        fix="correct either time",
    ),
    Rule(
        id="PM403",
        summary="resolved or closed before the incident was detected or began",
        hooks=_HOOKS,
        example="PM403 metadata.lifecycle.resolved: resolved ... before detected ...",
        fix="correct either time",
    ),
    Rule(
        id="PM404",
        summary="time to detection disagrees with the timeline",
        hooks=_HOOKS,
        example="PM404 detection.time_to_detect: time to detection is 2h, but from incident "
        "start ... to detection ... is 6m",
        fix="make `time_to_detect` match, or correct the dates",
    ),
    Rule(
        id="PM405",
        summary="a Final document lacks an executive summary or a root cause",
        hooks=_HOOKS,
        example="PM405 root_cause: a Final document needs a root cause",
        fix="write them before marking the document Final",
    ),
    Rule(
        id="PM406",
        summary="two items of the document have the same id",
        hooks=_HOOKS,
        example="PM406 action_items[2].id: id 'F1' is also used at action_items[0]",
        fix="give each item its own id (`postmortem migrate` fills in missing ones)",
    ),
    Rule(
        id="PM407",
        summary="a follow-up addresses a cause id the document does not have",
        hooks=_HOOKS,
        example="PM407 action_items[0].addresses[0]: no cause has the id 'C9' (causes: C1, C2)",
        fix="name the id of a cause under root_cause.causes",
    ),
    Rule(
        id="PM408",
        summary="a cost total is not the sum of its parts",
        hooks=_HOOKS,
        example="PM408 cost.total: total 9000 is not the sum of its parts, 12300.0",
        fix="correct the total or the parts (hours x rate, cloud, consultants, legal, revenue)",
    ),
    Rule(
        id="PM409",
        summary="a root cause is human error",
        hooks=_HOOKS,
        level=Level.WARNING,
        example="PM409 root_cause.causes[0].description: 'human error' is not a root cause: "
        "ask why the system let the mistake happen",
        fix="name what made the mistake possible or its effect so large (a missing guard, "
        "an unclear runbook, a risky default)",
    ),
    Rule(
        id="PM410",
        summary="a cause's category is not in the taxonomy",
        hooks=_HOOKS,
        example="PM410 root_cause.causes[0].category: 'bad luck' is not a category: use one of "
        "change, configuration, ...",
        fix="use a category of the taxonomy, or add it to the policy's `cause_categories`",
    ),
    Rule(
        id="PM412",
        summary="a hop of the attacker's path names no affected system of the document",
        hooks=_HOOKS,
        example="PM412 root_cause.attack.lateral_movement.movement_path[1].system: no affected "
        "system has the id 'S9' (affected systems: S1, S2)",
        fix="name the id of an entry of `affected_systems` in the hop's `system`",
    ),
    Rule(
        id="PM413",
        summary="an attack phase's events run before the previous phase's",
        hooks=_HOOKS,
        example="PM413 timeline.events[1].time: Lateral Movement begins 2024-03-01 ... before "
        "Discovery/Reconnaissance begins 2024-03-02 ...",
        fix="correct the event's time or its `phase`",
    ),
    Rule(
        id="PM414",
        summary="a notification deadline was missed",
        hooks=_HOOKS,
        example="PM414 compliance.notices[0].time: GDPR notification sent 2024-03-12 10:00:00"
        "+00:00, after its deadline 2024-03-11 09:22:00+00:00",
        fix="record the notification and its reasons for delay; the finding stays as a record",
    ),
    Rule(
        id="PM415",
        summary="a notification deadline is near and nothing is notified yet",
        hooks=_HOOKS,
        level=Level.WARNING,
        example="PM415 metadata.lifecycle.aware: GDPR notification is due by 2024-03-11 "
        "09:22:00+00:00 and is not recorded as sent",
        fix="notify, and record it under `compliance.notices`",
    ),
    Rule(
        id="PM416",
        summary="a notice names a regime or step that neither the policy nor the built-ins have",
        hooks=_HOOKS,
        example="PM416 compliance.notices[0].regime: no notification regime 'GDRP' (regimes: "
        "GDPR, NIS2)",
        fix="use a built-in regime, or add it to the policy's `notification_regimes`",
    ),
    Rule(
        id="PM411",
        summary="no level of the organisation's severity scale covers the severity",
        hooks=_HOOKS,
        example="PM411 metadata.severity: no level of the policy's severity_levels covers "
        "'P3' (levels: SEV-1, SEV-2)",
        fix="add the severity to the `covers` of a level in the policy's `severity_levels`",
    ),
)

_TOLERANCE = timedelta(minutes=1)


def check(context: Context) -> Iterator[RawFinding]:
    yield from _chronological(context)
    yield from _key_dates(context)
    yield from _time_to_detection(context)
    yield from _final_has_summary_and_cause(context)
    yield from _unique_ids(context.document)
    yield from _addressed_causes(context.document)
    yield from _cost_total(context.document)
    yield from _causes(context)
    yield from _organisation_severity(context)
    yield from _attack_path(context.document)
    yield from _phases_in_order(context.document)
    yield from _notification_clocks(context)


def _chronological(context: Context) -> Iterator[RawFinding]:
    timeline = context.document.timeline
    if timeline is None:
        return
    previous: tuple[int, datetime] | None = None
    for index, event in enumerate(timeline.events):
        if event.time is None:
            continue
        moment = instant(event.time)
        same_day = isinstance(event.time, date) and not isinstance(event.time, datetime)
        if previous is not None and moment < previous[1] and not same_day:
            yield (
                ("timeline", "events", index, "time"),
                "PM401",
                f"{event.time} is earlier than events[{previous[0]}] ({previous[1]})",
            )
        previous = (index, moment)


_ORDER = (
    (Milestone.STARTED, Milestone.DETECTED, "PM402"),
    (Milestone.DETECTED, Milestone.ACKNOWLEDGED, "PM402"),
    (Milestone.STARTED, Milestone.MITIGATED, "PM402"),
    (Milestone.DETECTED, Milestone.RESOLVED, "PM403"),
    (Milestone.STARTED, Milestone.RESOLVED, "PM403"),
    (Milestone.RESOLVED, Milestone.CLOSED, "PM403"),
)
"""(earlier, later, rule): the moments that cannot come before the one they follow."""


def _key_dates(context: Context) -> Iterator[RawFinding]:
    moments = milestones(context.document)
    reported: set[Milestone] = set()
    for earlier, later, rule in _ORDER:
        first, then = getattr(moments, earlier.value), getattr(moments, later.value)
        if first is None or then is None or then >= first or later in reported:
            continue
        reported.add(later)
        message = f"{later.label} {then} before {earlier.label} {first}"
        yield _moment_path(context.document, later), rule, message


def _moment_path(document: PostMortem, milestone: Milestone) -> FieldPath:
    """Where the document gives ``milestone``: its lifecycle, or the timeline row marking it."""
    lifecycle = document.metadata.lifecycle
    if lifecycle is not None and lifecycle.moment(milestone) is not None:
        return ("metadata", "lifecycle", milestone.value)
    events = document.timeline.events if document.timeline is not None else []
    for index, event in enumerate(events):
        if event.milestone is milestone and event.time is not None:
            return ("timeline", "events", index, "time")
    return ("metadata", "lifecycle")


def _time_to_detection(context: Context) -> Iterator[RawFinding]:
    detection = context.document.detection
    if detection is None or detection.time_to_detect is None:
        return
    moments = milestones(context.document)
    began, detected = moments.started, moments.detected
    if began is None or detected is None:
        return
    expected = detected - began
    stated = detection.time_to_detect
    if abs(stated - expected) > max(_TOLERANCE, expected / 100):
        yield (
            ("detection", "time_to_detect"),
            "PM404",
            f"time to detection is {format_duration(stated)}, but from incident start {began} "
            f"to detection {detected} is {format_duration(abs(expected))}",
        )


def _final_has_summary_and_cause(context: Context) -> Iterator[RawFinding]:
    document = context.document
    if document.metadata.status is not DocumentStatus.FINAL:
        return
    withheld = set(document.metadata.withheld)  # an exported copy accounts for these
    if "summary" not in withheld and (document.summary is None or is_empty(document.summary.text)):
        yield ("summary",), "PM405", "a Final document needs an executive summary"
    shows_a_cause = "root_cause" in get_profile(document.profile).section_fields
    if shows_a_cause and "root_cause" not in withheld and is_empty(document.root_cause):
        yield ("root_cause",), "PM405", "a Final document needs a root cause"


def _identified(document: PostMortem) -> list[tuple[FieldPath, str]]:
    """(path of the item, id) of every list item with an id, in document order (metadata
    left out)."""
    found: list[tuple[FieldPath, str]] = []

    def walk(value: Any, path: FieldPath) -> None:
        names = _field_names(type(value))
        if names is not None:
            item_id = getattr(value, "id", None) if path and type(path[-1]) is int else None
            if isinstance(item_id, str):
                found.append((path, item_id))
            for name in names:
                inner = getattr(value, name)
                if isinstance(inner, list) or _field_names(type(inner)) is not None:
                    walk(inner, (*path, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    for name in _field_names(PostMortem) or ():
        if name != "metadata":
            walk(getattr(document, name), (name,))
    return found


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The attribute names of a model class in declared order; None for any other type."""
    if cls not in _FIELD_NAMES:
        names = tuple(field.name for field in attrs.fields(cls)) if attrs.has(cls) else None
        _FIELD_NAMES[cls] = names
    return _FIELD_NAMES[cls]


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _unique_ids(document: PostMortem) -> Iterator[RawFinding]:
    first_at: dict[str, FieldPath] = {}
    for path, item_id in _identified(document):
        if item_id in first_at:
            where = _shown_path(first_at[item_id])
            yield (*path, "id"), "PM406", f"id {shown(item_id)} is also used at {where}"
        else:
            first_at[item_id] = path


def _shown_path(path: FieldPath) -> str:
    from postmortem.converter import format_path

    return format_path(path)


def _addressed_causes(document: PostMortem) -> Iterator[RawFinding]:
    causes = document.root_cause.causes if document.root_cause is not None else []
    known = [cause.id for cause in causes if cause.id]
    listed = ", ".join(known) or "none has an id"
    for path, item in document.follow_ups():
        for index, cause_id in enumerate(item.addresses):
            if cause_id not in known:
                message = f"no cause has the id {shown(cause_id)} (causes: {listed})"
                yield (*path, "addresses", index), "PM407", message


def _cost_total(document: PostMortem) -> Iterator[RawFinding]:
    cost = document.cost
    if cost is None or cost.total is None or cost.parts_total is None:
        return
    if not math.isclose(cost.total, cost.parts_total, rel_tol=1e-9, abs_tol=0.01):
        message = f"total {cost.total:g} is not the sum of its parts, {cost.parts_total:g}"
        yield ("cost", "total"), "PM408", message


_BLAME = re.compile(
    r"\b(?:human|operator|user|engineer|developer|admin(?:istrator)?|manual)\s+"
    r"(?:error|mistake|failure|slip)s?\b|\bhuman\s+factors?\b|\bhuman\b$|\bcareless(?:ness)?\b",
    re.IGNORECASE,
)
"""Words that blame a person rather than name a cause; bounded alternatives, linear."""


def _causes(context: Context) -> Iterator[RawFinding]:
    root_cause = context.document.root_cause
    if root_cause is None:
        return
    categories = [category.value for category in CauseCategory]
    categories += [name for name in context.policy.cause_categories if name not in categories]
    for index, cause in enumerate(root_cause.causes):
        path = ("root_cause", "causes", index)
        blamed = _BLAME.search(cause.description)
        if blamed:
            message = (
                f"{shown(blamed.group(0))} is not a root cause: ask why the system let the "
                "mistake happen, or made it so costly"
            )
            yield (*path, "description"), "PM409", message
        if cause.category is not None and cause.category not in categories:
            allowed = ", ".join(categories)
            message = f"{shown(cause.category)} is not a category: use one of {allowed}"
            yield (*path, "category"), "PM410", message


def _organisation_severity(context: Context) -> Iterator[RawFinding]:
    severity = context.document.metadata.severity
    levels = context.policy.severity_levels
    if severity is None or not levels or context.policy.severity_level(severity) is not None:
        return
    names = ", ".join(level.name for level in levels)
    message = (
        f"no level of the policy's severity_levels covers {shown(severity.value)} (levels: {names})"
    )
    yield ("metadata", "severity"), "PM411", message


def _attack_path(document: PostMortem) -> Iterator[RawFinding]:
    attack = document.root_cause.attack if document.root_cause is not None else None
    lateral = attack.lateral_movement if attack is not None else None
    if lateral is None:
        return
    known = [system.id for system in document.affected_systems if system.id]
    listed = ", ".join(known) or "none has an id"
    # a profile without affected systems has none for a hop to name
    records_systems = "affected_systems" in get_profile(document.profile).section_fields
    for index, hop in enumerate(lateral.movement_path):
        path = ("root_cause", "attack", "lateral_movement", "movement_path", index)
        if is_empty(hop):  # an empty row, such as a scaffold's
            continue
        if hop.system is None and records_systems:
            yield path, "PM412", f"the hop names no affected system (affected systems: {listed})"
        elif hop.system is not None and hop.system not in known:
            message = (
                f"no affected system has the id {shown(hop.system)} (affected systems: {listed})"
            )
            yield (*path, "system"), "PM412", message


def _phases_in_order(document: PostMortem) -> Iterator[RawFinding]:
    """Each phase begins no earlier than the phase before it (of those the timeline has)."""
    events = document.timeline.events if document.timeline is not None else []
    beginnings: dict[AttackPhase, tuple[datetime, int]] = {}
    for index, event in enumerate(events):
        if event.phase is None or event.time is None:
            continue
        moment = (instant(event.time), index)
        if event.phase not in beginnings or moment[0] < beginnings[event.phase][0]:
            beginnings[event.phase] = moment
    previous: tuple[AttackPhase, datetime] | None = None
    for phase in AttackPhase:
        if phase not in beginnings:
            continue
        began, index = beginnings[phase]
        if previous is not None and began < previous[1]:
            message = (
                f"{phase.value} begins {events[index].time} before "
                f"{previous[0].value} begins {previous[1]}"
            )
            yield ("timeline", "events", index, "time"), "PM413", message
        else:
            previous = (phase, began)


def _notification_clocks(context: Context) -> Iterator[RawFinding]:
    document = context.document
    regimes = context.policy.regimes()
    steps = {regime.name: [step.name for step in regime.steps] for regime in regimes}
    notices = document.compliance.notices if document.compliance is not None else []
    for index, notice in enumerate(notices):
        path = ("compliance", "notices", index)
        if notice.regime not in steps:
            message = f"no notification regime {shown(notice.regime)} (regimes: {', '.join(steps)})"
            yield (*path, "regime"), "PM416", message
        elif notice.step not in steps[notice.regime]:
            known = ", ".join(steps[notice.regime])
            message = f"{notice.regime} has no step {shown(notice.step)} (steps: {known})"
            yield (*path, "step"), "PM416", message
    aware = awareness(document)
    if aware is None or not applying_regimes(document):
        return
    for clock in clocks(document, regimes, context.today):
        due = f"{clock.regime} {clock.step}"
        if clock.state is ClockState.MISSED and clock.notice is not None:
            message = f"{due} sent {clock.notified}, after its deadline {clock.deadline}"
            yield ("compliance", "notices", clock.notice, "time"), "PM414", message
        elif clock.state is ClockState.MISSED:
            message = f"{due} was due by {clock.deadline} and is not recorded as sent"
            yield aware[1], "PM414", message
        elif clock.approaching and clock.deadline is not None:
            message = f"{due} is due by {clock.deadline} and is not recorded as sent"
            yield aware[1], "PM415", message
