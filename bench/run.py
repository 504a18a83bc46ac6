"""Benchmarks, run by hand: ``python bench/run.py [--docs 1000] [--commits 5000] [--runs 3]``.

``python bench/run.py --corpus DIR`` measures the import instead, on a folder of real
Markdown post-mortems (see :func:`corpus_report`).

Install the peers first to compare with them: ``pip install -e '.[bench]'``.

Generates an incidents repository with git fast-import (documents of about 12 KB,
commits by several authors, renames among them), then prints one table: the median
wall time of each measurement over ``--runs`` runs, its ratio to the baseline named
beside it, and the peak memory of the measuring process. Each measurement runs in
a fresh process so that start-up costs count as a user would see them.
"""

import argparse
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import postmortem
from postmortem.model import (
    ActionItem,
    ActionStatus,
    Cause,
    Classification,
    Detection,
    DetectionMethod,
    DocumentStatus,
    Impact,
    Lessons,
    Lifecycle,
    Metadata,
    PostMortem,
    ProfileName,
    RootCause,
    Severity,
    Summary,
    Timeline,
    TimelineEvent,
)

AUTHORS = [
    ("Alice Adams", "alice@example.com"),
    ("Bob Brown", "bob@example.com"),
    ("Carol Chen", "carol@example.com"),
    ("Dan Diaz", "dan@example.com"),
]
START = datetime(2023, 1, 1, tzinfo=timezone.utc)


def make_document(number: int, rng: random.Random) -> PostMortem:
    """A realistic post-mortem of about 12 KB."""
    events = [
        TimelineEvent(
            time=START + timedelta(days=number, minutes=7 * step),
            event=f"Step {step}: " + " ".join(rng.choice(WORDS) for _ in range(14)),
            actor=rng.choice(AUTHORS)[0],
        )
        for step in range(40)
    ]
    actions = [
        ActionItem(
            action=f"Action {step}: " + " ".join(rng.choice(WORDS) for _ in range(8)),
            owner=rng.choice(AUTHORS)[0],
            due=date(2024, 1, 1) + timedelta(days=rng.randrange(300)),
            status=rng.choice(list(ActionStatus)),
        )
        for step in range(12)
    ]
    return PostMortem(
        profile=ProfileName.POSTMORTEM,
        metadata=Metadata(
            id=f"PM-{number:05d}",
            title=f"Incident {number}: " + " ".join(rng.choice(WORDS) for _ in range(6)),
            classification=Classification.INTERNAL,
            severity=rng.choice([Severity.P1, Severity.P2, Severity.P3]),
            lifecycle=Lifecycle(started=START + timedelta(days=number)),
        ),
        summary=Summary(text=" ".join(rng.choice(WORDS) for _ in range(120)) + "\n"),
        impact=Impact(
            users_affected=rng.randrange(10_000), duration=timedelta(minutes=rng.randrange(600))
        ),
        timeline=Timeline(events=events),
        root_cause=RootCause(
            causes=[Cause(description=" ".join(rng.choice(WORDS) for _ in range(40)))],
            contributing_factors=[" ".join(rng.choice(WORDS) for _ in range(10)) for _ in range(4)],
        ),
        action_items=actions,
    )


_WORD_LINES = (
    "database replica lag alert paging on-call rollback deploy certificate expired queue",
    "consumer backlog disk full rotation index cluster shard timeout retry customer",
    "checkout latency dashboard runbook mitigation credential token leaked revoke",
)
WORDS = tuple(word for line in _WORD_LINES for word in line.split())


