"""Hostile inputs, shared by the tests and ``bench/run.py --sections hostile``.

Each file case is a file name and a function that writes the file into a folder (or, for
files that are not plain files, makes it there); big cases are built when asked for, not
at import. The git cases are file names and commits as an attacker can put them in a
repository.
"""

import multiprocessing
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from postmortem._terminal import CONTROL_CHARACTERS

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


LAYOUT_CASES: dict[str, tuple[str, int, str]] = {
    "endless-loop": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        1,
        "did not finish within",
    ),
    # One long operation in C, which no signal interrupts: the worker is killed.
    "long-operation": ("{{ (10 ** (10 ** 8)) > 1 }}", 0, "did not finish within"),
    "huge-string": ('{% set text = "a" * 10 ** 9 %}{{ text | length }}', 1, "MB of memory"),
    "doubling-string": (
        '{% set ns = namespace(text="a") %}{% for i in range(64) %}'
        "{% set ns.text = ns.text ~ ns.text %}{% endfor %}{{ ns.text | length }}",
        1,
        "MB of memory",
    ),
    "recursive-macro": (
        "{% macro deeper(n) %}{{ deeper(n + 1) }}{% endmacro %}{{ deeper(0) }}",
        1,
        "recursed too deeply",
    ),
    "flood": ('{% for i in range(100000) %}{{ "x" * 1000 }}{% endfor %}', 0, "wrote more than"),
    "class-probe": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", 1, "is unsafe"),
    "helper-globals": ("{{ section.__globals__ }}", 1, "is unsafe"),
    "format-probe": ("{{ '{0.__class__}'.format(doc) }}", 1, "is unsafe"),
    "mutating-method": ("{{ doc.add_action_item }}", 1, "is unsafe"),
    "undefined-name": ("# Title\n\n{{ no_such_name }}\n", 3, "'no_such_name' is undefined"),
    "syntax-error": ("# Title\n{% if %}\n", 2, "syntax error"),
    "missing-include": ('{% include "missing.md.j2" %}', 1, "no layout 'missing.md.j2'"),
    "include-out": ('{% include "../../../../etc/passwd" %}', 1, "no layout"),
    "division": ("{{ 1 / 0 }}", 1, "ZeroDivisionError: division by zero"),
    "terminal-escape": (
        '{{ {}["\\x1b]0;pwned\\x07\\x1b[2J"] }}',
        1,
        "has no attribute '\\x1b]0;pwned\\x07\\x1b[2J'",
    ),
}
"""A team's layouts (the policy's ``templates``) that must be stopped and reported as one
located line, exit 2: text, the line reported (0 when no line can be told) and a part of
the message."""


def write_layout_case(folder: Path, name: str) -> Path:
    """A repository in ``folder`` whose policy names a layouts folder holding the hostile
    layout ``name`` for the postmortem profile; returns the document to render."""
    (folder / "layouts").mkdir(parents=True)
    (folder / ".postmortem.yaml").write_text("templates: layouts\n", encoding="utf-8")
    layout, _, _ = LAYOUT_CASES[name]
    (folder / "layouts" / "postmortem.md.j2").write_text(layout, encoding="utf-8")
    document = folder / "INC-1.yaml"
    document.write_text(VALID_HEAD, encoding="utf-8")
    return document


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


FILE_NAMES: dict[str, str] = {
    "newline": "new\nline.yaml",
    "carriage-return": "carriage\rreturn.yaml",
    "tab": "tab\there.yaml",
    "escape-sequence": "\x1b[31mred\x1b[0m.yaml",
    "double-quotes": '"quoted".yaml',
    "single-quotes": "'quoted'.yaml",
    "backslash": "back\\slash.yaml",
    "leading-dash": "-rf.yaml",
    "long-option": "--output=x.yaml",
    "glob": "*.yaml",
    "pathspec-magic": ":(glob)**.yaml",
    "index-stage": "1:x.yaml",
    "revision": "HEAD:x.yaml",
    "spaces": " spaced out .yaml",
    "not-utf8": os.fsdecode(b"caf\xe9 \xff.yaml"),
    "unicode": "panne \u00e9 \u4e8b\u6545.yaml",
    "markdown": "|table| *em* <b>.yaml",
    "format-codes": "%s %n %x00 {}.yaml",
}
"""File names git stores and a shell can write (at the repository root), each a trap for
whatever parses git's output or hands names on: line breaks, quotes, option, pathspec and
revision look-alikes, bytes that are not UTF-8."""

