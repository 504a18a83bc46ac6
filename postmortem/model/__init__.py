"""The post-mortem data model: attrs classes only; imports nothing else of the package."""

from postmortem.model.common import ChecklistItem, Link, Money, Person, When
from postmortem.model.document import SCHEMA_VERSION, SECTION_NAMES, PostMortem
from postmortem.model.enums import (
    ActionStatus,
    AttackPhase,
    CauseCategory,
    Classification,
    DetectionMethod,
    Determination,
    DiscoverySource,
    DocumentStatus,
    FollowUpKind,
    HashAlgorithm,
    Horizon,
    IncidentStatus,
    InvestigationStatus,
    IocType,
    Milestone,
    Priority,
    PriorityTier,
    ProfileName,
    Sensitivity,
    Severity,
    SeverityScale,
)
from postmortem.model.follow_ups import *  # noqa: F403
from postmortem.model.follow_ups import __all__ as _follow_up_names
from postmortem.model.sections import *  # noqa: F403
from postmortem.model.sections import __all__ as _section_names
from postmortem.model.security import *  # noqa: F403
from postmortem.model.security import __all__ as _security_names

__all__ = [
    "SCHEMA_VERSION",
    "SECTION_NAMES",
    "ActionStatus",
    "AttackPhase",
    "CauseCategory",
    "ChecklistItem",
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
    "Link",
    "Milestone",
    "Money",
    "Person",
    "PostMortem",
    "Priority",
    "PriorityTier",
    "ProfileName",
    "Sensitivity",
    "Severity",
    "SeverityScale",
    "When",
    *_follow_up_names,
    *_section_names,
    *_security_names,
]
