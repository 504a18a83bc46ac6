"""Findings as a SARIF 2.1.0 log, the format GitHub code scanning takes (``postmortem check
--format sarif``).

One run: the tool with every rule of the registry and its documentation, and a result per
finding located by a URI relative to the repository (``%SRCROOT%``), percent-encoded, with
line and column from 1. GitHub's upload rules are kept: ``version`` 2.1.0 and ``$schema``,
one run, at most :data:`MAX_RESULTS` results (errors first; those left out are named in a
notification), and a ``partialFingerprints`` entry from the rule, the file and the field,
so that a finding keeps its alert when lines above it move.
"""

import hashlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from postmortem._version import __version__
from postmortem.errors import Finding, Level, Problem

if TYPE_CHECKING:
    from postmortem.checks.context import Rule

__all__ = [
    "MAX_RESULTS",
    "PROJECT_URL",
    "SARIF_SCHEMA",
    "SOURCE_ROOT",
    "heading_anchor",
    "rules_page_url",
    "sarif_log",
]

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
"""The OASIS schema of SARIF 2.1.0 (with its errata), the log's ``$schema``."""

PROJECT_URL = "https://github.com/postmortem-tools/postmortem"
"""Where the tool lives: the driver's ``informationUri`` (pyproject.toml's Repository URL)."""

SOURCE_ROOT = "%SRCROOT%"
"""The base id of every URI in the repository: the top of its work tree."""

MAX_RESULTS = 25_000
"""GitHub rejects a run with more results than this."""

_FINGERPRINT = "postmortemFinding/v1"


def sarif_log(
    findings: Sequence[Finding],
    root: str | os.PathLike[str],
    *,
    policy_problems: Sequence[Problem] = (),
) -> dict[str, Any]:
    """The SARIF log of ``findings`` in the repository whose work tree is at ``root``: one
    run with every rule; the error findings first when there are more than GitHub takes.
    ``policy_problems`` make a run that did not succeed, each problem a located
    configuration notification (no document was checked)."""
    from postmortem.checks.registry import RULES

    top = Path(os.path.realpath(root))
    rule_indexes = {rule_id: index for index, rule_id in enumerate(RULES)}
    kept = list(findings)
    notifications = []
    if len(kept) > MAX_RESULTS:
        kept.sort(key=lambda finding: finding.level is not Level.ERROR)
        left_out = len(kept) - MAX_RESULTS
        kept = kept[:MAX_RESULTS]
        text = (
            f"{left_out} findings left out: GitHub code scanning takes at most {MAX_RESULTS}"
            " results in a run (errors are kept first); run `postmortem check` for them all"
        )
        notifications.append({"level": "warning", "message": {"text": text}})
    occurrences: Counter[tuple[str, str, str]] = Counter()
    results = []
    for finding in kept:
        location = _artifact_location(finding.source, top)
        place = (finding.rule, location["uri"], finding.path)
        occurrences[place] += 1
        index = rule_indexes[finding.rule]
        results.append(_result(finding, index, location, place, occurrences[place]))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "postmortem",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": [_descriptor(rule) for rule in RULES.values()],
            }
        },
        "invocations": [_invocation(notifications, policy_problems, top)],
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": _directory_uri(top)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _invocation(
    notifications: list[dict[str, Any]], policy_problems: Sequence[Problem], top: Path
) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not policy_problems}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    if policy_problems:
        invocation["toolConfigurationNotifications"] = [
            {
                "level": "error",
                "message": {"text": _unicode(f"{problem.path}: {problem.message}".lstrip(": "))},
                "locations": [
                    _located(_artifact_location(problem.source, top), problem.line, problem.column)
                ],
            }
            for problem in policy_problems
        ]
    return invocation


def _located(location: dict[str, str], line: int, column: int) -> dict[str, Any]:
    """A SARIF location: the file, and the line and column (at least 1, as SARIF wants)."""
    return {
        "physicalLocation": {
            "artifactLocation": location,
            "region": {"startLine": max(line, 1), "startColumn": max(column, 1)},
        }
    }


