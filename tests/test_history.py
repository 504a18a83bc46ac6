"""Version history from real git repositories: authors, dates, renames, merges, edge cases."""

import json
import os
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

import postmortem
from postmortem import PostMortemError
from postmortem.cli import main
from postmortem.gitcmd import ObjectReader
from postmortem.history import document_history, histories, number_versions
from postmortem.model import (
    ActionItem,
    ActionStatus,
    Cause,
    DocumentStatus,
    Metadata,
    PostMortem,
    ProfileName,
    RootCause,
    TimelineEvent,
)
from tests.gitrepo import GitRepo, init_repo

pytestmark = pytest.mark.usefixtures("git_env")

ALICE = "Alice Adams <alice@example.com>"
BOB = "Bob Brown <bob@example.com>"
CAROL = "Carol Chen <carol@example.com>"


def draft(title: str = "Disk full on db-1") -> PostMortem:
    return PostMortem(
        profile=ProfileName.POSTMORTEM,
        metadata=Metadata(id="PM-1", title=title),
        action_items=[
            ActionItem(action="Rotate signing keys", owner="sec", status=ActionStatus.OPEN)
        ],
    )


def event(hour: int, text: str) -> TimelineEvent:
    return TimelineEvent(time=datetime(2024, 5, 1, hour, tzinfo=timezone.utc), event=text)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return init_repo(tmp_path / "incidents")


@pytest.fixture
def lifecycle(repo: GitRepo) -> GitRepo:
    """A document written by three people: drafted, extended, finalised, then updated."""
    doc = draft()
    repo.write("pm/disk.yaml", doc)
    repo.commit("Draft the disk post-mortem", author=ALICE, date="2024-05-01T10:00:00+02:00")
    doc.add_timeline_event(event(9, "Disk alert"))
    doc.add_timeline_event(event(10, "Volume extended"))
    repo.write("pm/disk.yaml", doc)
    repo.commit("Add timeline", author=BOB, date="2024-05-02T11:30:00-05:00")
    doc.metadata.status = DocumentStatus.FINAL
    doc.root_cause = RootCause(causes=[Cause(description="Log rotation was disabled")])
    repo.write("pm/disk.yaml", doc)
    repo.commit("Finalise", author=CAROL, date="2024-05-03T09:00:00+00:00")
    doc.action_items[0].status = ActionStatus.COMPLETED
    repo.write("pm/disk.yaml", doc)
    repo.commit(
        "Keys rotated\n\nCo-authored-by: Dan Diaz <dan@example.com>",
        author=ALICE,
        date="2024-05-10T08:00:00+09:00",
    )
    return repo


def test_versions_dates_authors_and_summaries(lifecycle: GitRepo) -> None:
    found = document_history(lifecycle.root / "pm/disk.yaml")
    assert [version.commit for version in found.versions] == lifecycle.follow("pm/disk.yaml")
    assert [version.number for version in found.versions] == ["0.1", "0.2", "1.0", "1.1"]
    assert [version.author for version in found.versions] == [
        "Alice Adams",
        "Bob Brown",
        "Carol Chen",
        "Alice Adams",
    ]
    assert found.versions[1].date == datetime(
        2024, 5, 2, 11, 30, tzinfo=timezone(timedelta(hours=-5))
    )
    assert found.versions[1].date.utcoffset() == timedelta(hours=-5)
    assert [version.summary for version in found.versions] == [
        "created",
        "+2 timeline events",
        "status Draft -> Final; root cause filled in",
        "action item 'Rotate signing keys' Open -> Completed",
    ]
    assert found.created == found.versions[0].date
    assert found.last_updated == datetime(2024, 5, 10, 8, tzinfo=timezone(timedelta(hours=9)))
    assert found.current_version == "1.1"
    assert found.contributors == ("Alice Adams", "Bob Brown", "Carol Chen", "Dan Diaz")
    assert not found.truncated


def test_mailmap_merges_identities(lifecycle: GitRepo) -> None:
    lifecycle.write(
        ".mailmap",
        "Alice Adams <alice@example.com> <alice@old.example.com>\nDaniel Diaz <dan@example.com>\n",
    )
    doc = postmortem.load(lifecycle.root / "pm/disk.yaml")
    doc.metadata.title = "Disk full on db-1 and db-2"
    lifecycle.write("pm/disk.yaml", doc)
    lifecycle.commit(
        "Widen title", author="A. Adams <alice@old.example.com>", date="2024-05-11T08:00:00+00:00"
    )
    found = document_history(lifecycle.root / "pm/disk.yaml")
    assert found.versions[-1].author == "Alice Adams"
    assert found.contributors == ("Alice Adams", "Bob Brown", "Carol Chen", "Daniel Diaz")


