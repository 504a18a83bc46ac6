"""Edits lose nothing: what ``postmortem.edit`` and every command that writes keep of a file
a person wrote, and what they refuse to overwrite."""

import difflib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import postmortem
from postmortem import converter, files, hooks, yaml_io
from postmortem.cli import main
from postmortem.errors import ConcurrentEditError, UsageError
from postmortem.model import ActionItem, ActionStatus, PostMortem
from tests.conftest import EXAMPLES
from tests.gitrepo import init_repo
from tests.handwritten import BOM, handwritten, leaves, set_at, written_lines
from tests.strategies import documents, for_type

NOTE = re.compile(r"# note-\d+")
_HOOKS = ["--hooks-repo", "https://example.com/postmortem", "--hooks-rev", "v1"]

whole_file_edits = settings(max_examples=max(10, settings.default.max_examples // 4))
"""Each example writes, edits and compares a whole generated document: a quarter of the
profile's examples keeps the suite fast; the ``thorough`` profile runs 500."""


def _remove(doc: PostMortem, path: tuple[Any, ...]) -> None:
    """Remove the value at ``path``: a list item, or a field set to None."""
    owner: Any = doc
    for step in path[:-1]:
        owner = owner[step] if isinstance(step, int) else getattr(owner, step)
    if isinstance(path[-1], int):
        del owner[path[-1]]
    else:
        setattr(owner, path[-1], None)


def _edited(original: str, change: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The text of a file holding ``original`` after ``postmortem.edit`` applied ``change``."""
    path = tmp_path_factory.mktemp("edit") / "doc.yaml"
    path.write_bytes(original.encode("utf-8"))
    with postmortem.edit(path) as doc:
        change(doc)
    return path.read_bytes().decode("utf-8")


def _changed_document(text: str, change: Any) -> PostMortem:
    """The document of ``text`` with ``change`` applied; rejected if the model does not
    hold it (a required field removed, a value of the wrong kind)."""
    doc = postmortem.loads(text)
    try:
        change(doc)
        postmortem.loads(postmortem.dumps(doc))
    except Exception:  # any failure of the model itself
        assume(False)
    return doc


@whole_file_edits
@given(documents, st.data())
def test_editing_one_field_leaves_every_other_line_byte_identical(
    tmp_path_factory: pytest.TempPathFactory, doc: PostMortem, data: st.DataObject
) -> None:
    """A random document, written with comments, blank lines, anchors and aliases, CRLF, a
    byte order mark or no final line break; one random field changed: every line outside
    that field's lines stays byte for byte, and no comment is lost, moved or doubled."""
    original = handwritten(postmortem.dumps(doc), data)
    text = original.removeprefix(BOM)
    fields = [
        (path, field_type)
        for path, field_type in leaves(postmortem.loads(text))
        if path != ("schema_version",) and written_lines(text, path) is not None
    ]
    assume(fields)
    path, field_type = data.draw(st.sampled_from(fields))
    value = data.draw(for_type(field_type))
    expected = _changed_document(text, lambda changed: set_at(changed, path, value))
    assume(converter.unstructure(expected) != converter.unstructure(postmortem.loads(text)))

    after = _edited(original, lambda edited: set_at(edited, path, value), tmp_path_factory)

    start, end = written_lines(text, path) or (0, 0)
    old_lines, new_lines = original.splitlines(keepends=True), after.splitlines(keepends=True)
    assert new_lines[:start] == old_lines[:start]
    kept_after = len(old_lines) - end - 1
    assert new_lines[len(new_lines) - kept_after :] == old_lines[end + 1 :]
    notes = NOTE.findall(after)
    assert len(set(notes)) == len(notes)
    if not isinstance(value, postmortem.Link):  # a link's label line may go with its label
        assert notes == NOTE.findall(original)
    assert postmortem.loads(after.removeprefix(BOM)) == expected


@whole_file_edits
@given(documents, st.data())
def test_removing_a_field_or_an_item_removes_only_its_own_lines(
    tmp_path_factory: pytest.TempPathFactory, doc: PostMortem, data: st.DataObject
) -> None:
    """Removing a random field or list item of a hand-written document takes out its lines
    (and blank lines next to them) and nothing else; every comment around it stays."""
    original = handwritten(postmortem.dumps(doc), data)
    text = original.removeprefix(BOM)
    fields = [
        path
        for path, _ in leaves(postmortem.loads(text))
        if path != ("schema_version",) and written_lines(text, path) is not None
    ]
    assume(fields)
    path = data.draw(st.sampled_from(fields))
    expected = _changed_document(text, lambda changed: _remove(changed, path))
    # What disappears from the file: the deepest entry on the path that is gone.
    remaining: Any = converter.unstructure(expected)
    gone = path
    for depth, step in enumerate(path):
        in_list = isinstance(remaining, list) and depth < len(path) - 1
        if in_list or (isinstance(remaining, dict) and step in remaining):
            remaining = remaining[step]
        else:
            gone = path[: depth + 1]
            break
    span = written_lines(text, gone)
    assume(span is not None)
    if isinstance(gone[-1], int):  # of equal items, which one goes cannot be told
        items: Any = converter.unstructure(postmortem.loads(text))
        for step in gone[:-1]:
            items = items[step]
        assume(items.count(items[gone[-1]]) == 1)

    after = _edited(original, lambda edited: _remove(edited, path), tmp_path_factory)

    start, end = span or (0, 0)
    old_lines, new_lines = original.splitlines(keepends=True), after.splitlines(keepends=True)
    removed, added = [], []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag != "equal":
            removed += [
                old_lines[number].strip()
                for number in range(old_start, old_end)
                if not start <= number <= end
                and old_lines[number].strip()
                and not NOTE.fullmatch(old_lines[number].strip())  # notes: checked below
            ]
            added += [
                line.strip()
                for line in new_lines[new_start:new_end]
                if line.strip() and not NOTE.fullmatch(line.strip())  # notes: checked below
            ]
    # At most one line is rewritten: the key of a mapping left empty ({} or [] on its
    # line), or the key that moves onto the dash of an item whose first key went.
    assert len(added) <= 1
    for line in removed:
        rewritten = added[0].removeprefix("- ").replace(" {}", "").replace(" []", "")
        assert rewritten.split() == line.split()
    kept = set(NOTE.findall(after))
    assert NOTE.findall(after) == [note for note in NOTE.findall(original) if note in kept]
    outside = "".join(old_lines[:start] + old_lines[end + 1 :])
    assert set(NOTE.findall(outside)) <= kept
    assert postmortem.loads(after.removeprefix(BOM)) == expected


LISTED = """\
profile: postmortem
metadata:
  id: INC-1
  title: Queue backlog
action_items:
  # first one
  - action: Alert on lag   # agreed
    owner: ops
  # second one
  - action: Replay tool
    owner: sre
    # inside the second
  # third one
  - action: Game day
  # end of the list

# after the list
lessons:
  went_well: [Paging]
"""


@pytest.mark.parametrize(
    ("index", "removed"),
    [
        (0, "  - action: Alert on lag   # agreed\n    owner: ops\n"),
        (1, "  - action: Replay tool\n    owner: sre\n    # inside the second\n"),
        (2, "  - action: Game day\n"),
    ],
    ids=["first", "middle", "last"],
)
def test_deleting_an_item_takes_its_lines_and_leaves_the_comments_around_it(
    index: int, removed: str
) -> None:
    session = yaml_io.edit_text(LISTED)
    del session.document.action_items[index]
    assert session.dumps() == LISTED.replace(removed, "", 1)


def test_an_added_item_goes_before_the_comment_that_ends_the_list() -> None:
    session = yaml_io.edit_text(LISTED)
    session.document.add_action_item(ActionItem(action="Runbook"))
    assert session.dumps() == LISTED.replace(
        "  - action: Game day\n", "  - action: Game day\n  - action: Runbook\n"
    )


def test_an_item_added_between_two_leaves_the_comment_above_the_next_one() -> None:
    session = yaml_io.edit_text(LISTED)
    session.document.action_items.insert(1, ActionItem(action="Runbook"))
    assert session.dumps() == LISTED.replace(
        "    owner: ops\n", "    owner: ops\n  - action: Runbook\n"
    )


def test_an_item_added_first_goes_above_the_comment_on_the_item_that_was_first() -> None:
    session = yaml_io.edit_text(LISTED)
    session.document.action_items.insert(0, ActionItem(action="Runbook"))
    assert session.dumps() == LISTED.replace(
        "  # first one\n", "  - action: Runbook\n  # first one\n"
    )


MAPPED = """\
profile: postmortem
metadata:
  id: INC-1
  title: Queue backlog   # agreed title
  # about the severity
  severity: P2
lessons:

  # what hurt
  went_wrong: [Lag]
"""


def test_deleting_a_key_keeps_the_comment_after_it() -> None:
    session = yaml_io.edit_text(MAPPED)
    session.document.metadata.severity = None
    assert session.dumps() == MAPPED.replace("  severity: P2\n", "")


def test_emptying_the_last_section_keeps_the_comments_above_and_after_it() -> None:
    text = (
        "profile: postmortem\nmetadata:\n  id: X\ndistribution:\n  # keep me\n  note: hi\n# end\n"
    )
    session = yaml_io.edit_text(text)
    assert session.document.distribution is not None
    session.document.distribution.note = None
    expected = "profile: postmortem\nmetadata:\n  id: X\ndistribution: {}\n  # keep me\n# end\n"
    assert session.dumps() == expected


def test_a_key_added_after_one_with_a_comment_leaves_the_comment_where_it_is() -> None:
    text = MAPPED.replace("  # about the severity\n  severity: P2\n", "")
    session = yaml_io.edit_text(text)
    session.document.metadata.version = "0.2"
    assert session.dumps() == text.replace(
        "   # agreed title\n", "   # agreed title\n  version: '0.2'\n"
    )


def test_a_key_added_first_goes_below_a_heading_and_above_the_comment_on_the_next() -> None:
    session = yaml_io.edit_text(MAPPED)
    assert session.document.lessons is not None
    session.document.lessons.went_well = ["Paging"]
    assert session.dumps() == MAPPED.replace(
        "lessons:\n\n", "lessons:\n\n  went_well:\n    - Paging\n"
    )


MINIMAL = """\
# written by hand: no schema_version, no status
profile: postmortem
metadata:
  id: INC-2
  title: Disk full
action_items:
  - action: Alert on disk usage
"""


def test_an_edit_writes_no_default_the_person_left_out() -> None:
    session = yaml_io.edit_text(MINIMAL)
    session.document.metadata.title = "Disk full on db-1"
    session.document.action_items[0].owner = "dba"
    assert session.dumps() == MINIMAL.replace("Disk full", "Disk full on db-1").replace(
        "usage\n", "usage\n    owner: dba\n"
    )


def test_a_default_the_person_left_out_is_written_once_it_changes() -> None:
    session = yaml_io.edit_text(MINIMAL)
    session.document.action_items[0].status = ActionStatus.COMPLETED
    assert session.dumps() == MINIMAL + "    status: Completed\n"


ANCHORED = """\
profile: postmortem
metadata:
  id: INC-3
  title: &title Queue backlog
  created: &first 2024-01-01T10:00:00Z  # when we noticed
  updated: *first
  authors: &people
    - name: Dana
summary:
  text: *title
  immediate_actions: &actions [Restart the consumers]
  top_recommendations: *actions
participants: *people
lessons:
  went_well: &unused [Paging]
"""


def test_anchors_and_aliases_stay_and_no_anchor_is_added() -> None:
    session = yaml_io.edit_text(ANCHORED)
    session.document.metadata.id = "INC-4"
    session.document.add_action_item(ActionItem(action="Alert on lag", owner="ops"))
    assert session.dumps() == ANCHORED.replace("INC-3", "INC-4").replace(
        "lessons:\n", "action_items:\n  - action: Alert on lag\n    owner: ops\nlessons:\n"
    )


def test_changing_one_place_of_an_alias_leaves_the_other_its_value() -> None:
    session = yaml_io.edit_text(ANCHORED)
    session.document.summary.immediate_actions.append("Page the owner")  # type: ignore[union-attr]
    assert session.dumps() == ANCHORED.replace(
        "  immediate_actions: &actions [Restart the consumers]\n  top_recommendations: *actions\n",
        "  immediate_actions: [Restart the consumers, Page the owner]\n"
        "  top_recommendations: &actions [Restart the consumers]\n",
    )


def test_a_comment_after_an_alias_stays_on_its_line_when_the_edit_is_elsewhere() -> None:
    text = ANCHORED.replace("  updated: *first\n", "  updated: *first  # same moment\n")
    session = yaml_io.edit_text(text)
    session.document.metadata.id = "INC-4"
    assert session.dumps() == text.replace("INC-3", "INC-4")


CRLF = MINIMAL.replace("\n", "\r\n")


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        (CRLF, CRLF.replace("usage\r\n", "usage\r\n    owner: dba\r\n")),
        (
            MINIMAL.replace("title: Disk full\n", "title: Disk full\r\n"),
            MINIMAL.replace("title: Disk full\n", "title: Disk full\r\n").replace(
                "usage\n", "usage\n    owner: dba\n"
            ),
        ),
        (BOM + CRLF, BOM + CRLF.replace("usage\r\n", "usage\r\n    owner: dba\r\n")),
        (MINIMAL.removesuffix("\n"), MINIMAL + "    owner: dba"),
    ],
    ids=["crlf", "mixed", "bom-crlf", "no-final-line-break"],
)
def test_line_breaks_a_byte_order_mark_and_a_missing_final_line_break_are_kept(
    tmp_path: Path, original: str, expected: str
) -> None:
    path = tmp_path / "inc.yaml"
    path.write_bytes(original.encode("utf-8"))
    with postmortem.edit(path) as doc:
        doc.action_items[0].owner = "dba"
    assert path.read_bytes() == expected.encode("utf-8")


def test_when_the_files_lines_do_not_fit_with_rewritten_ones_ruamel_rewrites_the_file() -> None:
    """Indented two ways: the new item cannot sit among the file's own lines, so the whole
    list is written in one indentation; the result still reads back as the document."""
    text = "profile: postmortem\nmetadata:\n    id: INC-5\naction_items:\n- action: A\n"
    session = yaml_io.edit_text(text)
    session.document.add_action_item(ActionItem(action="B"))
    written = session.dumps()
    assert postmortem.loads(written).action_items[1].action == "B"
    assert written.startswith("profile: postmortem\nmetadata:\n    id: INC-5\n")


def test_an_edit_that_would_not_read_back_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setattr(yaml_io.editing._Merger, "merge", lambda self, node, *args: node)
    with (
        pytest.raises(RuntimeError, match="does not read back as the document"),
        postmortem.edit(path) as doc,
    ):
        doc.metadata.title = "changed"
    assert path.read_text(encoding="utf-8") == MINIMAL


# Concurrent changes, read-only files, links: refused, and the file as the other left it.


def test_a_change_made_while_an_edit_runs_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    theirs = MINIMAL.replace("Disk full", "Disk full (their words)")
    with pytest.raises(ConcurrentEditError) as caught, postmortem.edit(path) as doc:  # noqa: PT012
        doc.metadata.title = "mine"
        path.write_text(theirs, encoding="utf-8")
    assert str(caught.value) == f"{path}: changed on disk since it was read; not overwritten"
    assert path.read_text(encoding="utf-8") == theirs
    assert [entry.name for entry in tmp_path.iterdir()] == ["inc.yaml"]


def test_a_change_of_the_same_size_and_time_is_seen_by_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    times = path.stat().st_atime_ns, path.stat().st_mtime_ns
    theirs = MINIMAL.replace("INC-2", "INC-9")
    with pytest.raises(ConcurrentEditError), postmortem.edit(path) as doc:  # noqa: PT012
        doc.metadata.title = "mine"
        with path.open("r+", encoding="utf-8") as stream:  # in place: same inode
            stream.write(theirs)
        os.utime(path, ns=times)
    assert path.read_text(encoding="utf-8") == theirs


def test_a_change_landing_while_the_new_text_is_written_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison is made after the temporary file is written and flushed, just
    before the rename."""
    path = tmp_path / "inc.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    write_temporary = files._write_temporary

    def slow_write(target: Path, data: bytes, mode: int, *, durable: bool) -> Path:
        written = write_temporary(target, data, mode, durable=durable)
        path.write_text("theirs\n", encoding="utf-8")
        return written

    monkeypatch.setattr(files, "_write_temporary", slow_write)
    with pytest.raises(ConcurrentEditError), postmortem.edit(path) as doc:
        doc.metadata.title = "mine"
    assert path.read_text(encoding="utf-8") == "theirs\n"
    assert [entry.name for entry in tmp_path.iterdir()] == ["inc.yaml"]


def test_a_file_created_at_the_last_moment_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new.yaml"
    state = files.file_state(path)
    put_in_place = files._put_in_place

    def racing(temporary: Path, source: str, base: files.FileState) -> None:
        monkeypatch.setattr(files, "_state", lambda *args, **kwargs: base)  # the check passes
        path.write_text("theirs\n", encoding="utf-8")
        put_in_place(temporary, source, base)

    monkeypatch.setattr(files, "_put_in_place", racing)
    with pytest.raises(ConcurrentEditError, match=r"new\.yaml: was created meanwhile"):
        files.write_atomic(path, "mine\n", expected=state)
    assert path.read_text(encoding="utf-8") == "theirs\n"
    assert [entry.name for entry in tmp_path.iterdir()] == ["new.yaml"]


def test_without_hard_links_a_new_file_is_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hard_links(source: str, target: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    files.write_atomic(tmp_path / "new.yaml", "mine\n")
    assert (tmp_path / "new.yaml").read_text(encoding="utf-8") == "mine\n"
    assert [entry.name for entry in tmp_path.iterdir()] == ["new.yaml"]


def test_a_read_only_file_is_refused_and_left_read_only(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    path.chmod(0o444)
    with (
        pytest.raises(UsageError, match=r"^.*inc\.yaml: is read-only; not written$"),
        postmortem.edit(path) as doc,
    ):
        doc.metadata.title = "mine"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert path.read_text(encoding="utf-8") == MINIMAL


def test_a_link_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "inc.yaml"
    target.write_text(MINIMAL, encoding="utf-8")
    link = tmp_path / "inc.yaml"
    link.symlink_to(target)
    with postmortem.edit(link, within=tmp_path) as doc:
        doc.metadata.title = "Disk full on db-1"
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == MINIMAL.replace("Disk full", "Disk full on db-1")
    assert sorted(entry.name for entry in (tmp_path / "real").iterdir()) == ["inc.yaml"]


def test_a_link_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(MINIMAL, encoding="utf-8")
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / "inc.yaml").symlink_to(outside)
    with pytest.raises(postmortem.DocumentError, match="outside the repository"):
        postmortem.edit(repository / "inc.yaml", within=repository).__enter__()
    with pytest.raises(UsageError, match=r"inc\.yaml: links to .*outside.yaml, outside the"):
        files.write_atomic(repository / "inc.yaml", "mine\n", within=repository)
    assert outside.read_text(encoding="utf-8") == MINIMAL


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_write_that_fails_leaves_the_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(MINIMAL, encoding="utf-8")

    def fail(descriptor: int) -> None:
        raise failure

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises((UsageError, KeyboardInterrupt)):
        files.write_atomic(path, "mine\n")
    assert path.read_text(encoding="utf-8") == MINIMAL
    assert [entry.name for entry in tmp_path.iterdir()] == ["inc.yaml"]


# A process killed in the middle of a write: the file intact, the leftover never committed.

_KILLED_WRITE = """
import os
from postmortem import files
def killed(*args):
    os.kill(os.getpid(), 9)
os.replace = killed
files.write_atomic({path!r}, "half-written")
"""


def _kill_a_write(path: Path) -> Path:
    """Run a write of ``path`` in a child process that is SIGKILLed just before the rename;
    the temporary file it leaves."""
    script = _KILLED_WRITE.format(path=str(path))
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == -9
    (leftover,) = path.parent.glob(".postmortem-*.tmp")
    return leftover


def test_a_killed_write_leaves_the_file_and_a_temporary_file_git_ignores(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    assert (
        main(["init", str(tmp_path), "--hooks-repo", "https://example.com/pm", "--hooks-rev", "v1"])
        == 0
    )
    document = tmp_path / "incidents" / "INC-0001.yaml"
    document.write_text(MINIMAL, encoding="utf-8")
    leftover = _kill_a_write(document)
    assert document.read_text(encoding="utf-8") == MINIMAL
    assert files.is_temporary_file(leftover)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "incidents/INC-0001.yaml" in staged
    assert not [name for name in staged if name.endswith(".tmp")]


def test_a_staged_temporary_file_is_refused_by_the_hooks(
    tmp_path: Path,
    git_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Where no ``.gitignore`` hides it, ``git add -A`` stages the leftover and both the
    pre-commit hooks and the plain git hook refuse the commit, naming it."""
    repo = init_repo(tmp_path / "repo")
    document = repo.write("INC-1.yaml", MINIMAL)
    leftover = _kill_a_write(document)
    repo.git("add", "-A")
    monkeypatch.chdir(repo.root)
    name = leftover.name
    assert hooks.classification([name]) == 1
    assert main(["check", "--staged"]) == 1
    out = capsys.readouterr().out
    expected = f"{name}:0:0: PM101 a temporary file a killed postmortem write left behind"
    assert out.count(expected) == 2


# The commands that write.


def _write_document(folder: Path, text: str = MINIMAL) -> Path:
    path = folder / "INC-2.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["render", "{doc}", "--no-git-history", "-o", "{doc}"],
        ["render", "{doc}", "--no-git-history", "-o", "{folder}/./INC-2.yaml"],
        ["render", "{doc}", "--no-git-history", "-o", "{folder}/link.yaml"],
        ["export", "{doc}", "--audience", "Public", "-o", "{doc}"],
        ["import", "{folder}/old.md", "-o", "{folder}/old.md"],
    ],
    ids=["render", "render-spelled-otherwise", "render-through-a-link", "export", "import"],
)
def test_an_output_naming_an_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    doc = _write_document(tmp_path)
    (tmp_path / "link.yaml").symlink_to(doc)
    markdown = tmp_path / "old.md"
    markdown.write_text("# Post-mortem: Disk full\n", encoding="utf-8")
    argv = [part.format(doc=doc, folder=tmp_path) for part in command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"postmortem: {argv[-1]}: is the input ")
    assert err.endswith("; write to another file\n")
    assert doc.read_text(encoding="utf-8") == MINIMAL
    assert markdown.read_text(encoding="utf-8") == "# Post-mortem: Disk full\n"


