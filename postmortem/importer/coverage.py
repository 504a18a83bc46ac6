"""How much of a Markdown post-mortem an import typed and kept, counted in words.

A word is typed when it stands in a field of its meaning: in any value of the document but
``unmapped`` and the catch-all ``other_notes``, or in a heading, a front matter key or a
written time (``Jan 18 11:40 CET``) the import read into a field. A word is kept when the
document rendered back shows it, or when it is in such a heading, key or time, which the
rendering shows in the field's own words. Both are counted
against the words of the source, each word as often as the source has it.
"""

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import attrs

from postmortem.converter import format_duration
from postmortem.model import PostMortem

__all__ = ["UNTYPED_FIELDS", "Coverage", "coverage", "words"]

UNTYPED_FIELDS = frozenset({"unmapped", "other_notes"})
"""The sections that hold text without saying what it is."""

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> Counter[str]:
    """The words of ``text``, case folded, with how often each occurs."""
    return Counter(_WORD.findall(text.casefold()))


@attrs.frozen
class Coverage:
    """Words of a source, and how many of them the import typed and kept."""

    words: int
    typed: int
    kept: int

    @property
    def typed_share(self) -> float:
        return self.typed / self.words if self.words else 1.0

    @property
    def kept_share(self) -> float:
        return self.kept / self.words if self.words else 1.0

    def __add__(self, other: "Coverage") -> "Coverage":
        return Coverage(self.words + other.words, self.typed + other.typed, self.kept + other.kept)


def coverage(
    source: str,
    document: PostMortem,
    sections: tuple[tuple[str, str | None], ...],
    rendered: str,
) -> Coverage:
    """The coverage of ``source`` by the imported ``document``, whose headings went to
    ``sections`` (as :attr:`~postmortem.importer.Imported.sections` says) and which renders
    as ``rendered``."""
    found = words(source)
    typed = Counter[str]()
    for name in attrs.fields_dict(PostMortem):
        if name not in UNTYPED_FIELDS:
            for text in _texts(getattr(document, name)):
                typed.update(words(text))
    named = Counter[str]()
    for heading, field in sections:
        if field is not None:
            named.update(words(heading))
    return Coverage(
        words=found.total(),
        typed=(found & (typed + named)).total(),
        kept=(found & (words(rendered) + named)).total(),
    )


def _texts(value: Any) -> Iterator[str]:
    """Every piece of text in ``value``, as a person reads it."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Enum):
        yield str(value.value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _texts(getattr(value, field.name))
    elif isinstance(value, (datetime, date)):
        yield value.isoformat()
    elif isinstance(value, timedelta):
        yield format_duration(value)
    else:
        yield str(value)
