"""Writing a document as YAML text in the house style.

The house style is what ruamel.yaml's round-trip emitter writes with this package's
settings (:func:`~postmortem.yaml_io.roundtrip.emit_tree`): two spaces per mapping level,
list items indented two more with their dash, multi-line text as literal blocks, every
string plain where YAML reads it back as the same string, else quoted as ruamel chooses.
That emitter costs tens of milliseconds for a document of a few pages, so a document is
written here directly, in linear time, the same to the byte; the rare value whose spelling
takes ruamel's care (a string that needs escapes other than a line break, a tab, a quote
or a backslash; one long enough to be folded; not-a-number; a list in a list)
has the whole document written by ruamel instead.
"""

import os
import re
from datetime import date, datetime
from typing import Any

from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from postmortem.converter import FieldPath, format_path, unstructure
from postmortem.errors import UsageError
from postmortem.files import write_atomic
from postmortem.model import PostMortem
from postmortem.yaml_io.reading import plain_tag
from postmortem.yaml_io.roundtrip import emit_tree

__all__ = ["dump", "dumps", "fits_literal_block", "refuse_unwritable_text", "yaml_value"]


_UNICODE_LINE_BREAKS = frozenset("\x85\u2028\u2029")


def yaml_value(value: Any) -> Any:
    """Plain data prepared for ruamel's emitter: multi-line text as literal blocks."""
    if isinstance(value, dict):
        return {key: yaml_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [yaml_value(item) for item in value]
    if isinstance(value, str) and fits_literal_block(value):
        return LiteralScalarString(value)
    if isinstance(value, str) and not _UNICODE_LINE_BREAKS.isdisjoint(value):
        return DoubleQuotedScalarString(value)  # ruamel writes these unescaped otherwise
    return value


def fits_literal_block(text: str) -> bool:
    if "\n" not in text.rstrip("\n") or text != text.lstrip(" \n") or not text.endswith("\n"):
        return False
    lines = text[:-1].split("\n")
    return all(line == line.rstrip(" \t") and line.isprintable() for line in lines) and not (
        text.endswith("\n\n")
    )


def dumps(doc: PostMortem) -> str:
    """YAML text for ``doc``; empty optional sections are left out. A :class:`UsageError`
    if a text in it holds what no file can (see :func:`refuse_unwritable_text`)."""
    data = unstructure(doc)
    try:
        return "".join(_mapping_lines(data, 0, ""))
    except _RuamelsCare:
        refuse_unwritable_text(data)
        return emit_tree(yaml_value(data))


def refuse_unwritable_text(data: Any) -> None:
    """A :class:`UsageError` at the first text of ``data`` (plain data) that holds a lone
    surrogate: what an undecodable byte of a command-line argument or a file name becomes
    in Python, and what no UTF-8 file holds (YAML would write an escape it cannot read)."""
    pending: list[tuple[FieldPath, Any]] = [((), data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            found = _LONE_SURROGATE.search(value)
            if found is not None:
                where = format_path(path) or "the document"
                raise UsageError(
                    f"{where}: holds U+{ord(found.group()):04X}, which is no character (an"
                    " undecodable byte of an argument or a file name?); not written"
                )
        elif isinstance(value, dict):
            pending += reversed([((*path, key), item) for key, item in value.items()])
        elif isinstance(value, list):
            pending += reversed([((*path, index), item) for index, item in enumerate(value)])


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dump(doc: PostMortem, path: str | os.PathLike[str]) -> None:
    """Write ``doc`` to ``path`` atomically (see :func:`edit` to keep a person's formatting)."""
    write_atomic(path, dumps(doc))


class _RuamelsCare(Exception):
    """A value this writer leaves to ruamel's emitter."""


_LONGEST = 2000
"""Longest text written here: ruamel folds a line past its width (4096) at a space."""
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHITE = "\0 \t\r\n\x85\u2028\u2029"
# What ruamel's emitter takes for characters it must escape (allow_unicode is on).
_SPECIAL = re.compile("[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|\ufeff")
_BREAKS = "\n\x85\u2028\u2029"
# Where a plain scalar would read as structure: ": " or " #" inside, or a ":" at the end.
_INNER_INDICATOR = re.compile(f"(?<=.):(?:[{_WHITE}]|$)|[{_WHITE}]#", re.DOTALL)
_DOUBLE_QUOTED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}
_ESCAPED = re.compile(r'[\\"\n\t]')


def _mapping_lines(mapping: dict[Any, Any], indent: int, first: str) -> list[str]:
    """The lines of a block mapping whose keys are at column ``indent``; the first line
    starts with ``first`` (a list item's dash) instead of the indentation."""
    lines: list[str] = []
    pad = " " * indent
    for key, value in mapping.items():
        if type(key) is not str or not _KEY.fullmatch(key):
            raise _RuamelsCare
        start = first if not lines else pad
        if isinstance(value, dict) and value:
            lines.append(f"{start}{key}:\n")
            lines += _mapping_lines(value, indent + 2, " " * (indent + 2))
        elif isinstance(value, list) and value:
            lines.append(f"{start}{key}:\n")
            lines += _sequence_lines(value, indent + 2)
        elif isinstance(value, str) and fits_literal_block(value):
            lines.append(f"{start}{key}: |\n")
            lines += [f"{pad}  {line}\n" if line else "\n" for line in value[:-1].split("\n")]
        else:
            scalar = _scalar(value, indent + len(key) + 2)
            lines.append(f"{start}{key}: {scalar}\n" if scalar else f"{start}{key}:\n")
    return lines


def _sequence_lines(items: list[Any], indent: int) -> list[str]:
    """The lines of a block sequence whose dashes are at column ``indent``."""
    lines: list[str] = []
    dash = " " * indent + "- "
    for item in items:
        if isinstance(item, dict) and item:
            lines += _mapping_lines(item, indent + 2, dash)
        elif isinstance(item, list | dict) or (isinstance(item, str) and fits_literal_block(item)):
            raise _RuamelsCare
        else:
            lines.append(f"{dash}{_scalar(item, indent + 2)}\n")
    return lines


def _scalar(value: Any, column: int) -> str:
    """``value`` as ruamel writes it in a block collection, starting at ``column``."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        written = repr(value).lower()
        if plain_tag(written).trval != "tag:yaml.org,2002:float":  # nan and inf
            raise _RuamelsCare
        return written
    if type(value) is datetime:
        return value.isoformat(" ")
    if type(value) is date:
        return value.isoformat()
    if type(value) is dict or type(value) is list:
        return "{}" if type(value) is dict else "[]"
    if type(value) is not str or column + len(value) > _LONGEST:
        raise _RuamelsCare
    return _string(value)


def _string(text: str) -> str:
    """How ruamel's emitter spells ``text`` outside flow collections (see its
    ``analyze_scalar`` and ``choose_scalar_style``)."""
    if not _UNICODE_LINE_BREAKS.isdisjoint(text):
        raise _RuamelsCare
    if _SPECIAL.search(text):
        if _SPECIAL.search(text.replace("\t", " ")):
            raise _RuamelsCare
        return _double_quoted(text)
    if text and _plain_allowed(text) and plain_tag(text).trval == "tag:yaml.org,2002:str":
        return text
    if "'" in text or "\n" in text:
        return _double_quoted(text)
    return f"'{text}'"


def _plain_allowed(text: str) -> bool:
    """Whether ruamel may write ``text`` (one line, no special characters) unquoted."""
    if "\n" in text or text[0] in " " or text[-1] in " ":
        return False
    first = text[0]
    followed_by_white = len(text) == 1 or text[1] in _WHITE
    return not (
        text.startswith(("---", "..."))
        or first in "#,[]{}&*!|>'\"%@`"
        or (first in "?:-" and followed_by_white)
        or _INNER_INDICATOR.search(text)
    )


def _double_quoted(text: str) -> str:
    return '"' + _ESCAPED.sub(lambda found: _DOUBLE_QUOTED_ESCAPES[found.group()], text) + '"'
