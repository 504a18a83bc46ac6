"""Inputs that are not plain files or plain values: special files and paths, values no field
can hold, and text that would act on a terminal or a spreadsheet (issue 13, class 8).

The special files of ``tests/hostile.py`` go through every command in ``test_hostile.py``;
here are what needs more than one file: a file swapped during the read, and ``..`` in paths."""

import codecs
import csv
import io
import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

import postmortem
from postmortem import files
from postmortem._terminal import CONTROL_CHARACTERS, terminal_text
from postmortem.cli import main
from postmortem.errors import DocumentError, Finding, Level, Problem
from postmortem.files import read_text
from postmortem.importer import import_markdown
from postmortem.model import Impact
from postmortem.reporting import styled
from tests.conftest import EXAMPLES
from tests.gitrepo import GitRepo
from tests.hostile import VALUE_CASES

# --- Files that change under the reader, and ".." -------------------------------------------


def _swapped_before_open(monkeypatch: pytest.MonkeyPatch, swap: Callable[[str], object]) -> None:
    """Make ``files.read_text`` find its file replaced (by what ``swap`` makes at its path)
    between its check and its open."""
    real_open = os.open

    def open_after_swap(path: str, flags: int) -> int:
        os.unlink(path)
        swap(path)
        return real_open(path, flags)

    monkeypatch.setattr(files.os, "open", open_after_swap)


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "INC-1.yaml"
    document.write_text("profile: postmortem\n", encoding="utf-8")
    _swapped_before_open(monkeypatch, os.mkfifo)
    with pytest.raises(DocumentError) as refused:
        read_text(document)  # a blocking open of a FIFO with no writer would never return
    assert str(refused.value) == f"{document}:0:0: is a FIFO (named pipe), not a file; not read"


def test_a_folder_swapped_for_a_link_out_after_the_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "repo" / "incidents").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    document = tmp_path / "repo" / "incidents" / "INC-1.yaml"
    document.write_text("profile: postmortem\n", encoding="utf-8")
    (tmp_path / "outside" / "INC-1.yaml").write_text("secret: outside\n", encoding="utf-8")
    real_open = os.open

    def open_after_swap(path: str, flags: int) -> int:
        (tmp_path / "repo" / "incidents").rename(tmp_path / "repo" / "moved")
        (tmp_path / "repo" / "incidents").symlink_to(tmp_path / "outside")
        return real_open(path, flags)

    monkeypatch.setattr(files.os, "open", open_after_swap)
    with pytest.raises(DocumentError) as refused:
        read_text(document, within=tmp_path / "repo")
    assert str(refused.value) == f"{document}:0:0: changed while being read; not read"


def test_a_file_swapped_for_a_link_after_the_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "INC-1.yaml"
    document.write_text("profile: postmortem\n", encoding="utf-8")
    (tmp_path / "secret").write_text("secret: outside\n", encoding="utf-8")
    _swapped_before_open(monkeypatch, lambda path: Path(path).symlink_to(tmp_path / "secret"))
    with pytest.raises(DocumentError, match="symbolic links"):
        read_text(document)


@pytest.fixture
def linked_folders(tmp_path: Path, example_paths: list[Path]) -> Path:
    """A repository with ``b/doc.yaml``, ``real/b/doc.yaml`` and two links to folders:
    ``inside -> real/sub`` and ``out -> ../outside/x``, whose ``..`` leads to
    ``outside/b/doc.yaml``."""
    repo = tmp_path / "repo"
    for folder in ("b", "real/b", "real/sub"):
        (repo / folder).mkdir(parents=True)
    (repo / ".git").mkdir()
    (tmp_path / "outside" / "x").mkdir(parents=True)
    (tmp_path / "outside" / "b").mkdir()
    example = example_paths[0].read_text(encoding="utf-8")
    (repo / "b" / "doc.yaml").write_text(example, encoding="utf-8")
    (repo / "real" / "b" / "doc.yaml").write_text(example + "# real/b\n", encoding="utf-8")
    (tmp_path / "outside" / "b" / "doc.yaml").write_text(example, encoding="utf-8")
    (repo / "inside").symlink_to("real/sub")
    (repo / "out").symlink_to("../outside/x")
    return repo


