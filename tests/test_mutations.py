"""Valid documents changed at random places: only clean, located errors come out."""

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

import postmortem
from postmortem.checks import check_text
from postmortem.errors import DocumentError
from postmortem.policy import Policy
from tests.conftest import EXAMPLES

_EXAMPLES = {
    path.stem: YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    for path in sorted(EXAMPLES.glob("*.yaml"))
}

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["2024-13-45", "P1", "Critical", "https://", "-1h", "", "null", "~"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """An example document with one value, somewhere, replaced by junk (or a key renamed)."""
    data = draw(st.sampled_from(sorted(_EXAMPLES)))
    document: Any = _copy(_EXAMPLES[data])
    node = document
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        if isinstance(node, dict) and draw(st.booleans()):
            node[draw(st.text(min_size=1, max_size=10))] = node.pop(key)
        else:
            node[key] = draw(junk)
        break
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(document, stream)
    return stream.getvalue()


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


@given(text=mutated())
def test_a_mutated_document_loads_or_gives_located_one_line_errors(text: str) -> None:
    try:
        doc = postmortem.loads(text, "mutated.yaml")
    except DocumentError as error:
        problems = error.problems
    else:
        problems = ()
        assert postmortem.loads(postmortem.dumps(doc)) == doc
    lines = text.count("\n") + 1
    for problem in problems:
        assert problem.source == "mutated.yaml"
        assert 1 <= problem.line <= lines, problem
        assert problem.column >= 1
        assert "\n" not in str(problem)
        assert len(problem.message) < 300
    for finding in check_text(text, "mutated.yaml", Policy()):
        assert "\n" not in str(finding)
        assert finding.line >= 1


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_editing_one_field_of_an_example_changes_only_its_line(tmp_path: Path, path: Path) -> None:
    copy = tmp_path / path.name
    original = path.read_text(encoding="utf-8")
    copy.write_text(original, encoding="utf-8")
    with postmortem.edit(copy) as doc:
        doc.metadata.title = "A new title"
    changed = [
        (before, after)
        for before, after in zip(
            original.splitlines(), copy.read_text(encoding="utf-8").splitlines(), strict=True
        )
        if before != after
    ]
    assert len(changed) == 1
    assert changed[0][1].endswith("A new title")
