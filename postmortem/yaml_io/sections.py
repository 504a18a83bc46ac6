"""Reading the versions of a document, each top-level section's text parsed once.

Two versions of a post-mortem differ in a section or two. The text of each top-level
section (from its key at the start of a line to the next key) is parsed once, and every
version that has the same text for it shares what that gave. A text that is not written
so (anything but comments before the first key, a directive or document marker, a line at
the start that is no key, comment or list item, an anchor or alias, which may reach
across sections), or a section that does not read alone as its one key, is parsed whole.
"""

import re
from typing import Any

from postmortem.errors import DocumentError
from postmortem.yaml_io.reading import parse

__all__ = ["ANCHOR_OR_ALIAS_MARK", "SectionReader"]

ANCHOR_OR_ALIAS_MARK = re.compile(r"(?:^|[\s,\[{])[&*][^\s,\[\]{}]")
"""Where an anchor or an alias may be written (and some text that only looks so)."""
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?:[ \t]|$)")
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
"""Characters some readers take for line breaks: a text with them is not cut at its LFs."""


class SectionReader:
    """Plain data of the versions of one document; what each section's text gave is kept
    for as long as the reader is."""

    def __init__(self) -> None:
        self._sections: dict[str, Any] = {}

    def parse(self, text: str, source: str) -> Any:
        """The plain data of ``text``, as :func:`~postmortem.yaml_io.parse` gives it (and
        its located error when it does not parse)."""
        sections = _sections(text)
        if sections is None:
            return parse(text, source)
        data: dict[str, Any] = {}
        for key, section in sections:
            if section not in self._sections:
                try:
                    alone = parse(section, source)
                except DocumentError:
                    return parse(text, source)
                if not isinstance(alone, dict) or list(alone) != [key]:
                    return parse(text, source)
                self._sections[section] = alone[key]
            if key in data:
                return parse(text, source)  # for its error
            data[key] = self._sections[section]
        return data


def _sections(text: str) -> list[tuple[str, str]] | None:
    """Each top-level key of ``text`` with its section's text, or None if the text is not
    cut so safely (see the module's description)."""
    marked = ("&" in text or "*" in text) and ANCHOR_OR_ALIAS_MARK.search(text)
    if marked or _OTHER_BREAKS.search(text):
        return None
    sections: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        first = line[:1]
        key = _KEY.match(line) if first not in " \t#-" else None
        if key is not None:
            sections.append((key.group(1), [line]))
        elif first in " \t#" or not line or (first == "-" and line[1:2] in (" ", "")):
            if sections:
                sections[-1][1].append(line)
            elif line.strip() and not line.lstrip().startswith("#"):
                return None
        else:
            return None
    return [(key, "\n".join(lines) + "\n") for key, lines in sections]
