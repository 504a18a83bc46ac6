"""Which files are post-mortems: one answer for the hooks, the commands that take folders and
the repository views.

A file is checked as a post-mortem when its repository path matches the policy's ``files``
pattern (it must then load), or when it is YAML that carries a post-mortem's top-level
``schema_version`` or ``profile`` key wherever it lies (either one, so that deleting a line
does not take a document out of the checks). Any other file under a path the
policy marks ``published`` is a published copy, leak-checked whatever its type.
"""

import enum
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import DocumentError, UsageError

if TYPE_CHECKING:
    from postmortem.policy import Policy

__all__ = [
    "YAML_SUFFIXES",
    "Role",
    "carries_document_keys",
    "expand_paths",
    "files_under",
    "role_of",
    "yaml_is_document",
]

YAML_SUFFIXES = (".yaml", ".yml")

_DOCUMENT_KEY = re.compile(r"^(?:schema_version|profile)[ \t]*:", re.MULTILINE)


class Role(enum.Enum):
    """What a file is to the checks."""

    DOCUMENT = "document"
    """A post-mortem: it must load, and every rule applies."""
    PUBLISHED_COPY = "published copy"
    """Not YAML, under a published path: checked for leaks."""
    OTHER = "other"
    """Nothing of ours."""


def carries_document_keys(text: str) -> bool:
    """Whether YAML ``text`` has a post-mortem's top-level ``schema_version`` or ``profile``."""
    return bool(_DOCUMENT_KEY.search(text))


def role_of(
    path: str | os.PathLike[str],
    policy: "Policy",
    read: Callable[[], str] | None = None,
    *,
    relative: str | None = None,
) -> Role:
    """What ``path`` is under ``policy``. Its text (from ``read``, else from the file) is read
    only when the name cannot tell. ``relative`` is its :func:`relative_to_root`, if known."""
    from postmortem.policy import is_published, read_governed, relative_to_root

    relative = relative_to_root(path, policy) if relative is None else relative
    if Path(path).suffix.lower() in YAML_SUFFIXES:

        def carries_keys() -> bool:
            try:
                text = read() if read is not None else read_governed(path, policy)
            except DocumentError:
                return False
            return carries_document_keys(text)

        return Role.DOCUMENT if yaml_is_document(relative, policy, carries_keys) else Role.OTHER
    if policy.names_document(relative):
        return Role.DOCUMENT
    return Role.PUBLISHED_COPY if is_published(relative, policy) else Role.OTHER


def yaml_is_document(
    relative_path: str, policy: "Policy", carries_keys: Callable[[], bool]
) -> bool:
    """Whether the YAML file at ``relative_path`` (from the policy's root) is a post-mortem:
    the policy's ``files`` pattern names it, or ``carries_keys()`` says its text has a
    post-mortem's top-level keys (asked only when the name does not tell)."""
    return policy.names_document(relative_path) or carries_keys()


def expand_paths(
    paths: Sequence[str], roles: frozenset[Role] = frozenset({Role.DOCUMENT})
) -> list[str]:
    """``paths`` with each folder replaced by the files under it (at any depth, hidden folders
    left out) whose role is one of ``roles``; files named outright are kept as they are.

    A path that does not exist is a :class:`UsageError`, so that a misspelled folder is not
    an empty, clean result.
    """
    from postmortem.policy import find_policy

    expanded: list[str] = []
    policies: dict[Path, Policy] = {}
    for path in paths:
        if os.path.isdir(path):
            expanded += [
                name
                for name in files_under(path)
                if role_of(name, find_policy(name, policies)) in roles
            ]
        elif os.path.lexists(path):
            expanded.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return expanded


def files_under(folder: str | os.PathLike[str]) -> Iterator[str]:
    """Every file under ``folder`` at any depth, in name order, hidden files and folders left
    out."""
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(root, name)
