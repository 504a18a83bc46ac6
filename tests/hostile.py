"""Hostile inputs, shared by the tests and ``bench/run.py --sections hostile``.

Each case is a file name and a function that writes the file into a folder (or, for
files that are not plain files, makes it there); big cases are built when asked for,
not at import.
"""

import multiprocessing
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

VALID_HEAD = "schema_version: 1\nprofile: postmortem\nmetadata:\n  id: INC-1\n  title: T\n"


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    return "\n".join(lines) + "\n"


VALUE_CASES: dict[str, Callable[[], bytes]] = {
    "impossible-date.yaml": lambda: (VALID_HEAD + "  created: 2024-02-30\n").encode(),
    "month-13.yaml": lambda: (VALID_HEAD + "  created: 2024-13-01\n").encode(),
    "year-zero.yaml": lambda: (VALID_HEAD + "  created: 0000-01-01\n").encode(),
    "year-10000.yaml": lambda: (VALID_HEAD + "  created: 10000-01-01\n").encode(),
    "absurd-offset.yaml": lambda: (
        VALID_HEAD + "  incident_start: 2024-05-01 10:00:00+99:00\n"
    ).encode(),
    "huge-integer.yaml": lambda: (
        VALID_HEAD + "impact:\n  users_affected: " + "9" * 5000 + "\n"
    ).encode(),
    "huge-float.yaml": lambda: (
        VALID_HEAD + "impact:\n  users_affected_percent: " + "9" * 5000 + ".5\n"
    ).encode(),
    "nan.yaml": lambda: (VALID_HEAD + "impact:\n  users_affected_percent: .nan\n").encode(),
    "inf.yaml": lambda: (VALID_HEAD + "impact:\n  users_affected_percent: .inf\n").encode(),
    "minus-inf.yaml": lambda: (VALID_HEAD + "impact:\n  users_affected_percent: -.inf\n").encode(),
    "terminal-escapes.yaml": lambda: (
        VALID_HEAD + '  "\\e]0;owned\\a\\e[2J\\rINC-1.yaml:1:1: ok\\u202e\\x9b": x\n'
    ).encode(),
}
"""Documents with a value no field can hold (or a key no terminal should see as is): refused
on one line located at the value, with its field path."""

YAML_CASES: dict[str, Callable[[], bytes]] = {
    "alias-bomb.yaml": lambda: _alias_bomb().encode(),
    "deep-flow.yaml": lambda: b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "deep-block.yaml": lambda: b"a:\n  " + b"- " * 10_000 + b"x\n",
    "huge-file.yaml": lambda: (
        VALID_HEAD + "summary:\n  text: |\n" + "    x\n" * 9_000_000
    ).encode(),
    "enormous-scalar.yaml": lambda: (VALID_HEAD + "  severity: " + "S" * 4_000_000 + "\n").encode(),
    "python-tag.yaml": lambda: (
        VALID_HEAD + "summary: !!python/object/apply:os.system ['echo pwned']\n"
    ).encode(),
    "custom-tag.yaml": lambda: (VALID_HEAD + "summary: !incident {text: hi}\n").encode(),
    "duplicate-keys.yaml": lambda: (VALID_HEAD + "  title: again\n").encode(),
    "tabs.yaml": lambda: (VALID_HEAD + "summary:\n\ttext: hi\n").encode(),
    "invalid-utf8.yaml": lambda: VALID_HEAD.encode() + b"summary: {text: \xff\xfe}\n",
    "binary.yaml": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "empty.yaml": lambda: b"",
    "only-comments.yaml": lambda: b"# nothing here\n# at all\n",
    "top-level-list.yaml": lambda: b"- profile: postmortem\n",
    "top-level-scalar.yaml": lambda: b"just words\n",
    "wrong-types.yaml": lambda: (VALID_HEAD + "action_items: {not: a list}\n").encode(),
    "secret-scanner-bait.yaml": lambda: (
        VALID_HEAD + "  notes: " + "eyJ" * 150_000 + " " + "a://b:" * 100_000 + "\n"
    ).encode(),
    **VALUE_CASES,
}
"""Inputs that every command must refuse with one located line and exit 1."""

