"""A pull request written by an attacker, end to end: every class of attack of the security
page at once, through the real pre-commit, the plain git hook and CI's ``postmortem check``.
Each must be caught on its own located line; none may run code, hang, or end in a traceback.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import postmortem
from postmortem.audiences import export
from postmortem.model import Classification
from postmortem.policy import find_policy
from postmortem.render import render
from tests.conftest import EXAMPLES, ROOT
from tests.gitrepo import GitRepo, git_environment, init_repo

POLICY = """\
path_rules:
  - paths: ["public/**"]
    labels: [Public, "TLP:CLEAR"]
    published: true
templates: layouts
"""
LAYOUT = "{% include '_base.md.j2' %}"
SOURCE = "incidents/INC-2024-0031.yaml"
COPY = "public/INC-2024-0031.md"
STRANGE_NAME = "-rf --output=x\nnew line.yaml"
MARKER = "pwned"
POLICY_WEAKENED = r"^\.postmortem\.yaml:\d+:\d+: PM601 ignore: PM301, PM302, .* no longer run"
COMMAND = str(Path(sys.executable).parent / "postmortem")


def _base(repo: GitRepo) -> None:
    """What the repository holds before the pull request: a policy, a team layout, a
    Confidential security post-mortem and its Public Markdown edition."""
    repo.write(".postmortem.yaml", POLICY)
    repo.write("layouts/security-postmortem.md.j2", LAYOUT)
    repo.write(SOURCE, (EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8"))
    source = postmortem.load(repo.root / SOURCE)
    policy = find_policy(repo.root / SOURCE)
    copy = export(source, Classification.PUBLIC, policy, source=SOURCE)
    repo.write(COPY, render(copy, templates=repo.root / "layouts", within=repo.root))
    repo.commit("Base")
    repo.git("branch", "base")


def _attack(repo: GitRepo) -> None:
    """The pull request: one attack of each class."""
    # policy: quieten the label rules, add a pattern that hangs a backtracking engine
    repo.write(
        ".postmortem.yaml",
        "ignore: [PM3]\nextra_placeholders: ['(a+)+$']\n" + POLICY,
    )
    # layouts: escape the sandbox, or never end
    repo.write(
        "layouts/security-postmortem.md.j2",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}"
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    )
    # a document: a script link, a live token, and text that makes backtracking slow
    doc = postmortem.load(EXAMPLES / "postmortem.yaml")
    assert doc.summary is not None
    doc.summary.text = "Deployed with ghp_" + "Q1w2E3r4" * 4 + "xyzw.\n" + "a" * 50_000 + "!\n"
    text = postmortem.dumps(doc).replace(
        "incident_log:", "incident_log: 'javascript:alert(document.cookie)'\n  old_log:", 1
    )
    repo.write("incidents/INC-2024-0099.yaml", text)
    # the Public edition, with the Confidential attacker address spelled to slip past
    copy = (repo.root / COPY).read_text(encoding="utf-8")
    repo.write(
        COPY,
        copy.replace(
            "No payment data", "Traffic came from 203[.]0[.]113[.]045. No payment data", 1
        ),
    )
    # a draft saved under a name made of options and a line break, outside incidents/
    repo.write(
        STRANGE_NAME, "schema_version: 1\nprofile: postmortem\nmetadata: {id: X, title: ''}\n"
    )
    # code where `python -m postmortem` in the repository would import it
    repo.write("postmortem/__init__.py", f"open({MARKER!r}, 'w').write('ran')\n")


def _expect_every_attack_caught(output: str, repo: GitRepo) -> None:
    assert "Traceback" not in output
    assert "internal error" not in output
    assert not (repo.root / MARKER).exists(), "code from the repository ran"
    assert re.search(r"incidents/INC-2024-0099\.yaml:\d+:\d+: PM502 ", output), output
    assert re.search(
        r"incidents/INC-2024-0099\.yaml:\d+:\d+: PM102 metadata\.incident_log: ", output
    ), output
    assert re.search(rf"{re.escape(COPY)}:\d+:\d+: PM309 holds '203\.0\.113\.45'", output), output
    assert re.search(r'^"(?:\./)?-rf --output=x\\nnew line\.yaml":\d+:\d+: PM201 ', output, re.M), (
        output
    )


@pytest.fixture
def attacked(
    tmp_path: Path, hook_source: tuple[Path, str], pre_commit_home: Path
) -> tuple[GitRepo, dict[str, str]]:
    env = {**git_environment(tmp_path), "PRE_COMMIT_HOME": str(pre_commit_home)}
    repo = init_repo(tmp_path / "incidents")
    _base(repo)
    _attack(repo)
    repo.git("add", "-A", env=env)
    return repo, env


def _commit(repo: GitRepo, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", "Update INC-2024-0031's public edition"],
        cwd=repo.root, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_pre_commit_refuses_the_pull_request(
    attacked: tuple[GitRepo, dict[str, str]], hook_source: tuple[Path, str]
) -> None:
    repo, env = attacked
    source, sha = hook_source
    (repo.root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n"
        "      - id: postmortem-validate\n      - id: postmortem-completeness\n"
        "        args: [--today, '2024-01-01']\n      - id: postmortem-classification\n"
        "        args: [--policy-from, base]\n",
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=ROOT, env={**env, "GIT_DIR": str(repo.root / ".git")}, check=True, capture_output=True,
    )  # fmt: skip
    repo.git("add", ".pre-commit-config.yaml", env=env)
    result = _commit(repo, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    _expect_every_attack_caught(output, repo)
    assert re.search(POLICY_WEAKENED, output, re.MULTILINE), output
    assert repo.git("log", "--format=%s", "-1").strip() == "Base"


def test_the_plain_hook_refuses_the_pull_request(attacked: tuple[GitRepo, dict[str, str]]) -> None:
    repo, env = attacked
    repo.git("config", "core.hooksPath", str(ROOT / "hooks"))
    result = _commit(repo, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert not (repo.root / MARKER).exists(), "code from the repository ran"
    assert re.search(r"incidents/INC-2024-0099\.yaml:\d+:\d+: PM502 ", output), output
    assert repo.git("log", "--format=%s", "-1").strip() == "Base"


def test_ci_checks_the_pull_request_by_the_base_policy(
    attacked: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = attacked
    repo.git("commit", "-q", "--no-verify", "-m", "The pull request", env=env)
    result = subprocess.run(
        [COMMAND, "check", ".", "--policy-from", "base", "--today", "2024-01-01"],
        cwd=repo.root, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    _expect_every_attack_caught(output, repo)
    assert re.search(POLICY_WEAKENED, output, re.MULTILINE), output
    github = subprocess.run(
        [COMMAND, "check", ".", "--policy-from", "base", "--format", "github"],
        cwd=repo.root, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert github.returncode == 1
    lines = github.stdout.splitlines()
    assert lines
    assert all(line.startswith(("::error ", "::warning ")) for line in lines), lines
    assert all(line.count("::") == 2 for line in lines), "a value ended its command"
    assert not os.path.exists(repo.root / MARKER)
