"""Every heading, table column, row label, key line and checklist item of the five seed
templates has a typed home in the model that fits it, and each template's sections are its
profile's.

The elements are read from the templates themselves (``tests/templates.py``); where each
one lives is decided by meaning (``tests/template_homes.py``). A template element added or
renamed that no word of the vocabulary places, or placed in a home of the wrong kind, fails
here, listed with its line. The reader and the checker are tested on their own below, so
that a clone without the seeds still tests them.
"""

import re
from pathlib import Path

import pytest

from postmortem.profiles import PROFILES
from tests.template_homes import PROFILE_OF_TEMPLATE, Kind, Placement, fits, place, problems, walk
from tests.templates import Element, Part, choices, extract, normalize

TEMPLATES = sorted(PROFILE_OF_TEMPLATE)


def _placements(seeds_dir: Path, template: str) -> list[Placement]:
    return place(extract((seeds_dir / template).read_text(encoding="utf-8")))


def test_the_seeds_are_where_the_tests_expect_them(seeds_dir: Path) -> None:
    assert sorted(path.name for path in seeds_dir.glob("*.txt")) == TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_element_has_a_home_that_fits(template: str, seeds_dir: Path) -> None:
    found = problems(_placements(seeds_dir, template))
    assert found == [], f"{template}:\n" + "\n".join(found)


_MARKED_UP = re.compile(r"^#{1,6} |^\s*(?:[-*]|\d+\.)\s+\[[ xX]\] |^\s*(?:[-*]|\d+\.)?\s*\*\*")
"""A heading, a checklist item, a bold label."""


def _marked_up_lines(text: str) -> set[int]:
    fenced, marked = False, set[int]()
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith("```"):
            fenced = not fenced
        elif not fenced and _MARKED_UP.match(line):
            marked.add(number)
    return marked


def _tables(text: str) -> list[list[int]]:
    """The line numbers of each table: runs of lines that start with ``|``."""
    tables: list[list[int]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith("|"):
            continue
        if tables and tables[-1][-1] == number - 1:
            tables[-1].append(number)
        else:
            tables.append([number])
    return tables


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_reader_misses_no_marked_up_element(template: str, seeds_dir: Path) -> None:
    """Each heading, checklist item and bold label of the template, and each of its tables, is
    read as an element: none is dropped without a home ever being asked of it."""
    text = (seeds_dir / template).read_text(encoding="utf-8")
    read = {element.line for element in extract(text)}
    assert _marked_up_lines(text) - read == set()
    assert [table[0] for table in _tables(text) if not read.intersection(table)] == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_template_is_its_profile(template: str, seeds_dir: Path) -> None:
    """The template's sections are its profile's sections (less those the profile adds);
    the metadata it asks for is the
    profile's; its title, where it has one, is the profile's title; its severities are on
    the profile's scale."""
    profile = PROFILES[PROFILE_OF_TEMPLATE[template]]
    placements = _placements(seeds_dir, template)
    paths = [path for placement in placements for path in placement.paths or ()]
    sections = {path.split(".")[0].removesuffix("[]") for path in paths}
    added = {section.field for section in profile.sections if section.added}
    assert sections - {"metadata"} == set(profile.section_fields) - added
    metadata = {path.split(".")[1] for path in paths if path.startswith("metadata.")}
    assert metadata <= set(profile.metadata_fields)
    for placement in placements:
        element = placement.element
        if element.part is Part.HEADING and element.line == 1:
            title = normalize(element.text.split(":")[0]).removesuffix(" template")
            assert title == normalize(profile.title)
        if "metadata.severity" in (placement.paths or ()):
            words = {word for value in element.values for word in choices(value)}
            assert words <= {level.value for level in profile.severities}


SAMPLE = """\
# Incident Report: [Title]

**Incident ID**: INC-1\x20\x20
**Status**: Detected | Closed\\
<a href="x">Created Date</a>: 4/20/24<br>

## Timeline

| Time (UTC) | Event |
|---|---|
| HH:MM | Alert fired |
| Incident began | |

```
# a comment in a log, not a heading
```

### Key Facts

| Attribute | Value |
|---|---|
| **Detection Date** | [When discovered] |

**Logging Gaps:**
- [ ] Audit log enabled
- Users affected: 3
- No change needed
"""


def test_the_reader_finds_each_kind_of_element() -> None:
    title = ("Incident Report: [Title]",)
    timeline = (*title, "Timeline")
    facts = (*timeline, "Key Facts")
    gaps = (*facts, "Logging Gaps")
    assert extract(SAMPLE) == [
        Element(Part.HEADING, "Incident Report: [Title]", 1, ()),
        Element(Part.KEY, "Incident ID", 3, title, values=("INC-1",)),
        Element(Part.KEY, "Status", 4, title, values=("Detected | Closed",)),
        Element(Part.KEY, "Created Date", 5, title, values=(" 4/20/24",)),
        Element(Part.HEADING, "Timeline", 7, title),
        Element(Part.ROW, "Incident began", 12, timeline, column="Time (UTC)"),
        Element(Part.COLUMN, "Time (UTC)", 9, timeline, values=("HH:MM",)),
        Element(Part.COLUMN, "Event", 9, timeline, values=("Alert fired",)),
        Element(Part.HEADING, "Key Facts", 18, timeline),
        Element(Part.KEY, "Detection Date", 22, facts, values=("[When discovered]",)),
        Element(Part.HEADING, "Logging Gaps", 24, facts),
        Element(Part.CHECKLIST, "Audit log enabled", 25, gaps),
        Element(Part.KEY, "Users affected", 26, gaps, values=(" 3",)),
        Element(Part.OPTION, "No change needed", 27, gaps),
    ]


def test_the_reader_takes_bare_lines_for_headings_where_nothing_is_marked_up() -> None:
    text = "Post-Mortem\nImpact\nWrite what happened.\n[A placeholder]\n- Users affected:\n"
    assert [(element.part, element.text, element.context) for element in extract(text)] == [
        (Part.HEADING, "Post-Mortem", ()),
        (Part.HEADING, "Impact", ("Post-Mortem",)),
        (Part.KEY, "Users affected", ("Post-Mortem", "Impact")),
    ]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Open/In Progress/Complete", ("Open", "In Progress", "Complete")),
        ("P1 / P2 / P3", ("P1", "P2", "P3")),
        ("Critical | High | Medium | Low", ("Critical", "High", "Medium", "Low")),
        ("[Contained/Remediated/Ongoing]", ("Contained", "Remediated", "Ongoing")),
        ('YYYY-MM-DD HH:MM UTC (or "Ongoing")', ("Ongoing",)),
        ("Sev 2", ("Sev 2",)),
    ],
)
def test_choices_are_the_words_a_template_prints_as_choices(
    value: str, words: tuple[str, ...]
) -> None:
    assert choices(value) == words


