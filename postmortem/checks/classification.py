"""PM3xx: a classification label that is allowed and fits the path, content and distribution."""

import re
from collections.abc import Iterator
from typing import Any, TypeVar

import attrs

from postmortem._shown import shown
from postmortem.audiences import labelled_text
from postmortem.checks.context import Context, RawFinding, Rule, is_empty
from postmortem.converter import FieldPath
from postmortem.errors import DocumentError, Finding, Level
from postmortem.model import SECTION_NAMES, Classification
from postmortem.patterns import compile_linear
from postmortem.policy import ContentKind, Policy, glob_matches, is_published, load_governed

__all__ = ["RULES", "TITLE", "check", "published_copy_findings"]

Where = TypeVar("Where", FieldPath, int)
"""Where a part of a copy is: a field path in a YAML copy, a line index in a Markdown one."""

TITLE = "classification"

_HOOKS = ("classification",)
RULES = (
    Rule(
        id="PM301",
        summary="the document has no classification label",
        hooks=_HOOKS,
        example="PM301 metadata: no classification label; add metadata.classification (...)",
        fix="add `classification: Internal` (or another allowed label)",
    ),
    Rule(
        id="PM302",
        summary="the label is not one the repository allows",
        hooks=_HOOKS,
        example="PM302 metadata.classification: TLP:RED is not allowed in this repository "
        "(allowed: ...)",
        fix="use an allowed label, or allow it in the policy's `labels`",
    ),
    Rule(
        id="PM303",
        summary="the label is not allowed at this path",
        hooks=_HOOKS,
        example="PM303 metadata.classification: Internal is not allowed under public/** "
        "(allowed: Public, TLP:CLEAR)",
        fix="move the file, or change the label",
    ),
    Rule(
        id="PM304",
        summary="the content demands a more sensitive label",
        hooks=_HOOKS,
        example="PM304 metadata.classification: the document has iocs, so it must be at least "
        "Confidential, not Internal",
        fix="raise the label, or remove that content",
    ),
    Rule(
        id="PM305",
        summary="the distribution list does not fit the label",
        hooks=_HOOKS,
        example="PM305 distribution.recipients: a Public document has no restricted "
        "distribution; ...",
        fix="remove the recipients of a Public document; name them for a Restricted one",
    ),
    Rule(
        id="PM306",
        summary="a section or item is labelled above the document",
        hooks=_HOOKS,
        example="PM306 metadata.section_labels[4].classification: Restricted is above the "
        "document's label; the document's is the ceiling",
        fix="lower the part's label, or raise the document's",
    ),
    Rule(
        id="PM307",
        summary="a section or item is labelled below what its content needs",
        hooks=_HOOKS,
        example="PM307 metadata.section_labels[5].classification: Public is below "
        "Confidential, which this content needs",
        fix="label the part at least as the content rule says",
    ),
    Rule(
        id="PM308",
        summary="a section label names no section",
        hooks=_HOOKS,
        example="PM308 metadata.section_labels[6].section: no section 'weather' to label",
        fix="use a section name from the [schema](schema.md)",
    ),
    Rule(
        id="PM309",
        summary="a published copy holds text it must not (leak check)",
        hooks=_HOOKS,
        example="PM309 summary.text: holds '203.0.113.45', which incidents/INC-0031.yaml keeps "
        "above Public",
        fix="export the copy again with `postmortem export`, or label the source part for this "
        "audience",
    ),
)

_LABEL = ("metadata", "classification")
_PUBLIC = frozenset({Classification.PUBLIC, Classification.TLP_CLEAR})
_NEEDS_RECIPIENTS = frozenset({Classification.RESTRICTED, Classification.TLP_RED})


