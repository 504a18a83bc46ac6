"""The versions of a document read section by section give what reading each whole gives."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import postmortem
from postmortem import DocumentError, yaml_io
from postmortem.yaml_io.sections import SectionReader
from tests.handwritten import BOM, handwritten
from tests.strategies import documents


def typed(value: Any) -> Any:
    """``value`` with every scalar paired with its type and offset."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value), value, value.utcoffset() if hasattr(value, "utcoffset") else None)


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(st.lists(documents, min_size=1, max_size=3), st.data())
def test_versions_read_by_sections_read_as_each_whole(
    versions: list[postmortem.PostMortem], data: st.DataObject
) -> None:
    """Hand-written versions (comments, anchors and aliases, CRLF, no final line break);
    each example writes whole documents: a quarter of the profile's examples."""
    reader = SectionReader()
    for doc in versions:
        text = handwritten(postmortem.dumps(doc), data).removeprefix(BOM)
        assert typed(reader.parse(text, "x.yaml")) == typed(yaml_io.parse(text, "x.yaml"))


def test_a_section_shared_by_two_versions_is_parsed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = "schema_version: 1\nprofile: postmortem\nmetadata:\n  id: A\n  title: One\n"
    second = first.replace("title: One", "title: Two")
    reader = SectionReader()
    reader.parse(first, "x")
    parsed: list[str] = []
    real = yaml_io.sections.parse

    def counting(text: str, source: str) -> Any:
        parsed.append(text)
        return real(text, source)

    monkeypatch.setattr(yaml_io.sections, "parse", counting)
    assert reader.parse(second, "x")["metadata"]["title"] == "Two"
    assert parsed == ["metadata:\n  id: A\n  title: Two\n\n"]


@pytest.mark.parametrize(
    "text",
    [
        "a: 'x\nb: y'\n",  # a quoted value over a line that looks like a key
        "a: 1\na: 2\n",  # a duplicate key
        "%YAML 1.2\n---\na: 1\n",  # a directive
        "- a\n- b\n",  # a list
        "a: &x 1\nb: *x\n",  # an alias across sections
        "a: 1\r\nb: 2\r\n",  # CRLF
        " a: 1\n",  # indented
        "a: [1,\n2]\n",  # a flow sequence over lines
    ],
)
def test_what_is_not_cut_into_sections_reads_as_a_whole(text: str) -> None:
    def outcome(read: Any) -> Any:
        try:
            return typed(read(text, "x"))
        except DocumentError as error:
            return error.problems

    assert outcome(SectionReader().parse) == outcome(yaml_io.parse)
