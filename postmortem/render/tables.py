"""Rows of plain values as a Markdown table, CSV or JSON, for the repository-wide views.

JSON holds the values exactly. CSV does too, but for text a spreadsheet would run as a
formula: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a ``'`` before it (OWASP, CSV injection), so that the spreadsheet shows it as text."""

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from postmortem.converter import format_duration
from postmortem.model import Link
from postmortem.render.markdown import escape_cell

__all__ = ["format_rows", "plain"]


def plain(value: Any) -> Any:
    """A value as JSON, CSV and Markdown show it: dates in ISO form, durations as ``2h 30m``,
    links as their URL."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Link):
        return value.url
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    return value


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_text(value: Any) -> Any:
    """A CSV cell's value, text that would start a formula prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def format_rows(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], output: str) -> str:
    """``rows`` as ``markdown``, ``csv`` or ``json`` with ``columns`` in that order. The rows
    are taken one at a time (a view of a large repository has many)."""
    shown = ({column: plain(row[column]) for column in columns} for row in rows)
    if output == "json":
        # As json.dumps writes the whole list with indent=2, one row at a time.
        items = [
            "  " + json.dumps(row, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            for row in shown
        ]
        return "[\n" + ",\n".join(items) + "\n]\n" if items else "[]\n"
    if output == "csv":
        stream = io.StringIO()
        writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {column: _spreadsheet_text(row[column]) for column in columns} for row in shown
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
