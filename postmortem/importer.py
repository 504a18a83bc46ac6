"""Markdown post-mortems into documents: headings, key lines, lists, checklists and tables.

The Markdown is parsed with markdown-it-py into blocks; headings are matched to
fields tolerantly (numbering, case and punctuation do not matter, and each
template's own words are known), the blocks under them are read by the type of
the field, and the plain data is structured by the same strict converter as YAML.
What matches no field is kept verbatim in ``unmapped`` with a warning naming its line.
"""

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import Enum
from functools import cache, lru_cache
from typing import Any, get_args, get_origin

import attrs

from postmortem._shown import shown
from postmortem._typing import strip_optional
from postmortem.converter import (
    FieldPath,
    format_duration,
    format_path,
    parse_duration,
    structure,
    structure_problems,
)
from postmortem.errors import DocumentError, Problem
from postmortem.model import (
    SECTION_NAMES,
    Cause,
    ChecklistItem,
    FollowUp,
    Link,
    Money,
    Person,
    PostMortem,
    ProfileName,
)
from postmortem.patterns import compile_linear
from postmortem.profiles import PROFILES
from postmortem.recognise import infer_missing, recognise
from postmortem.render.markdown import LEAD_FIELDS, encode_url, field_label
from postmortem.upgrade import MILESTONE_WORDS, assign_ids

__all__ = ["IMPORTED_TIME_ZONE", "Imported", "detect_profile", "import_markdown", "normalize"]

IMPORTED_TIME_ZONE = "UTC"
"""The zone of the times an imported document writes without one (``metadata.time_zone``)."""


@attrs.frozen
class Imported:
    """The imported document, and what could not be mapped (kept in ``unmapped``)."""

    document: PostMortem
    profile_detected: bool
    warnings: tuple[Problem, ...]


@attrs.define
class _Item:
    """A list item: its checkbox (None if it has none), its text, and its nested items' texts."""

    checked: bool | None
    text: str
    line: int
    details: list[str] = attrs.Factory(list)


@attrs.define
class _Block:
    kind: str
    line: int
    level: int = 0
    text: str = ""
    raw: str = ""
    items: list[_Item] = attrs.Factory(list)
    rows: list[list[str]] = attrs.Factory(list)


# What may be left around placeholders: separators, with one "UTC" or "or" among them. The
# separators before the word are in a group of their own, so that a long run of them is not
# split between two repeats in every way before the match fails.
_LEFT_AFTER_PLACEHOLDERS = re.compile(r"^(?:[\s|/(),.:;-]*(?:UTC|or))?[\s|/(),.:;\"-]*$")


def _placeholder(text: str) -> bool:
    """Whether ``text`` is nothing but template placeholders: ``[Name]``, ``YYYY-MM-DD HH:MM``."""
    if not text.strip():
        return False
    rest = _placeholders().sub("", text)
    return rest != text and bool(_LEFT_AFTER_PLACEHOLDERS.match(rest))


@cache
def _placeholders() -> re.Pattern[str]:
    from postmortem.policy import DEFAULT_PLACEHOLDERS

    return re.compile("|".join(f"(?:{pattern})" for pattern in DEFAULT_PLACEHOLDERS))


# The value after a key starts with a non-space, so that spaces before it are matched in one
# way only (a space either side of an optional colon, then ".*", backtrack cubically on a
# long run of spaces in a line that fails at its end).
_KEY_LINE = re.compile(r"^\s*(?:[-*]\s+)?\*\*(?P<key>[^*]+?)\*\*(?:\s*:)?\s*(?P<rest>(?:\S.*)?)$")
_NUMBERING = re.compile(r"^[ \t]*(?:\d+(?:\.\d+)*\.?|[A-Z]\.)[ \t]+")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|<br>")
# Patterns whose backtracking no rewriting removes run on RE2 (linear time): tried from every
# "[" or "(" of a line of them, these would each scan the rest of the line.
_INLINE_LINK = compile_linear(r"\[[^\]]*\]\([^)]*\)|<https?://[^>]+>|https?://\S+")
_LINK = compile_linear(
    r"^\[(?P<label>.*)\]\((?:<(?P<url>[^<>]*)>|(?P<plain>[^()<>\s]*))\)$|^<(?P<bare>[^>]+)>$"
)
_PARENTHETICAL = compile_linear(r"\([^)]*\)")

