"""Where each element of a template lives in the model, and whether that home fits it.

An element resolves by meaning, in this order: a field of the home of the heading it stands
under, named by the element's words (``FIELD_WORDS``) or by the words themselves (``Due
Date`` in an action item table is ``due``, ``Owner`` is ``owner``); else the document-wide
vocabulary (``HEADING_PATTERNS`` and ``HEADINGS`` for headings, ``LABELS`` for the rest);
else, for a heading, the document's section of that name. A row label that is only a value
of its column (a role in the approvals table) lives in that column's text field; a checklist
item lives in its heading's list of checklist items or follow-ups.

A home fits when the element's words say what kind of value it holds and the home's type is
of that kind (see :class:`Kind`), and an enum home accepts every word the template prints
for it. Paths are written ``section.field``, with ``[]`` after a list whose items they enter.
"""

import enum
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, get_args, get_origin

import attrs

from postmortem._typing import strip_optional
from postmortem.model import ChecklistItem, FollowUp, Link, Money, PostMortem, ProfileName
from tests.templates import Element, Part, choices, normalize

__all__ = [
    "PROFILE_OF_TEMPLATE",
    "Home",
    "Kind",
    "Placement",
    "fits",
    "place",
    "problems",
    "walk",
]

PROFILE_OF_TEMPLATE = {
    "000_94c7b95eca517424.txt": ProfileName.RETROSPECTIVE,
    "001_3482386feb63f3b1.txt": ProfileName.SECURITY_POSTMORTEM,
    "002_31d474d2c48d911a.txt": ProfileName.SECURITY_INCIDENT_REPORT,
    "003_4fa6a3db9633e69c.txt": ProfileName.INCIDENT_RESPONSE_REPORT,
    "004_c542a0f23711f4f9.txt": ProfileName.POSTMORTEM,
}
"""The seed templates (``shared/seeds/README.md``) and the profile each one is."""

Paths = tuple[str, ...]

FIELD_WORDS: dict[str, Paths] = {
    "action item": ("action",),
    "action name": ("action",),
    "action owner": ("owner",),
    "approved recipients": ("recipients",),
    "compliance actions": ("actions",),
    "could we detect faster": ("could_detect_faster",),
    "credentials access used": ("credentials_used",),
    "cve numbers": ("cves",),
    "date": ("time",),
    "date time": ("time",),
    "deadline": ("due",),
    "detection opportunities": ("opportunities",),
    "due date": ("due",),
    "engineering time": ("engineering_hours", "hourly_rate"),
    "error messages logs": ("logs",),
    "estimated effort": ("effort",),
    "estimated resolution": ("due",),
    "existing runbook to update": ("runbooks_to_update",),
    "external communications": ("external",),
    "external notifications": ("external",),
    "external references": ("external",),
    "external resources": ("external",),
    "how detected": ("method",),
    "immediate actions": ("immediate",),
    "immediate response": ("checklist",),
    "internal communications": ("internal",),
    "internal notifications": ("internal",),
    "link to jira ticket": ("ticket",),
    "long term actions": ("long_term",),
    "new runbook needed": ("new_runbooks",),
    "no runbook changes needed": ("no_changes_needed",),
    "person team": ("actor",),
    "pr": ("pull_request",),
    "prevention measures": ("prevention",),
    "recommendation": ("action",),
    "relevant prs": ("related_prs",),
    "short term actions": ("short_term",),
    "specific action": ("action",),
    "time to detection": ("time_to_detect",),
    "total estimated cost": ("total",),
    "users affected": ("users_affected", "users_affected_percent"),
}
"""The templates' words for fields of the home they stand under, where they are not the
field's name (a word that names fields the home lacks falls through to the name itself)."""

