"""No super-linear work on hostile text (issue 13, class 9).

Each pattern of the import, the converter, the Markdown escapes and the checks that could
backtrack is run on the text that made it (or would make it) backtrack: a long run of what
it repeats, without what ends it. Before the rewrite, the first of these took hours; each
must now finish at once. ``finishes_within`` is a hang guard, not a timing: the benchmark
(``bench/run.py --sections hostile``) measures the 1 MB import against its 2 s target.
"""

from collections.abc import Callable
from typing import Any

import pytest

from postmortem import converter, importer, leaks, recognise
from postmortem.errors import DocumentError
from postmortem.model import Ioc, IocType, Severity, indicators
from postmortem.render import markdown
from tests.hostile import finishes_within

RUN = 200_000
"""Characters in each adversarial run: quadratic work on it is 4e10 steps, cubic far more."""
SPACES = " " * RUN
HANG_GUARD = 20


def _refusal(function: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The message ``function(*args, **kwargs)`` raises, for a run in a child process."""
    try:
        function(*args, **kwargs)
    except (ValueError, DocumentError) as error:
        return str(error)
    raise AssertionError("not refused")


_CASES: dict[str, tuple[Callable[[], Any], Any]] = {
    "placeholder, then a run of separators": (
        lambda: importer._placeholder(f"TBD{SPACES}x"),
        False,
    ),
    "placeholder, then only separators": (lambda: importer._placeholder(f"TBD{SPACES}"), True),
    "bold key, spaces, and lines after": (
        lambda: importer._key_pair(f"**Owner**{SPACES}\ny\nz"),
        None,
    ),
    "bold key, colon, spaces, and lines after": (
        lambda: importer._key_pair(f"**Owner**:{SPACES}\ny\nz"),
        None,
    ),
    "plain key, spaces inside the value": (
        lambda: importer._plain_key_line(f"Owner: a{SPACES}b"),
        ("Owner", f"a{SPACES}b"),
    ),
    "plain key, spaces, and a line after": (
        lambda: importer._plain_key_line(f"Owner: a{SPACES}\nb\nc"),
        None,
    ),
    "inline links: open brackets": (
        lambda: [found.group() for found in importer._INLINE_LINK.finditer("[" * RUN)],
        [],
    ),
    "inline links: unclosed targets": (
        lambda: [found.group() for found in importer._INLINE_LINK.finditer("[a](" * RUN)],
        [],
    ),
    "inline links: unclosed angle brackets": (
        lambda: [found.group() for found in importer._INLINE_LINK.finditer("<http:" * RUN)],
        [],
    ),
    "a link item with many label ends": (
        lambda: importer._link("[" + "](a" * RUN + "x"),
        {"url": "[" + "](a" * RUN + "x"},
    ),
    "a heading of open parentheses": (
        lambda: importer._PARENTHETICAL.sub("", "(" * RUN),
        "(" * RUN,
    ),
    "a date range without its dash": (lambda: importer._RANGE.search(f"x{SPACES}y"), None),
    "people: commas": (lambda: len(importer._people("," * RUN)), RUN + 1),
    "people: spaces": (lambda: importer._people(f"a{SPACES}x"), [f"a{SPACES}x"]),
    "a person: roles and an unclosed contact": (
        lambda: importer._person("a - " * RUN + "("),
        {"name": ("a - " * RUN + "(").strip()},
    ),
    "a choice: spaces without a separator": (
        lambda: _refusal(importer._choice, Severity, f"a{SPACES}x"),
        f"a{SPACES}x",
    ),
    "a code span: a run of backticks": (
        lambda: importer._code_span_content("`" * RUN + "x"),
        "`" * RUN + "x",
    ),
    "a time: spaces before the end": (
        lambda: importer._utc_as_offset(f"a{SPACES}b"),
        f"a{SPACES}b",
    ),
    "a heading: numbering that never ends": (
        lambda: importer.normalize("1." * RUN + "x"),
        "1 " * RUN + "x",
    ),
    "a duration: a run of digits": (
        lambda: _refusal(converter.parse_duration, "1" * RUN).split(":")[0],
        "not a duration",
    ),
    "a duration: digits and spaces without a unit": (
        lambda: _refusal(converter.parse_duration, f"1{SPACES}").split(":")[0],
        "not a duration",
    ),
    "Markdown escape: a run of markup": (lambda: len(markdown.escape_inline("*" * RUN)), 2 * RUN),
    "Markdown escape: indented digits": (
        lambda: markdown.escape_line(f"{SPACES}{'1' * RUN}x"),
        "1" * RUN + "x",
    ),
    "leak check tokens: a word, then dots": (
        lambda: [token.group() for token in leaks._TOKEN.finditer("a" + "." * RUN)],
        [],
    ),
    "ATT&CK tactic: a run of words, then a digit": (
        lambda: _refusal(indicators.check_tactic, "Initial Access " * (RUN // 15) + "1")[:24],
        "not an ATT&CK tactic: 'I",
    ),
    "ATT&CK technique ids in text: a run of T and digits": (
        lambda: [found.group() for found in recognise.TECHNIQUE_IN_TEXT.finditer("T1" * RUN)],
        [],
    ),
    "CVE numbers in text: a run of CVE-": (
        lambda: [found.group() for found in recognise.CVE.finditer("CVE-2024-" * RUN)],
        [],
    ),
    "IOC values: a run of defanged dots of every type": (
        lambda: sorted(
            {_refusal(Ioc, type=kind, value="a[.]" * RUN + "-")[:6] for kind in _CHECKED_TYPES}
        ),
        ["not a ", "not an"],
    ),
    "IOC values: a URL with a run of spaces, an e-mail address with a run of labels": (
        lambda: [
            _refusal(Ioc, type=IocType.URL, value=f"hxxps://a/{SPACES}b")[:10],
            _refusal(Ioc, type=IocType.EMAIL, value="a@" + "a." * RUN + "-")[:10],
        ],
        ["not a URL:", "not an e-m"],
    ),
}
_CHECKED_TYPES = [
    kind
    for kind in IocType
    if kind
    not in (IocType.OTHER, IocType.FILE_NAME, IocType.USER_AGENT, IocType.ACCOUNT, IocType.PROCESS)
]
"""The IOC types whose values have a form (the rest take any line of text)."""


@pytest.mark.parametrize("name", sorted(_CASES))
def test_a_pattern_answers_at_once_on_its_adversarial_text(name: str) -> None:
    work, expected = _CASES[name]
    assert finishes_within(HANG_GUARD, work) == expected


def test_the_rewritten_patterns_read_what_they_read_before() -> None:
    assert importer._key_pair("**Owner**:  Alice ") == ("Owner", "Alice ")
    assert importer._key_pair("- **Owner** Alice") == ("Owner", "Alice")
    assert importer._key_pair("Due date: 2024-05-01 <br> ") == ("Due date", "2024-05-01")
    assert importer._plain_key_line("Owner:\n  Alice\n") == ("Owner", "Alice")
    assert importer._plain_key_line("Owner: a\nb") is None
    assert importer._placeholder("YYYY-MM-DD HH:MM UTC")
    assert importer._placeholder('[Name] or "TBD"')
    assert not importer._placeholder("[Name] was paged")
    assert importer._people("A (x, y), B; C | D") == ["A (x, y)", "B", "C", "D"]
    assert importer._code_span_content("`` `x` ``") == "`x`"
    assert importer._code_span_content("```a``") == "```a``"  # fences of two lengths
    assert importer._utc_as_offset("08:40 UTC") == "08:40+00:00"
