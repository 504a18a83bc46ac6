"""Schema 2: the record means what it says. Each test here failed on schema 1."""

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import postmortem
from postmortem.checks import check_text
from postmortem.cli import main
from postmortem.errors import DocumentError
from postmortem.metrics import durations, open_follow_ups
from postmortem.model import ActionStatus, DocumentStatus, IncidentStatus
from postmortem.policy import Policy
from postmortem.yaml_io import migrate_text
from tests.conftest import EXAMPLES

SCHEMA1 = Path(__file__).parent / "schema1"
TODAY = date(2024, 6, 1)

HEAD = """\
schema_version: 2
profile: {profile}
metadata:
  id: INC-1
  title: Queue backlog
  time_zone: UTC
"""


def _document(body: str, profile: str = "postmortem") -> str:
    return HEAD.format(profile=profile) + body


def _problems(text: str) -> list[str]:
    with pytest.raises(DocumentError) as refused:
        postmortem.loads(text, "x.yaml")
    return [str(problem) for problem in refused.value.problems]


def _rules(text: str, policy: Policy | None = None) -> list[str]:
    found = check_text(text, "x.yaml", policy or Policy(), today=TODAY)
    return [f"{finding.rule} {finding.path}" for finding in found]


# --- The templates' own words ----------------------------------------------------------------


def test_the_templates_status_words_validate_and_are_kept_as_written() -> None:
    text = _document(
        "  incident_status: Investigation\n"
        "action_items:\n  - action: Alert on lag\n    status: Complete\n"
    )
    doc = postmortem.loads(text)
    assert doc.metadata.incident_status is IncidentStatus.INVESTIGATION
    assert doc.action_items[0].status is ActionStatus.COMPLETE
    assert not doc.action_items[0].status.is_open
    session = postmortem.yaml_io.edit_text(text)
    session.document.metadata.title = "Queue backlog on orders"
    assert "status: Complete\n" in session.dumps()


# --- Lifecycle and time zones ----------------------------------------------------------------


def test_a_misspelt_milestone_is_a_located_error_not_ignored() -> None:
    text = _document(
        "timeline:\n  events:\n    - time: 2024-05-01 10:00:00+00:00\n      milestone: Detcted\n"
    )
    (problem,) = _problems(text)
    assert problem.startswith("x.yaml:10:18: timeline.events[0].milestone: 'Detcted' is not one")
    assert "did you mean 'detected'?" in problem


def test_a_time_without_offset_needs_a_declared_zone() -> None:
    text = _document("  lifecycle:\n    started: 2024-05-01 10:00\n").replace(
        "  time_zone: UTC\n", ""
    )
    (problem,) = _problems(text)
    assert problem.startswith("x.yaml:7:14: metadata.lifecycle.started: 2024-05-01 10:00:00 has")
    assert "declares no time zone" in problem


def test_a_time_without_offset_is_read_in_the_declared_zone_and_rendered_with_it() -> None:
    text = _document("  lifecycle:\n    started: 2024-01-15 10:00\n").replace(
        "time_zone: UTC", "time_zone: Europe/Berlin"
    )
    doc = postmortem.loads(text)
    assert doc.metadata.lifecycle is not None
    assert doc.metadata.lifecycle.started == datetime(2024, 1, 15, 9, 0, tzinfo=timezone.utc)
    from postmortem.render import render

    assert "**Time zone**: Europe/Berlin" in render(doc)


def test_an_unknown_time_zone_is_one_located_error() -> None:
    text = _document("  lifecycle:\n    started: 2024-01-15 10:00\n").replace(
        "time_zone: UTC", "time_zone: Mars/Olympus"
    )
    assert _problems(text) == [
        "x.yaml:6:14: metadata.time_zone: not a time zone: 'Mars/Olympus' (want an IANA name"
        " such as UTC or Europe/Berlin)"
    ]


def test_figures_come_from_the_lifecycle_and_unknown_stays_unknown() -> None:
    text = _document(
        "  lifecycle:\n    started: 2024-05-01 10:00\n    detected: 2024-05-01 10:20\n"
        "    acknowledged: 2024-05-01 10:25\n    resolved: 2024-05-01 12:00\n"
    )
    measured = durations(postmortem.loads(text))
    assert measured.to_detect == timedelta(minutes=20)
    assert measured.to_acknowledge == timedelta(minutes=5)
    assert measured.to_mitigate is None  # not given: unknown, never zero
    assert measured.to_resolve == timedelta(hours=2)


