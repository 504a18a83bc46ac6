"""Security depth in the record (issue 15): typed IOCs, ATT&CK ids, the attack path,
evidence with its chain of custody, the determination, and notification clocks."""

from datetime import date
from pathlib import Path

import pytest

import postmortem
from postmortem.checks import check_text
from postmortem.errors import Finding
from postmortem.model import HashAlgorithm, Ioc, IocType
from postmortem.model.indicators import refang
from postmortem.policy import Policy

TODAY = date(2024, 3, 20)

_HEADER = """\
schema_version: 2
profile: security-postmortem
metadata:
  id: INC-1
  time_zone: UTC
"""


def _findings(body: str, policy: Policy | None = None, today: date = TODAY) -> list[Finding]:
    text = _HEADER + body
    return check_text(text, "i.yaml", policy or Policy(), today=today, relative_path="i.yaml")


def _loading(findings: list[Finding]) -> list[Finding]:
    """The findings of a document that does not load (PM1xx)."""
    return [finding for finding in findings if finding.rule.startswith("PM1")]


def _at(findings: list[Finding], path: str) -> list[Finding]:
    return [finding for finding in findings if finding.path == path]


# 1. IOCs as typed indicators


@pytest.mark.parametrize(
    ("kind", "value", "canonical"),
    [
        (IocType.IP_ADDRESS, "203.0.113.45", "203.0.113.45"),
        (IocType.IP_ADDRESS, "2001:DB8:0:0::1", "2001:db8::1"),
        (IocType.IP_ADDRESS, "203.0.113[.]45", "203.0.113.45"),
        (IocType.IPV4, "198.51.100.7", "198.51.100.7"),
        (IocType.IPV6, "2001:db8::7", "2001:db8::7"),
        (IocType.CIDR, "203.0.113.0/24", "203.0.113.0/24"),
        (IocType.DOMAIN, "Evil-Example[.]COM", "evil-example.com"),
        (IocType.URL, "hxxps://evil[.]example[.]com/drop", "https://evil.example.com/drop"),
        (IocType.EMAIL, "attacker[@]example[.]com", "attacker@example.com"),
        (IocType.FILE_HASH, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        (IocType.SHA256, "a" * 64, "a" * 64),
        (IocType.SHA1, "b" * 40, "b" * 40),
        (IocType.MD5, "c" * 32, "c" * 32),
        (IocType.SHA512, "d" * 128, "d" * 128),
        (IocType.FILE_NAME, "invoice.pdf.exe", "invoice.pdf.exe"),
        (IocType.USER_AGENT, "python-requests/2.31.0", "python-requests/2.31.0"),
        (IocType.REGISTRY_KEY, r"HKLM\Software\Run\updater", r"HKLM\Software\Run\updater"),
        (IocType.URL, "javascript:alert(1)", "javascript:alert(1)"),
        (IocType.OTHER, "<any text>\nas written", "<any text>\nas written"),
    ],
)
def test_an_ioc_is_kept_as_written_and_canonical_is_derived(
    kind: IocType, value: str, canonical: str
) -> None:
    ioc = Ioc(type=kind, value=value)
    assert ioc.value == value
    assert ioc.canonical == canonical


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (IocType.IP_ADDRESS, "not-an-ip"),
        (IocType.IPV4, "2001:db8::1"),
        (IocType.IPV6, "203.0.113.45"),
        (IocType.CIDR, "203.0.113.0/33"),
        (IocType.DOMAIN, "localhost"),
        (IocType.DOMAIN, "-bad-.example.com"),
        (IocType.URL, "not a url"),
        (IocType.URL, "https://"),
        (IocType.URL, "https://evil.example.com:99999/drop"),
        (IocType.URL, "https://evil.example.com:http/drop"),
        (IocType.EMAIL, "nobody"),
        (IocType.FILE_HASH, "abc123"),
        (IocType.FILE_HASH, "z" * 64),
        (IocType.SHA256, "a" * 40),
        (IocType.REGISTRY_KEY, r"Software\Run"),
        (IocType.FILE_NAME, "bad\x00name"),
        (IocType.OTHER, "   "),
        (IocType.USER_AGENT, "line\nbreak"),
    ],
)
def test_a_value_that_does_not_fit_its_type_is_refused(kind: IocType, value: str) -> None:
    with pytest.raises(ValueError, match=r"^(not an? |an indicator|.* control)"):
        Ioc(type=kind, value=value)


