"""The parse cache and the records of what each file held: a second run parses nothing and
opens no unchanged file, and nothing stale is ever served: not for a changed, renamed,
deleted or damaged document, a changed policy, a new day or another program."""

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import postmortem
from postmortem import cache, entry_store, facts, file_records, scanning, yaml_io
from postmortem.cli import main
from postmortem.model import ActionItem, ActionStatus, PostMortem
from postmortem.reports import index_rows, open_actions, scan, stats
from postmortem.runner import check_paths
from postmortem.yaml_io import Parsed, parse_with_positions
from tests.conftest import EXAMPLES, whole_documents
from tests.gitrepo import GitRepo, init_repo
from tests.strategies import documents

HOOKS = ("validate", "completeness", "classification")


@pytest.fixture(autouse=True)
def _forget_caches() -> Iterator[None]:
    """Each test starts as a new process would, and leaves no database open."""
    as_a_new_process()
    yield
    as_a_new_process()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A repository holding the examples under ``incidents/``, whose files count as
    unchanged as soon as they are read (the racy window closed, see ``file_records``)."""
    monkeypatch.setattr(file_records, "RACY_SECONDS", 0)
    repository = init_repo(tmp_path / "repo")
    for path in sorted(EXAMPLES.glob("*.yaml")):
        repository.write(f"incidents/{path.name}", path.read_text(encoding="utf-8"))
    monkeypatch.chdir(repository.root)
    return repository


def database(root: Path) -> Path:
    """The parse cache's database of the repository at ``root``."""
    (found,) = (root / ".git" / "postmortem" / "parse-cache").glob(f"*/{entry_store.DATABASE_NAME}")
    return found


def entries(root: Path) -> dict[str, bytes]:
    """The parse cache's entries of the repository at ``root``, each as written."""
    connection = sqlite3.connect(database(root))
    try:
        rows = connection.execute("SELECT key, body FROM entries").fetchall()
    finally:
        connection.close()
    return {key: zlib.decompress(body) for key, body in rows}


def replace_entries(root: Path, bodies: dict[str, bytes]) -> None:
    """Write ``bodies`` over the entries of those keys, as a forger would."""
    connection = sqlite3.connect(database(root), isolation_level=None)
    try:
        for key, body in bodies.items():
            connection.execute(
                "UPDATE entries SET body = ? WHERE key = ?", (zlib.compress(body), key)
            )
    finally:
        connection.close()


def records_file(root: Path) -> Path:
    (found,) = (root / ".git" / "postmortem" / "parse-cache").glob("*/files.json")
    return found


def as_a_new_process() -> None:
    """Forget the caches this process found, as a new run would not know them."""
    cache.close_caches()
    cache._MADE.clear()
    cache.cache_near.cache_clear()


def forbid(monkeypatch: pytest.MonkeyPatch, *targets: tuple[Any, str]) -> None:
    """Make each ``(module, name)`` fail the test if it is called."""

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("called on a warm run")

    for module, name in targets:
        monkeypatch.setattr(module, name, refuse)


def documents_in(directory: str = "incidents") -> list[str]:
    return sorted(str(path) for path in Path(directory).glob("*.yaml"))


def titles(directory: str = "incidents") -> dict[str, str]:
    return {Path(row.path).name: row.title for row in index_rows(scan(directory).documents)}


