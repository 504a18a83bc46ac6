"""The rule registry: every rule fires, the docs are generated from it, and the hooks that
pre-commit knows, the console scripts and the registry agree."""

import importlib
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from importlib.metadata import entry_points
from pathlib import Path

import attrs
import pytest
from ruamel.yaml import YAML

import postmortem
from postmortem.checks import CHECKING_HOOKS, check_text
from postmortem.checks.registry import RULES, rules_for, rules_markdown
from postmortem.errors import Finding
from postmortem.model import (
    Classification,
    CostAnalysis,
    Distribution,
    DocumentStatus,
    PostMortem,
    SectionLabel,
    Severity,
)
from postmortem.policy import Policy, load_policy
from tests.conftest import EXAMPLES, ROOT
from tests.gitrepo import init_repo

TODAY = date(2024, 4, 1)


def _operations() -> PostMortem:
    return postmortem.load(EXAMPLES / "postmortem.yaml")


def _security() -> PostMortem:
    return postmortem.load(EXAMPLES / "security-postmortem.yaml")


def _mutated(factory: Callable[[], PostMortem], change: Callable[[PostMortem], object]) -> str:
    document = factory()
    change(document)
    return postmortem.dumps(document)


def _label(document: PostMortem, section: str, label: Classification) -> None:
    document.metadata.section_labels.append(SectionLabel(section=section, classification=label))


def _lifecycle(**changes: object) -> Callable[[PostMortem], object]:
    def change(document: PostMortem) -> None:
        document.metadata.lifecycle = attrs.evolve(document.metadata.lifecycle, **changes)

    return change


def _metadata(**changes: object) -> Callable[[PostMortem], object]:
    def change(document: PostMortem) -> None:
        document.metadata = attrs.evolve(document.metadata, **changes)

    return change


def _notified(aware: str, notices: str = "") -> str:
    """A security document under GDPR, aware at ``aware``, with ``notices``."""
    return (
        "profile: security-postmortem\nschema_version: 2\n"
        f"metadata: {{id: INC-1, lifecycle: {{aware: '{aware}'}}}}\n"
        f"compliance:\n  regimes: [GDPR]\n{notices}"
    )


