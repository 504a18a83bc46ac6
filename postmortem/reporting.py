"""Exit codes, and the table of formats findings are reported in (text, json, github, sarif).

The CLI and every hook end through here, so that an exit code means the same everywhere.
"""

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import TextIO

from postmortem._shown import utf8_path
from postmortem._terminal import terminal_text
from postmortem.errors import Finding, LayoutError, Level, PolicyError, Problem

__all__ = [
    "REPORTERS",
    "ExitCode",
    "colour_enabled",
    "environment_error",
    "internal_error",
    "layout_error",
    "policy_error",
    "report",
    "styled",
]


class ExitCode(IntEnum):
    """What ``postmortem`` and its hooks exit with."""

    CLEAN = 0
    """Nothing wrong."""
    FINDINGS = 1
    """Problems in the input: findings at the error level, or documents that do not load."""
    USAGE = 2
    """A usage error: a bad option, a missing file or folder, an unusable policy."""
    INTERNAL = 3
    """A bug of ours, reported on one line."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C."""


def internal_error(error: Exception) -> ExitCode:
    """A bug of ours, on one line rather than as a traceback; POSTMORTEM_DEBUG=1 re-raises."""
    if os.environ.get("POSTMORTEM_DEBUG"):
        raise error
    print(
        f"postmortem: internal error: {type(error).__name__}: {error} "
        "(please report it; POSTMORTEM_DEBUG=1 shows the traceback)",
        file=sys.stderr,
    )
    return ExitCode.INTERNAL


def environment_error(error: OSError) -> ExitCode:
    """The machine refused something (a read-only folder, a missing one, a full disk): one
    line naming the file, and the usage exit code; not a bug of ours."""
    where = f"{error.filename}: " if error.filename else ""
    reason = error.strerror or type(error).__name__
    print(f"postmortem: {where}{reason}", file=sys.stderr)
    return ExitCode.USAGE


def policy_error(error: PolicyError, output_format: str = "text") -> ExitCode:
    """A policy that cannot be used: its problems on standard error, and the usage exit code.
    In the SARIF format, a log of a run that did not succeed also goes to standard output,
    the problems its located configuration notifications (an upload step then shows why)."""
    for problem in error.problems:
        print(f"{styled(problem, sys.stderr)} (policy)", file=sys.stderr)
    if output_format == "sarif":
        _sarif([], policy_problems=error.problems)
    return ExitCode.USAGE


def layout_error(error: LayoutError) -> ExitCode:
    """A layout that cannot be rendered: where and why on standard error, and the usage exit
    code."""
    print(styled(error.problem, sys.stderr), file=sys.stderr)
    return ExitCode.USAGE


def colour_enabled(stream: TextIO) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


_BOLD, _RED, _YELLOW, _RESET = "\033[1m", "\033[31m", "\033[33m", "\033[0m"


def styled(item: Finding | Problem, stream: TextIO) -> str:
    """``item`` as one line; on a colour terminal, the place in bold and the rule coloured by
    its level."""
    text = str(item)
    if not colour_enabled(stream):
        return text
    place = item.place
    rest = text[len(place) :]
    if isinstance(item, Finding):
        colour = _RED if item.level is Level.ERROR else _YELLOW
        rest = rest.replace(f" {item.rule} ", f" {colour}{item.rule}{_RESET} ", 1)
    return f"{_BOLD}{place}{_RESET}{rest}"


def _text(findings: Sequence[Finding]) -> None:
    for finding in findings:
        print(styled(finding, sys.stdout))


def _json(findings: Sequence[Finding]) -> None:
    rows = [
        {
            "file": utf8_path(finding.source),
            "line": finding.line,
            "column": finding.column,
            "rule": finding.rule,
            "path": finding.path,
            "message": finding.message,
            "level": finding.level.value,
        }
        for finding in findings
    ]
    print(json.dumps(rows, indent=2, ensure_ascii=False))


def _github(findings: Sequence[Finding]) -> None:
    """GitHub Actions workflow commands; a value cannot end its property or the command."""
    for finding in findings:
        message = f"{finding.path}: {finding.message}" if finding.path else finding.message
        print(
            f"::{finding.level.value} file={_github_property(utf8_path(finding.source))},"
            f"line={finding.line},col={finding.column},"
            f"title={_github_property(finding.rule)}::{_github_data(message)}"
        )


def _github_data(text: str) -> str:
    """``text`` as a workflow command's value: one line, no control character raw."""
    return terminal_text(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def _sarif(findings: Sequence[Finding], *, policy_problems: Sequence[Problem] = ()) -> None:
    """One SARIF 2.1.0 log for GitHub code scanning, its URIs relative to the top of the git
    work tree here (this folder outside git); JSON in ASCII, so that no character of a
    document reaches a terminal raw."""
    from postmortem.gitcmd import GitError, open_repository
    from postmortem.sarif import sarif_log

    try:
        root = open_repository(Path.cwd(), label="check --format sarif").root
    except GitError:
        root = Path.cwd()
    print(json.dumps(sarif_log(findings, root, policy_problems=policy_problems), indent=2))


REPORTERS: dict[str, Callable[[Sequence[Finding]], None]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "sarif": _sarif,
}
"""Output formats by name: each prints every finding to standard output."""


def report(findings: Iterable[Finding], output_format: str = "text") -> ExitCode:
    """Print ``findings`` in ``output_format``; :attr:`ExitCode.FINDINGS` if any is an error."""
    found = list(findings)
    REPORTERS[output_format](found)
    failed = any(finding.level is Level.ERROR for finding in found)
    return ExitCode.FINDINGS if failed else ExitCode.CLEAN
