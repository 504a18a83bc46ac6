"""The document model as the import fills it: the type at a field path, the words each field
is known by, and how a value read in two places adds up."""

from datetime import date
from functools import cache
from typing import Any, get_args, get_origin

import attrs

from postmortem._typing import strip_optional
from postmortem.importer.values import multiline, named_field
from postmortem.importer.vocabulary import (
    FIELD_ALIASES,
    HEADER_FACTS,
    normalize,
)
from postmortem.model import (
    ChecklistItem,
    Link,
    Metadata,
    Person,
    PostMortem,
    ProfileName,
)
from postmortem.model.common import field_label
from postmortem.profiles import PROFILES

__all__ = [
    "day_of",
    "field_labels",
    "held_class",
    "holds_nothing",
    "is_record",
    "is_records",
    "merged",
    "named_by_text",
    "type_at",
]


@cache
def field_labels(type_: Any, profile: ProfileName) -> dict[str, str]:
    """Normalized label -> field of ``type_``: aliases, then the field's own label and name,
    then the profile's words for the metadata's fields, each overriding the one before."""
    fields = attrs.fields_dict(type_)
    labels = {key: name for key, name in FIELD_ALIASES.items() if name in fields}
    for name, field in fields.items():
        labels[normalize(field_label(field))] = name
        labels[normalize(name)] = name
    if type_ is Metadata:
        labels.update(HEADER_FACTS)
        metadata_labels = PROFILES[profile].metadata_labels
        labels.update(
            {normalize(label): name for name, label in metadata_labels.items() if name in fields}
        )
    return labels


def type_at(path: tuple[str, ...]) -> Any:
    current: Any = PostMortem
    for step in path:
        current = strip_optional(current)
        if get_origin(current) is list:
            current = strip_optional(get_args(current)[0])
        if step == "-1":
            continue
        current = attrs.fields_dict(current)[step].type
    return current


def held_class(type_: Any) -> Any:
    """The class a path holds: optional and list wrappers removed."""
    type_ = strip_optional(type_)
    return strip_optional(get_args(type_)[0]) if get_origin(type_) is list else type_


def merged(existing: Any, value: Any, *, joined: bool = True) -> Any:
    """``value`` added to what a field already holds (a section written in two places):
    lists extended, records merged field by field, texts ``joined`` by a blank line (the
    metadata's are replaced); otherwise ``value`` replaces it."""
    if isinstance(existing, list) and isinstance(value, list):
        return existing + value
    if isinstance(existing, dict) and isinstance(value, dict):
        both = dict(existing)
        for name, part in value.items():
            both[name] = merged(existing.get(name), part, joined=joined)
        return both
    if (
        joined
        and isinstance(existing, str)
        and isinstance(value, str)
        and existing.strip()
        and existing.strip() != value.strip()
    ):
        return multiline(f"{existing.rstrip(chr(10))}\n\n{value.rstrip(chr(10))}")
    return value


def is_records(type_: Any) -> bool:
    """Whether ``type_`` is a list of records (rows with fields of their own)."""
    type_ = strip_optional(type_)
    return get_origin(type_) is list and is_record(held_class(type_))


def is_record(item_type: Any) -> bool:
    return attrs.has(item_type) and item_type not in (Link, ChecklistItem, Person)


def holds_nothing(value: Any) -> bool:
    """Whether ``value`` holds nothing: no text, no item, in any of its fields."""
    if isinstance(value, dict):
        return all(holds_nothing(item) for item in value.values())
    return value in ([], "", None)


def named_by_text(item_type: Any) -> bool:
    """Whether a record of ``item_type`` can be made from a text alone: the field its text
    names (:func:`~postmortem.importer.values.named_field`) is text and the only one it
    requires."""
    named = named_field(item_type)
    required = [field for field in attrs.fields(item_type) if field.default is attrs.NOTHING]
    return named.type is str and required in ([], [named])


def day_of(text: str | None) -> date | None:
    """The day an ISO date or time starts with."""
    return date.fromisoformat(text[:10]) if text else None
