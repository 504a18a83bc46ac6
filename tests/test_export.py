"""Labels below the document, audience exports, and the checks that keep them honest."""

from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import postmortem
from postmortem.audiences import export, labelled_text
from postmortem.checks import check_text
from postmortem.cli import main
from postmortem.model import SECTION_NAMES, Classification, PostMortem, SectionLabel
from postmortem.policy import Policy, Redaction
from tests.conftest import EXAMPLES
from tests.strategies import documents

PUBLIC, INTERNAL, CONFIDENTIAL = (
    Classification.PUBLIC,
    Classification.INTERNAL,
    Classification.CONFIDENTIAL,
)

# What each example's copy for an audience must and must not hold.
EXPECTED: dict[tuple[str, Classification], tuple[list[str], list[str]]] = {
    ("security-postmortem", PUBLIC): (
        ["An attacker used an API key", "Partner portal accounts taken over"],
        ["203.0.113.45", "python-requests", "s3://forensics", "Six days passed",
         "Secret scanning on every repository", "Enumeration of /v2/partners"],
    ),
    ("security-postmortem", INTERNAL): (
        ["Six days passed", "Secret scanning on every repository", "Enumeration of /v2/partners"],
        ["203.0.113.45", "Scope keys to endpoints", "s3://forensics", "snap-0a1b2c3d4e5f"],
    ),
    ("postmortem", PUBLIC): (["PM-2024-007"], ["Card payments failed", "Lukas Becker"]),
    ("postmortem", INTERNAL): (["Card payments failed", "Lukas Becker"], []),
    ("retrospective", PUBLIC): (["INC-2024-0417"], ["session tokens", "Priya Raman"]),
    ("retrospective", INTERNAL): (["session tokens", "Priya Raman"], []),
    ("incident-response-report", PUBLIC): (["INC-2024-08-19-002"], ["cluster rebalance"]),
    ("incident-response-report", INTERNAL): (["cluster rebalance"], []),
    ("security-incident-report", PUBLIC): (["INC-2024-06-03-001"], ["signing key"]),
    ("security-incident-report", INTERNAL): (["INC-2024-06-03-001"], ["signing key"]),
}  # fmt: skip


@pytest.mark.parametrize(("name", "audience"), sorted(EXPECTED), ids=lambda value: str(value))
def test_each_example_exports_for_public_and_internal(name: str, audience: Classification) -> None:
    doc = postmortem.load(EXAMPLES / f"{name}.yaml")
    copy = export(doc, audience, source=f"examples/{name}.yaml")
    text = postmortem.dumps(copy)
    present, absent = EXPECTED[name, audience]
    for expected in present:
        assert expected in text, expected
    for secret in absent:
        assert secret not in text, secret
    assert copy.metadata.classification is audience
    assert postmortem.loads(text) == copy
    markdown = postmortem.render_markdown(copy)
    for secret in absent:
        assert secret not in markdown, secret


labelled_documents = st.builds(
    lambda doc, section_labels: attrs.evolve(
        doc,
        metadata=attrs.evolve(
            doc.metadata,
            section_labels=[
                SectionLabel(section=name, classification=label)
                for name, label in section_labels.items()
            ],
        ),
    ),
    documents,
    st.dictionaries(st.sampled_from(["metadata", *SECTION_NAMES]), st.sampled_from(Classification)),
)


@given(doc=labelled_documents, audience=st.sampled_from([PUBLIC, INTERNAL, CONFIDENTIAL]))
def test_an_export_holds_no_text_found_only_above_its_audience(
    doc: PostMortem, audience: Classification
) -> None:
    policy = Policy()
    limit = policy.sensitivity(audience)
    parts = list(labelled_text(doc, policy))
    cleared = {text for _, text, rank in parts if rank <= limit}
    secrets = {text for _, text, rank in parts if rank > limit and text.strip()} - cleared
    copy = export(doc, audience, policy)
    assert {text for _, text, _ in labelled_text(copy, policy)} & secrets == set()
    assert copy.metadata.classification is audience
    assert postmortem.loads(postmortem.dumps(copy)) == copy


def test_redaction_patterns_mask_text_below_their_label() -> None:
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    policy = Policy(redactions=[Redaction(pattern=r"[\w.]+@example\.com", below=CONFIDENTIAL)])
    internal = postmortem.dumps(export(doc, INTERNAL, policy))
    assert "hana.kobayashi@example.com" not in internal
    assert "[redacted]" in internal
    assert "hana.kobayashi@example.com" in postmortem.dumps(export(doc, CONFIDENTIAL, policy))


def test_labels_above_the_document_or_below_the_content_are_findings() -> None:
    text = (EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    - section: timeline\n      classification: Internal\n",
        "    - section: timeline\n      classification: Restricted\n"
        "    - section: iocs\n      classification: Public\n"
        "    - section: weather\n      classification: Public\n",
    )
    found = {(finding.rule, finding.path) for finding in check_text(text, "s.yaml", Policy())}
    assert ("PM306", "metadata.section_labels[4].classification") in found
    assert ("PM307", "metadata.section_labels[5].classification") in found
    assert ("PM308", "metadata.section_labels[6].section") in found


PUBLISHED_POLICY = """\
path_rules:
  - paths: ["incidents/public/**"]
    labels: [Public, "TLP:CLEAR"]
    published: true
"""


def test_the_leak_check_finds_internal_text_in_a_published_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".postmortem.yaml").write_text(PUBLISHED_POLICY, encoding="utf-8")
    (tmp_path / "incidents" / "public").mkdir(parents=True)
    source = tmp_path / "incidents" / "INC-2024-0031.yaml"
    source.write_bytes((EXAMPLES / "security-postmortem.yaml").read_bytes())
    copy = tmp_path / "incidents" / "public" / "INC-2024-0031.yaml"
    assert main(["export", str(source), "--audience", "Public", "--format", "yaml",
                 "-o", str(copy)]) == 0  # fmt: skip
    args = ["check", "--today", "2024-01-01", str(copy)]
    assert main(args) == 0, capsys.readouterr().out
    capsys.readouterr()
    leaked = copy.read_text(encoding="utf-8").replace(
        "No payment data was reachable.", "The attacker came from 203.0.113.45."
    )
    copy.write_text(leaked, encoding="utf-8")
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "PM309 summary.text: holds '203.0.113.45', which incidents/INC-2024-0031.yaml" in out


@pytest.mark.parametrize("output", ["yaml", "json", "markdown"])
def test_a_file_name_that_is_not_utf8_is_a_one_line_error_not_an_unreadable_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    source = tmp_path / "\udcffx.yaml"  # the byte 0xff, as os.fsdecode gives it
    source.write_bytes((EXAMPLES / "postmortem.yaml").read_bytes())
    target = tmp_path / f"copy.{output}"
    arguments = ["export", str(source), "--audience", "Internal", "--format", output]
    assert main([*arguments, "-o", str(target)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "not UTF-8" in line
    assert not target.exists()
