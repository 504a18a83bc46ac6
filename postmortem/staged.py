"""The staged content of post-mortems: what a commit would record, not the working tree."""

import re
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import PostMortemError

if TYPE_CHECKING:
    import git

__all__ = ["open_work_tree", "staged_documents"]


def open_work_tree(directory: Path) -> "git.Repo":
    """The repository whose work tree holds ``directory``."""
    import git

    try:
        repo = git.Repo(directory, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise PostMortemError(f"{directory}: not inside a git repository") from None
    if repo.working_tree_dir is None:
        raise PostMortemError(f"{directory}: a bare repository has no staged files")
    return repo


def staged_documents(repo: "git.Repo", files: str) -> list[tuple[str, bytes]]:
    """(path, staged content) of each added, copied, modified or renamed file whose repository
    path matches the regular expression ``files``.

    Two git processes in all: one lists the staged files, one ``cat-file --batch`` reads them.
    """
    listing = repo.git.diff("--cached", "--name-only", "-z", "--diff-filter=ACMR")
    pattern = re.compile(files)
    names = [name for name in listing.split("\0") if name and pattern.search(name)]
    return [(name, repo.git.get_object_data(f":{name}")[3]) for name in names]
