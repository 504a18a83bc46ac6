"""Every heading, table column, checklist and metadata field of the five templates has a typed home.

The lists below were written by hand from the files in ``shared/seeds``: each pairs
the template's own words with the model field that holds them. The tests check
that the field really is in the model and, where the templates are at hand
(``seeds_dir`` in conftest.py), that the words are really in the template.
"""

from pathlib import Path
from typing import Any, get_args, get_origin

import attrs
import pytest

from postmortem._typing import strip_optional
from postmortem.model import PostMortem
from postmortem.profiles import PROFILES

RETROSPECTIVE = {
    "Authors": "metadata.authors",
    "Version": "metadata.version",
    "Created Date": "metadata.created",
    "Last Updated": "metadata.updated",
    "Incident Level": "metadata.severity",
    "Tickets": "metadata.tickets",
    "Slack Channels": "metadata.chat_channels",
    "Working folder": "metadata.working_folder",
    "Incident working document": "metadata.working_document",
    "# Overview": "guidance",
    "# Summary of incident": "summary.text",
    "# Retrospective Authors": "participants",
    "| Name ": "participants[].name",
    "Role ": "participants[].role",
    "Involvement": "participants[].involvement",
    "# What went well?": "lessons.went_well",
    "# What went ok?": "lessons.went_ok",
    "# What didn't go well?": "lessons.went_wrong",
    "# Open questions": "open_questions",
    "| Priority | Question | Notes | Answer|": "open_questions[].question",
    "| Priority ": "open_questions[].priority",
    "| Notes |": "open_questions[].notes",
    "Answer|": "open_questions[].answer",
    "# Action Items/Followups": "action_items",
    "| Priority | Status|": "action_items[].priority",
    "Status|": "action_items[].status",
    "Action name": "action_items[].action",
    "Action owner": "action_items[].owner",
    "Estimated resolution": "action_items[].due",
    "Link to Jira ticket": "action_items[].ticket",
    "# Other Notes": "other_notes",
}

