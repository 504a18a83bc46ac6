"""Matching two sequences of lines (or items) as difflib does, in time linear in their
length when they differ in few places: the common start and end are matched first, and
difflib, whose matching is quadratic in the repeats of a line, sees only what lies between."""

import difflib
from collections.abc import Hashable, Sequence

__all__ = ["matching_blocks", "opcodes"]

Opcode = tuple[str, int, int, int, int]


def _common_ends(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[int, int]:
    """How many items ``a`` and ``b`` share at their start, and then at their end."""
    shortest = min(len(a), len(b))
    start = 0
    while start < shortest and a[start] == b[start]:
        start += 1
    end = 0
    while end < shortest - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    return start, end


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """How to turn ``a`` into ``b``, as :meth:`difflib.SequenceMatcher.get_opcodes` says."""
    start, end = _common_ends(a, b)
    middle = difflib.SequenceMatcher(
        None, a[start : len(a) - end], b[start : len(b) - end], autojunk=False
    ).get_opcodes()
    found: list[Opcode] = [("equal", 0, start, 0, start)] if start else []
    for tag, a_start, a_end, b_start, b_end in middle:
        if (a_start, a_end, b_start, b_end) != (0, 0, 0, 0) or tag != "equal":
            found.append((tag, a_start + start, a_end + start, b_start + start, b_end + start))
    if end:
        found.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    return found


def matching_blocks(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int, int]]:
    """The runs of equal items, as :meth:`difflib.SequenceMatcher.get_matching_blocks` gives
    them: ``(i, j, n)`` for ``a[i:i+n] == b[j:j+n]``, ending with ``(len(a), len(b), 0)``."""
    blocks = [
        (a_start, b_start, a_end - a_start)
        for tag, a_start, a_end, b_start, _ in opcodes(a, b)
        if tag == "equal" and a_end > a_start
    ]
    return [*blocks, (len(a), len(b), 0)]
