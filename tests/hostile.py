"""Hostile inputs, shared by the tests and ``bench/run.py --sections hostile``.

Each case is a file name and a function that writes the file into a folder;
big cases are built when asked for, not at import.
"""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

VALID_HEAD = "schema_version: 1\nprofile: postmortem\nmetadata:\n  id: INC-1\n  title: T\n"


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    return "\n".join(lines) + "\n"


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


def write_case(folder: Path, name: str) -> Path:
    cases = {**YAML_CASES, **MARKDOWN_CASES}
    path = folder / name
    path.write_bytes(cases[name]())
    return path


LOCATED = re.compile(r"^(?P<file>\S+?):(?P<line>\d+):(?P<column>\d+): (?P<rest>.*)$")


class _Captured(Protocol):
    out: str
    err: str


def one_located_line(captured: _Captured) -> re.Match[str]:
    """What a command printed: exactly one short ``file:line:col: message`` line, no
    traceback."""
    lines = (captured.out + captured.err).splitlines()
    assert len(lines) == 1, lines[:3]
    assert len(lines[0]) < 300
    assert "Traceback" not in lines[0]
    located = LOCATED.match(lines[0])
    assert located is not None, lines[0]
    return located
