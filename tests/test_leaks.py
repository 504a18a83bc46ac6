"""The leak check holds by construction: a published copy is what export makes of its source,
its text is searched for what any document of the repository keeps above its label (however
it is spelled), a changed source re-checks its copies, and a source's own lower-labelled
parts may not repeat content a content rule keeps higher."""

import shutil
from pathlib import Path

import pytest

import postmortem
from postmortem import hooks
from postmortem.audiences import export
from postmortem.checks import check_file
from postmortem.leaks import normalise, tokens
from postmortem.model import Classification
from postmortem.policy import find_policy
from tests.conftest import EXAMPLES, internal_postmortem

POLICY = """\
path_rules:
  - paths: ["public/**"]
    labels: [Public, "TLP:CLEAR"]
    published: true
"""
SOURCE = "incidents/INC-2024-0031.yaml"
COPY = "public/INC-2024-0031.yaml"
IOC = "203.0.113.45"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".postmortem.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "incidents").mkdir()
    shutil.copy(EXAMPLES / "security-postmortem.yaml", tmp_path / SOURCE)
    return tmp_path


def _export(root: Path, name: str = SOURCE) -> postmortem.PostMortem:
    policy = find_policy(root / name)
    return export(postmortem.load(root / name), Classification.PUBLIC, policy, source=name)


def _write_copy(root: Path, copy: postmortem.PostMortem, name: str = COPY) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(postmortem.dumps(copy), encoding="utf-8")
    return path


def _pm309(path: Path) -> list[str]:
    findings = check_file(path, ("classification",), policy=find_policy(path))
    return [f"{finding.path}: {finding.message}" for finding in findings if finding.rule == "PM309"]


def test_a_fresh_export_is_clean(repository: Path) -> None:
    assert _pm309(_write_copy(repository, _export(repository))) == []


def test_a_copy_edited_by_hand_is_not_a_fresh_export(repository: Path) -> None:
    copy = _export(repository)
    assert copy.summary is not None
    copy.summary.text += "Nothing secret, but not what export wrote.\n"
    [found] = _pm309(_write_copy(repository, copy))
    assert found.startswith(
        f"summary.text: differs from what `postmortem export {SOURCE} --audience Public "
        "--format yaml` makes of it now"
    )


@pytest.mark.parametrize(
    "spelling",
    [
        IOC,
        "203.000.113.045",
        "203[.]0[.]113[.]45",
        "203%2E0%2E113%2E45",
        "&#50;03.0.113.45",
        "20\u200b3.0.113.45",
        "\uff12\uff10\uff13.0.113.45",
        f"http://{IOC}:8080/x",
    ],
)
def test_a_secret_is_found_however_it_is_spelled(repository: Path, spelling: str) -> None:
    copy = _export(repository)
    assert copy.summary is not None
    copy.summary.text = copy.summary.text.replace(
        "No payment data", f"From {spelling}. No payment data"
    )
    found = [line for line in _pm309(_write_copy(repository, copy)) if "holds" in line]
    assert found == [f"summary.text: holds '{IOC}', which {SOURCE} keeps above Public"]


def test_a_secret_of_another_document_is_found_whatever_the_copy_names(repository: Path) -> None:
    """The copy names a harmless source, but holds what a third document keeps Confidential."""
    harmless = "incidents/INC-2024-0007.yaml"
    document = internal_postmortem()
    document.metadata.classification = Classification.PUBLIC
    postmortem.dump(document, repository / harmless)
    copy = _export(repository, harmless)
    assert copy.summary is not None
    copy.summary.text += f"Related: traffic from {IOC}.\n"
    found = _pm309(_write_copy(repository, copy, "public/INC-2024-0007.yaml"))
    assert f"summary.text: holds '{IOC}', which {SOURCE} keeps above Public" in found


def test_a_markdown_copy_must_be_a_fresh_rendering(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from postmortem.render import render

    text = render(_export(repository))
    path = repository / "public" / "INC-2024-0031.md"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    assert hooks.classification([str(path)]) == 0
    lines = text.splitlines()
    lines.insert(5, "An extra line.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert hooks.classification([str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:6:1: PM309 differs from what `postmortem export {SOURCE}" in out


def test_a_changed_source_re_checks_its_copies(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_copy(repository, _export(repository))
    assert hooks.classification([str(repository / SOURCE)]) == 0
    with postmortem.edit(repository / SOURCE) as doc:
        assert doc.summary is not None
        doc.summary.text = "A new public summary.\n"
    assert hooks.classification([str(repository / SOURCE)]) == 1
    out = capsys.readouterr().out
    assert f"{repository / COPY}:" in out
    assert "PM309 summary.text: differs from what `postmortem export" in out


def test_a_lower_labelled_part_may_not_repeat_protected_content(repository: Path) -> None:
    with postmortem.edit(repository / SOURCE) as doc:
        assert doc.summary is not None
        doc.summary.text += f"The attacker came from {IOC}.\n"
    findings = check_file(repository / SOURCE, ("classification",))
    assert [(f.rule, f.path, f.message) for f in findings] == [
        (
            "PM307",
            "summary.text",
            f"holds '{IOC}' from the document's iocs, which must be at least Confidential",
        )
    ]


def test_normalisation_folds_every_spelling_to_one() -> None:
    assert normalise("HXXPS://Evil[.]Example[.]com") == "https://evil.example.com"
    assert tokens("2001:DB8:0:0::1 and 2001:db8::1") == {"2001:db8::1"}
    assert tokens("mail root@db-7.example.net now") >= {"db-7.example.net"}