HEADINGS: dict[str, Paths] = {
    "5 whys": ("root_cause.five_whys",),
    "action items followups": ("action_items",),
    "attack vector": ("root_cause.attack.initial_access",),
    "containment and remediation": ("response",),
    "contributing factors": ("root_cause.contributing_factors",),
    "cost analysis": ("cost",),
    "compliance and regulatory": ("compliance",),
    "direct costs": ("cost",),
    "document history": ("history",),
    "evidence preservation": ("evidence",),
    "executive summary": ("summary",),
    "financial": ("impact",),
    "follow up actions": ("follow_up",),
    "gaps identified": ("gaps",),
    "how did they get in": ("root_cause.attack.initial_access",),
    "how did they move": ("root_cause.attack.lateral_movement",),
    "how to use": ("guidance",),
    "immediate actions taken": ("summary.immediate_actions",),
    "impact assessment": ("impact",),
    "incident timeline": ("timeline.events",),
    "incident title": ("metadata.title",),
    "indicators of compromise": ("iocs",),
    "indirect costs": ("cost",),
    "key facts": ("impact",),
    "lessons for runbooks": ("runbooks",),
    "lessons learned": ("lessons",),
    "links": ("references",),
    "notification content": ("notifications.content",),
    "overview": ("guidance",),
    "post incident analysis": ("lessons",),
    "prevention measures": ("prevention_plan",),
    "primary cause": ("root_cause.causes",),
    "recommendation title": ("recommendations", "recommendations[].title"),
    "regulatory requirements": ("compliance",),
    "reputation": ("impact",),
    "response actions": ("response",),
    "retrospective authors": ("participants",),
    "root cause": ("root_cause",),
    "root cause analysis": ("root_cause.attack",),
    "summary of incident": ("summary",),
    "timeline": ("timeline.events",),
    "users": ("impact",),
    "what could be improved": ("lessons.went_wrong",),
    "what did they find": ("root_cause.attack.discovery",),
    "what did they take": ("root_cause.attack.impact",),
    "what didnt go well": ("lessons.went_wrong",),
    "what happened": ("summary.what_happened",),
    "what went ok": ("lessons.went_ok",),
    "what went well": ("lessons.went_well",),
    "what went wrong": ("lessons.went_wrong",),
    "when could we have detected it": ("root_cause.attack.detection_gaps",),
}
"""Headings by their normalized words: the first path is where what stands under the heading
lives, any further one what the heading's own words fill in."""

HEADING_PATTERNS: tuple[tuple[re.Pattern[str], Paths], ...] = (
    (re.compile(r"^phase \d+ "), ("timeline.events", "timeline.events[].phase")),
    (
        re.compile(r"^(critical|high|medium|low) priority$"),
        ("recommendations", "recommendations[].tier"),
    ),
)
"""Headings that name a value: an attack phase, a recommendation tier."""

LABELS: dict[str, Paths] = {
    "author": ("metadata.authors",),
    "authors": ("metadata.authors",),
    "ccpa notification required": ("compliance.ccpa_notification_required",),
    "classification": ("metadata.classification",),
    "contact": ("metadata.contact",),
    "created date": ("metadata.created",),
    "current status": ("metadata.incident_status",),
    "date": ("metadata.report_date",),
    "date created": ("metadata.created",),
    "date detected": ("metadata.lifecycle.detected",),
    "date resolved": ("metadata.lifecycle.resolved", "metadata.incident_status"),
    "detected": ("metadata.lifecycle.detected",),
    "detection date": ("metadata.lifecycle.detected",),
    "distribution": ("distribution.recipients",),
    "gdpr notification required": ("compliance.gdpr_notification_required",),
    "hh mm utc": ("timeline.events[].time", "timeline.events[].event"),
    "incident began": ("metadata.lifecycle.started",),
    "incident date": ("metadata.lifecycle.started",),
    "incident date s": ("metadata.lifecycle.started", "metadata.lifecycle.resolved"),
    "incident id": ("metadata.id",),
    "incident level": ("metadata.severity",),
    "incident log": ("metadata.incident_log",),
    "incident working document": ("metadata.working_document",),
    "last updated": ("metadata.updated",),
    "mitigation applied": ("metadata.lifecycle.mitigated",),
    "next review date": ("metadata.next_review",),
    "note": ("guidance",),
    "other regulatory notifications required": ("compliance.other_notifications",),
    "post mortem": ("metadata.title",),
    "report date": ("metadata.report_date",),
    "report prepared by": ("metadata.prepared_by",),
    "report version": ("metadata.version",),
    "resolved": ("metadata.lifecycle.resolved",),
    "response started": ("metadata.lifecycle.acknowledged",),
    "review date": ("metadata.next_review",),
    "root cause identified": ("metadata.lifecycle.root_cause_identified",),
    "severity": ("metadata.severity",),
    "slack channels": ("metadata.chat_channels",),
    "status": ("metadata.incident_status",),
    "tickets": ("metadata.tickets",),
    "time to detection": ("detection.time_to_detect",),
    "version": ("metadata.version",),
    "working folder": ("metadata.working_folder",),
}
"""Keys, columns, row labels and checklist items that live elsewhere than under their
heading: the header block's keys, the key facts, the fixed milestones of a timeline."""