def generate_repository(root: Path, documents: int, commits: int, seed: int = 1) -> list[Path]:
    """An incidents repository: ``documents`` files, ``commits`` commits (5% of them renames)."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    docs = [make_document(number, rng) for number in range(documents)]
    names = [f"incidents/{2023 + number % 2}/pm-{number:05d}.yaml" for number in range(documents)]
    stream: list[bytes] = []
    when = int(START.timestamp())

    def blob_command(path: str, text: str) -> None:
        data = text.encode()
        stream.append(f'M 100644 inline "{path}"\ndata {len(data)}\n'.encode() + data + b"\n")

    for index in range(commits):
        name, email = rng.choice(AUTHORS)
        when += rng.randrange(600, 7200)
        if index < documents:
            target = index
            message = f"Draft {names[target]}"
        else:
            target = rng.randrange(documents)
            message = f"Update {names[target]}"
        identity = f"{name} <{email}> {when} +0000"
        header = f"commit refs/heads/main\nauthor {identity}\ncommitter {identity}\n"
        changes: list[bytes] = []
        stream.append(header.encode())
        doc = docs[target]
        if index >= documents and rng.random() < 0.05:
            new_name = names[target].replace(".yaml", f"-r{index}.yaml")
            changes.append(f'R "{names[target]}" "{new_name}"\n'.encode())
            names[target] = new_name
            message = f"Rename {new_name}"
        elif index >= documents:
            change = rng.random()
            if change < 0.1:
                doc.metadata.status = DocumentStatus.FINAL
                doc.lessons = Lessons(went_well=["Paging worked"], went_wrong=["Slow rollback"])
                doc.detection = Detection(method=DetectionMethod.MONITORING)
            elif change < 0.5 and doc.action_items:
                item = rng.choice(doc.action_items)
                item.status = rng.choice(list(ActionStatus))
            else:
                assert doc.timeline is not None
                last = doc.timeline.events[-1].time
                assert isinstance(last, datetime)
                later = last + timedelta(minutes=rng.randrange(1, 90))
                words = " ".join(rng.choice(WORDS) for _ in range(9))
                doc.add_timeline_event(TimelineEvent(time=later, event=words))
        message_bytes = message.encode()
        stream.append(f"data {len(message_bytes)}\n".encode() + message_bytes + b"\n")
        stream.extend(changes)
        if not changes:
            blob_command(names[target], postmortem.dumps(doc))
        stream.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)
    return [root / name for name in names]


def measure(
    command: Sequence[str],
    cwd: Path,
    runs: int,
    codes: Collection[int] = (0, 1),
    timeout: float | None = None,
) -> tuple[float, float]:
    """Median seconds of ``command`` over ``runs`` runs, and its peak memory in MB; infinite
    seconds (and no peak) if a run is still going after ``timeout`` seconds (it is killed).
    A run that exits with a code other than ``codes`` raises RuntimeError."""
    times, peaks = [], []
    for _ in range(runs):
        wrapped = [sys.executable, "-c", PEAK_WRAPPER, *command]
        started = time.perf_counter()
        with subprocess.Popen(
            wrapped, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        ) as process:  # fmt: skip
            try:
                _, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the wrapper and the command
                process.communicate()
                return math.inf, 0.0
        times.append(time.perf_counter() - started)
        if process.returncode not in codes:
            raise RuntimeError(f"{command} exited {process.returncode}: {err[-2000:]}")
        peaks.append(float(err.strip().splitlines()[-1]))
    return statistics.median(times), max(peaks)


# Runs argv[1:] (a python -c snippet or a program), prints the child's peak RSS in MB and
# exits as the child did.
PEAK_WRAPPER = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, file=sys.stderr)
sys.exit(done.returncode)
"""


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def tool(name: str) -> str | None:
    """A command installed beside this Python (check-jsonschema, yamllint), if any."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def check_rows(root: Path, paths: list[Path], runs: int) -> list[tuple[str, float, float, str]]:
    relative = [str(path.relative_to(root)) for path in paths]
    rows = []
    imports, imports_peak = measure(python("import ruamel.yaml, attrs, cattrs"), root, runs)
    rows.append(
        ("python -c 'import ruamel.yaml, attrs, cattrs' (baseline)", imports, imports_peak, "1.00x")
    )
    for hook in ("postmortem-validate", "postmortem-completeness", "postmortem-classification"):
        command = tool(hook)
        if command is None:
            raise SystemExit(f"{hook} is not installed; pip install -e . first")
        seconds, peak = measure([command, relative[0], "--today", "2024-01-01"], root, max(runs, 5))
        rows.append((f"{hook}, 1 file", seconds, peak, f"{seconds / imports:.2f}x"))
    schema = root.parent / "postmortem.schema.json"
    schema.write_text(json.dumps(postmortem.json_schema()), encoding="utf-8")
    baseline = None
    check_jsonschema = tool("check-jsonschema")
    if check_jsonschema:
        baseline, peak = measure(
            [check_jsonschema, "--schemafile", str(schema), *relative], root, runs
        )
        rows.append((f"check-jsonschema, {len(paths)} files (baseline)", baseline, peak, "1.00x"))
    yamllint = tool("yamllint")
    if yamllint:
        seconds, peak = measure([yamllint, "-d", "relaxed", *relative], root, runs)
        ratio = f"{seconds / baseline:.2f}x" if baseline else "-"
        rows.append((f"yamllint, {len(paths)} files", seconds, peak, ratio))
    postmortem_command = tool("postmortem")
    assert postmortem_command is not None
    seconds, peak = measure(
        [postmortem_command, "check", "--today", "2024-01-01", *relative], root, runs
    )
    ratio = f"{seconds / baseline:.2f}x" if baseline else "-"
    rows.append((f"postmortem check (all rules), {len(paths)} files", seconds, peak, ratio))
    return rows


def throughput_rows(root: Path, paths: list[Path]) -> list[tuple[str, float, float, str]]:
    """Documents per second for load, dump, render and import, each in a fresh process that
    reports its own time (start-up left out) and peak memory."""
    listing = root / "documents.txt"
    listing.write_text("\n".join(str(path.relative_to(root)) for path in paths), encoding="utf-8")
    rows = []
    for kind in ("loads", "dumps", "render", "import"):
        result = subprocess.run(
            [sys.executable, "-c", THROUGHPUT, kind],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, peak = (float(part) for part in result.stdout.split())
        rate = f"{len(paths) / seconds:.0f} docs/s"
        rows.append((f"{kind}, {len(paths)} docs (in process)", seconds, peak, rate))
    return rows


# Times one kind of work over every document listed in documents.txt; prints seconds, peak MB.
THROUGHPUT = """
import pathlib, resource, sys, time
import postmortem
from postmortem.importer import import_markdown
from postmortem.render import render
kind = sys.argv[1]
names = pathlib.Path("documents.txt").read_text().split()
texts = [pathlib.Path(name).read_text() for name in names]
documents = [postmortem.loads(text) for text in texts] if kind != "loads" else []
markdown = [render(document) for document in documents] if kind == "import" else []
started = time.perf_counter()
if kind == "loads":
    for text in texts:
        postmortem.loads(text)
