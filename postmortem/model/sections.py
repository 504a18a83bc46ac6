"""The sections a post-mortem is made of.

Where the templates share an idea (summary, timeline, impact, root cause, action
items, lessons) there is one class here; what only one template has gets a class
of its own. Every field is optional or defaults to empty: what a profile
requires is the profile's business, not the model's.
"""

from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from postmortem.model.common import (
    ChecklistItem,
    Link,
    Money,
    Person,
    When,
    attack_tactics,
    attack_techniques,
    describe,
    identifier,
    item_label,
    items,
    non_negative,
    optional,
    percentage,
    verbatim,
)
from postmortem.model.enums import (
    AttackPhase,
    Classification,
    DetectionMethod,
    DocumentStatus,
    IncidentStatus,
    Milestone,
    Priority,
    Severity,
)
from postmortem.model.security import AttackAnalysis

__all__ = [
    "Approval",
    "Cause",
    "CodeChange",
    "Communication",
    "Compliance",
    "CostAnalysis",
    "Detection",
    "Distribution",
    "HistoryEntry",
    "Impact",
    "Lessons",
    "Lifecycle",
    "MeetingNotes",
    "Metadata",
    "Notifications",
    "OpenQuestion",
    "Participant",
    "References",
    "RegulatoryNotice",
    "RootCause",
    "RunbookLessons",
    "SectionLabel",
    "Summary",
    "TechnicalDetails",
    "Timeline",
    "TimelineEvent",
    "UnmappedMarkdown",
    "Why",
]


@attrs.define(kw_only=True)
class SectionLabel:
    """The classification label of one section, when it is less sensitive than the document."""

    section: str = describe("the section's name, e.g. summary or iocs")
    classification: Classification = describe("its label, at most the document's")


def _check_time_zone(
    instance: object, attribute: "attrs.Attribute[str | None]", value: str | None
) -> None:
    if value is None:
        return
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"not a time zone: {value!r} (want an IANA name such as UTC or Europe/Berlin)"
        ) from None


@attrs.define(kw_only=True)
class Lifecycle:
    """The moments of the incident, each a time (or a date where only the day is known).

    A moment left out is unknown: the figures measured from it (time to detect,
    acknowledge, mitigate, resolve) are unknown too, never zero. A timeline row may mark
    one of them (:class:`TimelineEvent`'s ``milestone``) instead.
    """

    started: When | None = optional("when the incident began")
    detected: When | None = optional("when it was detected")
    aware: When | None = optional(
        "when the organisation became aware it is an incident; notification clocks run "
        "from here (else from detected)"
    )
    acknowledged: When | None = optional("when the response started (acknowledged)")
    root_cause_identified: When | None = optional("when the root cause was identified")
    mitigated: When | None = optional("when mitigation was applied (contained)")
    resolved: When | None = optional("when it was resolved; leave out while ongoing")
    closed: When | None = optional("when the incident was closed")
    customer_impact_start: When | None = optional("when customers began to be affected")
    customer_impact_end: When | None = optional("when customers stopped being affected")

    def moment(self, milestone: Milestone) -> When | None:
        """The time of ``milestone``, None where unknown."""
        value: When | None = getattr(self, milestone.value)
        return value


