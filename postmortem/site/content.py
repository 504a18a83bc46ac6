"""A post-mortem's body as HTML: its profile's Markdown layout rendered by markdown-it-py
with raw HTML off, headings given anchors for the contents and kept in order, and each
section's label shown as a banner beside its heading.

Whatever a document holds reaches the page as text: the layout escapes it as Markdown,
markdown-it escapes it again as HTML, raw HTML is off, and a link goes only to http(s),
mailto (no ``javascript:``, ``data:`` or ``file:``, and no path into the repository).
"""

import html
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = ["Body", "Heading", "body_html", "safe_link"]

_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]")


def safe_link(url: str) -> bool:
    """Whether a page may link to ``url`` a document gives: http(s) or mailto only. Browsers
    ignore control characters and white space in a scheme (``java\\tscript:``); so does this
    test. A relative path points into the repository, which the site does not publish: it
    is shown as text."""
    compact = _IGNORED_IN_SCHEME.sub("", html.unescape(url))
    scheme = _SCHEME.match(compact)
    return scheme is not None and scheme.group(0).lower() in _SAFE_SCHEMES


@attrs.frozen
class Heading:
    """A heading of the body, as the contents list it."""

    anchor: str
    text: str
    level: int


@attrs.frozen
class Body:
    """The HTML of a document's body and its headings."""

    html: str
    headings: tuple[Heading, ...]


_md: "MarkdownIt | None" = None


def _markdown() -> "MarkdownIt":
    global _md
    if _md is None:
        from markdown_it import MarkdownIt

        parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        parser.enable("table")
        parser.validateLink = safe_link  # type: ignore[method-assign]
        _md = parser
    return _md


def body_html(markdown: str, section_labels: Mapping[str, str]) -> Body:
    """``markdown`` (a rendered layout) as HTML. Its first-level heading (the title, which
    the page shows itself) is left out; what comes before the first section (the layout's
    metadata) is folded into "Document details"; a heading with nothing under it (a section
    the document leaves empty) is left out; the other headings start at the second level
    and never skip one. ``section_labels`` maps a section heading's text to the label shown
    as a banner beside it."""
    parser = _markdown()
    tokens = parser.parse(markdown)
    tokens = _without_title(tokens)
    first_section = next(
        (
            at
            for at, token in enumerate(tokens)
            if token.type == "heading_open" and token.tag == "h2"
        ),
        len(tokens),
    )
    if first_section:
        opening = _html('<details class="doc-meta"><summary>Document details</summary>\n')
        tokens = [opening, *tokens[:first_section], _html("</details>\n"), *tokens[first_section:]]
        first_section += 2
    headings: list[Heading] = []
    anchors: set[str] = set()
    previous_level = 1
    output: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type != "heading_open":
            output.append(token)
            index += 1
            continue
        inline, closing = tokens[index + 1], tokens[index + 2]
        written = int(token.tag[1:])
        if _is_empty_section(tokens, index + 3, written):
            index += 3
            continue
        level = min(max(written, 2), previous_level + 1)
        previous_level = level
        text = _plain(inline)
        anchor = _unique(_anchor(text), anchors)
        token.tag = closing.tag = f"h{level}"
        token.attrSet("id", anchor)
        if index >= first_section:  # not the headings of the details before the sections
            headings.append(Heading(anchor, text, level))
        label = section_labels.get(text)
        if label is None:
            output.extend((token, inline, closing))
        else:
            output.extend((_html('<div class="section-head">\n'), token, inline, closing))
            output.append(_html(
                f'<p class="label-banner" data-label="{html.escape(label)}">'
                f"{html.escape(label)}</p>\n</div>\n"
            ))  # fmt: skip
        index += 3
    rendered = parser.renderer.render(output, parser.options, {})
    return Body(_with_scoped_tables(rendered), tuple(headings))


def _html(content: str) -> "Token":
    """A block of HTML made here (raw HTML from the document is off)."""
    from markdown_it.token import Token

    block = Token("html_block", "", 0)
    block.content = content
    return block


def _is_empty_section(tokens: "Sequence[Token]", after: int, level: int) -> bool:
    """Whether the heading whose tokens end before ``after`` heads nothing: the layout's
    heading of a section the document does not fill in."""
    if after >= len(tokens):
        return True
    following = tokens[after]
    return following.type == "heading_open" and int(following.tag[1:]) <= level


def _without_title(tokens: "Sequence[Token]") -> "list[Token]":
    if tokens and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        return list(tokens[3:])
    return list(tokens)


def _plain(inline: "Token") -> str:
    return "".join(
        child.content for child in inline.children or () if child.type in ("text", "code_inline")
    )


def _anchor(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60].strip("-")
    return f"s-{slug}" if slug else "s"


def _unique(anchor: str, taken: set[str]) -> str:
    candidate, number = anchor, 2
    while candidate in taken:
        candidate, number = f"{anchor}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _with_scoped_tables(rendered: str) -> str:
    """Tables wrapped so that a wide one scrolls instead of widening the page."""
    return rendered.replace("<table>", '<div class="table-scroll"><table>').replace(
        "</table>", "</table></div>"
    )