_WHEN = b" 1714550400 +0000"
_COMMITTER = b"committer Mallory <mallory@example.com>" + _WHEN + b"\n"


def _commit(author: bytes, message: bytes, headers: bytes = b"", *, when: bytes = _WHEN) -> bytes:
    return b"author " + author + when + b"\n" + _COMMITTER + headers + b"\n" + message


COMMITS: dict[str, bytes] = {
    "markdown-table": _commit(
        b"Mallory | *Admin* <mal|lory@example.com>",
        b"Fix | the *table* _now_ <b>bold</b> `code` [x](javascript:alert(1)) \\ #\n",
    ),
    "control-characters": _commit(
        b"Eve \x1b[31mred\x1b[0m <eve\x07@example.com>",
        b"\x1b]0;pwned\x07\x1b[2J clears the screen\x08\x7f\n",
    ),
    "old-separators": _commit(b"Sep\x1e\x1f\x1d <sep\x1e@example.com>", b"a\x1eb\x1fc\x1dd\n"),
    "not-utf8": _commit(b"M\xffllory <m\xfe@example.com>", b"caf\xe9 in Latin-1\n"),
    "declared-encoding": _commit(
        b"J\xfcrgen <j@example.com>", b"Gr\xfc\xdfe\n", b"encoding ISO-8859-1\n"
    ),
    "unknown-encoding": _commit(
        b"Kim <kim@example.com>", b"\xfe\xff\n", b"encoding no-such-charset\n"
    ),
    "multi-line-subject": _commit(
        b"Lee <lee@example.com>", b"first line\r\nsecond line, same paragraph\n\nbody\n"
    ),
    "option-like": _commit(b"-rf <--output=x@example.com>", b"--format=%H%x00\n"),
    "format-codes": _commit(b"%aN %x00 <%ae@example.com>", b"%s %n %x1f %(trailers) {0}\n"),
    "no-address": _commit(b"Nobody", b"author without an address\n"),
    "date-overflow": _commit(
        b"Old <old@example.com>", b"a date past any year\n", when=b" 99999999999999 +0000"
    ),
    "date-garbage": _commit(
        b"Odd <odd@example.com>", b"no date at all\n", when=b" notanumber +0000"
    ),
    "zone-out-of-range": _commit(
        b"Far <far@example.com>", b"a zone of 99 hours\n", when=b" 1714550400 +9999"
    ),
    "co-authors": _commit(
        b"Pat <pat@example.com>",
        b"Pair work\n\n"
        b"Co-authored-by: Eve | *x* <eve@example.com>\n"
        b"Co-authored-by: no address at all\n"
        b"Co-authored-by: <only@example.com>\n"
        b"Co-authored-by: -rf <dash@example.com>\n"
        b"Co-authored-by: Folded\n  Name <fold@example.com>\n"
        b"Co-authored-by: Sep\x1e\x1d <sep@example.com>\n"
        b"Co-authored-by: M\xffllory <m@example.com>\n",
    ),
    "long-subject": _commit(b"Long <long@example.com>", b"x" * 100_000 + b"\n"),
    "empty-message": _commit(b"Quiet <quiet@example.com>", b""),
}
"""Commits as an attacker can write them (``git hash-object --literally``): the lines after
``tree`` and ``parent``, and the message, with bytes ``git commit`` itself would refuse."""
LOCATED = re.compile(r"^(?P<file>\S+?):(?P<line>\d+):(?P<column>\d+): (?P<rest>.*)$")


class _Captured(Protocol):
    out: str
    err: str


def one_located_line(captured: _Captured) -> re.Match[str]:
    """What a command printed: exactly one short ``file:line:col: message`` line (see
    :func:`located_line`)."""
    return located_line(captured.out + captured.err)


def located_line(output: str) -> re.Match[str]:
    """``output`` is exactly one short ``file:line:col: message`` line, without a traceback or
    a control character that a terminal would act on."""
    lines = output.splitlines()
    assert len(lines) == 1, lines[:3]
    assert not CONTROL_CHARACTERS & set(output.removesuffix("\n")), repr(output)
    assert len(lines[0]) < 300
    assert "Traceback" not in lines[0]
    located = LOCATED.match(lines[0])
    assert located is not None, lines[0]
    return located


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
