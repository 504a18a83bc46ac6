"""The section reader: headings matched to fields, and the blocks under each read by the
type of the field.

Headings are matched by meaning (numbering, case and punctuation do not matter; the
templates' own words, the vocabulary's phrases and, for a section of the document, the words
of its text are known); a heading inside a section that names no field continues it or starts
a record of it; what matches nothing is kept verbatim in ``unmapped`` with a warning.
"""

import re
from datetime import tzinfo
from functools import cache
from typing import get_origin

import attrs

from postmortem._shown import shown
from postmortem._typing import strip_optional
from postmortem.importer.blocks import (
    Block,
    key_pair,
    unescape,
)
from postmortem.importer.frontmatter import FrontMatter
from postmortem.importer.items import cve_ids, follow_up, mark_milestones
from postmortem.importer.meaning import (
    content_meaning,
    exact_meanings,
    heading_meaning,
    heading_words,
)
from postmortem.importer.model_paths import (
    held_class,
    holds_nothing,
    is_records,
    type_at,
)
from postmortem.importer.rows import RowReader
from postmortem.importer.times import date_in, declared_zone
from postmortem.importer.values import (
    multiline,
    named_field,
    people,
    placeholder,
)
from postmortem.importer.vocabulary import (
    ALIASES,
    CONTAINERS,
    FRONT_MATTER,
    FRONT_MATTER_FLAGS,
    NUMBERING,
    PHASES,
    TEMPLATE_GUIDANCE,
    TIERS,
    normalize,
)
from postmortem.model import (
    SECTION_NAMES,
    ActionItem,
    Metadata,
    Person,
    PostMortem,
    ProfileName,
)
from postmortem.model.common import field_label
from postmortem.patterns import compile_linear
from postmortem.profiles import PROFILES

__all__ = ["SectionReader", "mark_bare_headings"]

_PARENTHETICAL = compile_linear(r"\([^)]*\)")
_CLASSIFIED_AS = re.compile(r"^This document is classified as (?P<label>.*?)\.?$", re.IGNORECASE)
_DECLARATION = 300
"""Longest paragraph read for a declaration of the document's time zone."""
_SECTION_KEYS = {normalize(name): name for name in SECTION_NAMES}


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
        owner = held_class(attrs.fields_dict(PostMortem)[name].type)
        if attrs.has(owner):
            subsections |= {normalize(field_label(field)) for field in attrs.fields(owner)}
    return frozenset(sections), frozenset(subsections - sections)


def _only_code(blocks: list[Block], index: int) -> bool:
    """Whether the section the heading ``blocks[index]`` opens holds code blocks and nothing
    else."""
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    if following is None or following.kind != "code":
        return False
    for position in range(index + 1, len(blocks)):
        if blocks[position].kind == "heading":
            return True
        if blocks[position].kind != "code":
            return False
    return True


def _comment(block: Block) -> bool:
    """Whether ``block`` is an HTML comment: shown to nobody, it is how templates write their
    guidance, and it is not imported."""
    text = block.raw.strip()
    return block.kind == "other" and text.startswith("<!--") and text.endswith("-->")


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


