"""The post-mortem data model: attrs classes only; imports nothing else of the package."""

from postmortem.model.common import ChecklistItem, Link, Money, Person, When
from postmortem.model.document import SCHEMA_VERSION, SECTION_NAMES, PostMortem
from postmortem.model.enums import (
    ActionStatus,
    AttackPhase,
    CauseCategory,
    Classification,
    DetectionMethod,
    DocumentStatus,
    FollowUpKind,
    Horizon,
    IncidentStatus,
    IocType,
    Milestone,
    Priority,
    PriorityTier,
    ProfileName,
    Sensitivity,
    Severity,
    SeverityScale,
)
from postmortem.model.sections import *  # noqa: F403
from postmortem.model.sections import __all__ as _section_names

__all__ = [
    "SCHEMA_VERSION",
    "SECTION_NAMES",
    "ActionStatus",
    "AttackPhase",
    "CauseCategory",
    "ChecklistItem",
    "Classification",
    "DetectionMethod",
    "DocumentStatus",
    "FollowUpKind",
    "Horizon",
    "IncidentStatus",
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
    *_section_names,
]