SECURITY_POSTMORTEM = {
    "**Incident ID:**": "metadata.id",
    "**Date:** [Report Date]": "metadata.report_date",
    "**Author:**": "metadata.authors",
    "**Classification:**": "metadata.classification",
    "## 1. Executive Summary": "summary.text",
    "### Key Facts": "impact",
    "**Incident Date(s)**": "metadata.incident_start",
    "[End date]": "metadata.incident_end",
    "**Detection Date**": "metadata.detected",
    "**Time to Detection**": "detection.time_to_detect",
    "**Data Affected**": "impact.data_affected",
    "**Systems Affected**": "impact.systems_affected",
    "**Customer Impact**": "impact.customer_impact",
    "**Current Status**": "metadata.incident_status",
    "### Immediate Actions Taken": "summary.immediate_actions",
    "### Top Recommendations": "summary.top_recommendations",
    "## 2. Incident Timeline": "timeline.events",
    "All times in": "timeline.events[].time",
    "### Phase 1: Initial Compromise": "timeline.events[].phase",
    "### Phase 2: Discovery/Reconnaissance": "timeline.events[].phase",
    "### Phase 3: Lateral Movement": "timeline.events[].phase",
    "### Phase 4: Data Access/Exfiltration": "timeline.events[].phase",
    "### Phase 5: Detection and Response": "timeline.events[].phase",
    "| Date/Time ": "timeline.events[].time",
    "| Event |": "timeline.events[].event",
    "Evidence Source": "timeline.events[].evidence_source",
    "## 3. Root Cause Analysis": "attack_analysis",
    "### 3.1 How Did They Get In? (Initial Access)": "attack_analysis.initial_access.description",
    "**Technical Details:**": "attack_analysis.initial_access.technical_details",
    "**Contributing Factors:**": "attack_analysis.initial_access.contributing_factors",
    "### 3.2 What Did They Find? (Discovery)": "attack_analysis.discovery.description",
    "**Information Gathered:**": "attack_analysis.discovery.information_gathered",
    "**Evidence:**": "attack_analysis.discovery.evidence",
    "### 3.3 How Did They Move? (Lateral Movement)": "attack_analysis.lateral_movement.description",
    "**Movement Path:**": "attack_analysis.lateral_movement.movement_path",
    "**Credentials/Access Used:**": "attack_analysis.lateral_movement.credentials_used",
    "### 3.4 What Did They Take? (Impact)": "attack_analysis.impact.description",
    "**Data Impact:**": "attack_analysis.impact.data_impact",
    "| Data Type ": "attack_analysis.impact.data_impact[].data_type",
    "Records Affected": "attack_analysis.impact.data_impact[].records_affected",
    "| Sensitivity |": "attack_analysis.impact.data_impact[].sensitivity",
    "**System Impact:**": "attack_analysis.impact.system_impact[].impact",
    "**Business Impact:**": "attack_analysis.impact.business_impact",
    "### 3.5 When Could We Have Detected It? (Detection Gaps)": (
        "attack_analysis.detection_gaps.description"
    ),
    "**Detection Opportunities:**": "attack_analysis.detection_gaps.opportunities",
    "| Point in Attack ": "attack_analysis.detection_gaps.opportunities[].point_in_attack",
    "Potential Detection": "attack_analysis.detection_gaps.opportunities[].potential_detection",
    "Why Missed": "attack_analysis.detection_gaps.opportunities[].why_missed",
    "**Logging Gaps:**": "attack_analysis.detection_gaps.logging_gaps",
    "**Alerting Gaps:**": "attack_analysis.detection_gaps.alerting_gaps",
    "## 4. Containment and Remediation": "response",
    "### Immediate Actions (Completed)": "response.immediate",
    "| Action | Date | Owner | Status |": "response.immediate[].time",
    "| Owner |": "response.immediate[].owner",
    "| Status |": "response.immediate[].status",
    "### Short-term Actions (In Progress)": "response.short_term",
    "| Due Date |": "response.short_term[].due",
    "## 5. Recommendations": "recommendations",
    "### Critical Priority (24-48 hours)": "recommendations[].tier",
    "#### 5.1 [Recommendation Title]": "recommendations[].title",
    "**Risk Addressed:**": "recommendations[].risk_addressed",
    "**Specific Action:**": "recommendations[].action",
    "**Owner:**": "recommendations[].owner",
    "**Due Date:**": "recommendations[].due",
    "**Success Criteria:**": "recommendations[].success_criteria",
    "**Estimated Effort:**": "recommendations[].effort",
    "## 6. Lessons Learned": "lessons",
    "### What Went Well": "lessons.went_well",
    "### What Could Be Improved": "lessons.went_wrong",
    "### Process Changes": "lessons.process_changes",
    "### A. Indicators of Compromise (IOCs)": "iocs",
    "| Type | Value | Context |": "iocs[].value",
    "| Type ": "iocs[].type",
    "| Context |": "iocs[].context",
    "### B. Affected Systems": "affected_systems",
    "| System | Role | Impact |": "affected_systems[].system",
    "| Role ": "affected_systems[].role",
    "| Impact |": "affected_systems[].impact",
    "### C. Evidence Preservation": "evidence",
    "| Evidence ": "evidence[].evidence",
    "| Location ": "evidence[].location",
    "| Retention |": "evidence[].retention",
    "## Document History": "history",
    "| Version ": "history[].version",
    "| Date ": "history[].date",
    "| Author ": "history[].author",
    "| Changes |": "history[].changes",
    "## Distribution": "distribution",
    "This document is classified as": "metadata.classification",
    "**Approved Recipients:**": "distribution.recipients",
}

