"""Reading and writing post-mortem YAML: fast validated loads, faithful edits, located errors.

Two ruamel.yaml modes work together. Loading parses with the C-accelerated safe
loader and structures the plain data; only when that finds problems is the text
parsed again in round-trip mode, to give every problem its line and column.
Editing parses in round-trip mode and merges the changed model back into the
node tree, so comments, key order, quoting and block style of everything the
caller did not change stay as the person wrote them.
"""

import contextlib
import copy
import difflib
import io
import itertools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.anchor import Anchor
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    PlainScalarString,
    ScalarString,
)
from ruamel.yaml.tag import Tag
from ruamel.yaml.timestamp import TimeStamp
from ruamel.yaml.tokens import CommentToken

from postmortem._shown import shown
from postmortem._version import __version__
from postmortem.converter import (
    NUMBER_TOO_LARGE,
    TICKET_KEY,
    UNKNOWN_KEY,
    FieldPath,
    bounded_whole_number,
    format_path,
    structure,
    structure_problems,
    ticket_link,
    unstructure,
)
from postmortem.errors import DocumentError, Problem
from postmortem.files import read_text, read_with_state, with_line_breaks_of, write_atomic
from postmortem.model import SCHEMA_VERSION, PostMortem
from postmortem.profiles import profile_problems
from postmortem.upgrade import assign_ids, original_path, upgrade, written_schema

__all__ = [
    "compose",
    "document_from_data",
    "dump",
    "dumps",
    "edit",
    "edit_text",
    "emit_tree",
    "load",
    "loads",
    "locate",
    "located_problems",
    "migrate_text",
    "parse",
    "parse_roundtrip",
]

_MISSING: Any = object()
_UNICODE_LINE_BREAKS = frozenset("\x85\u2028\u2029")
_VERBATIM_TAGS: dict[type, str] = {
    type(None): "tag:yaml.org,2002:null",
    TimeStamp: "tag:yaml.org,2002:timestamp",
    ScalarFloat: "tag:yaml.org,2002:float",
}


_ANCHORED_TAGS: dict[type, str] = {**_VERBATIM_TAGS, date: "tag:yaml.org,2002:timestamp"}
"""Scalars kept as written when they carry an anchor (ruamel drops the anchor of a date)."""
_ANCHOR_OR_ALIAS = re.compile(r"([&*])([^\s,\[\]{}]+)\s*(.*)")


class _WrittenAnchor:
    """An anchor of the file, as ruamel's ``Anchor`` is read: written even where no alias to
    it is left."""

    always_dump = True

    def __init__(self, value: str | None) -> None:
        self.value = value


class _Verbatim:
    """A scalar ruamel would re-spell (a null, timestamp or float) or whose anchor it would
    drop, kept as written. One object stands for an anchor and its aliases."""

    def __init__(self, value: Any, text: str, tag: str, anchor: str | None) -> None:
        self.value = value
        self.text = text
        self.tag = tag
        self.anchor = None if anchor is None else _WrittenAnchor(anchor)


def _represent_verbatim(representer: RoundTripRepresenter, data: _Verbatim) -> Any:
    return representer.represent_scalar(data.tag, data.text, anchor=data.anchor)


class _Representer(RoundTripRepresenter):
    """ruamel's round-trip representer, writing an alias only where the file had an anchor:
    a value the model holds twice (a history row's date and ``metadata.created``) is
    written out twice, not as ``&id001`` and ``*id001``."""

    def ignore_aliases(self, data: Any) -> bool:
        anchor = getattr(data, "anchor", None)
        return anchor is None or anchor.value is None

    def represent_none(self, data: None) -> Any:
        """An empty value, as a person leaves a key to fill in (``key:``); ruamel writes
        ``null`` instead whenever it has kept no object for aliases."""
        return self.represent_scalar("tag:yaml.org,2002:null", "")


_Representer.add_representer(_Verbatim, _represent_verbatim)
_Representer.add_representer(type(None), _Representer.represent_none)


class _FixedVersionResolver(VersionedResolver):
    """The resolver of the C loader, with its lookup table built once.

    ruamel's resolver looks up the YAML version and builds a tag object for every
    plain scalar; under the C parser the version cannot change within a loader, so
    the table and the tags are made once. That takes a third off loading a document.
    """

    _table: dict[str | None, list[tuple[Tag, Any]]] | None = None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode or not implicit[0]:
            return super().resolve(kind, value, implicit)
        if self._table is None:
            self._table = {
                first: [(Tag(suffix=tag), regexp) for tag, regexp in pairs]
                for first, pairs in self.versioned_resolver.items()
            }
        for candidates in (self._table.get(value[:1], ()), self._table.get(None, ())):
            for tag, regexp in candidates:
                if regexp.match(value):
                    return tag
        return self.DEFAULT_SCALAR_TAG


