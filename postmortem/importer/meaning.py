"""What a heading or a section is about: the field its words name (by the phrases of
:data:`~postmortem.importer.vocabulary.MEANINGS`), or, for a heading that names none, the
field the words of its text lean to.

Only the first words of a heading and of a text are looked at, so that the work stays
bounded whatever a hostile document holds.
"""

import re
from collections import Counter
from functools import cache, lru_cache

import attrs

from postmortem.importer.blocks import KEY_LINE, Block
from postmortem.importer.blocks import Item as _Item
from postmortem.importer.security import weigh_security
from postmortem.importer.vocabulary import CONTENT_WORDS, MEANINGS, STOP_WORDS, normalize
from postmortem.model import ProfileName
from postmortem.profiles import PROFILES

__all__ = [
    "TEMPLATE_REASON",
    "TITLE_REASON",
    "Detected",
    "content_meaning",
    "detect_profile",
    "heading_meaning",
    "heading_words",
    "pseudo_headings",
]

_HEADING_WORDS = 24
"""Words of a heading compared with the phrases: no section is named by more."""
_TEXT_WORDS = 600
"""Words of a section's text weighed for what it is about."""
_OTHER_WORDS = 3
"""Words a heading may hold beyond a phrase and still be named by it: "Root causes and
trigger" is about the root cause, a long title that holds "incident" is not."""
_OWNER = re.compile(r"`?@[\w.-]+`?|\[[^\]]{0,40}\]")


def _stem(word: str) -> str:
    """``causes`` -> ``cause``, ``activities`` -> ``activity``: plurals compare as singulars."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def heading_words(heading: str) -> tuple[str, ...]:
    """The words of a heading as phrases are matched: normalised, owners (``@dma``) and tags
    (``[repair]``) left out, plurals as singulars, stop words dropped."""
    cleaned = _OWNER.sub(" ", heading[:400])
    return tuple(
        _stem(word)
        for word in normalize(cleaned).split()[:_HEADING_WORDS]
        if word not in STOP_WORDS
    )


@cache
def exact_meanings() -> dict[tuple[str, ...], str]:
    """Each phrase's words, by the field it names."""
    phrases = {
        heading_words(phrase): field for field, names in MEANINGS.items() for phrase in names
    }
    return {words: field for words, field in phrases.items() if words}


@cache
def _by_first_word() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The phrases, by their first word: a heading's words are looked up, not every phrase
    tried at every word."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for words in exact_meanings():
        found.setdefault(words[0], []).append(words)
    return {word: tuple(phrases) for word, phrases in found.items()}


@lru_cache(maxsize=4096)
def heading_meaning(heading: str) -> str | None:
    """The field (dotted path) a heading's words name: the phrase of most words found in it,
    the earlier of two as long; None if it holds no phrase."""
    words = heading_words(heading)
    meanings = exact_meanings()
    if words in meanings:
        return meanings[words]
    best: tuple[int, int] | None = None
    found = None
    for start, word in enumerate(words):
        for phrase in _by_first_word().get(word, ()):
            if len(words) > len(phrase) + _OTHER_WORDS:
                continue
            if words[start : start + len(phrase)] == phrase:
                score = (len(phrase), -start)
                if best is None or score > best:
                    best, found = score, meanings[phrase]
    return found


_WORD = re.compile(r"[a-z]+")


def content_meaning(text: str) -> str | None:
    """The field the words of a section's text lean to, when they lean clearly: at least three
    of its telling words, and more than any other field's."""
    words = Counter(_WORD.findall(text[: _TEXT_WORDS * 12].lower()))
    scores = {
        field: sum(words[word] for word in telling) for field, telling in CONTENT_WORDS.items()
    }
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, score), (_, second) = ranked[0], ranked[1]
    return best if score >= 3 and score > second else None


_ITALIC = re.compile(r"^(?:\*(?P<star>[^*_]{1,80})\*|_(?P<underscore>[^*_]{1,80})_)$")
_HEADING_LIKE_WORDS = 10
"""A line in bold alone of more words than this is an emphasised sentence, not a heading."""


def pseudo_headings(blocks: list[Block]) -> list[Block]:
    """``blocks`` with headings written without heading markup made headings: a bold line
    alone (a short one; parsing made it a heading), an italic line alone that names a
    section, and list items that open with a bold key naming a section (``- **Impact**:``),
    whose text and nested items follow the heading."""
    result: list[Block] = []
    for block in blocks:
        if block.kind == "heading" and block.level == 6 and _sentence(block.text):
            result.append(Block("paragraph", block.line, text=block.raw, raw=block.raw))
        elif block.kind == "paragraph" and "\n" not in block.text.strip():
            italic = _ITALIC.match(block.text.strip())
            text = (italic["star"] or italic["underscore"]) if italic else ""
            if text and heading_meaning(text) and not _sentence(text):
                result.append(Block("heading", block.line, 6, text, block.raw))
            else:
                result.append(block)
        elif block.kind == "list" and block.items and _keyed_sections(block):
            result.extend(_split_keyed_list(block))
        else:
            result.append(block)
    return result


