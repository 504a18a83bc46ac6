"""The facts of every post-mortem among many YAML files, each file read only when it changed.

The records of what each file held (:mod:`postmortem.file_records`) answer for the files
that did not change since they were last read, without opening them; the parse cache
(:mod:`postmortem.cache`) answers for texts read before; what must be parsed is spread over
one process per core. Which files are post-mortems is decided as the hooks decide it
(:mod:`postmortem.discovery`).
"""

import enum
import functools
import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from postmortem.cache import cache_near, close_caches, entry_key, read_facts, text_digest
from postmortem.discovery import Role, carries_document_keys, role_of, yaml_is_document
from postmortem.errors import DocumentError, Problem
from postmortem.facts import DocumentFacts, facts_from_json, facts_to_json
from postmortem.file_records import FileRecord, FileRecords, file_signature, real_path

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = ["facts_of_files"]

_PARALLEL_FROM = 256
"""With this many files to read or more, they are read in one process per core."""
_CHUNK = 128
"""Files a process reads at a time (the unit of progress)."""


@attrs.frozen
class _Read:
    """What reading one file gave: its document's facts (None if it is no document or does
    not load), the problems of one that does not load, and its new record, if it has one."""

    path: str
    facts: DocumentFacts | None
    problems: tuple[Problem, ...] = ()
    record: tuple[str, FileRecord] | None = None
    """The file's real path and its record."""


def facts_of_files(
    paths: Sequence[str],
    *,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    follow_ups: bool = True,
) -> tuple[list[tuple[str, DocumentFacts, "Policy"]], list[Problem]]:
    """The facts of the post-mortems among the YAML files ``paths``, in their order, each
    with the policy that governs it, and the problems of those that do not load. Without
    ``use_cache`` every file is read and parsed. ``progress(done, total)`` is told how many
    files are done. Without ``follow_ups``, the facts read from a record leave the open
    follow-ups out (:func:`~postmortem.facts.facts_from_json`)."""
    policies = _Policies()
    governing: dict[str, Policy] = {}
    records: dict[Path, FileRecords] = {}
    record_book: dict[str, FileRecords] = {}
    folders: dict[str, str] = {}
    known: dict[str, DocumentFacts | None] = {}
    for path in paths:
        policy = governing[path] = policies.of(path)
        cache = cache_near(policy.root) if use_cache else None
        if cache is None:
            continue
        book = records.get(cache.root)
        if book is None:
            book = records[cache.root] = FileRecords(cache)
        record_book[path] = book
        recorded = _recorded(path, policy, book, folders, follow_ups)
        if recorded is not _UNKNOWN:
            known[path] = recorded
    facts: dict[str, DocumentFacts] = {path: item for path, item in known.items() if item}
    problems: list[Problem] = []
    unread = [path for path in paths if path not in known]
    done = len(known)
    if progress is not None and done:
        progress(done, len(paths))
    for reads in _read_in_chunks(unread, use_cache):
        for read in reads:
            if read.facts is not None:
                facts[read.path] = read.facts
            problems += read.problems
            book = record_book.get(read.path)
            if read.record is not None and book is not None:
                book.update(*read.record)
        done += len(reads)
        if progress is not None:
            progress(done, len(paths))
    for book in records.values():
        book.save()
    return [(path, facts[path], governing[path]) for path in paths if path in facts], problems


class _Policies:
    """:func:`~postmortem.policy.find_policy` for many files, asked once per folder."""

    def __init__(self) -> None:
        self._found: dict[Path, Policy] = {}
        self._by_folder: dict[str, Policy] = {}

    def of(self, path: str) -> "Policy":
        from postmortem.policy import find_policy

        folder = os.path.dirname(path)
        policy = self._by_folder.get(folder)
        if policy is None:
            policy = self._by_folder[folder] = find_policy(path, self._found)
        return policy


class _Unknown(enum.Enum):
    """What a record cannot say: the file must be read."""

    UNKNOWN = "unknown"


