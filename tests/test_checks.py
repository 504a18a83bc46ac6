"""Each rule fires where it should, is located, and stays quiet on a complete document."""

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

import postmortem
from postmortem.checks import check_file, check_text
from postmortem.model import (
    ActionItem,
    ActionStatus,
    Classification,
    Detection,
    Distribution,
    DocumentStatus,
    Ioc,
    IocType,
    PostMortem,
    TimelineEvent,
)
from postmortem.policy import PathRule, Policy
from postmortem.scaffold import scaffold
from tests.conftest import EXAMPLES, internal_postmortem

TODAY = date(2024, 1, 1)


def complete() -> PostMortem:
    return postmortem.load(EXAMPLES / "postmortem.yaml")


def findings(
    doc: PostMortem, policy: Policy | None = None, path: str = "incidents/pm.yaml"
) -> list[str]:
    found = check_text(
        postmortem.dumps(doc), path, policy or Policy(), today=TODAY, relative_path=path
    )
    return [f"{finding.rule} {finding.path}" for finding in found]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_example_is_clean(path: Path) -> None:
    assert check_file(path, today=TODAY) == []


def test_the_clean_document_is_clean() -> None:
    assert findings(complete()) == []


def _without_timeline(doc: PostMortem) -> None:
    doc.timeline = None


def _placeholder(doc: PostMortem) -> None:
    assert doc.summary is not None
    doc.summary.text = "On [Date] the [Service] failed.\n"


def _no_owner(doc: PostMortem) -> None:
    doc.action_items[1].owner = None


def _no_deadline(doc: PostMortem) -> None:
    doc.action_items[1].due = None


def _no_status(doc: PostMortem) -> None:
    doc.action_items[1].status = None


def _overdue(doc: PostMortem) -> None:
    doc.action_items[2].due = date(2023, 12, 1)


def _no_label(doc: PostMortem) -> None:
    doc.metadata.classification = None


def _out_of_order(doc: PostMortem) -> None:
    assert doc.timeline is not None
    doc.timeline.events[3].time = datetime(2024, 3, 12, 13, 0, tzinfo=timezone.utc)


def _detected_early(doc: PostMortem) -> None:
    assert doc.metadata.lifecycle is not None
    doc.metadata.lifecycle.detected = datetime(2024, 3, 12, 13, 0, tzinfo=timezone.utc)


def _resolved_early(doc: PostMortem) -> None:
    assert doc.metadata.lifecycle is not None
    doc.metadata.lifecycle.resolved = datetime(2024, 3, 12, 14, 5, tzinfo=timezone.utc)


def _wrong_time_to_detect(doc: PostMortem) -> None:
    doc.detection = Detection(time_to_detect=timedelta(hours=2))


def _final_without_cause(doc: PostMortem) -> None:
    doc.root_cause = None
    for item in doc.action_items:
        item.addresses = []
    doc.metadata.status = DocumentStatus.FINAL


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_without_timeline, ["PM201 timeline"]),
        (_placeholder, ["PM202 summary.text"]),
        (_no_owner, ["PM203 action_items[1]"]),
        (_no_deadline, ["PM204 action_items[1]"]),
        (_no_status, ["PM205 action_items[1]"]),
        (_overdue, ["PM206 action_items[2].due"]),
        (_no_label, ["PM301 metadata"]),
        (_out_of_order, ["PM401 timeline.events[3].time"]),
        (
            _detected_early,
            ["PM402 metadata.lifecycle.detected", "PM404 detection.time_to_detect"],
        ),
        (_resolved_early, ["PM403 metadata.lifecycle.resolved"]),
        (_wrong_time_to_detect, ["PM404 detection.time_to_detect"]),
        (_final_without_cause, ["PM201 root_cause", "PM405 root_cause"]),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] or None,
)
def test_rule_fires(change: Callable[[PostMortem], None], expected: list[str]) -> None:
    doc = complete()
    change(doc)
    assert sorted(findings(doc)) == sorted(expected)


