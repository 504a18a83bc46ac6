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

from postmortem import converter, leaks, recognise
from postmortem.errors import DocumentError
from postmortem.importer import (
    blocks,
    frontmatter,
    import_markdown,
    items,
    meaning,
    rows,
    sections,
    times,
    values,
    vocabulary,
)
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
        lambda: values.placeholder(f"TBD{SPACES}x"),
        False,
    ),
    "placeholder, then only separators": (lambda: values.placeholder(f"TBD{SPACES}"), True),
    "bold key, spaces, and lines after": (
        lambda: blocks.key_pair(f"**Owner**{SPACES}\ny\nz"),
        None,
    ),
    "bold key, colon, spaces, and lines after": (
        lambda: blocks.key_pair(f"**Owner**:{SPACES}\ny\nz"),
        None,
    ),
    "plain key, spaces inside the value": (
        lambda: blocks.plain_key_line(f"Owner: a{SPACES}b"),
        ("Owner", f"a{SPACES}b"),
    ),
    "plain key, spaces, and a line after": (
        lambda: blocks.plain_key_line(f"Owner: a{SPACES}\nb\nc"),
        None,
    ),
    "inline links: open brackets": (
        lambda: [found.group() for found in values.INLINE_LINK.finditer("[" * RUN)],
        [],
    ),
    "inline links: unclosed targets": (
        lambda: [found.group() for found in values.INLINE_LINK.finditer("[a](" * RUN)],
        [],
    ),
    "inline links: unclosed angle brackets": (
        lambda: [found.group() for found in values.INLINE_LINK.finditer("<http:" * RUN)],
        [],
    ),
    "a link item with many label ends": (
        lambda: values.link("[" + "](a" * RUN + "x"),
        {"url": "[" + "](a" * RUN + "x"},
    ),
    "a heading of open parentheses": (
        lambda: sections._PARENTHETICAL.sub("", "(" * RUN),
        "(" * RUN,
    ),
    "a date range without its dash": (lambda: rows._RANGE.search(f"x{SPACES}y"), None),
    "people: commas": (lambda: len(values.people("," * RUN)), RUN + 1),
    "people: spaces": (lambda: values.people(f"a{SPACES}x"), [f"a{SPACES}x"]),
    "a person: roles and an unclosed contact": (
        lambda: values.person("a - " * RUN + "("),
        {"name": ("a - " * RUN + "(").strip()},
    ),
    "a choice: spaces without a separator": (
        lambda: _refusal(values.choice, Severity, f"a{SPACES}x"),
        f"a{SPACES}x",
    ),
    "a code span: a run of backticks": (
        lambda: values.code_span_content("`" * RUN + "x"),
        "`" * RUN + "x",
    ),
    "a time: spaces before the end": (
        lambda: values.utc_as_offset(f"a{SPACES}b"),
        f"a{SPACES}b",
    ),
    "a heading: numbering that never ends": (
        lambda: vocabulary.normalize("1." * RUN + "x"),
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
    "a timeline line: a run of digits and spaces": (
        lambda: times.read_stamp("1" * RUN + SPACES, times.Clock()),
        None,
    ),
    "a zone declaration: times, then capitals": (
        lambda: times.declared_zone("times " + "A" * RUN),
        (None, None),
    ),
    "a heading of many words": (lambda: meaning.heading_meaning("word " * RUN), None),
    "a section's words, all telling": (
        lambda: meaning.content_meaning("fixed " * RUN),
        "response.resolution_steps",
    ),
    "security words: a run of one kind, which is not enough": (
        lambda: meaning.detect_profile([], "attacker " * RUN).profile.value,
        "postmortem",
    ),
    "security words: exposing words and secrets in turn": (
        lambda: meaning.detect_profile([], "leaked token " * (RUN // 13)).profile.value,
        "security-incident-report",
    ),
    "security words: a long phrase's first word, over and over": (
        lambda: meaning.detect_profile([], "personal " * RUN).profile.value,
        "postmortem",
    ),
    "front matter: a key with a long run": (
        lambda: len(frontmatter.front_matter("---\ntitle: " + "x" * RUN + "\n---\n").facts),
        1,
    ),
    "front matter: never closed": (
        lambda: frontmatter.front_matter("---\n" + "a: b\n" * RUN).facts,
        (),
    ),
    "a follow-up: handles and links": (
        lambda: sorted(items.follow_up("@" * RUN + " https://x" * 1000, None)),
        ["action", "ticket"],
    ),
    "an indicator: dots": (lambda: items.indicator("." * RUN), None),
    "a CVE id: its prefix repeated": (lambda: items.cve_ids("CVE-2024-" * RUN), []),
    "an import: many paragraphs above the first section": (
        lambda: import_markdown("_a b_\n\n" * (RUN // 4)).document.summary is not None,
        True,
    ),
    "an import: a cause's paragraph, then many code blocks": (
        lambda: [
            len(cause.description)
            for cause in import_markdown(
                "## Root cause\n\nA.\n\n" + "```\nx\n```\n\n" * (RUN // 12)
            ).document.root_cause.causes  # type: ignore[union-attr]
        ],
        [len("A.\n\n" + "x\n\n" * (RUN // 12 - 1) + "x\n")],
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
        lambda: items.cve_ids("CVE-2024-" * RUN),
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
    assert blocks.key_pair("**Owner**:  Alice ") == ("Owner", "Alice ")
    assert blocks.key_pair("- **Owner** Alice") == ("Owner", "Alice")
    assert blocks.key_pair("Due date: 2024-05-01 <br> ") == ("Due date", "2024-05-01")
    assert blocks.plain_key_line("Owner:\n  Alice\n") == ("Owner", "Alice")
    assert blocks.plain_key_line("Owner: a\nb") is None
    assert values.placeholder("YYYY-MM-DD HH:MM UTC")
    assert values.placeholder('[Name] or "TBD"')
    assert not values.placeholder("[Name] was paged")
    assert values.people("A (x, y), B; C | D") == ["A (x, y)", "B", "C", "D"]
    assert values.code_span_content("`` `x` ``") == "`x`"
    assert values.code_span_content("```a``") == "```a``"  # fences of two lengths
    assert values.utc_as_offset("08:40 UTC") == "08:40+00:00"
