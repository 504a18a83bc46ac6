"""Documents' versions in git's objects, for their history: blob contents through one
``git cat-file --batch``, each document's versions read section by section
(:class:`~postmortem.yaml_io.sections.SectionReader`), and the status and change summary
of each version kept by blob id in the git folder (``postmortem/history-cache-v1.json``),
so that a second run reads no old version at all."""

import contextlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from postmortem._version import __version__
from postmortem.errors import ConcurrentEditError, DocumentError, Problem, UsageError
from postmortem.files import DEFAULT_MAX_BYTES, decode_text, read_text, write_atomic
from postmortem.gitcmd import ObjectReader, Repository
from postmortem.model import PostMortem

if TYPE_CHECKING:
    from postmortem.yaml_io.sections import SectionReader

__all__ = ["BlobReader", "HistoryCache"]

_CACHE_NAME = "history-cache-v1.json"
_MAX_CACHE = 256 * 1024 * 1024
"""The largest cache file read (one of 50,000 summaries is about 5 MB)."""


def _strings(table: object) -> dict[str, str]:
    """A table read from the cache file; empty unless it maps strings to strings."""
    if isinstance(table, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in table.items()
    ):
        return table
    return {}


def _section_reader() -> "SectionReader":
    from postmortem.yaml_io.sections import SectionReader

    return SectionReader()


class HistoryCache:
    """Statuses and summaries by blob, kept in the git folder between runs."""

    def __init__(self, repository: Repository, ticket_url: str | None) -> None:
        # What the cached statuses and summaries depend on besides the blobs.
        self._read_as = {"version": __version__, "ticket_url": ticket_url}
        self._path = repository.common_dir / "postmortem" / _CACHE_NAME
        self._within = repository.common_dir  # no link out of the git folder is followed
        try:
            data = json.loads(read_text(self._path, max_bytes=_MAX_CACHE, within=self._within))
        except (DocumentError, ValueError, RecursionError):
            data = {}
        if not isinstance(data, dict) or {key: data.get(key) for key in self._read_as} != (
            self._read_as
        ):
            data = {}
        self.tables = {kind: _strings(data.get(kind)) for kind in ("status", "summary")}

    def save(self, learnt: dict[str, dict[str, str]]) -> None:
        """Keep the cache with what ``learnt`` adds to it (a cache that cannot be written,
        or that another run wrote meanwhile, only costs time)."""
        if not any(learnt.values()):
            return
        for kind, entries in learnt.items():
            self.tables[kind].update(entries)
        content = json.dumps({**self._read_as, **self.tables}, sort_keys=True)
        with contextlib.suppress(OSError, UsageError, ConcurrentEditError):
            self._path.parent.mkdir(exist_ok=True)
            write_atomic(self._path, content, within=self._within)


class BlobReader:
    """Blob contents through one ``git cat-file --batch``, and the statuses and summaries
    they yield, through the cache."""

    def __init__(self, objects: ObjectReader, cache: HistoryCache, ticket_url: str | None) -> None:
        self._objects = objects
        self.ticket_url = ticket_url
        self._cache = cache.tables
        self.learnt: dict[str, dict[str, str]] = {"status": {}, "summary": {}}
        """The statuses and summaries worked out here that the cache did not hold."""
        self._documents: dict[str, PostMortem | str] = {}
        self._fetched: dict[str, bytes | None] = {}
        self._sections = _section_reader()

    def fetch(self, changes: Sequence[tuple[str | None, str]], summaries: bool) -> None:
        """Ask git at once for every blob of ``changes`` (a document's, each the blob before
        and the blob after) that their statuses and summaries need and the cache lacks."""
        wanted: dict[str, None] = {}
        for old_blob, new_blob in changes:
            if new_blob not in self._cache["status"]:
                wanted[new_blob] = None
            if summaries and f"{old_blob or ''}..{new_blob}" not in self._cache["summary"]:
                wanted[new_blob] = None
                if old_blob:
                    wanted[old_blob] = None
        blobs = [blob for blob in wanted if blob not in self._documents]
        self._fetched.update(
            zip(blobs, self._objects.read_many(blobs, DEFAULT_MAX_BYTES), strict=True)
        )

    def forget_documents(self) -> None:
        """Let go of the versions read so far (their statuses and summaries are kept): the
        next document's versions share nothing with them."""
        self._documents.clear()
        self._fetched.clear()
        self._sections = _section_reader()

    def document(self, blob: str, source: str) -> PostMortem | str:
        """The document in ``blob``, or why it cannot be read."""
        if blob not in self._documents:
            from postmortem.yaml_io import Parsed, document_from_parsed

            try:
                if blob in self._fetched:
                    data = self._fetched.pop(blob)
                else:
                    data = self._objects.read(blob, DEFAULT_MAX_BYTES)
                if data is None:
                    message = "not in the repository (a partial clone's blob is not fetched)"
                    raise DocumentError([Problem(source, 0, 0, "", message)])
                parsed = Parsed(self._sections.parse(decode_text(data, source), source), [])
                self._documents[blob] = document_from_parsed(
                    parsed, source, ticket_url=self.ticket_url
                )
            except DocumentError as error:
                problem = error.problems[0]
                self._documents[blob] = f"{problem.path}: {problem.message}".lstrip(": ")
        return self._documents[blob]

    def status(self, blob: str, source: str) -> str | None:
        if blob not in self._cache["status"]:
            document = self.document(blob, source)
            self._cache["status"][blob] = self.learnt["status"][blob] = (
                document.metadata.status.value if isinstance(document, PostMortem) else ""
            )
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
            self._cache["summary"][key] = self.learnt["summary"][key] = text
        return self._cache["summary"][key] or None
