"""Hostile links and indicators: a link cannot carry script or forge structure, and an
indicator of compromise is shown exactly as written and never as a link.

The rendered Markdown is read back with markdown-it-py (CommonMark and GFM tables), the way a
reader's renderer sees it.
"""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

import postmortem
from postmortem.cli import main
from postmortem.model import (
    ActionItem,
    ActionStatus,
    Ioc,
    IocType,
    Link,
    Metadata,
    PostMortem,
    ProfileName,
    References,
)
from postmortem.render import render
from postmortem.render.markdown import markdown_text
from tests.hostile import one_located_line

PARSER = MarkdownIt("commonmark").enable("table")

REFUSED_URLS = {
    "javascript:alert(document.domain)": "uses javascript:",
    "JaVaScRiPt:alert(1)": "uses javascript:",
    " javascript:alert(1)": "uses javascript:",
    "java\tscript:alert(1)": "uses javascript:",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==": "uses data:",
    "file:///etc/passwd": "uses file:",
    "vbscript:msgbox(1)": "uses vbscript:",
    "//evil.example/login": "is scheme-relative",
    "/\\evil.example/login": "contains a backslash",
    "https://wiki.example/a page": "contains white space",
    "https://wiki.example/x\n# Forged heading": "contains the character U+000A",
    "https://wiki.example/x\r\n| forged | row |": "contains the character U+000D",
    "https://wiki.example/\u202egnp.exe": "contains the character U+202E",
    "mailto:": "has no address",
    "see the wiki": "(want https://..., mailto:..., or a relative path)",
}


