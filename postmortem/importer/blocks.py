"""Markdown as blocks: headings, paragraphs, lists, tables and code, each with its line; and
the ways documents write a key and its value (``**Key**: value``, ``Key: value``, tables).

The Markdown is parsed with markdown-it-py into blocks only: the import reads the text of
each block with its own patterns, never inline tokens.
"""

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import attrs

from postmortem.importer.vocabulary import normalize

__all__ = [
    "KEY_LINE",
    "Block",
    "Item",
    "code_cell_text",
    "key_pair",
    "key_value_rows",
    "parse_blocks",
    "plain_key_line",
    "rows_of_items",
    "unescape",
]


@attrs.define
class Item:
    """A list item: its checkbox (None if it has none), its text, and its nested items' texts."""

    checked: bool | None
    text: str
    line: int
    details: list[str] = attrs.Factory(list)


@attrs.define
class Block:
    """One Markdown block: its kind (heading, paragraph, list, table, code, other), its first
    line, and what it holds."""

    kind: str
    line: int
    level: int = 0
    text: str = ""
    raw: str = ""
    items: list[Item] = attrs.Factory(list)
    rows: list[list[str]] = attrs.Factory(list)


_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|<br>")


def unescape(text: str) -> str:
    """Markdown backslash escapes undone and ``<br>`` (a line break in a cell) as a newline."""
    return _ESCAPE.sub(lambda match: match.group(1) or "\n", text)


