"""The one cattrs converter between plain data (as YAML or JSON gives it) and the model.

It is strict: a value of the wrong type is an error, never coerced (cattrs would by
default turn ``42`` into ``"42"`` and ``"no"`` into ``True``), unknown keys are
errors, and every problem in a document is reported with its field path.
"""

import contextlib
import math
import re
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_unstructure_fn, override

from postmortem._shown import shown
from postmortem._suggest import did_you_mean
from postmortem._typing import is_optional, strip_optional
from postmortem.model import Link, PostMortem, When, enums
from postmortem.model.indicators import LocatedProblem

__all__ = [
    "NUMBER_TOO_LARGE",
    "TICKET_KEY",
    "UNKNOWN_KEY",
    "WHOLE_NUMBER_RANGE",
    "FieldPath",
    "bounded_whole_number",
    "format_duration",
    "format_path",
    "parse_duration",
    "structure",
    "structure_problems",
    "ticket_link",
    "unstructure",
]

T = TypeVar("T")
FieldPath = tuple[str | int, ...]

UNKNOWN_KEY = "unknown key"
"""How a key the model does not have is reported (a suggestion may follow)."""

# A part starts where a number starts: tried inside a run of digits too, it would scan the
# rest of the run from every digit (quadratic in a long run).
_DURATION_PART = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*"
    r"(years?|y|weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])",
    re.IGNORECASE,
)
_ISO_DURATION = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)
WHOLE_NUMBER_RANGE = range(-(2**63), 2**63)
"""The whole numbers a document holds: those of 64 bits, as YAML and JSON tools hold them."""
NUMBER_TOO_LARGE = "number too large (a whole number has at most 64 bits)"
"""How a whole number out of :data:`WHOLE_NUMBER_RANGE` is reported, wherever it is found."""

