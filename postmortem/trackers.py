"""Open follow-ups for the team's tracker, and the created tickets written back.

``postmortem actions --format jira-csv`` writes a file for Jira's CSV importer and
``--format github`` one JSON object a line for a ``gh issue create`` loop; each row carries
``<document id>/<follow-up id>`` (its :attr:`TrackerItem.ref`) and the follow-up's ticket
once it has one. ``postmortem actions link DOC ID KEY`` writes a created ticket into the
follow-up through :func:`postmortem.yaml_io.edit`, every other byte of the file kept.
"""

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Sequence
from datetime import date
from urllib.parse import urlsplit

import attrs

from postmortem._shown import shown
from postmortem.errors import UsageError
from postmortem.model import (
    ActionItem,
    FollowUp,
    Link,
    PostMortem,
    Priority,
    PriorityTier,
    Recommendation,
)
from postmortem.reports import OpenAction, Scanned

__all__ = [
    "TrackerItem",
    "github_lines",
    "jira_csv",
    "link_ticket",
    "ticket_for",
    "tracker_items",
]

SUMMARY_LIMIT = 255
"""Jira's longest summary (GitHub takes 256 characters for a title)."""

_JIRA_PRIORITIES = {
    Priority.P0: "Highest",
    Priority.P1: "High",
    Priority.P2: "Medium",
    Priority.P3: "Low",
    PriorityTier.CRITICAL: "Highest",
    PriorityTier.HIGH: "High",
    PriorityTier.MEDIUM: "Medium",
    PriorityTier.LOW: "Low",
}
"""The follow-up's priority (an action item's P0-P3, a recommendation's tier) as Jira's
default priority scheme names it."""

_GITHUB_HANDLE = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})")
"""An owner written as a user's ``@handle``: the GitHub login (a team, ``@org/team``, is no
assignee) and the Jira user name."""


@attrs.frozen
class TrackerItem:
    """An open follow-up as a tracker's issue."""

    ref: str
    """``<document id>/<follow-up id>``: which follow-up the issue tracks."""
    document: str
    """The document's file, for ``postmortem actions link``."""
    id: str
    title: str
    """One line, at most :data:`SUMMARY_LIMIT` characters."""
    body: str
    owner: str | None
    due: date | None
    priority: str | None
    """Jira's name for it: Highest, High, Medium or Low."""
    labels: tuple[str, ...]
    ticket: str | None
    """The ticket's key (its link's label) or URL, once the follow-up has one."""

    @property
    def handle(self) -> str | None:
        """The owner's login, where the owner is written as an ``@handle``."""
        handle = _GITHUB_HANDLE.fullmatch(self.owner or "")
        return handle.group(1) if handle else None


def tracker_items(
    actions: Iterable[OpenAction], documents: Sequence[Scanned]
) -> tuple[list[TrackerItem], list[str]]:
    """The open follow-ups ``actions`` as tracker issues, and a note for each left out: one
    without an id (``postmortem migrate`` gives it one) or whose id is not its own, which
    no created ticket could be written back to."""
    by_path = {scanned.path: scanned for scanned in documents}
    items: list[TrackerItem] = []
    left_out: list[str] = []
    loaded: tuple[str, PostMortem] | None = None  # the last one read (a document's come together)
    for action in actions:
        if loaded is None or loaded[0] != action.path:
            loaded = (action.path, by_path[action.path].document)
        document = loaded[1]
        where = f"{action.path}:{action.line}"
        if action.id is None:
            left_out.append(
                f"{where}: {action.kind} has no id, so no ticket could be linked back to it;"
                " left out (`postmortem migrate` gives every follow-up an id)"
            )
            continue
        matches = [item for _, item in document.follow_ups() if item.id == action.id]
        if len(matches) != 1:
            left_out.append(
                f"{where}: id {shown(action.id)} is used {len(matches)} times in the document;"
                " left out (PM406)"
            )
            continue
        items.append(_tracker_item(action, action.id, matches[0], document))
    return items, left_out


def _tracker_item(
    action: OpenAction, follow_up_id: str, item: FollowUp, document: PostMortem
) -> TrackerItem:
    metadata = document.metadata
    ref = f"{metadata.id}/{follow_up_id}"
    heading = item.title if isinstance(item, Recommendation) and item.title else item.action
    title = " ".join(heading.split()) or f"Follow-up {ref}"
    if len(title) > SUMMARY_LIMIT:
        title = title[: SUMMARY_LIMIT - 1] + "…"
    details = []
    if isinstance(item, Recommendation):
        details += [f"Risk addressed: {item.risk_addressed}"] if item.risk_addressed else []
        details += [f"Done when: {item.success_criteria}"] if item.success_criteria else []
    details += [f"Owner: {item.owner}"] if item.owner else []
    details += [f"Due: {item.due.isoformat()}"] if item.due else []
    where = f"{action.path}:{action.line}"
    source = f"{metadata.title} ({where})" if metadata.title else where
    details.append(f"From the post-mortem {metadata.id}: {source}; follow-up {ref}.")
    paragraphs = [item.action.strip(), "\n".join(details)]
    priority = None
    if isinstance(item, ActionItem) and item.priority is not None:
        priority = _JIRA_PRIORITIES[item.priority]
    elif isinstance(item, Recommendation):
        priority = _JIRA_PRIORITIES[item.tier]
    labels = ("postmortem", item.kind.value) if item.kind is not None else ("postmortem",)
    return TrackerItem(
        ref=ref,
        document=action.path,
        id=follow_up_id,
        title=title,
        body="\n\n".join(paragraph for paragraph in paragraphs if paragraph),
        owner=item.owner,
        due=item.due,
        priority=priority,
        labels=labels,
        ticket=_ticket_text(item.ticket),
    )


