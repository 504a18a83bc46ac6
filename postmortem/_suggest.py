"""Did-you-mean: the nearest known names to a misspelled one."""

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'owner'?)"`` for the closest of ``choices``, or ``""`` if none is
    close; compared without case, so ``Postmortem`` finds ``postmortem``."""
    known = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower()[:100], known, n=2, cutoff=0.7)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(known[name]) for name in close) + "?)"
