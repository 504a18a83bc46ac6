"""Markdown rendering: each layout, escaping checked with a Markdown parser, nothing dropped."""

import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

import postmortem
from postmortem import hooks
from postmortem.cli import main
from postmortem.model import (
    ActionItem,
    ActionStatus,
    Metadata,
    PostMortem,
    ProfileName,
    Summary,
)
from postmortem.render import render
from postmortem.render.markdown import markdown_text
from tests.conftest import EXAMPLES
from tests.gitrepo import init_repo
from tests.strategies import documents

PARSER = MarkdownIt("commonmark").enable("table")
PROFILES = [name.value for name in ProfileName]


def tokens(markdown: str) -> list[Token]:
    return PARSER.parse(markdown)


def headings(markdown: str) -> list[str]:
    found = tokens(markdown)
    return [
        found[index + 1].content
        for index, token in enumerate(found)
        if token.type == "heading_open"
    ]


def visible_text(markdown: str) -> str:
    """All text a reader sees, escapes resolved, one space for any run of white space."""
    parts: list[str] = []
    for token in tokens(markdown):
        if token.type in ("code_block", "fence"):
            parts.append(token.content)
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type == "link_open":
                parts.append(f" {child.attrs.get('href', '')} ")
            elif child.type in ("softbreak", "hardbreak", "html_inline"):
                parts.append(" ")
        parts.append(" ")
    return " ".join("".join(parts).split())


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_each_example_renders_in_its_layout(path: Path) -> None:
    doc = postmortem.load(path)
    markdown = render(doc)
    assert markdown == render(doc), "output is deterministic"
    assert markdown.endswith("\n")
    assert not markdown.endswith("\n\n")
    found = headings(markdown)
    profile = postmortem.get_profile(doc.profile)
    shown = [spec.heading for spec in profile.sections if getattr(doc, spec.field)]
    positions = [found.index(heading) for heading in shown]
    assert positions == sorted(positions), "sections follow the template's order"
    assert "Other sections" not in found
    assert not _markup_from_text(markdown)


def test_security_postmortem_layout_has_phases_tiers_and_tables() -> None:
    markdown = render(postmortem.load(EXAMPLES / "security-postmortem.yaml"))
    found = headings(markdown)
    assert "Phase 1: Initial Compromise" in found
    assert "Phase 5: Detection and Response" in found
    assert "Critical Priority" in found
    assert "Secret scanning on every repository" in found
    assert "| Date/Time | Event | Evidence Source |" in markdown
    assert "**Risk Addressed**: Credentials leaked through public code" in markdown
    assert "This document is classified as Confidential." in markdown


def test_checklists_render_as_task_lists() -> None:
    markdown = render(postmortem.load(EXAMPLES / "security-incident-report.yaml"))
    assert "- [x] Security council notified" in markdown
    assert "- [ ] Partners distributing the agent notified" in markdown


def test_another_layout_keeps_every_section() -> None:
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    markdown = render(doc, profile="retrospective")
    found = headings(markdown)
    assert found[0].startswith("Incident Retrospective")
    assert "Other sections" in found
    for name in (
        "Timeline",
        "Root cause",
        "IOCs",
        "Affected systems",
        "Evidence",
        "Distribution",
    ):
        assert name in found, name
    assert "203.0.113.45" in markdown


def _markup_from_text(markdown: str) -> list[str]:
    """HTML in the output other than the <br> that breaks lines in cells and list items."""
    found = []
    for token in tokens(markdown):
        for item in [token, *(token.children or [])]:
            if item.type.startswith("html") and item.content.strip() != "<br>":
                found.append(item.content)
    return found


def _text_leaves(value: Any) -> list[str]:
    """Every line of free text in a document (choices from enums are not free text)."""
    if isinstance(value, Enum):
        return []
    if isinstance(value, str):
        return [line.strip() for line in markdown_text(value).split("\n") if line.strip()]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _text_leaves(item)]
    if attrs.has(type(value)):
        return [
            leaf
            for field in attrs.fields(type(value))
            for leaf in _text_leaves(getattr(value, field.name))
        ]
    return []


@given(documents, st.sampled_from(PROFILES))
def test_nothing_is_dropped_and_text_stays_text(doc: PostMortem, profile: str) -> None:
    markdown = render(doc, profile=profile)
    seen = visible_text(markdown)
    for leaf in _text_leaves(doc):
        assert " ".join(leaf.split()) in seen, leaf
    assert not _markup_from_text(markdown)