elif kind == "dumps":
    for document in documents:
        postmortem.dumps(document)
elif kind == "render":
    for document in documents:
        render(document)
else:
    for text in markdown:
        import_markdown(text)
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


HOSTILE_TIMEOUT = 30
"""Seconds after which a command on a hostile input is taken to hang, and killed."""


def hostile_rows(root: Path) -> list[tuple[str, float, float, str]]:
    """Each hostile input of the test suite (special files included), through every command
    that reads it: the slowest run and the largest peak memory (targets: 2 s and 200 MB;
    a run killed after HOSTILE_TIMEOUT seconds shows as inf). Hostile layouts go through
    ``render`` and the render hook, which must refuse them with exit 2."""
    checkout = str(Path(__file__).resolve().parent.parent)
    sys.path.insert(0, checkout)
    from tests.hostile import (
        LAYOUT_CASES,
        MARKDOWN_CASES,
        SPECIAL_CASES,
        YAML_CASES,
        write_layout_case,
    )

    folder = root / "hostile"
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    command = tool("postmortem")
    hook = tool("postmortem-render")
    assert command is not None
    assert hook is not None
    rows = []
    for name in [*YAML_CASES, *SPECIAL_CASES, *MARKDOWN_CASES]:
        subprocess.run(
            [sys.executable, "-c", HOSTILE_WRITER, str(folder), name],
            check=True,
            env={**os.environ, "PYTHONPATH": checkout},
        )
        if name.endswith(".md"):
            runs = [[command, "import", name, "--output", f"{name}.yaml"]]
        else:
            runs = [[command, verb, name] for verb in ("validate", "check", "render", "history")]
        verbs = "/".join(run[1] for run in runs)
        rows.append(_hostile_row(f"hostile {name} ({verbs})", runs, folder, (0, 1)))
    for name in LAYOUT_CASES:
        case = folder / "layouts" / name
        write_layout_case(case, name)
        runs = [[command, "render", "INC-1.yaml", "--no-git-history"], [hook, "INC-1.yaml"]]
        rows.append(_hostile_row(f"hostile layout {name} (render/hook)", runs, case, (2,)))
    return rows + hostile_git_rows(root, command)


