"""Hypothesis strategies for every model class, built from the attrs fields."""

import re
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any, TypeVar, get_args, get_origin

import attrs
from hypothesis import strategies as st

from postmortem._typing import is_optional, strip_optional
from postmortem.model import (
    EvidenceItem,
    HashAlgorithm,
    Ioc,
    IocType,
    Link,
    Money,
    PostMortem,
    ProfileName,
    When,
)
from postmortem.model.indicators import HASH_LENGTHS

T = TypeVar("T")

# Everything a person can type, surrogates aside (YAML text is UTF-8).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
multiline_text = st.lists(text.filter(lambda s: "\n" not in s), min_size=2, max_size=4).map(
    lambda lines: "\n".join(lines) + "\n"
)
any_text = st.one_of(text, multiline_text)

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1)),
    offsets,
)
dates = st.dates(min_value=date(1970, 1, 1), max_value=date(2200, 1, 1))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650))
urls = st.builds(
    "https://{}.example.com/{}".format,
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-_/", max_size=20),
)
links = st.builds(Link, url=urls, label=st.none() | text)

_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    Link: links,
    str: any_text,
    int: st.integers(min_value=-(2**63), max_value=2**63 - 1),
    float: st.floats(allow_nan=False, allow_infinity=False),
    bool: st.booleans(),
    date: dates,
    datetime: aware_datetimes,
    timedelta: durations,
}


VERBATIM = "verbatim"
"""The key in ``scalars`` of the strategy for verbatim text fields (logs), if not ``str``'s."""


def for_type(
    type_: Any, scalars: dict[Any, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[Any]:
    """A strategy for any type the model uses; ``scalars`` replaces the leaf strategies."""
    chosen = {**_SCALARS, **(scalars or {})}
    if type_ == When:
        return st.one_of(chosen[datetime], chosen[date])
    if type_ in chosen:
        return chosen[type_]
    if is_optional(type_):
        return st.none() | for_type(strip_optional(type_), scalars)
    if get_origin(type_) is list:
        # Items of a list are table rows, where verbatim text is a cell like any other.
        in_rows = {key: value for key, value in (scalars or {}).items() if key != VERBATIM}
        return st.lists(for_type(get_args(type_)[0], in_rows), max_size=2)
    if type_ is Ioc:
        return _iocs(chosen, scalars)
    if type_ is EvidenceItem:
        return _evidence(chosen, scalars)
    if attrs.has(type_):
        return st.builds(
            type_,
            **{field.name: _for_field(field, chosen, scalars) for field in attrs.fields(type_)},
        )
    if isinstance(type_, type) and issubclass(type_, Enum):
        return st.sampled_from(list(type_))
    raise TypeError(type_)


TIME_ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])


def _for_field(
    field: "attrs.Attribute[Any]",
    chosen: dict[Any, st.SearchStrategy[Any]],
    scalars: dict[Any, st.SearchStrategy[Any]] | None,
) -> st.SearchStrategy[Any]:
    """Values the field holds: within the bounds its metadata declares."""
    if field.metadata.get("verbatim") and VERBATIM in chosen:
        return st.none() | chosen[VERBATIM]
    if field.metadata.get("format") == "time-zone":
        return st.none() | TIME_ZONES
    if field.metadata.get("format") == "attack-tactic":
        return st.lists(TACTICS, max_size=2)
    if field.metadata.get("format") == "attack-technique":
        return st.lists(TECHNIQUES, max_size=2)
    if field.metadata.get("format") == "id":
        ids = st.from_regex(r"[A-Z][0-9]{1,2}", fullmatch=True)
        return st.lists(ids, max_size=2) if field.name == "addresses" else st.none() | ids
    low, high = field.metadata.get("minimum"), field.metadata.get("maximum")
    if low is None and high is None:
        return for_type(field.type, scalars)
    if strip_optional(field.type) is int:
        return st.none() | st.integers(
            min_value=low, max_value=high if high is not None else 2**63 - 1
        )
    return st.none() | st.floats(
        min_value=low, max_value=high, allow_nan=False, allow_infinity=False
    )


def _hex(length: int) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdefABCDEF", min_size=length, max_size=length)


