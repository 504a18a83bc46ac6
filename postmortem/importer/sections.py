"""The section reader: headings matched to fields, and the blocks under each read by the
type of the field.

Headings are matched tolerantly (numbering, case and punctuation do not matter, and each
template's own words are known); what matches no field is kept verbatim in ``unmapped``
with a warning naming its line.
"""

import re
from collections.abc import Iterator
from datetime import date, tzinfo
from functools import cache
from typing import Any, get_args, get_origin

import attrs

from postmortem._shown import shown
from postmortem._typing import strip_optional
from postmortem.converter import FieldPath
from postmortem.errors import Problem
from postmortem.importer.blocks import (
    KEY_LINE,
    Block,
    Item,
    code_cell_text,
    key_pair,
    key_value_rows,
    rows_of_items,
    unescape,
)
from postmortem.importer.frontmatter import FrontMatter
from postmortem.importer.items import follow_up, mark_milestones, timeline_event
from postmortem.importer.meaning import (
    content_meaning,
    exact_meanings,
    heading_meaning,
    heading_words,
)
from postmortem.importer.times import Clock, declared_zone, read_stamp
from postmortem.importer.values import (
    INLINE_LINK,
    Context,
    block_text,
    code_span_content,
    multiline,
    people,
    person,
    placeholder,
    read_value,
    without_hard_break,
)
from postmortem.importer.vocabulary import (
    ALIASES,
    CONTAINERS,
    ELSEWHERE,
    FIELD_ALIASES,
    FRONT_MATTER,
    HEADER_FACTS,
    MILESTONES,
    NUMBERING,
    PHASES,
    TEMPLATE_GUIDANCE,
    TIERS,
    normalize,
)
from postmortem.model import (
    SECTION_NAMES,
    ActionItem,
    ChecklistItem,
    Link,
    Metadata,
    Money,
    Person,
    PostMortem,
    ProfileName,
    Timeline,
    TimelineEvent,
)
from postmortem.model.common import LEAD_FIELDS, field_label
from postmortem.patterns import compile_linear
from postmortem.profiles import PROFILES

__all__ = ["SectionReader", "mark_bare_headings"]

_PARENTHETICAL = compile_linear(r"\([^)]*\)")
_RANGE = compile_linear(r"^(.+?)\s+(?:-|\x{2013}|to)\s+(.+)$")
_CLASSIFIED_AS = re.compile(r"^This document is classified as (?P<label>.*?)\.?$", re.IGNORECASE)


def mark_bare_headings(text: str) -> str:
    """``text`` with every line that is a known heading on its own marked as a heading (text
    pasted from a word processor loses the markup); the line count stays the same."""
    sections, subsections = _known_headings()
    titles = {normalize(profile.title) for profile in PROFILES.values()} | {"post mortem"}
    lines = text.split("\n")
    for index, line in enumerate(lines):
        key = normalize(line)
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if key in titles and line.rstrip().endswith(":") and following:
            lines[index], lines[index + 1] = f"# {line.strip()} {following}", ""
        elif key in sections:
            lines[index] = f"## {line.strip()}"
        elif key in subsections:
            lines[index] = f"### {line.strip()}"
    return "\n".join(lines)


@cache
def _known_headings() -> tuple[frozenset[str], frozenset[str]]:
    """Normalized section headings (every profile's, and the templates' other words for
    them) and the labels of the fields inside sections."""
    sections = {normalize(profile.title) for profile in PROFILES.values()} | {"metadata"}
    sections |= {
        normalize(spec.heading) for profile in PROFILES.values() for spec in profile.sections
    }
    sections |= {key for key, target in ALIASES.items() if "." not in target} | CONTAINERS
    subsections = {key for key, target in ALIASES.items() if "." in target}
    for name in SECTION_NAMES:
        owner = _item_type(attrs.fields_dict(PostMortem)[name].type)
        if attrs.has(owner):
            subsections |= {normalize(field_label(field)) for field in attrs.fields(owner)}
    return frozenset(sections), frozenset(subsections - sections)


@cache
def _labels(type_: Any, profile: ProfileName) -> dict[str, str]:
    """Normalized label -> field of ``type_``: aliases, then the field's own label and name,
    then the profile's words for metadata, each overriding the one before."""
    fields = attrs.fields_dict(type_)
    labels = {key: name for key, name in FIELD_ALIASES.items() if name in fields}
    for name, field in fields.items():
        labels[normalize(field_label(field))] = name
        labels[normalize(name)] = name
    if type_ is Metadata:
        labels.update(HEADER_FACTS)
        metadata_labels = PROFILES[profile].metadata_labels
        labels.update({normalize(label): name for name, label in metadata_labels.items()})
    return labels


