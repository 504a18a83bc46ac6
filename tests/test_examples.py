"""The shipped examples: one per profile, each valid, complete for its profile, and schema-valid."""

import json
from pathlib import Path
from typing import Any, get_args, get_origin

import attrs
import jsonschema
import pytest

import postmortem
from postmortem import converter, yaml_io
from postmortem._typing import strip_optional
from postmortem.model import (
    Classification,
    FollowUp,
    HorizonChecklist,
    Impact,
    Metadata,
    ProfileName,
)
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_there_is_one_example_per_profile() -> None:
    assert sorted(path.stem for path in EXAMPLE_FILES) == sorted(name.value for name in ProfileName)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_example_fills_every_required_section_of_its_profile(path: Path) -> None:
    doc = postmortem.load(path)
    assert doc.profile.value == path.stem
    for field in postmortem.get_profile(doc.profile).required_sections:
        assert getattr(doc, field), f"{path.name}: required section {field} is empty"


def _jsonable(value: Any) -> Any:
    """The data as a JSON document would carry it: timestamps as strings."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return value


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_example_matches_the_json_schema(path: Path) -> None:
    schema = postmortem.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = _jsonable(yaml_io.parse(path.read_text(encoding="utf-8")))
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_the_schema_rejects_what_the_model_rejects() -> None:
    schema = postmortem.json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    good = converter.unstructure(postmortem.load(EXAMPLE_FILES[0]))
    for bad in (
        {**good, "colour": "red"},
        {**good, "metadata": {**good["metadata"], "severity": "Sev 9"}},
        {**good, "metadata": {**good["metadata"], "id": 7}},
        {key: value for key, value in good.items() if key != "metadata"},
    ):
        assert list(validator.iter_errors(_jsonable(bad))), json.dumps(_jsonable(bad))[:200]


def test_the_schema_accepts_links_written_short() -> None:
    validator = jsonschema.Draft202012Validator(postmortem.json_schema())
    metadata = {
        "id": "INC-1",
        "incident_log": "https://wiki.example.com/INC-1",
        "tickets": ["PLAT-2231", {"url": "https://tickets.example.com/9", "label": "9"}],
    }
    short = {"profile": "postmortem", "metadata": metadata}
    short["action_items"] = [{"action": "Alert on expiry", "ticket": "PLAT-2232"}]
    assert list(validator.iter_errors(short)) == []
    for bad_link in (5, "", {"label": "no url"}):
        bad = {**short, "metadata": {**metadata, "incident_log": bad_link}}
        assert list(validator.iter_errors(bad)), bad_link


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_an_api_edit_of_an_example_changes_only_the_edited_line(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / path.name
    original = path.read_text(encoding="utf-8")
    copy.write_text(original, encoding="utf-8")
    with postmortem.edit(copy) as doc:
        doc.metadata.id = doc.metadata.id + "-B"
    before, after = original.splitlines(), copy.read_text(encoding="utf-8").splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == 1
    assert changed[0][1].endswith("-B")


_VALUES = ("Link", "Money")
"""Classes the walk does not enter: a link or an amount is one value, filled or not."""


def _is_filled(value: object) -> bool:
    """A value an example has written: not None, an empty list or text, nor a False flag."""
    return value is not None and value is not False and value != [] and value != ""


def _walks_into(type_: Any) -> type | None:
    """The attrs class whose fields the walk enters for a field of ``type_`` (the declared
    item type of a list), or None for a plain value."""
    type_ = strip_optional(type_)
    if get_origin(type_) is list:
        (type_,) = get_args(type_)
        type_ = strip_optional(type_)
    if isinstance(type_, type) and attrs.has(type_) and type_.__name__ not in _VALUES:
        return type_
    return None


def _items(value: object) -> list[Any]:
    """The items a value holds: a list's items, or the value itself where it is set."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _field_paths(owners: list[Any], cls: type, prefix: str, filled: dict[str, bool]) -> None:
    """Record, for every field of ``cls`` reachable below ``prefix``, whether any of the
    ``owners`` (the items holding it) fills it in."""
    for field in attrs.fields(cls):
        path = f"{prefix}.{field.name}"
        values = [getattr(owner, field.name) for owner in owners]
        filled[path] = filled.get(path, False) or any(_is_filled(value) for value in values)
        inner = _walks_into(field.type)
        if inner is not None:
            _field_paths([item for value in values for item in _items(value)], inner, path, filled)


def _unfilled_paths(doc: postmortem.PostMortem) -> list[str]:
    """The field paths of the document's profile (its sections and metadata fields) that no
    item of the document fills in."""
    profile = postmortem.get_profile(doc.profile)
    filled: dict[str, bool] = {}
    for owner, cls, names, prefix in (
        (doc, postmortem.PostMortem, profile.section_fields, ""),
        (doc.metadata, Metadata, profile.metadata_fields, "metadata."),
    ):
        fields = attrs.fields_dict(cls)
        for name in names:
            value = getattr(owner, name)
            filled[prefix + name] = _is_filled(value)
            inner = _walks_into(fields[name].type)
            if inner is not None:
                _field_paths(_items(value), inner, prefix + name, filled)
    return [path for path, is_filled in filled.items() if not is_filled]


_CANNOT_BE_FILLED_TOGETHER = {
    "retrospective:action_items.addresses": "the profile has no root cause section, so no "
    "cause id exists for an action item to address (PM407)",
    "postmortem:runbooks.no_changes_needed": "the example names runbooks to create and to "
    "update, which 'no changes needed' would contradict",
    **{
        f"{profile}:root_cause.attack.lateral_movement.movement_path.system": "the profile "
        "has no affected systems for a hop to name by id (PM412)"
        for profile in ("postmortem", "incident-response-report", "security-incident-report")
    },
}
"""Field paths an example leaves empty, each with why filling it would contradict another."""


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_example_fills_every_field_of_its_profile(path: Path) -> None:
    unfilled = [
        field
        for field in _unfilled_paths(postmortem.load(path))
        if f"{path.stem}:{field}" not in _CANNOT_BE_FILLED_TOGETHER
    ]
    assert unfilled == [], f"{path.name} leaves empty: " + ", ".join(unfilled)


def test_the_field_walk_counts_a_field_filled_in_any_one_item() -> None:
    doc = postmortem.load(EXAMPLES / "retrospective.yaml")
    for item in doc.action_items:
        item.classification = None
    assert "action_items.classification" in _unfilled_paths(doc)
    doc.action_items[-1].classification = Classification.INTERNAL
    assert "action_items.classification" not in _unfilled_paths(doc)


def test_the_field_walk_enters_nested_sections_but_not_links() -> None:
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    assert doc.root_cause is not None
    assert doc.root_cause.attack is not None
    doc.root_cause.attack.detection_gaps = None
    doc.response = None
    unfilled = _unfilled_paths(doc)
    assert "root_cause.attack.detection_gaps.opportunities.why_missed" in unfilled
    assert "response.immediate.api_call" in unfilled
    ticket, amount = attrs.fields(FollowUp).ticket, attrs.fields(Impact).funds_at_risk
    assert (_walks_into(ticket.type), _walks_into(amount.type)) == (None, None)
    assert _walks_into(attrs.fields(HorizonChecklist).long_term.type) is FollowUp
