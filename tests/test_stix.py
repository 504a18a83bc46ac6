"""STIX 2.1: the bundle of a document (validated by stix2-validator, its Incident Core
Extension checked against the specification's words), and a bundle's indicators added to
a document's IOCs."""

import difflib
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from stix2validator import validate_string

import postmortem
from postmortem._stix2 import parse_equality
from postmortem.audiences import Labels
from postmortem.cli import main
from postmortem.errors import PostMortemError
from postmortem.model import Classification, Determination, Ioc, IocType, PostMortem
from postmortem.policy import Policy
from postmortem.stix import (
    INCIDENT_CORE_EXTENSION,
    TLP_MARKINGS,
    ioc_pattern,
    iocs_from_bundle,
    stix_bundle,
    stix_namespace,
    tlp_label,
    tlp_marking,
)
from tests.conftest import EXAMPLES
from tests.gitrepo import init_repo
from tests.strategies import documents

NAMESPACE = stix_namespace("example.com")
CREATED = datetime(2024, 3, 1, tzinfo=timezone.utc)
MODIFIED = datetime(2024, 3, 9, 12, tzinfo=timezone.utc)

# The Incident Core Extension v2.0 (OASIS CTI TC incident extension suite, "Incident
# Extension Suite.adoc", cti-stix-common-objects): its required properties and closed
# vocabularies, as the specification's prose defines them.
CORE_REQUIRED = {"extension_type", "determination", "investigation_status"}
DETERMINATION_ENUM = {"blocked", "confirmed", "failed-attempt", "false-positive", "suspected"}
INVESTIGATION_OV = {"closed", "new", "open"}
DETECTION_METHODS_OV = {
    "automated-tool", "commercial-solution", "external-notification", "human-review",
    "message-from-attacker", "propriety-solution", "system-outage", "user-reporting",
}  # fmt: skip
TASK_OUTCOME_ENUM = {"cancelled", "failed", "ongoing", "pending", "successful", "unknown"}

