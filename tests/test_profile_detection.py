"""Which profile an imported post-mortem gets: a security incident is known by what its text
says happened (an attack, a vulnerability, exposed secrets or data), weighed against the
words of an outage, with the title and the first paragraphs counting most.

Every document here was written for these tests, in the styles teams write post-mortems in
(a blog post, a disclosure, an SRE write-up, a short notice), about incidents of our own.
"""

from pathlib import Path

import pytest

from postmortem.cli import main
from postmortem.importer import import_markdown
from postmortem.importer.security import EXPOSED_SECRET, weigh_security
from postmortem.model import ProfileName

SECURITY_PROFILES = (ProfileName.SECURITY_POSTMORTEM, ProfileName.SECURITY_INCIDENT_REPORT)

KEY_IN_A_BUILD_LOG = """\
---
title: "Registry deploy key printed in a public build log"
date: 2024-09-12
---

For about six hours on September 12 the deploy key of our package registry could be read by
anyone who opened the build log of release 4.2. A debug step that echoed the environment was
left in the release job, and the job's logs are public.

## What happened

The release job was changed on September 11 to debug a flaky upload. The debugging line
printed every variable of the job, the registry key among them. The key was exposed in the
log until a contributor noticed it and pinged the maintainers' channel.

## What we did

- Revoked the key and issued a new one that only the release job can read.
- Rotated the two other keys the job could read.
- Went through the registry's audit log for the six hours: every upload came from our own
  release job.

## What we are changing

- Remove debug steps from release jobs before they are merged.
- Mask every secret of the job in its logs.
"""

DISCLOSURE = """\
# Post-mortem: path traversal in the attachment service

On March 3 a researcher told us, through our bug bounty programme, that the attachment
service let a signed-in user read files outside their own folder. We fixed it the same day and
published CVE-2025-31337.

## The bug

The download handler joined the requested name to the user's folder without normalising it,
so a name holding `../` walked out of the folder. Any signed-in user could have read the
attachments of other users.

## Was it exploited?

We searched a year of request logs for names holding `..`: the only requests came from the
researcher's test account. We found no other use of the flaw.

## Timeline

- 2025-03-03 09:12 UTC Report received
- 2025-03-03 11:40 UTC Fix deployed
- 2025-03-05 Advisory published

## Follow-ups

- Normalise every path read from a request in one helper.
- Add the path checks to the fuzzing suite.
"""

OUTAGE_WITH_A_SECURITY_REVIEW = """\
# Checkout outage on 2024-06-18

Checkout was unavailable for 47 minutes: the payment service could not reach its database
after a failover, and every order failed with a 503 error.

## Impact

All customers were unable to pay between 14:02 and 14:49 UTC; about 3,100 orders failed.
Latency of the rest of the site stayed normal.

## Root cause

The database failover moved the primary to another zone, and the connection pool of the
payment service kept its old address until it timed out. The pool's timeout was 30 minutes,
so the service stayed down well after the database was back.

## Resolution

We restarted the payment service, which reconnected at once, and lowered the pool's timeout
to 30 seconds.

## Lessons learned

The change to the pool had passed code review and a security review, but nobody load tested
a failover. We also rotated the database password as part of the clean-up, as the runbook asks
after any failover.

## Action items

- Test a failover under load every quarter.
- Alert on a rise in checkout errors, not only on the database being down.
"""

OUTAGE_THAT_SAYS_IT_WAS_NO_ATTACK = """\
# Login errors after the certificate renewal

Sign-in failed for a third of users for 20 minutes. This was not a security incident: no
attacker was involved and no credentials or tokens were exposed; the new certificate was
missing its intermediate.

## Timeline

- 08:02 UTC Certificate renewed by the automation
- 08:05 UTC Login error rate alert fired
- 08:22 UTC Old chain restored; errors stopped

## Root cause

The renewal job wrote the leaf certificate without the chain, so older clients failed the
handshake and timed out.
"""

SHORT_NOTICE = """\
# Phishing emails impersonating our support desk

Yesterday some of our users received emails that impersonated our support desk and linked to
a page that asked for their password and one-time code. The page was not ours. If you entered
your password there, reset it now and check your account's sessions.

We asked the host to take the page down, and it has been removed.
"""

