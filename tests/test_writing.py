"""Writing a document: the same text, to the byte, as ruamel.yaml's emitter writes in the
house style, however its strings are spelled, in time linear in the document's size."""

from typing import Any

import pytest
from hypothesis import given

import postmortem
from postmortem.converter import unstructure
from postmortem.model import PostMortem
from postmortem.yaml_io import roundtrip, writing
from tests.conftest import EXAMPLES
from tests.strategies import YAML_SIGNIFICANT, documents, documents_with


def ruamels(data: Any) -> str:
    return roundtrip.emit_tree(writing.yaml_value(data))


@given(documents)
def test_a_document_is_written_as_ruamel_writes_it(doc: PostMortem) -> None:
    assert postmortem.dumps(doc) == ruamels(unstructure(doc))


@given(documents_with({str: YAML_SIGNIFICANT}))
def test_strings_of_every_spelling_are_written_as_ruamel_writes_them(doc: PostMortem) -> None:
    written = postmortem.dumps(doc)
    assert written == ruamels(unstructure(doc))
    assert postmortem.loads(written) == doc


@given(YAML_SIGNIFICANT)
def test_each_string_is_spelled_as_ruamel_spells_it(text: str) -> None:
    """Where this writer spells a value itself, ruamel spells it the same, in a mapping and
    in a list; where it does not, the whole document goes to ruamel."""
    mapping = {"key": text}
    nested: dict[str, Any] = {"items": [text, {"key": text}]}
    for data in (mapping, nested):
        try:
            lines = writing._mapping_lines(data, 0, "")
        except writing._RuamelsCare:
            continue
        assert "".join(lines) == ruamels(data)


def test_the_examples_are_written_without_ruamel(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = [postmortem.load(path) for path in sorted(EXAMPLES.glob("*.yaml"))]
    expected = [ruamels(unstructure(doc)) for doc in documents]

    def refuse(_: Any) -> str:
        raise AssertionError("written by ruamel")

    monkeypatch.setattr(writing, "emit_tree", refuse)
    assert [postmortem.dumps(doc) for doc in documents] == expected


def test_what_takes_ruamels_care_is_left_to_it() -> None:
    doc = postmortem.load(EXAMPLES / "postmortem.yaml")
    doc.metadata.title = "line\u2028separator " + "long " * 500
    written = postmortem.dumps(doc)
    assert written == ruamels(unstructure(doc))
    assert postmortem.loads(written) == doc