# The TLP 2.0 marking definitions exactly as OASIS publishes them (tlp-2.0/examples).
CANONICAL_TLP = {
    "TLP:CLEAR": ("94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
    "TLP:GREEN": ("bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
    "TLP:AMBER": ("55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    "TLP:AMBER+STRICT": ("939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
    "TLP:RED": ("e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
}

EXAMPLE_NAMES = sorted(path.stem for path in EXAMPLES.glob("*.yaml"))


def bundle_of(doc: PostMortem, audience: Classification | None = None) -> dict[str, Any]:
    made = stix_bundle(
        doc, namespace=NAMESPACE, created=CREATED, modified=MODIFIED, audience=audience
    )
    return made.bundle


def assert_valid(bundle: dict[str, Any]) -> None:
    results = validate_string(json.dumps(bundle))
    assert results.is_valid, [str(error) for error in results.errors]


def objects_of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item for item in bundle["objects"] if item["type"] == kind]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_exports_to_a_bundle_the_validator_accepts(name: str) -> None:
    doc = postmortem.load(EXAMPLES / f"{name}.yaml")
    for audience in (None, Classification.TLP_GREEN, Classification.INTERNAL):
        assert_valid(bundle_of(doc, audience))


@given(documents)
def test_any_document_exports_to_a_valid_bundle_or_says_why_on_one_line(doc: PostMortem) -> None:
    for audience in (None, Classification.TLP_AMBER):
        try:
            bundle = bundle_of(doc, audience)
        except PostMortemError as error:
            refused: PostMortemError | None = error
        else:
            refused = None
            assert_valid(bundle)
        assert refused is None or "\n" not in str(refused)


@pytest.mark.parametrize("name", ["security-postmortem", "security-incident-report"])
def test_the_incident_core_extension_has_what_the_specification_requires(name: str) -> None:
    bundle = bundle_of(postmortem.load(EXAMPLES / f"{name}.yaml"))
    (incident,) = objects_of(bundle, "incident")
    core = incident["extensions"][INCIDENT_CORE_EXTENSION]
    assert core.keys() >= CORE_REQUIRED
    assert core["extension_type"] == "property-extension"
    assert core["determination"] in DETERMINATION_ENUM
    assert core["investigation_status"] in INVESTIGATION_OV
    assert isinstance(core["criticality"], int)
    assert 0 <= core["criticality"] <= 100
    assert set(core.get("detection_methods", [])) <= DETECTION_METHODS_OV
    ids = {item["id"] for item in bundle["objects"]}
    assert set(core.get("impact_refs", [])) <= ids
    assert {entry["task_ref"] for entry in core.get("tasks", [])} <= ids
    for task in objects_of(bundle, "task"):
        assert task["outcome"] in TASK_OUTCOME_ENUM


@pytest.mark.parametrize("determination", list(Determination))
def test_every_determination_is_one_of_the_extension(determination: Determination) -> None:
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    assert doc.assessment is not None
    doc.assessment.determination = determination
    (incident,) = objects_of(bundle_of(doc), "incident")
    assert incident["extensions"][INCIDENT_CORE_EXTENSION]["determination"] in (DETERMINATION_ENUM)


def test_the_tlp_markings_are_the_canonical_oasis_objects() -> None:
    assert [label.value for label in TLP_MARKINGS] == list(CANONICAL_TLP)
    for label, (uid, level) in zip(TLP_MARKINGS, CANONICAL_TLP.values(), strict=True):
        assert tlp_marking(label) == {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": f"marking-definition--{uid}",
            "created": "2022-10-01T00:00:00.000Z",
            "name": label.value,
            "extensions": {
                "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                    "extension_type": "property-extension",
                    "tlp_2_0": level,
                }
            },
        }


def test_labels_map_to_tlp_never_less_restrictive() -> None:
    policy = Policy()
    expected = {
        Classification.PUBLIC: Classification.TLP_CLEAR,
        Classification.INTERNAL: Classification.TLP_AMBER,
        Classification.CONFIDENTIAL: Classification.TLP_AMBER_STRICT,
        Classification.RESTRICTED: Classification.TLP_RED,
    }
    for label, tlp in expected.items():
        assert tlp_label(policy.sensitivity(label), policy) is tlp
        assert policy.sensitivity(tlp) >= policy.sensitivity(label)
    for tlp in TLP_MARKINGS:
        assert tlp_label(policy.sensitivity(tlp), policy, tlp) is tlp
    assert tlp_label(len(policy.labels), policy) is Classification.TLP_RED


def test_each_object_is_marked_with_its_own_items_label() -> None:
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    bundle = bundle_of(doc)
    labels = Labels(doc, Policy())
    section = labels.section("iocs")
    by_name = {item["name"]: item for item in objects_of(bundle, "indicator")}
    for ioc in doc.iocs:
        indicator = by_name[f"{ioc.type.value} {ioc.canonical}"]
        expected = tlp_label(labels.item(ioc, section), Policy(), ioc.classification)
        assert indicator["object_marking_refs"] == [TLP_MARKINGS[expected]]
    cidr = by_name["CIDR 198.51.100.0/24"]
    assert cidr["object_marking_refs"] == [TLP_MARKINGS[Classification.TLP_AMBER_STRICT]]


def test_the_same_document_gives_the_same_bundle_and_organisations_never_collide() -> None:
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    first = stix_bundle(doc, namespace=NAMESPACE, created=CREATED, modified=MODIFIED)
    again = stix_bundle(
        postmortem.load(EXAMPLES / "security-postmortem.yaml"),
        namespace=NAMESPACE,
        created=CREATED,
        modified=MODIFIED,
    )
    assert first.json() == again.json()
    other = stix_bundle(
        doc, namespace=stix_namespace("example.org"), created=CREATED, modified=MODIFIED
    )
    ours = {item["id"] for item in first.bundle["objects"] if "created" in item}
    theirs = {item["id"] for item in other.bundle["objects"] if "created" in item}
    shared = {ref for ref in ours & theirs if not ref.startswith("marking-definition--")}
    assert not shared


def test_the_cli_takes_created_and_modified_from_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "repo")
    repo.write(".postmortem.yaml", "stix_identity: example.com\n")
    text = (EXAMPLES / "security-incident-report.yaml").read_text(encoding="utf-8")
    repo.write("incidents/inc.yaml", text)
    repo.commit("first", date="2024-06-04T10:00:00+00:00")
    repo.write("incidents/inc.yaml", text + "other_notes:\n  - later\n")
    repo.commit("second", date="2024-06-10T08:30:00+00:00")
    path = str(repo.root / "incidents/inc.yaml")
    assert main(["export", path, "--format", "stix"]) == 0
    output = capsys.readouterr().out
    assert main(["export", path, "--format", "stix"]) == 0
    assert capsys.readouterr().out == output
    (incident,) = objects_of(json.loads(output), "incident")
    assert incident["created"] == "2024-06-04T10:00:00.000Z"
    assert incident["modified"] == "2024-06-10T08:30:00.000Z"


def test_without_an_identity_the_export_is_a_one_line_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "repo")
    path = repo.write("inc.yaml", (EXAMPLES / "security-postmortem.yaml").read_text())
    assert main(["export", str(path), "--format", "stix"]) == 2
    error = capsys.readouterr().err
    assert "stix_identity" in error
    assert len(error.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("    started: 2024-03-02 03:14:00+00:00", "    started: 0001-01-01 00:00:00+05:00"),
        ("    started: 2024-03-02 03:14:00+00:00", "    started: 9999-12-31 23:00:00-05:00"),
        ("    first_seen: 2024-03-02 03:14:00+00:00", "    first_seen: 0001-01-01 00:00:00+01:00"),
    ],
)
def test_a_time_outside_the_years_of_utc_is_a_one_line_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: str
) -> None:
    text = (EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8")
    assert field in text
    text = text.replace("  report_date: 2024-03-28\n", "").replace(field, value, 1)
    path = tmp_path / "inc.yaml"  # outside git: the document's own dates are the bundle's
    path.write_text(text, encoding="utf-8")
    (tmp_path / ".postmortem.yaml").write_text("stix_identity: example.com\n", encoding="utf-8")
    assert main(["export", str(path), "--format", "stix"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "outside the years 1 to 9999 in UTC" in line


HOSTILE_VALUES = [
    "it's \\ a ']",
    "'] OR [file:name = 'x",
    "\\'",
    'Mozilla/5.0 (Ünïcødé; 漢字) "quoted" \\\\',
    "x" * 2000,
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_value_is_escaped_in_the_pattern_and_parses_back(value: str) -> None:
    for kind in (IocType.USER_AGENT, IocType.FILE_NAME, IocType.ACCOUNT):
        ioc = Ioc(type=kind, value=value)
        found = ioc_pattern(ioc)
        assert found is not None
        pattern, object_type, path = found
        assert parse_equality(pattern) == (object_type, tuple(path), ioc.canonical)
        doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
        doc.iocs = [ioc]
        assert_valid(bundle_of(doc))


@pytest.mark.parametrize("audience", [Classification.PUBLIC, Classification.TLP_GREEN,
                                      Classification.INTERNAL])  # fmt: skip
def test_an_audience_export_leaves_out_what_the_audience_may_not_see(
    audience: Classification,
) -> None:
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    text = json.dumps(bundle_of(doc, audience), ensure_ascii=False)
    for ioc in doc.iocs:  # the IOCs are Confidential (the policy's default) or above
        assert ioc.canonical not in text
    assert "s3://forensics" not in text
    policy = Policy()
    limit = policy.sensitivity(audience)
    allowed = {TLP_MARKINGS[tlp_label(rank, policy)] for rank in range(limit + 1)} | {
        TLP_MARKINGS[label] for label in TLP_MARKINGS if policy.sensitivity(label) <= limit
    }
    for item in json.loads(text)["objects"]:
        assert set(item.get("object_marking_refs", [])) <= allowed


def test_a_bundle_round_trips_its_indicators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(json.dumps(bundle_of(source)), encoding="utf-8")
    text = (EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8")
    start, end = text.index("iocs:\n"), text.index("affected_systems:")
    without = text[:start] + text[end:]
    target = tmp_path / "target.yaml"
    target.write_text(without, encoding="utf-8")
    assert main(["iocs", "add", str(target), "--from-stix", str(bundle_path)]) == 0
    assert "5 IOCs added" in capsys.readouterr().out
    written = target.read_text(encoding="utf-8")
    opcodes = difflib.SequenceMatcher(None, without, written, autojunk=False).get_opcodes()
    assert {tag for tag, *_ in opcodes} <= {"equal", "insert"}
    added = postmortem.load(target).iocs
    labels = Labels(source, Policy())
    section = labels.section("iocs")

    def same(ioc: Ioc, label: Classification | None) -> tuple[str, str, Classification | None]:
        family = "ip" if ioc.type in (IocType.IP_ADDRESS, IocType.IPV4) else ioc.type.value
        return family, ioc.canonical, label

    assert [same(ioc, ioc.classification) for ioc in added] == [
        same(ioc, tlp_label(labels.item(ioc, section), Policy(), ioc.classification))
        for ioc in source.iocs
    ]
    assert main(["iocs", "add", str(target), "--from-stix", str(bundle_path)]) == 0
    assert "0 IOCs added" in capsys.readouterr().out
    assert target.read_text(encoding="utf-8") == written


@pytest.mark.parametrize(
    ("highest", "expected"),
    [("I999999999", ["I1000000000", "I1000000001"]), ("I" + "9" * 63, ["I1", "I5"])],
)
def test_added_iocs_get_ids_no_other_ioc_has(
    tmp_path: Path, highest: str, expected: list[str]
) -> None:
    text = (EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8")
    target = tmp_path / "doc.yaml"
    # I5 becomes the highest id, and I1 is freed (its IOC takes I2x); I2 to I4 stay taken.
    text = text.replace("    id: I5\n", f"    id: {highest}\n").replace(
        "    id: I1\n", "    id: I2x\n"
    )
    target.write_text(text, encoding="utf-8")
    for domain in ("one.example", "two.example"):
        bundle = tmp_path / f"{domain}.json"
        objects = [indicator(f"[domain-name:value = '{domain}']")]
        bundle.write_text(json.dumps({"type": "bundle", "objects": objects}), encoding="utf-8")
        assert main(["iocs", "add", str(target), "--from-stix", str(bundle)]) == 0
    ids = [ioc.id for ioc in postmortem.load(target).iocs]
    assert ids[-2:] == expected
    assert len(set(ids)) == len(ids)


def indicator(pattern: str, **extra: Any) -> dict[str, Any]:
    return {"type": "indicator", "id": f"indicator--{uuid.uuid4()}", "pattern": pattern,
            "pattern_type": "stix", **extra}  # fmt: skip


def test_unsupported_patterns_are_reported_and_skipped() -> None:
    objects = [
        indicator("[ipv4-addr:value = '203.0.113.9' OR ipv4-addr:value = '203.0.113.10']"),
        indicator("[file:size = 5]"),
        indicator("[ipv4-addr:value = '203.0.113.9'] WITHIN 5 SECONDS"),
        indicator("[artifact:mime_type = 'x']"),
        indicator("not a pattern ]["),
        indicator("(" * 5000 + "[ipv4-addr:value = '1.2.3.4']" + ")" * 5000),
        indicator("[ipv4-addr:value = 'not an address']"),
        indicator("alert tcp any any", pattern_type="snort"),
        indicator("[domain-name:value = 'evil.example']", object_marking_refs=[
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            TLP_MARKINGS[Classification.TLP_AMBER],
        ]),
        indicator("[url:value = 'https://x.example/']", object_marking_refs=[{}, 5]),
        {"type": "indicator", "pattern": ["a"], "pattern_type": "stix"},
        {"type": "indicator"},
        "not an object",
    ]  # fmt: skip
    found = list(iocs_from_bundle(json.dumps({"type": "bundle", "objects": objects}), "b.json"))
    iocs = [item for item in found if isinstance(item, Ioc)]
    assert [(ioc.type, ioc.value, ioc.classification) for ioc in iocs] == [
        (IocType.DOMAIN, "evil.example", Classification.TLP_AMBER),
        (IocType.URL, "https://x.example/", None),
    ]
    assert len(found) - len(iocs) == 10
    assert all("\n" not in line for line in found if isinstance(line, str))


@pytest.mark.parametrize(
    "pattern",
    [
        "[domain-name:value = '" + "\\'" * 7_000,  # took half a minute in the parser
        "[domain-name:value = '" + "\\\\" * 7_000 + "\\'",
        "[domain-name:value = 'a\\b']",  # an escape the grammar does not have
        "[domain-name:value = 'a'] \\",
    ],
)
def test_a_quote_that_never_closes_is_refused_before_the_parser(pattern: str) -> None:
    objects = [indicator(pattern) for _ in range(20)]
    started = time.monotonic()
    found = list(iocs_from_bundle(json.dumps({"type": "bundle", "objects": objects}), "b.json"))
    assert time.monotonic() - started < 5  # was 20 times half a minute
    assert all(isinstance(item, str) and "not a STIX pattern" in item for item in found)


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000,
        "{}",
        '{"type": "bundle", "objects": 5}',
        "\x00",
        '"just a string"',
        # Half a surrogate pair: not text, so not writable into the document.
        '{"type": "bundle", "objects": [{"type": "indicator", "pattern_type": "stix",'
        ' "pattern": "[domain-name:value = \'a.example\']", "description": "\\udc00"}]}',
        '{"type": "bundle", "objects": [' + "9" * 10_000 + "]}",
    ],
)
def test_a_bundle_that_is_not_one_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    target = tmp_path / "doc.yaml"
    target.write_text((EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8"))
    before = target.read_bytes()
    bundle = tmp_path / "bundle.json"
    bundle.write_text(content, encoding="utf-8")
    assert main(["iocs", "add", str(target), "--from-stix", str(bundle)]) in (1, 2)
    captured = capsys.readouterr()
    said = (captured.out + captured.err).strip().splitlines()
    assert len(said) == 1
    assert str(bundle) in said[0]
    assert "doc.yaml" not in said[0]  # the bundle is at fault, not the document
    assert target.read_bytes() == before


def test_stix2_is_imported_only_by_the_stix_code_paths() -> None:
    code = (
        "import sys, postmortem, postmortem.cli, postmortem.hooks, postmortem.checks\n"
        "assert not {'stix2', 'stix2patterns', 'postmortem._stix2'} & set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_extra_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "inc.yaml"
    path.write_text((EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8"))
    (tmp_path / ".postmortem.yaml").write_text("stix_identity: example.com\n")
    code = (
        "import sys; sys.modules['stix2'] = None\n"
        "from postmortem.cli import main\n"
        f"sys.exit(main(['export', {str(path)!r}, '--format', 'stix']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "postmortem: STIX needs the stix extra: pip install 'postmortem-as-code[stix]'"
    ]


def test_other_formats_still_need_an_audience(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "security-postmortem.yaml")
    assert main(["export", path, "--format", "yaml"]) == 2
    assert capsys.readouterr().err.strip() == "postmortem: --audience is needed for --format yaml"
