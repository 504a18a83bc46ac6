"""Markdown post-mortems as teams write them, not as the templates do: typed, not parked.

Every document here was written for these tests, in the layouts real post-mortems use
(Google SRE's sections, Leadup / Fault / ..., question headings, bold-key bullets, status
page logs, front matter), with incidents of our own.
"""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given

import postmortem
from postmortem.cli import main
from postmortem.importer import import_markdown
from postmortem.importer.coverage import Coverage, coverage
from postmortem.importer.frontmatter import front_matter
from postmortem.importer.times import Clock, read_stamp
from postmortem.model import (
    ActionStatus,
    DocumentStatus,
    Metadata,
    Milestone,
    PostMortem,
    ProfileName,
    Summary,
)
from postmortem.profiles import PROFILES
from postmortem.render import render
from postmortem.render.markdown import STILL_TO_WRITE
from tests.strategies import written_times

SRE_STYLE = """\
---
title: "Checkout errors after a config push"
date: 2024-03-05
authors:
  - Ines Duarte
  - Tomas Berg
tags: [payments, config]
layout: post
---

Checkout returned errors for a quarter of an hour after a bad configuration push.

## Impact

About 3% of card payments failed between 14:02 and 14:17 UTC.

## Root Causes

A flag meant for staging was pushed to every region because the rollout tool ignored the
region filter.

## Trigger

The weekly configuration push.

## Resolution

We rolled back the configuration and paused the rollout tool.

## Detection

The payment error-rate alert paged the on-call engineer.

## Action Items

- [x] Make the rollout tool refuse an empty region filter @ines ([PAY-12](https://tracker.example.com/PAY-12))
- Add a canary region to the weekly push (owner: Tomas Berg) by 2024-04-01
- Alert on config pushes that touch every region [in progress]

## Lessons Learned

### What went well

- The alert paged within two minutes

### What went wrong

- The rollback took ten minutes to find

### Where we got lucky

- It happened outside the evening peak

## Timeline

- 2024-03-05 14:00 UTC - Weekly configuration push starts
- 2024-03-05 14:02 UTC - Outage starts: card payments begin to fail
- 14:04 UTC - Payment error-rate alert detected the failures
- 14:17 UTC - Configuration rolled back; outage resolved

[PAY-12]: https://tracker.example.com/PAY-12
"""


def test_a_google_sre_style_post_mortem_is_typed_field_by_field() -> None:
    imported = import_markdown(SRE_STYLE, "sre.md")
    doc = imported.document
    assert doc.profile is ProfileName.POSTMORTEM
    assert doc.metadata.title == "Checkout errors after a config push"
    assert doc.metadata.created == date(2024, 3, 5)
    assert [person.name for person in doc.metadata.authors] == ["Ines Duarte", "Tomas Berg"]
    assert doc.metadata.tags == ["payments", "config"]
    assert doc.summary is not None
    assert doc.summary.text.startswith("Checkout returned errors")
    assert doc.impact is not None
    assert doc.impact.description is not None
    assert "3% of card payments" in doc.impact.description
    assert doc.root_cause is not None
    assert [cause.description for cause in doc.root_cause.causes] == [
        "A flag meant for staging was pushed to every region because the rollout tool ignored"
        " the\nregion filter.\n",
        "The weekly configuration push.",
    ]
    assert doc.response is not None
    assert doc.response.resolution_steps == [
        "We rolled back the configuration and paused the rollout tool."
    ]
    assert doc.detection is not None
    assert doc.detection.details == "The payment error-rate alert paged the on-call engineer."
    first, second, third = doc.action_items
    assert (first.owner, first.status) == ("ines", ActionStatus.COMPLETED)
    assert first.ticket is not None
    assert first.ticket.url == "https://tracker.example.com/PAY-12"
    assert (second.owner, second.due) == ("Tomas Berg", date(2024, 4, 1))
    assert third.status is ActionStatus.IN_PROGRESS
    assert doc.lessons is not None
    assert doc.lessons.went_well == ["The alert paged within two minutes"]
    assert doc.lessons.went_wrong == ["The rollback took ten minutes to find"]
    assert doc.where_we_got_lucky == ["It happened outside the evening peak"]


