"""The home page's charts, drawn as inline SVG: no chart library, nothing from the network.

Each chart has a title and a description (``<title>``, ``<desc>``, ``aria-labelledby``),
labelled axes, and its figures as a table for who cannot see it. Colours come from the
stylesheet's classes, so the charts follow the light and dark themes. Every text is escaped.
"""

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date
from html import escape

import attrs

__all__ = [
    "Chart",
    "FollowUpLoad",
    "IncidentPoint",
    "follow_ups_by_owner",
    "incidents_by_month",
    "minutes_text",
    "response_times",
]

_WIDTH, _HEIGHT = 480, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 12, 70
_PLOT_WIDTH = _WIDTH - _LEFT - _RIGHT
_PLOT_HEIGHT = _HEIGHT - _TOP - _BOTTOM
_MOST_MONTHS = 36
_MOST_OWNERS = 12


@attrs.frozen
class Chart:
    """An SVG chart, and its figures as table rows (the text alternative)."""

    key: str
    title: str
    svg: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@attrs.frozen
class IncidentPoint:
    """What the charts need of one incident."""

    id: str
    started: date | None
    severity: str
    rank: int | None
    minutes_to_detect: float | None
    minutes_to_resolve: float | None


@attrs.frozen
class FollowUpLoad:
    """One owner's open follow-ups, and how many of them are overdue."""

    owner: str
    open: int
    overdue: int


def _frame(key: str, title: str, description: str, body: Sequence[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(description)}</desc>{"".join(body)}</svg>'
    )


def _text(x: float, y: float, text: str, css: str, anchor: str = "middle", turn: int = 0) -> str:
    rotation = f' transform="rotate({turn} {x:.1f} {y:.1f})"' if turn else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}"{rotation}>'
        f"{escape(text)}</text>"
    )


def _axes(x_label: str, y_label: str) -> list[str]:
    bottom = _TOP + _PLOT_HEIGHT
    return [
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}"/>',
        f'<line class="axis" x1="{_LEFT}" y1="{bottom}" x2="{_LEFT + _PLOT_WIDTH}" y2="{bottom}"/>',
        _text(_LEFT + _PLOT_WIDTH / 2, _HEIGHT - 36, x_label, "axis-label"),
        _text(14, _TOP + _PLOT_HEIGHT / 2, y_label, "axis-label", turn=-90),
    ]


def _empty(key: str, title: str) -> Chart:
    body = [_text(_WIDTH / 2, _HEIGHT / 2, "No data yet", "axis-label")]
    return Chart(key, title, _frame(key, title, "No data yet.", body), (), ())


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def incidents_by_month(points: Sequence[IncidentPoint]) -> Chart:
    """Stacked bars: incidents that began in each month, by severity (most severe at the
    bottom); the last 36 months that have any."""
    key, title = "chart-months", "Incidents per month by severity"
    dated = [point for point in points if point.started is not None]
    if not dated:
        return _empty(key, title)
    # The year as four digits: strftime's %Y leaves year 1 as "1" on glibc.
    counts = Counter(
        (f"{p.started.year:04d}-{p.started.month:02d}", p.severity) for p in dated if p.started
    )
    months = _months(min(month for month, _ in counts), max(month for month, _ in counts))
    months = months[-_MOST_MONTHS:]
    ranks = {point.severity: point.rank for point in dated}
    severities = sorted(ranks, key=lambda name: (ranks[name] or 99, name))
    totals = [sum(counts[month, name] for name in severities) for month in months]
    top = max(max(totals), 1)
    step = _PLOT_WIDTH / len(months)
    body = _axes("Month the incident began", "Incidents")
    for tick in range(top + 1) if top <= 6 else range(0, top + 1, math.ceil(top / 5)):
        y = _TOP + _PLOT_HEIGHT * (1 - tick / top)
        body.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" y2="{y:.1f}"/>'
        )
        body.append(_text(_LEFT - 6, y + 4, str(tick), "tick", "end"))
    for column, month in enumerate(months):
        x = _LEFT + column * step + step * 0.15
        height_so_far = 0.0
        for name in severities:
            count = counts[month, name]
            if not count:
                continue
            height = _PLOT_HEIGHT * count / top
            y = _TOP + _PLOT_HEIGHT - height_so_far - height
            body.append(
                f'<rect class="sev-{ranks[name] or 0}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{step * 0.7:.1f}" height="{height:.1f}">'
                f"<title>{escape(f'{month}: {count} {name}')}</title></rect>"
            )
            height_so_far += height
        if len(months) <= 6 or column % math.ceil(len(months) / 6) == 0:
            body.append(_text(x + step * 0.35, _TOP + _PLOT_HEIGHT + 16, month, "tick"))
    body.extend(_legend([(f"sev-{ranks[name] or 0}", name) for name in severities]))
    description = "; ".join(
        f"{month}: {total} incident{'s' if total != 1 else ''}"
        for month, total in zip(months, totals, strict=True)
        if total
    )
    rows = tuple(
        (month, *(str(counts[month, name]) for name in severities), str(total))
        for month, total in zip(months, totals, strict=True)
        if total
    )
    return Chart(
        key, title, _frame(key, title, description, body), ("Month", *severities, "Total"), rows
    )