GROUPS = frozenset({"appendices", "incident details"})
"""Headings that hold nothing but other headings, each with a home of its own."""

FURNITURE = frozenset({"security specialistoperations strategydevops"})
"""Words of the web page a template was copied from, not of the template: the catalogue
tags printed under the title of 004."""

_HORIZON_HEADING = re.compile(
    r"^(immediate|short-term|medium-term|long-term)( actions)?( \(.*\))?$", re.IGNORECASE
)


@attrs.frozen
class Home:
    """A field of the model, reached from :class:`PostMortem` by ``path``."""

    path: str
    attribute: "attrs.Attribute[Any]"

    @property
    def type(self) -> Any:
        return strip_optional(self.attribute.type)

    @property
    def value_type(self) -> Any:
        """The type of one value: a list's item type, else the field's type."""
        return get_args(self.type)[0] if get_origin(self.type) is list else self.type


def walk(path: str) -> Home:
    """The field at ``path``; ValueError saying where the path leaves the model."""
    current: Any = PostMortem
    steps = path.split(".")
    for number, step in enumerate(steps, 1):
        name = step.removesuffix("[]")
        if not attrs.has(current):
            raise ValueError(f"{path}: {current} has no fields")
        fields = attrs.fields_dict(current)
        if name not in fields:
            raise ValueError(f"{path}: no field {name!r} in {current.__name__}")
        home = Home(path, fields[name])
        if number == len(steps):
            return home
        is_list = get_origin(home.type) is list
        if is_list != step.endswith("[]"):
            raise ValueError(f"{path}: write {name}[] exactly where {name} is a list")
        current = home.value_type
    raise ValueError(f"{path}: empty path")


class Kind(enum.Enum):
    """What kind of value an element's words say it holds."""

    DATE = "a date or time"
    DURATION = "a duration"
    NUMBER = "a non-negative number"
    PERCENT = "a percentage, 0 to 100"
    CHOICE = "an enum"
    LINK = "a link"
    CHECKBOX = "a flag, checklist items or follow-ups"
    FOLLOW_UP = "a list of follow-ups"


_LABEL_WORDS = {
    Kind.DATE: r"\b(date|time|deadline|due|created|updated|when)\b|hh:mm",
    Kind.DURATION: r"\b(duration|time to|effort|retention|downtime|how long)\b",
    Kind.NUMBER: r"\b(number|count|records|users|hours|cost|fees|revenue|losses|funds)\b",
    Kind.PERCENT: r"percent",
    Kind.CHOICE: r"\b(status|severity|priority|level|sensitivity|tier|phase|classification)\b",
    Kind.LINK: r"\b(link|tickets?|dashboards?|url|references)\b",
}
"""Words of a key, column or row's column that say what it holds."""

_VALUE_SHAPES = {
    Kind.DATE: r"^\[?(YYYY-MM-DD|HH:MM|\d{1,2}/\d{1,2}/\d{2,4})",
    Kind.DURATION: r"\b(days|how long|downtime)\b",
    Kind.NUMBER: r"\$|\b(number|count|users|hours)\b",
    Kind.PERCENT: r"percent",
    Kind.LINK: r"\]\(|https?://|\blink\b",
}
"""What a value printed with an element looks like when it is of a kind."""

_OUTRANKS = {Kind.DURATION: {Kind.NUMBER, Kind.DATE}, Kind.NUMBER: {Kind.DATE}}
"""A duration counts hours or days and speaks of time; an amount of hours speaks of time."""


