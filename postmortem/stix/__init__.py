"""STIX 2.1: a post-mortem as a bundle for threat-intelligence platforms
(:func:`stix_bundle`), and a bundle's indicators added to a document's IOCs
(:func:`add_iocs_from_stix`). The OASIS ``stix2`` libraries (the ``stix`` extra) are
imported only when a bundle is made or read, through :mod:`postmortem._stix2`."""

from postmortem.stix.bundle import INCIDENT_CORE_EXTENSION, StixExport, stix_bundle
from postmortem.stix.indicators_in import IocsAdded, add_iocs_from_stix, iocs_from_bundle
from postmortem.stix.markings import TLP_MARKINGS, tlp_label, tlp_marking
from postmortem.stix.origin import document_times, repository_identity, stix_namespace
from postmortem.stix.patterns import ioc_pattern, stix_value

__all__ = [
    "INCIDENT_CORE_EXTENSION",
    "TLP_MARKINGS",
    "IocsAdded",
    "StixExport",
    "add_iocs_from_stix",
    "document_times",
    "ioc_pattern",
    "iocs_from_bundle",
    "repository_identity",
    "stix_bundle",
    "stix_namespace",
    "stix_value",
    "tlp_label",
    "tlp_marking",
]