def test_a_file_hash_infers_its_algorithm_and_a_stated_one_must_agree() -> None:
    assert Ioc(type=IocType.FILE_HASH, value="e" * 40).canonical == "e" * 40
    Ioc(type=IocType.FILE_HASH, value="e" * 64, hash_algorithm=HashAlgorithm.SHA256)
    with pytest.raises(ValueError, match="not a SHA-1 digest"):
        Ioc(type=IocType.FILE_HASH, value="e" * 64, hash_algorithm=HashAlgorithm.SHA1)


def test_refang_undoes_the_usual_defanging() -> None:
    assert refang("hXXp://1.2.3[.]4/a") == "http://1.2.3.4/a"
    assert refang("user(@)example{.}com") == "user@example.com"
    assert refang("example[dot]com") == "example.com"
    assert refang("plain.example.com") == "plain.example.com"


def test_an_ioc_that_does_not_fit_its_type_is_a_located_error() -> None:
    found = _findings(
        "iocs:\n"
        "  - type: IP Address\n"
        "    value: 203.0.113.45\n"
        "  - type: IP Address\n"
        "    value: not-an-ip\n"
    )
    [finding] = _at(found, "iocs[1].value")
    assert (finding.line, finding.column) == (10, 12)
    assert finding.rule == "PM102"
    assert "not an IP Address: 'not-an-ip'" in finding.message
    assert str(finding).startswith("i.yaml:10:12: PM102 iocs[1].value: ")


def test_the_new_ioc_fields_load_and_last_seen_follows_first_seen() -> None:
    body = (
        "iocs:\n"
        "  - type: File Hash\n"
        f"    value: {'f' * 64}\n"
        "    hash_algorithm: SHA-256\n"
        "    first_seen: 2024-03-02 03:14:00+00:00\n"
        "    last_seen: {last}\n"
        "    confidence: {confidence}\n"
        "    classification: TLP:AMBER\n"
    )
    assert not _at(_findings(body.format(last="2024-03-08", confidence=85)), "iocs[0].last_seen")
    later = "2024-03-08 09:00:00+00:00"
    assert _loading(_findings(body.format(last=later, confidence=85))) == []
    [early] = _at(
        _findings(body.format(last="2024-03-01 00:00:00+00:00", confidence=85)), "iocs[0].last_seen"
    )
    assert "before first seen" in early.message
    [unsure] = _at(_findings(body.format(last=later, confidence=101)), "iocs[0].confidence")
    assert "0 to 100" in unsure.message


def test_an_ioc_value_is_checked_in_linear_time() -> None:
    for kind in set(IocType) - {IocType.OTHER}:
        with pytest.raises(ValueError, match="control character"):
            Ioc(type=kind, value="[.]" * 200_000 + "\x00")


# 2. ATT&CK


def test_attack_ids_on_timeline_events_and_attack_steps_load() -> None:
    found = _findings(
        "timeline:\n"
        "  events:\n"
        "    - time: 2024-03-02 03:14:00+00:00\n"
        "      event: First use of the key\n"
        "      tactics: [TA0001, Initial Access]\n"
        "      techniques: [T1078, T1078.004]\n"
        "root_cause:\n"
        "  attack:\n"
        "    lateral_movement:\n"
        "      tactics: [lateral-movement]\n"
        "      techniques: [T1550.001]\n"
    )
    assert _loading(found) == []


@pytest.mark.parametrize(
    ("field", "good", "value", "wanted"),
    [
        ("techniques", "T1078", "T78", "not an ATT&CK technique id: 'T78'"),
        ("techniques", "T1078", "T1078.4", "not an ATT&CK technique id"),
        ("techniques", "T1078", "TA0001", "not an ATT&CK technique id"),
        ("tactics", "TA0001", "T1078", "not an ATT&CK tactic: 'T1078'"),
        ("tactics", "Command and Control", "Initial_Access!", "not an ATT&CK tactic"),
        ("techniques", "T1078", "T\u0661\u0660\u0667\u0668", "not an ATT&CK technique id"),
        ("techniques", "T1078", "T1078.\uff10\uff10\uff14", "not an ATT&CK technique id"),
        ("tactics", "TA0001", "TA\u0660\u0660\u0660\u0661", "not an ATT&CK tactic"),
        ("tactics", "TA0001", "Initial  Access", "not an ATT&CK tactic"),
    ],
)
def test_an_attack_id_of_the_wrong_shape_is_a_located_error(
    field: str, good: str, value: str, wanted: str
) -> None:
    found = _findings(
        "timeline:\n"
        "  events:\n"
        "    - event: First use of the key\n"
        f"      {field}: [{good}, '{value}']\n"
        "root_cause:\n"
        "  attack:\n"
        "    discovery:\n"
        f"      {field}: ['{value}']\n"
    )
    [on_event] = _at(found, f"timeline.events[0].{field}[1]")
    assert (on_event.line, on_event.rule) == (9, "PM102")
    assert on_event.column > 0
    assert wanted in on_event.message
    [on_step] = _at(found, f"root_cause.attack.discovery.{field}[0]")
    assert on_step.line == 13