INDICATORS: dict[IocType, st.SearchStrategy[str]] = {
    IocType.IP_ADDRESS: st.ip_addresses().map(str),
    IocType.IPV4: st.ip_addresses(v=4).map(str),
    IocType.IPV6: st.ip_addresses(v=6).map(str),
    IocType.CIDR: st.ip_addresses(v=4).map(lambda address: f"{address}/32"),
    IocType.DOMAIN: st.from_regex(r"[a-z][a-z0-9]{0,10}\.(com|net|example)", fullmatch=True),
    IocType.URL: urls,
    IocType.EMAIL: st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.com", fullmatch=True),
    IocType.FILE_HASH: st.sampled_from(list(HASH_LENGTHS.values())).flatmap(_hex),
    IocType.MD5: _hex(32),
    IocType.SHA1: _hex(40),
    IocType.SHA256: _hex(64),
    IocType.SHA512: _hex(128),
    IocType.REGISTRY_KEY: st.from_regex(r"HKLM\\Software\\[A-Za-z]{1,10}", fullmatch=True),
}
"""Values of each IOC type that fits a pattern; the other types take any one-line text."""

_ONE_LINE_VALUE = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=30
).filter(lambda value: value.strip() and value == value.strip())

TACTICS = st.sampled_from(["TA0001", "TA0008", "Initial Access", "lateral-movement"])
TECHNIQUES = st.from_regex(r"T[0-9]{4}(\.[0-9]{3})?", fullmatch=True)


def _fits(kind: IocType, value: str) -> bool:
    """Whether ``value`` is an indicator of ``kind`` (free text may hold what a kind refuses,
    such as a control character in a user agent)."""
    from postmortem.model.indicators import canonical_indicator

    try:
        canonical_indicator(kind, value, None)
    except ValueError:
        return False
    return True


def _iocs(
    chosen: dict[Any, st.SearchStrategy[Any]], scalars: dict[Any, st.SearchStrategy[Any]] | None
) -> st.SearchStrategy[Ioc]:
    """IOCs whose value fits their type, last seen no earlier than first seen."""
    free = ("type", "value", "hash_algorithm", "first_seen", "last_seen")
    others = {
        field.name: _for_field(field, chosen, scalars)
        for field in attrs.fields(Ioc)
        if field.name not in free
    }

    one_line = _ONE_LINE_VALUE
    if scalars is not None and str in scalars:  # text the output format can carry
        one_line = scalars[str].filter(lambda value: "\n" not in value and value.strip())

    @st.composite
    def build(draw: st.DrawFn) -> Ioc:
        kind = draw(st.sampled_from(list(IocType)))
        value = draw(INDICATORS.get(kind, one_line).filter(lambda text: _fits(kind, text)))
        first_seen = draw(st.none() | for_type(When, scalars))
        last_seen = None
        if first_seen is not None and draw(st.booleans()):
            last_seen = first_seen + draw(durations).days * timedelta(days=1)
        return Ioc(
            type=kind,
            value=value,
            first_seen=first_seen,
            last_seen=last_seen,
            **{name: draw(strategy) for name, strategy in others.items()},
        )

    return build()


def _evidence(
    chosen: dict[Any, st.SearchStrategy[Any]], scalars: dict[Any, st.SearchStrategy[Any]] | None
) -> st.SearchStrategy[EvidenceItem]:
    """Evidence whose hash is a digest of its algorithm (stated, or known by its length)."""
    others = {
        field.name: _for_field(field, chosen, scalars)
        for field in attrs.fields(EvidenceItem)
        if field.name not in ("hash", "hash_algorithm")
    }
    algorithms = st.sampled_from(list(HashAlgorithm))
    hashes = st.tuples(st.none() | algorithms, algorithms).flatmap(
        lambda pair: _hex(HASH_LENGTHS[pair[1]]).map(lambda digest: (pair[0] and pair[1], digest))
    )
    return st.builds(
        lambda hashed, fields: EvidenceItem(
            hash_algorithm=hashed[0] if hashed else None,
            hash=hashed[1] if hashed else None,
            **fields,
        ),
        st.none() | hashes,
        st.fixed_dictionaries(others),
    )


def fitting_severity(doc: PostMortem) -> PostMortem:
    """``doc`` with its severity moved onto its profile's scale, at the same rank."""
    from postmortem.profiles import get_profile

    severity = doc.metadata.severity
    if severity is not None:
        levels = get_profile(doc.profile).severities
        doc.metadata.severity = levels[min(severity.rank, len(levels)) - 1]
    return doc


def instances(cls: type[T]) -> st.SearchStrategy[T]:
    return for_type(cls)


documents: st.SearchStrategy[PostMortem] = st.builds(
    PostMortem,
    **{
        field.name: for_type(field.type)
        for field in attrs.fields(PostMortem)
        if field.name != "schema_version"
    },
).map(fitting_severity)