# rule id -> (document text, policy text, path relative to the repository root)
TRIGGERS: dict[str, tuple[Callable[[], str], str, str]] = {
    "PM101": (lambda: "profile: [unclosed\n", "", "incidents/a.yaml"),
    "PM102": (lambda: "profile: postmortem\nmetadata: {id: 7}\n", "", "incidents/a.yaml"),
    "PM103": (lambda: "profile: postmortem\nmetadata: {id: INC-1}\n", "", "incidents/a.yaml"),
    "PM201": (lambda: _mutated(_operations, lambda d: setattr(d, "timeline", None)), "", "i.yaml"),
    "PM202": (
        lambda: _mutated(_operations, lambda d: setattr(d.summary, "text", "Began YYYY-MM-DD")),
        "",
        "i.yaml",
    ),
    "PM203": (
        lambda: _mutated(_operations, lambda d: setattr(d.action_items[0], "owner", None)),
        "",
        "i.yaml",
    ),
    "PM204": (
        lambda: _mutated(_operations, lambda d: setattr(d.action_items[0], "due", None)),
        "",
        "i.yaml",
    ),
    "PM205": (
        lambda: _mutated(_operations, lambda d: setattr(d.action_items[0], "status", None)),
        "",
        "i.yaml",
    ),
    "PM206": (
        lambda: _mutated(
            _operations, lambda d: setattr(d.action_items[0], "due", TODAY - timedelta(days=3))
        ),
        "",
        "i.yaml",
    ),
    "PM301": (lambda: _mutated(_operations, _metadata(classification=None)), "", "i.yaml"),
    "PM302": (lambda: postmortem.dumps(_operations()), "labels: [[Public], [Restricted]]\n", "i"),
    "PM303": (
        lambda: postmortem.dumps(_operations()),
        "path_rules: [{paths: ['public/**'], labels: [Public]}]\n",
        "public/i.yaml",
    ),
    "PM304": (
        lambda: _mutated(_security, _metadata(classification=Classification.INTERNAL)),
        "",
        "i.yaml",
    ),
    "PM305": (
        lambda: _mutated(
            _operations,
            lambda d: (
                _metadata(classification=Classification.PUBLIC)(d),
                setattr(d, "distribution", Distribution(recipients=["SRE"])),
            ),
        ),
        "",
        "i.yaml",
    ),
    "PM306": (
        lambda: _mutated(_operations, lambda d: _label(d, "summary", Classification.RESTRICTED)),
        "",
        "i.yaml",
    ),
    "PM307": (
        lambda: _mutated(_security, lambda d: _label(d, "iocs", Classification.PUBLIC)),
        "",
        "i.yaml",
    ),
    "PM308": (
        lambda: _mutated(_operations, lambda d: _label(d, "weather", Classification.INTERNAL)),
        "",
        "i.yaml",
    ),
    "PM309": (
        lambda: _mutated(_operations, _metadata(classification=Classification.PUBLIC)),
        "path_rules: [{paths: ['public/**'], labels: [Public], published: true}]\n",
        "public/i.yaml",
    ),
    "PM501": (
        lambda: postmortem.dumps(_operations()) + "# key: -----BEGIN OPENSSH PRIVATE KEY-----\n",
        "",
        "i.yaml",
    ),
    "PM502": (
        lambda: _mutated(
            _operations, lambda d: setattr(d.summary, "text", "Key AKIAQWERTYUIOPASDFGH leaked.")
        ),
        "",
        "i.yaml",
    ),
    "PM503": (
        lambda: _mutated(
            _operations,
            lambda d: setattr(d.summary, "text", "Cloned https://deploy:s3cr3t@git.example.com/x"),
        ),
        "",
        "i.yaml",
    ),
    "PM401": (
        lambda: _mutated(
            _operations,
            lambda d: d.timeline.events.insert(0, d.timeline.events.pop()),  # type: ignore[union-attr]
        ),
        "",
        "i.yaml",
    ),
    "PM402": (
        lambda: _mutated(_operations, _lifecycle(detected=date(2024, 3, 1))),
        "",
        "i.yaml",
    ),
    "PM403": (
        lambda: _mutated(_operations, _lifecycle(resolved=date(2024, 3, 1))),
        "",
        "i.yaml",
    ),
    "PM404": (
        lambda: _mutated(
            _operations, lambda d: setattr(d.detection, "time_to_detect", timedelta(hours=5))
        ),
        "",
        "i.yaml",
    ),
    "PM405": (
        lambda: _mutated(
            _operations,
            lambda d: (setattr(d, "root_cause", None), _metadata(status=DocumentStatus.FINAL)(d)),
        ),
        "",
        "i.yaml",
    ),
    "PM406": (
        lambda: _mutated(_operations, lambda d: setattr(d.action_items[1], "id", "F1")),
        "",
        "i.yaml",
    ),
    "PM407": (
        lambda: _mutated(_operations, lambda d: d.action_items[0].addresses.append("C9")),
        "",
        "i.yaml",
    ),
    "PM408": (
        lambda: _mutated(
            _operations, lambda d: setattr(d, "cost", CostAnalysis(legal_fees=5, total=9))
        ),
        "",
        "i.yaml",
    ),
    "PM409": (
        lambda: _mutated(
            _operations,
            lambda d: setattr(d.root_cause.causes[0], "description", "Human error"),  # type: ignore[union-attr]
        ),
        "",
        "i.yaml",
    ),
    "PM410": (
        lambda: _mutated(
            _operations,
            lambda d: setattr(d.root_cause.causes[0], "category", "bad luck"),  # type: ignore[union-attr]
        ),
        "",
        "i.yaml",
    ),
    "PM412": (
        lambda: _mutated(
            _security,
            lambda d: setattr(
                d.root_cause.attack.lateral_movement.movement_path[0], "system", "S9"
            ),  # type: ignore[union-attr]
        ),
        "",
        "i.yaml",
    ),
    "PM413": (
        lambda: _mutated(
            _security,
            lambda d: setattr(
                d.timeline.events[2], "time", datetime(2024, 3, 1, tzinfo=timezone.utc)
            ),  # type: ignore[union-attr]
        ),
        "",
        "i.yaml",
    ),
    "PM414": (lambda: _notified("2024-03-08 09:22:00+00:00"), "", "i.yaml"),
    "PM415": (lambda: _notified("2024-03-29 12:00:00+00:00"), "", "i.yaml"),
    "PM416": (
        lambda: _notified("2024-03-29 12:00:00+00:00", "  notices: [{regime: GDRP, step: x}]\n"),
        "",
        "i.yaml",
    ),
    "PM411": (
        lambda: _mutated(_operations, _metadata(severity=Severity.P3)),
        "severity_levels: [{name: SEV-1, covers: [P1, P2]}]\n",
        "i.yaml",
    ),
}


