"""The document's schema, derived from the model: JSON Schema for editors and other
validators, and a Markdown reference for people (``docs/schema.md``)."""

from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, get_args, get_origin

import attrs

from postmortem._typing import is_optional, strip_optional
from postmortem._version import __version__
from postmortem.model import Link, PostMortem, When

__all__ = ["SCHEMA_ID", "json_schema", "reference_markdown"]

SCHEMA_ID = "https://postmortem.invalid/schema/postmortem-1.json"
_DURATION_UNITS = "years?|y|weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s"
_DURATION_PATTERN = rf"^\s*(P[0-9WDTHMS.]+|([0-9.]+\s*({_DURATION_UNITS})\s*)+)$"
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_DATETIME = {
    "type": "string",
    "pattern": (
        r"^\d{4}-\d{2}-\d{2}[Tt ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"
        r"\s*(Z|z|[+-]\d{2}(:?\d{2})?)?$"
    ),
}
_LINK_TEXT = {
    "type": "string",
    "minLength": 1,
    "description": "the URL alone, or a ticket key such as PLAT-2231 (the policy's ticket_url)",
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a post-mortem document."""
    definitions: dict[str, Any] = {}
    root = _class_schema(PostMortem, definitions)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Post-mortem document",
        "description": f"An incident post-mortem (postmortem {__version__}).",
        **root,
        "$defs": dict(sorted(definitions.items())),
    }


def _class_schema(cls: type, definitions: dict[str, Any]) -> dict[str, Any]:
    properties = {}
    required = []
    for field in attrs.fields(cls):
        schema = _type_schema(field.type, definitions)
        if "item_pattern" in field.metadata:
            schema["items"] = {**schema["items"], "pattern": field.metadata["item_pattern"]}
        doc = field.metadata.get("doc")
        properties[field.name] = {**schema, "description": doc} if doc else schema
        if field.default is attrs.NOTHING:
            required.append(field.name)
    result: dict[str, Any] = {
        "type": "object",
        "description": " ".join((cls.__doc__ or "").split()),
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        result["required"] = required
    return result


def _type_schema(type_: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    if type_ == When:
        return {"anyOf": [_DATETIME, _DATE]}
    if is_optional(type_):
        return {"anyOf": [_type_schema(strip_optional(type_), definitions), {"type": "null"}]}
    if get_origin(type_) is list:
        return {"type": "array", "items": _type_schema(get_args(type_)[0], definitions)}
    if type_ is Link:
        return {"anyOf": [_class_reference(Link, definitions), _LINK_TEXT]}
    if attrs.has(type_):
        return _class_reference(type_, definitions)
    if isinstance(type_, type) and issubclass(type_, Enum):
        return {"enum": [member.value for member in type_]}
    simple: dict[Any, dict[str, Any]] = {
        str: {"type": "string"},
        int: {"type": "integer"},
        float: {"type": "number"},
        bool: {"type": "boolean"},
        date: _DATE,
        datetime: _DATETIME,
        timedelta: {"type": "string", "pattern": _DURATION_PATTERN},
    }
    return dict(simple[type_])


def _class_reference(cls: type, definitions: dict[str, Any]) -> dict[str, Any]:
    if cls.__name__ not in definitions:
        definitions[cls.__name__] = {}
        definitions[cls.__name__] = _class_schema(cls, definitions)
    return {"$ref": f"#/$defs/{cls.__name__}"}


def reference_markdown() -> str:
    """Every class of the document, its fields, their types and what they hold, as Markdown."""
    classes: list[type] = [PostMortem]
    parts = [
        "# Schema reference\n",
        "Generated from the model by `postmortem schema --format markdown`; do not edit.\n",
    ]
    for cls in classes:
        rows = ["| field | type | required | description |", "|---|---|---|---|"]
        for field in attrs.fields(cls):
            for nested in _classes_in(field.type):
                if nested not in classes:
                    classes.append(nested)
            required = "yes" if field.default is attrs.NOTHING else ""
            doc = str(field.metadata.get("doc", "")).replace("|", "\\|")
            rows.append(f"| `{field.name}` | {_type_text(field.type)} | {required} | {doc} |")
        summary = " ".join((cls.__doc__ or "").split())
        parts.append(f"## {cls.__name__}\n\n{summary}\n\n" + "\n".join(rows) + "\n")
    return "\n".join(parts)


def _classes_in(type_: Any) -> list[type]:
    type_ = strip_optional(type_)
    if get_origin(type_) is list:
        return _classes_in(get_args(type_)[0])
    return [type_] if attrs.has(type_) else []


def _type_text(type_: Any) -> str:
    if type_ == When:
        return "date or date-time"
    if is_optional(type_):
        return _type_text(strip_optional(type_))
    if get_origin(type_) is list:
        return f"list of {_type_text(get_args(type_)[0])}"
    if type_ is Link:
        return "URL, ticket key or [Link](#link)"
    if attrs.has(type_):
        return f"[{type_.__name__}](#{type_.__name__.lower()})"
    if isinstance(type_, type) and issubclass(type_, Enum):
        return "one of: " + ", ".join(f"`{member.value}`" for member in type_)
    names = {timedelta: "duration (`2h 30m`)", datetime: "date-time", date: "date"}
    return names.get(type_, getattr(type_, "__name__", str(type_)))
