"""The repository policy: defaults, discovery, and located errors in a bad policy file."""

from pathlib import Path

import pytest

import postmortem
from postmortem.errors import Level, PolicyError
from postmortem.model import Classification, DocumentStatus, ProfileName
from postmortem.policy import Policy, find_policy, glob_matches, load_policy
from tests.conftest import EXAMPLES


def test_defaults_without_a_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    policy = find_policy(tmp_path / "incidents" / "pm.yaml")
    assert policy == Policy()
    assert policy.root == tmp_path
    assert policy.rank(Classification.PUBLIC) == policy.rank(Classification.TLP_CLEAR) == 0
    assert policy.rank(Classification.RESTRICTED) == policy.rank(Classification.TLP_RED)
    ordered = [
        Classification.PUBLIC,
        Classification.INTERNAL,
        Classification.CONFIDENTIAL,
        Classification.RESTRICTED,
    ]
    ranks = [policy.rank(label) for label in ordered]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 4


def test_the_nearest_policy_file_governs(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".postmortem.yaml").write_text("levels: {PM206: error}\n", encoding="utf-8")
    nested = tmp_path / "incidents" / "2024"
    nested.mkdir(parents=True)
    policy = find_policy(nested / "pm.yaml")
    assert policy.level("PM206", Level.WARNING) is Level.ERROR
    assert policy.root == tmp_path


def test_a_full_policy_loads(tmp_path: Path) -> None:
    path = tmp_path / ".postmortem.yaml"
    path.write_text(
        """\
files: ^pm/.*\\.yaml$
labels:
  - [Public, "TLP:CLEAR"]
  - [Internal]
  - [Confidential]
path_rules:
  - paths: ["public/**"]
    labels: [Public, "TLP:CLEAR"]
content_rules:
  - content: iocs
    minimum: Confidential
required_sections:
  postmortem:
    Draft: [summary, timeline]
extra_placeholders: ["ACME-\\\\d+"]
select: [PM2, PM3]
ignore: [PM206]
levels: {PM206: error}
max_file_bytes: 100000
ticket_url: https://jira.example.com/browse/{key}
""",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.allowed_labels() == [
        Classification.PUBLIC,
        Classification.TLP_CLEAR,
        Classification.INTERNAL,
        Classification.CONFIDENTIAL,
    ]
    assert policy.required_sections == {
        ProfileName.POSTMORTEM: {DocumentStatus.DRAFT: ["summary", "timeline"]}
    }
    assert policy.selects("PM201")
    assert not policy.selects("PM206")
    assert not policy.selects("PM101")
    assert policy.placeholder_patterns()[-1].pattern == "ACME-\\d+"
    assert policy.ticket_url == "https://jira.example.com/browse/{key}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("labels: [[Public], [Internal, Secret]]\n", ":1:31: labels[1][1]: 'Secret' is not one of"),
        (
            "levels: {PM206: sometimes}\n",
            ":1:17: levels.PM206: 'sometimes' is not one of: error, warning",
        ),
        ("levels: {PM260: error}\n", ":1:17: levels.PM260: no rule 'PM260' (did you mean"),
        ("select: [PM2, PN3]\n", ":1:15: select[1]: 'PN3' is no rule id or prefix of one"),
        ("colour: red\n", ":1:1: colour: unknown key"),
        ("overdue: error\n", ":1:1: overdue: unknown key"),
        ("ignored: [PM206]\n", ":1:1: ignored: unknown key (did you mean 'ignore'?)"),
        ("files: '['\n", ":1:8: files: not a regular expression"),
        (
            "required_sections:\n  postmortem:\n    Final: [summary, bogus]\n",
            ":3:22: required_sections.postmortem.Final[1]: no section 'bogus'",
        ),
        ("labels: [[Public], [Public]]\n", ":1:20: labels[1]: Public is listed twice"),
        ("max_file_bytes: 0\n", ":1:17: max_file_bytes: must be from 1 to 268435456"),
        ("max_file_bytes: 300000000\n", ":1:17: max_file_bytes: must be from 1 to"),
        (
            "extra_placeholders: ['(?<!x)TBD']\n",
            ":1:22: extra_placeholders[0]: not a regular expression RE2 can run:",
        ),
        (
            "redactions: [{pattern: '(a)\\1', below: Public}]\n",
            ":1:24: redactions[0].pattern: not a regular expression RE2 can run:",
        ),
        ("files: '(?=x)'\n", ":1:8: files: not a regular expression RE2 can run:"),
        ("- a\n", ":1:1: expected a mapping of policy keys"),
        ("files: [\n", ":2:1: YAML:"),
        ("extra_placeholders: ['(']\n", ":1:22: extra_placeholders[0]: not a regular expression"),
        (
            "ticket_url: https://jira.example.com/browse/\n",
            ":1:13: ticket_url: 'https://jira.example.com/browse/' must contain {key} exactly once",
        ),
        (
            "ticket_url: https://jira.example.com/{key}/{key}\n",
            ":1:13: ticket_url: 'https://jira.example.com/{key}/{key}' must contain {key} exactly",
        ),
        ("ticket_url: ftp://files/{key}\n", ":1:13: ticket_url: not an http(s) URL"),
        ("ticket_url: https:///{key}\n", ":1:13: ticket_url: not an http(s) URL"),
        ("ticket_url: http://[::1/{key}\n", ":1:13: ticket_url: not an http(s) URL"),
        ("ticket_url: browse/{key}\n", ":1:13: ticket_url: not an http(s) URL"),
    ],
)
def test_a_bad_policy_is_located(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / ".postmortem.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value.problems[0]).startswith(f"{path}{expected}"), str(
        caught.value.problems[0]
    )


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("public/**", "public/a/b.yaml", True),
        ("public/**", "publicity/a.yaml", False),
        ("public/*.yaml", "public/a/b.yaml", False),
        ("public/*.yaml", "public/b.yaml", True),
        ("**/secret/*.yaml", "incidents/secret/x.yaml", True),
        ("**/secret/*.yaml", "secret/x.yaml", True),
        ("incidents/202?/*.yaml", "incidents/2024/x.yaml", True),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    assert glob_matches(pattern, path) is matches


