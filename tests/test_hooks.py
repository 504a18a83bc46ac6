"""The hooks: main(argv) on temporary files, and end to end with the real pre-commit and git."""

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

import postmortem
from postmortem import hooks
from postmortem.cli import main as cli_main
from postmortem.model import (
    Classification,
    DocumentStatus,
    Ioc,
    IocType,
    PostMortem,
)
from tests.conftest import EXAMPLES, internal_postmortem
from tests.gitrepo import GitRepo

TODAY = ["--today", "2024-01-01"]


def complete() -> PostMortem:
    return postmortem.load(EXAMPLES / "postmortem.yaml")


def write(path: Path, doc: PostMortem | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else postmortem.dumps(doc), encoding="utf-8")
    return path


def test_each_hook_exits_0_when_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "pm.yaml", complete())
    for hook in (hooks.validate, hooks.completeness, hooks.classification):
        assert hook([str(path), *TODAY]) == 0
    assert capsys.readouterr().out == ""


def test_checking_hooks_never_write_and_the_render_hook_writes_only_what_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "good.yaml", _no_owner())
    broken = tmp_path / "broken.yaml"
    broken.write_text("profile: [unclosed\n", encoding="utf-8")
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (good, broken)}
    for hook in (hooks.validate, hooks.completeness, hooks.classification):
        hook([str(good), str(broken), *TODAY])
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in before} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken.yaml", "good.yaml"]
    assert hooks.render([str(good), str(broken)]) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "broken.yaml",
        "good.md",
        "good.yaml",
    ]
    assert {path: path.read_bytes() for path in before} == {
        path: content for path, (content, _) in before.items()
    }
    capsys.readouterr()


def test_hooks_run_only_their_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = complete()
    doc.metadata.classification = None
    doc.action_items[0].owner = None
    path = write(tmp_path / "pm.yaml", doc)
    assert hooks.validate([str(path)]) == 0
    assert hooks.completeness([str(path), *TODAY]) == 1
    assert " PM203 " in capsys.readouterr().out
    assert hooks.classification([str(path)]) == 1
    out = capsys.readouterr().out
    assert " PM301 " in out
    assert " PM203 " not in out


def test_a_broken_file_fails_every_hook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "pm.yaml", "profile: postmortem\nmetadata: {id: 7}\n")
    for hook in (hooks.validate, hooks.completeness, hooks.classification):
        assert hook([str(path)]) == 1
        assert (
            capsys.readouterr().out
            == f"{path}:2:16: PM102 metadata.id: expected a string, found a number 7\n"
        )


def test_a_bad_policy_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".postmortem.yaml").write_text("levels: {PM206: never}\n", encoding="utf-8")
    path = write(tmp_path / "incidents" / "pm.yaml", complete())
    assert hooks.completeness([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"{tmp_path / '.postmortem.yaml'}:1:17: levels.PM206: 'never' is not one of"
    )


def test_warnings_do_not_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "pm.yaml", complete())
    assert hooks.completeness([str(path), "--today", "2030-01-01"]) == 0
    assert "PM206" in capsys.readouterr().out
    (tmp_path / ".git").mkdir()
    (tmp_path / ".postmortem.yaml").write_text("levels: {PM206: error}\n", encoding="utf-8")
    assert hooks.completeness([str(path), "--today", "2030-01-01"]) == 1