@attrs.define(kw_only=True)
class Metadata:
    """The header block: identity, status, labels, people, dates and where the work happened."""

    id: str = describe("incident identifier, e.g. INC-2024-0042", label="Incident ID")
    title: str = describe("a short title for the incident", default="")
    status: DocumentStatus = describe("where the document stands", default=DocumentStatus.DRAFT)
    classification: Classification | None = optional("classification label of the document")
    severity: Severity | None = optional("Sev 1-4, P1-P3, or Critical/High/Medium/Low")
    incident_status: IncidentStatus | None = optional("where the incident stands")
    authors: list[Person] = items("who wrote the document")
    version: str | None = optional("report version, e.g. 1.0")
    created: When | None = optional("when the document was created")
    updated: When | None = optional("when the document was last updated")
    report_date: date | None = optional("date of the report")
    time_zone: str | None = attrs.field(
        default=None,
        validator=_check_time_zone,
        metadata={
            "doc": "IANA time zone in which times written without a UTC offset are read, "
            "e.g. Europe/Berlin",
            "format": "time-zone",
        },
    )
    lifecycle: Lifecycle | None = optional(
        "when the incident started, was detected, acknowledged, mitigated, resolved, closed"
    )
    tickets: list[Link] = items("incident tickets")
    chat_channels: list[str] = items("chat channels used, e.g. #incident-42")
    tags: list[str] = items("words to find the document by, e.g. dns or security")
    working_folder: Link | None = optional("shared folder for the investigation")
    working_document: Link | None = optional("the incident working document")
    incident_log: Link | None = optional("the detailed incident log")
    prepared_by: Person | None = optional("who prepared the report")
    next_review: date | None = optional("when the report is next reviewed for follow-up")
    contact: str | None = optional("where to send questions about the report")
    section_labels: list[SectionLabel] = items(
        "labels of sections below the document's; a section without one has the document's"
    )
    exported_from: str | None = optional(
        "in an exported copy: the path of the document it was exported from"
    )
    withheld: list[str] = items("in an exported copy: sections withheld from its audience")


@attrs.define(kw_only=True)
class Summary:
    """Executive summary: what happened, the impact, and what was done."""

    text: str = describe("one to four paragraphs for leadership", default="")
    what_happened: str | None = optional("detailed description of the incident")
    immediate_actions: list[str] = items("containment actions taken at once")
    top_recommendations: list[str] = items("the most important recommendations, in order")


@attrs.define(kw_only=True)
class Participant:
    """Somebody who took part in the retrospective, and how they were involved."""

    name: str = describe("full name")
    role: str | None = optional("role, e.g. Security Incident Commander")
    involvement: str | None = optional("what they did in the incident")


@attrs.define(kw_only=True)
class Impact:
    """Who and what was affected, for how long, and at what cost."""

    description: str | None = optional("the impact in prose")
    users_affected: int | None = non_negative("number of affected users")
    users_affected_percent: float | None = percentage(
        "share of all users affected, 0-100", label="Share of users affected (%)"
    )
    records_affected: int | None = non_negative("number of data records affected")
    user_impact: list[str] = items("how users were affected")
    duration: timedelta | None = optional("total downtime or degradation, e.g. 2h 30m")
    systems_affected: list[str] = items("affected systems, services or components")
    services_unavailable: list[str] = items("services that were unavailable")
    data_affected: list[str] = items("data exposed, modified or lost, with quantities")
    customer_impact: str | None = optional("impact on customers")
    business_impact: list[str] = items("revenue loss, SLA breaches, complaints, regulatory")
    funds_at_risk: Money | None = optional("funds that were at risk")
    actual_losses: Money | None = optional("money actually lost")
    public_visibility: str | None = optional("how visible the incident was to the public")
    media_coverage: str | None = optional("press and social media coverage")


@attrs.define(kw_only=True)
class TimelineEvent:
    """One row of a timeline, with the columns every template uses."""

    id: str | None = identifier("T4")
    time: When | None = optional(
        "when it happened; without a UTC offset, in the document's time_zone"
    )
    event: str = describe("what happened", default="")
    milestone: Milestone | None = optional(
        "the lifecycle moment this row marks: started, detected, acknowledged, "
        "root_cause_identified, mitigated, resolved, closed, customer_impact_start or _end"
    )
    phase: AttackPhase | None = optional("attack phase of the security post-mortem")
    tactics: list[str] = attack_tactics(
        "ATT&CK tactics of the event, e.g. TA0008 or Lateral Movement"
    )
    techniques: list[str] = attack_techniques("ATT&CK technique ids of the event, e.g. T1078.004")
    evidence_source: str | None = optional("log or system the event is known from")
    action_taken: str | None = optional("what was done in response")
    actor: str | None = optional("person or team who acted")
    classification: Classification | None = item_label()


