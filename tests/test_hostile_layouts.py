"""Hostile layouts: a team's layout never runs code, hangs, takes the machine's memory or
reads outside the repository; whatever is wrong with it is one located line and exit 2."""

import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

import postmortem
from postmortem import hooks
from postmortem.cli import main
from postmortem.errors import LayoutError, Problem
from postmortem.render import layouts, render
from tests.conftest import EXAMPLES
from tests.hostile import LAYOUT_CASES, VALID_HEAD, one_located_line, write_layout_case

LAYOUT = "layouts/postmortem.md.j2"


@pytest.fixture
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Layouts stopped after 0.4 s, so that the tests of the time bound are quick."""
    monkeypatch.setattr(layouts, "LAYOUT_SECONDS", 0.4)


def _run(command: str, document: str) -> int:
    if command == "render":
        return main(["render", document, "--no-git-history"])
    if command == "export":
        return main(["export", document, "--audience", "Internal"])
    return hooks.render([document])


@pytest.mark.usefixtures("short_bounds")
@pytest.mark.parametrize("command", ["render", "hook"])
@pytest.mark.parametrize("name", sorted(LAYOUT_CASES))
def test_a_hostile_layout_is_stopped_and_reported_on_one_located_line(
    name: str,
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_layout_case(tmp_path, name)
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    assert _run(command, "INC-1.yaml") == 2
    assert time.monotonic() - started < 2
    _, line, reason = LAYOUT_CASES[name]
    located = one_located_line(capsys.readouterr())
    assert (located["file"], located["line"]) == (LAYOUT, str(line))
    assert reason in located["rest"]
    assert not (tmp_path / "INC-1.md").exists(), "the hook wrote nothing"


@pytest.mark.usefixtures("short_bounds")
@pytest.mark.parametrize("name", ["endless-loop", "class-probe", "syntax-error"])
def test_export_as_markdown_stops_a_hostile_layout_the_same_way(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_layout_case(tmp_path, name)
    monkeypatch.chdir(tmp_path)
    assert _run("export", "INC-1.yaml") == 2
    assert one_located_line(capsys.readouterr())["file"] == LAYOUT


def test_the_command_line_stops_an_endless_layout_within_its_bound(tmp_path: Path) -> None:
    write_layout_case(tmp_path, "endless-loop")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "postmortem", "render", "INC-1.yaml", "--no-git-history"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert time.monotonic() - started < layouts.LAYOUT_SECONDS + 1.5
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"{LAYOUT}:1:0: did not finish within 1.0 s\n"


def test_the_api_raises_a_layout_error_and_renders_again_once_the_layout_is_fixed(
    tmp_path: Path,
) -> None:
    write_layout_case(tmp_path, "class-probe")
    doc = postmortem.loads(VALID_HEAD)
    with pytest.raises(LayoutError) as raised:
        render(doc, templates=tmp_path / "layouts")
    assert raised.value.problem.line == 1
    assert "'__class__' of 'str' object is unsafe" in raised.value.problem.message
    assert pickle.loads(pickle.dumps(raised.value)).problem == raised.value.problem
    (tmp_path / LAYOUT).write_text("# {{ doc.metadata.id }}\n", encoding="utf-8")
    assert render(doc, templates=tmp_path / "layouts") == "# INC-1\n"


def _repository(root: Path, policy: str = "templates: layouts\n") -> Path:
    (root / ".git").mkdir(parents=True)
    (root / "layouts").mkdir()
    (root / ".postmortem.yaml").write_text(policy, encoding="utf-8")
    document = root / "INC-1.yaml"
    document.write_text(
        (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return document


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("outside/secret.md.j2", "outside the repository"),
        ("/dev/zero", "not a regular file"),
    ],
)
def test_a_layout_linking_out_of_the_repository_is_not_read(
    target: str,
    reason: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.md.j2").write_text("TOP SECRET\n", encoding="utf-8")
    _repository(tmp_path / "repo")
    (tmp_path / "repo" / "layouts" / "shared.md.j2").symlink_to(tmp_path / target)
    (tmp_path / "repo" / LAYOUT).write_text('{% include "shared.md.j2" %}', encoding="utf-8")
    monkeypatch.chdir(tmp_path / "repo")
    assert main(["render", "INC-1.yaml", "--no-git-history"]) == 2
    captured = capsys.readouterr()
    assert "TOP SECRET" not in captured.out
    located = one_located_line(captured)
    assert (located["file"], located["line"]) == ("layouts/shared.md.j2", "0")
    assert reason in located["rest"]


def test_a_layouts_folder_linking_out_of_the_repository_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "postmortem.md.j2").write_text("TOP SECRET\n", encoding="utf-8")
    _repository(tmp_path / "repo", "templates: linked\n")
    (tmp_path / "repo" / "linked").symlink_to(tmp_path / "outside")
    monkeypatch.chdir(tmp_path / "repo")
    assert main(["render", "INC-1.yaml", "--no-git-history"]) == 2
    located = one_located_line(capsys.readouterr())
    assert located["file"] == "linked/postmortem.md.j2"
    assert "outside the repository" in located["rest"]


@pytest.mark.parametrize(
    ("folder", "reason"),
    [
        ("/etc", "is absolute"),
        (r"C:\layouts", "is absolute"),
        ("layouts/../../elsewhere", "leads out of the repository"),
        (r"..\elsewhere", "leads out of the repository"),
        ("' '", "name a folder inside the repository"),
    ],
)
def test_a_layouts_folder_outside_the_repository_is_a_policy_error(
    folder: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _repository(tmp_path, f"templates: {folder}\n")
    assert main(["render", str(document), "--no-git-history"]) == 2
    located = one_located_line(capsys.readouterr())
    assert (located["file"], located["line"]) == (str(tmp_path / ".postmortem.yaml"), "1")
    assert located["rest"].startswith("templates: ")
    assert reason in located["rest"]


def test_a_team_layout_may_extend_the_built_in_base_and_include_its_own_parts(
    tmp_path: Path,
) -> None:
    document = _repository(tmp_path)
    built_in = Path(layouts.__file__).parent / "templates" / "postmortem.md.j2"
    built_in_layout = built_in.read_text(encoding="utf-8")
    title = "# Post-Mortem: {{ doc.metadata.title or doc.metadata.id }}"
    assert title in built_in_layout
    (tmp_path / LAYOUT).write_text(
        built_in_layout.replace(title, '{% include "parts/title.md.j2" %}'), encoding="utf-8"
    )
    (tmp_path / "layouts" / "parts").mkdir()
    (tmp_path / "layouts" / "parts" / "title.md.j2").write_text(
        "# ACME | {{ doc.metadata.id }}\n", encoding="utf-8"
    )
    doc = postmortem.load(document)
    ours = render(doc, templates=tmp_path / "layouts", within=tmp_path)
    assert ours.startswith("# ACME | PM-2024-007\n")
    assert ours.split("\n", 1)[1] == render(doc).split("\n", 1)[1]


def test_a_model_object_shows_its_fields_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "layouts").mkdir()
    (tmp_path / LAYOUT).write_text(
        "{{ doc.metadata.title }} {{ doc.action_items | length }} {{ doc.open_follow_ups }}",
        encoding="utf-8",
    )
    with pytest.raises(LayoutError) as raised:
        render(postmortem.loads(VALID_HEAD), templates=tmp_path / "layouts")
    assert raised.value.problem == Problem(
        str(tmp_path / LAYOUT),
        1,
        0,
        "",
        "access to attribute 'open_follow_ups' of 'PostMortem' object is unsafe.",
    )
