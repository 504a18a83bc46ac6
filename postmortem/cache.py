"""The parse cache: what reading a document's text gives, kept between runs so that a text
already read is never parsed again.

An entry holds, for one text read under one ``ticket_url``, the plain data its YAML gave
with where each value is written (:class:`~postmortem.yaml_io.Parsed`); the facts the
repository views read (:mod:`postmortem.facts`) are kept in the records of
:mod:`postmortem.file_records`, worked out from the parse when a view first reads the file
(a check has no use for them). Never findings: they depend on the
policy, the date and other files, and are worked out again on every run. Only documents
that load are kept; the document itself is structured from the data on every read, by the
strict converter, which also checks what the entry holds.

The entries live in ``postmortem/parse-cache`` in the repository's git folder (shared by its
worktrees), or, outside a repository, in ``postmortem/parse-cache`` in the user's cache
folder, in one database (:mod:`postmortem.entry_store`) in a folder named for the entry
format, the program's version and code and the document schema. An entry is named by
the SHA-256 of the text and the ``ticket_url`` it was read under: a changed, renamed or
deleted file, a changed ``ticket_url`` or another program reads nothing stale, and the
folders of other programs are removed once unused for a day.

Entries are hostile input (a restored CI cache can be anybody's): JSON only, never code;
read from a database opened as :mod:`postmortem.entry_store` says, to a size bound; each
part checked against its SHA-256; then checked for shape and structured again. An entry
that fails any of it is deleted and the text parsed as if it were not there. Entries are
written in batches, each in one transaction, so that a concurrent run sees a whole entry
or none.
"""

import atexit
import contextlib
import functools
import hashlib
import json
import os
import shutil
import stat
import time
from array import array
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postmortem._version import __version__
from postmortem.entry_store import EntryStore
from postmortem.errors import DocumentError
from postmortem.facts import DocumentFacts, facts_of
from postmortem.model import SCHEMA_VERSION, PostMortem

if TYPE_CHECKING:  # the reader is imported where a text is read: a warm view reads none
    from postmortem.yaml_io import Parsed

__all__ = [
    "ParseCache",
    "cache_near",
    "close_caches",
    "entry_key",
    "read_document",
    "read_facts",
    "text_digest",
]

FORMAT = 5
"""The entry format; a new one is a new folder."""

_MAGIC = "postmortem-parse-cache"
_MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""The largest entry written or read (a 5 MB document makes one of about 12 MB)."""
_UNUSED_FOR = 24 * 3600
"""Seconds after which the folder of another program version is removed."""


class ParseCache:
    """The entries of one repository (or of the user) for this program."""

    def __init__(self, root: Path) -> None:
        self.root = root
        """The cache's own folder (``.../parse-cache``), symbolic links resolved."""
        self.folder = root / _program_folder_name()
        self._store: EntryStore | None = None

    def key(self, text: str, ticket_url: str | None) -> str:
        """The name of the entry for ``text`` read under ``ticket_url``."""
        return entry_key(text_digest(text), ticket_url)

    def load(self, key: str) -> "_Entry | None":
        """The entry named ``key``, if there is a whole and well-formed one."""
        store = self._entries()
        body = store.get(key) if store is not None else None
        if store is None or body is None:
            return None
        entry = _Entry.read(body.decode("utf-8", "replace"), key)
        if entry is None:
            store.discard(key)
        return entry

    def store(self, key: str, parts: dict[str, str]) -> None:
        """Keep ``parts`` (a line of JSON each, by name) as the entry ``key``; a cache that
        cannot be written only costs time."""
        body = _Entry.text(key, parts).encode("utf-8")
        store = self._entries()
        if store is not None and len(body) <= _MAX_ENTRY_BYTES:
            store.put(key, body)

    def discard(self, key: str) -> None:
        """Forget the entry ``key``."""
        store = self._entries()
        if store is not None:
            store.discard(key)

    def close(self) -> None:
        """Write the entries this process kept since the last time, and close the database
        (see :func:`close_caches`)."""
        if self._store is not None:
            self._store.close()

    def _entries(self) -> EntryStore | None:
        """The store of this program's entries; None if its folder is a link or cannot be
        made."""
        if self._store is None:
            with contextlib.suppress(OSError):
                if not _is_folder(self.folder):
                    self.folder.mkdir(parents=True, exist_ok=True)
            if _is_folder(self.folder):
                self._store = EntryStore(self.folder, _MAX_ENTRY_BYTES)
        if self._store is not None:
            _used(self)
        return self._store

    def tidy(self) -> None:
        """Mark this program's folder in use, and remove the folders of other programs
        unused for a day (an upgrade leaves the old one behind; a program still run
        elsewhere keeps marking its own)."""
        if _is_folder(self.folder):
            os.utime(self.folder)
        for other in self.root.iterdir():
            with contextlib.suppress(OSError):
                stale = time.time() - other.lstat().st_mtime > _UNUSED_FOR
                if other != self.folder and stale and other.is_dir() and not other.is_symlink():
                    shutil.rmtree(other, ignore_errors=True)