# 4. Evidence with its chain of custody


def test_evidence_records_custodian_collection_time_and_a_checked_hash() -> None:
    body = (
        "evidence:\n"
        "  - evidence: export-service disk image\n"
        "    location: s3://forensics/inc-1/disk.img\n"
        "    custodian: Hana Kobayashi (forensics locker 3)\n"
        "    collected_at: 2024-03-08 11:00:00+00:00\n"
        "    hash_algorithm: {algorithm}\n"
        f"    hash: {'0' * 63}a\n"
        "    retention: 7 years\n"
    )
    assert _loading(_findings(body.format(algorithm="SHA-256"))) == []
    [wrong] = _at(_findings(body.format(algorithm="SHA-1")), "evidence[0].hash")
    assert (wrong.line, wrong.rule) == (12, "PM102")
    assert "not a SHA-1 digest" in wrong.message
    retained = body.format(algorithm="SHA-256").replace(
        "retention: 7 years", "retained_until: 2031-03-08"
    )
    assert _loading(_findings(retained)) == []


# 5. Determination and investigation


@pytest.mark.parametrize("profile", ["security-postmortem", "security-incident-report"])
def test_the_security_profiles_require_the_determination(profile: str) -> None:
    header = _HEADER.replace("security-postmortem", profile).replace(
        "  id: INC-1\n", "  id: INC-1\n  status: In Review\n"
    )
    text = header + "assessment:\n  criticality: 40\n  incident_types: [phishing]\n"
    found = check_text(text, "i.yaml", Policy(), today=TODAY, relative_path="i.yaml")
    missing = {finding.path for finding in found if finding.rule == "PM201"}
    assert {
        "assessment.determination",
        "assessment.investigation_status",
        "assessment.discovered_by",
    } <= missing
    assert "assessment" not in missing
    absent = check_text(header, "i.yaml", Policy(), today=TODAY, relative_path="i.yaml")
    assert "assessment" in {finding.path for finding in absent if finding.rule == "PM201"}


def test_the_determination_uses_the_stix_words() -> None:
    body = (
        "assessment:\n"
        "  determination: {determination}\n"
        "  investigation_status: open\n"
        "  criticality: 55\n"
        "  discovered_by: external\n"
    )
    for word in ("confirmed", "suspected", "false-positive", "blocked", "benign"):
        assert _loading(_findings(body.format(determination=word))) == []
    [wrong] = _at(
        _findings(body.format(determination="false positive")), "assessment.determination"
    )
    assert (wrong.rule, wrong.line) == ("PM102", 7)


# 3. The attack path


def _attack_path(*hops: str) -> str:
    return (
        "affected_systems:\n"
        "  - system: partner-portal\n"
        "    id: S1\n"
        "  - system: export-service\n"
        "    id: S2\n"
        "root_cause:\n"
        "  attack:\n"
        "    lateral_movement:\n"
        "      movement_path:\n" + "".join(hops)
    )


def test_the_movement_path_is_hops_naming_affected_systems() -> None:
    found = _findings(
        _attack_path(
            "        - system: S1\n"
            "          access: Leaked API key\n"
            "          time: 2024-03-02 03:14:00+00:00\n",
            "        - system: S9\n",
            "        - description: somewhere else\n",
        )
    )
    assert _loading(found) == []
    hops = [finding for finding in found if finding.rule == "PM412"]
    assert [(finding.path, finding.line) for finding in hops] == [
        ("root_cause.attack.lateral_movement.movement_path[1].system", 18),
        ("root_cause.attack.lateral_movement.movement_path[2]", 19),
    ]
    assert "no affected system has the id 'S9' (affected systems: S1, S2)" in hops[0].message