def _type_at(path: tuple[str, ...]) -> Any:
    current: Any = PostMortem
    for step in path:
        current = strip_optional(current)
        if get_origin(current) is list:
            current = strip_optional(get_args(current)[0])
        if step == "-1":
            continue
        current = attrs.fields_dict(current)[step].type
    return current


def _item_type(type_: Any) -> Any:
    """The class a path holds: optional and list wrappers removed."""
    type_ = strip_optional(type_)
    return strip_optional(get_args(type_)[0]) if get_origin(type_) is list else type_


_LEADING_DASH = re.compile(r"^[-\u2013\u2014:]\s*")
_DECLARATION = 300
"""Longest paragraph read for a declaration of the document's time zone."""
_SECTION_KEYS = {normalize(name): name for name in SECTION_NAMES}


def _merged(existing: Any, value: Any, *, joined: bool = True) -> Any:
    """``value`` added to what a field already holds (a section written in two places):
    lists extended, records merged field by field, texts ``joined`` by a blank line (the
    metadata's are replaced); otherwise ``value`` replaces it."""
    if isinstance(existing, list) and isinstance(value, list):
        return existing + value
    if isinstance(existing, dict) and isinstance(value, dict):
        merged = dict(existing)
        for name, part in value.items():
            merged[name] = _merged(existing.get(name), part, joined=joined)
        return merged
    if (
        joined
        and isinstance(existing, str)
        and isinstance(value, str)
        and existing.strip()
        and existing.strip() != value.strip()
    ):
        return multiline(f"{existing.rstrip(chr(10))}\n\n{value.rstrip(chr(10))}")
    return value


def _is_records(type_: Any) -> bool:
    """Whether ``type_`` is a list of records (rows with fields of their own)."""
    type_ = strip_optional(type_)
    return get_origin(type_) is list and _is_record(_item_type(type_))


def _is_record(item_type: Any) -> bool:
    return attrs.has(item_type) and item_type not in (Link, ChecklistItem, Person)


def _empty(value: Any) -> bool:
    """Whether ``value`` holds nothing: no text, no item, in any of its fields."""
    if isinstance(value, dict):
        return all(_empty(item) for item in value.values())
    return value in ([], "", None)


def _comment(block: Block) -> bool:
    """Whether ``block`` is an HTML comment: shown to nobody, it is how templates write their
    guidance, and it is not imported."""
    text = block.raw.strip()
    return block.kind == "other" and text.startswith("<!--") and text.endswith("-->")


def _named_by_text(item_type: Any) -> bool:
    """Whether a record of ``item_type`` can be made from a text alone: its first field is
    text and the only one it requires."""
    fields = attrs.fields(item_type)
    required = [field for field in fields[1:] if field.default is attrs.NOTHING]
    return fields[0].type is str and not required


def _day(text: str | None) -> date | None:
    """The day an ISO date or time starts with."""
    return date.fromisoformat(text[:10]) if text else None


def _section_text(blocks: list[Block], index: int, limit: int = 8000) -> str:
    """The text of the section that the heading ``blocks[index]`` opens (its subsections
    included), its first ``limit`` characters."""
    level = blocks[index].level
    parts: list[str] = []
    size = 0
    for position in range(index + 1, len(blocks)):
        block = blocks[position]
        if (block.kind == "heading" and block.level <= level) or size > limit:
            break
        text = block.raw or block.text
        parts.append(text)
        size += len(text)
    return "\n".join(parts)[:limit]


