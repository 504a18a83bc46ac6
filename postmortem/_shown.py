"""Values and file names quoted in messages: a message is one line a person reads."""

import os
import re

LIMIT = 60


def shown(value: object) -> str:
    """``repr(value)``, at most :data:`LIMIT` characters (a 4 MB value gives a short line)."""
    text = repr(value)
    return text if len(text) <= LIMIT else text[: LIMIT - 4] + "...'"


_C_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
_QUOTED = re.compile('[\\x00-\\x1f"\\\\\\x7f-\\x9f\\udc80-\\udcff]')


def shown_path(path: str) -> str:
    """A file name as git shows one: as it is, or, when it holds a control character, a double
    quote, a backslash or bytes that are not UTF-8 (``os.fsdecode``'s surrogates), in double
    quotes with C escapes (``"incidents/new\\nline.yaml"``), so that it is one line and says
    which file it is."""
    if not _QUOTED.search(path):
        return path
    return '"' + _QUOTED.sub(_escape, path) + '"'


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    if character in _C_ESCAPES:
        return _C_ESCAPES[character]
    data = os.fsencode(character) if "\udc80" <= character <= "\udcff" else character.encode()
    return "".join(f"\\{byte:03o}" for byte in data)


def utf8_path(path: str) -> str:
    """A file name for UTF-8 data (JSON, YAML): as it is, unless it holds bytes that are not
    UTF-8, which no UTF-8 text can hold; then as :func:`shown_path` shows it."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return shown_path(path)
    return path
