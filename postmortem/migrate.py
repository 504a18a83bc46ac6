"""``postmortem migrate``: documents of an older schema rewritten in the current one, and the
files of the repository that name what changed: the policy, the team layouts and the
committed JSON Schema.

Documents are rewritten through the faithful edit (:func:`postmortem.yaml_io.migrate_text`):
comments, order and quoting stay, values move to their new homes with their comments, and
running it again changes nothing. Every write is atomic and refuses to overwrite a file
changed meanwhile.
"""

import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import attrs

from postmortem.discovery import Role, expand_paths
from postmortem.errors import DocumentError, Problem
from postmortem.files import read_with_state, write_atomic
from postmortem.policy import (
    POLICY_FILE,
    Policy,
    find_policy,
    is_published,
    policy_from_text,
    relative_to_root,
)
from postmortem.yaml_io import migrate_text

__all__ = ["Migrated", "NotMigrated", "migrate"]


@attrs.frozen
class Migrated:
    """A file ``migrate`` rewrote, and what it was."""

    path: str
    kind: str
    """``document``, ``published copy``, ``policy``, ``layout`` or ``JSON Schema``."""


_POLICY_RENAMES = ((re.compile(r"\battack_analysis\b"), "root_cause"),)
"""Schema 1's section names the policy may name (section labels, required sections)."""

_LAYOUT_RENAMES = (
    (re.compile(r"\battack_analysis\b(?=\s*[\"'])"), "root_cause"),
    (re.compile(r"\.attack_analysis\b"), ".root_cause.attack"),
    (re.compile(r"\bmetadata\.incident_start\b"), "metadata.lifecycle.started"),
    (re.compile(r"\bmetadata\.incident_end\b"), "metadata.lifecycle.resolved"),
    (re.compile(r"\bmetadata\.detected\b"), "metadata.lifecycle.detected"),
    (re.compile(r"\bmetadata\.resolved\b"), "metadata.lifecycle.resolved"),
)
"""What a team layout may read of schema 1 (``doc.attack_analysis``, ``spec.field ==
"attack_analysis"``, ``doc.metadata.detected``), as schema 2 names it."""

_SCHEMA_FILE = "postmortem.schema.json"


@attrs.frozen
class NotMigrated:
    """A document left as it was because it does not load: its problems."""

    path: str
    problems: tuple[Problem, ...]


def migrate(paths: Sequence[str]) -> Iterator[Migrated | NotMigrated]:
    """Rewrite the documents and published copies under ``paths`` in the current schema, and
    the policy, layouts and JSON Schema of each repository they are in; yields each file
    rewritten, and each document left as it was because it does not load. A
    :class:`~postmortem.errors.ConcurrentEditError` for a file changed meanwhile."""
    for policy_path in _policy_files(paths):
        if _rewritten(policy_path, _POLICY_RENAMES, check=_policy_check(policy_path)):
            yield Migrated(os.fspath(policy_path), "policy")
    policies: dict[Path, Policy] = {}
    roots: dict[Path, Policy] = {}
    for path in expand_paths(paths, frozenset({Role.DOCUMENT, Role.PUBLISHED_COPY})):
        policy = find_policy(path, policies)
        roots.setdefault(policy.root.absolute(), policy)
        if not path.lower().endswith((".yaml", ".yml")):
            continue
        try:
            text, state = read_with_state(path, max_bytes=policy.max_file_bytes, within=policy.root)
            written = migrate_text(text, path, ticket_url=policy.ticket_url)
        except DocumentError as error:
            yield NotMigrated(path, tuple(error.problems))
            continue
        if written != text:
            write_atomic(path, written, expected=state)
            published = is_published(relative_to_root(path, policy), policy)
            kind = "published copy" if published else "document"
            yield Migrated(path, kind)
    for root, policy in roots.items():
        yield from _repository_files(root, policy)


def _policy_files(paths: Sequence[str]) -> list[Path]:
    """The policy files that govern ``paths``: those above each (up to its git work tree)
    and those in the folders named. They are migrated first, since an old policy may name
    what the program no longer reads."""
    found: list[Path] = []
    for path in paths:
        start = Path(path).absolute()
        directory = start if start.is_dir() else start.parent
        while True:
            if (directory / POLICY_FILE).is_file():
                found.append(directory / POLICY_FILE)
            if (directory / ".git").exists() or directory.parent == directory:
                break
            directory = directory.parent
        if start.is_dir():
            found += sorted(start.rglob(POLICY_FILE))
    return list(dict.fromkeys(found))


def _repository_files(root: Path, policy: Policy) -> Iterator[Migrated]:
    layouts = policy.templates_dir()
    if layouts is not None and layouts.is_dir():
        for layout in sorted(layouts.rglob("*")):
            if (
                layout.is_file()
                and not layout.is_symlink()
                and _rewritten(layout, _LAYOUT_RENAMES, within=policy.root)
            ):
                yield Migrated(os.fspath(layout), "layout")
    schema_path = root / _SCHEMA_FILE
    if schema_path.is_file():
        from postmortem.schema import json_schema

        text, state = read_with_state(schema_path, within=policy.root)
        current = json.dumps(json_schema(), indent=2) + "\n"
        if text != current:
            write_atomic(schema_path, current, expected=state)
            yield Migrated(os.fspath(schema_path), "JSON Schema")


def _rewritten(
    path: Path,
    renames: Sequence[tuple[re.Pattern[str], str]],
    *,
    within: Path | None = None,
    check: Callable[[str], object] | None = None,
) -> bool:
    """Apply ``renames`` to the file at ``path``; whether it changed. ``check`` must accept
    the new text (it raises otherwise, and nothing is written)."""
    text, state = read_with_state(path, within=within)
    new = text
    for pattern, replacement in renames:
        new = pattern.sub(replacement, new)
    if new == text:
        return False
    if check is not None:
        check(new)
    write_atomic(path, new, expected=state)
    return True


def _policy_check(path: Path) -> Callable[[str], object]:
    """A check that the migrated text of the policy at ``path`` is a policy."""
    return lambda text: policy_from_text(text, os.fspath(path), path.parent)
