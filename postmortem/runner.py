"""Files in, findings out: the one runner behind ``postmortem check``, the hooks and the plain
git hook (staged content, many files in parallel)."""

import functools
import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import DocumentError, Finding, PolicyError, PostMortemError, Problem
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
    only_post_mortems: bool = False,
) -> ExitCode:
    """Check ``paths`` (and, with ``staged``, the staged files) with the rules ``hooks`` run,
    and report the findings. See :func:`check_paths` for ``only_post_mortems``."""
    import sys

    try:
        findings = check_paths(
            paths, hooks, today=today, staged=staged, only_post_mortems=only_post_mortems
        )
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
    only_post_mortems: bool = False,
) -> list[Finding]:
    """The findings for ``paths`` (and, with ``staged``, for the staged files).

    Published copies that are not YAML get the leak check. With ``only_post_mortems`` (the
    hooks, which are handed every changed file), a file that is neither a post-mortem nor a
    published copy (:func:`postmortem.discovery.role_of`) is passed over; without it, every
    other file named is checked as a post-mortem. A temporary file that an interrupted
    write left (:func:`postmortem.files.is_temporary_file`) is a PM101 finding, so that it
    is not committed.
    """
    policies: dict[Path, Policy] = {}
    findings = _staged_findings(hooks, today, policies) if staged else []
    return findings + _check_files(paths, hooks, today, policies, only_post_mortems)


def _check_one(
    source: str,
    read: Callable[[], str],
    hooks: Sequence[str],
    *,
    today: date | None,
    policy: "Policy",
    relative_path: str,
    only_post_mortems: bool,
) -> list[Finding]:
    from postmortem.checks import check_text, findings_from_problems, text_findings
    from postmortem.checks.classification import published_copy_findings
    from postmortem.discovery import Role, role_of
    from postmortem.files import is_temporary_file

    if is_temporary_file(source):
        message = "a temporary file a killed postmortem write left behind; delete it"
        return findings_from_problems([Problem(source, 0, 0, "", message)], policy)
    role = role_of(source, policy, read)
    if role is Role.OTHER and only_post_mortems:
        return []
    try:
        text = read()
    except DocumentError as error:
        return findings_from_problems(error.problems, policy)
    if role is Role.PUBLISHED_COPY:
        copy_findings = text_findings(text, source, policy, hooks)
        if "classification" in hooks:
            copy_findings += published_copy_findings(text, source, policy)
        return copy_findings
    return check_text(text, source, policy, hooks, today=today, relative_path=relative_path)


def _staged_findings(
    hooks: Sequence[str], today: date | None, policies: dict[Path, "Policy"]
) -> list[Finding]:
    from postmortem.files import decode_text
    from postmortem.policy import find_policy, relative_to_root
    from postmortem.staged import open_work_tree, staged_content, staged_files

    repo = open_work_tree(Path.cwd())
    root = Path(repo.working_tree_dir or ".")
    findings: list[Finding] = []
    for name in staged_files(repo):
        policy = find_policy(root / name, policies)

        def read(name: str = name, policy: "Policy" = policy) -> str:
            content = staged_content(repo, name)
            return decode_text(content, name, max_bytes=policy.max_file_bytes)

        findings += _check_one(
            name,
            read,
            hooks,
            today=today,
            policy=policy,
            relative_path=relative_to_root(root / name, policy),
            only_post_mortems=True,
        )
    return findings


_PARALLEL_FROM = 64
"""With this many files or more, the checks run in one process per core."""


def _check_files(
    paths: Sequence[str],
    hooks: Sequence[str],
    today: date | None,
    policies: dict[Path, "Policy"],
    only_post_mortems: bool,
) -> list[Finding]:
    from postmortem.policy import find_policy, read_governed, relative_to_root

    workers = min(os.cpu_count() or 1, len(paths) // (_PARALLEL_FROM // 2))
    if workers < 2 or len(paths) < _PARALLEL_FROM:
        findings: list[Finding] = []
        for path in paths:
            policy = find_policy(path, policies)
            findings += _check_one(
                path,
                functools.partial(read_governed, path, policy),
                hooks,
                today=today,
                policy=policy,
                relative_path=relative_to_root(path, policy),
                only_post_mortems=only_post_mortems,
            )
        return findings
    from concurrent.futures import ProcessPoolExecutor

    chunks = [list(paths[index::workers]) for index in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(
            pool.map(
                _check_files,
                chunks,
                [hooks] * workers,
                [today] * workers,
                [{}] * workers,
                [only_post_mortems] * workers,
            )
        )
    order = {path: index for index, path in enumerate(paths)}
    return sorted(
        (finding for chunk in results for finding in chunk), key=lambda f: order.get(f.source, 0)
    )