@pytest.mark.parametrize("url", sorted(REFUSED_URLS), ids=repr)
def test_a_link_that_could_run_script_or_break_a_line_is_refused_on_one_located_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "INC-1.yaml"
    document.write_text(
        "schema_version: 1\nprofile: postmortem\nmetadata:\n  id: INC-1\n"
        f"references:\n  external:\n    - url: {json.dumps(url)}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(document)]) == 1
    located = one_located_line(capsys.readouterr())
    assert (located["file"], located["line"]) == (str(document), "7")
    assert located["rest"].startswith("references.external[0].url: not a URL: ")
    assert REFUSED_URLS[url] in located["rest"]


@pytest.mark.parametrize(
    "url",
    [
        "https://wiki.example/x?a=1&b=(2)",
        "http://intranet.example",
        "mailto:soc@example.com",
        "./evidence.md",
        "../INC-1.yaml",
        "/dashboards/7",
        "#timeline",
    ],
)
def test_http_https_mailto_and_relative_paths_are_links(url: str) -> None:
    assert Link(url=url).url == url


def _link_tokens(markdown: str) -> list[tuple[str, str]]:
    """Each link a renderer makes: its href and the text it shows (line breaks as ``\\n``)."""
    found = []
    for token in PARSER.parse(markdown):
        children = token.children or []
        for index, child in enumerate(children):
            if child.type == "link_open":
                close = next(
                    end for end in range(index, len(children)) if children[end].type == "link_close"
                )
                found.append((str(child.attrs["href"]), _shown_text(children[index + 1 : close])))
    return found


def _shown_text(children: list[Token]) -> str:
    return "".join(
        "\n" if child.type in ("softbreak", "hardbreak", "html_inline") else child.content
        for child in children
    )


def _structure(markdown: str) -> list[tuple[str, int]]:
    """The blocks a renderer makes: headings, list items, table rows and cells, paragraphs;
    each with its nesting level."""
    return [
        (token.type, token.level)
        for token in PARSER.parse(markdown)
        if token.type.endswith("_open") and token.type != "link_open"
    ]


# Characters that end or start Markdown structure, and the text of scripts and links; a URL
# may hold the first kind, a label any.
_URL_STRUCTURAL = "()<>[]|`*_#&;!{}^~\"'=:/.?%-+"
_STRUCTURAL = _URL_STRUCTURAL + "\\\n\r\t \u2028\x00"
_url_paths = st.text(
    st.sampled_from(_URL_STRUCTURAL)
    | st.characters(
        exclude_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp"), exclude_characters="\\"
    ),
    max_size=30,
)
hostile_urls = st.builds("https://{}.example/{}".format, st.sampled_from(["a", "b-c"]), _url_paths)
hostile_labels = st.none() | st.text(
    st.sampled_from(_STRUCTURAL) | st.characters(exclude_categories=("Cs",)), max_size=30
)


def _with_links(url: str, label: str | None) -> PostMortem:
    """A retrospective with the link in a list, on a metadata line and in a table cell."""
    link = Link(url=url, label=label)
    return PostMortem(
        profile=ProfileName.RETROSPECTIVE,
        metadata=Metadata(id="INC-1", incident_log=link),
        references=References(external=[link]),
        action_items=[ActionItem(action="Fix", status=ActionStatus.OPEN, ticket=link)],
    )


@given(hostile_urls, hostile_labels)
def test_a_link_goes_where_its_url_says_and_shows_its_label_whatever_they_hold(
    url: str, label: str | None
) -> None:
    markdown = render(_with_links(url, label))
    shown = " ".join(markdown_text(label or "").split()) or url
    links = _link_tokens(markdown)
    assert len(links) == 3, markdown
    for href, text in links:
        assert href == PARSER.normalizeLink(url)
        assert " ".join(text.split()) == shown
    plain = render(_with_links("https://a.example/", "label"))
    assert _structure(markdown) == _structure(plain), "no heading, row, cell or item was forged"


# Indicators as analysts write them: scripts, URLs live and defanged, autolinks, addresses,
# Markdown and HTML, and the characters that end spans, cells and lines.
_IOC_PARTS = [
    "javascript:alert(1)",
    "https://evil.example/payload?a=1&b=2",
    "hxxp://evil[.]example/x",
    "evil[.]example",
    "www.evil.example",
    "attacker@evil.example",
    "<https://evil.example>",
    "[click](https://evil.example)",
    "<script>alert(1)</script>",
    "`",
    "``",
    "|",
    "\\",
    "\n",
    " ",
    "# ",
    "**",
    "&amp;",
]
hostile_iocs = (
    st.lists(st.sampled_from(_IOC_PARTS) | st.text(max_size=5), min_size=1, max_size=6)
    .map("".join)
    .filter(str.strip)  # an indicator has a value
)


def _ioc_value_cells(markdown: str) -> list[list[Token]]:
    """The inline children of each body cell of the IOC table's second column, Value."""
    tokens = PARSER.parse(markdown)
    heading = next(
        index
        for index, token in enumerate(tokens)
        if token.content == "A. Indicators of Compromise (IOCs)"
    )
    cells: list[list[Token]] = []
    column = 0
    for token in tokens[heading:]:
        if token.type == "table_close":
            break
        column = 0 if token.type == "tr_open" else column + (token.type == "inline")
        if token.type == "inline" and column == 2:
            cells.append(token.children or [])
    return cells[1:]  # the header row's is the heading "Value"


@given(st.lists(hostile_iocs, min_size=1, max_size=3))
def test_an_indicator_is_shown_exactly_as_written_and_never_as_a_link(values: list[str]) -> None:
    doc = PostMortem(
        profile=ProfileName.SECURITY_POSTMORTEM,
        metadata=Metadata(id="INC-1"),
        iocs=[Ioc(type=IocType.OTHER, value=value, context="seen") for value in values],
    )
    markdown = render(doc)
    cells = _ioc_value_cells(markdown)
    assert len(cells) == len(values), "one row per indicator"
    for value, children in zip(values, cells, strict=True):
        # Only code spans, which no renderer links (GitHub's bare-URL autolinks included,
        # as they apply to text only), and the line breaks between them.
        assert {child.type for child in children} <= {"code_inline", "html_inline"}
        assert all(child.content == "<br>" for child in children if child.type == "html_inline")
        assert _shown_text(children) == markdown_text(value).strip("\n")
    assert not _link_tokens(markdown)
    plain = render(
        PostMortem(
            profile=ProfileName.SECURITY_POSTMORTEM,
            metadata=Metadata(id="INC-1"),
            iocs=[Ioc(type=IocType.OTHER, value="x", context="seen") for _ in values],
        )
    )
    assert _structure(markdown) == _structure(plain), "no heading, row, cell or item was forged"


def test_an_indicator_is_stored_exactly_as_written() -> None:
    written = [
        ("URL", "javascript:alert(1)"),
        ("URL", "hxxp://evil[.]example/x"),
        ("Other", "<https://evil.example>"),
    ]
    values = [value for _, value in written]
    source = (
        "schema_version: 1\nprofile: security-postmortem\nmetadata:\n  id: INC-1\niocs:\n"
        + "".join(f"  - type: {kind}\n    value: {json.dumps(value)}\n" for kind, value in written)
    )
    doc = postmortem.loads(source)
    assert [ioc.value for ioc in doc.iocs] == values
    assert postmortem.loads(postmortem.dumps(doc)) == doc
