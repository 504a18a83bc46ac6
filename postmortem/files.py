"""Reading inputs safely and writing outputs atomically."""

import contextlib
import os
import stat
import tempfile
from pathlib import Path

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
    """Read a UTF-8 text file, refusing what is missing, too large, binary or not UTF-8, and
    a link that leads out of the folder ``within`` (the repository)."""
    source = os.fspath(path)
    if within is not None:
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(os.path.realpath(within)):
            message = f"links to {target}, outside the repository {within}; not read"
            raise DocumentError([Problem(source, 0, 0, "", message)])
    try:
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as error:
        raise DocumentError([Problem(source, 0, 0, "", _os_reason(error))]) from None
    return decode_text(data, source, max_bytes=max_bytes)


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
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)
