"""The staged content of post-mortems: what a commit would record, not the working tree."""

from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import PostMortemError

if TYPE_CHECKING:
    import git

__all__ = ["file_at_revision", "open_work_tree", "staged_content", "staged_files"]


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


def staged_files(repo: "git.Repo") -> list[str]:
    """The repository paths of the added, copied, modified or renamed files in the index."""
    listing = repo.git.diff("--cached", "--name-only", "-z", "--diff-filter=ACMR")
    return [name for name in listing.split("\0") if name]


def staged_content(repo: "git.Repo", name: str) -> bytes:
    """The staged content of the repository path ``name``."""
    content: bytes = repo.git.get_object_data(f":{name}")[3]
    return content


def file_at_revision(directory: Path, revision: str, name: str) -> bytes | None:
    """The content of the file ``name`` in ``directory`` as the git ``revision`` has it;
    None if it has no such file. A revision git does not know is a usage error."""
    import git

    repo = open_work_tree(directory)
    try:
        repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    except git.GitCommandError:
        raise PostMortemError(f"{revision}: no such revision in {repo.working_tree_dir}") from None
    top = Path(repo.working_tree_dir or ".").resolve()
    relative = (directory.resolve() / name).relative_to(top).as_posix()
    try:
        content: bytes = repo.git.get_object_data(f"{revision}:{relative}")[3]
    except (ValueError, git.GitCommandError):
        return None
    return content
