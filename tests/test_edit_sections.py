"""An edit merges only the top-level sections it changes, each on its own, and writes what
merging the whole file would: its cost follows the change, not the file's size."""

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import postmortem
from postmortem import converter, yaml_io
from postmortem.model import PostMortem, TimelineEvent
from postmortem.yaml_io import editing
from tests.conftest import EXAMPLES
from tests.handwritten import BOM, handwritten, leaves, set_at
from tests.strategies import documents, for_type
from tests.test_edits_lose_nothing import _remove

whole_file_edits = settings(max_examples=max(10, settings.default.max_examples // 4))


def _both_ways(text: str, change: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """``text`` edited by ``change`` as an edit writes it, and as merging the whole file
    writes it."""
    session = yaml_io.edit_text(text)
    change(session.document)
    by_sections = session.dumps()
    with monkeypatch.context() as patched:
        patched.setattr(editing._EditSession, "_merged_by_sections", lambda *_: None)
        whole = yaml_io.edit_text(text)
        change(whole.document)
        return by_sections, whole.dumps()


@whole_file_edits
@given(documents, st.data())
def test_merging_the_changed_sections_writes_what_merging_the_file_writes(
    doc: PostMortem, data: st.DataObject
) -> None:
    """Hand-written documents (comments between the sections, anchors and aliases, CRLF,
    no final line break); one field changed or removed, or one list item removed."""
    text = handwritten(postmortem.dumps(doc), data).removeprefix(BOM)
    fields = [
        (path, kind) for path, kind in leaves(postmortem.loads(text)) if path != ("schema_version",)
    ]
    assume(fields)
    path, kind = data.draw(st.sampled_from(fields))
    value = data.draw(for_type(kind))
    removing = data.draw(st.booleans())

    def change(edited: PostMortem) -> None:
        if removing:
            _remove(edited, path)
        else:
            set_at(edited, path, value)

    try:
        changed = postmortem.loads(text)
        change(changed)
        postmortem.loads(postmortem.dumps(changed))
    except Exception:  # a value the model does not hold there
        assume(False)
    with pytest.MonkeyPatch.context() as monkeypatch:
        by_sections, whole = _both_ways(text, change, monkeypatch)
    assert by_sections == whole


def _long_timeline(events: int) -> str:
    doc = postmortem.load(EXAMPLES / "postmortem.yaml")
    assert doc.timeline is not None
    last = doc.timeline.events[-1]
    doc.timeline.events += [
        TimelineEvent(time=last.time, event=f"step {number}") for number in range(events)
    ]
    return "# written by hand\n" + postmortem.dumps(doc)


def test_an_edit_reads_no_section_it_does_not_change(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _long_timeline(500)
    merged: list[str] = []
    parse_roundtrip = editing.parse_roundtrip

    def recorded(section: str, source: str) -> Any:
        merged.append(section)
        return parse_roundtrip(section, source)

    monkeypatch.setattr(editing, "parse_roundtrip", recorded)
    session = yaml_io.edit_text(text)
    session.document.metadata.title = "Renamed"
    written = session.dumps()
    assert merged
    assert all(section.startswith("metadata:") for section in merged)
    assert written == text.replace(
        f"title: {postmortem.loads(text).metadata.title}", "title: Renamed", 1
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{schema_version: 1, profile: postmortem, metadata: {id: X, title: T}}\n", "flow"),
        ("schema_version: 1\rprofile: postmortem\rmetadata:\r  id: X\r  title: T\r", "CR"),
        (
            "metadata: &m\n  id: X\n  title: T\nprofile: postmortem\nschema_version: 1\n",
            "anchor",
        ),
    ],
)
def test_files_that_do_not_cut_into_sections_are_merged_whole(text: str, why: str) -> None:
    session = yaml_io.edit_text(text)
    session.document.metadata.title = "Renamed"
    written = session.dumps()
    assert postmortem.loads(written).metadata.title == "Renamed", why
    assert converter.unstructure(postmortem.loads(written)) == converter.unstructure(
        session.document
    )


def test_a_section_with_an_alias_of_another_is_merged_whole() -> None:
    text = (
        "schema_version: 1\nprofile: postmortem\nmetadata:\n  id: X\n  title: &t Same\n"
        "summary:\n  text: *t\n"
    )
    session = yaml_io.edit_text(text)
    session.document.metadata.title = "Other"
    written = session.dumps()
    again = postmortem.loads(written)
    assert (again.metadata.title, again.summary and again.summary.text) == ("Other", "Same")
