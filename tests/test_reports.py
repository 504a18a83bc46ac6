"""Repository-wide views and metrics over the example documents."""

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import postmortem
from postmortem.cli import main
from postmortem.metrics import durations
from postmortem.model import (
    ActionItem,
    ActionStatus,
    Classification,
    Gap,
    Metadata,
    PostMortem,
    PriorityTier,
    ProfileName,
    Recommendation,
)
from postmortem.render.tables import format_rows, json_text, plain
from postmortem.reports import index_rows, open_actions, scan, stats
from tests.conftest import EXAMPLES


def test_scan_finds_every_example_and_skips_other_yaml(tmp_path: Path) -> None:
    for path in EXAMPLES.glob("*.yaml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "ci.yaml").write_text("jobs: {build: {}}\n", encoding="utf-8")
    repository = scan(tmp_path)
    assert sorted(Path(item.path).name for item in repository.documents) == sorted(
        path.name for path in EXAMPLES.glob("*.yaml")
    )
    assert repository.problems == ()


def test_metrics_of_one_document() -> None:
    measured = durations(postmortem.load(EXAMPLES / "postmortem.yaml"))
    assert (measured.to_detect, measured.to_resolve) == (
        timedelta(minutes=6),
        timedelta(minutes=47),
    )


def test_index_rows_hold_the_key_facts() -> None:
    rows = {row.id: row for row in index_rows(scan(EXAMPLES).documents)}
    row = rows["PM-2024-007"]
    assert (row.severity, row.status, row.classification) == ("P1", "Final", "Confidential")
    assert row.started == date(2024, 3, 12)
    assert row.open_actions == 2


def test_index_filters_and_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(EXAMPLES), "--format", "csv", "--label", "Confidential"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted(row["id"] for row in rows) == [
        "INC-2024-0031",
        "INC-2024-06-03-001",
        "INC-2024-08-19-002",
        "PM-2024-007",
    ]
    window = ["--since", "2024-03-05", "--until", "2024-07-01"]
    assert main(["index", str(EXAMPLES), "--format", "json", *window]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in rows] == ["PM-2024-007", "INC-2024-06-03-001"]
    assert main(["index", str(EXAMPLES), "--severity", "High", "--sort", "id"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4  # header, rule, two rows
    assert "INC-2024-0031" in lines[2]


def test_actions_name_their_source_line_and_fail_on_overdue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = open_actions(scan(EXAMPLES).documents)
    certificate = next(item for item in found if item.action.startswith("Add every client"))
    source = (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8").splitlines()
    assert "Add every client" in source[certificate.line - 1]
    assert certificate.overdue(date(2024, 4, 20))
    assert main(["actions", str(EXAMPLES), "--today", "2024-01-01", "--fail-on-overdue"]) == 0
    capsys.readouterr()
    args = ["actions", str(EXAMPLES), "--today", "2024-04-20", "--overdue", "--format", "json"]
    assert main([*args, "--fail-on-overdue"]) == 1
    overdue = json.loads(capsys.readouterr().out)
    assert {item["source"].rsplit(":", 1)[0] for item in overdue} == {
        str(EXAMPLES / "postmortem.yaml"),
        str(EXAMPLES / "security-postmortem.yaml"),
    }
    assert main(["actions", str(EXAMPLES), "--owner", "lukas becker", "--format", "csv"]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row["due"] == "2024-04-15"


def test_stats_across_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    figures = stats(scan(EXAMPLES).documents)
    assert figures.documents == 5
    assert figures.by_severity == {"Critical": 1, "High": 2, "P1": 1, "Sev 2": 1}
    assert figures.by_rank == {"1": 2, "2": 3}
    assert figures.time_to_detect.median == timedelta(minutes=6)
    assert (figures.time_to_detect.known, figures.time_to_detect.unknown) == (4, 1)
    assert figures.follow_ups == 44  # the two gap recommendations are among them
    assert figures.follow_up_completion_rate == pytest.approx(29 / 42)  # two were cancelled
    assert main(["stats", str(EXAMPLES), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["time_to_resolve"]["median"] == "1h 27m"


def test_a_broken_document_is_reported_and_fails_the_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "bad.yaml").write_text("profile: [\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    assert main(["index", str(tmp_path)]) == 1
    assert "bad.yaml:2:1: YAML" in capsys.readouterr().err


def test_long_runs_show_progress_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["stats", str(EXAMPLES)]) == 0
    assert terminal.getvalue().endswith("\rscanning 5/5 files\n")
    monkeypatch.undo()
    assert main(["stats", str(EXAMPLES)]) == 0
    assert "scanning" not in capsys.readouterr().err


def _follow_ups_of_every_kind() -> PostMortem:
    """Two open action items (one without a status), a completed one, an open
    recommendation (without a status) and a cancelled one, an open gap recommendation and a
    gap without one."""
    return PostMortem(
        profile=ProfileName.SECURITY_POSTMORTEM,
        metadata=Metadata(id="INC-9", title="Leaked key", classification=Classification.INTERNAL),
        action_items=[
            ActionItem(action="Rotate keys", owner="sec", status=ActionStatus.IN_PROGRESS),
            ActionItem(action="Scan repositories", owner="appsec"),
            ActionItem(action="Revoke the key", owner="sec", status=ActionStatus.COMPLETED),
        ],
        recommendations=[
            Recommendation(title="Scope keys", tier=PriorityTier.HIGH, action="Per-endpoint keys"),
            Recommendation(
                title="Hardware keys", tier=PriorityTier.LOW, status=ActionStatus.CANCELLED
            ),
        ],
        gaps=[
            Gap(gap="No key inventory", action="Inventory keys", status=ActionStatus.OPEN),
            Gap(gap="No alert on key use from a new network"),
        ],
    )


def test_index_actions_and_stats_count_the_same_open_follow_ups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postmortem.dump(_follow_ups_of_every_kind(), tmp_path / "INC-9.yaml")
    assert main(["actions", str(tmp_path), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(item["kind"], item["action"]) for item in listed] == [
        ("action item", "Rotate keys"),
        ("action item", "Scan repositories"),
        ("recommendation", "Per-endpoint keys"),
        ("gap recommendation", "Inventory keys"),
    ]
    assert main(["index", str(tmp_path), "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["open_actions"] == 4
    assert main(["stats", str(tmp_path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["open_follow_ups"] == 4


def test_the_views_agree_across_the_examples() -> None:
    documents = scan(EXAMPLES).documents
    listed = open_actions(documents)
    counted = {row.path: row.open_actions for row in index_rows(documents)}
    assert counted == {
        scanned.path: sum(action.path == scanned.path for action in listed) for scanned in documents
    }
    assert stats(documents).open_follow_ups == len(listed)
    assert {action.kind for action in listed} == {
        "action item",
        "recommendation",
        "response action",
        "prevention measure",
        "follow-up",
        "gap recommendation",
    }


def test_exported_copies_are_not_incidents_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "INC-9.yaml"
    postmortem.dump(_follow_ups_of_every_kind(), source)
    copy = postmortem.export(postmortem.load(source), Classification.INTERNAL, source="INC-9.yaml")
    postmortem.dump(copy, tmp_path / "INC-9.internal.yaml")
    documents = scan(tmp_path).documents
    assert len(documents) == 2
    assert [row.path for row in index_rows(documents)] == [str(source)]
    assert len(index_rows(documents, include_copies=True)) == 2
    assert {action.path for action in open_actions(documents)} == {str(source)}
    assert len(open_actions(documents, include_copies=True)) == 8
    assert (stats(documents).documents, stats(documents).open_follow_ups) == (1, 4)
    assert stats(documents, include_copies=True).documents == 2
    for command, count in (("index", 1), ("actions", 4)):
        assert main([command, str(tmp_path), "--format", "json"]) == 0
        assert len(json.loads(capsys.readouterr().out)) == count
        assert main([command, str(tmp_path), "--format", "json", "--include-copies"]) == 0
        assert len(json.loads(capsys.readouterr().out)) == 2 * count
    assert main(["stats", str(tmp_path), "--include-copies"]) == 0
    assert "documents: 2" in capsys.readouterr().out


_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(_JSON_VALUES)
def test_json_text_writes_what_json_dumps_writes_with_an_indent(value: object) -> None:
    assert json_text(value) == json.dumps(value, indent=2, ensure_ascii=False)


@given(
    st.lists(st.text(max_size=3), max_size=4, unique=True).flatmap(
        lambda columns: st.tuples(
            st.just(columns),
            st.lists(
                st.fixed_dictionaries(
                    {
                        column: _JSON_SCALARS | st.dates() | st.timedeltas(min_value=timedelta(0))
                        for column in columns
                    }
                ),
                max_size=3,
            ),
        )
    )
)
def test_json_rows_are_what_json_dumps_writes(
    table: tuple[list[str], list[dict[str, Any]]],
) -> None:
    columns, rows = table
    shown = [{column: plain(row[column]) for column in columns} for row in rows]
    cells = [list(row.values()) for row in shown]
    expected = json.dumps(shown, indent=2, ensure_ascii=False) + "\n"
    assert "".join(format_rows(cells, columns, "json")) == expected


def test_json_rows_of_many_batches_are_what_json_dumps_writes() -> None:
    """The rows are encoded a batch at a time; cells with line breaks, quotes and ``%`` and
    keys with ``%`` are set where json puts them."""
    columns = ["source %s", "text", "count", "done", "none"]
    cells = [
        [f"a.yaml:{number}", f'line\nbreak "{number}" %s %%', number, number % 2 == 0, None]
        for number in range(10_000)
    ]
    expected = [dict(zip(columns, row, strict=True)) for row in cells]
    assert "".join(format_rows(cells, columns, "json")) == (
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    )


def test_the_mean_of_durations_that_sum_past_the_largest_timedelta_is_their_mean() -> None:
    """Each document may span the calendar (started in the year 1, detected in 9999); a few
    hundred of them summed overflowed timedelta in ``stats`` (OverflowError)."""
    from postmortem.metrics import figure

    longest = timedelta(days=3_652_058)
    result = figure([longest] * 300 + [None])
    assert (result.mean, result.median, result.known, result.unknown) == (longest, longest, 300, 1)
    assert figure([timedelta(microseconds=1), timedelta(microseconds=2)]).mean == timedelta(
        microseconds=2
    )  # rounded half to even, as timedelta / int