@attrs.define(kw_only=True)
class Timeline:
    """What happened when."""

    events: list[TimelineEvent] = items("events in chronological order")
    note: str | None = optional("e.g. where the detailed incident log is")


@attrs.define(kw_only=True)
class Why:
    """One step of a 5 whys analysis."""

    question: str = describe("Why did ... happen?")
    answer: str = describe("the answer", default="")


@attrs.define(kw_only=True)
class Cause:
    """One cause of the incident, of a kind from the taxonomy."""

    id: str | None = identifier("C1")
    description: str = describe("the cause")
    category: str | None = optional(
        "change, configuration, capacity, dependency, software defect, hardware, "
        "security compromise, process or unknown (the policy may add more)"
    )


@attrs.define(kw_only=True)
class RootCause:
    """Why the incident happened: one model for every profile. An attack's analysis (how
    they got in, what they found, how they moved, what they took, when it could have been
    detected) is part of it."""

    causes: list[Cause] = items("the primary, fundamental causes, each with its category")
    contributing_factors: list[str] = items("factors that made it possible or worse")
    five_whys: list[Why] = items("5 whys analysis")
    attack: AttackAnalysis | None = optional("the analysis of an attack (3.1-3.5)")


@attrs.define(kw_only=True)
class Detection:
    """How the incident was detected and how it could be detected sooner."""

    method: DetectionMethod | None = optional("what detected it")
    details: str | None = optional("how exactly it was detected")
    time_to_detect: timedelta | None = optional("from incident start to detection, e.g. 3h 10m")
    could_detect_faster: str | None = optional("could we have detected it faster, and how")


@attrs.define(kw_only=True)
class OpenQuestion:
    """A question the retrospective could not yet answer."""

    question: str = describe("the question")
    priority: Priority | None = optional("how urgent, P0 the most")
    notes: str | None = optional("notes")
    answer: str | None = optional("the answer, once known")


@attrs.define(kw_only=True)
class Lessons:
    """What went well, what did not, and what changes."""

    description: str | None = optional("the lessons in prose")
    went_well: list[str] = items("what went well")
    went_ok: list[str] = items("what went ok but could have gone better")
    went_wrong: list[str] = items("what went wrong or could be improved")
    process_changes: list[str] = items("process changes decided")
    prevention: list[str] = items("how to prevent this kind of incident")
    detection_improvements: list[str] = items("how to detect it earlier")
    response_improvements: list[str] = items("how to respond more effectively")


@attrs.define(kw_only=True)
class RunbookLessons:
    """Should a runbook be created or updated?"""

    new_runbooks: list[str] = items("runbooks to create, by type")
    runbooks_to_update: list[str] = items("existing runbooks to update")
    no_changes_needed: bool = describe("no runbook changes are needed", default=False)


@attrs.define(kw_only=True)
class CodeChange:
    """A pull request or commit that fixed the issue."""

    pull_request: str | None = optional("PR number or URL", label="PR")
    commit: str | None = optional("commit id")
    description: str | None = optional("what it changed")


@attrs.define(kw_only=True)
class TechnicalDetails:
    """Logs, code and configuration changes, and data impact."""

    logs: str | None = verbatim("relevant log entries or error messages (redact PII)")
    code_changes: list[CodeChange] = items("PRs and commits that fixed the issue")
    configuration_changes: list[str] = items("configuration or environment changes")
    data_impact: str | None = optional("data loss, corruption or integrity issues")


@attrs.define(kw_only=True)
class Notifications:
    """Who was notified, inside and outside."""

    internal: list[ChecklistItem] = items("internal notifications checklist")
    external: list[ChecklistItem] = items("external notifications checklist")
    content: str | None = optional("summary of the notification sent")


@attrs.define(kw_only=True)
class Communication:
    """How the incident was communicated."""

    internal: list[str] = items("internal stakeholder communications")
    escalation_path: list[str] = items("escalation path used, in order")
    external: list[str] = items("customer communications sent")
    status_page: list[str] = items("public status page updates")


