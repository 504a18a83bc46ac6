"""Where ruamel keeps a file's comment and blank lines, and how entries are put in, taken
out of and replaced in a round-trip tree with those lines staying where the person wrote them."""

import itertools
from collections.abc import Sequence
from typing import Any, Protocol

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
)
from ruamel.yaml.tokens import CommentToken

from postmortem.yaml_io.writing import yaml_value

__all__ = [
    "AboveNext",
    "AfterEntry",
    "AliasPlaces",
    "BeforeDocument",
    "BeforeValue",
    "EndOfDocument",
    "Place",
    "delete_entry",
    "insert_entry",
    "replace_value",
]


def replace_value(
    node: CommentedMap | CommentedSeq, key: Any, value: Any, aliases: "AliasPlaces"
) -> None:
    """Put ``value`` in place of the value at ``key`` of ``node``, the lines after the
    entry staying after it and a comment at the end of its line staying there (a multi-line
    string replacing a value with such a comment is double-quoted, on that line)."""
    old = node[key]
    if value is old:
        return
    index = list(node).index(key) if isinstance(node, CommentedMap) else key
    tail = _tail(_tail_slot(node, index, aliases))
    replaced_collection = isinstance(old, CommentedMap | CommentedSeq)
    if tail is not None and tail[0] and not replaced_collection and isinstance(value, str):
        value = DoubleQuotedScalarString(value) if "\n" in value else value
    node[key] = _commented(value)
    slot = _tail_slot(node, index, aliases)
    if tail is None or slot is None:
        return
    own_slot = (node, key, 2 if isinstance(node, CommentedMap) else 0)
    if slot != own_slot and not replaced_collection:
        _set_tail(own_slot, tail[0], [])  # a block collection now: the comment on its key's line
    # The end of a replaced collection's last line was inside it; the key's own stays.
    keeps_its_end = replaced_collection or slot != own_slot
    end_of_line = (_tail(slot) or ("", []))[0] if keeps_its_end else tail[0]
    _set_tail(slot, end_of_line, tail[1])


class AliasPlaces:
    """The entries of a round-trip tree that hold an alias: an anchored value met at an
    earlier place (its anchor) in document order.

    ruamel attaches an entry's comments to its value, so the comments of an alias land
    where the anchor is, and it keeps a copy of the anchor's at each alias, so that writing
    the alias puts them back. The tails of aliases are therefore never read or written
    here, and :meth:`settle` gives each alias the anchor's comments as they are now.
    """

    def __init__(self, tree: Any) -> None:
        self._anchors: dict[int, Any] = {}  # value id -> the collection of its anchor
        self._places: list[tuple[Any, Any]] = []  # (collection, value) of each alias
        self._walk(tree)

    def _walk(self, node: CommentedMap | CommentedSeq) -> None:
        for key in list(node) if isinstance(node, CommentedMap) else range(len(node)):
            value = node[key]
            if getattr(getattr(value, "anchor", None), "value", None) is not None:
                if id(value) in self._anchors:
                    self._places.append((node, value))
                    continue
                self._anchors[id(value)] = node
            if isinstance(value, CommentedMap | CommentedSeq):
                self._walk(value)

    def holds_alias(self, node: CommentedMap | CommentedSeq, key: Any) -> bool:
        value = node[key]
        anchor = self._anchors.get(id(value))
        return anchor is not None and (anchor is not node or _first_key(node, value) != key)

    def settle(self) -> None:
        """Before writing: each alias still in the tree carries what its anchor's entry
        attaches to the value (a map entry slots 2 and 3, a sequence item slots 0 and 1)."""
        for node, value in self._places:
            anchor_node = self._anchors[id(value)]
            anchor_key = _first_key(anchor_node, value)  # None: the anchor's place changed
            keys = list(node) if isinstance(node, CommentedMap) else range(len(node))
            for key in [key for key in keys if node[key] is value]:
                if not self.holds_alias(node, key):
                    continue
                comments = node.ca.items.get(key) or []
                if isinstance(node, CommentedSeq) or not any(comments[:2]):
                    node.ca.items.pop(key, None)  # nothing of its own: nothing to attach
                    continue
                attached = [None] * 4
                if anchor_key is not None:
                    attached = (anchor_node.ca.items.get(anchor_key) or []) + attached
                start = 2 if isinstance(anchor_node, CommentedMap) else 0
                comments.extend([None] * (4 - len(comments)))
                comments[2:4] = attached[start : start + 2]


