"""Reading inputs safely and writing outputs atomically, losing nobody's change.

Every command that writes a file goes through :func:`write_atomic`. It writes a temporary
file beside the target, then, just before the atomic rename, compares the target with what
was read at the start (:class:`FileState`): a file changed in between is left as it is and
:class:`~postmortem.errors.ConcurrentEditError` raised. The temporary file is removed on
every exit path Python sees; a process killed outright leaves it, under a name
(``.postmortem-NAME.RANDOM.tmp``) that ``postmortem init``'s ``.gitignore`` hides from git
and the hooks refuse to commit.
"""

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import NamedTuple, NoReturn

from postmortem._matching import matching_blocks
from postmortem.errors import ConcurrentEditError, DocumentError, Problem, UsageError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FileState",
    "decode_text",
    "file_state",
    "is_temporary_file",
    "read_text",
    "read_with_state",
    "with_line_breaks_of",
    "write_atomic",
]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
"""Largest input file read by default; a post-mortem is rarely over 100 KB."""

_TEMPORARY_PREFIX = ".postmortem-"
_TEMPORARY_SUFFIX = ".tmp"
"""A write in progress is ``.postmortem-NAME.RANDOM.tmp`` beside its target."""

_BOM = "\ufeff"
_NAME_KEPT = 100
"""Characters of the target's name kept in a temporary file's name (names are at most 255)."""


class FileState(NamedTuple):
    """A file as it was read, so that a writer can tell whether it changed since."""

    path: str
    """As the caller named it (for messages)."""
    real_path: Path
    """The file itself, symbolic links resolved: what is read and replaced."""
    data: bytes | None
    """Its content, None when there was no file."""
    stamp: tuple[int, int, int, int, int] | None
    """Device, inode, mode, size and modification time in nanoseconds."""

    @property
    def read_only(self) -> bool:
        """Whether the file has no write permission (for anybody, or for this process)."""
        if self.stamp is None:
            return False
        return not stat.S_IMODE(self.stamp[2]) & 0o222 or not os.access(self.real_path, os.W_OK)


def read_text(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    within: str | os.PathLike[str] | None = None,
) -> str:
    """Read a UTF-8 text file, refusing what is missing, too large, binary, not UTF-8 or not
    a regular file, and a link that leads out of the folder ``within`` (the repository)."""
    return read_with_state(path, max_bytes=max_bytes, within=within)[0]


def read_with_state(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    within: str | os.PathLike[str] | None = None,
) -> tuple[str, FileState]:
    """The text of a file as :func:`read_text` reads it, and its state, to hand to
    :func:`write_atomic` when replacing it."""
    source = os.fspath(path)
    real_path = _resolved(source)
    if within is not None and not _inside(real_path, within):
        _refuse(source, f"links to {real_path}, outside the repository {within}; not read")
    return _read_at(source, real_path, max_bytes)


def _read_at(source: str, real_path: Path, max_bytes: int) -> tuple[str, FileState]:
    try:
        state = _state(source, real_path, limit=max_bytes)
    except _NotAFile as refusal:
        _refuse(source, f"{refusal}; not read")
    except OSError as error:
        _refuse(source, _os_reason(error))
    if state.data is None:
        _refuse(source, "no such file")
    return decode_text(state.data, source, max_bytes=max_bytes), state


def file_state(
    path: str | os.PathLike[str], *, within: str | os.PathLike[str] | None = None
) -> FileState:
    """The state of a file about to be written (there or not), to hand to
    :func:`write_atomic`. A :class:`UsageError` for a link that leads out of ``within`` and
    for what is not a regular file."""
    source = os.fspath(path)
    real_path = _resolved(source)
    if within is not None and not _inside(real_path, within):
        raise UsageError(f"{source}: links to {real_path}, outside the repository; not written")
    try:
        return _state(source, real_path, limit=None)
    except _NotAFile as refusal:
        raise UsageError(f"{source}: {refusal}; not written") from None
    except OSError as error:
        raise UsageError(f"{source}: {_os_reason(error)}; not written") from None