@cache
def _safe_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _FixedVersionResolver
    return yaml


def _roundtrip_yaml(mapping_indent: int = 2, sequence_indent: int = 4, offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.indent(mapping=mapping_indent, sequence=sequence_indent, offset=offset)
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [{name: A}], not [name: A]
    return yaml


def _syntax_problem(error: YAMLError, source: str) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    if isinstance(error, MarkedYAMLError):
        parts = [error.context, error.problem]
        message = "; ".join(str(part) for part in parts if part)
    else:
        message = str(error)
    return Problem(source, line, column, "", " ".join(f"YAML: {message}".split()))


MAX_VALUES = 1_000_000
"""Most values one document may hold once aliases are expanded (an alias bomb holds billions)."""

_YAML_TAG = "tag:yaml.org,2002:"
_SCALAR_CONSTRUCTORS = {
    f"{_YAML_TAG}int": "construct_yaml_int",
    f"{_YAML_TAG}float": "construct_yaml_float",
    f"{_YAML_TAG}bool": "construct_yaml_bool",
    f"{_YAML_TAG}timestamp": "construct_yaml_timestamp",
}


class _BuildError(Exception):
    """A value the builder refuses, at ``mark``, inside the document at ``path``."""

    def __init__(self, message: str, mark: Any, path: FieldPath = ()) -> None:
        super().__init__(message)
        self.mark = mark
        self.path = path


class _Builder:
    """Plain data from a composed node tree: the YAML 1.2 core schema and nothing else.

    ruamel's safe constructor would do the same at twice the cost; this one also
    refuses what a post-mortem never needs (merge keys, sets, binary, custom tags)
    and numbers beyond what the model holds, and stops aliases from expanding without
    bound. A plain scalar written like a timestamp that is no date or time
    (``2024-02-30``) stays text, for the converter to say why where a date goes.
    """

    def __init__(self) -> None:
        self._constructor = _safe_yaml().constructor
        self._budget = MAX_VALUES

    def build(self, node: Node) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise _BuildError(
                f"YAML: more than {MAX_VALUES} values (do aliases expand too far?)",
                node.start_mark,
            )
        tag = node.ctag.trval
        if isinstance(node, ScalarNode):
            if tag == f"{_YAML_TAG}str":
                return node.value
            if tag == f"{_YAML_TAG}null":
                return None
            return self._scalar(node, tag)
        if isinstance(node, SequenceNode) and tag == f"{_YAML_TAG}seq":
            items: list[Any] = []
            try:
                for item in node.value:
                    items.append(self.build(item))
            except _BuildError as error:
                error.path = (len(items), *error.path)
                raise
            return items
        if isinstance(node, MappingNode) and tag == f"{_YAML_TAG}map":
            mapping: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.ctag.trval == f"{_YAML_TAG}merge":
                    message = "YAML: merge keys (<<) are not supported"
                    raise _BuildError(message, key_node.start_mark)
                key = self.build(key_node)
                if isinstance(key, list | dict):
                    raise _BuildError("YAML: a key must be a single value", key_node.start_mark)
                step = key if isinstance(key, str) else str(key)
                if key in mapping:
                    message = f"YAML: duplicate key {shown(key)}"
                    raise _BuildError(message, key_node.start_mark, (step,))
                try:
                    mapping[key] = self.build(value_node)
                except _BuildError as error:
                    error.path = (step, *error.path)
                    raise
            return mapping
        raise _BuildError(f"YAML: unknown tag {shown(tag)}", node.start_mark)

    def _scalar(self, node: ScalarNode, tag: str | None) -> Any:
        """An int, float, bool or timestamp; a whole number beyond the model's is refused."""
        method = _SCALAR_CONSTRUCTORS.get(tag or "")
        if method is None:
            raise _BuildError(f"YAML: unknown tag {shown(tag)}", node.start_mark)
        construct = getattr(self._constructor, method)
        if tag == f"{_YAML_TAG}timestamp":
            try:
                return construct(node)
            except (ValueError, OverflowError, YAMLError):
                return node.value  # no such date or time: text, for the converter to say why
        try:
            value = construct(node)
            return bounded_whole_number(value) if type(value) is int else value
        except ValueError:  # more digits than Python converts, or beyond the model's bound
            raise _BuildError(NUMBER_TOO_LARGE, node.start_mark) from None


def parse(text: str, source: str = "<string>") -> Any:
    """Plain data from YAML text (YAML 1.2, C-accelerated), or a located :class:`DocumentError`."""
    root = compose(text, source)
    if root is None:
        return None
    try:
        return _Builder().build(root)
    except _BuildError as error:
        line, column = error.mark.line + 1, error.mark.column + 1
        problem = Problem(source, line, column, format_path(error.path), str(error))
        raise DocumentError([problem]) from None
    except RecursionError:
        raise DocumentError([Problem(source, 0, 0, "", "YAML: nested too deeply")]) from None


def parse_roundtrip(text: str, source: str = "<string>") -> Any:
    """The round-trip node tree of YAML text, with positions and comments."""
    _check_depth(text, source)
    try:
        tree = _roundtrip_yaml().load(text)
    except YAMLError as error:
        raise DocumentError([_syntax_problem(error, source)]) from None
    except RecursionError:
        raise DocumentError([Problem(source, 0, 0, "", "YAML: nested too deeply")]) from None
    _keep_as_written(tree, text.splitlines(), {}, set())
    return tree


def _keep_as_written(
    node: Any, lines: list[str], anchored: dict[str, _Verbatim], seen: set[int]
) -> None:
    """Make ``node`` write back as the file has it: the scalars ruamel would re-spell, or
    whose anchor it would drop, wrapped in :class:`_Verbatim` (``anchored`` maps an anchor
    to its object, which its aliases then share), and every anchor of a collection written
    even where no alias is left. ``seen`` holds the collections already done."""
    if not isinstance(node, CommentedMap | CommentedSeq) or id(node) in seen:
        return
    seen.add(id(node))
    if node.anchor.value is not None:
        node.anchor.always_dump = True
    if isinstance(node, CommentedMap):
        entries = [(key, node.lc.value(key)) for key in node]
    else:
        entries = [(index, node.lc.item(index)) for index in range(len(node))]
    for key, (line, column) in entries:
        value = node[key]
        if isinstance(value, CommentedMap | CommentedSeq):
            if isinstance(node, CommentedMap) and value.anchor.value is not None:
                _comment_after_anchor_on_its_line(node, key, node.lc.key(key)[0])
            _keep_as_written(value, lines, anchored, seen)
            continue
        spelling = _scalar_text(lines, line, column)
        anchor = None
        found = _ANCHOR_OR_ALIAS.fullmatch(spelling)
        if found is not None:
            if found.group(2) in anchored:  # an alias, or its position read as the anchor's
                node[key] = anchored[found.group(2)]
                continue
            anchor = found.group(2) if found.group(1) == "&" else None
            spelling = found.group(3)
        tag = (_ANCHORED_TAGS if anchor else _VERBATIM_TAGS).get(type(value))
        if tag is None or not spelling or spelling.startswith("!"):
            continue
        if value is None and spelling not in ("null", "Null", "NULL", "~"):
            continue
        node[key] = _Verbatim(value, spelling, tag, anchor)
        if anchor is not None:
            anchored[anchor] = node[key]


def _comment_after_anchor_on_its_line(node: CommentedMap, key: Any, key_line: int) -> None:
    """ruamel reads the comment after ``key: &anchor`` as a comment line above the
    collection's first entry, and writes it on a line of its own: put it back at the end
    of the key's line, where it was written (as ruamel keeps it without an anchor)."""
    comments = node.ca.items.get(key)
    above = comments[3] if comments and len(comments) > 3 else None
    if not above or getattr(above[0], "start_mark", None) is None:
        return
    if above[0].start_mark.line != key_line:
        return
    comments[2], comments[3] = above[0], above[1:] or None
    node[key].ca.comment = [above[0], above[1:] or None]


def _scalar_text(lines: list[str], line: int, column: int) -> str:
    if line >= len(lines):
        return ""
    text = lines[line][column:]
    comment = text.find(" #")
    if comment >= 0:
        text = text[:comment]
    for stop in ",]}":
        if stop in text:
            text = text[: text.index(stop)]
    return text.strip()


def _plain(node: Any) -> Any:
    """Round-trip nodes as the plain data the safe loader would have given."""
    if isinstance(node, dict):
        return {_plain(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, _Verbatim):
        return _plain(node.value)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, datetime):
        return datetime(
            node.year,
            node.month,
            node.day,
            node.hour,
            node.minute,
            node.second,
            node.microsecond,
            tzinfo=node.tzinfo,
        )
    return node


MAX_DEPTH = 1000
"""Deepest nesting read. A post-mortem nests about ten levels; the C parser crashes the
process past some tens of thousands, so depth is bounded before parsing."""

_FLOW_BRACKETS = re.compile(r"[\[\]{}]")
_BLOCK_INDENT = re.compile(r"^[ \t?:-]+", re.MULTILINE)


def _check_depth(text: str, source: str) -> None:
    """Refuse text that could nest too deep: flow brackets open more than MAX_DEPTH at
    once, or a line starts with more than 4 x MAX_DEPTH characters of indentation and
    block indicators (a block level takes at least one)."""
    flow = deepest = 0
    openings = text.count("[") + text.count("{")
    for bracket in _FLOW_BRACKETS.finditer(text) if openings > MAX_DEPTH else ():
        flow = flow + 1 if bracket.group() in "[{" else max(flow - 1, 0)
        deepest = max(deepest, flow)
    block = max((len(run.group()) for run in _BLOCK_INDENT.finditer(text)), default=0)
    if deepest > MAX_DEPTH or block > 4 * MAX_DEPTH:
        message = f"YAML: nested too deeply (more than {MAX_DEPTH} levels)"
        raise DocumentError([Problem(source, 1, 1, "", message)])


def compose(text: str, source: str = "<string>") -> Node | None:
    """The YAML node tree of ``text`` (C-accelerated), each node marked with its position."""
    _check_depth(text, source)
    try:
        root: Node | None = _safe_yaml().compose(text)
    except YAMLError as error:
        raise DocumentError([_syntax_problem(error, source)]) from None
    except RecursionError:
        raise DocumentError([Problem(source, 0, 0, "", "YAML: nested too deeply")]) from None
    return root


def locate(root: Node | None, path: FieldPath, *, at_key: bool = False) -> tuple[int, int]:
    """1-based (line, column) of ``path`` in a node tree; its nearest ancestor if absent.

    ``at_key`` gives the position of the last key itself rather than its value.
    """
    position = (1, 1)
    node = root
    for depth, step in enumerate(path):
        if isinstance(node, MappingNode):
            entry = next(
                ((key, value) for key, value in node.value if key.value == str(step)), None
            )
            if entry is None:
                break
            mark = entry[0].start_mark if at_key and depth == len(path) - 1 else entry[1].start_mark
            node = entry[1]
        elif (
            isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value)
        ):
            node = node.value[step]
            mark = node.start_mark
        else:
            break
        position = (mark.line + 1, mark.column + 1)
    return position


