"""``postmortem init``: the files it writes, that it never replaces one, and a repository it
sets up taking real commits through the real pre-commit."""

import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from ruamel.yaml import YAML

import postmortem
from postmortem._version import __version__
from postmortem.cli import main
from postmortem.init import policy_text, pre_commit_config
from postmortem.model import ActionStatus
from postmortem.policy import Policy, load_policy
from tests.conftest import EXAMPLES, ROOT
from tests.gitrepo import git_environment, init_repo

MIRROR = ["--hooks-repo", "https://git.example.com/mirrors/postmortem", "--hooks-rev", "v9.9.9"]


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` but git's, with its content and modification time."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts[:1]
    }


@pytest.mark.usefixtures("git_env")
def test_init_sets_up_a_repository_and_a_second_run_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "incidents-repo"
    assert main(["init", str(repo), *MIRROR]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{repo}: set up, a new git repository\n")
    assert (repo / ".git").is_dir()
    written = _files(repo)
    assert sorted(written) == [
        ".gitignore",
        ".postmortem.yaml",
        ".pre-commit-config.yaml",
        ".vscode/settings.json",
        "incidents/README.md",
        "postmortem.schema.json",
    ]
    assert "  postmortem new incidents/INC-0001.yaml --profile postmortem --id INC-0001\n" in out
    assert "  pre-commit install" in out
    assert "  git add .postmortem.yaml .pre-commit-config.yaml " in out
    schema = (repo / "postmortem.schema.json").read_text(encoding="utf-8")
    assert '"title": "Post-mortem document"' in schema
    assert (
        '"./postmortem.schema.json": [\n      "incidents/**/*.yaml"'
        in written[".vscode/settings.json"][0].decode()
    )

    assert main(["init", str(repo), *MIRROR]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{repo}: already set up; nothing changed\n")
    assert "  created" not in out
    assert out.count("(it exists; not changed)") == len(written)
    assert _files(repo) == written


@pytest.mark.usefixtures("git_env")
def test_init_never_replaces_a_file_and_writes_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), *MIRROR]) == 0
    (tmp_path / ".postmortem.yaml").write_text("overdue: error\n", encoding="utf-8")
    (tmp_path / "postmortem.schema.json").unlink()
    (tmp_path / "incidents" / "INC-0001.yaml").write_text("profile: postmortem\n")
    capsys.readouterr()
    assert main(["init", str(tmp_path), *MIRROR]) == 0
    out = capsys.readouterr().out
    assert "  postmortem new incidents/INC-0002.yaml --profile postmortem --id INC-0002\n" in out
    assert out.startswith(f"{tmp_path}: set up\n")
    assert "  created   postmortem.schema.json\n" in out
    assert "  kept      .postmortem.yaml (it exists; not changed)\n" in out
    assert (tmp_path / ".postmortem.yaml").read_text(encoding="utf-8") == "overdue: error\n"
    assert (tmp_path / "postmortem.schema.json").is_file()


def test_the_policy_shows_every_key_at_its_default_and_loads(tmp_path: Path) -> None:
    text = policy_text()
    path = tmp_path / ".postmortem.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_policy(path) == Policy()
    keys = [field.name for field in attrs.fields(Policy) if field.init]
    assert re.findall(r"^# (\w+):(?!//)", text, re.MULTILINE) == keys
    for field in attrs.fields(Policy):
        if field.init:
            description = " ".join(field.metadata["doc"].split()[1:4])
            assert description in " ".join(text.replace("# ", "").split())
    uncommented = re.sub(rf"^# (?=(?:{'|'.join(keys)}):|  )", "", text, flags=re.MULTILINE)
    assert uncommented.count("\n# ") < text.count("\n# ")
    path.write_text(uncommented, encoding="utf-8")
    assert load_policy(path) == Policy()


def test_the_hooks_are_every_hook_of_this_version_from_its_repository() -> None:
    config = YAML(typ="safe").load(pre_commit_config())
    (entry,) = config["repos"]
    assert entry["repo"] == "https://github.com/postmortem-tools/postmortem"
    assert entry["rev"] == f"v{__version__}"
    offered = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    text = pre_commit_config()
    named = set(re.findall(r"^ {6}(?:# )?- id: ([\w-]+)", text, re.MULTILINE))
    assert named == {hook["id"] for hook in offered}
    active = {hook["id"] for hook in entry["hooks"]}
    optional = {"postmortem-render", "postmortem-check"}
    assert active == named - optional, "the fixing hook and the one-process hook: commented out"
    assert "  repo: https://git.example.com/mirrors/postmortem" in text  # the mirror, explained


@pytest.mark.usefixtures("git_env")
def test_gitignore_lines_are_appended_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n/.venv", encoding="utf-8")
    assert main(["init", str(tmp_path), *MIRROR]) == 0
    assert "  appended  .*.tmp to .gitignore\n" in capsys.readouterr().out
    expected = (  # without a final line break, as the file was
        "node_modules/\n/.venv\n"
        "# postmortem: interrupted atomic writes, the virtual environment\n.*.tmp"
    )
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == expected
    assert main(["init", str(tmp_path), *MIRROR]) == 0
    assert "  kept      .gitignore" in capsys.readouterr().out
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == expected


@pytest.mark.usefixtures("git_env")
def test_new_in_an_initialised_repository_points_at_its_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["init", str(repo), *MIRROR]) == 0
    monkeypatch.chdir(tmp_path)
    document = repo / "incidents" / "2024" / "INC-0001.yaml"
    assert main(["new", str(document), "--profile", "postmortem", "--id", "INC-0001"]) == 0
    first_line = document.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../../postmortem.schema.json"
    capsys.readouterr()


@pytest.mark.usefixtures("git_env")
def test_usage_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    outer = init_repo(tmp_path / "outer")
    blocked = tmp_path / "blocked"
    (blocked / "incidents").parent.mkdir()
    (blocked / "incidents").write_text("a file where the folder belongs\n", encoding="utf-8")
    cases = {
        str(a_file): f"{a_file}: is a file, not a folder",
        str(a_file / "repo"): f"{a_file / 'repo'}: cannot write: ",
        str(outer.root / "incidents"): f"{outer.root / 'incidents'}: inside the git repository",
        str(blocked): f"{blocked / 'incidents'}: is a file where a folder belongs",
    }
    for directory, expected in cases.items():
        assert main(["init", directory, *MIRROR]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith(f"postmortem: {expected}")
        assert captured.err.count("\n") == 1
        assert captured.out == ""
    assert not (outer.root / "incidents").exists()
    assert [path.name for path in blocked.iterdir()] == ["incidents"], "nothing half-written"


def test_init_new_and_commits_through_the_real_pre_commit(
    tmp_path: Path, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    source, sha = hook_source
    env = {**git_environment(tmp_path), "PRE_COMMIT_HOME": str(pre_commit_home)}
    repo = tmp_path / "incidents-repo"
    repo.mkdir()

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, check=False
        )

    def run_ok(*command: str) -> str:
        result = run(*command)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr  # git shows a hook's output on stderr

    postmortem_cli = [sys.executable, "-m", "postmortem"]
    run_ok(*postmortem_cli, "init", "--hooks-repo", str(source), "--hooks-rev", sha)
    document = "incidents/INC-0001.yaml"
    run_ok(*postmortem_cli, "new", document, "--profile", "postmortem", "--id", "INC-0001")
    run_ok(sys.executable, "-m", "pre_commit", "install")
    run_ok("git", "add", "-A")

    refused = run("git", "commit", "-m", "Set up, with a first draft")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert re.search(rf"^{re.escape(document)}:\d+:\d+: PM\d+ ", output, re.MULTILINE), output
    assert "Traceback" not in output

    example = postmortem.load(EXAMPLES / "postmortem.yaml")
    with postmortem.edit(repo / document) as doc:
        for section in postmortem.SECTION_NAMES:
            setattr(doc, section, getattr(example, section))
        doc.metadata = attrs.evolve(example.metadata, id="INC-0001")
    run_ok("git", "add", document)
    committed = run_ok("git", "commit", "-m", "INC-0001: the checkout outage")
    assert "post-mortems are complete and consistent" in committed

    with postmortem.edit(repo / document) as doc:
        doc.action_items[0].status = ActionStatus.COMPLETED
    run_ok("git", "commit", "-am", "INC-0001: certificate alert done")
    log = run("git", "log", "--format=%s").stdout
    assert log.splitlines() == [
        "INC-0001: certificate alert done",
        "INC-0001: the checkout outage",
    ]

    stray = "pm/2025/INC-0002.yaml"
    run_ok(*postmortem_cli, "new", stray, "--profile", "retrospective")
    run_ok("git", "add", stray)
    refused = run("git", "commit", "-m", "A draft outside incidents/")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert re.search(rf"^{re.escape(stray)}:\d+:\d+: PM201 ", output, re.MULTILINE), output
    assert run("git", "log", "--format=%s", "-1").stdout.strip() == log.splitlines()[0]
