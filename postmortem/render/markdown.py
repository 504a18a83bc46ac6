"""Markdown for model values: escaping, and the body of any section, driven by its type.

Every piece of user text passes through one of the escapes here, so that what a
person typed is shown as text: pipes do not split table cells, a leading ``#``
does not make a heading, HTML does not render, and the import reads it back.
"""

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, get_args, get_origin

import attrs

from postmortem._typing import strip_optional
from postmortem.converter import format_duration
from postmortem.model import ActionStatus, ChecklistItem, FollowUp, Link, Money
from postmortem.model.common import LEAD_FIELDS, encode_url, field_label

__all__ = [
    "STILL_TO_WRITE",
    "code_cell",
    "escape_block",
    "escape_cell",
    "escape_inline",
    "escape_line",
    "format_value",
    "link",
    "markdown_text",
    "render_value",
]

# Characters that can start or change inline Markdown anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]<|~&!#])")
# What turns the start of a line into a block: headings, quotes, list items,
# thematic breaks, setext underlines, numbered items, fences, tables.
_LINE_START = re.compile(r"^(\s*)(?:([#>+=:-]|~~~|```)|(\d+)([.)]))")


def markdown_text(text: str) -> str:
    """Text as Markdown can carry it: line breaks as ``\\n`` (a lone carriage return is one in
    Markdown) and NUL as U+FFFD, as CommonMark requires."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


def escape_inline(text: str) -> str:
    """Text safe inside a line (after a label, in a heading or a table cell); its line breaks
    as ``<br>``."""
    lines = markdown_text(text).strip("\n").split("\n")
    return "<br>".join(_INLINE.sub(r"\\\1", line) for line in lines)


def escape_line(text: str) -> str:
    """One line of text that starts a line (a paragraph line or a list item); its indentation
    is dropped, as Markdown would otherwise read four spaces as code."""
    return _LINE_START.sub(_escape_line_start, escape_inline(text.lstrip(" \t")), count=1)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    if marker is not None:
        return f"{indent}\\{marker}"
    return f"{indent}{number}\\{delimiter}"  # "1\." : a backslash before a digit would show


def escape_block(text: str) -> str:
    """Text of one or more lines as paragraphs; a blank line separates paragraphs."""
    lines = markdown_text(text).strip("\n").split("\n")
    return "\n".join(escape_line(line) if line.strip() else "" for line in lines)


def escape_cell(text: str) -> str:
    """Text for a table cell: escaped inline, and a blank for nothing."""
    return escape_inline(text) or " "


def code_cell(text: str) -> str:
    """Text for a table cell shown exactly as written and never as a link (an indicator of
    compromise, a command): each line an inline code span, which no Markdown renderer reads
    markup in or links (autolinks and GitHub's bare URLs included); lines joined by ``<br>``;
    ``|`` escaped, which GFM unescapes inside code spans in a table."""
    lines = markdown_text(text).strip("\n").split("\n")
    shown = "<br>".join(_code_span(line).replace("|", "\\|") if line else "" for line in lines)
    return shown or " "


def _code_span(text: str) -> str:
    """``text`` as an inline code span: its fence longer than any run of backticks in it, and
    padded with a space where CommonMark strips one (or a backtick would join the fence)."""
    fence = "`" * (_longest_backticks(text) + 1)
    padded = text.startswith("`") or text.endswith("`")
    padded = padded or (text.startswith(" ") and text.endswith(" ") and bool(text.strip(" ")))
    pad = " " if padded else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def link(url: str, label: str | None) -> str:
    """A Markdown link to ``url`` showing ``label`` (the URL when it has nothing to show),
    escaped so that nothing in either can end the link, the table cell or the line: the
    destination in ``<...>``, encoded, with ``&`` escaped (it would start a character
    reference)."""
    shown = label if label is not None and label.strip() else url
    destination = encode_url(url).replace("&", "\\&")
    return f"[{escape_inline(shown)}](<{destination}>)"


def format_value(value: Any) -> str:
    """A scalar as text a person reads and the import parses back."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _inline(value: Any) -> str:
    """A value on one line: links as Markdown links, money with its currency."""
    if isinstance(value, Link):
        return link(value.url, value.label)
    if isinstance(value, Money):
        return f"{format_value(value.amount)} {escape_inline(value.currency)}"
    if isinstance(value, str):
        return escape_inline(value)
    return escape_inline(format_value(value))


def _cell(value: Any, verbatim: bool) -> str:
    if value is None:
        return " "
    if isinstance(value, str):
        return code_cell(value) if verbatim else escape_cell(value)
    if isinstance(value, list):  # ids a follow-up addresses
        return ", ".join(_cell(item, verbatim) for item in value) or " "
    return _inline(value)


def _is_inline_type(type_: Any) -> bool:
    return type_ in (Link, Money) or not (attrs.has(type_) or get_origin(type_) is list)


def render_value(
    value: Any,
    type_: Any,
    level: int,
    *,
    verbatim: bool = False,
    labels: dict[str, str] | None = None,
    draft: bool = False,
) -> str:
    """The Markdown body of a section or field holding ``value`` of ``type_``;
    nested sections get headings of ``level``; ``labels`` renames an object's fields. In a
    ``draft``, an empty section shows its subsections' headings and :data:`STILL_TO_WRITE`,
    so that reviewers see the gaps."""
    type_ = strip_optional(type_)
    if value is None or value == []:
        return _still_to_write(type_, level) if draft else ""
    if verbatim:
        return _fenced(str(value))
    if get_origin(type_) is list:
        return _render_list(value, get_args(type_)[0], level)
    if attrs.has(type_) and type_ not in (Link, Money):
        return _render_object(value, level, labels or {})
    if isinstance(value, str):
        return escape_block(value)
    return _inline(value)


STILL_TO_WRITE = "_Still to write._"
"""What a draft shows under a section nobody has written yet; the import reads it as nothing."""


def _still_to_write(type_: Any, level: int) -> str:
    """An empty section of a draft: the marker, then the heading of each of its subsections
    (its lists and records) with the marker under it."""
    parts = [STILL_TO_WRITE]
    if attrs.has(type_) and not _is_inline_type(type_):
        for field in attrs.fields(type_):
            inner = strip_optional(field.type)
            if not _is_inline_type(inner) and not field.metadata.get("verbatim"):
                heading = f"{'#' * level} {escape_inline(field_label(field))}"
                parts.append(f"{heading}\n\n{_still_to_write(inner, level + 1)}")
    return "\n\n".join(parts)


def _render_list(values: list[Any], item_type: Any, level: int) -> str:
    if item_type is ChecklistItem:
        return "\n".join(
            f"- [{'x' if item.done else ' '}] {escape_line(item.item)}" for item in values
        )
    if item_type is FollowUp and all(_fits_a_checklist(item) for item in values):
        return "\n".join(_checklist_line(item) for item in values)  # a horizon's checklist
    if attrs.has(item_type) and item_type is not Link:
        required = [
            (field.name, field_label(field))
            for field in attrs.fields(item_type)
            if field.default is attrs.NOTHING
        ]
        return table(values, required)
    return "\n".join(
        f"- {_inline(item) if not isinstance(item, str) else escape_line(item)}" for item in values
    )


_CHECKLIST_SEPARATORS = ("; ", ": ", "(", ")", "\n", "<br>")


def _fits_a_checklist(item: FollowUp) -> bool:
    """Whether a checklist line can hold the item so that it reads back as it is: its
    details hold none of the characters that separate them; else the list is a table."""
    details = _checklist_details(item)
    return not item.action.rstrip().endswith(")") and not any(
        separator in text for text in details.values() for separator in _CHECKLIST_SEPARATORS
    )


def _checklist_details(item: FollowUp) -> dict[str, str]:
    implied = {ActionStatus.COMPLETED, None}  # what the box says
    return {
        field.name: _cell(getattr(item, field.name), False)
        for field in attrs.fields(type(item))
        if field.name != "action"
        and not (field.name == "status" and item.status in implied)
        and not _empty(getattr(item, field.name))
    }


def _checklist_line(item: FollowUp) -> str:
    """``- [x] action (owner: ...; due: ...)``: ticked when done, its other fields after it."""
    done = item.status is not None and item.status.is_done
    details = [f"{name}: {text}" for name, text in _checklist_details(item).items()]
    suffix = f" ({'; '.join(details)})" if details else ""
    return f"- [{'x' if done else ' '}] {escape_line(item.action)}{suffix}"


def table(rows: list[Any], columns: Sequence[tuple[str, str | None]]) -> str:
    """A GFM table of ``rows`` with ``columns`` (field, heading) in that order; any other field
    that holds a value in some row is added at the end, so that nothing is dropped. A column
    whose heading is None is shown by the layout elsewhere (a phase as a subheading). A row
    with nothing in it is not shown."""
    rows = [row for row in rows if any(not _empty(value) for value in attrs.astuple(row))]
    if not rows:
        return ""
    fields = attrs.fields_dict(type(rows[0]))
    unknown = next((name for name, _ in columns if name not in fields), None)
    if unknown is not None:
        raise ValueError(f"a {type(rows[0]).__name__} has no field {unknown!r}")
    named = {name for name, _ in columns}
    columns = [(name, heading) for name, heading in columns if heading is not None]
    extra: list[tuple[str, str | None]] = [
        (field.name, "ID" if field.name == "id" else field_label(field))
        for field in fields.values()
        if field.name not in named and any(not _empty(getattr(row, field.name)) for row in rows)
    ]
    shown = [*columns, *extra]
    verbatim = {name for name, _ in shown if fields[name].metadata.get("verbatim")}
    lines = [
        "| " + " | ".join(escape_cell(heading or "") for _, heading in shown) + " |",
        "|" + "|".join("---" for _ in shown) + "|",
    ]
    lines += [
        "| " + " | ".join(_cell(getattr(row, name), name in verbatim) for name, _ in shown) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == "" or value is False


def _render_object(value: Any, level: int, labels: dict[str, str]) -> str:
    """Labelled fields first, then nested sections under headings: a label after a nested
    heading would read as part of that section."""
    parts = []
    nested = []
    for index, field in enumerate(attrs.fields(type(value))):
        item = getattr(value, field.name)
        if item is None or item == [] or item == "" or (item is False and field.default is False):
            continue
        if index == 0 and field.name in LEAD_FIELDS and isinstance(item, str):
            parts.append(escape_block(item))
            continue
        type_ = strip_optional(field.type)
        label = escape_inline(labels.get(field.name) or field_label(field))
        verbatim = bool(field.metadata.get("verbatim"))
        if attrs.has(type_) and not _is_inline_type(type_):
            nested.append(
                f"{'#' * level} {label}\n\n{render_value(item, type_, level + 1)}".rstrip()
            )
        elif _is_inline_type(type_) and not verbatim and not _is_multiline(item):
            parts.append(f"**{label}**: {_inline(item)}")
        else:
            parts.append(
                f"**{label}**:\n\n{render_value(item, type_, level + 1, verbatim=verbatim)}"
            )
    return "\n\n".join([*parts, *nested])


def _is_multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in markdown_text(value)


def _fenced(text: str) -> str:
    fence = "`" * max(3, _longest_backticks(text) + 1)
    return f"{fence}\n{text.rstrip(chr(10))}\n{fence}"