def _sentence(text: str) -> bool:
    return len(text.split()) > _HEADING_LIKE_WORDS or text.rstrip().endswith(".")


def _keyed_sections(block: Block) -> bool:
    """Whether every item of a list opens with a bold key and one of the keys names a
    section with nothing after it on the line (``- **Impact**:`` and the text below)."""
    keys = [KEY_LINE.match(item.text) for item in block.items]
    return all(keys) and any(
        key is not None and heading_meaning(key["key"]) and not key["rest"] for key in keys
    )


def _split_keyed_list(block: Block) -> list[Block]:
    result = []
    for item in block.items:
        key = KEY_LINE.match(item.text)
        assert key is not None
        if heading_meaning(key["key"]) or not key["rest"]:
            result.append(Block("heading", item.line, 6, key["key"].strip().rstrip(":"), item.text))
            if key["rest"]:
                result.append(Block("paragraph", item.line, text=key["rest"], raw=key["rest"]))
        else:
            result.append(Block("paragraph", item.line, text=item.text, raw=item.text))
        if item.details:
            nested = Block("list", item.line, raw="\n".join(f"- {text}" for text in item.details))
            nested.items = [_Item(None, text, item.line) for text in item.details]
            result.append(nested)
    return result


@attrs.frozen
class Detected:
    """The profile a document follows, whether anything showed it (else it is a guess), and
    why, in words for the migration report."""

    profile: ProfileName
    detected: bool
    reasons: tuple[str, ...]


TITLE_REASON = "its title"
"""The second reason of a document known by its template's title (and half its headings)."""
TEMPLATE_REASON = "the template's own layout"
"""The reason given for a document in a template's layout: its title, or half its headings."""
_TEMPLATE_HEADINGS = 3
"""Headings of a template that make a document that template's even without its words."""
_ATTACK = 3
"""Words of an attack that make a security incident one for the security post-mortem."""
_SECURITY = (ProfileName.SECURITY_POSTMORTEM, ProfileName.SECURITY_INCIDENT_REPORT)


def detect_profile(headings: list[str], text: str = "", named: tuple[str, ...] = ()) -> Detected:
    """The profile of a document with these ``headings`` and this ``text`` (``named``: what
    its front matter says it is, its title and tags): a template's when its title and half
    its headings are there (as rendering writes it), or a security template's title or half
    its headings; else a security profile when the text shows a security incident (an
    attack, a vulnerability, exposed secrets or data: :mod:`~postmortem.importer.security`);
    else the operations template whose title or half of whose headings it shows, else whose
    headings it shows most of, the P1-P3 post-mortem when it shows none. So a hand-written
    "Post-mortem: ..." about a breach, or a breach written under an operations template's
    headings, is known by its words."""
    seen = {normalize(heading) for heading in headings}
    titles = [normalize(heading.split(":")[0]) for heading in headings[:1]]
    scores = {
        name: sum(normalize(spec.heading) in seen for spec in profile.sections)
        for name, profile in PROFILES.items()
    }
    laid_out = {
        name
        for name, profile in PROFILES.items()
        if scores[name] >= max(_TEMPLATE_HEADINGS, len(profile.sections) / 2)
    }
    titled = [name for name, profile in PROFILES.items() if normalize(profile.title) in titles]
    by_title = Detected(titled[0], True, (TEMPLATE_REASON, TITLE_REASON)) if titled else None
    if by_title and (by_title.profile in laid_out or by_title.profile in _SECURITY):
        return by_title
    best = max(scores, key=lambda name: (scores[name], name is ProfileName.POSTMORTEM))
    if best in laid_out and best in _SECURITY:
        return Detected(best, True, (TEMPLATE_REASON, f"{scores[best]} of its headings"))
    evidence = weigh_security("\n".join([*named, text]), [*named, *headings[:1]], headings[1:])
    if evidence.is_security_incident:
        if best in _SECURITY and scores[best] > 0:
            profile, why = best, f"{scores[best]} of its headings"
        elif evidence.attack_words >= _ATTACK:
            profile, why = ProfileName.SECURITY_POSTMORTEM, "an attack described"
        else:
            profile, why = ProfileName.SECURITY_INCIDENT_REPORT, "no attack described"
        return Detected(profile, True, (f"a security incident: {evidence.shown()}", why))
    if by_title:
        return by_title
    if best in laid_out:
        return Detected(best, True, (TEMPLATE_REASON, f"{scores[best]} of its headings"))
    reasons = (f"no security incident ({evidence.shown()})",)
    if scores[best] >= _TEMPLATE_HEADINGS or (scores[best] > 0 and best not in _SECURITY):
        return Detected(best, True, (*reasons, f"{scores[best]} of its headings"))
    return Detected(ProfileName.POSTMORTEM, False, (*reasons, "no template's headings"))