class SectionReader(RowReader):
    """Reads the blocks of one document, section by section, into plain data for the
    converter; what fits no field goes to ``unmapped``, with a warning."""

    def __init__(
        self,
        source: str,
        profile: ProfileName,
        zone: tzinfo | None = None,
        *,
        inferring: bool = False,
    ) -> None:
        super().__init__(source, profile, zone, inferring=inferring)
        self.own_headings = {normalize(spec.heading): spec.field for spec in self.profile.sections}
        self.other_headings = {
            normalize(spec.heading): spec.field
            for other in PROFILES.values()
            for spec in other.sections
        }

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
        owner = held_class(type_at(parent)) if parent else PostMortem
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

    def run(self, blocks: list[Block], text: str = "") -> None:
        """Read ``blocks``, the blocks of the Markdown ``text``."""
        self.text = text
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
            if resolved is None and not (outer and is_records(type_at(outer))):
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
            if current is not None and current[:1] == ("timeline",):
                self.clock.day = date_in(block.text) or self.clock.day  # "Timeline - May 29"
            stack.append((block.level, current, defaults))
        self.flush(current, defaults, pending)
        metadata = self.data["metadata"]
        stated = ("metadata", "title") in self.lines or self.title_stated
        if not stated and metadata.get("title") == metadata["id"]:
            metadata["title"] = ""  # a title heading that shows the id: the layouts' for none
        self.cves()
        events = self.data.get("timeline", {}).get("events", [])
        if self.inferring and events:
            mark_milestones(events, self.data["metadata"])
        for name in SECTION_NAMES:
            if name in self.data and holds_nothing(self.data[name]):
                del self.data[name]  # sections with only placeholders or headings
        if self.unmapped:
            self.data["unmapped"] = self.unmapped

    def cves(self) -> None:
        """The CVE ids the document names anywhere, into its references (when it names any
        and its references do not already list them)."""
        named = cve_ids(self.text) if self.inferring else []
        if named:
            listed = self.data.get("references", {}).get("cves", [])
            missing = [cve for cve in named if cve not in listed]
            if missing:
                self.assign(("references", "cves"), missing, 1)

    def read_front_matter(self, found: FrontMatter) -> None:
        """The facts of the front matter into their fields; the rest kept in ``unmapped``."""
        kept = list(found.kept)
        for fact in found.facts:
            target = FRONT_MATTER.get(normalize(fact.key))
            if target is None:
                kept.append((fact.raw, fact.line))
                continue
            path = tuple(target.split("."))
            type_ = strip_optional(type_at(path))
            texts = [fact.value] if isinstance(fact.value, str) else list(fact.value)
            flags = FRONT_MATTER_FLAGS.get(normalize(fact.key))
            if flags is not None and texts[0].lower() in ("true", "false"):
                texts = [flags[0] if texts[0].lower() == "true" else flags[1]]
            if get_origin(type_) is list:
                item_type = held_class(type_)
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
        if target is None and not parent and _only_code(blocks, index):
            target = "technical_details.logs"  # machine output under a heading of its own
        if target is None and not parent:
            target = content_meaning(_section_text(blocks, index))
        return (tuple(target.split(".")), {}) if target else None

    def groups(self, parent: tuple[str, ...], blocks: list[Block], index: int) -> bool:
        """Whether the heading ``blocks[index]``, inside a list of records, only groups the
        rows that follow it (a list or a table) rather than being a record itself."""
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        return (
            is_records(type_at(parent))
            and following is not None
            and following.kind in ("list", "table")
        )

    def continuation(self, block: Block, parent: tuple[str, ...]) -> tuple[str, ...]:
        """Where the text under a heading that names no field goes, inside the section
        ``parent``: a new record of its list, named by the heading, or the section itself."""
        if not is_records(type_at(parent)):
            return parent
        item_type = held_class(type_at(parent))
        text = NUMBERING.sub("", block.text).strip()
        named = named_field(item_type).name
        record = follow_up(text, None) if item_type is ActionItem else {named: text}
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
            above = {id(block) for block in prose}
            blocks = [block for block in blocks if id(block) not in above]
            if not blocks:
                return
        if path == ("distribution",):
            blocks = self.classification_sentence(blocks)
        type_ = type_at(path)
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
        label = self.scalar(type_at(("metadata", "classification")), match["label"], blocks[0].line)
        if label is not None:
            self.data["metadata"].setdefault("classification", label)
        return blocks[1:]

    def declared_zone(self, block: Block) -> None:
        """Take the zone a sentence declares for the document's times (``All times in PDT``)
        as the zone of the times that follow; an abbreviation of several zones is reported."""
        zone, problem = declared_zone(block.text)
        if problem is not None:
            self.warn(block.line, f"{problem}; times without a zone are read as UTC")
        elif zone is not None:
            self.clock.zone = zone
