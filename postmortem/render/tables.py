"""Rows of plain values as a Markdown table, CSV or JSON, for the repository-wide views.

JSON holds the values exactly. CSV does too, but for text a spreadsheet would run as a
formula: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a ``'`` before it (OWASP, CSV injection), so that the spreadsheet shows it as text."""

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from json.encoder import encode_basestring
from typing import Any

from postmortem.converter import format_duration
from postmortem.model import Link
from postmortem.render.markdown import escape_cell

__all__ = ["format_rows", "json_text", "plain", "spreadsheet_text"]

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


def format_rows(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], output: str) -> str:
    """``rows`` as ``markdown``, ``csv`` or ``json`` with ``columns`` in that order. The rows
    are taken one at a time (a view of a large repository has many)."""
    if output == "json":  # as json_text writes the list of rows, one row at a time
        keys = ["\n    " + encode_basestring(column) + ": " for column in columns]
        items = [
            "  {"
            + ",".join(
                key + json_text(plain(row[column]), 2)
                for key, column in zip(keys, columns, strict=True)
            )
            + ("\n  }" if columns else "}")
            for row in rows
        ]
        return "[\n" + ",\n".join(items) + "\n]\n" if items else "[]\n"
    shown = ({column: plain(row[column]) for column in columns} for row in rows)
    if output == "csv":
        stream = io.StringIO()
        writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {column: spreadsheet_text(row[column]) for column in columns} for row in shown
        )
        return stream.getvalue()
    lines = [
        "| " + " | ".join(escape_cell(column.replace("_", " ")) for column in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in shown:
        cells = ("" if row[column] is None else str(row[column]) for column in columns)
        lines.append("| " + " | ".join(escape_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
