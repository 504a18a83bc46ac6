"""CI on pull requests: ``--policy-from BASE`` checks by the base branch's policy, and each way
the pull request weakens the policy is a PM601 finding located in ``.postmortem.yaml``."""

from pathlib import Path

import pytest

import postmortem
from postmortem import hooks
from postmortem.checks.policy_changes import weakenings
from postmortem.cli import main
from postmortem.model import Classification
from postmortem.policy import policy_from_text
from tests.conftest import EXAMPLES
from tests.gitrepo import GitRepo, init_repo

BASE_POLICY = """\
path_rules:
  - paths: ["public/**"]
    labels: [Public]
    published: true
redactions:
  - {pattern: 'db-\\d+', below: Confidential}
"""


@pytest.fixture
def pull_request(
    tmp_path: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> GitRepo:
    """A base commit with a policy; then a change that ignores the classification rules and
    adds a document without a label."""
    repo = init_repo(tmp_path / "repo")
    repo.write(".postmortem.yaml", BASE_POLICY)
    repo.commit("Policy")
    repo.git("branch", "base")
    repo.write(".postmortem.yaml", "ignore: [PM3]\n" + BASE_POLICY)
    doc = postmortem.load(EXAMPLES / "postmortem.yaml")
    doc.metadata.classification = None
    repo.write("incidents/INC-9.yaml", doc)
    repo.commit("Add INC-9, quieten the label rules")
    monkeypatch.chdir(repo.root)
    return repo


def test_the_base_policy_decides_and_the_weakening_is_a_finding(
    pull_request: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "incidents", "--today", "2024-01-01"]) == 0
    capsys.readouterr()
    assert main(["check", "incidents", "--today", "2024-01-01", "--policy-from", "base"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("incidents/INC-9.yaml:") and " PM301 " in line for line in out)
    rules = ", ".join(f"PM30{number}" for number in range(1, 10))
    assert f".postmortem.yaml:1:9: PM601 ignore: {rules} no longer run (not so at base)" in out


def test_the_hooks_take_the_policy_from_a_revision(
    pull_request: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hooks.classification(["incidents/INC-9.yaml"]) == 0
    assert hooks.classification(["incidents/INC-9.yaml", "--policy-from", "base"]) == 1
    out = capsys.readouterr().out
    assert " PM301 " in out
    assert " PM601 " in out


def test_an_unknown_revision_is_a_usage_error(
    pull_request: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "incidents", "--policy-from", "no-such-branch"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("no-such-branch: no such revision in " + str(pull_request.root))
    assert "Traceback" not in err


def _policy(text: str) -> postmortem.policy.Policy:
    return policy_from_text(text, "p.yaml", Path("."))


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("ignore: [PM309]\n" + BASE_POLICY, "PM309 no longer runs"),
        ("levels: {PM201: warning}\n" + BASE_POLICY, "PM201 findings no longer fail the hooks"),
        ("files: '^pm/.*'\n" + BASE_POLICY, "the files pattern changed"),
        (
            BASE_POLICY.replace("published: true", "published: false"),
            "public/** is no longer published",
        ),
        (BASE_POLICY.replace("labels: [Public]", "labels: [Public, Internal]"), "now allows"),
        (BASE_POLICY.split("redactions")[0], "is no longer masked below Confidential"),
        ("content_rules: []\n" + BASE_POLICY, "iocs no longer needs at least Confidential"),
        ("section_labels: {iocs: Public}\n" + BASE_POLICY, "iocs defaults to Public"),
        (
            "labels: [[Public], [Confidential], [Internal], [Restricted]]\n" + BASE_POLICY,
            "Confidential is ranked less sensitive",
        ),
        ("placeholders: ['TBD']\n" + BASE_POLICY, "is no longer looked for"),
    ],
)
def test_each_weakening_is_named(head: str, message: str) -> None:
    found = [text for _, text in weakenings(_policy(BASE_POLICY), _policy(head))]
    assert any(message in text for text in found), found


def test_a_stricter_policy_is_no_weakening() -> None:
    stricter = BASE_POLICY + "levels: {PM206: error}\nextra_placeholders: ['ACME-\\\\d+']\n"
    stricter = stricter.replace("labels: [Public]", "labels: [Public]\n    published: true", 0)
    assert list(weakenings(_policy(BASE_POLICY), _policy(stricter))) == []
    label = Classification.CONFIDENTIAL.value
    assert (
        list(
            weakenings(
                _policy(BASE_POLICY),
                _policy(f"section_labels: {{summary: {label}}}\n" + BASE_POLICY),
            )
        )
        == []
    )


def test_layouts_come_from_the_base_revision_too(
    tmp_path: Path,
    git_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A pull request that changes a team layout (here into one that never ends) is checked
    with the base branch's layout: the copy rendered with it is clean, and the new layout
    never runs."""
    from postmortem.audiences import export
    from postmortem.policy import find_policy
    from postmortem.render import render

    repo = init_repo(tmp_path / "repo")
    policy = BASE_POLICY + "templates: layouts\n"
    repo.write(".postmortem.yaml", policy)
    repo.write(
        "layouts/postmortem.md.j2",
        "# {{ doc.metadata.title }}\n\n**Classification**: {{ doc.metadata.classification }}\n\n"
        "**Exported from**: {{ doc.metadata.exported_from }}\n",
    )
    source = "incidents/INC-1.yaml"
    doc = postmortem.load(EXAMPLES / "postmortem.yaml")
    doc.metadata.classification = Classification.PUBLIC
    doc.distribution = None
    repo.write(source, doc)
    monkeypatch.chdir(repo.root)
    copy = export(doc, Classification.PUBLIC, find_policy(repo.root / source), source=source)
    repo.write("public/INC-1.md", render(copy, templates="layouts", within="."))
    repo.commit("Base")
    repo.git("branch", "base")
    repo.write(
        "layouts/postmortem.md.j2",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
    )
    repo.commit("A layout that never ends")
    assert main(["check", "public/INC-1.md", "--policy-from", "base"]) == 0, capsys.readouterr()
    assert main(["check", "public/INC-1.md"]) == 2
    assert "layouts/postmortem.md.j2" in capsys.readouterr().err
