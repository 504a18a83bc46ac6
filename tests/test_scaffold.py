"""Scaffold comments teach the shapes: every enum field's choices, and how to write links and
nested values that the scaffold leaves empty."""

import itertools
from collections.abc import Iterator
from enum import Enum
from typing import Any, get_args, get_origin

import attrs
import pytest
from ruamel.yaml.comments import CommentedMap

from postmortem._typing import strip_optional
from postmortem.model import ActionItem, Link, PostMortem, ProfileName
from postmortem.scaffold import scaffold
from postmortem.yaml_io import parse_roundtrip

PROFILES = [name.value for name in ProfileName]
LINK_SHAPE = "https://..., a ticket key such as PLAT-2231, or {url: https://..., label: ...}"


def _comment(mapping: CommentedMap, key: str) -> str:
    """The comment at the end of ``key``'s line with the indented comment lines under it (not
    the next section's note), as one text."""
    entry = mapping.ca.items.get(key)
    token = entry[2] if entry else None
    if token is None:
        return ""
    first, *rest = token.value.splitlines()
    indented = itertools.takewhile(lambda line: line.startswith(" "), rest)
    return " ".join(line.strip().removeprefix("# ") for line in [first, *indented])


def _fields(node: CommentedMap, cls: type, path: str = "") -> Iterator[tuple[str, Any, Any, str]]:
    """(path, type, value, comment) of each field the scaffold shows, through nested mappings
    and the first row of each list."""
    for field in attrs.fields(cls):
        if field.name not in node:
            continue
        field_path = f"{path}.{field.name}".lstrip(".")
        value, field_type = node[field.name], strip_optional(field.type)
        yield field_path, field_type, value, _comment(node, field.name)
        if get_origin(field_type) is list and value:
            field_type, value = get_args(field_type)[0], value[0]
        if attrs.has(field_type) and isinstance(value, CommentedMap):
            yield from _fields(value, field_type, field_path)


def _scaffold_fields(profile: str) -> list[tuple[str, Any, Any, str]]:
    return list(_fields(parse_roundtrip(scaffold(profile)), PostMortem))


@pytest.mark.parametrize("profile", PROFILES)
def test_every_enum_field_lists_its_choices(profile: str) -> None:
    enums = [
        (path, field_type, comment)
        for path, field_type, _, comment in _scaffold_fields(profile)
        if isinstance(field_type, type) and issubclass(field_type, Enum)
    ]
    assert {"profile", "metadata.status", "metadata.classification"} <= {path for path, *_ in enums}
    for path, field_type, comment in enums:
        choices = ", ".join(member.value for member in field_type)
        assert f"one of: {choices}" in comment, (path, comment)


def test_the_status_comment_says_what_it_is_and_its_choices() -> None:
    metadata = parse_roundtrip(scaffold("postmortem"))["metadata"]
    assert (
        _comment(metadata, "status") == "where the document stands one of: Draft, In Review, Final"
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_links_and_empty_nested_values_show_how_to_write_them(profile: str) -> None:
    shown = 0
    for path, field_type, value, comment in _scaffold_fields(profile):
        if "." not in path:  # a section: its note above it says it (see the next test)
            continue
        if field_type is Link:
            assert comment.endswith(LINK_SHAPE), (path, comment)
        elif field_type == list[Link]:
            assert comment.endswith(f"- {LINK_SHAPE}"), (path, comment)
        elif attrs.has(field_type) and value is None:
            assert all(f"{field.name}:" in comment for field in attrs.fields(field_type)), path
        else:
            continue
        shown += 1
    assert shown


def test_money_shows_its_default_currency_and_a_person_their_keys() -> None:
    fields = {path: comment for path, _, _, comment in _scaffold_fields("security-incident-report")}
    assert fields["impact.funds_at_risk"] == "funds that were at risk {amount: ..., currency: USD}"
    assert fields["metadata.prepared_by"] == (
        "who prepared the report {name: ..., role: ..., contact: ...}"
    )


def test_a_top_level_list_of_links_shows_the_shape_above_it() -> None:
    text = scaffold("incident-response-report")
    assert f"\n# - {LINK_SHAPE}\nattachments: []\n" in text


def test_an_action_item_is_shown_with_every_key() -> None:
    (item,) = parse_roundtrip(scaffold("postmortem"))["action_items"]
    assert list(item) == [field.name for field in attrs.fields(ActionItem)]


@pytest.mark.parametrize("profile", PROFILES)
def test_no_line_is_longer_than_100_characters(profile: str) -> None:
    text = scaffold(profile, schema_url="postmortem.schema.json")
    assert max(len(line) for line in text.splitlines()) <= 100