class SectionReader:
    """Reads the blocks of one document, section by section, into plain data for the
    converter; what fits no field goes to ``unmapped``, with a warning."""

    def __init__(
        self,
        source: str,
        profile: ProfileName,
        zone: tzinfo | None = None,
        *,
        lifecycle: bool = False,
    ) -> None:
        self.source = source
        self.profile = PROFILES[profile]
        self.clock = Clock(zone=zone)
        """The time zone and day of the timeline lines read so far."""
        self.title_stated = False
        """Whether a key line or the front matter gave the title (not only a heading)."""
        self.lifecycle = lifecycle
        """Whether to mark the timeline's lifecycle moments (not in a template's own layout,
        whose milestones are written out)."""
        self.data: dict[str, Any] = {"profile": profile.value, "metadata": {"id": ""}}
        self.warnings: list[Problem] = []
        self.unmapped: list[dict[str, Any]] = []
        self.lines: dict[FieldPath, int] = {}
        """The line each value read was found on, by its place in ``data``."""
        self.sections_found: list[tuple[str, str | None]] = []
        """Each heading, front matter key and written time read, and the field it names
        (dotted; "" for a heading that only groups sections), or None for a heading kept in
        ``unmapped``."""
        self.own_headings = {normalize(spec.heading): spec.field for spec in self.profile.sections}
        self.other_headings = {
            normalize(spec.heading): spec.field
            for other in PROFILES.values()
            for spec in other.sections
        }

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Problem(self.source, line, 1, "", message))

    def resolve(
        self, heading: str, parent: tuple[str, ...]
    ) -> tuple[tuple[str, ...], dict[str, str]] | None:
        """The field a heading names, tried with and then without its parenthetical."""
        plain = _PARENTHETICAL.sub("", heading)
        return self.resolve_exactly(heading, parent) or (
            self.resolve_exactly(plain, parent) if plain != heading else None
        )

    def resolve_exactly(
        self, heading: str, parent: tuple[str, ...]
    ) -> tuple[tuple[str, ...], dict[str, str]] | None:
        key = normalize(heading)
        if parent and parent[-1] == "timeline" and key in PHASES:
            return ("timeline", "events"), {"phase": PHASES[key]}
        if parent == ("recommendations",) or (
            parent[:1] == ("recommendations",) and len(parent) > 1
        ):
            tier = TIERS.get(key.replace(" priority", "").split(" ")[0])
            if (tier and key.endswith(("priority", "hours", "weeks", "months"))) or key in TIERS:
                return ("recommendations",), {"tier": tier or TIERS[key]}
        owner = _item_type(_type_at(parent)) if parent else PostMortem
        if attrs.has(owner) and key in self.labels(owner):
            return (*parent, self.labels(owner)[key]), {}
        target = (
            self.own_headings.get(key)
            or ALIASES.get(key)
            or exact_meanings().get(heading_words(heading))
            or self.other_headings.get(key)
            or _SECTION_KEYS.get(key)
        )
        return (tuple(target.split(".")), {}) if target else None

    def run(self, blocks: list[Block]) -> None:
        stack: list[tuple[int, tuple[str, ...] | None, dict[str, str]]] = []
        pending: list[Block] = []
        current: tuple[str, ...] | None = ("metadata",)
        defaults: dict[str, str] = {}
        for index, block in enumerate(blocks):
            if block.kind != "heading":
                pending.append(block)
                continue
            self.flush(current, defaults, pending)
            pending = []
            if block.level == 1 and not stack and self.resolve(block.text, ()) is None:
                self.data["metadata"]["title"] = self.title(block.text)
                self.sections_found.append((block.text, "metadata.title"))
                current, defaults = ("metadata",), {}
                stack.append((2, current, {}))  # metadata sub-headings come before any section
                continue
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            parent = next((path for _, path, _ in reversed(stack) if path is not None), ())
            if parent == ("recommendations",) and stack and stack[-1][2].get("tier"):
                item = {**stack[-1][2], "title": multiline(NUMBERING.sub("", block.text).strip())}
                recommendations = self.data.setdefault("recommendations", [])
                recommendations.append(item)
                self.lines[("recommendations", len(recommendations) - 1)] = block.line
                current, defaults = ("recommendations", "-1"), {}
                self.sections_found.append((block.text, "recommendations.title"))
                stack.append((block.level, current, {}))
                continue
            if normalize(block.text) in CONTAINERS:
                self.sections_found.append((block.text, ""))
                stack.append((block.level, parent or None, {}))
                current, defaults = parent or None, {}
                continue
            outer = () if parent[:1] == ("metadata",) else parent
            resolved = self.resolve(block.text, parent)
            if resolved is None and not (outer and _is_records(_type_at(outer))):
                resolved = self.meaning(blocks, index, outer)  # a record's heading is its own
            if resolved is None and outer and self.groups(outer, blocks, index):
                self.unmapped.append({"heading": block.text, "markdown": "", "line": block.line})
                self.sections_found.append((block.text, None))
                current, defaults = outer, {}
            elif resolved is None and outer:
                current, defaults = self.continuation(block, outer), {}
                if current == outer:
                    pending.append(Block("paragraph", block.line, text=block.text, raw=block.text))
                self.sections_found.append((block.text, ".".join(outer)))
            elif resolved is None:
                self.unmapped.append({"heading": block.text, "markdown": "", "line": block.line})
                message = f"no field for the section {shown(block.text)}; kept in unmapped"
                self.warn(block.line, message)
                self.sections_found.append((block.text, None))
                current, defaults = None, {}
            else:
                current, defaults = resolved
                self.sections_found.append((block.text, ".".join(current)))
            stack.append((block.level, current, defaults))
        self.flush(current, defaults, pending)
        metadata = self.data["metadata"]
        stated = ("metadata", "title") in self.lines or self.title_stated
        if not stated and metadata.get("title") == metadata["id"]:
            metadata["title"] = ""  # a title heading that shows the id: the layouts' for none
        events = self.data.get("timeline", {}).get("events", [])
        if self.lifecycle and events:
            mark_milestones(events, self.data["metadata"])
        for name in SECTION_NAMES:
            if name in self.data and _empty(self.data[name]):
                del self.data[name]  # sections with only placeholders or headings
        if self.unmapped:
            self.data["unmapped"] = self.unmapped

    def read_front_matter(self, found: FrontMatter) -> None:
        """The facts of the front matter into their fields; the rest kept in ``unmapped``."""
        kept = list(found.kept)
        for fact in found.facts:
            target = FRONT_MATTER.get(normalize(fact.key))
            if target is None:
                kept.append((fact.raw, fact.line))
                continue
            path = tuple(target.split("."))
            type_ = strip_optional(_type_at(path))
            texts = [fact.value] if isinstance(fact.value, str) else list(fact.value)
            if get_origin(type_) is list:
                item_type = _item_type(type_)
                if item_type is Person:
                    texts = [part.removeprefix("and ") for text in texts for part in people(text)]
                value = [self.scalar(item_type, text, fact.line) for text in texts if text]
                value = [item for item in value if item is not None]
            else:
                value = self.scalar(type_, " ".join(texts), fact.line)
            if value not in (None, "", []):
                self.assign(path, value, fact.line)
                self.sections_found.append((fact.key, target))
        if kept:
            markdown = "\n".join(raw for raw, _ in sorted(kept, key=lambda entry: entry[1]))
            line = min(line for _, line in kept)
            self.unmapped.append({"heading": "", "markdown": markdown + "\n", "line": line})

    def meaning(
        self, blocks: list[Block], index: int, parent: tuple[str, ...]
    ) -> tuple[tuple[str, ...], dict[str, str]] | None:
        """The field the heading ``blocks[index]`` names by its words; for a section of the
        document (not one inside another), else the field its text is about."""
        target = heading_meaning(blocks[index].text)
        if target is None and not parent:
            target = content_meaning(_section_text(blocks, index))
        return (tuple(target.split(".")), {}) if target else None

    def groups(self, parent: tuple[str, ...], blocks: list[Block], index: int) -> bool:
        """Whether the heading ``blocks[index]``, inside a list of records, only groups the
        rows that follow it (a list or a table) rather than being a record itself."""
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        return (
            _is_records(_type_at(parent))
            and following is not None
            and following.kind in ("list", "table")
        )

    def continuation(self, block: Block, parent: tuple[str, ...]) -> tuple[str, ...]:
        """Where the text under a heading that names no field goes, inside the section
        ``parent``: a new record of its list, named by the heading, or the section itself."""
        if not _is_records(_type_at(parent)):
            return parent
        item_type = _item_type(_type_at(parent))
        text = NUMBERING.sub("", block.text).strip()
        first = attrs.fields(item_type)[0].name
        record = follow_up(text, None) if item_type is ActionItem else {first: text}
        self.assign(parent, [record], block.line)
        return (*parent, "-1")

    def title(self, text: str) -> str:
        titles = {normalize(profile.title) for profile in PROFILES.values()} | {"post mortem"}
        for title in (profile.title for profile in PROFILES.values()):
            text = text.removeprefix(f"{title}:")
        text = text.removeprefix("Post-Mortem:").strip()
        return "" if placeholder(text) or normalize(text) in titles else text

    def flush(
        self, path: tuple[str, ...] | None, defaults: dict[str, str], blocks: list[Block]
    ) -> None:
        blocks = [
            block
            for block in blocks
            if not (
                block.kind == "paragraph"
                and normalize(block.text.strip().strip("_*")) in TEMPLATE_GUIDANCE
            )
            and not _comment(block)
        ]
        if not blocks:
            return
        for block in blocks:
            if block.kind == "paragraph" and len(block.text) < _DECLARATION:
                self.declared_zone(block)
        if path is None:
            raw = "\n\n".join(block.raw for block in blocks)
            if self.unmapped:
                self.unmapped[-1]["markdown"] = (
                    self.unmapped[-1]["markdown"] + "\n\n" + raw
                ).strip() + "\n"
            else:
                self.unmapped.append(
                    {"heading": "", "markdown": raw.strip() + "\n", "line": blocks[0].line}
                )
            return
        if path == ("metadata",):
            prose = self.prose_above_sections(blocks)
            if prose and self.titled(prose[0]):
                prose = prose[1:]
            if prose:
                self.flush(("summary",), {}, prose)
            blocks = [block for block in blocks if block not in prose]
            if not blocks:
                return
        if path == ("distribution",):
            blocks = self.classification_sentence(blocks)
        type_ = _type_at(path)
        value = self.read(type_, blocks, defaults)
        if path == ("metadata",) and isinstance(value, dict) and "title" in value:
            self.title_stated = True
        if value is not None:
            self.assign(path, value, blocks[0].line)

    def titled(self, block: Block) -> bool:
        """Read a first line that names a template and a title (``Post-Mortem: X``, its
        heading markup lost) as the title; False if it is not one."""
        lines = block.text.strip().split("\n")
        template = normalize(lines[0].split(":")[0]) if ":" in lines[0] else ""
        titles = {normalize(profile.title) for profile in PROFILES.values()} | {"post mortem"}
        if block.kind != "paragraph" or len(lines) != 1 or template not in titles:
            return False
        self.data["metadata"].setdefault("title", self.title(unescape(lines[0])))
        return True

    def prose_above_sections(self, blocks: list[Block]) -> list[Block]:
        """The blocks above the first section that are not facts of the metadata: neither
        :meth:`header_facts` nor the value of a key line with nothing after its colon."""
        prose = []
        awaiting = False
        for block in blocks:
            if awaiting or self.header_facts(block):
                last = block.raw.rstrip().split("\n")[-1] if block.kind == "paragraph" else ""
                keyed = key_pair(last) if last else None
                awaiting = keyed is not None and not keyed[1].strip()
            else:
                prose.append(block)
        return prose

    def header_facts(self, block: Block) -> bool:
        """Whether a block at the top of a document states facts for the metadata: key lines
        (``**Severity**: P2``, ``Created by: Kim``), every one of whose keys names a field of
        the metadata or one elsewhere, or a table of them."""
        labels = self.labels(Metadata)
        if block.kind == "table":
            return len(block.rows[0]) == 2
        if block.kind not in ("paragraph", "list"):
            return False
        lines = (
            block.raw.split("\n")
            if block.kind == "paragraph"
            else [item.text for item in block.items]
        )
        pairs = [key_pair(line) for line in lines if line.strip()]
        return bool(pairs) and all(
            pair is not None
            and (normalize(unescape(pair[0])) in labels or self.elsewhere(pair[0]) is not None)
            for pair in pairs
        )

    def classification_sentence(self, blocks: list[Block]) -> list[Block]:
        """The blocks of the distribution section without its opening "This document is
        classified as X." (the metadata's label, read into it when the metadata has none)."""
        match = _CLASSIFIED_AS.match(blocks[0].text) if blocks[0].kind == "paragraph" else None
        if match is None:
            return blocks
        label = self.scalar(
            _type_at(("metadata", "classification")), match["label"], blocks[0].line
        )
        if label is not None:
            self.data["metadata"].setdefault("classification", label)
        return blocks[1:]

    def assign(self, path: tuple[str, ...], value: Any, line: int) -> None:
        """Put ``value``, read on ``line``, at ``path`` ("-1": the last item of a list)."""
        node: Any = self.data
        place: list[str | int] = []
        for step in path[:-1]:
            place.append(len(node) - 1 if step == "-1" else step)
            node = node[-1] if step == "-1" else node.setdefault(step, {})
        key = path[-1]
        if key == "-1":
            if isinstance(value, dict):
                node[-1] = _merged(node[-1], value)
            return
        where: FieldPath = (*place, key)
        self.lines.setdefault(where, line)
        node[key] = _merged(node.get(key), value, joined=path[0] != "metadata")
        if isinstance(value, list):
            count = len(node[key])
            self.lines.update({(*where, index): line for index in range(count - len(value), count)})

    def line_of(self, path: FieldPath) -> int:
        """The line the value at ``path`` (or the nearest value holding it) was read on; the
        first line if none was."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def read(self, type_: Any, blocks: list[Block], defaults: dict[str, str]) -> Any:
        type_ = strip_optional(type_)
        if get_origin(type_) is list:
            return self.read_list(get_args(type_)[0], blocks, defaults)
        if attrs.has(type_) and type_ not in (Link, Money):
            if (
                attrs.fields(type_)[0].name == "name"
                and len(blocks) == 1
                and blocks[0].kind == "paragraph"
                and "\n" not in blocks[0].raw
                and not KEY_LINE.match(blocks[0].raw)
            ):
                # A person written as one line of text: their name.
                return self.scalar(type_, block_text(blocks).strip(), blocks[0].line)
            return self.read_object(type_, blocks) or None
        if type_ is str:
            return block_text(blocks)
        return self.scalar(type_, block_text(blocks).strip(), blocks[0].line)

    def read_list(self, item_type: Any, blocks: list[Block], defaults: dict[str, str]) -> list[Any]:
        result: list[Any] = []
        for block in blocks:
            if block.kind == "table" and attrs.has(item_type) and item_type is not Link:
                result.extend(self.read_table(item_type, block, defaults))
            elif block.kind == "list":
                for item in block.items:
                    text = unescape(item.text).strip()
                    if (not text or placeholder(text)) and not item.details:
                        continue
                    if item_type is ChecklistItem:
                        result.append({"item": multiline(text), "done": bool(item.checked)})
                    elif item_type is str:
                        nested = [f"- {unescape(detail).strip()}" for detail in item.details]
                        result.append(multiline("\n".join([text, *nested])))
                    elif item_type is Link:
                        link = self.scalar(Link, text, item.line)
                        if link is not None:
                            result.append(link)
                    elif self.written_as_a_line(item_type, item.text):
                        result.extend(self.line_row(item_type, text, item))
                    else:
                        result.extend(self.read_list_item(item_type, item))
            elif block.kind == "paragraph" and item_type is Link:
                for found in INLINE_LINK.finditer(block.text):
                    link = self.scalar(Link, unescape(found.group()), block.line)
                    if link is not None:
                        result.append(link)
            elif block.kind == "paragraph" and item_type is Person:
                parts = people(block_text([block]))
                result.extend(person(part) for part in parts if part and not placeholder(part))
            elif block.kind == "paragraph" and item_type is str:
                result.extend(
                    line
                    for line in (unescape(part).strip() for part in block.text.split("\n"))
                    if line and not placeholder(line)
                )
            elif block.kind == "paragraph" and self.metadata_footer(block):
                continue
            elif block.kind == "paragraph" and self.written_as_a_line(item_type, block.text):
                for offset, line in enumerate(block.text.split("\n")):
                    item = Item(None, unescape(line).strip(), block.line + offset)
                    rows = self.line_row(item_type, item.text, item) if item.text else []
                    if rows and "time" not in rows[0] and result and item_type is TimelineEvent:
                        result[-1]["event"] = multiline(
                            f"{result[-1]['event'].rstrip()}\n{item.text}"
                        )
                    else:
                        result.extend(rows)
            elif block.kind == "paragraph" and _is_record(item_type) and _named_by_text(item_type):
                result.append({attrs.fields(item_type)[0].name: block_text([block])})
            else:
                self.keep(block.line, block.raw, "no place for this text in a list")
        return result

    def declared_zone(self, block: Block) -> None:
        """Take the zone a sentence declares for the document's times (``All times in PDT``)
        as the zone of the times that follow; an abbreviation of several zones is reported."""
        zone, problem = declared_zone(block.text)
        if problem is not None:
            self.warn(block.line, f"{problem}; times without a zone are read as UTC")
        elif zone is not None:
            self.clock.zone = zone

    def timeline_lines(self, type_: Any, block: Block) -> bool:
        """Whether ``block``, in a timeline, holds its events: a list, or lines that start
        with a time."""
        if type_ is not Timeline or block.kind not in ("list", "paragraph"):
            return False
        first = block.text.split("\n", 1)[0] if block.kind == "paragraph" else ""
        return block.kind == "list" or read_stamp(first, Clock(self.clock.day)) is not None

    def written_as_a_line(self, item_type: Any, text: str) -> bool:
        """Whether a row of ``item_type`` is written as a sentence (a timeline line, a
        follow-up) rather than as key lines (``**Action**: ...``) or a table row."""
        keyed = KEY_LINE.match(text)
        if keyed is not None and self.column(item_type, keyed["key"]):
            return False
        return item_type in (TimelineEvent, ActionItem)

    def line_row(self, item_type: Any, text: str, item: Item) -> list[dict[str, Any]]:
        """The row a line states: a timeline event or a follow-up; none for a template's
        example line (``[HH:MM UTC]: [Key milestone]``)."""
        details = [unescape(detail) for detail in item.details]
        keyed = KEY_LINE.match(text)
        if keyed is not None and item_type is TimelineEvent:  # "**14:02 UTC** - Deployed"
            text = f"{keyed['key']}: {_LEADING_DASH.sub('', keyed['rest'].strip())}"
        if placeholder(text):
            return []
        if item_type is ActionItem:
            return [
                follow_up("\n".join([text, *(f"- {detail}" for detail in details)]), item.checked)
            ]
        self.clock.start = self.clock.start or _day(self.incident_day())
        self.clock.day = self.clock.day or self.clock.start
        event, stamp = timeline_event(text, details, self.clock)
        if stamp.problem is not None:
            self.warn(item.line, f"{stamp.problem}; the time is kept in the event's text")
        if stamp.when is not None:
            self.sections_found.append((stamp.written, "timeline.events.time"))
        return [event] if event else []

    def read_list_item(self, item_type: Any, item: Item) -> list[dict[str, Any]]:
        """An item written as key lines, ``1. **Action**: ...`` with ``- **Result**: ...`` below
        it; text before any key is the first field's."""
        lines = [item.text, *item.details]
        if not KEY_LINE.match(lines[0]):
            lines[0] = f"**{field_label(attrs.fields(item_type)[0])}**: {lines[0]}"
        raw = "\n".join(lines)
        value = self.read_object(item_type, [Block("paragraph", item.line, text=raw, raw=raw)])
        if not value:
            return []
        required = [
            field.name for field in attrs.fields(item_type) if field.default is attrs.NOTHING
        ]
        missing = [name for name in required if name not in value]
        if missing:
            why = f"a {item_type.__name__} item has no {', '.join(missing)}"
            self.keep(item.line, raw, why)
            return []
        return [value]

    def metadata_footer(self, block: Block) -> bool:
        """Read a paragraph of key lines that all belong elsewhere (``**Report Prepared By**:``
        under the last section) into their fields; False if it is not one."""
        lines = block.raw.split("\n") if block.kind == "paragraph" else []
        keyed = [KEY_LINE.match(line) for line in lines]
        if not lines or not all(match and self.elsewhere(match["key"]) for match in keyed):
            return False
        for match in keyed:
            assert match is not None
            self.read_elsewhere(match["key"], match["rest"], block.line)
        return True

    def elsewhere(self, key: str) -> tuple[str, ...] | None:
        """The field outside the current section a key line names: the metadata's, or a fact
        the security template keeps with the key facts (time to detection)."""
        normal = normalize(unescape(key))
        metadata = self.labels(Metadata)
        if normal in metadata:
            return ("metadata", metadata[normal])
        return ELSEWHERE.get(normal)

    def read_elsewhere(self, key: str, rest: str, line: int) -> None:
        path = self.elsewhere(key)
        assert path is not None
        text = without_hard_break(rest)
        dates = _RANGE.search(text) if path == ("metadata", "incident_start") else None
        if dates is not None:
            text, end = dates.group(1), dates.group(2)
            self.read_elsewhere("incident end", end, line)
        value = self.read(_type_at(path), [Block("paragraph", line, text=text, raw=text)], {})
        if value not in (None, "", [], {}):
            self.assign(path, value, line)

    def read_table(
        self, item_type: Any, block: Block, defaults: dict[str, str]
    ) -> Iterator[dict[str, Any]]:
        header, *rows = block.rows
        fields = attrs.fields_dict(item_type)
        columns = [self.column(item_type, cell) for cell in header]
        unknown = [cell for cell, column in zip(header, columns, strict=True) if column is None]
        if unknown and any(len(row) > len(header) or any(row) for row in rows):
            names = ", ".join(repr(cell) for cell in unknown)
            self.keep(
                block.line,
                block.raw,
                f"table columns {names} have no field in {item_type.__name__} (the whole table)",
            )
        required = [name for name, field in fields.items() if field.default is attrs.NOTHING]
        for offset, row in enumerate(rows, start=2):
            item: dict[str, Any] = dict(defaults)
            placeheld: set[str | None] = set()
            for column, cell in zip(columns, row, strict=False):
                verbatim = column is not None and fields[column].metadata.get("verbatim")
                code = code_cell_text(cell) if verbatim else None
                text = unescape(cell).strip() if code is None else code
                if placeholder(text):
                    placeheld.add(column)
                if column is None or not text or placeholder(text):
                    continue
                if column == "time" and "milestone" in fields and normalize(text) in MILESTONES:
                    item["milestone"] = text  # the post-mortem template's "Incident began" row
                    continue
                value = self.scalar(fields[column].type, text, block.line + offset)
                if value is not None:
                    item[column] = value
            if not set(item) - set(defaults):
                continue
            missing = [name for name in required if name not in item]
            if missing and placeheld.issuperset(missing):
                continue  # a template's example row: "[Action 1] | [Date] | Complete"
            if missing:
                why = f"a {item_type.__name__} row has no {', '.join(missing)}"
                self.keep(block.line + offset, "| " + " | ".join(row) + " |", why)
                continue
            yield item

    def column(self, item_type: Any, heading: str) -> str | None:
        key = normalize(heading)
        return self.labels(item_type).get(key)

    def read_object(self, type_: Any, blocks: list[Block]) -> dict[str, Any]:
        fields = attrs.fields_dict(type_)
        result: dict[str, Any] = {}
        labels = self.labels(type_)
        # Text before any label belongs to the section's main prose (or its first text field);
        # a table before any label to its first table-shaped list.
        lead = next((name for name in (*LEAD_FIELDS, "note", "details") if name in fields), None)
        if lead is None and attrs.fields(type_)[0].type is str:
            lead = attrs.fields(type_)[0].name  # a record's text: an action item's action
        table_field = next(
            (
                name
                for name, field in fields.items()
                if get_origin(strip_optional(field.type)) is list
                and attrs.has(get_args(strip_optional(field.type))[0])
            ),
            None,
        )
        current: str | None = None
        owned: list[Block] = []

        def finish(target: str | None) -> None:
            if not owned:
                return
            if target is None:
                markdown = "\n\n".join(block.raw for block in owned)
                if block_text(owned):  # empty when it is only template placeholders
                    self.keep(
                        owned[0].line, markdown, f"no field in {type_.__name__} for this text"
                    )
                return
            value = self.read(fields[target].type, owned, {})
            if fields[target].metadata.get("verbatim") and isinstance(value, str):
                value = code_span_content(value)
            if value not in (None, "", []):
                result[target] = _merged(result.get(target), value)

        for block in key_value_rows(blocks, labels):
            lines = block.raw.split("\n") if block.kind == "paragraph" else []
            keyed = [KEY_LINE.match(line) for line in lines]
            if lines and all(keyed):
                for match in keyed:
                    assert match is not None
                    key = normalize(unescape(match["key"]))
                    name = labels.get(key)
                    if name is None and self.elsewhere(match["key"]):
                        self.read_elsewhere(match["key"], match["rest"], block.line)
                        continue
                    if name is None:
                        self.keep(
                            block.line,
                            lines[keyed.index(match)],
                            f"no field for {shown(match['key'])} here",
                        )
                        continue
                    finish(current or lead)
                    current, owned = name, []
                    rest = without_hard_break(match["rest"])
                    if rest:
                        owned.append(Block("paragraph", block.line, text=rest, raw=rest))
                continue
            if (
                current is None
                and table_field
                and (rows_of_items(block) or self.timeline_lines(type_, block))
            ):
                finish(lead)
                owned = [block]
                finish(table_field)
                owned = []
                continue
            owned.append(block)
        finish(current or lead)
        return result

    def labels(self, type_: Any) -> dict[str, str]:
        return _labels(type_, self.profile.name)

    def scalar(self, type_: Any, text: str, line: int) -> Any:
        """``text`` read as ``type_``; None, keeping the text in ``unmapped`` with a warning,
        if ``type_`` cannot hold it."""
        try:
            return read_value(type_, text, Context(day=self.incident_day()))
        except Exception:
            type_ = strip_optional(type_)
            self.keep(
                line, text, f"cannot read {shown(text)} as {getattr(type_, '__name__', type_)}"
            )
            return None

    def incident_day(self) -> str | None:
        """The day the metadata says the incident started or was detected (ISO)."""
        metadata = self.data["metadata"]
        for field in ("incident_start", "detected", "created", "report_date"):
            day = re.match(r"\d{4}-\d{2}-\d{2}", str(metadata.get(field, "")))
            if day:
                return day.group()
        return None

    def keep(self, line: int, markdown: str, why: str) -> None:
        """Keep text that fits no field in ``unmapped``, with a warning."""
        self.unmapped.append({"heading": "", "markdown": markdown.strip() + "\n", "line": line})
        self.warn(line, f"{why}; kept in unmapped")