def check(context: Context) -> Iterator[RawFinding]:
    label = context.document.metadata.classification
    policy = context.policy
    if label is None:
        yield (
            _LABEL if "classification" in context.data.get("metadata", {}) else ("metadata",),
            "PM301",
            (
                "no classification label; add metadata.classification "
                f"({', '.join(item.value for item in policy.allowed_labels())})"
            ),
        )
        return
    rank = policy.rank(label)
    if rank is None:
        allowed = ", ".join(item.value for item in policy.allowed_labels())
        yield (
            _LABEL,
            "PM302",
            f"{label.value} is not allowed in this repository (allowed: {allowed})",
        )
        return
    for rule in policy.path_rules:
        matched = [
            pattern for pattern in rule.paths if glob_matches(pattern, context.relative_path)
        ]
        if matched and label not in rule.labels:
            allowed = ", ".join(item.value for item in rule.labels)
            yield (
                _LABEL,
                "PM303",
                f"{label.value} is not allowed under {matched[0]} (allowed: {allowed})",
            )
    for content_rule in policy.content_rules:
        minimum = policy.rank(content_rule.minimum)
        if minimum is not None and rank < minimum and _has(context, content_rule.content):
            yield (
                _LABEL,
                "PM304",
                f"the document has {content_rule.content.value.replace('_', ' ')}, "
                f"so it must be at least {content_rule.minimum.value}, not {label.value}",
            )
    if context.text.count("classification") > 1:  # a label besides the document's
        yield from _part_labels(context, rank)
    yield from _leaks(context)
    distribution = context.document.distribution
    recipients = distribution.recipients if distribution is not None else []
    if label in _PUBLIC and recipients:
        yield (
            ("distribution", "recipients"),
            "PM305",
            (
                f"a {label.value} document has no restricted distribution; remove the recipients "
                "or raise the label"
            ),
        )
    if label in _NEEDS_RECIPIENTS and is_empty(recipients):
        where = (
            ("distribution",) if "distribution" in context.data else ("metadata", "classification")
        )
        yield (
            where,
            "PM305",
            f"a {label.value} document must name its recipients in distribution.recipients",
        )


def _has(context: Context, content: ContentKind) -> bool:
    document = context.document
    if content is ContentKind.IOCS:
        return not is_empty(document.iocs)
    analysis = document.attack_analysis
    if content is ContentKind.CREDENTIALS:
        movement = analysis.lateral_movement if analysis is not None else None
        return movement is not None and not is_empty(movement.credentials_used)
    attack_impact = analysis.impact if analysis is not None else None
    data_affected = document.impact.data_affected if document.impact is not None else []
    return not is_empty(data_affected) or (
        attack_impact is not None and not is_empty(attack_impact.data_impact)
    )


# The sections that hold each kind of content a content rule names.
_CONTENT_SECTIONS = {
    ContentKind.IOCS: ("iocs",),
    ContentKind.CREDENTIALS: ("attack_analysis",),
    ContentKind.CUSTOMER_DATA: ("impact", "attack_analysis"),
}


def _part_labels(context: Context, ceiling: int) -> Iterator[RawFinding]:
    """Labels below the document: none above it, none below what the content rules demand
    of the section that holds the content, and only of sections that exist."""
    policy = context.policy
    document = context.document
    minimums: dict[str, tuple[int, Classification]] = {}
    for rule in policy.content_rules:
        if _has(context, rule.content):
            for section in _CONTENT_SECTIONS[rule.content]:
                needed = (policy.sensitivity(rule.minimum), rule.minimum)
                minimums[section] = max(minimums.get(section, needed), needed)
    for index, entry in enumerate(document.metadata.section_labels):
        where: FieldPath = ("metadata", "section_labels", index)
        if entry.section not in SECTION_NAMES and entry.section != "metadata":
            yield (*where, "section"), "PM308", f"no section {shown(entry.section)} to label"
            continue
        minimum = minimums.get(entry.section)
        yield from _within(
            (*where, "classification"), entry.classification, ceiling, policy, minimum
        )
    for name in SECTION_NAMES:
        for path, label in _item_labels(getattr(document, name), (name,)):
            yield from _within(path, label, ceiling, policy, minimums.get(name))


def _within(
    path: FieldPath,
    label: Classification,
    ceiling: int,
    policy: Policy,
    minimum: tuple[int, Classification] | None,
) -> Iterator[RawFinding]:
    rank = policy.sensitivity(label)
    if rank > ceiling:
        yield (
            path,
            "PM306",
            f"{label.value} is above the document's label; the document's is the ceiling",
        )
    elif minimum is not None and rank < minimum[0]:
        yield path, "PM307", f"{label.value} is below {minimum[1].value}, which this content needs"