def test_attack_phases_out_of_time_order_are_a_located_finding() -> None:
    found = _findings(
        "timeline:\n"
        "  events:\n"
        "    - time: 2024-03-02 03:14:00+00:00\n"
        "      phase: Initial Compromise\n"
        "    - time: 2024-03-03 09:00:00+00:00\n"
        "      phase: Discovery/Reconnaissance\n"
        "    - time: 2024-03-02 08:00:00+00:00\n"
        "      phase: Lateral Movement\n"
        "    - time: 2024-03-04 08:00:00+00:00\n"
        "      phase: Data Access/Exfiltration\n"
    )
    [finding] = [finding for finding in found if finding.rule == "PM413"]
    assert (finding.path, finding.line, finding.column) == ("timeline.events[2].time", 12, 13)
    assert finding.message.startswith("Lateral Movement begins 2024-03-02 08:00:00+00:00 before")


def test_a_schema_1_movement_path_upgrades_to_hops() -> None:
    from postmortem.upgrade import upgrade

    written = {
        "profile": "security-postmortem",
        "metadata": {"id": "INC-1"},
        "attack_analysis": {"lateral_movement": {"movement_path": ["API gateway", "export"]}},
    }
    upgraded = upgrade(written)
    lateral = upgraded.data["root_cause"]["attack"]["lateral_movement"]
    assert lateral["movement_path"] == [{"description": "API gateway"}, {"description": "export"}]
    assert written["attack_analysis"]["lateral_movement"]["movement_path"] == [
        "API gateway",
        "export",
    ]


# 6. Notification clocks


def _notified(*notices: str, regimes: str = "[GDPR]") -> str:
    return (
        "  lifecycle:\n"
        "    detected: 2024-03-08 09:00:00+00:00\n"
        "    aware: 2024-03-08 09:22:00+00:00\n"
        "compliance:\n"
        f"  regimes: {regimes}\n"
        "  notices:\n" + "".join(notices)
        if notices
        else "  lifecycle:\n"
        "    aware: 2024-03-08 09:22:00+00:00\n"
        "compliance:\n"
        f"  regimes: {regimes}\n"
    )


def test_a_missed_72_hour_deadline_is_a_located_error_at_the_notice() -> None:
    found = _findings(
        _notified(
            "    - regime: GDPR\n"
            "      step: notification\n"
            "      time: 2024-03-11 10:00:00+00:00\n"
            "      reference: DPC-2024-0311\n"
        )
    )
    [missed] = [finding for finding in found if finding.rule == "PM414"]
    assert (missed.path, missed.line, missed.column) == ("compliance.notices[0].time", 14, 13)
    assert missed.message == (
        "GDPR notification sent 2024-03-11 10:00:00+00:00, after its deadline "
        "2024-03-11 09:22:00+00:00"
    )


def test_a_deadline_passed_without_a_notice_is_an_error_at_the_awareness() -> None:
    [missed] = [finding for finding in _findings(_notified()) if finding.rule == "PM414"]
    assert (missed.path, missed.line) == ("metadata.lifecycle.aware", 7)
    assert "GDPR notification was due by 2024-03-11 09:22:00+00:00" in missed.message


def test_a_deadline_near_is_a_warning_and_one_met_is_quiet() -> None:
    near = _findings(_notified(), today=date(2024, 3, 11))
    [warning] = [finding for finding in near if finding.rule == "PM415"]
    assert warning.path == "metadata.lifecycle.aware"
    assert str(warning).endswith("(warning)")
    met = _notified(
        "    - regime: GDPR\n      step: notification\n      time: 2024-03-10 16:00:00+00:00\n"
    )
    assert [finding for finding in _findings(met) if finding.rule in ("PM414", "PM415")] == []


def test_nis2_has_three_steps_the_last_counted_from_the_notification() -> None:
    from postmortem.model import PostMortem
    from postmortem.notifications import clocks

    text = _HEADER + _notified(
        "    - regime: NIS2\n      step: early warning\n      time: 2024-03-08 20:00:00+00:00\n",
        "    - regime: NIS2\n      step: notification\n      time: 2024-03-10 09:00:00+00:00\n",
        regimes="[NIS2]",
    )
    document: PostMortem = postmortem.loads(text)
    states = [
        (clock.step, clock.state.value, str(clock.deadline))
        for clock in clocks(document, Policy().regimes(), date(2024, 4, 1))
    ]
    assert states == [
        ("early warning", "met", "2024-03-09 09:22:00+00:00"),
        ("notification", "met", "2024-03-11 09:22:00+00:00"),
        ("final report", "pending", "2024-04-09 09:00:00+00:00"),
    ]