def _weakened_policy(tmp_path: Path, hooks: tuple[str, ...]) -> list[Finding]:
    """PM601 is the runner's, not a document's: a repository whose work tree ignores a rule
    its base revision runs."""
    from postmortem.runner import check_paths

    repo = init_repo(tmp_path / "repo")
    repo.write(".postmortem.yaml", "select: [PM]\n")
    repo.write("incidents/i.yaml", _operations())
    repo.commit("base")
    repo.write(".postmortem.yaml", "ignore: [PM203]\n")
    previous = Path.cwd()
    os.chdir(repo.root)
    try:
        return check_paths(["incidents/i.yaml"], hooks, today=TODAY, policy_from="HEAD")
    finally:
        os.chdir(previous)


RUNNER_TRIGGERS = {"PM601": _weakened_policy}


def test_every_rule_has_a_trigger() -> None:
    assert sorted([*TRIGGERS, *RUNNER_TRIGGERS]) == sorted(RULES)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_fires(rule: str, tmp_path: Path, git_env: dict[str, str]) -> None:
    def findings_of(hooks: tuple[str, ...]) -> list[Finding]:
        if rule in RUNNER_TRIGGERS:
            return RUNNER_TRIGGERS[rule](tmp_path / "-".join(hooks), hooks)
        make_text, policy_text, relative = TRIGGERS[rule]
        policy = Policy()
        if policy_text:
            (tmp_path / ".postmortem.yaml").write_text(policy_text, encoding="utf-8")
            policy = load_policy(tmp_path / ".postmortem.yaml")
        return check_text(make_text(), relative, policy, hooks, today=TODAY, relative_path=relative)

    fired = [finding for finding in findings_of(CHECKING_HOOKS) if finding.rule == rule]
    assert fired
    assert all(finding.line > 0 for finding in fired), fired
    assert {finding.level for finding in fired} == {RULES[rule].level}
    for hook in CHECKING_HOOKS:
        runs_it = hook in RULES[rule].hooks
        assert (RULES[rule] in rules_for((hook,))) == runs_it
        assert (rule in {finding.rule for finding in findings_of((hook,))}) == runs_it


def test_the_policy_sets_a_rule_level_and_selects_rules(tmp_path: Path) -> None:
    text = TRIGGERS["PM206"][0]()
    (tmp_path / ".postmortem.yaml").write_text("levels: {PM206: error}\n", encoding="utf-8")
    policy = load_policy(tmp_path / ".postmortem.yaml")
    [finding] = check_text(text, "i.yaml", policy, today=TODAY)
    assert (finding.rule, finding.level.value) == ("PM206", "error")
    (tmp_path / ".postmortem.yaml").write_text("ignore: [PM2]\n", encoding="utf-8")
    assert check_text(text, "i.yaml", load_policy(tmp_path / ".postmortem.yaml"), today=TODAY) == []


def test_the_rules_page_is_generated_from_the_registry() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == rules_markdown(), "run: postmortem rules --format markdown > docs/rules.md"
    for rule in RULES.values():
        assert f"| {rule.id} | {rule.summary} |" in page


def test_pre_commit_hooks_console_scripts_and_registry_agree() -> None:
    declared = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    scripts = {
        script.name: script.value
        for script in entry_points(group="console_scripts")
        if script.value.startswith("postmortem.")
    }
    hook_ids = {hook["id"] for hook in declared}
    assert {hook["entry"] for hook in declared} == hook_ids
    assert hook_ids == {name for name in scripts if name.startswith("postmortem-")}
    for hook_id in hook_ids:
        module, _, function = scripts[hook_id].partition(":")
        assert module == "postmortem.hooks"
        assert callable(getattr(importlib.import_module(module), function))
    checking = {f"postmortem-{hook}" for hook in CHECKING_HOOKS}
    assert checking == {f"postmortem-{hook}" for rule in RULES.values() for hook in rule.hooks}
    assert hook_ids == checking | {"postmortem-render", "postmortem-check"}
