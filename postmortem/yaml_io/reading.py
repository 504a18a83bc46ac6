"""Reading: YAML text to plain data with the C-accelerated loader, the document it holds,
and the line and column of any field path."""

import os
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from functools import cache
from typing import Any, TypeAlias

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.main import CParser  # type: ignore[attr-defined]  # None without the C part
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from postmortem._shown import shown
from postmortem._version import __version__
from postmortem.converter import (
    NUMBER_TOO_LARGE,
    UNKNOWN_KEY,
    FieldPath,
    bounded_whole_number,
    format_path,
    structure,
    structure_problems,
)
from postmortem.errors import DocumentError, Problem
from postmortem.files import read_text
from postmortem.model import SCHEMA_VERSION, PostMortem
from postmortem.profiles import profile_problems
from postmortem.upgrade import original_path, upgrade, written_schema

__all__ = [
    "MAX_DEPTH",
    "MAX_VALUES",
    "Parsed",
    "check_depth",
    "compose",
    "document_from_parsed",
    "load",
    "loads",
    "located_problems",
    "parse",
    "parse_with_positions",
    "plain_tag",
    "syntax_problem",
    "usual_timestamp",
]


class _FixedVersionResolver(VersionedResolver):
    """The resolver of the C loader, with its lookup table built once, and the tag of each
    short plain scalar remembered.

    ruamel's resolver looks up the YAML version and builds a tag object for every plain
    scalar, and asks its path resolvers (there are none) for every node; under the C parser
    the version is always 1.2, so the table and the tags are made once for the process,
    and the keys and words a document repeats are resolved once. That takes half off
    composing a document.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Called for every node: ruamel's answers without its lookups (no path resolvers here).
        if kind is ScalarNode:
            if implicit[0]:
                return _RESOLVED.get(value) or plain_tag(value)
            return self.DEFAULT_SCALAR_TAG
        if kind is MappingNode:
            return self.DEFAULT_MAPPING_TAG
        if kind is SequenceNode:
            return self.DEFAULT_SEQUENCE_TAG
        return super().resolve(kind, value, implicit)


def plain_tag(value: str) -> Tag:
    """The tag YAML 1.2 gives ``value`` written as a plain scalar (``str`` unless it reads
    as a null, boolean, number or timestamp)."""
    tag = _RESOLVED.get(value)
    if tag is not None:
        return tag
    table = _resolver_table()
    tag = _TEXT_TAG
    for candidate, regexp in table.get(value[:1]) or table[None]:
        if regexp.match(value):
            tag = candidate
            break
    if len(value) <= _REMEMBERED_LENGTH and len(_RESOLVED) < _REMEMBERED_VALUES:
        _RESOLVED[value] = tag
    return tag


_TEXT_TAG = Tag(suffix="tag:yaml.org,2002:str")
_REMEMBERED_LENGTH = 64
_REMEMBERED_VALUES = 20_000
_RESOLVED: dict[str, Tag] = {}
"""The tag of each short plain scalar resolved so far in this process (bounded)."""


@cache
def _resolver_table() -> dict[str | None, list[tuple[Tag, Any]]]:
    """YAML 1.2's implicit resolvers by first character, with their tags made once: under
    each character, those for it and then those for any (under None)."""
    by_first = {
        first: [(Tag(suffix=tag), regexp) for tag, regexp in pairs]
        for first, pairs in VersionedResolver().versioned_resolver.items()
    }
    for_any = by_first.pop(None, [])
    return {
        None: for_any,
        **{first: [*pairs, *for_any] for first, pairs in by_first.items()},
    }


@cache
def _safe_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _FixedVersionResolver
    return yaml


if CParser is not None:

    class _CLoader(CParser, _FixedVersionResolver):  # type: ignore[misc]
        """libyaml's parser and composer with the resolver above, the class made once (ruamel
        makes it anew for every document)."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _FixedVersionResolver.__init__(self, loadumper=self)


