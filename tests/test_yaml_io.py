"""Loading with located errors, faithful editing of hand-written files, atomic writes."""

import difflib
import os
import stat
import subprocess
import sys
import textwrap
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import postmortem
from postmortem import DocumentError, yaml_io
from postmortem.converter import ticket_link
from postmortem.errors import UsageError
from postmortem.model import (
    SCHEMA_VERSION,
    ActionItem,
    ActionStatus,
    DocumentStatus,
    HistoryEntry,
    Lessons,
    Link,
    Metadata,
    PostMortem,
    ProfileName,
    Timeline,
    TimelineEvent,
)

HAND_WRITTEN = textwrap.dedent(
    """\
    # Incident INC-7: written by hand, with comments and odd spacing.
    schema_version: 1
    profile: postmortem   # the P1-P3 template
    metadata:
        id: 'INC-7'        # single-quoted on purpose
        title: "Queue backlog"
        status: Draft
        severity: P2
        incident_start: 2024-02-01T09:00:00Z
        detected: 2024-02-01 09:12:00.5+01:00
        incident_log: ~
    summary:
        text: >
            Consumers stalled and the queue
            grew to 2M messages.
    # the table from the meeting
    action_items:
    -   action: Alert on consumer lag   # agreed
        owner: ops
        due: 2024-03-01
        status: Open
    -   action: Document the replay tool
        owner: null
        due: 2024-03-15
        status: Open
    impact:
        users_affected: 1200
        funds_at_risk: {amount: 1.50e+3, currency: EUR}
    """
)