def _legend(entries: Sequence[tuple[str, str]]) -> list[str]:
    parts = []
    x = _LEFT
    for css, name in entries:
        parts.append(f'<rect class="{css}" x="{x}" y="{_HEIGHT - 17}" width="11" height="11"/>')
        parts.append(_text(x + 15, _HEIGHT - 7, name, "legend", "start"))
        x += 26 + 8 * len(name)
    return parts


_TIME_TICKS = (
    (1, "1 min"),
    (10, "10 min"),
    (60, "1 h"),
    (360, "6 h"),
    (1440, "1 day"),
    (10080, "1 week"),
    (43200, "30 days"),
)


def response_times(points: Sequence[IncidentPoint]) -> Chart:
    """Each incident's time to detect and to resolve (a logarithmic scale from a minute to
    a month and beyond) against the date it began."""
    key, title = "chart-times", "Time to detect and to resolve per incident"
    measured = [
        point
        for point in points
        if point.started is not None
        and (point.minutes_to_detect is not None or point.minutes_to_resolve is not None)
    ]
    if not measured:
        return _empty(key, title)
    days = [point.started.toordinal() for point in measured if point.started]
    first, last = min(days), max(days)
    longest = max(
        value
        for point in measured
        for value in (point.minutes_to_detect, point.minutes_to_resolve)
        if value is not None
    )
    ceiling = math.log10(max(longest, 60) * 2)

    def y_of(minutes: float) -> float:
        return _TOP + _PLOT_HEIGHT * (1 - math.log10(max(minutes, 1)) / ceiling)

    def x_of(day: int) -> float:
        span = max(last - first, 1)
        return _LEFT + 12 + (_PLOT_WIDTH - 24) * ((day - first) / span if last > first else 0.5)

    body = _axes("Date the incident began", "Time (log scale)")
    for minutes, label in _TIME_TICKS:
        if math.log10(minutes) <= ceiling:
            y = y_of(minutes)
            body.append(
                f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" '
                f'y2="{y:.1f}"/>'
            )
            body.append(_text(_LEFT - 6, y + 4, label, "tick", "end"))
    for day, anchor in ((first, "start"), (last, "end")) if last > first else ((first, "middle"),):
        body.append(
            _text(
                x_of(day),
                _TOP + _PLOT_HEIGHT + 16,
                date.fromordinal(day).isoformat(),
                "tick",
                anchor,
            )
        )
    rows = []
    for point in sorted(measured, key=lambda point: (point.started, point.id)):
        assert point.started is not None
        x = x_of(point.started.toordinal())
        detect, resolve = point.minutes_to_detect, point.minutes_to_resolve
        if detect is not None and resolve is not None:
            body.append(
                f'<line class="span" x1="{x:.1f}" y1="{y_of(detect):.1f}" '
                f'x2="{x:.1f}" y2="{y_of(resolve):.1f}"/>'
            )
        if detect is not None:
            tip = f"{point.id}: detected after {minutes_text(detect)}"
            body.append(
                f'<circle class="detect" cx="{x:.1f}" cy="{y_of(detect):.1f}" r="5">'
                f"<title>{escape(tip)}</title></circle>"
            )
        if resolve is not None:
            tip = f"{point.id}: resolved after {minutes_text(resolve)}"
            y = y_of(resolve)
            body.append(
                f'<rect class="resolve" x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" '
                f'height="10"><title>{escape(tip)}</title></rect>'
            )
        rows.append(
            (point.id, point.started.isoformat(), minutes_text(detect), minutes_text(resolve))
        )
    body.extend(_legend([("detect", "time to detect"), ("resolve", "time to resolve")]))
    description = "; ".join(
        f"{row[0]} ({row[1]}): detected after {row[2]}, resolved after {row[3]}" for row in rows
    )
    columns = ("Incident", "Began", "Time to detect", "Time to resolve")
    return Chart(key, title, _frame(key, title, description, body), columns, tuple(rows))


