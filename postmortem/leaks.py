"""The leak check of published copies, by construction and by search.

A copy under a published path must be exactly what ``postmortem export`` makes of its
source for its label: :func:`first_difference` regenerates it and compares. On top of that,
its text is searched for what any document of the repository keeps above the copy's label
(not only the source it names, which whoever wrote the copy chose): the distinctive tokens
(addresses, host names, hashes, paths) and the long values of those parts. Both sides are
normalised first, so that ``203.000.113.045``, ``203[.]0[.]113[.]45``, ``203%2E0.113.45``,
``&#50;03.0.113.45``, a zero-width space or a full-width digit hide nothing.
"""

import html
import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import attrs

from postmortem.audiences import export, labelled_text
from postmortem.converter import FieldPath, unstructure
from postmortem.errors import DocumentError
from postmortem.model import Classification, PostMortem
from postmortem.policy import Policy

__all__ = [
    "Cleared",
    "Secrets",
    "documents_under",
    "first_difference",
    "normalise",
    "repository_secrets",
    "secrets_of_repository",
    "tokens",
]

_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
        "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
        "\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"),
    None,
)  # fmt: skip
_DEFANGED_DOT = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\s\[dot\]\s|\sdot\s")
_DEFANGED_AT = re.compile(r"\[@\]|\[at\]|\(at\)|\{at\}")
_DEFANGED_COLON = re.compile(r"\[(:|://)\]")
_DEFANGED_SCHEME = re.compile(r"\b(?:hxxp|h\*\*p|httx)(s?)\b")
_TOKEN = re.compile(r"[\w][\w.:/@%-]{2,}[\w]")
_DISTINCTIVE = re.compile(r"[\d.:/@]")
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_LONG_VALUE = 24
"""A whole value this long is specific enough to call a leak wherever it appears."""


def normalise(text: str) -> str:
    """``text`` as compared for leaks: entities and percent-escapes decoded, compatibility
    forms folded (NFKC), invisible characters dropped, case folded, defanging undone."""
    text = unquote(html.unescape(html.unescape(text)))
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    text = _DEFANGED_DOT.sub(".", text)
    text = _DEFANGED_AT.sub("@", text)
    text = _DEFANGED_COLON.sub(r"\1", text)
    return _DEFANGED_SCHEME.sub(r"http\1", text)


def _canonical(token: str) -> str:
    """One spelling per address: IPv4 without leading zeros, IPv6 compressed."""
    token = token.strip(".:/-@%")
    ipv4 = _IPV4.fullmatch(token)
    if ipv4 and all(int(part) <= 255 for part in ipv4.groups()):
        return ".".join(str(int(part)) for part in ipv4.groups())
    if ":" in token and "." not in token.replace("::ffff:", ""):
        try:
            return str(ipaddress.IPv6Address(token))
        except ValueError:
            pass
    return token


def tokens(text: str) -> set[str]:
    """The distinctive tokens of ``text`` (anything with a digit, dot, colon, slash or @),
    normalised and in canonical spelling, with the parts of URLs and addresses (the host of
    ``https://host:8443/path``, the domain of ``user@domain``) as tokens of their own."""
    found = set()
    for token in _TOKEN.findall(normalise(text)):
        for part in {token, *_PARTS.split(token)}:
            part = _PORT.sub("", _canonical(part))
            if len(part) >= 4 and _DISTINCTIVE.search(part):
                found.add(part)
    return found


_PARTS = re.compile(r"://|/|@|\?|#")
_PORT = re.compile(r"(?<=[a-z0-9]):\d{1,5}$")


@attrs.frozen
class Secrets:
    """What a copy at one rank must not hold: the normalised tokens and long values that
    documents keep only above that rank, each with the document that keeps it."""

    tokens: dict[str, str]
    values: dict[str, str]

    def found_in(self, text: str, cleared: "Cleared") -> tuple[str, str] | None:
        """The first secret in ``text`` that ``cleared`` does not show, with the document
        that keeps it; None if there is none."""
        for token in sorted(tokens(text) - cleared.tokens, key=len, reverse=True):
            if token in self.tokens:
                return token, self.tokens[token]
        normalised = normalise(text)
        for value, source in self.values.items():
            start = normalised.find(value)
            if (
                start >= 0
                and value not in cleared.text
                and _on_boundaries(normalised, start, start + len(value))
            ):
                return value, source
        return None


