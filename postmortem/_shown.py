"""Values quoted in messages, cut short: a message is one line a person reads."""

LIMIT = 60


def shown(value: object) -> str:
    """``repr(value)``, at most :data:`LIMIT` characters (a 4 MB value gives a short line)."""
    text = repr(value)
    return text if len(text) <= LIMIT else text[: LIMIT - 4] + "...'"
