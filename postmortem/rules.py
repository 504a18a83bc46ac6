"""The rule ids every finding carries: stable, documented, selectable in the policy.

PM1xx the document loads and matches the model; PM2xx completeness; PM3xx
classification; PM4xx consistency.
"""

from collections.abc import Mapping

import attrs

__all__ = ["GROUPS", "RULES", "Rule"]


@attrs.frozen
class Rule:
    id: str
    group: str
    summary: str


_RULES = (
    Rule("PM101", "validate", "the file cannot be read or is not valid YAML"),
    Rule("PM102", "validate", "the document does not match the model"),
    Rule(
        "PM201", "completeness", "a section the profile requires at this status is missing or empty"
    ),
    Rule("PM202", "completeness", "text left over from a template (placeholder)"),
    Rule("PM203", "completeness", "an action item or recommendation has no owner"),
    Rule("PM204", "completeness", "an action item or recommendation has no deadline"),
    Rule("PM205", "completeness", "an action item or recommendation has no status"),
    Rule("PM206", "completeness", "an open action item or recommendation is past its deadline"),
    Rule("PM301", "classification", "the document has no classification label"),
    Rule("PM302", "classification", "the label is not one the repository allows"),
    Rule("PM303", "classification", "the label is not allowed at this path"),
    Rule("PM304", "classification", "the content demands a more sensitive label"),
    Rule("PM305", "classification", "the distribution list does not fit the label"),
    Rule("PM306", "classification", "a section or item is labelled above the document"),
    Rule("PM307", "classification", "a section or item is labelled below what its content needs"),
    Rule("PM308", "classification", "a section label names no section"),
    Rule("PM309", "classification", "a published copy holds text it must not (leak check)"),
    Rule("PM401", "completeness", "the timeline is not in chronological order"),
    Rule("PM402", "completeness", "detected before the incident began"),
    Rule("PM403", "completeness", "resolved before the incident was detected or began"),
    Rule("PM404", "completeness", "time to detection disagrees with the timeline"),
    Rule("PM405", "completeness", "a Final document lacks an executive summary or a root cause"),
)

RULES: Mapping[str, Rule] = {rule.id: rule for rule in _RULES}
"""Every rule by id."""

GROUPS: Mapping[str, tuple[str, ...]] = {
    group: tuple(rule.id for rule in _RULES if rule.group == group)
    for group in ("validate", "completeness", "classification")
}
"""Rule ids by hook: what ``postmortem-validate``, ``-completeness`` and ``-classification`` run."""
