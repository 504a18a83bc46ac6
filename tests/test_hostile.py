"""Hostile input: every command refuses it on one located line with exit 1, or reads it."""

import contextlib
import io
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from postmortem.cli import main
from tests.gitrepo import GitRepo
from tests.hostile import (
    LOCATED,
    MARKDOWN_CASES,
    SPECIAL_CASES,
    VALUE_CASES,
    YAML_CASES,
    finishes_within,
    located_line,
    one_located_line,
    write_case,
)

HANG_GUARD = 20
"""Seconds after which a command is taken to hang (the benchmark's target is 2)."""


def _thelocated_line(capsys: pytest.CaptureFixture[str]) -> re.Match[str]:
    """What the command printed: exactly one short located line."""
    captured = capsys.readouterr()
    return located_line(captured.out + captured.err)


def _run(argv: Sequence[str]) -> tuple[int, str, str]:
    """``postmortem argv``: its exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """One repository holding every hostile YAML case, committed (history reads them from git)."""
    repo = GitRepo(tmp_path_factory.mktemp("hostile"))
    repo.git("init", "-q")
    repo.git("config", "user.name", "Mallory")
    repo.git("config", "user.email", "mallory@example.com")
    for name in [*YAML_CASES, *SPECIAL_CASES]:
        write_case(repo.root, name)
    repo.commit("hostile inputs")  # git passes over FIFOs and sockets, and keeps links
    return repo


@pytest.mark.parametrize("command", ["validate", "check", "render", "history"])
@pytest.mark.parametrize("name", sorted(YAML_CASES))
def test_every_command_refuses_hostile_yaml_onlocated_line(
    name: str,
    command: str,
    hostile_repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(hostile_repo.root)
    assert main([command, name]) == 1
    assert one_located_line(capsys.readouterr())["file"] == name


@pytest.mark.parametrize("command", ["validate", "check", "render", "history"])
@pytest.mark.parametrize("name", sorted(name for name in SPECIAL_CASES if name.endswith(".yaml")))
def test_every_command_refuses_a_file_that_is_not_a_plain_file_at_once(
    name: str, command: str, hostile_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(hostile_repo.root)
    code, out, err = finishes_within(HANG_GUARD, _run, [command, name])
    assert code == 1
    located = located_line(out + err)
    assert (located["file"], located["line"], located["column"]) == (name, "0", "0")
    assert (out + err).endswith("; not read\n")


@pytest.mark.parametrize("name", sorted(name for name in SPECIAL_CASES if name.endswith(".md")))
def test_import_refuses_a_file_that_is_not_a_plain_file_at_once(name: str, tmp_path: Path) -> None:
    source = write_case(tmp_path, name)
    code, out, err = finishes_within(HANG_GUARD, _run, ["import", str(source)])
    assert code == 1
    assert located_line(out + err)["file"] == str(source)
    assert (out + err).endswith(", not a file; not read\n")


@pytest.mark.parametrize("name", sorted(MARKDOWN_CASES))
def test_pathological_markdown_imports_without_error_or_loss(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_case(tmp_path, name)
    output = tmp_path / "out.yaml"
    code, _, err = finishes_within(
        HANG_GUARD, _run, ["import", str(source), "--output", str(output)]
    )
    assert code == 0
    assert "Traceback" not in err
    assert all(LOCATED.match(line) or line.endswith("(use --profile to choose)")
               for line in err.splitlines() if line)  # fmt: skip
    assert main(["validate", str(output)]) == 0


# The document cases whose contents are a valid policy (an empty policy file is the default
# policy, and marks the repository root), or that are the same for a policy (wrong types,
# duplicate keys, a long scalar) and are written for it below.
_NOT_POLICY_CASES = {
    "empty.yaml",
    "only-comments.yaml",
    "wrong-types.yaml",
    "duplicate-keys.yaml",
    "enormous-scalar.yaml",
    *VALUE_CASES,
}
_POLICY_CASES = {
    "policy-wrong-types": "labels: {levels: 7}\n",
    "policy-duplicate-keys": "max_file_bytes: 10\nmax_file_bytes: 20\n",
    "policy-huge-number": "max_file_bytes: " + "9" * 5000 + "\n",
    "policy-nan": "max_file_bytes: .nan\n",
    "policy-terminal-escapes": 'ignore: ["\\e[2J\\u202e"]\n',
}


@pytest.mark.parametrize(
    "name", [*sorted(set(YAML_CASES) - _NOT_POLICY_CASES), *sorted(_POLICY_CASES)]
)
def test_a_hostile_policy_file_is_refused_onlocated_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], example_paths: list[Path]
) -> None:
    policy = tmp_path / ".postmortem.yaml"
    if name in _POLICY_CASES:
        policy.write_text(_POLICY_CASES[name], encoding="utf-8")
    else:
        write_case(tmp_path, name).rename(policy)
    document = tmp_path / "INC-1.yaml"
    document.write_bytes(example_paths[0].read_bytes())
    assert main(["check", str(document)]) == 2
    assert one_located_line(capsys.readouterr())["file"] == str(policy)


@pytest.mark.parametrize("command", ["validate", "check", "render", "history"])
def test_a_link_out_of_the_repository_is_not_read(
    command: str,
    tmp_path: Path,
    example_paths: list[Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outside = tmp_path / "outside" / "secret.yaml"
    outside.parent.mkdir()
    outside.write_bytes(example_paths[0].read_bytes())
    repo = GitRepo(tmp_path / "repo")
    repo.root.mkdir()
    repo.git("init", "-q")
    (repo.root / "incidents").mkdir()
    (repo.root / "incidents" / "link.yaml").symlink_to(Path("../../outside/secret.yaml"))
    repo.commit("a link out")
    monkeypatch.chdir(repo.root)
    assert main([command, "incidents/link.yaml"]) == 1
    captured = capsys.readouterr()
    (line,) = (captured.out + captured.err).splitlines()
    assert line.startswith("incidents/link.yaml:0:0: ")
    assert "outside the repository" in line
    assert "Card payments" not in captured.out  # nothing of the target was shown


def test_a_link_inside_the_repository_and_dotdot_paths_are_read(
    tmp_path: Path, example_paths: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "real.yaml").write_bytes(example_paths[0].read_bytes())
    (tmp_path / "a" / "link.yaml").symlink_to("real.yaml")
    dotdot = str(tmp_path / "a" / ".." / "a" / "link.yaml")
    assert main(["validate", str(tmp_path / "a" / "link.yaml"), dotdot]) == 0
    assert capsys.readouterr().out.count(": ok") == 2


def test_file_names_that_look_like_options_are_never_options(
    tmp_path: Path,
    example_paths: list[Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = GitRepo(tmp_path)
    repo.git("init", "-q")
    repo.write("--all.yaml", example_paths[0].read_text(encoding="utf-8"))
    repo.write("-p.yaml", example_paths[0].read_text(encoding="utf-8"))
    repo.commit("names like options")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--", "--all.yaml", "-p.yaml"]) == 0
    assert main(["history", "--format", "json", "--", "--all.yaml", "-p.yaml"]) == 0
    out = capsys.readouterr().out
    assert '"--all.yaml"' in out
    assert '"-p.yaml"' in out
    repo.write("incidents/-p.yaml", "profile: [unclosed\n")
    (tmp_path / "incidents" / "--all.yaml").write_bytes(b"\xff")
    repo.git("add", "--", "incidents")
    assert main(["check", "--staged"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "incidents/--all.yaml:1:1: PM101 not valid UTF-8 (byte 0xff)",
        "incidents/-p.yaml:2:1: PM101 YAML: while parsing a flow sequence;"
        " did not find expected ',' or ']'",
    ]
