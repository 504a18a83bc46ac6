"""What each page of the site shows: a document's page, and the pages across the library
(the home page with the figures, charts and list; the follow-ups; the search index; the
Atom feed; the stylesheets and script)."""

import contextlib
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import attrs

from postmortem._version import __version__
from postmortem.metrics import (
    OpenFollowUp,
    completion_rate,
    durations,
    figure,
    follow_up_tally,
    instant,
    milestones,
    open_follow_ups,
)
from postmortem.model import Classification, Link, PostMortem
from postmortem.site.charts import (
    FollowUpLoad,
    IncidentPoint,
    follow_ups_by_owner,
    incidents_by_month,
    minutes_text,
    response_times,
)
from postmortem.site.content import body_html, safe_link
from postmortem.site.pages import ASSETS, render_page, script_assignment

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = ["SITE_TITLE", "SiteDocument", "aggregate_files", "document_page"]

SITE_TITLE = "Incident library"
_SUMMARY_IN_INDEX = 2000
"""Characters of each summary the search index holds: enough to find, small to load."""
_FEED_ENTRIES = 50


@attrs.frozen
class SiteDocument:
    """A document as the site shows it (an exported copy in an audience build), with the
    slug of its page, where it was read and its policy."""

    slug: str
    path: str
    document: PostMortem
    policy: "Policy"

    @property
    def href(self) -> str:
        """The page, relative to the site's root."""
        return f"incidents/{self.slug}.html"

    @property
    def title(self) -> str:
        return self.document.metadata.title.strip() or self.document.metadata.id

    @property
    def started(self) -> date | None:
        moment = milestones(self.document).started
        return moment.date() if moment is not None else None

    @property
    def related_ids(self) -> tuple[str, ...]:
        references = self.document.references
        return tuple(references.related_incidents) if references is not None else ()

    @property
    def sort_key(self) -> tuple[int, str, str]:
        """Newest first; undated ones last; then by id."""
        started = self.started
        return (-started.toordinal() if started else 1, self.document.metadata.id, self.slug)


def duration_text(value: timedelta | None) -> str:
    return minutes_text(_minutes(value))


def _common(
    documents: Sequence[SiteDocument],
    audience: Classification | None,
    today: date,
    root: str,
    current: str,
) -> dict[str, Any]:
    return {
        "root": root,
        "current": current,
        "site_title": SITE_TITLE,
        "audience": audience.value if audience is not None else None,
        "documents_count": len(documents),
        "built": today.isoformat(),
        "version": __version__,
    }


def _section_labels(doc: PostMortem, policy: "Policy") -> dict[str, str]:
    """Each section heading of the document's layout, with the label of that section: its
    own, else the policy's default for it when that is below the document's, else the
    document's (as :class:`postmortem.audiences.Labels` ranks them); "Withheld" for a
    section an exported copy withholds from its audience."""
    from postmortem.profiles import get_profile

    document_label = doc.metadata.classification
    own = {item.section: item.classification for item in doc.metadata.section_labels}
    labels = {}
    for section in get_profile(doc.profile).sections:
        if section.field in doc.metadata.withheld:  # an exported copy's: not for its audience
            labels[section.heading] = "Withheld"
            continue
        label = own.get(section.field)
        default = policy.section_labels.get(section.field)
        if label is None and default is not None:
            below = document_label is None or (
                policy.sensitivity(default) < policy.sensitivity(document_label)
            )
            label = default if below else document_label
        label = label if label is not None else document_label
        if label is not None:
            labels[section.heading] = label.value
    return labels


def _link(link: Link) -> dict[str, str | None]:
    label = (link.label or "").strip() or link.url
    return {"label": label, "href": link.url if safe_link(link.url) else None}


