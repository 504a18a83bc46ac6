"""What tells a security incident from an operations one: the words of
:data:`~postmortem.importer.vocabulary.SECURITY_SIGNS` (an attack, a vulnerability, exposed
data or secrets, revocation; CVE and GHSA ids by their first word), exposed secrets ("the
token was logged"), ATT&CK ids and defanged indicators, weighed against the words of an
outage (:data:`~postmortem.importer.vocabulary.OPERATIONS_SIGNS`). A word denied by the
one or two before it ("not a security incident") does not count.

A word counts more in the title, in a heading and in the first words of the text than in
its tail. The text is read word by word once, and only its first characters, so that the
work stays linear whatever a hostile document holds.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

import attrs

from postmortem.importer.vocabulary import (
    DESCRIBING_KINDS,
    DESCRIBING_WORDS,
    DISTINCT_DESCRIBING,
    EXPOSING_WORDS,
    HEADING_WEIGHT,
    LEAD_WORDS,
    NEGATIONS,
    NOT_EXPOSING_BEFORE,
    OPERATIONS_RATIO,
    OPERATIONS_SIGNS,
    SECRET_NOUNS,
    SECURITY_EVIDENCE,
    SECURITY_KINDS,
    SECURITY_SIGNS,
    TITLE_WEIGHT,
)

__all__ = ["Evidence", "weigh_security"]

_MOST_TEXT = 400_000
"""Characters of a document looked at for signs of a security incident."""
_MOST_HEADINGS = 100
"""Headings of a document weighed besides its text."""
_NEAR = 4
"""Words between an exposing word and a secret for the secret to be exposed."""
_WORD = re.compile(r"[a-z0-9]+")
_NOTATIONS: dict[str, re.Pattern[str]] = {
    "att&ck technique": re.compile(r"\bT1\d{3}(?:\.\d{3})?\b"),
    "defanged indicator": re.compile(r"\bhxxps?://|\w\[\.\]\w"),
}
"""Notations only write-ups of an attack use, by the sign each is reported as."""
EXPOSED_SECRET = "exposed secret"
"""The sign reported for an exposing word near a secret ("leaked ... token")."""


@attrs.frozen
class Evidence:
    """The weight of a document's security and operations words, the kinds of security words
    it holds, and each security sign with how often it occurs."""

    security: float
    operations: float
    kinds: frozenset[str]
    signs: Counter[str]
    attack_words: int
    """Words of an attack (the attacker, malware, an exploit): a security incident of many
    is one for the security post-mortem, with its attack phases and indicators."""

    @property
    def describing(self) -> Counter[str]:
        """The signs that describe an incident (an attack, a vulnerability, exposed data), not
        only name security or the material it is about."""
        return Counter(
            {sign: count for sign, count in self.signs.items() if _kind(sign) in DESCRIBING_KINDS}
        )

    @property
    def is_security_incident(self) -> bool:
        """Security words of enough weight, of several kinds or several different words that
        describe an incident, described more than in passing, and not outweighed by the words
        of an outage."""
        return not self.shortfalls()

    def shortfalls(self) -> list[str]:
        """What the security words lack to show a security incident, in words; none if they
        show one."""
        describing = self.describing
        lacking = []
        if self.security < SECURITY_EVIDENCE:
            lacking.append(f"weight under {SECURITY_EVIDENCE:g}")
        if describing.total() < DESCRIBING_WORDS:
            lacking.append(
                f"{describing.total()} of {DESCRIBING_WORDS} words describing an incident"
            )
        if len(self.kinds) < SECURITY_KINDS and len(describing) < DISTINCT_DESCRIBING:
            lacking.append("words of one kind")
        if self.security < self.operations * OPERATIONS_RATIO:
            lacking.append("outweighed by the outage words")
        return lacking

    def shown(self) -> str:
        """The five most frequent signs, the weights and what they lack, for the migration
        report."""
        signs = ", ".join(f"{sign!r} x{count}" for sign, count in self.signs.most_common(5))
        weights = f"security {self.security:g} vs operations {self.operations:g}"
        lacking = self.shortfalls() if self.signs else []
        return "; ".join([signs or "no security words", weights, *lacking])


@cache
def _signs() -> dict[str, tuple[str, float]]:
    """Each security sign's (kind, weight), by the sign."""
    return {
        sign: (kind, weight)
        for kind, signs in SECURITY_SIGNS.items()
        for sign, weight in signs.items()
    }


@cache
def _phrases() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The words of every sign, security or operations, by their first word, longest first."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for sign in [*_signs(), *OPERATIONS_SIGNS]:
        words = tuple(sign.split())
        found.setdefault(words[0], []).append(words)
    return {word: tuple(sorted(set(p), key=len, reverse=True)) for word, p in found.items()}


def weigh_security(text: str, titles: Sequence[str], headings: Sequence[str]) -> Evidence:
    """The security evidence of a document: ``text`` (its first words count twice), its
    ``titles`` (the title heading, the front matter's title and tags) and its ``headings``."""
    weighted: Counter[str] = Counter()
    operations = 0.0
    counted: Counter[str] = Counter()
    parts = [
        (text[:_MOST_TEXT], 1, LEAD_WORDS),
        ("\n".join(title[:400] for title in titles), TITLE_WEIGHT, 0),
        ("\n".join(heading[:200] for heading in headings[:_MOST_HEADINGS]), HEADING_WEIGHT, 0),
    ]
    for part, weight, lead in parts:
        for sign, times in _found(part, lead):
            if sign in OPERATIONS_SIGNS:
                operations += OPERATIONS_SIGNS[sign] * times * weight
            else:
                weighted[sign] += times * weight
                counted[sign] += 1
    return Evidence(
        security=sum(_kind_and_weight(sign)[1] * times for sign, times in weighted.items()),
        operations=operations,
        kinds=frozenset(_kind(sign) for sign in weighted),
        signs=counted,
        attack_words=sum(count for sign, count in counted.items() if _kind(sign) == "attack"),
    )


def _kind_and_weight(sign: str) -> tuple[str, float]:
    if sign == EXPOSED_SECRET:
        return "exposure", 1.0
    if sign in _NOTATIONS:
        return "attack", 1.0
    return _signs()[sign]


def _kind(sign: str) -> str:
    return _kind_and_weight(sign)[0]


def _found(text: str, lead: int) -> Iterable[tuple[str, int]]:
    """Each sign in ``text`` with the times it counts (twice in the first ``lead`` words)."""
    for sign, pattern in _NOTATIONS.items():
        for _ in pattern.finditer(text):
            yield sign, 1
    words = _WORD.findall(text.casefold())
    phrases = _phrases()
    last_exposing = last_secret = -_NEAR - 1
    phrase_end = 0
    for index, word in enumerate(words):
        times = 2 if index < lead else 1
        if index >= phrase_end:
            for phrase in phrases.get(word, ()):
                if tuple(words[index : index + len(phrase)]) == phrase:
                    sign = " ".join(phrase)
                    if sign in OPERATIONS_SIGNS or not NEGATIONS & {
                        *words[max(0, index - 2) : index]
                    }:
                        yield sign, times
                    phrase_end = index + len(phrase)
                    break
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in EXPOSING_WORDS and following not in NOT_EXPOSING_BEFORE.get(word, ()):
            if index - last_secret <= _NEAR:
                yield EXPOSED_SECRET, times
                last_secret = -_NEAR - 1
            else:
                last_exposing = index
        elif word in SECRET_NOUNS:
            if index - last_exposing <= _NEAR:
                yield EXPOSED_SECRET, times
                last_exposing = -_NEAR - 1
            else:
                last_secret = index
