"""The command line: new, validate, schema; one-line errors, exit codes, no tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import postmortem
from postmortem.cli import main
from postmortem.model import SCHEMA_VERSION, ProfileName
from tests.conftest import ROOT

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


def test_validate_reports_a_missing_file_and_goes_on(
    tmp_path: Path, example_paths: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml"), str(example_paths[0])]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{tmp_path / 'nope.yaml'}:0:0: no such file", f"{example_paths[0]}: ok"]


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
