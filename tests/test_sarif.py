"""``postmortem check --format sarif``: a SARIF 2.1.0 log that GitHub code scanning takes.

The OASIS schema is not shipped here; :data:`_SARIF_SUBSET` states, as a JSON Schema, what
SARIF 2.1.0 requires of every object the log holds (required properties, value types,
enumerations, minimums, and no property the specification does not define) and the upload
rules GitHub adds (one run, at most 25,000 results, 20 tags a rule, ``$schema``).
"""

import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import jsonschema
import pytest

from postmortem.checks.registry import RULES
from postmortem.cli import main
from postmortem.errors import Finding, Level
from postmortem.sarif import MAX_RESULTS, PROJECT_URL, heading_anchor, sarif_log
from tests.conftest import ROOT
from tests.gitrepo import init_repo

_MESSAGE = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}
_MULTIFORMAT = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
    "additionalProperties": False,
}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_ARTIFACT_LOCATION = {
    "type": "object",
    "required": ["uri"],
    "properties": {"uri": {"type": "string", "minLength": 1}, "uriBaseId": {"type": "string"}},
    "additionalProperties": False,
}
_LOCATIONS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1000,
    "items": {
        "type": "object",
        "required": ["physicalLocation"],
        "additionalProperties": False,
        "properties": {
            "physicalLocation": {
                "type": "object",
                "required": ["artifactLocation", "region"],
                "additionalProperties": False,
                "properties": {
                    "artifactLocation": _ARTIFACT_LOCATION,
                    "region": {
                        "type": "object",
                        "required": ["startLine"],
                        "additionalProperties": False,
                        "properties": {
                            "startLine": {"type": "integer", "minimum": 1},
                            "startColumn": {"type": "integer", "minimum": 1},
                        },
                    },
                },
            }
        },
    },
}


_SARIF_SUBSET: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "pattern": "^https://"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "maxItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "run": {
            "type": "object",
            "required": ["tool", "results"],
            "additionalProperties": False,
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "additionalProperties": False,
                    "properties": {"driver": {"$ref": "#/$defs/driver"}},
                },
                "invocations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["executionSuccessful"],
                        "additionalProperties": False,
                        "properties": {
                            "executionSuccessful": {"type": "boolean"},
                            "toolExecutionNotifications": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["message"],
                                    "additionalProperties": False,
                                    "properties": {"level": _LEVEL, "message": _MESSAGE},
                                },
                            },
                            "toolConfigurationNotifications": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["message"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "level": _LEVEL,
                                        "message": _MESSAGE,
                                        "locations": _LOCATIONS,
                                    },
                                },
                            },
                        },
                    },
                },
                "originalUriBaseIds": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["uri"],
                        "additionalProperties": False,
                        "properties": {"uri": {"type": "string", "pattern": "^file:///.*/$"}},
                    },
                },
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {
                    "type": "array",
                    "maxItems": MAX_RESULTS,
                    "items": {"$ref": "#/$defs/result"},
                },
            },
        },
        "driver": {
            "type": "object",
            "required": ["name", "version", "informationUri", "rules"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string", "minLength": 1},
                "semanticVersion": {"type": "string", "minLength": 1},
                "informationUri": {"type": "string", "pattern": "^https://"},
                "rules": {
                    "type": "array",
                    "maxItems": 25_000,
                    "items": {"$ref": "#/$defs/rule"},
                },
            },
        },
        "rule": {
            "type": "object",
            "required": [
                "id",
                "name",
                "shortDescription",
                "fullDescription",
                "help",
                "helpUri",
                "defaultConfiguration",
            ],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"},
                "shortDescription": _MULTIFORMAT,
                "fullDescription": _MULTIFORMAT,
                "help": {**_MULTIFORMAT, "required": ["text", "markdown"]},
                "helpUri": {"type": "string", "pattern": "^https://"},
                "defaultConfiguration": {
                    "type": "object",
                    "required": ["level"],
                    "additionalProperties": False,
                    "properties": {"level": _LEVEL},
                },
                "properties": {
                    "type": "object",
                    "properties": {
                        "tags": {
                            "type": "array",
                            "maxItems": 20,
                            "uniqueItems": True,
                            "items": {"type": "string"},
                        }
                    },
                },
            },
        },
        "result": {
            "type": "object",
            "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
            "additionalProperties": False,
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": 0},
                "level": _LEVEL,
                "message": _MESSAGE,
                "locations": _LOCATIONS,
                "partialFingerprints": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {"type": "string"},
                },
            },
        },
    },
}

