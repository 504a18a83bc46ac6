"""The words documents use for fields, kept as data: the templates' own headings and column
names where they are not a field's label, and how headings and labels are compared."""

import re
from functools import lru_cache

__all__ = [
    "ALIASES",
    "CONTAINERS",
    "ELSEWHERE",
    "FIELD_ALIASES",
    "NUMBERING",
    "PHASES",
    "TEMPLATE_GUIDANCE",
    "TIERS",
    "normalize",
]

NUMBERING = re.compile(r"^[ \t]*(?:\d+(?:\.\d+)*[.)]?|[A-Z]\.)[ \t]+")


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
    "root cause analysis": "root_cause",
    "primary cause": "root_cause.causes",
    "5 whys": "root_cause.five_whys",
    "attack vector if security breach": "root_cause.attack.initial_access.description",
    "how did they get in initial access": "root_cause.attack.initial_access",
    "what did they find discovery": "root_cause.attack.discovery",
    "how did they move lateral movement": "root_cause.attack.lateral_movement",
    "what did they take impact": "root_cause.attack.impact",
    "when could we have detected it detection gaps": "root_cause.attack.detection_gaps",
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
    "date time utc": "time",
    "timestamp": "time",
    "timestamp utc": "time",
    "when": "time",
    "note": "event",
    "description": "event",
    "what happened": "event",
    "update": "event",
    "who": "actor",
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
        "still to write",
    }
)
"""Sentences the templates and our layouts print, not a person's words."""

ELSEWHERE: dict[str, tuple[str, ...]] = {
    "incident date s": ("metadata", "lifecycle", "started"),
    "incident date": ("metadata", "lifecycle", "started"),
    "incident end": ("metadata", "lifecycle", "resolved"),
    "detection date": ("metadata", "lifecycle", "detected"),
    "date detected": ("metadata", "lifecycle", "detected"),
    "date resolved": ("metadata", "lifecycle", "resolved"),
    "current status": ("metadata", "incident_status"),
    "time to detection": ("detection", "time_to_detect"),
}
"""Key lines that name a field outside the section they stand in."""

MEANINGS: dict[str, tuple[str, ...]] = {
    "summary": (
        "summary",
        "incident summary",
        "tldr",
        "tl dr",
        "synopsis",
        "abstract",
        "overview of the incident",
        "what is going on",
    ),
    "summary.what_happened": (
        "background",
        "context",
        "incident description",
        "description",
        "details",
        "what happened",
        "what has happened",
        "problem",
        "issue",
        "bounty report",
        "report",
    ),
    "impact": (
        "impact",
        "impacts",
        "what was impacted",
        "what was affected",
        "who was affected",
        "who is affected",
        "blast radius",
        "worst case scenario",
        "scope",
        "consequences",
        "user impact",
    ),
    "timeline": (
        "timeline",
        "events",
        "key events",
        "sequence of events",
        "chronology",
        "timeline of events",
        "incident log",
        "status updates",
        "updates",
        "what happened when",
    ),
    "root_cause": (
        "root cause",
        "root causes",
        "cause",
        "causes",
        "root cause analysis",
        "why did this break",
        "why did it break",
        "why did this happen",
        "why did it happen",
        "how did it happen",
        "how did this happen",
        "how it happened",
        "analysis",
        "trigger",
        "what went wrong technically",
    ),
    "root_cause.causes": ("fault", "the fault", "the bug", "the vulnerability"),
    "root_cause.contributing_factors": (
        "leadup",
        "lead up",
        "contributing factors",
        "contributing causes",
    ),
    "detection": (
        "detection",
        "how was it detected",
        "how we found out",
        "how it was found",
        "identified",
        "how was it discovered",
        "discovery of the incident",
    ),
    "response": (
        "response",
        "incident response",
        "our response",
        "handling",
        "mitigation",
        "mitigations",
        "containment",
        "remediation",
        "response and recovery",
        "what we did",
        "actions taken",
        "action taken",
    ),
    "response.resolution_steps": (
        "resolution",
        "recovery",
        "resolution and recovery",
        "how it was fixed",
        "the fix",
        "fix",
        "fixes",
        "patch",
        "patched",
        "roll out",
        "rollout",
        "repair",
        "workaround",
    ),
    "lessons": (
        "lessons learned",
        "lessons learnt",
        "lessons",
        "learnings",
        "takeaways",
        "key takeaways",
        "what can we learn",
        "what we learned",
        "what we learnt",
        "reflections",
        "principles",
    ),
    "lessons.went_well": ("went well", "what went well", "things that went well"),
    "lessons.went_wrong": (
        "went wrong",
        "went poorly",
        "went badly",
        "didnt go well",
        "did not go well",
        "could have gone better",
        "could be improved",
        "opportunities",
        "what was hard",
    ),
    "where_we_got_lucky": ("got lucky", "where we got lucky", "lucky"),
    "action_items": (
        "action items",
        "action item",
        "actions",
        "corrective actions",
        "corrective and preventative measures",
        "corrective and preventive measures",
        "preventative measures",
        "preventive measures",
        "follow up",
        "follow ups",
        "followups",
        "follow up items",
        "next steps",
        "future actions",
        "future work",
        "remediation items",
        "review actions",
        "resulting action",
        "resulting actions",
        "actions planned",
        "what were doing about it",
        "what we are doing about it",
        "what we will do",
        "how are we preventing it",
        "how we are preventing it",
        "preventing recurrence",
        "prevention",
        "improvements",
        "todo",
        "to do",
    ),
    "open_questions": ("open questions", "unanswered questions", "questions"),
    "references": (
        "links",
        "references",
        "further reading",
        "for more information",
        "more information",
        "see also",
        "resources",
        "sources",
        "related",
    ),
    "communication": ("communication", "communications", "announcements"),
    "communication.internal": ("chat log", "chat logs", "slack log", "postmortem thread"),
    "communication.external": (
        "what does this mean for you",
        "what this means for you",
        "what should i do",
        "what do i need to do",
        "what to do",
        "am i affected",
        "call to action",
        "user action",
        "unable to upgrade just yet",
        "i got linked here after updating my gems what to do",
    ),
    "root_cause.attack.initial_access": (
        "how did they get in",
        "initial access",
        "attack method",
        "attack vector",
        "how the exploit worked",
        "exploit",
        "the exploit",
        "vulnerability",
        "how the attack worked",
    ),
    "root_cause.attack.impact": ("what did they take", "what was accessed", "data accessed"),
    "iocs": ("indicators of compromise", "iocs", "ioc", "indicators"),
    "affected_systems": (
        "affected packages",
        "affected systems",
        "affected services",
        "affected versions",
        "affected components",
        "affected repositories",
    ),
    "participants": ("participants", "people involved", "responders"),
    "technical_details": ("technical details", "technical analysis", "technical background"),
    "technical_details.logs": ("error messages", "logs"),
    "other_notes": ("acknowledgements", "acknowledgments", "thanks", "credits", "errata"),
}
"""The words real post-mortems use for their sections (Google SRE's, the Leadup / Fault /
Impact / Detection / Response / Recovery layout, question headings, blog posts and status
pages), by the field each names. A heading names the field whose phrase it contains; the
longest phrase wins."""

