"""The staged content of post-mortems: what a commit would record, not the working tree.

The index is the one git names (``GIT_INDEX_FILE``: the temporary index of ``git commit -a``
or ``git commit PATH``, a worktree's own); its entries are listed as NUL-separated raw diff
records against the checked-out commit and read by blob id, so that no file name is ever
parsed, quoted or taken for an option or a pattern.
"""

import os
from pathlib import Path

import attrs

from postmortem.errors import DocumentError, Problem, UsageError
from postmortem.gitcmd import ObjectReader, Repository

__all__ = ["StagedFile", "file_at_revision", "files_at_revision", "staged_files"]

_GITLINK = b"160000"
"""The mode of a submodule's commit: no file of this repository to check."""


@attrs.frozen
class StagedFile:
    """A file added, modified or changed in type in the index, as the commit would record it."""

    name: str
    """Its path in the repository, decoded as the file system's names are."""
    blob: str

    def content(self, objects: ObjectReader, limit: int) -> bytes:
        """At most ``limit + 1`` bytes of what is staged (more: it is larger than ``limit``)."""
        content = objects.read(self.blob, limit)
        if content is None:
            message = f"the staged blob {self.blob} is missing from the repository"
            raise DocumentError([Problem(self.name, 0, 0, "", message)])
        return content


def staged_files(repository: Repository) -> list[StagedFile]:
    """The files the next commit adds, modifies or changes the type of (a rename is a new
    file), in git's order."""
    base = repository.head(label="staged files") or repository.empty_tree
    output = repository.git(
        "diff-index", "--cached", "--raw", "-z", "--no-renames", "--diff-filter=AMT", base,
        label="staged files",
    )  # fmt: skip
    fields = output.split(b"\0")
    staged = []
    for meta, name in zip(fields[0::2], fields[1::2], strict=False):
        _, mode, _, blob, _ = meta.split(b" ")
        if mode != _GITLINK:
            staged.append(StagedFile(os.fsdecode(name), blob.decode("ascii")))
    return staged


def file_at_revision(directory: Path, revision: str, name: str) -> bytes | None:
    """The content of the file ``name`` in ``directory`` as the git ``revision`` has it (at
    most 256 MiB); None if it has no such file. A revision git does not know is a usage
    error."""
    return files_at_revision(directory / name, revision).get(name)


def files_at_revision(path: Path, revision: str, limit: int = 256 << 20) -> dict[str, bytes]:
    """The files at ``path`` (a file, or a folder and everything under it) as the git
    ``revision`` has them, by their path relative to ``path``'s folder (a file) or to
    ``path`` (a folder); at most ``limit`` bytes of each. A revision git does not know is a
    usage error."""
    from postmortem._shown import shown_path
    from postmortem.gitcmd import GitError, open_repository

    directory = path.parent if not path.is_dir() else path
    repository = open_repository(directory, label=shown_path(str(directory)))
    try:
        repository.git(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}",
            label=revision,
        )  # fmt: skip
    except GitError:
        raise UsageError(f"{revision}: no such revision in {repository.root}") from None
    relative = path.resolve().relative_to(repository.root).as_posix()
    listing = repository.git(
        "ls-tree", "-r", "-z", "--full-tree", revision, "--", relative, label=revision
    )
    base = directory.resolve().relative_to(repository.root).as_posix()
    found: dict[str, bytes] = {}
    with repository.objects() as objects:
        for entry in filter(None, listing.split(b"\0")):
            meta, name = entry.split(b"\t", 1)
            _, kind, object_id = meta.split(b" ")
            content = objects.read(object_id.decode("ascii"), limit) if kind == b"blob" else None
            if content is not None:
                inside = (
                    os.fsdecode(name).removeprefix(base).lstrip("/")
                    if base != "."
                    else os.fsdecode(name)
                )
                found[inside] = content
    return found
