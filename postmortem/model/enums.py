"""The closed vocabularies of a post-mortem: severities, statuses, priorities and labels.

Every enum's *value* is the spelling a person writes in YAML and reads in Markdown.
"""

from enum import Enum

__all__ = [
    "ActionStatus",
    "AttackPhase",
    "CauseCategory",
    "Classification",
    "DetectionMethod",
    "Determination",
    "DiscoverySource",
    "DocumentStatus",
    "FollowUpKind",
    "HashAlgorithm",
    "Horizon",
    "IncidentStatus",
    "InvestigationStatus",
    "IocType",
    "Milestone",
    "Priority",
    "PriorityTier",
    "ProfileName",
    "Sensitivity",
    "Severity",
    "SeverityScale",
]


class ProfileName(str, Enum):
    """The five templates a document can follow."""

    RETROSPECTIVE = "retrospective"
    SECURITY_POSTMORTEM = "security-postmortem"
    SECURITY_INCIDENT_REPORT = "security-incident-report"
    INCIDENT_RESPONSE_REPORT = "incident-response-report"
    POSTMORTEM = "postmortem"


class SeverityScale(str, Enum):
    """The three severity scales in use across the templates."""

    SEV = "Sev 1-4"
    P = "P1-P3"
    RATING = "Critical-Low"


class Severity(str, Enum):
    """An incident's severity, on one of three scales (see :attr:`scale`)."""

    SEV1 = "Sev 1"
    SEV2 = "Sev 2"
    SEV3 = "Sev 3"
    SEV4 = "Sev 4"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"

    @property
    def scale(self) -> SeverityScale:
        if self.value.startswith("Sev"):
            return SeverityScale.SEV
        if self.value.startswith("P"):
            return SeverityScale.P
        return SeverityScale.RATING

    @property
    def rank(self) -> int:
        """1 for the most severe level of its scale, counting up."""
        return [member for member in Severity if member.scale is self.scale].index(self) + 1


class DocumentStatus(str, Enum):
    """Where the post-mortem document itself stands."""

    DRAFT = "Draft"
    IN_REVIEW = "In Review"
    FINAL = "Final"


class IncidentStatus(str, Enum):
    """Where the incident stands, as the security and operations templates track it.

    ``Investigation`` (the operations template's word) and ``Investigating`` (the security
    templates') are both accepted and kept as written."""

    DETECTED = "Detected"
    INVESTIGATING = "Investigating"
    INVESTIGATION = "Investigation"
    ONGOING = "Ongoing"
    CONTAINED = "Contained"
    REMEDIATED = "Remediated"
    RESOLVED = "Resolved"
    POST_MORTEM_COMPLETE = "Post-Mortem Complete"
    CLOSED = "Closed"


class ActionStatus(str, Enum):
    """Status of a follow-up. ``Complete`` (the security post-mortem's and the operations
    template's word) and ``Completed`` are both accepted and kept as written."""

    NOT_STARTED = "Not Started"
    PLANNED = "Planned"
    OPEN = "Open"
    IN_PROGRESS = "In Progress"
    BLOCKED = "Blocked"
    COMPLETED = "Completed"
    COMPLETE = "Complete"
    CANCELLED = "Cancelled"

    @property
    def is_open(self) -> bool:
        return self not in (ActionStatus.COMPLETED, ActionStatus.COMPLETE, ActionStatus.CANCELLED)

    @property
    def is_done(self) -> bool:
        return self in (ActionStatus.COMPLETED, ActionStatus.COMPLETE)


class Priority(str, Enum):
    """P0 (drop everything) to P3, for open questions and action items."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class PriorityTier(str, Enum):
    """Recommendation tiers of the security post-mortem, each with its time frame."""

    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"

    @property
    def time_frame(self) -> str:
        return {
            PriorityTier.CRITICAL: "24-48 hours",
            PriorityTier.HIGH: "1-2 weeks",
            PriorityTier.MEDIUM: "1-3 months",
            PriorityTier.LOW: "3-6 months",
        }[self]


class Classification(str, Enum):
    """Classification labels: the corporate scale and the Traffic Light Protocol (TLP 2.0)."""

    PUBLIC = "Public"
    INTERNAL = "Internal"
    CONFIDENTIAL = "Confidential"
    RESTRICTED = "Restricted"
    TLP_CLEAR = "TLP:CLEAR"
    TLP_GREEN = "TLP:GREEN"
    TLP_AMBER = "TLP:AMBER"
    TLP_AMBER_STRICT = "TLP:AMBER+STRICT"
    TLP_RED = "TLP:RED"


class Sensitivity(str, Enum):
    """How sensitive a kind of affected data is."""

    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


class AttackPhase(str, Enum):
    """The five phases of the security post-mortem's timeline."""

    INITIAL_COMPROMISE = "Initial Compromise"
    DISCOVERY = "Discovery/Reconnaissance"
    LATERAL_MOVEMENT = "Lateral Movement"
    EXFILTRATION = "Data Access/Exfiltration"
    DETECTION_AND_RESPONSE = "Detection and Response"


