"""Files in, findings out: the one runner behind ``postmortem check``, the hooks and the plain
git hook (staged content, many files in parallel)."""

import functools
import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem._terminal import terminal_text
from postmortem.errors import DocumentError, Finding, PolicyError, PostMortemError, Problem
from postmortem.files import read_text
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
    policy_from: str | None = None,
    use_cache: bool = True,
) -> ExitCode:
    """Check ``paths`` (and, with ``staged``, the staged files) with the rules ``hooks`` run,
    and report the findings. See :func:`check_paths` for the options."""
    import sys

    try:
        findings = check_paths(
            paths,
            hooks,
            today=today,
            staged=staged,
            only_post_mortems=only_post_mortems,
            policy_from=policy_from,
            use_cache=use_cache,
        )
    except PolicyError as error:
        return policy_error(error, output_format)
    except PostMortemError as error:
        print(terminal_text(f"postmortem: {error}"), file=sys.stderr)
        return ExitCode.USAGE
    return report(findings, output_format)


def check_paths(
    paths: Sequence[str],
    hooks: Sequence[str],
    *,
    today: date | None = None,
    staged: bool = False,
    only_post_mortems: bool = False,
    policy_from: str | None = None,
    use_cache: bool = True,
) -> list[Finding]:
    """The findings for ``paths`` (and, with ``staged``, for the staged files).

    Published copies that are not YAML get the leak check. With ``only_post_mortems`` (the
    hooks, which are handed every changed file), a file that is neither a post-mortem nor a
    published copy (:func:`postmortem.discovery.role_of`) is passed over; without it, every
    other file named is checked as a post-mortem. A temporary file that an interrupted
    write left (:func:`postmortem.files.is_temporary_file`) is a PM101 finding, so that it
    is not committed. With ``policy_from``, a git revision, the policies are read from that
    revision and each way the work tree's policy is weaker is a PM601 finding. Documents are
    read through the parse cache of their repository unless ``use_cache`` is false
    (:mod:`postmortem.cache`); the findings are worked out anew on every run.
    """
    from postmortem.policy import policies_from

    if policy_from is not None:
        with policies_from(policy_from):
            findings = check_paths(
                paths,
                hooks,
                today=today,
                staged=staged,
                only_post_mortems=only_post_mortems,
                use_cache=use_cache,
            )
        return findings + _policy_changes(paths, hooks, policy_from)
    policies: dict[Path, Policy] = {}
    findings = _staged_findings(hooks, today, policies, use_cache) if staged else []
    if "classification" in hooks:
        paths = [*paths, *_copies_of(paths, policies)]
    return findings + _check_files(paths, hooks, today, only_post_mortems, use_cache)