def test_timeline_lines_become_timed_events_and_mark_the_incident_s_life() -> None:
    doc = import_markdown(SRE_STYLE, "sre.md").document
    assert doc.timeline is not None
    utc = timezone.utc
    assert [(event.time, event.milestone) for event in doc.timeline.events] == [
        (datetime(2024, 3, 5, 14, 0, tzinfo=utc), None),
        (datetime(2024, 3, 5, 14, 2, tzinfo=utc), Milestone.STARTED),
        (datetime(2024, 3, 5, 14, 4, tzinfo=utc), Milestone.DETECTED),
        (datetime(2024, 3, 5, 14, 17, tzinfo=utc), Milestone.MITIGATED),
    ]
    assert doc.timeline.events[1].event == "Outage starts: card payments begin to fail"
    assert doc.metadata.lifecycle is not None
    assert doc.metadata.lifecycle.started == datetime(2024, 3, 5, 14, 2, tzinfo=utc)
    assert doc.metadata.lifecycle.detected == datetime(2024, 3, 5, 14, 4, tzinfo=utc)
    assert doc.metadata.lifecycle.mitigated == datetime(2024, 3, 5, 14, 17, tzinfo=utc)
    assert doc.metadata.time_zone is None  # every time read gave its zone


def test_front_matter_keys_without_a_field_and_link_definitions_are_kept_verbatim() -> None:
    imported = import_markdown(SRE_STYLE, "sre.md")
    kept = "\n".join(entry.markdown for entry in imported.document.unmapped)
    assert "layout: post" in kept
    rendered = render(imported.document)
    assert "[PAY-12]: https://tracker.example.com/PAY-12" in rendered.replace("\\", "")
    measured = coverage(SRE_STYLE, imported.document, imported.sections, rendered)
    assert measured.words - measured.kept == 1  # the x of the ticked box, now a status
    assert measured.typed_share > 0.9


LEADUP_LAYOUT = """\
+++
title = "Queue consumers stalled"
date = 2023-01-18
tags = ["queues"]
+++

All times in CET.

# Leadup

A library upgrade on Jan 17 changed the default prefetch count.

# Fault

Consumers fetched one message at a time and fell behind.

# Impact

Order confirmations were delayed by up to forty minutes.

# Detection

Customers wrote to support before any alert fired.

# Response

The on-call engineer raised the prefetch count by hand.

# Recovery

The backlog drained within twenty minutes.

# Key events

- Jan 18 11:40 (CET) Upgrade deployed
- Jan 18 12:05 First support ticket about late confirmations
- Day 1 / 12:30 Prefetch count raised
"""


def test_the_leadup_fault_layout_with_toml_front_matter_and_a_declared_zone() -> None:
    imported = import_markdown(LEADUP_LAYOUT, "leadup.md")
    doc = imported.document
    assert doc.metadata.title == "Queue consumers stalled"
    assert doc.metadata.tags == ["queues"]
    assert doc.root_cause is not None
    assert doc.root_cause.contributing_factors == [
        "A library upgrade on Jan 17 changed the default prefetch count."
    ]
    assert [cause.description for cause in doc.root_cause.causes] == [
        "Consumers fetched one message at a time and fell behind."
    ]
    assert doc.response is not None
    assert doc.response.description == "The on-call engineer raised the prefetch count by hand."
    assert doc.response.resolution_steps == ["The backlog drained within twenty minutes."]
    assert doc.timeline is not None
    cet = timezone(timedelta(hours=1))
    assert [event.time for event in doc.timeline.events] == [
        datetime(2023, 1, 18, 11, 40, tzinfo=cet),
        datetime(2023, 1, 18, 12, 5, tzinfo=cet),
        datetime(2023, 1, 18, 12, 30, tzinfo=cet),
    ]
    assert [heading for heading, field in imported.sections if field is None] == []