@cache
def _parser() -> Any:
    """CommonMark blocks and tables. Inline Markdown is not parsed into tokens (the import
    reads the text of each block with its own patterns): that is most of markdown-it's work,
    several microseconds a character on a long run of brackets."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").disable("inline")


@cache
def _code_span_parser() -> Any:
    """Inline Markdown limited to code spans and line breaks written as ``<br>``: what a cell of
    verbatim text (an indicator) is rendered as."""
    from markdown_it import MarkdownIt

    return MarkdownIt("zero", {"html": True}).enable(["backticks", "html_inline"])


def parse_blocks(text: str) -> Iterator[Block]:
    """The blocks of ``text``, in order; lines no block holds (link reference definitions,
    ``[label]: https://...``) as blocks of their own, kept as written."""
    tokens = _parser().parse(text)
    lines = text.split("\n")
    unread = _unread_lines(tokens, lines)
    next_unread = 0
    for block in _token_blocks(tokens, lines):
        while next_unread < len(unread) and unread[next_unread].line < block.line:
            yield unread[next_unread]
            next_unread += 1
        yield block
    yield from unread[next_unread:]


def _unread_lines(tokens: list[Any], lines: list[str]) -> list[Block]:
    """The runs of lines that are not blank and that no top-level token covers."""
    covered = bytearray(len(lines) + 1)
    for token in tokens:
        if token.level == 0 and token.map:
            start, end = token.map
            covered[start:end] = b"\x01" * (end - start)
    runs: list[Block] = []
    for index, line in enumerate(lines):
        if covered[index] or not line.strip():
            continue
        if runs and runs[-1].line + runs[-1].raw.count("\n") == index:
            runs[-1].raw += "\n" + line
        else:
            runs.append(Block("other", index + 1, raw=line))
    return runs


def _token_blocks(tokens: list[Any], lines: list[str]) -> Iterator[Block]:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        start = token.map[0] + 1 if token.map else 0
        raw = "\n".join(lines[token.map[0] : token.map[1]]) if token.map else ""
        if token.type == "heading_open":
            yield Block(
                "heading",
                start,
                level=int(token.tag[1]),
                text=unescape(tokens[index + 1].content),
                raw=raw,
            )
            index += 3
        elif token.type == "paragraph_open":
            bold = re.fullmatch(r"\*\*([^*]+?)\*\*", tokens[index + 1].content.strip())
            if bold:  # a bold line standing alone is a heading written without heading markup
                yield Block("heading", start, level=6, text=unescape(bold.group(1)), raw=raw)
            else:
                yield Block("paragraph", start, text=tokens[index + 1].content, raw=raw)
            index += 3
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            block = Block("list", start, raw=raw)
            depth = 0
            while True:
                token = tokens[index]
                depth += token.nesting if token.type.endswith(("list_open", "list_close")) else 0
                if token.type == "inline" and depth == 1:
                    content = token.content
                    match = re.match(r"^\[( |x|X)\]\s+", content)
                    checked = None if match is None else match.group(1) != " "
                    text = content[match.end() :] if match else content
                    line = token.map[0] + 1 if token.map else start
                    block.items.append(Item(checked, text, line))
                elif token.type == "inline" and depth > 1 and block.items:
                    block.items[-1].details.append(token.content)
                index += 1
                if depth == 0:
                    break
            yield block
        elif token.type == "table_open":
            block = Block("table", start, raw=raw)
            while tokens[index].type != "table_close":
                if tokens[index].type == "tr_open":
                    block.rows.append([])
                elif tokens[index].type == "inline":
                    block.rows[-1].append(tokens[index].content)
                index += 1
            index += 1
            yield block
        elif token.type in ("fence", "code_block"):
            yield Block("code", start, text=token.content, raw=raw)
            index += 1
        else:
            if token.map and token.type in ("html_block", "hr") and token.type != "hr":
                yield Block("other", start, raw=raw)
            index += 1


def code_cell_text(cell: str) -> str | None:
    """The text of a cell written as inline code spans joined by ``<br>`` (how verbatim text
    such as an indicator is rendered), exactly; None for a cell written otherwise."""
    lines = [""]
    for token in _code_span_parser().parseInline(cell)[0].children or []:
        if token.type == "code_inline":
            lines[-1] += token.content
        elif token.type == "html_inline" and token.content == "<br>":
            lines.append("")
        else:
            return None
    return "\n".join(lines) if any(lines) else None


# The value after a key starts with a non-space, so that spaces before it are matched in one
# way only (a space either side of an optional colon, then ".*", backtrack cubically on a
# long run of spaces in a line that fails at its end).
KEY_LINE = re.compile(r"^\s*(?:[-*]\s+)?\*\*(?P<key>[^*]+?)\*\*(?:\s*:)?\s*(?P<rest>(?:\S.*)?)$")
# The value is everything after the colon (a line break included), trimmed in Python: a
# pattern that trims it itself (".*?\s*(?:<br>)?\s*$") backtracks cubically on a run of
# spaces in a line that fails at its end.
_PLAIN_KEY = re.compile(r"^\s*(?P<key>[A-Za-z][\w /()-]{0,40}?)\s*:\s+(?P<rest>.*)$", re.DOTALL)


def plain_key_line(text: str) -> tuple[str, str] | None:
    """``Key: value`` on one line: the key, and the value without the spaces and the ``<br>``
    (a line break in a table cell) that end it."""
    match = _PLAIN_KEY.match(text)
    if match is None:
        return None
    value = match["rest"].rstrip().removesuffix("<br>").rstrip()
    return None if "\n" in value else (match["key"], value)


def key_pair(text: str) -> tuple[str, str] | None:
    """``**Key**: value`` or ``Key: value``: the key and the value."""
    keyed = KEY_LINE.match(text)
    return (keyed["key"], keyed["rest"]) if keyed else plain_key_line(text)


def key_value_rows(blocks: list[Block], labels: dict[str, str]) -> Iterator[Block]:
    """Blocks with other ways of writing key lines turned into ``**Key**: value``: lines of
    ``Key: value`` whose keys are labels here, lists of ``- **Key**: value`` items, and
    two-column Field | Value tables."""
    for block in blocks:
        if block.kind == "paragraph":
            pairs = [plain_key_line(line) for line in block.raw.split("\n")]
            if all(pairs) and any(normalize(pair[0]) in labels for pair in pairs if pair):
                yield _keyed(block, [pair for pair in pairs if pair])
                continue
        if block.kind == "list" and block.items and not any(item.details for item in block.items):
            pairs = [key_pair(item.text) for item in block.items]
            if all(pair and normalize(unescape(pair[0])) in labels for pair in pairs):
                yield _keyed(block, [pair for pair in pairs if pair])
                continue
        if (
            block.kind == "table"
            and len(block.rows[0]) == 2
            and normalize(block.rows[0][1]) == "value"
        ):
            yield _keyed(
                block, [(row[0].strip("* "), row[1]) for row in block.rows[1:] if len(row) == 2]
            )
            continue
        yield block


def rows_of_items(block: Block) -> bool:
    """A table, or a list whose items each start with a bold key (``- **14:02** - ...``)."""
    return block.kind == "table" or (
        block.kind == "list"
        and bool(block.items)
        and all(KEY_LINE.match(item.text) for item in block.items)
    )


def _keyed(block: Block, pairs: list[tuple[str, str]]) -> Block:
    raw = "\n".join(f"**{key}**: {value}" for key, value in pairs)
    return Block("paragraph", block.line, text=raw, raw=raw)