PERSONAL_DATA_IN_LOGS = """\
# Customer email addresses written to the analytics pipeline

## Summary

From April 2 to April 9 the mobile app sent the email address of signed-in customers along
with its usage events. The addresses were stored in the analytics warehouse, where 40 staff
could query them, and in the logs of the event collector. This personal data should never
have left the account service.

## Cause

A new field of the event schema was filled from the user profile instead of the anonymous id.

## Remediation

- Deleted the addresses from the warehouse and the collector's logs.
- Informed our data protection officer, who judged the exposure did not need to be notified.
- The schema now refuses fields that are not on its list.
"""

INTRUSION_WITH_INDICATORS = """\
# Build host intrusion

An unknown party logged in to a build host with a contractor's SSH key and ran a crypto miner
for two days.

## Indicators

- hxxp://pool.miner-example[.]net, the pool the miner reported to
- T1078 Valid Accounts, T1496 Resource Hijacking

## Response

We took the host offline, kept its disk for analysis, and removed the contractor's key from
every host.
"""


BREACH_UNDER_AN_OPERATIONS_LAYOUT = """\
# Support tool accounts taken over

## Summary

An attacker signed in to the support tool with passwords stolen from three agents' home
computers and read 212 customer tickets.

## Impact

The attacker read 212 tickets and the customer data in them; nothing was changed.

## Timeline

- 2024-11-02 22:10 UTC First sign-in from an unknown address
- 2024-11-03 07:45 UTC Agents reported sessions they did not open

## Root Cause

The support tool accepted a password without a second factor.

## Detection

Agents noticed sessions they had not opened.

## Action Items

- Require a second factor for the support tool.
"""


SPAM_WAVE = """\
# Spam packages on the registry

Over a weekend a spammer registered 40 accounts and published 900 packages whose names
imitated popular ones, with descriptions that linked to a gambling site. The packages held
no code; the names were squatting on typos of real packages, and the pages were abuse of our
search ranking.

## What we did

We removed the packages and the accounts, and reserved the names that were taken.

## Next steps

- Limit how many packages a new account may publish in its first day.
"""

ACCOUNTING_BUG_ON_A_DISCLOSURE_PAGE = """\
# Disclosure: fees counted twice in the savings pool

## Summary

From May 2 to May 6 the savings pool counted the withdrawal fee twice when a deposit and a
withdrawal landed in the same block, so a few accounts were shown 0.1% less than they held.
No funds were lost; the balances were corrected on May 6.

## Details of the bug

The fee was taken in the withdrawal path and again when the pool's share price was
recomputed. Only pools with both kinds of operation in one block were vulnerable to the
double count.

## Security team

The security team reviewed the fix and the corrected balances.

## Disclosure timeline

- May 6: fix deployed and balances corrected
- May 9: this disclosure published
"""


@pytest.mark.parametrize(
    ("markdown", "sign"),
    [
        (KEY_IN_A_BUILD_LOG, EXPOSED_SECRET),
        (DISCLOSURE, "cve"),
        (SHORT_NOTICE, "phishing"),
        (PERSONAL_DATA_IN_LOGS, "personal data"),
        (INTRUSION_WITH_INDICATORS, "att&ck technique"),
        (BREACH_UNDER_AN_OPERATIONS_LAYOUT, "attacker"),
        (SPAM_WAVE, "spammer"),
    ],
    ids=[
        "credential leak",
        "vulnerability disclosure titled Post-mortem",
        "short notice",
        "personal data",
        "iocs",
        "half the P1-P3 template's headings",
        "an attack told in one kind of words",
    ],
)
def test_a_security_incident_gets_a_security_profile_and_the_reasons(
    markdown: str, sign: str
) -> None:
    imported = import_markdown(markdown, "security.md")
    assert imported.document.profile in SECURITY_PROFILES
    assert imported.profile_detected
    assert imported.reasons[0].startswith("a security incident: ")
    assert f"'{sign}' x" in imported.reasons[0]
    assert " vs operations " in imported.reasons[0]