# The templates' own words for fields, where they are not the field's label.
_ALIASES: dict[str, str] = {
    "overview": "guidance",
    "how to use": "guidance",
    "executive summary": "summary",
    "summary of incident": "summary",
    "what happened": "summary.what_happened",
    "immediate actions taken": "summary.immediate_actions",
    "top recommendations": "summary.top_recommendations",
    "retrospective authors": "participants",
    "people": "participants",
    "key facts": "impact",
    "impact assessment": "impact",
    "incident timeline": "timeline",
    "root cause analysis": "root_cause",
    "primary cause": "root_cause.causes",
    "5 whys": "root_cause.five_whys",
    "attack vector if security breach": "root_cause.attack.initial_access.description",
    "how did they get in initial access": "root_cause.attack.initial_access",
    "what did they find discovery": "root_cause.attack.discovery",
    "how did they move lateral movement": "root_cause.attack.lateral_movement",
    "what did they take impact": "root_cause.attack.impact",
    "when could we have detected it detection gaps": "root_cause.attack.detection_gaps",
    "containment and remediation": "response",
    "response actions": "response",
    "immediate actions completed": "response.immediate",
    "immediate actions contain": "response.immediate",
    "short term actions in progress": "response.short_term",
    "short term actions rotate revoke": "response.short_term",
    "long term actions fix prevent": "response.long_term",
    "immediate response": "response.checklist",
    "investigation steps": "response.investigation_steps",
    "resolution steps": "response.resolution_steps",
    "action items followups": "action_items",
    "lessons learned": "lessons",
    "post incident analysis": "lessons",
    "what went well": "lessons.went_well",
    "what went ok": "lessons.went_ok",
    "what didnt go well": "lessons.went_wrong",
    "what went wrong": "lessons.went_wrong",
    "what could be improved": "lessons.went_wrong",
    "prevention measures": "prevention_plan",
    "detection improvements": "lessons.detection_improvements",
    "response improvements": "lessons.response_improvements",
    "gaps identified": "gaps",
    "lessons for runbooks": "runbooks",
    "indicators of compromise iocs": "iocs",
    "evidence preservation": "evidence",
    "document history": "history",
    "internal notifications": "notifications.internal",
    "external notifications": "notifications.external",
    "notification content": "notifications.content",
    "compliance and regulatory": "compliance",
    "regulatory requirements": "compliance.other_notifications",
    "compliance actions": "compliance.actions",
    "follow up actions": "follow_up",
    "short term 1 2 weeks": "follow_up.short_term",
    "medium term 1 3 months": "follow_up.medium_term",
    "long term 3 months": "follow_up.long_term",
    "error messages logs": "technical_details.logs",
    "logs": "technical_details.logs",
    "code changes": "technical_details.code_changes",
    "configuration changes": "technical_details.configuration_changes",
    "data impact": "technical_details.data_impact",
    "internal communications": "communication.internal",
    "external communications": "communication.external",
    "links": "references",
    "other notes": "other_notes",
}
_PHASES = {
    "initial compromise": "Initial Compromise",
    "discovery reconnaissance": "Discovery/Reconnaissance",
    "lateral movement": "Lateral Movement",
    "data access exfiltration": "Data Access/Exfiltration",
    "detection and response": "Detection and Response",
}
_TIERS = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}
_CONTAINERS = frozenset(
    {
        "incident details",
        "post incident analysis",
        "appendices",
        "other sections",
        "direct costs",
        "indirect costs",
    }
)
"""Headings that only group sections the import finds by their own headings (the last is
where rendering puts sections a layout lacks)."""

_FIELD_ALIASES = {
    "credentials access used": "credentials_used",
    "detection opportunities": "opportunities",
    "date": "time",
    "specific action": "action",
    "estimated effort": "effort",
    "approved recipients": "recipients",
    "date time": "time",
    "time utc": "time",
    "person team": "actor",
    "action name": "action",
    "action item": "action",
    "recommendation": "action",
    "action owner": "owner",
    "estimated resolution": "due",
    "due date": "due",
    "deadline": "due",
    "link to jira ticket": "ticket",
    "ticket": "ticket",
}


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Heading or label text as compared: no numbering, case, punctuation or parentheses marks."""
    text = _NUMBERING.sub("", text.replace("\u2019", "'"))
    text = re.sub(r"^phase \d+:?", "", text.strip().lower()).replace("'", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _unescape(text: str) -> str:
    """Markdown backslash escapes undone and ``<br>`` (a line break in a cell) as a newline."""
    return _ESCAPE.sub(lambda match: match.group(1) or "\n", text)


@cache
def _parser() -> Any:
    """CommonMark blocks and tables. Inline Markdown is not parsed into tokens (the import
    reads the text of each block with its own patterns): that is most of markdown-it's work,
    several microseconds a character on a long run of brackets."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").disable("inline")


@cache
def _code_span_parser() -> Any:
    """Inline Markdown limited to code spans and line breaks written as ``<br>``: what a cell of
    verbatim text (an indicator) is rendered as."""
    from markdown_it import MarkdownIt

    return MarkdownIt("zero", {"html": True}).enable(["backticks", "html_inline"])