def _shown_from_here(path: Path) -> str:
    """``path`` relative to the current folder when it is under it, as file arguments are."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def _policy_changes(paths: Sequence[str], hooks: Sequence[str], revision: str) -> list[Finding]:
    """PM601 for each way the work tree's policy governing ``paths`` (the repository's, when
    none is named) is weaker than the one at ``revision``."""
    from postmortem.checks.policy_changes import weakenings
    from postmortem.checks.registry import RULES, rules_for
    from postmortem.gitcmd import open_repository
    from postmortem.policy import POLICY_FILE, find_policy, policies_from
    from postmortem.yaml_io import located_problems

    if RULES["PM601"] not in rules_for(tuple(hooks)):
        return []
    head_policies: dict[Path, Policy] = {}
    base_policies: dict[Path, Policy] = {}
    top = open_repository(Path.cwd(), label=revision).root
    findings: list[Finding] = []
    for path in sorted({*paths, str(top / "_")}):
        head = find_policy(path, head_policies)
        with policies_from(revision):
            base = find_policy(path, base_policies)
        if not base.selects("PM601"):
            continue
        found = list(weakenings(base, head))
        policy_file = _shown_from_here(head.root / POLICY_FILE)
        if not found or any(finding.source == policy_file for finding in findings):
            continue
        level = base.level("PM601", RULES["PM601"].level)
        suffix = f" (not so at {revision})"
        if os.path.isfile(policy_file):
            text = read_text(policy_file)
            for problem in located_problems(found, text, policy_file):
                findings.append(
                    Finding(
                        problem.source,
                        problem.line,
                        problem.column,
                        "PM601",
                        problem.path,
                        problem.message + suffix,
                        level,
                    )
                )
        else:
            findings += [
                Finding(policy_file, 1, 1, "PM601", "", message + suffix, level)
                for _, message in found
            ]
    return findings


def _copies_of(paths: Sequence[str], policies: dict[Path, "Policy"]) -> list[str]:
    """The published copies in the work tree that name one of ``paths`` as their source and
    are not among them: a change to a source is checked against the copies made from it."""
    from postmortem.discovery import files_under
    from postmortem.policy import find_policy, is_published, read_governed, relative_to_root

    named = {os.path.realpath(path) for path in paths}
    wanted: dict[Path, set[str]] = {}
    for path in paths:
        policy = find_policy(path, policies)
        relative = relative_to_root(path, policy)
        if any(rule.published for rule in policy.path_rules) and not is_published(relative, policy):
            wanted.setdefault(policy.root, set()).add(relative)
    copies = []
    for root, sources in wanted.items():
        policy = find_policy(root / "_", policies)
        for candidate in files_under(root):
            relative = relative_to_root(candidate, policy)
            if not is_published(relative, policy) or os.path.realpath(candidate) in named:
                continue
            try:
                text = read_governed(candidate, policy)
            except DocumentError:
                continue
            if any(source in text for source in sources):
                copies.append(candidate)
    return copies


def _check_one(
    source: str,
    read: Callable[[], str],
    hooks: Sequence[str],
    *,
    today: date | None,
    policy: "Policy",
    location: str | os.PathLike[str],
    only_post_mortems: bool,
    use_cache: bool,
) -> list[Finding]:
    """The findings for the file shown as ``source``, whose text ``read`` gives and whose place
    in the repository (for the policy's patterns) is ``location``."""
    from postmortem.cache import cache_near
    from postmortem.checks import check_text, findings_from_problems, text_findings
    from postmortem.checks.classification import published_copy_findings
    from postmortem.discovery import Role, role_of
    from postmortem.files import is_temporary_file
    from postmortem.policy import relative_to_root

    if is_temporary_file(location):
        message = "a temporary file a killed postmortem write left behind; delete it"
        return findings_from_problems([Problem(source, 0, 0, "", message)], policy)
    read = functools.cache(read)  # the role may need the text too
    relative_path = relative_to_root(location, policy)
    role = role_of(location, policy, read, relative=relative_path)
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
    cache = cache_near(policy.root) if use_cache else None
    return check_text(
        text, source, policy, hooks, today=today, relative_path=relative_path, cache=cache
    )


def _staged_findings(
    hooks: Sequence[str], today: date | None, policies: dict[Path, "Policy"], use_cache: bool
) -> list[Finding]:
    """The findings for the staged files, read from the index by blob id and shown by their
    repository paths."""
    from postmortem._shown import shown_path
    from postmortem.files import decode_text
    from postmortem.gitcmd import open_repository
    from postmortem.policy import find_policy
    from postmortem.staged import StagedFile, staged_files

    repository = open_repository(Path.cwd(), label=shown_path(os.getcwd()))
    findings: list[Finding] = []
    with repository.objects() as objects:
        for staged in staged_files(repository):
            location = repository.root / staged.name
            policy = find_policy(location, policies)

            def read(staged: StagedFile = staged, policy: "Policy" = policy) -> str:
                content = staged.content(objects, policy.max_file_bytes)
                return decode_text(content, staged.name, max_bytes=policy.max_file_bytes)

            findings += _check_one(
                staged.name,
                read,
                hooks,
                today=today,
                policy=policy,
                location=location,
                only_post_mortems=True,
                use_cache=use_cache,
            )
    return findings


_PARALLEL_FROM = 64
"""With this many files or more, the checks run in one process per core."""


def _check_files(
    paths: Sequence[str],
    hooks: Sequence[str],
    today: date | None,
    only_post_mortems: bool,
    use_cache: bool,
) -> list[Finding]:
    workers = min(os.cpu_count() or 1, len(paths) // (_PARALLEL_FROM // 2))
    if workers < 2 or len(paths) < _PARALLEL_FROM:
        return _check_serially(paths, hooks, today, only_post_mortems, use_cache)
    from postmortem._pool import process_pool

    chunks = [list(paths[index::workers]) for index in range(workers)]
    with process_pool(workers) as pool:
        results = list(
            pool.map(
                _check_serially,
                chunks,
                [hooks] * workers,
                [today] * workers,
                [only_post_mortems] * workers,
                [use_cache] * workers,
            )
        )
    order = {path: index for index, path in enumerate(paths)}
    return sorted(
        (finding for chunk in results for finding in chunk), key=lambda f: order.get(f.source, 0)
    )


def _check_serially(
    paths: Sequence[str],
    hooks: Sequence[str],
    today: date | None,
    only_post_mortems: bool,
    use_cache: bool,
) -> list[Finding]:
    """The findings for ``paths``, one after the other, in this process."""
    from postmortem.cache import close_caches
    from postmortem.policy import find_policy, read_governed

    policies: dict[Path, Policy] = {}
    findings: list[Finding] = []
    for path in paths:
        policy = find_policy(path, policies)
        findings += _check_one(
            path,
            functools.partial(read_governed, path, policy),
            hooks,
            today=today,
            policy=policy,
            location=path,
            only_post_mortems=only_post_mortems,
            use_cache=use_cache,
        )
    close_caches()
    return findings
