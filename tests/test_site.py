"""``postmortem site``: the static website of the library, its safety and its rebuilds, and
(where Chromium is installed) the built pages as a real browser renders them."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postmortem.cli import main
from postmortem.errors import PostMortemError
from postmortem.leaks import Cleared, repository_secrets
from postmortem.model import Classification
from postmortem.policy import Policy
from postmortem.site import MANIFEST, SiteLeakError, build_site, page_slug
from postmortem.site.content import body_html, safe_link
from postmortem.site.leakcheck import readable_text
from postmortem.site.pages import script_assignment
from postmortem.yaml_io import loads
from tests.conftest import EXAMPLES

TODAY = date(2026, 11, 28)
EXAMPLE_IDS = sorted(
    loads(path.read_text(encoding="utf-8"), str(path)).metadata.id
    for path in EXAMPLES.glob("*.yaml")
)

HOSTILE = """\
schema_version: 2
profile: postmortem
metadata:
  id: "../../CON<script>alert(1)</script>"
  title: "<script>alert('title')</script><img src=x onerror=alert(2)>"
  status: Draft
  classification: Internal
  severity: P2
  lifecycle:
    started: 2024-05-01 10:00:00+00:00
    detected: 2024-05-01 10:20:00+00:00
  tickets:
    - url: "https://tickets.example.com/x?a=%22%3E%3Cscript%3Ealert(3)%3C/script%3E"
      label: "<b onmouseover=alert(4)>T</b>"
summary:
  text: "[click](javascript:alert(5)) <a href=\\"javascript:alert(6)\\">x</a> \
</script><script>alert(7)</script> and \\u2028 a separator"
action_items:
  - action: "<iframe src=javascript:alert(9)></iframe>"
    owner: "<svg onload=alert(10)>"
    due: 2024-06-01
