"""PM3xx: a classification label that is allowed and fits the path, content and distribution."""

from collections.abc import Iterator
from typing import Any, TypeVar

import attrs

from postmortem._shown import shown
from postmortem.audiences import export, labelled_text
from postmortem.checks.context import Context, RawFinding, Rule, is_empty
from postmortem.converter import FieldPath
from postmortem.errors import DocumentError, Finding, Level
from postmortem.leaks import Cleared, first_difference, secrets_of_repository, tokens
from postmortem.model import SECTION_NAMES, Classification, PostMortem
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
    analysis = document.root_cause.attack if document.root_cause is not None else None
    if content is ContentKind.CREDENTIALS:
        movement = analysis.lateral_movement if analysis is not None else None
        return movement is not None and not is_empty(movement.credentials_used)
    attack_impact = analysis.impact if analysis is not None else None
    data_affected = document.impact.data_affected if document.impact is not None else []
    return not is_empty(data_affected) or (
        attack_impact is not None and not is_empty(attack_impact.data_impact)
    )


def _content_texts(document: PostMortem, content: ContentKind) -> Iterator[str]:
    """The text of the values that make a document hold ``content``."""
    analysis = document.root_cause.attack if document.root_cause is not None else None
    if content is ContentKind.IOCS:
        values: list[Any] = [ioc.value for ioc in document.iocs]
    elif content is ContentKind.CREDENTIALS:
        movement = analysis.lateral_movement if analysis is not None else None
        values = [movement.credentials_used] if movement is not None else []
    else:
        impact = analysis.impact if analysis is not None else None
        values = [
            document.impact.data_affected if document.impact is not None else [],
            impact.data_impact if impact is not None else None,
        ]
    yield from _strings(values)


def _strings(value: Any) -> Iterator[str]:
    if type(value) is str:
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _strings(getattr(value, field.name))


def _content_below_its_minimum(context: Context) -> Iterator[RawFinding]:
    """Parts of other sections, labelled below what a content rule demands, that repeat that
    content (an IOC quoted in a Public summary)."""
    policy = context.policy
    parts = list(labelled_text(context.document, policy))
    for rule in policy.content_rules:
        minimum = policy.sensitivity(rule.minimum)
        lower = [
            (path, text)
            for path, text, rank in parts
            if rank < minimum and path[0] not in _CONTENT_SECTIONS[rule.content]
        ]
        if not lower:
            continue
        content_tokens = set().union(
            *(tokens(text) for text in _content_texts(context.document, rule.content))
        )
        for path, text in lower if content_tokens else ():
            repeated = tokens(text) & content_tokens
            if repeated:
                kind = rule.content.value.replace("_", " ")
                yield (
                    path,
                    "PM307",
                    f"holds {shown(min(repeated))} from the document's {kind}, which must be "
                    f"at least {rule.minimum.value}",
                )


# The sections that hold each kind of content a content rule names.
_CONTENT_SECTIONS = {
    ContentKind.IOCS: ("iocs",),
    ContentKind.CREDENTIALS: ("root_cause",),
    ContentKind.CUSTOMER_DATA: ("impact", "root_cause"),
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
    yield from _content_below_its_minimum(context)


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
    """A published copy (under a path rule marked ``published``) must be what ``postmortem
    export`` makes of its source for its label, and hold nothing that a document of the
    repository keeps above that label (:mod:`postmortem.leaks`)."""
    label = context.document.metadata.classification
    if not is_published(context.relative_path, context.policy) or label is None:
        return
    policy = context.policy
    source_name = context.document.metadata.exported_from
    whole: FieldPath = ("metadata", "exported_from") if source_name else ("metadata",)
    found = _source(source_name, policy)
    source = found if isinstance(found, PostMortem) else None
    if isinstance(found, str):
        yield whole, "PM309", found
    elif source is not None and source_name is not None:
        differs = first_difference(context.document, source, label, policy, source_name)
        if differs is not None:
            yield differs, "PM309", _not_a_fresh_export(source_name, label, "yaml")
    parts = [(path, text) for path, text, _ in labelled_text(context.document, policy)]
    for where, message, _ in _leaked(parts, label, source, policy):
        yield where, "PM309", message


def published_copy_findings(text: str, name: str, policy: Policy) -> list[Finding]:
    """PM309 for a published copy that is not YAML (a Markdown edition): it must be what
    ``postmortem export --format markdown`` makes of its source, and the same search runs on
    each of its lines. Its label and source are read as ``postmortem import`` reads them; a
    copy that states no label is taken to be as public as anything the policy allows."""
    from postmortem.importer import import_markdown

    if not policy.selects("PM309"):
        return []
    metadata = import_markdown(text, name).document.metadata
    label = metadata.classification or policy.allowed_labels()[0]
    lines = text.splitlines()
    level = policy.level("PM309", Level.ERROR)

    def finding(line: int, column: int, message: str) -> Finding:
        return Finding(name, line, column, "PM309", "", message, level)

    findings = []
    found = _source(metadata.exported_from, policy)
    source = found if isinstance(found, PostMortem) else None
    if isinstance(found, str):
        findings.append(finding(1, 1, found))
    elif source is not None and metadata.exported_from is not None:
        line = _first_different_line(lines, source, label, policy, metadata.exported_from)
        if line is not None:
            message = _not_a_fresh_export(metadata.exported_from, label, "markdown")
            findings.append(finding(line, 1, message))
    for index, message, found in _leaked(list(enumerate(lines)), label, source, policy):
        column = lines[index].find(found) + 1 if found in lines[index] else 1
        findings.append(finding(index + 1, column, message))
    return findings


def _source(name: str | None, policy: Policy) -> PostMortem | str:
    """The document a copy names as its source, or why it cannot be had."""
    if name is None:
        return "a published copy must name the document it was exported from (exported_from)"
    try:
        return load_governed(policy.root / name, policy)
    except DocumentError as error:
        return f"cannot check against {name}: {error.problems[0].message}"


def _not_a_fresh_export(source: str, label: Classification, output_format: str) -> str:
    return (
        f"differs from what `postmortem export {source} --audience {label.value} --format "
        f"{output_format}` makes of it now; export it again"
    )


def _first_different_line(
    lines: list[str], source: PostMortem, label: Classification, policy: Policy, name: str
) -> int | None:
    from postmortem.render import render

    copy = export(source, label, policy, source=name)
    fresh = render(copy, templates=policy.templates_dir(), within=policy.root)
    expected = fresh.splitlines()
    for number, (ours, theirs) in enumerate(zip(lines, expected, strict=False), start=1):
        if ours != theirs:
            return number
    return None if len(lines) == len(expected) else min(len(lines), len(expected)) + 1


def _leaked(
    parts: list[tuple[Where, str]],
    label: Classification,
    source: PostMortem | None,
    policy: Policy,
) -> Iterator[tuple[Where, str, str]]:
    """(where, message, the text found) for each part of a copy labelled ``label`` that
    matches a redaction pattern that applies to it, or holds what a document of the
    repository keeps above the label and its own ``source`` does not show."""
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
    cleared = Cleared.of(source, policy, limit) if source is not None else Cleared("", frozenset())
    secrets = secrets_of_repository(policy, limit)
    for where, text in parts:
        hit = secrets.found_in(text, cleared)
        if hit is not None:
            leaked, keeper = hit
            yield where, f"holds {shown(leaked)}, which {keeper} keeps above {label.value}", leaked
