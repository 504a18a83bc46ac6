"""Values from the text a document writes them in: one reader for each type a field can have.

A reader takes the field's type, the text, and the :class:`Context` of the document (the
incident's day, for a time of day written alone); it returns plain data for the converter,
or raises for text the type cannot hold. Text that is only a template's placeholders reads as
nothing.
"""

import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from enum import Enum
from functools import cache
from typing import Any, get_args, get_origin

import attrs

from postmortem._typing import strip_optional
from postmortem.converter import format_duration, parse_duration, structure
from postmortem.importer.blocks import Block, Item, unescape
from postmortem.importer.vocabulary import normalize
from postmortem.model import Link, Money, Person
from postmortem.model.common import encode_url
from postmortem.patterns import compile_linear

__all__ = [
    "IMPORTED_TIME_ZONE",
    "INLINE_LINK",
    "Context",
    "block_text",
    "choice",
    "code_span_content",
    "ids",
    "link",
    "multiline",
    "named_field",
    "people",
    "person",
    "placeholder",
    "read_value",
    "us_date",
    "utc_as_offset",
    "without_hard_break",
    "without_offset",
]


IMPORTED_TIME_ZONE = "UTC"
"""The zone of the times an imported document writes without one and declares none for
(``metadata.time_zone``)."""


@attrs.frozen
class Context:
    """What a reader may need to know of the document beyond the text: the day (ISO) the
    incident started, on which a time of day written alone is taken, and the zone of a
    time written without one (the document's declared zone, or the one asked for)."""

    day: str | None = None
    zone: tzinfo | None = None


Reader = Callable[[Any, str, Context], Any]


def read_value(type_: Any, text: str, context: Context) -> Any:
    """``text`` as plain data of ``type_``; None for no text or only placeholders. Raises
    (ValueError, or the converter's error) for text that ``type_`` cannot hold."""
    type_ = strip_optional(type_)
    if not text or placeholder(text):
        return None
    return _reader(type_)(type_, text, context)


def _reader(type_: Any) -> Reader:
    """The reader of ``type_``: its own, else the one of its kind (lists, enumerations,
    records); dates and times are what is left."""
    reader = _READERS.get(type_)
    if reader is not None:
        return reader
    if get_origin(type_) is list:
        return _one_item_list
    if isinstance(type_, type) and issubclass(type_, Enum):
        return _enumeration
    if attrs.has(type_):
        return _first_field
    return _when


def _text(type_: Any, text: str, context: Context) -> str:
    return multiline(text)


def _flag(type_: Any, text: str, context: Context) -> bool:
    return text.lower() in ("yes", "true", "x", "[x]")


def _number(type_: Any, text: str, context: Context) -> int | float:
    number: int | float = type_(text.replace(",", ""))
    structure(number, type_)  # too large, NaN or infinite: kept, saying so
    return number


def _link(type_: Any, text: str, context: Context) -> dict[str, Any]:
    value = link(text)
    structure(value, Link)  # a ticket written as "PAY-301" is no link: say so
    return value


def _money(type_: Any, text: str, context: Context) -> dict[str, Any]:
    amount, _, currency = text.partition(" ")
    value = {"amount": float(amount.replace(",", "")), "currency": currency or "USD"}
    structure(value, Money)
    return value


def _person(type_: Any, text: str, context: Context) -> dict[str, str]:
    return person(text)


def _duration(type_: Any, text: str, context: Context) -> str:
    return format_duration(parse_duration(text))


def _one_item_list(type_: Any, text: str, context: Context) -> list[Any]:
    return [read_value(get_args(type_)[0], text, context)]


def _enumeration(type_: Any, text: str, context: Context) -> Any:
    return choice(type_, text)


def _first_field(type_: Any, text: str, context: Context) -> dict[str, str]:
    return {named_field(type_).name: text}