QUESTIONS = """\
# Stolen deploy key used to publish a package

## What happened?

An attacker used a deploy key leaked in a public CI log to publish a malicious release of
our command-line package. The release was compromised for three hours.

## How did they get in?

The key was printed by a debug step and had write access to the registry (CVE-2024-11111
let the log viewer show it to anyone).

## How are we preventing it?

- Rotate every deploy key @sec-team
- Remove debug steps from release jobs
"""


def test_each_paragraph_of_a_root_cause_is_a_cause_with_the_code_under_it() -> None:
    markdown = (
        "# Token leaked\n\n## Root cause\n\nA debug step printed the token:\n\n"
        "```bash\necho $TOKEN\n```\n\nThe log was public.\n\n[log]: https://ci.example.com/1\n"
    )
    doc = import_markdown(markdown, "causes.md").document
    assert doc.root_cause is not None
    assert [cause.description for cause in doc.root_cause.causes] == [
        "A debug step printed the token:\n\necho $TOKEN\n",
        "The log was public.\n\n[log]: https://ci.example.com/1\n",
    ]
    assert doc.unmapped == []
    template = "# Token leaked\n\n## Root cause\n\n[Describe the root cause]\n"
    assert import_markdown(template, "template.md").document.root_cause is None


def test_a_security_incident_is_known_by_its_words_and_says_why() -> None:
    imported = import_markdown(QUESTIONS, "q.md")
    doc = imported.document
    assert doc.profile in (ProfileName.SECURITY_POSTMORTEM, ProfileName.SECURITY_INCIDENT_REPORT)
    assert imported.reasons[0].startswith("a security incident: ")
    assert "'attacker' x1" in imported.reasons[0]
    assert doc.root_cause is not None
    assert doc.root_cause.attack is not None
    assert doc.root_cause.attack.initial_access is not None
    assert doc.root_cause.attack.initial_access.description is not None
    assert "debug step" in doc.root_cause.attack.initial_access.description
    assert [(item.action, item.owner) for item in doc.action_items] == [
        ("Rotate every deploy key @sec-team", "sec-team"),
        ("Remove debug steps from release jobs", None),
    ]


def test_an_operations_incident_that_mentions_tokens_keeps_an_operations_profile() -> None:
    markdown = (
        "# Login slow\n\n## Summary\n\nThe token service was slow; refresh tokens timed out"
        " and a credential cache expired. No attacker, no leak: a full disk.\n\n## Root cause"
        "\n\nThe disk of the token database filled up.\n"
    )
    imported = import_markdown(markdown, "ops.md")
    assert imported.document.profile is ProfileName.POSTMORTEM
    assert imported.reasons[0].startswith("no security incident")


BOLD_KEYS = """\
# Incident on 2024-02-11 - Search index rebuilt from scratch

Created by: Ana Ruiz
Last modified: 2024-02-12

- **Key events**
  - First detected 2024-02-11 09:12
  - Repaired 2024-02-11 11:40

- **Impact**:

Search returned empty results for two hours.

- **Resolution**:

The index was rebuilt from the nightly snapshot.

- **Review actions**:
  - Alert when the index document count drops by half
"""


def test_bold_key_bullets_and_header_lines_are_sections_and_metadata() -> None:
    imported = import_markdown(BOLD_KEYS, "bold.md")
    doc = imported.document
    assert doc.metadata.title == "Incident on 2024-02-11 - Search index rebuilt from scratch"
    assert [person.name for person in doc.metadata.authors] == ["Ana Ruiz"]
    assert doc.metadata.updated == date(2024, 2, 12)
    assert doc.impact is not None
    assert doc.impact.description == "Search returned empty results for two hours."
    assert doc.timeline is not None
    assert [event.event for event in doc.timeline.events] == [
        "First detected 2024-02-11 09:12",
        "Repaired 2024-02-11 11:40",
    ]
    assert [item.action for item in doc.action_items] == [
        "Alert when the index document count drops by half"
    ]


