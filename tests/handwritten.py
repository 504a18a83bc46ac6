"""Documents as people write them: YAML text from ``dumps`` given comment lines, end-of-line
comments, blank lines, anchors and aliases, CRLF line breaks, a byte order mark and no final
line break, as a Hypothesis test draws them; and where each field is written in such text."""

import itertools
from collections.abc import Iterator
from typing import Any

import attrs
from hypothesis import strategies as st
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from postmortem import yaml_io
from postmortem._typing import strip_optional
from postmortem.converter import FieldPath
from postmortem.model import Link, PostMortem

BOM = "\ufeff"


def handwritten(text: str, data: st.DataObject) -> str:
    """``text`` (as ``dumps`` writes it, ending with a line break) made to look hand-written.

    Every comment added is unique (``note-N``), so that a test can tell one from another.
    The result loads as the same document as ``text``; it may start with a byte order mark.
    """
    lines = text.split("\n")[:-1]
    root = yaml_io.compose(text)
    assert root is not None
    notes = (f"note-{number}" for number in itertools.count())
    above: dict[int, list[str]] = {}
    line_end: dict[int, str] = {}
    spans: dict[int, tuple[int, int, str]] = {}  # line -> (start column, end column, new text)
    anchors = (f"a{number}" for number in itertools.count())
    anchored: dict[tuple[Any, str], str] = {}
    for key, value in _entries(root):
        first = key if key is not None else value
        line = first.start_mark.line
        indent = first.start_mark.column
        if key is None and line < len(lines):  # a sequence item: its dash starts the line
            indent = len(lines[line]) - len(lines[line].lstrip(" "))
        if _starts_line(lines, line, indent) and data.draw(st.booleans()):
            blank = [""] if data.draw(st.booleans()) else []
            above.setdefault(line, []).extend([*blank, " " * indent + f"# {next(notes)}"])
        if isinstance(value, ScalarNode) and _one_line(value) and value.value:
            same = (value.tag, value.value)
            start, end = value.start_mark.column, value.end_mark.column
            if value.style is None or value.style in "'\"":
                if same in anchored and data.draw(st.booleans()):
                    spans[line] = (start, end, "*" + anchored[same])
                elif same not in anchored and data.draw(st.booleans()):
                    anchored[same] = name = next(anchors)
                    spans[line] = (start, start, f"&{name} ")
            if _ends_line(lines, value) and data.draw(st.booleans()):
                line_end[line] = f"  # {next(notes)}"
        elif (
            key is not None
            and not isinstance(value, ScalarNode)
            and value.start_mark.line > key.start_mark.line
            and data.draw(st.booleans())
        ):
            line_end[key.start_mark.line] = f" &{next(anchors)}  # {next(notes)}"
    if data.draw(st.booleans()):
        above.setdefault(len(lines), []).append(f"# {next(notes)}")
    written = []
    for number, line in enumerate([*lines, None]):
        written += above.get(number, [])
        if line is None:
            continue
        if number in spans:
            start, end, replacement = spans[number]
            line = line[:start] + replacement + line[end:]
        written.append(line + line_end.get(number, ""))
    result = "".join(line + "\n" for line in written)
    if data.draw(st.booleans()):
        result = result.replace("\n", "\r\n")
    if data.draw(st.booleans()):
        result = result.rstrip("\r\n")
    return (BOM if data.draw(st.booleans()) else "") + result


def _entries(node: Node) -> Iterator[tuple[Node | None, Node]]:
    """Every (key, value) of the block collections in ``node``, in document order; the key
    is None for a sequence item."""
    if isinstance(node, MappingNode) and not node.flow_style:
        for key, value in node.value:
            yield key, value
            yield from _entries(value)
    elif isinstance(node, SequenceNode) and not node.flow_style:
        for item in node.value:
            yield None, item
            yield from _entries(item)


def _one_line(node: ScalarNode) -> bool:
    return bool(node.start_mark.line == node.end_mark.line)


def _starts_line(lines: list[str], line: int, column: int) -> bool:
    return line < len(lines) and not lines[line][:column].strip()


def _ends_line(lines: list[str], node: ScalarNode) -> bool:
    line = lines[node.start_mark.line]
    return bool(node.end_mark.column == len(line))


def leaves(value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, Any]]:
    """The path and type of every value in a model object that holds no fields of its own
    (a string, a date, a link), None values left out."""
    for field in attrs.fields(type(value)):
        item = getattr(value, field.name)
        field_type = strip_optional(field.type)
        if item is None:
            continue
        if isinstance(item, list):
            element = field_type.__args__[0]
            for index, entry in enumerate(item):
                if attrs.has(element) and element is not Link:
                    yield from leaves(entry, (*path, field.name, index))
                else:
                    yield (*path, field.name, index), element
        elif attrs.has(field_type) and field_type is not Link:
            yield from leaves(item, (*path, field.name))
        else:
            yield (*path, field.name), field_type


def set_at(doc: PostMortem, path: FieldPath, value: Any) -> None:
    """Set the value at ``path`` in ``doc``."""
    owner: Any = doc
    for step in path[:-1]:
        owner = owner[step] if isinstance(step, int) else getattr(owner, step)
    if isinstance(path[-1], int):
        owner[path[-1]] = value
    else:
        setattr(owner, path[-1], value)


def written_lines(text: str, path: FieldPath) -> tuple[int, int] | None:
    """The first and last line (0-based) of the entry at ``path`` in YAML ``text``: from its
    key (or its item's dash) to the end of its value. None if ``path`` is not written there
    as its own text alone (it is absent, or it or what it holds has an alias)."""
    root = yaml_io.compose(text)
    shared = _shared(root)
    node: Node | None = root
    start = 0
    for step in path:
        if node is None or id(node) in shared:
            return None
        if isinstance(node, MappingNode):
            entry = next(((k, v) for k, v in node.value if k.value == str(step)), None)
            if entry is None:
                return None
            start, node = entry[0].start_mark.line, entry[1]
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            start = node.start_mark.line
        else:
            return None
    if node is None or _nodes(node) & shared:
        return None
    end = node.end_mark.line - (1 if node.end_mark.column == 0 else 0)
    return start, max(start, end)


def _shared(root: Node | None) -> set[int]:
    """The ids of the nodes that an alias refers to."""
    seen: set[int] = set()
    shared: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if node is None:
            continue
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        pending.extend(_children(node))
    return shared


def _nodes(root: Node) -> set[int]:
    """The ids of ``root`` and every node in it."""
    found: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) not in found:
            found.add(id(node))
            pending.extend(_children(node))
    return found


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []
