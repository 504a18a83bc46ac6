"""What changed between two versions of a document, in words a reader of the history wants."""

from typing import Any

from postmortem.converter import unstructure
from postmortem.model import SECTION_NAMES, ActionItem, PostMortem

__all__ = ["GENERATED_FIELDS", "changes", "summarize"]

GENERATED_FIELDS = frozenset(
    {"history", "metadata.version", "metadata.created", "metadata.updated"}
)
"""Fields that ``postmortem history --write`` fills in from git; their changes are not news."""

_WATCHED_METADATA = ("status", "severity", "classification", "incident_status", "title", "id")
_MAX_TEXT = 40


def summarize(old: PostMortem | None, new: PostMortem) -> str:
    """One line such as ``status Draft -> Final; +3 timeline events; root cause filled in``."""
    if old is None:
        return "created"
    return "; ".join(changes(old, new)) or "no content change"


def changes(old: PostMortem, new: PostMortem) -> list[str]:
    """Each change from ``old`` to ``new`` as a short phrase, in document order."""
    found = [
        f"{name.replace('_', ' ')} {_shown(getattr(old.metadata, name))} -> "
        f"{_shown(getattr(new.metadata, name))}"
        for name in _WATCHED_METADATA
        if getattr(old.metadata, name) != getattr(new.metadata, name)
    ]
    if _plain_metadata(old) != _plain_metadata(new):
        found.append("metadata edited")
    for section in SECTION_NAMES:
        if section in GENERATED_FIELDS:
            continue
        before, after = getattr(old, section), getattr(new, section)
        if before == after:
            continue
        if section == "action_items":
            found.extend(_action_item_changes(before, after))
        elif section == "timeline":
            found.append(_count_change("timeline event", _events(before), _events(after), section))
        elif isinstance(after, list):
            found.append(_count_change(_singular(section), before, after, section))
        elif not before:
            found.append(f"{_label(section)} filled in")
        elif not after:
            found.append(f"{_label(section)} removed")
        else:
            found.append(f"{_label(section)} edited")
    return found


def _plain_metadata(doc: PostMortem) -> dict[str, Any]:
    plain: dict[str, Any] = unstructure(doc.metadata)
    ignored = {
        *_WATCHED_METADATA,
        *(field.split(".")[1] for field in GENERATED_FIELDS if "." in field),
    }
    return {key: value for key, value in plain.items() if key not in ignored}


def _events(timeline: Any) -> list[Any]:
    return list(timeline.events) if timeline is not None else []


def _count_change(noun: str, before: list[Any], after: list[Any], section: str) -> str:
    difference = len(after) - len(before)
    if difference == 0:
        return f"{_label(section)} edited"
    plural = "" if abs(difference) == 1 else "s"
    return f"{difference:+d} {noun}{plural}"


def _action_item_changes(before: list[ActionItem], after: list[ActionItem]) -> list[str]:
    old_by_action = {item.action: item for item in before}
    new_actions = {item.action for item in after}
    found = []
    for item in after:
        previous = old_by_action.get(item.action)
        if previous is None:
            found.append(f"action item {_quoted(item.action)} added")
        elif previous.status != item.status:
            found.append(
                f"action item {_quoted(item.action)} "
                f"{_shown(previous.status)} -> {_shown(item.status)}"
            )
        elif previous != item:
            found.append(f"action item {_quoted(item.action)} updated")
    found.extend(
        f"action item {_quoted(item.action)} removed"
        for item in before
        if item.action not in new_actions
    )
    return found


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    return str(getattr(value, "value", value))


def _quoted(text: str) -> str:
    return repr(text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "...")


def _label(section: str) -> str:
    return section.replace("_", " ")


def _singular(section: str) -> str:
    label = _label(section)
    irregular = {"evidence": "evidence item", "where we got lucky": "lucky break"}
    if label in irregular:
        return irregular[label]
    return label[:-1] if label.endswith("s") else label
