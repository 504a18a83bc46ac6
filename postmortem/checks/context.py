"""What every check reads, what it yields, and how a family declares its rules."""

from datetime import date
from typing import Any, TypeAlias

import attrs

from postmortem.converter import FieldPath
from postmortem.errors import Level
from postmortem.model import PostMortem
from postmortem.policy import Policy

__all__ = ["CHECKING_HOOKS", "Context", "RawFinding", "Rule", "is_empty"]

CHECKING_HOOKS = ("validate", "completeness", "classification")
"""The hooks that report findings; ``postmortem-NAME`` in ``.pre-commit-hooks.yaml``."""


@attrs.frozen(kw_only=True)
class Rule:
    """A rule, declared beside the check that emits it.

    ``hooks`` names the checking hooks that run it (``postmortem check`` runs them all);
    ``level`` is how much a finding weighs unless the policy's ``levels`` says otherwise.
    ``example`` and ``fix`` are shown in ``docs/rules.md``.
    """

    id: str
    summary: str
    hooks: tuple[str, ...]
    example: str
    fix: str
    level: Level = Level.ERROR

    @property
    def family(self) -> str:
        """``PM2xx``: the hundred the id belongs to."""
        return f"{self.id[:3]}xx"


RawFinding: TypeAlias = tuple[FieldPath, str, str]
"""(field path, rule id, message) before it is located in the file."""

# Fields that name a row rather than fill it: a timeline row with only its
# milestone, or a 5-whys row with only its question, is still an empty row.
_LABEL_FIELDS = frozenset(
    {"id", "milestone", "question", "phase", "tier", "done", "currency", "kind", "horizon"}
)


@attrs.frozen
class Context:
    document: PostMortem
    data: dict[str, Any]
    """The plain data the document was built from, keys and values as the file has them."""
    text: str
    """The text the data was parsed from."""
    policy: Policy
    relative_path: str
    today: date


def is_empty(value: Any) -> bool:
    """Whether a section, row or value holds nothing a reader would learn from."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return all(is_empty(item) for item in value)
    if attrs.has(type(value)):
        return all(
            is_empty(getattr(value, field.name))
            for field in attrs.fields(type(value))
            if field.name not in _LABEL_FIELDS
        )
    return False
