"""Documents of an older schema, upgraded to the current one as plain data.

Every read upgrades in memory (git history holds old versions for ever); ``postmortem
migrate`` writes the upgrade back through the faithful edit, so that comments, order and
quoting stay. The upgrade is a pure function of the parsed data: what it moves is recorded,
so that a problem found in the upgraded document is located where the file wrote it.
"""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import attrs

from postmortem.converter import FieldPath

__all__ = [
    "MILESTONE_WORDS",
    "Upgrade",
    "assign_ids",
    "original_path",
    "upgrade",
    "written_schema",
]

MILESTONE_WORDS = {
    "incident began": "started",
    "began": "started",
    "start": "started",
    "started": "started",
    "incident started": "started",
    "detected": "detected",
    "detection": "detected",
    "response started": "acknowledged",
    "acknowledged": "acknowledged",
    "root cause identified": "root_cause_identified",
    "mitigation applied": "mitigated",
    "mitigated": "mitigated",
    "contained": "mitigated",
    "containment": "mitigated",
    "resolved": "resolved",
    "closed": "closed",
    "incident closed": "closed",
}
"""The milestone words of schema 1 and of the post-mortem template's rows, as lifecycle
moments (normalised: lower case, single spaces)."""

_LIFECYCLE_FROM_METADATA = (
    ("incident_start", "started"),
    ("detected", "detected"),
    ("resolved", "resolved"),
)

_HORIZON_SECTIONS = ("prevention_plan", "follow_up")
_HORIZONS = ("immediate", "short_term", "medium_term", "long_term")


@attrs.frozen
class Upgrade:
    """The data in the current schema, and where moved values were written."""

    data: Any
    from_schema: int
    moves: tuple[tuple[FieldPath, FieldPath], ...] = ()
    """(new prefix, old prefix) pairs: a value now under the first was written under the
    second."""


def written_schema(data: Any) -> int | None:
    """The schema ``data`` was written for: its ``schema_version``, 1 when it has none (schema
    1 wrote it by default), None when that is not a whole number (the model reports it)."""
    if not isinstance(data, dict):
        return None
    version = data.get("schema_version", 1)
    return version if type(version) is int else None


def upgrade(data: Any) -> Upgrade:
    """``data`` (parsed YAML) in the current schema; the input is not changed."""
    if written_schema(data) != 1:
        return Upgrade(data, written_schema(data) or 0)
    moves: list[tuple[FieldPath, FieldPath]] = []
    upgraded = dict(data)
    upgraded["schema_version"] = 2
    metadata = upgraded.get("metadata")
    if isinstance(metadata, dict):
        upgraded["metadata"] = _metadata(metadata, moves)
    timeline = upgraded.get("timeline")
    if isinstance(timeline, dict) and isinstance(timeline.get("events"), list):
        upgraded["timeline"] = {**timeline, "events": [_event(e) for e in timeline["events"]]}
    _root_cause(upgraded, moves)
    _movement_path(upgraded, moves)
    for section in _HORIZON_SECTIONS:
        if isinstance(upgraded.get(section), dict):
            upgraded[section] = _horizons(upgraded[section], section, moves)
    gaps = upgraded.get("gaps")
    if isinstance(gaps, list):
        upgraded["gaps"] = [_gap(gap, index, moves) for index, gap in enumerate(gaps)]
    evidence = upgraded.get("evidence")
    if isinstance(evidence, list):
        upgraded["evidence"] = [_evidence(item) for item in evidence]
    return Upgrade(upgraded, 1, tuple(moves))


def original_path(path: FieldPath, moves: tuple[tuple[FieldPath, FieldPath], ...]) -> FieldPath:
    """Where the value at ``path`` of the upgraded document was written in the file."""
    for new, old in moves:
        if path[: len(new)] == new:
            return old + path[len(new) :]
    return path


