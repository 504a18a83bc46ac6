"""The five templates as profiles: which sections each has, in what order, and which it requires.

A profile names sections by the :class:`~postmortem.PostMortem` field that holds
them, with the heading the template gives that section.
"""

from collections.abc import Iterator, Mapping

import attrs

from postmortem.model import (
    SECTION_NAMES,
    DocumentStatus,
    PostMortem,
    ProfileName,
    Severity,
    SeverityScale,
)

__all__ = ["PROFILES", "Profile", "SectionSpec", "get_profile", "profile_problems"]


@attrs.frozen
class SectionSpec:
    """A section as one template shows it."""

    field: str
    heading: str
    required: bool = False
    added: bool = False
    """The section is this library's, not the original template's (the security depth the
    template's prose leaves out)."""

    def __attrs_post_init__(self) -> None:
        if self.field not in SECTION_NAMES:
            raise ValueError(f"no section {self.field!r} in the document model")


@attrs.frozen
class Profile:
    """One template: its name, title, severity scale and sections in reading order."""

    name: ProfileName
    title: str
    description: str
    severity_scale: SeverityScale
    sections: tuple[SectionSpec, ...]
    metadata_fields: tuple[str, ...]
    metadata_labels: Mapping[str, str] = attrs.field(factory=dict)
    """The template's own words for metadata fields, where they differ from the field's label."""
    required_when_final: tuple[str, ...] = ()
    """Sections a Final document must have besides the required ones (the sign-off parts)."""
    required_fields: tuple[str, ...] = ()
    """Fields (``section.field``) a required section must fill in, not just have."""

    @property
    def section_fields(self) -> tuple[str, ...]:
        return tuple(section.field for section in self.sections)

    @property
    def required_sections(self) -> tuple[str, ...]:
        return tuple(section.field for section in self.sections if section.required)

    def required_for(self, status: DocumentStatus) -> tuple[str, ...]:
        """The sections a document of ``status`` must fill in (the policy may say otherwise)."""
        final = self.required_when_final if status is DocumentStatus.FINAL else ()
        return self.required_sections + final

    def required_fields_of(self, section: str) -> tuple[str, ...]:
        """The fields of ``section`` that must be filled in when the section is required."""
        return tuple(
            name.partition(".")[2]
            for name in self.required_fields
            if name.partition(".")[0] == section
        )

    @property
    def severities(self) -> tuple[Severity, ...]:
        """The severity levels of the profile's scale, most severe first."""
        return tuple(level for level in Severity if level.scale is self.severity_scale)

    def heading(self, field: str) -> str:
        for section in self.sections:
            if section.field == field:
                return section.heading
        raise KeyError(field)


def _sections(
    *specs: tuple[str, str] | tuple[str, str, bool] | tuple[str, str, bool, bool],
) -> tuple[SectionSpec, ...]:
    return tuple(SectionSpec(*spec) for spec in specs)


_REQUIRED = True
_ADDED = True
_SECURITY_ASSESSMENT = (
    "assessment.determination",
    "assessment.investigation_status",
    "assessment.discovered_by",
)
"""What a security document must say of the incident: what it is, where the investigation
stands, and who discovered it."""

