"""Markdown import: our rendering comes back equal; the templates and drifted documents import."""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import postmortem
from postmortem import converter
from postmortem.cli import main
from postmortem.importer import import_markdown
from postmortem.model import (
    ActionStatus,
    AttackPhase,
    Classification,
    Lifecycle,
    PostMortem,
    PriorityTier,
    ProfileName,
    Severity,
)
from postmortem.render import render
from postmortem.upgrade import assign_ids
from tests.conftest import EXAMPLES, whole_documents
from tests.strategies import markdown_documents

MARKDOWN = Path(__file__).parent / "markdown"


def _lifecycle(doc: PostMortem) -> Lifecycle:
    assert doc.metadata.lifecycle is not None
    return doc.metadata.lifecycle


SEED_PROFILES = {
    "000_94c7b95eca517424.txt": "retrospective",
    "001_3482386feb63f3b1.txt": "security-postmortem",
    "002_31d474d2c48d911a.txt": "security-incident-report",
    "003_4fa6a3db9633e69c.txt": "incident-response-report",
    "004_c542a0f23711f4f9.txt": "postmortem",
}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_rendered_examples_import_back_equal(path: Path) -> None:
    doc = postmortem.load(path)
    imported = import_markdown(render(doc), "rendered.md")
    assert imported.profile_detected
    assert imported.warnings == ()
    assert imported.document == doc


@pytest.mark.parametrize("name", sorted(SEED_PROFILES))
def test_each_template_imports_into_its_profile(name: str, seeds_dir: Path) -> None:
    imported = import_markdown((seeds_dir / name).read_text(encoding="utf-8"), name)
    assert imported.profile_detected
    assert imported.document.profile.value == SEED_PROFILES[name]
    assert postmortem.loads(postmortem.dumps(imported.document)) == imported.document


def test_template_placeholders_import_as_empty(seeds_dir: Path) -> None:
    seed = seeds_dir / "001_3482386feb63f3b1.txt"
    imported = import_markdown(seed.read_text(encoding="utf-8"))
    doc = imported.document
    assert doc.metadata.classification is None
    assert doc.metadata.title == ""
    assert doc.recommendations == [] or all(item.owner is None for item in doc.recommendations)


def test_a_drifted_document_imports_with_every_filled_field() -> None:
    imported = import_markdown(
        (MARKDOWN / "incident-response-report-1.md").read_text(encoding="utf-8"), "drifted.md"
    )
    doc = imported.document
    assert doc.profile is ProfileName.INCIDENT_RESPONSE_REPORT
    assert doc.metadata.title == "Login outage"
    assert doc.metadata.id == "INC-2024-05-07-001"
    assert doc.metadata.severity is Severity.HIGH
    assert doc.metadata.incident_status is not None
    assert doc.metadata.incident_status.value == "Resolved"
    assert doc.metadata.created == datetime(2024, 5, 7, 16, 0, tzinfo=timezone.utc)
    assert doc.summary is not None
    assert doc.summary.text == "Logins failed for 20 minutes after a bad deploy."
    assert [(item.owner, item.action, item.due, item.status) for item in doc.action_items] == [
        ("Kim", "Add a canary for the login service", date(2024, 5, 20), ActionStatus.OPEN),
        ("Lee", "Alert on login error rate", date(2024, 5, 14), ActionStatus.COMPLETE),
    ]
    assert doc.timeline is not None
    assert [event.event for event in doc.timeline.events] == [
        "Deploy 412 rolled out",
        "Rolled back",
    ]
    assert [item.heading for item in doc.unmapped] == ["", "Weather"]
    assert doc.unmapped[1].markdown == "It was raining, which is unrelated.\n"
    warnings = [str(warning) for warning in imported.warnings]
    assert (
        "drifted.md:14:1: table columns 'Effort' have no field in ActionItem (the whole table);"
        " kept in unmapped"
    ) in warnings
    assert doc.unmapped[0].markdown.startswith("| Owner | Action | Due Date | Status | Effort |")
    assert any(
        warning.startswith("drifted.md:28:1: no field for the section 'Weather'")
        for warning in warnings
    )


