"""Regular expressions that run in linear time, whatever the text and whatever the pattern.

Patterns written in a repository's policy (placeholders, redactions) are hostile input, and
so is every text they are run on: with a backtracking engine, ``(a+)+$`` hangs a hook for
ever. Every such pattern, and the secret scanner's, is compiled here with RE2, which
guarantees time linear in the text. RE2 has no backreferences or lookaround; a pattern that
needs them is a located policy error, not a slow run.
"""

from collections.abc import Callable, Iterator
from functools import cache
from typing import Protocol

import attrs

__all__ = ["Match", "Pattern", "PatternError", "compile_linear"]

_MAX_PROGRAM_BYTES = 8 << 20
"""The memory RE2 may use for one compiled pattern; a larger one is refused."""


class PatternError(ValueError):
    """A pattern RE2 cannot run; the message says why."""


class Match(Protocol):
    def __getitem__(self, group: int | str) -> str | None: ...
    def group(self, index: int = 0) -> str: ...
    def groups(self) -> tuple[str | None, ...]: ...
    def groupdict(self) -> dict[str, str | None]: ...
    def start(self, index: int = 0) -> int: ...
    def end(self, index: int = 0) -> int: ...
    @property
    def lastgroup(self) -> str | None: ...


class Pattern(Protocol):
    @property
    def pattern(self) -> str: ...
    @property
    def groups(self) -> int: ...
    def search(self, text: str) -> Match | None: ...
    def finditer(self, text: str) -> Iterator[Match]: ...
    def sub(self, replacement: str | Callable[[Match], str], text: str) -> str: ...


@cache
def compile_linear(pattern: str) -> Pattern:
    """``pattern`` compiled with RE2; :class:`PatternError` if RE2 cannot run it."""
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_PROGRAM_BYTES
    try:
        compiled: Pattern = re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else str(error)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"not a regular expression RE2 can run: {reason}") from None
    return _Encodable(compiled)


_SURROGATES = dict.fromkeys(range(55296, 57344), "�")


def _encodable(text: str) -> str:
    """``text`` as RE2 can take it (UTF-8): a file name's undecodable bytes, kept as lone
    surrogates, become U+FFFD one for one, so that offsets stay the same."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.translate(_SURROGATES)
    return text


@attrs.frozen
class _Encodable:
    """An RE2 pattern that accepts any Python string."""

    compiled: Pattern

    @property
    def pattern(self) -> str:
        return self.compiled.pattern

    @property
    def groups(self) -> int:
        return self.compiled.groups

    def search(self, text: str) -> Match | None:
        return self.compiled.search(_encodable(text))

    def finditer(self, text: str) -> Iterator[Match]:
        return self.compiled.finditer(_encodable(text))

    def sub(self, replacement: str | Callable[[Match], str], text: str) -> str:
        return self.compiled.sub(replacement, _encodable(text))