references:
  related_incidents: ["PM-2024-007", "<svg onload=alert(8)>"]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the examples, as the issue's done-when builds it."""
    output = tmp_path_factory.mktemp("site") / "_site"
    assert main(["site", str(EXAMPLES), "--output", str(output), "--today", "2026-11-28"]) == 0
    return output


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site of the examples and a document that tries every way into the page."""
    folder = tmp_path_factory.mktemp("hostile")
    for path in EXAMPLES.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    (folder / "hostile.yaml").write_text(HOSTILE, encoding="utf-8")
    build_site([folder], folder / "_site", today=TODAY)
    return folder / "_site"


# Unit: names, escaping, Markdown to HTML


@pytest.mark.parametrize(
    ("document_id", "slug"),
    [
        ("INC-2024-0042", "inc-2024-0042"),
        ("../../x", "x"),
        ("CON", "con-doc"),
        ("lpt1", "lpt1-doc"),
        ("..", "document"),
        ("", "document"),
        ("Ünïcode/ids\\here", "n-code-ids-here"),
    ],
)
def test_a_page_name_from_an_id_never_leaves_the_folder_or_names_a_device(
    document_id: str, slug: str
) -> None:
    assert page_slug(document_id) == slug


@given(st.text())
def test_every_id_gives_a_short_plain_file_name(document_id: str) -> None:
    slug = page_slug(document_id)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= 84


def test_ids_that_give_the_same_name_get_pages_of_their_own(tmp_path: Path) -> None:
    for name, document_id in [("a.yaml", "INC 1"), ("b.yaml", "inc-1"), ("c.yaml", "INC/1")]:
        text = (EXAMPLES / "retrospective.yaml").read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("INC-2024-0417", document_id), encoding="utf-8")
    built = build_site([tmp_path], tmp_path / "out", today=TODAY)
    pages = sorted(path.name for path in (tmp_path / "out" / "incidents").iterdir())
    assert built.documents == 3
    assert pages == ["inc-1-2.html", "inc-1-3.html", "inc-1.html"]


def test_data_for_a_script_cannot_end_it_or_break_its_lines() -> None:
    value = {"text": "</script><script>alert(1)</script><!-- \u2028\u2029 & é"}
    script = script_assignment("postmortemIndex", value)
    assert "<" not in script
    assert ">" not in script
    assert "&" not in script
    assert "\u2028" not in script
    assert "\u2029" not in script
    assert json.loads(script.split(" = ", 1)[1].rstrip(";\n")) == value


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JAVA\tSCRIPT:alert(1)", "java&#x09;script:x", "data:text/html,x",
     "vbscript:x", "file:///etc/passwd", "../incidents/secret.yaml", "//evil.example", "#x"],
)  # fmt: skip
def test_a_page_links_only_to_http_https_and_mailto(url: str) -> None:
    assert not safe_link(url)
    assert safe_link("https://example.com/a")
    assert safe_link("mailto:a@example.com")


def test_markdown_becomes_html_as_text_with_sections_labelled_and_headings_in_order() -> None:
    markdown = (
        "# Title\n\n**Status**: Final\n\n### Lifecycle\n\nx\n\n## 1. Summary\n\n"
        "<script>alert(1)</script> [a](javascript:alert(1)) [b](https://example.com)\n\n"
        "#### Deep\n\ny\n\n## Empty\n\n## 1. Summary\n\nz\n"
    )
    body = body_html(markdown, {"1. Summary": "Public"})
    assert "<script>" not in body.html
    assert "&lt;script&gt;" in body.html
    assert 'href="javascript' not in body.html
    assert 'href="https://example.com"' in body.html
    assert "<h1" not in body.html
    assert "<h4" not in body.html
    assert [(heading.text, heading.level) for heading in body.headings] == [
        ("1. Summary", 2),
        ("Deep", 3),
        ("1. Summary", 2),
    ]
    assert len({heading.anchor for heading in body.headings}) == 3
    assert "Empty" not in body.html  # a section the document does not fill in
    assert body.html.count('class="label-banner"') == 2
    assert '<details class="doc-meta">' in body.html  # the metadata before the sections


# The examples' site


def _html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.headings: list[int] = []
        self.landmarks: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src"):
            if found.get(name):
                self.links.append(str(found[name]))
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in ("header", "nav", "main", "footer"):
            self.landmarks.add(tag)


def _parsed(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_example_is_listed_and_has_a_page(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    listed = sorted(re.findall(r'<tr data-doc="([^"]+)"', home))
    assert listed == EXAMPLE_IDS
    assert len(list((site / "incidents").glob("*.html"))) == len(EXAMPLE_IDS)
    for document_id in EXAMPLE_IDS:
        page = (site / "incidents" / f"{page_slug(document_id)}.html").read_text(encoding="utf-8")
        assert f'<span class="doc-id">{document_id}</span>' in page


def test_links_resolve_and_headings_are_in_order_on_every_page(site: Path) -> None:
    for path in _html_files(site):
        parsed = _parsed(path)
        assert {"header", "nav", "main", "footer"} <= parsed.landmarks, path
        assert parsed.headings[:1] == [1], path
        assert parsed.headings.count(1) == 1, path
        for before, after in zip(parsed.headings, parsed.headings[1:], strict=False):
            assert after <= before + 1, f"{path}: h{before} then h{after}"
        for link in parsed.links:
            if re.match(r"[a-z]+:", link):
                assert link.startswith(("https://", "http://", "mailto:")), link
                continue
            target, _, fragment = link.partition("#")
            target = target.split("?")[0]
            resolved = (path.parent / target).resolve() if target else path
            assert resolved.is_file(), f"{path.name}: {link}"
            assert resolved.is_relative_to(site.resolve())
            if fragment:
                assert fragment in _parsed(resolved).ids, f"{path.name}: {link}"


def test_the_home_page_has_the_figures_and_three_charts_with_titles(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert home.count('<svg class="chart"') == 3
    for title in ("Incidents per month by severity", "Time to detect and to resolve per incident",
                  "Open and overdue follow-ups by owner"):  # fmt: skip
        assert f'-title">{title}</title>' in home
    assert home.count("<desc id=") == 3
    assert "Month the incident began" in home
    assert '<meta http-equiv="Content-Security-Policy"' in home


def test_document_pages_show_history_from_git_labels_and_related_links(site: Path) -> None:
    page = (site / "incidents" / "inc-2024-0031.html").read_text(encoding="utf-8")
    assert 'class="label-banner" data-label="Public"' in page
    assert 'class="label-banner" data-label="Confidential"' in page
    assert 'aria-label="Contents"' in page
    assert "Document History" in page
    related = (site / "incidents" / "inc-2024-06-03-001.html").read_text(encoding="utf-8")
    assert "INC-2023-11-20-004" in related
    assert "not in this library" in related


def test_a_page_shows_the_version_history_git_keeps(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    from tests.gitrepo import init_repo

    repo = init_repo(tmp_path / "repo")
    text = (EXAMPLES / "retrospective.yaml").read_text(encoding="utf-8")
    repo.write("incidents/r.yaml", text.replace("status: Final", "status: Draft"))
    repo.commit("First draft", author="Ada Lovelace <ada@example.com>")
    repo.write("incidents/r.yaml", text)
    repo.commit("Final", author="Grace Hopper <grace@example.com>", date="2024-05-03T09:00Z")
    build_site([repo.root / "incidents"], tmp_path / "out", today=TODAY)
    page = (tmp_path / "out" / "incidents" / "inc-2024-0417.html").read_text(encoding="utf-8")
    history = page.split('id="s-history"', 1)[1]
    assert "Ada Lovelace" in history
    assert "Grace Hopper" in history
    assert "<td>0.1</td>" in history
    assert "<td>1.0</td>" in history


def test_the_follow_ups_page_marks_what_is_overdue(site: Path) -> None:
    page = (site / "follow-ups.html").read_text(encoding="utf-8")
    assert page.count('<tr class="is-overdue"') == page.count('badge overdue">Overdue<') > 0
    assert "Unassigned" in page or "owner" in page.lower()


def test_the_feed_and_the_search_index_are_well_formed(site: Path) -> None:
    feed = ElementTree.parse(site / "feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    assert len(feed.findall(f"{atom}entry")) == len(EXAMPLE_IDS)
    index = (site / "search-index.js").read_text(encoding="utf-8")
    entries = json.loads(index.split(" = ", 1)[1].rstrip(";\n"))
    assert sorted(entry["id"] for entry in entries) == EXAMPLE_IDS


def test_a_base_url_is_used_for_the_feed_and_must_be_http(tmp_path: Path) -> None:
    build_site([EXAMPLES], tmp_path / "out", base_url="https://example.com/pm", today=TODAY)
    feed = (tmp_path / "out" / "feed.xml").read_text(encoding="utf-8")
    assert 'href="https://example.com/pm/incidents/pm-2024-007.html"' in feed
    assert 'href="../assets/site.css"' in (tmp_path / "out/incidents/pm-2024-007.html").read_text()
    status = main(["site", str(EXAMPLES), "-o", str(tmp_path / "x"), "--base-url", "javascript:x"])
    assert status == 2


@pytest.mark.parametrize(
    "base_url",
    [
        "https://example.com/\udcff",  # a command-line byte that is not UTF-8
        "https://example.com/\u2028",
        "https://example.com/?page=",
        "https://example.com/#top",
        "https:///",
        "https://example.com/it's",
    ],
)
def test_a_base_url_that_is_no_folder_url_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    status = main(["site", str(EXAMPLES), "-o", str(tmp_path / "x"), "--base-url", base_url])
    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "--base-url" in line
    assert not (tmp_path / "x").exists()


# Rebuilds


def test_a_rebuild_keeps_unchanged_pages_and_deletes_those_of_removed_documents(
    tmp_path: Path,
) -> None:
    for path in EXAMPLES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    output = tmp_path / "out"
    first = build_site([tmp_path], output, today=TODAY)
    again = build_site([tmp_path], output, today=TODAY)
    assert (first.rendered, again.rendered, again.kept) == (5, 0, 5)
    (tmp_path / "retrospective.yaml").unlink()
    text = (tmp_path / "postmortem.yaml").read_text(encoding="utf-8")
    (tmp_path / "postmortem.yaml").write_text(text.replace("Card payments", "Cards"), "utf-8")
    changed = build_site([tmp_path], output, today=TODAY)
    assert (changed.rendered, changed.kept) == (1, 3)
    assert changed.removed == ("incidents/inc-2024-0417.html",)
    assert "INC-2024-0417" not in (output / "index.html").read_text(encoding="utf-8")
    later = build_site([tmp_path], output, today=date(2026, 12, 1))
    assert later.rendered == 4  # the build date is an input of every page
    manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    assert "incidents/inc-2024-0417.html" not in manifest["files"]


def test_a_reclassified_document_leaves_the_audience_build(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "security-postmortem.yaml", tmp_path / "a.yaml")
    output = tmp_path / "out"
    assert build_site([tmp_path], output, audience=Classification.PUBLIC, today=TODAY).documents
    text = (tmp_path / "a.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(
        text.replace("section: metadata\n      classification: Public",
                     "section: metadata\n      classification: Confidential"),
        encoding="utf-8",
    )  # fmt: skip
    rebuilt = build_site([tmp_path], output, audience=Classification.PUBLIC, today=TODAY)
    assert (rebuilt.documents, rebuilt.left_out) == (0, 1)
    assert rebuilt.removed == ("incidents/inc-2024-0031.html",)


def test_a_folder_that_is_not_a_site_is_not_written_into(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    status = main(["site", str(EXAMPLES), "--output", str(tmp_path)])
    assert status == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_a_manifest_cannot_make_a_rebuild_delete_outside_the_site(tmp_path: Path) -> None:
    outside = tmp_path / "keep.txt"
    outside.write_text("mine", encoding="utf-8")
    output = tmp_path / "out"
    build_site([EXAMPLES], output, today=TODAY)
    manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] += ["../keep.txt", str(outside)]
    (output / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    build_site([EXAMPLES], output, today=TODAY)
    assert outside.read_text(encoding="utf-8") == "mine"


def test_a_manifest_cannot_make_a_rebuild_delete_a_file_the_site_never_writes(
    tmp_path: Path,
) -> None:
    output = tmp_path / "docs"  # a committed folder of GitHub Pages, say
    build_site([EXAMPLES], output, today=TODAY)
    mine = ["README.md", "incidents/notes.md", "assets/logo.png", "CNAME"]
    for name in mine:
        (output / name).write_text("mine", encoding="utf-8")
    manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] += mine
    (output / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert build_site([EXAMPLES], output, today=TODAY).removed == ()
    assert all((output / name).read_text(encoding="utf-8") == "mine" for name in mine)


def test_an_incident_of_year_one_is_charted_in_its_month(tmp_path: Path) -> None:
    text = (EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8")
    started = re.search(r"started: (\S+ \S+)", text)
    assert started is not None
    (tmp_path / "a.yaml").write_text(
        text.replace(started.group(1), "0001-01-01 00:00:00+05:00"), encoding="utf-8"
    )
    assert main(["site", str(tmp_path), "--output", str(tmp_path / "out")]) == 0
    assert ">0001-01<" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("updated", "written"),
    [
        ("0001-01-01 00:00:00+05:00", "0001-01-01T00:00:00+05:00"),  # year 0 in UTC
        ("9999-12-31 23:00:00-05:00", "9999-12-31T23:00:00-05:00"),  # year 10000 in UTC
        ("0001-01-01 10:00:00+00:00", "0001-01-01T10:00:00Z"),  # %Y wrote "1-01-01"
    ],
)
def test_the_feed_writes_any_time_a_document_holds_as_rfc_3339(
    tmp_path: Path, updated: str, written: str
) -> None:
    text = (EXAMPLES / "security-postmortem.yaml").read_text(encoding="utf-8")
    assert "  report_date: 2024-03-28\n" in text
    text = text.replace("  report_date: 2024-03-28\n", f"  updated: {updated}\n")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    assert main(["site", str(tmp_path), "--output", str(tmp_path / "out")]) == 0
    feed = (tmp_path / "out" / "feed.xml").read_text(encoding="utf-8")
    assert f"<updated>{written}</updated>" in feed


def test_a_page_that_became_a_link_out_of_the_site_is_not_kept(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the site", encoding="utf-8")
    output = tmp_path / "out"
    build_site([EXAMPLES], output, today=TODAY)
    page = output / "incidents" / "pm-2024-007.html"
    page.unlink()
    page.symlink_to(outside)
    with pytest.raises(PostMortemError, match="outside"):
        build_site([EXAMPLES], output, today=TODAY)  # not kept as unchanged, not written
    assert outside.read_text(encoding="utf-8") == "not for the site"


@pytest.mark.parametrize("kind", ["deep", "fifo"])
def test_a_hostile_manifest_is_refused_not_waited_on_or_crashed_on(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out"
    output.mkdir()
    if kind == "fifo":
        os.mkfifo(output / MANIFEST)
    else:
        (output / MANIFEST).write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    status = main(["site", str(EXAMPLES), "--output", str(output)])
    assert status == 2
    assert "no .postmortem-site.json" in capsys.readouterr().err
    assert sorted(path.name for path in output.iterdir()) == [MANIFEST]


# Audiences and leaks


def _site_texts(site: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(site.rglob("*")):
        if path.is_file():
            name = path.relative_to(site).as_posix()
            yield name, readable_text(name, path.read_text(encoding="utf-8"))


def test_a_public_build_holds_nothing_its_sources_keep_above_public(tmp_path: Path) -> None:
    output = tmp_path / "public"
    built = build_site([EXAMPLES], output, audience=Classification.PUBLIC, today=TODAY)
    assert (built.documents, built.left_out) == (1, 4)
    sources = [
        (path.name, loads(path.read_text(encoding="utf-8"), str(path)))
        for path in EXAMPLES.glob("*.yaml")
    ]
    policy = Policy()
    limit = policy.sensitivity(Classification.PUBLIC)
    secrets = repository_secrets(sources, policy, limit)
    assert secrets.tokens
    assert secrets.values
    shown = [Cleared.of(document, policy, limit) for _, document in sources]
    cleared = Cleared(
        "\n".join(item.text for item in shown),
        frozenset().union(*(item.tokens for item in shown)),
    )
    for name, text in _site_texts(output):
        leaked = secrets.found_in(text, cleared)
        assert leaked is None or leaked[0] in _SCHEMA_WORDS, f"{name}: {leaked}"
    for name, text in _site_texts(output):
        assert "Confidential" not in text or name.endswith(".css"), name
    page = (output / "incidents" / "inc-2024-0031.html").read_text(encoding="utf-8")
    assert 'data-label="Withheld">Withheld</p>' in page  # Key Facts, not "Public"
    assert 'data-label="Public">Public</p>' in page


_SCHEMA_WORDS = {"access/exfiltration"}


def test_a_date_a_confidential_note_mentions_is_no_leak_where_the_copy_shows_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yaml").write_text(
        "schema_version: 2\nprofile: postmortem\nmetadata:\n  id: INC-9\n"
        "  title: Checkout was down\n  status: Final\n  classification: Confidential\n"
        "  section_labels:\n    - {section: metadata, classification: Public}\n"
        "  lifecycle:\n    started: 2024-03-02 03:14:00+00:00\n"
        "timeline:\n  events:\n    - time: 2024-03-02 03:20:00+00:00\n"
        "      event: On 2024-03-02 a request came from 203.0.113.45\n",
        encoding="utf-8",
    )
    built = build_site([tmp_path], tmp_path / "out", audience=Classification.PUBLIC, today=TODAY)
    page = (tmp_path / "out" / "incidents" / "inc-9.html").read_text(encoding="utf-8")
    assert built.documents == 1
    assert "2024-03-02" in page
    assert "203.0.113.45" not in page


def test_an_audience_build_that_would_leak_fails_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import attrs

    def unsafe_export(doc, audience, policy=None, *, source=None):  # type: ignore[no-untyped-def]
        return attrs.evolve(doc, metadata=attrs.evolve(doc.metadata, exported_from=source))

    monkeypatch.setattr("postmortem.audiences.export", unsafe_export)
    with pytest.raises(SiteLeakError, match="keeps above Public"):
        build_site([EXAMPLES], tmp_path / "out", audience=Classification.PUBLIC, today=TODAY)
    assert not (tmp_path / "out").exists()


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.urls.extend(value or "" for name, value in attrs if name in ("href", "src"))


def test_a_hostile_document_reaches_the_page_only_as_text(hostile_site: Path) -> None:
    pages = [*(hostile_site / "incidents").glob("con-*.html"), hostile_site / "index.html",
             hostile_site / "follow-ups.html"]  # fmt: skip
    assert pages[0].name == "con-script-alert-1-script.html"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert re.findall(r"<script[^>]*>", text) in (
            ['<script src="../assets/site.js" defer>'],
            ['<script src="assets/site.js" defer>'],
            ['<script src="search-index.js" defer>', '<script src="assets/site.js" defer>'],
        ), page
        elements = _Elements()
        elements.feed(text)
        assert not elements.tags & {"iframe", "img", "b", "object", "embed"}, page
        assert not [name for name in elements.attributes if name.startswith("on")], page
        assert not [url for url in elements.urls if "javascript" in url.lower()], page
    index = (hostile_site / "search-index.js").read_text(encoding="utf-8")
    assert "</script>" not in index
    assert "\u2028" not in index


def _site_command(argv: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_a_repository_of_hostile_files_builds_the_site_of_what_loads(tmp_path: Path) -> None:
    from tests.hostile import SPECIAL_CASES, VALUE_CASES, YAML_CASES, finishes_within, write_case

    folder = tmp_path / "repository"
    folder.mkdir()
    for name in [*YAML_CASES, *VALUE_CASES, *(name for name in SPECIAL_CASES if "yaml" in name)]:
        write_case(folder, name)
    shutil.copy(EXAMPLES / "postmortem.yaml", folder / "good.yaml")
    output = tmp_path / "out"
    code, out, err = finishes_within(60, _site_command, ["site", str(folder), "-o", str(output)])
    assert code == 1  # the files that do not load are reported, one located line each
    assert "Traceback" not in err
    assert all(re.match(r"\S+:\d+:\d+: ", line) for line in err.splitlines()), err[:2000]
    assert out.startswith(f"{output}: 1 post-mortem (")
    assert [path.name for path in (output / "incidents").iterdir()] == ["pm-2024-007.html"]


# The preview server


def test_the_preview_serves_the_site_on_localhost_and_lists_no_folder(site: Path) -> None:
    import functools
    from http.server import ThreadingHTTPServer

    from postmortem.site.serve import _SiteHandler

    handler = functools.partial(_SiteHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with urllib.request.urlopen(f"{base}/index.html") as response:
            assert b"Incident library" in response.read()
        for path in ("/incidents/", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path)
            assert refused.value.code == 404
        server.shutdown()


def test_the_preview_answers_a_link_out_a_fifo_or_a_nul_byte_not_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import functools
    from http.server import ThreadingHTTPServer

    from postmortem.site.serve import _SiteHandler

    (tmp_path / "secret.txt").write_text("not for the site", encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "out.html").symlink_to(tmp_path / "secret.txt")
    os.mkfifo(site / "fifo.html")
    handler = functools.partial(_SiteHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        for path in ("/out.html", "/fifo.html", "/a%00b.html"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=10)  # was a dropped connection
            assert refused.value.code == 404
        server.shutdown()
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("port", ["65536", "99999", "-1", "eighty"])
def test_a_port_out_of_range_is_a_usage_error_before_anything_is_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    output = tmp_path / "out"
    with pytest.raises(SystemExit) as exited:
        main(["site", str(EXAMPLES), "-o", str(output), "--serve", "--port", port])
    assert exited.value.code == 2
    assert "not a port" in capsys.readouterr().err
    assert not output.exists()


# In a real browser


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): no browser tests")
    return found


def _in_browser(url: str) -> tuple[str, list[str]]:
    """The DOM of ``url`` after its scripts ran, and what the page logged to the console."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr",
             "--v=0", "--virtual-time-budget=5000", "--dump-dom", url],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def _visible_rows(dom: str) -> list[str]:
    return re.findall(r'<tr data-doc="([^"]+)">', dom)