def decode_text(data: bytes, source: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The UTF-8 text of ``data`` read from ``source`` (a file, or a blob in git history),
    refusing what is too large, binary or not UTF-8."""
    if len(data) > max_bytes:
        message = f"file is larger than the limit of {max_bytes} bytes"
        raise DocumentError([Problem(source, 0, 0, "", message)])
    if b"\0" in data:
        line, column = _position(data, data.index(b"\0"))
        raise DocumentError([Problem(source, line, column, "", "binary file (NUL byte)")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(data, error.start)
        message = f"not valid UTF-8 (byte 0x{data[error.start]:02x})"
        raise DocumentError([Problem(source, line, column, "", message)]) from None
    return text.removeprefix(_BOM)


def write_atomic(
    path: str | os.PathLike[str],
    text: str,
    *,
    expected: FileState | None = None,
    within: str | os.PathLike[str] | None = None,
    durable: bool = True,
) -> None:
    """Replace the file at ``path`` with ``text``: readers see the old file or the new,
    never half, and nobody's change is overwritten.

    ``expected`` is the file as the caller read it (:func:`read_with_state`,
    :func:`file_state`); without it, as it is when this starts. Just before the rename the
    file on disk is compared with it (device, inode, mode, size, modification time and
    every byte): if it changed, or appeared, nothing is replaced and
    :class:`ConcurrentEditError` is raised. A new file is put in place with a hard link,
    which fails if another appeared at the last moment; an existing file is replaced with
    ``os.replace``, so that a change landing in the microseconds between the comparison and
    the rename is the one thing this cannot see. A symbolic link is written through (its
    target replaced, the link kept); one leading out of ``within`` (the repository) is
    refused, as are a read-only file and what is not a regular file.

    The text is written as the file it replaces was: its byte order mark, its line breaks
    (:func:`with_line_breaks_of`), its permission bits; a new file gets the umask's.
    It is on disk before it replaces the old one, unless ``durable`` is false (for what can
    be made again, such as a cache, whose reader checks what it reads).
    """
    source = os.fspath(path)
    base = expected if expected is not None else file_state(source, within=within)
    if base.read_only:
        raise UsageError(f"{source}: is read-only; not written")
    data = _encoded(text, base.data)
    try:
        temporary = _write_temporary(base.real_path, data, _mode(base), durable=durable)
    except OSError as error:
        raise UsageError(f"{source}: cannot write: {_os_reason(error)}") from None
    try:
        _put_in_place(temporary, source, base)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def is_temporary_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a temporary file of :func:`write_atomic` (one a killed process
    left behind)."""
    name = Path(path).name
    return name.startswith(_TEMPORARY_PREFIX) and name.endswith(_TEMPORARY_SUFFIX)


def with_line_breaks_of(original: str, text: str) -> str:
    """``text`` with the line breaks of ``original``, the file it replaces.

    Each line of ``text`` that ``original`` has (in order, as difflib matches them) keeps its
    line break there, CRLF or LF; any other line gets the break most of ``original``'s lines
    end with. If ``original`` does not end with a line break, neither does the result.
    """
    if "\r\n" in original:
        old_lines, old_breaks = _split_lines(original)
        new_lines, _ = _split_lines(text)
        unterminated = text[text.rfind("\n") + 1 :]
        usual = "\r\n" if 2 * old_breaks.count("\r\n") >= len(old_breaks) else "\n"
        breaks = [usual] * len(new_lines)
        for old_start, new_start, size in matching_blocks(old_lines, new_lines):
            breaks[new_start : new_start + size] = old_breaks[old_start : old_start + size]
        text = "".join(map("".join, zip(new_lines, breaks, strict=True))) + unterminated
    if original and not original.endswith("\n") and text.endswith("\n"):
        text = text.removesuffix("\n").removesuffix("\r")
    return text


def _split_lines(text: str) -> tuple[list[str], list[str]]:
    """The lines of ``text`` that end with a line feed, without their breaks, and the
    breaks."""
    pieces = text.split("\n")[:-1]
    lines = [piece.removesuffix("\r") for piece in pieces]
    return lines, ["\r\n" if piece.endswith("\r") else "\n" for piece in pieces]


def _encoded(text: str, replaced: bytes | None) -> bytes:
    """``text`` as the bytes to write in place of ``replaced`` (None: a new file)."""
    if replaced is None:
        return text.encode("utf-8")
    old_text = replaced.decode("utf-8", errors="replace")
    bom = _BOM if old_text.startswith(_BOM) else ""
    return (bom + with_line_breaks_of(old_text.removeprefix(_BOM), text)).encode("utf-8")


def _mode(base: FileState) -> int:
    """The permission bits to write with: the replaced file's, or the umask's default."""
    if base.stamp is not None:
        return stat.S_IMODE(base.stamp[2])
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_temporary(target: Path, data: bytes, mode: int, *, durable: bool) -> Path:
    """A new file beside ``target`` holding ``data``, flushed to disk if ``durable``."""
    handle, name = tempfile.mkstemp(
        dir=target.parent,
        prefix=f"{_TEMPORARY_PREFIX}{target.name[:_NAME_KEPT]}.",
        suffix=_TEMPORARY_SUFFIX,
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.chmod(name, mode)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _put_in_place(temporary: Path, source: str, base: FileState) -> None:
    """Rename ``temporary`` over the file ``source`` if that is still as ``base`` saw it."""
    if _resolved(source) != base.real_path:
        raise ConcurrentEditError(f"{source}: now links elsewhere; not overwritten")
    try:
        now = _state(source, base.real_path, limit=None)
    except _NotAFile as refusal:
        raise ConcurrentEditError(f"{source}: {refusal} now; not overwritten") from None
    except OSError as error:
        raise UsageError(f"{source}: {_os_reason(error)}; not written") from None
    if now.stamp != base.stamp or now.data != base.data:
        raise ConcurrentEditError(f"{source}: {_changed(base)}; not overwritten")
    try:
        if base.data is None:
            try:
                os.link(temporary, base.real_path)  # fails if a file appeared meanwhile
                return
            except FileExistsError:
                raise ConcurrentEditError(f"{source}: {_changed(base)}; not overwritten") from None
            except OSError:
                pass  # no hard links on this file system (FAT, some shares): rename instead
        os.replace(temporary, base.real_path)
    except OSError as error:
        raise UsageError(f"{source}: cannot write: {_os_reason(error)}") from None


def _changed(base: FileState) -> str:
    return "was created meanwhile" if base.data is None else "changed on disk since it was read"


_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
"""How a file is opened: never waiting (a FIFO with no writer, a terminal line), never
becoming the controlling terminal, and never through a link put in place of the resolved
path after it was resolved."""

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class _NotAFile(Exception):
    """What is at a path is not a regular file, or was swapped while it was opened."""


def _state(source: str, real_path: Path, *, limit: int | None) -> FileState:
    """What is at ``real_path`` now: ``limit`` + 1 bytes at most (all if None).

    What is not a regular file is refused before it is opened, and again on the descriptor,
    so that a file swapped for a FIFO or another file in between is refused too
    (:class:`_NotAFile`); OSError for what cannot be opened.
    """
    try:
        expected = os.stat(real_path)
    except (FileNotFoundError, NotADirectoryError):  # no file there
        return FileState(source, real_path, None, None)
    _refuse_unless_regular(expected)
    handle = os.open(real_path, _READ_FLAGS)
    with os.fdopen(handle, "rb") as stream:
        status = os.fstat(handle)
        _refuse_unless_regular(status)
        if (status.st_dev, status.st_ino) != (expected.st_dev, expected.st_ino):
            raise _NotAFile("changed while being read")
        data = stream.read() if limit is None else stream.read(limit + 1)
        status = os.fstat(handle)  # after reading: a write during the read changes it
    stamp = (status.st_dev, status.st_ino, status.st_mode, status.st_size, status.st_mtime_ns)
    return FileState(source, real_path, data, stamp)


def _refuse_unless_regular(status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = _KINDS.get(stat.S_IFMT(status.st_mode), "a special file")
        raise _NotAFile(f"is {kind}, not a file")


def _refuse(source: str, message: str) -> NoReturn:
    """Refuse the whole file: the problem has no line or column (0:0)."""
    raise DocumentError([Problem(source, 0, 0, "", message)]) from None


def _resolved(source: str) -> Path:
    return Path(os.path.realpath(source))


def _inside(real_path: Path, within: str | os.PathLike[str]) -> bool:
    return real_path.is_relative_to(os.path.realpath(within))


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _os_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)
