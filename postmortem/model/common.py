"""Small value types shared by many sections, and the field helpers the model is written with."""

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Any, TypeAlias
from urllib.parse import quote, urlsplit

import attrs

from postmortem._shown import shown
from postmortem.model.indicators import (
    TECHNIQUE,
    LocatedProblem,
    check_tactic,
    check_technique,
)

__all__ = [
    "LEAD_FIELDS",
    "ChecklistItem",
    "Link",
    "Money",
    "Person",
    "When",
    "describe",
    "encode_url",
    "field_label",
    "items",
    "optional",
    "verbatim",
]

When: TypeAlias = datetime | date
"""A point in time: a timezone-aware datetime, or a date where only the day is known."""


def _metadata(doc: str, label: str | None, **flags: bool) -> dict[str, Any]:
    """A field's metadata: its doc string, its label where the name in words is not it."""
    return {"doc": doc, **({"label": label} if label else {}), **flags}


def optional(doc: str, *, label: str | None = None) -> Any:
    """A field that may be left out; ``doc`` explains it in the schema and scaffolds."""
    return attrs.field(default=None, metadata=_metadata(doc, label))


def verbatim(doc: str, *, required: bool = False, label: str | None = None) -> Any:
    """A text field holding machine output or data (logs, code, commands, indicators), kept
    as written and shown as code, never as markup or a link; optional unless ``required``."""
    default = attrs.NOTHING if required else None
    return attrs.field(default=default, metadata=_metadata(doc, label, verbatim=True))


def items(doc: str, *, label: str | None = None) -> Any:
    """A list field that defaults to empty."""
    return attrs.field(factory=list, metadata=_metadata(doc, label))


def describe(doc: str, *, label: str | None = None, **kwargs: Any) -> Any:
    """A field with its own default or none, and a doc string."""
    return attrs.field(metadata=_metadata(doc, label), **kwargs)


LEAD_FIELDS = frozenset({"text", "description"})
"""The fields that hold a section's main prose: shown first, as paragraphs without a label."""


def field_label(field: "attrs.Attribute[Any]") -> str:
    """The words documents show a field under: ``time_to_detect`` -> ``Time to detect``, or
    the ``label`` the field declares (``IOCs``)."""
    label = field.metadata.get("label")
    return str(label) if label else field.name.replace("_", " ").capitalize()


_URL_SCHEMES = ("http", "https", "mailto")
"""The schemes a link may have; any other (``javascript:``, ``data:``, ``file:``) is refused."""

_RELATIVE_STARTS = ("./", "../", "/", "#")


# What a URL may not hold unencoded (RFC 3986): white space, controls and "<>\^`{|}.
_NOT_IN_URL = re.compile(r'[\x00-\x20\x7f-\x9f\s"<>\\^`{|}]')


def encode_url(url: str) -> str:
    """``url`` with the UTF-8 bytes of each character a URL may not hold unencoded
    percent-encoded, as a browser sends it; nothing else changes."""
    return _NOT_IN_URL.sub(lambda match: quote(match.group(), safe=""), url)


