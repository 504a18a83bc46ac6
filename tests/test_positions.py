"""Where a field path is written: read from the one parse that built the data, never by
parsing the file again, and the same as the composed node tree says."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

import postmortem
from postmortem import yaml_io
from postmortem.converter import FieldPath
from postmortem.yaml_io import reading
from tests.conftest import whole_documents
from tests.handwritten import handwritten
from tests.strategies import documents


def node_position(root: Node | None, path: FieldPath, *, at_key: bool) -> tuple[int, int]:
    """The position of ``path`` read from the node tree, as the nodes' marks give it: the
    nearest ancestor's when it is absent, (1, 1) when nothing of it is there."""
    position = (1, 1)
    node = root
    for depth, step in enumerate(path):
        if isinstance(node, MappingNode):
            entry = next((pair for pair in node.value if pair[0].value == str(step)), None)
            if entry is None:
                break
            key, node = entry
            mark = key.start_mark if at_key and depth == len(path) - 1 else node.start_mark
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            mark = node.start_mark
        else:
            break
        position = (mark.line + 1, mark.column + 1)
    return position


def paths_in(data: Any, prefix: FieldPath = ()) -> list[FieldPath]:
    """Every path to a value of ``data``, and one absent path below each collection."""
    found = [prefix]
    if isinstance(data, dict):
        found.append((*prefix, "not-there"))
        for key, value in data.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(data, list):
        found.append((*prefix, len(data)))
        for index, value in enumerate(data):
            found += paths_in(value, (*prefix, index))
    return found


def assert_positions_agree(text: str) -> None:
    parsed = yaml_io.parse_with_positions(text)
    root = yaml_io.compose(text)
    for path in paths_in(parsed.data):
        for at_key in (False, True):
            expected = node_position(root, path, at_key=at_key)
            assert parsed.locate(path, at_key=at_key) == expected, (path, at_key)


@whole_documents
@given(documents, st.data())
def test_every_path_is_where_the_node_tree_has_it(doc: postmortem.PostMortem, data: Any) -> None:
    """Hand-written documents (comments, anchors and aliases, a byte order mark): each
    path, present or not, at its value or at its key."""
    assert_positions_agree(handwritten(postmortem.dumps(doc), data).removeprefix("\ufeff"))


ALIASED = """\
metadata: &meta
  id: INC-1
  title: Aliased
copy: *meta
list:
  - &item {a: 1}
  - *item
1: int key
"1": string key written second
"""


def test_aliases_repeat_their_anchors_positions_and_the_first_key_written_wins() -> None:
    parsed = yaml_io.parse_with_positions(ALIASED)
    assert parsed.locate(("copy", "title")) == (3, 10)
    assert parsed.locate(("list", 1, "a")) == (6, 15)
    assert parsed.locate(("1",), at_key=True) == (8, 1)
    assert parsed.locate((1,), at_key=True) == (8, 1)
    assert_positions_agree(ALIASED)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), (1, 1)),
        (("missing",), (1, 1)),
        (("metadata", "missing"), (1, 11)),  # an anchored value starts at its anchor
        (("list", 5), (6, 3)),
        (("list", "0"), (6, 3)),  # a sequence is indexed by numbers only
        (("metadata", "id", "deeper"), (2, 7)),
    ],
)
def test_an_absent_path_is_placed_at_its_nearest_ancestor(
    path: FieldPath, expected: tuple[int, int]
) -> None:
    assert yaml_io.parse_with_positions(ALIASED).locate(path) == expected


def test_problems_are_located_without_parsing_the_text_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "schema_version: 1\nprofile: postmortem\nmetadata:\n  id: 7\n  title: T\n"
    parsed = yaml_io.parse_with_positions(text)

    def refuse(*_: Any) -> None:
        raise AssertionError("parsed twice")

    monkeypatch.setattr(reading, "compose", refuse)
    with pytest.raises(postmortem.DocumentError) as raised:
        yaml_io.document_from_parsed(parsed, "x.yaml")
    assert "x.yaml:4:7: metadata.id: expected a string, found a number 7" in [
        str(problem) for problem in raised.value.problems
    ]


def test_an_empty_document_has_no_positions() -> None:
    parsed = yaml_io.parse_with_positions("# nothing\n")
    assert parsed.data is None
    assert parsed.locate(("metadata",)) == (1, 1)


@whole_documents
@given(documents, st.data())
def test_the_top_level_keys_are_counted_to_where_they_are_located(
    doc: postmortem.PostMortem, data: Any
) -> None:
    parsed = yaml_io.parse_with_positions(
        handwritten(postmortem.dumps(doc), data).removeprefix("\ufeff")
    )
    expected = [parsed.locate((key,), at_key=True) for key in parsed.data]
    assert parsed.top_level_keys() == expected
