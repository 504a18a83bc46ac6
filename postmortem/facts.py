"""What the repository views read of one document, small enough to keep for every document
of a repository and to cache beside its parse (:mod:`postmortem.cache`).

The facts follow from the document's content alone (never from the policy, the date or
other files), so they are kept under the same key as the parse. They go to and from JSON
through the strict converter, which checks every value read back.
"""

from datetime import date, datetime, timedelta
from typing import Any

import attrs

from postmortem.converter import structure, unstructure
from postmortem.metrics import action_item_tally, durations, milestones, open_follow_ups
from postmortem.model import Link, PostMortem

__all__ = ["DocumentFacts", "FollowUpFacts", "facts_from_json", "facts_of", "facts_to_json"]


@attrs.frozen(kw_only=True)
class FollowUpFacts:
    """An open action item or recommendation (:func:`postmortem.metrics.open_follow_ups`),
    with the line it is written on."""

    line: int
    kind: str
    action: str
    owner: str | None = None
    due: date | None = None
    status: str | None = None
    ticket: Link | None = None


@attrs.frozen(kw_only=True)
class DocumentFacts:
    """One document as the index, the action list and the statistics read it."""

    id: str
    title: str
    profile: str
    status: str
    severity: str | None = None
    incident_status: str | None = None
    classification: str | None = None
    exported: bool = False
    """Whether it is a copy exported for an audience (``metadata.exported_from``)."""
    began: datetime | None = None
    time_to_detect: timedelta | None = None
    time_to_resolve: timedelta | None = None
    action_items: int = 0
    action_items_counted: int = 0
    """Action items that count towards the completion rate (all but the cancelled)."""
    action_items_completed: int = 0
    open_follow_ups: list[FollowUpFacts] = attrs.Factory(list)


def facts_of(document: PostMortem, line_of: Any) -> DocumentFacts:
    """The facts of ``document``; ``line_of(field_path)`` is the line a field is written on."""
    metadata = document.metadata
    measured = durations(document)
    counted, completed = action_item_tally(document)
    return DocumentFacts(
        id=metadata.id,
        title=metadata.title,
        profile=document.profile.value,
        status=metadata.status.value,
        severity=metadata.severity.value if metadata.severity else None,
        incident_status=metadata.incident_status.value if metadata.incident_status else None,
        classification=metadata.classification.value if metadata.classification else None,
        exported=metadata.exported_from is not None,
        began=milestones(document).began,
        time_to_detect=measured.to_detect,
        time_to_resolve=measured.to_resolve,
        action_items=len(document.action_items),
        action_items_counted=counted,
        action_items_completed=completed,
        open_follow_ups=[
            FollowUpFacts(
                line=line_of(item.field_path),
                kind=item.kind,
                action=item.action,
                owner=item.owner,
                due=item.due,
                status=item.status.value if item.status is not None else None,
                ticket=item.ticket,
            )
            for item in open_follow_ups(document)
        ],
    )


def facts_to_json(facts: DocumentFacts) -> Any:
    """``facts`` as JSON values: dates and times in ISO 8601, durations as the model writes
    them."""
    return _jsonable(unstructure(facts))


def facts_from_json(value: Any) -> DocumentFacts:
    """The facts :func:`facts_to_json` gave; ValueError (or a structuring error) for anything
    else."""
    return structure(value, DocumentFacts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    return value