def test_dotdot_after_a_link_is_resolved_as_the_system_resolves_it(linked_folders: Path) -> None:
    """``inside/../b`` is ``real/b``, not ``b``: the ``..`` leaves from where the link leads."""
    text = read_text(linked_folders / "inside" / ".." / "b" / "doc.yaml", within=linked_folders)
    assert text.endswith("# real/b\n")


def test_dotdot_after_a_link_out_of_the_repository_is_not_read(
    linked_folders: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(linked_folders)
    assert main(["validate", "out/../b/doc.yaml"]) == 1
    outside = linked_folders.parent / "outside" / "b" / "doc.yaml"
    assert capsys.readouterr().out == (
        f"out/../b/doc.yaml:0:0: links to {outside}, outside the repository"
        f" {linked_folders}; not read\n"
    )


# --- Values no field can hold ----------------------------------------------------------------

_LOCATED_VALUES = {
    "impossible-date.yaml": ("6:12", "metadata.created", "not a date or time: '2024-02-30'"),
    "month-13.yaml": ("6:12", "metadata.created", "not a date or time: '2024-13-01'"),
    "year-zero.yaml": ("6:12", "metadata.created", "not a date or time: '0000-01-01'"),
    "year-10000.yaml": ("6:12", "metadata.created", "not a date or time: '10000-01-01'"),
    "absurd-offset.yaml": (
        "6:19",
        "metadata.incident_start",
        "not a date or time: '2024-05-01 10:00:00+99:00'",
    ),
    "huge-integer.yaml": (
        "7:19",
        "impact.users_affected",
        "number too large (a whole number has at most 64 bits)",
    ),
    "huge-float.yaml": ("7:27", "impact.users_affected_percent", "number too large: inf"),
    "nan.yaml": ("7:27", "impact.users_affected_percent", "not a number (.nan)"),
    "inf.yaml": ("7:27", "impact.users_affected_percent", "number too large: inf"),
    "minus-inf.yaml": ("7:27", "impact.users_affected_percent", "number too large: -inf"),
    "terminal-escapes.yaml": (
        "6:3",
        "metadata.\\x1b]0;owned\\x07\\x1b[2J\\x0dINC-1.yaml:1:1: ok\\u202e\\x9b",
        "unknown key",
    ),
}


def test_every_value_case_has_its_expected_place() -> None:
    assert set(_LOCATED_VALUES) == set(VALUE_CASES)


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_a_value_no_field_can_hold_is_located_with_its_field_path(name: str) -> None:
    with pytest.raises(DocumentError) as refused:
        postmortem.loads(VALUE_CASES[name]().decode(), name)
    (problem,) = refused.value.problems
    place, path, message = _LOCATED_VALUES[name]
    assert str(problem).startswith(f"{name}:{place}: {path}: {message}"), str(problem)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "profile: postmortem\nmetadata:\n  id: A\n  title: T\n  title: U\n",
            "x.yaml:5:3: metadata.title: YAML: duplicate key 'title'",
        ),
        (
            "profile: postmortem\nmetadata: {id: A}\naction_items:\n"
            "  - {action: a, due: 2024-01-01}\n  - {action: b, due: 0x" + "f" * 20_000 + "}\n",
            "x.yaml:5:22: action_items[1].due: number too large",
        ),
        (
            "profile: postmortem\nmetadata: {id: A}\nimpact: {users_affected: 9223372036854775808}"
            "\n",
            "x.yaml:3:26: impact.users_affected: number too large",
        ),
        (
            "profile: postmortem\nmetadata: {id: A}\nimpact: {duration: " + "9" * 5000 + "h}\n",
            "x.yaml:3:20: impact.duration: duration too long",
        ),
    ],
)
def test_what_the_yaml_reader_refuses_is_located_with_its_field_path(
    text: str, expected: str
) -> None:
    with pytest.raises(DocumentError) as refused:
        postmortem.loads(text, "x.yaml")
    (problem,) = refused.value.problems
    assert str(problem).startswith(expected), str(problem)


def test_the_widest_values_a_document_may_hold_load() -> None:
    doc = postmortem.loads(_EXTREME_DOCUMENT, "x.yaml")
    assert doc.impact is not None
    assert doc.impact.users_affected == 2**63 - 1
    assert doc.impact.users_affected_percent == 100
    assert doc.cost is not None
    assert doc.cost.engineering_hours == 1.7976931348623157e308


