"""Small value types shared by many sections, and the field helpers the model is written with."""

from datetime import date, datetime
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import attrs

from postmortem._shown import shown

__all__ = [
    "ChecklistItem",
    "Link",
    "Money",
    "Person",
    "When",
    "describe",
    "items",
    "optional",
    "verbatim",
]

When: TypeAlias = datetime | date
"""A point in time: a timezone-aware datetime, or a date where only the day is known."""


def optional(doc: str) -> Any:
    """A field that may be left out; ``doc`` explains it in the schema and scaffolds."""
    return attrs.field(default=None, metadata={"doc": doc})


def verbatim(doc: str) -> Any:
    """An optional text field holding machine output (logs, code, commands), kept as written."""
    return attrs.field(default=None, metadata={"doc": doc, "verbatim": True})


def items(doc: str) -> Any:
    """A list field that defaults to empty."""
    return attrs.field(factory=list, metadata={"doc": doc})


def describe(doc: str, **kwargs: Any) -> Any:
    """A field with its own default or none, and a doc string."""
    return attrs.field(metadata={"doc": doc}, **kwargs)


def _check_url(instance: object, attribute: "attrs.Attribute[str]", value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and not parts.netloc:
        raise ValueError(f"not a URL: {shown(value)} has no host")
    if not parts.scheme and not value.startswith(("./", "../", "/", "#")):
        raise ValueError(
            f"not a URL: {shown(value)} (want https://..., mailto:..., or a relative path)"
        )


@attrs.define(kw_only=True)
class Link:
    """A URL with an optional label, such as a ticket, a dashboard or a working document.

    A document may write it as the URL alone, or as a ticket key alone (``PLAT-2231``)
    where the repository policy sets ``ticket_url``.
    """

    url: str = describe(
        "https://..., mailto:... or a path relative to the document", validator=_check_url
    )
    label: str | None = optional("text shown for the link, e.g. a ticket key")


@attrs.define(kw_only=True)
class Person:
    """Somebody who wrote, owns, approves or took part: a name, and a role and contact."""

    name: str = describe("full name, team name or @handle")
    role: str | None = optional("role in the incident or organisation")
    contact: str | None = optional("e-mail address, chat handle or phone")


@attrs.define(kw_only=True)
class ChecklistItem:
    """One line of a checklist: what, and whether it is done."""

    item: str = describe("what is to be checked")
    done: bool = describe("whether it is done", default=False)


@attrs.define(kw_only=True)
class Money:
    """An amount of money in one currency."""

    amount: float = describe("the amount")
    currency: str = describe("ISO 4217 code", default="USD")
