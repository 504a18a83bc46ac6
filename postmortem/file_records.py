"""What each file of a repository held when it was last read, so that a view of the
repository reads again only the files that changed since (as git's index does).

A record keeps a file's state when reading began (device, inode, size, and the times of its
last change of content and of status, in nanoseconds), when that was, the SHA-256 of its
text, whether it carries a post-mortem's top-level keys, and the facts of its document
(:mod:`postmortem.facts`) with the parse-cache entry they were read under. A file is taken
to hold what its record says only when its state is the one recorded and it had not
changed within :data:`RACY_SECONDS` before it was read: a file written in the same
tick of the file system's clock as it was read may have changed without its times
showing it, and is read again (git's "racily clean" entries).

The records are kept beside the parse cache's entries (``files.json``), read once per run
and written once, and are hostile input like the entries: each record is checked before
use, and one that does not fit is ignored.
"""

import contextlib
import json
import os
import stat
from typing import Any

import attrs

from postmortem.cache import ParseCache
from postmortem.errors import ConcurrentEditError, DocumentError, UsageError
from postmortem.files import FileState, file_state, read_text, write_atomic

__all__ = ["RACY_SECONDS", "FileRecord", "FileRecords", "file_signature", "real_path"]

RACY_SECONDS = 2
"""How long before its reading a change leaves a file's record untrusted: more than the
coarsest clock of the file systems in use (FAT's two seconds)."""

_FORMAT = 3
_NAME = "files.json"
_MAX_BYTES = 256 * 1024 * 1024

Signature = tuple[int, int, int, int, int]


def file_signature(status: os.stat_result) -> Signature:
    """Device, inode, size, and the times of the last change of content and of status."""
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


@attrs.frozen
class FileRecord:
    """What one file held when it was read (see the module's description)."""

    signature: Signature
    read_at: int
    """When reading began, in nanoseconds since the epoch."""
    digest: str
    carries_document_keys: bool
    entry: str | None = None
    """The parse-cache entry the facts were read under (it names the ``ticket_url`` too)."""
    facts: list[Any] | None = None
    """The document's facts as JSON values (:func:`~postmortem.facts.facts_to_json`, checked
    when read), None if the file is no document."""

    def to_json(self) -> list[Any]:
        fields = (self.read_at, self.digest, self.carries_document_keys, self.entry, self.facts)
        return [*self.signature, *fields]

    @classmethod
    def from_json(cls, value: Any) -> "FileRecord | None":
        """The record :meth:`to_json` gave, None for anything else."""
        if type(value) is not list or len(value) != 10:
            return None
        *numbers, digest, carries, entry, facts = value
        if not all(type(number) is int for number in numbers) or type(carries) is not bool:
            return None
        if type(digest) is not str or not (entry is None or type(entry) is str):
            return None
        if not (facts is None or type(facts) is list):
            return None
        return cls(tuple(numbers[:5]), numbers[5], digest, carries, entry, facts)

    def holds(self, status: os.stat_result) -> bool:
        """Whether the file, now in ``status``, still holds what it held when read."""
        racy = max(status.st_mtime_ns, status.st_ctime_ns) >= self.read_at - RACY_SECONDS * 10**9
        return not racy and file_signature(status) == self.signature


class FileRecords:
    """The records of one parse cache's repository, by the real path of each file."""

    def __init__(self, cache: ParseCache) -> None:
        self._path = cache.folder / _NAME
        self._within = cache.root
        self._state: FileState | None = None
        self._records: dict[str, Any] = {}
        self._changed = False
        with contextlib.suppress(DocumentError, ValueError, RecursionError, UsageError):
            self._state = file_state(self._path, within=self._within)
            content = json.loads(read_text(self._path, max_bytes=_MAX_BYTES, within=self._within))
            if type(content) is dict and content.get("format") == _FORMAT:
                records = content.get("records")
                self._records = records if type(records) is dict else {}

    def known(self, real_path: str, status: os.stat_result) -> FileRecord | None:
        """The record of the regular file at ``real_path``, if it still holds."""
        record = FileRecord.from_json(self._records.get(real_path))
        if record is None or not stat.S_ISREG(status.st_mode) or not record.holds(status):
            return None
        return record

    def update(self, real_path: str, record: FileRecord) -> None:
        self._records[real_path] = record.to_json()
        self._changed = True

    def save(self) -> None:
        """Write the records, those of files that are gone left out, unless another run wrote
        them meanwhile (its records stand) or the cache cannot be written."""
        if not self._changed:
            return
        kept = {path: value for path, value in self._records.items() if os.path.lexists(path)}
        text = json.dumps({"format": _FORMAT, "records": kept}, separators=(",", ":"))
        with contextlib.suppress(ConcurrentEditError, UsageError, OSError):
            self._path.parent.mkdir(parents=True, exist_ok=True)
            expected = self._state or file_state(self._path, within=self._within)
            write_atomic(self._path, text, expected=expected, within=self._within, durable=False)


def real_path(path: str, directories: dict[str, str]) -> str:
    """``path`` with its folder's symbolic links resolved (the file's own name kept);
    ``directories`` remembers each folder's across a run."""
    folder, name = os.path.split(path)
    if name in ("", ".", ".."):
        folder, name = os.path.split(os.path.abspath(path))
    real = directories.get(folder)
    if real is None:
        real = directories[folder] = os.path.realpath(os.path.abspath(folder))
    return os.path.join(real, name)