_UNIT_SECONDS = {"y": 365 * 86400, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
"""Seconds per unit; a year is 365 days (a retention period, not a calendar year)."""
TICKET_KEY = re.compile(r"[A-Z][A-Z0-9_]+-\d+")
"""A ticket key such as ``PLAT-2231``, which the policy's ``ticket_url`` turns into a link."""

# The ticket URL pattern of the structuring under way: hooks are shared by every call, so
# the pattern one call was given reaches the Link hook this way (see ``structure``).
_ticket_url: ContextVar[str | None] = ContextVar("ticket_url", default=None)
_time_zone: ContextVar[tzinfo | None] = ContextVar("time_zone", default=None)
_attempt: ContextVar[bool | None] = ContextVar("attempt", default=None)
"""How mappings are structured now: None, not begun; True, in the quick attempt, which the
first problem anywhere abandons; False, in the one pass that collects every problem."""
"""The zone a time written without an offset is read in: the document's ``time_zone``."""

NO_TIME_ZONE = (
    "has no UTC offset and the document declares no time zone"
    " (write e.g. 14:30:00+00:00, or set metadata.time_zone: Europe/Berlin)"
)


class _ValueProblem(ValueError):
    """A value has the wrong type or form; the message is shown to the user as is."""


def bounded_whole_number(value: int) -> int:
    """``value`` if a document may hold it; ValueError with :data:`NUMBER_TOO_LARGE` if not."""
    if value in WHOLE_NUMBER_RANGE:
        return value
    raise ValueError(NUMBER_TOO_LARGE)


def _microseconds(number: str, unit: str) -> int:
    letter = "y" if unit[0] in "yY" else unit[0].lower()
    return int(Decimal(number) * _UNIT_SECONDS[letter] * 1_000_000)


def parse_duration(text: str) -> timedelta:
    """Parse ``2h 30m``, ``1d``, ``45s``, ``1w 2d``, ``2 weeks``, ``7 years`` (of 365 days)
    or ISO 8601 ``PT2H30M``."""
    compact = text.strip()
    iso = _ISO_DURATION.fullmatch(compact)
    if iso and compact.upper() not in ("P", "PT"):
        parts = [(number, unit) for unit, number in iso.groupdict().items() if number]
    else:
        parts = _DURATION_PART.findall(compact)
        if not parts or _DURATION_PART.sub("", compact).strip():
            raise _ValueProblem(
                f"not a duration: {shown(text)} (write e.g. '2h 30m', '1d' or 'PT45M')"
            )
    try:
        return timedelta(microseconds=sum(_microseconds(number, unit) for number, unit in parts))
    except OverflowError:
        raise _ValueProblem(f"duration too long: {shown(text)}") from None


_NO_TIME = timedelta(0)
_MICROSECOND = timedelta(microseconds=1)
_WRITTEN_UNITS = tuple((unit, _UNIT_SECONDS[unit] * 1_000_000) for unit in ("d", "h", "m"))


def format_duration(value: timedelta) -> str:
    """The compact form ``parse_duration`` reads back: ``1d 2h 30m``, ``0s`` for nothing."""
    if value < _NO_TIME:
        raise ValueError("durations cannot be negative")
    remaining = value // _MICROSECOND
    parts = []
    for unit, microseconds in _WRITTEN_UNITS:
        count, remaining = divmod(remaining, microseconds)
        if count:
            parts.append(f"{count}{unit}")
    seconds, micro = divmod(remaining, 1_000_000)
    if micro:
        parts.append(f"{seconds}.{micro:06d}".rstrip("0") + "s")
    elif seconds or not parts:
        parts.append(f"{seconds}s")
    return " ".join(parts)


def format_path(path: FieldPath) -> str:
    """``("action_items", 2, "owner")`` -> ``action_items[2].owner``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime | date):
        return "a date"
    return type(value).__name__


def _expect(kind: str, value: object) -> _ValueProblem:
    quoted = f" {shown(value)}" if isinstance(value, str | int | float) else ""
    return _ValueProblem(f"expected {kind}, found {_type_name(value)}{quoted}")


def _structure_str(value: object, str_type: type) -> str:
    if str_type is not str and issubclass(str_type, Enum):
        return _structure_enum(value, str_type)  # type: ignore[return-value]
    if not isinstance(value, str):
        raise _expect("a string", value)
    return str(value)


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _expect("a whole number", value)
    return bounded_whole_number(int(value))


def _structure_float(value: object, _: type) -> float:
    """A finite number: NaN and infinity have no JSON form and no meaning in a post-mortem."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _expect("a number", value)
    if isinstance(value, int):
        return float(bounded_whole_number(value))
    if math.isnan(value):
        raise _ValueProblem("not a number (.nan): write a number, or leave the field out")
    if math.isinf(value):
        raise _ValueProblem(
            f"number too large: {value!r} (a number's size is at most {sys.float_info.max:.1e})"
        )
    return float(value)


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _expect("true or false", value)
    return value


def _structure_enum(value: object, enum_type: type[Enum]) -> Enum:
    if isinstance(value, str):
        try:
            return enum_type(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in enum_type)
    if isinstance(value, str):
        choices = [str(member.value) for member in enum_type]
        suggestion = did_you_mean(value, choices)
        raise _ValueProblem(f"{shown(value)} is not one of: {allowed}{suggestion}")
    raise _expect(f"one of: {allowed}", value)


def _enum_value(member: Enum) -> Any:
    return member.value


def _vocabularies() -> list[type[Enum]]:
    return [getattr(enums, name) for name in enums.__all__]


def _aware(value: datetime) -> datetime:
    zone = value.tzinfo or _time_zone.get()
    if zone is None:
        raise _ValueProblem(f"{value.isoformat(' ')} {NO_TIME_ZONE}")
    fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    return datetime(*fields, value.microsecond, tzinfo=zone)


def _declared_zone(data: object) -> tzinfo | None:
    """The zone ``data`` declares in ``metadata.time_zone``; UTC when that is no zone (the
    model reports it, once, at that field)."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    name = metadata.get("time_zone") if isinstance(metadata, dict) else None
    if name is None:
        return None
    try:
        return ZoneInfo(name) if isinstance(name, str) else timezone.utc
    except (KeyError, ValueError, OSError):  # not found (a KeyError), malformed, unreadable
        return timezone.utc


def _from_iso(value: str) -> datetime | date:
    """The date, or the date and time (naive if written without an offset), of ``value``."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _ValueProblem(
            f"not a date or time: {shown(value)}"
            " (write e.g. 2024-05-01 or 2024-05-01 14:30:00+00:00)"
        ) from None


