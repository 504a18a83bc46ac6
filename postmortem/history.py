"""Each document's version history, derived from git in one pass over the repository.

One ``git log --raw -M`` per repository gives every commit with the blobs it changed and
the renames it made, as NUL-separated fields (a commit message, an author name or a file
name is data whatever bytes it holds); documents are followed back through renames in
Python. The versions themselves are read by :mod:`postmortem.blobs`: one ``git cat-file
--batch`` process, each document's top-level sections parsed once, and change summaries
and document statuses cached by blob id in the git directory, so a second run reads no
old versions at all; many documents are read in one process per core. Git runs hardened
(:mod:`postmortem.gitcmd`).

Version numbers follow the document's status, not the commit count: while a
document has never been Final its versions are 0.1, 0.2, ...; the commit that
makes it Final is 1.0, later commits 1.1, 1.2, ...; each later return to Final
from another status starts the next major number (2.0).
"""

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import attrs

from postmortem._shown import shown_path
from postmortem.blobs import BlobReader, HistoryCache
from postmortem.errors import DocumentError
from postmortem.files import read_text
from postmortem.gitcmd import GitError, Repository, open_repository
from postmortem.model import DocumentStatus, HistoryEntry, PostMortem

__all__ = [
    "DocumentHistory",
    "Version",
    "apply_history",
    "document_history",
    "histories",
    "number_versions",
]

