"""Follow-ups to trackers: ``actions --format jira-csv`` and ``--format github``, and
``actions link`` writing a created ticket back through the faithful edit."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from postmortem.cli import _parser, main
from postmortem.completion import completion_script
from tests.conftest import ROOT

_DOCUMENT = """\
schema_version: 2
profile: postmortem
metadata:
  id: INC-7
  title: Orders were delayed
action_items:
  - id: F1
    action: Alert on consumer lag
    owner: '@alice'
    due: 2024-05-01
    priority: P1
    kind: detect
  - id: F2
    action: Done already
    status: Completed
  - id: F3
    action: Write the runbook
    owner: platform-team
"""

_HAND_WRITTEN = (
    "# Post-mortem of the orders delay, written in the review.\r\n"
    "schema_version: 2\r\n"
    "profile: postmortem\r\n"
    "metadata:\r\n"
    "  id: INC-7      # the incident's number\r\n"
    "  title: 'Orders were delayed'\r\n"
    "\r\n"
    "action_items:\r\n"
    "  # Found on 2 May.\r\n"
    "  - id: F1\r\n"
    '    action: "Alert on consumer lag"   # the first thing to do\r\n'
    "    owner: '@alice'\r\n"
    "    due: 2024-05-01\r\n"
    "    kind:   detect\r\n"
    "\r\n"
    "  - {id: F3, action: Write the runbook}\r\n"
    "# the end\r\n"
)


def _write(folder: Path, text: str = _DOCUMENT, name: str = "INC-7.yaml") -> Path:
    path = folder / "incidents" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def _actions(folder: Path, *options: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["actions", str(folder / "incidents"), *options])
    return status, capsys.readouterr().out


def _issues(folder: Path, capsys: pytest.CaptureFixture[str], *options: str) -> list[Any]:
    status, out = _actions(folder, "--format", "github", *options, capsys=capsys)
    assert status == 0
    assert out.isascii()
    return [json.loads(line) for line in out.splitlines()]


def test_github_lines_carry_what_gh_issue_create_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path)
    first, third = _issues(tmp_path, capsys)
    assert first == {
        "ref": "INC-7/F1",
        "document": str(path),
        "id": "F1",
        "title": "Alert on consumer lag",
        "body": "Alert on consumer lag\n\nOwner: @alice\nDue: 2024-05-01\n"
        f"From the post-mortem INC-7: Orders were delayed ({path}:7); follow-up INC-7/F1.",
        "labels": ["postmortem", "detect"],
        "assignees": ["alice"],
        "milestone": None,
        "ticket": None,
    }
    assert third["ref"] == "INC-7/F3"
    assert third["assignees"] == []  # a team is no assignee; the body names it
    assert "Owner: platform-team" in third["body"]


def test_jira_csv_has_the_importers_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path)
    status, out = _actions(tmp_path, "--format", "jira-csv", capsys=capsys)
    assert status == 0
    header, first, third = list(csv.reader(io.StringIO(out)))
    assert header == [
        "Summary",
        "Description",
        "Assignee",
        "Due Date",
        "Priority",
        "Issue Type",
        "Labels",
        "Labels",
        "Postmortem Ref",
        "Ticket",
    ]
    row = dict(zip(header, first, strict=True))
    assert row["Summary"] == "Alert on consumer lag"
    assert row["Assignee"] == "alice"
    assert row["Due Date"] == "2024-05-01"
    assert row["Priority"] == "High"
    assert row["Issue Type"] == "Task"
    assert first[6:8] == ["postmortem", "detect"]
    assert row["Postmortem Ref"] == "INC-7/F1"
    assert row["Ticket"] == ""
    assert third[6:10] == ["postmortem", "", "INC-7/F3", ""]


def test_each_document_is_read_once_whatever_its_follow_ups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from postmortem import policy

    _write(tmp_path)
    _write(tmp_path, _DOCUMENT.replace("INC-7", "INC-8"), name="INC-8.yaml")
    read: list[str] = []
    load = policy.load_governed

    def counted(document: Any, governing: Any) -> Any:
        read.append(Path(document).name)
        return load(document, governing)

    monkeypatch.setattr(policy, "load_governed", counted)
    status, out = _actions(tmp_path, "--format", "jira-csv", capsys=capsys)
    assert status == 0
    assert len(list(csv.reader(io.StringIO(out)))) == 1 + 4  # two open follow-ups each
    assert sorted(read) == ["INC-7.yaml", "INC-8.yaml"]


def test_priorities_titles_and_long_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_action = "Rotate   every\nkey " + "x" * 400
    _write(
        tmp_path,
        "schema_version: 2\nprofile: security-postmortem\nmetadata:\n  id: SEC-1\n  title: Leak\n"
        "recommendations:\n"
        "  - id: F1\n    title: Rotate the keys\n    tier: Critical\n    action: Rotate them\n"
        "    risk_addressed: reuse of the leaked key\n    success_criteria: no old key works\n"
        "  - id: F2\n    title: ''\n    tier: Low\n"
        f"    action: {json.dumps(long_action)}\n",
    )
    critical, low = _issues(tmp_path, capsys)
    assert critical["title"] == "Rotate the keys"
    assert critical["body"].startswith(
        "Rotate them\n\nRisk addressed: reuse of the leaked key\nDone when: no old key works\n"
    )
    assert len(low["title"]) == 255
    assert low["title"].startswith("Rotate every key xxx")
    assert low["title"].endswith("…")
    _, out = _actions(tmp_path, "--format", "jira-csv", capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["Priority"] for row in rows] == ["Highest", "Low"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"], ids=repr)
def test_jira_cells_that_would_run_as_a_formula_are_neutralised(
    start: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = f'{start}HYPERLINK("https://evil.example","x")'
    _write(
        tmp_path,
        "schema_version: 2\nprofile: postmortem\nmetadata:\n  id: INC-7\n  title: T\n"
        f"action_items:\n  - id: F1\n    action: {json.dumps(payload)}\n"
        f"    owner: {json.dumps(payload)}\n",
    )
    _, out = _actions(tmp_path, "--format", "jira-csv", capsys=capsys)
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["Assignee"] == "'" + payload
    for cell in row.values():
        assert not str(cell).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_follow_ups_without_an_id_or_with_a_shared_one_are_left_out_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(
        tmp_path,
        "schema_version: 2\nprofile: postmortem\nmetadata:\n  id: INC-7\n  title: T\n"
        "action_items:\n  - action: no id\n  - id: F2\n    action: twice\n"
        "  - id: F2\n    action: twice again\n  - id: F4\n    action: fine\n",
    )
    status = main(["actions", str(tmp_path / "incidents"), "--format", "github"])
    captured = capsys.readouterr()
    assert status == 0
    assert [json.loads(line)["ref"] for line in captured.out.splitlines()] == ["INC-7/F4"]
    notes = captured.err.splitlines()
    assert len(notes) == 3
    assert "has no id" in notes[0]
    assert "postmortem migrate" in notes[0]
    assert "used 2 times" in notes[1]


def _link(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["actions", "link", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _with_line_after(text: str, anchor: str, line: str) -> str:
    assert text.count(anchor) == 1
    return text.replace(anchor, anchor + line)


def test_link_writes_the_key_alone_and_keeps_every_other_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".postmortem.yaml").write_text(
        "ticket_url: https://jira.example.com/browse/{key}\n", encoding="utf-8"
    )
    path = _write(tmp_path, _HAND_WRITTEN)
    status, out, err = _link(str(path), "F1", "PLAT-2231", capsys=capsys)
    assert (status, err) == (0, "")
    assert out == f"{path}: F1 linked to PLAT-2231\n"
    expected = _with_line_after(
        _HAND_WRITTEN, "    due: 2024-05-01\r\n", "    ticket: PLAT-2231\r\n"
    )
    assert path.read_bytes() == expected.encode("utf-8")
    # Again with the same ticket: nothing changes.
    status, out, _ = _link(str(path), "F1", "PLAT-2231", capsys=capsys)
    assert status == 0
    assert "already linked" in out
    assert path.read_bytes() == expected.encode("utf-8")
    # A follow-up written as a flow mapping takes its ticket there.
    assert _link(str(path), "F3", "PLAT-2232", capsys=capsys)[0] == 0
    written = path.read_bytes().decode("utf-8")
    assert "  - {id: F3, action: Write the runbook, ticket: PLAT-2232}\r\n" in written
    status, out = _actions(tmp_path, "--format", "github", capsys=capsys)
    assert [json.loads(line)["ticket"] for line in out.splitlines()] == ["PLAT-2231", "PLAT-2232"]
    status, out = _actions(tmp_path, "--format", "jira-csv", capsys=capsys)
    assert [row["Ticket"] for row in csv.DictReader(io.StringIO(out))] == [
        "PLAT-2231",
        "PLAT-2232",
    ]
    status, out = _actions(tmp_path, "--format", "github", "--untracked", capsys=capsys)
    assert out == ""


def test_link_writes_a_url_alone_without_ticket_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _HAND_WRITTEN)
    url = "https://github.com/acme/ops/issues/12"
    assert _link(str(path), "F1", url, capsys=capsys)[0] == 0
    expected = _with_line_after(_HAND_WRITTEN, "    due: 2024-05-01\r\n", f"    ticket: {url}\r\n")
    assert path.read_bytes() == expected.encode("utf-8")


@pytest.mark.parametrize(
    ("follow_up", "key", "message"),
    [
        ("F9", "https://t.example/1", "no follow-up has the id 'F9' (follow-ups: F1, F3)"),
        ("F1", "PLAT-1", "'PLAT-1' is a ticket key, and the policy has no ticket_url"),
        ("F1", "javascript:alert(1)", "uses javascript:"),
        ("F1", "mailto:ops@example.com", "neither a ticket key (PLAT-2231) nor an http(s) URL"),
        ("F1", "./PLAT-1", "neither a ticket key (PLAT-2231) nor an http(s) URL"),
        ("F1", "https://t.example/a b", "contains"),
        ("F1", "\x1b[31mred", "\\x1b"),
        ("F1", "https://t.example/\udcff", "is ASCII"),
        ("F1", "https://t.example/é", "is ASCII"),
    ],
)
def test_a_link_that_cannot_be_made_is_an_error_and_the_file_is_untouched(
    follow_up: str, key: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _HAND_WRITTEN)
    status, out, err = _link(str(path), follow_up, key, capsys=capsys)
    assert status == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err
    assert "\x1b" not in err
    assert path.read_bytes() == _HAND_WRITTEN.encode("utf-8")


def test_a_follow_up_with_another_ticket_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _HAND_WRITTEN)
    assert _link(str(path), "F1", "https://t.example/1", capsys=capsys)[0] == 0
    linked = path.read_bytes()
    status, _, err = _link(str(path), "F1", "https://t.example/2", capsys=capsys)
    assert status == 2
    assert "already has the ticket https://t.example/1; not replacing it" in err
    assert path.read_bytes() == linked


def test_an_id_two_follow_ups_share_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _HAND_WRITTEN.replace("{id: F3,", "{id: F1,")
    path = _write(tmp_path, text)
    status, _, err = _link(str(path), "F1", "https://t.example/1", capsys=capsys)
    assert status == 2
    assert "2 follow-ups have the id 'F1'" in err
    assert path.read_bytes() == text.encode("utf-8")


def test_actions_keeps_its_folder_argument_beside_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["actions", "incidents", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["actions", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    (tmp_path / "incidents").rename(tmp_path / "link")
    assert main(["actions", "./link", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    with pytest.raises(SystemExit) as exited:
        main(["actions", "link", "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: postmortem actions link [-h] DOC ID KEY")
    with pytest.raises(SystemExit) as exited:
        main(["actions", "link", "link", "F1", "PLAT-1"])
    assert exited.value.code == 2
    assert "link: not a file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["actions", "link", "link/INC-7.yaml"])
    assert exited.value.code == 2
    assert "the following arguments are required: ID, KEY" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["actions", "--help"])
    assert "postmortem actions link DOC ID KEY" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_of_actions_is_unchanged() -> None:
    script = completion_script("bash", _parser())
    command = (
        f"{script}\nCOMP_WORDS=(postmortem actions --form)\nCOMP_CWORD=2\n_postmortem\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
        "COMP_WORDS=(postmortem actions --format '')\nCOMP_CWORD=3\n_postmortem\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", command], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["--format", "markdown", "json", "csv", "jira-csv", "github"]


_HOSTILE_ACTIONS = [
    "$(touch pwned)",
    "`touch pwned`",
    "--repo other/repo",
    "-R other/repo",
    'it\'s "quoted" \\ and; rm -rf ~',
    "line one\nline two",
    "tab\there",
    "émoji ✓ 事故",
]


def _loop() -> str:
    page = (ROOT / "docs" / "trackers.md").read_text(encoding="utf-8")
    [loop] = re.findall(r"^```bash\n(.*?)^```", page, re.M | re.S)
    return loop


@pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("jq") is None,
    reason="the documented loop needs bash and jq",
)
def test_the_documented_gh_loop_creates_each_issue_once_and_links_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "gh-calls.jsonl"
    gh = bin_dir / "gh"
    gh.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"calls = {str(calls)!r}\n"
        "with open(calls, 'a', encoding='utf-8') as log:\n"
        "    log.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "number = sum(1 for _ in open(calls, encoding='utf-8'))\n"
        "print(f'https://github.com/acme/ops/issues/{number}')\n",
        encoding="utf-8",
    )
    shim = bin_dir / "postmortem"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m postmortem "$@"\n', encoding="utf-8")
    for script in (gh, shim):
        script.chmod(0o755)
    items = "".join(
        f"  - id: F{number}\n    action: {json.dumps(action)}\n    owner: '@alice'\n"
        for number, action in enumerate(_HOSTILE_ACTIONS, start=1)
    )
    head = "schema_version: 2\nprofile: postmortem\nmetadata:\n  id: INC-7\n  title: T\n"
    path = _write(tmp_path, head + "action_items:\n" + items, name="-rf .yaml")
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    }
    for _ in range(2):  # the second run finds every follow-up linked and creates nothing
        subprocess.run(
            ["bash", "-c", _loop()], cwd=tmp_path, env=environment, check=True, timeout=120
        )
    assert not (tmp_path / "pwned").exists()
    created = [json.loads(line) for line in calls.read_text(encoding="utf-8").splitlines()]
    assert len(created) == len(_HOSTILE_ACTIONS)
    for arguments, action in zip(created, _HOSTILE_ACTIONS, strict=True):
        assert arguments[0:2] == ["issue", "create"]
        title = " ".join(action.split())
        assert f"--title={title}" in arguments
        body = next(argument for argument in arguments if argument.startswith("--body="))
        assert body.startswith(f"--body={action}\n\nOwner: @alice\n")
        assert "--label=postmortem" in arguments
        assert "--assignee=alice" in arguments
    text = path.read_text(encoding="utf-8")
    for number in range(1, len(_HOSTILE_ACTIONS) + 1):
        assert f"    ticket: https://github.com/acme/ops/issues/{number}\n" in text