def _is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder and no link."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


class _Entry:
    """An entry's parts as read: a header line naming the entry and each part with its
    SHA-256, then one line of JSON per part. A part is decoded only when asked for."""

    def __init__(self, lines: dict[str, str]) -> None:
        self._lines = lines

    @staticmethod
    def text(key: str, parts: dict[str, str]) -> str:
        """The entry ``key`` holding ``parts``, each a line of JSON by name."""
        names = sorted(parts)
        lines = [parts[name] for name in names]
        sums = {name: _checksum(line) for name, line in zip(names, lines, strict=True)}
        header = json.dumps([_MAGIC, FORMAT, key, sums], separators=(",", ":"))
        return "".join(line + "\n" for line in [header, *lines])

    @staticmethod
    def read(text: str, key: str) -> "_Entry | None":
        """The entry in ``text``, None unless it is one, named ``key``."""
        header, _, rest = text.partition("\n")
        try:
            magic, entry_format, entry_key, sums = json.loads(header)
        except (ValueError, TypeError, RecursionError):
            return None
        lines = rest.split("\n")
        if (magic, entry_format, entry_key) != (_MAGIC, FORMAT, key) or not isinstance(sums, dict):
            return None
        if len(lines) != len(sums) + 1 or lines[-1] or list(sums) != sorted(sums):
            return None
        return (
            _Entry(dict(zip(sums, lines, strict=False)))
            if all(
                isinstance(value, str) and _checksum(line) == value
                for value, line in zip(sums.values(), lines, strict=False)
            )
            else None
        )

    def part(self, name: str) -> str:
        """The line of JSON of the part ``name``; ValueError if the entry has none."""
        line = self._lines.get(name)
        if line is None:
            raise ValueError(f"no {name} in the entry")
        return line


def text_digest(text: str) -> str:
    """The SHA-256 of ``text``: what an entry's name says of the content."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def entry_key(digest: str, ticket_url: str | None) -> str:
    """The name of the entry for the text whose :func:`text_digest` is ``digest``, read under
    ``ticket_url``."""
    reading = "" if ticket_url is None else f"\1{ticket_url}"
    return hashlib.sha256(f"{digest}\0{reading}".encode("utf-8", "surrogatepass")).hexdigest()


def _checksum(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8", "surrogatepass")).hexdigest()


@functools.cache
def _program_folder_name() -> str:
    """The entry format, the program's version, the document schema, and a digest of the
    program's files (names, sizes and times: a changed program reads no entry of another)."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".j2") and "__pycache__" not in path.parts:
            status = path.stat()
            digest.update(
                f"{path.relative_to(package)}\0{status.st_size}\0{status.st_mtime_ns}\n".encode()
            )
    return f"{FORMAT}-{__version__}-schema{SCHEMA_VERSION}-{digest.hexdigest()[:16]}"


@functools.cache
def cache_near(directory: Path) -> ParseCache | None:
    """The cache for documents in ``directory``: the git folder of its repository, else the
    user's; None if neither can be had."""
    from postmortem.gitcmd import GitError, open_repository

    try:
        base = open_repository(directory, label=str(directory)).common_dir
    except GitError:
        home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        if not os.path.isabs(home):
            return None
        base = Path(home)
    root = base / "postmortem" / "parse-cache"
    with contextlib.suppress(OSError):
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
    real = Path(os.path.realpath(root))
    if not real.is_dir() or not real.is_relative_to(os.path.realpath(base)):
        return None  # a link out of the git folder: nothing is kept there
    if real not in _MADE:
        _MADE[real] = ParseCache(real)
        with contextlib.suppress(OSError):
            _MADE[real].tidy()
    return _MADE[real]


_MADE: dict[Path, ParseCache] = {}
"""The caches :func:`cache_near` made in this process, one per folder (the folders of a
repository's policies share their repository's)."""

_IN_USE: list[ParseCache] = []
"""The caches whose databases may be open, the one used last at the end."""
_MOST_IN_USE = 8
"""Databases open at once: a run over many repositories closes the one unused longest."""


