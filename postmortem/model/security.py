"""The security parts of the record: how the attacker got in and moved, what was hit and
when it could have been seen, the indicators, the systems touched and the evidence kept."""

from datetime import date, timedelta

import attrs

from postmortem.model.common import (
    When,
    attack_tactics,
    attack_techniques,
    describe,
    identifier,
    item_label,
    items,
    non_negative,
    optional,
    percentage,
    reference,
    verbatim,
)
from postmortem.model.enums import (
    Classification,
    Determination,
    DiscoverySource,
    HashAlgorithm,
    InvestigationStatus,
    IocType,
    Sensitivity,
)
from postmortem.model.indicators import LocatedProblem, canonical_indicator, check_hash

__all__ = [
    "AffectedSystem",
    "Assessment",
    "AttackAnalysis",
    "AttackImpact",
    "DataImpact",
    "DetectionGaps",
    "DetectionOpportunity",
    "Discovery",
    "EvidenceItem",
    "Hop",
    "InitialAccess",
    "Ioc",
    "LateralMovement",
    "SystemImpact",
]


@attrs.define(kw_only=True)
class Assessment:
    """What the investigation concluded and where it stands, in the words of STIX 2.1's
    incident core extension; who discovered the incident, as VERIS divides it."""

    determination: Determination | None = optional(
        "confirmed, suspected, false-positive, blocked or benign"
    )
    investigation_status: InvestigationStatus | None = optional("new, open or closed")
    criticality: int | None = percentage("how critical the incident is to the organisation, 0-100")
    discovered_by: DiscoverySource | None = optional(
        "who discovered it: internal, external or partner (VERIS discovery method)"
    )
    discovery: str | None = optional("how it was discovered, e.g. a partner's phishing report")
    incident_types: list[str] = items("kinds of incident, e.g. data-exfiltration, account-takeover")


@attrs.define(kw_only=True)
class InitialAccess:
    """3.1 How did they get in?"""

    description: str | None = optional("vulnerability, misconfiguration or method of entry")
    technical_details: str | None = verbatim("code, configuration or log snippets")
    contributing_factors: list[str] = items("what made entry possible")
    tactics: list[str] = attack_tactics("ATT&CK tactics of this step, e.g. TA0001")
    techniques: list[str] = attack_techniques("ATT&CK technique ids of this step, e.g. T1078")


@attrs.define(kw_only=True)
class Discovery:
    """3.2 What did they find?"""

    description: str | None = optional("what the attacker discovered after entry")
    information_gathered: list[str] = items("data points the attacker learnt")
    evidence: str | None = verbatim("relevant log entries or API calls")
    tactics: list[str] = attack_tactics("ATT&CK tactics of this step, e.g. TA0001")
    techniques: list[str] = attack_techniques("ATT&CK technique ids of this step, e.g. T1078")


@attrs.define(kw_only=True)
class Hop:
    """One hop of the attacker's path: the system reached, with what, and when."""

    system: str | None = reference("id of the affected system reached, e.g. S2")
    description: str | None = optional("the hop in words, e.g. API gateway to export-service")
    access: str | None = optional("the credential or access used for the hop")
    time: When | None = optional("when the attacker reached the system")


@attrs.define(kw_only=True)
class LateralMovement:
    """3.3 How did they move?"""

    description: str | None = optional("how the attacker expanded access")
    movement_path: list[Hop] = items("hops from initial access to target data, in order")
    credentials_used: list[str] = items("credentials or access methods used")
    tactics: list[str] = attack_tactics("ATT&CK tactics of this step, e.g. TA0001")
    techniques: list[str] = attack_techniques("ATT&CK technique ids of this step, e.g. T1078")


@attrs.define(kw_only=True)
class SystemImpact:
    """What happened to one system."""

    system: str = describe("the system")
    impact: str = describe("what happened to it", default="")


@attrs.define(kw_only=True)
class DataImpact:
    """One row of the data impact table."""

    data_type: str = describe("kind of data")
    records_affected: int | None = non_negative("number of records")
    sensitivity: Sensitivity | None = optional("how sensitive the data is")


@attrs.define(kw_only=True)
class AttackImpact:
    """3.4 What did they take?"""

    description: str | None = optional("the actual damage")
    data_impact: list[DataImpact] = items("data affected, by type")
    system_impact: list[SystemImpact] = items("systems affected and how")
    business_impact: list[str] = items("financial, regulatory and reputational impact")
    tactics: list[str] = attack_tactics("ATT&CK tactics of this step, e.g. TA0001")
    techniques: list[str] = attack_techniques("ATT&CK technique ids of this step, e.g. T1078")