def _compose_node(text: str) -> Node | None:
    """The node tree of ``text``, through libyaml when ruamel.yaml.clib is there."""
    if CParser is None:
        return _safe_yaml().compose(text)  # type: ignore[no-any-return]
    loader = _CLoader(text)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    finally:
        loader.dispose()


def syntax_problem(error: YAMLError, source: str) -> Problem:
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
# The core schema's tags by name, made once (the builder compares them for every value).
_STR, _NULL, _SEQ, _MAP, _MERGE, _TIMESTAMP = (
    _YAML_TAG + name for name in ("str", "null", "seq", "map", "merge", "timestamp")
)
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
        self.starts: list[int] = []
        """Where each value built begins (see :class:`Parsed`)."""

    def build(self, node: Node) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise _BuildError(
                f"YAML: more than {MAX_VALUES} values (do aliases expand too far?)",
                node.start_mark,
            )
        mark = node.start_mark
        self.starts += (mark.line + 1, mark.column + 1)
        tag = node.ctag.trval
        if isinstance(node, ScalarNode):
            if tag == _STR:
                return node.value
            if tag == _NULL:
                return None
            return self._scalar(node, tag)
        if isinstance(node, SequenceNode) and tag == _SEQ:
            items: list[Any] = []
            try:
                for item in node.value:
                    items.append(self.build(item))
            except _BuildError as error:
                error.path = (len(items), *error.path)
                raise
            return items
        if isinstance(node, MappingNode) and tag == _MAP:
            mapping: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.ctag.trval == _MERGE:
                    message = "YAML: merge keys (<<) are not supported"
                    raise _BuildError(message, key_node.start_mark)
                key = self.build(key_node)
                if isinstance(key, (list, dict)):
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
        if tag == _TIMESTAMP:
            try:
                return usual_timestamp(node.value) or construct(node)
            except (ValueError, OverflowError, YAMLError):
                return node.value  # no such date or time: text, for the converter to say why
        try:
            value = construct(node)
            return bounded_whole_number(value) if type(value) is int else value
        except ValueError:  # more digits than Python converts, or beyond the model's bound
            raise _BuildError(NUMBER_TOO_LARGE, node.start_mark) from None


_USUAL_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_USUAL_MOMENT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(Z|([+-])([0-9]{2}):([0-9]{2}))"
)


def usual_timestamp(text: str) -> date | None:
    """The date or moment ruamel's timestamp constructor makes of ``text`` when it is
    written the usual way (``2024-05-01``, ``2024-05-01 09:30:00+02:00``, ``...T...Z``), in one
    match instead of its many steps; None when it is written otherwise. ValueError for a
    day or time there is not, as ruamel raises it."""
    if len(text) == 10:
        only_day = _USUAL_DATE.fullmatch(text)
        if only_day is None:
            return None
        return date(int(only_day[1]), int(only_day[2]), int(only_day[3]))
    moment = _USUAL_MOMENT.fullmatch(text)
    if moment is None:
        return None
    zone = _ZONES.get(moment[7])
    if zone is None:
        offset = timedelta(hours=int(moment[9] or 0), minutes=int(moment[10] or 0))
        zone = _ZONES[moment[7]] = timezone(-offset if moment[8] == "-" else offset, moment[7])
    year, month, day, hour, minute, second = (int(moment[number]) for number in range(1, 7))
    return datetime(year, month, day, hour, minute, second, tzinfo=zone)


_ZONES: dict[str, timezone] = {}
"""The zone of each offset written (``Z``, ``+02:00``), made once: at most a few thousand."""


def parse(text: str, source: str = "<string>") -> Any:
    """Plain data from YAML text (YAML 1.2, C-accelerated), or a located :class:`DocumentError`."""
    return parse_with_positions(text, source).data