def _first_key(node: CommentedMap | CommentedSeq, value: Any) -> Any:
    """The first key (or index) of ``node`` that holds ``value`` itself, None if none."""
    keys = list(node) if isinstance(node, CommentedMap) else range(len(node))
    return next((key for key in keys if node[key] is value), None)


class Place(Protocol):
    """Where ruamel keeps some comment and blank lines of a file."""

    def lines(self) -> list[str] | None:
        """The lines, without their line breaks; None if they are not what ruamel reads
        from a file (then they are left alone)."""

    def set_lines(self, lines: list[str]) -> None: ...


class AfterEntry:
    """The lines after entry ``index`` of ``node`` (before the next entry, or after the
    collection if it is the last). ruamel keeps them on the entry's last scalar, after the
    end of its line (a comment there), which stays as it is."""

    def __init__(
        self, node: CommentedMap | CommentedSeq, index: int, aliases: "AliasPlaces"
    ) -> None:
        self._node = node
        self._index = index
        self._aliases = aliases

    def lines(self) -> list[str] | None:
        tail = _tail(_tail_slot(self._node, self._index, self._aliases))
        return None if tail is None else tail[1]

    def set_lines(self, lines: list[str]) -> None:
        slot = _tail_slot(self._node, self._index, self._aliases)
        if slot is not None:
            _set_tail(slot, (_tail(slot) or ("", []))[0], lines)


class BeforeValue:
    """The comment lines between ``key`` of ``node`` and the first entry of its value."""

    def __init__(self, node: CommentedMap, key: Any) -> None:
        self._node = node
        self._key = key

    def lines(self) -> list[str] | None:
        comments = self._node.ca.items.get(self._key) or []
        return _token_lines(comments[3] if len(comments) > 3 else None)

    def set_lines(self, lines: list[str]) -> None:
        comments = self._node.ca.items.setdefault(self._key, [])
        comments.extend([None] * (4 - len(comments)))
        comments[3] = _line_tokens(lines)


class AboveNext:
    """The comment lines ruamel keeps above entry ``index`` of ``node``: those after an
    entry that cannot hold them (an alias, an empty collection). Past the last entry, those
    after the collection, at ``outer``."""

    def __init__(self, node: CommentedMap | CommentedSeq, index: int, outer: Place) -> None:
        self._node = node
        self._index = index
        self._outer = outer

    def lines(self) -> list[str] | None:
        if self._index >= len(self._node):
            return self._outer.lines()
        key = list(self._node)[self._index] if isinstance(self._node, CommentedMap) else self._index
        comments = self._node.ca.items.get(key) or [None, None]
        return _token_lines(comments[1])

    def set_lines(self, lines: list[str]) -> None:
        if self._index >= len(self._node):
            self._outer.set_lines(lines)
            return
        key = list(self._node)[self._index] if isinstance(self._node, CommentedMap) else self._index
        comments = self._node.ca.items.setdefault(key, [])
        comments.extend([None] * (4 - len(comments)))
        comments[1] = _line_tokens(lines)


class EndOfDocument:
    """The comment lines at the end of the document that ruamel keeps after its last key."""

    def __init__(self, tree: CommentedMap) -> None:
        self._tree = tree

    def lines(self) -> list[str] | None:
        return _token_lines(self._tree.ca.end)

    def set_lines(self, lines: list[str]) -> None:
        self._tree.ca.end = _line_tokens(lines) or []


class BeforeDocument:
    """The comment lines above the first key of the document."""

    def __init__(self, tree: CommentedMap) -> None:
        self._tree = tree

    def lines(self) -> list[str] | None:
        comment = self._tree.ca.comment
        return _token_lines(comment[1] if comment else None)

    def set_lines(self, lines: list[str]) -> None:
        if self._tree.ca.comment is None:
            self._tree.ca.comment = [None, None]
        self._tree.ca.comment[1] = _line_tokens(lines)