def _written_when(value: object) -> datetime | date:
    """A date, or a date and time as written (naive where it has no offset)."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        return _from_iso(value)
    raise _expect("a date or date and time", value)


def _structure_when(value: object, _: object) -> datetime | date:
    written = _written_when(value)
    if isinstance(written, datetime):
        return _aware(written)
    return date(written.year, written.month, written.day)


def _structure_datetime(value: object, _: type) -> datetime:
    written = _written_when(value)
    if not isinstance(written, datetime):
        raise _ValueProblem(f"expected a date and time, found only a date: {value}")
    return _aware(written)


def _structure_date(value: object, _: type) -> date:
    written = _written_when(value)
    if isinstance(written, datetime):
        raise _ValueProblem(f"expected a date, found a date and time: {value}")
    return date(written.year, written.month, written.day)


def _structure_duration(value: object, _: type) -> timedelta:
    if not isinstance(value, str):
        raise _expect("a duration such as '2h 30m'", value)
    return parse_duration(value)


def ticket_link(key: str, url_pattern: str) -> Link:
    """The link to ticket ``key``: ``url_pattern`` with its ``{key}`` replaced by the key,
    percent-encoded."""
    return Link(url=url_pattern.replace("{key}", quote(key, safe="")), label=key)


def _structure_link(value: object, _: type) -> Link:
    """A link from its mapping, from a URL alone, or from a ticket key through the pattern."""
    if isinstance(value, dict):
        return _structure_link_mapping(value, Link)  # type: ignore[no-any-return]
    if not isinstance(value, str):
        raise _expect("a URL, a ticket key or a mapping with url and label", value)
    if TICKET_KEY.fullmatch(value):
        url_pattern = _ticket_url.get()
        if url_pattern is None:
            raise _ValueProblem(
                f"{shown(value)} is a ticket key, not a link: set ticket_url in"
                " .postmortem.yaml (e.g. https://jira.example.com/browse/{key}) or write the URL"
            )
        return ticket_link(value, url_pattern)
    return Link(url=value)


def _strict_list(list_type: Any) -> Callable[[Any, Any], list[Any]]:
    (item_type,) = list_type.__args__
    structure_item = _converter.get_structure_hook(item_type)

    def structure_list(value: Any, _: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _expect("a list", value)
        result, errors = [], []
        for index, item in enumerate(value):
            try:
                result.append(structure_item(item, item_type))
            except Exception as error:
                if _attempt.get():
                    raise  # the quick attempt ends at the first problem
                note = IterableValidationNote(f"index {index}", index, item_type)
                error.__notes__ = [*getattr(error, "__notes__", []), note]  # type: ignore[attr-defined]
                errors.append(error)
        if errors:
            raise IterableValidationError(f"in {list_type}", errors, list_type)
        return result

    return structure_list


def _optional(union_type: Any) -> Callable[[Any, Any], Any]:
    inner_type = strip_optional(union_type)
    structure_inner = _converter.get_structure_hook(inner_type)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else structure_inner(value, inner_type)

    return structure_optional


def _omit_empty(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    """Unstructure ``cls`` leaving out fields that are None or empty lists by default, the
    others in the order the class declares them."""
    overrides = {}
    for field in attrs.fields(cls):
        default = field.default
        if default is None or getattr(default, "factory", None) is list:
            overrides[field.name] = override(omit_if_default=True)
    generated = make_dict_unstructure_fn(cls, _converter, **overrides)  # type: ignore[arg-type]
    declared = [field.name for field in attrs.fields(cls)]
    kept = [name for name in declared if name not in overrides]
    if kept + [name for name in declared if name in overrides] == declared:
        return generated
    # cattrs writes the fields it may omit after all the others (HistoryEntry's
    # ``changes`` before ``date``, TimelineEvent's ``event`` before ``time``).

    def in_declared_order(instance: Any) -> dict[str, Any]:
        data = generated(instance)
        return {name: data[name] for name in declared if name in data}

    return in_declared_order


def _strict_mapping(cls: type[Any]) -> Callable[[Any, Any], Any]:
    """Structure an attrs class from a mapping, collecting every problem with its key.

    Written out rather than generated by cattrs: generating and compiling a function
    per class costs more at start-up than a hook that checks one file takes in all.
    """
    declared = attrs.fields(cls)
    fields = [(field.name, field.type, field.default is attrs.NOTHING) for field in declared]
    by_name = {field.name: (field.type, field) for field in declared}
    required_names = frozenset(name for name, _, required in fields if required)
    names = frozenset(by_name)
    hooks: dict[str, Callable[[Any, Any], Any]] = {}

    def structure_mapping(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _expect("a mapping", value)
        attempt = _attempt.get()
        if attempt is False:
            return collected(value)
        if attempt is True:  # inside the quick attempt: a problem ends it
            return quickly(value)
        token = _attempt.set(True)
        try:
            with contextlib.suppress(Exception):  # and with it what the attempt made
                return quickly(value)
        finally:
            _attempt.reset(token)
        token = _attempt.set(False)  # one pass collects every problem, in declared order
        try:
            return collected(value)
        finally:
            _attempt.reset(token)

    def quickly(value: dict[Any, Any]) -> Any:
        """The keys a document writes, not every field the class declares (most are left
        out); any problem raises."""
        if not (value.keys() <= names and required_names <= value.keys()):
            raise _AttemptAbandoned
        return cls(**{key: structured(key, item) for key, item in value.items()})

    def structured(name: str, item: Any) -> Any:
        field_type, field = by_name[name]
        hook = hooks.get(name)
        if hook is None:
            hook = hooks[name] = _converter.get_structure_hook(field_type)
        result = hook(item, field_type)
        if field.validator is not None:
            field.validator(None, field, result)
        return result

    def collected(value: dict[Any, Any]) -> Any:
        arguments = {}
        errors: list[Exception] = []
        for name, field_type, required in fields:
            if name in value:
                try:  # a field's problem at its key, not the class's
                    arguments[name] = structured(name, value[name])
                except LocatedProblem as error:
                    errors.append(error.with_traceback(None))
                except Exception as error:  # kept for its message, not its frames
                    errors.append(_noted(error.with_traceback(None), name, field_type))
            elif required:
                errors.append(_noted(KeyError(name), name, field_type))
        extra = value.keys() - names
        if extra:
            errors.append(ForbiddenExtraKeysError("", cls, set(extra)))
        if not errors:
            try:
                return cls(**arguments)
            except (TypeError, ValueError) as error:
                errors.append(error)
        raise ClassValidationError(f"While structuring {cls.__name__}", errors, cls)

    return structure_mapping


class _AttemptAbandoned(Exception):
    """The quick attempt at structuring met something it leaves to the collecting pass."""


def _noted(error: Exception, name: str, field_type: Any) -> Exception:
    note = AttributeValidationNote(f"Structuring {name}", name, field_type)
    error.__notes__ = [*getattr(error, "__notes__", []), note]  # type: ignore[attr-defined]
    return error


_converter = cattrs.Converter()
_converter.register_structure_hook(str, _structure_str)
_converter.register_structure_hook(int, _structure_int)
_converter.register_structure_hook(float, _structure_float)
_converter.register_structure_hook(bool, _structure_bool)
_converter.register_structure_hook(datetime, _structure_datetime)
_converter.register_structure_hook(date, _structure_date)
_converter.register_structure_hook(timedelta, _structure_duration)
_converter.register_structure_hook_func(lambda t: t == When, _structure_when)
_converter.register_structure_hook_factory(is_optional, _optional)
_converter.register_structure_hook_factory(
    lambda t: getattr(t, "__origin__", None) is list, _strict_list
)
_converter.register_structure_hook_factory(attrs.has, _strict_mapping)
_structure_link_mapping = _strict_mapping(Link)
_converter.register_structure_hook(Link, _structure_link)
_converter.register_unstructure_hook(timedelta, format_duration)
# Enums whose members are strings reach _structure_str; unstructuring needs them by name.
for _enum in _vocabularies():
    _converter.register_unstructure_hook(_enum, _enum_value)
_converter.register_unstructure_hook_factory(attrs.has, _omit_empty)


def structure(
    data: object,
    cls: type[T] = PostMortem,  # type: ignore[assignment]
    *,
    ticket_url: str | None = None,
    time_zone: str | None = None,
) -> T:
    """Build a model object from plain data; raises a cattrs validation error on bad data.

    Where a link is expected, a string is its URL; a ticket key alone (``PLAT-2231``)
    becomes a link through ``ticket_url`` (``https://jira.example.com/browse/{key}``),
    and is an error without one. A time without a UTC offset is read in the zone of
    ``metadata.time_zone`` (else ``time_zone``), and is an error where neither is given. Use
    :func:`structure_problems` to turn an error into located field paths.
    """
    token = _ticket_url.set(ticket_url)
    declared = _declared_zone(data)
    zone_token = _time_zone.set(declared or (ZoneInfo(time_zone) if time_zone else None))
    try:
        return _converter.structure(data, cls)
    finally:
        _time_zone.reset(zone_token)
        _ticket_url.reset(token)


def unstructure(obj: object) -> Any:
    """Plain data (dicts, lists, scalars, dates) for a model object, leaving out empty fields."""
    return _converter.unstructure(obj)


def structure_problems(
    error: BaseException, path: FieldPath = ()
) -> Iterator[tuple[FieldPath, str]]:
    """Every (field path, message) inside a structuring error, in document order."""
    if isinstance(error, IterableValidationError):
        items, others = error.group_exceptions()
        for inner, item_note in items:
            yield from structure_problems(inner, (*path, item_note.index))
        for inner in others:
            yield from structure_problems(inner, path)
    elif isinstance(error, ClassValidationError):
        attributes, others = error.group_exceptions()
        for inner, attribute_note in attributes:
            yield from structure_problems(inner, (*path, attribute_note.name))
        for inner in others:
            yield from structure_problems(inner, path)
    elif isinstance(error, ForbiddenExtraKeysError):
        known = [field.name for field in attrs.fields(error.cl)]
        for key in sorted(error.extra_fields, key=str):
            yield (*path, key), UNKNOWN_KEY + did_you_mean(str(key), known)
    elif isinstance(error, KeyError):
        yield path, "required key is missing"
    elif isinstance(error, LocatedProblem):
        yield (*path, *error.path), str(error)
    elif isinstance(error, _ValueProblem | ValueError):
        yield path, str(error)
    elif isinstance(error, TypeError):
        yield path, f"wrong type: {error}"
    else:
        yield path, f"{type(error).__name__}: {error}"
