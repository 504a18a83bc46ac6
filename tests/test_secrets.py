"""PM5xx: live secrets are blocking findings in any file, whatever its label, located by
line and column, and the finding does not print the secret."""

from pathlib import Path

import pytest

import postmortem
from postmortem.checks import check_text
from postmortem.checks.secrets import scan_text
from postmortem.cli import main
from postmortem.model import Classification
from postmortem.policy import Policy
from tests.conftest import EXAMPLES

# Made-up values in each provider's format; none is a real credential.
SECRETS = {
    "a private key": "-----BEGIN RSA PRIVATE KEY-----",
    "an AWS access key id": "AKIAZ7ZQ3EXAMPLE2345",
    "an AWS secret access key": "aws_secret_access_key = "
    + "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12",
    "a GitHub token": "ghp_" + "x1Y2z3" * 6,
    "a GitLab token": "glpat-" + "Ab3" * 6 + "xy",
    "a Slack token": "xoxb-" + "1234567890-abcdefghij",
    "a Slack webhook": "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/" + "a1b2" * 6,
    "a Google API key": "AIza" + "Sy" + "A1b2C3d4" * 4 + "x",
    "a Stripe secret key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "an npm token": "npm_" + "aB1" * 12,
    "a PyPI token": "pypi-AgEIcHlwaS5vcmc" + "Q" * 60,
    "a SendGrid key": "SG." + "a" * 22 + "." + "b" * 43,
    "an Azure storage account key": "AccountKey=" + "A" * 86 + "==",
    "a JSON Web Token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    "a password in a URL": "https://deploy:hunter2@git.example.com/repo.git",
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_kind_of_secret_is_found_where_it_is(kind: str) -> None:
    secret = SECRETS[kind]
    text = f"first line\n  value: before {secret} after\n"
    [(offset, rule, message)] = list(scan_text(text))
    assert offset == text.index(secret)
    assert message.startswith(kind)
    assert rule in {"PM501", "PM502", "PM503"}
    if rule != "PM501":
        assert secret not in message
        assert secret[-6:] not in message


@pytest.mark.parametrize(
    "text",
    [
        "https://user:****@git.example.com",
        "https://user:${TOKEN}@git.example.com",
        "https://git.example.com/path?q=a:b@c",
        "AKIA is how AWS key ids start",
        "-----BEGIN PUBLIC KEY-----",
        "ghp_short",
        "mailto:someone@example.com",
    ],
)
def test_look_alikes_are_not_secrets(text: str) -> None:
    assert list(scan_text(text)) == []


def _document_with(secret: str, label: Classification) -> str:
    doc = postmortem.load(EXAMPLES / "postmortem.yaml")
    doc.metadata.classification = label
    assert doc.summary is not None
    doc.summary.text = f"The deploy used {secret} for an hour.\n"
    return postmortem.dumps(doc)


@pytest.mark.parametrize("label", [Classification.PUBLIC, Classification.RESTRICTED])
def test_a_secret_blocks_whatever_the_label(label: Classification) -> None:
    text = _document_with(SECRETS["a GitHub token"], label)
    findings = [f for f in check_text(text, "i.yaml", Policy()) if f.rule == "PM502"]
    [finding] = findings
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "ghp_" in t)
    assert (finding.line, finding.column) == (line, text.splitlines()[line - 1].index("ghp_") + 1)
    assert finding.level.value == "error"


def test_a_secret_in_a_comment_or_a_broken_file_is_still_found() -> None:
    comment = "profile: postmortem\n# deploy key AKIAZ7ZQ3EXAMPLE2345\n"
    assert "PM502" in {f.rule for f in check_text(comment, "c.yaml", Policy())}
    broken = "profile: [unclosed\nkey: AKIAZ7ZQ3EXAMPLE2345\n"
    rules = [f.rule for f in check_text(broken, "b.yaml", Policy())]
    assert "PM101" in rules
    assert "PM502" in rules


def test_every_hook_and_check_refuse_a_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from postmortem import hooks

    path = tmp_path / "i.yaml"
    path.write_text(_document_with(SECRETS["a password in a URL"], Classification.INTERNAL))
    for hook in (hooks.validate, hooks.completeness, hooks.classification):
        assert hook([str(path), "--today", "2024-01-01"]) == 1
        assert " PM503 a password in a URL ('https://depl'...)" in capsys.readouterr().out
    assert main(["check", str(path), "--today", "2024-01-01"]) == 1
    out = capsys.readouterr().out
    assert "hunter2" not in out


def test_the_policy_may_ignore_a_secret_rule_but_not_by_label(tmp_path: Path) -> None:
    (tmp_path / ".postmortem.yaml").write_text("ignore: [PM503]\n", encoding="utf-8")
    from postmortem.policy import load_policy

    policy = load_policy(tmp_path / ".postmortem.yaml")
    text = _document_with(SECRETS["a password in a URL"], Classification.INTERNAL)
    assert "PM503" not in {f.rule for f in check_text(text, "i.yaml", policy)}