def _metadata(metadata: dict[str, Any], moves: list[tuple[FieldPath, FieldPath]]) -> Any:
    lifecycle = dict(metadata.get("lifecycle") or {})
    for old, new in _LIFECYCLE_FROM_METADATA:
        if metadata.get(old) is not None:
            lifecycle[new] = metadata[old]
            moves.append((("metadata", "lifecycle", new), ("metadata", old)))
    if metadata.get("incident_end") is not None:
        # "end" is the resolution where nothing else says so, else the end of the impact.
        moment = "customer_impact_end" if "resolved" in lifecycle else "resolved"
        lifecycle[moment] = metadata["incident_end"]
        moves.append((("metadata", "lifecycle", moment), ("metadata", "incident_end")))
    # schema 1 read times without an offset as UTC; the lifecycle goes where its first
    # moment was written
    added = {"time_zone": metadata.get("time_zone", "UTC"), "lifecycle": lifecycle}
    upgraded: dict[str, Any] = {}
    for key, value in metadata.items():
        if key in _MOVED_METADATA or key in added:
            upgraded.update((name, moved) for name, moved in added.items() if moved)
            added = {}
        else:
            upgraded[key] = value
    upgraded.update((name, moved) for name, moved in added.items() if moved)
    return upgraded


_MOVED_METADATA = frozenset(old for old, _ in _LIFECYCLE_FROM_METADATA) | {"incident_end"}


def _event(event: Any) -> Any:
    if not isinstance(event, dict) or not isinstance(event.get("milestone"), str):
        return event
    words = " ".join(event["milestone"].lower().split())
    return {**event, "milestone": MILESTONE_WORDS.get(words, event["milestone"])}


def _root_cause(document: dict[str, Any], moves: list[tuple[FieldPath, FieldPath]]) -> None:
    root_cause = document.get("root_cause")
    analysis = document.get("attack_analysis")
    if not isinstance(root_cause, dict) and root_cause is not None:
        return  # not a mapping: the model reports it where it is
    written = dict(root_cause or {})
    description = written.get("description")
    attack_vector = written.pop("attack_vector", None)
    upgraded: dict[str, Any] = {}
    for key, value in written.items():
        if key == "description" and description is not None:
            upgraded["causes"] = [{"description": description}, *written.get("causes", [])]
            moves.append(
                (("root_cause", "causes", 0, "description"), ("root_cause", "description"))
            )
        elif key != "description" and not (key == "causes" and description is not None):
            upgraded[key] = value
    if analysis is not None:
        upgraded["attack"] = analysis
        moves.append((("root_cause", "attack"), ("attack_analysis",)))
    if attack_vector is not None:
        attack = dict(upgraded.get("attack") or {})
        initial = dict(attack.get("initial_access") or {})
        if initial.get("description") is None:
            initial["description"] = attack_vector
            moves.append(
                (
                    ("root_cause", "attack", "initial_access", "description"),
                    ("root_cause", "attack_vector"),
                )
            )
            attack["initial_access"] = initial
            upgraded["attack"] = attack
    if root_cause is not None:
        document["root_cause"] = upgraded
    elif upgraded:  # where the attack's analysis was written
        keys = list(document)
        at = keys.index("attack_analysis") if "attack_analysis" in keys else len(keys)
        entries = list(document.items())
        document.clear()
        document.update([*entries[:at], ("root_cause", upgraded), *entries[at:]])
    document.pop("attack_analysis", None)


def _horizons(plan: dict[str, Any], section: str, moves: list[tuple[FieldPath, FieldPath]]) -> Any:
    upgraded = dict(plan)
    for horizon in _HORIZONS:
        if isinstance(plan.get(horizon), list):
            upgraded[horizon] = [_checklist_item(item) for item in plan[horizon]]
            for index, item in enumerate(plan[horizon]):
                where = (section, horizon, index)
                if isinstance(item, dict) and "item" in item:
                    moves.append(((*where, "action"), (*where, "item")))
                if isinstance(item, dict) and isinstance(item.get("done"), bool):
                    moves.append(((*where, "status"), (*where, "done")))
    return upgraded