def test_the_policy_adds_regimes_and_unknown_ones_are_reported(tmp_path: Path) -> None:
    from postmortem.policy import load_policy

    policy_file = tmp_path / ".postmortem.yaml"
    policy_file.write_text(
        "notification_regimes:\n"
        "  - name: Contract ACME\n"
        "    steps:\n"
        "      - name: notice\n"
        "        within: 48h\n",
        encoding="utf-8",
    )
    policy = load_policy(policy_file)
    assert [regime.name for regime in policy.regimes()] == ["GDPR", "NIS2", "Contract ACME"]
    found = _findings(
        _notified(
            "    - regime: Contract ACME\n      step: notice\n      time: 2024-03-09 09:00:00Z\n",
            "    - regime: GDRP\n      step: notification\n",
            regimes="[Contract ACME]",
        ),
        policy,
    )
    assert [(finding.rule, finding.path) for finding in found if finding.rule >= "PM412"] == [
        ("PM416", "compliance.notices[1].regime"),
    ]


def test_stats_counts_deadlines_met_missed_and_pending(tmp_path: Path) -> None:
    from postmortem.reports import scan, stats

    for name, notices in (
        (
            "met",
            "    - regime: GDPR\n      step: notification\n      time: 2024-03-10 16:00:00+00:00\n",
        ),
        ("missed", ""),
    ):
        text = _HEADER.replace("INC-1", f"INC-{name}") + _notified(*([notices] if notices else []))
        postmortem.loads(text)
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    figures = stats(scan(str(tmp_path)).documents, today=TODAY)
    assert figures.notifications == {"met": 1, "missed": 1, "pending": 0}
    by_id = {item.id: item for item in figures.incidents}
    assert (by_id["INC-met"].notifications_met, by_id["INC-missed"].notifications_missed) == (1, 1)


def test_a_deadline_past_the_year_9999_is_pending_not_an_overflow(tmp_path: Path) -> None:
    """A clock that starts near the last representable moment, or a policy deadline of
    millions of days, ends past every day: pending, never near, no OverflowError."""
    from datetime import datetime, timedelta, timezone

    from postmortem.notifications import ClockState, NotificationRegime, NotificationStep, deadlines
    from postmortem.policy import load_policy

    policy_file = tmp_path / ".postmortem.yaml"
    policy_file.write_text(
        "notification_regimes:\n"
        "  - name: GDPR\n"
        "    steps:\n"
        "      - {name: notification, within: 999999999d}\n",
        encoding="utf-8",
    )
    found = _findings(_notified(), load_policy(policy_file))
    assert [finding for finding in found if finding.rule in ("PM414", "PM415")] == []
    late = _notified().replace("2024-03-08 09:22:00", "9999-12-31 09:22:00")
    assert [finding for finding in _findings(late) if finding.rule in ("PM414", "PM415")] == []
    regime = NotificationRegime(
        name="R", steps=[NotificationStep(name="s", within=timedelta(hours=72))]
    )
    last = datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc)
    [clock] = deadlines(last, ["R"], [], [regime], TODAY)
    assert (clock.state, clock.deadline, clock.approaching) == (ClockState.PENDING, None, False)


# 7. Import: IOCs, CVEs and ATT&CK ids recognised in the text


def test_import_recognises_cves_attack_ids_and_ioc_types_in_text() -> None:
    from postmortem.importer import import_markdown

    markdown = """\
# Portal takeover: what happened

## 1. Executive Summary

The attacker exploited CVE-2024-3094 and later CVE-2023-4863.

## 2. Incident Timeline

| Date/Time | Event | Evidence Source |
|---|---|---|
| 2024-03-02 03:14 | Valid accounts used (T1078.004) | gateway log |

## 3. Root Cause Analysis

### Attack

#### Initial access

Phishing with a link, T1566.002.

## A. Indicators of Compromise (IOCs)

| Type | Value | Context |
|---|---|---|
|  | 203.0.113[.]45 | gateway |
|  | hxxps://evil.example[.]com/a | e-mail link |
|  | d41d8cd98f00b204e9800998ecf8427e | dropper |
|  | evil.example.com | DNS |
"""
    imported = import_markdown(markdown, "x.md")  # written by hand: its ids are read
    assert imported.document.profile.value == "security-postmortem"
    document = imported.document
    assert document.references is not None
    assert document.references.cves == ["CVE-2024-3094", "CVE-2023-4863"]
    assert document.timeline is not None
    assert document.timeline.events[0].techniques == ["T1078.004"]
    assert document.root_cause is not None
    assert document.root_cause.attack is not None
    initial = document.root_cause.attack.initial_access
    assert initial is not None
    assert initial.techniques == ["T1566.002"]
    assert [(ioc.type, ioc.value) for ioc in document.iocs] == [
        (IocType.IP_ADDRESS, "203.0.113[.]45"),
        (IocType.URL, "hxxps://evil.example[.]com/a"),
        (IocType.FILE_HASH, "d41d8cd98f00b204e9800998ecf8427e"),
        (IocType.DOMAIN, "evil.example.com"),
    ]


