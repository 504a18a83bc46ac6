"""Hypothesis strategies for every model class, built from the attrs fields."""

from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any, TypeVar, get_args, get_origin

import attrs
from hypothesis import strategies as st

from postmortem._typing import is_optional, strip_optional
from postmortem.model import Link, PostMortem, When

T = TypeVar("T")

# Everything a person can type, surrogates aside (YAML text is UTF-8).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
multiline_text = st.lists(text.filter(lambda s: "\n" not in s), min_size=2, max_size=4).map(
    lambda lines: "\n".join(lines) + "\n"
)
any_text = st.one_of(text, multiline_text)

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1)),
    offsets,
)
dates = st.dates(min_value=date(1970, 1, 1), max_value=date(2200, 1, 1))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650))
urls = st.builds(
    "https://{}.example.com/{}".format,
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-_/", max_size=20),
)
links = st.builds(Link, url=urls, label=st.none() | text)

_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: any_text,
    int: st.integers(min_value=-(2**63), max_value=2**63),
    float: st.floats(allow_nan=False, allow_infinity=False),
    bool: st.booleans(),
    date: dates,
    datetime: aware_datetimes,
    timedelta: durations,
}


def for_type(type_: Any) -> st.SearchStrategy[Any]:
    """A strategy for any type the model uses."""
    if type_ == When:
        return st.one_of(aware_datetimes, dates)
    if type_ is Link:
        return links
    if is_optional(type_):
        return st.none() | for_type(strip_optional(type_))
    if get_origin(type_) is list:
        return st.lists(for_type(get_args(type_)[0]), max_size=2)
    if attrs.has(type_):
        return st.builds(
            type_, **{field.name: for_type(field.type) for field in attrs.fields(type_)}
        )
    if isinstance(type_, type) and issubclass(type_, Enum):
        return st.sampled_from(list(type_))
    return _SCALARS[type_]


def instances(cls: type[T]) -> st.SearchStrategy[T]:
    return for_type(cls)


documents: st.SearchStrategy[PostMortem] = st.builds(
    PostMortem,
    **{
        field.name: for_type(field.type)
        for field in attrs.fields(PostMortem)
        if field.name != "schema_version"
    },
)