@pytest.mark.parametrize(
    ("text", "unwanted"),
    [
        ("# not a heading", "heading_open"),
        ("- not a list", "bullet_list_open"),
        ("1. not a list", "ordered_list_open"),
        ("> not a quote", "blockquote_open"),
        ("<script>alert(1)</script>", "html_block"),
        ("a <b>bold</b> claim", "html_inline"),
        ("**not bold**", "strong_open"),
        ("```\nnot code\n```", "fence"),
        ("first\n===", "heading_open"),
        ("[link](https://evil.example)", "link_open"),
    ],
)
def test_user_text_cannot_become_markup(text: str, unwanted: str) -> None:
    doc = PostMortem(
        profile=ProfileName.POSTMORTEM, metadata=Metadata(id="X"), summary=Summary(text=text)
    )
    found = tokens(render(doc))
    start = [token.content for token in found].index("Summary") + 2
    end = next(index for index in range(start, len(found)) if found[index].type == "heading_open")
    summary = found[start:end]
    assert summary, "the summary is rendered"
    assert unwanted not in [token.type for token in summary]
    for child in summary:
        for grandchild in child.children or []:
            assert grandchild.type != unwanted
    assert " ".join(text.split()) in visible_text(render(doc))


def test_pipes_stay_inside_their_table_cell() -> None:
    doc = PostMortem(
        profile=ProfileName.POSTMORTEM,
        metadata=Metadata(id="X"),
        action_items=[ActionItem(action="a | b | c", owner="x|y", status=ActionStatus.OPEN)],
    )
    found = tokens(render(doc))
    cells = [
        found[index + 1].content for index, token in enumerate(found) if token.type == "td_open"
    ]
    assert cells[:2] == ["a | b | c", "x|y"]


def test_cli_render_to_a_file_and_other_layout(tmp_path: Path) -> None:
    output = tmp_path / "pm.md"
    source = str(EXAMPLES / "postmortem.yaml")
    assert main(["render", source, "--no-git-history", "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == render(postmortem.load(source))
    assert (
        main(
            [
                "render",
                source,
                "--no-git-history",
                "--profile",
                "security-incident-report",
                "-o",
                str(output),
            ]
        )
        == 0
    )
    assert headings(output.read_text(encoding="utf-8"))[0].startswith("Security Incident Report")


@pytest.mark.usefixtures("git_env")
def test_cli_render_takes_the_history_from_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "repo")
    doc = postmortem.load(EXAMPLES / "security-postmortem.yaml")
    doc.metadata.status = postmortem.DocumentStatus.DRAFT
    repo.write("pm.yaml", doc)
    repo.commit("Draft", author="Ana Alves <ana@example.com>", date="2024-04-01T09:00:00+00:00")
    doc.metadata.status = postmortem.DocumentStatus.FINAL
    repo.write("pm.yaml", doc)
    repo.commit("Final", author="Ben Berg <ben@example.com>", date="2024-04-02T09:00:00+00:00")
    path = str(repo.root / "pm.yaml")
    assert main(["render", path]) == 0
    from_git = capsys.readouterr().out
    assert "| 1.0 | 2024-04-02 09:00:00+00:00 | Ben Berg | status Draft -> Final |" in from_git
    assert "Initial draft" not in from_git
    assert main(["render", path, "--no-git-history"]) == 0
    own = capsys.readouterr().out
    assert "Initial draft" in own
    assert "Ben Berg" not in own


def test_render_hook_rewrites_stale_markdown_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "incidents" / "pm.yaml"
    source.parent.mkdir()
    source.write_text((EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    target = source.with_suffix(".md")
    assert hooks.render([str(source)]) == 1
    assert target.read_text(encoding="utf-8") == render(postmortem.load(source))
    assert hooks.render([str(source)]) == 0
    target.write_text("stale\n", encoding="utf-8")
    assert hooks.render([str(source)]) == 1
    assert hooks.render([str(source)]) == 0
    capsys.readouterr()


def test_render_hook_never_writes_for_a_broken_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pm.yaml"
    source.write_text("profile: postmortem\nmetadata: {id: 1}\n", encoding="utf-8")
    target = source.with_suffix(".md")
    target.write_text("kept\n", encoding="utf-8")
    assert hooks.render([str(source)]) == 1
    assert capsys.readouterr().out.startswith(f"{source}:2:16: PM102 metadata.id:")
    assert target.read_text(encoding="utf-8") == "kept\n"


def test_a_team_layout_replaces_the_built_in_one(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "postmortem.md.j2").write_text(
        "# {{ doc.metadata.id }} | ACME post-mortem\n\n{{ section(doc, 'summary') }}\n",
        encoding="utf-8",
    )
    (tmp_path / ".postmortem.yaml").write_text("templates: layouts\n", encoding="utf-8")
    source = tmp_path / "pm.yaml"
    source.write_text((EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "postmortem", "render", str(source), "--no-git-history"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("# PM-2024-007 | ACME post-mortem\n\nAt 14:03 UTC")