def test_findings_are_located_and_formatted() -> None:
    text = (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8")
    text = text.replace("    owner: Amara Nwosu\n", "    owner: ''\n")
    found = check_text(text, "incidents/pm.yaml", Policy(), today=TODAY)
    line = text.splitlines().index("    owner: ''") + 1
    assert [str(finding) for finding in found] == [
        f"incidents/pm.yaml:{line}:12: PM203 action_items[1].owner: "
        "action item 'Log TLS handshake failures to the processor at error level' has no owner"
    ]


def test_a_draft_needs_only_a_summary_by_default_and_policy_can_demand_more() -> None:
    doc = complete()
    doc.metadata.status = DocumentStatus.DRAFT
    doc.timeline = None
    doc.impact = None
    assert findings(doc) == []
    policy = Policy(required_sections={doc.profile: {DocumentStatus.DRAFT: ["summary", "impact"]}})
    assert findings(doc, policy) == ["PM201 impact"]


def test_scaffold_points_at_what_to_fill() -> None:
    found = check_text(scaffold("postmortem"), "incidents/new.yaml", Policy(), today=TODAY)
    assert [finding.rule for finding in found] == ["PM201", "PM301"]


def test_placeholders_from_the_templates_are_found() -> None:
    doc = complete()
    texts = ["[Name]", "YYYY-MM-DD", "HH:MM", "TBD", "XXX", "$X", "@engineer", "<!-- fill in -->"]
    doc.other_notes = [f"left: {text}" for text in texts]
    assert findings(doc) == [f"PM202 other_notes[{index}]" for index in range(len(texts))]


def test_verbatim_machine_text_is_not_a_placeholder() -> None:
    doc = complete()
    doc.iocs = [Ioc(type=IocType.FILE_NAME, value="[ERROR] TBD.exe")]
    doc.metadata.classification = Classification.CONFIDENTIAL
    assert findings(doc) == []


def test_policy_extends_placeholders_and_selects_rules() -> None:
    doc = complete()
    doc.other_notes = ["ask ACME-PLACEHOLDER"]
    assert findings(doc) == []
    assert findings(doc, Policy(extra_placeholders=[r"ACME-\w+"])) == ["PM202 other_notes[0]"]
    assert findings(doc, Policy(extra_placeholders=[r"ACME-\w+"], ignore=["PM2"])) == []
    doc.metadata.classification = None
    assert findings(doc, Policy(select=["PM3"])) == ["PM301 metadata"]


def test_placeholder_patterns_too_large_to_search_together_are_searched_one_by_one() -> None:
    many = [f"Q{number}[^x]{{1,1000}}" for number in range(60)]
    doc = complete()
    doc.other_notes = ["ask Q59-later"]
    assert findings(doc, Policy(extra_placeholders=many)) == ["PM202 other_notes[0]"]
    doc.other_notes = ["nothing left"]
    assert findings(doc, Policy(extra_placeholders=many)) == []


def test_disallowed_label_and_path_rules() -> None:
    doc = internal_postmortem()
    doc.metadata.classification = Classification.TLP_RED
    only_corporate = Policy(labels=[[Classification.PUBLIC], [Classification.INTERNAL]])
    assert findings(doc, only_corporate) == ["PM302 metadata.classification"]
    public_only = Policy(path_rules=[PathRule(paths=["public/**"], labels=[Classification.PUBLIC])])
    doc.metadata.classification = Classification.INTERNAL
    assert findings(doc, public_only, path="public/2024/pm.yaml") == [
        "PM303 metadata.classification"
    ]
    assert findings(doc, public_only, path="internal/pm.yaml") == []


def test_content_demands_a_label() -> None:
    doc = internal_postmortem()
    doc.iocs = [Ioc(type=IocType.IP_ADDRESS, value="203.0.113.9")]
    assert findings(doc) == ["PM304 metadata.classification"]
    doc.metadata.classification = Classification.TLP_AMBER_STRICT
    assert findings(doc) == []


def test_distribution_fits_the_label() -> None:
    doc = internal_postmortem()
    doc.metadata.classification = Classification.PUBLIC
    doc.distribution = Distribution(recipients=["CISO"])
    assert findings(doc) == ["PM305 distribution.recipients"]
    doc.metadata.classification = Classification.RESTRICTED
    doc.distribution = None
    assert findings(doc) == ["PM305 metadata.classification"]


def test_completed_items_are_never_overdue() -> None:
    doc = complete()
    doc.action_items = [
        ActionItem(
            action="Done long ago", owner="x", due=date(2020, 1, 1), status=ActionStatus.COMPLETED
        )
    ]
    assert findings(doc) == []
    doc.action_items[0] = attrs.evolve(doc.action_items[0], status=ActionStatus.OPEN)
    assert findings(doc) == ["PM206 action_items[0].due"]


def test_a_document_that_does_not_load_gives_pm1_findings() -> None:
    found = check_text("profile: postmortem\nmetadata: {id: 3}\n", "x.yaml", Policy(), today=TODAY)
    assert [str(finding) for finding in found] == [
        "x.yaml:2:16: PM102 metadata.id: expected a string, found a number 3"
    ]
    found = check_text("profile: [\n", "x.yaml", Policy(), today=TODAY)
    assert [finding.rule for finding in found] == ["PM101"]


def test_date_only_events_on_the_same_day_are_in_order() -> None:
    doc = complete()
    assert doc.timeline is not None
    doc.timeline.events.append(TimelineEvent(time=date(2024, 3, 12), event="Status page closed"))
    assert findings(doc) == []