def test_a_second_run_parses_nothing_and_opens_no_unchanged_file(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = titles()
    findings = check_paths(documents_in(), HOOKS, today=date(2030, 1, 1))
    assert "PM206" in {finding.rule for finding in findings}  # located from the cache
    assert len(entries(repo.root)) == 5
    forbid(monkeypatch, (yaml_io, "parse_with_positions"), (scanning, "_read_files"))
    assert titles() == first
    assert check_paths(documents_in(), HOOKS, today=date(2030, 1, 1)) == findings


def test_runs_spread_over_processes_keep_every_entry(repo: GitRepo) -> None:
    text = (repo.root / "incidents" / "postmortem.yaml").read_text(encoding="utf-8")
    title = postmortem.loads(text).metadata.title
    for number in range(70):
        repo.write(f"many/pm-{number}.yaml", text.replace(title, f"{title} {number}", 1))
    paths = documents_in("many")
    findings = check_paths(paths, HOOKS, today=date(2030, 1, 1))  # one process per core
    assert len(entries(repo.root)) == 70
    assert check_paths(paths, HOOKS, today=date(2030, 1, 1)) == findings


def test_without_the_cache_nothing_is_read_from_it_or_kept(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["index", "incidents", "--no-cache", "--format", "json"]) == 0
    assert main(["check", "incidents", "--no-cache", "--today", "2024-01-01"]) in (0, 1)
    assert not (repo.root / ".git" / "postmortem").exists()
    titles()
    forbid(monkeypatch, (cache.ParseCache, "load"), (file_records.FileRecords, "known"))
    assert scan("incidents", use_cache=False).documents


def test_a_changed_document_is_read_again(repo: GitRepo) -> None:
    assert titles()["postmortem.yaml"] != "Changed"
    with postmortem.edit(repo.root / "incidents" / "postmortem.yaml") as doc:
        doc.metadata.title = "Changed"
        doc.action_items.append(ActionItem(action="New", owner="me", status=ActionStatus.OPEN))
    assert titles()["postmortem.yaml"] == "Changed"
    actions = open_actions(scan("incidents").documents)
    (added,) = [item for item in actions if item.action == "New"]
    lines = (repo.root / "incidents" / "postmortem.yaml").read_text(encoding="utf-8").splitlines()
    assert "New" in lines[added.line - 1]


def test_same_size_and_time_is_still_a_change(repo: GitRepo) -> None:
    path = repo.root / "incidents" / "postmortem.yaml"
    text = path.read_text(encoding="utf-8")
    old_title = postmortem.loads(text).metadata.title
    assert titles()["postmortem.yaml"] == old_title
    before = path.stat()
    new_title = "X" * len(old_title)
    path.write_text(text.replace(old_title, new_title, 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert titles()["postmortem.yaml"] == new_title


def test_a_file_changed_just_before_it_was_read_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    status = path.stat()
    changed = max(status.st_mtime_ns, status.st_ctime_ns)
    signature = file_records.file_signature(status)
    racy = file_records.FileRecord(signature, changed + 10**9, "digest", True)
    settled = file_records.FileRecord(signature, changed + 3 * 10**9, "digest", True)
    assert not racy.holds(status)
    assert settled.holds(status)
    path.write_text("a: 2\n", encoding="utf-8")
    assert not settled.holds(path.stat())


def test_renamed_and_deleted_documents(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    titles()
    (repo.root / "incidents" / "retrospective.yaml").rename(repo.root / "incidents" / "moved.yaml")
    (repo.root / "incidents" / "postmortem.yaml").unlink()
    forbid(monkeypatch, (yaml_io, "parse_with_positions"))  # the renamed text is known
    found = titles()
    assert "moved.yaml" in found
    assert not {"retrospective.yaml", "postmortem.yaml"} & set(found)
    kept = json.loads(records_file(repo.root).read_text(encoding="utf-8"))["records"]
    assert {Path(path).name for path in kept} == set(found)


def test_a_changed_ticket_url_reads_the_documents_again(repo: GitRepo) -> None:
    path = repo.root / "incidents" / "postmortem.yaml"
    doc = postmortem.load(path)
    doc.action_items[0].ticket = None
    text = postmortem.dumps(doc).replace("    action:", "    ticket: PLAT-7\n    action:", 1)
    path.write_text(text, encoding="utf-8")
    repository = scan("incidents")
    assert "postmortem.yaml" not in {Path(item.path).name for item in repository.documents}
    assert any("ticket_url" in problem.message for problem in repository.problems)
    (repo.root / ".postmortem.yaml").write_text(
        "ticket_url: https://jira.example.com/browse/{key}\n", encoding="utf-8"
    )
    tickets = [item.ticket for item in open_actions(scan("incidents").documents)]
    assert postmortem.Link(url="https://jira.example.com/browse/PLAT-7", label="PLAT-7") in tickets
    (repo.root / ".postmortem.yaml").write_text(
        "ticket_url: https://tracker.example.org/{key}\n", encoding="utf-8"
    )
    tickets = [item.ticket for item in open_actions(scan("incidents").documents)]
    assert postmortem.Link(url="https://tracker.example.org/PLAT-7", label="PLAT-7") in tickets


def test_findings_follow_the_policy_and_the_day_not_the_cache(repo: GitRepo) -> None:
    def rules(today: date) -> set[str]:
        return {finding.rule for finding in check_paths(documents_in(), HOOKS, today=today)}

    before = rules(date(2024, 1, 1))
    later = rules(date(2030, 1, 1))
    assert later - before  # deadlines passed: findings that the cached parse could not hold
    (repo.root / ".postmortem.yaml").write_text("ignore: [PM2, PM3, PM4]\n", encoding="utf-8")
    assert rules(date(2030, 1, 1)) <= {"PM101", "PM102", "PM501", "PM502", "PM601"}


def test_another_program_reads_nothing_of_this_ones_cache(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    titles()
    old_folder = database(repo.root).parent
    monkeypatch.setattr(cache, "_program_folder_name", lambda: "1-9.9.9-schema9-upgraded")
    as_a_new_process()
    scanning_calls: list[str] = []
    read_files = scanning._read_files

    def counted(paths: Any, use_cache: bool) -> Any:
        scanning_calls.extend(paths)
        return read_files(paths, use_cache)

    monkeypatch.setattr(scanning, "_read_files", counted)
    assert titles()
    assert len(scanning_calls) == 5
    assert old_folder.exists()  # used within the day: another run may still use it
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old_folder, (day_ago, day_ago))
    as_a_new_process()
    titles()  # every file known to its record: the next run tidies all the same
    assert not old_folder.exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: text.replace(b'"title":"', b'"title":"Forged ', 1),
        lambda text: b"",
        lambda text: b"\0\xff" + text,
        lambda text: b"[" * 100_000,
    ],
    ids=["truncated", "changed", "empty", "binary", "nested"],
)
def test_a_damaged_entry_is_discarded_and_read_again(repo: GitRepo, damage: Any) -> None:
    expected = titles()
    findings = check_paths(documents_in(), HOOKS, today=date(2030, 1, 1))
    replace_entries(repo.root, {key: damage(body) for key, body in entries(repo.root).items()})
    records_file(repo.root).unlink()
    as_a_new_process()
    assert titles() == expected
    assert check_paths(documents_in(), HOOKS, today=date(2030, 1, 1)) == findings


def test_an_entry_that_inflates_beyond_the_bound_is_not_read(tmp_path: Path) -> None:
    store = entry_store.EntryStore(tmp_path, max_bytes=1000)
    store.put("small", b"x" * 1000)
    store.put("large", b"x" * 1001)
    store.close()
    again = entry_store.EntryStore(tmp_path, max_bytes=1000)
    assert again.get("small") == b"x" * 1000
    assert again.get("large") is None
    again.close()


def test_a_planted_entry_too_large_to_be_one_is_not_even_loaded(tmp_path: Path) -> None:
    store = entry_store.EntryStore(tmp_path, max_bytes=1000)
    store.put("planted", b"x")
    store.close()
    connection = sqlite3.connect(tmp_path / entry_store.DATABASE_NAME, isolation_level=None)
    connection.execute("UPDATE entries SET body = ?", (os.urandom(20 * 2**20),))
    connection.close()
    tracemalloc.start()
    assert entry_store.EntryStore(tmp_path, max_bytes=1000).get("planted") is None
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2**20


def test_the_policy_folders_of_a_repository_share_its_cache(repo: GitRepo) -> None:
    for team in ("a", "b"):
        repo.write(f"{team}/.postmortem.yaml", "ticket_url: https://t.example.com/{key}\n")
    assert cache.cache_near(repo.root / "a") is cache.cache_near(repo.root / "b")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_a_run_over_many_repositories_keeps_few_databases_open(tmp_path: Path) -> None:
    text = (EXAMPLES / "retrospective.yaml").read_text(encoding="utf-8")
    for number in range(cache._MOST_IN_USE + 4):
        folder = init_repo(tmp_path / f"repo-{number}").root
        found = cache.cache_near(folder)
        assert found is not None
        cache.read_document(text, "x.yaml", ticket_url=None, cache=found)

    def open_databases() -> int:
        links = []
        for descriptor in os.listdir("/proc/self/fd"):
            with contextlib.suppress(FileNotFoundError):  # the listing's own, closed since
                links.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        return sum(link.endswith(entry_store.DATABASE_NAME) for link in links)

    assert 0 < open_databases() <= cache._MOST_IN_USE
    cache.close_caches()
    assert open_databases() == 0


def test_a_repository_whose_path_is_not_utf8_is_cached_too(tmp_path: Path) -> None:
    folder = tmp_path / os.fsdecode(b"incidents-\xff")
    repository = init_repo(folder)
    repository.write("pm.yaml", (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8"))
    findings = check_paths([str(folder / "pm.yaml")], HOOKS, today=date(2030, 1, 1))
    assert len(entries(folder)) == 1
    assert check_paths([str(folder / "pm.yaml")], HOOKS, today=date(2030, 1, 1)) == findings


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_no_database_is_open_when_the_process_forks(repo: GitRepo) -> None:
    found = cache.cache_near(repo.root)
    assert found is not None
    text = (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8")
    cache.read_document(text, "x.yaml", ticket_url=None, cache=found)
    store = found._entries()
    assert store is not None
    assert store._connection is not None
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    assert store._connection is None


def test_a_database_sqlite_may_only_read_is_made_anew(repo: GitRepo) -> None:
    expected = titles()
    path = database(repo.root)
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        companion.unlink(missing_ok=True)
    header = bytearray(path.read_bytes())
    header[18] = 3  # a write version this SQLite does not know: it opens the file read-only
    path.write_bytes(bytes(header))
    changed = repo.root / "incidents" / "postmortem.yaml"
    changed.write_text(changed.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    as_a_new_process()
    assert titles() == expected  # its entry cannot be written: the database is let go
    as_a_new_process()
    records_file(repo.root).unlink()
    titles()
    assert database(repo.root).read_bytes()[18] in (1, 2)  # made anew, SQLite writes to it
    assert len(entries(repo.root)) == 5


def test_a_forged_entry_with_good_checksums_is_checked_too(repo: GitRepo) -> None:
    expected = titles()
    records_file(repo.root).unlink()
    forged = {"parsed": '{"data":[1],"starts":[]}', "facts": '["not","facts"]'}
    replace_entries(
        repo.root, {key: cache._Entry.text(key, forged).encode() for key in entries(repo.root)}
    )
    as_a_new_process()
    assert titles() == expected
    assert check_paths(documents_in(), HOOKS, today=date(2030, 1, 1)) == check_paths(
        documents_in(), HOOKS, today=date(2030, 1, 1), use_cache=False
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"SQLite format 3\0" + b"\xff" * 5000),
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 3]),
        lambda path: path.write_text("not a database\n", encoding="utf-8"),
    ],
    ids=["garbage", "truncated", "text"],
)
def test_a_damaged_database_is_made_anew(repo: GitRepo, damage: Any) -> None:
    expected = titles()
    findings = check_paths(documents_in(), HOOKS, today=date(2030, 1, 1))
    path = database(repo.root)
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        companion.unlink(missing_ok=True)
    damage(path)
    records_file(repo.root).unlink()
    as_a_new_process()
    assert titles() == expected
    assert check_paths(documents_in(), HOOKS, today=date(2030, 1, 1)) == findings
    as_a_new_process()
    cache.close_caches()
    assert len(entries(repo.root)) == 5  # kept again


@pytest.mark.parametrize(
    "addition",
    [
        "CREATE TRIGGER spy AFTER INSERT ON entries BEGIN DELETE FROM entries; END",
        "CREATE VIEW other AS SELECT 1",
        "CREATE TABLE other (x)",
    ],
)
def test_a_database_with_anything_else_in_it_is_not_used(repo: GitRepo, addition: str) -> None:
    expected = titles()
    connection = sqlite3.connect(database(repo.root), isolation_level=None)
    connection.execute(addition)
    connection.close()
    records_file(repo.root).unlink()
    as_a_new_process()
    assert titles() == expected
    cache.close_caches()
    connection = sqlite3.connect(database(repo.root))
    schema = connection.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
    connection.close()
    assert schema == [("entries",), ("sqlite_autoindex_entries_1",)]  # replaced by a clean one


def test_damaged_records_are_ignored(repo: GitRepo) -> None:
    expected = titles()
    path = records_file(repo.root)
    content = json.loads(path.read_text(encoding="utf-8"))
    for value in content["records"].values():
        value[-1] = ["forged"]
    for garbage in (json.dumps(content), "{", json.dumps({"format": 1, "records": [1, 2]})):
        path.write_text(garbage, encoding="utf-8")
        assert titles() == expected


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.parametrize("kind", ["fifo", "link"])
def test_special_files_and_links_in_the_cache_are_not_followed(
    repo: GitRepo, tmp_path: Path, suffix: str, kind: str
) -> None:
    expected = titles()
    outside = tmp_path / "outside"
    outside.write_text("kept\n", encoding="utf-8")
    records_file(repo.root).unlink()
    path = database(repo.root)
    planted = path.with_name(path.name + suffix)
    planted.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(planted)
    else:
        planted.symlink_to(outside)
    as_a_new_process()
    assert titles() == expected  # no wait on the FIFO, no read or write through the link
    assert outside.read_text(encoding="utf-8") == "kept\n"
    cache.close_caches()
    assert database(repo.root).is_file()
    assert not database(repo.root).is_symlink()


def test_an_entry_folder_that_is_a_link_is_neither_read_nor_written(
    repo: GitRepo, tmp_path: Path
) -> None:
    expected = titles()
    records_file(repo.root).unlink()
    folder = database(repo.root).parent
    moved = tmp_path / "moved"
    folder.rename(moved)
    folder.symlink_to(moved, target_is_directory=True)
    held = {path.name: path.read_bytes() for path in moved.iterdir()}
    as_a_new_process()  # the cache's folders are checked again
    assert titles() == expected
    cache.close_caches()
    assert {path.name: path.read_bytes() for path in moved.iterdir()} == held


def test_outside_a_repository_the_users_cache_is_used(
    tmp_path: Path, user_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "pm.yaml").write_text(
        (EXAMPLES / "postmortem.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.chdir(folder)
    assert main(["check", "pm.yaml", "--today", "2024-01-01"]) in (0, 1)
    assert any((user_cache / "postmortem" / "parse-cache").rglob("*"))


def test_concurrent_cold_runs_agree(repo: GitRepo) -> None:
    command = [sys.executable, "-m", "postmortem", "index", "incidents", "--format", "json"]
    runs = [
        subprocess.Popen(command, cwd=repo.root, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [run.communicate()[0] for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert len(set(outputs)) == 1
    assert len(json.loads(outputs[0])) == 5
    assert (
        subprocess.run(command, cwd=repo.root, capture_output=True, text=True).stdout
        == (outputs[0])
    )


def test_data_that_looks_like_a_dates_mark_is_not_kept() -> None:
    looks_marked = Parsed({"a": [{"\0date": "2024-01-01"}]}, [1, 1])
    assert cache._encoded_parse(looks_marked) is None
    dated = Parsed({"a": [date(2024, 1, 1), datetime(2024, 1, 1, 9, tzinfo=timezone.utc)]}, [1, 1])
    encoded = cache._encoded_parse(dated)
    assert encoded is not None
    assert cache._decoded_parse(encoded).data == dated.data


@whole_documents
@given(documents)
def test_a_cached_parse_reads_back_as_the_parse(doc: PostMortem) -> None:
    text = postmortem.dumps(doc)
    parsed = parse_with_positions(text)
    encoded = cache._encoded_parse(parsed)
    assert encoded is not None
    again = cache._decoded_parse(encoded)
    assert _typed(again.data) == _typed(parsed.data)
    assert list(again.starts) == list(parsed.starts)
    assert postmortem.yaml_io.document_from_parsed(again, "x") == doc


@whole_documents
@given(documents)
def test_facts_read_back_as_they_were(doc: PostMortem) -> None:
    parsed = parse_with_positions(postmortem.dumps(doc))
    found = facts.facts_of(doc, lambda path: parsed.locate(path)[0])
    assert facts.facts_from_json(json.loads(json.dumps(facts.facts_to_json(found)))) == found


def _typed(value: Any) -> Any:
    """``value`` with every scalar paired with its type (``1 == True`` and a date equal to
    another in another zone are not the same data)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    offset = value.utcoffset() if hasattr(value, "utcoffset") else None
    return (type(value), value, offset)


def test_a_new_day_changes_overdue_actions_not_the_cached_facts(repo: GitRepo) -> None:
    first = open_actions(scan("incidents").documents)
    due = [item for item in first if item.due is not None]
    assert due
    latest = max(item.due for item in due if item.due)
    assert not any(item.overdue(latest - timedelta(days=3650)) for item in due)
    assert all(item.overdue(latest + timedelta(days=1)) for item in due)
    assert open_actions(scan("incidents").documents) == first


@whole_documents
@given(documents, st.data())
def test_facts_that_are_not_facts_are_refused(doc: PostMortem, data: st.DataObject) -> None:
    """Each value of a record's facts (or of its first open follow-up) replaced by a JSON
    value of any kind: the facts are refused with ValueError, or read as facts, with their
    follow-ups or without."""
    parsed = parse_with_positions(postmortem.dumps(doc))
    encoded = facts.facts_to_json(facts.facts_of(doc, lambda path: parsed.locate(path)[0]))
    hostile = st.none() | st.booleans() | st.integers() | st.text() | st.lists(st.integers())
    follow_ups = json.loads(encoded[18])
    if follow_ups and data.draw(st.booleans()):
        follow_ups[0][data.draw(st.integers(0, 7))] = data.draw(hostile)
        encoded[18] = json.dumps(follow_ups)
    else:
        encoded[data.draw(st.integers(0, 21))] = data.draw(hostile | st.just("[[1"))
    for listed in (True, False):
        try:
            read = facts.facts_from_json(encoded, follow_ups=listed)
        except ValueError:
            continue
        assert isinstance(read, facts.DocumentFacts)


@pytest.mark.parametrize("written", ["[]x", "[] ", " []", "[][]", "[]]"])
def test_open_follow_ups_with_text_beside_them_are_refused(written: str) -> None:
    known = facts.DocumentFacts(id="INC-1", title="Outage", profile="postmortem", status="Draft")
    encoded = facts.facts_to_json(known)
    assert facts.facts_from_json(encoded) == known
    encoded[18] = written
    with pytest.raises(ValueError, match=r"^(text after the JSON value|Expecting value)"):
        facts.facts_from_json(encoded)
    assert facts.facts_from_json(encoded, follow_ups=False) == known


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (19, "2024-03-08T09:40:00"),  # aware without a UTC offset: TypeError in stats
        (19, "2024-03-08"),
        (21, [["GDPR", "notification", "2024-03-10T16:00:00"]]),
        (9, "2024-03-02T03:14:00"),
        (10, -5),  # a negative duration: ValueError in stats and index
        (11, 10**20),  # longer than the calendar: OverflowError in stats
        (2, "no profile"),
        (3, "no status"),
        (4, None),  # a rank without a severity
        (6, "no incident status"),
        (7, "no label"),
        (16, 10**6),  # more follow-ups done than counted
        (17, 10**6),  # more open than there are
    ],
)
def test_facts_a_document_cannot_have_are_refused_and_read_again(
    repo: GitRepo, index: int, value: Any
) -> None:
    """A hand-edited record whose facts have the right types but values no document gives
    (a moment without a UTC offset, a negative duration, counts that do not add up, a name
    of no profile) is not trusted: the file is read again, and the views agree with a run
    without the cache."""
    today = date(2024, 3, 20)
    views = (
        lambda found: stats(found, today=today),
        index_rows,
        lambda found: open_actions(found, include_copies=True),
    )
    for view in views:
        expected = view(scan("incidents", use_cache=False).documents)
        scan("incidents")
        path = records_file(repo.root)
        content = json.loads(path.read_text(encoding="utf-8"))
        for record in content["records"].values():
            if record[-1] is not None:
                record[-1][index] = value
                with pytest.raises(ValueError, match=r"^not a"):
                    facts.facts_from_json(record[-1], follow_ups=False)
        path.write_text(json.dumps(content), encoding="utf-8")
        assert view(scan("incidents").documents) == expected


def test_views_that_count_follow_ups_agree_with_those_that_list_them(repo: GitRepo) -> None:
    listed = scan("incidents")
    counted = scan("incidents", follow_ups=False)
    assert any(item.facts.open_follow_ups for item in listed.documents)
    assert not any(item.facts.open_follow_ups for item in counted.documents)
    assert index_rows(counted.documents) == index_rows(listed.documents)
    assert stats(counted.documents) == stats(listed.documents)