def test_check_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = complete()
    doc.action_items[0].owner = None
    path = write(tmp_path / "pm.yaml", doc)
    assert cli_main(["check", str(path), "--format", "json", *TODAY]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert [(row["rule"], row["path"], row["level"]) for row in rows] == [
        ("PM203", "action_items[0]", "error")
    ]
    assert rows[0]["line"] > 1
    assert cli_main(["check", str(path), "--format", "github", *TODAY]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        f"::error file={path},line={rows[0]['line']},col={rows[0]['column']},title=PM203::"
    )


def test_check_needs_paths_or_staged(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["check"]) == 2
    assert "name the files or folders to check" in capsys.readouterr().err


# End to end: the real pre-commit and git, in temporary repositories (tests/conftest.py).


def _commit(
    repo: GitRepo, env: dict[str, str], relative: str, doc: PostMortem | str
) -> subprocess.CompletedProcess[str]:
    """Write, stage and try to commit ``relative``; the hooks decide."""
    repo.write(relative, doc)
    repo.git("add", "--", relative, env=env)
    return repo.try_commit(f"add {relative}", env)


def _final_without_timeline() -> PostMortem:
    doc = complete()
    doc.timeline = None
    doc.detection = None
    return doc


def _placeholder() -> PostMortem:
    doc = complete()
    assert doc.summary is not None
    doc.summary.text = "On YYYY-MM-DD the service failed.\n"
    return doc


def _no_owner() -> PostMortem:
    doc = complete()
    doc.action_items[1].owner = None
    return doc


def _no_label() -> PostMortem:
    doc = complete()
    doc.metadata.classification = None
    return doc


def _disallowed_label() -> str:
    text = (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8")
    return text.replace("\n  classification: Confidential\n", "\n  classification: Secret\n", 1)


def _public() -> PostMortem:
    doc = complete()
    doc.metadata.classification = Classification.PUBLIC
    return doc


def _iocs_internal() -> PostMortem:
    doc = internal_postmortem()
    doc.iocs = [Ioc(type=IocType.IP_ADDRESS, value="198.51.100.7", context="edge logs")]
    return doc


REFUSED: list[tuple[str, str, Callable[[], PostMortem | str], str]] = [
    ("missing section", "incidents/a.yaml", _final_without_timeline, "PM201 timeline"),
    ("placeholder", "incidents/b.yaml", _placeholder, "PM202 summary.text"),
    ("no owner", "incidents/c.yaml", _no_owner, "PM203 action_items[1]"),
    ("no label", "incidents/d.yaml", _no_label, "PM301 metadata"),
    ("disallowed label", "incidents/e.yaml", _disallowed_label, "PM102 metadata.classification"),
    (
        "public under confidential path",
        "incidents/confidential/f.yaml",
        _public,
        "PM303 metadata.classification",
    ),
    ("iocs labelled internal", "incidents/g.yaml", _iocs_internal, "PM304 metadata.classification"),
]


@pytest.mark.parametrize(
    ("relative", "make", "expected"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_pre_commit_refuses(
    incidents: tuple[GitRepo, dict[str, str]],
    relative: str,
    make: Callable[[], PostMortem | str],
    expected: str,
) -> None:
    repo, env = incidents
    result = _commit(repo, env, relative, make())
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    rule, _, path = expected.partition(" ")
    assert f"{relative}:" in output
    line = next(line for line in output.splitlines() if f" {rule} " in line)
    assert line.startswith(f"{relative}:")
    assert f" {rule} {path}" in line
    assert "Traceback" not in output
    assert repo.git("log", "--format=%s", "-1").strip() == "set up"


def test_pre_commit_accepts_a_complete_document(incidents: tuple[GitRepo, dict[str, str]]) -> None:
    repo, env = incidents
    result = _commit(repo, env, "incidents/2024/pm.yaml", complete())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "post-mortems are complete and consistent" in result.stdout + result.stderr
    assert repo.git("log", "--format=%s", "-1").strip() == "add incidents/2024/pm.yaml"


def test_plain_hook_checks_the_staged_content_not_the_working_tree(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = plain_hooks_repo
    bad = _no_owner()
    bad.action_items = bad.action_items[:2]
    result = _commit(repo, env, "incidents/pm.yaml", bad)
    assert result.returncode != 0
    output = result.stdout + result.stderr  # git shows a hook's output on stderr
    assert output.startswith("incidents/pm.yaml:")
    assert " PM203 action_items[1]" in output
    write(repo.root / "incidents/pm.yaml", complete())
    result = repo.try_commit("still staged bad", env)
    assert result.returncode != 0, "the working tree is fixed but the staged content is not"
    subprocess.run(["git", "add", "incidents/pm.yaml"], cwd=repo.root, env=env, check=True)
    write(repo.root / "incidents/pm.yaml", "profile: [broken\n")
    result = repo.try_commit("good staged", env)
    assert result.returncode == 0, result.stdout + result.stderr
    shown = repo.git("show", "HEAD:incidents/pm.yaml")
    assert postmortem.loads(shown).metadata.status is DocumentStatus.FINAL


def test_plain_hook_ignores_files_outside_the_policy_pattern(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = plain_hooks_repo
    result = _commit(repo, env, "config/settings.yaml", "not: [a post-mortem\n")
    assert result.returncode == 0, result.stdout + result.stderr


PUBLISHED_POLICY = """\
path_rules:
  - paths: ["incidents/public/**"]
    labels: [Public, "TLP:CLEAR"]
    published: true
"""


@pytest.fixture
def published_source(incidents: tuple[GitRepo, dict[str, str]]) -> tuple[GitRepo, dict[str, str]]:
    """The incidents repository with published copies under incidents/public/ and the
    security example committed as INC-2024-0031, their source."""
    repo, env = incidents
    repo.write(".postmortem.yaml", PUBLISHED_POLICY)
    repo.git("commit", "-q", "--no-verify", "-am", "publish public copies", env=env)
    accepted = _commit(repo, env, SOURCE, (EXAMPLES / "security-postmortem.yaml").read_text())
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    return repo, env


SOURCE = "incidents/INC-2024-0031.yaml"


def test_pre_commit_refuses_a_public_copy_that_leaks_an_internal_ioc(
    published_source: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = published_source
    source = SOURCE
    copy = "incidents/public/INC-2024-0031.yaml"
    (repo.root / "incidents" / "public").mkdir()
    exported = subprocess.run(
        [sys.executable, "-m", "postmortem", "export", source, "--audience", "Public",
         "--format", "yaml", "-o", copy],
        cwd=repo.root, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "withheld" in exported.stdout
    clean = (repo.root / copy).read_text(encoding="utf-8")
    accepted = _commit(repo, env, copy, clean)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    leaked = clean.replace("No payment data was reachable.", "It came from 203.0.113.45.")
    refused = _commit(repo, env, copy, leaked)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    line = next(line for line in output.splitlines() if " PM309 summary.text: holds" in line)
    assert line.startswith(f"{copy}:")
    assert "holds '203.0.113.45'" in line
    assert f"{copy}:" in output.split("differs from what `postmortem export", 1)[0]
    assert repo.git("log", "--format=%s", "-1").strip() == f"add {copy}"


def _scaffold() -> str:
    from postmortem.scaffold import scaffold

    return scaffold("postmortem", incident_id="INC-2025-0001", today=date(2025, 1, 2))


def test_pre_commit_checks_post_mortems_in_any_folder(
    incidents: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = incidents
    refused = _commit(repo, env, "pm/2025/INC-2025-0001.yaml", _scaffold())
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "pm/2025/INC-2025-0001.yaml:" in output
    assert " PM201 summary" in output
    assert " PM301 " in output
    repo.git("reset", "-q")
    accepted = _commit(repo, env, "config/app.yaml", "replicas: 3\nimage: web:1.2\n")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_pre_commit_refuses_a_file_in_the_pattern_that_is_no_post_mortem(
    incidents: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = incidents
    refused = _commit(repo, env, "incidents/notes.yaml", "todo: write it up\n")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "incidents/notes.yaml:1:1: PM102 todo: unknown key" in output


def test_pre_commit_refuses_a_markdown_public_copy_that_leaks(
    published_source: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = published_source
    source = SOURCE
    copy = "incidents/public/INC-2024-0031.md"
    subprocess.run(
        [sys.executable, "-m", "postmortem", "export", source, "--audience", "Public", "-o", copy],
        cwd=repo.root, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    clean = (repo.root / copy).read_text(encoding="utf-8")
    accepted = _commit(repo, env, copy, clean)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    leaked = clean.replace("No payment data was reachable.", "It came from 203.0.113.45.")
    refused = _commit(repo, env, copy, leaked)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    line = next(line for line in output.splitlines() if " PM309 holds" in line)
    number = next(
        index for index, text in enumerate(leaked.splitlines(), 1) if "203.0.113.45" in text
    )
    column = leaked.splitlines()[number - 1].index("203.0.113.45") + 1
    assert line.startswith(f"{copy}:{number}:{column}: PM309 holds '203.0.113.45'"), line
    unlabelled = clean.replace("**Exported from**", "**Copied from**")
    refused = _commit(repo, env, copy, unlabelled)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert f"{copy}:1:1: PM309 a published copy must name the document" in output


def test_plain_hook_checks_post_mortems_in_any_folder(
    plain_hooks_repo: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = plain_hooks_repo
    result = _commit(repo, env, "pm/2025/INC-2025-0001.yaml", _scaffold())
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "pm/2025/INC-2025-0001.yaml:" in output
    assert " PM201 summary" in output


def test_the_check_hook_runs_every_family_in_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = complete()
    doc.metadata.classification = None
    doc.action_items[0].owner = None
    path = write(tmp_path / "pm.yaml", doc)
    separate = []
    for hook in (hooks.validate, hooks.completeness, hooks.classification):
        hook([str(path), *TODAY])
        separate += capsys.readouterr().out.splitlines()
    assert hooks.check([str(path), *TODAY]) == 1
    together = capsys.readouterr().out.splitlines()
    assert sorted(set(separate)) == sorted(together)
    assert {" PM203 ", " PM301 "} <= {f" {line.split()[1]} " for line in together}


def test_pre_commit_runs_every_check_in_the_one_hook(
    incidents: tuple[GitRepo, dict[str, str]],
) -> None:
    repo, env = incidents
    config = repo.root / ".pre-commit-config.yaml"
    text = config.read_text(encoding="utf-8")
    hook_lines = text[text.index("      - id: postmortem-validate") :]
    config.write_text(
        text.replace(
            hook_lines, '      - id: postmortem-check\n        args: [--today, "2024-01-01"]\n'
        ),
        encoding="utf-8",
    )
    repo.git("commit", "-q", "-am", "one hook", "--no-verify", env=env)
    doc = _no_owner()
    doc.metadata.classification = None
    result = _commit(repo, env, "incidents/h.yaml", doc)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert output.count("post-mortems pass every check") == 1
    assert "incidents/h.yaml:" in output
    assert " PM203 action_items[1]" in output
    assert " PM301 metadata" in output
    result = _commit(repo, env, "incidents/h.yaml", complete())
    assert result.returncode == 0, result.stdout + result.stderr
