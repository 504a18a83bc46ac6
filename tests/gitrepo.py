"""Real temporary git repositories for the tests: commits by given authors at given dates."""

import os
import subprocess
import sys
from pathlib import Path

import attrs

import postmortem
from postmortem.model import PostMortem


@attrs.define
class GitRepo:
    root: Path

    def git(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            errors="replace",
            check=check,
        )
        return result.stdout

    def write(self, relative: str, content: str | PostMortem) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else postmortem.dumps(content)
        path.write_text(text, encoding="utf-8")
        return path

    def commit(
        self,
        message: str,
        *,
        author: str = "Alice Adams <alice@example.com>",
        date: str = "2024-05-01T10:00:00+02:00",
        paths: tuple[str, ...] = (),
    ) -> str:
        """Commit ``paths`` (everything when none are named) as ``author`` at ``date``."""
        name, _, email = author.partition(" <")
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email.rstrip(">"),
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        self.git("add", "-A", "--", *paths)
        self.git("commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.git("rev-parse", "HEAD").strip()

    def commit_raw(self, commit: bytes) -> str:
        """Commit the index with ``commit``'s author, committer, headers and message exactly
        as written (see ``tests/hostile.py``), the next commit on the current branch."""
        tree = self.git("write-tree").strip()
        parents = self.git("rev-parse", "-q", "--verify", "HEAD", check=False).split()
        header = f"tree {tree}\n" + "".join(f"parent {parent}\n" for parent in parents)
        written = subprocess.run(
            ["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
            cwd=self.root,
            input=header.encode() + commit,
            capture_output=True,
            check=True,
        )
        sha = written.stdout.decode().strip()
        self.git("update-ref", "HEAD", sha)
        return sha

    def try_commit(
        self, message: str, env: dict[str, str], *options: str
    ) -> subprocess.CompletedProcess[str]:
        """``git commit`` as a person runs it, the hooks deciding; whatever it ends with."""
        return subprocess.run(
            ["git", "commit", *options, "-m", message],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )

    def follow(self, relative: str) -> list[str]:
        """What ``git log --follow`` says: the commits that changed the file, oldest first."""
        output = self.git("log", "--follow", "--format=%H", "--", relative)
        return list(reversed(output.split()))


def init_repo(path: Path) -> GitRepo:
    path.mkdir(parents=True, exist_ok=True)
    repo = GitRepo(path)
    repo.git("init", "-q")
    repo.git("config", "user.name", "Test Committer")
    repo.git("config", "user.email", "committer@example.com")
    repo.git("config", "commit.gpgsign", "false")
    return repo


def git_environment(tmp: Path) -> dict[str, str]:
    """The environment for git and pre-commit run as a subprocess: a fresh HOME under
    ``tmp``, no system configuration, a fixed identity, this Python's scripts first."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
