"""Migration: a document of an older schema rewritten in the current one through the
faithful edit (:mod:`~postmortem.yaml_io.editing`), each moved value's comments moved with
it."""

import copy
from collections.abc import Sequence

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from postmortem.converter import FieldPath, unstructure
from postmortem.errors import DocumentError
from postmortem.upgrade import assign_ids, upgrade
from postmortem.yaml_io.editing import same, written_back
from postmortem.yaml_io.reading import (
    Parsed,
    compose,
    document_from_parsed,
    loads,
    parse_with_positions,
)
from postmortem.yaml_io.roundtrip import parse_roundtrip, plain_data

__all__ = ["migrate_text"]


def migrate_text(text: str, source: str = "<string>", *, ticket_url: str | None = None) -> str:
    """``text`` rewritten in the current schema, changed only where the schema changed:
    values moved to their new homes, every list item others refer to given a stable id, and
    every other line (comments, order, quoting) as it was. The same text for a document that
    needs nothing; a :class:`DocumentError` for one that does not load."""
    loads(text, source, ticket_url=ticket_url)  # the document must load, as its version reads
    before = plain_data(parse_roundtrip(text, source))
    upgraded = upgrade(before)
    after = copy.deepcopy(upgraded.data)
    assign_ids(after)
    if same(before, after):
        return text
    parsed = Parsed(after, [])
    expected = unstructure(document_from_parsed(parsed, source, ticket_url=ticket_url))
    written = written_back(text, source, before, after, expected=expected, ticket_url=ticket_url)
    with_comments = _with_moved_comments(text, written, upgraded.moves, source)
    try:
        if same(unstructure(loads(with_comments, source, ticket_url=ticket_url)), expected):
            return with_comments
    except DocumentError:
        pass
    return written


def _with_moved_comments(
    original: str, written: str, moves: Sequence[tuple[FieldPath, FieldPath]], source: str
) -> str:
    """``written`` with the comments of each moved value in ``original`` moved with it: the
    comment at the end of its line to the end of its new line (where that has none), and the
    comment lines right above its key (where ``written`` kept them once) above its new key.

    Both texts are read once and every change is placed by the lines of ``written``, so
    that the work grows with the size of the document and the number of moves, not their
    product."""
    old_tree, new_tree = compose(original, source), compose(written, source)
    old_parsed, new_parsed = (
        parse_with_positions(original, source),
        parse_with_positions(written, source),
    )
    old_lines, new_lines = original.splitlines(), written.splitlines(keepends=True)
    stripped = [line.strip() for line in new_lines]
    positions: dict[str, list[int]] = {}
    for index, line in enumerate(stripped):
        positions.setdefault(line, []).append(index)
    inserted: dict[int, list[str]] = {}
    deleted: set[int] = set()
    appended: dict[int, str] = {}
    blocks_moved: set[int] = set()
    for new, old in _with_descendants(moves, _node_at(old_tree, ())):
        old_node, new_node = _node_at(old_tree, old), _node_at(new_tree, new)
        if old_node is None or new_node is None:
            continue
        key_line = old_parsed.locate(old, at_key=True)[0] - 1
        if key_line not in blocks_moved:
            blocks_moved.add(key_line)
            target = new_parsed.locate(new, at_key=True)
            planned = _comments_above(old_lines, new_lines, stripped, positions, key_line, target)
            if planned is not None:
                at, lines, kept = planned
                inserted.setdefault(at, []).extend(lines)
                deleted.update(kept)
        if not isinstance(old_node, ScalarNode) or not isinstance(new_node, ScalarNode):
            continue
        end, new_end = old_node.end_mark, new_node.end_mark
        comment = old_lines[end.line][end.column :]
        if not comment.lstrip().startswith("#") or new_end.line != new_node.start_mark.line:
            continue
        content = new_lines[new_end.line].rstrip("\r\n")
        if content[new_end.column :].strip() or new_end.line in appended:
            continue
        appended[new_end.line] = comment
    result = []
    for index, line in enumerate(new_lines):
        result += inserted.get(index, [])
        if index in deleted:
            continue
        content = line.rstrip("\r\n")
        result.append(content + appended.get(index, "") + line[len(content) :])
    return "".join(result)


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


def _comments_above(
    old_lines: list[str],
    new_lines: list[str],
    stripped: list[str],
    positions: dict[str, list[int]],
    key_line: int,
    target: tuple[int, int],
) -> tuple[int, list[str], range] | None:
    """The move of the comment lines above ``old_lines[key_line]`` to above the key at
    ``target`` (1-based line and column in ``new_lines``): where they go, indented as that
    key's line is, and the lines of ``new_lines`` that kept them where they were (empty if none).
    None if there are none, or ``new_lines`` kept them at more than one place (which one is
    not known), or right above that key already. ``positions`` maps each stripped line of
    ``new_lines`` to where it is."""
    first = key_line
    while first > 0 and old_lines[first - 1].lstrip().startswith("#"):
        first -= 1
    block = [line.strip() for line in old_lines[first:key_line]]
    if not block:
        return None
    starts = [at for at in positions.get(block[0], []) if stripped[at : at + len(block)] == block][
        :2
    ]
    target_line = target[0]
    if len(starts) > 1 or (starts and starts[0] + len(block) == target_line - 1):
        return None
    line = new_lines[target_line - 1]
    line_break = line[len(line.rstrip("\r\n")) :] or "\n"
    indent = line[: len(line) - len(line.lstrip())]  # the key's, or its item's dash
    indented = [indent + comment + line_break for comment in block]
    kept = range(starts[0], starts[0] + len(block)) if starts else range(0)
    return target_line - 1, indented, kept


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
