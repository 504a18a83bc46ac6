"""A JSON Schema of the document, derived from the model, for editors and other validators."""

from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, get_args, get_origin

import attrs

from postmortem._typing import is_optional, strip_optional
from postmortem._version import __version__
from postmortem.model import PostMortem, When

__all__ = ["SCHEMA_ID", "json_schema"]

SCHEMA_ID = "https://postmortem.invalid/schema/postmortem-1.json"
_DURATION_PATTERN = r"^\s*(P[0-9WDTHMS.]+|([0-9.]+\s*[wdhms]\s*)+)$"
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_DATETIME = {
    "type": "string",
    "pattern": (
        r"^\d{4}-\d{2}-\d{2}[Tt ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"
        r"\s*(Z|z|[+-]\d{2}(:?\d{2})?)?$"
    ),
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
    if attrs.has(type_):
        if type_.__name__ not in definitions:
            definitions[type_.__name__] = {}
            definitions[type_.__name__] = _class_schema(type_, definitions)
        return {"$ref": f"#/$defs/{type_.__name__}"}
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