def test_the_import_keeps_a_value_no_field_can_hold_with_a_warning_on_its_line() -> None:
    markdown = (
        "# Post-Mortem: x\n\n## Impact\n\n**Users affected**: " + "9" * 30
        + "\n\n**Share of users affected (%)**: nan\n\n**Duration**: 2h\n"
    )  # fmt: skip
    imported = import_markdown(markdown, "x.md")
    assert [str(warning) for warning in imported.warnings] == [
        f"x.md:5:1: cannot read '{'9' * 30}' as int; kept in unmapped",
        "x.md:7:1: cannot read 'nan' as float; kept in unmapped",
    ]
    assert imported.document.impact == Impact(duration=timedelta(hours=2))
    distribution = "# Post-Mortem: x\n\n## Distribution\n\nThis document is classified as Bogus.\n"
    assert [str(warning) for warning in import_markdown(distribution, "x.md").warnings] == [
        "x.md:5:1: cannot read 'Bogus' as Classification; kept in unmapped"
    ]


def test_what_the_import_read_that_does_not_fit_is_placed_on_its_line() -> None:
    markdown = "# Security Incident Report: x\n\n**Report Date**: 2024-06-10\n\n"
    markdown += "### Report Prepared By\n\n**Role**: SRE\n\n## Executive Summary\n\nText.\n"
    with pytest.raises(DocumentError) as refused:
        import_markdown(markdown, "x.md")
    assert str(refused.value) == "x.md:7:1: metadata.prepared_by.name: required key is missing"


# --- Views of documents holding the widest values and hostile text ---------------------------

_EXTREME_DOCUMENT = r"""schema_version: 1
profile: postmortem
metadata:
  id: "INC-\e[2J1"
  title: "\e]0;owned\a\e[31mRed\rforged.yaml:1:1: ok\u202eevil\x9b[1m\u2028x"
  severity: P1
  created: 0001-01-01
  incident_start: 0001-01-01 00:00:00+23:59
  detected: 0001-01-01 00:00:00-23:59
  incident_end: 9999-12-31 23:59:59-23:59
impact:
  users_affected: 9223372036854775807
  users_affected_percent: 100
  duration: 999999999d
cost:
  engineering_hours: 1.7976931348623157e+308
action_items:
  - action: "=HYPERLINK(\"http://evil.example\",\"click\")"
    owner: "@SUM(1+1)\e[2J"
    due: 0001-01-01
    status: Open
  - action: "-5 +3 \u202e"
    owner: "+cmd"
    due: 9999-12-31
    status: Open
"""
_HOSTILE_TITLE = "\x1b]0;owned\x07\x1b[31mRed\rforged.yaml:1:1: ok\u202eevil\x9b[1m\u2028x"


