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
import io
import itertools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
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
from postmortem.files import read_text, write_atomic
from postmortem.model import SCHEMA_VERSION, PostMortem

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


class _Verbatim:
    """A scalar ruamel would re-spell (a null, timestamp or float), kept as written."""

    def __init__(self, value: Any, text: str, tag: str) -> None:
        self.value = value
        self.text = text
        self.tag = tag


def _represent_verbatim(representer: RoundTripRepresenter, data: _Verbatim) -> Any:
    return representer.represent_scalar(data.tag, data.text)


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
    _keep_verbatim_scalars(tree, text.splitlines())
    return tree


def _keep_verbatim_scalars(node: Any, lines: list[str]) -> None:
    """Wrap the scalars ruamel would re-spell so that they are written back as the file had them."""
    if isinstance(node, CommentedMap):
        entries = [(key, node.lc.value(key)) for key in node]
    elif isinstance(node, CommentedSeq):
        entries = [(index, node.lc.item(index)) for index in range(len(node))]
    else:
        return
    for key, (line, column) in entries:
        value = node[key]
        tag = _VERBATIM_TAGS.get(type(value))
        if tag is None:
            _keep_verbatim_scalars(value, lines)
            continue
        spelling = _scalar_text(lines, line, column)
        if spelling and (value is not None or spelling in ("null", "Null", "NULL", "~")):
            node[key] = _Verbatim(value, spelling, tag)


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
    written_for = data.get("schema_version")
    if type(written_for) is int and written_for > SCHEMA_VERSION:
        # Only this problem: the rest of the document is in a format this program cannot know.
        message = (
            f"written for schema {written_for}; this is postmortem {__version__}"
            f" (schema {SCHEMA_VERSION}): upgrade postmortem"
        )
        raise DocumentError(located_problems([(("schema_version",), message)], text, source))
    try:
        return structure(data, PostMortem, ticket_url=ticket_url)
    except Exception as error:  # every structuring failure becomes located problems
        found = list(structure_problems(error))
    raise DocumentError(located_problems(found, text, source))


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


def _merge(node: Any, before: Any, after: Any, ticket_url: str | None, lines: Sequence[str]) -> Any:
    """``node`` changed as ``before`` became ``after``, untouched wherever they agree.

    ``lines`` are the file's, to tell whether it separates entries with blank lines.
    """
    if before is not _MISSING and _same(before, after):
        return node
    if isinstance(node, str) and isinstance(after, dict):
        return _link_as_written(after, ticket_url)
    if isinstance(node, CommentedMap) and isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        for key in [key for key in node if key in old and key not in after]:
            del node[key]
        for key, value in after.items():
            if key in node:
                node[key] = _merge(node[key], old.get(key, _MISSING), value, ticket_url, lines)
            else:
                _insert_entry(node, _insert_position(node, list(after), key), key, value, lines)
        return node
    if isinstance(node, CommentedSeq) and isinstance(after, list):
        old_items = before if isinstance(before, list) else []
        for index, value in enumerate(after[: len(node)]):
            previous = old_items[index] if index < len(old_items) else _MISSING
            node[index] = _merge(node[index], previous, value, ticket_url, lines)
        del node[len(after) :]
        for value in after[len(node) :]:
            _insert_entry(node, len(node), len(node), value, lines)
        return node
    return _yaml_value(after)


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


def _insert_position(node: CommentedMap, order: list[str], key: str) -> int:
    present = list(node)
    for earlier in reversed(order[: order.index(key)]):
        if earlier in node:
            return present.index(earlier) + 1
    return 0


