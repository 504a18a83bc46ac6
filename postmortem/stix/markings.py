"""The TLP 2.0 markings of a bundle: the canonical OASIS objects, and which one marks an
object of a given label."""

from typing import Any

from postmortem.model import Classification
from postmortem.policy import Policy

__all__ = ["TLP_EXTENSION", "TLP_MARKINGS", "tlp_label", "tlp_marking"]

TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP_MARKINGS: dict[Classification, str] = {
    Classification.TLP_CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Classification.TLP_GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Classification.TLP_AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Classification.TLP_AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Classification.TLP_RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
"""The ids of the canonical TLP 2.0 marking definitions published by OASIS, least
restrictive first."""

_TLP_ORDER = list(TLP_MARKINGS)


def tlp_marking(label: Classification) -> dict[str, Any]:
    """The canonical TLP 2.0 marking-definition object of ``label``, exactly as OASIS
    publishes it (cti-stix-common-objects, extension-definition-specifications/tlp-2.0)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKINGS[label],
        "created": "2022-10-01T00:00:00.000Z",
        "name": label.value,
        "extensions": {
            TLP_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": label.value.removeprefix("TLP:").lower(),
            }
        },
    }


def tlp_label(rank: int, policy: Policy, own: Classification | None = None) -> Classification:
    """The TLP 2.0 label an object of sensitivity ``rank`` is marked with: its own label if
    that is a TLP label; else the least restrictive TLP label the policy ranks as sensitive
    as ``rank`` or more (Public is TLP:CLEAR, Confidential TLP:AMBER+STRICT and Restricted
    TLP:RED with the default levels; Internal, which has no TLP label of its level, is the
    TLP:AMBER above it); TLP:RED when there is none. Never less restrictive than the label."""
    if own in TLP_MARKINGS:
        return own
    for level in policy.labels[rank:]:
        tlp = [label for label in level if label in TLP_MARKINGS]
        if tlp:
            return max(tlp, key=_TLP_ORDER.index)
    return Classification.TLP_RED