STOP_WORDS = frozenset({"the", "a", "an", "our", "of", "and", "on", "for", "to", "in", "we", "s"})
"""Words a heading may add or leave out without changing what it names."""

CONTENT_WORDS: dict[str, tuple[str, ...]] = {
    "root_cause": (
        "because",
        "caused",
        "cause",
        "bug",
        "due",
        "triggered",
        "misconfiguration",
        "why",
        "regression",
        "broke",
        "failure",
        "exploit",
        "vulnerability",
    ),
    "impact": (
        "impact",
        "impacted",
        "affected",
        "users",
        "unable",
        "outage",
        "downtime",
        "errors",
        "failed",
        "degraded",
        "customers",
        "unavailable",
    ),
    "response.resolution_steps": (
        "fixed",
        "fix",
        "deployed",
        "rolled",
        "rollback",
        "reverted",
        "restored",
        "patched",
        "released",
        "resolved",
        "mitigated",
        "upgrade",
        "migrated",
    ),
    "lessons": ("learned", "lesson", "should", "future", "better", "improve", "learn"),
    "action_items": ("will", "plan", "planned", "todo", "going", "add", "ensure"),
    "summary.what_happened": ("happened", "noticed", "reported", "discovered", "began"),
    "other_notes": ("thanks", "thank", "grateful", "appreciate"),
}
"""Words whose share of a section's text says what it is about, where its heading does not."""

FRONT_MATTER: dict[str, str] = {
    "title": "metadata.title",
    "id": "metadata.id",
    "date": "metadata.created",
    "created": "metadata.created",
    "updated": "metadata.updated",
    "lastmod": "metadata.updated",
    "last modified": "metadata.updated",
    "author": "metadata.authors",
    "authors": "metadata.authors",
    "tags": "metadata.tags",
    "categories": "metadata.tags",
    "keywords": "metadata.tags",
    "severity": "metadata.severity",
    "status": "metadata.incident_status",
    "resolved": "metadata.incident_status",
    "resolvedwhen": "metadata.lifecycle.resolved",
    "resolved at": "metadata.lifecycle.resolved",
    "started": "metadata.lifecycle.started",
    "description": "summary.text",
    "teaser": "summary.text",
    "summary": "summary.text",
    "affected": "impact.systems_affected",
    "links": "references.external",
}
"""Keys of front matter, by the field each fills; any other key is kept as written."""

