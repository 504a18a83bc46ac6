"""PM6xx: a change to the repository policy that weakens it.

In CI on a pull request, ``postmortem check --policy-from BASE`` checks the documents by the
base branch's policy, so that a pull request cannot loosen the rules it is checked by; and
whatever the pull request changes in ``.postmortem.yaml`` to weaken it is a finding of its
own, for a reviewer to accept or refuse.
"""

from collections.abc import Iterator

from postmortem.checks.context import Rule
from postmortem.converter import FieldPath
from postmortem.errors import Level
from postmortem.policy import DEFAULT_PLACEHOLDERS, Policy

__all__ = ["RULES", "TITLE", "weakenings"]

TITLE = "policy changes"

RULES = (
    Rule(
        id="PM601",
        summary="a change weakens the repository policy",
        hooks=("classification",),
        example=".postmortem.yaml:12:11: PM601 ignore[0]: PM304 no longer runs (it runs on "
        "origin/main)",
        fix="keep the base branch's rule, or have the change reviewed by whoever owns the policy",
    ),
)

_RULE = "PM601"


def weakenings(base: Policy, head: Policy) -> Iterator[tuple[FieldPath, str]]:
    """(where in the head policy, why) for each way ``head`` is weaker than ``base``. Labels
    are compared by the base policy's ranking; a label the head ranks lower is a finding of
    its own."""
    from postmortem.checks.registry import RULES as ALL_RULES

    dropped = [rule for rule in ALL_RULES if base.selects(rule) and not head.selects(rule)]
    if dropped:
        where: FieldPath = ("ignore",) if head.ignore else ("select",)
        runs = "no longer runs" if len(dropped) == 1 else "no longer run"
        yield where, f"{', '.join(dropped)} {runs}"
    for rule, declared in ALL_RULES.items():
        if head.selects(rule) and _lowered(
            base.level(rule, declared.level), head.level(rule, declared.level)
        ):
            yield ("levels", rule), f"{rule} findings no longer fail the hooks (warning)"
    if head.files != base.files:
        yield (
            ("files",),
            (
                f"the files pattern changed from {base.files!r}; what it no longer names need not "
                "be a post-mortem"
            ),
        )
    yield from _labels(base, head)
    yield from _path_rules(base, head)
    yield from _content_rules(base, head)
    for section, label in base.section_labels.items():
        lowered = head.section_labels.get(section)
        if lowered is not None and base.sensitivity(lowered) < base.sensitivity(label):
            yield (
                ("section_labels", section),
                f"{section} defaults to {lowered.value}, below {label.value}",
            )
    for redaction in base.redactions:
        if not any(
            kept.pattern == redaction.pattern
            and base.sensitivity(kept.below) >= base.sensitivity(redaction.below)
            for kept in head.redactions
        ):
            yield (
                ("redactions",),
                f"{redaction.pattern!r} is no longer masked below {redaction.below.value}",
            )
    kept_placeholders = {*(head.placeholders or DEFAULT_PLACEHOLDERS), *head.extra_placeholders}
    for pattern in (*(base.placeholders or DEFAULT_PLACEHOLDERS), *base.extra_placeholders):
        if pattern not in kept_placeholders:
            where = ("placeholders",) if head.placeholders is not None else ("extra_placeholders",)
            yield where, f"placeholder {pattern!r} is no longer looked for"
    for profile, by_status in base.required_sections.items():
        for status, sections in by_status.items():
            now = head.required_sections.get(profile, {}).get(status)
            missing = [section for section in sections if now is not None and section not in now]
            if now is None or missing:
                path: FieldPath = ("required_sections", profile.value)
                names = ", ".join(missing or sections)
                yield path, f"{names} no longer required at {status.value}"


def _lowered(before: Level, after: Level) -> bool:
    return before is Level.ERROR and after is Level.WARNING


def _labels(base: Policy, head: Policy) -> Iterator[tuple[FieldPath, str]]:
    for label in base.allowed_labels():
        before, after = base.rank(label), head.rank(label)
        if before is not None and after is not None and after < before:
            yield ("labels",), f"{label.value} is ranked less sensitive than before"


def _path_rules(base: Policy, head: Policy) -> Iterator[tuple[FieldPath, str]]:
    for rule in base.path_rules:
        for glob in rule.paths:
            matching = [kept for kept in head.path_rules if glob in kept.paths]
            if not matching:
                yield ("path_rules",), f"{glob} has no path rule any more"
                continue
            allowed = {label for kept in matching for label in kept.labels}
            added = sorted(label.value for label in allowed - set(rule.labels))
            if added:
                yield ("path_rules",), f"{glob} now allows {', '.join(added)}"
            if rule.published and not any(kept.published for kept in matching):
                yield (
                    ("path_rules",),
                    f"{glob} is no longer published: its copies are not leak-checked",
                )


def _content_rules(base: Policy, head: Policy) -> Iterator[tuple[FieldPath, str]]:
    for rule in base.content_rules:
        kept = [
            base.sensitivity(other.minimum)
            for other in head.content_rules
            if other.content is rule.content
        ]
        if not kept or max(kept) < base.sensitivity(rule.minimum):
            kind = rule.content.value.replace("_", " ")
            yield ("content_rules",), f"{kind} no longer needs at least {rule.minimum.value}"
