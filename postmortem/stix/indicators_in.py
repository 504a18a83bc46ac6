"""A STIX 2.1 bundle's indicators added to a document's IOCs.

Only a pattern that is one equality comparison (``[ipv4-addr:value = '203.0.113.45']``) of
a property an IOC type stands for is read back, by the ``stix2-patterns`` parser (never
evaluated); any other indicator is reported and skipped. An indicator whose type and
canonical value the document (or the bundle, earlier) already has is not added twice. Its
TLP markings, 2.0 or 1.0, become the item's label (the most restrictive of them). The
document is changed through the faithful edit and written atomically: every other byte of
the file stays as it was.
"""

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import attrs

from postmortem._shown import shown, shown_path
from postmortem.errors import UsageError
from postmortem.model import Classification, HashAlgorithm, Ioc, IocType, PostMortem
from postmortem.policy import Policy
from postmortem.stix.markings import TLP_MARKINGS
from postmortem.stix.patterns import stix_value

__all__ = ["IocsAdded", "add_iocs_from_stix", "iocs_from_bundle"]

_TLP_1 = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Classification.TLP_CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Classification.TLP_GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Classification.TLP_AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Classification.TLP_RED,
}
"""The TLP 1.0 marking definitions STIX 2.1 predefines (WHITE is TLP 2.0's CLEAR)."""
_MARKING_LABELS = {**{ref: label for label, ref in TLP_MARKINGS.items()}, **_TLP_1}
_TLP_ORDER = list(TLP_MARKINGS)

_TYPES: dict[tuple[str, tuple[str, ...]], IocType] = {
    ("ipv4-addr", ("value",)): IocType.IP_ADDRESS,
    ("ipv6-addr", ("value",)): IocType.IP_ADDRESS,
    ("domain-name", ("value",)): IocType.DOMAIN,
    ("url", ("value",)): IocType.URL,
    ("email-addr", ("value",)): IocType.EMAIL,
    ("file", ("name",)): IocType.FILE_NAME,
    ("user-account", ("account_login",)): IocType.ACCOUNT,
    ("windows-registry-key", ("key",)): IocType.REGISTRY_KEY,
    ("network-traffic", ("extensions", "http-request-ext", "request_header", "User-Agent")): (
        IocType.USER_AGENT
    ),
    ("process", ("command_line",)): IocType.PROCESS,
}
_HASHES = {algorithm.value.upper().replace("-", ""): algorithm for algorithm in HashAlgorithm}
_FAMILIES = {IocType.IPV4: "ip", IocType.IPV6: "ip", IocType.IP_ADDRESS: "ip",
             IocType.FILE_HASH: "hash", IocType.MD5: "hash", IocType.SHA1: "hash",
             IocType.SHA256: "hash", IocType.SHA512: "hash"}  # fmt: skip
_ID = re.compile(r"I(\d+)")
_MOST_ID_CHARACTERS = 64


@attrs.frozen
class IocsAdded:
    """What adding a bundle's indicators did."""

    added: tuple[Ioc, ...]
    already_there: int
    skipped: tuple[str, ...]
    """One line per indicator not added, with the reason."""


def _key(ioc: Ioc) -> tuple[str, str]:
    """What makes two IOCs the same: their kind (an IPv4 is an IP Address) and canonical value."""
    return _FAMILIES.get(ioc.type, ioc.type.value), stix_value(ioc)


def _label(refs: object) -> Classification | None:
    """The most restrictive TLP label among an object's markings; None without one."""
    if not isinstance(refs, list):
        return None
    labels = [
        _MARKING_LABELS[ref] for ref in refs if isinstance(ref, str) and ref in _MARKING_LABELS
    ]
    return max(labels, key=_TLP_ORDER.index) if labels else None