@pytest.mark.parametrize(
    "command",
    [
        ["render", "{doc}", "--no-git-history", "-o", "{out}"],
        ["export", "{doc}", "--audience", "Public", "-o", "{out}"],
        ["schema", "-o", "{out}"],
    ],
    ids=["render", "export", "schema"],
)
def test_an_output_that_is_read_only_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    doc = _write_document(tmp_path)
    out = tmp_path / "out.md"
    out.write_text("kept\n", encoding="utf-8")
    out.chmod(0o444)
    assert main([part.format(doc=doc, out=out) for part in command]) == 2
    assert capsys.readouterr().err == f"postmortem: {out}: is read-only; not written\n"
    assert out.read_text(encoding="utf-8") == "kept\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o444


def test_an_output_keeps_its_line_breaks_and_byte_order_mark(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    out.write_bytes(b"\xef\xbb\xbfold\r\n")
    assert main(["schema", "-o", str(out)]) == 0
    written = out.read_bytes()
    assert written.startswith(b'\xef\xbb\xbf{\r\n  "$schema"')
    assert b"\n" not in written.replace(b"\r\n", b"")


def test_an_output_linking_out_of_its_repository_is_refused(
    tmp_path: Path, git_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "repo")
    doc = _write_document(repo.root)
    outside = tmp_path / "elsewhere.md"
    (repo.root / "INC-2.md").symlink_to(outside)
    assert main(["render", str(doc), "--no-git-history", "-o", str(repo.root / "INC-2.md")]) == 2
    assert "outside the repository; not written" in capsys.readouterr().err
    assert not outside.exists()


def _history_repo(root: Path) -> Path:
    repo = init_repo(root)
    repo.write("INC-2.yaml", MINIMAL)
    repo.commit("INC-2: first draft")
    return repo.root / "INC-2.yaml"


def test_history_write_refuses_a_read_only_file(
    tmp_path: Path, git_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _history_repo(tmp_path / "repo")
    path.chmod(0o444)
    assert main(["history", "--write", str(path)]) == 2
    assert capsys.readouterr().err == f"postmortem: {path}: is read-only; not written\n"
    assert path.read_text(encoding="utf-8") == MINIMAL


def test_history_write_refuses_to_overwrite_a_change_made_meanwhile(
    tmp_path: Path,
    git_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _history_repo(tmp_path / "repo")
    theirs = MINIMAL.replace("Disk full", "Disk full (typed meanwhile)")
    from postmortem import history

    apply_history = history.apply_history

    def typed_meanwhile(doc: PostMortem, found: Any) -> None:
        apply_history(doc, found)
        path.write_text(theirs, encoding="utf-8")

    monkeypatch.setattr(history, "apply_history", typed_meanwhile)
    assert main(["history", "--write", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"postmortem: {path}: changed on disk since it was read; not overwritten\n"
    )
    assert path.read_text(encoding="utf-8") == theirs


def test_history_write_keeps_crlf(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = init_repo(tmp_path / "repo")
    path = repo.write("INC-2.yaml", CRLF)
    repo.commit("INC-2: first draft")
    assert main(["history", "--write", str(path)]) == 0
    written = path.read_bytes()
    assert written.startswith(CRLF.split("action_items")[0].encode("utf-8"))
    assert b"\r\nhistory:\r\n  - version: '0.1'\r\n" in written
    assert b"\n" not in written.replace(b"\r\n", b"")


def test_the_render_hook_keeps_crlf_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    doc = _write_document(tmp_path)
    assert hooks.render([str(doc)]) == 1
    rendered = tmp_path / "INC-2.md"
    rendered.write_bytes(rendered.read_bytes().replace(b"\n", b"\r\n"))
    before = rendered.read_bytes()
    assert hooks.render([str(doc)]) == 0
    assert rendered.read_bytes() == before
    doc.write_text(MINIMAL.replace("Disk full", "Disk full on db-1"), encoding="utf-8")
    assert hooks.render([str(doc)]) == 1
    written = rendered.read_bytes()
    assert b"Disk full on db-1" in written
    assert b"\n" not in written.replace(b"\r\n", b"")


@pytest.mark.parametrize("case", ["read-only", "outside"])
def test_the_render_hook_refuses_what_it_must_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / ".postmortem.yaml").write_text("{}\n", encoding="utf-8")
    doc = _write_document(repository)
    rendered = repository / "INC-2.md"
    if case == "read-only":
        rendered.write_text("stale\n", encoding="utf-8")
        rendered.chmod(0o444)
        expected = f"postmortem-render: {rendered}: is read-only; not written\n"
        assert hooks.render([str(doc)]) == 2
        assert capsys.readouterr().err == expected
        assert rendered.read_text(encoding="utf-8") == "stale\n"
    else:
        rendered.symlink_to(tmp_path / "elsewhere.md")
        assert hooks.render([str(doc)]) == 2
        assert "outside the repository; not written" in capsys.readouterr().err
        assert not (tmp_path / "elsewhere.md").exists()


def test_new_never_replaces_a_file_created_while_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "INC-7.yaml"
    from postmortem import scaffold

    make = scaffold.scaffold

    def slow_scaffold(*args: Any, **kwargs: Any) -> str:
        path.write_text("theirs\n", encoding="utf-8")
        return make(*args, **kwargs)

    monkeypatch.setattr(scaffold, "scaffold", slow_scaffold)
    assert main(["new", str(path), "--profile", "postmortem"]) == 2
    assert (
        capsys.readouterr().err == f"postmortem: {path}: was created meanwhile; not overwritten\n"
    )
    assert path.read_text(encoding="utf-8") == "theirs\n"


def test_init_appends_to_a_crlf_gitignore_with_crlf(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    (tmp_path / ".gitignore").write_bytes(b"node_modules/\r\n")
    assert (
        main(["init", str(tmp_path), "--hooks-repo", "https://example.com/pm", "--hooks-rev", "v1"])
        == 0
    )
    written = (tmp_path / ".gitignore").read_bytes()
    assert written.startswith(b"node_modules/\r\n# postmortem: ")
    assert written.endswith(b".*.tmp\r\n.venv/\r\n")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_an_example_edited_as_crlf_differs_only_on_the_edited_line(
    tmp_path: Path, path: Path
) -> None:
    original = path.read_bytes().replace(b"\n", b"\r\n")
    copy = tmp_path / path.name
    copy.write_bytes(original)
    with postmortem.edit(copy) as doc:
        doc.metadata.title = "A new title"
    changed = [
        (old, new)
        for old, new in zip(original.split(b"\r\n"), copy.read_bytes().split(b"\r\n"), strict=True)
        if old != new
    ]
    assert changed == [(changed[0][0], b"  title: A new title")]
