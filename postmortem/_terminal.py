"""Text for a terminal: control characters shown as escapes, never sent as themselves.

Documents, file names and commit messages are hostile input. Sent to a terminal as they
are, an ESC or CSI sequence could move the cursor, erase or recolour what was printed, or
set the window title; a carriage return or backspace could overwrite a line, a line break
forge one, and a bidirectional override (U+202E) make text read in another order than it
is. Every writer of text for people (the located problem and finding lines, the views'
Markdown and text output) passes it through :func:`terminal_text`; JSON and CSV output
are data and stay exact.
"""

__all__ = ["CONTROL_CHARACTERS", "terminal_text"]

CONTROL_CHARACTERS = frozenset(
    [
        *map(chr, range(0x20)),  # C0: NUL to US, with BEL, BS, LF, CR and ESC
        *map(chr, range(0x7F, 0xA0)),  # DEL and C1, with CSI (U+009B)
        "\u061c",  # Arabic letter mark
        "\u200e",  # left-to-right mark
        "\u200f",  # right-to-left mark
        *map(chr, range(0x202A, 0x202F)),  # bidirectional embeddings and overrides
        *map(chr, range(0x2066, 0x206A)),  # bidirectional isolates
        "\u2028",  # line separator
        "\u2029",  # paragraph separator
    ]
)
"""Characters that act on a terminal or on the order text is shown in, rather than show."""


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


_ESCAPES = {ord(character): _escape(character) for character in CONTROL_CHARACTERS}
_ESCAPES_BUT_LINE_BREAKS = {code: escape for code, escape in _ESCAPES.items() if code != 0x0A}


def terminal_text(text: str, *, lines: bool = False) -> str:
    """``text`` with every control character written as its escape (``\\x1b``, ``\\u202e``);
    a line break too, so that a message stays one line, unless ``lines`` (the line breaks
    of an output of many lines)."""
    return text.translate(_ESCAPES_BUT_LINE_BREAKS if lines else _ESCAPES)