def named_field(type_: Any) -> "attrs.Attribute[Any]":
    """The field of a record that its text names when written alone: its first required
    field (an action item's action, a recommendation's title), else its first but its id."""
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(type_)
    required = [field for field in fields if field.default is attrs.NOTHING]
    return (required or [field for field in fields if field.metadata.get("format") != "id"])[0]


_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?(\s*UTC)?$")


def _when(type_: Any, text: str, context: Context) -> str:
    """A date or a time, as the converter reads it: ``4/20/24`` as the retrospective writes
    dates, ``08:40 UTC`` (a time of day alone, as template timelines write it) on the
    incident's day."""
    if _TIME_OF_DAY.match(text) and context.day is not None:
        text = f"{context.day} {text}"
    value = us_date(utc_as_offset(text))
    # Dates and times: the converter reads them, or says why not.
    read = structure(value, type_, time_zone=IMPORTED_TIME_ZONE)
    if isinstance(read, datetime) and without_offset(value) and context.zone is not None:
        return read.replace(tzinfo=context.zone).isoformat()
    return value


def without_offset(text: str) -> bool:
    """Whether ``text`` is a time written without its offset from UTC (a date has none)."""
    try:
        return len(text.strip()) > 10 and datetime.fromisoformat(text.strip()).tzinfo is None
    except ValueError:
        return False


_READERS: dict[Any, Reader] = {
    str: _text,
    bool: _flag,
    int: _number,
    float: _number,
    Link: _link,
    Money: _money,
    Person: _person,
    timedelta: _duration,
}


# What may be left around placeholders: separators, with one "UTC" or "or" among them. The
# separators before the word are in a group of their own, so that a long run of them is not
# split between two repeats in every way before the match fails.
_LEFT_AFTER_PLACEHOLDERS = re.compile(r"^(?:[\s|/(),.:;-]*(?:UTC|or))?[\s|/(),.:;\"-]*$")


def placeholder(text: str) -> bool:
    """Whether ``text`` is nothing but template placeholders: ``[Name]``, ``YYYY-MM-DD HH:MM``."""
    if not text.strip():
        return False
    rest = _placeholders().sub("", text)
    return rest != text and bool(_LEFT_AFTER_PLACEHOLDERS.match(rest))


@cache
def _placeholders() -> re.Pattern[str]:
    from postmortem.policy import DEFAULT_PLACEHOLDERS

    return re.compile("|".join(f"(?:{pattern})" for pattern in DEFAULT_PLACEHOLDERS))


def block_text(blocks: list[Block]) -> str:
    """The text of ``blocks`` as a text field holds it: paragraphs unescaped, list items as
    ``- item``, code as fenced; empty when it is only placeholders."""
    if blocks and all(block.kind == "code" for block in blocks):
        return "".join(block.text for block in blocks)  # verbatim, as fenced
    parts = []
    for block in blocks:
        if block.kind == "code":
            parts.append(block.text.rstrip("\n"))
        elif block.kind == "paragraph":
            parts.append("\n".join(unescape(line).strip() for line in block.text.split("\n")))
        elif block.kind == "list":
            parts.append("\n".join(_item_lines(item) for item in block.items))
        else:
            parts.append(block.raw)
    text = "\n\n".join(part for part in parts if part.strip())
    return "" if placeholder(text) else multiline(text)


def _item_lines(item: Item) -> str:
    """A list item as text: ``- item``, and its nested items below it, indented."""
    nested = "".join(f"\n  - {unescape(detail)}" for detail in item.details)
    return f"- {unescape(item.text)}{nested}"


def multiline(text: str) -> str:
    """Text of more than one line ends with a line break, as the YAML block scalars keep it."""
    return text + "\n" if "\n" in text else text


