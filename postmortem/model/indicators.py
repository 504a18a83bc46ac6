"""The forms of security values: indicators of compromise by type, hashes by algorithm, and
MITRE ATT&CK technique ids and tactics. Checked in linear time: stdlib parsers
(``ipaddress``, ``urllib``), string methods and short anchored patterns with no nested
repetition; a value is never trusted to be small.
"""

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from postmortem._shown import shown
from postmortem.model.enums import HashAlgorithm, IocType

__all__ = [
    "HASH_LENGTHS",
    "TECHNIQUE",
    "LocatedProblem",
    "canonical_indicator",
    "check_hash",
    "check_tactic",
    "check_technique",
    "hash_algorithm_of",
    "infer_ioc_type",
    "refang",
]


class LocatedProblem(ValueError):
    """A value's problem found where the object is built, located at ``path`` inside the
    object (a field name, then list indexes), not at the object itself."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


HASH_LENGTHS = {
    HashAlgorithm.MD5: 32,
    HashAlgorithm.SHA1: 40,
    HashAlgorithm.SHA256: 64,
    HashAlgorithm.SHA512: 128,
}
"""The number of hex digits of a digest, by algorithm."""

_ALGORITHM_OF_TYPE = {
    IocType.MD5: HashAlgorithm.MD5,
    IocType.SHA1: HashAlgorithm.SHA1,
    IocType.SHA256: HashAlgorithm.SHA256,
    IocType.SHA512: HashAlgorithm.SHA512,
}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

# Defanging, undone: ``hxxp://``, ``example[.]com``, ``1.2.3(.)4``, ``user[@]example.com``.
_DEFANGED_SCHEME = re.compile(r"\Ahxxp(s?)://", re.IGNORECASE)
_DEFANGED_PARTS = (
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("[@]", "@"),
    ("(@)", "@"),
    ("[at]", "@"),
    ("[:]", ":"),
    ("[://]", "://"),
)

_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_URL_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")
_REGISTRY_HIVES = (
    "HKEY_LOCAL_MACHINE",
    "HKLM",
    "HKEY_CURRENT_USER",
    "HKCU",
    "HKEY_CLASSES_ROOT",
    "HKCR",
    "HKEY_USERS",
    "HKU",
    "HKEY_CURRENT_CONFIG",
    "HKCC",
)
TECHNIQUE = re.compile(r"T\d{4}(?:\.\d{3})?", re.ASCII)
"""An ATT&CK technique id: ``T1078``, or ``T1078.004`` for a sub-technique (ASCII digits
only, as the schema's pattern means them: no Arabic-Indic nor fullwidth digits)."""
_TACTIC_ID = re.compile(r"TA\d{4}", re.ASCII)
_TACTIC_NAME = re.compile(r"[A-Za-z][A-Za-z-]{0,31}(?: [A-Za-z][A-Za-z-]{0,31}){0,5}")


def refang(value: str) -> str:
    """``value`` with its defanging undone (``hxxps://example[.]com`` gives
    ``https://example.com``); a value that is not defanged is returned as it is."""
    text = value.strip()
    for defanged, plain in _DEFANGED_PARTS:
        if defanged in text:
            text = text.replace(defanged, plain)
    return _DEFANGED_SCHEME.sub(lambda match: f"http{match.group(1)}://", text)


def hash_algorithm_of(digest: str) -> HashAlgorithm | None:
    """The algorithm whose digests have the length of ``digest``, if it is all hex digits."""
    if not digest or not _HEX_DIGITS.issuperset(digest):
        return None
    return next((name for name, length in HASH_LENGTHS.items() if length == len(digest)), None)


def check_hash(digest: str, algorithm: HashAlgorithm | None) -> HashAlgorithm:
    """The algorithm of ``digest``: ``algorithm`` if given, else inferred from the length.
    ValueError if the digest is not hex of that algorithm's length (or of any)."""
    if algorithm is not None:
        length = HASH_LENGTHS[algorithm]
        if len(digest) != length or not _HEX_DIGITS.issuperset(digest):
            raise ValueError(
                f"not a {algorithm.value} digest: {shown(digest)} (want {length} hex digits)"
            )
        return algorithm
    inferred = hash_algorithm_of(digest)
    if inferred is None:
        raise ValueError(
            f"not a file hash: {shown(digest)} (want 32, 40, 64 or 128 hex digits: "
            "MD5, SHA-1, SHA-256 or SHA-512)"
        )
    return inferred


def canonical_indicator(kind: IocType, value: str, algorithm: HashAlgorithm | None = None) -> str:
    """The canonical form of an indicator of ``kind`` written as ``value`` (defanged or
    not): refanged, lower-cased where case does not matter, addresses compressed.
    ValueError with a one-line reason when the value does not fit its type."""
    plain = refang(value)
    if not plain:
        raise ValueError("an indicator needs a value")
    if kind is IocType.OTHER:  # any text, as written
        return plain
    if _has_control_character(plain):
        raise ValueError(f"{kind.value} {shown(value)} contains a control character")
    if kind in (IocType.IP_ADDRESS, IocType.IPV4, IocType.IPV6):
        return _ip_address(kind, plain, value)
    if kind is IocType.CIDR:
        try:
            return str(ipaddress.ip_network(plain, strict=False))
        except ValueError:
            raise ValueError(
                f"not a CIDR range: {shown(value)} (want e.g. 203.0.113.0/24)"
            ) from None
    if kind is IocType.DOMAIN:
        return _domain(plain, value)
    if kind is IocType.URL:
        return _url(plain, value)
    if kind is IocType.EMAIL:
        local, at, domain = plain.rpartition("@")
        wrong = ValueError(f"not an e-mail address: {shown(value)} (want name@example.com)")
        if not at or not local or any(char.isspace() for char in local):
            raise wrong
        try:
            return f"{local}@{_domain(domain, value)}"
        except ValueError:
            raise wrong from None
    if kind is IocType.FILE_HASH or kind in _ALGORITHM_OF_TYPE:
        check_hash(plain, _ALGORITHM_OF_TYPE.get(kind, algorithm))
        return plain.lower()
    if kind is IocType.REGISTRY_KEY:
        hive = plain.split("\\", 1)[0].upper()
        if hive not in _REGISTRY_HIVES:
            raise ValueError(
                f"not a registry key: {shown(value)} (want a hive first, e.g. "
                "HKLM\\Software\\... or HKEY_CURRENT_USER\\...)"
            )
        return plain
    return plain


def _has_control_character(text: str) -> bool:
    return any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in text)