def document_page(
    item: SiteDocument,
    documents: Sequence[SiteDocument],
    audience: Classification | None,
    base_url: str | None,
    today: date,
) -> str:
    """The page of one document: its layout as HTML, its contents, its related incidents
    and tickets."""
    from postmortem.profiles import get_profile
    from postmortem.render import render

    doc, policy = item.document, item.policy
    markdown = render(doc, templates=policy.templates_dir(), within=policy.root)
    body = body_html(markdown, _section_labels(doc, policy))
    metadata = doc.metadata
    measured = durations(doc)
    facts = [
        ("Severity", metadata.severity.value if metadata.severity else None),
        ("Status", metadata.status.value),
        ("Incident", metadata.incident_status.value if metadata.incident_status else None),
        ("Began", item.started.isoformat() if item.started else None),
        ("Detected after", duration_text(measured.to_detect) if measured.to_detect else None),
        ("Resolved after", duration_text(measured.to_resolve) if measured.to_resolve else None),
        ("Version", metadata.version),
    ]
    by_id = {other.document.metadata.id: other for other in documents}
    related = [
        {
            "id": related_id,
            "href": f"../{by_id[related_id].href}" if related_id in by_id else None,
            "title": by_id[related_id].title if related_id in by_id else None,
        }
        for related_id in item.related_ids
    ]
    references = doc.references
    links = [
        *metadata.tickets,
        *(references.dashboards if references else []),
        *(references.external if references else []),
    ]
    page = {
        "id": metadata.id,
        "title": item.title,
        "label": metadata.classification.value if metadata.classification else None,
        "profile_title": get_profile(doc.profile).title,
        "facts": [(name, value) for name, value in facts if value],
        "body": body.html,
        "headings": body.headings,
        "related": related,
        "tickets": [_link(link) for link in links],
    }
    return render_page(
        "document.html.j2",
        **_common(documents, audience, today, "../", "document"),
        page_title=item.title,
        canonical=f"{base_url}{item.href}" if base_url else None,
        doc=page,
    )


def aggregate_files(
    documents: Sequence[SiteDocument],
    audience: Classification | None,
    base_url: str | None,
    today: date,
) -> dict[str, str]:
    """Every file of the site but the documents' pages, by path relative to its root."""
    items = _open_items(documents, today)
    files = {
        "index.html": _home(documents, items, audience, base_url, today),
        "follow-ups.html": render_page(
            "follow_ups.html.j2",
            **_common(documents, audience, today, "", "follow-ups"),
            page_title="Open follow-ups",
            canonical=f"{base_url}follow-ups.html" if base_url else None,
            items=items,
            overdue=sum(1 for item in items if item["overdue"]),
            today=today.isoformat(),
        ),
        "search-index.js": script_assignment("postmortemIndex", _search_index(documents)),
        "feed.xml": _feed(documents, base_url, today),
    }
    for asset in sorted(ASSETS.iterdir()):
        if asset.suffix in (".css", ".js"):
            files[f"assets/{asset.name}"] = asset.read_text(encoding="utf-8")
    return files


def _open_items(documents: Sequence[SiteDocument], today: date) -> list[dict[str, Any]]:
    """Every open follow-up: overdue first, then by due date (undated last), owner, id."""
    items = []
    for item in documents:
        for follow_up in open_follow_ups(item.document):
            items.append(_open_item(item, follow_up, today))
    return sorted(
        items,
        key=lambda entry: (
            not entry["overdue"],
            entry["due"] is None,
            entry["due"] or "",
            entry["document_id"],
            entry["action"],
        ),
    )


def _open_item(item: SiteDocument, follow_up: OpenFollowUp, today: date) -> dict[str, Any]:
    ticket = _link(follow_up.ticket) if follow_up.ticket is not None else None
    return {
        "document_id": item.document.metadata.id,
        "href": item.href,
        "kind": follow_up.kind,
        "id": follow_up.id,
        "action": follow_up.action,
        "owner": follow_up.owner,
        "due": follow_up.due.isoformat() if follow_up.due else None,
        "overdue": follow_up.due is not None and follow_up.due < today,
        "status": follow_up.status.value if follow_up.status else None,
        "ticket_label": ticket["label"] if ticket else None,
        "ticket_href": ticket["href"] if ticket else None,
    }


def _home(
    documents: Sequence[SiteDocument],
    items: list[dict[str, Any]],
    audience: Classification | None,
    base_url: str | None,
    today: date,
) -> str:
    docs = [item.document for item in documents]
    measured = [durations(doc) for doc in docs]
    detect = figure(item.to_detect for item in measured)
    resolve = figure(item.to_resolve for item in measured)
    overdue = sum(1 for item in items if item["overdue"])
    rate = completion_rate(follow_up_tally(doc) for doc in docs)
    figures = [
        {"label": "Post-mortems", "value": str(len(docs)), "note": None, "alert": False},
        {
            "label": "Open follow-ups",
            "value": str(len(items)),
            "note": f"{overdue} overdue" if overdue else "none overdue",
            "alert": bool(overdue),
        },
        {
            "label": "Median time to detect",
            "value": duration_text(detect.median) if detect.median else "—",
            "note": f"{detect.known} of {len(docs)} known",
            "alert": False,
        },
        {
            "label": "Median time to resolve",
            "value": duration_text(resolve.median) if resolve.median else "—",
            "note": f"{resolve.known} of {len(docs)} known",
            "alert": False,
        },
        {
            "label": "Follow-ups done",
            "value": f"{rate:.0%}" if rate is not None else "—",
            "note": None,
            "alert": False,
        },
    ]
    points = [_point(item) for item in documents]
    loads: Counter[str] = Counter()
    late: Counter[str] = Counter()
    for entry in items:
        owner = entry["owner"] or "Unassigned"
        loads[owner] += 1
        late[owner] += entry["overdue"]
    charts = [
        incidents_by_month(points),
        response_times(points),
        follow_ups_by_owner([FollowUpLoad(owner, loads[owner], late[owner]) for owner in loads]),
    ]
    rows = [_row(item) for item in documents]
    filters = [
        {"name": name, "label": label, "choices": sorted({row[name] for row in rows} - {None})}
        for name, label in (
            ("severity", "Severity"),
            ("status", "Status"),
            ("profile", "Profile"),
            ("label", "Label"),
        )
    ]
    return render_page(
        "home.html.j2",
        **_common(documents, audience, today, "", "library"),
        page_title="Home",
        canonical=base_url,
        figures=figures,
        charts=charts,
        rows=rows,
        filters=filters,
    )