@pytest.mark.parametrize("path", ["security-postmortem.yaml", "security-incident-report.yaml"])
def test_the_security_examples_use_every_new_field(path: str) -> None:
    from tests.conftest import EXAMPLES

    text = (EXAMPLES / path).read_text(encoding="utf-8")
    shown_by_both = [
        "aware:", "assessment:", "determination:", "investigation_status:", "criticality:",
        "discovered_by:", "discovery:", "incident_types:", "tactics:", "techniques:",
        "regimes:", "notices:", "regime:", "step:", "reference:",
    ]  # fmt: skip
    security_postmortem = [
        "hash_algorithm:", "first_seen:", "last_seen:", "confidence:", "movement_path:",
        "- system:", "access:", "custodian:", "collected_at:", "hash:", "[.]", "hxxps://",
    ]  # fmt: skip
    wanted = shown_by_both + (security_postmortem if path.startswith("security-post") else [])
    assert [word for word in wanted if word not in text] == []
    document = postmortem.load(EXAMPLES / path)
    assert document.assessment is not None
    assert document.compliance is not None
    assert document.compliance.notices


def test_the_scaffolds_and_the_json_schema_carry_the_new_fields() -> None:
    from postmortem.scaffold import scaffold
    from postmortem.schema import json_schema

    text = scaffold("security-postmortem")
    for key in ("aware:", "determination:", "discovered_by:", "notices:", "movement_path:"):
        assert key in text
    assert "iocs: []" in text  # an empty IOC row would be no indicator
    report = scaffold("security-incident-report")
    assert "determination:" in report
    assert "notices:" in report
    definitions = json_schema()["$defs"]
    ioc = definitions["Ioc"]["properties"]
    assert {"hash_algorithm", "first_seen", "last_seen", "confidence"} <= set(ioc)
    assert "IPv6" in ioc["type"]["enum"]
    techniques = definitions["TimelineEvent"]["properties"]["techniques"]
    assert techniques["items"]["pattern"] == r"^T\d{4}(?:\.\d{3})?$"
    assert set(definitions["Hop"]["properties"]) == {"system", "description", "access", "time"}
    assert "determination" in definitions["Assessment"]["properties"]
    assert "notices" in definitions["Compliance"]["properties"]


def test_a_policy_regime_that_cannot_run_is_a_located_policy_error(tmp_path: Path) -> None:
    from postmortem.errors import PolicyError
    from postmortem.policy import load_policy

    policy_file = tmp_path / ".postmortem.yaml"
    policy_file.write_text(
        "notification_regimes:\n"
        "  - name: Contract ACME\n"
        "    steps:\n"
        "      - name: report\n"
        "        within: 14d\n"
        "        after: notice\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match=r":6:16: .*no earlier step 'notice' to count from"):
        load_policy(policy_file)


def test_a_step_named_twice_in_a_regime_is_a_located_policy_error(tmp_path: Path) -> None:
    from postmortem.errors import PolicyError
    from postmortem.policy import load_policy

    policy_file = tmp_path / ".postmortem.yaml"
    policy_file.write_text(
        "notification_regimes:\n"
        "  - name: Contract ACME\n"
        "    steps:\n"
        "      - {name: notice, within: 1d}\n"
        "      - {name: notice, within: 2d, after: notice}\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match=r":5:16: .*the step 'notice' is defined twice"):
        load_policy(policy_file)


def test_techniques_in_text_are_found_with_ascii_digits_only() -> None:
    """Other digits (Arabic-Indic, fullwidth) are no technique id: the schema's \\d means
    0-9, and the importer must not write one the model then refuses."""
    from postmortem.recognise import TECHNIQUE_IN_TEXT

    text = "used T1078 and T\u0661\u0660\u0667\u0668, then T1059.\uff10\uff10\uff11"
    assert TECHNIQUE_IN_TEXT.findall(text) == ["T1078", "T1059"]
