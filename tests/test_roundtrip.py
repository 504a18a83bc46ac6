"""model -> YAML -> model is lossless, and both YAML loaders agree on every document."""

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import postmortem
from postmortem import converter, yaml_io
from postmortem.model import PostMortem
from tests.conftest import whole_documents
from tests.strategies import documents, instances

SECTION_CLASSES = sorted(
    {
        cls
        for field in attrs.fields(PostMortem)
        for cls in [getattr(field.type, "__args__", (field.type,))[0]]
        if attrs.has(cls)
    },
    key=lambda cls: cls.__name__,
)


def _offsets(value: Any) -> Any:
    """Every timestamp's UTC offset: equality of aware datetimes ignores it, we do not."""
    if isinstance(value, dict):
        return {key: _offsets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_offsets(item) for item in value]
    return getattr(value, "utcoffset", lambda: None)()


@whole_documents
@given(documents)
def test_document_round_trip_is_lossless(doc: PostMortem) -> None:
    text = postmortem.dumps(doc)
    again = postmortem.loads(text)
    assert again == doc
    assert _offsets(converter.unstructure(again)) == _offsets(converter.unstructure(doc))
    assert postmortem.dumps(again) == text


@whole_documents
@given(documents)
def test_fast_and_round_trip_loaders_give_the_same_model(doc: PostMortem) -> None:
    text = postmortem.dumps(doc)
    fast = converter.structure(yaml_io.parse(text))
    faithful = converter.structure(yaml_io.roundtrip.plain_data(yaml_io.parse_roundtrip(text)))
    assert fast == faithful
    assert _offsets(converter.unstructure(fast)) == _offsets(converter.unstructure(faithful))


@pytest.mark.parametrize("cls", SECTION_CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_each_section_round_trips(cls: type, data: st.DataObject) -> None:
    section = data.draw(instances(cls))
    text = yaml_io.emit_tree(yaml_io.writing.yaml_value(converter.unstructure(section)))
    assert converter.structure(yaml_io.parse(text), cls) == section


@whole_documents
@given(documents)
def test_editing_nothing_changes_nothing_and_editing_a_field_changes_it(doc: PostMortem) -> None:
    text = postmortem.dumps(doc)
    session = yaml_io.edit_text(text)
    assert session.dumps() == text
    session.document.metadata.title = "changed title"
    edited = session.dumps()
    assert postmortem.loads(edited) == attrs.evolve(
        doc, metadata=attrs.evolve(doc.metadata, title="changed title")
    )