def minutes_text(minutes: float | None) -> str:
    """A duration in minutes as a person reads it: minutes, hours or days."""
    if minutes is None:
        return "unknown"
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 2880:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def follow_ups_by_owner(loads: Sequence[FollowUpLoad]) -> Chart:
    """Horizontal bars: each owner's open follow-ups, the overdue part marked; the twelve
    owners with the most."""
    key, title = "chart-owners", "Open and overdue follow-ups by owner"
    shown = sorted(loads, key=lambda load: (-load.overdue, -load.open, load.owner))[:_MOST_OWNERS]
    if not shown:
        return _empty(key, title)
    top = max(load.open for load in shown)
    left = 150
    width = _WIDTH - left - _RIGHT - 30  # room for the count after the longest bar
    band = min(28.0, _PLOT_HEIGHT / len(shown))
    body = [
        f'<line class="axis" x1="{left}" y1="{_TOP}" x2="{left}" y2="{_TOP + _PLOT_HEIGHT}"/>',
        _text(left + width / 2, _HEIGHT - 36, "Open follow-ups", "axis-label"),
        _text(12, _TOP + _PLOT_HEIGHT / 2, "Owner", "axis-label", turn=-90),
    ]
    for row, load in enumerate(shown):
        y = _TOP + row * band + band * 0.15
        owner = load.owner if len(load.owner) <= 18 else load.owner[:17] + "…"
        body.append(_text(left - 6, y + band * 0.5, owner, "tick", "end"))
        tip = f"{load.owner}: {load.open} open, {load.overdue} overdue"
        body.append(
            f'<rect class="open" x="{left}" y="{y:.1f}" width="{width * load.open / top:.1f}"'
            f' height="{band * 0.7:.1f}"><title>{escape(tip)}</title></rect>'
        )
        if load.overdue:
            body.append(
                f'<rect class="overdue" x="{left}" y="{y:.1f}" '
                f'width="{width * load.overdue / top:.1f}" height="{band * 0.7:.1f}"/>'
            )
        body.append(
            _text(
                left + width * load.open / top + 6, y + band * 0.5, str(load.open), "tick", "start"
            )
        )
    body.extend(_legend([("open", "open"), ("overdue", "overdue")]))
    description = "; ".join(
        f"{load.owner}: {load.open} open, {load.overdue} overdue" for load in shown
    )
    rows = tuple((load.owner, str(load.open), str(load.overdue)) for load in shown)
    return Chart(
        key, title, _frame(key, title, description, body), ("Owner", "Open", "Overdue"), rows
    )
