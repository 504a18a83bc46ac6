"""Dates and times as post-mortems write them at the start of a timeline line:
``2023-05-04 14:02 UTC``, ``Jan 18 11:40 (CET)``, ``**08:00 UTC**:``, ``[12-05 16:21]``,
``13:14 EDT (17:14 UTC):``, ``Day 2 / 09:00``, or a time alone on the day a heading or a line
before named; placed on the incident's year and day, in the zone the document declares
(``All times in PDT``), else the one asked for (``--timezone``), else UTC.

A zone abbreviation that names more than one zone (IST, CST) is reported, not guessed. The
patterns are anchored at the start of a line and bounded, so that each line is read in
time linear in its length.
"""

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import cache

import attrs

__all__ = [
    "AMBIGUOUS_ZONES",
    "Clock",
    "Stamp",
    "date_in",
    "declared_zone",
    "read_stamp",
    "zone_named",
]

_HOURS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "WEST": 1, "CEST": 2, "EET": 2,
    "EEST": 3, "MSK": 3, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
"""Zone abbreviations that name one offset."""
AMBIGUOUS_ZONES = frozenset({"IST", "CST", "AST", "BST?", "ECT", "GST", "SST"})
"""Abbreviations several zones use (India, Israel or Irish time; China or Central time)."""

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for name in names
}  # fmt: skip

_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ZONE = (
    r"(?-i:(?P<zone>UTC[+-]\d{1,2}(?::?\d{2})?|[A-Z]{1,4}|[+-]\d{2}:?\d{2}"
    r"|[A-Z][a-z]{2,20}(?:[ _][A-Z][a-z]{2,20})?))(?![A-Za-z])"
)
_CLOCK = (
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"|(?P<compact>\d{2})(?=\s*[A-Z]))\s*(?P<ampm>[ap]\.?m\.?)?"
)
_STAMP = re.compile(
    r"^[\s>*_\[(|-]{0,6}(?:date\s*:\s*)?"
    r"(?:(?P<dayword>day)\s*(?P<daynumber>\d{1,3})\s*[/,:-]?\s*"
    r"|(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[T\s,]+)?"
    r"|(?P<shortmonth>\d{1,2})[-/](?P<shortday>\d{1,2})\s+(?=\d{1,2}:)"
    rf"|(?P<monthname>{_MONTH})\.?\s+(?P<monthday>\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(?P<namedyear>\d{{4}}))?,?\s*(?:at\s+)?"
    rf"|(?P<dayfirst>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<monthafter>{_MONTH})\.?,?(?:\s+(?P<yearafter>\d{{4}}))?,?\s*(?:at\s+)?"
    r")?"
    rf"(?:{_CLOCK})?"
    rf"(?:\s*\(?\s*{_ZONE}\s*\)?)?"
    r"(?:\s*\([^)]{0,30}\))?"
    r"[\s*_\])|]{0,6}(?:[:\u2013\u2014,|-]\s*|\s+|$)",
    re.IGNORECASE,
)


@attrs.define
class Clock:
    """What a document has said of its times so far: its year and the day of the lines
    that follow (from the metadata, a date heading or a dated line), and its zone."""

    day: date | None = None
    zone: tzinfo | None = None
    start: date | None = None
    """The incident's first day, from which ``Day 2`` counts."""


@attrs.frozen
class Stamp:
    """A line's time (ISO; a date alone for a dated line), the event after it, and what is
    wrong with the time if it could not be placed."""

    when: str | None
    rest: str
    problem: str | None = None
    written: str = ""
    """The text the time was read from."""


def _zone(name: str | None, clock: Clock) -> tuple[tzinfo | None, str | None]:
    """The zone ``name`` names (an abbreviation, an offset or a city of the IANA database,
    ``Denver``), and what is wrong with it: an abbreviation of several zones, or "unknown"
    for a word that names no zone."""
    if not name:
        return clock.zone, None
    city = _cities().get(name.replace(" ", "_"))
    if city is not None:
        from zoneinfo import ZoneInfo

        return ZoneInfo(city), None
    upper = name.upper()
    if upper in _HOURS:
        return timezone(timedelta(hours=_HOURS[upper])), None
    offset = re.fullmatch(r"(?:UTC)?([+-])(\d{1,2}):?(\d{2})?", upper)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        return timezone(
            sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0))
        ), None
    if upper in AMBIGUOUS_ZONES:
        return None, f"the zone {name} names several zones; give the offset (e.g. +05:30)"
    return clock.zone, "unknown"