def _ticket_text(ticket: Link | None) -> str | None:
    if ticket is None:
        return None
    return ticket.label or ticket.url


JIRA_COLUMNS = ("Summary", "Description", "Assignee", "Due Date", "Priority", "Issue Type")
"""The columns Jira's CSV importer maps by name; then one ``Labels`` column per label (as
Jira takes several values of a field), ``Postmortem Ref`` and ``Ticket``."""


def jira_csv(items: Sequence[TrackerItem]) -> str:
    """A CSV file for Jira's importer: one Task a follow-up, dates as ``yyyy-MM-dd``, every
    cell that a spreadsheet would run as a formula prefixed with ``'``."""
    from postmortem.render.tables import spreadsheet_text

    label_columns = max((len(item.labels) for item in items), default=1)
    header = [*JIRA_COLUMNS, *["Labels"] * label_columns, "Postmortem Ref", "Ticket"]
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for item in items:
        labels = [*item.labels, *[""] * (label_columns - len(item.labels))]
        row = [
            item.title,
            item.body,
            item.handle or item.owner or "",
            item.due.isoformat() if item.due else "",
            item.priority or "",
            "Task",
            *labels,
            item.ref,
            item.ticket or "",
        ]
        writer.writerow([spreadsheet_text(cell) for cell in row])
    return stream.getvalue()


def github_lines(items: Sequence[TrackerItem]) -> str:
    """One JSON object a line (JSON Lines, ASCII) per follow-up: what ``gh issue create``
    takes (title, body, labels, assignees, milestone), the ``ref``, the ``document`` and
    ``id`` that ``postmortem actions link`` takes, and the ``ticket`` once known."""
    lines = []
    for item in items:
        issue = {
            "ref": item.ref,
            "document": item.document,
            "id": item.id,
            "title": item.title,
            "body": item.body,
            "labels": list(item.labels),
            "assignees": [item.handle] if item.handle else [],
            "milestone": None,
            "ticket": item.ticket,
        }
        lines.append(json.dumps(issue) + "\n")
    return "".join(lines)


def ticket_for(key: str, ticket_url: str | None) -> Link:
    """The link a created ticket is written as: a key (``PLAT-2231``) through the policy's
    ``ticket_url``, or the ticket's ``http``/``https`` URL (ASCII, as trackers give it); a
    usage error for anything else."""
    from postmortem.converter import TICKET_KEY, ticket_link

    if not key.isascii():
        raise UsageError(f"{shown(key)}: a ticket key or URL is ASCII (percent-encode the rest)")
    if TICKET_KEY.fullmatch(key):
        if ticket_url is None:
            raise UsageError(
                f"{shown(key)} is a ticket key, and the policy has no ticket_url to link it"
                " by: set ticket_url in .postmortem.yaml, or give the ticket's URL"
            )
        return ticket_link(key, ticket_url)
    try:
        scheme = urlsplit(key).scheme
        link = Link(url=key)
    except ValueError as error:
        raise UsageError(f"{error}; give a ticket key (PLAT-2231) or the ticket's URL") from None
    if scheme not in ("http", "https"):
        raise UsageError(
            f"{shown(key)} is neither a ticket key (PLAT-2231) nor an http(s) URL of a ticket"
        )
    return link


def link_ticket(
    path: str | os.PathLike[str],
    follow_up_id: str,
    ticket: Link,
    *,
    ticket_url: str | None,
    within: str | os.PathLike[str],
) -> bool:
    """Write ``ticket`` into the follow-up with ``follow_up_id`` of the document at ``path``
    (written short: the key alone where ``ticket_url`` gives its link, else the URL), every
    other byte of the file unchanged. False if it already has that ticket; a usage error,
    and the file untouched, if no follow-up or more than one has the id, or it has another
    ticket."""
    from postmortem.yaml_io import edit

    source = os.fspath(path)
    with edit(path, ticket_url=ticket_url, within=within) as doc:
        follow_ups = doc.follow_ups()
        matches = [item for _, item in follow_ups if item.id == follow_up_id]
        if not matches:
            ids = ", ".join(item.id for _, item in follow_ups if item.id) or "none"
            raise UsageError(
                f"{source}: no follow-up has the id {shown(follow_up_id)} (follow-ups: {ids})"
            )
        if len(matches) > 1:
            raise UsageError(
                f"{source}: {len(matches)} follow-ups have the id {shown(follow_up_id)};"
                " give each its own (PM406)"
            )
        [follow_up] = matches
        if follow_up.ticket is not None and follow_up.ticket.url == ticket.url:
            return False
        if follow_up.ticket is not None:
            raise UsageError(
                f"{source}: follow-up {follow_up_id} already has the ticket"
                f" {_ticket_text(follow_up.ticket)}; not replacing it with"
                f" {_ticket_text(ticket)}"
            )
        follow_up.ticket = ticket
    return True
