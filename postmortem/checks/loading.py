"""PM1xx: the file can be read, and the document loads and matches the model."""

from postmortem.checks.context import CHECKING_HOOKS, Rule
from postmortem.errors import Finding, Level, Problem

__all__ = ["RULES", "TITLE", "finding_from_problem"]

TITLE = "the document loads"

RULES = (
    Rule(
        id="PM101",
        summary="the file cannot be read or is not valid YAML",
        hooks=CHECKING_HOOKS,
        example="x.yaml:3:1: PM101 YAML: while parsing a flow node; did not find expected node "
        "content",
        fix="fix the YAML syntax at that position",
    ),
    Rule(
        id="PM102",
        summary="the document does not match the model",
        hooks=CHECKING_HOOKS,
        example="x.yaml:5:10: PM102 action_items[0].due: not a date or time: 'soon'",
        fix="write the value in the type the field expects (`due: 2024-05-01`)",
    ),
    Rule(
        id="PM103",
        summary="the document is written for an older schema",
        hooks=CHECKING_HOOKS,
        level=Level.WARNING,
        example="x.yaml:1:1: PM103 schema_version: written for schema 1; read as schema 2, "
        "`postmortem migrate x.yaml` rewrites it",
        fix="run `postmortem migrate` on it (comments and layout are kept)",
    ),
)


def finding_from_problem(problem: Problem) -> Finding:
    """A document that does not load, as a PM101 (unreadable) or PM102 (wrong content) finding."""
    rule = "PM102" if problem.path else "PM101"
    return Finding(
        problem.source, problem.line, problem.column, rule, problem.path, problem.message
    )
