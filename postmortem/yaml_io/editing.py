"""Faithful edits: a file loaded, its document changed, and only the change written back."""

import contextlib
import copy
import itertools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ruamel.yaml.anchor import Anchor
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    FoldedScalarString,
    LiteralScalarString,
    PlainScalarString,
    ScalarString,
)

from postmortem._matching import matching_blocks, opcodes
from postmortem.converter import (
    TICKET_KEY,
    ticket_link,
    unstructure,
)
from postmortem.errors import DocumentError
from postmortem.files import read_with_state, with_line_breaks_of, write_atomic
from postmortem.model import PostMortem
from postmortem.yaml_io.placement import (
    AboveNext,
    AfterEntry,
    AliasPlaces,
    BeforeDocument,
    BeforeValue,
    EndOfDocument,
    Place,
    delete_entry,
    insert_entry,
    replace_value,
)
from postmortem.yaml_io.reading import (
    Parsed,
    document_from_parsed,
    loads,
    parse_with_positions,
)
from postmortem.yaml_io.roundtrip import (
    WrittenAnchor,
    emit,
    parse_roundtrip,
    roundtrip_yaml,
)
from postmortem.yaml_io.sections import ANCHOR_OR_ALIAS_MARK
from postmortem.yaml_io.writing import fits_literal_block, refuse_unwritable_text, yaml_value

__all__ = [
    "edit",
    "edit_text",
]


_MISSING: Any = object()


def same(before: Any, after: Any) -> bool:
    if type(before) is not type(after):
        return False
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(same(before[k], after[k]) for k in before)
    if isinstance(before, list):
        return len(before) == len(after) and all(map(same, before, after))
    if isinstance(before, datetime):
        return bool(before == after and before.utcoffset() == after.utcoffset())
    return bool(before == after)


def _canonical(value: Any) -> Any:
    """A hashable stand-in for plain data, equal where :func:`same` holds."""
    if isinstance(value, dict):
        return (dict, tuple((key, _canonical(item)) for key, item in value.items()))
    if isinstance(value, list):
        return (list, tuple(_canonical(item) for item in value))
    if isinstance(value, datetime):
        return (datetime, value, value.utcoffset())
    return (type(value), value)