def test_renames_are_followed_like_git_log_follow(repo: GitRepo) -> None:
    repo.write("drafts/db.yaml", draft())
    repo.commit("Draft")
    repo.git("mv", "drafts/db.yaml", "drafts/db outage.yaml")
    repo.commit("Rename with a space", date="2024-05-02T10:00:00+00:00")
    (repo.root / "2024").mkdir()
    repo.git("mv", "drafts/db outage.yaml", "2024/panne de base de données é.yaml")
    repo.commit("Move, non-ASCII name", date="2024-05-03T10:00:00+00:00")
    moved = "2024/panne de base de données é.yaml"
    doc = postmortem.load(repo.root / moved)
    (repo.root / moved).unlink()
    doc.metadata.title = "Database outage"
    repo.write("2024/db-outage.yaml", doc)
    repo.commit("Rename and edit", date="2024-05-04T10:00:00+00:00")
    found = document_history(repo.root / "2024/db-outage.yaml")
    assert [version.commit for version in found.versions] == repo.follow("2024/db-outage.yaml")
    assert [version.path for version in found.versions] == [
        "drafts/db.yaml",
        "drafts/db outage.yaml",
        moved,
        "2024/db-outage.yaml",
    ]
    assert found.versions[1].summary == "no content change"
    assert found.versions[3].summary == "title Disk full on db-1 -> Database outage"


def test_merge_commits(repo: GitRepo) -> None:
    repo.write("pm.yaml", draft())
    repo.commit("Draft")
    repo.git("checkout", "-q", "-b", "review")
    doc = draft()
    doc.metadata.status = DocumentStatus.IN_REVIEW
    repo.write("pm.yaml", doc)
    repo.commit("Ready for review", author=BOB, date="2024-05-02T10:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.write("other.txt", "unrelated\n")
    repo.commit("Unrelated work", date="2024-05-03T10:00:00+00:00")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge review",
        "review",
        env={
            "GIT_COMMITTER_DATE": "2024-05-04T10:00:00+00:00",
            "GIT_AUTHOR_DATE": "2024-05-04T10:00:00+00:00",
        },
    )
    found = document_history(repo.root / "pm.yaml")
    assert [version.commit for version in found.versions] == repo.follow("pm.yaml")
    assert [version.summary for version in found.versions] == [
        "created",
        "status Draft -> In Review",
    ]


def test_detached_head_sees_history_up_to_that_commit(lifecycle: GitRepo) -> None:
    commits = lifecycle.follow("pm/disk.yaml")
    lifecycle.git("checkout", "-q", "--detach", commits[1])
    found = document_history(lifecycle.root / "pm/disk.yaml")
    assert [version.commit for version in found.versions] == commits[:2]


def test_shallow_clone_says_history_is_truncated(lifecycle: GitRepo, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{lifecycle.root}", str(clone)], check=True
    )
    found = document_history(clone / "pm/disk.yaml")
    assert found.truncated
    assert len(found.versions) == 2
    assert [version.number for version in found.versions] == ["1.0", "1.1"]


def test_unreadable_version_is_kept_and_said(repo: GitRepo) -> None:
    repo.write("pm.yaml", draft())
    repo.commit("Draft")
    repo.write("pm.yaml", "profile: postmortem\nmetadata: [broken\n")
    repo.commit("Oops", date="2024-05-02T10:00:00+00:00")
    doc = draft()
    doc.metadata.title = "Fixed"
    repo.write("pm.yaml", doc)
    repo.commit("Repair the file", date="2024-05-03T10:00:00+00:00")
    found = document_history(repo.root / "pm.yaml")
    assert len(found.versions) == 3
    assert found.versions[1].summary.startswith("could not be read: YAML: ")
    assert found.versions[2].summary == "Repair the file"
    assert [version.number for version in found.versions] == ["0.1", "0.2", "0.3"]


def test_uncommitted_changes_are_a_pending_entry(lifecycle: GitRepo) -> None:
    path = lifecycle.root / "pm/disk.yaml"
    with postmortem.edit(path) as doc:
        doc.add_action_item(ActionItem(action="Add disk alerts", owner="ops", due=date(2024, 6, 1)))
    found = document_history(path)
    assert found.versions[-1].pending
    assert found.versions[-1].number == "1.2"
    assert found.versions[-1].summary == "action item 'Add disk alerts' added"
    assert found.current_version == "1.1"


def test_never_committed_file_and_empty_repository(repo: GitRepo) -> None:
    new = repo.write("new.yaml", draft())
    assert document_history(new).versions == ()
    repo.write("other.txt", "x")
    repo.commit("Something else", paths=("other.txt",))
    assert document_history(new).versions == ()