@attrs.define(kw_only=True)
class DetectionOpportunity:
    """A point where the attack could have been detected."""

    point_in_attack: str = describe("phase or step of the attack")
    potential_detection: str = describe("what could have detected it", default="")
    why_missed: str = describe("why it did not", default="")


@attrs.define(kw_only=True)
class DetectionGaps:
    """3.5 When could we have detected it?"""

    description: str | None = optional("missed opportunities to detect the attack earlier")
    opportunities: list[DetectionOpportunity] = items("detection opportunities")
    logging_gaps: list[str] = items("what was not logged")
    alerting_gaps: list[str] = items("what was logged but not alerted on")


@attrs.define(kw_only=True)
class AttackAnalysis:
    """Root cause analysis of an attack, in the security post-mortem's five questions."""

    initial_access: InitialAccess | None = optional("3.1 How did they get in?")
    discovery: Discovery | None = optional("3.2 What did they find?")
    lateral_movement: LateralMovement | None = optional("3.3 How did they move?")
    impact: AttackImpact | None = optional("3.4 What did they take?")
    detection_gaps: DetectionGaps | None = optional("3.5 When could we have detected it?")


def _fits_its_type(instance: "Ioc | None", attribute: "attrs.Attribute[str]", value: str) -> None:
    """The value is an indicator of the IOC's type (checked once the whole IOC is known)."""
    if instance is None:
        return
    try:
        canonical_indicator(instance.type, value, instance.hash_algorithm)
    except ValueError as problem:
        raise LocatedProblem((attribute.name,), str(problem)) from None


def _seen_in_order(instance: "Ioc | None", attribute: "attrs.Attribute[When]", value: When) -> None:
    first = instance.first_seen if instance is not None else None
    if first is None or value is None or type(first) is not type(value):
        return
    if value < first:
        raise LocatedProblem((attribute.name,), f"last seen {value} is before first seen {first}")


@attrs.define(kw_only=True)
class Ioc:
    """An indicator of compromise, its value kept as written (defanged or not);
    :attr:`canonical` is the value refanged and normalised."""

    id: str | None = identifier("I3")
    type: IocType = describe("kind of indicator")
    value: str = attrs.field(
        validator=_fits_its_type,
        metadata={
            "doc": "the indicator itself, as seen (defanged or not), of its type's form",
            "verbatim": True,
        },
    )
    hash_algorithm: HashAlgorithm | None = optional(
        "MD5, SHA-1, SHA-256 or SHA-512 of a File Hash (else known by its length)"
    )
    first_seen: When | None = optional("when the indicator was first seen")
    last_seen: When | None = attrs.field(
        default=None,
        validator=_seen_in_order,
        metadata={"doc": "when it was last seen"},
    )
    confidence: int | None = percentage("how sure the team is that it is malicious, 0-100")
    context: str | None = optional("where it was seen, or the file name of a hash")
    classification: Classification | None = item_label()

    @property
    def canonical(self) -> str:
        """The value refanged (``hxxp``, ``[.]``, ``[@]`` undone) and normalised:
        lower-case domains and digests, compressed IP addresses."""
        return canonical_indicator(self.type, self.value, self.hash_algorithm)


@attrs.define(kw_only=True)
class AffectedSystem:
    """A system the incident touched."""

    id: str | None = identifier("S2")
    system: str = describe("the system")
    role: str | None = optional("what the system does")
    impact: str | None = optional("what happened to it")
    classification: Classification | None = item_label()


def _digest(
    instance: "EvidenceItem | None", attribute: "attrs.Attribute[str | None]", value: str | None
) -> None:
    if instance is None or value is None:
        return
    try:
        check_hash(value, instance.hash_algorithm)
    except ValueError as problem:
        raise LocatedProblem((attribute.name,), str(problem)) from None


@attrs.define(kw_only=True)
class EvidenceItem:
    """A piece of preserved evidence and its chain of custody: what it is, where it is kept,
    who holds it, when it was collected and the digest that shows it unchanged."""

    evidence: str = describe("log type, image, snapshot, ...")
    location: str | None = optional("where it is stored")
    custodian: str | None = optional("who holds it and answers for it")
    collected_at: When | None = optional("when it was collected")
    hash_algorithm: HashAlgorithm | None = optional(
        "MD5, SHA-1, SHA-256 or SHA-512 of the hash (else known by its length)"
    )
    hash: str | None = attrs.field(
        default=None,
        validator=_digest,
        metadata={"doc": "hex digest of the artefact as collected", "verbatim": True},
    )
    retention: timedelta | None = optional("how long it is kept, e.g. 90d")
    retained_until: date | None = optional("until when it is kept")
    classification: Classification | None = item_label()