def test_headings_with_owners_and_tags_are_follow_ups_of_their_section() -> None:
    markdown = (
        "# Disk full\n\n## Action items\n\n### 1) Rotate the logs daily `@kim` [repair]\n\n"
        "The log volume grew by 40 GB a day.\n\n### 2) Alert on disk use `@lee` [detect]\n"
    )
    doc = import_markdown(markdown, "owners.md").document
    assert [item.action.split("\n")[0] for item in doc.action_items] == [
        "Rotate the logs daily `@kim` [repair]",
        "Alert on disk use `@lee` [detect]",
    ]
    assert "40 GB a day" in doc.action_items[0].action


def test_an_ambiguous_zone_is_reported_on_its_line_and_not_guessed() -> None:
    markdown = "# Outage\n\n## Timeline\n\n- 2024-06-01 10:00 IST Payments stopped\n"
    imported = import_markdown(markdown, "ist.md")
    assert imported.document.timeline is not None
    (event,) = imported.document.timeline.events
    assert event.time is None
    assert event.event == "2024-06-01 10:00 IST Payments stopped"
    assert [str(warning) for warning in imported.warnings] == [
        "ist.md:5:1: the zone IST names several zones; give the offset (e.g. +05:30);"
        " the time is kept in the event's text"
    ]


def test_times_without_a_zone_are_in_the_zone_asked_for() -> None:
    markdown = "# Outage\n\n## Timeline\n\n- 2024-06-01 10:00 Payments stopped\n"
    zone = timezone(timedelta(hours=-5))
    doc = import_markdown(markdown, "tz.md", timezone=zone).document
    assert doc.timeline is not None
    assert doc.timeline.events[0].time == datetime(2024, 6, 1, 10, 0, tzinfo=zone)


def test_a_time_given_no_zone_declares_utc_unless_the_document_gives_one() -> None:
    markdown = "# Outage\n\n**Date detected**: 2024-06-01 10:00\n"
    doc = import_markdown(markdown, "naive.md").document
    assert doc.metadata.time_zone == "UTC"
    assert doc.metadata.lifecycle is not None
    assert doc.metadata.lifecycle.detected == datetime(2024, 6, 1, 10, 0, tzinfo=timezone.utc)
    declared = import_markdown(f"All times in PDT.\n\n{markdown}", "pdt.md").document
    assert declared.metadata.time_zone is None
    assert declared.metadata.lifecycle is not None
    pdt = timezone(timedelta(hours=-7))
    assert declared.metadata.lifecycle.detected == datetime(2024, 6, 1, 10, 0, tzinfo=pdt)
    assert import_markdown("# Outage\n\n## Summary\n\nDown.\n").document.metadata.time_zone is None


def test_ids_a_follow_up_addresses_are_read_from_a_cell_or_a_checklist_line() -> None:
    markdown = (
        "# Outage\n\n## Action items\n\n| Action | Addresses |\n|---|---|\n"
        "| Add an alert | C1, C2 |\n| Rotate keys | not an id |\n\n"
        "## Follow-up actions\n\n### Short term (1-2 weeks)\n\n"
        "- [ ] Add a canary (owner: Kim; due: 2024-05-01; addresses: C2)\n"
    )
    imported = import_markdown(markdown, "ids.md")
    doc = imported.document
    assert [item.addresses for item in doc.action_items] == [["C1", "C2"], []]
    assert doc.follow_up is not None
    (canary,) = doc.follow_up.short_term
    assert (canary.action, canary.owner, canary.due, canary.addresses, canary.status) == (
        "Add a canary", "Kim", date(2024, 5, 1), ["C2"], None
    )  # fmt: skip
    assert [entry.markdown for entry in doc.unmapped] == ["not an id\n"]
    assert "cannot read 'not an id' as addresses" in str(imported.warnings[0])