def document_from_data(
    data: Any, text: str, source: str, *, ticket_url: str | None = None
) -> PostMortem:
    """The document in ``data``, parsed from ``text``; located problems if it does not fit.

    ``ticket_url`` links ticket keys written where a link goes (see :func:`structure`).
    """
    if data is None:
        raise DocumentError([Problem(source, 1, 1, "", "empty document: expected a post-mortem")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        message = f"expected a mapping of sections at the top level, found {kind}"
        raise DocumentError([Problem(source, 1, 1, "", message)])
    written_for = written_schema(data)
    if written_for is not None and written_for > SCHEMA_VERSION:
        # Only this problem: the rest of the document is in a format this program cannot know.
        message = (
            f"written for schema {written_for}; this is postmortem {__version__}"
            f" (schema {SCHEMA_VERSION}): upgrade postmortem"
        )
        raise DocumentError(located_problems([(("schema_version",), message)], text, source))
    upgraded = upgrade(data)
    try:
        document = structure(upgraded.data, PostMortem, ticket_url=ticket_url)
    except Exception as error:  # every structuring failure becomes located problems
        found = list(structure_problems(error))
    else:
        found = list(profile_problems(document))
        if not found:
            return document
    moved = [(original_path(path, upgraded.moves), message) for path, message in found]
    raise DocumentError(located_problems(moved, text, source))


def located_problems(
    found: Sequence[tuple[FieldPath, str]], text: str, source: str
) -> list[Problem]:
    """Problems at field paths, given their line and column in ``text``."""
    tree = compose(text, source)
    problems = []
    for path, message in found:
        line, column = locate(tree, path, at_key=message.startswith(UNKNOWN_KEY))
        problems.append(Problem(source, line, column, format_path(path), message))
    return problems


def loads(text: str, source: str = "<string>", *, ticket_url: str | None = None) -> PostMortem:
    """The document in YAML ``text``; ``source`` names it in error messages.

    ``ticket_url`` (``https://jira.example.com/browse/{key}``) links ticket keys written
    where a link goes; without it they are errors.
    """
    return document_from_data(parse(text, source), text, source, ticket_url=ticket_url)


def load(path: str | os.PathLike[str], *, ticket_url: str | None = None) -> PostMortem:
    """The document in the YAML file at ``path`` (``ticket_url`` as for :func:`loads`)."""
    return loads(read_text(path), os.fspath(path), ticket_url=ticket_url)


def _yaml_value(value: Any) -> Any:
    """Plain data prepared for writing: multi-line text as literal blocks."""
    if isinstance(value, dict):
        return {key: _yaml_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_yaml_value(item) for item in value]
    if isinstance(value, str) and _fits_literal_block(value):
        return LiteralScalarString(value)
    if isinstance(value, str) and not _UNICODE_LINE_BREAKS.isdisjoint(value):
        return DoubleQuotedScalarString(value)  # ruamel writes these unescaped otherwise
    return value


def _fits_literal_block(text: str) -> bool:
    if "\n" not in text.rstrip("\n") or text != text.lstrip(" \n") or not text.endswith("\n"):
        return False
    lines = text[:-1].split("\n")
    return all(line == line.rstrip(" \t") and line.isprintable() for line in lines) and not (
        text.endswith("\n\n")
    )


def _emit(tree: Any, yaml: YAML) -> str:
    stream = io.StringIO()
    yaml.dump(tree, stream)
    return stream.getvalue()


def emit_tree(tree: Any) -> str:
    """YAML text of plain data or a round-trip tree, in this library's house style."""
    return _emit(tree, _roundtrip_yaml())


def dumps(doc: PostMortem) -> str:
    """YAML text for ``doc``; empty optional sections are left out."""
    return emit_tree(_yaml_value(unstructure(doc)))


def dump(doc: PostMortem, path: str | os.PathLike[str]) -> None:
    """Write ``doc`` to ``path`` atomically (see :func:`edit` to keep a person's formatting)."""
    write_atomic(path, dumps(doc))


def _same(before: Any, after: Any) -> bool:
    if type(before) is not type(after):
        return False
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, list):
        return len(before) == len(after) and all(map(_same, before, after))
    if isinstance(before, datetime):
        return bool(before == after and before.utcoffset() == after.utcoffset())
    return bool(before == after)


def _canonical(value: Any) -> Any:
    """A hashable stand-in for plain data, equal where :func:`_same` holds."""
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
        self._aliases = _AliasPlaces(tree)
        self._left_over: dict[int, list[str]] = {}  # collection id -> lines to put after it

    def settle(self) -> None:
        """Make the tree ready to write (see :meth:`_AliasPlaces.settle`)."""
        self._aliases.settle()

    def merge(self, node: Any, before: Any, after: Any, lead: "_Place", trail: "_Place") -> Any:
        """``node`` changed as ``before`` became ``after``; ``lead`` holds the comment lines
        above its first entry, ``trail`` those after it that ruamel keeps above what follows."""
        if before is not _MISSING and _same(before, after):
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
        replacement = _yaml_value(after)
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
        lead: "_Place",
        trail: "_Place",
    ) -> None:
        for key in [key for key in node if key in before and key not in after]:
            self._delete(node, list(node).index(key), lead, trail)
        if not node and after:
            node.fa.set_block_style()  # every key replaced: written as the file wrote it
        for key, value in after.items():
            if key in node:
                previous = before.get(key, _MISSING)
                following = _AboveNext(node, list(node).index(key) + 1, trail)
                merged = self.merge(node[key], previous, value, _BeforeValue(node, key), following)
                _replace_value(node, key, merged, self._aliases)
                self._put_left_over_lines(node[key], following)
            elif key not in before or not _same(before[key], value):
                # A key the file leaves out stays out unless its value changed: the loader
                # gave it its default, which the person did not write.
                position = _insert_position(node, list(after), key)
                if _is_link(value):  # a new link is written short, as a person writes it
                    value = _link_as_written(value, self._ticket_url)
                _insert_entry(node, position, key, value, self._lines, lead, self._aliases)

    def _merge_sequence(
        self, node: CommentedSeq, before: Any, after: list[Any], lead: "_Place", trail: "_Place"
    ) -> None:
        """Items matched by value: a removed item takes its own lines with it, an added one
        gets new lines, and the comments around the others stay where they are."""
        old = before if isinstance(before, list) and len(before) == len(node) else []
        opcodes: Sequence[tuple[str, int, int, int, int]]
        if len(after) == len(node):  # items changed in place, none added or removed
            opcodes = [("replace", 0, len(node), 0, len(after))]
        else:
            opcodes = difflib.SequenceMatcher(
                None,
                [_canonical(item) for item in old] or [_MISSING] * len(node),
                [_canonical(item) for item in after],
                autojunk=False,
            ).get_opcodes()
        for tag, start, end, new_start, new_end in reversed(opcodes):
            if tag == "equal":
                continue
            paired = min(end - start, new_end - new_start)
            for index in range(start, start + paired):
                previous = old[index] if old else _MISSING
                value = after[new_start + index - start]
                item_lead = lead if index == 0 else _AfterEntry(node, index - 1, self._aliases)
                following = _AboveNext(node, index + 1, trail)
                merged = self.merge(node[index], previous, value, item_lead, following)
                _replace_value(node, index, merged, self._aliases)
                self._put_left_over_lines(node[index], following)
            for index in reversed(range(start + paired, end)):
                self._delete(node, index, lead, trail)
            for offset, value in enumerate(after[new_start + paired : new_end]):
                position = start + paired + offset
                _insert_entry(node, position, position, value, self._lines, lead, self._aliases)

    def _delete(
        self, node: CommentedMap | CommentedSeq, index: int, lead: "_Place", trail: "_Place"
    ) -> None:
        left_over = _delete_entry(node, index, lead, trail, self._aliases)
        if left_over:
            self._left_over[id(node)] = left_over

    def _put_left_over_lines(self, value: Any, following: "_Place") -> None:
        """Put the lines a collection emptied by deletions could not keep (it is now written
        ``{}`` or ``[]`` on its key's line) above what follows it."""
        lines = self._left_over.pop(id(value), None)
        if lines:
            following.set_lines(lines + (following.lines() or []))


