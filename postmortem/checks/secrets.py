"""PM5xx: live secrets. A private key, a cloud access key or an API token in a file is a
blocking finding whatever the document's label: git keeps it in history for ever, and
labels do not stop a clone from being copied.

The patterns are those of the well-known token formats (each provider's documented
prefix and length); they run on RE2 (:mod:`postmortem.patterns`), in time linear in the
text.
"""

import re
from collections.abc import Iterator

from postmortem.checks.context import CHECKING_HOOKS, Rule
from postmortem.patterns import compile_linear

__all__ = ["RULES", "TITLE", "scan_text"]

TITLE = "live secrets"

RULES = (
    Rule(
        id="PM501",
        summary="a private key",
        hooks=CHECKING_HOOKS,
        example="x.yaml:41:9: PM501 a private key (-----BEGIN OPENSSH PRIVATE KEY-----); "
        "revoke it and remove it from the history",
        fix="revoke the key, delete it from the file and purge it from git history "
        "(see [security](security.md))",
    ),
    Rule(
        id="PM502",
        summary="a cloud access key or an API token",
        hooks=CHECKING_HOOKS,
        example="x.yaml:12:30: PM502 an AWS access key id ('AKIA...'); revoke it and remove "
        "it from the history",
        fix="revoke the token, write a reference to it instead (its id in the vault, the "
        "last four characters) and purge it from git history",
    ),
    Rule(
        id="PM503",
        summary="a password written into a URL",
        hooks=CHECKING_HOOKS,
        example="x.yaml:7:14: PM503 a password in a URL ('https://deploy:...@'); change it "
        "and remove it from the history",
        fix="change the password and write the URL without it",
    ),
)

_TOKENS: tuple[tuple[str, str, str], ...] = (
    ("PM501", "a private key", r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"),
    ("PM502", "an AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"),
    (
        "PM502",
        "an AWS secret access key",
        r"(?i:aws_?secret_?(?:access_?)?key)[\"']?\s{0,4}[:=]\s{0,4}[\"']?[A-Za-z0-9/+]{40}\b",
    ),
    ("PM502", "a GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b"),
    ("PM502", "a GitLab token", r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    ("PM502", "a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,72}"),
    (
        "PM502",
        "a Slack webhook",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}",
    ),
    ("PM502", "a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("PM502", "a Stripe secret key", r"\b(?:sk|rk)_live_[0-9A-Za-z]{20,}"),
    ("PM502", "an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("PM502", "a PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
    ("PM502", "a SendGrid key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    ("PM502", "an Azure storage account key", r"AccountKey=[A-Za-z0-9+/]{86}=="),
    (
        "PM502",
        "a JSON Web Token",
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    ),
    (
        "PM503",
        "a password in a URL",
        r"\b[a-z][a-z0-9+.-]{1,15}://[^\s:/@\"'<>]{1,64}:[^\s/@\"'<>]{1,128}@",
    ),
)

_PATTERN = "|".join(f"(?P<t{index}>{token[2]})" for index, token in enumerate(_TOKENS))

_SHOWN = 4


def scan_text(text: str) -> Iterator[tuple[int, str, str]]:
    """(offset, rule id, message) for each secret in ``text``. The message shows only the
    secret's first characters: a finding is printed, logged and kept by CI."""
    for match in compile_linear(_PATTERN).finditer(text):
        group = match.lastgroup or "t0"
        rule, kind, _ = _TOKENS[int(group[1:])]
        found = match.group(0)
        if rule == "PM503" and _placeholder_password(found):
            continue
        if rule == "PM501":
            shown = found  # the armour line names the kind of key and is no secret
        elif rule == "PM503":
            shown = found[: found.index("://") + 3 + _SHOWN]
        else:
            shown = found[:_SHOWN]
        action = "change it" if rule == "PM503" else "revoke it"
        yield (
            match.start(),
            rule,
            f"{kind} ({shown!r}{'' if rule == 'PM501' else '...'}); {action} and remove it "
            "from the history",
        )


def _placeholder_password(url_prefix: str) -> bool:
    """``https://user:****@``, ``<password>`` or ``${TOKEN}``: a URL that shows where a
    password goes, not one."""
    password = url_prefix.rsplit(":", 1)[1].rstrip("@")
    return bool(re.fullmatch(r"\*+|x+|X+|\.\.\.|\$\{?\w+\}?|\[\w+\]|password|PASSWORD", password))
