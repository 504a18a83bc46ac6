"""Each document's version history, derived from git in one pass over the repository.

One ``git log --raw -M`` gives every commit with the blobs it changed and the
renames it made; documents are followed back through renames in Python. File
contents come from one ``git cat-file --batch`` process (GitPython's object
database). Change summaries and document statuses are cached by blob id in the
git directory, so a second run reads no old versions at all.

Version numbers follow the document's status, not the commit count: while a
document has never been Final its versions are 0.1, 0.2, ...; the commit that
makes it Final is 1.0, later commits 1.1, 1.2, ...; each later return to Final
from another status starts the next major number (2.0).
"""

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from postmortem._version import __version__
from postmortem.errors import DocumentError, PostMortemError, Problem
from postmortem.files import read_text, write_atomic
from postmortem.model import DocumentStatus, HistoryEntry, PostMortem

if TYPE_CHECKING:
    import git

__all__ = [
    "DocumentHistory",
    "Version",
    "apply_history",
    "document_history",
    "histories",
    "number_versions",
]

_FORMAT = (
    "%x1e%H%x1f%P%x1f%aN%x1f%aE%x1f%aI%x1f%s%x1f"
    "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)%x1f"
)
_CACHE_NAME = "history-cache-v1.json"
_FINAL = DocumentStatus.FINAL.value


@attrs.frozen
class Version:
    """One commit that changed a document (or, with ``pending``, its uncommitted changes)."""

    number: str
    date: datetime
    author: str
    author_email: str
    commit: str
    subject: str
    summary: str
    path: str
    pending: bool = False

    def as_entry(self) -> HistoryEntry:
        """The row of a document's history table."""
        return HistoryEntry(
            version=self.number, date=self.date, author=self.author, changes=self.summary
        )


@attrs.frozen
class DocumentHistory:
    """A document's versions, oldest first, and what follows from them."""

    path: str
    versions: tuple[Version, ...]
    contributors: tuple[str, ...]
    truncated: bool = False

    @property
    def committed(self) -> tuple[Version, ...]:
        return tuple(version for version in self.versions if not version.pending)

    @property
    def created(self) -> datetime | None:
        return self.committed[0].date if self.committed else None

    @property
    def last_updated(self) -> datetime | None:
        return self.committed[-1].date if self.committed else None

    @property
    def current_version(self) -> str | None:
        return self.committed[-1].number if self.committed else None


@attrs.define
class _Change:
    """A commit's change to one tracked document, as git log reported it."""

    commit: str
    author: str
    email: str
    date: datetime
    subject: str
    co_authors: list[str]
    path: str
    old_blob: str | None
    new_blob: str | None


def apply_history(doc: PostMortem, document_history: DocumentHistory) -> None:
    """Store the committed history in ``doc``: its history table, version and dates."""
    committed = document_history.committed
    if not committed:
        return
    doc.history = [version.as_entry() for version in committed]
    doc.metadata.version = committed[-1].number
    doc.metadata.created = committed[0].date
    doc.metadata.updated = committed[-1].date


def number_versions(statuses: Sequence[str | None]) -> list[str]:
    """Version numbers for a sequence of document statuses, oldest first (None: unreadable)."""
    numbers = []
    major, minor, previous = 0, 0, None
    for status in statuses:
        status = status if status is not None else previous
        if status == _FINAL and previous != _FINAL:
            major, minor = major + 1, 0
        else:
            minor += 1
        numbers.append(f"{major}.{minor}")
        previous = status
    return numbers


def document_history(
    path: str | os.PathLike[str], *, summaries: bool = True, ticket_url: str | None = None
) -> DocumentHistory:
    """The history of the document at ``path``."""
    return histories([path], summaries=summaries, ticket_url=ticket_url)[os.fspath(path)]


def histories(
    paths: Iterable[str | os.PathLike[str]],
    *,
    summaries: bool = True,
    ticket_url: str | None = None,
) -> dict[str, DocumentHistory]:
    """The histories of many documents of one repository, from a single pass over its log.

    Keys are the paths as given. ``summaries=False`` skips the semantic change
    summaries (each version's summary is then its commit subject). ``ticket_url`` links
    the ticket keys of every version, as the policy's does.
    """
    given = [os.fspath(path) for path in paths]
    if not given:
        return {}
    directory = _nearest_directory(given[0])
    with tempfile.TemporaryFile() as output:
        # Started first, into a file rather than a pipe that would fill: git walks the
        # log while GitPython loads and the paths resolve.
        log = subprocess.Popen(
            ["git", "log", "HEAD", "-z", "--raw", "--no-abbrev", "-M", f"--format={_FORMAT}"],
            cwd=directory,
            stdout=output,
            stderr=subprocess.DEVNULL,
        )
        try:
            repo = _open_repository(directory, given[0])
            if not repo.head.is_valid():
                return {path: DocumentHistory(path, (), ()) for path in given}
            root = Path(repo.working_tree_dir or ".").resolve()
            relative = _repository_paths(given, root)
        finally:
            returncode = log.wait()
        if returncode != 0:
            raise PostMortemError(f"{given[0]}: git log failed in {root}")
        output.seek(0)
        changes = _changes_by_path(output.read(), set(relative.values()))
    shallow = _shallow_commits(repo)
    reader = _BlobReader(repo, ticket_url)
    try:
        result = {
            path: _document_history(path, changes[relative[path]], reader, summaries, shallow)
            for path in given
        }
        _map_contributors(repo, result)
    finally:
        reader.save()
    return result