def _point(item: SiteDocument) -> IncidentPoint:
    measured = durations(item.document)
    severity = item.document.metadata.severity
    return IncidentPoint(
        id=item.document.metadata.id,
        started=item.started,
        severity=severity.value if severity else "Unknown",
        rank=severity.rank if severity else None,
        minutes_to_detect=_minutes(measured.to_detect),
        minutes_to_resolve=_minutes(measured.to_resolve),
    )


def _minutes(value: timedelta | None) -> float | None:
    return value.total_seconds() / 60 if value is not None else None


def _row(item: SiteDocument) -> dict[str, Any]:
    metadata = item.document.metadata
    return {
        "id": metadata.id,
        "title": item.title,
        "href": item.href,
        "started": item.started.isoformat() if item.started else "—",
        "severity": metadata.severity.value if metadata.severity else None,
        "rank": metadata.severity.rank if metadata.severity else 0,
        "status": metadata.status.value,
        "profile": item.document.profile.value,
        "label": metadata.classification.value if metadata.classification else None,
        "open_follow_ups": len(open_follow_ups(item.document)),
    }


def _search_index(documents: Sequence[SiteDocument]) -> list[dict[str, Any]]:
    """What the library's search and filters read: per document its filterable values and
    the text searched (title, id and the start of its summary)."""
    index = []
    for item in documents:
        row = _row(item)
        summary = item.document.summary
        text = summary.text[:_SUMMARY_IN_INDEX] if summary is not None else ""
        index.append(
            {
                "id": row["id"],
                "title": row["title"],
                "severity": row["severity"],
                "status": row["status"],
                "profile": row["profile"],
                "label": row["label"],
                "text": text,
            }
        )
    return index


def _updated(doc: PostMortem) -> datetime | None:
    metadata = doc.metadata
    for moment in (metadata.updated, metadata.created, metadata.report_date):
        if moment is not None:
            return instant(moment)
    return milestones(doc).started


def _feed(documents: Sequence[SiteDocument], base_url: str | None, today: date) -> str:
    """An Atom feed of the post-mortems, the latest updated first."""
    built = datetime(today.year, today.month, today.day, tzinfo=timezone.utc)
    dated = sorted(
        ((_updated(item.document) or built, item) for item in documents),
        key=lambda pair: (pair[0], pair[1].slug),
        reverse=True,
    )[:_FEED_ENTRIES]
    prefix = base_url or ""
    entries = [
        {
            "title": item.title,
            "atom_id": f"{base_url}{item.href}"
            if base_url
            else uuid.uuid5(uuid.NAMESPACE_URL, f"postmortem:{item.document.metadata.id}").urn,
            "updated": _atom_time(updated),
            "href": f"{prefix}{item.href}",
            "summary": item.document.summary.text if item.document.summary else "",
        }
        for updated, item in dated
    ]
    return render_page(
        "feed.xml.j2",
        site_title=SITE_TITLE,
        feed_id=f"{base_url}feed.xml"
        if base_url
        else uuid.uuid5(uuid.NAMESPACE_URL, "postmortem:feed").urn,
        updated=_atom_time(max((updated for updated, _ in dated), default=built)),
        self_href=f"{prefix}feed.xml",
        home_href=f"{prefix}index.html",
        version=__version__,
        entries=entries,
    )


def _atom_time(moment: datetime) -> str:
    """An RFC 3339 time, in UTC where it has one; a time whose UTC would fall in year 0 or
    10000 (``0001-01-01 00:00+05:00``) keeps its own offset. The year is always four
    digits (strftime's ``%Y`` writes year 1 as ``1``)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    with contextlib.suppress(OverflowError):
        aware = aware.astimezone(timezone.utc)
    written = aware.replace(microsecond=0).isoformat()
    return written.removesuffix("+00:00") + "Z" if written.endswith("+00:00") else written