def choice(enum_type: type[Enum], text: str) -> Any:
    """An enum value written loosely (``complete``, ``in progress``); None for a template's
    list of choices (``Critical | High | Medium | Low``); ValueError if it is none of them."""
    values = {normalize(member.value): member.value for member in enum_type}

    def match(word: str) -> str | None:
        key = normalize(word)
        if key in values:
            return str(values[key])
        starts = [value for normal, value in values.items() if normal.startswith(key)]
        return starts[0] if len(starts) == 1 else None

    found = match(text)
    if found is not None:
        return found
    options = [part.strip() for part in re.split(r"[|/]", text) if part.strip()]
    if len(options) > 1 and sum(match(option) is not None for option in options) * 2 >= len(
        options
    ):
        return None
    raise ValueError(text)


def ids(text: str) -> list[str]:
    """``C1, C2``: the ids a table cell or a key line lists, as the layouts write them."""
    return [part.strip() for part in text.split(",") if part.strip()]


def us_date(text: str) -> str:
    """``4/20/24`` (month/day/year, as the retrospective template writes dates) -> ISO."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", text)
    if match is None:
        return text
    month, day, year = (int(part) for part in match.groups())
    return f"{year + 2000 if year < 100 else year:04d}-{month:02d}-{day:02d}"


def utc_as_offset(text: str) -> str:
    """``08:40 UTC`` -> ``08:40+00:00``."""
    return text[:-3].rstrip() + "+00:00" if text.endswith("UTC") else text


def without_hard_break(text: str) -> str:
    """A line's text without the backslash that ends it as a hard line break (an escaped
    backslash, an even run, is text)."""
    text = text.strip()
    trailing = len(text) - len(text.rstrip("\\"))
    return text[:-1].strip() if trailing % 2 else text


def code_span_content(text: str) -> str:
    """``command`` written as one inline code span: what is inside it (a space each side
    taken off); ``text`` as it is when it is not one span."""
    span = text.strip()
    fence = span[: len(span) - len(span.lstrip("`"))]
    if not fence or len(span) <= 2 * len(fence) or not span.endswith(fence):
        return text
    inside = span[len(fence) : -len(fence)]
    if inside.startswith("`") or inside.endswith("`"):
        return text  # the fences are not the same length: not one span
    return inside.removeprefix(" ").removesuffix(" ")


def people(text: str) -> list[str]:
    """``A (x, y), B; C | D`` -> ``A (x, y)``, ``B``, ``C``, ``D``: the people in a line,
    split at ``|``, ``;`` and at commas outside parentheses."""
    parts, start, depth = [], 0, 0
    for index, character in enumerate(text):
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character in "|;" or (character == "," and depth <= 0):
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return parts


_PERSON = compile_linear(
    r"^(?:(?P<role>[^()]+?)\s+[-\x{2013}]\s+)?(?P<name>[^()]+?)\s*(?:\((?P<contact>[^()]+)\))?$"
)


def person(text: str) -> dict[str, str]:
    """``Incident Commander - Rosa Diaz (rosa@example.com)``: role, name and contact."""
    match = _PERSON.search(text.strip())
    if match is None:
        return {"name": text.strip()}
    return {key: value for key, value in match.groupdict().items() if value}


# Patterns whose backtracking no rewriting removes run on RE2 (linear time): tried from every
# "[" or "(" of a line of them, these would each scan the rest of the line.
INLINE_LINK = compile_linear(r"\[[^\]]*\]\([^)]*\)|<https?://[^>]+>|https?://\S+")
_LINK = compile_linear(
    r"^\[(?P<label>.*)\]\((?:<(?P<url>[^<>]*)>|(?P<plain>[^()<>\s]*))\)$|^<(?P<bare>[^>]+)>$"
)


def link(text: str) -> dict[str, Any]:
    """A link from text already unescaped: ``[label](<url>)``, ``<url>`` or a bare URL."""
    match = _LINK.search(text.strip())
    if match is None:
        return {"url": text.strip()}
    if match["bare"]:
        return {"url": match["bare"]}
    url = match["plain"] if match["url"] is None else match["url"]
    found: dict[str, Any] = {"url": url}
    if match["label"] and encode_url(match["label"]) != url:  # a link shown as its URL
        found["label"] = match["label"]
    return found