def test_outside_any_repository_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lone = tmp_path / "lone.yaml"
    lone.write_text(postmortem.dumps(draft()), encoding="utf-8")
    with pytest.raises(PostMortemError, match="not inside a git repository"):
        document_history(lone)
    assert main(["history", str(lone)]) == 2
    assert capsys.readouterr().err.strip() == f"postmortem: {lone}: not inside a git repository"


def test_batch_uses_a_fixed_number_of_git_processes(
    lifecycle: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(5):
        lifecycle.write(f"pm/other-{number}.yaml", draft(f"Other {number}"))
    lifecycle.commit("Five more", date="2024-06-01T10:00:00+00:00")
    processes: list[list[str]] = []
    real_popen = subprocess.Popen

    def counting(args: list[str], *rest: Any, **options: Any) -> Any:
        processes.append(args)
        return real_popen(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", counting)
    document_history(lifecycle.root / "pm/disk.yaml")
    one = len(processes)
    assert one > 0
    processes.clear()
    paths = [lifecycle.root / "pm/disk.yaml", *sorted((lifecycle.root / "pm").glob("other-*.yaml"))]
    found = histories(paths)
    assert len(processes) == one
    assert all(len(found[str(path)].versions) >= 1 for path in paths)


def test_second_run_reads_no_blobs(lifecycle: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    first = document_history(lifecycle.root / "pm/disk.yaml")
    reads: list[str] = []
    real_read, real_read_many = ObjectReader.read, ObjectReader.read_many

    def counting(self: ObjectReader, object_id: str, limit: int) -> bytes | None:
        reads.append(object_id)
        return real_read(self, object_id, limit)

    def counting_many(self: ObjectReader, object_ids: Any, limit: int) -> list[bytes | None]:
        reads.extend(object_ids)
        return real_read_many(self, object_ids, limit)

    monkeypatch.setattr(ObjectReader, "read", counting)
    monkeypatch.setattr(ObjectReader, "read_many", counting_many)
    assert document_history(lifecycle.root / "pm/disk.yaml") == first
    assert reads == []
    (lifecycle.root / ".git" / "postmortem").rename(lifecycle.root / "cache-moved-away")
    assert document_history(lifecycle.root / "pm/disk.yaml") == first
    assert reads


def test_write_stores_the_history_and_changes_nothing_else(lifecycle: GitRepo) -> None:
    path = lifecycle.root / "pm/disk.yaml"
    original = path.read_text(encoding="utf-8")
    assert main(["history", "--write", str(path)]) == 0
    doc = postmortem.load(path)
    assert [entry.version for entry in doc.history] == ["0.1", "0.2", "1.0", "1.1"]
    assert doc.history[2].changes == "status Draft -> Final; root cause filled in"
    assert doc.metadata.version == "1.1"
    assert doc.metadata.created == datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    text = path.read_text(encoding="utf-8")
    assert "# history: generated from git by `postmortem history --write`" in text
    assert attrs.evolve(
        doc,
        history=[],
        metadata=attrs.evolve(doc.metadata, version=None, created=None, updated=None),
    ) == postmortem.loads(original)
    assert main(["history", "--write", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == text


def test_cli_formats(lifecycle: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(lifecycle.root / "pm/disk.yaml")
    assert main(["history", path]) == 0
    markdown = capsys.readouterr().out
    assert "| Version | Date | Author | Changes |" in markdown
    row = (
        "| 1.0 | 2024-05-03 09:00 +0000 | Carol Chen | status Draft -> Final; root cause filled in"
    )
    assert row in markdown
    assert main(["history", path, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["version"] == "1.1"
    assert [version["author"] for version in data[0]["versions"]][:2] == [
        "Alice Adams",
        "Bob Brown",
    ]
    assert main(["history", path, "--format", "yaml"]) == 0
    assert "version: '1.1'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("statuses", "numbers"),
    [
        (["Draft", "Draft", "Final", "Final"], ["0.1", "0.2", "1.0", "1.1"]),
        (["Final"], ["1.0"]),
        (["Draft", "Final", "Draft", "Final", "Final"], ["0.1", "1.0", "1.1", "2.0", "2.1"]),
        (["Draft", None, "Final", None], ["0.1", "0.2", "1.0", "1.1"]),
        (["In Review", "Final"], ["0.1", "1.0"]),
    ],
)
def test_version_numbers_follow_the_status(statuses: list[str | None], numbers: list[str]) -> None:
    assert number_versions(statuses) == numbers


def test_old_versions_are_read_with_the_ticket_url_and_cached_per_pattern(repo: GitRepo) -> None:
    text = "profile: postmortem\nmetadata: {id: PM-1, title: Disk full}\n"
    text += "action_items:\n  - action: Add disk alerts\n    ticket: OPS-12\n"
    path = repo.write("pm/disk.yaml", text)
    repo.commit("Draft")
    repo.write("pm/disk.yaml", text.replace("Disk full", "Disk full on db-1"))
    repo.commit("Retitle")
    unlinked = document_history(path)
    assert all(version.summary.startswith("could not be read") for version in unlinked.versions)
    linked = document_history(path, ticket_url="https://tickets.example.com/{key}")
    assert [version.summary for version in linked.versions] == [
        "created",
        "title Disk full -> Disk full on db-1",
    ]


WRITTEN_BY_HAND = """\
# Disk full on db-1
schema_version: 1
profile: postmortem
metadata:
  id: PM-2
  title: Disk full on db-1
  status: Draft   # Final once reviewed
  authors: [{name: Alice Adams}]

summary:
  text: The log volume filled up.

action_items:
  - action: Rotate logs
    owner: sre
    status: Open
    # the ticket is still to be filed

# who receives it
distribution:
  recipients: [SRE]
"""

WITH_HISTORY = """\
# Disk full on db-1
schema_version: 1
profile: postmortem
metadata:
  id: PM-2
  title: Disk full on db-1
  status: Final   # Final once reviewed
  authors: [{name: Alice Adams}]
  version: '1.0'
  created: 2024-05-01 10:00:00+02:00
  updated: 2024-05-03 09:00:00+00:00

summary:
  text: The log volume filled up.

action_items:
  - action: Rotate logs
    owner: sre
    status: Open
    # the ticket is still to be filed

# history: generated from git by `postmortem history --write`; edits here are replaced
history:
  - version: '0.1'
    date: 2024-05-01 10:00:00+02:00
    author: Alice Adams
    changes: created
  - version: '1.0'
    date: 2024-05-03 09:00:00+00:00
    author: Bob Brown
    changes: status Draft -> Final

# who receives it
distribution:
  recipients: [SRE]
"""


def test_write_gives_the_yaml_a_person_would_write(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Block style, the model's key order, each date written out (no anchors), comments
    and blank lines where the person had them, the note above the generated table."""
    path = repo.write("pm/disk.yaml", WRITTEN_BY_HAND)
    repo.commit("Draft", author=ALICE, date="2024-05-01T10:00:00+02:00")
    repo.write("pm/disk.yaml", WRITTEN_BY_HAND.replace("status: Draft ", "status: Final "))
    repo.commit("Finalise", author=BOB, date="2024-05-03T09:00:00+00:00")
    assert main(["history", "--write", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == WITH_HISTORY
    assert capsys.readouterr().out == f"{path}: history written (2 versions)\n"
    assert main(["history", "--write", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == WITH_HISTORY
    assert capsys.readouterr().out == f"{path}: history already current (2 versions)\n"


def test_many_documents_are_read_in_one_process_per_core_as_in_one(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers' histories and what they add to the cache are those of one process."""
    for number in range(6):
        doc = draft(f"Incident {number}")
        repo.write(f"pm/{number}.yaml", doc)
        repo.commit(f"Draft {number}", date=f"2024-05-0{number + 1}T10:00:00+00:00")
        doc.add_timeline_event(event(number + 1, "Alert"))
        if number % 2:
            doc.metadata.status = DocumentStatus.FINAL
        repo.write(f"pm/{number}.yaml", doc)
        repo.commit(f"Extend {number}", date=f"2024-05-0{number + 2}T10:00:00+00:00")
    paths = [repo.root / f"pm/{number}.yaml" for number in range(6)]
    one = histories(paths)
    cache = repo.root / ".git" / "postmortem" / "history-cache-v1.json"
    alone = json.loads(cache.read_text(encoding="utf-8"))
    cache.unlink()
    monkeypatch.setattr(postmortem.history, "_PARALLEL_FROM", 2)
    monkeypatch.setattr(postmortem.history.os, "cpu_count", lambda: 2)
    assert histories(paths) == one
    assert json.loads(cache.read_text(encoding="utf-8")) == alone
    assert {found.versions[-1].number for found in one.values()} == {"0.2", "1.0"}


def test_a_hostile_history_cache_is_neither_waited_on_nor_followed(
    lifecycle: GitRepo, tmp_path: Path
) -> None:
    first = document_history(lifecycle.root / "pm/disk.yaml")
    cache = lifecycle.root / ".git" / "postmortem" / "history-cache-v1.json"
    cache.unlink()
    os.mkfifo(cache)
    assert document_history(lifecycle.root / "pm/disk.yaml") == first  # no wait on the FIFO
    cache.unlink()
    outside = tmp_path / "outside.json"
    outside.write_text("kept\n", encoding="utf-8")
    cache.symlink_to(outside)
    assert document_history(lifecycle.root / "pm/disk.yaml") == first
    assert outside.read_text(encoding="utf-8") == "kept\n"