def test_a_status_page_log_is_a_timeline_on_its_dated_day() -> None:
    markdown = (
        "# API errors\n\n## Updates\n\n**Date: 2024-09-02**\n\n"
        "- **08:00 UTC**: Investigating - We are looking into elevated errors.\n"
        "- **08:45 UTC**: Resolved - Errors are back to normal.\n"
    )
    doc = import_markdown(markdown, "status.md").document
    assert doc.timeline is not None
    timed = [event for event in doc.timeline.events if isinstance(event.time, datetime)]
    assert [(event.time, event.event) for event in timed] == [
        (datetime(2024, 9, 2, 8, 0, tzinfo=timezone.utc),
         "Investigating - We are looking into elevated errors."),
        (datetime(2024, 9, 2, 8, 45, tzinfo=timezone.utc), "Resolved - Errors are back to normal."),
    ]  # fmt: skip


@given(written_times())
def test_a_written_time_reads_back_as_the_same_instant(case: tuple[datetime, str]) -> None:
    instant, line = case
    stamp = read_stamp(f"{line} Event happened", Clock(day=instant.date()))
    assert stamp is not None
    assert stamp.rest == "Event happened"
    assert stamp.when is not None
    assert datetime.fromisoformat(stamp.when) == instant


def test_front_matter_nested_values_are_kept_as_written_and_unclosed_is_none() -> None:
    found = front_matter("---\ntitle: A\nresources:\n- src: x\n  title: y\n---\n# A\n")
    assert [(fact.key, fact.value) for fact in found.facts] == [("title", "A")]
    assert found.kept == (("resources:\n- src: x\n  title: y", 3),)
    assert found.markdown.split("\n")[6] == "# A"  # lines keep their numbers
    unclosed = "---\ntitle: A\n\nText.\n"
    assert front_matter(unclosed).markdown == unclosed
    assert front_matter(unclosed).facts == ()


@pytest.mark.parametrize("profile", list(ProfileName), ids=lambda profile: profile.value)
def test_a_draft_renders_every_section_and_round_trips(profile: ProfileName) -> None:
    doc = PostMortem(
        profile=profile,
        metadata=Metadata(id="INC-9", title="Draft", status=DocumentStatus.DRAFT),
        summary=Summary(text="Started."),
    )
    rendered = render(doc)
    for spec in PROFILES[profile].sections:
        assert f"## {spec.heading}\n" in rendered
    assert rendered.count(STILL_TO_WRITE) >= len(PROFILES[profile].sections) - 1
    again = import_markdown(rendered, "draft.md")
    assert again.document == doc
    assert render(again.document) == rendered


def test_a_final_document_shows_no_marker() -> None:
    doc = postmortem.load(Path(__file__).parent.parent / "examples" / "postmortem.yaml")
    assert STILL_TO_WRITE not in render(doc)


def test_cli_imports_a_folder_with_progress_and_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "old"
    (source / "2024").mkdir(parents=True)
    (source / "sre.md").write_text(SRE_STYLE, encoding="utf-8")
    (source / "2024" / "questions.md").write_text(QUESTIONS, encoding="utf-8")
    out = tmp_path / "incidents"
    assert main(["import", str(source), "-o", str(out), "--report"]) == 0
    assert postmortem.load(out / "sre.yaml").metadata.title.startswith("Checkout errors")
    assert postmortem.load(out / "2024" / "questions.yaml").profile.value.startswith("security")
    captured = capsys.readouterr()
    assert "[1/2]" in captured.err
    assert "[2/2]" in captured.err
    rows = [line for line in captured.out.splitlines() if line.endswith(("| - |", "% |"))]
    assert len(rows) == 2
    assert "| postmortem | no security incident" in rows[1]
    assert main(["import", str(source), "-o", str(out)]) == 1  # never overwritten
    assert "already exists" in capsys.readouterr().err


def test_cli_import_of_a_folder_needs_an_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path)]) == 2
    assert "name the folder to write with -o OUTDIR" in capsys.readouterr().err


