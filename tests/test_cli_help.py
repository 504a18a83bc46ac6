"""The command line helps: a list of commands, did-you-mean, profiles, shell completion,
colour, folders as arguments, file names as ids, folders made for -o, and dates and paths
that are checked before anything runs."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest

import postmortem
from postmortem.cli import _parser, main
from postmortem.completion import command_summaries, completion_script
from postmortem.errors import Finding, Level, Problem
from postmortem.reporting import styled
from tests.conftest import EXAMPLES


def test_bare_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    summaries = command_summaries(_parser())
    assert {"new", "validate", "check", "profiles", "completion"} <= set(summaries)
    for name, summary in summaries.items():
        assert summary, name
        assert any(line.split() == [name, *summary.split()] for line in out.splitlines()), name


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["valdate", "x.yaml"], "(did you mean 'validate'?)"),
        (["new", "x.yaml", "--profile", "postmortm"], "(did you mean 'postmortem'?)"),
        (["export", str(EXAMPLES / "postmortem.yaml"), "--audience", "public"], "'Public'"),
    ],
)
def test_a_misspelled_command_or_choice_gets_a_suggestion(
    argv: list[str], suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert suggestion in capsys.readouterr().err


def test_an_unknown_document_key_gets_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8")
    path = tmp_path / "inc.yaml"
    path.write_text(text.replace("\nsummary:", "\nsumary:", 1), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.endswith("sumary: unknown key (did you mean 'summary'?)")


def test_a_misspelled_value_gets_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8")
    path = tmp_path / "inc.yaml"
    path.write_text(text.replace("profile: postmortem", "profile: post-mortem"), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{path}:3:10: profile: 'post-mortem' is not one of: retrospective")
    assert line.endswith("(did you mean 'postmortem'?)")


def test_profiles_shows_sections_and_what_each_requires(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    for profile in postmortem.PROFILES.values():
        block = ("\n" + out).split(f"\n{profile.name.value}: ", 1)[1].split("\n\n", 1)[0]
        for section in profile.sections:
            required = "required" if section.required else "optional"
            assert f"- {section.field} " in block
            line = next(line for line in block.splitlines() if f"- {section.field} " in line)
            assert line.split()[2] == required, line


def _bash_complete(script: str, words: list[str]) -> list[str]:
    command = (
        f"{script}\nCOMP_WORDS=({' '.join(repr(word) for word in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n_postmortem\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", command],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completion_completes_commands_options_and_choices() -> None:
    script = completion_script("bash", _parser())
    assert _bash_complete(script, ["postmortem", "val"]) == ["validate"]
    assert _bash_complete(script, ["postmortem", "new", "--profile", "security-"]) == [
        "security-postmortem",
        "security-incident-report",
    ]
    assert "--audience" in _bash_complete(script, ["postmortem", "export", "--au"])
    assert _bash_complete(script, ["postmortem", "export", "--audience", "TLP:R"]) == ["TLP:RED"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_is_valid_zsh(tmp_path: Path) -> None:
    script = tmp_path / "_postmortem"
    script.write_text(completion_script("zsh", _parser()), encoding="utf-8")
    subprocess.run(["zsh", "-n", str(script)], check=True)
    loaded = subprocess.run(
        ["zsh", "-f", "-c", f"autoload -Uz compinit && compinit -u && source {script} && "
         "print -r -- ${_comps[postmortem]}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert loaded.stdout.strip() == "_postmortem"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completion_completes_commands_and_choices(tmp_path: Path) -> None:
    script = tmp_path / "postmortem.fish"
    script.write_text(completion_script("fish", _parser()), encoding="utf-8")

    def complete(line: str) -> list[str]:
        result = subprocess.run(
            ["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return [entry.split("\t")[0] for entry in result.stdout.splitlines()]

    assert "validate" in complete("postmortem val")
    assert set(complete("postmortem new --profile security-")) == {
        "security-postmortem",
        "security-incident-report",
    }


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal_only_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finding = Finding("a.yaml", 3, 5, "PM203", "action_items[0]", "no owner")
    warning = Finding("a.yaml", 3, 5, "PM206", "", "late", Level.WARNING)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    coloured = styled(finding, _Terminal())
    assert coloured == "\033[1ma.yaml:3:5:\033[0m \033[31mPM203\033[0m action_items[0]: no owner"
    assert "\033[33mPM206\033[0m" in styled(warning, _Terminal())
    problem = Problem("a.yaml", 1, 2, "x", "bad")
    assert styled(problem, _Terminal()) == "\033[1ma.yaml:1:2:\033[0m x: bad"
    assert styled(finding, io.StringIO()) == str(finding)
    monkeypatch.setenv("NO_COLOR", "1")
    assert styled(finding, _Terminal()) == str(finding)


def test_new_takes_the_id_from_the_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep" / "er" / "INC-2025-0042.yaml"
    assert main(["new", str(path), "--profile", "retrospective"]) == 0
    assert postmortem.load(path).metadata.id == "INC-2025-0042"
    capsys.readouterr()


def test_commands_that_read_documents_take_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("incidents/2024/a.yaml", "pm/b.yml", "other/c.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / "postmortem.yaml", tmp_path / "incidents/2024/a.yaml")
    shutil.copy(EXAMPLES / "retrospective.yaml", tmp_path / "pm/b.yml")
    (tmp_path / "other/c.yaml").write_text("replicas: 3\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{tmp_path / 'incidents/2024/a.yaml'}: ok",
        f"{tmp_path / 'pm/b.yml'}: ok",
    ]
    assert main(["check", str(tmp_path), "--today", "2024-01-01", "--format", "json"]) == 0
    capsys.readouterr()
    (tmp_path / "pm/b.yml").write_text("profile: retrospective\nmetadata: {id: 7}\n")
    assert main(["check", str(tmp_path / "pm"), "--today", "2024-01-01"]) == 1
    assert "pm/b.yml:2:16: PM102 metadata.id" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "no-such-folder"],
        ["check", "no-such.yaml"],
        ["history", "no-such-folder"],
        ["index", "no-such-folder"],
        ["actions", "no-such-folder"],
        ["stats", "no-such-folder"],
        ["render", "no-such.yaml"],
        ["export", "no-such.yaml", "--audience", "Public"],
        ["import", "no-such.md"],
        ["index", ".", "--since", "yesterday"],
        ["actions", ".", "--today", "2024-13-01"],
    ],
)
def test_a_missing_path_or_bad_date_is_a_usage_error_on_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(argv)
    except SystemExit as exited:
        status = int(exited.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "no such" in last or "not a date" in last
    assert "Traceback" not in err


def test_dates_in_options_are_written_as_in_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(EXAMPLES / "postmortem.yaml", tmp_path / "a.yaml")
    for since in ("2024-03-12", "2024-03-12T00:00Z", "2024-03-12 00:00:00+00:00"):
        assert main(["index", str(tmp_path), "--since", since, "--format", "csv"]) == 0
        assert len(capsys.readouterr().out.splitlines()) == 2, since
    assert main(["index", str(tmp_path), "--since", "2024-03-13", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_output_folders_are_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(EXAMPLES / "postmortem.yaml")
    for argv, target in (
        (["render", source, "--no-git-history", "-o"], "r/a/out.md"),
        (["export", source, "--audience", "Internal", "-o"], "e/b/out.md"),
        (["schema", "-o"], "s/c/schema.json"),
    ):
        assert main([*argv, str(tmp_path / target)]) == 0, argv
        assert (tmp_path / target).stat().st_size > 0
    capsys.readouterr()


def test_environmental_failures_are_usage_errors_not_bugs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; the permission check cannot fail")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        source = str(EXAMPLES / "postmortem.yaml")
        status = main(["render", source, "--no-git-history", "-o", str(locked / "x.md")])
    finally:
        locked.chmod(0o700)
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Permission denied" in err


def test_an_os_error_anywhere_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever command meets it: the machine's refusal (here a full disk) is reported with
    the file it concerns, never as an internal error."""
    import postmortem.files

    def full_disk(target: Path, data: bytes, mode: int, *, durable: bool) -> Path:
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(postmortem.files, "_write_temporary", full_disk)
    target = tmp_path / "schema.json"
    assert main(["schema", "-o", str(target)]) == 2
    refusal = f"postmortem: {target}: cannot write: No space left on device\n"
    assert capsys.readouterr().err == refusal
    assert not target.exists()
