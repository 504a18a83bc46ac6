"""PM3xx: a classification label that is allowed and fits the path, content and distribution."""

from collections.abc import Iterator

from postmortem.checks.context import Context, RawFinding, is_empty
from postmortem.model import Classification
from postmortem.policy import ContentKind, glob_matches

__all__ = ["check"]

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
