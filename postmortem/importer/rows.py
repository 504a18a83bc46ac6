"""The values under a heading, read by the type of the field they fill: records written as
key lines, lists, tables, timeline lines and follow-ups; and the state of one document's
reading (the data so far, the warnings, what is kept in ``unmapped``, each value's line).
"""

import re
from collections.abc import Iterator
from datetime import tzinfo
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
    key_value_rows,
    rows_of_items,
    unescape,
)
from postmortem.importer.items import follow_up, indicator, timeline_event
from postmortem.importer.model_paths import (
    day_of,
    field_labels,
    is_record,
    merged,
    named_by_text,
    type_at,
)
from postmortem.importer.times import Clock, read_stamp
from postmortem.importer.values import (
    INLINE_LINK,
    Context,
    block_text,
    code_span_content,
    ids,
    multiline,
    named_field,
    people,
    person,
    placeholder,
    read_value,
    without_hard_break,
    without_offset,
)
from postmortem.importer.vocabulary import (
    ELSEWHERE,
    normalize,
)
from postmortem.model import (
    ActionItem,
    Cause,
    ChecklistItem,
    FollowUp,
    Ioc,
    Link,
    Metadata,
    Money,
    Person,
    ProfileName,
    Timeline,
    TimelineEvent,
)
from postmortem.model.common import LEAD_FIELDS, field_label
from postmortem.patterns import compile_linear
from postmortem.profiles import PROFILES
from postmortem.recognise import infer_missing
from postmortem.upgrade import MILESTONE_WORDS

__all__ = ["RowReader"]

_RANGE = compile_linear(r"^(.+?)\s+(?:-|\x{2013}|to)\s+(.+)$")
_LEADING_DASH = re.compile(r"^[-\u2013\u2014:]\s*")


_TOKEN_FORMATS = frozenset({"id", "attack-tactic", "attack-technique"})
"""Formats of short tokens without commas, which a cell or key line lists ``A, B``."""


class RowReader:
    """The reading of one document's values: the state (the data read so far, the warnings,
    what is kept in ``unmapped``, the line of each value) and the reading of the blocks under
    a heading by the type of the field they fill: records of key lines, lists, tables,
    timeline lines and follow-ups."""

    def __init__(
        self,
        source: str,
        profile: ProfileName,
        zone: tzinfo | None = None,
        *,
        inferring: bool = False,
    ) -> None:
        self.source = source
        self.profile = PROFILES[profile]
        self.clock = Clock(zone=zone)
        """The time zone and day of the timeline lines read so far."""
        self.without_zone = False
        """Whether a time was read without its zone, in none the document declares (its
        ``metadata.time_zone`` is then :data:`IMPORTED_TIME_ZONE`)."""
        self.title_stated = False
        """Whether a key line or the front matter gave the title (not only a heading)."""
        self.inferring = inferring
        """Whether to add what the text implies (the timeline's lifecycle moments, the CVE ids
        it names): not for a document in a template's own layout, which writes them out."""
        self.data: dict[str, Any] = {"profile": profile.value, "metadata": {"id": ""}}
        self.warnings: list[Problem] = []
        self.unmapped: list[dict[str, Any]] = []
        self.lines: dict[FieldPath, int] = {}
        """The line each value read was found on, by its place in ``data``."""
        self.sections_found: list[tuple[str, str | None]] = []
        """Each heading, front matter key and written time read, and the field it names
        (dotted; "" for a heading that only groups sections), or None for a heading kept in
        ``unmapped``."""

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Problem(self.source, line, 1, "", message))

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
                node[-1] = merged(node[-1], value)
            return
        where: FieldPath = (*place, key)
        self.lines.setdefault(where, line)
        node[key] = merged(node.get(key), value, joined=path[0] != "metadata")
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
        cause: list[Block] = []  # the blocks of the cause the last paragraph opened
        causes: list[tuple[dict[str, Any], list[Block]]] = []  # each cause, and its blocks
        for block in blocks:
            cause = cause if block.kind in ("code", "other") else []
            if block.kind == "table" and attrs.has(item_type) and item_type is not Link:
                result.extend(self.read_table(item_type, block, defaults))
            elif block.kind == "list":
                for item in block.items:
                    text = unescape(item.text).strip()
                    if (not text or placeholder(text)) and not item.details:
                        continue
                    if item_type is ChecklistItem:
                        result.append({"item": multiline(text), "done": bool(item.checked)})
                    elif item_type is FollowUp and item.checked is not None:
                        result.append(self.checklist_follow_up(text, item.checked, item.line))
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
            elif block.kind == "paragraph" and item_type is Cause:
                if block_text([block]):  # not only a template's placeholder
                    cause = [block]  # a paragraph each, with the code and links under it
                    causes.append(({}, cause))
                    result.append(causes[-1][0])
            elif cause:
                cause.append(block)
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
            elif block.kind == "paragraph" and is_record(item_type) and named_by_text(item_type):
                result.append({named_field(item_type).name: block_text([block])})
            else:
                self.keep(block.line, block.raw, "no place for this text in a list")
        for opened, owned in causes:
            opened["description"] = block_text(owned)
        return result

    def timeline_lines(self, type_: Any, block: Block) -> bool:
        """Whether ``block``, in a timeline, holds its events: a list, or lines that start
        with a time."""
        if type_ is not Timeline or block.kind not in ("list", "paragraph"):
            return False
        first = block.text.split("\n", 1)[0] if block.kind == "paragraph" else ""
        return block.kind == "list" or read_stamp(first, Clock(self.clock.day)) is not None

    def written_as_a_line(self, item_type: Any, text: str) -> bool:
        """Whether a row of ``item_type`` is written as a sentence (a timeline line, a
        follow-up, an indicator) rather than as key lines (``**Action**: ...``) or a table
        row."""
        keyed = KEY_LINE.match(text)
        if keyed is not None and self.column(item_type, keyed["key"]):
            return False
        return item_type in (TimelineEvent, ActionItem) or (
            item_type is Ioc and indicator(unescape(text)) is not None
        )

    def line_row(self, item_type: Any, text: str, item: Item) -> list[dict[str, Any]]:
        """The row a line states: a timeline event or a follow-up; none for a template's
        example line (``[HH:MM UTC]: [Key milestone]``)."""
        details = [unescape(detail) for detail in item.details]
        keyed = KEY_LINE.match(text)
        if keyed is not None and item_type is TimelineEvent:  # "**14:02 UTC** - Deployed"
            text = f"{keyed['key']}: {_LEADING_DASH.sub('', keyed['rest'].strip())}"
        if placeholder(text):
            return []
        if item_type is Ioc:
            found = indicator(text)
            return [] if found is None else [found]
        if item_type is ActionItem:
            return [
                follow_up("\n".join([text, *(f"- {detail}" for detail in details)]), item.checked)
            ]
        self.clock.start = self.clock.start or day_of(self.incident_day())
        self.clock.day = self.clock.day or self.clock.start
        event, stamp = timeline_event(text, details, self.clock)
        if stamp.problem is not None:
            self.warn(item.line, f"{stamp.problem}; the time is kept in the event's text")
        if stamp.when is not None:
            self.sections_found.append((stamp.written, "timeline.events.time"))
        return [event] if event else []

    def read_list_item(self, item_type: Any, item: Item) -> list[dict[str, Any]]:
        """An item written as key lines, ``1. **Action**: ...`` with ``- **Result**: ...`` below
        it; text before any key is the field the item's text names (an action's)."""
        lines = [item.text, *item.details]
        if not KEY_LINE.match(lines[0]):
            lines[0] = f"**{field_label(named_field(item_type))}**: {lines[0]}"
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
        dates = _RANGE.search(text) if path == ("metadata", "lifecycle", "started") else None
        if dates is not None:
            text, end = dates.group(1), dates.group(2)
            self.read_elsewhere("incident end", end, line)
        value = self.read(type_at(path), [Block("paragraph", line, text=text, raw=text)], {})
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
                milestone = MILESTONE_WORDS.get(normalize(text))
                if column == "time" and "milestone" in fields and milestone is not None:
                    item["milestone"] = milestone  # the post-mortem template's "Incident began"
                    continue
                value = self.field_value(fields[column], text, block.line + offset)
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

    def read_object(self, type_: Any, blocks: list[Block]) -> dict[str, Any]:
        fields = attrs.fields_dict(type_)
        result: dict[str, Any] = {}
        labels = self.labels(type_)
        # Text before any label belongs to the section's main prose (the root cause's causes;
        # a record's named text field); a table before any label to its first table-shaped
        # list.
        lead = next(
            (name for name in (*LEAD_FIELDS, "note", "details", "causes") if name in fields), None
        )
        if lead is None and named_field(type_).type is str:
            lead = named_field(type_).name  # a record's text: an action item's action
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
            field = fields[target]
            if field.metadata.get("format") == "id" and all(
                block.kind == "paragraph" for block in owned
            ):
                value = self.field_value(field, block_text(owned).strip(), owned[0].line)
            else:
                value = self.read(field.type, owned, {})
            if field.metadata.get("verbatim") and isinstance(value, str):
                value = code_span_content(value)
            if value not in (None, "", []):
                result[target] = merged(result.get(target), value)

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

    def checklist_follow_up(self, text: str, checked: bool, line: int) -> dict[str, Any]:
        """A horizon's checklist line, as the layouts write it: ``action (owner: ...; due:
        ...)``, the box saying whether it is done."""
        item: dict[str, Any] = {"status": "Completed"} if checked else {}
        action, details = text, {}
        start = text.rfind(" (")
        fields = attrs.fields_dict(FollowUp)
        if text.endswith(")") and start > 0:
            pairs = [part.partition(": ") for part in text[start + 2 : -1].split("; ")]
            if all(name in fields and name != "action" and value for name, _, value in pairs):
                action, details = text[:start], {name: value for name, _, value in pairs}
        for name, value in details.items():
            read = self.field_value(fields[name], value, line)
            if read is not None:
                item[name] = read
        return {"action": multiline(action), **item}

    def field_value(self, field: "attrs.Attribute[Any]", text: str, line: int) -> Any:
        """``text`` read as ``field`` holds it: an id or an ATT&CK tactic or technique, or
        several written ``C1, C2``, as the model checks them; any other value by the field's
        type. None, keeping the text in ``unmapped`` with a warning, if the field cannot hold
        it."""
        if field.metadata.get("format") not in _TOKEN_FORMATS:
            return self.scalar(field.type, text, line)
        value = ids(text) if get_origin(strip_optional(field.type)) is list else text
        try:
            if field.validator is not None:
                field.validator(None, field, value)
        except ValueError:
            self.keep(line, text, f"cannot read {shown(text)} as {field.name}")
            return None
        return value or None

    def labels(self, type_: Any) -> dict[str, str]:
        return field_labels(type_, self.profile.name)

    def scalar(self, type_: Any, text: str, line: int) -> Any:
        """``text`` read as ``type_``; None, keeping the text in ``unmapped`` with a warning,
        if ``type_`` cannot hold it."""
        try:
            value = read_value(type_, text, Context(self.incident_day(), self.clock.zone))
        except Exception:
            type_ = strip_optional(type_)
            self.keep(
                line, text, f"cannot read {shown(text)} as {getattr(type_, '__name__', type_)}"
            )
            return None
        if strip_optional(type_) is not str and isinstance(value, str) and without_offset(value):
            self.without_zone = True
        return value

    def incident_day(self) -> str | None:
        """The day the metadata says the incident started or was detected (ISO)."""
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
                return day.group()
        return None

    def keep(self, line: int, markdown: str, why: str) -> None:
        """Keep text that fits no field in ``unmapped``, with a warning."""
        self.unmapped.append({"heading": "", "markdown": markdown.strip() + "\n", "line": line})
        self.warn(line, f"{why}; kept in unmapped")