def _ioc(indicator: dict[str, Any]) -> Ioc:
    """The IOC of an indicator; ValueError with the reason when there is none."""
    from postmortem._stix2 import StixObjectError, parse_equality

    if indicator.get("pattern_type") != "stix":
        raise ValueError(f"pattern type {shown(indicator.get('pattern_type'))} is not stix")
    pattern = indicator.get("pattern")
    if not isinstance(pattern, str):
        raise ValueError("no pattern")
    try:
        found = parse_equality(pattern)
    except StixObjectError as error:
        raise ValueError(str(error)) from None
    if found is None:
        raise ValueError(f"not one equality comparison: {shown(pattern)}")
    object_type, path, value = found
    algorithm = None
    if object_type == "file" and len(path) == 2 and path[0] == "hashes":
        algorithm = _HASHES.get(path[1].upper().replace("-", ""))
        if algorithm is None:
            raise ValueError(f"a {shown(path[1])} hash is not an IOC type")
        kind = IocType.FILE_HASH
    elif (object_type, path) in _TYPES:
        kind = _TYPES[(object_type, path)]
        if kind is IocType.IP_ADDRESS and "/" in value:
            kind = IocType.CIDR
    else:
        raise ValueError(f"{shown(object_type + ':' + '.'.join(path))} is not an IOC type")
    confidence = indicator.get("confidence")
    description = indicator.get("description")
    made = Ioc(
        type=kind,
        value=value,
        hash_algorithm=algorithm,
        confidence=confidence if type(confidence) is int and 0 <= confidence <= 100 else None,
        context=description if isinstance(description, str) and description else None,
        classification=_label(indicator.get("object_marking_refs")),
    )
    return attrs.evolve(made, value=made.canonical)


def iocs_from_bundle(text: str, source: str) -> Iterator[Ioc | str]:
    """Each indicator of the bundle ``text`` as an IOC, or a line saying why it is not one."""
    try:
        bundle = json.loads(text)
        # JSON's \u escapes can spell half a surrogate pair, which is no character: it
        # could not be written to the document (YAML refuses it), so such a bundle is not text.
        json.dumps(bundle, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError) as error:
        where = shown_path(source)
        if isinstance(error, json.JSONDecodeError):
            where += f":{error.lineno}:{error.colno}"
        raise UsageError(f"{where}: not a STIX bundle: {_reason(error)}") from None
    objects = bundle.get("objects") if isinstance(bundle, dict) else None
    if not isinstance(objects, list) or bundle.get("type") != "bundle":
        raise UsageError(f"{shown_path(source)}: not a STIX bundle (no type bundle and objects)")
    for index, item in enumerate(objects):
        if not isinstance(item, dict) or item.get("type") != "indicator":
            continue
        name = item.get("id") if isinstance(item.get("id"), str) else f"objects[{index}]"
        try:
            yield _ioc(item)
        except ValueError as error:
            yield f"{shown(name)}: {' '.join(str(error).split())}"


def _reason(error: ValueError | RecursionError) -> str:
    """Why ``json.loads`` refused a bundle, in the bundle's terms."""
    if isinstance(error, json.JSONDecodeError):
        return error.msg
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeEncodeError):
        return (
            f"a string holds {shown(error.object[error.start : error.end])}, half a surrogate pair"
        )
    return "a number too long to read"  # more digits than Python converts


def add_iocs_from_stix(
    document: str | os.PathLike[str], bundle: str | os.PathLike[str], policy: Policy
) -> IocsAdded:
    """Add the indicators of the bundle file ``bundle`` to the IOCs of ``document``."""
    from postmortem.files import read_text
    from postmortem.yaml_io import edit

    text = read_text(bundle, max_bytes=policy.max_file_bytes)
    found = list(iocs_from_bundle(text, os.fspath(bundle)))
    skipped = tuple(item for item in found if isinstance(item, str))
    added: list[Ioc] = []
    already = 0
    with edit(document, ticket_url=policy.ticket_url, within=policy.root) as doc:
        known = {_key(ioc) for ioc in doc.iocs}
        ids = _free_ids(doc)
        for ioc in (item for item in found if isinstance(item, Ioc)):
            if _key(ioc) in known:
                already += 1
                continue
            known.add(_key(ioc))
            ioc = attrs.evolve(ioc, id=next(ids))
            added.append(ioc)
        doc.iocs.extend(added)
    return IocsAdded(tuple(added), already, skipped)


def _free_ids(doc: PostMortem) -> Iterator[str]:
    """Ids ``I<n>`` no IOC of the document has, from the number after the highest one on
    (from 1, were that id too long for an id)."""
    taken = {ioc.id for ioc in doc.iocs if ioc.id}
    matches = [_ID.fullmatch(ioc_id) for ioc_id in taken]
    number = max((int(match.group(1)) for match in matches if match), default=0) + 1
    if len(f"I{number}") > _MOST_ID_CHARACTERS:
        number = 1
    while True:
        if f"I{number}" not in taken:
            yield f"I{number}"
        number += 1