def _nearest_directory(path: str) -> Path:
    directory = Path(path).absolute().parent
    while not directory.is_dir():
        directory = directory.parent
    return directory


def _open_repository(directory: Path, path: str) -> "git.Repo":
    import git

    try:
        return git.Repo(directory, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise PostMortemError(f"{path}: not inside a git repository") from None
    except git.GitError as error:
        raise PostMortemError(f"{path}: cannot read the git repository: {error}") from None


def _repository_paths(paths: list[str], root: Path) -> dict[str, str]:
    """Each path relative to the repository root (directories resolved once each)."""
    directories: dict[Path, Path] = {}
    relative = {}
    for path in paths:
        absolute = Path(path).absolute()
        if absolute.parent not in directories:
            directories[absolute.parent] = absolute.parent.resolve()
        parent = directories[absolute.parent]
        try:
            relative[path] = (parent / absolute.name).relative_to(root).as_posix()
        except ValueError:
            raise PostMortemError(f"{path}: outside the repository at {root}") from None
    return relative


def _changes_by_path(output: bytes, tracked: set[str]) -> dict[str, list[_Change]]:
    """Every change to each tracked path, oldest first, following renames back in time."""
    text = output.decode("utf-8", errors="surrogateescape")
    name_of: dict[str, str] = {path: path for path in tracked}
    found: dict[str, list[_Change]] = {path: [] for path in tracked}
    for record in text.split("\x1e")[1:]:
        header, _, raw = record.partition("\x1f\x00")
        commit, _parents, author, email, date, subject, trailers = header.split("\x1f")[:7]
        fields = raw.lstrip("\n").split("\x00")
        index = 0
        while index + 1 < len(fields):
            meta = fields[index].split()
            if len(meta) < 5:
                index += 1
                continue
            status = meta[4][0]
            old_blob, new_blob = meta[2], meta[3]
            if status in "RC":
                old_path, new_path = fields[index + 1], fields[index + 2]
                index += 3
            else:
                old_path = new_path = fields[index + 1]
                index += 2
            document = name_of.get(new_path)
            if document is None or (status == "C"):
                continue
            found[document].append(
                _Change(
                    commit=commit,
                    author=author,
                    email=email,
                    date=datetime.fromisoformat(date),
                    subject=subject,
                    co_authors=[value.strip() for value in trailers.split("\x1d") if value.strip()],
                    path=new_path,
                    old_blob=None if set(old_blob) == {"0"} else old_blob,
                    new_blob=None if set(new_blob) == {"0"} else new_blob,
                )
            )
            if status == "R":
                del name_of[new_path]
                name_of[old_path] = document
    for document_changes in found.values():
        document_changes.reverse()
    return found


class _BlobReader:
    """Blob contents through one ``git cat-file --batch``, with a cache of what they yield."""

    def __init__(self, repo: "git.Repo", ticket_url: str | None) -> None:
        self._repo = repo
        self.ticket_url = ticket_url
        # What the cached statuses and summaries depend on besides the blobs.
        self._read_as = {"version": __version__, "ticket_url": ticket_url}
        self._cache_path = Path(repo.common_dir) / "postmortem" / _CACHE_NAME
        self._cache = self._load_cache()
        self._dirty = False
        self._documents: dict[str, PostMortem | str] = {}

    def _load_cache(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self._cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict) or {key: data.get(key) for key in self._read_as} != (
            self._read_as
        ):
            data = {}
        return {kind: dict(data.get(kind) or {}) for kind in ("status", "summary")}

    def save(self) -> None:
        if not self._dirty:
            return
        try:
            self._cache_path.parent.mkdir(exist_ok=True)
            content = {**self._read_as, **self._cache}
            write_atomic(self._cache_path, json.dumps(content, sort_keys=True))
        except OSError:
            pass  # a cache that cannot be written only costs time next run

    def document(self, blob: str, source: str) -> PostMortem | str:
        """The document in ``blob``, or why it cannot be read."""
        if blob not in self._documents:
            from postmortem.files import DEFAULT_MAX_BYTES, decode_text
            from postmortem.yaml_io import loads

            try:
                if self._repo.git.get_object_header(blob)[2] > DEFAULT_MAX_BYTES:
                    raise DocumentError([Problem(source, 0, 0, "", "larger than the size limit")])
                data = self._repo.git.get_object_data(blob)[3]
                text = decode_text(data, source)
                self._documents[blob] = loads(text, source, ticket_url=self.ticket_url)
            except DocumentError as error:
                problem = error.problems[0]
                self._documents[blob] = f"{problem.path}: {problem.message}".lstrip(": ")
        return self._documents[blob]

    def status(self, blob: str, source: str) -> str | None:
        if blob not in self._cache["status"]:
            document = self.document(blob, source)
            self._cache["status"][blob] = (
                document.metadata.status.value if isinstance(document, PostMortem) else ""
            )
            self._dirty = True
        return self._cache["status"][blob] or None

    def summary(self, old_blob: str | None, new_blob: str, source: str) -> str | None:
        """What changed from one blob to the next; None where the older cannot be read."""
        key = f"{old_blob or ''}..{new_blob}"
        if key not in self._cache["summary"]:
            new = self.document(new_blob, source)
            old = self.document(old_blob, source) if old_blob else None
            if isinstance(new, str):
                text = f"could not be read: {new}"
            elif isinstance(old, str):
                text = ""
            else:
                from postmortem.diff import summarize  # only on a cache miss

                text = summarize(old, new)
            self._cache["summary"][key] = text
            self._dirty = True
        return self._cache["summary"][key] or None


def _document_history(
    path: str,
    changes: list[_Change],
    reader: _BlobReader,
    summaries: bool,
    shallow: frozenset[str],
) -> DocumentHistory:
    live = [change for change in changes if change.new_blob is not None]
    if not live:
        return DocumentHistory(path, (), ())
    statuses = [reader.status(change.new_blob or "", change.path) for change in live]
    numbers = number_versions(statuses)
    versions = [
        Version(
            number=number,
            date=change.date,
            author=change.author,
            author_email=change.email,
            commit=change.commit,
            subject=change.subject,
            summary=(
                (summaries and reader.summary(change.old_blob, change.new_blob or "", change.path))
                or change.subject
            ),
            path=change.path,
        )
        for change, number in zip(live, numbers, strict=True)
    ]
    pending = _pending_version(path, live[-1], statuses, reader, summaries)
    if pending is not None:
        versions.append(pending)
    contributors = []
    for change in live:
        contributors.extend([f"{change.author} <{change.email}>", *change.co_authors])
    return DocumentHistory(
        path=path,
        versions=tuple(versions),
        contributors=tuple(contributors),
        truncated=live[0].commit in shallow,
    )


def _shallow_commits(repo: "git.Repo") -> frozenset[str]:
    """The boundary commits of a shallow clone, beyond which history is missing."""
    try:
        text = (Path(repo.common_dir) / "shallow").read_text(encoding="ascii")
    except OSError:
        return frozenset()
    return frozenset(text.split())


def _pending_version(
    path: str,
    last: _Change,
    statuses: list[str | None],
    reader: _BlobReader,
    summaries: bool,
) -> Version | None:
    try:
        content = Path(path).read_bytes()
    except OSError:
        return None
    blob = hashlib.sha1(b"blob %d\x00" % len(content) + content, usedforsecurity=False).hexdigest()
    if blob == last.new_blob:
        return None
    from postmortem.yaml_io import loads

    try:
        current: PostMortem | None = loads(read_text(path), path, ticket_url=reader.ticket_url)
    except DocumentError as error:
        current = None
        problem = error.problems[0].message
    status = current.metadata.status.value if current is not None else None
    number = number_versions([*statuses, status])[-1]
    if not summaries:
        summary = "uncommitted changes"
    elif current is None:
        summary = f"could not be read: {problem}"
    else:
        previous = reader.document(last.new_blob or "", last.path)
        from postmortem.diff import summarize

        summary = summarize(previous if isinstance(previous, PostMortem) else None, current)
    return Version(
        number=number,
        date=datetime.fromtimestamp(int(os.stat(path).st_mtime)).astimezone(),  # seconds, as git
        author="(uncommitted)",
        author_email="",
        commit="",
        subject="uncommitted changes",
        summary=summary,
        path=path,
        pending=True,
    )


def _map_contributors(repo: "git.Repo", result: dict[str, DocumentHistory]) -> None:
    """Deduplicate contributors through .mailmap, in one ``git check-mailmap`` call."""
    identities = sorted(
        {
            identity
            for document in result.values()
            for identity in document.contributors
            if not identity.startswith("-") and identity.endswith(">") and " <" in identity
        }
    )
    mapped: dict[str, str] = {}
    if identities:
        output = repo.git.check_mailmap(*identities)
        mapped = dict(zip(identities, output.splitlines(), strict=True))
    for path, document in result.items():
        names: dict[str, str] = {}
        for identity in document.contributors:
            canonical = mapped.get(identity, identity)
            name, _, email = canonical.partition(" <")
            names.setdefault(email.rstrip(">").lower() or name, name)
        result[path] = attrs.evolve(document, contributors=tuple(names.values()))
