"""Inputs that are not plain files or plain values (issue 13, class 8).

The special files of ``tests/hostile.py`` go through every command in ``test_hostile.py``;
here are what needs more than one file: a file swapped during the read, and ``..`` in paths."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from postmortem import files
from postmortem.cli import main
from postmortem.errors import DocumentError
from postmortem.files import read_text

# --- Files that change under the reader, and ".." -------------------------------------------


def _swapped_before_open(monkeypatch: pytest.MonkeyPatch, swap: Callable[[str], object]) -> None:
    """Make ``files.read_text`` find its file replaced (by what ``swap`` makes at its path)
    between its check and its open."""
    real_open = os.open

    def open_after_swap(path: str, flags: int) -> int:
        os.unlink(path)
        swap(path)
        return real_open(path, flags)

    monkeypatch.setattr(files.os, "open", open_after_swap)


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "INC-1.yaml"
    document.write_text("profile: postmortem\n", encoding="utf-8")
    _swapped_before_open(monkeypatch, os.mkfifo)
    with pytest.raises(DocumentError) as refused:
        read_text(document)  # a blocking open of a FIFO with no writer would never return
    assert str(refused.value) == f"{document}:0:0: is a FIFO (named pipe), not a file; not read"


def test_a_folder_swapped_for_a_link_out_after_the_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "repo" / "incidents").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    document = tmp_path / "repo" / "incidents" / "INC-1.yaml"
    document.write_text("profile: postmortem\n", encoding="utf-8")
    (tmp_path / "outside" / "INC-1.yaml").write_text("secret: outside\n", encoding="utf-8")
    real_open = os.open

    def open_after_swap(path: str, flags: int) -> int:
        (tmp_path / "repo" / "incidents").rename(tmp_path / "repo" / "moved")
        (tmp_path / "repo" / "incidents").symlink_to(tmp_path / "outside")
        return real_open(path, flags)

    monkeypatch.setattr(files.os, "open", open_after_swap)
    with pytest.raises(DocumentError) as refused:
        read_text(document, within=tmp_path / "repo")
    assert str(refused.value) == f"{document}:0:0: changed while being read; not read"


def test_a_file_swapped_for_a_link_after_the_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "INC-1.yaml"
    document.write_text("profile: postmortem\n", encoding="utf-8")
    (tmp_path / "secret").write_text("secret: outside\n", encoding="utf-8")
    _swapped_before_open(monkeypatch, lambda path: Path(path).symlink_to(tmp_path / "secret"))
    with pytest.raises(DocumentError, match="symbolic links"):
        read_text(document)


@pytest.fixture
def linked_folders(tmp_path: Path, example_paths: list[Path]) -> Path:
    """A repository with ``b/doc.yaml``, ``real/b/doc.yaml`` and two links to folders:
    ``inside -> real/sub`` and ``out -> ../outside/x``, whose ``..`` leads to
    ``outside/b/doc.yaml``."""
    repo = tmp_path / "repo"
    for folder in ("b", "real/b", "real/sub"):
        (repo / folder).mkdir(parents=True)
    (repo / ".git").mkdir()
    (tmp_path / "outside" / "x").mkdir(parents=True)
    (tmp_path / "outside" / "b").mkdir()
    example = example_paths[0].read_text(encoding="utf-8")
    (repo / "b" / "doc.yaml").write_text(example, encoding="utf-8")
    (repo / "real" / "b" / "doc.yaml").write_text(example + "# real/b\n", encoding="utf-8")
    (tmp_path / "outside" / "b" / "doc.yaml").write_text(example, encoding="utf-8")
    (repo / "inside").symlink_to("real/sub")
    (repo / "out").symlink_to("../outside/x")
    return repo


def test_dotdot_after_a_link_is_resolved_as_the_system_resolves_it(linked_folders: Path) -> None:
    """``inside/../b`` is ``real/b``, not ``b``: the ``..`` leaves from where the link leads."""
    text = read_text(linked_folders / "inside" / ".." / "b" / "doc.yaml", within=linked_folders)
    assert text.endswith("# real/b\n")


def test_dotdot_after_a_link_out_of_the_repository_is_not_read(
    linked_folders: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(linked_folders)
    assert main(["validate", "out/../b/doc.yaml"]) == 1
    outside = linked_folders.parent / "outside" / "b" / "doc.yaml"
    assert capsys.readouterr().out == (
        f"out/../b/doc.yaml:0:0: links to {outside}, outside the repository"
        f" {linked_folders}; not read\n"
    )
