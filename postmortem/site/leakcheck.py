"""The leak check of an audience build, on every file it writes.

A file is decoded first, as a reader would see it: an HTML or XML page as its text and
attribute values with the character references resolved, a JSON value (the search index) as
its strings. The text is then searched as ``postmortem check`` searches a published copy
(:mod:`postmortem.leaks`): for what any source keeps above the audience and no source shows
at or below it (its text, and the dates and numbers of its copy for the audience), and for
what a redaction pattern of the policy masks below the audience.
"""

import json
import re
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import attrs

from postmortem._shown import shown
from postmortem.audiences import export
from postmortem.leaks import Cleared, Secrets, normalise, repository_secrets, tokens
from postmortem.model import Classification, PostMortem
from postmortem.patterns import Pattern, compile_linear
from postmortem.policy import Policy
from postmortem.render.markdown import format_value

__all__ = ["LeakCheck", "readable_text"]


class _TextAndAttributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.extend(value for _, value in attrs if value)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_SCRIPT_ASSIGNMENT = re.compile(r'^"use strict";\nwindow\.\w+ = (.*);\n$', re.S)


def readable_text(name: str, text: str) -> str:
    """What a reader gets out of the file ``name``: the text and attribute values of an HTML
    or XML page, the strings of a JSON value (or of a script that assigns one), else the
    text as it is."""
    if name.endswith((".html", ".xml")):
        parser = _TextAndAttributes()
        parser.feed(text)
        parser.close()
        return "\n".join(parser.parts)
    assigned = _SCRIPT_ASSIGNMENT.match(text)
    if assigned is not None or name.endswith(".json"):
        try:
            value = json.loads(assigned.group(1) if assigned else text)
        except ValueError:
            return text
        return "\n".join(_strings(value))
    return text


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def _typed_values(value: Any) -> Iterator[str]:
    """The dates, times and numbers of ``value`` as pages show them: what a copy shows of
    them is the audience's (the leak check of :mod:`postmortem.leaks` compares text only, so
    a date a Confidential note mentions would otherwise make the copy's own date a leak)."""
    if isinstance(value, list):
        for item in value:
            yield from _typed_values(item)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _typed_values(getattr(value, field.name))
    elif isinstance(value, (date, int, float, timedelta)) and not isinstance(value, bool):
        yield format_value(value)


def _vocabulary() -> str:
    """The words of the schema (every value of its enumerations, such as the attack phase
    ``Data Access/Exfiltration``): layouts print them as headings whatever a document says,
    and a document that also writes one in a part above the audience keeps no secret."""
    import enum

    from postmortem import model

    values = {
        str(member.value)
        for item in vars(model).values()
        if isinstance(item, type) and issubclass(item, enum.Enum)
        for member in item
    }
    return "\n".join(sorted(values))


@attrs.frozen
class _Guard:
    """What one policy's documents keep above the audience, and its redaction patterns that
    apply below it."""

    secrets: Secrets
    redactions: tuple[tuple[str, Pattern, str], ...]


@attrs.frozen
class LeakCheck:
    """What no file of an audience build may hold."""

    guards: tuple[_Guard, ...]
    cleared: Cleared
    audience: Classification

    @classmethod
    def of(
        cls, sources: Sequence[tuple[str, PostMortem, Policy]], audience: Classification
    ) -> "LeakCheck":
        """The check for a build from ``sources`` (name, document, policy) for ``audience``:
        what each keeps above it that none shows at or below it."""
        by_root: dict[str, tuple[Policy, list[tuple[str, PostMortem]]]] = {}
        for name, document, policy in sources:
            by_root.setdefault(str(policy.root), (policy, []))[1].append((name, document))
        guards = []
        shown_text: list[str] = []
        shown_tokens: set[str] = set()
        for policy, documents in by_root.values():
            limit = policy.sensitivity(audience)
            for _, document in documents:
                cleared = Cleared.of(document, policy, limit)
                copy = export(document, audience, policy)
                shown_text.append(cleared.text)
                shown_tokens |= cleared.tokens | tokens("\n".join(_typed_values(copy)))
            redactions = tuple(
                (rule.pattern, compile_linear(rule.pattern), rule.below.value)
                for rule in policy.redactions
                if limit < policy.sensitivity(rule.below)
            )
            guards.append(_Guard(repository_secrets(documents, policy, limit), redactions))
        vocabulary = _vocabulary()
        shown_text.append(normalise(vocabulary))
        shown_tokens |= tokens(vocabulary)
        return cls(tuple(guards), Cleared("\n".join(shown_text), frozenset(shown_tokens)), audience)

    def first_leak(self, name: str, text: str) -> str | None:
        """Why the file ``name`` holding ``text`` must not be published; None if it may."""
        readable = readable_text(name, text)
        for guard in self.guards:
            for written, pattern, below in guard.redactions:
                if pattern.search(readable):
                    return f"matches the redaction pattern {shown(written)}, masked below {below}"
            found = guard.secrets.found_in(readable, self.cleared)
            if found is not None:
                value, keeper = found
                return f"holds {shown(value)}, which {keeper} keeps above {self.audience.value}"
        return None