def kinds(element: Element) -> frozenset[Kind]:
    """The kinds of value ``element``'s words say it holds."""
    if element.part is Part.HEADING:
        return frozenset({Kind.FOLLOW_UP} if _HORIZON_HEADING.match(element.text) else ())
    if element.part in (Part.CHECKLIST, Part.OPTION):
        under_horizon = element.context and _HORIZON_HEADING.match(element.context[-1])
        return frozenset({Kind.FOLLOW_UP if under_horizon else Kind.CHECKBOX})
    label = (element.column if element.part is Part.ROW else element.text).lower()
    found = {kind for kind, words in _LABEL_WORDS.items() if re.search(words, label)}
    for value in element.values:
        found |= {kind for kind, shape in _VALUE_SHAPES.items() if re.search(shape, value, re.I)}
    for kind, lesser in _OUTRANKS.items():
        if kind in found:
            found -= lesser
    return frozenset(found)


def _rejects(home: Home, value: float) -> bool:
    validator: Callable[..., None] | None = home.attribute.validator
    if validator is None:
        return False
    try:
        validator(None, home.attribute, value)
    except ValueError:
        return True
    return False


def _is_time(type_: Any) -> bool:
    return set(get_args(type_) or (type_,)) <= {date, datetime}


def _is_enum(type_: Any) -> bool:
    return isinstance(type_, type) and issubclass(type_, enum.Enum)


def _is_follow_ups(home: Home) -> bool:
    item = home.value_type
    return get_origin(home.type) is list and isinstance(item, type) and issubclass(item, FollowUp)


def fits(kind: Kind, home: Home) -> bool:
    """Whether ``home`` holds a value of ``kind``."""
    value_type = home.value_type
    number = value_type in (int, float)
    checks = {
        Kind.DATE: lambda: _is_time(value_type),
        Kind.DURATION: lambda: value_type is timedelta,
        Kind.NUMBER: lambda: value_type is Money or (number and _rejects(home, -1)),
        Kind.PERCENT: lambda: number and _rejects(home, 420) and not _rejects(home, 42),
        Kind.CHOICE: lambda: _is_enum(value_type),
        Kind.LINK: lambda: value_type is Link,
        Kind.CHECKBOX: lambda: (
            home.type is bool or value_type is ChecklistItem or _is_follow_ups(home)
        ),
        Kind.FOLLOW_UP: lambda: _is_follow_ups(home),
    }
    return bool(checks[kind]())


_TYPED = (timedelta, int, float, bool, Money, Link)
"""Types of value, besides dates and times, that a home may only have when the element's
words say it holds one; text and structure hold anything."""


@attrs.frozen
class Placement:
    """An element and the paths of its homes: None where it has none, empty for a heading
    that holds only other headings and for a template's furniture."""

    element: Element
    paths: Paths | None


def _relative(context: str | None, key: str) -> Paths | None:
    """Fields of the home ``context`` that ``key`` names."""
    if context is None:
        return None
    home = walk(context)
    if not attrs.has(home.value_type):
        return None
    fields = attrs.fields_dict(home.value_type)
    prefix = f"{context}[]" if get_origin(home.type) is list else context
    for names in (FIELD_WORDS.get(key, ()), (key.replace(" ", "_"),)):
        if names and all(name in fields for name in names):
            return tuple(f"{prefix}.{name}" for name in names)
    return None


def _heading_paths(element: Element, key: str, context: str | None) -> Paths | None:
    if element.line == 1:
        return ("metadata.title",)  # a template's first line, when a heading, is its title
    if key in GROUPS or key in FURNITURE:
        return ()
    relative = _relative(context, key)
    if relative:
        return relative
    for pattern, paths in HEADING_PATTERNS:
        if pattern.match(key):
            return paths
    if key in HEADINGS:
        return HEADINGS[key]
    section = key.replace(" ", "_")
    return (section,) if section in attrs.fields_dict(PostMortem) else None


