"""Git, run on repositories whose every byte is hostile input: the one way this package runs it.

Every git call of the package goes through :func:`run` or :class:`ObjectReader`, which run
git

- without the programs a repository's configuration may name: no file system monitor
  (``core.fsmonitor``), pager, hooks, signature verification (``log.showSignature`` runs
  ``gpg.program``), external diff (``diff.external``, ``GIT_EXTERNAL_DIFF``) or textconv
  driver, and no transport at all, so that neither a partial clone's lazy fetch nor
  ``core.sshCommand`` runs;
- without prompts, optional locks or pathspec magic (``*`` and ``:(glob)`` in a name are
  the name), with its standard input closed;
- in English (``LC_ALL=C``), its output read as NUL-separated data (``-z``) with paths
  decoded as the file system's names are (``os.fsdecode``), never parsed from a format
  made for people; no name is ever passed to git, only object ids;
- honouring git's environment as git sets it for a hook (``GIT_DIR``, ``GIT_INDEX_FILE``,
  ``GIT_WORK_TREE``: with ``GIT_DIR`` set, git runs where this process runs, as it would
  have) and ``safe.directory``, which is never overridden: git's refusal of a repository
  owned by someone else is a :class:`GitError`, as is every other failure of git, on one line.

The user's own configuration and environment are honoured otherwise.
"""

import contextlib
import os
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import attrs

from postmortem.errors import UsageError

__all__ = ["GitError", "ObjectReader", "Repository", "open_repository", "run"]

_CONFIG = (
    "core.fsmonitor=false",
    f"core.hooksPath={os.devnull}",
    "log.showSignature=false",
    "i18n.logOutputEncoding=UTF-8",
)
"""Settings that win over every configuration file (``-c``) and name no program."""

_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_ALLOW_PROTOCOL": "",  # an empty list: no transport, whatever protocol.* allow
    "GIT_NO_LAZY_FETCH": "1",  # git 2.45 and later; before, the fetch fails for want of one
    "LC_ALL": "C",
    "LANGUAGE": "C",
}
_UNSET = ("GIT_EXTERNAL_DIFF",)

_EMPTY_TREE = {
    "sha1": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "sha256": "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}


class GitError(UsageError):
    """Git refused or failed: no repository, a bare one, dubious ownership, a broken object."""


def _command(args: Sequence[str]) -> list[str]:
    options = [part for setting in _CONFIG for part in ("-c", setting)]
    return ["git", "--no-pager", *options, *args]


def _environment() -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in _UNSET}
    environment.update(_ENVIRONMENT)
    return environment


def _where(directory: Path) -> Path | None:
    """Where git runs: the folder it was asked about, unless ``GIT_DIR`` decides (then git
    takes this process's folder as the top of the work tree, as the hook it runs in does)."""
    return None if os.environ.get("GIT_DIR") else directory


def run(args: Sequence[str], directory: Path, *, label: str, stdin: bytes = b"") -> bytes:
    """Git's standard output for ``args``, run in ``directory``; a :class:`GitError` naming
    ``label`` (what was being done, usually a path) on failure."""
    try:
        result = subprocess.run(
            _command(args),
            cwd=_where(directory),
            env=_environment(),
            input=stdin,
            capture_output=True,
            check=False,
        )
    except OSError as error:
        raise GitError(f"{label}: cannot run git: {error.strerror or error}") from None
    if result.returncode != 0:
        raise GitError(f"{label}: {_reason(result.stderr)}")
    return result.stdout


def _reason(stderr: bytes) -> str:
    """Git's complaint, on one line."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    reason = next((line for line in lines if line), "git failed")
    if reason.startswith("fatal: not a git repository (or any"):
        return "not inside a git repository"
    for prefix in ("fatal: ", "error: "):
        reason = reason.removeprefix(prefix)
    return f"git: {reason}"


@attrs.frozen
class Repository:
    """A git work tree, as git itself found it."""

    root: Path
    """The top folder of the work tree."""
    common_dir: Path
    """The git folder shared by all worktrees of the repository."""
    object_format: str
    shallow: bool
    directory: Path
    """Where git was asked from."""

    def git(self, *args: str, label: str, stdin: bytes = b"") -> bytes:
        """Git's output for ``args`` in this repository (see :func:`run`)."""
        return run(args, self.directory, label=label, stdin=stdin)

    def head(self, *, label: str) -> str | None:
        """The commit checked out, or None before the first commit."""
        try:
            return (
                self.git("rev-parse", "-q", "--verify", "HEAD^{commit}", label=label)
                .decode("ascii")
                .strip()
                or None
            )
        except GitError:
            return None

    @property
    def empty_tree(self) -> str:
        return _EMPTY_TREE[self.object_format]

    def objects(self) -> "ObjectReader":
        return ObjectReader(self)