@pytest.fixture
def hostile_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A repository with the extreme document, committed by an author and with a message that
    carry terminal escapes, and documents that do not load beside it."""
    repo = GitRepo(tmp_path)
    repo.git("init", "-q")
    repo.write("INC-1.yaml", _EXTREME_DOCUMENT)
    for name in ("nan.yaml", "huge-integer.yaml", "absurd-offset.yaml"):
        (tmp_path / name).write_bytes(VALUE_CASES[name]())
    repo.commit("\x1b]0;owned\x07 draft\x1b[2K", author="Mallory \x1b[2J <m@example.com>")
    monkeypatch.chdir(tmp_path)
    return repo


_JSON_VIEWS = [
    ["index", ".", "--format", "json"],
    ["actions", ".", "--format", "json"],
    ["stats", ".", "--format", "json"],
    ["history", "INC-1.yaml", "--format", "json"],
    ["check", "INC-1.yaml", "--format", "json", "--today", "2024-01-01"],
    ["export", "INC-1.yaml", "--audience", "Internal", "--format", "json"],
]


@pytest.mark.parametrize("argv", _JSON_VIEWS, ids=lambda argv: argv[0])
def test_every_json_output_is_valid_json(
    argv: list[str], hostile_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) in (0, 1)
    captured = capsys.readouterr()
    assert json.loads(captured.out)
    assert "Traceback" not in captured.err


def test_json_keeps_text_exactly(hostile_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    main(["index", ".", "--format", "json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["title"], row["started"]) == (_HOSTILE_TITLE, "0001-01-01")


def test_stats_write_the_month_of_an_early_year_in_full(
    hostile_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["stats", ".", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["by_month"] == {"0001-01": 1}


def test_the_views_report_the_documents_that_do_not_load_on_located_lines(
    hostile_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", "."]) == 1
    assert sorted(capsys.readouterr().err.splitlines()) == [
        "./absurd-offset.yaml:6:19: metadata.incident_start: not a date or time:"
        " '2024-05-01 10:00:00+99:00' (write e.g. 2024-05-01 or 2024-05-01 14:30:00+00:00)",
        "./huge-integer.yaml:7:19: impact.users_affected: number too large"
        " (a whole number has at most 64 bits)",
        "./nan.yaml:7:27: impact.users_affected_percent: not a number (.nan):"
        " write a number, or leave the field out",
    ]


_TERMINAL_VIEWS = [
    ["index", "."],
    ["actions", ".", "--today", "2024-01-01"],
    ["stats", "."],
    ["history", "INC-1.yaml"],
    ["check", "INC-1.yaml", "--today", "2024-01-01"],
    ["check", "INC-1.yaml", "--format", "github", "--today", "2024-01-01"],
    ["validate", "."],
]


@pytest.mark.parametrize("argv", _TERMINAL_VIEWS, ids=" ".join)
def test_text_for_a_terminal_carries_no_control_character(
    argv: list[str], hostile_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    main(argv)
    captured = capsys.readouterr()
    for output in (captured.out, captured.err):
        lines = output.splitlines()
        assert not CONTROL_CHARACTERS & set("".join(lines)), repr(output)
        assert not any(line.startswith("forged.yaml") for line in lines)


def test_the_index_shows_control_characters_as_escapes(
    hostile_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["index", "."])
    assert "\\x1b\\]0;owned\\x07\\x1b\\[31mRed<br>forged.yaml" in capsys.readouterr().out


def test_a_file_name_with_control_characters_is_escaped_on_the_validate_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = tmp_path / "\x1b[2J\rINC-1.yaml"
    name.write_bytes((EXAMPLES / "postmortem.yaml").read_bytes())
    assert main(["validate", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"{tmp_path}/\\x1b[2J\\x0dINC-1.yaml: ok\n"


def test_csv_keeps_text_but_no_cell_starts_a_formula(
    hostile_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["actions", ".", "--format", "csv", "--today", "2024-01-01"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(row["action"], row["owner"]) for row in rows] == [
        ('\'=HYPERLINK("http://evil.example","click")', "'@SUM(1+1)\x1b[2J"),
        ("'-5 +3 \u202e", "'+cmd"),
    ]
    assert rows[0]["document_id"] == "INC-\x1b[2J1"


# --- The escaping ---------------------------------------------------------------------------


def test_every_control_character_is_written_as_its_escape() -> None:
    for character in CONTROL_CHARACTERS:
        escaped = terminal_text(character)
        assert escaped.isascii()
        assert escaped.isprintable()
        assert codecs.decode(escaped, "unicode_escape") == character
    assert terminal_text("\x1b[2J\u202e\n") == "\\x1b[2J\\u202e\\x0a"
    assert terminal_text("one\ntwo\x07\n", lines=True) == "one\ntwo\\x07\n"


def test_text_that_shows_as_itself_is_kept() -> None:
    text = "Café 東京 \U0001f525 naïve \u2013 \u201cquoted\u201d \\x1b"
    assert terminal_text(text) == text


def test_a_located_line_is_one_escaped_line_and_colour_still_marks_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finding = Finding("a\x1b[2J.yaml", 3, 4, "PM201", "x\ry", "bad\n\x9b", Level.WARNING)
    line = '"a\\033[2J.yaml":3:4: PM201 x\\x0dy: bad\\x0a\\x9b (warning)'
    assert str(finding) == line
    problem = Problem("\u202e.yaml", 1, 2, "", "\x07")
    assert str(problem) == "\\u202e.yaml:1:2: \\x07"

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    coloured = styled(finding, Terminal())
    assert coloured.startswith('\x1b[1m"a\\033[2J.yaml":3:4:\x1b[0m \x1b[33mPM201\x1b[0m x\\x0dy')