def _ip_address(kind: IocType, plain: str, written: str) -> str:
    try:
        address = ipaddress.ip_address(plain)
    except ValueError:
        address = None
    wanted = {IocType.IPV4: 4, IocType.IPV6: 6}.get(kind)
    if address is None or (wanted is not None and address.version != wanted):
        example = {4: "203.0.113.45", 6: "2001:db8::1"}.get(
            wanted or 0, "203.0.113.45 or 2001:db8::1"
        )
        raise ValueError(f"not an {kind.value}: {shown(written)} (want e.g. {example})")
    return str(address)


def _domain(plain: str, written: str) -> str:
    name = plain.lower().removesuffix(".")
    labels = name.split(".")
    fits = (
        len(name) <= 253
        and len(labels) >= 2
        and all(_DOMAIN_LABEL.fullmatch(_ascii(label)) for label in labels)
        and _TOP_LEVEL.fullmatch(_ascii(labels[-1])) is not None
    )
    if not fits:
        raise ValueError(f"not a domain name: {shown(written)} (want e.g. example.com)")
    return name


def _ascii(label: str) -> str:
    """An internationalised label as its ``xn--`` form, for the checks on letters."""
    if label.isascii():
        return label
    try:
        return "xn--" + label.encode("punycode").decode("ascii")
    except UnicodeError:
        return "-"


def _url(plain: str, written: str) -> str:
    want = "(want e.g. https://example.com/path, defanged or not)"
    if any(char.isspace() for char in plain):
        raise ValueError(f"not a URL: {shown(written)} contains white space")
    try:
        parts = urlsplit(plain)
        host = parts.hostname
        parts.port  # noqa: B018  (a port that is no number from 0 to 65535 raises here)
    except ValueError:
        raise ValueError(f"not a URL: {shown(written)} {want}") from None
    hierarchical = "://" in plain  # http://host/...; else opaque, as javascript:alert(1)
    if not _URL_SCHEME.fullmatch(parts.scheme) or not (host if hierarchical else parts.path):
        raise ValueError(f"not a URL: {shown(written)} {want}")
    return plain


def check_technique(value: str) -> None:
    """ValueError unless ``value`` is an ATT&CK technique id, ``T1078`` or ``T1078.004``."""
    if not TECHNIQUE.fullmatch(value):
        raise ValueError(
            f"not an ATT&CK technique id: {shown(value)} (want T1078, or T1078.004 for a "
            "sub-technique)"
        )


def check_tactic(value: str) -> None:
    """ValueError unless ``value`` is an ATT&CK tactic: an id (``TA0001``) or a name of
    words (``Initial Access``, ``command-and-control``)."""
    if not (_TACTIC_ID.fullmatch(value) or _TACTIC_NAME.fullmatch(value)):
        raise ValueError(
            f"not an ATT&CK tactic: {shown(value)} (want an id such as TA0001, or a name "
            "such as Initial Access)"
        )


_INFERRED_ORDER = (
    IocType.IP_ADDRESS,
    IocType.CIDR,
    IocType.FILE_HASH,
    IocType.URL,
    IocType.EMAIL,
    IocType.REGISTRY_KEY,
    IocType.DOMAIN,
)


def infer_ioc_type(value: str) -> IocType:
    """The type an indicator written as ``value`` (defanged or not) has by its form: an IP
    address, a CIDR range, a file hash, a URL, an e-mail address, a registry key or a domain;
    Other when it has none of those forms."""
    for kind in _INFERRED_ORDER:
        if kind is IocType.URL and "://" not in refang(value):
            continue
        try:
            canonical_indicator(kind, value)
        except ValueError:
            continue
        return kind
    return IocType.OTHER
