"""The words documents use for fields, kept as data: the templates' own headings and column
names where they are not a field's label, and how headings and labels are compared."""

import re
from functools import lru_cache

__all__ = [
    "ALIASES",
    "CONTAINERS",
    "ELSEWHERE",
    "FIELD_ALIASES",
    "MILESTONES",
    "NUMBERING",
    "PHASES",
    "TEMPLATE_GUIDANCE",
    "TIERS",
    "normalize",
]

NUMBERING = re.compile(r"^[ \t]*(?:\d+(?:\.\d+)*\.?|[A-Z]\.)[ \t]+")


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Heading or label text as compared: no numbering, case, punctuation or parentheses marks."""
    text = NUMBERING.sub("", text.replace("\u2019", "'"))
    text = re.sub(r"^phase \d+:?", "", text.strip().lower()).replace("'", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


ALIASES: dict[str, str] = {
    "overview": "guidance",
    "how to use": "guidance",
    "executive summary": "summary",
    "summary of incident": "summary",
    "what happened": "summary.what_happened",
    "immediate actions taken": "summary.immediate_actions",
    "top recommendations": "summary.top_recommendations",
    "retrospective authors": "participants",
    "people": "participants",
    "key facts": "impact",
    "impact assessment": "impact",
    "incident timeline": "timeline",
    "root cause analysis": "attack_analysis",
    "primary cause": "root_cause.description",
    "5 whys": "root_cause.five_whys",
    "attack vector if security breach": "root_cause.attack_vector",
    "how did they get in initial access": "attack_analysis.initial_access",
    "what did they find discovery": "attack_analysis.discovery",
    "how did they move lateral movement": "attack_analysis.lateral_movement",
    "what did they take impact": "attack_analysis.impact",
    "when could we have detected it detection gaps": "attack_analysis.detection_gaps",
    "containment and remediation": "response",
    "response actions": "response",
    "immediate actions completed": "response.immediate",
    "immediate actions contain": "response.immediate",
    "short term actions in progress": "response.short_term",
    "short term actions rotate revoke": "response.short_term",
    "long term actions fix prevent": "response.long_term",
    "immediate response": "response.checklist",
    "investigation steps": "response.investigation_steps",
    "resolution steps": "response.resolution_steps",
    "action items followups": "action_items",
    "lessons learned": "lessons",
    "post incident analysis": "lessons",
    "what went well": "lessons.went_well",
    "what went ok": "lessons.went_ok",
    "what didnt go well": "lessons.went_wrong",
    "what went wrong": "lessons.went_wrong",
    "what could be improved": "lessons.went_wrong",
    "prevention measures": "prevention_plan",
    "detection improvements": "lessons.detection_improvements",
    "response improvements": "lessons.response_improvements",
    "gaps identified": "gaps",
    "lessons for runbooks": "runbooks",
    "indicators of compromise iocs": "iocs",
    "evidence preservation": "evidence",
    "document history": "history",
    "internal notifications": "notifications.internal",
    "external notifications": "notifications.external",
    "notification content": "notifications.content",
    "compliance and regulatory": "compliance",
    "regulatory requirements": "compliance.other_notifications",
    "compliance actions": "compliance.actions",
    "follow up actions": "follow_up",
    "short term 1 2 weeks": "follow_up.short_term",
    "medium term 1 3 months": "follow_up.medium_term",
    "long term 3 months": "follow_up.long_term",
    "error messages logs": "technical_details.logs",
    "logs": "technical_details.logs",
    "code changes": "technical_details.code_changes",
    "configuration changes": "technical_details.configuration_changes",
    "data impact": "technical_details.data_impact",
    "internal communications": "communication.internal",
    "external communications": "communication.external",
    "links": "references",
    "other notes": "other_notes",
}
"""The templates' own words for fields, where they are not the field's label."""

PHASES = {
    "initial compromise": "Initial Compromise",
    "discovery reconnaissance": "Discovery/Reconnaissance",
    "lateral movement": "Lateral Movement",
    "data access exfiltration": "Data Access/Exfiltration",
    "detection and response": "Detection and Response",
}
"""Headings of the security post-mortem's timeline, by the attack phase they stand for."""

TIERS = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}
"""Headings of the security post-mortem's recommendations, by their priority tier."""

CONTAINERS = frozenset(
    {
        "incident details",
        "post incident analysis",
        "appendices",
        "other sections",
        "direct costs",
        "indirect costs",
    }
)
"""Headings that only group sections the import finds by their own headings (the last is
where rendering puts sections a layout lacks)."""

FIELD_ALIASES = {
    "credentials access used": "credentials_used",
    "detection opportunities": "opportunities",
    "date": "time",
    "specific action": "action",
    "estimated effort": "effort",
    "approved recipients": "recipients",
    "date time": "time",
    "time utc": "time",
    "person team": "actor",
    "action name": "action",
    "action item": "action",
    "action owner": "owner",
    "estimated resolution": "due",
    "due date": "due",
    "deadline": "due",
    "link to jira ticket": "ticket",
    "ticket": "ticket",
}
"""Column names and key labels of the templates, by the field they fill where it has one."""

TEMPLATE_GUIDANCE = frozenset(
    {
        "every action item needs an owner and deadline",
        "see linked incident log for detailed timeline",
        "withheld from this edition",
    }
)
"""Sentences the templates and our layouts print, not a person's words."""

ELSEWHERE: dict[str, tuple[str, ...]] = {
    "incident date s": ("metadata", "incident_start"),
    "detection date": ("metadata", "detected"),
    "current status": ("metadata", "incident_status"),
    "time to detection": ("detection", "time_to_detect"),
}
"""Key lines that name a field outside the section they stand in."""

MILESTONES = frozenset(
    {
        "incident began",
        "detected",
        "response started",
        "root cause identified",
        "mitigation applied",
        "resolved",
    }
)
"""The post-mortem template's milestone rows, written in its time column."""