def parse_with_positions(text: str, source: str = "<string>") -> "Parsed":
    """The plain data of YAML text and where each of its values is written, or a located
    :class:`DocumentError`."""
    root = compose(text, source)
    if root is None:
        return Parsed(None, [])
    builder = _Builder()
    try:
        data = builder.build(root)
    except _BuildError as error:
        line, column = error.mark.line + 1, error.mark.column + 1
        problem = Problem(source, line, column, format_path(error.path), str(error))
        raise DocumentError([problem]) from None
    except RecursionError:
        raise DocumentError([Problem(source, 0, 0, "", "YAML: nested too deeply")]) from None
    return Parsed(data, builder.starts)


_KeyPositions: TypeAlias = "dict[str, tuple[int, int, int, int, _PositionTree]]"
_ItemPositions: TypeAlias = "list[tuple[int, int, _PositionTree]]"
_PositionTree: TypeAlias = "_KeyPositions | _ItemPositions | None"
"""Where the values of one collection are written: for a mapping, each key's text to the
key's line and column, its value's, and what the value holds; for a sequence, each item's
line and column and what it holds. None for a scalar."""


class Parsed:
    """YAML text read: its plain data, and where each of its values is written.

    ``starts`` holds the 1-based line and column of every value in the order they were
    built: the whole document; then, for a mapping, each key, its value and what the value
    holds; for a sequence, each item and what it holds. An alias repeats the positions of
    its anchor, as it repeats its value. With the data alone they say where any field path
    is written, so a file is never parsed again to locate a problem in it.
    """

    __slots__ = ("_tree", "data", "starts")

    def __init__(self, data: Any, starts: Sequence[int]) -> None:
        self.data = data
        self.starts = starts
        self._tree: _PositionTree = None

    def locate(self, path: FieldPath, *, at_key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of ``path``; of its nearest ancestor if it is absent, and
        (1, 1) if none is there. ``at_key`` gives the position of the last key itself rather
        than of its value."""
        position = (1, 1)
        node = self._positions()
        for depth, step in enumerate(path):
            if isinstance(node, dict):
                entry = node.get(str(step))
                if entry is None:
                    break
                key_line, key_column, line, column, node = entry
                last = depth == len(path) - 1
                position = (key_line, key_column) if at_key and last else (line, column)
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                line, column, node = node[step]
                position = (line, column)
            else:
                break
        return position

    def problems(self, found: Sequence[tuple[FieldPath, str]], source: str) -> list[Problem]:
        """Problems at field paths, each with its line and column."""
        problems = []
        for path, message in found:
            line, column = self.locate(path, at_key=message.startswith(UNKNOWN_KEY))
            problems.append(Problem(source, line, column, format_path(path), message))
        return problems

    def top_level_keys(self) -> list[tuple[int, int]]:
        """Where each key of the document's top-level mapping is written, in order: the
        values are counted, not located one by one (a cost that follows the document's
        size once, not once per key)."""
        if not isinstance(self.data, dict):
            return []
        found = []
        index = 2  # after the document's own line and column
        for value in self.data.values():
            known = index + 1 < len(self.starts)
            found.append((self.starts[index], self.starts[index + 1]) if known else (1, 1))
            index += 2 * (1 + _values_in(value))
        return found

    def _positions(self) -> _PositionTree:
        if self._tree is None and self.starts:
            self._tree = _position_tree(self.data, self.starts)
        return self._tree


def _position_tree(data: Any, starts: Sequence[int]) -> _PositionTree:
    """The positions of ``data``'s values as :data:`_PositionTree` (built once, on the
    first problem to locate). Keys are matched by their text, the first one written winning.
    Positions that do not fit the data (from a damaged cache) place values at the start,
    as does a document nested too deeply to walk."""
    numbers = iter(starts)

    def tree_of(value: Any) -> _PositionTree:
        if isinstance(value, dict):
            keyed: _KeyPositions = {}
            for key, item in value.items():
                key_line, key_column = next(numbers, 1), next(numbers, 1)
                line, column = next(numbers, 1), next(numbers, 1)
                keyed.setdefault(str(key), (key_line, key_column, line, column, tree_of(item)))
            return keyed
        if isinstance(value, list):
            listed: _ItemPositions = []
            for item in value:
                line, column = next(numbers, 1), next(numbers, 1)
                listed.append((line, column, tree_of(item)))
            return listed
        return None

    next(numbers, 1), next(numbers, 1)  # the document's own
    try:
        return tree_of(data)
    except RecursionError:
        return None


def _values_in(value: Any) -> int:
    """How many values the builder made for ``value``: itself, and each key and value in it."""
    pending, count = [value], 0
    while pending:
        item = pending.pop()
        count += 1
        if isinstance(item, dict):
            count += len(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return count


MAX_DEPTH = 1000
"""Deepest nesting read. A post-mortem nests about ten levels; the C parser crashes the
process past some tens of thousands, so depth is bounded before parsing."""

_FLOW_BRACKETS = re.compile(r"[\[\]{}]")
_DEEP_BLOCK = re.compile(rf"^[ \t?:-]{{{4 * MAX_DEPTH + 1}}}", re.MULTILINE)


def check_depth(text: str, source: str) -> None:
    """Refuse text that could nest too deep: flow brackets open more than MAX_DEPTH at
    once, or a line starts with more than 4 x MAX_DEPTH characters of indentation and
    block indicators (a block level takes at least one)."""
    flow = deepest = 0
    openings = text.count("[") + text.count("{")
    for bracket in _FLOW_BRACKETS.finditer(text) if openings > MAX_DEPTH else ():
        flow = flow + 1 if bracket.group() in "[{" else max(flow - 1, 0)
        deepest = max(deepest, flow)
    if deepest > MAX_DEPTH or _DEEP_BLOCK.search(text):
        message = f"YAML: nested too deeply (more than {MAX_DEPTH} levels)"
        raise DocumentError([Problem(source, 1, 1, "", message)])


def compose(text: str, source: str = "<string>") -> Node | None:
    """The YAML node tree of ``text`` (C-accelerated), each node marked with its position."""
    check_depth(text, source)
    try:
        root = _compose_node(text)
    except YAMLError as error:
        raise DocumentError([syntax_problem(error, source)]) from None
    except RecursionError:
        raise DocumentError([Problem(source, 0, 0, "", "YAML: nested too deeply")]) from None
    return root


def document_from_parsed(
    parsed: Parsed, source: str, *, ticket_url: str | None = None
) -> PostMortem:
    """The document read as ``parsed``; located problems if it does not fit.

    ``ticket_url`` links ticket keys written where a link goes (see :func:`structure`).
    """
    data = parsed.data
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
        raise DocumentError(parsed.problems([(("schema_version",), message)], source))
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
    raise DocumentError(parsed.problems(moved, source))


def located_problems(
    found: Sequence[tuple[FieldPath, str]], text: str, source: str
) -> list[Problem]:
    """Problems at field paths, given their line and column in ``text`` (which must parse;
    :meth:`Parsed.problems` when it has been)."""
    return parse_with_positions(text, source).problems(found, source)


def loads(text: str, source: str = "<string>", *, ticket_url: str | None = None) -> PostMortem:
    """The document in YAML ``text``; ``source`` names it in error messages.

    ``ticket_url`` (``https://jira.example.com/browse/{key}``) links ticket keys written
    where a link goes; without it they are errors.
    """
    return document_from_parsed(parse_with_positions(text, source), source, ticket_url=ticket_url)


def load(path: str | os.PathLike[str], *, ticket_url: str | None = None) -> PostMortem:
    """The document in the YAML file at ``path`` (``ticket_url`` as for :func:`loads`)."""
    return loads(read_text(path), os.fspath(path), ticket_url=ticket_url)