FRONT_MATTER_FLAGS: dict[str, tuple[str, str]] = {"resolved": ("Resolved", "Ongoing")}
"""Keys of front matter that say yes or no, by what each means (yes, no)."""

HEADER_FACTS: dict[str, str] = {
    "created by": "authors",
    "written by": "authors",
    "author": "authors",
    "by": "authors",
    "last modified": "updated",
    "date": "created",
    "published": "created",
}
"""Key lines at the top of a document, by the metadata field each fills."""

SECURITY_SIGNS: dict[str, dict[str, float]] = {
    "attack": dict.fromkeys(
        (
            "attacker", "attackers", "attack", "attacks", "attacked", "adversary", "threat actor",
            "compromise", "compromised", "intrusion", "intruder", "malicious", "malware",
            "ransomware", "backdoor", "backdoored", "trojan", "keylogger", "cryptominer",
            "phishing", "exploit", "exploits", "exploited", "exploitation", "exfiltrated",
            "exfiltration", "account takeover", "accounts taken over", "taken over", "hijack",
            "hijacked", "hijacking", "impersonation", "impersonate", "impersonated",
            "brute force", "credential stuffing", "privilege escalation", "escalate privileges",
            "remote code execution", "rce", "xss", "cross site scripting", "sql injection",
            "command injection", "csrf", "ssrf", "typosquatting", "supply chain attack",
            "authentication bypass", "authorization bypass", "broken access control",
            "abuse", "abused", "abusing", "spam", "spammer", "spammers", "squatting",
            "denial of service", "ddos", "tampered", "tampering", "infected", "arbitrary code",
            "code execution", "path traversal", "directory traversal", "sandbox escape",
            "request forgery",
            "unauthorized", "unauthorised", "breach", "breached", "data breach", "spoofed",
            "spoofing", "stolen", "stole", "indicators of compromise", "iocs", "ioc",
            "mitre att ck", "att ck",
        ),
        1.0,
    ),
    "vulnerability": dict.fromkeys(
        (
            "vulnerability", "vulnerabilities", "vulnerable", "cve", "ghsa", "security advisory",
            "advisory", "responsible disclosure", "coordinated disclosure", "bug bounty",
            "bounty", "hackerone", "security researcher", "security researchers", "researcher",
            "security report", "security fix", "security release", "proof of concept",
            "security incident", "security incidents", "security issue", "security issues",
            "security bug", "security problem", "security breach", "security hole",
            "security flaw", "vuln", "vulns",
        ),
        1.0,
    ),
    "exposure": dict.fromkeys(
        (
            "leaked", "leak", "leaks", "leaking", "leakage", "sensitive data",
            "sensitive information", "personal data", "personal information",
            "personally identifiable", "pii", "private information", "private data",
            "confidential", "privacy", "data protection", "gdpr", "publicly accessible",
            "world readable", "customer data", "user data",
        ),
        1.0,
    ),
    "disclosure": dict.fromkeys(
        ("exposed", "exposure", "disclosed", "disclosure", "sensitive"), 0.5
    ),
    "access": dict.fromkeys(
        (
            "token", "tokens", "credential", "credentials", "secret", "secrets", "password",
            "passwords", "api key", "api keys", "access key", "access keys", "private key",
            "private keys", "ssh key", "ssh keys", "signing key", "signing keys", "session",
            "sessions", "cookie", "cookies", "2fa", "mfa", "otp", "totp",
            "personal access token", "personal access tokens", "deploy key", "deploy keys",
            "encryption key", "encryption keys", "secret key", "secret keys", "privilege",
            "privileges",
            "elevated privileges", "permissions", "access control", "email address",
            "email addresses", "phone number", "phone numbers",
        ),
        0.5,
    ),
    "response": {
        "security": 1.0,
        **dict.fromkeys(
            (
                "revoke", "revoked", "revoking", "revocation", "rotate", "rotated", "rotating",
                "rotation", "invalidate", "invalidated", "invalidating", "forensic", "forensics",
                "audit log", "audit logs", "incident response", "security team", "reset their",
                "password reset",
            ),
            0.5,
        ),
    },
}  # fmt: skip
"""Words that tell a security incident, by kind, with their weight: the ones operations
incidents also use (a token, a rotation, something exposed) weigh half. "security" alone
counts as a response term: an outage that mentions a security review is still an outage."""

DESCRIBING_KINDS = frozenset({"attack", "vulnerability", "exposure"})
"""The kinds of security words that describe an incident; the others (secret material,
something exposed or disclosed, revocation) only support one."""

NEGATIONS = frozenset({"no", "not", "nor", "without", "never", "non"})
"""Words that deny the security word one or two words after them: "not a security
incident", "no security impact"."""

