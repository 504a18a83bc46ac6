"""What a post-mortem template asks for, read from its Markdown: headings, table columns,
row labels, key lines and checklist items, each with the words the template prints for it.

The five seed templates are Markdown written by different hands: one is partly HTML
(``<br>`` line ends, ``<a>`` links), one has no heading markup at all (every heading is a
bare line), key lines are written ``**Key**: value``, ``**Key:** value``, ``Key: value``
and ``| **Key** | value |``. The reader here is small and line-based; it only has to be
right about the templates, and its own tests show what it makes of each form.
"""

import enum
import re
from collections.abc import Iterator

import attrs

__all__ = ["Element", "Part", "choices", "extract", "normalize"]


class Part(enum.Enum):
    """What kind of element of a template something is."""

    HEADING = "heading"
    COLUMN = "column"
    ROW = "row label"
    """The first cell of a table row whose other cells are left blank for the writer."""
    KEY = "key"
    CHECKLIST = "checklist item"
    OPTION = "option"
    """A list item without a value among key lines (``- No runbook changes needed``)."""


@attrs.frozen
class Element:
    """One element of a template, where it stands, and the values the template prints with it
    (a key's value, a column's cells)."""

    part: Part
    text: str
    line: int
    context: tuple[str, ...]
    """The headings it stands under, outermost first."""
    column: str = ""
    """For a row label: the header of its column."""
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        described = f"line {self.line}: {self.part.value} {self.text!r}"
        return f"{described} under {' > '.join(self.context)}" if self.context else described


_HTML_COMMENT = re.compile(r"<!--.*?-->")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_HEADING = re.compile(r"^(?P<marks>#{1,6})\s+(?P<text>.+?)\s*$")
_BOLD_ALONE = re.compile(r"^\*\*(?P<text>[^*]+?):?\*\*:?$")
_BOLD_KEY = re.compile(r"^\*\*(?P<key>[^*]+?):?\*\*\s*[:-]?\s*(?P<value>.+)$")
_PLAIN_KEY = re.compile(r"^\[?(?P<key>[A-Za-z][\w ()'&/-]{0,40}?)\s*:(?P<value>.*)$")
"""``Key: value``; the ``[`` is what is left of a link whose ``</a>`` closed too early (000)."""
_KEYS_RUN_TOGETHER = re.compile(r"(?<=:)(?=[A-Z])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+(?P<body>.*)$")
_CHECKBOX = re.compile(r"^\[[ xX]\]\s+(?P<item>.+)$")
_TABLE_SEPARATOR = re.compile(r"^[\s|:-]+$")
_KEY_VALUE_HEADERS = frozenset({"value", "details"})
"""The second header of a table of key/value rows (``| Attribute | Value |``)."""
_SENTENCE_END = (".", "?", "!")
_TITLE_LEVEL = 1
_BARE_HEADING_LEVEL = 2
_BOLD_HEADING_LEVEL = 7
"""A bold line standing alone heads what follows it, below every marked-up heading."""

_NUMBERING = re.compile(r"^(?:\d+\.(?:\d+\.?)*|[A-Z]\.)\s+")
_PARENTHETICAL = re.compile(r"\s\([^)]*\)")
"""A parenthetical after a space (``Time (UTC)``); one within a word (``Date(s)``) stays."""
_ALTERNATIVE = re.compile(r'\(or "(?P<word>[^"]+)"\)')