class _Merger:
    """Changes a round-trip tree as its document changed, leaving alone what did not change.

    ``lines`` are the file's, to tell whether it separates entries with blank lines. A
    collection the file holds at two places (an anchor and its alias) is copied before it is
    changed at one of them, so that the other keeps its value.
    """

    def __init__(self, tree: Any, ticket_url: str | None, lines: Sequence[str]) -> None:
        self._ticket_url = ticket_url
        self._lines = lines
        self._shared = _shared_collections(tree)
        self._aliases = AliasPlaces(tree)
        self._left_over: dict[int, list[str]] = {}  # collection id -> lines to put after it

    def settle(self) -> None:
        """Make the tree ready to write (see :meth:`AliasPlaces.settle`)."""
        self._aliases.settle()

    def merge(self, node: Any, before: Any, after: Any, lead: "Place", trail: "Place") -> Any:
        """``node`` changed as ``before`` became ``after``; ``lead`` holds the comment lines
        above its first entry, ``trail`` those after it that ruamel keeps above what follows."""
        if before is not _MISSING and same(before, after):
            return node
        if isinstance(node, str) and isinstance(after, dict):
            return _link_as_written(after, self._ticket_url)
        if isinstance(node, CommentedMap | CommentedSeq) and id(node) in self._shared:
            node = _unshared_copy(node)
        if isinstance(node, CommentedMap) and isinstance(after, dict):
            old = before if isinstance(before, dict) else {}
            self._merge_mapping(node, old, after, lead, trail)
            return node
        if isinstance(node, CommentedSeq) and isinstance(after, list):
            self._merge_sequence(node, before, after, lead, trail)
            return node
        replacement = yaml_value(after)
        if (
            isinstance(node, ScalarString)
            and type(replacement) is str
            and not _fits_style_of(node, replacement)
        ):
            return PlainScalarString(replacement)  # as it needs, not as the old value was
        return replacement

    def _merge_mapping(
        self,
        node: CommentedMap,
        before: dict[str, Any],
        after: dict[str, Any],
        lead: "Place",
        trail: "Place",
    ) -> None:
        for key in [key for key in node if key in before and key not in after]:
            self._delete(node, list(node).index(key), lead, trail)
        if not node and after:
            node.fa.set_block_style()  # every key replaced: written as the file wrote it
        for key, value in after.items():
            if key in node:
                previous = before.get(key, _MISSING)
                following = AboveNext(node, list(node).index(key) + 1, trail)
                merged = self.merge(node[key], previous, value, BeforeValue(node, key), following)
                replace_value(node, key, merged, self._aliases)
                self._put_left_over_lines(node[key], following)
            elif key not in before or not same(before[key], value):
                # A key the file leaves out stays out unless its value changed: the loader
                # gave it its default, which the person did not write.
                position = _insert_position(node, list(after), key)
                if _is_link(value):  # a new link is written short, as a person writes it
                    value = _link_as_written(value, self._ticket_url)
                insert_entry(node, position, key, value, self._lines, lead, self._aliases)

    def _merge_sequence(
        self, node: CommentedSeq, before: Any, after: list[Any], lead: "Place", trail: "Place"
    ) -> None:
        """Items matched by value: a removed item takes its own lines with it, an added one
        gets new lines, and the comments around the others stay where they are."""
        old = before if isinstance(before, list) and len(before) == len(node) else []
        changes: Sequence[tuple[str, int, int, int, int]]
        if len(after) == len(node):  # items changed in place, none added or removed
            changes = [("replace", 0, len(node), 0, len(after))]
        else:
            changes = opcodes(
                [_canonical(item) for item in old] or [_MISSING] * len(node),
                [_canonical(item) for item in after],
            )
        for tag, start, end, new_start, new_end in reversed(changes):
            if tag == "equal":
                continue
            paired = min(end - start, new_end - new_start)
            for index in range(start, start + paired):
                previous = old[index] if old else _MISSING
                value = after[new_start + index - start]
                item_lead = lead if index == 0 else AfterEntry(node, index - 1, self._aliases)
                following = AboveNext(node, index + 1, trail)
                merged = self.merge(node[index], previous, value, item_lead, following)
                replace_value(node, index, merged, self._aliases)
                self._put_left_over_lines(node[index], following)
            for index in reversed(range(start + paired, end)):
                self._delete(node, index, lead, trail)
            for offset, value in enumerate(after[new_start + paired : new_end]):
                position = start + paired + offset
                insert_entry(node, position, position, value, self._lines, lead, self._aliases)

    def _delete(
        self, node: CommentedMap | CommentedSeq, index: int, lead: "Place", trail: "Place"
    ) -> None:
        left_over = delete_entry(node, index, lead, trail, self._aliases)
        if left_over:
            self._left_over[id(node)] = left_over

    def _put_left_over_lines(self, value: Any, following: "Place") -> None:
        """Put the lines a collection emptied by deletions could not keep (it is now written
        ``{}`` or ``[]`` on its key's line) above what follows it."""
        lines = self._left_over.pop(id(value), None)
        if lines:
            following.set_lines(lines + (following.lines() or []))


def _fits_style_of(old: ScalarString, text: str) -> bool:
    """Whether ``text`` can be written in the style of ``old`` (which ruamel gives a new
    value assigned in its place): a literal block holds only printable lines, and a folded
    one is not kept, since folding changes what is read back."""
    if isinstance(old, FoldedScalarString):
        return False
    if isinstance(old, LiteralScalarString):
        return fits_literal_block(text) or (text.isprintable() and text == text.strip())
    return True


def _shared_collections(tree: Any) -> set[int]:
    """The ids of the collections ``tree`` holds at more than one place (through aliases)."""
    seen: set[int] = set()
    shared: set[int] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if not isinstance(node, CommentedMap | CommentedSeq):
            continue
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        pending.extend(node.values() if isinstance(node, CommentedMap) else node)
    return shared


def _unshared_copy(node: CommentedMap | CommentedSeq) -> Any:
    """A copy of ``node`` with its comments, without the anchors, which stay with the
    original at the places that still hold it."""
    duplicate = copy.deepcopy(node)
    pending: list[Any] = [duplicate]
    while pending:
        item = pending.pop()
        anchor = getattr(item, "anchor", None)
        if isinstance(anchor, Anchor | WrittenAnchor):
            anchor.value = None
        if isinstance(item, CommentedMap):
            pending.extend(item.values())
        elif isinstance(item, CommentedSeq):
            pending.extend(item)
    return duplicate