def _token_lines(tokens: list[Any] | None) -> list[str] | None:
    """The lines of the comment tokens ruamel keeps before a collection's first entry: each
    at its column, each ending with a line break."""
    text = ""
    for token in tokens or []:
        value = getattr(token, "value", None)
        if not isinstance(value, str) or not value.endswith("\n"):
            return None
        text += value if value.startswith("\n") else " " * token.column + value
    return text.split("\n")[:-1]


def _line_tokens(lines: list[str]) -> list[Any] | None:
    if not lines:
        return None
    return [CommentToken("".join(line + "\n" for line in lines), CommentMark(0))]


def _following_lines(
    node: CommentedMap | CommentedSeq, index: int, aliases: "AliasPlaces"
) -> tuple[list[str], list[str]]:
    """The lines after entry ``index`` split in two: those indented inside the entry (its own
    comments), and those that follow it (blank lines, comments on the next entry or on what
    comes after the collection)."""
    lines = AfterEntry(node, index, aliases).lines() or []
    column = node.lc.col or 0
    start = len(lines)
    while start and (not lines[start - 1].strip() or _indentation(lines[start - 1]) <= column):
        start -= 1
    return lines[:start], lines[start:]


def delete_entry(
    node: CommentedMap | CommentedSeq,
    index: int,
    lead: Place,
    trail: Place,
    aliases: "AliasPlaces",
) -> list[str]:
    """Remove entry ``index`` of ``node`` with its own lines: from its first line to its last,
    and comments indented inside it. The comment lines around it stay where they were:
    behind the entry before it (or above the first; above the next entry, or after the
    collection, when the entry before is an alias); of the blank lines around it, as many
    stay as separated the entries before. When it was the last entry, the collection is
    written ``{}`` or ``[]`` on its key's line, and the comment lines above and after it
    are returned, to be put after that line."""
    key = list(node)[index] if isinstance(node, CommentedMap) else index
    flow = node.fa.flow_style()
    comments = node.ca.items.get(key) or [None, None]
    above = [] if flow else _token_lines(comments[1]) or []  # kept here after an alias
    _, following = ([], []) if flow else _following_lines(node, index, aliases)
    last = index == len(node) - 1
    del node[key]
    if isinstance(node, CommentedMap):
        node.ca.items.pop(key, None)
    moved = above + following
    if not node and not flow:
        node.fa.set_flow_style()  # {} or [] on the key's line, a comment there after it
        left_over = (lead.lines() or []) + moved
        lead.set_lines([])
        return left_over
    if not moved:
        return []
    place = AfterEntry(node, index - 1, aliases) if index else lead
    kept = place.lines()
    if kept is None:
        following_place = AboveNext(node, index, trail)
        following_place.set_lines(moved + (following_place.lines() or []))
        return []
    body = _strip_blank_end(kept)
    blank_before = kept[len(body) :]
    blank_after = list(itertools.takewhile(lambda line: not line.strip(), moved))
    separator = blank_after if last else blank_before or blank_after
    place.set_lines(body + separator + moved[len(blank_after) :])
    return []