def normalize(text: str) -> str:
    """Text as compared: no numbering, parentheticals, markup, case or punctuation."""
    text = _NUMBERING.sub("", text.strip().replace("\u2019", "'"))
    text = _PARENTHETICAL.sub(" ", text).lower().replace("'", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def choices(value: str) -> tuple[str, ...]:
    """The words a printed value offers: ``Open/In Progress/Complete``, ``P1 / P2 / P3``,
    ``Critical | High``, ``[High/Medium/Low]``, or the ``Ongoing`` of ``... (or "Ongoing")``."""
    value = value.strip()
    alternative = _ALTERNATIVE.search(value)
    if alternative:
        return (alternative.group("word"),)
    if value.startswith("[") and value.endswith("]") and value.count("[") == 1:
        value = value[1:-1]
    separator = "|" if "|" in value else "/"
    return tuple(word.strip() for word in value.split(separator) if word.strip())


def _clean(line: str) -> str:
    """A line without HTML, Markdown line-break marks (a trailing backslash) or end spaces."""
    line = _HTML_TAG.sub("", _HTML_COMMENT.sub("", line))
    return line.rstrip().removesuffix("\\").strip()


def _cells(row: str) -> list[str]:
    return [cell.strip().strip("*").strip() for cell in row.strip().strip("|").split("|")]


@attrs.define
class _Reader:
    """Reads a template line by line, keeping the headings it is under."""

    bare_headings: bool
    """Whether the template marks no heading up, so that a bare line is one."""
    found: list[Element] = attrs.Factory(list)
    headings: list[tuple[int, str]] = attrs.Factory(list)

    def add(
        self, part: Part, text: str, line: int, values: tuple[str, ...] = (), column: str = ""
    ) -> None:
        context = tuple(heading for _, heading in self.headings)
        values = tuple(value for value in values if value)
        self.found.append(Element(part, text.strip(), line, context, column, values))

    def heading(self, level: int, text: str, line: int) -> None:
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.add(Part.HEADING, text, line)
        self.headings.append((level, text))

    def table(self, rows: list[tuple[int, str]]) -> None:
        (first_line, header_row), *body = rows
        header = _cells(header_row)
        data = [(line, _cells(row)) for line, row in body if not _TABLE_SEPARATOR.match(row)]
        if len(header) == 2 and header[1].lower() in _KEY_VALUE_HEADERS:
            for line, cells in data:
                self.add(Part.KEY, cells[0], line, tuple(cells[1:]))
            return
        columns: dict[str, list[str]] = {name: [] for name in header if name}
        for line, cells in data:
            if not any(cells[1:]):
                self.add(Part.ROW, cells[0], line, column=header[0])
                continue
            for name, cell in zip(header, cells, strict=False):
                if name:
                    columns[name].append(cell)
        for name, cells in columns.items():
            self.add(Part.COLUMN, name, first_line, tuple(cells))

    def list_block(self, items: list[tuple[int, str]]) -> None:
        """Key lines and checklist items of one list; its plain items are options when others
        in it are key lines."""
        plain: list[tuple[int, str]] = []
        has_keys = False
        for line, body in items:
            checkbox = _CHECKBOX.match(body)
            if checkbox:
                self.add(Part.CHECKLIST, checkbox.group("item"), line)
            elif self.key_line(body, line):
                has_keys = True
            else:
                plain.append((line, body))
        if has_keys:
            for line, body in plain:
                self.add(Part.OPTION, body, line)

    def key_line(self, text: str, line: int) -> bool:
        """Record the key lines ``text`` is made of; whether it is any."""
        bold = _BOLD_KEY.match(text)
        if bold:
            self.add(Part.KEY, bold.group("key"), line, (bold.group("value"),))
            return True
        keys = [_PLAIN_KEY.match(part) for part in _KEYS_RUN_TOGETHER.split(text)]
        for match in keys:
            if match:
                self.add(Part.KEY, match.group("key"), line, (match.group("value"),))
        return any(keys)

    def line(self, text: str, number: int) -> None:
        """A line standing alone: a heading, a bold line heading what follows, key lines, or
        prose; in a template without heading markup, a bare line that is no sentence is a
        heading, the first one its title."""
        heading = _HEADING.match(text)
        bold = _BOLD_ALONE.match(text)
        if heading:
            self.heading(len(heading.group("marks")), heading.group("text"), number)
        elif bold:
            self.heading(_BOLD_HEADING_LEVEL, bold.group("text"), number)
        elif self.key_line(text, number):
            return
        elif self.bare_headings and not text.startswith("[") and not text.endswith(_SENTENCE_END):
            self.heading(_BARE_HEADING_LEVEL if self.found else _TITLE_LEVEL, text, number)


def _kind_of_line(line: str) -> str:
    return "table" if line.startswith("|") else "list" if _LIST_ITEM.match(line) else "line"


def _blocks(text: str) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """Runs of table rows, runs of list items and lines standing alone, as ("table" | "list" |
    "line", the numbered lines); blank lines and fenced code end a run and are left out."""
    kind, fenced = "", False
    run: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        fence = raw.strip().startswith("```")
        fenced ^= fence
        line = "" if fenced or fence else _clean(raw)
        if run and (not line or _kind_of_line(line) != kind or kind == "line"):
            yield kind, run
            run = []
        if line:
            kind = _kind_of_line(line)
            run.append((number, line))
    if run:
        yield kind, run


def extract(text: str) -> list[Element]:
    """Every element of the template ``text``, in the order it has them."""
    reader = _Reader(bare_headings=not any(_HEADING.match(line) for line in text.splitlines()))
    for kind, block in _blocks(text):
        if kind == "table":
            reader.table(block)
        elif kind == "list":
            items = [
                (line, match.group("body"))
                for line, row in block
                if (match := _LIST_ITEM.match(row))
            ]
            reader.list_block(items)
        else:
            ((number, line),) = block
            reader.line(line, number)
    return reader.found