def test_indicators_and_cve_ids_are_security_facts() -> None:
    markdown = QUESTIONS + (
        "\n## Indicators of compromise\n\n"
        "- `203.0.113.7` the host that pulled the key\n"
        "- `evil-mirror.example.net` where the release was copied\n"
        "- `44d88612fea8a8f36de82e1278abb02f` the malicious tarball\n"
        "- a customer saw odd traffic\n"
    )
    imported = import_markdown(markdown, "iocs.md")
    doc = imported.document
    assert [(ioc.type.value, ioc.value, ioc.context) for ioc in doc.iocs] == [
        ("IP Address", "203.0.113.7", "the host that pulled the key"),
        ("Domain", "evil-mirror.example.net", "where the release was copied"),
        ("File Hash", "44d88612fea8a8f36de82e1278abb02f", "the malicious tarball"),
    ]
    assert doc.references is not None
    assert doc.references.cves == ["CVE-2024-11111"]
    assert any("a customer saw odd traffic" in entry.markdown for entry in doc.unmapped)


def test_cli_import_takes_the_zone_of_times_given_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "berlin.md"
    source.write_text("# Outage\n\n## Timeline\n\n- 2024-07-01 10:00 Stopped\n", encoding="utf-8")
    output = tmp_path / "berlin.yaml"
    assert main(["import", str(source), "-o", str(output), "--timezone", "Europe/Berlin"]) == 0
    timeline = postmortem.load(output).timeline
    assert timeline is not None
    assert timeline.events[0].time == datetime(2024, 7, 1, 8, 0, tzinfo=timezone.utc)
    assert main(["import", str(source), "--timezone", "IST"]) == 2
    assert "names several zones" in capsys.readouterr().err


STATUS_PAGE = """\
---
title: Build agents could not start
resolved: true
affected:
  - builds.example.org
---

Agents failed to start after a plugin upgrade.

## Timeline - March 3, 2024

* 09:10 Denver - Plugins upgraded and the controller restarted
* 09:40 Denver - Agents reported failing to start

## Plugins that changed

```
agent-plugin 2.1 -> 3.0
```
"""


def test_a_status_page_incident_with_a_dated_timeline_city_times_and_a_listing() -> None:
    doc = import_markdown(STATUS_PAGE, "status-page.md").document
    assert doc.metadata.incident_status is not None
    assert doc.metadata.incident_status.value == "Resolved"
    assert doc.impact is not None
    assert doc.impact.systems_affected == ["builds.example.org"]
    assert doc.timeline is not None
    mountain = timezone(timedelta(hours=-7))
    assert [(event.time, event.event) for event in doc.timeline.events] == [
        (datetime(2024, 3, 3, 9, 10, tzinfo=mountain),
         "Plugins upgraded and the controller restarted"),
        (datetime(2024, 3, 3, 9, 40, tzinfo=mountain), "Agents reported failing to start"),
    ]  # fmt: skip
    assert doc.technical_details is not None
    assert doc.technical_details.logs == "agent-plugin 2.1 -> 3.0\n"
    assert doc.unmapped == []


def test_a_timeline_table_with_timestamp_and_note_columns() -> None:
    markdown = (
        "# Cache flush\n\n## Timeline\n\n| Timestamp | Note | Who |\n|---|---|---|\n"
        "| 2024-04-02 10:05 | Cache flushed by mistake | ops |\n"
    )
    doc = import_markdown(markdown, "table.md").document
    assert doc.timeline is not None
    (event,) = doc.timeline.events
    assert (event.time, event.event, event.actor) == (
        datetime(2024, 4, 2, 10, 5, tzinfo=timezone.utc),
        "Cache flushed by mistake",
        "ops",
    )


def test_real_post_mortems_import_with_most_words_typed_and_nearly_all_kept(
    corpus_dir: Path,
) -> None:
    """Each post-mortem of the corpus imports and renders, whatever it holds; a floor under
    what ``bench/run.py --corpus`` measures (88.6% typed, 99.7% kept)."""
    paths = sorted(corpus_dir.glob("*.md"))
    assert paths
    total = Coverage(0, 0, 0)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        imported = import_markdown(text, path.name)
        total += coverage(text, imported.document, imported.sections, render(imported.document))
    assert total.typed_share > 0.85
    assert total.kept_share > 0.99
