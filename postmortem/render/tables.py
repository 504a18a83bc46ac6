"""Rows of plain values as a Markdown table, CSV or JSON, for the repository-wide views.

JSON holds the values exactly. CSV does too, but for text a spreadsheet would run as a
formula: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a ``'`` before it (OWASP, CSV injection), so that the spreadsheet shows it as text."""

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from json.encoder import encode_basestring
from typing import Any

from postmortem.converter import format_duration
from postmortem.model import Link
from postmortem.render.markdown import escape_cell

__all__ = ["Cell", "format_rows", "json_text", "plain", "spreadsheet_text"]

_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A value as JSON, CSV and Markdown show it: dates in ISO form, durations as ``2h 30m``,
    links as their URL."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Link):
        return value.url
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    return value


def json_text(value: Any, depth: int = 0) -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=False)`` writes it, nested
    ``depth`` levels deep, at the speed of the C encoder: with an indent, ``json`` encodes
    in Python, value by value, which takes seconds for the views of a large repository."""
    if type(value) is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if isinstance(value, dict) and all(type(key) is str for key in value):
        if not value:
            return "{}"
        inner = "\n" + "  " * (depth + 1)
        items = (f"{_encode(key)}: {json_text(item, depth + 1)}" for key, item in value.items())
        return "{" + inner + ("," + inner).join(items) + "\n" + "  " * depth + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = "\n" + "  " * (depth + 1)
        items = (json_text(item, depth + 1) for item in value)
        return "[" + inner + ("," + inner).join(items) + "\n" + "  " * depth + "]"
    if isinstance(value, dict):  # keys json turns into text: its own encoder, indented
        return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)
    return _encode(value)


_encode = json.JSONEncoder(ensure_ascii=False).encode


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """A CSV cell's value, text that would start a formula prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


Cell = str | int | float | bool | None
"""A table's cell: a plain value (:func:`plain`)."""


def format_rows(
    rows: Iterable[Sequence[Cell]], columns: Sequence[str], output: str
) -> Iterator[str]:
    """``rows``, each its cells in the order of ``columns``, as ``markdown``, ``csv`` or
    ``json`` (a list of objects, as ``json.dumps(..., indent=2, ensure_ascii=False)`` writes
    it), a part of the text at a time: JSON a batch of rows at a time (a view of a large
    repository has many), the others at once."""
    if output == "json":
        yield from _json_rows(rows, columns)
        return
    if output == "csv":
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([spreadsheet_text(cell) for cell in row] for row in rows)
        yield stream.getvalue()
        return
    lines = [
        "| " + " | ".join(escape_cell(column.replace("_", " ")) for column in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        cells = ("" if cell is None else str(cell) for cell in row)
        lines.append("| " + " | ".join(escape_cell(cell) for cell in cells) + " |")
    yield "\n".join(lines) + "\n"


_BATCH = 1024
"""Rows encoded at a time: the encoded cells of a batch are held apart before they are
joined, and a view may have a hundred thousand rows of ten cells."""

_CELLS_ON_LINES = json.JSONEncoder(ensure_ascii=False, separators=("\n", ": "))
"""Encodes a list of cells one to a line: an encoded cell holds no line break (JSON escapes
one in text), so the lines of its encoding are the cells."""


def _json_rows(rows: Iterable[Sequence[Cell]], columns: Sequence[str]) -> Iterator[str]:
    """The rows as JSON objects: the cells of a batch encoded in one call of the C encoder
    (with an indent, ``json`` encodes in Python, value by value), each after its key."""
    if not columns:
        count = sum(1 for _ in rows)
        yield "[\n" + ",\n".join(["  {}"] * count) + "\n]\n" if count else "[]\n"
        return
    first_key = encode_basestring(columns[0]) + ": "
    keys = ["\n  },\n  {\n    " + first_key]  # the first key closes the row before
    keys += [",\n    " + encode_basestring(column) + ": " for column in columns[1:]]
    opening = "[\n  {\n    " + first_key
    remaining = iter(rows)
    while batch := list(itertools.islice(remaining, _BATCH)):
        cells = list(itertools.chain.from_iterable(batch))
        parts = [""] * (2 * len(cells))
        parts[0::2] = keys * len(batch)
        parts[1::2] = _CELLS_ON_LINES.encode(cells)[1:-1].split("\n")
        if opening:
            parts[0], opening = opening, ""
        yield "".join(parts)
    yield "[]\n" if opening else "\n  }\n]\n"
