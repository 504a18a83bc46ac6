"""The converter is strict: wrong types are errors with field paths, never coerced."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given

from postmortem import converter
from postmortem.model import (
    ActionItem,
    ChecklistItem,
    Impact,
    Link,
    Metadata,
    Severity,
    TimelineEvent,
)
from tests.strategies import durations


def problems(data: object, cls: type) -> list[tuple[str, str]]:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the cattrs group is what we inspect
        converter.structure(data, cls)
    return [
        (converter.format_path(path), message)
        for path, message in converter.structure_problems(caught.value)
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": 42}, ("id", "expected a string, found a number 42")),
        ({"id": None}, ("id", "expected a string, found null")),
        ({"id": True}, ("id", "expected a string, found a boolean")),
        ({"id": "x", "severity": "Sev 9"}, ("severity", "'Sev 9' is not one of: Sev 1, Sev 2")),
        (
            {"id": "x", "chat_channels": "#ops"},
            ("chat_channels", "expected a list, found a string"),
        ),
        ({"id": "x", "created": "yesterday"}, ("created", "not a date or time: 'yesterday'")),
        (
            {"id": "x", "report_date": "2024-01-01 10:00"},
            ("report_date", "expected a date, found a date and time"),
        ),
        ({"id": "x", "colour": "red"}, ("colour", "unknown key")),
        ({}, ("id", "required key is missing")),
    ],
)
def test_wrong_values_are_errors_with_their_path(
    data: dict[str, object], expected: tuple[str, str]
) -> None:
    found = problems(data, Metadata)
    assert len(found) == 1
    path, message = found[0]
    assert path == expected[0]
    assert message.startswith(expected[1]), message


def test_no_silent_coercion_of_yaml_1_1_booleans_or_numbers() -> None:
    assert problems({"users_affected": "12"}, Impact) == [
        ("users_affected", "expected a whole number, found a string '12'")
    ]
    assert problems({"users_affected": 1.5}, Impact) == [
        ("users_affected", "expected a whole number, found a number 1.5")
    ]
    assert problems({"item": "x", "done": "no"}, ChecklistItem) == [
        ("done", "expected true or false, found a string 'no'")
    ]


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = problems(
        [{"action": 1}, {"action": "ok", "due": "soon", "status": "Done"}, {"owner": "x"}],
        list[ActionItem],
    )
    assert [path for path, _ in found] == ["[0].action", "[1].due", "[1].status", "[2].action"]


def test_a_time_without_offset_is_read_in_the_declared_zone() -> None:
    naive = {"time": datetime(2024, 5, 1, 12, 0)}
    found = problems(naive, TimelineEvent)
    assert found == [("time", f"2024-05-01 12:00:00 {converter.NO_TIME_ZONE}")]
    document = {
        "profile": "postmortem",
        "metadata": {"id": "x", "time_zone": "Europe/Berlin"},
        "timeline": {"events": [naive]},
    }
    structured = converter.structure(document)
    assert structured.timeline is not None
    event = structured.timeline.events[0]
    assert event.time == datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)  # summer time
    assert event.time is not None
    assert event.time.utcoffset() == timedelta(hours=2)


def test_offsets_are_kept() -> None:
    plus_two = timezone(timedelta(hours=2))
    event = converter.structure({"time": "2024-05-01T12:00:00+02:00"}, TimelineEvent)
    assert event.time is not None
    assert event.time.utcoffset() == timedelta(hours=2)
    assert event.time == datetime(2024, 5, 1, 12, tzinfo=plus_two)
    assert converter.structure({"time": "2024-05-01"}, TimelineEvent).time == date(2024, 5, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h 30m", timedelta(hours=2, minutes=30)),
        ("1d", timedelta(days=1)),
        ("1w 2d", timedelta(days=9)),
        ("45s", timedelta(seconds=45)),
        ("PT2H30M", timedelta(hours=2, minutes=30)),
        ("P1DT1S", timedelta(days=1, seconds=1)),
        ("1.5h", timedelta(minutes=90)),
        ("2 hours", timedelta(hours=2)),
        ("3 days", timedelta(days=3)),
        ("2 weeks 1 day", timedelta(days=15)),
        ("7 years", timedelta(days=7 * 365)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert converter.parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "soon", "P", "5x", "2h and 3m", "3 months", "2 hoursx", "a few days"]
)
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        converter.parse_duration(text)


@given(durations)
def test_duration_format_reads_back(value: timedelta) -> None:
    assert converter.parse_duration(converter.format_duration(value)) == value


def test_unstructure_leaves_out_empty_optionals_and_writes_enum_values() -> None:
    item = ActionItem(action="Rotate keys", owner="sec")
    assert converter.unstructure(item) == {"action": "Rotate keys", "owner": "sec"}
    metadata = Metadata(id="INC-1", severity=Severity.SEV2)
    assert converter.unstructure(metadata) == {
        "id": "INC-1",
        "title": "",
        "status": "Draft",
        "severity": "Sev 2",
    }


JIRA = "https://jira.example.com/browse/{key}"


def test_a_url_alone_is_a_link() -> None:
    metadata = converter.structure(
        {"id": "x", "incident_log": "https://wiki.example.com/x", "tickets": ["../log.md"]},
        Metadata,
    )
    assert metadata.incident_log == Link(url="https://wiki.example.com/x")
    assert metadata.tickets == [Link(url="../log.md")]


def test_a_url_alone_is_validated_like_a_mapping() -> None:
    assert problems({"id": "x", "incident_log": "see the wiki"}, Metadata) == [
        (
            "incident_log",
            "not a URL: 'see the wiki' (want https://..., mailto:..., or a relative path)",
        )
    ]
    assert problems({"id": "x", "tickets": ["https://"]}, Metadata) == [
        ("tickets[0]", "not a URL: 'https://' has no host")
    ]
    assert problems(
        {"id": "x", "tickets": ["https://jira.example.com:70000/PLAT-1"]}, Metadata
    ) == [
        (
            "tickets[0]",
            "not a URL: 'https://jira.example.com:70000/PLAT-1' has a port that is no number"
            " from 0 to 65535",
        )
    ]
    assert problems({"id": "x", "incident_log": 5}, Metadata) == [
        (
            "incident_log",
            "expected a URL, a ticket key or a mapping with url and label, found a number 5",
        )
    ]


def test_a_ticket_key_links_through_the_pattern() -> None:
    item = converter.structure(
        {"action": "Fix", "ticket": "PLAT-2231"}, ActionItem, ticket_url=JIRA
    )
    assert item.ticket == Link(url="https://jira.example.com/browse/PLAT-2231", label="PLAT-2231")
    mixed = converter.structure(
        {"id": "x", "tickets": ["OPS_2-7", {"url": "https://t.example.com/1"}]},
        Metadata,
        ticket_url=JIRA,
    )
    assert [link.url for link in mixed.tickets] == [
        "https://jira.example.com/browse/OPS_2-7",
        "https://t.example.com/1",
    ]


def test_a_ticket_key_without_a_pattern_says_to_set_one() -> None:
    ((path, message),) = problems({"action": "Fix", "ticket": "PLAT-2231"}, ActionItem)
    assert path == "ticket"
    assert message.startswith("'PLAT-2231' is a ticket key, not a link: set ticket_url in")
    assert ".postmortem.yaml" in message


def test_the_pattern_of_one_call_does_not_leak_into_the_next() -> None:
    converter.structure({"action": "Fix", "ticket": "PLAT-1"}, ActionItem, ticket_url=JIRA)
    assert [path for path, _ in problems({"action": "Fix", "ticket": "PLAT-1"}, ActionItem)] == [
        "ticket"
    ]


def test_ticket_link_percent_encodes_the_key_and_fills_only_the_key() -> None:
    link = converter.ticket_link("A B/ü?#&", "https://t.example.com/{key}?view={mode}")
    assert link == Link(
        url="https://t.example.com/A%20B%2F%C3%BC%3F%23%26?view={mode}", label="A B/ü?#&"
    )


def test_a_late_problem_structures_each_value_at_most_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The quick attempt ends at the first problem, and one pass then collects them all: no
    level of the document structures its values again for each level above it."""
    from postmortem.model import Hop, PostMortem

    made = 0
    make = Hop.__init__

    def counted(self: Hop, *args: object, **kwargs: object) -> None:
        nonlocal made
        made += 1
        make(self, *args, **kwargs)

    monkeypatch.setattr(Hop, "__init__", counted)
    hops = [{"description": f"hop {number}"} for number in range(200)]
    hops[-1] = {"description": ["not", "text"]}
    data = {
        "schema_version": 2,
        "profile": "postmortem",
        "metadata": {"id": "PM-1", "title": "t"},
        "root_cause": {"attack": {"lateral_movement": {"movement_path": hops}}},
    }
    with pytest.raises(Exception) as raised:  # noqa: PT011
        converter.structure(data, PostMortem)
    paths = [path for path, _ in converter.structure_problems(raised.value)]
    assert paths == [
        ("root_cause", "attack", "lateral_movement", "movement_path", 199, "description")
    ]
    assert made <= 2 * len(hops)
