"""Security ids recognised in the text of an imported post-mortem: ATT&CK technique ids in
a timeline event or an attack step (added to its ``techniques``), and the type of an IOC row
written without one (inferred from its value). CVE numbers are the importer's
(:func:`postmortem.importer.items.cve_ids`). Works on the plain data before it is
structured; adds, never removes or rewrites.
"""

import re
from typing import Any

from postmortem.model import Ioc
from postmortem.model.indicators import TECHNIQUE, infer_ioc_type

__all__ = ["TECHNIQUE_IN_TEXT", "infer_missing", "recognise"]

TECHNIQUE_IN_TEXT = re.compile(rf"\b(?a:{TECHNIQUE.pattern})\b")  # ASCII digits, as TECHNIQUE
"""An ATT&CK technique id inside text, e.g. T1078 or T1078.004."""

_ATTACK_STEPS = ("initial_access", "discovery", "lateral_movement", "impact")
_STEP_TEXT = ("description", "technical_details", "evidence")
_EVENT_TEXT = ("event", "action_taken")


def recognise(data: dict[str, Any]) -> None:
    """Add to ``data`` (an imported document, as plain data) the security ids its text
    names; changes ``data`` in place."""
    _techniques(data)


def infer_missing(item_type: type, item: dict[str, Any]) -> None:
    """Fill in what a table row of ``item_type`` leaves out and its other cells tell: the
    type of an IOC, from its value."""
    if item_type is Ioc and "type" not in item and isinstance(item.get("value"), str):
        item["type"] = infer_ioc_type(item["value"]).value


def _techniques(data: dict[str, Any]) -> None:
    timeline = data.get("timeline")
    events = timeline.get("events") if isinstance(timeline, dict) else None
    owners: list[tuple[Any, tuple[str, ...]]] = [
        (event, _EVENT_TEXT) for event in events or () if isinstance(event, dict)
    ]
    root_cause = data.get("root_cause")
    attack = root_cause.get("attack") if isinstance(root_cause, dict) else None
    if isinstance(attack, dict):
        owners += [(attack.get(step), _STEP_TEXT) for step in _ATTACK_STEPS]
    for owner, keys in owners:
        if not isinstance(owner, dict):
            continue
        texts = [owner.get(key) for key in keys]
        found = [match.group(0) for text in texts if isinstance(text, str)
                 for match in TECHNIQUE_IN_TEXT.finditer(text)]  # fmt: skip
        _add(owner, "techniques", found)


def _add(owner: dict[str, Any], key: str, found: list[str]) -> None:
    """Append to the list ``owner[key]`` each of ``found`` it does not hold yet."""
    listed = owner.get(key)
    if not found or (listed is not None and not isinstance(listed, list)):
        return  # nothing to add, or a value the model reports where it is
    values = listed if listed is not None else []
    values += [value for value in dict.fromkeys(found) if value not in values]
    owner[key] = values