def hostile_git_rows(root: Path, command: str) -> list[tuple[str, float, float, str]]:
    """The test suite's hostile file names and commits in one repository: ``history`` of
    every name through every commit, then ``check --staged`` of every name staged broken."""
    from tests.gitrepo import init_repo
    from tests.hostile import COMMITS, FILE_NAMES

    repo = init_repo(root / "hostile-git")
    text = (Path(__file__).resolve().parent.parent / "examples" / "postmortem.yaml").read_text(
        encoding="utf-8"
    )
    for number, commit in enumerate(COMMITS.values()):
        for name in FILE_NAMES.values():
            repo.write(name, text.replace("  title: ", f"  title: v{number} ", 1))
        repo.git("add", "-A")
        repo.commit_raw(commit)
    measured = {"history": measure([command, "history", "--format", "json", "."], repo.root, 1)}
    for name in FILE_NAMES.values():
        repo.write(name, "profile: [unclosed\n")
    repo.git("add", "-A")
    measured["check --staged"] = measure([command, "check", "--staged"], repo.root, 1)
    label = f"hostile git: {len(FILE_NAMES)} names, {len(COMMITS)} commits"
    return [
        _verdict(f"{label} ({verb})", seconds, peak) for verb, (seconds, peak) in measured.items()
    ]


def _hostile_row(
    label: str, runs: list[list[str]], cwd: Path, codes: Collection[int]
) -> tuple[str, float, float, str]:
    """The slowest of ``runs`` and the largest peak memory, against the targets."""
    measured = [measure(run, cwd, 1, codes, timeout=HOSTILE_TIMEOUT) for run in runs]
    seconds = max(seconds for seconds, _ in measured)
    peak = max(peak for _, peak in measured)
    return _verdict(label, seconds, peak)


def _verdict(label: str, seconds: float, peak: float) -> tuple[str, float, float, str]:
    """A hostile row against the targets of 2 s and 200 MB."""
    return label, seconds, peak, "ok" if seconds < 2 and peak < 200 else "MISSES"


# Writes one hostile case in a fresh process (building it here would swell measured peaks).
HOSTILE_WRITER = """
import pathlib, sys
from tests.hostile import write_case
write_case(pathlib.Path(sys.argv[1]), sys.argv[2])
"""


def history_rows(root: Path, paths: list[Path], runs: int) -> list[tuple[str, float, float, str]]:
    listing = root / "documents.txt"
    listing.write_text("\n".join(str(path.relative_to(root)) for path in paths), encoding="utf-8")
    batch = (
        "import pathlib, postmortem.history as h;"
        "paths = pathlib.Path('documents.txt').read_text().split('\\n');"
        "h.histories(paths, summaries={summaries})"
    )
    cache = root / ".git" / "postmortem"
    rows = []
    raw, raw_peak = measure(["git", "log", "--name-status", "-M"], root, runs)
    rows.append(("git log --name-status -M (baseline)", raw, raw_peak, "1.00x"))
    shutil.rmtree(cache, ignore_errors=True)
    cold, cold_peak = measure(python(batch.format(summaries=True)), root, 1)
    rows.append(
        (
            f"history, {len(paths)} docs, summaries, cold cache",
            cold,
            cold_peak,
            f"{cold / raw:.2f}x",
        )
    )
    warm, warm_peak = measure(python(batch.format(summaries=True)), root, runs)
    rows.append(
        (
            f"history, {len(paths)} docs, summaries, warm cache",
            warm,
            warm_peak,
            f"{warm / raw:.2f}x",
        )
    )
    plain, plain_peak = measure(python(batch.format(summaries=False)), root, runs)
    rows.append(
        (
            f"history, {len(paths)} docs, no summaries, warm",
            plain,
            plain_peak,
            f"{plain / raw:.2f}x",
        )
    )
    return rows


HELD_OUT_RULE = (
    "organisations sorted by name (the owner in SOURCES.tsv's repo column, else the file name"
    " up to its first '-'), the last third of them (rounded up) held out"
)
"""Which files of a corpus are held out of development: fixed before the vocabulary was
tuned, so that the held-out figures show how the import does on layouts it was not built on."""
SECURITY_PROFILES = frozenset(
    {ProfileName.SECURITY_POSTMORTEM, ProfileName.SECURITY_INCIDENT_REPORT}
)


def corpus_sources(folder: Path) -> dict[str, dict[str, str]]:
    """SOURCES.tsv of ``folder`` (one row per file: its repository and kind, ops or
    security), by file name; empty if there is none."""
    listing = folder / "SOURCES.tsv"
    if not listing.is_file():
        return {}
    lines = listing.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:] if line]
    return {row["file"]: row for row in rows}


def organisation(name: str, sources: dict[str, dict[str, str]]) -> str:
    repository = sources.get(name, {}).get("repo", "")
    return (repository.split("/")[0] if repository else name.split("-")[0]).lower()


def held_out(names: Sequence[str], sources: dict[str, dict[str, str]]) -> set[str]:
    """The files of the organisations :data:`HELD_OUT_RULE` holds out."""
    organisations = sorted({organisation(name, sources) for name in names})
    last = set(organisations[len(organisations) - math.ceil(len(organisations) / 3) :])
    return {name for name in names if organisation(name, sources) in last}


