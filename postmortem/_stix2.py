"""The one module that imports the OASIS ``stix2`` and ``stix2-patterns`` libraries, which
have no type hints: narrow typed wrappers around what the STIX export and import use.

Imported only by the STIX code paths, never at start-up: the libraries are an extra
(``postmortem-as-code[stix]``), and a missing one is a one-line usage error naming it.
"""

import json
from datetime import datetime
from typing import Any

from postmortem.errors import UsageError

try:
    import stix2
    import stix2.exceptions
    from stix2patterns.pattern import ParseException, Pattern
except ImportError:  # pragma: no cover - exercised by the test that hides the extra
    raise UsageError("STIX needs the stix extra: pip install 'postmortem-as-code[stix]'") from None

__all__ = ["StixObjectError", "equality_pattern", "parse_equality", "stix_object", "timestamp"]

_CLASSES: dict[str, Any] = {
    "attack-pattern": stix2.v21.AttackPattern,
    "course-of-action": stix2.v21.CourseOfAction,
    "domain-name": stix2.v21.DomainName,
    "email-addr": stix2.v21.EmailAddress,
    "file": stix2.v21.File,
    "identity": stix2.v21.Identity,
    "incident": stix2.v21.Incident,
    "indicator": stix2.v21.Indicator,
    "ipv4-addr": stix2.v21.IPv4Address,
    "ipv6-addr": stix2.v21.IPv6Address,
    "relationship": stix2.v21.Relationship,
    "url": stix2.v21.URL,
    "user-account": stix2.v21.UserAccount,
    "windows-registry-key": stix2.v21.WindowsRegistryKey,
}
"""The STIX 2.1 types the export makes through the library (which checks each property)."""

MAX_PATTERN_LENGTH = 16 * 1024
"""The longest indicator pattern read back: the parser's work is bounded by it."""


class StixObjectError(ValueError):
    """The library refused an object or a pattern; the message says why, on one line."""


def stix_object(kind: str, **properties: Any) -> dict[str, Any]:
    """A STIX 2.1 object of type ``kind`` made and checked by the library, as its JSON
    object (timestamps in STIX form, a cyber-observable's deterministic id computed)."""
    try:
        made = _CLASSES[kind](**properties)
    except (stix2.exceptions.STIXError, ValueError) as error:
        raise StixObjectError(" ".join(str(error).split())) from None
    serialized: dict[str, Any] = json.loads(made.serialize())
    return serialized


def equality_pattern(object_type: str, path: list[str], value: str) -> str:
    """The STIX pattern ``[object_type:path = 'value']``, built with the library's pattern
    classes: the value is escaped by the library (quotes, backslashes), never formatted in."""
    expression = stix2.EqualityComparisonExpression(
        stix2.ObjectPath(object_type, path), stix2.StringConstant(value)
    )
    return str(stix2.ObservationExpression(expression))


def parse_equality(pattern: str) -> tuple[str, tuple[str, ...], str] | None:
    """The object type, property path and string value of a pattern that is one equality
    comparison of one observation (``[file:hashes.'SHA-256' = '...']``); None for any other
    pattern (several comparisons, operators, qualifiers, a number or binary value).
    StixObjectError if it is not a STIX pattern at all or is too long to read."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise StixObjectError(f"a pattern of {len(pattern)} characters is too long to read")
    if not _quotes_close(pattern):
        # The parser's lexer takes time in the square of the length over a quote that
        # never closes (half a minute for ``'\'\'\'...``): such a pattern is refused first.
        raise StixObjectError("not a STIX pattern (a quoted literal does not end)")
    try:
        found = Pattern(pattern).inspect()
    except (ParseException, RecursionError):
        raise StixObjectError("not a STIX pattern") from None
    comparisons = [
        (object_type, path, operator, value)
        for object_type, listed in found.comparisons.items()
        for path, operator, value in listed
    ]
    if len(comparisons) != 1 or found.observation_ops or found.qualifiers:
        return None
    object_type, path, operator, literal = comparisons[0]
    if operator != "=" or not isinstance(literal, str) or not literal.startswith("'"):
        return None
    if not all(isinstance(step, str) for step in path):
        return None
    return object_type, tuple(path), _unescaped(literal[1:-1])


def _quotes_close(pattern: str) -> bool:
    """Whether every quoted literal of ``pattern`` ends as the grammar's literals do (a
    string's ``\\'`` and ``\\\\`` escapes; a binary, hex or timestamp literal holds neither),
    with no backslash outside one: every pattern the parser accepts does. Linear time."""
    quoted = escaped = False
    for character in pattern:
        if escaped:
            if character not in "'\\":
                return False
            escaped = False
        elif character == "\\":
            if not quoted:
                return False
            escaped = True
        elif character == "'":
            quoted = not quoted
    return not quoted and not escaped


def _unescaped(text: str) -> str:
    """A pattern's string literal without its escapes (the grammar allows only ``\\'`` and
    ``\\\\``)."""
    characters = []
    escaped = False
    for character in text:
        if character == "\\" and not escaped:
            escaped = True
            continue
        characters.append(character)
        escaped = False
    return "".join(characters)


def timestamp(moment: datetime) -> str:
    """A STIX timestamp, as the library writes it (UTC, milliseconds)."""
    exact = stix2.utils.STIXdatetime(moment, precision="millisecond")
    return str(stix2.utils.format_datetime(exact))
