"""The shipped examples: one per profile, each valid, complete for its profile, and schema-valid."""

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import postmortem
from postmortem import converter, yaml_io
from postmortem.model import ProfileName
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
