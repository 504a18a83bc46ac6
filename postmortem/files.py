"""Reading inputs safely and writing outputs atomically."""

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import NoReturn

from postmortem.errors import DocumentError, Problem

__all__ = ["DEFAULT_MAX_BYTES", "decode_text", "read_text", "write_atomic"]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
"""Largest input file read by default; a post-mortem is rarely over 100 KB."""


def read_text(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    within: str | os.PathLike[str] | None = None,
) -> str:
    """Read a UTF-8 text file, refusing what is missing, too large, binary or not UTF-8, a
    link that leads out of the folder ``within`` (the repository), and anything that is not
    a regular file (a FIFO, a device, a socket), which is neither read nor waited on.

    The path is resolved as the operating system resolves it (``a/../b`` where ``a`` is a
    link leaves from where ``a`` leads). The file is opened without blocking and its
    descriptor checked again, so that a file swapped for a FIFO or for another file between
    the check and the read is refused too.
    """
    source = os.fspath(path)
    target = os.path.realpath(path)
    if within is not None and not Path(target).is_relative_to(os.path.realpath(within)):
        _refuse(source, f"links to {target}, outside the repository {within}; not read")
    try:
        expected = os.stat(target)
        _refuse_unless_regular(source, expected)
        descriptor = os.open(target, _READ_FLAGS)
    except OSError as error:
        _refuse(source, _os_reason(error))
    with os.fdopen(descriptor, "rb") as stream:
        opened = os.fstat(descriptor)
        _refuse_unless_regular(source, opened)
        if (opened.st_dev, opened.st_ino) != (expected.st_dev, expected.st_ino):
            _refuse(source, "changed while being read; not read")
        try:
            data = stream.read(max_bytes + 1)
        except OSError as error:
            _refuse(source, _os_reason(error))
    return decode_text(data, source, max_bytes=max_bytes)


_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
"""How an input is opened: never waiting (a FIFO with no writer, a terminal line), never
becoming the controlling terminal, and never through a link put in place of the resolved
path after it was resolved."""

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _refuse_unless_regular(source: str, status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = _KINDS.get(stat.S_IFMT(status.st_mode), "a special file")
        _refuse(source, f"is {kind}, not a file; not read")


def _refuse(source: str, message: str) -> NoReturn:
    """Refuse the whole file: the problem has no line or column (0:0)."""
    raise DocumentError([Problem(source, 0, 0, "", message)]) from None


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
    return text.removeprefix("\ufeff")


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old file or the new, never half.

    The file keeps its permission bits; a new file gets the umask's default.
    """
    target = Path(path)
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _os_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)