def test_load_gives_the_typed_model(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    doc = postmortem.load(path)
    assert doc.metadata.id == "INC-7"
    assert doc.metadata.status is DocumentStatus.DRAFT
    assert doc.action_items[0].due == date(2024, 3, 1)
    assert doc.summary is not None
    assert doc.summary.text.startswith("Consumers stalled")
    assert doc.impact is not None
    assert doc.impact.funds_at_risk is not None
    assert doc.impact.funds_at_risk.amount == 1500.0


def test_saving_unchanged_keeps_every_byte(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    before = path.stat().st_mtime_ns
    with postmortem.edit(path):
        pass
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN
    assert path.stat().st_mtime_ns == before


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [line[2:] for line in diff if line[0] == "-"], [
        line[2:] for line in diff if line[0] == "+"
    ]


def test_editing_changes_only_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    with postmortem.edit(path) as doc:
        doc.action_items[1].owner = "Dana"
        doc.action_items[0].status = ActionStatus.COMPLETED
    removed, added = _changed_lines(HAND_WRITTEN, path.read_text(encoding="utf-8"))
    assert removed == ["    status: Open", "    owner: null"]
    assert added == ["    status: Completed", "    owner: Dana"]


def test_adding_an_item_and_a_field_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    with postmortem.edit(path) as doc:
        doc.add_action_item(ActionItem(action="Run a game day", owner="sre", due=date(2024, 4, 1)))
        doc.metadata.title = "Queue backlog in eu-west"
    after = path.read_text(encoding="utf-8")
    removed, added = _changed_lines(HAND_WRITTEN, after)
    assert removed == ['    title: "Queue backlog"']
    assert added == [
        '    title: "Queue backlog in eu-west"',
        "-   action: Run a game day",
        "    owner: sre",
        "    due: 2024-04-01",
    ]
    assert postmortem.load(path).action_items[-1].action == "Run a game day"


JIRA = "https://jira.example.com/browse/{key}"
SHORT_LINKS = textwrap.dedent(
    """\
    schema_version: 1
    profile: postmortem
    metadata:
      id: INC-8
      title: Certificate expiry
      status: Draft
      incident_log: https://wiki.example.com/INC-8   # kept by ops
      tickets: [PLAT-2231, "https://tickets.example.com/9"]
    action_items:
      - action: Alert on expiry
        ticket: PLAT-2232
    """
)


def test_links_written_short_stay_short_when_something_else_changes(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(SHORT_LINKS, encoding="utf-8")
    with postmortem.edit(path, ticket_url=JIRA) as doc:
        assert doc.action_items[0].ticket == Link(
            url=JIRA.format(key="PLAT-2232"), label="PLAT-2232"
        )
        doc.metadata.title = "Certificate expired"
        doc.action_items[0].owner = "sre"
    removed, added = _changed_lines(SHORT_LINKS, path.read_text(encoding="utf-8"))
    assert removed == ["  title: Certificate expiry"]
    assert added == ["  title: Certificate expired", "    owner: sre"]


def test_a_changed_link_written_short_is_written_short_where_it_can_be(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(SHORT_LINKS, encoding="utf-8")
    with postmortem.edit(path, ticket_url=JIRA) as doc:
        doc.metadata.tickets[0] = ticket_link("PLAT-9", JIRA)
        doc.metadata.tickets[1] = Link(url="https://tickets.example.com/10")
        doc.action_items[0].ticket = Link(url="https://tickets.example.com/11", label="eleven")
    removed, added = _changed_lines(SHORT_LINKS, path.read_text(encoding="utf-8"))
    assert removed == [
        '  tickets: [PLAT-2231, "https://tickets.example.com/9"]',
        "    ticket: PLAT-2232",
    ]
    assert added == [
        '  tickets: [PLAT-9, "https://tickets.example.com/10"]',
        "    ticket:",
        "      url: https://tickets.example.com/11",
        "      label: eleven",
    ]


def test_removing_a_section_removes_only_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    with postmortem.edit(path) as doc:
        doc.impact = None
    removed, added = _changed_lines(HAND_WRITTEN, path.read_text(encoding="utf-8"))
    assert added == []
    assert removed == [
        "impact:",
        "    users_affected: 1200",
        "    funds_at_risk: {amount: 1.50e+3, currency: EUR}",
    ]


SECTIONS_WITH_COMMENTS = """\
schema_version: 1
profile: postmortem
metadata:
  id: INC-8
  title: Queue backlog
  status: Draft
  authors: [{name: Dana}]

# What happened
summary:
  text: Consumers stalled.

action_items:
  - action: Alert on consumer lag
    owner: ops
    # agreed in the review

# who receives it
distribution:
  recipients: [SRE]
"""


def test_added_entries_leave_each_comment_above_what_it_introduces() -> None:
    session = yaml_io.edit_text(SECTIONS_WITH_COMMENTS)
    doc = session.document
    doc.metadata.version = "0.1"
    doc.add_action_item(ActionItem(action="Run a game day", owner="sre"))
    doc.lessons = Lessons(went_well=["The replay tool worked."])
    assert session.dumps() == SECTIONS_WITH_COMMENTS.replace(
        "  authors: [{name: Dana}]\n", "  authors: [{name: Dana}]\n  version: '0.1'\n"
    ).replace(
        "    # agreed in the review\n",
        "    # agreed in the review\n"
        "  - action: Run a game day\n"
        "    owner: sre\n"
        "\n"
        "lessons:\n"
        "  went_well:\n"
        "    - The replay tool worked.\n",
    )


def test_sections_added_at_the_end_are_separated_as_the_last_one_was() -> None:
    text = SECTIONS_WITH_COMMENTS[: SECTIONS_WITH_COMMENTS.index("\n# who receives it")]
    session = yaml_io.edit_text(text)
    session.document.lessons = Lessons(went_well=["The replay tool worked."])
    session.document.history = [HistoryEntry(version="0.1", changes="created")]
    assert session.dumps({"history": "generated"}) == text + (
        "\n"
        "lessons:\n"
        "  went_well:\n"
        "    - The replay tool worked.\n"
        "\n"
        "# generated\n"
        "history:\n"
        "  - version: '0.1'\n"
        "    changes: created\n"
    )


def test_items_added_to_flow_lists_stay_on_their_line() -> None:
    text = (
        SECTIONS_WITH_COMMENTS + "\nlessons:\n  went_wrong: []\n\n  went_well: [Replay, Paging]\n"
    )
    session = yaml_io.edit_text(text)
    assert session.document.lessons is not None
    session.document.lessons.went_well.append("Runbook")
    session.document.lessons.went_wrong.extend(["Lag alert", "Paging delay"])
    assert session.dumps() == text.replace("Paging]", "Paging, Runbook]").replace(
        "  went_wrong: []\n", "  went_wrong:\n    - Lag alert\n    - Paging delay\n"
    )


def test_a_value_held_twice_is_written_twice_and_a_written_alias_stays() -> None:
    doc = postmortem.loads(SECTIONS_WITH_COMMENTS)
    moment = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    doc.metadata.created = doc.metadata.updated = moment
    text = postmortem.dumps(doc)
    assert "&" not in text
    assert "*" not in text
    assert text.count("2024-05-01 10:00:00+00:00") == 2
    aliased = SECTIONS_WITH_COMMENTS.replace(
        "  text: Consumers stalled.\n", "  text: &why Consumers stalled.\n  what_happened: *why\n"
    )
    session = yaml_io.edit_text(aliased)
    session.document.metadata.title = "Queue backlog in eu-west"
    assert session.dumps() == aliased.replace("Queue backlog", "Queue backlog in eu-west")


def test_fields_are_written_in_the_order_the_model_declares_them() -> None:
    text = postmortem.dumps(
        PostMortem(
            profile=ProfileName.POSTMORTEM,
            metadata=Metadata(id="INC-9"),
            timeline=Timeline(events=[TimelineEvent(time=date(2024, 5, 1), event="Alert")]),
            history=[HistoryEntry(version="0.1", date=date(2024, 5, 1), changes="created")],
        )
    )
    assert "  events:\n    - time: 2024-05-01\n      event: Alert\n" in text
    assert "  - version: '0.1'\n    date: 2024-05-01\n    changes: created\n" in text


def test_an_exception_in_the_edit_block_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")

    def change_then_fail() -> None:
        with postmortem.edit(path) as doc:
            doc.metadata.title = "half done"
            raise RuntimeError("caller failed")

    with pytest.raises(RuntimeError, match="caller failed"):
        change_then_fail()
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN


def test_dump_is_atomic_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    path.chmod(0o640)
    doc = postmortem.load(path)
    postmortem.dump(doc, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert postmortem.load(path) == doc
    assert [p.name for p in tmp_path.iterdir()] == ["inc.yaml"]


def test_a_write_killed_before_the_replace_leaves_the_original(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import os
        from postmortem import files
        def killed(*args):
            os.kill(os.getpid(), 9)
        os.replace = killed
        files.write_atomic({str(path)!r}, "half-written")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == -9
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "profile: postmortem\nmetadata:\n  id: 7\n",
            "x.yaml:3:7: metadata.id: expected a string, found a number 7",
        ),
        (
            "profile: postmortem\nmetadata:\n  id: A\n  colour: red\n",
            "x.yaml:4:3: metadata.colour: unknown key",
        ),
        ("profile: postmortem\n", "x.yaml:1:1: metadata: required key is missing"),
        (
            "profile: postmortem\nmetadata: {id: A}\naction_items:\n  - action: x\n    due: soon\n",
            "x.yaml:5:10: action_items[0].due: not a date or time: 'soon'",
        ),
        ("profile: postmortem\nmetadata: [\n", "x.yaml:3:1: YAML: while parsing a flow node"),
        ("profile: a\nprofile: b\n", "x.yaml:2:1: profile: YAML: duplicate key 'profile'"),
        ("- a\n- b\n", "x.yaml:1:1: expected a mapping of sections at the top level, found a list"),
        ("# only a comment\n", "x.yaml:1:1: empty document"),
        (
            "profile: !!python/object/apply:os.system [ls]\n",
            "x.yaml:1:10: profile: YAML: unknown tag"
            " 'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        ("profile: !custom x\n", "x.yaml:1:10: profile: YAML: unknown tag '!custom'"),
        ("a: &x [1]\nb: {<<: *x}\n", "x.yaml:2:5: b: YAML: merge keys (<<) are not supported"),
        ("a: !!set {x}\n", "x.yaml:1:4: a: YAML: unknown tag 'tag:yaml.org,2002:set'"),
        ("? [a]\n: 1\n", "x.yaml:1:3: YAML: a key must be a single value"),
        ("profile: postmortem\n\tmetadata: {}\n", "x.yaml:2:1: YAML:"),
        (
            "profile: postmortem\nmetadata:\n  id: A\n  incident_log: see wiki\n",
            "x.yaml:4:17: metadata.incident_log: not a URL: 'see wiki'",
        ),
        (
            "profile: postmortem\nmetadata: {id: A}\naction_items:\n  - action: x\n"
            "    ticket: PLAT-2231\n",
            "x.yaml:5:13: action_items[0].ticket: 'PLAT-2231' is a ticket key, not a link:"
            " set ticket_url in .postmortem.yaml",
        ),
    ],
)
def test_errors_are_located(text: str, expected: str) -> None:
    with pytest.raises(DocumentError) as caught:
        postmortem.loads(text, "x.yaml")
    assert str(caught.value.problems[0]).startswith(expected), str(caught.value.problems[0])
    assert all("\n" not in str(problem) for problem in caught.value.problems)


def test_all_problems_are_reported_at_once() -> None:
    text = "profile: postmortem\nmetadata:\n  id: 1\n  title: 2\naction_items:\n  - owner: x\n"
    with pytest.raises(DocumentError) as caught:
        postmortem.loads(text, "x.yaml")
    assert [str(problem) for problem in caught.value.problems] == [
        "x.yaml:3:7: metadata.id: expected a string, found a number 1",
        "x.yaml:4:10: metadata.title: expected a string, found a number 2",
        "x.yaml:6:5: action_items[0].action: required key is missing",
    ]


def test_a_newer_schema_version_is_the_one_problem_and_says_to_upgrade() -> None:
    text = "profile: postmortem\nschema_version: 99\nmetadata: {id: A, colour: red}\nnew: 1\n"
    with pytest.raises(DocumentError) as caught:
        postmortem.loads(text, "x.yaml")
    assert [str(problem) for problem in caught.value.problems] == [
        f"x.yaml:2:17: schema_version: written for schema 99; this is postmortem"
        f" {postmortem.__version__} (schema {SCHEMA_VERSION}): upgrade postmortem"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01\x02", "x.yaml:1:1: binary file"),
        (b"profile: caf\xe9\n", "x.yaml:1:13: not valid UTF-8"),
    ],
)
def test_unreadable_files_are_located(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    os.chdir(tmp_path)
    with pytest.raises(DocumentError) as caught:
        postmortem.load("x.yaml")
    assert str(caught.value).startswith(expected)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xef\xbb\xbfprofile: postmortem\nmetadata: {id: A}\n")
    assert postmortem.load(path).metadata.id == "A"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a:\n  b: 1\n  c:\n    - x\n", (2, 4, 2)),
        ("a:\n  b: 1\n  c:\n  - x\n", (2, 2, 0)),
        ("a:\n    b: 1\n    c:\n    -   x\n", (4, 4, 0)),
    ],
)
def test_indentation_is_guessed_from_the_file(text: str, expected: tuple[int, int, int]) -> None:
    assert yaml_io.editing._guess_indentation(text) == expected


TRICKY_SCALARS = [
    "0o14", "0x1F", "012", "1_000", "-1.5e3", ".inf", "-.Inf", ".nan", "~", "null", "Null",
    "", "true", "False", "yes", "no", "on", "off", "y", "2024-01-01", "2024-01-01 10:00:00+02:00",
    "2024-01-01T10:00:00Z", "2024-01-01 10:00", "10:30", "1:30:00", "+1", "-0", "0.", "1e3",
    "=", "<<", "a: b", "'quoted'", "plain text", "@handle", "#not-a-comment", "!tag-like",
]  # fmt: skip


@pytest.mark.parametrize("scalar", TRICKY_SCALARS)
def test_the_fast_loader_resolves_scalars_like_the_stock_one(scalar: str) -> None:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    needs_quotes = scalar.startswith(("'", "#", "!", "@"))
    text = f'value: "{scalar}"\n' if needs_quotes else f"value: {scalar}\n"
    try:
        stock = YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        with pytest.raises(DocumentError):
            yaml_io.parse(text)
        return
    assert yaml_io.parse(text) == stock
    assert type(yaml_io.parse(text)["value"]) is type(stock["value"])


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "a: " + "{b: " * 5_000 + "1" + "}" * 5_000 + "\n",
        "".join(" " * depth + "- \n" for depth in range(0, 5_000, 1)),
    ],
    ids=["flow-100000", "mapping-5000", "block-5000"],
)
def test_deep_nesting_is_refused_before_parsing(text: str) -> None:
    """The C parser crashes the process on 100,000 nested brackets; we never hand it those."""
    with pytest.raises(DocumentError, match="nested too deeply"):
        postmortem.loads(text, "deep.yaml")


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from("0123456789"), min_size=count, max_size=count)


