"""PM2xx: required sections filled, no placeholders left, action items owned and dated."""

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, get_args, get_origin

import attrs

from postmortem._shown import shown
from postmortem._typing import strip_optional
from postmortem.checks.context import Context, RawFinding, Rule, is_empty
from postmortem.converter import FieldPath
from postmortem.errors import Level
from postmortem.metrics import follow_up_kind
from postmortem.model import PostMortem, Recommendation
from postmortem.patterns import Pattern, PatternError, compile_linear
from postmortem.profiles import get_profile

__all__ = ["RULES", "TITLE", "check"]

TITLE = "completeness"

_HOOKS = ("completeness",)
RULES = (
    Rule(
        id="PM201",
        summary="a section the profile requires at this status is missing or empty",
        hooks=_HOOKS,
        example="PM201 timeline: required section is missing (postmortem profile, status Final)",
        fix="fill the section in, or keep the document in Draft",
    ),
    Rule(
        id="PM202",
        summary="text left over from a template (placeholder)",
        hooks=_HOOKS,
        example="PM202 summary.text: placeholder left from the template: 'YYYY-MM-DD'",
        fix="replace the placeholder with the real value",
    ),
    Rule(
        id="PM203",
        summary="an action item or recommendation has no owner",
        hooks=_HOOKS,
        example="PM203 action_items[1].owner: action item 'Add disk alerts' has no owner",
        fix="name a person or team in `owner`",
    ),
    Rule(
        id="PM204",
        summary="an action item or recommendation has no deadline",
        hooks=_HOOKS,
        example="PM204 action_items[1]: action item 'Add disk alerts' has no deadline",
        fix="set `due: YYYY-MM-DD`",
    ),
    Rule(
        id="PM205",
        summary="an action item or recommendation has no status",
        hooks=_HOOKS,
        example="PM205 action_items[1]: action item 'Add disk alerts' has no status",
        fix="set `status: Open` (or another status)",
    ),
    Rule(
        id="PM206",
        summary="an open follow-up (action item, recommendation, response action, horizon "
        "item) is past its deadline",
        hooks=_HOOKS,
        level=Level.WARNING,
        example="PM206 action_items[0].due: action item 'Rotate keys' is Open and 12 days past "
        "its deadline 2024-05-01",
        fix="finish it, or move the deadline; `levels: {PM206: error}` in the policy makes it fail",
    ),
)


def check(context: Context) -> Iterator[RawFinding]:
    yield from _required_sections(context)
    # All the patterns search the whole text at once first; only those found there are
    # looked for value by value (all at once, in one pass), to name the field.
    patterns = context.policy.placeholder_patterns()
    if patterns and _finder(tuple(pattern.pattern for pattern in patterns))(context.text):
        found = [pattern for pattern in patterns if pattern.search(context.text)]
        any_found = _finder(tuple(pattern.pattern for pattern in found))
        yield from _placeholders(context.data, (), found, any_found)
    yield from _owned_and_dated(context)


@cache
def _finder(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether any of ``patterns`` matches a text: one search for them all together, or one
    for each where RE2 cannot hold them together in one program."""
    try:
        together = compile_linear("|".join(f"(?:{pattern})" for pattern in patterns))
    except PatternError:
        each = [compile_linear(pattern) for pattern in patterns]
        return lambda text: any(pattern.search(text) for pattern in each)
    return lambda text: together.search(text) is not None


def _required_sections(context: Context) -> Iterator[RawFinding]:
    document = context.document
    profile = get_profile(document.profile)
    required = context.policy.sections_required(
        document.profile, document.metadata.status, profile.required_for(document.metadata.status)
    )
    withheld = set(document.metadata.withheld)  # an exported copy accounts for these
    status = document.metadata.status.value
    where = f"({profile.name.value} profile, status {status})"
    for section in required:
        if section in withheld:
            continue
        value = getattr(document, section)
        if is_empty(value):
            state = "missing" if section not in context.data else "empty"
            yield (section,), "PM201", f"required section is {state} {where}"
            continue
        for name in profile.required_fields_of(section):
            if is_empty(getattr(value, name)):
                yield (section, name), "PM201", f"required field is missing {where}"


def _placeholders(
    value: Any, path: FieldPath, patterns: list[Pattern], any_found: Callable[[str], bool]
) -> Iterator[RawFinding]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _placeholders(item, (*path, key), patterns, any_found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _placeholders(item, (*path, index), patterns, any_found)
    elif isinstance(value, str) and any_found(value) and not _verbatim(path):
        for pattern in patterns:
            match = pattern.search(value)
            if match:
                placeholder = match.group(1) if pattern.groups else match.group(0)
                yield path, "PM202", f"placeholder left from the template: {shown(placeholder)}"
                break


def _verbatim(path: FieldPath) -> bool:
    """Machine text (logs, commands) and indicators: brackets and capitals there are data."""
    return _is_verbatim_field(tuple(step for step in path if isinstance(step, str)))


@cache
def _is_verbatim_field(names: tuple[str, ...]) -> bool:
    current: Any = PostMortem
    field = None
    for name in names:
        current = strip_optional(current)
        if get_origin(current) is list:
            current = strip_optional(get_args(current)[0])
        if not attrs.has(current):
            return False
        field = attrs.fields_dict(current).get(name)
        if field is None:
            return False
        current = field.type
    return field is not None and bool(field.metadata.get("verbatim"))


def _owned_and_dated(context: Context) -> Iterator[RawFinding]:
    """Action items and recommendations need an owner, a deadline and a status; no open
    follow-up, wherever the document tracks it, may be past its deadline."""
    document = context.document
    for row, item in document.follow_ups():
        if is_empty(item):
            continue
        name = item.title if isinstance(item, Recommendation) else item.action
        what = f"{follow_up_kind(row)} {shown(name)}"
        if row[0] in _OWNED:
            if not (item.owner or "").strip():
                yield _at(context, row, "owner"), "PM203", f"{what} has no owner"
            if item.due is None:
                yield _at(context, row, "due"), "PM204", f"{what} has no deadline"
            if item.status is None:
                yield _at(context, row, "status"), "PM205", f"{what} has no status"
        is_open = item.status is None or item.status.is_open
        if is_open and item.due is not None and item.due < context.today:
            late = (context.today - item.due).days
            state = item.status.value if item.status is not None else "open"
            message = f"{what} is {state} and {late} days past its deadline {item.due}"
            yield (*row, "due"), "PM206", message


_OWNED = ("action_items", "recommendations")
"""Where every follow-up must have an owner, a deadline and a status."""


def _at(context: Context, row: FieldPath, key: str) -> FieldPath:
    """The row's ``key`` if the file has it (even empty), else the row itself."""
    entry: Any = context.data
    for step in row:
        if isinstance(entry, dict) and isinstance(step, str):
            entry = entry.get(step)
        elif isinstance(entry, list) and isinstance(step, int) and step < len(entry):
            entry = entry[step]
        else:
            return row
    return (*row, key) if isinstance(entry, dict) and key in entry else row