def _blocks(text: str) -> Iterator[_Block]:
    tokens = _parser().parse(text)
    lines = text.split("\n")
    index = 0
    while index < len(tokens):
        token = tokens[index]
        start = token.map[0] + 1 if token.map else 0
        raw = "\n".join(lines[token.map[0] : token.map[1]]) if token.map else ""
        if token.type == "heading_open":
            yield _Block(
                "heading",
                start,
                level=int(token.tag[1]),
                text=_unescape(tokens[index + 1].content),
                raw=raw,
            )
            index += 3
        elif token.type == "paragraph_open":
            bold = re.fullmatch(r"\*\*([^*]+?)\*\*", tokens[index + 1].content.strip())
            if bold:  # a bold line standing alone is a heading written without heading markup
                yield _Block("heading", start, level=6, text=_unescape(bold.group(1)), raw=raw)
            else:
                yield _Block("paragraph", start, text=tokens[index + 1].content, raw=raw)
            index += 3
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            block = _Block("list", start, raw=raw)
            depth = 0
            while True:
                token = tokens[index]
                depth += token.nesting if token.type.endswith(("list_open", "list_close")) else 0
                if token.type == "inline" and depth == 1:
                    content = token.content
                    match = re.match(r"^\[( |x|X)\]\s+", content)
                    checked = None if match is None else match.group(1) != " "
                    text = content[match.end() :] if match else content
                    line = token.map[0] + 1 if token.map else start
                    block.items.append(_Item(checked, text, line))
                elif token.type == "inline" and depth > 1 and block.items:
                    block.items[-1].details.append(token.content)
                index += 1
                if depth == 0:
                    break
            yield block
        elif token.type == "table_open":
            block = _Block("table", start, raw=raw)
            while tokens[index].type != "table_close":
                if tokens[index].type == "tr_open":
                    block.rows.append([])
                elif tokens[index].type == "inline":
                    block.rows[-1].append(tokens[index].content)
                index += 1
            index += 1
            yield block
        elif token.type in ("fence", "code_block"):
            yield _Block("code", start, text=token.content, raw=raw)
            index += 1
        else:
            if token.map and token.type in ("html_block", "hr") and token.type != "hr":
                yield _Block("other", start, raw=raw)
            index += 1


def _mark_bare_headings(text: str) -> str:
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
    sections |= {key for key, target in _ALIASES.items() if "." not in target} | _CONTAINERS
    subsections = {key for key, target in _ALIASES.items() if "." in target}
    for name in SECTION_NAMES:
        owner = _item_type(attrs.fields_dict(PostMortem)[name].type)
        if attrs.has(owner):
            subsections |= {normalize(field_label(field.name)) for field in attrs.fields(owner)}
    return frozenset(sections), frozenset(subsections - sections)


def detect_profile(headings: list[str]) -> tuple[ProfileName, bool]:
    """The profile whose title and section headings the Markdown shows most of: detected,
    or the P1-P3 post-mortem as a guess when nothing matches."""
    seen = {normalize(heading) for heading in headings}
    titles = [normalize(heading.split(":")[0]) for heading in headings[:1]]
    scores = {
        name: sum(normalize(spec.heading) in seen for spec in profile.sections)
        + (5 if normalize(profile.title) in titles else 0)
        for name, profile in PROFILES.items()
    }
    best = max(scores, key=lambda name: (scores[name], name is ProfileName.POSTMORTEM))
    return best, scores[best] > 0


