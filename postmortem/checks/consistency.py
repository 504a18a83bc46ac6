"""PM4xx: the timeline and the key dates agree with each other."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from postmortem.checks.context import Context, RawFinding, Rule, is_empty
from postmortem.converter import format_duration
from postmortem.metrics import instant, milestones
from postmortem.model import DocumentStatus
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
        summary="detected before the incident began",
        hooks=_HOOKS,
        example="PM402 metadata.detected: detected 2024-03-12 13:00 before the incident began "
        "2024-03-12 14:03",
        fix="correct either date",
    ),
    Rule(
        id="PM403",
        summary="resolved before the incident was detected or began",
        hooks=_HOOKS,
        example="PM403 metadata.resolved: resolved ... before the incident detected ...",
        fix="correct either date",
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
)

_TOLERANCE = timedelta(minutes=1)


def check(context: Context) -> Iterator[RawFinding]:
    yield from _chronological(context)
    yield from _key_dates(context)
    yield from _time_to_detection(context)
    yield from _final_has_summary_and_cause(context)


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


def _key_dates(context: Context) -> Iterator[RawFinding]:
    metadata = context.document.metadata
    began, detected, resolved = metadata.incident_start, metadata.detected, metadata.resolved
    if began is not None and detected is not None and instant(detected) < instant(began):
        yield (
            ("metadata", "detected"),
            "PM402",
            f"detected {detected} before the incident began {began}",
        )
    for name, earlier in (("detected", detected), ("began", began)):
        if resolved is not None and earlier is not None and instant(resolved) < instant(earlier):
            message = f"resolved {resolved} before the incident {name} {earlier}"
            yield ("metadata", "resolved"), "PM403", message
            break


def _time_to_detection(context: Context) -> Iterator[RawFinding]:
    detection = context.document.detection
    if detection is None or detection.time_to_detect is None:
        return
    moments = milestones(context.document)
    began, detected = moments.began, moments.detected
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
    causes = {"root_cause", "attack_analysis"}
    shows_a_cause = causes & set(get_profile(document.profile).section_fields)
    if (
        shows_a_cause
        and not causes & withheld
        and is_empty(document.root_cause)
        and is_empty(document.attack_analysis)
    ):
        yield ("root_cause",), "PM405", "a Final document needs a root cause"