@attrs.define(kw_only=True)
class RegulatoryNotice:
    """A notification made under a regime: which step of it, when, and its reference."""

    regime: str = describe("the regime, e.g. GDPR or NIS2 (built in or the policy's)")
    step: str = describe("its step, e.g. notification, early warning, final report")
    time: When | None = optional("when it was sent")
    reference: str | None = optional("the authority's case number or the message's reference")


@attrs.define(kw_only=True)
class Compliance:
    """Regulatory notifications and compliance actions."""

    gdpr_notification_required: bool | None = optional(
        "GDPR notification required (EU users)", label="GDPR notification required"
    )
    ccpa_notification_required: bool | None = optional(
        "CCPA notification required (CA users)", label="CCPA notification required"
    )
    other_notifications: list[ChecklistItem] = items("other regulatory notifications")
    regimes: list[str] = items("notification regimes that apply, e.g. GDPR, NIS2")
    notices: list[RegulatoryNotice] = items("what was notified to whom under a regime, and when")
    actions: list[str] = items("compliance-related actions taken")


@attrs.define(kw_only=True)
class CostAnalysis:
    """Direct and indirect cost of the incident."""

    currency: str = describe("ISO 4217 code of every amount here", default="USD")
    engineering_hours: float | None = non_negative("engineering time spent, in hours")
    hourly_rate: float | None = non_negative("cost of an engineering hour")
    cloud_resources: float | None = non_negative("cloud resource cost")
    external_consultants: float | None = non_negative("external consultants' fees")
    legal_fees: float | None = non_negative("legal fees")
    reputational_damage: str | None = optional("estimate of reputational damage")
    user_churn: int | None = non_negative("users lost")
    lost_revenue: float | None = non_negative("revenue lost")
    total: float | None = non_negative(
        "total estimated cost: the direct costs and lost revenue, when those are given"
    )

    @property
    def direct_total(self) -> float:
        labour = (self.engineering_hours or 0.0) * (self.hourly_rate or 0.0)
        others = (self.cloud_resources, self.external_consultants, self.legal_fees)
        return labour + sum(amount or 0.0 for amount in others)

    @property
    def parts_total(self) -> float | None:
        """The sum of the parts the total is made of; None when no part is given."""
        parts = (self.engineering_hours, self.cloud_resources, self.external_consultants,
                 self.legal_fees, self.lost_revenue)  # fmt: skip
        if all(part is None for part in parts):
            return None
        return self.direct_total + (self.lost_revenue or 0.0)


@attrs.define(kw_only=True)
class Approval:
    """A sign-off of the report."""

    role: str = describe("role of the approver, e.g. Security Lead")
    name: str | None = optional("approver's name")
    signature: str | None = optional("signature or its reference")
    date: When | None = optional("date of approval")


@attrs.define(kw_only=True)
class References:
    """Related incidents, changes, advisories and links."""

    related_incidents: list[str] = items("ids of related incidents")
    related_prs: list[str] = items("related pull requests", label="Related PRs")
    cves: list[str] = items("CVE numbers, e.g. CVE-2024-12345", label="CVEs")
    dashboards: list[Link] = items("dashboards")
    external: list[Link] = items("external resources")


@attrs.define(kw_only=True)
class MeetingNotes:
    """Notes of the post-mortem meeting."""

    date: When | None = optional("when the meeting took place")
    attendees: list[str] = items("who attended")
    discussion_points: list[str] = items("points discussed")


@attrs.define(kw_only=True)
class HistoryEntry:
    """A row of the document history table."""

    version: str = describe("document version")
    date: When | None = optional("date of the change")
    author: str | None = optional("who made the change")
    changes: str = describe("what changed", default="")


@attrs.define(kw_only=True)
class UnmappedMarkdown:
    """Markdown an import could not map to a field, kept as it was written."""

    heading: str = describe("the heading it stood under", default="")
    markdown: str = describe("the Markdown, verbatim", default="")
    line: int | None = optional("its line in the imported file")


@attrs.define(kw_only=True)
class Distribution:
    """Who may receive the report."""

    recipients: list[str] = items("approved recipients, by name or role")
    note: str | None = optional("e.g. handling instructions")
