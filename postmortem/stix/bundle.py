"""A security post-mortem as a STIX 2.1 bundle, for threat-intelligence platforms.

The bundle holds the incident (with the Incident Core Extension), its impacts and response
tasks as their own objects, each IOC as an indicator and (where STIX has one) an observable,
the ATT&CK techniques of the attack steps as attack patterns, the recommendations as
courses of action and the first author as an identity, each related to the incident.

Every object is marked with the TLP 2.0 marking of its own part of the document (see
:func:`tlp_label`), and an export for an audience holds only what
:func:`postmortem.audiences.export` lets that audience see. Ids are UUIDv5 under a namespace
of the organisation (:func:`stix_namespace`) from the document's id and each item's stable
id, so the same document always gives the same bundle; ``created`` and ``modified`` are the
document's first and last commits. The ``stix2`` library builds and checks each object; it
is imported only here and in :mod:`postmortem.stix.indicators_in`, through :mod:`postmortem._stix2`.
"""

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs

from postmortem.audiences import Labels, export
from postmortem.errors import UsageError
from postmortem.model import (
    ActionStatus,
    Classification,
    DetectionMethod,
    Determination,
    PostMortem,
)
from postmortem.policy import Policy
from postmortem.stix.markings import TLP_MARKINGS, tlp_label, tlp_marking
from postmortem.stix.origin import TimeOutOfRange, utc
from postmortem.stix.patterns import WITHOUT_OBSERVABLE, ioc_pattern, stix_value

__all__ = ["INCIDENT_CORE_EXTENSION", "StixExport", "stix_bundle"]

INCIDENT_CORE_EXTENSION = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
"""The Incident Core Extension (v2.0) of the OASIS CTI TC's incident extension suite."""
IMPACT_EXTENSION = "extension-definition--7cc33dd6-f6a1-489b-98ea-522d351d71b9"
TASK_EXTENSION = "extension-definition--2074a052-8be4-4932-849e-f5e7798e0030"

# Where the project's words and the extension's vocabularies differ (see docs/stix.md).
_DETERMINATIONS = {
    Determination.CONFIRMED: "confirmed",
    Determination.SUSPECTED: "suspected",
    Determination.FALSE_POSITIVE: "false-positive",
    Determination.BLOCKED: "blocked",
    Determination.BENIGN: "false-positive",
}
_DETECTION_METHODS = {
    DetectionMethod.MONITORING: "automated-tool",
    DetectionMethod.USER_REPORT: "user-reporting",
    DetectionMethod.TEAM_MEMBER: "human-review",
}
_CLOSED_STATUSES = frozenset({"Resolved", "Post-Mortem Complete", "Closed"})
_TASK_OUTCOMES = {
    ActionStatus.COMPLETED: "successful",
    ActionStatus.COMPLETE: "successful",
    ActionStatus.CANCELLED: "cancelled",
    ActionStatus.IN_PROGRESS: "ongoing",
    ActionStatus.NOT_STARTED: "pending",
    ActionStatus.PLANNED: "pending",
    ActionStatus.OPEN: "pending",
}
_TASK_TYPES = {"immediate": "containment", "short_term": "eradication",
               "long_term": "implemented-control"}  # fmt: skip
_TACTICS = {
    "TA0043": "reconnaissance", "TA0042": "resource-development", "TA0001": "initial-access",
    "TA0002": "execution", "TA0003": "persistence", "TA0004": "privilege-escalation",
    "TA0005": "defense-evasion", "TA0006": "credential-access", "TA0007": "discovery",
    "TA0008": "lateral-movement", "TA0009": "collection", "TA0011": "command-and-control",
    "TA0010": "exfiltration", "TA0040": "impact",
}  # fmt: skip
"""ATT&CK Enterprise tactic ids and their kill-chain phase names."""
_STEP_PHASES = {"initial_access": "initial-access", "discovery": "discovery",
                "lateral_movement": "lateral-movement"}  # fmt: skip


