"""The command line: new, validate, schema; one-line errors, exit codes, no tracebacks."""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import postmortem
from postmortem import hooks
from postmortem.cli import main
from postmortem.model import SCHEMA_VERSION, ProfileName
from tests.conftest import ROOT
from tests.gitrepo import GitRepo, init_repo

PROFILES = [name.value for name in ProfileName]


@pytest.mark.parametrize("profile", PROFILES)
def test_new_writes_a_scaffold_that_validates(
    profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "inc.yaml"
    assert (
        main(["new", str(path), "--profile", profile, "--id", "INC-9", "--title", "Disk full"]) == 0
    )
    doc = postmortem.load(path)
    assert doc.profile.value == profile
    assert (doc.metadata.id, doc.metadata.title) == ("INC-9", "Disk full")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    for section in postmortem.get_profile(profile).sections:
        assert f"\n{section.field}:" in text, section.field
        assert f"# {section.heading} (" in text
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.endswith(f"{path}: ok\n")


def test_new_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text("keep me", encoding="utf-8")
    assert main(["new", str(path), "--profile", "postmortem"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "keep me"


def test_new_refuses_a_title_or_file_name_that_is_not_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    undecodable = b"\xff".decode("utf-8", "surrogateescape")  # as Python gives argv's bytes
    path = tmp_path / "inc.yaml"
    assert main(["new", str(path), "--profile", "postmortem", "--title", undecodable]) == 2
    assert "metadata.title: holds U+DCFF" in capsys.readouterr().err
    named = tmp_path / f"INC-{undecodable}.yaml"
    assert main(["new", str(named), "--profile", "postmortem"]) == 2
    assert "metadata.id: holds U+DCFF" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_an_unknown_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["new", str(tmp_path / "x.yaml"), "--profile", "wiki-page"])
    assert caught.value.code == 2
    assert "invalid choice: 'wiki-page'" in capsys.readouterr().err


BAD_INPUTS = {
    "wrong-type.yaml": (
        b"profile: postmortem\nmetadata:\n  id: 12\n",
        ":3:7: metadata.id: expected a string",
    ),
    "unknown-key.yaml": (
        b"profile: postmortem\nmetadata: {id: A}\nfoo: 1\n",
        ":3:1: foo: unknown key",
    ),
    "syntax.yaml": (b"profile: [postmortem\n", ":2:1: YAML: while parsing a flow sequence"),
    "empty.yaml": (b"", ":1:1: empty document"),
    "binary.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00", ":3:1: binary file (NUL byte)"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_validate_reports_bad_input_on_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, expected = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}{expected}"), out
    assert out.count("\n") == 1


def test_validate_refuses_a_missing_file_as_a_usage_error(
    tmp_path: Path, example_paths: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml"), str(example_paths[0])]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"postmortem: {tmp_path / 'nope.yaml'}: no such file or folder\n"


def test_schema_prints_json_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == postmortem.json_schema()
    output = tmp_path / "schema.json"
    assert main(["schema", "--output", str(output)]) == 0
    assert json.loads(output.read_text(encoding="utf-8")) == printed


def test_the_installed_command_runs_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("profile: postmortem\nmetadata: {id: [1]}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "postmortem", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == f"{bad}:2:16: metadata.id: expected a string, found a list\n"
    assert "Traceback" not in result.stderr
    version = subprocess.run(
        [sys.executable, "-m", "postmortem", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == f"postmortem {postmortem.__version__}"


@pytest.mark.parametrize("command", ["new", "validate", "schema"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    assert f"usage: postmortem {command}" in capsys.readouterr().out


def test_an_internal_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import postmortem.schema

    def broken() -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(postmortem.schema, "json_schema", broken)
    monkeypatch.delenv("POSTMORTEM_DEBUG", raising=False)
    assert main(["schema"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("postmortem: internal error: RuntimeError: boom")
    assert err.count("\n") == 1


def test_a_bad_policy_is_a_usage_error_for_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".postmortem.yaml").write_text("templates: [1]\n", encoding="utf-8")
    document = tmp_path / "pm.yaml"
    document.write_text(
        postmortem.dumps(postmortem.load(ROOT / "examples" / "postmortem.yaml")), encoding="utf-8"
    )
    assert main(["render", str(document), "--no-git-history"]) == 2
    assert capsys.readouterr().err.startswith(
        f"{tmp_path / '.postmortem.yaml'}:1:12: templates: expected a string"
    )


TICKET_DOCUMENT = """\
schema_version: 1
profile: postmortem
metadata:
  id: INC-5
  title: Certificate expiry
  status: Draft
  classification: Internal
  incident_log: https://wiki.example.com/INC-5
summary:
  text: The certificate of the payment API expired.
action_items:
  - action: Alert on certificate expiry
    owner: sre
    due: 2024-06-01
    status: Open
    ticket: PLAT-2231
"""
TICKET_KEY_ERROR = (
    "incidents/INC-5.yaml:16:13: action_items[0].ticket: 'PLAT-2231' is a ticket key, not a link:"
    " set ticket_url in .postmortem.yaml"
)


@pytest.fixture
def ticket_repo(
    tmp_path: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> GitRepo:
    """A repository whose post-mortem names its ticket by key, in two commits."""
    repo = init_repo(tmp_path / "repo")
    repo.write("incidents/INC-5.yaml", TICKET_DOCUMENT)
    repo.commit("Draft INC-5")
    repo.write(
        "incidents/INC-5.yaml",
        TICKET_DOCUMENT.replace("title: Certificate expiry", "title: Expired"),
    )
    repo.commit("Retitle INC-5")
    monkeypatch.chdir(repo.root)
    return repo


def _set_ticket_url(repo: GitRepo) -> None:
    repo.write(".postmortem.yaml", "ticket_url: https://jira.example.com/browse/{key}\n")


def test_validate_links_a_ticket_key_through_the_policy(
    ticket_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "incidents/INC-5.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{TICKET_KEY_ERROR} (e.g. https://jira.example.com/browse/{{key}}) or write the URL"
    ]
    _set_ticket_url(ticket_repo)
    assert main(["validate", "incidents/INC-5.yaml"]) == 0
    assert capsys.readouterr().out == "incidents/INC-5.yaml: ok\n"


DOCUMENT_COMMANDS = [
    (main, ["validate"]),
    (main, ["check", "--today", "2024-01-01"]),
    (main, ["render"]),
    (main, ["history"]),
    (main, ["export", "--audience", "Internal"]),
    (hooks.validate, []),
    (hooks.completeness, ["--today", "2024-01-01"]),
    (hooks.classification, []),
]


@pytest.mark.parametrize(("entry", "command"), DOCUMENT_COMMANDS)
def test_every_command_reading_a_document_honours_the_ticket_url(
    entry: Callable[[list[str]], int],
    command: list[str],
    ticket_repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert entry([*command, "incidents/INC-5.yaml"]) == 1
    captured = capsys.readouterr()
    (line,) = (captured.out + captured.err).splitlines()
    assert line.replace(" PM102", "").startswith(TICKET_KEY_ERROR), line
    _set_ticket_url(ticket_repo)
    assert entry([*command, "incidents/INC-5.yaml"]) == 0, capsys.readouterr()


@pytest.mark.parametrize("command", ["index", "actions", "stats"])
def test_every_command_reading_a_folder_honours_the_ticket_url(
    command: str, ticket_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "."]) == 1
    assert TICKET_KEY_ERROR in capsys.readouterr().err
    _set_ticket_url(ticket_repo)
    assert main([command, "."]) == 0
    assert capsys.readouterr().err == ""


def test_history_reads_old_versions_with_the_ticket_url_and_writes_links_as_written(
    ticket_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_ticket_url(ticket_repo)
    assert main(["history", "--format", "json", "incidents/INC-5.yaml"]) == 0
    (document,) = json.loads(capsys.readouterr().out)
    assert [version["changes"] for version in document["versions"]] == [
        "created",
        "title Certificate expiry -> Expired",
    ]
    assert main(["history", "--write", "incidents/INC-5.yaml"]) == 0
    text = (ticket_repo.root / "incidents" / "INC-5.yaml").read_text(encoding="utf-8")
    assert "  incident_log: https://wiki.example.com/INC-5\n" in text
    assert "    ticket: PLAT-2231\n" in text


def test_render_reads_the_git_history_with_the_ticket_url(
    ticket_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_ticket_url(ticket_repo)
    final = TICKET_DOCUMENT.replace("status: Draft", "status: Final")
    ticket_repo.write("incidents/INC-5.yaml", final)
    ticket_repo.commit("Finalise INC-5")
    assert main(["render", "incidents/INC-5.yaml"]) == 0
    assert "**Version**: 1.0\n" in capsys.readouterr().out


def test_a_document_of_a_newer_schema_says_which_program_it_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "future.yaml"
    path.write_text("schema_version: 9\nprofile: postmortem\nmetadata: {id: A}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().out == (
        f"{path}:1:17: schema_version: written for schema 9; this is postmortem"
        f" {postmortem.__version__} (schema {SCHEMA_VERSION}): upgrade postmortem\n"
    )