def _result(
    finding: Finding,
    rule_index: int,
    location: dict[str, str],
    place: tuple[str, str, str],
    occurrence: int,
) -> dict[str, Any]:
    message = f"{finding.path}: {finding.message}" if finding.path else finding.message
    fingerprint = hashlib.sha256("\0".join(place).encode("utf-8", "surrogatepass")).hexdigest()
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.level.value,  # SARIF's names: error, warning
        "message": {"text": _unicode(message)},
        "locations": [_located(location, finding.line, finding.column)],
        "partialFingerprints": {_FINGERPRINT: f"{fingerprint}:{occurrence}"},
    }


def _artifact_location(source: str, top: Path) -> dict[str, str]:
    """Where a finding's file is: its path under ``top`` as a relative URI reference against
    :data:`SOURCE_ROOT`, every byte but letters, digits, ``-._~`` and ``/`` percent-encoded
    (so that no ``#``, ``?``, ``%`` or ``:`` in a name changes what the URI means). A file
    outside ``top`` keeps its absolute ``file:`` URI, never a relative one climbing out."""
    absolute = os.path.abspath(source)
    path = Path(os.path.realpath(os.path.dirname(absolute))) / os.path.basename(absolute)
    if not path.is_relative_to(top):
        return {"uri": path.as_uri()}
    relative = path.relative_to(top).as_posix()
    return {"uri": quote(os.fsencode(relative), safe="/"), "uriBaseId": SOURCE_ROOT}


def _directory_uri(directory: Path) -> str:
    uri = directory.as_uri()
    return uri if uri.endswith("/") else f"{uri}/"


def _unicode(text: str) -> str:
    """``text`` as valid Unicode: a byte of a file name that is not UTF-8 (held as a lone
    surrogate) becomes U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _descriptor(rule: "Rule") -> dict[str, Any]:
    """A rule as SARIF describes it, with its documentation: what it finds, an example,
    the fix, and a link to its family on the rules page."""
    summary = rule.summary[:1].upper() + rule.summary[1:]
    url = rules_page_url(rule)
    return {
        "id": rule.id,
        "name": _pascal_case(rule.summary),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"{summary}. For example: {rule.example}"},
        "help": {
            "text": f"Fix: {rule.fix}. ({url})",
            "markdown": f"**Fix:** {rule.fix}.\n\nFor example:\n\n```text\n{rule.example}\n```\n\n"
            f"[{rule.id} in the rules reference]({url})",
        },
        "helpUri": url,
        "defaultConfiguration": {"level": rule.level.value},
        "properties": {"tags": ["postmortem", rule.family]},
    }


def _pascal_case(summary: str) -> str:
    """``an action item has no owner`` -> ``ActionItemHasNoOwner``: the rule's name."""
    words = re.findall(r"[A-Za-z0-9]+", summary)
    if words and words[0].lower() in ("a", "an", "the"):
        words = words[1:]
    return "".join(word[:1].upper() + word[1:] for word in words)


def rules_page_url(rule: "Rule") -> str:
    """The rules page of this version's documentation, at the rule's family."""
    from postmortem.checks.registry import FAMILIES

    title = next(family.TITLE for family in FAMILIES if rule in family.RULES)
    revision = "main" if ".dev" in __version__ else f"v{__version__}"
    anchor = heading_anchor(f"{rule.family}: {title}")
    return f"{PROJECT_URL}/blob/{revision}/docs/rules.md#{anchor}"


def heading_anchor(heading: str) -> str:
    """The anchor GitHub and the docs (MyST) give a Markdown heading: lower case, without
    punctuation, spaces as dashes."""
    kept = "".join(char for char in heading.lower() if char.isalnum() or char in " -_")
    return kept.replace(" ", "-")
