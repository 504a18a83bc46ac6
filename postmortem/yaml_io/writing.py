"""Writing a document as YAML text in the house style."""

import os
from typing import Any

from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
)

from postmortem.converter import (
    unstructure,
)
from postmortem.files import write_atomic
from postmortem.model import PostMortem
from postmortem.yaml_io.roundtrip import emit_tree

__all__ = [
    "dump",
    "dumps",
    "fits_literal_block",
    "yaml_value",
]


_UNICODE_LINE_BREAKS = frozenset("\x85\u2028\u2029")


def yaml_value(value: Any) -> Any:
    """Plain data prepared for writing: multi-line text as literal blocks."""
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
    """YAML text for ``doc``; empty optional sections are left out."""
    return emit_tree(yaml_value(unstructure(doc)))


def dump(doc: PostMortem, path: str | os.PathLike[str]) -> None:
    """Write ``doc`` to ``path`` atomically (see :func:`edit` to keep a person's formatting)."""
    write_atomic(path, dumps(doc))