def _item_labels(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, Classification]]:
    """The own labels of the items inside a section, with their paths."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _item_labels(item, (*path, index))
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if field.name == "classification" and isinstance(item, Classification):
                yield (*path, "classification"), item
            else:
                yield from _item_labels(item, (*path, field.name))


def _leaks(context: Context) -> Iterator[RawFinding]:
    """A published copy (under a path rule marked ``published``) may hold no redaction
    pattern that applies to its label, and no text that the document it was exported from
    holds only in parts above its label."""
    label = context.document.metadata.classification
    if not is_published(context.relative_path, context.policy) or label is None:
        return
    parts = [(path, text) for path, text, _ in labelled_text(context.document, context.policy)]
    source = context.document.metadata.exported_from
    whole: FieldPath = ("metadata", "exported_from") if source else ("metadata",)
    for where, message, _ in _leaked(parts, label, source, context.policy):
        yield (whole if where is None else where), "PM309", message


def published_copy_findings(text: str, source: str, policy: Policy) -> list[Finding]:
    """PM309 for a published copy that is not YAML (a Markdown edition): the same leak check,
    on each line of its text. Its label and source are read as ``postmortem import`` reads
    them; a copy that states no label is taken to be as public as anything the policy
    allows."""
    from postmortem.importer import import_markdown

    if not policy.selects("PM309"):
        return []
    metadata = import_markdown(text, source).document.metadata
    label = metadata.classification or policy.allowed_labels()[0]
    lines = text.splitlines()
    level = policy.level("PM309", Level.ERROR)
    findings = []
    for where, message, found in _leaked(
        list(enumerate(lines)), label, metadata.exported_from, policy
    ):
        line = where if where is not None else 0
        column = lines[line].find(found) + 1 if found and line < len(lines) else 1
        findings.append(Finding(source, line + 1, column, "PM309", "", message, level))
    return findings


def _leaked(
    parts: list[tuple[Where, str]], label: Classification, source: str | None, policy: Policy
) -> Iterator[tuple[Where | None, str, str]]:
    """(where, message, the text found) for each part of a copy labelled ``label`` that
    matches a redaction pattern or holds what ``source`` keeps above the label; ``where``
    is None for a finding about the copy as a whole."""
    limit = policy.sensitivity(label)
    for rule in policy.redactions:
        if limit < policy.sensitivity(rule.below):
            pattern = compile_linear(rule.pattern)
            for where, text in parts:
                match = pattern.search(text)
                if match:
                    message = (
                        f"matches the redaction pattern {shown(rule.pattern)},"
                        f" masked below {rule.below.value}"
                    )
                    yield where, message, match.group(0)
    if source is None:
        message = "a published copy must name the document it was exported from (exported_from)"
        yield None, message, ""
        return
    try:
        original = load_governed(policy.root / source, policy)
    except DocumentError as error:
        yield None, f"cannot check against {source}: {error.problems[0].message}", ""
        return
    secrets = _secrets(list(labelled_text(original, policy)), limit)
    for where, text in parts:
        leaked = next((secret for secret in secrets if secret in text), None)
        if leaked is not None:
            message = f"holds {shown(leaked)}, which {source} keeps above {label.value}"
            yield where, message, leaked


def _secrets(parts: list[tuple[FieldPath, str, int]], limit: int) -> list[str]:
    """What a copy at rank ``limit`` must not hold: the distinctive tokens (addresses, host
    names, hashes, paths: anything with a digit, dot, colon, slash or @) and the long values
    of parts above it that no part at or below it also holds."""
    cleared = "\n".join(text for _, text, rank in parts if rank <= limit)
    found: set[str] = set()
    for _, text, rank in parts:
        if rank <= limit:
            continue
        if len(text.strip()) >= _LONG_VALUE and text.strip() not in cleared:
            found.add(text.strip())
        found.update(
            token
            for token in _TOKEN.findall(text)
            if _DISTINCTIVE.search(token) and token not in cleared
        )
    return sorted(found, key=len, reverse=True)


_TOKEN = re.compile(r"[\w][\w.:/@-]{4,}[\w]")
_DISTINCTIVE = re.compile(r"[\d.:/@]")
_LONG_VALUE = 24
"""A whole value this long is specific enough to call a leak wherever it appears."""