PROFILES: Mapping[ProfileName, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            name=ProfileName.RETROSPECTIVE,
            metadata_labels={
                "severity": "Incident Level",
                "created": "Created Date",
                "updated": "Last Updated",
                "chat_channels": "Slack Channels",
                "working_folder": "Working folder",
                "working_document": "Incident working document",
            },
            title="Incident Retrospective",
            description="Retrospective of an incident (Sev 1-4), filled in together or async.",
            severity_scale=SeverityScale.SEV,
            metadata_fields=(
                "id",
                "title",
                "authors",
                "version",
                "created",
                "updated",
                "severity",
                "tickets",
                "chat_channels",
                "working_folder",
                "working_document",
            ),
            sections=_sections(
                ("guidance", "Overview"),
                ("summary", "Summary of incident", _REQUIRED),
                ("participants", "Retrospective Authors", _REQUIRED),
                ("lessons", "What went well / ok / didn't go well", _REQUIRED),
                ("open_questions", "Open questions"),
                ("action_items", "Action Items/Followups", _REQUIRED),
                ("other_notes", "Other Notes"),
            ),
        ),
        Profile(
            name=ProfileName.SECURITY_POSTMORTEM,
            metadata_labels={"report_date": "Date", "authors": "Author"},
            title="Security Incident Post-Mortem Report",
            description="Post-mortem of a breach: attack phases, root cause 3.1-3.5, IOCs.",
            severity_scale=SeverityScale.RATING,
            metadata_fields=(
                "id",
                "title",
                "report_date",
                "authors",
                "classification",
                "severity",
                "incident_status",
                "time_zone",
                "lifecycle",
            ),
            sections=_sections(
                ("summary", "1. Executive Summary", _REQUIRED),
                ("assessment", "Determination", _REQUIRED, _ADDED),
                ("impact", "Key Facts", _REQUIRED),
                ("detection", "Time to Detection"),
                ("timeline", "2. Incident Timeline", _REQUIRED),
                ("root_cause", "3. Root Cause Analysis", _REQUIRED),
                ("response", "4. Containment and Remediation", _REQUIRED),
                ("recommendations", "5. Recommendations", _REQUIRED),
                ("lessons", "6. Lessons Learned", _REQUIRED),
                ("compliance", "7. Regulatory Notifications", not _REQUIRED, _ADDED),
                ("iocs", "A. Indicators of Compromise (IOCs)"),
                ("affected_systems", "B. Affected Systems"),
                ("evidence", "C. Evidence Preservation"),
                ("history", "Document History"),
                ("distribution", "Distribution", _REQUIRED),
            ),
            required_fields=_SECURITY_ASSESSMENT,
        ),
        Profile(
            name=ProfileName.SECURITY_INCIDENT_REPORT,
            metadata_labels={
                "detected": "Date Detected",
                "resolved": "Date Resolved",
                "incident_status": "Status",
                "status": "Document status",
                "prepared_by": "Report Prepared By",
                "report_date": "Report Date",
                "version": "Report Version",
                "next_review": "Next Review Date",
            },
            title="Security Incident Report",
            description="Security incident report: response, notifications, compliance, cost.",
            severity_scale=SeverityScale.RATING,
            metadata_fields=(
                "id",
                "title",
                "time_zone",
                "lifecycle",
                "severity",
                "incident_status",
                "prepared_by",
                "report_date",
                "version",
                "next_review",
                "contact",
            ),
            sections=_sections(
                ("summary", "Executive Summary", _REQUIRED),
                ("assessment", "Determination", _REQUIRED, _ADDED),
                ("timeline", "Timeline", _REQUIRED),
                ("root_cause", "Root Cause", _REQUIRED),
                ("impact", "Impact Assessment", _REQUIRED),
                ("response", "Response Actions", _REQUIRED),
                ("technical_details", "Technical Details"),
                ("notifications", "Notifications"),
                ("lessons", "Lessons Learned"),
                ("gaps", "Gaps Identified"),
                ("action_items", "Action Items", _REQUIRED),
                ("prevention_plan", "Prevention Measures"),
                ("compliance", "Compliance and Regulatory"),
                ("cost", "Cost Analysis"),
                ("approvals", "Approvals"),
                ("references", "References"),
            ),
            required_when_final=("notifications", "compliance", "approvals"),
            required_fields=_SECURITY_ASSESSMENT,
        ),
        Profile(
            name=ProfileName.INCIDENT_RESPONSE_REPORT,
            metadata_labels={
                "incident_status": "Status",
                "status": "Document status",
                "created": "Date Created",
                "updated": "Last Updated",
                "prepared_by": "Report Prepared By",
                "next_review": "Review Date",
            },
            title="Incident Response Report",
            description="Operations incident response report: impact, response, communication.",
            severity_scale=SeverityScale.RATING,
            metadata_fields=(
                "id",
                "title",
                "severity",
                "incident_status",
                "created",
                "updated",
                "prepared_by",
                "next_review",
            ),
            sections=_sections(
                ("summary", "Executive Summary", _REQUIRED),
                ("timeline", "Timeline", _REQUIRED),
                ("impact", "Impact Assessment", _REQUIRED),
                ("root_cause", "Root Cause", _REQUIRED),
                ("response", "Response Actions", _REQUIRED),
                ("lessons", "Post-Incident Analysis / Lessons Learned"),
                ("action_items", "Action Items", _REQUIRED),
                ("technical_details", "Technical Details"),
                ("communication", "Communication"),
                ("follow_up", "Follow-up Actions"),
                ("attachments", "Attachments"),
                ("distribution", "Distribution"),
            ),
        ),
        Profile(
            name=ProfileName.POSTMORTEM,
            metadata_labels={"started": "Incident Date", "incident_log": "Incident Log"},
            title="Post-Mortem",
            description="Blameless post-mortem for P1-P3 incidents: 5 whys, runbook lessons.",
            severity_scale=SeverityScale.P,
            metadata_fields=(
                "id",
                "title",
                "time_zone",
                "lifecycle",
                "severity",
                "authors",
                "status",
                "incident_log",
            ),
            sections=_sections(
                ("guidance", "How to Use"),
                ("summary", "Summary", _REQUIRED),
                ("impact", "Impact", _REQUIRED),
                ("timeline", "Timeline", _REQUIRED),
                ("root_cause", "Root Cause", _REQUIRED),
                ("lessons", "What Went Well / What Went Wrong", _REQUIRED),
                ("where_we_got_lucky", "Where We Got Lucky"),
                ("action_items", "Action Items", _REQUIRED),
                ("runbooks", "Lessons for Runbooks"),
                ("detection", "Detection", _REQUIRED),
                ("references", "Links"),
                ("meeting_notes", "Meeting Notes"),
            ),
        ),
    )
}


def get_profile(name: ProfileName | str) -> Profile:
    """The profile called ``name``; ``ValueError`` listing the names if there is none."""
    try:
        return PROFILES[ProfileName(name)]
    except ValueError:
        known = ", ".join(profile.value for profile in ProfileName)
        raise ValueError(f"unknown profile {name!r}; known profiles: {known}") from None


def profile_problems(document: PostMortem) -> Iterator[tuple[tuple[str, ...], str]]:
    """(field path, message) for each value the document's profile does not allow: a
    severity from another template's scale."""
    profile = get_profile(document.profile)
    severity = document.metadata.severity
    if severity is not None and severity.scale is not profile.severity_scale:
        allowed = ", ".join(level.value for level in profile.severities)
        yield (
            ("metadata", "severity"),
            f"{severity.value!r} is not a severity of the {profile.name.value} profile"
            f" ({profile.severity_scale.value}): use one of {allowed}",
        )