def _insert_entry(
    node: CommentedMap | CommentedSeq, position: int, key: Any, value: Any, lines: Sequence[str]
) -> None:
    """Add an entry to a map or sequence of the file, the comment lines staying where the
    person wrote them.

    ruamel keeps the lines after an entry (blank lines, and comments that introduce the
    next entry or what follows the collection) on the entry's last scalar, so an entry put
    after it would come after those lines. They are split: comments indented inside the
    entry stay with it, comments introducing what follows move after the new entry, and
    blank lines separate the entries as the file separates them.
    """
    value = _commented(_yaml_value(value))
    if isinstance(node, CommentedMap):
        node.insert(position, key, value)
    else:
        node.append(value)
    if position == 0 or node.fa.flow_style():  # a flow collection holds no comment lines
        return
    previous = _tail_slot(node, position - 1)
    text = _tail_text(previous)
    if text is None:
        return
    first, *rest = text[:-1].split("\n")
    column = node.lc.col or 0
    start = len(rest)
    while start and (not rest[start - 1].strip() or _indentation(rest[start - 1]) <= column):
        start -= 1
    own, following = rest[:start], rest[start:]
    if position == len(node) - 1:  # the new last entry: separated as the last one was
        separator = [""] if _blank_line_separated(node, lines) else []
    else:  # between two entries: the blank lines that separated them
        separator = list(itertools.takewhile(lambda line: not line.strip(), following))
    _set_tail(previous, first + "\n" + "".join(line + "\n" for line in own + separator))
    if following:
        _set_tail(_tail_slot(node, position), "\n" + "".join(line + "\n" for line in following))


def _tail_slot(node: CommentedMap | CommentedSeq, index: int) -> tuple[Any, Any, int]:
    """Where ruamel keeps the lines after entry ``index`` of ``node``: on its last scalar
    (slot 2 of a map entry's comments, slot 0 of a sequence item's)."""
    entry = list(node)[index] if isinstance(node, CommentedMap) else index
    value = node[entry]
    if isinstance(value, CommentedMap | CommentedSeq) and value and not value.fa.flow_style():
        return _tail_slot(value, len(value) - 1)
    return node, entry, 2 if isinstance(node, CommentedMap) else 0


def _tail_text(slot: tuple[Any, Any, int]) -> str | None:
    """The lines kept at ``slot``, starting with the end of the entry's own line; None if
    they are not what ruamel reads from a file (then they are left alone)."""
    container, entry, index = slot
    comments = container.ca.items.get(entry) or []
    token = comments[index] if index < len(comments) else None
    text = "\n" if token is None else getattr(token, "value", None)
    return text if isinstance(text, str) and text.endswith("\n") else None


def _set_tail(slot: tuple[Any, Any, int], text: str) -> None:
    container, entry, index = slot
    comments = container.ca.items.setdefault(entry, [])
    comments.extend([None] * (4 - len(comments)))
    comments[index] = None if text == "\n" else CommentToken(text, CommentMark(0))


def _commented(value: Any) -> Any:
    """Plain data as ruamel's round-trip types, which can carry comments."""
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
        self._indentation = _guess_indentation(text)
        self._source = source
        self._ticket_url = ticket_url

    def dumps(self, section_notes: Mapping[str, str] | None = None) -> str:
        """The text with the document's changes applied; ``section_notes`` become comments
        above those top-level keys (once)."""
        after = unstructure(self.document)
        if _same(self._before, after):
            return self.text
        yaml = _roundtrip_yaml(*self._indentation)
        tree = parse_roundtrip(self.text, self._source)
        tree = _merge(
            tree, self._before, _yaml_value(after), self._ticket_url, self.text.splitlines()
        )
        for key, note in (section_notes or {}).items():
            if key in tree and f"# {note}" not in self.text:
                tree.yaml_set_comment_before_after_key(key, before=note)
        return _emit(tree, yaml)


@contextlib.contextmanager
def edit(
    path: str | os.PathLike[str],
    *,
    section_notes: Mapping[str, str] | None = None,
    ticket_url: str | None = None,
) -> Iterator[PostMortem]:
    """Load ``path``, let the caller change the document, and save only what changed.

    Comments, key order, quoting and block style of everything left alone are kept.
    Nothing is written if the block raises, or if the result does not validate.
    ``section_notes`` adds a comment above top-level keys, such as a generated section;
    ``ticket_url`` is as for :func:`loads`.
    """
    source = os.fspath(path)
    session = _EditSession(read_text(path), source, ticket_url)
    yield session.document
    text = session.dumps(section_notes)
    if text != session.text:
        loads(text, source, ticket_url=ticket_url)
        write_atomic(path, text)


def edit_text(
    text: str, source: str = "<string>", *, ticket_url: str | None = None
) -> "_EditSession":
    """An editing session over YAML ``text``: change ``.document``, then call ``.dumps()``."""
    return _EditSession(text, source, ticket_url)