SECURITY_INCIDENT_REPORT = {
    "**Incident ID**": "metadata.id",
    "**Date Detected**": "metadata.detected",
    "**Date Resolved**": "metadata.resolved",
    '(or "Ongoing")': "metadata.incident_status",
    "**Severity**": "metadata.severity",
    "**Status**": "metadata.incident_status",
    "## Executive Summary": "summary.text",
    "## Timeline": "timeline.events",
    "| Time (UTC) ": "timeline.events[].time",
    "| Event ": "timeline.events[].event",
    "| Action Taken ": "timeline.events[].action_taken",
    "| Person/Team |": "timeline.events[].actor",
    "### What Happened": "summary.what_happened",
    "### Root Cause": "root_cause.description",
    "### Impact Assessment": "impact",
    "**Systems Affected:**": "impact.systems_affected",
    "**Data Affected:**": "impact.data_affected",
    "Include number of users/records affected": "impact.data_affected",
    "**User Impact:**": "impact.user_impact",
    "Include number of affected users": "impact.users_affected",
    "**Business Impact:**": "impact.business_impact",
    "Service downtime duration": "impact.duration",
    "### Attack Vector (if security breach)": "root_cause.attack_vector",
    "## Response Actions": "response",
    "### Immediate Actions (Contain)": "response.immediate",
    "### Short-term Actions (Rotate/Revoke)": "response.short_term",
    "### Long-term Actions (Fix/Prevent)": "response.long_term",
    "**Action**": "response.immediate[].action",
    "**Result**": "response.immediate[].result",
    "**Time**": "response.immediate[].time",
    "**Command**": "response.short_term[].command",
    "**API Call**": "response.short_term[].api_call",
    "**Version**": "response.long_term[].version",
    "**Changes**": "response.long_term[].changes",
    "## Technical Details": "technical_details",
    "### Logs": "technical_details.logs",
    "### Code Changes": "technical_details.code_changes",
    "- PR:": "technical_details.code_changes[].pull_request",
    "- Commit:": "technical_details.code_changes[].commit",
    "### Configuration Changes": "technical_details.configuration_changes",
    "## Notifications": "notifications",
    "### Internal Notifications": "notifications.internal",
    "- [x] Security council notified": "notifications.internal[].done",
    "### External Notifications": "notifications.external",
    "- [ ] Affected users notified": "notifications.external[].item",
    "**Notification Content:**": "notifications.content",
    "## Lessons Learned": "lessons",
    "### What Went Well": "lessons.went_well",
    "### What Could Be Improved": "lessons.went_wrong",
    "### Gaps Identified": "gaps",
    "**Gap**": "gaps[].gap",
    "**Impact**": "gaps[].impact",
    "**Recommendation**": "gaps[].recommendation",
    "## Action Items": "action_items",
    "| Action Item ": "action_items[].action",
    "| Owner ": "action_items[].owner",
    "| Due Date ": "action_items[].due",
    "| Status |": "action_items[].status",
    "## Prevention Measures": "prevention_plan",
    "### Immediate (Deployed)": "prevention_plan.immediate",
    "### Short-term (Within 2 weeks)": "prevention_plan.short_term",
    "### Long-term (Within 1 quarter)": "prevention_plan.long_term",
    "## Compliance and Regulatory": "compliance",
    "GDPR notification required?": "compliance.gdpr_notification_required",
    "CCPA notification required?": "compliance.ccpa_notification_required",
    "Other regulatory notifications required?": "compliance.other_notifications",
    "### Compliance Actions": "compliance.actions",
    "## Cost Analysis": "cost",
    "### Direct Costs": "cost.total",
    "Engineering time: X hours": "cost.engineering_hours",
    "@ $Y/hour": "cost.hourly_rate",
    "Cloud resources": "cost.cloud_resources",
    "External consultants": "cost.external_consultants",
    "Legal fees": "cost.legal_fees",
    "### Indirect Costs": "cost.total",
    "Reputational damage": "cost.reputational_damage",
    "User churn": "cost.user_churn",
    "Lost revenue": "cost.lost_revenue",
    "**Total Estimated Cost**": "cost.total",
    "## Approvals": "approvals",
    "| Role ": "approvals[].role",
    "| Name ": "approvals[].name",
    "| Signature ": "approvals[].signature",
    "| Date |": "approvals[].date",
    "## References": "references",
    "Related incidents": "references.related_incidents",
    "Related PRs": "references.related_prs",
    "External resources": "references.external",
    "CVE numbers": "references.cves",
    "**Report Prepared By**": "metadata.prepared_by",
    "**Report Date**": "metadata.report_date",
    "**Report Version**": "metadata.version",
    "**Next Review Date**": "metadata.next_review",
    "**Contact**": "metadata.contact",
}

