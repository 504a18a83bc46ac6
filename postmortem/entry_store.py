"""Where the parse cache keeps its entries: one SQLite database in the program's cache
folder, its entries compressed, written in batches (a file per entry cost more to create
than parsing the document).

The database is hostile input like the entries in it (a restored CI cache can be
anybody's). It is opened only when it, its journal and its shared-memory file are regular
files or absent (a link or a FIFO there is deleted, never followed or waited on); with
the schema's SQL untrusted (``trusted_schema``), page sizes checked and no memory
mapping; and only if its schema is exactly the one written here, with nothing else in it
(no view or trigger of anybody else's). A database that fails any of it, or that SQLite
finds damaged at any time, is deleted and made anew; a run that cannot have one keeps no
entries and reads none. An entry read is decompressed to a bounded size.

Concurrent runs share the database: SQLite's write-ahead log lets them read while another
writes, and a writer waits its turn for a while and otherwise keeps nothing (a cache not
written only costs time). No connection is open when a process forks
(:func:`postmortem.cache.close_caches` runs first): each process opens its own.
"""

import contextlib
import os
import shutil
import sqlite3
import stat
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

__all__ = ["EntryStore"]

DATABASE_NAME = "entries.sqlite3"
_COMPANIONS = ("", "-wal", "-shm", "-journal")
"""The database file and those SQLite makes beside it."""

_SCHEMA = "CREATE TABLE entries (key TEXT PRIMARY KEY NOT NULL, body BLOB NOT NULL)"
_EXPECTED_SCHEMA = [
    ("index", "sqlite_autoindex_entries_1", "entries", None),
    ("table", "entries", "entries", _SCHEMA),
]
_SCHEMA_QUERY = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
_BATCH = 256
"""Entries kept in memory before they are written in one transaction."""
_WAIT_SECONDS = 5.0
"""How long a writer waits for another run's write to end."""


