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
    comment lines right above its key (where ``written`` kept them once) above its new key."""
    old_tree, old_parsed = compose(original, source), parse_with_positions(original, source)
    old_lines, new_lines = original.splitlines(), written.splitlines(keepends=True)
    for new, old in _with_descendants(moves, _node_at(old_tree, ())):
        new_lines = _comments_above_moved(
            (old_tree, old_parsed), old_lines, new_lines, new, old, source
        )
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
    old_read: tuple[Node | None, Parsed],
    old_lines: list[str],
    new_lines: list[str],
    new: FieldPath,
    old: FieldPath,
    source: str,
) -> list[str]:
    """``new_lines`` with the comment lines above the key of ``old`` moved above that of
    ``new``, indented as it is; ``old_read`` is the original's node tree and parse."""
    old_tree, old_parsed = old_read
    new_text = "".join(new_lines)
    if _node_at(old_tree, old) is None or _node_at(compose(new_text, source), new) is None:
        return new_lines
    key_line = old_parsed.locate(old, at_key=True)[0] - 1
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
    target_line, target_column = parse_with_positions(new_text, source).locate(new, at_key=True)
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