INCIDENT_RESPONSE_REPORT = {
    "# Incident Response Report: [Incident Title]": "metadata.title",
    "**Incident ID**": "metadata.id",
    "**Severity**": "metadata.severity",
    "**Status**": "metadata.incident_status",
    "**Date Created**": "metadata.created",
    "**Last Updated**": "metadata.updated",
    "## Executive Summary": "summary.text",
    "### Timeline": "timeline.events",
    "**[HH:MM UTC]**": "timeline.events[].time",
    "Issue first detected/reported": "timeline.events[].event",
    "### Impact Assessment": "impact",
    "**Users Affected**": "impact.users_affected",
    "Number/percentage of users": "impact.users_affected_percent",
    "**Systems Affected**": "impact.systems_affected",
    "**Business Impact**": "impact.business_impact",
    "**Duration**": "impact.duration",
    "### Root Cause": "root_cause.description",
    "## Response Actions": "response",
    "### Immediate Response": "response.checklist",
    "- [ ] Incident commander assigned": "response.checklist[].item",
    "### Investigation Steps": "response.investigation_steps",
    "### Resolution Steps": "response.resolution_steps",
    "## Post-Incident Analysis": "lessons",
    "### What Went Well": "lessons.went_well",
    "### What Could Be Improved": "lessons.went_wrong",
    "### Action Items": "action_items",
    "| Action ": "action_items[].action",
    "| Owner ": "action_items[].owner",
    "| Due Date ": "action_items[].due",
    "| Status ": "action_items[].status",
    "## Technical Details": "technical_details",
    "### Error Messages/Logs": "technical_details.logs",
    "### Configuration Changes": "technical_details.configuration_changes",
    "### Data Impact": "technical_details.data_impact",
    "## Communication": "communication",
    "### Internal Communications": "communication.internal",
    "[Escalation path used]": "communication.escalation_path",
    "### External Communications": "communication.external",
    "[Public status updates]": "communication.status_page",
    "## Lessons Learned": "lessons",
    "### Prevention Measures": "lessons.prevention",
    "### Detection Improvements": "lessons.detection_improvements",
    "### Response Improvements": "lessons.response_improvements",
    "## Follow-up Actions": "follow_up",
    "### Short-term (1-2 weeks)": "follow_up.short_term",
    "### Medium-term (1-3 months)": "follow_up.medium_term",
    "### Long-term (3+ months)": "follow_up.long_term",
    "## Attachments": "attachments",
    "**Report Prepared By**": "metadata.prepared_by",
    "**Review Date**": "metadata.next_review",
    "**Distribution**": "distribution.recipients",
}

