import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import postmortem
from postmortem.model import Classification, PostMortem
from tests.gitrepo import GitRepo, git_environment, init_repo

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

whole_documents = settings(max_examples=max(10, settings.default.max_examples // 3))
"""For properties that draw, write and read a whole document per example: a third of the
profile's examples, so that the suite stays within its time (``thorough`` runs 666)."""

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def internal_postmortem() -> PostMortem:
    """The post-mortem example without what makes it Confidential (the attack analysis, the
    data affected, and the section and item labels that keep them apart), labelled Internal:
    a complete document whose content asks for no label of its own, for tests of the label
    rules."""
    doc = postmortem.load(EXAMPLES / "postmortem.yaml")
    assert doc.root_cause is not None
    assert doc.impact is not None
    assert doc.timeline is not None
    doc.root_cause.attack = None
    doc.impact.data_affected = []
    doc.metadata.section_labels = []
    for event in doc.timeline.events:
        event.classification = None
    for action in doc.action_items:
        action.classification = None
    doc.metadata.classification = Classification.INTERNAL
    return doc


SEEDS_VARIABLE = "POSTMORTEM_SEEDS"
SEEDS_BESIDE_CHECKOUT = ROOT.parent / "shared" / "seeds"


def _shared_folder(variable: str, beside: Path, what: str) -> Path:
    """The folder ``$variable`` names, else ``beside`` this checkout. A user's clone has
    neither, and the tests that read it skip, saying why; a variable naming no folder fails."""
    named = os.environ.get(variable)
    if named:
        if not Path(named).is_dir():
            pytest.fail(f"{variable}={named} is not a folder")
        return Path(named)
    if not beside.is_dir():
        pytest.skip(f"{what} are not here: set {variable} to their folder (looked for {beside})")
    return beside


@pytest.fixture(scope="session", autouse=True)
def user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's cache folder (the parse cache outside a repository) is the session's own,
    so that the tests neither read nor fill the cache of whoever runs them."""
    folder = tmp_path_factory.mktemp("user-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The five seed templates the model was written from: ``$POSTMORTEM_SEEDS``, else
    ``../shared/seeds`` beside this checkout."""
    return _shared_folder(SEEDS_VARIABLE, SEEDS_BESIDE_CHECKOUT, "the seed templates")


@pytest.fixture
def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment in which git uses no user or system configuration."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.com",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    assert shutil.which("git"), "git is needed for these tests"
    subprocess.run(["git", "config", "--global", "init.defaultBranch", "main"], check=True)
    return env


HOOK_REPOSITORY_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml")
"""With the package, what pre-commit needs to install the hooks; a clone and an sdist have them."""


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working copy's hooks and package, committed to a scratch repository pre-commit can
    clone: one repository and revision for the whole run, so pre-commit builds its environment
    once (in the session's ``pre_commit_home``)."""
    copy = tmp_path_factory.mktemp("postmortem-working-copy")
    env = git_environment(copy)
    for name in HOOK_REPOSITORY_FILES:
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(
        ROOT / "postmortem", copy / "postmortem", ignore=shutil.ignore_patterns("__pycache__")
    )
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *command], cwd=copy, check=True, env=env, capture_output=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=copy, capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    return copy, sha


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache, shared by every test that runs it: the hooks' environment is
    built once per run."""
    return tmp_path_factory.mktemp("pre-commit-home")


INCIDENTS_POLICY = """\
path_rules:
  - paths: ["incidents/confidential/**"]
    labels: [Confidential, Restricted]
"""


@pytest.fixture
def incidents(
    tmp_path: Path, hook_source: tuple[Path, str], pre_commit_home: Path
) -> tuple[GitRepo, dict[str, str]]:
    """An incidents repository whose commits pass through pre-commit and postmortem's hooks."""
    env = {**git_environment(tmp_path), "PRE_COMMIT_HOME": str(pre_commit_home)}
    repo = init_repo(tmp_path / "incidents-repo")
    source, sha = hook_source
    repo.write(
        ".pre-commit-config.yaml",
        f"""\
repos:
  - repo: {source}
    rev: {sha}
    hooks:
      - id: postmortem-validate
      - id: postmortem-completeness
        args: [--today, "2024-01-01"]
      - id: postmortem-classification
""",
    )
    repo.write(".postmortem.yaml", INCIDENTS_POLICY)
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo.root,
        env=env,
        check=True,
        capture_output=True,
    )
    repo.git("add", "-A", env=env)
    repo.git("commit", "-q", "-m", "set up", "--no-verify", env=env)
    return repo, env


@pytest.fixture
def plain_hooks_repo(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """A repository whose commits pass through the plain hook (``core.hooksPath``)."""
    env = git_environment(tmp_path)
    repo = init_repo(tmp_path / "plain")
    repo.git("config", "core.hooksPath", str(ROOT / "hooks"))
    return repo, env