class _Importer:
    def __init__(self, source: str, profile: ProfileName) -> None:
        self.source = source
        self.profile = PROFILES[profile]
        self.data: dict[str, Any] = {"profile": profile.value, "metadata": {"id": ""}}
        self.warnings: list[Problem] = []
        self.unmapped: list[dict[str, Any]] = []
        self.without_zone = False  # a time was read without a UTC offset
        self.lines: dict[FieldPath, int] = {}
        """The line each value read was found on, by its place in ``data``."""
        self.headings = {normalize(spec.heading): spec.field for spec in self.profile.sections}
        for other in PROFILES.values():
            for spec in other.sections:
                self.headings.setdefault(normalize(spec.heading), spec.field)

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
        if parent and parent[-1] == "timeline" and key in _PHASES:
            return ("timeline", "events"), {"phase": _PHASES[key]}
        if parent == ("recommendations",) or (
            parent[:1] == ("recommendations",) and len(parent) > 1
        ):
            tier = _TIERS.get(key.replace(" priority", "").split(" ")[0])
            if (tier and key.endswith(("priority", "hours", "weeks", "months"))) or key in _TIERS:
                return ("recommendations",), {"tier": tier or _TIERS[key]}
        owner = _item_type(_type_at(parent)) if parent else PostMortem
        if attrs.has(owner) and key in self.labels(owner):
            return (*parent, self.labels(owner)[key]), {}
        target = _ALIASES.get(key) or self.headings.get(key)
        if target is None and key in {normalize(name) for name in SECTION_NAMES}:
            target = next(name for name in SECTION_NAMES if normalize(name) == key)
        return (tuple(target.split(".")), {}) if target else None

    def run(self, blocks: list[_Block]) -> None:
        stack: list[tuple[int, tuple[str, ...] | None, dict[str, str]]] = []
        pending: list[_Block] = []
        current: tuple[str, ...] | None = ("metadata",)
        defaults: dict[str, str] = {}
        for block in blocks:
            if block.kind != "heading":
                pending.append(block)
                continue
            self.flush(current, defaults, pending)
            pending = []
            if block.level == 1 and not stack and self.resolve(block.text, ()) is None:
                self.data["metadata"]["title"] = self.title(block.text)
                current, defaults = ("metadata",), {}
                stack.append((2, current, {}))  # metadata sub-headings come before any section
                continue
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            parent = next((path for _, path, _ in reversed(stack) if path is not None), ())
            if parent == ("recommendations",) and stack and stack[-1][2].get("tier"):
                item = {**stack[-1][2], "title": _multiline(_NUMBERING.sub("", block.text).strip())}
                recommendations = self.data.setdefault("recommendations", [])
                recommendations.append(item)
                self.lines[("recommendations", len(recommendations) - 1)] = block.line
                current, defaults = ("recommendations", "-1"), {}
                stack.append((block.level, current, {}))
                continue
            if normalize(block.text) in _CONTAINERS:
                stack.append((block.level, parent or None, {}))
                current, defaults = parent or None, {}
                continue
            resolved = self.resolve(block.text, parent)
            if resolved is None:
                self.unmapped.append({"heading": block.text, "markdown": "", "line": block.line})
                message = f"no field for the section {shown(block.text)}; kept in unmapped"
                self.warn(block.line, message)
                current, defaults = None, {}
            else:
                current, defaults = resolved
            stack.append((block.level, current, defaults))
        self.flush(current, defaults, pending)
        if self.unmapped:
            self.data["unmapped"] = self.unmapped

    def title(self, text: str) -> str:
        titles = {normalize(profile.title) for profile in PROFILES.values()} | {"post mortem"}
        for title in (profile.title for profile in PROFILES.values()):
            text = text.removeprefix(f"{title}:")
        text = text.removeprefix("Post-Mortem:").strip()
        return "" if _placeholder(text) or normalize(text) in titles else text

    def flush(
        self, path: tuple[str, ...] | None, defaults: dict[str, str], blocks: list[_Block]
    ) -> None:
        blocks = [
            block
            for block in blocks
            if not (block.kind == "paragraph" and normalize(block.text) in _TEMPLATE_GUIDANCE)
        ]
        if not blocks:
            return
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
        if path == ("distribution",):
            blocks = self.classification_sentence(blocks)
        type_ = _type_at(path)
        value = self.read(type_, blocks, defaults)
        if value is not None:
            self.assign(path, value, blocks[0].line)

    def classification_sentence(self, blocks: list[_Block]) -> list[_Block]:
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
                node[-1].update(value)
            return
        where: FieldPath = (*place, key)
        self.lines.setdefault(where, line)
        existing = node.get(key)
        if isinstance(existing, list) and isinstance(value, list):
            existing.extend(value)
        elif isinstance(existing, dict) and isinstance(value, dict):
            existing.update(value)
        else:
            node[key] = value
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

    def read(self, type_: Any, blocks: list[_Block], defaults: dict[str, str]) -> Any:
        type_ = strip_optional(type_)
        if get_origin(type_) is list:
            return self.read_list(get_args(type_)[0], blocks, defaults)
        if attrs.has(type_) and type_ not in (Link, Money):
            if (
                attrs.fields(type_)[0].name == "name"
                and len(blocks) == 1
                and blocks[0].kind == "paragraph"
                and "\n" not in blocks[0].raw
                and not _KEY_LINE.match(blocks[0].raw)
            ):
                # A person written as one line of text: their name.
                return self.scalar(type_, _text(blocks).strip(), blocks[0].line)
            return self.read_object(type_, blocks) or None
        if type_ is str:
            return _text(blocks)
        return self.scalar(type_, _text(blocks).strip(), blocks[0].line)

    def read_list(
        self, item_type: Any, blocks: list[_Block], defaults: dict[str, str]
    ) -> list[Any]:
        result: list[Any] = []
        for block in blocks:
            if block.kind == "table" and attrs.has(item_type) and item_type is not Link:
                result.extend(self.read_table(item_type, block, defaults))
            elif block.kind == "list":
                for item in block.items:
                    text = _unescape(item.text).strip()
                    if (not text or _placeholder(text)) and not item.details:
                        continue
                    if item_type is ChecklistItem:
                        result.append({"item": _multiline(text), "done": bool(item.checked)})
                    elif item_type is FollowUp and item.checked is not None:
                        result.append(self.checklist_follow_up(text, item.checked, item.line))
                    elif item_type is str:
                        nested = [f"- {_unescape(detail).strip()}" for detail in item.details]
                        result.append(_multiline("\n".join([text, *nested])))
                    elif item_type is Link:
                        link = self.scalar(Link, text, item.line)
                        if link is not None:
                            result.append(link)
                    else:
                        result.extend(self.read_list_item(item_type, item))
            elif block.kind == "paragraph" and item_type is Cause:
                result.append({"description": _multiline(_text([block]))})
            elif block.kind == "paragraph" and item_type is Link:
                for found in _INLINE_LINK.finditer(block.text):
                    link = self.scalar(Link, _unescape(found.group()), block.line)
                    if link is not None:
                        result.append(link)
            elif block.kind == "paragraph" and item_type is Person:
                parts = _people(_text([block]))
                result.extend(_person(part) for part in parts if part and not _placeholder(part))
            elif block.kind == "paragraph" and item_type is str:
                result.extend(
                    line
                    for line in (_unescape(part).strip() for part in block.text.split("\n"))
                    if line
                )
            elif not self.metadata_footer(block):
                self.keep(block.line, block.raw, "no place for this text in a list")
        return result

    def read_list_item(self, item_type: Any, item: _Item) -> list[dict[str, Any]]:
        """An item written as key lines, ``1. **Action**: ...`` with ``- **Result**: ...`` below
        it; text before any key is the first field's."""
        lines = [item.text, *item.details]
        fields = attrs.fields_dict(item_type)
        first = attrs.fields(item_type)[0].name
        keyed = _KEY_LINE.match(lines[0])
        if (
            keyed
            and "time" in fields
            and "event" in fields
            and not self.column(item_type, keyed["key"])
        ):
            # "**14:02 UTC** - Issue first detected", as the incident report writes its timeline
            event = re.sub(r"^[-\u2013:]\s*", "", keyed["rest"].strip())
            lines[0] = f"**Time**: {keyed['key']}"
            lines.insert(1, f"**Event**: {event}")
        elif not keyed:
            lines[0] = f"**{field_label(first)}**: {lines[0]}"
        raw = "\n".join(lines)
        value = self.read_object(item_type, [_Block("paragraph", item.line, text=raw, raw=raw)])
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

    def metadata_footer(self, block: _Block) -> bool:
        """Read a paragraph of key lines that all belong elsewhere (``**Report Prepared By**:``
        under the last section) into their fields; False if it is not one."""
        lines = block.raw.split("\n") if block.kind == "paragraph" else []
        keyed = [_KEY_LINE.match(line) for line in lines]
        if not lines or not all(match and self.elsewhere(match["key"]) for match in keyed):
            return False
        for match in keyed:
            assert match is not None
            self.read_elsewhere(match["key"], match["rest"], block.line)
        return True

    def elsewhere(self, key: str) -> tuple[str, ...] | None:
        """The field outside the current section a key line names: the metadata's, or a fact
        the security template keeps with the key facts (time to detection)."""
        normal = normalize(_unescape(key))
        metadata = self.labels(_metadata_type())
        if normal in metadata:
            return ("metadata", metadata[normal])
        return _ELSEWHERE.get(normal)

    def read_elsewhere(self, key: str, rest: str, line: int) -> None:
        path = self.elsewhere(key)
        assert path is not None
        text = _without_hard_break(rest)
        dates = _RANGE.search(text) if path == ("metadata", "lifecycle", "started") else None
        if dates is not None:
            text, end = dates.group(1), dates.group(2)
            self.read_elsewhere("incident end", end, line)
        value = self.read(_type_at(path), [_Block("paragraph", line, text=text, raw=text)], {})
        if value not in (None, "", [], {}):
            self.assign(path, value, line)

    def read_table(
        self, item_type: Any, block: _Block, defaults: dict[str, str]
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
                code = _code_cell_text(cell) if verbatim else None
                text = _unescape(cell).strip() if code is None else code
                if _placeholder(text):
                    placeheld.add(column)
                if column is None or not text or _placeholder(text):
                    continue
                milestone = MILESTONE_WORDS.get(normalize(text))
                if column == "time" and "milestone" in fields and milestone is not None:
                    item["milestone"] = milestone  # the post-mortem template's "Incident began"
                    continue
                value = self.scalar(fields[column].type, text, block.line + offset)
                if value is not None:
                    item[column] = value
            if not set(item) - set(defaults):
                continue
            infer_missing(item_type, item)
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

    def read_object(self, type_: Any, blocks: list[_Block]) -> dict[str, Any]:
        fields = attrs.fields_dict(type_)
        result: dict[str, Any] = {}
        labels = self.labels(type_)
        # Text before any label belongs to the section's main prose (or its first text field);
        # a table before any label to its first table-shaped list.
        lead = next((name for name in (*LEAD_FIELDS, "note", "causes") if name in fields), None)
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
        owned: list[_Block] = []

        def finish(target: str | None) -> None:
            if not owned:
                return
            if target is None:
                markdown = "\n\n".join(block.raw for block in owned)
                if _text(owned):  # empty when it is only template placeholders
                    self.keep(
                        owned[0].line, markdown, f"no field in {type_.__name__} for this text"
                    )
                return
            if fields[target].metadata.get("format") == "id" and target == "addresses":
                result[target] = [part.strip() for part in _text(owned).split(",")]
                return
            value = self.read(fields[target].type, owned, {})
            if fields[target].metadata.get("verbatim") and isinstance(value, str):
                value = _code_span_content(value)
            if value not in (None, "", []):
                result[target] = value

        for block in _key_value_rows(blocks, labels):
            lines = block.raw.split("\n") if block.kind == "paragraph" else []
            keyed = [_KEY_LINE.match(line) for line in lines]
            if lines and all(keyed):
                for match in keyed:
                    assert match is not None
                    key = normalize(_unescape(match["key"]))
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
                    rest = _without_hard_break(match["rest"])
                    if rest:
                        owned.append(_Block("paragraph", block.line, text=rest, raw=rest))
                continue
            if current is None and table_field and _rows_of_items(block):
                finish(lead)
                owned = [block]
                finish(table_field)
                owned = []
                continue
            owned.append(block)
        finish(current or lead)
        return result

    def checklist_follow_up(self, text: str, checked: bool, line: int) -> dict[str, Any]:
        """A horizon's checklist line, as the layouts write it: ``action (owner: ...; due:
        ...)``, the box saying whether it is done."""
        item: dict[str, Any] = {"status": "Completed"} if checked else {}
        action, details = text, {}
        start = text.rfind(" (")
        if text.endswith(")") and start > 0:
            fields = attrs.fields_dict(FollowUp)
            pairs = [part.partition(": ") for part in text[start + 2 : -1].split("; ")]
            if all(name in fields and value for name, _, value in pairs):
                action, details = text[:start], {name: value for name, _, value in pairs}
        for name, value in details.items():
            field_type = attrs.fields_dict(FollowUp)[name].type
            if name == "addresses":
                item[name] = [part.strip() for part in value.split(",") if part.strip()]
            elif (read := self.scalar(field_type, value, line)) is not None:
                item[name] = read
        return {"action": _multiline(action), **item}

    def labels(self, type_: Any) -> dict[str, str]:
        return _labels(type_, self.profile.name)

    def scalar(self, type_: Any, text: str, line: int) -> Any:
        type_ = strip_optional(type_)
        if not text or _placeholder(text):
            return None
        try:
            if type_ is str:
                return _multiline(text)
            if type_ is bool:
                return text.lower() in ("yes", "true", "x", "[x]")
            if type_ is int or type_ is float:
                number = type_(text.replace(",", ""))
                structure(number, type_)  # too large, NaN or infinite: kept, saying so
                return number
            if type_ is Link:
                link = _link(text)
                structure(link, Link)  # a ticket written as "PAY-301" is no link: say so
                return link
            if type_ is Money:
                amount, _, currency = text.partition(" ")
                money = {"amount": float(amount.replace(",", "")), "currency": currency or "USD"}
                structure(money, Money)
                return money
            if get_origin(type_) is list and get_args(type_)[0] is str:
                return [part.strip() for part in text.split(", ") if part.strip()]  # ids
            if get_origin(type_) is list:
                return [self.scalar(get_args(type_)[0], text, line)]
            if type_ is Person:
                return _person(text)
            if attrs.has(type_):
                first = attrs.fields(type_)[0].name
                return {first: text}
            if type_ is timedelta:
                return format_duration(parse_duration(text))
            if isinstance(type_, type) and issubclass(type_, Enum):
                return _choice(type_, text)
            value = _us_date(_utc_as_offset(self.on_incident_day(text)))
            read = structure(value, type_, time_zone=IMPORTED_TIME_ZONE)  # or says why not
            if isinstance(read, datetime) and not _has_offset(value):
                self.without_zone = True
            return value
        except Exception:
            self.keep(
                line, text, f"cannot read {shown(text)} as {getattr(type_, '__name__', type_)}"
            )
            return None

    def on_incident_day(self, text: str) -> str:
        """A time of day alone (``08:40 UTC``, as template timelines write it) on the day the
        metadata says the incident started or was detected."""
        if not _TIME_OF_DAY.match(text):
            return text
        metadata = self.data["metadata"]
        lifecycle = metadata.get("lifecycle") or {}
        for value in (
            lifecycle.get("started"),
            lifecycle.get("detected"),
            metadata.get("created"),
            metadata.get("report_date"),
        ):
            day = re.match(r"\d{4}-\d{2}-\d{2}", str(value or ""))
            if day:
                return f"{day.group()} {text}"
        return text

    def keep(self, line: int, markdown: str, why: str) -> None:
        """Keep text that fits no field in ``unmapped``, with a warning."""
        self.unmapped.append({"heading": "", "markdown": markdown.strip() + "\n", "line": line})
        self.warn(line, f"{why}; kept in unmapped")


_TEMPLATE_GUIDANCE = frozenset(
    {
        "every action item needs an owner and deadline",
        "see linked incident log for detailed timeline",
        "withheld from this edition",
    }
)
"""Sentences the templates and our layouts print, not a person's words."""
_ELSEWHERE: dict[str, tuple[str, ...]] = {
    "incident date s": ("metadata", "lifecycle", "started"),
    "incident date": ("metadata", "lifecycle", "started"),
    "incident end": ("metadata", "lifecycle", "resolved"),
    "detection date": ("metadata", "lifecycle", "detected"),
    "date detected": ("metadata", "lifecycle", "detected"),
    "date resolved": ("metadata", "lifecycle", "resolved"),
    "current status": ("metadata", "incident_status"),
    "time to detection": ("detection", "time_to_detect"),
}
_RANGE = compile_linear(r"^(.+?)\s+(?:-|\x{2013}|to)\s+(.+)$")
_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?(\s*UTC)?$")
_CLASSIFIED_AS = re.compile(r"^This document is classified as (?P<label>.*?)\.?$", re.IGNORECASE)
# The value is everything after the colon (a line break included), trimmed in Python: a
# pattern that trims it itself (".*?\s*(?:<br>)?\s*$") backtracks cubically on a run of
# spaces in a line that fails at its end.
_PLAIN_KEY = re.compile(r"^\s*(?P<key>[A-Za-z][\w /()-]{0,40}?)\s*:\s+(?P<rest>.*)$", re.DOTALL)


def _plain_key_line(text: str) -> tuple[str, str] | None:
    """``Key: value`` on one line: the key, and the value without the spaces and the ``<br>``
    (a line break in a table cell) that end it."""
    match = _PLAIN_KEY.match(text)
    if match is None:
        return None
    value = match["rest"].rstrip().removesuffix("<br>").rstrip()
    return None if "\n" in value else (match["key"], value)


def _key_pair(text: str) -> tuple[str, str] | None:
    """``**Key**: value`` or ``Key: value``: the key and the value."""
    keyed = _KEY_LINE.match(text)
    return (keyed["key"], keyed["rest"]) if keyed else _plain_key_line(text)


def _key_value_rows(blocks: list[_Block], labels: dict[str, str]) -> Iterator[_Block]:
    """Blocks with other ways of writing key lines turned into ``**Key**: value``: lines of
    ``Key: value`` whose keys are labels here, lists of ``- **Key**: value`` items, and
    two-column Field | Value tables."""
    for block in blocks:
        if block.kind == "paragraph":
            pairs = [_plain_key_line(line) for line in block.raw.split("\n")]
            if all(pairs) and any(normalize(pair[0]) in labels for pair in pairs if pair):
                yield _keyed(block, [pair for pair in pairs if pair])
                continue
        if block.kind == "list" and block.items and not any(item.details for item in block.items):
            pairs = [_key_pair(item.text) for item in block.items]
            if all(pair and normalize(_unescape(pair[0])) in labels for pair in pairs):
                yield _keyed(block, [pair for pair in pairs if pair])
                continue
        if (
            block.kind == "table"
            and len(block.rows[0]) == 2
            and normalize(block.rows[0][1]) == "value"
        ):
            yield _keyed(
                block, [(row[0].strip("* "), row[1]) for row in block.rows[1:] if len(row) == 2]
            )
            continue
        yield block


def _rows_of_items(block: _Block) -> bool:
    """A table, or a list whose items each start with a bold key (``- **14:02** - ...``)."""
    return block.kind == "table" or (
        block.kind == "list"
        and bool(block.items)
        and all(_KEY_LINE.match(item.text) for item in block.items)
    )


def _keyed(block: _Block, pairs: list[tuple[str, str]]) -> _Block:
    raw = "\n".join(f"**{key}**: {value}" for key, value in pairs)
    return _Block("paragraph", block.line, text=raw, raw=raw)


@cache
def _labels(type_: Any, profile: ProfileName) -> dict[str, str]:
    """Normalized label -> field of ``type_``: aliases, then the field's own label and name,
    then the profile's words for metadata, each overriding the one before."""
    fields = attrs.fields_dict(type_)
    labels = {key: name for key, name in _FIELD_ALIASES.items() if name in fields}
    for name in fields:
        labels[normalize(field_label(name))] = name
        labels[normalize(name)] = name
    if type_ is _metadata_type():
        metadata_labels = PROFILES[profile].metadata_labels
        labels.update(
            {normalize(label): name for name, label in metadata_labels.items() if name in fields}
        )
    return labels


def _choice(enum_type: type[Enum], text: str) -> Any:
    """An enum value written loosely (``complete``, ``in progress``); None for a template's
    list of choices (``Critical | High | Medium | Low``); ValueError if it is none of them."""
    values = {normalize(member.value): member.value for member in enum_type}

    def match(word: str) -> str | None:
        key = normalize(word)
        if key in values:
            return str(values[key])
        starts = [value for normal, value in values.items() if normal.startswith(key)]
        return starts[0] if len(starts) == 1 else None

    found = match(text)
    if found is not None:
        return found
    options = [part.strip() for part in re.split(r"[|/]", text) if part.strip()]
    if len(options) > 1 and sum(match(option) is not None for option in options) * 2 >= len(
        options
    ):
        return None
    raise ValueError(text)


def _us_date(text: str) -> str:
    """``4/20/24`` (month/day/year, as the retrospective template writes dates) -> ISO."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", text)
    if match is None:
        return text
    month, day, year = (int(part) for part in match.groups())
    return f"{year + 2000 if year < 100 else year:04d}-{month:02d}-{day:02d}"


def _metadata_type() -> Any:
    from postmortem.model import Metadata

    return Metadata


def _has_offset(text: str) -> bool:
    """Whether a date and time as the importer writes it carries a UTC offset."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


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


def _text(blocks: list[_Block]) -> str:
    if blocks and all(block.kind == "code" for block in blocks):
        return "".join(block.text for block in blocks)  # verbatim, as fenced
    parts = []
    for block in blocks:
        if block.kind == "code":
            parts.append(block.text.rstrip("\n"))
        elif block.kind == "paragraph":
            parts.append("\n".join(_unescape(line).strip() for line in block.text.split("\n")))
        elif block.kind == "list":
            parts.append("\n".join(f"- {_unescape(item.text)}" for item in block.items))
        else:
            parts.append(block.raw)
    text = "\n\n".join(part for part in parts if part.strip())
    return "" if _placeholder(text) else _multiline(text)


def _without_hard_break(text: str) -> str:
    """A line's text without the backslash that ends it as a hard line break (an escaped
    backslash, an even run, is text)."""
    text = text.strip()
    trailing = len(text) - len(text.rstrip("\\"))
    return text[:-1].strip() if trailing % 2 else text


def _code_span_content(text: str) -> str:
    """``command`` written as one inline code span: what is inside it (a space each side
    taken off); ``text`` as it is when it is not one span."""
    span = text.strip()
    fence = span[: len(span) - len(span.lstrip("`"))]
    if not fence or len(span) <= 2 * len(fence) or not span.endswith(fence):
        return text
    inside = span[len(fence) : -len(fence)]
    if inside.startswith("`") or inside.endswith("`"):
        return text  # the fences are not the same length: not one span
    return inside.removeprefix(" ").removesuffix(" ")


def _utc_as_offset(text: str) -> str:
    """``08:40 UTC`` -> ``08:40+00:00``."""
    return text[:-3].rstrip() + "+00:00" if text.endswith("UTC") else text


def _people(text: str) -> list[str]:
    """``A (x, y), B; C | D`` -> ``A (x, y)``, ``B``, ``C``, ``D``: the people in a line,
    split at ``|``, ``;`` and at commas outside parentheses."""
    parts, start, depth = [], 0, 0
    for index, character in enumerate(text):
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character in "|;" or (character == "," and depth <= 0):
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return parts


def _code_cell_text(cell: str) -> str | None:
    """The text of a cell written as inline code spans joined by ``<br>`` (how verbatim text
    such as an indicator is rendered), exactly; None for a cell written otherwise."""
    lines = [""]
    for token in _code_span_parser().parseInline(cell)[0].children or []:
        if token.type == "code_inline":
            lines[-1] += token.content
        elif token.type == "html_inline" and token.content == "<br>":
            lines.append("")
        else:
            return None
    return "\n".join(lines) if any(lines) else None


def _multiline(text: str) -> str:
    """Text of more than one line ends with a line break, as the YAML block scalars keep it."""
    return text + "\n" if "\n" in text else text


_PERSON = compile_linear(
    r"^(?:(?P<role>[^()]+?)\s+[-\x{2013}]\s+)?(?P<name>[^()]+?)\s*(?:\((?P<contact>[^()]+)\))?$"
)


def _person(text: str) -> dict[str, str]:
    """``Incident Commander - Rosa Diaz (rosa@example.com)``: role, name and contact."""
    match = _PERSON.search(text.strip())
    if match is None:
        return {"name": text.strip()}
    return {key: value for key, value in match.groupdict().items() if value}


def _link(text: str) -> dict[str, Any]:
    """A link from text already unescaped: ``[label](<url>)``, ``<url>`` or a bare URL."""
    match = _LINK.search(text.strip())
    if match is None:
        return {"url": text.strip()}
    if match["bare"]:
        return {"url": match["bare"]}
    url = match["plain"] if match["url"] is None else match["url"]
    link: dict[str, Any] = {"url": url}
    if match["label"] and encode_url(match["label"]) != url:  # a link shown as its URL
        link["label"] = match["label"]
    return link


def import_markdown(text: str, source: str = "<string>", profile: str | None = None) -> Imported:
    """The document a Markdown post-mortem holds; ``profile`` is detected from its headings
    unless given. Raises :class:`DocumentError` only if what was read does not fit the model."""
    blocks = list(_blocks(text))
    if not any(block.kind == "heading" and block.level < 6 for block in blocks):
        blocks = list(_blocks(_mark_bare_headings(text)))
    headings = [block.text for block in blocks if block.kind == "heading"]
    chosen, detected = (ProfileName(profile), True) if profile else detect_profile(headings)
    importer = _Importer(source, chosen)
    importer.run(blocks)
    if importer.without_zone:
        importer.data["metadata"].setdefault("time_zone", IMPORTED_TIME_ZONE)
    recognise(importer.data)
    assign_ids(importer.data)
    try:
        document = structure(importer.data, PostMortem)
    except Exception as error:  # every structuring failure becomes a located problem
        problems = [
            Problem(source, importer.line_of(path), 1, format_path(path), message)
            for path, message in structure_problems(error)
        ]
        raise DocumentError(problems) from None
    return Imported(document=document, profile_detected=detected, warnings=tuple(importer.warnings))
