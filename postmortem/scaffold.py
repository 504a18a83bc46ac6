"""Scaffolds: a new document for a profile, every section present and commented, ready to fill."""

import functools
import textwrap
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, get_args, get_origin

import attrs
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from postmortem._typing import is_optional, strip_optional
from postmortem.converter import structure
from postmortem.model import (
    SCHEMA_VERSION,
    DocumentStatus,
    Link,
    Metadata,
    Milestone,
    PostMortem,
    ProfileName,
    When,
)
from postmortem.profiles import get_profile
from postmortem.upgrade import assign_ids
from postmortem.yaml_io import emit_tree
from postmortem.yaml_io.writing import refuse_unwritable_text

__all__ = ["scaffold"]

_COMMENT_COLUMN = 48
_LINE_WIDTH = 100
_LINK_SHAPE = "https://..., a ticket key such as PLAT-2231, or {url: https://..., label: ...}"


def scaffold(
    profile_name: str,
    *,
    incident_id: str = "INC-0000",
    title: str = "",
    schema_url: str | None = None,
    today: date | None = None,
) -> str:
    """YAML text of an empty document for ``profile_name``: it validates, and every section the
    template has is there, with a comment saying what goes in it."""
    refuse_unwritable_text({"metadata": {"id": incident_id, "title": title}})
    profile = get_profile(profile_name)
    document = CommentedMap()
    document["schema_version"] = SCHEMA_VERSION
    document["profile"] = profile.name.value
    section_fields = {field.name: field for field in attrs.fields(PostMortem)}
    _comment(document, "profile", section_fields["profile"])
    metadata = CommentedMap()
    values = {
        "id": incident_id,
        "title": title,
        "status": DocumentStatus.DRAFT.value,
        "created": today or date.today(),
        "time_zone": "UTC",
    }
    metadata_fields = {field.name: field for field in attrs.fields(Metadata)}
    for name in ("id", "title", "status", "classification", *profile.metadata_fields):
        if name in metadata:
            continue
        field = metadata_fields[name]
        metadata[name] = values[name] if name in values else _empty(field.type)
        _comment(metadata, name, field)
    document["metadata"] = metadata
    document.yaml_set_comment_before_after_key("metadata", before="Metadata")
    for section in profile.sections:
        field = section_fields[section.field]
        document[section.field] = _empty(field.type, top_level=True)
        required = "required" if section.required else "optional"
        notes = [
            f"{section.heading} ({required}): {field.metadata['doc']}",
            _shape(field.type, document[section.field]),
        ]
        document.yaml_set_comment_before_after_key(
            section.field, before="\n".join(_wrapped(notes, _LINE_WIDTH - len("# ")))
        )
    if profile.name is ProfileName.POSTMORTEM:
        _seed_fixed_rows(document)
    assign_ids(document)
    title = f"{profile.title} ({profile.name.value}): {profile.description}"
    header = "".join(f"# {line}\n" for line in _wrapped([title], _LINE_WIDTH - len("# ")))
    if schema_url:
        header = f"# yaml-language-server: $schema={schema_url}\n" + header
    return header + emit_tree(document)


_MILESTONES = (
    Milestone.STARTED,
    Milestone.DETECTED,
    Milestone.ACKNOWLEDGED,
    Milestone.ROOT_CAUSE_IDENTIFIED,
    Milestone.MITIGATED,
    Milestone.RESOLVED,
)
"""The post-mortem template's fixed timeline rows."""


def _seed_fixed_rows(document: CommentedMap) -> None:
    """The post-mortem template's fixed timeline milestones and its five whys."""
    events = document["timeline"]["events"]
    template_row = events[0]
    events.clear()
    for milestone in _MILESTONES:
        row = CommentedMap((key, None) for key in ("id", "time", "milestone", "event"))
        row["milestone"] = milestone.value
        row["event"] = ""
        events.append(row)
    events[0].ca.items.update(
        {key: template_row.ca.items[key] for key in row if key in template_row.ca.items}
    )
    whys = document["root_cause"]["five_whys"]
    whys.clear()
    for question in ("Why did the incident happen?", "Why?", "Why?", "Why?", "Why?"):
        whys.append(CommentedMap(question=question, answer=""))