# Documents as Markdown can carry them: text without the characters and spacing that
# Markdown does not keep (control characters, leading or trailing blanks, tabs) and
# without ":" (a paragraph of "Key: value" lines reads as labelled fields).
_MARKDOWN_ALPHABET = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüßæøΩЖ中"
    " .,;!?'\"()-/_*#|<>[]&%$@`~+=^{}\\"
)
_markdown_line = (
    st.text(_MARKDOWN_ALPHABET, min_size=1, max_size=25)
    .map(lambda text: " ".join(text.split()))
    .filter(lambda text: text and not _looks_like_a_placeholder(text))
    .filter(lambda text: not _names_a_security_id(text))
)
_markdown_text = st.one_of(
    _markdown_line,
    st.lists(_markdown_line, min_size=2, max_size=3).map(lambda lines: "\n".join(lines) + "\n"),
)


def _names_a_security_id(text: str) -> bool:
    """Text the import reads a CVE number or an ATT&CK technique id in (and adds it)."""
    from postmortem.importer.items import cve_ids
    from postmortem.recognise import TECHNIQUE_IN_TEXT

    return bool(cve_ids(text) or TECHNIQUE_IN_TEXT.search(text))


def _looks_like_a_placeholder(text: str) -> bool:
    from postmortem.policy import DEFAULT_PLACEHOLDERS

    return any(re.search(pattern, text) for pattern in DEFAULT_PLACEHOLDERS) or bool(
        re.match(r"^(\d+(\.\d+)*\.?|[A-Z]\.)\s", text)
    )


MARKDOWN_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: _markdown_text,
    # Verbatim text is shown as a fenced block, whose every line ends with a line break.
    VERBATIM: st.lists(_markdown_line, min_size=1, max_size=3).map(
        lambda lines: "\n".join(lines) + "\n"
    ),
    Link: st.builds(Link, url=urls, label=st.none() | _markdown_line),
    Money: st.builds(
        Money,
        amount=st.floats(allow_nan=False, allow_infinity=False),
        currency=st.sampled_from(["USD", "EUR"]),
    ),
}


def markdown_documents(profile: ProfileName) -> st.SearchStrategy[PostMortem]:
    """Documents of ``profile`` whose every value Markdown can carry."""
    return st.builds(
        PostMortem,
        profile=st.just(profile),
        **{
            field.name: for_type(field.type, MARKDOWN_SCALARS)
            for field in attrs.fields(PostMortem)
            if field.name not in ("schema_version", "profile", "unmapped")
        },
    ).map(fitting_severity)


# Text made of what YAML reads as structure, quotes, escapes and line breaks, with letters
# and digits among them: every way a writer can spell a string is needed.
YAML_SIGNIFICANT = st.text(
    st.sampled_from([*"ab09 :#'\"-?[]{},&*!|>%@`~.\t\n\\/", "é", "中", "\x85", "\u2028", "\x7f"]),
    max_size=12,
)


def documents_with(scalars: dict[Any, st.SearchStrategy[Any]]) -> st.SearchStrategy[PostMortem]:
    """Documents whose leaf values come from ``scalars`` where it has a strategy."""
    return st.builds(
        PostMortem,
        **{
            field.name: for_type(field.type, scalars)
            for field in attrs.fields(PostMortem)
            if field.name != "schema_version"
        },
    ).map(fitting_severity)


_ZONES = {"UTC": 0, "CET": 60, "PDT": -420, "EDT": -240, "JST": 540}
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@st.composite
def written_times(draw: st.DrawFn) -> tuple[datetime, str]:
    """An instant to the minute and one way a timeline line writes it: ISO with a zone
    abbreviation or an offset, a month's name, bold, or a time alone (on the line's day)."""
    zone_name = draw(st.sampled_from(sorted(_ZONES)))
    zone = timezone(timedelta(minutes=_ZONES[zone_name]))
    moment = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
    instant = moment.replace(second=0, microsecond=0, tzinfo=zone)
    clock = f"{instant:%H:%M}"
    offset = f"{instant:%z}"
    forms = [
        f"{instant:%Y-%m-%d} {clock} {zone_name}",
        f"{instant:%Y-%m-%d}T{clock}{offset[:3]}:{offset[3:]}",
        f"{_MONTH_NAMES[instant.month - 1]} {instant.day} {instant.year} {clock} ({zone_name})",
        f"**{clock} {zone_name}**:",
        f"[{instant:%Y-%m-%d} {clock} {zone_name}]",
    ]
    return instant, draw(st.sampled_from(forms))
