"""ruamel.yaml's round-trip mode as edits use it: the node tree of a file, with positions and
comments, in which what ruamel would re-spell is kept as written; and writing such a tree."""

import io
import re
from datetime import date, datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.timestamp import TimeStamp

from postmortem.errors import DocumentError, Problem
from postmortem.yaml_io.reading import check_depth, syntax_problem

__all__ = [
    "WrittenAnchor",
    "emit",
    "emit_tree",
    "parse_roundtrip",
    "plain_data",
    "roundtrip_yaml",
]


_VERBATIM_TAGS: dict[type, str] = {
    type(None): "tag:yaml.org,2002:null",
    TimeStamp: "tag:yaml.org,2002:timestamp",
    ScalarFloat: "tag:yaml.org,2002:float",
}


_ANCHORED_TAGS: dict[type, str] = {**_VERBATIM_TAGS, date: "tag:yaml.org,2002:timestamp"}
"""Scalars kept as written when they carry an anchor (ruamel drops the anchor of a date)."""
_ANCHOR_OR_ALIAS = re.compile(r"([&*])([^\s,\[\]{}]+)\s*(.*)")


class WrittenAnchor:
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
        self.anchor = None if anchor is None else WrittenAnchor(anchor)


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


def roundtrip_yaml(mapping_indent: int = 2, sequence_indent: int = 4, offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.indent(mapping=mapping_indent, sequence=sequence_indent, offset=offset)
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [{name: A}], not [name: A]
    return yaml


def parse_roundtrip(text: str, source: str = "<string>") -> Any:
    """The round-trip node tree of YAML text, with positions and comments."""
    check_depth(text, source)
    try:
        tree = roundtrip_yaml().load(text)
    except YAMLError as error:
        raise DocumentError([syntax_problem(error, source)]) from None
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


def plain_data(node: Any) -> Any:
    """Round-trip nodes as the plain data the safe loader would have given."""
    if isinstance(node, dict):
        return {plain_data(key): plain_data(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain_data(item) for item in node]
    if isinstance(node, _Verbatim):
        return plain_data(node.value)
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


def emit(tree: Any, yaml: YAML) -> str:
    stream = io.StringIO()
    yaml.dump(tree, stream)
    return stream.getvalue()


def emit_tree(tree: Any) -> str:
    """YAML text of plain data or a round-trip tree, in this library's house style."""
    return emit(tree, roundtrip_yaml())