def test_chromium_filters_the_list_from_the_query_string(site: Path) -> None:
    dom, console = _in_browser((site / "index.html").as_uri() + "?q=KEY&severity=High")
    assert console == []
    shown = ["INC-2024-08-19-002", "INC-2024-0031"]  # INC-2024-06-03-001 says key: Critical
    assert _visible_rows(dom) == shown
    hidden = re.findall(r'<tr data-doc="([^"]+)" hidden="">', dom)
    assert sorted(hidden) == sorted(set(EXAMPLE_IDS) - set(shown))
    assert 'id="result-count" aria-live="polite">2 of 5 post-mortems<' in dom
    assert dom.count("<svg") == 3
    assert dom.count("<title id=") == 3
    assert re.search(r'<input [^>]*id="q"[^>]*>', dom)


def test_chromium_runs_no_hostile_script_and_logs_no_error(hostile_site: Path) -> None:
    page = next((hostile_site / "incidents").glob("con-*.html"))
    dom, console = _in_browser(page.as_uri())
    assert console == []
    assert "&lt;script&gt;alert('title')&lt;/script&gt;" in dom
    assert len(re.findall(r"<script", dom)) == 1
    assert not re.search(r"<(iframe|img|b)[\s>]", dom)


def test_chromium_reports_an_error_a_page_would_log(tmp_path: Path) -> None:
    """The console check above sees errors: a script that throws is logged."""
    (tmp_path / "a.js").write_text("null.boom;\n", encoding="utf-8")
    (tmp_path / "a.html").write_text('<!DOCTYPE html><script src="a.js"></script>', "utf-8")
    _, console = _in_browser((tmp_path / "a.html").as_uri())
    assert any("Uncaught TypeError" in line for line in console)


def test_the_docs_show_the_site_and_how_to_publish_it() -> None:
    docs = Path(__file__).resolve().parent.parent / "docs"
    page = (docs / "site.md").read_text(encoding="utf-8")
    pictures = re.findall(r"\]\((images/[^)]+\.png)\)", page)
    assert pictures == ["images/site-home.png", "images/site-document.png"]
    for picture in pictures:
        assert os.path.getsize(docs / picture) > 10_000, picture
    assert "\nsite\n" in (docs / "index.md").read_text(encoding="utf-8")
