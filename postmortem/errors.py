"""Exceptions raised by postmortem, and the located :class:`Problem` they carry."""

from collections.abc import Sequence
from enum import Enum

import attrs

from postmortem._shown import shown_path
from postmortem._terminal import terminal_text

__all__ = [
    "ConcurrentEditError",
    "DocumentError",
    "Finding",
    "LayoutError",
    "Level",
    "PolicyError",
    "PostMortemError",
    "Problem",
    "UsageError",
]


class Level(str, Enum):
    """How much a finding weighs: errors fail the hook, warnings are only shown."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Problem:
    """One thing wrong with an input, located in its source.

    ``line`` and ``column`` count from 1; 0 means the position is unknown.
    ``path`` is the dotted field path inside the document (``action_items[2].owner``),
    empty for the document as a whole. Its text form is one line for a terminal, control
    characters escaped.
    """

    source: str
    line: int
    column: int
    path: str
    message: str

    @property
    def place(self) -> str:
        """``source:line:column:``, the file name quoted as git quotes an unusual one."""
        return f"{shown_path(self.source)}:{self.line}:{self.column}:"

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return terminal_text(f"{self.place} {where}{self.message}")


@attrs.frozen
class Finding:
    """A rule's finding in a document: ``path:line:col: RULE-ID field.path: message``.

    ``level`` is :attr:`Level.ERROR` (fails a hook) or :attr:`Level.WARNING` (shown only).
    Its text form is one line for a terminal, control characters escaped.
    """

    source: str
    line: int
    column: int
    rule: str
    path: str
    message: str
    level: Level = Level.ERROR

    @property
    def place(self) -> str:
        """``source:line:column:``, the file name quoted as git quotes an unusual one."""
        return f"{shown_path(self.source)}:{self.line}:{self.column}:"

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        shown = f"{self.place} {self.rule} {where}{self.message}"
        return terminal_text(shown if self.level is Level.ERROR else f"{shown} (warning)")


class PostMortemError(Exception):
    """Base class of every error this library raises on purpose."""


class DocumentError(PostMortemError):
    """A document (or policy file) could not be read; ``problems`` lists every reason found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple[type["DocumentError"], tuple[tuple[Problem, ...]]]:
        return type(self), (self.problems,)


class PolicyError(DocumentError):
    """The repository policy file is not valid; ``problems`` locates each reason."""


class UsageError(PostMortemError):
    """The caller asked for something that cannot be done, such as overwriting a file."""


class LayoutError(UsageError):
    """A layout could not be rendered (a team's layout with a syntax error, an undefined name,
    a missing include, an unsafe attribute, or past a bound of time, memory or output);
    ``problem`` locates it in the layout."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))

    def __reduce__(self) -> tuple[type["LayoutError"], tuple[Problem]]:
        return type(self), (self.problem,)


class ConcurrentEditError(UsageError):
    """A file changed on disk after it was read and before it was to be replaced: it is
    left as it is, the new text not written, so that nobody's change is overwritten."""