@attrs.frozen
class StixExport:
    """A bundle and what the document holds that it could not carry."""

    bundle: dict[str, Any]
    left_out: tuple[str, ...] = ()
    """One line per item left out, e.g. an IOC of type Other."""

    def json(self) -> str:
        """The bundle as JSON text, the same bytes for the same document."""
        return json.dumps(self.bundle, indent=2, ensure_ascii=False) + "\n"


def stix_bundle(
    doc: PostMortem,
    *,
    namespace: uuid.UUID,
    created: datetime,
    modified: datetime,
    policy: Policy | None = None,
    audience: Classification | None = None,
) -> StixExport:
    """``doc`` as a STIX 2.1 bundle; with ``audience``, only what a reader cleared for that
    label may see (the policy's audience rules and redactions, as ``export`` applies them)."""
    from postmortem._stix2 import StixObjectError

    policy = policy if policy is not None else Policy()
    content = doc if audience is None else export(doc, audience, policy)
    labelled = attrs.evolve(
        content,
        metadata=attrs.evolve(
            content.metadata,
            classification=doc.metadata.classification,
            section_labels=doc.metadata.section_labels,
        ),
    )
    builder = _Builder(content, Labels(labelled, policy), namespace, created, modified)
    try:
        objects = builder.build()
    except (StixObjectError, TimeOutOfRange) as error:
        raise UsageError(f"{doc.metadata.id}: cannot be a STIX bundle: {error}") from None
    used = sorted(
        {ref for made in objects for ref in made.get("object_marking_refs", ())},
        key=list(TLP_MARKINGS.values()).index,
    )
    markings = [tlp_marking(label) for label, ref in TLP_MARKINGS.items() if ref in used]
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(namespace, f'{doc.metadata.id}/bundle')}",
        "objects": [*markings, *objects],
    }
    return StixExport(bundle, tuple(builder.left_out))