def _checklist_item(item: Any) -> Any:
    if not isinstance(item, dict) or "item" not in item:
        return item
    upgraded: dict[str, Any] = {}
    for key, value in item.items():
        if key == "item":
            upgraded["action"] = value
        elif key == "done" and isinstance(value, bool):
            upgraded["status"] = "Completed" if value else "Open"
        else:
            upgraded[key] = value
    return upgraded


def _gap(gap: Any, index: int, moves: list[tuple[FieldPath, FieldPath]]) -> Any:
    """A gap's ``recommendation`` is its follow-up's ``action``."""
    if not isinstance(gap, dict) or "recommendation" not in gap or "action" in gap:
        return gap
    moves.append((("gaps", index, "action"), ("gaps", index, "recommendation")))
    return {("action" if key == "recommendation" else key): value for key, value in gap.items()}


def _movement_path(document: dict[str, Any], moves: list[tuple[FieldPath, FieldPath]]) -> None:
    """A hop of the attacker's path written as words is the hop's ``description``. The
    mappings on the way are copied: the input is not changed."""
    root_cause: Any = document.get("root_cause")
    attack: Any = root_cause.get("attack") if isinstance(root_cause, dict) else None
    lateral: Any = attack.get("lateral_movement") if isinstance(attack, dict) else None
    path = lateral.get("movement_path") if isinstance(lateral, dict) else None
    if not isinstance(path, list) or not any(isinstance(hop, str) for hop in path):
        return  # a path of hops, or one the model reports where it is
    hops = [{"description": hop} if isinstance(hop, str) else hop for hop in path]
    lateral = {**lateral, "movement_path": hops}
    document["root_cause"] = {**root_cause, "attack": {**attack, "lateral_movement": lateral}}
    where = ("root_cause", "attack", "lateral_movement", "movement_path")
    for index, hop in enumerate(path):
        if isinstance(hop, str):
            moves.append(((*where, index, "description"), (*where, index)))


def _evidence(item: Any) -> Any:
    if isinstance(item, dict) and isinstance(item.get("retention"), date):
        upgraded = {k: v for k, v in item.items() if k != "retention"}
        upgraded["retained_until"] = item["retention"]
        return upgraded
    return item


_ID_PREFIXES: tuple[tuple[Callable[[dict[str, Any]], Iterator[Any]], str], ...]


def _listed(*path: str) -> Callable[[dict[str, Any]], Iterator[Any]]:
    def items(data: dict[str, Any]) -> Iterator[Any]:
        owner: Any = data
        for step in path[:-1]:
            owner = owner.get(step) if isinstance(owner, dict) else None
        values = owner.get(path[-1]) if isinstance(owner, dict) else None
        yield from (item for item in values or () if isinstance(item, dict))

    return items


_ID_PREFIXES = (
    (_listed("timeline", "events"), "T"),
    (_listed("root_cause", "causes"), "C"),
    (_listed("action_items"), "F"),
    (_listed("recommendations"), "F"),
    (_listed("gaps"), "F"),
    *((_listed("response", name), "F") for name in ("immediate", "short_term", "long_term")),
    *((_listed(section, name), "F") for section in _HORIZON_SECTIONS for name in _HORIZONS),
    (_listed("iocs"), "I"),
    (_listed("affected_systems"), "S"),
)


def assign_ids(data: dict[str, Any]) -> None:
    """Give every list item that others refer to (timeline events, causes, follow-ups, gaps, IOCs,
    affected systems) an ``id`` if it has none: a prefix and the next free number, so that ids
    already written are kept and none is used twice. Changes ``data`` in place; an ``id``
    key the item lacks goes last, so that no line the item had moves."""
    taken = {
        item["id"]
        for items, _ in _ID_PREFIXES
        for item in items(data)
        if item.get("id") is not None
    }
    counters: dict[str, int] = {}
    for items, prefix in _ID_PREFIXES:
        for item in items(data):
            if item.get("id") is not None:
                continue
            number = counters.get(prefix, 0) + 1
            while f"{prefix}{number}" in taken:
                number += 1
            counters[prefix] = number
            taken.add(f"{prefix}{number}")
            item["id"] = f"{prefix}{number}"