def _problems_of(markdown: str) -> list[str]:
    return problems(place(extract(markdown)))


def test_an_element_without_a_home_is_listed() -> None:
    assert _problems_of("# Report\n\n## Weather\n\n| Wind | Rain |\n|---|---|\n") == [
        "line 3: heading 'Weather' under Report: no home in the model",
        "line 5: column 'Wind' under Report > Weather: no home in the model",
        "line 5: column 'Rain' under Report > Weather: no home in the model",
    ]


def test_a_date_in_a_text_field_is_a_misfit() -> None:
    (problem,) = _problems_of("# Report\n\n**Contact**: YYYY-MM-DD\n")
    assert "its words say a date or time, but no home is: ['metadata.contact']" in problem


def test_an_enum_that_refuses_a_printed_word_is_a_misfit() -> None:
    table = "# Report\n\n## Action Items\n\n| Action | Status |\n|---|---|\n| Fix | Done-ish |\n"
    (problem,) = _problems_of(table)
    assert "action_items[].status: ActionStatus refuses ['Done-ish']" in problem


def test_a_group_heading_holds_headings_only() -> None:
    (problem,) = _problems_of("# Report\n\n## Appendices\n\n**Contact**: someone\n")
    assert "groups headings only, yet holds key 'Contact'" in problem


@pytest.mark.parametrize(
    ("kind", "path", "expected"),
    [
        (Kind.PERCENT, "impact.users_affected_percent", True),
        (Kind.PERCENT, "cost.hourly_rate", False),
        (Kind.NUMBER, "impact.users_affected", True),
        (Kind.NUMBER, "impact.funds_at_risk", True),
        (Kind.NUMBER, "impact.funds_at_risk.amount", False),
        (Kind.DATE, "metadata.created", True),
        (Kind.DATE, "metadata.next_review", True),
        (Kind.DATE, "metadata.version", False),
        (Kind.DURATION, "impact.duration", True),
        (Kind.DURATION, "detection.time_to_detect", True),
        (Kind.CHOICE, "action_items[].status", True),
        (Kind.CHOICE, "action_items[].owner", False),
        (Kind.LINK, "metadata.tickets", True),
        (Kind.CHECKBOX, "response.checklist", True),
        (Kind.CHECKBOX, "compliance.gdpr_notification_required", True),
        (Kind.CHECKBOX, "lessons.went_well", False),
        (Kind.FOLLOW_UP, "prevention_plan.immediate", True),
        (Kind.FOLLOW_UP, "response.immediate", True),
        (Kind.FOLLOW_UP, "response.checklist", False),
    ],
)
def test_fits_tells_the_kinds_apart(kind: Kind, path: str, expected: bool) -> None:
    """A percentage's validator refuses 420, a count's a negative number (a Money amount is
    not checked); a follow-up list is of FollowUp or a subclass; a checklist is not one."""
    assert fits(kind, walk(path)) is expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("impact.colour", "no field 'colour' in Impact"),
        ("action_items.owner", "write action_items[] exactly where action_items is a list"),
        ("impact[].duration", "write impact[] exactly where impact is a list"),
    ],
)
def test_walk_refuses_a_path_the_model_lacks(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        walk(path)