def _used(cache: ParseCache) -> None:
    if _IN_USE and _IN_USE[-1] is cache:
        return
    if cache in _IN_USE:
        _IN_USE.remove(cache)
    _IN_USE.append(cache)
    if len(_IN_USE) > _MOST_IN_USE:
        _IN_USE.pop(0).close()


def close_caches() -> None:
    """Write what every cache of this process kept since the last time, and close their
    databases until they are next needed: entries are written in batches, the last one by
    this, at the end of each run's reading, before the process forks (a connection must
    not cross into a child) and when the program exits."""
    for made in _MADE.values():
        made.close()
    _IN_USE.clear()


atexit.register(close_caches)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=close_caches)


def read_document(
    text: str, source: str, *, ticket_url: str | None, cache: ParseCache | None
) -> tuple["Parsed", PostMortem]:
    """The parse and the document of ``text`` (``source`` names it in problems): from the
    cache when it holds them, else parsed, and kept. A located :class:`DocumentError` if it
    does not load."""
    from postmortem.yaml_io import document_from_parsed, parse_with_positions

    key = cache.key(text, ticket_url) if cache is not None else ""
    entry = cache.load(key) if cache is not None else None
    if cache is not None and entry is not None:
        try:
            parsed = _decoded_parse(entry.part("parsed"))
            return parsed, document_from_parsed(parsed, source, ticket_url=ticket_url)
        except (ValueError, TypeError, DocumentError):
            cache.discard(key)
    parsed = parse_with_positions(text, source)
    document = document_from_parsed(parsed, source, ticket_url=ticket_url)
    if cache is not None:
        _keep(cache, key, parsed)
    return parsed, document


def read_facts(
    text: str, source: str, *, ticket_url: str | None, cache: ParseCache | None
) -> DocumentFacts:
    """The facts of the document in ``text``, read as :func:`read_document` reads it (the
    facts themselves are kept in the records of :mod:`postmortem.file_records`)."""
    parsed, document = read_document(text, source, ticket_url=ticket_url, cache=cache)
    return facts_of(document, lambda path: parsed.locate(path)[0])


def _keep(cache: ParseCache, key: str, parsed: "Parsed") -> None:
    encoded = _encoded_parse(parsed)
    if encoded is not None:
        cache.store(key, {"parsed": encoded})


_DATE = "\0date"
_DATETIME = "\0datetime"
"""The one key of the mapping that stands for a date or a moment in an entry's JSON."""
_MARKS = [json.dumps(mark) + ":" for mark in (_DATE, _DATETIME)]


def _encoded_parse(parsed: "Parsed") -> str | None:
    """``parsed`` as a line of JSON: its data, each date or moment in it written as a
    mapping of one of the marks above to its ISO 8601 text, and its positions. None when
    the data holds a mapping keyed by a mark itself.

    A document that loads has text keys only (the strict converter refuses any other),
    and only such documents are kept, so the keys JSON would turn into text are never met.
    """
    marked = 0

    def written(value: Any) -> Any:
        nonlocal marked
        if isinstance(value, date):
            marked += 1
            return {_DATETIME if isinstance(value, datetime) else _DATE: value.isoformat()}
        raise TypeError(f"{type(value).__name__} is not JSON")

    try:
        line = json.dumps(
            {"data": parsed.data, "starts": list(parsed.starts)},
            separators=(",", ":"),
            default=written,
        )
    except (TypeError, ValueError, RecursionError):
        return None
    return line if sum(line.count(mark) for mark in _MARKS) == marked else None


def _dated(mapping: dict[str, Any]) -> Any:
    """The date or moment a marked mapping stands for, the mapping itself if it is none."""
    if len(mapping) == 1:
        if _DATE in mapping:
            return date.fromisoformat(mapping[_DATE])
        if _DATETIME in mapping:
            return datetime.fromisoformat(mapping[_DATETIME])
    return mapping


def _decoded_parse(line: str) -> "Parsed":
    """The parse :func:`_encoded_parse` gave; ValueError or TypeError for anything else.
    Positions that do not fit the data place a problem at the start (an entry that lies
    cannot be told from one that does not, short of parsing the text)."""
    from postmortem.yaml_io import Parsed

    try:
        value = json.loads(line, object_hook=_dated)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(value, dict) or value.keys() != {"data", "starts"}:
        raise ValueError("not a parse")
    if not isinstance(value["starts"], list):
        raise ValueError("not a parse")
    try:
        starts = array("l", value["starts"])
    except (TypeError, OverflowError):
        raise ValueError("positions that are no line and column numbers") from None
    if starts and min(starts) < 1:
        raise ValueError("positions that are no line and column numbers")
    return Parsed(value["data"], starts)