def _strip_blank_end(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def insert_entry(
    node: CommentedMap | CommentedSeq,
    position: int,
    key: Any,
    value: Any,
    lines: Sequence[str],
    lead: Place,
    aliases: "AliasPlaces",
) -> None:
    """Add an entry to a map or sequence of the file, the comment lines staying where the
    person wrote them.

    ruamel keeps the lines after an entry (blank lines, and comments that introduce the
    next entry or what follows the collection) on the entry's last scalar, so an entry put
    after it would come after those lines. They are split: comments indented inside the
    entry stay with it, comments introducing what follows move after the new entry, and
    blank lines separate the entries as the file separates them. An entry put first goes
    below the comment lines above the collection that end with a blank line (a heading)
    and above those that introduce the entry that was first.
    """
    value = _commented(yaml_value(value))
    if isinstance(node, CommentedMap):
        node.insert(position, key, value)
    else:
        node.insert(position, value)
    if node.fa.flow_style():  # a flow collection holds no comment lines
        return
    if position == 0:
        above = lead.lines()
        if above:
            split = max((at + 1 for at, line in enumerate(above) if not line.strip()), default=0)
            if split < len(above):
                lead.set_lines(above[:split])
                AfterEntry(node, 0, aliases).set_lines(above[split:])
        return
    if AfterEntry(node, position - 1, aliases).lines() is None:
        return  # after an alias: the lines after it are kept above the next entry
    own, following = _following_lines(node, position - 1, aliases)
    if position == len(node) - 1:  # the new last entry: separated as the last one was
        separator = [""] if _blank_line_separated(node, lines) else []
    else:  # between two entries: the blank lines that separated them
        separator = list(itertools.takewhile(lambda line: not line.strip(), following))
    AfterEntry(node, position - 1, aliases).set_lines(own + separator)
    if following:
        AfterEntry(node, position, aliases).set_lines(following)


def _tail_slot(
    node: CommentedMap | CommentedSeq, index: int, aliases: "AliasPlaces"
) -> tuple[Any, Any, int] | None:
    """Where ruamel keeps the lines after entry ``index`` of ``node``: on its last scalar
    (slot 2 of a map entry's comments, slot 0 of a sequence item's). None at an alias,
    whose comments ruamel writes where its anchor is (the lines after an alias it keeps
    above the next entry, where they are left alone)."""
    entry = list(node)[index] if isinstance(node, CommentedMap) else index
    if aliases.holds_alias(node, entry):
        return None
    value = node[entry]
    if isinstance(value, CommentedMap | CommentedSeq) and not value:
        return None  # written {} or []; the lines after it are kept above what follows
    if isinstance(value, CommentedMap | CommentedSeq) and not value.fa.flow_style():
        return _tail_slot(value, len(value) - 1, aliases)
    return node, entry, 2 if isinstance(node, CommentedMap) else 0


def _tail(slot: tuple[Any, Any, int] | None) -> tuple[str, list[str]] | None:
    """What ruamel keeps at ``slot``: the rest of the entry's last line, and the lines after
    it; None if that is not what ruamel reads from a file (then it is left alone).

    After a block scalar, whose last line break is its own, ruamel keeps the lines after it
    only, the first one's indentation as the column of the comment.
    """
    if slot is None:
        return None
    container, entry, index = slot
    comments = container.ca.items.get(entry) or []
    token = comments[index] if index < len(comments) else None
    if token is None:
        return "", []
    text = getattr(token, "value", None)
    if not isinstance(text, str) or not text.endswith("\n"):
        return None
    if _is_block_scalar(container[entry]):
        indentation = "" if text.startswith("\n") else " " * token.column
        return "", (indentation + text)[:-1].split("\n")
    end_of_line, *lines = text[:-1].split("\n")
    return end_of_line, lines


def _set_tail(slot: tuple[Any, Any, int], end_of_line: str, lines: list[str]) -> None:
    """Keep ``end_of_line`` and ``lines`` at ``slot``, in the form :func:`_tail` reads; a
    comment at the end of the entry's line keeps its column."""
    container, entry, index = slot
    comments = container.ca.items.setdefault(entry, [])
    comments.extend([None] * (4 - len(comments)))
    following = "".join(line + "\n" for line in lines)
    if _is_block_scalar(container[entry]):
        comments[index] = CommentToken(following, CommentMark(0)) if following else None
        return
    token = comments[index]
    mark = token.start_mark if isinstance(token, CommentToken) else CommentMark(0)
    text = end_of_line + "\n" + following
    comments[index] = None if text == "\n" else CommentToken(text, mark)


def _is_block_scalar(value: Any) -> bool:
    return isinstance(value, LiteralScalarString | FoldedScalarString)


def _commented(value: Any) -> Any:
    """Plain data as ruamel's round-trip types, which can carry comments (those of the
    file are left as they are)."""
    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, dict):
        return CommentedMap((key, _commented(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_commented(item) for item in value)
    return value


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blank_line_separated(node: CommentedMap | CommentedSeq, lines: Sequence[str]) -> bool:
    """Whether the file has a blank line (before any comment) above the last of the
    entries of ``node`` it had, and it was not the first."""
    starts = [position[0] for position in (node.lc.data or {}).values()]
    return len(starts) > 1 and _blank_above(lines, starts[-1])


def _blank_above(lines: Sequence[str], line: int) -> bool:
    above = line - 1
    while above >= 0 and lines[above].lstrip().startswith("#"):
        above -= 1
    return above >= 0 and not lines[above].strip()
