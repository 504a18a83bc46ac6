"""The canonical post-mortem document, composed of the section classes."""

from datetime import date

import attrs

from postmortem.model.common import Link, describe, items, optional
from postmortem.model.enums import ProfileName
from postmortem.model.follow_ups import (
    ActionItem,
    FollowUp,
    Gap,
    HorizonChecklist,
    Recommendation,
    Response,
)
from postmortem.model.sections import (
    Approval,
    Communication,
    Compliance,
    CostAnalysis,
    Detection,
    Distribution,
    HistoryEntry,
    Impact,
    Lessons,
    MeetingNotes,
    Metadata,
    Notifications,
    OpenQuestion,
    Participant,
    References,
    RootCause,
    RunbookLessons,
    Summary,
    TechnicalDetails,
    Timeline,
    TimelineEvent,
    UnmappedMarkdown,
)
from postmortem.model.security import (
    AffectedSystem,
    Assessment,
    EvidenceItem,
    Ioc,
)

__all__ = ["SCHEMA_VERSION", "SECTION_NAMES", "PostMortem"]

SCHEMA_VERSION = 2
"""The version of the document format this library writes. Documents of schema 1 are
upgraded as they are read (``postmortem migrate`` writes the upgrade back)."""


@attrs.define(kw_only=True)
class PostMortem:
    """One incident post-mortem. Its ``profile`` says which template it follows.

    Every field after ``metadata`` is a section; which of them a profile shows
    and requires is described by :mod:`postmortem.profiles`.
    """

    schema_version: int = describe(
        "version of the document format",
        default=SCHEMA_VERSION,
        validator=attrs.validators.and_(
            attrs.validators.ge(1), attrs.validators.le(SCHEMA_VERSION)
        ),
    )
    profile: ProfileName = describe("the template this document follows")
    metadata: Metadata = describe("identity, status, labels, people and dates")
    guidance: str | None = optional("how to use this document (Overview / How to Use)")
    summary: Summary | None = optional("executive summary")
    assessment: Assessment | None = optional(
        "a security incident's determination, investigation status, criticality, discovery"
    )
    participants: list[Participant] = items("retrospective authors: name, role, involvement")
    impact: Impact | None = optional("impact assessment")
    timeline: Timeline | None = optional("incident timeline")
    root_cause: RootCause | None = optional(
        "causes with their categories, contributing factors, 5 whys, an attack's analysis"
    )
    detection: Detection | None = optional("how it was detected, time to detection")
    response: Response | None = optional("response and containment actions")
    recommendations: list[Recommendation] = items("recommendations by priority tier")
    action_items: list[ActionItem] = items("action items with owner, deadline and status")
    open_questions: list[OpenQuestion] = items("open questions")
    lessons: Lessons | None = optional("lessons learned")
    gaps: list[Gap] = items("gaps identified")
    where_we_got_lucky: list[str] = items("fortunate circumstances not to rely on next time")
    runbooks: RunbookLessons | None = optional("lessons for runbooks")
    technical_details: TechnicalDetails | None = optional("logs, code and config changes")
    notifications: Notifications | None = optional("internal and external notifications")
    communication: Communication | None = optional("communication during the incident")
    prevention_plan: HorizonChecklist | None = optional("prevention measures by horizon")
    follow_up: HorizonChecklist | None = optional("follow-up actions by horizon")
    compliance: Compliance | None = optional("compliance and regulatory requirements")
    cost: CostAnalysis | None = optional("cost analysis")
    approvals: list[Approval] = items("sign-offs")
    references: References | None = optional("related incidents, PRs, CVEs, links")
    iocs: list[Ioc] = items("indicators of compromise", label="IOCs")
    affected_systems: list[AffectedSystem] = items("affected systems")
    evidence: list[EvidenceItem] = items("evidence preservation")
    attachments: list[Link] = items("dashboards, screenshots, chat logs, documents")
    meeting_notes: MeetingNotes | None = optional("post-mortem meeting notes")
    other_notes: list[str] = items("anything else worth keeping")
    history: list[HistoryEntry] = items("document history")
    distribution: Distribution | None = optional("distribution and approved recipients")
    unmapped: list[UnmappedMarkdown] = items("imported Markdown that no field holds, kept verbatim")

    def add_timeline_event(self, event: TimelineEvent) -> TimelineEvent:
        """Append ``event`` to the timeline, creating the timeline if needed."""
        if self.timeline is None:
            self.timeline = Timeline()
        self.timeline.events.append(event)
        return event

    def add_action_item(self, item: ActionItem) -> ActionItem:
        """Append an action item."""
        self.action_items.append(item)
        return item

    def follow_ups(self) -> list[tuple[tuple[str | int, ...], FollowUp]]:
        """Every follow-up of the document with its field path, wherever a template tracks
        work: action items, recommendations, response actions, the horizon checklists, and the
        recommendations of the gaps identified."""
        found: list[tuple[tuple[str | int, ...], FollowUp]] = []
        for section in ("action_items", "recommendations"):
            items: list[FollowUp] = getattr(self, section)
            found += [((section, index), item) for index, item in enumerate(items)]
        found += [(("gaps", index), gap) for index, gap in enumerate(self.gaps) if gap.action]
        for section, owner in (
            ("response", self.response),
            ("prevention_plan", self.prevention_plan),
            ("follow_up", self.follow_up),
        ):
            for field in attrs.fields(type(owner)) if owner is not None else ():
                values = getattr(owner, field.name)
                if values and isinstance(values[0], FollowUp):
                    found += [
                        ((section, field.name, index), item) for index, item in enumerate(values)
                    ]
        return found

    def open_follow_ups(self) -> list[tuple[tuple[str | int, ...], FollowUp]]:
        """Follow-ups that are neither done nor cancelled (no status counts as open)."""
        return [
            (path, item)
            for path, item in self.follow_ups()
            if item.status is None or item.status.is_open
        ]

    def overdue_follow_ups(self, today: date) -> list[tuple[tuple[str | int, ...], FollowUp]]:
        """Open follow-ups whose deadline is before ``today``."""
        return [
            (path, item)
            for path, item in self.open_follow_ups()
            if item.due is not None and item.due < today
        ]


SECTION_NAMES: tuple[str, ...] = tuple(field.name for field in attrs.fields(PostMortem)[3:])
"""The document's sections in canonical order (every field after ``metadata``)."""
