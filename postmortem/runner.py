"""Files in, findings out: the one runner behind ``postmortem check``, the hooks and the plain
git hook (staged content, many files in parallel)."""

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import DocumentError, Finding, PolicyError, PostMortemError
from postmortem.reporting import ExitCode, policy_error, report

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = ["check_paths", "run"]


def run(
    paths: Sequence[str],
    hooks: Sequence[str],
    *,
    output_format: str = "text",
    today: date | None = None,
    staged: bool = False,
) -> ExitCode:
    """Check ``paths`` (and, with ``staged``, the staged post-mortems) with the rules
    ``hooks`` run, and report the findings."""
    import sys

    try:
        findings = check_paths(paths, hooks, today=today, staged=staged)
    except PolicyError as error:
        return policy_error(error)
    except PostMortemError as error:
        print(f"postmortem: {error}", file=sys.stderr)
        return ExitCode.USAGE
    return report(findings, output_format)


def check_paths(
    paths: Sequence[str],
    hooks: Sequence[str],
    *,
    today: date | None = None,
    staged: bool = False,
) -> list[Finding]:
    """The findings for ``paths`` (and, with ``staged``, for the staged post-mortems)."""
    policies: dict[Path, Policy] = {}
    findings = _staged_findings(hooks, today, policies) if staged else []
    return findings + _check_files(paths, hooks, today, policies)


def _staged_findings(
    hooks: Sequence[str], today: date | None, policies: dict[Path, "Policy"]
) -> list[Finding]:
    from postmortem.checks import check_text, finding_from_problem
    from postmortem.files import decode_text
    from postmortem.policy import POLICY_FILE, find_policy, relative_to_root
    from postmortem.staged import open_work_tree, staged_documents

    repo = open_work_tree(Path.cwd())
    root = Path(repo.working_tree_dir or ".")
    findings: list[Finding] = []
    for name, content in staged_documents(repo, find_policy(root / POLICY_FILE, policies).files):
        policy = find_policy(root / name, policies)
        try:
            text = decode_text(content, name, max_bytes=policy.max_file_bytes)
        except DocumentError as error:
            findings += [finding_from_problem(problem) for problem in error.problems]
            continue
        relative = relative_to_root(root / name, policy)
        findings += check_text(text, name, policy, hooks, today=today, relative_path=relative)
    return findings


_PARALLEL_FROM = 64
"""With this many files or more, the checks run in one process per core."""


def _check_files(
    paths: Sequence[str], hooks: Sequence[str], today: date | None, policies: dict[Path, "Policy"]
) -> list[Finding]:
    from postmortem.checks import check_file
    from postmortem.policy import find_policy

    workers = min(os.cpu_count() or 1, len(paths) // (_PARALLEL_FROM // 2))
    if workers < 2 or len(paths) < _PARALLEL_FROM:
        return [
            finding
            for path in paths
            for finding in check_file(path, hooks, today=today, policy=find_policy(path, policies))
        ]
    from concurrent.futures import ProcessPoolExecutor

    chunks = [list(paths[index::workers]) for index in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(
            pool.map(_check_files, chunks, [hooks] * workers, [today] * workers, [{}] * workers)
        )
    order = {path: index for index, path in enumerate(paths)}
    return sorted(
        (finding for chunk in results for finding in chunk), key=lambda f: order.get(f.source, 0)
    )