_FAILING = """\
schema_version: 2
profile: postmortem
metadata:
  id: INC-1
  title: Checkout failed
  status: Final
action_items:
  - id: F1
    action: Add an alert on consumer lag
    due: 2024-05-01
"""


def _valid(log: dict[str, Any]) -> None:
    jsonschema.Draft7Validator.check_schema(_SARIF_SUBSET)
    jsonschema.Draft7Validator(_SARIF_SUBSET).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        for location in result["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert _is_uri_reference(uri), uri


def _is_uri_reference(uri: str) -> bool:
    """RFC 3986: only unreserved, reserved and ``%HH`` characters, and no scheme unless it is
    one."""
    allowed = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2}"
    return re.fullmatch(f"(?:{allowed})*", uri) is not None


def _check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["check", *args])
    return status, capsys.readouterr().out


def _sarif(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    status, out = _check(["--format", "sarif", *args], capsys)
    assert out.isascii()
    log = json.loads(out)
    _valid(log)
    return status, log


def test_a_failing_document_gives_results_where_the_text_format_puts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    init_repo(tmp_path)
    document = tmp_path / "incidents" / "INC-1.yaml"
    document.parent.mkdir()
    document.write_text(_FAILING, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "incidents")  # URIs are from the top of the work tree
    status, log = _sarif(["INC-1.yaml", "--today", "2024-06-01"], capsys)
    assert status == 1
    json_status, out = _check(["--format", "json", "INC-1.yaml", "--today", "2024-06-01"], capsys)
    expected = json.loads(out)
    assert json_status == status
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    results = run["results"]
    assert len(results) == len(expected) > 0
    for result, finding in zip(results, expected, strict=True):
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {
            "uri": "incidents/INC-1.yaml",
            "uriBaseId": "%SRCROOT%",
        }
        assert physical["region"] == {
            "startLine": max(finding["line"], 1),
            "startColumn": max(finding["column"], 1),
        }
        assert result["ruleId"] == finding["rule"]
        assert result["level"] == finding["level"]
        where = f"{finding['path']}: " if finding["path"] else ""
        assert result["message"]["text"] == where + finding["message"]
    overdue = next(result for result in results if result["ruleId"] == "PM206")
    assert overdue["locations"][0]["physicalLocation"]["region"]["startLine"] == 10  # due:


def test_warnings_only_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".postmortem.yaml").write_text(
        "levels: {PM201: warning, PM203: warning, PM205: warning, PM206: warning, PM301: warning,"
        " PM405: warning}\n",
        encoding="utf-8",
    )
    (tmp_path / "INC-1.yaml").write_text(_FAILING, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # no git repository: URIs are from this folder
    status, log = _sarif(["INC-1.yaml", "--today", "2024-06-01"], capsys)
    results = log["runs"][0]["results"]
    assert {result["level"] for result in results} == {"warning"}
    assert status == 0
    assert {result["ruleId"] for result in results} >= {"PM201", "PM203", "PM206"}


def test_a_clean_run_is_a_log_with_no_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    example = str(ROOT / "examples" / "postmortem.yaml")
    status, log = _sarif([example, "--today", "2024-03-01"], capsys)
    assert status == 0
    assert log["runs"][0]["results"] == []


def test_every_rule_is_described_with_its_documentation() -> None:
    log = sarif_log([], ".")
    _valid(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "postmortem"
    assert driver["version"] == __import__("postmortem").__version__
    assert [rule["id"] for rule in driver["rules"]] == list(RULES)
    headings = {
        heading_anchor(line.removeprefix("## "))
        for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }
    for descriptor, rule in zip(driver["rules"], RULES.values(), strict=True):
        assert descriptor["defaultConfiguration"]["level"] == rule.level.value
        assert rule.fix in descriptor["help"]["text"]
        assert rule.fix in descriptor["help"]["markdown"]
        assert rule.example in descriptor["fullDescription"]["text"]
        assert descriptor["shortDescription"]["text"].lower() == rule.summary.lower()
        anchor = descriptor["helpUri"].split("#")[1]
        assert anchor in headings, descriptor["helpUri"]
    assert len({rule["name"] for rule in driver["rules"]}) == len(RULES)


def test_the_information_uri_is_the_projects_repository() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'\nRepository = "{PROJECT_URL}"\n' in pyproject


def test_a_finding_without_a_place_is_at_line_1_column_1() -> None:
    log = sarif_log([Finding("x.yaml", 0, 0, "PM101", "", "cannot be read")], ".")
    _valid(log)
    [result] = log["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1}


def _fingerprint(log: dict[str, Any], index: int = 0) -> str:
    fingerprints: dict[str, str] = log["runs"][0]["results"][index]["partialFingerprints"]
    return fingerprints["postmortemFinding/v1"]


def test_fingerprints_follow_rule_file_and_field_not_the_line() -> None:
    def log(*findings: Finding) -> dict[str, Any]:
        return sarif_log(findings, ".")

    owner = Finding("a.yaml", 9, 5, "PM203", "action_items[0].owner", "no owner")
    moved = Finding("a.yaml", 40, 7, "PM203", "action_items[0].owner", "no owner, still")
    assert _fingerprint(log(owner)) == _fingerprint(log(moved))
    other_field = Finding("a.yaml", 9, 5, "PM203", "action_items[1].owner", "no owner")
    other_file = Finding("b.yaml", 9, 5, "PM203", "action_items[0].owner", "no owner")
    other_rule = Finding("a.yaml", 9, 5, "PM202", "action_items[0].owner", "no owner")
    prints = {
        _fingerprint(log(finding)) for finding in (owner, other_field, other_file, other_rule)
    }
    assert len(prints) == 4
    # Two findings of one rule at one field (two secrets in a comment) stay two alerts.
    first = Finding("a.yaml", 3, 1, "PM501", "", "a key")
    second = Finding("a.yaml", 7, 1, "PM501", "", "a key")
    both = log(first, second)
    assert _fingerprint(both, 0) != _fingerprint(both, 1)
    assert _fingerprint(both, 0) == _fingerprint(log(first))


def test_results_beyond_githubs_limit_are_left_out_errors_first() -> None:
    warnings = [
        Finding("a.yaml", line, 1, "PM409", "", "human error", Level.WARNING)
        for line in range(1, MAX_RESULTS + 2)
    ]
    error = Finding("a.yaml", 1, 1, "PM203", "action_items[0].owner", "no owner")
    log = sarif_log([*warnings, error], ".")
    _valid(log)
    run = log["runs"][0]
    assert len(run["results"]) == MAX_RESULTS
    assert run["results"][0]["ruleId"] == "PM203"
    [invocation] = run["invocations"]
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["message"]["text"].startswith("2 findings left out")


_HOSTILE_NAMES = [
    "a b.yaml",
    "#1.yaml",
    "100%.yaml",
    "%41.yaml",
    "?q=1.yaml",
    "C:x.yaml",
    "é✓ 事故.yaml",
    "..yaml",
    "..x.yaml",
    "x..yaml",
    "-rf.yaml",
    "line\nbreak.yaml",
]


def _uri_path_bytes(log: dict[str, Any], root: Path) -> bytes:
    """The file a result's URI names, resolved as a SARIF consumer does: against its base."""
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    artifact = location["artifactLocation"]
    base = log["runs"][0]["originalUriBaseIds"][artifact["uriBaseId"]]["uri"]
    assert base == root.as_uri() + "/"
    assert not urlsplit(artifact["uri"]).scheme
    assert ".." not in artifact["uri"].split("/")
    resolved = urlsplit(urljoin(base, artifact["uri"]))
    assert not resolved.query
    assert not resolved.fragment
    return unquote_to_bytes(resolved.path)


@pytest.mark.parametrize("name", _HOSTILE_NAMES, ids=repr)
def test_hostile_file_names_are_percent_encoded_and_stay_in_the_repository(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path.resolve()
    init_repo(root)
    folder = root / "in cidents#%"
    folder.mkdir()
    (folder / name).write_text(_FAILING, encoding="utf-8")
    monkeypatch.chdir(folder)
    _, log = _sarif(["--", name], capsys)
    assert _uri_path_bytes(log, root) == os.fsencode(folder / name)


@pytest.mark.skipif(sys.platform != "linux", reason="a file name that is not UTF-8")
def test_a_file_name_that_is_not_utf8_is_encoded_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path.resolve()
    init_repo(root)
    name = os.fsdecode(b"inc-\xff\xfe.yaml")
    (root / name).write_text(_FAILING, encoding="utf-8")
    monkeypatch.chdir(root)
    _, log = _sarif([name], capsys)
    assert _uri_path_bytes(log, root) == os.fsencode(root / name)
    assert (
        "%FF%FE"
        in log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
            "uri"
        ]
    )


def test_paths_that_climb_are_resolved_and_a_file_outside_is_never_relative(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = (tmp_path / "repo").resolve()
    root.mkdir()
    init_repo(root)
    (root / "sub").mkdir()
    (root / "INC-1.yaml").write_text(_FAILING, encoding="utf-8")
    outside = tmp_path / "outside.yaml"
    outside.write_text(_FAILING, encoding="utf-8")
    monkeypatch.chdir(root / "sub")
    _, log = _sarif(["../sub/../INC-1.yaml"], capsys)
    assert _uri_path_bytes(log, root) == os.fsencode(root / "INC-1.yaml")
    _, log = _sarif(["../../outside.yaml"], capsys)
    for result in log["runs"][0]["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": outside.resolve().as_uri()}


def test_a_symbolic_link_out_of_the_repository_is_located_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = (tmp_path / "repo").resolve()
    root.mkdir()
    init_repo(root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "INC-1.yaml").write_text(_FAILING, encoding="utf-8")
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    monkeypatch.chdir(root)
    _, log = _sarif(["linked/INC-1.yaml"], capsys)
    for result in log["runs"][0]["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert "uriBaseId" not in artifact
        assert artifact["uri"].startswith("file:///")


def _workflow() -> dict[str, Any]:
    from postmortem.yaml_io import parse

    page = (ROOT / "docs" / "sarif.md").read_text(encoding="utf-8")
    [block] = re.findall(r"^```yaml\n(.*?)^```", page, re.M | re.S)
    workflow: dict[str, Any] = parse(block, "docs/sarif.md")
    return workflow


def test_the_documented_workflow_checks_and_uploads_the_log() -> None:
    workflow = _workflow()
    assert workflow["permissions"]["security-events"] == "write"
    [job] = workflow["jobs"].values()
    steps = job["steps"]
    check = next(step for step in steps if "--format sarif" in step.get("run", ""))
    upload = next(
        step
        for step in steps
        if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")
    )
    assert steps.index(check) < steps.index(upload)
    assert upload["if"] == "always()"
    output = check["run"].split("> ")[1].strip()
    assert upload["with"]["sarif_file"] == output


def test_the_documented_workflow_is_a_valid_github_workflow() -> None:
    vendored = pytest.importorskip("check_jsonschema.builtin_schemas")
    schema_file = Path(vendored.__file__).parent / "vendor" / "github-workflows.json"
    if not schema_file.is_file():
        pytest.skip("check-jsonschema ships no GitHub workflow schema here")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.validate(_workflow(), schema)


def test_a_broken_policy_gives_a_log_of_a_run_that_did_not_succeed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    init_repo(tmp_path)
    (tmp_path / ".postmortem.yaml").write_text("levels: {PM201: loud}\n", encoding="utf-8")
    (tmp_path / "INC-1.yaml").write_text(_FAILING, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status, log = _sarif(["INC-1.yaml"], capsys)
    assert status == 2
    [run] = log["runs"]
    assert run["results"] == []
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolConfigurationNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith("levels.PM201: ")
    [location] = notification["locations"]
    assert location["physicalLocation"]["artifactLocation"] == {
        "uri": ".postmortem.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 17}