class DetectionMethod(str, Enum):
    """How the incident came to light."""

    MONITORING = "Monitoring"
    USER_REPORT = "User report"
    TEAM_MEMBER = "Team member"
    OTHER = "Other"


class DiscoverySource(str, Enum):
    """Who discovered the incident, as VERIS's discovery method divides it."""

    INTERNAL = "internal"
    EXTERNAL = "external"
    PARTNER = "partner"
    UNKNOWN = "unknown"


class Determination(str, Enum):
    """What the investigation concluded the incident is (STIX 2.1's incident determination)."""

    CONFIRMED = "confirmed"
    SUSPECTED = "suspected"
    FALSE_POSITIVE = "false-positive"
    BLOCKED = "blocked"
    BENIGN = "benign"


class InvestigationStatus(str, Enum):
    """Where the investigation stands (STIX 2.1's incident investigation status)."""

    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class HashAlgorithm(str, Enum):
    """Digest algorithms of file hashes and evidence (STIX 2.1's hash algorithm words)."""

    MD5 = "MD5"
    SHA1 = "SHA-1"
    SHA256 = "SHA-256"
    SHA512 = "SHA-512"


class IocType(str, Enum):
    """Kinds of indicators of compromise. An IP Address is IPv4 or IPv6; a File Hash is any
    of the four digests, its algorithm known by its length."""

    IP_ADDRESS = "IP Address"
    IPV4 = "IPv4"
    IPV6 = "IPv6"
    CIDR = "CIDR"
    DOMAIN = "Domain"
    URL = "URL"
    USER_AGENT = "User Agent"
    FILE_HASH = "File Hash"
    MD5 = "MD5"
    SHA1 = "SHA-1"
    SHA256 = "SHA-256"
    SHA512 = "SHA-512"
    FILE_NAME = "File Name"
    EMAIL = "Email"
    ACCOUNT = "Account"
    PROCESS = "Process"
    REGISTRY_KEY = "Registry Key"
    OTHER = "Other"


class Milestone(str, Enum):
    """The moments of an incident's lifecycle (:class:`~postmortem.model.Lifecycle`), which a
    timeline row may mark. The value is the lifecycle field's name."""

    STARTED = "started"
    DETECTED = "detected"
    AWARE = "aware"
    ACKNOWLEDGED = "acknowledged"
    ROOT_CAUSE_IDENTIFIED = "root_cause_identified"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CUSTOMER_IMPACT_START = "customer_impact_start"
    CUSTOMER_IMPACT_END = "customer_impact_end"

    @property
    def label(self) -> str:
        """As a person reads it: ``root cause identified``."""
        return self.value.replace("_", " ")


class FollowUpKind(str, Enum):
    """What a follow-up does about the incident."""

    PREVENT = "prevent"
    DETECT = "detect"
    MITIGATE = "mitigate"
    PROCESS = "process"


class Horizon(str, Enum):
    """When a follow-up is to be done, as the templates group them (see :attr:`window`)."""

    IMMEDIATE = "immediate"
    SHORT_TERM = "short term"
    MEDIUM_TERM = "medium term"
    LONG_TERM = "long term"

    @property
    def window(self) -> str:
        """The time frame the templates give the horizon."""
        return {
            Horizon.IMMEDIATE: "now (already deployed)",
            Horizon.SHORT_TERM: "within 2 weeks",
            Horizon.MEDIUM_TERM: "1-3 months",
            Horizon.LONG_TERM: "3 months or more (a quarter)",
        }[self]


class CauseCategory(str, Enum):
    """The kind of a root cause: a documented taxonomy; the policy may add its own."""

    CHANGE = "change"
    CONFIGURATION = "configuration"
    CAPACITY = "capacity"
    DEPENDENCY = "dependency"
    SOFTWARE_DEFECT = "software defect"
    HARDWARE = "hardware"
    SECURITY_COMPROMISE = "security compromise"
    PROCESS = "process"
    UNKNOWN = "unknown"
