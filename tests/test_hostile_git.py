"""Hostile git repositories: whatever an attacker puts in the file names, the commits, the
repository's configuration or git's environment, ``check --staged``, the plain hook,
pre-commit and ``history`` check every file, run no program of the repository, and end
with one line: exit 1 for bad input, exit 2 for a repository git refuses, never exit 3."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import postmortem
from postmortem._shown import shown_path, utf8_path
from postmortem.cli import main
from tests.conftest import EXAMPLES
from tests.gitrepo import GitRepo, init_repo
from tests.hostile import COMMITS, FILE_NAMES

pytestmark = pytest.mark.usefixtures("git_env")

BROKEN = "profile: [unclosed\n"
BROKEN_LINE = "2:1: PM101 YAML: while parsing a flow sequence; did not find expected ',' or ']'"
POSTMORTEM = Path(sys.executable).parent / "postmortem"


def complete(title: str | None = None) -> str:
    text = (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8")
    return text if title is None else text.replace("  title: ", f"  title: {title} ", 1)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A repository, the current folder at its top, as a hook and CI have it."""
    repo = init_repo(tmp_path / "incidents")
    monkeypatch.chdir(repo.root)
    return repo


def _usage_error(capsys: pytest.CaptureFixture[str]) -> str:
    """What a refused command printed: one ``postmortem: ...`` line on standard error."""
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("postmortem: ")
    return line


def _trap(folder: Path) -> tuple[Path, Path]:
    """A program that records that it ran, and where it records it."""
    marker = folder / "trap-ran"
    trap = folder / "trap"
    trap.write_text(f'#!/bin/sh\necho "$0 $*" >> "{marker}"\n', encoding="utf-8")
    trap.chmod(trap.stat().st_mode | stat.S_IXUSR)
    return trap, marker


# File names