def open_repository(directory: Path, *, label: str) -> Repository:
    """The repository whose work tree holds ``directory``; a :class:`GitError` naming ``label``
    when there is none, it is bare, or git refuses it (``safe.directory``)."""
    output = run(
        [
            "rev-parse",
            "--is-bare-repository",
            "--is-inside-work-tree",
            "--is-shallow-repository",
            "--show-object-format",
            "--show-cdup",
            "--path-format=absolute",
            "--git-common-dir",
        ],
        directory,
        label=label,
    )
    bare, inside, shallow, object_format, rest = output.split(b"\n", 4)
    if bare == b"true":
        raise GitError(f"{label}: in a bare repository, which has no work tree")
    if inside != b"true":
        raise GitError(f"{label}: not inside the work tree of a git repository")
    # Inside the work tree --show-cdup is ../ repeated, never a newline; the path after it
    # may hold any byte.
    cdup, common_dir = rest.split(b"\n", 1)
    top = Path(_where(directory) or Path.cwd()).resolve()
    return Repository(
        root=(top / os.fsdecode(cdup)).resolve(),
        common_dir=Path(os.fsdecode(common_dir.removesuffix(b"\n"))),
        object_format=object_format.decode("ascii"),
        shallow=shallow == b"true",
        directory=directory,
    )


class ObjectReader:
    """Contents of objects by id through one ``git cat-file --batch``, started on first use.

    Only object ids are written to git, never names, so no name can break its protocol.
    """

    def __init__(self, repository: Repository) -> None:
        self._repository = repository
        self._process: subprocess.Popen[bytes] | None = None

    def read(self, object_id: str, limit: int) -> bytes | None:
        """At most ``limit + 1`` bytes of the object (more than ``limit``: it is larger), or
        None when git does not give it: the repository lacks it (git stops at a partial
        clone's missing blob, as it may not fetch it, and is started again for the next)."""
        try:
            return self._read(object_id.encode("ascii"), limit)
        except (OSError, EOFError, ValueError):
            self.close()
            return None

    def read_many(self, object_ids: Sequence[str], limit: int) -> list[bytes | None]:
        """What :meth:`read` gives for each of ``object_ids``, asked for all at once (from a
        thread, while the answers are read) so that git works on the next object while
        this process takes in one."""
        if len(object_ids) < 2:
            return [self.read(object_id, limit) for object_id in object_ids]
        requests = b"".join(object_id.encode("ascii") + b"\n" for object_id in object_ids)
        stdin, stdout = self._pipes()

        def ask() -> None:
            with contextlib.suppress(OSError, ValueError):  # git gone: the reads say so
                stdin.write(requests)
                stdin.flush()

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        found: list[bytes | None] = []
        try:
            for object_id in object_ids:
                found.append(self._answer(stdout, object_id.encode("ascii"), limit))
        except (OSError, EOFError, ValueError):
            self.close()  # ends git, and with it the asking
            found += [None] * (len(object_ids) - len(found))
        asking.join()
        return found

    def _read(self, object_id: bytes, limit: int) -> bytes | None:
        stdin, stdout = self._pipes()
        stdin.write(object_id + b"\n")
        stdin.flush()
        return self._answer(stdout, object_id, limit)

    @staticmethod
    def _answer(stdout: IO[bytes], object_id: bytes, limit: int) -> bytes | None:
        """Git's answer for ``object_id``, read from ``stdout``: at most ``limit + 1`` bytes of
        the object, None if git does not have it."""
        header = stdout.readline().split()
        if header == [object_id, b"missing"]:
            return None
        if len(header) != 3 or header[0] != object_id:
            raise EOFError
        size = int(header[2])
        content = stdout.read(min(size, limit + 1))
        unkept = size - len(content) + 1  # what is over the limit, and the newline after it
        while unkept > 0:
            skipped = len(stdout.read(min(unkept, 1 << 20)))
            if not skipped:
                raise EOFError
            unkept -= skipped
        return content

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._process is None:
            self._process = subprocess.Popen(
                _command(["cat-file", "--batch"]),
                cwd=_where(self._repository.directory),
                env=_environment(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        return self._process.stdin, self._process.stdout

    def close(self) -> None:
        """End git: its input closed, and its output too, so that it cannot wait to write."""
        process, self._process = self._process, None
        if process is None:
            return
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        process.wait()

    def __enter__(self) -> "ObjectReader":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
