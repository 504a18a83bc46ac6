"""The rules a post-mortem is checked against, by family, and the runner that locates findings.

A check reads a :class:`Context` and yields ``(field path, rule id, message)``;
the runner filters by the policy, and only for files with findings parses the
text again to give each finding its line and column.
"""

import os
from collections.abc import Callable, Iterable
from datetime import date

from postmortem.checks import classification, completeness, consistency
from postmortem.checks.context import Context, RawFinding
from postmortem.errors import DocumentError, Finding, Problem
from postmortem.policy import Policy, find_policy, read_governed, relative_to_root
from postmortem.rules import GROUPS
from postmortem.yaml_io import document_from_data, located_problems, parse

__all__ = ["ALL_GROUPS", "Context", "check_file", "check_text", "finding_from_problem"]

ALL_GROUPS = ("validate", "completeness", "classification")

_CHECKS: dict[str, tuple[Callable[[Context], Iterable[RawFinding]], ...]] = {
    "validate": (),
    "completeness": (completeness.check, consistency.check),
    "classification": (classification.check,),
}


def check_file(
    path: str | os.PathLike[str],
    groups: Iterable[str] = ALL_GROUPS,
    *,
    today: date | None = None,
    policy: Policy | None = None,
    text: str | None = None,
) -> list[Finding]:
    """Findings for the document at ``path`` (or for ``text``, the content to check there)."""
    source = os.fspath(path)
    policy = policy if policy is not None else find_policy(path)
    try:
        content = text if text is not None else read_governed(path, policy)
    except DocumentError as error:
        found = [finding_from_problem(problem) for problem in error.problems]
        return [finding for finding in found if policy.selects(finding.rule)]
    relative_path = relative_to_root(path, policy)
    return check_text(content, source, policy, groups, today=today, relative_path=relative_path)


def check_text(
    text: str,
    source: str,
    policy: Policy,
    groups: Iterable[str] = ALL_GROUPS,
    *,
    today: date | None = None,
    relative_path: str | None = None,
) -> list[Finding]:
    """Findings for YAML ``text``; a document that does not load gives PM101/PM102 findings."""
    try:
        data = parse(text, source)
        document = document_from_data(data, text, source, ticket_url=policy.ticket_url)
    except DocumentError as error:
        found = [finding_from_problem(problem) for problem in error.problems]
        return [finding for finding in found if policy.selects(finding.rule)]
    context = Context(
        document=document,
        data=data,
        text=text,
        policy=policy,
        relative_path=relative_path if relative_path is not None else source,
        today=today or date.today(),
    )
    selected = {rule for group in groups for rule in GROUPS[group] if policy.selects(rule)}
    raw = [
        finding
        for group in groups
        for check in _CHECKS[group]
        for finding in check(context)
        if finding[1] in selected
    ]
    if not raw:
        return []
    located = located_problems([(path, message) for path, _, message in raw], text, source)
    return [
        Finding(
            source=problem.source,
            line=problem.line,
            column=problem.column,
            rule=rule,
            path=problem.path,
            message=problem.message,
            level=policy.overdue.value if rule == "PM206" else "error",
        )
        for problem, (_, rule, _) in zip(located, raw, strict=True)
    ]


def finding_from_problem(problem: Problem) -> Finding:
    """A document that does not load, as a PM101 (unreadable) or PM102 (wrong content) finding."""
    rule = "PM102" if problem.path else "PM101"
    return Finding(
        problem.source, problem.line, problem.column, rule, problem.path, problem.message
    )
