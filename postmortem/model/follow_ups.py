"""Work the incident leaves to do, wherever a template tracks it: one :class:`FollowUp`
type and the kinds that add to it (action items, recommendations, response actions, gaps'
recommendations, horizon checklists)."""

from datetime import date, timedelta

import attrs

from postmortem.model.common import (
    ChecklistItem,
    Link,
    When,
    describe,
    identifier,
    item_label,
    items,
    optional,
    references,
    verbatim,
)
from postmortem.model.enums import (
    ActionStatus,
    Classification,
    FollowUpKind,
    Horizon,
    Priority,
    PriorityTier,
)

__all__ = [
    "ActionItem",
    "FollowUp",
    "Gap",
    "HorizonChecklist",
    "Recommendation",
    "Response",
    "ResponseAction",
]


@attrs.define(kw_only=True)
class FollowUp:
    """Work the incident leaves to do, wherever a template tracks it: action items,
    recommendations, response actions, horizon checklists. ``postmortem actions``, the
    overdue check, ``index`` and ``stats`` see every one."""

    id: str | None = identifier("F2")
    action: str = describe("what is to be done")
    owner: str | None = optional("who is accountable: a name, team or @handle")
    due: date | None = optional("deadline or estimated resolution")
    status: ActionStatus | None = optional("where it stands")
    ticket: Link | None = optional("tracking ticket")
    kind: FollowUpKind | None = optional("prevent, detect, mitigate or process")
    addresses: list[str] = references("ids of the causes it addresses")
    horizon: Horizon | None = optional("immediate, short term, medium term or long term")
    classification: Classification | None = item_label()


@attrs.define(kw_only=True)
class ResponseAction(FollowUp):
    """An action taken in response, with what it did and how it was done."""

    time: When | None = optional("when it was done")
    result: str | None = optional("what it achieved")
    command: str | None = verbatim("the command that was run")
    api_call: str | None = verbatim("the API call that was made", label="API call")
    version: str | None = optional("version deployed")
    changes: str | None = optional("what changed")


@attrs.define(kw_only=True)
class Response:
    """What responders did: contain, rotate and revoke, fix and prevent; checklists and steps."""

    description: str | None = optional("the response in prose")
    immediate: list[ResponseAction] = items("immediate actions (contain)")
    short_term: list[ResponseAction] = items("short-term actions (rotate/revoke)")
    long_term: list[ResponseAction] = items("long-term actions (fix/prevent)")
    checklist: list[ChecklistItem] = items("immediate response checklist")
    investigation_steps: list[str] = items("steps taken to investigate")
    resolution_steps: list[str] = items("steps taken to resolve")


@attrs.define(kw_only=True)
class ActionItem(FollowUp):
    """A follow-up with an owner, a deadline and a priority."""

    priority: Priority | None = optional("how urgent, P0 the most")


@attrs.define(kw_only=True)
class Recommendation(FollowUp):
    """A recommendation of the security post-mortem, in a priority tier."""

    title: str = describe("short title")
    tier: PriorityTier = describe("how urgent; Critical means within 24-48 hours")
    action: str = describe("exactly what needs to be done", default="")
    risk_addressed: str | None = optional("what risk this mitigates")
    success_criteria: str | None = optional("how to verify completion")
    effort: timedelta | None = optional("estimated effort, e.g. 3d or 2w")


@attrs.define(kw_only=True)
class Gap(FollowUp):
    """A gap identified in controls or process, and the recommendation that closes it: a
    follow-up like any other once it has an ``action``."""

    gap: str = describe("description of the gap")
    impact: str | None = optional("how the gap contributed to the incident")
    action: str = describe(
        "the recommendation: how to close the gap", default="", label="Recommendation"
    )


@attrs.define(kw_only=True)
class HorizonChecklist:
    """Measures or follow-ups by time horizon (each list's :class:`Horizon`), each
    rendered as a checklist: an item is ticked when its status is done."""

    immediate: list[FollowUp] = items("immediate (deployed)")
    short_term: list[FollowUp] = items("short term (within 2 weeks)")
    medium_term: list[FollowUp] = items("medium term (1-3 months)")
    long_term: list[FollowUp] = items("long term (3 months or more)")