MARKDOWN_CASES: dict[str, Callable[[], bytes]] = {
    "huge-table.md": lambda: (
        "# Post-Mortem: big\n\n## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n"
        + "".join(f"| 2024-01-01 00:{n % 60:02d} | event {n} |\n" for n in range(5_000))
    ).encode(),
    "unclosed-fence.md": lambda: b"# Post-Mortem: x\n\n## Summary\n\n```\nnever closed\n" * 2000,
    "nested-lists.md": lambda: b"# Post-Mortem: x\n\n## Summary\n\n" + b"- " * 10_000 + b"deep\n",
    "deep-quotes.md": lambda: (">" * 50_000 + " deep\n").encode(),
    "html.md": lambda: (
        b"# Post-Mortem: x\n\n<script>alert(1)</script>\n\n## Summary\n\n<div><b>hi</div>\n"
        + b"<!--" * 10_000
    ),
    "adversarial-1mb.md": lambda: _adversarial_markdown(70_000).encode(),
}
"""Markdown that ``postmortem import`` must read, or refuse on one line, without hanging."""


def _adversarial_markdown(size: int) -> str:
    """A post-mortem of about 15 x ``size`` characters, made of every shape that made a pattern
    of the import backtrack: long runs of what a pattern repeats, without what ends it."""
    run = " " * size
    return (
        "\n\n".join(
            [
                "# Post-Mortem: adversarial",
                f"**Incident Date(s)**: x{run}y",  # the date range: "x - y"
                f"**Authors**: {',' * size}",  # commas between people, outside parentheses
                f"**Authors**: a{run}x",
                "**Authors**: " + "a - " * (size // 4) + "(",  # a role, a name, a contact
                f"**Severity**: a{run}x",  # a choice among "Low | Medium"
                "## Summary",
                f"TBD{run}x",  # what is left around placeholders
                "## Impact",
                f"Owner: a{run}b",  # a key line without bold
                f"**Duration**: {'1' * size}",
                "## Timeline",
                f"| Time (UTC) | Event |\n|---|---|\n| a{run}b | e |",  # a time ending in UTC
                "## Action Items",
                f"- **Action**{run}\n  y\n  z",  # a bold key line, its value on later lines
                "## Technical Details",
                f"**Logs**: {'`' * size}x",  # a value written as one code span
                "## References",
                "### External",
                "[" * size,  # links in a paragraph
                "[a](" * (size // 4),
                "- [" + "](a" * (size // 3) + "x",  # a link item
                "## " + "(" * size,  # a heading with a parenthetical
            ]
        )
        + "\n"
    )


def _socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(os.fspath(path))


SPECIAL_CASES: dict[str, Callable[[Path], Any]] = {
    "fifo.yaml": os.mkfifo,
    "socket.yaml": _socket,
    "dev-zero.yaml": lambda path: path.symlink_to("/dev/zero"),
    "fifo.md": os.mkfifo,
    "dev-urandom.md": lambda path: path.symlink_to("/dev/urandom"),
}
"""Files that are not plain files, made in the folder: every command refuses them at once,
neither reading them nor waiting on them (a FIFO with no writer blocks a plain open for
ever, a device never ends). Their names say which commands get them: ``.md`` the import."""


def write_case(folder: Path, name: str) -> Path:
    """The case ``name`` written (or made) in ``folder``."""
    path = folder / name
    if name in SPECIAL_CASES:
        SPECIAL_CASES[name](path)
    else:
        path.write_bytes({**YAML_CASES, **MARKDOWN_CASES}[name]())
    return path


def finishes_within(seconds: float, function: Callable[..., T], *args: Any) -> T:
    """``function(*args)``, run in a child process that is killed if it is not done in
    ``seconds``: a guard against hanging, not a measure of speed (``bench/run.py`` measures).
    What it raises is raised here as an AssertionError that names it."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_send_outcome, args=(sender, function, args))
    child.start()
    try:
        if not receiver.poll(seconds):
            raise AssertionError(f"{function.__name__} still running after {seconds} s")
        returned, outcome = receiver.recv()
    finally:
        child.kill()
        child.join()
    if not returned:
        raise AssertionError(f"{function.__name__} raised {outcome}")
    result: T = outcome
    return result


def _send_outcome(sender: Any, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        outcome = (True, function(*args))
    except Exception as error:
        outcome = (False, f"{type(error).__name__}: {error}")
    sender.send(outcome)