class EntryStore:
    """Entries by key, bytes in and out, for this process."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.path = folder / DATABASE_NAME
        self._max_bytes = max_bytes
        self._connection: sqlite3.Connection | None = None
        self._unusable = False
        self._pending: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        """The entry ``key``, if one is kept (None if it is larger than the bound)."""
        compressed = self._pending.get(key)
        if compressed is None:
            compressed = self._query(key)
        return None if compressed is None else self._decompressed(compressed)

    def put(self, key: str, body: bytes) -> None:
        """Keep ``body`` as the entry ``key``: at once for this process, in the database with
        the next batch."""
        self._pending[key] = zlib.compress(body, 1)
        if len(self._pending) >= _BATCH:
            self.flush()

    def discard(self, key: str) -> None:
        """Forget the entry ``key``."""
        self._pending.pop(key, None)
        connection = self._connect()
        if connection is not None:
            with self._guarded():
                connection.execute("DELETE FROM entries WHERE key = ?", (key,))

    def flush(self) -> None:
        """Write the entries kept in memory, in one transaction."""
        pending, self._pending = self._pending, {}
        connection = self._connect() if pending else None
        if connection is None:
            return
        with self._guarded():
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(
                    "INSERT OR REPLACE INTO entries (key, body) VALUES (?, ?)", pending.items()
                )
                connection.execute("COMMIT")
            except sqlite3.Error:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Write the entries kept in memory and close the database (opened again when next
        needed)."""
        self.flush()
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def _query(self, key: str) -> bytes | None:
        connection = self._connect()
        if connection is None:
            return None
        with self._guarded():
            row = connection.execute(
                "SELECT body FROM entries WHERE key = ? AND length(body) <= ?",
                (key, self._max_bytes),  # compressed, an entry is smaller still
            ).fetchone()
            if row is not None and type(row[0]) is bytes:
                return row[0]
        return None

    def _decompressed(self, compressed: bytes) -> bytes | None:
        inflate = zlib.decompressobj()
        try:
            body = inflate.decompress(compressed, self._max_bytes)
        except zlib.error:
            return None
        return body if inflate.eof and not inflate.unconsumed_tail else None

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        """Run SQLite's work: a busy database is let be; one that cannot be used is closed for
        the run, and deleted if it is damaged or not the cache's."""
        try:
            yield
        except sqlite3.OperationalError as error:
            if not _busy(error):  # a database only SQLite may not write to is no use either
                self._close(delete=_named(error, "SQLITE_READONLY"))
        except sqlite3.Error:
            self._close(delete=True)

    def _connect(self) -> sqlite3.Connection | None:
        if self._connection is None and not self._unusable:
            try:
                self._connection = self._open_when_free()
            except sqlite3.OperationalError:
                self._unusable = True
            except sqlite3.Error:
                self._delete()
                try:
                    self._connection = self._open_when_free()
                except sqlite3.Error:
                    self._unusable = True
        return self._connection

    def _open_when_free(self) -> sqlite3.Connection:
        """The database opened, waiting a while for a run that is making it (SQLite answers
        busy at once there, without waiting as it does for a write)."""
        deadline = time.monotonic() + _WAIT_SECONDS
        while True:
            try:
                return self._open()
            except sqlite3.OperationalError as error:
                if not _busy(error) or time.monotonic() > deadline:
                    raise
            time.sleep(0.01)

    def _open(self) -> sqlite3.Connection:
        if not self._companions_are_files():
            raise sqlite3.DatabaseError("not a regular file")
        connection = sqlite3.connect(
            f"file:{quote(os.fsencode(self.path))}?mode=rwc",
            uri=True,
            timeout=_WAIT_SECONDS,
            isolation_level=None,
        )
        try:
            for pragma in ("trusted_schema = OFF", "cell_size_check = ON", "mmap_size = 0"):
                connection.execute(f"PRAGMA {pragma}")
            schema = connection.execute(_SCHEMA_QUERY).fetchall()
            if not schema:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(_SCHEMA.replace("TABLE", "TABLE IF NOT EXISTS", 1))
                schema = connection.execute(_SCHEMA_QUERY).fetchall()
            if schema != _EXPECTED_SCHEMA:
                raise sqlite3.DatabaseError("not the parse cache's database")
            connection.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            connection.close()
            raise
        return connection

    def _companions_are_files(self) -> bool:
        """Whether the database and its companions are regular files or absent; anything
        else in their place is deleted (and the database is not opened this time)."""
        regular = True
        for suffix in _COMPANIONS:
            name = f"{self.path}{suffix}"
            try:
                mode = os.lstat(name).st_mode
            except FileNotFoundError:
                continue
            except OSError:
                return False
            if not stat.S_ISREG(mode):
                regular = False
                _remove(name, folder=stat.S_ISDIR(mode))
        return regular

    def _close(self, *, delete: bool) -> None:
        """Close the database and use none for the rest of the run; ``delete`` it too."""
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
        self._connection = None
        self._unusable = True
        self._pending = {}
        if delete:
            self._delete()

    def _delete(self) -> None:
        for suffix in _COMPANIONS:
            _remove(f"{self.path}{suffix}", folder=False)


def _remove(name: str, *, folder: bool) -> None:
    """Remove what is at ``name`` in the cache's folder (a folder with what it holds; a link,
    not what it leads to), if it can be."""
    with contextlib.suppress(OSError):
        if folder:
            shutil.rmtree(name)
        else:
            os.unlink(name)


def _busy(error: sqlite3.OperationalError) -> bool:
    """Whether ``error`` says another run holds the database (worth no more than a miss)."""
    return _named(error, "SQLITE_BUSY") or _named(error, "SQLITE_LOCKED")


def _named(error: sqlite3.Error, name: str) -> bool:
    """Whether SQLite's code for ``error`` is ``name`` or one of its extended codes."""
    return str(getattr(error, "sqlite_errorname", "")).startswith(name)
