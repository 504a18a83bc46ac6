"""Where a command's output goes: a file it checked before starting and writes in one atomic
step, or the terminal, control characters escaped."""

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem._terminal import terminal_text
from postmortem.errors import UsageError

if TYPE_CHECKING:
    from postmortem.files import FileState

__all__ = ["output_state", "write_for_people", "write_output", "write_view"]


def output_state(path: str, inputs: Sequence[str] = (), *, new: bool = False) -> "FileState":
    """The file ``path`` a command is to write, as it is before the command starts (so that
    a change made to it meanwhile is not overwritten). A usage error if it is a folder, one
    of the ``inputs``, a link out of its repository, or (``new``) a file already there."""
    from postmortem.files import file_state
    from postmortem.policy import find_policy

    if os.path.isdir(path):
        raise UsageError(f"{path}: is a folder; name the file to write")
    for name in inputs:
        if os.path.exists(path) and os.path.samefile(path, name):
            raise UsageError(f"{path}: is the input {name}; write to another file")
    state = file_state(path, within=find_policy(path).root)
    if new and state.data is not None:
        raise UsageError(f"{path}: already exists; not overwriting it")
    return state


def write_output(output: "FileState", text: str) -> None:
    """Write ``text`` to a file :func:`output_state` checked, creating its folders."""
    from postmortem.files import write_atomic

    Path(output.path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output.path, text, expected=output)


def write_view(parts: Iterable[str], output_format: str) -> None:
    """A view's output, given a part at a time: JSON and CSV as they are (data), Markdown for
    people."""
    for text in parts:
        if output_format in ("json", "csv"):
            sys.stdout.write(text)
        else:
            write_for_people(text)


def write_for_people(text: str) -> None:
    """Text of many lines for a terminal, its control characters escaped."""
    sys.stdout.write(terminal_text(text, lines=True))