def _check_url(instance: object, attribute: "attrs.Attribute[str]", value: str) -> None:
    problem = _url_problem(value)
    if problem:
        raise ValueError(f"not a URL: {shown(value)} {problem}")


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a link's target, or None: it must be ``http``, ``https`` or
    ``mailto``, or a relative path; with no white space, control characters or backslashes
    (which browsers read as ``/``), and not scheme-relative (``//host``)."""
    want = "(want https://..., mailto:..., or a relative path)"
    try:
        parts = urlsplit(url)
    except ValueError as error:  # a malformed IPv6 host
        return f"({error})"
    if not parts.scheme and url.startswith("//"):
        return "is scheme-relative (want https://...)"
    if not parts.scheme and not url.startswith(_RELATIVE_STARTS):
        return want
    if parts.scheme and parts.scheme not in _URL_SCHEMES:
        return f"uses {parts.scheme}:, not allowed in a link {want}"
    odd = next((char for char in url if _unfit_in_url(char)), None)
    if odd is not None:
        return f"contains {_character_name(odd)}"
    if parts.scheme in ("http", "https") and not parts.netloc:
        return "has no host"
    try:
        parts.port  # noqa: B018  (a port that is no number from 0 to 65535 raises here)
    except ValueError:
        return "has a port that is no number from 0 to 65535"
    if parts.scheme == "mailto" and not parts.path:
        return "has no address"
    return None


def _unfit_in_url(char: str) -> bool:
    return char == "\\" or char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def _character_name(char: str) -> str:
    if char == "\\":
        return "a backslash"
    return "white space" if char == " " else f"the character U+{ord(char):04X}"


@attrs.define(kw_only=True)
class Link:
    """A URL with an optional label, such as a ticket, a dashboard or a working document.

    A document may write it as the URL alone, or as a ticket key alone (``PLAT-2231``)
    where the repository policy sets ``ticket_url``.
    """

    url: str = describe(
        "https://..., mailto:... or a path relative to the document",
        label="URL",
        validator=_check_url,
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


def _in_range(instance: object, attribute: "attrs.Attribute[object]", value: object) -> None:
    """The bounds a quantity field declares in its metadata (``minimum``, ``maximum``)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    low: float = attribute.metadata.get("minimum", -math.inf)
    high: float = attribute.metadata.get("maximum", math.inf)
    if high != math.inf and not low <= value <= high:
        raise ValueError(f"must be {low} to {high}, found {value}")
    if value < low:
        raise ValueError(f"must not be negative, found {value}")


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _check_id(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
    if isinstance(value, str) and not _ID.fullmatch(value):
        raise ValueError(
            f"not an id: {shown(value)} (letters, digits, '.', '_' or '-', at most 64, e.g. F2)"
        )


def identifier(example: str) -> Any:
    """An item's stable id, which others refer to: a short token such as ``F2``."""
    doc = f"stable id, unique in the document, e.g. {example}"
    return attrs.field(default=None, validator=_check_id, metadata={"doc": doc, "format": "id"})


def non_negative(doc: str) -> Any:
    """An optional count or quantity (users, records, hours, money) that cannot be negative."""
    return attrs.field(default=None, validator=_in_range, metadata={"doc": doc, "minimum": 0})


def percentage(doc: str, *, label: str | None = None) -> Any:
    """An optional share, 0 to 100."""
    metadata = {**_metadata(doc, label), "minimum": 0, "maximum": 100}
    return attrs.field(default=None, validator=_in_range, metadata=metadata)


def reference(doc: str) -> Any:
    """The id of another item of the document (a hop's affected system)."""
    return attrs.field(default=None, validator=_check_id, metadata={"doc": doc, "format": "id"})


def references(doc: str) -> Any:
    """A list of the ids of other items (the causes a follow-up addresses)."""
    return attrs.field(
        factory=list,
        validator=attrs.validators.deep_iterable(_check_id),
        metadata={"doc": doc, "format": "id"},
    )


def item_label() -> Any:
    """A list item's own classification label."""
    return optional(
        "label of this item alone, at most its section's (unlabelled, it has its section's)"
    )


def _each(check: Any) -> Any:
    """A validator applying ``check`` to every item of a list, the problem at the item."""

    def validate(
        instance: object, attribute: "attrs.Attribute[list[str]]", value: list[str]
    ) -> None:
        for index, item in enumerate(value):
            try:
                check(item)
            except ValueError as problem:
                raise LocatedProblem((attribute.name, index), str(problem)) from None

    return validate


def attack_techniques(doc: str) -> Any:
    """MITRE ATT&CK technique ids (``T1078``, ``T1078.004``), checked for form."""
    return attrs.field(
        factory=list,
        validator=_each(check_technique),
        metadata={
            "doc": doc,
            "format": "attack-technique",
            "item_pattern": f"^{TECHNIQUE.pattern}$",
        },
    )


def attack_tactics(doc: str) -> Any:
    """MITRE ATT&CK tactics, as ids (``TA0001``) or names (``Initial Access``)."""
    return attrs.field(
        factory=list,
        validator=_each(check_tactic),
        metadata={"doc": doc, "format": "attack-tactic"},
    )