POSTMORTEM = {
    "How to Use": "guidance",
    "INCIDENT TITLE": "metadata.title",
    "| Incident Date |": "metadata.incident_start",
    "| Severity | P1 / P2 / P3 |": "metadata.severity",
    "| Authors |": "metadata.authors",
    "| Status | Draft / Final |": "metadata.status",
    "| Incident Log |": "metadata.incident_log",
    "Summary\n": "summary.text",
    "Users affected:": "impact.users_affected",
    "Duration:": "impact.duration",
    "Services unavailable:": "impact.services_unavailable",
    "Funds at risk:": "impact.funds_at_risk",
    "Actual losses:": "impact.actual_losses",
    "Public visibility:": "impact.public_visibility",
    "Media coverage:": "impact.media_coverage",
    "| Time (UTC) | Event |": "timeline.events[].event",
    "| Incident began |": "timeline.events[].milestone",
    "| Root cause identified |": "timeline.events[].milestone",
    "See linked Incident Log for detailed timeline.": "timeline.note",
    "Primary Cause": "root_cause.description",
    "Contributing Factors": "root_cause.contributing_factors",
    "5 Whys": "root_cause.five_whys",
    "| Question | Answer |": "root_cause.five_whys[].answer",
    "| Why did [incident] happen? |": "root_cause.five_whys[].question",
    "What Went Well": "lessons.went_well",
    "What Went Wrong": "lessons.went_wrong",
    "Where We Got Lucky": "where_we_got_lucky",
    "Every action item needs an owner and deadline.": "action_items[].owner",
    "| Action | Owner | Deadline | Status |": "action_items[].due",
    "Lessons for Runbooks": "runbooks",
    "New runbook needed:": "runbooks.new_runbooks",
    "Existing runbook to update:": "runbooks.runbooks_to_update",
    "No runbook changes needed": "runbooks.no_changes_needed",
    "| How detected |": "detection.method",
    "| Time to detection |": "detection.time_to_detect",
    "| Could we detect faster? |": "detection.could_detect_faster",
    "Incident Log: [Link to incident log]": "metadata.incident_log",
    "Relevant PRs:": "references.related_prs",
    "Dashboards:": "references.dashboards",
    "External references:": "references.external",
    "Meeting Notes": "meeting_notes",
    "Attendees:": "meeting_notes.attendees",
    "Discussion points:": "meeting_notes.discussion_points",
}

TEMPLATES = {
    "000_94c7b95eca517424.txt": RETROSPECTIVE,
    "001_3482386feb63f3b1.txt": SECURITY_POSTMORTEM,
    "002_31d474d2c48d911a.txt": SECURITY_INCIDENT_REPORT,
    "003_4fa6a3db9633e69c.txt": INCIDENT_RESPONSE_REPORT,
    "004_c542a0f23711f4f9.txt": POSTMORTEM,
}
PROFILE_OF_TEMPLATE = dict(
    zip(
        TEMPLATES,
        [
            "retrospective",
            "security-postmortem",
            "security-incident-report",
            "incident-response-report",
            "postmortem",
        ],
        strict=True,
    )
)


def resolve(path: str) -> Any:
    """The type of the model field at ``path`` (``a.b[].c``); AssertionError if there is none."""
    current: Any = PostMortem
    for step in path.split("."):
        name = step.removesuffix("[]")
        assert attrs.has(current), f"{path}: {current} has no fields"
        fields = {field.name: field.type for field in attrs.fields(current)}
        assert name in fields, f"{path}: no field {name!r} in {current.__name__}"
        current = strip_optional(fields[name])
        if step.endswith("[]"):
            assert get_origin(current) is list, f"{path}: {name} is not a list"
            current = get_args(current)[0]
    return current


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_element_has_a_model_field(template: str) -> None:
    for path in TEMPLATES[template].values():
        resolve(path)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_element_listed_is_in_its_template(template: str, seeds_dir: Path) -> None:
    seed = (seeds_dir / template).read_text(encoding="utf-8")
    missing = [words for words in TEMPLATES[template] if words not in seed]
    assert missing == [], f"{template}: not in the template"


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_the_profile_shows_every_section_the_template_uses(template: str) -> None:
    profile = PROFILES[PROFILE_OF_TEMPLATE[template]]  # type: ignore[index]
    sections_used = {path.split(".")[0].removesuffix("[]") for path in TEMPLATES[template].values()}
    shown = set(profile.section_fields) | {"metadata"}
    assert sections_used <= shown, sections_used - shown


def test_the_seeds_are_where_the_tests_expect_them(seeds_dir: Path) -> None:
    assert sorted(path.name for path in seeds_dir.glob("*.txt")) == sorted(TEMPLATES)


def test_resolve_rejects_a_field_the_model_lacks() -> None:
    with pytest.raises(AssertionError, match="no field"):
        resolve("impact.colour")