_UNKNOWN = _Unknown.UNKNOWN


def _recorded(
    path: str, policy: "Policy", book: FileRecords, folders: dict[str, str], follow_ups: bool
) -> DocumentFacts | _Unknown | None:
    """The facts of ``path`` as its record has them; None if the record says it is no
    document; :data:`_UNKNOWN` if the file must be read (no record holds, the record is of
    another ``ticket_url``, or the file is too large or leads out of the repository)."""
    try:
        status = os.lstat(path)
    except OSError:
        return _UNKNOWN
    real = real_path(path, folders)
    root = folders.get(str(policy.root)) or folders.setdefault(
        str(policy.root), os.path.realpath(policy.root)
    )
    if not real.startswith(root + os.sep) or status.st_size > policy.max_file_bytes:
        return _UNKNOWN
    record = book.known(real, status)
    if record is None:
        return _UNKNOWN
    if not record.carries_document_keys:  # (the keys decide at no cost: the name only without)
        relative = real[len(root) + 1 :].replace(os.sep, "/")
        if not yaml_is_document(relative, policy, lambda: False):
            return None
    if record.facts is None or record.entry != entry_key(record.digest, policy.ticket_url):
        return _UNKNOWN
    try:
        return facts_from_json(record.facts, follow_ups=follow_ups)
    except ValueError:
        return _UNKNOWN


def _read_in_chunks(paths: Sequence[str], use_cache: bool) -> Iterator[list[_Read]]:
    """What :func:`_read_files` gives for each chunk of ``paths``, in order: in one process
    per core when there are many."""
    chunks = [paths[start : start + _CHUNK] for start in range(0, len(paths), _CHUNK)]
    workers = min(os.cpu_count() or 1, len(paths) // (_PARALLEL_FROM // 2))
    if workers < 2 or len(paths) < _PARALLEL_FROM:
        yield from (_read_files(chunk, use_cache) for chunk in chunks)
        return
    from postmortem._pool import process_pool

    with process_pool(workers) as pool:
        yield from pool.map(_read_files, chunks, [use_cache] * len(chunks))


def _read_files(paths: Sequence[str], use_cache: bool) -> list[_Read]:
    """Each of ``paths`` read, in this process (see :class:`_Read`)."""
    from postmortem.policy import read_governed, relative_to_root

    policies = _Policies()
    folders: dict[str, str] = {}
    reads = []
    for path in paths:
        policy = policies.of(path)
        cache = cache_near(policy.root) if use_cache else None
        read_at = time.time_ns()  # before the file's state: a change after it is racy
        try:
            status: os.stat_result | None = os.lstat(path)
            text = read_governed(path, policy)
        except OSError:
            status = None
        except DocumentError as error:
            named = policy.names_document(relative_to_root(path, policy))
            reads.append(_Read(path, None, tuple(error.problems) if named else ()))
            continue
        if status is None:  # gone between the listing and the reading
            reads.append(_Read(path, None))
            continue
        digest = text_digest(text)
        carries = carries_document_keys(text)
        keep = cache is not None and stat.S_ISREG(status.st_mode)
        where = real_path(path, folders)
        if role_of(path, policy, functools.partial(str, text)) is not Role.DOCUMENT:
            record = FileRecord(file_signature(status), read_at, digest, carries)
            reads.append(_Read(path, None, record=(where, record) if keep else None))
            continue
        try:
            facts = read_facts(text, path, ticket_url=policy.ticket_url, cache=cache)
        except DocumentError as error:
            reads.append(_Read(path, None, tuple(error.problems)))
            continue
        record = FileRecord(
            file_signature(status),
            read_at,
            digest,
            carries,
            entry_key(digest, policy.ticket_url),
            facts_to_json(facts),
        )
        reads.append(_Read(path, facts, record=(where, record) if keep else None))
    close_caches()
    return reads