@attrs.frozen
class Cleared:
    """What a copy may hold whatever other documents say: its own source's text at or below
    the copy's rank, normalised."""

    text: str
    tokens: frozenset[str]

    @classmethod
    def of(cls, document: PostMortem, policy: Policy, limit: int) -> "Cleared":
        shown = "\n".join(
            text for _, text, rank in labelled_text(document, policy) if rank <= limit
        )
        return cls(normalise(shown), frozenset(tokens(shown)))


def _on_boundaries(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or after.isalnum())


def repository_secrets(
    documents: Iterable[tuple[str, PostMortem]], policy: Policy, limit: int
) -> Secrets:
    """The secrets of ``documents`` (name, document) at rank ``limit``: what each holds in
    parts above it and shows in none at or below it."""
    found_tokens: dict[str, str] = {}
    found_values: dict[str, str] = {}
    for name, document in documents:
        parts = list(labelled_text(document, policy))
        shown = Cleared.of(document, policy, limit)
        for _, text, rank in parts:
            if rank <= limit:
                continue
            for token in tokens(text) - shown.tokens:
                found_tokens.setdefault(token, name)
            value = normalise(text).strip()
            if len(value) >= _LONG_VALUE and value not in shown.text:
                found_values.setdefault(value, name)
    return Secrets(found_tokens, found_values)


_SECRETS_CACHE: dict[tuple[str, int], tuple[tuple[tuple[str, int, int], ...], Secrets]] = {}


def secrets_of_repository(policy: Policy, limit: int) -> Secrets:
    """:func:`repository_secrets` of every post-mortem under the policy's root, computed once
    while no file there changes (a run that checks many copies reads the documents once)."""
    root = policy.root.absolute()
    stamp = tuple(_stamps(root))
    cached = _SECRETS_CACHE.get((str(root), limit))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    secrets = repository_secrets(documents_under(root, policy), policy, limit)
    _SECRETS_CACHE[(str(root), limit)] = (stamp, secrets)
    return secrets


def _stamps(root: Path) -> Iterator[tuple[str, int, int]]:
    from postmortem.discovery import files_under

    for path in files_under(root):
        try:
            status = Path(path).stat()
        except OSError:
            continue
        yield path, status.st_mtime_ns, status.st_size


def first_difference(
    copy: PostMortem, source: PostMortem, label: Classification, policy: Policy, name: str
) -> FieldPath | None:
    """Where ``copy`` differs from a fresh export of ``source`` (recorded as ``name``) for
    ``label``; None when they are the same."""
    fresh = unstructure(export(source, label, policy, source=name))
    return _difference(unstructure(copy), fresh, ())


def _difference(copy: Any, fresh: Any, path: FieldPath) -> FieldPath | None:
    if isinstance(copy, dict) and isinstance(fresh, dict):
        for key in [*fresh, *(key for key in copy if key not in fresh)]:
            if key not in copy or key not in fresh:
                return (*path, key) if key in copy else path
            found = _difference(copy[key], fresh[key], (*path, key))
            if found is not None:
                return found
        return None
    if isinstance(copy, list) and isinstance(fresh, list):
        for index, (ours, theirs) in enumerate(zip(copy, fresh, strict=False)):
            found = _difference(ours, theirs, (*path, index))
            if found is not None:
                return found
        return None if len(copy) == len(fresh) else (*path, min(len(copy), len(fresh)))
    return None if copy == fresh else path


def documents_under(root: Path, policy: Policy) -> Iterator[tuple[str, PostMortem]]:
    """Every post-mortem of the repository at ``root`` that loads, by repository path;
    published copies are not sources."""
    from postmortem.discovery import Role, files_under, role_of
    from postmortem.policy import is_published, load_governed, relative_to_root

    for path in files_under(root):
        relative = relative_to_root(path, policy)
        if is_published(relative, policy) or role_of(path, policy) is not Role.DOCUMENT:
            continue
        try:
            yield relative, load_governed(path, policy)
        except DocumentError:
            continue