def _link_as_written(link: dict[str, Any], ticket_url: str | None) -> Any:
    """A changed link that the file wrote as a string (only links are read from strings into
    mappings): still a string where it can be, its URL or its ticket key."""
    if link.keys() == {"url"}:
        return link["url"]
    if link.keys() == {"url", "label"} and ticket_url is not None:
        key = link["label"]
        if TICKET_KEY.fullmatch(key) and ticket_link(key, ticket_url).url == link["url"]:
            return key
    return yaml_value(link)


def _is_link(value: Any) -> bool:
    """Whether plain data is a link's (only :class:`~postmortem.model.Link` has a ``url``)."""
    return isinstance(value, dict) and "url" in value and value.keys() <= {"url", "label"}


def _insert_position(node: CommentedMap, order: list[str], key: str) -> int:
    present = list(node)
    for earlier in reversed(order[: order.index(key)]):
        if earlier in node:
            return present.index(earlier) + 1
    return 0


def _guess_indentation(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file uses them; ours by default."""
    mapping, sequence, offset = 0, 0, -1
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    for parent, child in itertools.pairwise(lines):
        if not parent.rstrip().endswith(":"):
            continue
        parent_indent = len(parent) - len(parent.lstrip(" "))
        parent_indent += 2 if parent.lstrip().startswith("- ") else 0
        stripped = child.lstrip(" ")
        child_indent = len(child) - len(stripped)
        if stripped.startswith("- ") and offset < 0:
            offset = child_indent - parent_indent
            after_dash = len(stripped) - len(stripped[1:].lstrip(" "))
            sequence = offset + after_dash
        elif not stripped.startswith("- ") and child_indent > parent_indent and not mapping:
            mapping = child_indent - parent_indent
    return (mapping or 2, sequence or 4, offset if offset >= 0 else 2)


class _EditSession:
    """A loaded file that can be written back with only the model's changes applied."""

    def __init__(self, text: str, source: str, ticket_url: str | None) -> None:
        self.text = text
        self._parsed = parse_with_positions(text, source)
        self.document = document_from_parsed(self._parsed, source, ticket_url=ticket_url)
        # unstructure builds new lists and dicts: the caller's changes do not reach them.
        self._before = unstructure(self.document)
        self._indentation = _guess_indentation(text)
        self._source = source
        self._ticket_url = ticket_url

    def dumps(self, section_notes: Mapping[str, str] | None = None) -> str:
        """The text with the document's changes applied; ``section_notes`` become comments
        above those top-level keys (once). Lines the changes do not reach are the file's,
        byte for byte, with their line breaks (CRLF or LF); a file without a final line
        break stays without one. A :class:`DocumentError` if the document does not validate.
        """
        after = unstructure(self.document)
        if same(self._before, after):
            return self.text
        refuse_unwritable_text(after)
        notes = {
            key: note for key, note in (section_notes or {}).items() if f"# {note}" not in self.text
        }
        text = self.text.replace("\r\n", "\n").removesuffix("\n") + "\n"
        sectioned = self._merged_by_sections(text, after, notes)
        if sectioned is not None:
            return sectioned
        return written_back(
            self.text, self._source, self._before, after, expected=after,
            ticket_url=self._ticket_url, notes=notes,
        )  # fmt: skip

    def _merged(self, text: str, before: Any, after: Any, notes: dict[str, str]) -> tuple[str, str]:
        return _merged(
            text, self._source, before, after, indentation=self._indentation,
            ticket_url=self._ticket_url, notes=notes,
        )  # fmt: skip

    def _merged_by_sections(self, text: str, after: Any, notes: dict[str, str]) -> str | None:
        """The file written with each top-level section the change reaches merged on its
        own, as a document of one key, and every other section left as it is, if that reads
        back as the document: the cost of an edit follows the sections it changes, not the
        file's size. None when the file is not written so (a top-level key added or
        removed, keys not each at the start of their own line, line breaks other than LF
        and CRLF), a section does not stand alone (an alias of an anchor in another), or
        the result does not read back: then the whole file is merged."""
        before, written = self._before, self._parsed.data
        if not (isinstance(before, dict) and isinstance(after, dict) and isinstance(written, dict)):
            return None
        reached = {key for key in before if not same(before[key], after.get(key, _MISSING))}
        if before.keys() != after.keys() or reached - written.keys() or _LINE_BREAKS.search(text):
            return None
        starts = self._parsed.top_level_keys()
        lines = [line + "\n" for line in text.split("\n")[:-1]]
        if any(column != 1 for _, column in starts) or any(
            later <= earlier for (earlier, _), (later, _) in itertools.pairwise(starts)
        ):
            return None
        bounds = [line - 1 for line, _ in starts] + [len(lines)]
        pieces = ["".join(lines[: bounds[0]])]
        data = dict(written)
        for index, key in enumerate(written):
            # Blank lines and comments at the start of a line after a section introduce
            # what follows it: they stay where they are, whatever becomes of the section.
            end = bounds[index + 1]
            while end > bounds[index] + 1 and (
                not lines[end - 1].strip() or lines[end - 1][0] == "#"
            ):
                end -= 1
            section = "".join(lines[bounds[index] : end])
            between = "".join(lines[end : bounds[index + 1]])
            if key in reached or key in notes:
                # Another key after the section, as the file has one, takes the lines that
                # go above what follows it (as when its last entry is deleted).
                last = index == len(written) - 1
                follower = "" if last else _FOLLOWER
                try:
                    section = self._merged(
                        section + follower,
                        {key: before[key]} if key in before else {},
                        {key: after[key]} if key in after else {},
                        {key: notes[key]} if key in notes else {},
                    )[0]
                    if not section.endswith(follower) or key == _FOLLOWER.partition(":")[0]:
                        return None
                    section = section.removesuffix(follower)
                    merged = parse_with_positions(section, self._source).data
                except DocumentError:
                    return None
                if not isinstance(merged, dict) or list(merged) != [key]:
                    return None
                data[key] = merged[key]
            pieces += [section, between]
        edited = with_line_breaks_of(self.text, "".join(pieces))
        # Sections with no anchor or alias, after nothing but comments, read alone as they
        # read in the file: the document is what their data makes, unparsed as a whole.
        alone = _COMMENTS_ONLY.fullmatch(pieces[0])
        try:
            if alone and not ANCHOR_OR_ALIAS_MARK.search(text + "".join(pieces)):
                parsed = Parsed(data, [])
                again = document_from_parsed(parsed, self._source, ticket_url=self._ticket_url)
            else:
                again = loads(edited, self._source, ticket_url=self._ticket_url)
        except DocumentError:
            return None
        return edited if same(unstructure(again), after) else None


_FOLLOWER = "postmortem-section-follower: 0\n"
"""A last key added to a section merged alone that is not the file's last, then taken away."""
_LINE_BREAKS = re.compile("[\r\x85\u2028\u2029]")
"""Line breaks YAML counts besides LF (a CR alone, Unicode's): the sections of a file with
them are not cut at its LF lines."""
_COMMENTS_ONLY = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")


def _merged(
    text: str,
    source: str,
    before: Any,
    after: Any,
    *,
    indentation: tuple[int, int, int],
    ticket_url: str | None,
    notes: Mapping[str, str],
) -> tuple[str, str]:
    """``text`` changed as ``before`` became ``after``, ``notes`` as comments above their
    top-level keys: the file's lines with ruamel's only where the change is
    (:func:`_reconciled`), and ruamel's text for all of it."""
    yaml = roundtrip_yaml(*indentation)
    tree = parse_roundtrip(text, source)
    merger = _Merger(tree, ticket_url, text.splitlines())
    tree = merger.merge(tree, before, after, BeforeDocument(tree), EndOfDocument(tree))
    for key, note in notes.items():
        if key in tree:
            tree.yaml_set_comment_before_after_key(key, before=note)
    merger.settle()
    changed = _with_end_lines(emit(tree, yaml), EndOfDocument(tree).lines())
    unchanged = emit(parse_roundtrip(text, source), yaml)
    return _reconciled(text, unchanged, changed), changed


def _with_end_lines(text: str, lines: list[str] | None) -> str:
    """``text`` ending with the comment lines kept after the document's last key, which
    ruamel does not write when that key's value is an empty collection (``{}``)."""
    tail = "".join(line + "\n" for line in lines or [])
    return text if text.endswith(tail) else text + tail


def written_back(
    original: str,
    source: str,
    before: Any,
    after: Any,
    *,
    expected: Any,
    ticket_url: str | None,
    notes: Mapping[str, str] | None = None,
) -> str:
    """``original``, whose data is ``before``, changed to hold ``after`` (``notes`` as
    comments above their top-level keys); it must read back as the document whose plain
    data is ``expected``."""
    text = original.replace("\r\n", "\n").removesuffix("\n") + "\n"
    reconciled, changed = _merged(
        text, source, before, after, indentation=_guess_indentation(original),
        ticket_url=ticket_url, notes=notes or {},
    )  # fmt: skip
    # ruamel's text for the whole file is the fallback when the file's own lines and
    # ruamel's changed ones do not fit together (indented differently, say).
    candidates = [reconciled] if reconciled == changed else [reconciled, changed]
    for candidate in candidates:
        written = with_line_breaks_of(original, candidate)
        try:
            again = loads(written, source, ticket_url=ticket_url)
        except DocumentError:
            if candidate is candidates[-1]:
                raise
            continue
        if same(unstructure(again), expected):
            return written
    raise RuntimeError(f"{source}: the edited text does not read back as the document")


def _reconciled(original: str, unchanged: str, changed: str) -> str:
    """``original`` changed as ruamel's text for it, ``unchanged``, became ``changed``.

    ruamel does not write every file back as it was (a comment after an alias, say, moves
    to a line of its own), so its text is used only where the change is: the lines of each
    difference between ``unchanged`` and ``changed`` replace the lines of ``original``
    that ``unchanged``'s lines there stand for (matched as difflib matches them), and every
    other line of ``original`` stays. All three end with a line break.
    """
    lines, base, new = (text.split("\n")[:-1] for text in (original, unchanged, changed))
    to_original: dict[int, int] = {}
    for base_start, original_line, size in matching_blocks(base, lines):
        for offset in range(size):
            to_original[base_start + offset] = original_line + offset

    def original_start(base_start: int) -> int | None:
        """Where the lines from ``base_start`` on begin in the original, if that is known."""
        if base_start in to_original:
            return to_original[base_start]
        if not base_start or base_start - 1 in to_original:
            return to_original[base_start - 1] + 1 if base_start else 0
        return None

    def original_end(base_start: int, base_end: int) -> int | None:
        """Where the lines before ``base_end`` end in the original, if that is known."""
        if base_end == base_start:
            return original_start(base_start)
        if base_end - 1 in to_original:
            return to_original[base_end - 1] + 1
        if base_end == len(base):
            return len(lines)
        return to_original.get(base_end)

    hunks: list[list[int]] = []  # [start, end] in the original, [start, end] in changed
    for tag, base_start, base_end, new_start, new_end in opcodes(base, new):
        if tag == "equal":
            continue
        # Widen a difference until its ends stand for known lines of the original.
        while (start := original_start(base_start)) is None:
            base_start, new_start = base_start - 1, new_start - 1
        while (end := original_end(base_start, base_end)) is None:
            base_end, new_end = base_end + 1, new_end + 1
        if hunks and start < hunks[-1][1]:  # widened into the one before: one difference
            hunks[-1][1], hunks[-1][3] = max(end, hunks[-1][1]), max(new_end, hunks[-1][3])
        else:
            hunks.append([start, end, new_start, new_end])
    result: list[str] = []
    kept = 0
    for replaced_start, replaced_end, new_start, new_end in hunks:
        result += lines[kept:replaced_start] + new[new_start:new_end]
        kept = replaced_end
    result += lines[kept:]
    return "".join(line + "\n" for line in result)


@contextlib.contextmanager
def edit(
    path: str | os.PathLike[str],
    *,
    section_notes: Mapping[str, str] | None = None,
    ticket_url: str | None = None,
    within: str | os.PathLike[str] | None = None,
) -> Iterator[PostMortem]:
    """Load ``path``, let the caller change the document, and save only what changed.

    Comments, anchors and aliases, key order, quoting, block style, line breaks (CRLF or
    LF), a byte order mark and a missing final line break are kept wherever the caller
    changed nothing; a key the file leaves out is written only if its value changed.
    Nothing is written if the block raises, or if the result does not validate and read
    back as the document. The file is replaced atomically, and only if it is still as it
    was read: a change made to it meanwhile raises :class:`ConcurrentEditError` and is
    kept (see :func:`postmortem.files.write_atomic`). A read-only file is refused; a
    symbolic link is written through, unless it leads out of the folder ``within`` (the
    repository). ``section_notes`` adds a comment above top-level keys, such as a
    generated section; ``ticket_url`` is as for :func:`loads`.
    """
    source = os.fspath(path)
    text, state = read_with_state(path, within=within)
    session = _EditSession(text, source, ticket_url)
    yield session.document
    written = session.dumps(section_notes)
    if written != session.text:
        write_atomic(path, written, expected=state)


def edit_text(
    text: str, source: str = "<string>", *, ticket_url: str | None = None
) -> "_EditSession":
    """An editing session over YAML ``text``: change ``.document``, then call ``.dumps()``."""
    return _EditSession(text, source, ticket_url)
