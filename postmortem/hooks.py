"""The pre-commit hooks: ``postmortem-validate``, ``-completeness``, ``-classification``.

Each is ``main(argv) -> int`` over the same runner as ``postmortem check``: prints
``path:line:col: RULE-ID message`` per finding and exits 1 on findings, 2 on a
usage or policy error, 0 when clean.
"""

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import DocumentError, Finding, PolicyError, PostMortemError

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = [
    "EXIT_CLEAN",
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_USAGE",
    "add_today_option",
    "classification",
    "completeness",
    "internal_error",
    "render",
    "report",
    "run",
    "validate",
]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def internal_error(error: Exception) -> int:
    """A bug of ours, on one line rather than as a traceback; POSTMORTEM_DEBUG=1 re-raises."""
    if os.environ.get("POSTMORTEM_DEBUG"):
        raise error
    print(
        f"postmortem: internal error: {type(error).__name__}: {error} "
        "(please report it; POSTMORTEM_DEBUG=1 shows the traceback)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


def policy_error(error: PolicyError) -> int:
    """A policy that cannot be used: its problems on standard error, and the usage exit code."""
    for problem in error.problems:
        print(f"{problem} (policy)", file=sys.stderr)
    return EXIT_USAGE


def report(findings: Iterable[Finding], output_format: str = "text") -> int:
    """Print findings in ``text``, ``json`` or ``github`` form; the exit code they call for."""
    import json

    findings = list(findings)
    if output_format == "json":
        rows = [
            {
                "file": finding.source,
                "line": finding.line,
                "column": finding.column,
                "rule": finding.rule,
                "path": finding.path,
                "message": finding.message,
                "level": finding.level,
            }
            for finding in findings
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif output_format == "github":
        for finding in findings:
            message = f"{finding.path}: {finding.message}" if finding.path else finding.message
            print(
                f"::{finding.level} file={finding.source},line={finding.line},col={finding.column},"
                f"title={finding.rule}::{_github_escape(message)}"
            )
    else:
        for finding in findings:
            print(finding if finding.level == "error" else f"{finding} (warning)")
    return EXIT_FINDINGS if any(finding.level == "error" for finding in findings) else EXIT_CLEAN


def _github_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def run(
    paths: Sequence[str],
    groups: Sequence[str],
    *,
    output_format: str = "text",
    today: date | None = None,
    staged: bool = False,
) -> int:
    """Check ``paths`` (or, with ``staged``, the staged post-mortems) and report."""
    from postmortem.checks import check_text, finding_from_problem
    from postmortem.policy import Policy, find_policy, relative_to_root

    policies: dict[Path, Policy] = {}
    try:
        findings: list[Finding] = []
        if staged:
            from postmortem.files import decode_text
            from postmortem.policy import POLICY_FILE
            from postmortem.staged import open_work_tree, staged_documents

            repo = open_work_tree(Path.cwd())
            root = Path(repo.working_tree_dir or ".")
            for name, content in staged_documents(
                repo, find_policy(root / POLICY_FILE, policies).files
            ):
                policy = find_policy(root / name, policies)
                try:
                    text = decode_text(content, name, max_bytes=policy.max_file_bytes)
                except DocumentError as error:
                    findings += [finding_from_problem(problem) for problem in error.problems]
                    continue
                relative = relative_to_root(root / name, policy)
                findings += check_text(
                    text, name, policy, groups, today=today, relative_path=relative
                )
        findings += _check_files(paths, groups, today, policies)
    except PolicyError as error:
        return policy_error(error)
    except PostMortemError as error:
        print(f"postmortem: {error}", file=sys.stderr)
        return EXIT_USAGE
    return report(findings, output_format)


_PARALLEL_FROM = 64
"""With this many files or more, the checks run in one process per core."""


def _check_files(
    paths: Sequence[str], groups: Sequence[str], today: date | None, policies: dict[Path, "Policy"]
) -> list[Finding]:
    from postmortem.checks import check_file
    from postmortem.policy import find_policy

    workers = min(os.cpu_count() or 1, len(paths) // (_PARALLEL_FROM // 2))
    if workers < 2 or len(paths) < _PARALLEL_FROM:
        return [
            finding
            for path in paths
            for finding in check_file(path, groups, today=today, policy=find_policy(path, policies))
        ]
    from concurrent.futures import ProcessPoolExecutor

    chunks = [list(paths[index::workers]) for index in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(
            pool.map(_check_files, chunks, [groups] * workers, [today] * workers, [{}] * workers)
        )
    order = {path: index for index, path in enumerate(paths)}
    return sorted(
        (finding for chunk in results for finding in chunk), key=lambda f: order.get(f.source, 0)
    )


def add_today_option(parser: argparse.ArgumentParser) -> None:
    """``--today``: the date deadlines are judged by, for reproducible runs."""
    parser.add_argument(
        "--today", type=date.fromisoformat, help="date to judge deadlines by (YYYY-MM-DD)"
    )


def _hook(groups: tuple[str, ...], description: str, argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("files", nargs="*", metavar="FILE", help="post-mortem YAML files")
    add_today_option(parser)
    args = parser.parse_args(argv)
    try:
        return run(args.files, groups, today=args.today)
    except Exception as error:
        return internal_error(error)


def render(argv: Sequence[str] | None = None) -> int:
    """``postmortem-render``: keep ``NAME.md`` beside each ``NAME.yaml`` current.

    A fixing hook, as formatters are: it rewrites a stale Markdown file and exits 1;
    it writes only documents that load; the Markdown renders the document's own
    content (no git history), so that a second run changes nothing.
    """
    parser = argparse.ArgumentParser(description="Keep post-mortems' rendered Markdown current.")
    parser.add_argument("files", nargs="*", metavar="FILE", help="post-mortem YAML files")
    args = parser.parse_args(argv)
    try:
        return _render_files(args.files)
    except Exception as error:
        return internal_error(error)


def _render_files(names: Sequence[str]) -> int:
    from postmortem.checks import finding_from_problem
    from postmortem.files import read_text, write_atomic
    from postmortem.policy import find_policy, load_governed
    from postmortem.render import render as render_markdown

    status = EXIT_CLEAN
    policies: dict[Path, Policy] = {}
    for name in names:
        path = Path(name)
        target = path.with_suffix(".md")
        try:
            policy = find_policy(path, policies)
            document = load_governed(name, policy)
            text = render_markdown(document, templates=policy.templates_dir())
            current = read_text(target) if target.exists() else None
        except PolicyError as error:
            return policy_error(error)
        except DocumentError as error:
            for problem in error.problems:
                print(finding_from_problem(problem))
            status = EXIT_FINDINGS
            continue
        if current != text:
            write_atomic(target, text)
            print(f"{target}: rendered from {path}")
            status = EXIT_FINDINGS
    return status


def validate(argv: Sequence[str] | None = None) -> int:
    """``postmortem-validate``: each document loads and matches the model."""
    return _hook(("validate",), "Check that post-mortems load and match the model.", argv)


def completeness(argv: Sequence[str] | None = None) -> int:
    """``postmortem-completeness``: sections, placeholders, owners, deadlines, consistency."""
    description = "Check that post-mortems are complete and consistent."
    return _hook(("validate", "completeness"), description, argv)


def classification(argv: Sequence[str] | None = None) -> int:
    """``postmortem-classification``: labels allowed and fitting path, content, distribution."""
    return _hook(("validate", "classification"), "Check post-mortems' classification labels.", argv)