@pytest.mark.parametrize("case", sorted(FILE_NAMES))
def test_check_staged_checks_a_file_of_any_name_on_one_line(
    case: str, repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    name = FILE_NAMES[case]
    repo.write(name, BROKEN)
    repo.git("add", "-A")
    assert main(["check", "--staged"]) == 1
    assert capsys.readouterr().out.splitlines() == [f"{shown_path(name)}:{BROKEN_LINE}"]
    assert main(["check", "--staged", "--format", "json"]) == 1
    (row,) = json.loads(capsys.readouterr().out)
    assert row["file"] == utf8_path(name)


def test_the_plain_hook_refuses_files_of_every_name_and_commits_them_once_fixed(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = plain_hooks_repo
    for name in FILE_NAMES.values():
        repo.write(name, BROKEN)
    repo.git("add", "-A")
    refused = repo.try_commit("hostile names", env)
    assert refused.returncode != 0
    assert sorted(refused.stderr.splitlines()) == sorted(
        f"{shown_path(name)}:{BROKEN_LINE}" for name in FILE_NAMES.values()
    )
    for name in FILE_NAMES.values():
        repo.write(name, complete())
    repo.git("add", "-A")
    accepted = repo.try_commit("hostile names, fixed", env)
    assert accepted.returncode == 0, accepted.stderr
    committed = repo.git("ls-tree", "-z", "--name-only", "HEAD").split("\0")
    assert len([name for name in committed if name]) == len(FILE_NAMES)


@pytest.mark.parametrize("case", sorted(FILE_NAMES))
def test_history_follows_a_document_renamed_to_any_name(
    case: str, repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    name = FILE_NAMES[case]
    repo.write("plain.yaml", complete())
    repo.commit("Draft")
    repo.git("mv", "--", "plain.yaml", name)
    repo.commit("Rename", date="2024-05-02T10:00:00+00:00")
    repo.write(name, complete("Edited"))
    repo.commit("Edit", date="2024-05-03T10:00:00+00:00")
    assert main(["history", "--format", "json", "--", name]) == 0
    (found,) = json.loads(capsys.readouterr().out)
    assert found["path"] == utf8_path(name)
    assert [version["path"] for version in found["versions"]] == [
        "plain.yaml",
        utf8_path(name),
        utf8_path(name),
    ]
    assert found["versions"][2]["changes"].startswith("title ")


# Commits


@pytest.fixture
def hostile_commits(repo: GitRepo) -> GitRepo:
    """``pm.yaml`` changed by each of the hostile commits, in order."""
    for number, commit in enumerate(COMMITS.values()):
        repo.write("pm.yaml", complete(f"v{number}"))
        repo.git("add", "pm.yaml")
        repo.commit_raw(commit)
    return repo


def _history(repo: GitRepo, *options: str) -> str:
    """``postmortem history pm.yaml`` run as a person runs it, its output strictly UTF-8."""
    result = subprocess.run(
        [str(POSTMORTEM), "history", "pm.yaml", *options],
        cwd=repo.root,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
        capture_output=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, b"")
    return result.stdout.decode("utf-8")


def test_history_of_hostile_commits_is_valid_json_and_yaml(hostile_commits: GitRepo) -> None:
    (found,) = json.loads(_history(hostile_commits, "--format", "json"))
    assert YAML(typ="safe").load(_history(hostile_commits, "--format", "yaml")) == [found]
    versions = found["versions"]
    assert [version["commit"] for version in versions] == hostile_commits.follow("pm.yaml")
    by_case = dict(zip(COMMITS, versions, strict=True))
    assert by_case["old-separators"]["subject"] == "a\x1eb\x1fc\x1dd"
    assert by_case["old-separators"]["author"] == "Sep\x1e\x1f\x1d"
    assert by_case["not-utf8"]["author"] == "M\ufffdllory"
    assert by_case["declared-encoding"]["subject"] == "Grüße"
    assert by_case["option-like"]["author_email"] == "--output=x@example.com"
    assert by_case["format-codes"]["subject"] == "%s %n %x1f %(trailers) {0}"
    assert by_case["date-garbage"]["date"] == "1970-01-01T00:00:00+00:00"
    assert all(datetime.fromisoformat(version["date"]) for version in versions)
    assert {"Folded Name", "Eve | *x*", "no address at all", "only@example.com"} <= set(
        found["contributors"]
    )


_CELL_BORDER = re.compile(r"(?<!\\)\|")


def test_history_of_hostile_commits_is_one_markdown_table_row_per_version(
    hostile_commits: GitRepo,
) -> None:
    markdown = _history(hostile_commits)
    rows = [line for line in markdown.split("\n") if line.startswith("| ")][1:]  # as Markdown
    assert len(rows) == len(COMMITS)
    assert all(len(_CELL_BORDER.split(row)) == 6 for row in rows), rows
    assert "| Mallory \\| \\*Admin\\* |" in rows[0]


def test_history_write_stores_hostile_commits_in_a_document_that_loads(
    hostile_commits: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--format", "json", "pm.yaml"]) == 0
    (found,) = json.loads(capsys.readouterr().out)
    assert main(["history", "--write", "pm.yaml"]) == 0
    written = (hostile_commits.root / "pm.yaml").read_text(encoding="utf-8")
    doc = postmortem.load(hostile_commits.root / "pm.yaml")
    assert [entry.author for entry in doc.history] == [
        version["author"] for version in found["versions"]
    ]
    assert [entry.changes for entry in doc.history] == [
        version["changes"] for version in found["versions"]
    ]
    assert main(["history", "--write", "pm.yaml"]) == 0
    assert (hostile_commits.root / "pm.yaml").read_text(encoding="utf-8") == written


# The repository's configuration


def test_git_runs_no_program_the_repository_configures(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trap, marker = _trap(tmp_path)
    repo.write("pm.yaml", complete())
    repo.commit("Draft")
    repo.write("pm.yaml", complete("Signed"))
    repo.git("add", "pm.yaml")
    signature = b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n"
    repo.commit_raw(COMMITS["markdown-table"].replace(b"\n\n", b"\n" + signature + b"\n", 1))
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("pre-commit", "post-checkout", "post-index-change", "reference-transaction"):
        shutil.copy2(trap, hooks / hook)
    repo.write("incidents/new.yaml", BROKEN)
    repo.git("add", "incidents/new.yaml")
    repo.write(".gitattributes", "* diff=trap filter=trap\n")
    for key, value in {
        "core.fsmonitor": trap,
        "core.pager": trap,
        "pager.log": trap,
        "core.hooksPath": hooks,
        "core.askPass": trap,
        "core.sshCommand": trap,
        "diff.external": trap,
        "diff.trap.textconv": trap,
        "filter.trap.clean": trap,
        "filter.trap.smudge": trap,
        "log.showSignature": "true",
        "gpg.program": trap,
    }.items():
        repo.git("config", key, str(value))
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", str(trap))
    for armed in (["status"], ["log", "-1"], ["diff", "--cached"]):
        repo.git(*armed)
        assert marker.exists(), f"git {' '.join(armed)} did not spring the trap"
        marker.unlink()

    for output_format in ("markdown", "json", "yaml"):
        assert main(["history", "--format", output_format, "pm.yaml"]) == 0
    assert main(["history", "--write", "pm.yaml"]) == 0
    capsys.readouterr()
    assert main(["check", "--staged"]) == 1
    assert capsys.readouterr().out.splitlines() == [f"incidents/new.yaml:{BROKEN_LINE}"]
    assert not marker.exists(), marker.read_text(encoding="utf-8")


def test_a_partial_clone_never_fetches_what_it_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trap, marker = _trap(tmp_path)
    origin = init_repo(tmp_path / "origin")
    origin.git("config", "uploadpack.allowFilter", "true")
    origin.write("pm.yaml", complete())
    origin.commit("Draft")
    origin.write("pm.yaml", complete("Edited"))
    origin.commit("Edit", date="2024-05-02T10:00:00+00:00")
    clone = GitRepo(tmp_path / "clone")
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", origin.root.as_uri(), str(clone.root)],
        check=True,
    )
    clone.git("config", "remote.origin.url", "ssh://attacker.invalid/x")
    clone.git("config", "core.sshCommand", str(trap))
    first = clone.git("rev-parse", "HEAD~1:pm.yaml").strip()
    clone.git("cat-file", "-p", first, check=False)
    assert marker.exists(), "git cat-file did not spring the trap"
    marker.unlink()

    monkeypatch.chdir(clone.root)
    assert main(["history", "--format", "json", "pm.yaml"]) == 0
    (found,) = json.loads(capsys.readouterr().out)
    assert found["versions"][0]["changes"] == (
        "could not be read: not in the repository (a partial clone's blob is not fetched)"
    )
    assert not marker.exists(), marker.read_text(encoding="utf-8")


# The plain hook runs the installed command, nothing of the repository


def _plant_a_postmortem_package(repo: GitRepo, marker: Path) -> None:
    for module in ("__init__.py", "__main__.py", "cli.py"):
        repo.write(f"postmortem/{module}", f"open({str(marker)!r}, 'a').write({module!r})\n")


def test_the_plain_hook_never_imports_a_postmortem_package_of_the_repository(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    repo, env = plain_hooks_repo
    marker = tmp_path / "imported"
    _plant_a_postmortem_package(repo, marker)
    repo.write("pm.yaml", BROKEN)
    repo.git("add", "-A")
    refused = repo.try_commit("plant a package", env)
    assert refused.returncode != 0
    assert refused.stderr.splitlines() == [f"pm.yaml:{BROKEN_LINE}"]
    assert not marker.exists()


def _path_without_postmortem() -> str:
    git = shutil.which("git")
    assert git is not None
    folder = str(Path(git).parent)
    assert shutil.which("postmortem", path=folder) is None
    return folder


def test_without_the_postmortem_command_the_plain_hook_refuses_the_commit(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    repo, env = plain_hooks_repo
    marker = tmp_path / "imported"
    _plant_a_postmortem_package(repo, marker)
    repo.write("pm.yaml", complete())
    repo.git("add", "-A")
    refused = repo.try_commit("no postmortem", {**env, "PATH": _path_without_postmortem()})
    assert refused.returncode != 0
    assert refused.stderr.splitlines() == [
        "postmortem: the plain pre-commit hook needs the postmortem command on PATH "
        "(pip install postmortem); not committing unchecked"
    ]
    assert not marker.exists()
    assert repo.git("rev-parse", "-q", "--verify", "HEAD", check=False) == ""


def test_the_plain_hook_runs_no_postmortem_found_through_a_relative_path_entry(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    repo, env = plain_hooks_repo
    trap, marker = _trap(tmp_path)
    shutil.copy2(trap, repo.root / "postmortem")
    repo.write("pm.yaml", complete())
    repo.git("add", "-A")
    path = f".{os.pathsep}{_path_without_postmortem()}"
    refused = repo.try_commit("a postmortem of the repository", {**env, "PATH": path})
    assert refused.returncode != 0
    assert "needs the postmortem command on PATH" in refused.stderr
    assert not marker.exists()


# Git's environment: the index and the work tree git names


def test_commit_all_and_commit_only_are_checked_as_they_would_be_recorded(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = plain_hooks_repo
    repo.write("a.yaml", complete())
    repo.write("b.yaml", complete())
    repo.git("add", "-A")
    assert repo.try_commit("two documents", env).returncode == 0
    repo.write("a.yaml", BROKEN)
    refused = repo.try_commit("all of the work tree", env, "-a")
    assert refused.returncode != 0
    assert refused.stderr.splitlines() == [f"a.yaml:{BROKEN_LINE}"]
    repo.git("add", "a.yaml")
    repo.write("b.yaml", complete("Only"))
    accepted = repo.try_commit("only b.yaml", env, "--only", "b.yaml")
    assert accepted.returncode == 0, accepted.stderr
    assert repo.git("diff", "--cached", "--name-only") == "a.yaml\n"


def test_the_plain_hook_in_a_linked_worktree(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    repo, env = plain_hooks_repo
    repo.write("README", "incidents\n")
    repo.git("add", "-A")
    assert repo.try_commit("start", env).returncode == 0
    worktree = GitRepo(tmp_path / "worktree")
    repo.git("worktree", "add", "-q", "-b", "review", str(worktree.root))
    worktree.write("pm.yaml", BROKEN)
    worktree.git("add", "pm.yaml")
    refused = worktree.try_commit("broken, from a worktree", env)
    assert refused.stderr.splitlines() == [f"pm.yaml:{BROKEN_LINE}"]
    worktree.write("pm.yaml", complete())
    worktree.git("add", "pm.yaml")
    accepted = worktree.try_commit("fixed, from a worktree", env)
    assert accepted.returncode == 0, accepted.stderr
    assert repo.git("log", "-1", "--format=%s", "review") == "fixed, from a worktree\n"


def test_pre_commit_in_a_linked_worktree(
    incidents: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    repo, env = incidents
    worktree = GitRepo(tmp_path / "worktree")
    repo.git("worktree", "add", "-q", "-b", "review", str(worktree.root))
    worktree.write("incidents/pm.yaml", BROKEN)
    worktree.git("add", "incidents/pm.yaml")
    refused = worktree.try_commit("broken, from a worktree", env)
    assert refused.returncode != 0
    assert f"incidents/pm.yaml:{BROKEN_LINE}" in refused.stderr.splitlines()
    worktree.write("incidents/pm.yaml", complete())
    worktree.git("add", "incidents/pm.yaml")
    accepted = worktree.try_commit("fixed, from a worktree", env)
    assert accepted.returncode == 0, accepted.stderr
    assert repo.git("log", "-1", "--format=%s", "review") == "fixed, from a worktree\n"


def test_git_dir_and_git_work_tree_name_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = init_repo(tmp_path / "work")
    work.write("pm.yaml", complete())
    work.commit("Draft")
    work.write("incidents/new.yaml", BROKEN)
    work.git("add", "-A")
    (work.root / ".git").rename(tmp_path / "store.git")  # nothing left to discover
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "store.git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(work.root))
    monkeypatch.chdir(work.root)
    assert main(["check", "--staged"]) == 1
    assert capsys.readouterr().out.splitlines() == [f"incidents/new.yaml:{BROKEN_LINE}"]
    assert main(["history", "--format", "json", "pm.yaml"]) == 0
    (found,) = json.loads(capsys.readouterr().out)
    assert [version["subject"] for version in found["versions"]] == ["Draft"]
    outside = tmp_path / "outside.yaml"
    outside.write_text(complete(), encoding="utf-8")
    assert main(["history", str(outside)]) == 2
    assert _usage_error(capsys) == (
        f"postmortem: {outside}: outside the work tree at {work.root.resolve()}"
    )


# Repositories git refuses, or that have no work tree: one line, exit 2


def test_a_repository_owned_by_someone_else_is_refused_as_git_refuses_it(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving the repository to another user needs root")
    repo.write("pm.yaml", complete())
    repo.commit("Draft")
    for folder, folders, files in os.walk(repo.root):
        for name in [".", *folders, *files]:
            os.chown(os.path.join(folder, name), 12345, 12345, follow_symlinks=False)
    dubious = f"git: detected dubious ownership in repository at '{repo.root}'"
    assert main(["history", "pm.yaml"]) == 2
    assert _usage_error(capsys) == f"postmortem: pm.yaml: {dubious}"
    assert main(["check", "--staged"]) == 2
    assert _usage_error(capsys) == f"postmortem: {repo.root}: {dubious}"


def test_a_bare_repository_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    (bare / "pm.yaml").write_text(complete(), encoding="utf-8")
    monkeypatch.chdir(bare)
    assert main(["history", "pm.yaml"]) == 2
    assert _usage_error(capsys) == (
        "postmortem: pm.yaml: in a bare repository, which has no work tree"
    )
    assert main(["check", "--staged"]) == 2
    assert _usage_error(capsys) == (
        f"postmortem: {bare}: in a bare repository, which has no work tree"
    )


def test_a_document_in_the_git_folder_is_a_usage_error(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write(".git/pm.yaml", complete())
    assert main(["history", ".git/pm.yaml"]) == 2
    assert _usage_error(capsys) == (
        "postmortem: .git/pm.yaml: not inside the work tree of a git repository"
    )


def test_a_broken_git_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / ".git").write_text("gitdir: /nowhere/at/all\n", encoding="utf-8")
    (folder / "pm.yaml").write_text(complete(), encoding="utf-8")
    monkeypatch.chdir(folder)
    assert main(["history", "pm.yaml"]) == 2
    assert _usage_error(capsys) == "postmortem: pm.yaml: git: not a git repository: /nowhere/at/all"
    assert main(["check", "--staged"]) == 2
    assert "not a git repository" in _usage_error(capsys)


def test_a_document_in_a_submodule_has_the_submodules_history(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = init_repo(tmp_path / "library")
    library.write("inner.yaml", complete())
    library.commit("Inner draft", author="Sam Sub <sam@example.com>")
    repo.write("outer.yaml", complete())
    repo.commit("Outer draft")
    for path in ("library", "gitlink.yaml"):
        repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q",
                 str(library.root), path)  # fmt: skip
    assert main(["check", "--staged"]) == 0
    assert capsys.readouterr().out == ""
    repo.commit("Add the library twice, once under a post-mortem's name")
    assert main(["history", "--format", "json", "outer.yaml", "library/inner.yaml"]) == 0
    outer, inner = json.loads(capsys.readouterr().out)
    assert [version["subject"] for version in outer["versions"]] == ["Outer draft"]
    assert [version["subject"] for version in inner["versions"]] == ["Inner draft"]
    assert inner["contributors"] == ["Sam Sub"]


def test_check_staged_from_a_subfolder_applies_the_policy_to_repository_paths(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("incidents/notes.yaml", "todo: write it up\n")
    repo.git("add", "-A")
    (repo.root / "docs").mkdir()
    monkeypatch.chdir(repo.root / "docs")
    assert main(["check", "--staged"]) == 1
    assert "incidents/notes.yaml:1:1: PM102 todo: unknown key" in capsys.readouterr().out
