"""Front matter: the YAML (``---``) or TOML (``+++``) block a static site generator reads at
the top of a post, as facts (key, value, line) for the metadata.

It is read line by line, never by a YAML or TOML parser: top-level keys with a text, a date
or a list of texts are facts; anything nested is kept as written. The work is linear in the
size of the block whatever it holds.
"""

import re

import attrs

__all__ = ["Fact", "FrontMatter", "front_matter"]

_FENCES = {"---": ("---", "..."), "+++": ("+++",)}
_MOST_LINES = 400
"""Front matter longer than this is not front matter: a thematic break followed by text."""
_YAML_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]{0,60}):(?:[ \t]+(?P<value>.*))?$")
_TOML_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]{0,60})[ \t]*=[ \t]*(?P<value>.*)$")
_LIST_ITEM = re.compile(r"^[ \t]+-[ \t]+(?P<item>.*)$")


@attrs.frozen
class Fact:
    """A key of the front matter, its value (a text, or a list of texts) and its lines."""

    key: str
    value: str | tuple[str, ...]
    line: int
    raw: str


@attrs.frozen
class FrontMatter:
    """The facts of the front matter, what it holds that is no fact (as written, with its
    line), and the Markdown with the front matter's lines left blank (lines keep their
    numbers)."""

    facts: tuple[Fact, ...]
    kept: tuple[tuple[str, int], ...]
    markdown: str


def front_matter(text: str) -> FrontMatter:
    """The front matter at the top of ``text``; none when ``text`` does not open with one."""
    lines = text.split("\n", _MOST_LINES + 1)
    opening = lines[0].lstrip("\ufeff").rstrip()
    closings = _FENCES.get(opening)
    end = None
    if closings is not None:
        end = next(
            (
                index
                for index in range(1, min(len(lines), _MOST_LINES))
                if lines[index].rstrip() in closings
            ),
            None,
        )
    if end is None:
        return FrontMatter((), (), text)
    body = lines[1:end]
    facts, kept = (_yaml if opening == "---" else _toml)(body)
    blank = "\n" * (end + 1)
    rest = text.split("\n", end + 1)[end + 1] if text.count("\n") > end else ""
    return FrontMatter(tuple(facts), tuple(kept), blank + rest)


def _entries(body: list[str]) -> list[tuple[int, list[str]]]:
    """The lines of each top-level entry (a line that is not indented, with the indented lines
    and list items after it), with the line number of its first (the opening fence is line
    1)."""
    entries: list[tuple[int, list[str]]] = []
    for number, line in enumerate(body, start=2):
        if entries and (not line.strip() or line[:1] in " \t" or line.startswith("- ")):
            entries[-1][1].append(line)
        elif line.strip():
            entries.append((number, [line]))
    return entries


def _yaml(body: list[str]) -> tuple[list[Fact], list[tuple[str, int]]]:
    facts, kept = [], []
    for number, entry in _entries(body):
        raw = "\n".join(entry).rstrip()
        match = _YAML_KEY.match(entry[0].rstrip())
        value: str | tuple[str, ...] | None = None
        if match is not None:
            first = _unquoted(match["value"] or "")
            rest = [line for line in entry[1:] if line.strip()]
            items = [_LIST_ITEM.match(line) for line in rest]
            if not rest:
                value = _flow_list(first) if first.startswith("[") else first
            elif (
                not first and all(items) and not any(_YAML_KEY.match(m["item"]) for m in items if m)
            ):
                value = tuple(_unquoted(m["item"]) for m in items if m)
            elif all(not item for item in items) and not any(":" in line for line in rest):
                value = " ".join([first, *(line.strip() for line in rest)]).strip()
        if match is None or value is None or value == "":
            kept.append((raw, number))
        else:
            facts.append(Fact(match["key"], value, number, raw))
    return facts, kept


def _toml(body: list[str]) -> tuple[list[Fact], list[tuple[str, int]]]:
    facts, kept = [], []
    in_table = False
    for number, entry in _entries(body):
        raw = "\n".join(entry).rstrip()
        in_table = in_table or entry[0].startswith("[")
        match = _TOML_KEY.match(entry[0].rstrip())
        value = match["value"].strip() if match and len(entry) == 1 else ""
        if in_table or match is None or not value or value.startswith("{"):
            kept.append((raw, number))
            continue
        facts.append(
            Fact(
                match["key"],
                _flow_list(value) if value.startswith("[") else _unquoted(value),
                number,
                raw,
            )
        )
    return facts, kept


def _flow_list(text: str) -> tuple[str, ...]:
    """``[a, "b"]`` -> ``a``, ``b`` (no list inside)."""
    inside = text.strip().removeprefix("[").removesuffix("]")
    return tuple(_unquoted(part) for part in inside.split(",") if part.strip())


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if " #" in text and text[:1] not in "'\"":
        return text.split(" #", 1)[0].rstrip()
    return text