def _comment(mapping: CommentedMap, key: str, field: "attrs.Attribute[Any]") -> None:
    """What goes in the field, and how to write it where the scaffold shows no example."""
    notes = [field.metadata.get("doc"), _shape(field.type, mapping[key])]
    lines = _wrapped(notes, _LINE_WIDTH - _COMMENT_COLUMN - len("# "))
    if lines:
        continuation = "\n" + " " * _COMMENT_COLUMN + "# "
        mapping.yaml_add_eol_comment(continuation.join(lines), key, column=_COMMENT_COLUMN)


def _wrapped(notes: list[str | None], width: int) -> list[str]:
    """The lines of comment text for ``notes``, each note starting a line."""
    return [
        line
        for note in notes
        if note
        for line in textwrap.wrap(note, width, break_long_words=False, break_on_hyphens=False)
    ]


def _shape(type_: Any, shown: Any) -> str | None:
    """How a value of ``type_`` is written: its choices, or an example where ``shown`` (the
    scaffold's value) has no keys or rows of its own to show it."""
    type_ = strip_optional(type_)
    if isinstance(type_, type) and issubclass(type_, Enum):
        return "one of: " + ", ".join(member.value for member in type_)
    if shown:
        return None
    if get_origin(type_) is list:
        item = _shape(get_args(type_)[0], None)
        return f"- {item}" if item else None
    if type_ is Link:
        return _LINK_SHAPE
    if attrs.has(type_):
        return "{" + ", ".join(_example_entry(field) for field in attrs.fields(type_)) + "}"
    return None


def _example_entry(field: "attrs.Attribute[Any]") -> str:
    example = field.default if type(field.default) is str and field.default else "..."
    return f"{field.name}: {example}"


def _empty(type_: Any, *, top_level: bool = False) -> Any:
    """The emptiest valid value of ``type_``; sections and table rows shown with their fields."""
    if is_optional(type_):
        inner = strip_optional(type_)
        return _empty(inner, top_level=True) if top_level and attrs.has(inner) else None
    if get_origin(type_) is list:
        (item_type,) = get_args(type_)
        if _expandable(item_type):
            rows = CommentedSeq()
            rows.append(_empty(item_type))
            return rows
        return CommentedSeq()
    if attrs.has(type_):
        mapping = CommentedMap()
        for field in attrs.fields(type_):
            if field.default is attrs.NOTHING or hasattr(field.default, "factory"):
                mapping[field.name] = _empty(field.type)
            elif field.default is None and _expandable(strip_optional(field.type)):
                mapping[field.name] = _empty(field.type, top_level=True)
            else:
                mapping[field.name] = (
                    field.default.value if isinstance(field.default, Enum) else field.default
                )
            _comment(mapping, field.name, field)
        return mapping
    if isinstance(type_, type) and issubclass(type_, Enum):
        return next(iter(type_)).value
    empties: dict[Any, Any] = {str: "", bool: False, int: None, float: None}
    if type_ in (date, datetime, timedelta, When):
        return None
    return empties[type_]


def _expandable(cls: Any) -> bool:
    """Whether an empty ``cls`` is valid: its required fields are all text or choices, and
    empty text is a value they take (an IOC's value must be an indicator)."""
    if not attrs.has(cls) or cls is Link:
        return False
    fillable = all(
        field.default is not attrs.NOTHING
        or field.type is str
        or (isinstance(field.type, type) and issubclass(field.type, Enum))
        for field in attrs.fields(cls)
    )
    return fillable and _builds_empty(cls)


@functools.cache
def _builds_empty(cls: Any) -> bool:
    try:
        structure(_empty(cls), cls)
    except Exception:  # any problem of the empty values means: not shown with its fields
        return False
    return True