EXPOSING_WORDS = frozenset(
    {
        "leaked", "leaking", "exposed", "exposing", "published", "committed", "pushed",
        "printed", "logged", "logging", "recorded", "disclosed", "visible", "readable", "shared",
        "stolen", "stole", "posted", "accessible", "unencrypted", "plaintext", "cleartext",
    }
)  # fmt: skip
"""Words that say secret material got where it should not be: "the token was logged",
"a key committed to the repository" make an exposed secret."""

NOT_EXPOSING_BEFORE: dict[str, frozenset[str]] = dict.fromkeys(
    ("logged", "logging"), frozenset({"in", "into", "out", "on", "off"})
)
"""Exposing words that mean something else before these words: "logged in" is signing in,
not writing to a log."""

SECRET_NOUNS = frozenset(
    {
        "token", "tokens", "credential", "credentials", "secret", "secrets", "password",
        "passwords", "key", "keys", "cookie", "cookies", "session", "sessions",
    }
)  # fmt: skip
"""Words an exposing word makes an exposed secret of, a few words apart."""

OPERATIONS_SIGNS: dict[str, float] = dict.fromkeys(
    (
        "outage", "outages", "downtime", "went down", "unavailable", "unavailability", "degraded",
        "degradation", "latency", "slow", "slowness", "slowdown", "timeout", "timeouts",
        "timed out", "error rate", "5xx", "capacity", "overload", "overloaded", "load", "cpu",
        "memory", "oom", "disk", "disk full", "crash", "crashed",
        "crashes", "crashing", "restart", "restarted", "reboot", "rebooted", "failover",
        "replication", "replica", "flaky", "flakiness", "queue", "backlog", "rate limit",
        "rate limiting", "rate limited", "throttled", "throttling", "traffic", "stuck",
        "deadlock", "rollback", "rolled back", "misconfiguration", "performance", "delays",
        "delayed", "offline", "availability", "scaling", "autoscaling", "quota",
    ),
    1.0,
)  # fmt: skip
"""Words that tell an operations incident (an outage, a slowdown, a full disk): security
words are weighed against them."""

SECURITY_EVIDENCE = 8.0
"""How much weight of security words makes a document a security incident, when..."""
DESCRIBING_WORDS = 2
"""...this many of them describe an incident (:data:`DESCRIBING_KINDS`: one "vulnerable" in
an accounting bug's write-up is a passing mention), and..."""
SECURITY_KINDS = 2
"""...they are of this many kinds, or..."""
DISTINCT_DESCRIBING = 3
"""...this many different words describe the incident (an attack told in its own words:
squatting, impersonation, malicious), and..."""
OPERATIONS_RATIO = 1.0
"""...they weigh at least this share of the operations words (as much as they do)."""
TITLE_WEIGHT = 3
"""How many more times a word of the title (or of the front matter's title and tags)
counts: a title says what the text is about."""
HEADING_WEIGHT = 1
"""How many more times a word of any other heading counts."""
LEAD_WORDS = 200
"""Words at the start of a text (its first paragraphs) that count twice: a post-mortem says
early what kind of incident it was."""

LIFECYCLE: dict[str, tuple[str, ...]] = {
    "started": (
        "outage starts", "outage started", "outage begins", "outage began", "incident began",
        "incident started", "incident starts", "impact starts", "impact started", "impact began",
    ),
    "detected": (
        "detected", "first detected", "alert fired", "alerts fired", "alerted", "paged",
        "noticed", "reported", "discovered", "identified the issue", "first report",
    ),
    "acknowledged": (
        "incident declared", "declared an incident", "began investigating", "started investigating",
        "investigation started", "investigation begins", "escalated", "response started",
    ),
    "root_cause_identified": (
        "root cause identified", "found the cause", "identified the cause", "identifies the cause",
        "cause identified", "finds the cause",
    ),
    "mitigated": (
        "mitigated", "mitigation applied", "rolled back", "rollback", "reverted", "workaround",
        "repaired",
    ),
    "resolved": (
        "resolved", "outage ends", "outage ended", "incident resolved", "fully recovered",
        "recovered", "restored", "closed",
    ),
}  # fmt: skip
"""Words of a timeline line that mark a moment of the incident's life, by the milestone (the
name of its ``metadata.lifecycle`` field)."""

FOLLOW_UP_STATUS: dict[str, str] = {
    "done": "Completed",
    "completed": "Completed",
    "complete": "Completed",
    "fixed": "Completed",
    "merged": "Completed",
    "in progress": "In Progress",
    "wip": "In Progress",
    "todo": "Open",
    "open": "Open",
    "not started": "Open",
}
"""Words that state where a follow-up stands, in brackets or after a dash."""