def read_stamp(line: str, clock: Clock) -> Stamp | None:
    """The time that starts ``line`` and the rest of it; None when it starts with none. A
    date alone (a dated line, or a heading of the day) moves ``clock`` to that day."""
    match = _STAMP.match(line[:200])
    if match is None or not (
        match["hour"]
        or match["year"]
        or match["monthname"]
        or match["monthafter"]
        or match["dayword"]
    ):
        return None
    rest = line[match.end() :].strip()
    day = _day(match, clock)
    if day is None:
        return None
    zone, problem = _zone(match["zone"], clock)
    if problem == "unknown":  # a word after the time, the event's first: not a zone
        zone, problem = clock.zone, None
        rest = line[match.start("zone") :].strip()
    if problem:
        return Stamp(None, line.strip(), problem)
    if not match["hour"]:
        clock.day = day
        return Stamp(day.isoformat(), rest, written=line[: len(line) - len(rest)])
    hour, minute = int(match["hour"]), int(match["minute"] or match["compact"] or 0)
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        when = datetime(
            day.year,
            day.month,
            day.day,
            hour,
            minute,
            int(match["second"] or 0),
            tzinfo=zone or timezone.utc,
        )
    except ValueError:
        return None
    if match["year"] or match["monthname"] or match["monthafter"] or match["shortmonth"]:
        clock.day = day
    return Stamp(when.isoformat(), rest, written=line[: len(line) - len(rest)])


def _day(match: re.Match[str], clock: Clock) -> date | None:
    base = clock.day
    try:
        if match["year"]:
            return date(int(match["year"]), int(match["month"]), int(match["day"]))
        first = clock.start or base
        if match["dayword"] and first is not None:
            return first + timedelta(days=int(match["daynumber"]) - 1)
        year = base.year if base is not None else None
        if match["shortmonth"]:
            return (
                None
                if year is None
                else date(year, int(match["shortmonth"]), int(match["shortday"]))
            )
        if match["monthname"] or match["monthafter"]:
            month = _MONTHS[(match["monthname"] or match["monthafter"]).lower()]
            number = int(match["monthday"] or match["dayfirst"])
            named = match["namedyear"] or match["yearafter"]
            year = int(named) if named else year
            return None if year is None else date(year, month, number)
    except ValueError:
        return None
    return base


_DECLARED = re.compile(r"\btimes?\b", re.IGNORECASE)
_ZONE_WORD = re.compile(r"(?<![A-Za-z])(UTC[+-]\d{1,2}|[A-Z]{2,4})(?![A-Za-z])")


def declared_zone(text: str) -> tuple[tzinfo | None, str | None]:
    """The zone a sentence such as ``All times in PDT (UTC-7).`` declares (its first known
    abbreviation or offset after "times"), and what is wrong with it (an abbreviation of
    several zones); (None, None) when it declares none."""
    match = _DECLARED.search(text[:300])
    if match is None:
        return None, None
    for word in _ZONE_WORD.findall(text[match.end() : match.end() + 80]):
        zone, problem = _zone(word, Clock())
        if problem != "unknown":
            return zone, problem
    return None, None


def zone_named(name: str) -> tzinfo:
    """The zone ``name`` names: an offset (``+05:30``, ``UTC-7``), an abbreviation of one
    offset (``CET``) or an IANA zone (``Europe/Berlin``); ValueError saying why otherwise."""
    zone, problem = _zone(name, Clock())
    if zone is not None and problem is None:
        return zone
    if problem is not None and problem != "unknown":
        raise ValueError(problem)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"no zone {name!r} (e.g. Europe/Berlin, +05:30 or CET)") from None


@cache
def _cities() -> dict[str, str]:
    """The cities of the IANA zone database, by name (``Denver``: ``America/Denver``); none
    where the system has no zone database."""
    from zoneinfo import available_timezones

    cities: dict[str, str] = {}
    for name in sorted(available_timezones()):
        city = name.rsplit("/", 1)[-1]
        if "/" in name and city[:1].isupper() and not city.isupper():
            cities.setdefault(city, name)
    return cities


_DATE_IN = re.compile(
    rf"\b(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH})\.?,?\s+\d{{4}})\b",
    re.IGNORECASE,
)


def date_in(text: str) -> date | None:
    """The first full date written in ``text`` (a heading such as ``Timeline - May 29,
    2021``), or None."""
    found = _DATE_IN.search(text[:300])
    if found is None:
        return None
    stamp = read_stamp(found.group(), Clock())
    return date.fromisoformat(stamp.when[:10]) if stamp is not None and stamp.when else None