def corpus_report(folder: Path, runs: int) -> int:
    """Every ``*.md`` of ``folder`` imported: per file its profile, the share of its words
    typed (in a field of their meaning) and kept (shown again on render), and the median
    import time over ``runs``; then the totals for all files, the development two thirds and
    the held-out third (:data:`HELD_OUT_RULE`), with the precision and recall of the security
    profiles where SOURCES.tsv gives each file's kind."""
    from postmortem.importer import import_markdown
    from postmortem.importer.coverage import Coverage, coverage
    from postmortem.render import render

    sources = corpus_sources(folder)
    paths = sorted(folder.glob("*.md"))
    held = held_out([path.name for path in paths], sources)
    import_markdown("# Warm-up\n\n## Summary\n\nx\n")
    rows = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            imported = import_markdown(text, path.name)
            times.append(time.perf_counter() - started)
        measured = coverage(text, imported.document, imported.sections, render(imported.document))
        kind = sources.get(path.name, {}).get("kind", "")
        unmapped = sum(field is None for _, field in imported.sections)
        rows.append((path.name, path.name in held, imported.document.profile, kind, measured,
                     statistics.median(times), unmapped))  # fmt: skip
    width = max(len(row[0]) for row in rows)
    print(f"{'file':<{width}}  set   {'profile':<24}  kind      typed    kept     time  unmapped")
    for name, is_held, profile, kind, measured, seconds, unmapped in rows:
        print(
            f"{name:<{width}}  {'held' if is_held else 'dev ':4}  {profile.value:<24}  {kind:<8}"
            f"  {measured.typed_share:6.1%}  {measured.kept_share:6.1%}  {seconds * 1000:5.0f}ms"
            f"  {unmapped:8d}"
        )
    print(f"\nheld out: {HELD_OUT_RULE}")
    groups = {
        "all": rows,
        "development": [row for row in rows if not row[1]],
        "held out": [row for row in rows if row[1]],
    }
    for group, chosen in groups.items():
        total = sum((row[4] for row in chosen), Coverage(0, 0, 0))
        given = [row for row in chosen if row[2] in SECURITY_PROFILES]
        right = [row for row in given if row[3] == "security"]
        incidents = [row for row in chosen if row[3] == "security"]
        operations = [row for row in chosen if row[3] == "ops"]
        print(
            f"{group}: {len(chosen)} files, {total.words} words, typed {total.typed_share:.1%},"
            f" kept {total.kept_share:.1%}, slowest {max(row[5] for row in chosen):.2f}s;"
            f" security profile for {len(right)}/{len(incidents)} security incidents and"
            f" {len(given) - len(right)}/{len(operations)} operations incidents"
            f" (precision {f'{len(right) / len(given):.0%}' if given else '-'})"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    parser.add_argument(
        "--corpus",
        type=Path,
        metavar="DIR",
        help="measure the import on the Markdown post-mortems in DIR, and nothing else",
    )
    parser.add_argument(
        "--sections",
        default="check,history,throughput,hostile",
        help="comma-separated: check, history, throughput, hostile",
    )
    args = parser.parse_args(argv)
    if args.corpus is not None:
        return corpus_report(args.corpus, args.runs)
    workdir = Path(tempfile.mkdtemp(prefix="postmortem-bench-"))
    try:
        started = time.perf_counter()
        paths = generate_repository(workdir / "repo", args.docs, max(args.commits, args.docs))
        elapsed = time.perf_counter() - started
        print(f"generated {args.docs} documents, {args.commits} commits in {elapsed:.1f}s")
        sections = set(args.sections.split(","))
        rows = [
            *(check_rows(workdir / "repo", paths, args.runs) if "check" in sections else []),
            *(history_rows(workdir / "repo", paths, args.runs) if "history" in sections else []),
            *(throughput_rows(workdir / "repo", paths) if "throughput" in sections else []),
            *(hostile_rows(workdir) if "hostile" in sections else []),
        ]
        width = max(len(row[0]) for row in rows)
        print(f"{'measurement':<{width}}  {'median s':>9}  {'ratio':>14}  {'peak MB':>8}")
        for name, seconds, peak, ratio in rows:
            memory = f"{peak:8.1f}" if peak else "       -"
            print(f"{name:<{width}}  {seconds:9.3f}  {ratio:>14}  {memory}")
    finally:
        if args.keep:
            print(f"repository kept at {workdir / 'repo'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