def _replace_value(
    node: CommentedMap | CommentedSeq, key: Any, value: Any, aliases: "_AliasPlaces"
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


def _fits_style_of(old: ScalarString, text: str) -> bool:
    """Whether ``text`` can be written in the style of ``old`` (which ruamel gives a new
    value assigned in its place): a literal block holds only printable lines, and a folded
    one is not kept, since folding changes what is read back."""
    if isinstance(old, FoldedScalarString):
        return False
    if isinstance(old, LiteralScalarString):
        return _fits_literal_block(text) or (text.isprintable() and text == text.strip())
    return True


class _AliasPlaces:
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
        if isinstance(anchor, Anchor | _WrittenAnchor):
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
    return _yaml_value(link)


def _is_link(value: Any) -> bool:
    """Whether plain data is a link's (only :class:`~postmortem.model.Link` has a ``url``)."""
    return isinstance(value, dict) and "url" in value and value.keys() <= {"url", "label"}


def _insert_position(node: CommentedMap, order: list[str], key: str) -> int:
    present = list(node)
    for earlier in reversed(order[: order.index(key)]):
        if earlier in node:
            return present.index(earlier) + 1
    return 0


class _Place(Protocol):
    """Where ruamel keeps some comment and blank lines of a file."""

    def lines(self) -> list[str] | None:
        """The lines, without their line breaks; None if they are not what ruamel reads
        from a file (then they are left alone)."""

    def set_lines(self, lines: list[str]) -> None: ...


class _AfterEntry:
    """The lines after entry ``index`` of ``node`` (before the next entry, or after the
    collection if it is the last). ruamel keeps them on the entry's last scalar, after the
    end of its line (a comment there), which stays as it is."""

    def __init__(
        self, node: CommentedMap | CommentedSeq, index: int, aliases: "_AliasPlaces"
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


class _BeforeValue:
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


class _AboveNext:
    """The comment lines ruamel keeps above entry ``index`` of ``node``: those after an
    entry that cannot hold them (an alias, an empty collection). Past the last entry, those
    after the collection, at ``outer``."""

    def __init__(self, node: CommentedMap | CommentedSeq, index: int, outer: _Place) -> None:
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


class _EndOfDocument:
    """The comment lines at the end of the document that ruamel keeps after its last key."""

    def __init__(self, tree: CommentedMap) -> None:
        self._tree = tree

    def lines(self) -> list[str] | None:
        return _token_lines(self._tree.ca.end)

    def set_lines(self, lines: list[str]) -> None:
        self._tree.ca.end = _line_tokens(lines) or []


class _BeforeDocument:
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
    node: CommentedMap | CommentedSeq, index: int, aliases: "_AliasPlaces"
) -> tuple[list[str], list[str]]:
    """The lines after entry ``index`` split in two: those indented inside the entry (its own
    comments), and those that follow it (blank lines, comments on the next entry or on what
    comes after the collection)."""
    lines = _AfterEntry(node, index, aliases).lines() or []
    column = node.lc.col or 0
    start = len(lines)
    while start and (not lines[start - 1].strip() or _indentation(lines[start - 1]) <= column):
        start -= 1
    return lines[:start], lines[start:]


def _delete_entry(
    node: CommentedMap | CommentedSeq,
    index: int,
    lead: _Place,
    trail: _Place,
    aliases: "_AliasPlaces",
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
    place = _AfterEntry(node, index - 1, aliases) if index else lead
    kept = place.lines()
    if kept is None:
        following_place = _AboveNext(node, index, trail)
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


def _insert_entry(
    node: CommentedMap | CommentedSeq,
    position: int,
    key: Any,
    value: Any,
    lines: Sequence[str],
    lead: _Place,
    aliases: "_AliasPlaces",
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
    value = _commented(_yaml_value(value))
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
                _AfterEntry(node, 0, aliases).set_lines(above[split:])
        return
    if _AfterEntry(node, position - 1, aliases).lines() is None:
        return  # after an alias: the lines after it are kept above the next entry
    own, following = _following_lines(node, position - 1, aliases)
    if position == len(node) - 1:  # the new last entry: separated as the last one was
        separator = [""] if _blank_line_separated(node, lines) else []
    else:  # between two entries: the blank lines that separated them
        separator = list(itertools.takewhile(lambda line: not line.strip(), following))
    _AfterEntry(node, position - 1, aliases).set_lines(own + separator)
    if following:
        _AfterEntry(node, position, aliases).set_lines(following)


def _tail_slot(
    node: CommentedMap | CommentedSeq, index: int, aliases: "_AliasPlaces"
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
        self.document = loads(text, source, ticket_url=ticket_url)
        self._before = copy.deepcopy(unstructure(self.document))
        self._source = source
        self._ticket_url = ticket_url

    def dumps(self, section_notes: Mapping[str, str] | None = None) -> str:
        """The text with the document's changes applied; ``section_notes`` become comments
        above those top-level keys (once). Lines the changes do not reach are the file's,
        byte for byte, with their line breaks (CRLF or LF); a file without a final line
        break stays without one. A :class:`DocumentError` if the document does not validate.
        """
        after = unstructure(self.document)
        if _same(self._before, after):
            return self.text
        return _written(
            self.text,
            self._source,
            self._before,
            after,
            expected=after,
            ticket_url=self._ticket_url,
            section_notes=section_notes,
        )


def _written(
    original: str,
    source: str,
    before: Any,
    after: Any,
    *,
    expected: Any,
    ticket_url: str | None,
    section_notes: Mapping[str, str] | None = None,
) -> str:
    """``original``, whose data is ``before``, changed to hold ``after``; it must read back as
    the document whose plain data is ``expected``."""
    text = original.replace("\r\n", "\n").removesuffix("\n") + "\n"
    yaml = _roundtrip_yaml(*_guess_indentation(original))
    tree = parse_roundtrip(text, source)
    merger = _Merger(tree, ticket_url, text.splitlines())
    tree = merger.merge(tree, before, after, _BeforeDocument(tree), _EndOfDocument(tree))
    for key, note in (section_notes or {}).items():
        if key in tree and f"# {note}" not in original:
            tree.yaml_set_comment_before_after_key(key, before=note)
    merger.settle()
    changed = _emit(tree, yaml)
    unchanged = _emit(parse_roundtrip(text, source), yaml)
    reconciled = _reconciled(text, unchanged, changed)
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
        if _same(unstructure(again), expected):
            return written
    raise RuntimeError(f"{source}: the edited text does not read back as the document")


def migrate_text(text: str, source: str = "<string>", *, ticket_url: str | None = None) -> str:
    """``text`` rewritten in the current schema, changed only where the schema changed:
    values moved to their new homes, every list item others refer to given a stable id, and
    every other line (comments, order, quoting) as it was. The same text for a document that
    needs nothing; a :class:`DocumentError` for one that does not load."""
    loads(text, source, ticket_url=ticket_url)  # the document must load, as its version reads
    before = _plain(parse_roundtrip(text, source))
    upgraded = upgrade(before)
    after = copy.deepcopy(upgraded.data)
    assign_ids(after)
    if _same(before, after):
        return text
    expected = unstructure(document_from_data(after, text, source, ticket_url=ticket_url))
    written = _written(text, source, before, after, expected=expected, ticket_url=ticket_url)
    with_comments = _with_moved_comments(text, written, upgraded.moves, source)
    try:
        if _same(unstructure(loads(with_comments, source, ticket_url=ticket_url)), expected):
            return with_comments
    except DocumentError:
        pass
    return written


def _with_moved_comments(
    original: str, written: str, moves: Sequence[tuple[FieldPath, FieldPath]], source: str
) -> str:
    """``written`` with the comments of each moved value in ``original`` moved with it: the
    comment at the end of its line to the end of its new line (where that has none), and the
    comment lines right above its key (where ``written`` kept them once) above its new key."""
    old_tree = compose(original, source)
    old_lines, new_lines = original.splitlines(), written.splitlines(keepends=True)
    for new, old in _with_descendants(moves, _node_at(old_tree, ())):
        new_lines = _comments_above_moved(old_tree, old_lines, new_lines, new, old, source)
        new_tree = compose("".join(new_lines), source)
        old_node, new_node = _node_at(old_tree, old), _node_at(new_tree, new)
        if not isinstance(old_node, ScalarNode) or not isinstance(new_node, ScalarNode):
            continue
        end, new_end = old_node.end_mark, new_node.end_mark
        comment = old_lines[end.line][end.column :]
        if not comment.lstrip().startswith("#") or new_end.line != new_node.start_mark.line:
            continue
        line = new_lines[new_end.line]
        content = line.rstrip("\r\n")
        if content[new_end.column :].strip():
            continue
        new_lines[new_end.line] = content + comment + line[len(content) :]
    return "".join(new_lines)


def _with_descendants(
    moves: Sequence[tuple[FieldPath, FieldPath]], root: Node | None
) -> list[tuple[FieldPath, FieldPath]]:
    """Each move, followed by one for every entry inside the moved value (a mapping or list
    moves with its keys and items)."""
    expanded: list[tuple[FieldPath, FieldPath]] = []

    def add(new: FieldPath, old: FieldPath, node: Node | None) -> None:
        expanded.append((new, old))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                add((*new, key.value), (*old, key.value), value)
        elif isinstance(node, SequenceNode):
            for index, value in enumerate(node.value):
                add((*new, index), (*old, index), value)

    for new, old in moves:
        add(new, old, _node_at(root, old))
    return expanded


def _comments_above_moved(
    old_tree: Node | None,
    old_lines: list[str],
    new_lines: list[str],
    new: FieldPath,
    old: FieldPath,
    source: str,
) -> list[str]:
    """``new_lines`` with the comment lines above the key of ``old`` moved above that of
    ``new``, indented as it is."""
    new_tree = compose("".join(new_lines), source)
    if _node_at(old_tree, old) is None or _node_at(new_tree, new) is None:
        return new_lines
    key_line = locate(old_tree, old, at_key=True)[0] - 1
    first = key_line
    while first > 0 and old_lines[first - 1].lstrip().startswith("#"):
        first -= 1
    block = [line.strip() for line in old_lines[first:key_line]]
    stripped = [line.strip() for line in new_lines]
    starts = [
        at
        for at in range(len(stripped) - len(block) + 1)
        if block and stripped[at : at + len(block)] == block
    ]
    if not block or len(starts) > 1:
        return new_lines  # none, or kept at more than one place: which one is not known
    target_line, target_column = locate(new_tree, new, at_key=True)
    if starts and starts[0] <= target_line - 1 < starts[0] + len(block):
        return new_lines
    line_break = new_lines[target_line - 1][len(new_lines[target_line - 1].rstrip("\r\n")) :]
    indented = [" " * (target_column - 1) + line + (line_break or "\n") for line in block]
    result = new_lines[: target_line - 1] + indented + new_lines[target_line - 1 :]
    if starts:  # kept where the value was: moved with it
        start = starts[0] + (len(block) if starts[0] >= target_line - 1 else 0)
        del result[start : start + len(block)]
    return result


def _node_at(root: Node | None, path: FieldPath) -> Node | None:
    """The node at ``path`` of a node tree, None where there is none."""
    node = root
    for step in path:
        if isinstance(node, MappingNode):
            node = next((value for key, value in node.value if key.value == str(step)), None)
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return None
    return node


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
    matcher = difflib.SequenceMatcher(None, base, lines, autojunk=False)
    for base_start, original_line, size in matcher.get_matching_blocks():
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
    for tag, base_start, base_end, new_start, new_end in difflib.SequenceMatcher(
        None, base, new, autojunk=False
    ).get_opcodes():
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