def _label_paths(element: Element, key: str, context: str | None) -> Paths | None:
    relative = _relative(context, key)
    if relative:
        return relative
    if key in LABELS:
        return LABELS[key]
    if element.part is Part.ROW:
        column = _relative(context, normalize(element.column))
        if column and all(walk(path).type is str for path in column):
            return column
    if element.part in (Part.CHECKLIST, Part.OPTION) and context is not None:
        home = walk(context)
        if home.value_type is ChecklistItem or _is_follow_ups(home):
            return (context,)
    return None


def place(elements: list[Element]) -> list[Placement]:
    """Each element with its homes, read in the template's order so that an element finds
    the home of the heading it stands under."""
    heading_homes: dict[tuple[str, ...], Paths] = {}
    placements = []
    for element in elements:
        under = heading_homes.get(element.context, ())
        context = under[0] if under else None
        key = normalize(element.text)
        if element.part is Part.HEADING:
            paths = _heading_paths(element, key, context)
            within = (*element.context, element.text)
            heading_homes[within] = paths or ()
        else:
            paths = _label_paths(element, key, context)
        placements.append(Placement(element, paths))
    return placements


def _words(element: Element) -> tuple[str, ...]:
    return tuple(word for value in element.values for word in choices(value))


def _enum_problem(
    element: Element, enum_type: type[enum.Enum], element_kinds: frozenset[Kind]
) -> str | None:
    values = [member.value for member in enum_type]
    if element.part is Part.HEADING:
        named = [
            value for value in values if re.search(rf"\b{re.escape(value)}\b", element.text, re.I)
        ]
        return None if len(named) == 1 else f"names {len(named)} of {enum_type.__name__}'s values"
    words = _words(element)
    refused = list(dict.fromkeys(word for word in words if word not in values))
    if refused:
        return f"{enum_type.__name__} refuses {refused} (it has {values})"
    if not words and Kind.CHOICE not in element_kinds:
        return f"nothing in its words makes it a choice, yet its home is {enum_type.__name__}"
    return None


def _fit_problems(element: Element, homes: list[Home]) -> Iterator[str]:
    element_kinds = kinds(element)
    for kind in [kind for kind in Kind if kind in element_kinds]:
        if not any(fits(kind, home) for home in homes):
            yield f"its words say {kind.value}, but no home is: {[home.path for home in homes]}"
    for home in homes:
        if _is_enum(home.value_type):
            problem = _enum_problem(element, home.value_type, element_kinds)
            if problem:
                yield f"{home.path}: {problem}"
        elif _needs_a_kind(element, home) and not any(fits(kind, home) for kind in element_kinds):
            yield f"{home.path} is {home.type}, which nothing in its words calls for"


def _needs_a_kind(element: Element, home: Home) -> bool:
    """Whether the element's words must say what ``home`` holds: they must for a typed value
    (a time, a number, a link, a flag), not for text or structure, nor for a heading over a
    list of values (a section of them, such as the attachments)."""
    if element.part is Part.HEADING and get_origin(home.type) is list:
        return False
    return home.value_type in _TYPED or _is_time(home.value_type)


def problems(placements: list[Placement]) -> list[str]:
    """What is wrong with the homes of a template's elements, one line each: an element with
    no home, a path the model lacks, a home of the wrong kind, an enum refusing a word."""
    found = []
    for placement in placements:
        element = placement.element
        if placement.paths is None:
            found.append(f"{element}: no home in the model")
            continue
        try:
            homes = [walk(path) for path in placement.paths]
        except ValueError as error:
            found.append(f"{element}: {error}")
            continue
        found += [f"{element}: {problem}" for problem in _fit_problems(element, homes)]
        if normalize(element.text) in GROUPS and element.part is Part.HEADING:
            found += [f"{element}: {problem}" for problem in _group_problems(element, placements)]
    return found


def _group_problems(group: Element, placements: list[Placement]) -> Iterator[str]:
    inside = (*group.context, group.text)
    under = [placement.element for placement in placements if placement.element.context == inside]
    if not under:
        yield "groups no headings"
    for element in under:
        if element.part is not Part.HEADING:
            yield f"groups headings only, yet holds {element.part.value} {element.text!r}"