_written_timestamps = st.one_of(
    st.builds("{}-{}-{}".format, _digits(4), _digits(2), _digits(2)),
    st.builds(
        "{}-{}-{}{}{}:{}:{}{}".format,
        _digits(4),
        _digits(2),
        _digits(2),
        st.sampled_from(["T", "t", " ", "  ", "\t"]),
        _digits(2),
        _digits(2),
        _digits(2),
        st.one_of(
            st.just("Z"),
            st.builds("{}{}:{}".format, st.sampled_from("+-"), _digits(2), _digits(2)),
        ),
    ),
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat(" ")),
)


@given(_written_timestamps)
def test_the_usual_timestamps_read_as_ruamel_reads_them(text: str) -> None:
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.nodes import ScalarNode

    from postmortem.yaml_io.reading import usual_timestamp

    def outcome(read: Any) -> Any:
        try:
            value = read()
        except (ValueError, OverflowError):
            return "refused"
        if isinstance(value, datetime):
            return value, value.tzinfo, value.tzname(), value.utcoffset()
        return value

    fast = outcome(lambda: usual_timestamp(text))
    if fast is not None:
        node = ScalarNode("tag:yaml.org,2002:timestamp", text)
        assert fast == outcome(lambda: SafeConstructor().construct_yaml_timestamp(node))


def test_text_no_file_can_hold_is_refused_at_its_field_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    undecodable = b"owner \xff".decode("utf-8", "surrogateescape")
    doc = postmortem.load(path)
    doc.action_items[1].owner = undecodable
    with pytest.raises(UsageError, match=r"^action_items\[1\]\.owner: holds U\+DCFF"):
        postmortem.dumps(doc)
    with pytest.raises(UsageError, match=r"^action_items\[1\]\.owner: holds U\+DCFF"):
        postmortem.dump(doc, tmp_path / "new.yaml")
    assert not (tmp_path / "new.yaml").exists()
    refused = pytest.raises(UsageError, match=r"^action_items\[1\]\.owner: holds U\+DCFF")
    with refused, postmortem.edit(path) as edited:
        edited.action_items[1].owner = undecodable
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN
