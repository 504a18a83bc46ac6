"""Rows written as lines: a timeline line (its time, and the event after it), a follow-up
(its owner, ticket and status inside the sentence), and the moments of the incident's life
that timeline lines mark.

Everything found is taken from the text it was found in only where it is structure (a time
at the start of a line); an owner or a ticket stays in the sentence too, so that no word is
lost.
"""

import re
from typing import Any

from postmortem.importer.times import Clock, Stamp, read_stamp
from postmortem.importer.values import multiline, placeholder
from postmortem.importer.vocabulary import FOLLOW_UP_STATUS, LIFECYCLE, normalize
from postmortem.patterns import compile_linear

__all__ = ["cve_ids", "follow_up", "indicator", "mark_milestones", "timeline_event"]


def timeline_event(text: str, details: list[str], clock: Clock) -> tuple[dict[str, Any], Stamp]:
    """The event a timeline line states (empty for a line that only dates the lines after
    it), and the time read from it (its problem says what is wrong with a time that could
    not be placed; the time stays in the event's text then)."""
    stamp = read_stamp(text, clock) or Stamp(None, text.strip())
    event = stamp.rest if stamp.when is not None else text.strip()
    nested = [f"- {item.strip()}" for item in details if item.strip() and not placeholder(item)]
    if stamp.when is not None and not event and not nested:
        return {}, stamp
    value: dict[str, Any] = {"event": multiline("\n".join([event, *nested]).strip())}
    if stamp.when is not None:
        value["time"] = stamp.when
    return value, stamp


_HANDLE = compile_linear(r"(?:^|[\s(\[`])@(?P<handle>[A-Za-z0-9][\w.-]{0,38})")
_OWNER = compile_linear(r"\((?:owner|owners|assignee|who)\s*:\s*(?P<owner>[^)]{1,60})\)")
_URL = compile_linear(
    r"\((?P<url>https?://[^)\s]+)\)|<(?P<angle>https?://[^>\s]+)>|(?P<bare>https?://[^\s)>\]]+)"
)
_STATUS = re.compile(
    r"[\[(](?P<status>done|completed?|fixed|merged|in progress|wip|todo|open|not started)[\])]",
    re.IGNORECASE,
)
_DUE = compile_linear(r"\b(?:by|due|before|deadline:?)\s+(?P<due>\d{4}-\d{2}-\d{2})\b")


def follow_up(text: str, checked: bool | None) -> dict[str, Any]:
    """A follow-up written as a sentence: the sentence is the action; the owner (``@handle``,
    ``(owner: Kim)``), the first link (a ticket), a due date (``by 2024-05-01``) and a
    status (``[done]``, a ticked box) are read from it as well."""
    value: dict[str, Any] = {"action": multiline(text.strip())}
    owner = _OWNER.search(text) or _HANDLE.search(text)
    if owner is not None:
        value["owner"] = owner.group(1).strip()
    link = _URL.search(text)
    if link is not None:
        value["ticket"] = {"url": link["url"] or link["angle"] or link["bare"]}
    due = _DUE.search(text)
    if due is not None:
        value["due"] = due["due"]
    status = _STATUS.search(text[:2000])
    if status is not None:
        value["status"] = FOLLOW_UP_STATUS[status["status"].lower()]
    elif checked is not None:
        value["status"] = "Completed" if checked else "Open"
    return value


def mark_milestones(events: list[dict[str, Any]], metadata: dict[str, Any]) -> None:
    """Mark the first timed event of each moment of the incident's life with its milestone
    (its words say it: "outage starts", "detected", "resolved"), and give the metadata the
    times it has a field for and does not hold yet."""
    marked = {event["milestone"] for event in events if event.get("milestone")}
    for event in events:
        when = event.get("time")
        if not isinstance(when, str) or "T" not in when or event.get("milestone"):
            continue
        words = f" {normalize(str(event.get('event', ''))[:300])} "
        for milestone, phrases in LIFECYCLE.items():
            if milestone not in marked and any(f" {phrase} " in words for phrase in phrases):
                event["milestone"] = milestone
                marked.add(milestone)
                metadata.setdefault("lifecycle", {}).setdefault(milestone, when)
                break


_INDICATORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("URL", re.compile(r"hxxps?://\S+|https?://\S+", re.IGNORECASE)),
    ("Email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("IP Address", re.compile(r"\d{1,3}(?:\[?\.\]?\d{1,3}){3}(?:/\d{1,2})?")),
    ("File Hash", re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")),
    ("Domain", re.compile(r"(?:[A-Za-z0-9-]{1,63}(?:\.|\[\.\]))+[A-Za-z]{2,24}")),
)
_CODE = re.compile(r"`([^`]{1,300})`")


def indicator(text: str) -> dict[str, Any] | None:
    """An indicator of compromise written as a list item: its value (the code span, or the
    text up to the first space) and its kind by its shape; the rest of the line is its
    context. None when the value has none of the shapes (the item is kept as text)."""
    code = _CODE.search(text[:400])
    value = code.group(1) if code else text.strip().split(" ", 1)[0]
    for kind, shape in _INDICATORS:
        if shape.fullmatch(value.strip()):
            found: dict[str, Any] = {"type": kind, "value": value.strip()}
            context = text[: code.start()] + text[code.end() :] if code else text[len(value) :]
            context = context.strip(" -:\u2013")
            if context:
                found["context"] = context
            return found
    return None


_IDENTIFIERS = re.compile(r"\bCVE-\d{4}-\d{4,7}\b")


def cve_ids(text: str) -> list[str]:
    """The CVE ids in ``text``, each once, in the order they first appear."""
    return list(dict.fromkeys(_IDENTIFIERS.findall(text)))