def test_stats_report_every_figure_per_incident_and_what_they_leave_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = _document(
        "  lifecycle:\n    started: 2024-05-01 10:00\n    detected: 2024-05-01 10:20\n"
        "    acknowledged: 2024-05-01 10:25\n    mitigated: 2024-05-01 11:00\n"
        "    resolved: 2024-05-01 12:00\n"
    )
    (tmp_path / "a.yaml").write_text(known, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(known.replace("INC-1", "INC-2"), encoding="utf-8")
    (tmp_path / "c.yaml").write_text(_document("").replace("INC-1", "INC-3"), encoding="utf-8")
    assert main(["stats", str(tmp_path), "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["time_to_mitigate"] == {"mean": "1h", "median": "1h", "known": 2, "unknown": 1}
    assert figures["time_to_acknowledge"]["mean"] == "5m"
    rows = {row["id"]: row for row in figures["incidents"]}
    assert rows["INC-1"]["time_to_detect"] == "20m"
    assert rows["INC-3"]["time_to_resolve"] is None


# --- One follow-up type ----------------------------------------------------------------------


_RESPONSE = """\
response:
  short_term:
    - action: Rotate every key
      owner: Platform team
      due: 2024-05-10
      status: In Progress
follow_up:
  long_term:
    - action: Move to a managed service
      due: 2024-05-20
"""


def test_short_term_response_actions_and_horizon_items_are_follow_ups() -> None:
    text = _document(_RESPONSE, "incident-response-report").replace(
        "incident-response-report\nmetadata:", "incident-response-report\nmetadata:"
    )
    doc = postmortem.loads(text)
    assert [(item.kind, item.action) for item in open_follow_ups(doc)] == [
        ("response action", "Rotate every key"),
        ("follow-up", "Move to a managed service"),
    ]
    overdue = [rule for rule in _rules(text) if rule.startswith("PM206")]
    assert overdue == ["PM206 response.short_term[0].due", "PM206 follow_up.long_term[0].due"]


def test_a_gaps_recommendation_is_a_follow_up() -> None:
    text = _document(
        """gaps:
  - gap: One reviewer is enough for release workflows
    action: Require a security reviewer
    owner: "@devops-lead"
    due: 2024-05-01
    status: Open
  - gap: No alert on a key used from a new network
""",
        "security-incident-report",
    )
    doc = postmortem.loads(text)
    assert [(item.kind, item.action, item.owner) for item in open_follow_ups(doc)] == [
        ("gap recommendation", "Require a security reviewer", "@devops-lead"),
    ]
    assert [rule for rule in _rules(text) if rule.startswith("PM206")] == ["PM206 gaps[0].due"]
    rendered = postmortem.render_markdown(doc)
    assert "| Gap | Impact | Recommendation | Owner | Due | Status |" in rendered
    old = text.replace("schema_version: 2", "schema_version: 1")
    old = old.replace("action:", "recommendation:")
    ids = text.replace("Open\n", "Open\n    id: F1\n").replace("network\n", "network\n    id: F2\n")
    assert migrate_text(old, "x.yaml") == ids


def test_actions_lists_every_follow_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").write_text(_document(_RESPONSE), encoding="utf-8")
    assert main(["actions", str(tmp_path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "response action" in out
    assert "Move to a managed service" in out


# --- Severity per profile --------------------------------------------------------------------


def test_a_severity_of_another_scale_is_a_located_error_listing_the_allowed_ones() -> None:
    text = _document("  severity: Sev 1\n")
    assert _problems(text) == [
        "x.yaml:7:13: metadata.severity: 'Sev 1' is not a severity of the postmortem profile"
        " (P1-P3): use one of P1, P2, P3"
    ]


_SCALE = """\
severity_levels:
  - name: SEV-1
    covers: [Sev 1, P1, Critical]
  - name: SEV-2
    covers: [Sev 2, P2, High]
"""


def test_the_policy_maps_every_profile_scale_onto_the_organisations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".postmortem.yaml").write_text(_SCALE, encoding="utf-8")
    for name, profile, severity in (
        ("a", "postmortem", "P1"),
        ("b", "security-postmortem", "Critical"),
        ("c", "retrospective", "Sev 2"),
        ("d", "postmortem", "P3"),
        ("e", "postmortem", None),
    ):
        head = _document("", profile).replace("INC-1", f"INC-{name}")
        line = f"  severity: {severity}\n" if severity else ""
        (tmp_path / f"{name}.yaml").write_text(head + line, encoding="utf-8")
    assert main(["stats", str(tmp_path), "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["by_level"] == {"SEV-1": 2, "SEV-2": 1, "not on the scale": 1, "unknown": 1}
    assert figures["by_rank"] == {"1": 2, "2": 1, "3": 1, "unknown": 1}

    def scale_findings(name: str, policy: Policy) -> list[str]:
        text = (tmp_path / f"{name}.yaml").read_text(encoding="utf-8")
        return [rule for rule in _rules(text, policy) if rule.startswith("PM411")]

    policy = postmortem.policy.load_policy(tmp_path / ".postmortem.yaml")
    assert scale_findings("d", policy) == ["PM411 metadata.severity"]
    assert scale_findings("a", policy) == []
    assert scale_findings("d", Policy()) == []  # no scale, no rule


def test_a_scale_that_places_a_level_twice_is_a_located_policy_error(tmp_path: Path) -> None:
    (tmp_path / ".postmortem.yaml").write_text(
        _SCALE + "  - name: SEV-1\n    covers: [P1, Low]\n", encoding="utf-8"
    )
    with pytest.raises(postmortem.errors.PolicyError) as refused:
        postmortem.policy.load_policy(tmp_path / ".postmortem.yaml")
    assert [str(problem).split(": ", 1)[1] for problem in refused.value.problems] == [
        "severity_levels[2].name: the level is named twice",
        "severity_levels[2].covers[0]: P1 is already covered by 'SEV-1'",
    ]
    assert str(refused.value.problems[1]).startswith(f"{tmp_path / '.postmortem.yaml'}:7:14:")


# --- Quantities ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("impact:\n  users_affected_percent: 420\n", "must be 0 to 100, found 420"),
        ("impact:\n  users_affected: -5\n", "must not be negative, found -5"),
        ("cost:\n  legal_fees: -1.5\n", "must not be negative, found -1.5"),
        (
            "recommendations:\n  - title: T\n    action: A\n    tier: High\n"
            "    effort: a few days\n",
            "not a duration: 'a few days'",
        ),
    ],
    ids=["percent", "negative-count", "negative-money", "effort"],
)
def test_quantities_are_checked(body: str, expected: str) -> None:
    (problem,) = _problems(_document(body))
    assert expected in problem


def test_records_affected_and_retention_are_typed() -> None:
    doc = postmortem.loads(
        _document(
            "impact:\n  records_affected: 4120\n"
            "evidence:\n  - evidence: Gateway logs\n    retention: 7 years\n"
            "    retained_until: 2031-03-01\n"
        )
    )
    assert doc.impact is not None
    assert doc.impact.records_affected == 4120
    assert doc.evidence[0].retention == timedelta(days=7 * 365)


def test_a_cost_total_that_is_not_the_sum_of_its_parts() -> None:
    cost = "cost:\n  engineering_hours: 10\n  hourly_rate: 100\n  legal_fees: 500\n"
    assert "PM408 cost.total" in _rules(_document(cost + "  total: 9000\n"))
    assert "PM408 cost.total" not in _rules(_document(cost + "  total: 1500\n"))


# --- One root-cause model --------------------------------------------------------------------


def test_human_error_is_not_a_root_cause() -> None:
    text = _document("root_cause:\n  causes:\n    - description: Human error during the deploy\n")
    assert "PM409 root_cause.causes[0].description" in _rules(text)


def test_cause_categories_come_from_the_taxonomy_or_the_policy() -> None:
    text = _document(
        "root_cause:\n  causes:\n    - description: Disk full\n      category: bad luck\n"
    )
    assert "PM410 root_cause.causes[0].category" in _rules(text)
    assert "PM410 root_cause.causes[0].category" not in _rules(
        text, Policy(cause_categories=["bad luck"])
    )


def test_ids_are_unique_and_follow_ups_name_causes_that_exist() -> None:
    text = _document(
        "root_cause:\n  causes:\n    - id: C1\n      description: Disk full\n"
        "action_items:\n  - id: F1\n    action: Alert\n    addresses: [C1, C9]\n"
        "  - id: F1\n    action: Grow the disk\n"
    )
    rules = _rules(text)
    assert "PM406 action_items[1].id" in rules
    assert "PM407 action_items[0].addresses[1]" in rules
    assert "PM407 action_items[0].addresses[0]" not in rules


# --- Required sections -----------------------------------------------------------------------


def test_a_final_security_incident_report_needs_its_sign_off_sections() -> None:
    doc = postmortem.load(EXAMPLES / "security-incident-report.yaml")
    assert doc.metadata.status is DocumentStatus.FINAL
    doc.approvals = []
    doc.notifications = None
    assert {"PM201 approvals", "PM201 notifications"} <= set(_rules(postmortem.dumps(doc)))


def test_the_security_postmortem_requires_lessons() -> None:
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    doc.lessons = None
    assert "PM201 lessons" in _rules(postmortem.dumps(doc))


# --- Reading old versions, writing new ones --------------------------------------------------


@pytest.mark.parametrize("path", sorted(SCHEMA1.glob("*.yaml")), ids=lambda path: path.stem)
def test_migrate_turns_a_schema_1_document_into_schema_2_keeping_every_comment(
    path: Path,
) -> None:
    old = path.read_text(encoding="utf-8")
    new = migrate_text(old, path.name)
    assert new.startswith(old[: old.index("schema_version")] + "schema_version: 2")
    assert sorted(re.findall(r"#.*", new)) == sorted(re.findall(r"#.*", old))
    assert _rules(new) == [rule for rule in _rules(new) if not rule.startswith("PM1")]
    assert postmortem.loads(new) == postmortem.loads(new)  # valid schema 2
    assert migrate_text(new, path.name) == new  # idempotent
    read_as_schema_1 = postmortem.converter.unstructure(postmortem.loads(old))
    migrated = postmortem.converter.unstructure(postmortem.loads(new))
    assert _without_ids(migrated) == _without_ids(read_as_schema_1)


def _without_ids(value: object) -> object:
    if isinstance(value, dict):
        return {key: _without_ids(item) for key, item in value.items() if key != "id"}
    if isinstance(value, list):
        return [_without_ids(item) for item in value]
    return value


def test_migrate_keeps_each_comment_above_the_item_it_was_written_above() -> None:
    items = "".join(
        f"    # why {number}\n    - item: Step {number}  # step {number}\n      done: false\n"
        for number in range(3)
    )
    old = "profile: incident-response-report\nmetadata:\n  id: INC-1\nfollow_up:\n"
    new = migrate_text(old + "  short_term:\n" + items, "x.yaml")
    assert new.count("# why") == 3
    for number in range(3):
        assert f"\n    # why {number}\n    - action: Step {number}  # step {number}\n" in new


def test_check_says_to_migrate_an_old_document() -> None:
    old = (SCHEMA1 / "postmortem.yaml").read_text(encoding="utf-8")
    found = check_text(old, "x.yaml", Policy(), today=TODAY)
    (schema,) = [finding for finding in found if finding.rule == "PM103"]
    assert str(schema).startswith("x.yaml:2:17: PM103 schema_version: written for schema 1")
    assert "postmortem migrate x.yaml" in str(schema)


def test_the_migrate_command_rewrites_documents_and_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".postmortem.yaml").write_text(
        "section_labels:\n  attack_analysis: Confidential  # the attack\n", encoding="utf-8"
    )
    document = tmp_path / "INC-1.yaml"
    document.write_text((SCHEMA1 / "security-postmortem.yaml").read_text(), encoding="utf-8")
    assert main(["migrate", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path / '.postmortem.yaml'}: policy migrated",
        f"{document}: document migrated",
    ]
    assert (tmp_path / ".postmortem.yaml").read_text() == (
        "section_labels:\n  root_cause: Confidential  # the attack\n"
    )
    assert main(["validate", str(document)]) == 0
    capsys.readouterr()
    assert main(["migrate", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""  # nothing left to do


def test_migrate_leaves_a_document_that_does_not_load_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "x.yaml"
    original = "schema_version: 1\nprofile: postmortem\nmetadata:\n  id: 7\n"
    broken.write_text(original, encoding="utf-8")
    assert main(["migrate", str(broken)]) == 1
    assert broken.read_text() == original
    assert capsys.readouterr().out.startswith(f"{broken}:4:7: metadata.id:")
