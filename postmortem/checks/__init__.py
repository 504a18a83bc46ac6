"""The rules a post-mortem is checked against, by family, and the engine that locates findings.

A family module declares its ``RULES`` and a ``check`` that reads a :class:`Context` and
yields ``(field path, rule id, message)``; :func:`check_text` runs the families whose rules
are selected, weighs each finding by the rule and the policy, and only for a document with
findings parses the text again to give each its line and column.
"""

import functools
import os
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

import attrs

from postmortem.checks import classification, completeness, consistency, secrets
from postmortem.checks.context import CHECKING_HOOKS, Context, RawFinding, Rule
from postmortem.checks.loading import finding_from_problem
from postmortem.checks.registry import RULES, rules_for
from postmortem.errors import DocumentError, Finding, Problem
from postmortem.model import SCHEMA_VERSION
from postmortem.policy import Policy, find_policy, read_governed, relative_to_root
from postmortem.upgrade import Upgrade, original_path, upgrade

if TYPE_CHECKING:
    from postmortem.cache import ParseCache

__all__ = [
    "CHECKING_HOOKS",
    "RULES",
    "Context",
    "Rule",
    "check_file",
    "check_text",
    "finding_from_problem",
    "findings_from_problems",
    "text_findings",
]

_CHECKING_FAMILIES = (completeness, consistency, classification)


def check_file(
    path: str | os.PathLike[str],
    hooks: Iterable[str] = CHECKING_HOOKS,
    *,
    today: date | None = None,
    policy: Policy | None = None,
    text: str | None = None,
    cache: "ParseCache | None" = None,
) -> list[Finding]:
    """Findings of the rules ``hooks`` run, for the document at ``path`` (or for ``text``,
    the content to check there); ``cache`` as for :func:`check_text`."""
    source = os.fspath(path)
    policy = policy if policy is not None else find_policy(path)
    try:
        content = text if text is not None else read_governed(path, policy)
    except DocumentError as error:
        return findings_from_problems(error.problems, policy)
    relative_path = relative_to_root(path, policy)
    return check_text(
        content, source, policy, hooks, today=today, relative_path=relative_path, cache=cache
    )


def check_text(
    text: str,
    source: str,
    policy: Policy,
    hooks: Iterable[str] = CHECKING_HOOKS,
    *,
    today: date | None = None,
    relative_path: str | None = None,
    cache: "ParseCache | None" = None,
) -> list[Finding]:
    """Findings for YAML ``text``; a document that does not load gives PM101/PM102 findings.
    Secrets are looked for in the whole text, comments included, whether it loads or not.
    The document is read through ``cache`` (:mod:`postmortem.cache`) when one is given;
    the findings are worked out anew."""
    from postmortem.cache import read_document

    found_in_text = text_findings(text, source, policy, hooks)
    try:
        parsed, document = read_document(text, source, ticket_url=policy.ticket_url, cache=cache)
    except DocumentError as error:
        return found_in_text + findings_from_problems(error.problems, policy)
    selected = _selected(policy, tuple(hooks))
    upgraded = upgrade(parsed.data)
    raw = _schema_findings(upgraded, source) if "PM103" in selected else []
    families = [
        family for family in _CHECKING_FAMILIES if any(rule.id in selected for rule in family.RULES)
    ]
    context = Context(
        document=document,
        data=upgraded.data,
        text=text,
        policy=policy,
        relative_path=relative_path if relative_path is not None else source,
        today=today or date.today(),
    )
    raw += [finding for family in families for finding in family.check(context)]
    raw = [finding for finding in raw if finding[1] in selected]
    if not raw:
        return found_in_text
    written = [(original_path(path, upgraded.moves), message) for path, _, message in raw]
    located = parsed.problems(written, source)
    return found_in_text + [
        Finding(
            source=problem.source,
            line=problem.line,
            column=problem.column,
            rule=rule,
            path=problem.path,
            message=problem.message,
            level=policy.level(rule, RULES[rule].level),
        )
        for problem, (_, rule, _) in zip(located, raw, strict=True)
    ]


def _schema_findings(upgraded: Upgrade, source: str) -> list[RawFinding]:
    """PM103 for a document of an older schema: it reads, but should be migrated."""
    if upgraded.from_schema >= SCHEMA_VERSION:
        return []
    message = (
        f"written for schema {upgraded.from_schema}; read as schema {SCHEMA_VERSION},"
        f" `postmortem migrate {source}` rewrites it"
    )
    return [(("schema_version",), "PM103", message)]


def _selected(policy: Policy, hooks: tuple[str, ...]) -> frozenset[str]:
    """The ids of the rules ``hooks`` run that ``policy`` selects."""
    return _selected_ids(hooks, tuple(policy.select), tuple(policy.ignore))


@functools.cache
def _selected_ids(
    hooks: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...]
) -> frozenset[str]:
    chosen = Policy(select=list(select), ignore=list(ignore))
    return frozenset(rule.id for rule in rules_for(hooks) if chosen.selects(rule.id))


def text_findings(
    text: str, source: str, policy: Policy, hooks: Iterable[str] = CHECKING_HOOKS
) -> list[Finding]:
    """Findings located by their offset in the raw text of any file: live secrets."""
    selected = _selected(policy, tuple(hooks))
    if not selected & {rule.id for rule in secrets.RULES}:
        return []
    findings = []
    for offset, rule, message in secrets.scan_text(text):
        if rule in selected:
            line = text.count("\n", 0, offset) + 1
            column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            level = policy.level(rule, RULES[rule].level)
            findings.append(Finding(source, line, column, rule, "", message, level))
    return findings


def findings_from_problems(problems: Iterable[Problem], policy: Policy) -> list[Finding]:
    """A document that does not load, as the PM1xx findings the policy selects, at the
    level it gives them."""
    findings = [finding_from_problem(problem) for problem in problems]
    return [
        attrs.evolve(finding, level=policy.level(finding.rule, RULES[finding.rule].level))
        for finding in findings
        if policy.selects(finding.rule)
    ]