def test_policy_patterns_run_in_linear_time_on_hostile_text(tmp_path: Path) -> None:
    """A pattern that makes a backtracking engine take exponential time, on text made to
    trigger it: RE2 answers at once. (Without RE2, this test would not finish.)"""
    from postmortem.checks import check_text

    (tmp_path / ".postmortem.yaml").write_text(
        "extra_placeholders: ['(a+)+$', '(x|x)+y']\n"
        "files: '^(a|a)*$'\n"
        "path_rules: [{paths: ['**/**/**/**/**/**/**/**/z'], labels: [Public]}]\n",
        encoding="utf-8",
    )
    policy = load_policy(tmp_path / ".postmortem.yaml")
    text = (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8")
    hostile = "a" * 5_000 + "!" + "x" * 5_000
    label = "\n  classification: Confidential\n"
    text = text.replace(label, f"{label}  notes: {hostile}\n", 1)
    findings = check_text(text, "i.yaml", policy, relative_path="a" * 200 + "!/" * 50 + "q")
    assert "PM102" in {finding.rule for finding in findings}
    assert not policy.names_document("a" * 3_000 + "!")


def test_redaction_replacements_are_literal(tmp_path: Path) -> None:
    from postmortem.audiences import redact

    (tmp_path / ".postmortem.yaml").write_text(
        "redactions: [{pattern: '(db)-\\d+', below: Confidential, replacement: '\\1 \\g<0> $1'}]\n",
        encoding="utf-8",
    )
    policy = load_policy(tmp_path / ".postmortem.yaml")
    doc = postmortem.load(EXAMPLES / "postmortem.yaml")
    assert doc.summary is not None
    doc.summary.text = "Host db-42 failed.\n"
    masked = redact(doc, Classification.PUBLIC, policy)
    assert masked.summary is not None
    assert masked.summary.text == "Host \\1 \\g<0> $1 failed.\n"


def test_dot_dot_in_a_path_is_resolved_as_the_file_system_does(tmp_path: Path) -> None:
    """A public/** path rule applies to private/../public/x.yaml: that is where the file is."""
    from postmortem.policy import relative_to_root

    for folder in (".git", "private", "public"):
        (tmp_path / folder).mkdir()
    policy = find_policy(tmp_path / "public" / "x.yaml")
    assert relative_to_root(tmp_path / "private" / ".." / "public" / "x.yaml", policy) == (
        "public/x.yaml"
    )