def test_cli_import_writes_yaml_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pm.md"
    source.write_text(
        render(postmortem.load(EXAMPLES / "security-postmortem.yaml")), encoding="utf-8"
    )
    output = tmp_path / "pm.yaml"
    assert main(["import", str(source), "--output", str(output)]) == 0
    assert postmortem.load(output) == postmortem.load(EXAMPLES / "security-postmortem.yaml")
    assert postmortem.load(output).metadata.classification is Classification.CONFIDENTIAL
    assert main(["import", str(source), "--output", str(output)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_hand_written_retrospective_with_plain_metadata_lines_and_an_extra_column() -> None:
    imported = import_markdown(
        (MARKDOWN / "retrospective-1.md").read_text(encoding="utf-8"), "r.md"
    )
    doc = imported.document
    assert doc.profile is ProfileName.RETROSPECTIVE
    assert (doc.metadata.version, doc.metadata.created) == ("1.0", date(2024, 3, 2))
    assert doc.metadata.severity is Severity.SEV1
    assert doc.guidance == "Retrospective of the DNS outage, filled in async by the responders."
    assert doc.summary is not None
    assert doc.summary.text.startswith("Our authoritative DNS provider dropped our zone")
    assert [(person.name, person.role) for person in doc.participants] == [
        ("Rosa Diaz", "Incident Commander"),
        ("Ken Ito", "Network engineer"),
    ]
    assert doc.lessons is not None
    assert doc.lessons.went_well == [
        "Status page went up within 5 minutes",
        "Secondary DNS runbook existed",
    ]
    assert doc.lessons.went_wrong == ["The secondary provider was not configured"]
    first = doc.action_items[0]
    assert (first.priority, first.status, first.owner, first.due) == (
        postmortem.Priority.P0, ActionStatus.COMPLETED, "Ken Ito", date(2024, 3, 4),
    )  # fmt: skip
    assert first.ticket is not None
    assert (first.ticket.label, first.ticket.url) == (
        "NET-88",
        "https://tracker.example.com/NET-88",
    )
    assert "| SRE |" in doc.unmapped[-1].markdown


def test_hand_written_postmortem_with_a_metadata_table_and_bold_headings() -> None:
    imported = import_markdown((MARKDOWN / "postmortem-1.md").read_text(encoding="utf-8"), "p.md")
    doc = imported.document
    assert doc.profile is ProfileName.POSTMORTEM
    assert doc.metadata.status is postmortem.DocumentStatus.FINAL
    assert doc.metadata.severity is Severity.P2
    assert _lifecycle(doc).started == date(2024, 2, 10)
    assert doc.summary is not None
    assert doc.summary.text.startswith("Search p99 latency rose above 4 s")
    assert doc.timeline is not None
    assert [event.time for event in doc.timeline.events] == [
        datetime(2024, 2, 10, 9, 0, tzinfo=timezone.utc),
        datetime(2024, 2, 10, 9, 12, tzinfo=timezone.utc),
        datetime(2024, 2, 10, 11, 5, tzinfo=timezone.utc),
    ]
    assert doc.root_cause is not None
    assert doc.root_cause.causes
    assert doc.root_cause.causes[0].description.startswith("A keyword field was re-mapped")
    assert doc.root_cause.contributing_factors == [
        "No load test for mapping changes",
        "The alert threshold was set too high",
    ]
    assert doc.where_we_got_lucky == ["It happened on a Saturday"]
    assert [(item.action, item.owner, item.due) for item in doc.action_items] == [
        ("Load test mapping changes in CI", "search-team", date(2024, 3, 1))
    ]
    assert any("deploy 77" in item.markdown for item in doc.unmapped)


def _hand_written(name: str) -> postmortem.PostMortem:
    imported = import_markdown((MARKDOWN / name).read_text(encoding="utf-8"), name)
    assert imported.profile_detected
    return imported.document


def test_hand_written_retrospective_with_renamed_reordered_sections_and_extra_columns() -> None:
    doc = _hand_written("retrospective-2.md")
    assert doc.profile is ProfileName.RETROSPECTIVE
    assert doc.metadata.title == "Mobile login loop"
    assert [(person.name, person.contact) for person in doc.metadata.authors] == [
        ("Morgan Lee", "morgan@example.com")
    ]
    assert (doc.metadata.version, doc.metadata.created) == ("2.1", date(2024, 9, 14))
    assert doc.metadata.severity is Severity.SEV3
    assert [ticket.url for ticket in doc.metadata.tickets] == ["https://tracker.example.com/MOB-77"]
    assert doc.lessons is not None
    assert doc.lessons.went_wrong == [
        "The refresh token was stored in memory only",
        "Crash-free sessions hid the problem from dashboards",
    ]
    assert doc.lessons.went_well == ["Support tagged the tickets within an hour"]
    assert [(person.name, person.role) for person in doc.participants] == [
        ("Morgan Lee", "Mobile lead")
    ]
    (item,) = doc.action_items
    assert (item.action, item.owner, item.due, item.status, item.priority) == (
        "Persist the refresh token in the keystore", "Morgan Lee", date(2024, 9, 30),
        ActionStatus.IN_PROGRESS, postmortem.Priority.P1,
    )  # fmt: skip
    assert [(q.question, q.notes, q.answer) for q in doc.open_questions] == [
        ("Did iOS have the same bug?", "checked 8.2 only", "No")
    ]
    assert any("| Sprint |" in item.markdown for item in doc.unmapped)
    assert any("| Pager |" in item.markdown for item in doc.unmapped)


def test_hand_written_postmortem_pasted_as_plain_text_without_heading_markup() -> None:
    doc = _hand_written("postmortem-2.md")
    assert doc.profile is ProfileName.POSTMORTEM
    assert doc.metadata.title == "Queue backlog after broker upgrade"
    assert (_lifecycle(doc).started, doc.metadata.severity) == (date(2024, 10, 2), Severity.P1)
    assert doc.summary is not None
    assert doc.summary.text.startswith("A broker upgrade halved consumer throughput")
    assert doc.impact is not None
    assert (doc.impact.users_affected, doc.impact.duration) == (5400, timedelta(minutes=50))
    assert doc.timeline is not None
    assert [(event.time, event.event) for event in doc.timeline.events] == [
        (datetime(2024, 10, 2, 13, 0, tzinfo=timezone.utc), "Broker upgraded"),
        (datetime(2024, 10, 2, 13, 50, tzinfo=timezone.utc), "Old broker version restored"),
    ]
    assert doc.root_cause is not None
    assert doc.root_cause.causes[0].description == (
        "The new broker version defaults to one consumer thread per queue."
    )
    assert doc.root_cause.contributing_factors == ["The upgrade note did not mention the default"]
    assert doc.lessons is not None
    assert doc.lessons.went_wrong == ["No throughput test before the upgrade"]
    assert [(item.action, item.owner, item.due) for item in doc.action_items] == [
        ("Pin consumer threads in broker config", "platform", date(2024, 10, 9))
    ]


def test_hand_written_incident_response_report_with_list_timeline_and_impact() -> None:
    doc = _hand_written("incident-response-report-2.md")
    assert doc.profile is ProfileName.INCIDENT_RESPONSE_REPORT
    assert doc.metadata.updated == datetime(2024, 7, 12, 9, 30, tzinfo=timezone.utc)
    assert doc.metadata.prepared_by is not None
    assert doc.metadata.prepared_by.name == "Priya Shah"
    assert doc.metadata.next_review == date(2024, 8, 1)
    assert doc.impact is not None
    assert (doc.impact.users_affected, doc.impact.systems_affected) == (
        1250,
        ["webhook-dispatcher"],
    )
    assert doc.timeline is not None
    assert [(event.time, event.event) for event in doc.timeline.events] == [
        (datetime(2024, 7, 11, 14, 2, tzinfo=timezone.utc), "Consumer lag alert fired"),
        (datetime(2024, 7, 11, 14, 20, tzinfo=timezone.utc), "Stuck consumer restarted"),
        (datetime(2024, 7, 11, 14, 44, tzinfo=timezone.utc), "Backlog drained"),
    ]
    assert doc.response is not None
    assert [(item.item, item.done) for item in doc.response.checklist] == [
        ("Incident commander assigned", True),
        ("Status page updated", True),
        ("Key stakeholders notified", False),
    ]
    assert doc.response.resolution_steps == [
        "Moved the poison message to the dead-letter queue",
        "Restarted the consumer",
    ]
    assert doc.follow_up is not None
    long_term = [item.action for item in doc.follow_up.long_term]
    assert long_term == ["Move webhooks to the new event bus"]
    (item,) = doc.action_items
    assert (item.owner, item.status, item.ticket) == ("Priya", ActionStatus.IN_PROGRESS, None)
    assert any(item.markdown == "PAY-301\n" for item in doc.unmapped)  # no URL: kept, not lost


def test_hand_written_security_incident_report_with_nested_response_actions() -> None:
    doc = _hand_written("security-incident-report-1.md")
    assert doc.profile is ProfileName.SECURITY_INCIDENT_REPORT
    assert doc.metadata.severity is Severity.CRITICAL
    assert _lifecycle(doc).resolved == datetime(2024, 6, 3, 13, 40, tzinfo=timezone.utc)
    assert (doc.metadata.version, doc.metadata.report_date) == ("1.0", date(2024, 6, 4))
    assert doc.response is not None
    assert [(action.action, action.result, action.time) for action in doc.response.immediate] == [
        ("Revoked the deploy token", "Pushes with it refused",
         datetime(2024, 6, 3, 8, 40, tzinfo=timezone.utc)),
        ("Deleted the pushed image", "Image gone from the registry",
         datetime(2024, 6, 3, 8, 55, tzinfo=timezone.utc)),
    ]  # fmt: skip
    assert [action.command for action in doc.response.short_term] == ["ci secrets rotate --all"]
    assert [(gap.gap, gap.action) for gap in doc.gaps] == [
        ("No secret scanning of build logs", "Scan logs before publishing them")
    ]
    assert doc.impact is not None
    assert doc.impact.systems_affected == ["Container registry", "CI runners"]
    assert doc.timeline is not None
    assert [event.actor for event in doc.timeline.events] == ["Monitoring System", "Security Team"]
    assert [item.status for item in doc.action_items] == [
        ActionStatus.OPEN,
        ActionStatus.COMPLETED,
    ]


def test_hand_written_security_incident_report_with_sections_reordered() -> None:
    doc = _hand_written("security-incident-report-2.md")
    assert doc.profile is ProfileName.SECURITY_INCIDENT_REPORT
    assert _lifecycle(doc).detected == datetime(2024, 9, 21, 10, 5, tzinfo=timezone.utc)
    assert doc.metadata.incident_status is not None
    assert doc.metadata.incident_status.value == "Contained"
    assert doc.timeline is not None
    assert [event.action_taken for event in doc.timeline.events] == [
        "Session revoked",
        "Password reset",
    ]
    assert doc.summary is not None
    assert doc.summary.text.startswith("A support agent entered their password")
    assert [(gap.gap, gap.impact) for gap in doc.gaps] == [
        ("Support accounts had no phishing-resistant MFA", None)
    ]
    assert doc.root_cause is not None
    assert doc.root_cause.causes
    assert doc.root_cause.causes[0].description.startswith("MFA by push notification")
    assert [item.due for item in doc.action_items] == [date(2024, 10, 15)]


def test_hand_written_security_postmortem_with_key_facts_phases_and_tiers() -> None:
    doc = _hand_written("security-postmortem-1.md")
    assert doc.profile is ProfileName.SECURITY_POSTMORTEM
    assert doc.metadata.classification is Classification.CONFIDENTIAL
    assert (_lifecycle(doc).started, _lifecycle(doc).resolved) == (
        date(2024, 8, 12),
        date(2024, 8, 23),
    )
    assert _lifecycle(doc).detected == date(2024, 8, 23)
    assert doc.detection is not None
    assert doc.detection.time_to_detect == timedelta(days=11)
    assert doc.timeline is not None
    assert [(event.phase, event.evidence_source) for event in doc.timeline.events] == [
        (AttackPhase.INITIAL_COMPROMISE, "CloudTrail"),
        (AttackPhase.DETECTION_AND_RESPONSE, "CSPM"),
    ]
    assert [(item.title, item.tier, item.owner) for item in doc.recommendations] == [
        ("Block public buckets at the organisation level", PriorityTier.CRITICAL,
         "cloud-platform"),
        ("Tag buckets by data class", PriorityTier.LOW, "data-governance"),
    ]  # fmt: skip
    assert doc.recommendations[0].due == date(2024, 9, 2)
    assert [(ioc.type, ioc.value) for ioc in doc.iocs] == [("IP Address", "203.0.113.50")]


def test_hand_written_security_postmortem_with_unnumbered_headings_and_an_extra_column() -> None:
    doc = _hand_written("security-postmortem-2.md")
    assert doc.profile is ProfileName.SECURITY_POSTMORTEM
    assert doc.metadata.classification is Classification.INTERNAL
    assert doc.lessons is not None
    assert doc.lessons.went_wrong == ["Login failures per IP were not alerted on"]
    assert doc.timeline is not None
    assert [event.evidence_source for event in doc.timeline.events] == ["API logs"]
    assert any("| Analyst |" in item.markdown for item in doc.unmapped)
    assert doc.root_cause.attack is not None
    assert doc.root_cause.attack.initial_access is not None
    assert doc.root_cause.attack.initial_access.description == (
        "Passwords reused from a third-party breach."
    )
    assert doc.distribution is not None
    assert doc.distribution.recipients == ["Security team", "API team"]


@pytest.mark.parametrize("profile", list(ProfileName), ids=lambda profile: profile.value)
@whole_documents
@given(data=st.data())
def test_render_then_import_gives_back_the_document(
    profile: ProfileName, data: st.DataObject
) -> None:
    drawn = converter.unstructure(data.draw(markdown_documents(profile)))
    assign_ids(drawn)  # what an import gives the items that have none
    doc = converter.structure(drawn)
    imported = import_markdown(render(doc), "rendered.md", profile=profile.value)
    assert imported.warnings == ()
    assert _content(converter.unstructure(imported.document)) == _content(
        converter.unstructure(_in_layout_order(doc))
    )


def _in_layout_order(doc: PostMortem) -> PostMortem:
    """The security post-mortem layout groups recommendations by tier and timeline events by
    attack phase (those with none first); every other layout keeps the document's order."""
    if doc.profile is not ProfileName.SECURITY_POSTMORTEM:
        return doc
    tiers = list(PriorityTier)
    phases = [None, *AttackPhase]
    recommendations = sorted(doc.recommendations, key=lambda item: tiers.index(item.tier))
    timeline = doc.timeline and attrs.evolve(
        doc.timeline,
        events=sorted(doc.timeline.events, key=lambda event: phases.index(event.phase)),
    )
    return attrs.evolve(doc, recommendations=recommendations, timeline=timeline)


def _content(value: Any) -> Any:
    """What Markdown shows of a value: a section or row with nothing in it, or a box left
    unticked, is not shown at all."""
    if isinstance(value, dict):
        kept = {key: _content(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, {}, [], "", False)}
    if isinstance(value, list):
        return [item for item in map(_content, value) if item != {}]
    return value