_FORMAT = (
    "%H%x00%aN%x00%aE%x00%aI%x00%s%x00"
    "%(trailers:key=Co-authored-by,valueonly,unfold,separator=%x0a)"
)
"""A commit's fields, each ended by a NUL (``-z`` ends the last): no field can hold one."""
_FIELDS = 6
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""The date of a commit whose author date git cannot read, as git shows it."""
_CONTACT = re.compile(r"(?P<name>[^<>\n]*?) *<(?P<email>[^<>\n]*)>")
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
    """The values of its ``Co-authored-by:`` trailers, as written."""
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
    """The histories of many documents, from a single pass over each repository's log.

    Keys are the paths as given. A document in a submodule or another nested repository
    gets that repository's history. ``summaries=False`` skips the semantic change summaries
    (each version's summary is then its commit subject). ``ticket_url`` links the ticket
    keys of every version, as the policy's does.

    A :class:`~postmortem.gitcmd.GitError` (a usage error) when a path is in no work tree,
    lies outside the one ``GIT_DIR`` names, or git refuses the repository.
    """
    given = [os.fspath(path) for path in paths]
    by_repository: dict[Path | None, list[str]] = {}
    folders: dict[Path, Path | None] = {}
    for path in given:
        by_repository.setdefault(_repository_folder(path, folders), []).append(path)
    found: dict[str, DocumentHistory] = {}
    for members in by_repository.values():
        found.update(_histories_in_one_repository(members, summaries, ticket_url))
    return {path: found[path] for path in given}


def _repository_folder(path: str, known: dict[Path, Path | None]) -> Path | None:
    """The folder holding the ``.git`` of the repository ``path`` is in, as git would find it
    (None: git's environment names the repository, or there is none)."""
    if os.environ.get("GIT_DIR"):
        return None
    directory = _nearest_directory(path).resolve()
    visited = []
    while directory not in known:
        visited.append(directory)
        if os.path.lexists(directory / ".git"):
            known[directory] = directory
        elif directory.parent == directory:
            known[directory] = None
        else:
            directory = directory.parent
    for seen in visited:
        known[seen] = known[directory]
    return known[directory]


def _histories_in_one_repository(
    given: list[str], summaries: bool, ticket_url: str | None
) -> dict[str, DocumentHistory]:
    label = shown_path(given[0])
    repository = open_repository(_nearest_directory(given[0]), label=label)
    relative = _repository_paths(given, repository.root)
    head = repository.head(label=label)
    if head is None:
        return {path: DocumentHistory(path, (), ()) for path in given}
    output = repository.git(
        "log", "-z", "--raw", "--no-abbrev", "-M", "--no-ext-diff", "--no-textconv",
        f"--format={_FORMAT}", head, "--",
        label=label,
    )  # fmt: skip
    changes = _changes_by_path(output, set(relative.values()))
    shallow = _shallow_commits(repository)
    reading = _Reading(repository, summaries, ticket_url, shallow)
    workers = min(os.cpu_count() or 1, len(given) // (_PARALLEL_FROM // 2))
    if workers < 2 or len(given) < _PARALLEL_FROM:
        result, learnt = reading.histories({path: changes[relative[path]] for path in given})
    else:
        from postmortem._pool import process_pool

        shares = [
            {path: changes[relative[path]] for path in given[index::workers]}
            for index in range(workers)
        ]
        with process_pool(workers) as pool:
            done = list(pool.map(reading.histories, shares))
        result = {path: found for histories, _ in done for path, found in histories.items()}
        learnt = {"status": {}, "summary": {}}
        for _, share in done:
            for kind, entries in share.items():
                learnt[kind].update(entries)
    HistoryCache(repository, ticket_url).save(learnt)
    co_authors = _co_authors(
        {value for found in changes.values() for change in found for value in change.co_authors},
        repository,
        label,
    )
    return {
        path: attrs.evolve(history, contributors=_contributors(changes[relative[path]], co_authors))
        for path, history in result.items()
    }


_PARALLEL_FROM = 64
"""With this many documents or more, their histories are read in one process per core."""


@attrs.frozen
class _Reading:
    """How the histories of one repository are read, in this process or in a worker."""

    repository: Repository
    summaries: bool
    ticket_url: str | None
    shallow: frozenset[str]

    def histories(
        self, changes: dict[str, list["_Change"]]
    ) -> tuple[dict[str, DocumentHistory], dict[str, dict[str, str]]]:
        """The history of each document from its changes, and the statuses and summaries
        worked out that the cache did not hold."""
        found = {}
        cache = HistoryCache(self.repository, self.ticket_url)
        with self.repository.objects() as objects:
            reader = BlobReader(objects, cache, self.ticket_url)
            for path, document_changes in changes.items():
                found[path] = _document_history(
                    path, document_changes, reader, self.summaries, self.shallow
                )
                reader.forget_documents()
        return found, reader.learnt


def _nearest_directory(path: str) -> Path:
    directory = Path(path).absolute().parent
    while not directory.is_dir():
        directory = directory.parent
    return directory


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
            raise GitError(
                f"{shown_path(path)}: outside the work tree at {shown_path(str(root))}"
            ) from None
    return relative


def _changes_by_path(output: bytes, tracked: set[str]) -> dict[str, list[_Change]]:
    """Every change to each tracked path, oldest first, following renames back in time.

    ``output`` is ``git log -z --raw`` in :data:`_FORMAT`: each commit's fields, then its
    changes, each a ``:``-led record and its one path (two for a rename or a copy).
    """
    fields = output.split(b"\0")
    name_of: dict[str, str] = {path: path for path in tracked}
    found: dict[str, list[_Change]] = {path: [] for path in tracked}
    index = 0
    while index + _FIELDS <= len(fields):
        commit, author, email, date, subject, trailers = (
            field.decode("utf-8", "replace") for field in fields[index : index + _FIELDS]
        )
        index += _FIELDS
        while index < len(fields) and fields[index].startswith((b":", b"\n:")):
            _, _, old_blob, new_blob, status = fields[index].lstrip(b"\n").split(b" ")
            count = 2 if status[:1] in b"RC" else 1
            names = [os.fsdecode(name) for name in fields[index + 1 : index + 1 + count]]
            old_path, new_path = names[0], names[-1]
            index += 1 + count
            document = name_of.get(new_path)
            if document is None or status.startswith(b"C"):
                continue
            found[document].append(
                _Change(
                    commit=commit,
                    author=author,
                    email=email,
                    date=_author_date(date),
                    subject=subject,
                    co_authors=[value.strip() for value in trailers.split("\n") if value.strip()],
                    path=new_path,
                    old_blob=_blob(old_blob),
                    new_blob=_blob(new_blob),
                )
            )
            if status.startswith(b"R"):
                del name_of[new_path]
                name_of[old_path] = document
    for document_changes in found.values():
        document_changes.reverse()
    return found


def _author_date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return _EPOCH


def _blob(object_id: bytes) -> str | None:
    """A blob id; None for git's zeros (no blob: the file did not exist)."""
    return None if object_id.strip(b"0") == b"" else object_id.decode("ascii")


def _document_history(
    path: str,
    changes: list[_Change],
    reader: BlobReader,
    summaries: bool,
    shallow: frozenset[str],
) -> DocumentHistory:
    live = [change for change in changes if change.new_blob is not None]
    if not live:
        return DocumentHistory(path, (), ())
    reader.fetch([(change.old_blob, change.new_blob or "") for change in live], summaries)
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
    return DocumentHistory(
        path=path,
        versions=tuple(versions),
        contributors=(),
        truncated=live[0].commit in shallow,
    )


def _shallow_commits(repository: Repository) -> frozenset[str]:
    """The boundary commits of a shallow clone, beyond which history is missing."""
    if not repository.shallow:
        return frozenset()
    try:
        text = (repository.common_dir / "shallow").read_text(encoding="ascii")
    except (OSError, ValueError):
        return frozenset()
    return frozenset(text.split())


def _pending_version(
    path: str,
    last: _Change,
    statuses: list[str | None],
    reader: BlobReader,
    summaries: bool,
) -> Version | None:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
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


def _co_authors(values: set[str], repository: Repository, label: str) -> dict[str, tuple[str, str]]:
    """Each ``Co-authored-by:`` value as a name and an e-mail address through ``.mailmap`` (one
    ``git check-mailmap``); a value that is no ``Name <address>`` is a name alone."""
    identities = {value: (value, "") for value in values}
    contacts = sorted(value for value in values if _CONTACT.fullmatch(value))
    if contacts:
        stdin = "".join(f"{contact}\n" for contact in contacts).encode("utf-8")
        output = repository.git("check-mailmap", "--stdin", stdin=stdin, label=label)
        mapped = output.decode("utf-8", "replace").split("\n")
        for contact, line in zip(contacts, mapped, strict=False):
            match = _CONTACT.fullmatch(line)
            identities[contact] = (match["name"], match["email"]) if match else (line, "")
    return identities


def _contributors(
    changes: list[_Change], co_authors: dict[str, tuple[str, str]]
) -> tuple[str, ...]:
    """The names of the authors and co-authors of ``changes``, one per e-mail address."""
    names: dict[str, str] = {}
    for change in changes:
        if change.new_blob is None:
            continue
        identities = [co_authors[value] for value in change.co_authors]
        for name, email in [(change.author, change.email), *identities]:
            names.setdefault(email.lower() or name, name or email)
    return tuple(names.values())