class _Builder:
    """The objects of one document, in a fixed order."""

    def __init__(
        self,
        doc: PostMortem,
        labels: Labels,
        namespace: uuid.UUID,
        created: datetime,
        modified: datetime,
    ) -> None:
        from postmortem._stix2 import timestamp

        self.doc = doc
        self.labels = labels
        self.namespace = namespace
        self.times = {"created": created, "modified": modified}
        self.stamps = {"created": timestamp(created), "modified": timestamp(modified)}
        self.left_out: list[str] = []
        self.author: str | None = None
        self.incident = self._id("incident", "incident")

    def _id(self, kind: str, key: str) -> str:
        return f"{kind}--{uuid.uuid5(self.namespace, f'{self.doc.metadata.id}/{kind}/{key}')}"

    def _marking(self, rank: int, own: Classification | None = None) -> list[str]:
        return [TLP_MARKINGS[tlp_label(rank, self.labels.policy, own)]]

    def _common(self, rank: int, own: Classification | None = None) -> dict[str, Any]:
        common: dict[str, Any] = {**self.times, "object_marking_refs": self._marking(rank, own)}
        if self.author is not None:
            common["created_by_ref"] = self.author
        return common

    def build(self) -> list[dict[str, Any]]:
        from postmortem._stix2 import stix_object

        identity = list(self._identity())
        impacts = list(self._impacts())
        tasks = list(self._tasks())
        related = [*self._indicators(), *self._attack_patterns(), *self._courses()]
        incident_rank = self._incident_rank()
        relationships = [
            stix_object(
                "relationship",
                id=self._id("relationship", made["id"]),
                relationship_type="related-to",
                source_ref=made["id"],
                target_ref=self.incident,
                **self._common(max(rank, incident_rank)),
            )
            for made, rank in related
        ]
        return [
            *identity,
            self._incident(impacts, tasks, incident_rank),
            *(made for made, _ in [*impacts, *tasks, *related]),
            *relationships,
        ]

    def _identity(self) -> Iterator[dict[str, Any]]:
        from postmortem._stix2 import stix_object

        metadata = self.doc.metadata
        person = metadata.authors[0] if metadata.authors else metadata.prepared_by
        if person is None or not person.name.strip():
            return
        rank = self.labels.section("metadata")
        identity = stix_object(
            "identity",
            id=self._id("identity", person.name),
            name=person.name,
            identity_class="individual",
            **({"description": person.role} if person.role else {}),
            **({"contact_information": person.contact} if person.contact else {}),
            **self._common(rank),
        )
        self.author = identity["id"]
        yield identity

    def _incident_rank(self) -> int:
        sections = ["metadata", "summary", "assessment", "detection"]
        present = [name for name in sections if name == "metadata" or getattr(self.doc, name)]
        return max(self.labels.section(name) for name in present)

    def _incident(
        self,
        impacts: list[tuple[dict[str, Any], int]],
        tasks: list[tuple[dict[str, Any], int]],
        rank: int,
    ) -> dict[str, Any]:
        from postmortem._stix2 import stix_object

        doc = self.doc
        metadata = doc.metadata
        core: dict[str, Any] = {
            "extension_type": "property-extension",
            "determination": "suspected",
            "investigation_status": "open",
        }
        status = metadata.incident_status
        if status is not None and status.value in _CLOSED_STATUSES:
            core["investigation_status"] = "closed"
        assessment = doc.assessment
        incident_types: list[str] = []
        if assessment is not None:
            if assessment.determination is not None:
                core["determination"] = _DETERMINATIONS[assessment.determination]
                if assessment.determination is Determination.BENIGN:
                    incident_types.append("benign")
            if assessment.investigation_status is not None:
                core["investigation_status"] = assessment.investigation_status.value
            if assessment.criticality is not None:
                core["criticality"] = assessment.criticality
            incident_types += assessment.incident_types
        method = doc.detection.method if doc.detection is not None else None
        if method in _DETECTION_METHODS:
            core["detection_methods"] = [_DETECTION_METHODS[method]]
        if incident_types:
            core["incident_types"] = incident_types
        if impacts:
            core["impact_refs"] = [made["id"] for made, _ in impacts]
        if tasks:
            core["tasks"] = [{"task_ref": made["id"]} for made, _ in tasks]
        description = doc.summary.text if doc.summary is not None and doc.summary.text else None
        return stix_object(
            "incident",
            id=self.incident,
            name=metadata.title or metadata.id,
            **({"description": description} if description else {}),
            external_references=[{"source_name": "postmortem", "external_id": metadata.id}],
            extensions={INCIDENT_CORE_EXTENSION: core},
            **self._common(rank),
        )

    def _indicators(self) -> Iterator[tuple[dict[str, Any], int]]:
        from postmortem._stix2 import stix_object

        section = self.labels.section("iocs")
        for index, ioc in enumerate(self.doc.iocs):
            rank = self.labels.item(ioc, section)
            key = ioc.id or f"{ioc.type.value}/{ioc.canonical}"
            found = ioc_pattern(ioc)
            if found is None:
                self.left_out.append(
                    f"iocs[{index}]: an indicator of type {ioc.type.value} has no STIX pattern"
                )
                continue
            pattern, object_type, path = found
            first_seen = ioc.first_seen
            yield (
                stix_object(
                    "indicator",
                    id=self._id("indicator", key),
                    name=f"{ioc.type.value} {ioc.canonical}",
                    **({"description": ioc.context} if ioc.context else {}),
                    indicator_types=["malicious-activity"],
                    pattern=pattern,
                    pattern_type="stix",
                    valid_from=utc(first_seen) if first_seen else self.times["created"],
                    **({"confidence": ioc.confidence} if ioc.confidence is not None else {}),
                    **self._common(rank, ioc.classification),
                ),
                rank,
            )
            if ioc.type not in WITHOUT_OBSERVABLE:
                value = stix_value(ioc)
                properties: dict[str, Any] = (
                    {"hashes": {path[1]: value}} if path[0] == "hashes" else {path[0]: value}
                )
                observable = stix_object(
                    object_type,
                    object_marking_refs=self._marking(rank, ioc.classification),
                    **properties,
                )
                yield observable, rank

    def _attack_patterns(self) -> Iterator[tuple[dict[str, Any], int]]:
        from postmortem._stix2 import stix_object

        attack = self.doc.root_cause.attack if self.doc.root_cause is not None else None
        if attack is None:
            return
        rank = self.labels.section("root_cause")
        phases: dict[str, list[str]] = {}
        descriptions: dict[str, str] = {}
        for step_name in ("initial_access", "discovery", "lateral_movement", "impact"):
            step = getattr(attack, step_name)
            if step is None:
                continue
            names = [_phase(tactic) for tactic in step.tactics]
            if not names and step_name in _STEP_PHASES:
                names = [_STEP_PHASES[step_name]]
            for technique in step.techniques:
                known = phases.setdefault(technique, [])
                known += [name for name in names if name not in known]
                if step.description and technique not in descriptions:
                    descriptions[technique] = step.description
        for technique, names in phases.items():
            yield (
                stix_object(
                    "attack-pattern",
                    id=self._id("attack-pattern", technique),
                    name=technique,
                    **(
                        {"description": descriptions[technique]}
                        if technique in descriptions
                        else {}
                    ),
                    external_references=[{"source_name": "mitre-attack", "external_id": technique}],
                    **(
                        {
                            "kill_chain_phases": [
                                {"kill_chain_name": "mitre-attack", "phase_name": name}
                                for name in names
                            ]
                        }
                        if names
                        else {}
                    ),
                    **self._common(rank),
                ),
                rank,
            )

    def _courses(self) -> Iterator[tuple[dict[str, Any], int]]:
        from postmortem._stix2 import stix_object

        section = self.labels.section("recommendations")
        for index, item in enumerate(self.doc.recommendations):
            rank = self.labels.item(item, section)
            yield (
                stix_object(
                    "course-of-action",
                    id=self._id("course-of-action", item.id or str(index)),
                    name=item.title.strip() or item.id or f"recommendation {index + 1}",
                    **({"description": item.action} if item.action else {}),
                    **self._common(rank, item.classification),
                ),
                rank,
            )

    def _new_object(self, kind: str, key: str, rank: int, extension: str) -> dict[str, Any]:
        """An object of a type the extension suite defines (``impact``, ``task``), which the
        library does not know: written here, checked by the tests with stix2-validator."""
        made: dict[str, Any] = {
            "type": kind,
            "spec_version": "2.1",
            "id": self._id(kind, key),
            **self.stamps,
        }
        if self.author is not None:
            made["created_by_ref"] = self.author
        made["object_marking_refs"] = self._marking(rank)
        made["extensions"] = {extension: {"extension_type": "new-sdo"}}
        return made

    def _impacts(self) -> Iterator[tuple[dict[str, Any], int]]:
        attack = self.doc.root_cause.attack if self.doc.root_cause is not None else None
        if attack is None or attack.impact is None:
            return
        rank = self.labels.section("root_cause")
        for index, data in enumerate(attack.impact.data_impact):
            made = self._new_object("impact", str(index), rank, IMPACT_EXTENSION)
            made["impact_category"] = "confidentiality"
            records = data.records_affected
            made["description"] = (
                data.data_type if records is None else f"{data.data_type}: {records} records"
            )
            yield made, rank

    def _tasks(self) -> Iterator[tuple[dict[str, Any], int]]:
        from postmortem._stix2 import timestamp

        response = self.doc.response
        if response is None:
            return
        section = self.labels.section("response")
        for horizon in ("immediate", "short_term", "long_term"):
            for index, action in enumerate(getattr(response, horizon)):
                rank = self.labels.item(action, section)
                made = self._new_object(
                    "task", action.id or f"{horizon}/{index}", rank, TASK_EXTENSION
                )
                made["object_marking_refs"] = self._marking(rank, action.classification)
                status = action.status
                made["outcome"] = _TASK_OUTCOMES.get(status, "unknown") if status else "unknown"
                if action.action:
                    made["name"] = action.action
                if action.result:
                    made["description"] = action.result
                made["task_types"] = [_TASK_TYPES[horizon]]
                if action.time is not None:
                    made["start_time"] = timestamp(utc(action.time))
                yield made, rank


def _phase(tactic: str) -> str:
    """The kill-chain phase name of an ATT&CK tactic id or name: ``TA0001`` and ``Initial
    Access`` are ``initial-access``."""
    return _TACTICS.get(tactic, "-".join(tactic.lower().split()))
