"""Introspection of the model's field types, shared by the converter, schema and scaffolds."""

import functools
import operator
from types import UnionType
from typing import Any, Union, get_args, get_origin

__all__ = ["is_optional", "strip_optional"]


def is_optional(type_: Any) -> bool:
    """Whether ``type_`` is a union that admits None."""
    return get_origin(type_) in (Union, UnionType) and type(None) in get_args(type_)


def strip_optional(type_: Any) -> Any:
    """``X | None`` -> ``X`` (``X | Y | None`` -> ``X | Y``); other types unchanged."""
    if not is_optional(type_):
        return type_
    return functools.reduce(operator.or_, [arg for arg in get_args(type_) if arg is not type(None)])