@pytest.mark.parametrize(
    "markdown",
    [
        OUTAGE_WITH_A_SECURITY_REVIEW,
        OUTAGE_THAT_SAYS_IT_WAS_NO_ATTACK,
        ACCOUNTING_BUG_ON_A_DISCLOSURE_PAGE,
    ],
    ids=["security review in passing", "says it was no attack", "bug on a disclosure page"],
)
def test_an_outage_that_mentions_security_keeps_an_operations_profile(markdown: str) -> None:
    imported = import_markdown(markdown, "outage.md")
    assert imported.document.profile not in SECURITY_PROFILES
    assert imported.reasons[0].startswith("no security incident (")


def test_the_reasons_say_what_the_security_words_lack() -> None:
    passing = import_markdown(OUTAGE_WITH_A_SECURITY_REVIEW).reasons[0]
    assert passing.endswith(
        "; security 4 vs operations 31; weight under 8;"
        " 0 of 2 words describing an incident; outweighed by the outage words)"
    )
    named = import_markdown(ACCOUNTING_BUG_ON_A_DISCLOSURE_PAGE).reasons[0]
    assert named.endswith("; 1 of 2 words describing an incident)")


def test_an_attack_makes_it_the_security_post_mortem_and_a_leak_the_incident_report() -> None:
    assert import_markdown(INTRUSION_WITH_INDICATORS).reasons[1] == "an attack described"
    leak = import_markdown(KEY_IN_A_BUILD_LOG)
    assert leak.document.profile is ProfileName.SECURITY_INCIDENT_REPORT
    assert leak.reasons[1] == "no attack described"


def test_a_denied_security_word_does_not_count() -> None:
    assert weigh_security("This was not a security incident.", [], []).signs == {}
    assert weigh_security("No attacker was involved.", [], []).signs == {}
    assert weigh_security("An attacker was involved.", [], []).signs == {"attacker": 1}


def test_a_secret_is_exposed_by_a_word_near_it_in_either_order() -> None:
    for text in ("The token was logged by the job.", "The job logged the deploy token."):
        assert weigh_security(text, [], []).signs[EXPOSED_SECRET] == 1
    assert EXPOSED_SECRET not in weigh_security("Users logged in with a token.", [], []).signs
    far = "The job logged one two three four five six lines and a token."
    assert EXPOSED_SECRET not in weigh_security(far, [], []).signs


def test_the_title_and_the_first_paragraphs_count_more_than_the_tail() -> None:
    filler = "The queue grew while the workers waited. " * 60
    at_start = weigh_security("Malware was found. " + filler, [], [])
    at_end = weigh_security(filler + "Malware was found.", [], [])
    in_title = weigh_security(filler + "Malware was found.", ["Malware on a worker"], [])
    assert at_start.security == 2 * at_end.security
    assert in_title.security > at_start.security
    assert at_start.operations > 0


def test_security_named_but_not_described_is_not_enough() -> None:
    labels = "Security team. Security disclosure. Security review. " * 5
    assert not weigh_security(labels + "One pool was vulnerable.", [], []).is_security_incident
    described = labels + "One pool was vulnerable; an attacker exploited it."
    assert weigh_security(described, [], []).is_security_incident


def test_outage_words_outweigh_a_few_security_words() -> None:
    security = "An attacker leaked a token and a password. " * 3
    assert weigh_security(security, [], []).is_security_incident
    outage = "The outage left the service unavailable; latency and timeouts grew. " * 10
    assert not weigh_security(security + outage, [], []).is_security_incident


def test_the_migration_report_says_why_each_file_got_its_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "old"
    source.mkdir()
    (source / "key.md").write_text(KEY_IN_A_BUILD_LOG, encoding="utf-8")
    (source / "outage.md").write_text(OUTAGE_WITH_A_SECURITY_REVIEW, encoding="utf-8")
    assert main(["import", str(source), "-o", str(tmp_path / "new"), "--report"]) == 0
    rows = {
        Path(line.split(" | ")[0].lstrip("| ")).name: line.split(" | ")[1:]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| ") and ".md" in line
    }
    profile, why, typed, _, unmapped = rows["key.md"]
    assert profile == "security-incident-report"
    assert why.startswith("a security incident: 'deploy key' x3")
    assert " vs operations " in why
    assert typed.endswith("%")
    assert unmapped.rstrip(" |") == "What we are changing"
    profile, why, *_ = rows["outage.md"]
    assert (profile, why.split(" (")[0]) == ("postmortem", "no security incident")
