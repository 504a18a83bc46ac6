"""Benchmarks, run by hand: ``python bench/run.py [--docs 1000] [--commits 5000] [--runs 3]``.

``python bench/run.py --corpus DIR`` measures the import instead, on a folder of real
Markdown post-mortems (see :func:`corpus_report`).

Install the peers first to compare with them: ``pip install -e '.[bench]'``.

Generates an incidents repository with git fast-import (distinct documents of about 12 KB,
commits by several authors, renames among them), then prints one table: the median wall
time of each measurement over ``--runs`` runs, its ratio to the baseline named beside it
(measured in the same run: the machine's load changes both), and the peak memory of all
its processes together. Each command runs in a fresh process, so that start-up costs
count as a user would see them; "cold" runs start with no cache, "warm" ones are second
runs; throughput is measured in process.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Sequence
from pathlib import Path

from generate import generate_repository, large_document
from measure import entry_point, measure, python, tool

import postmortem
from postmortem.model import ProfileName

Row = tuple[str, float, float, str]


def _cache(root: Path) -> Path:
    return root / ".git" / "postmortem"


def _ratio(seconds: float, baseline: float | None, target: str = "") -> str:
    if not baseline:
        return "-"
    return f"{seconds / baseline:.2f}x" + (f" ({target})" if target else "")


def check_rows(root: Path, paths: list[Path], runs: int, peers: bool) -> list[Row]:
    """The hooks on one file against bare imports; ``postmortem check`` on every file, cold
    and warm, against check-jsonschema (target 0.15x) and yamllint."""
    relative = [str(path.relative_to(root)) for path in paths]
    rows = []
    imports, imports_peak = measure(python("import ruamel.yaml, attrs, cattrs"), root, runs)
    rows.append(("python -c 'import ruamel.yaml, attrs, cattrs' (baseline)", imports,
                 imports_peak, "1.00x"))  # fmt: skip
    hooks = [
        (f"postmortem-{name}", entry_point("postmortem.hooks", name))
        for name in ("validate", "completeness", "classification", "check")
    ]
    for name, command in hooks:
        seconds, peak = measure(
            [*command, relative[0], "--today", "2024-01-01"], root, max(runs, 5)
        )
        rows.append((f"{name}, 1 file", seconds, peak, _ratio(seconds, imports)))
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
    if yamllint and peers:
        seconds, peak = measure([yamllint, "-d", "relaxed", *relative], root, runs)
        rows.append((f"yamllint, {len(paths)} files", seconds, peak, _ratio(seconds, baseline)))
    command = [*_postmortem(), "check", "--today", "2024-01-01", *relative]
    label = f"postmortem check (all rules), {len(paths)} files"
    seconds, peak = measure(command, root, runs, before=[_cache(root)])
    rows.append((f"{label}, cold", seconds, peak, _ratio(seconds, baseline, "target 0.15x")))
    seconds, peak = measure(command, root, runs)
    rows.append((f"{label}, warm", seconds, peak, _ratio(seconds, baseline, "target 0.15x")))
    return rows


def _postmortem() -> list[str]:
    return entry_point("postmortem.cli", "main")


def view_rows(root: Path, paths: list[Path], runs: int) -> list[Row]:
    """``index``, ``stats`` and ``actions`` of the whole repository, cold and warm, against one
    ``validate`` of one file (target for a warm run: 4x, and 200 MB summed over workers)."""
    one = str(paths[0].relative_to(root))
    baseline, peak = measure([*_postmortem(), "validate", one], root, max(runs, 5))
    rows = [("postmortem validate, 1 file (baseline)", baseline, peak, "1.00x")]
    for view in ("index", "stats", "actions"):
        command = [*_postmortem(), view, "incidents", "--format", "json"]
        label = f"postmortem {view}, {len(paths)} docs"
        seconds, peak = measure(command, root, 1, before=[_cache(root)])
        rows.append((f"{label}, cold", seconds, peak, _ratio(seconds, baseline)))
        seconds, peak = measure(command, root, runs)
        rows.append((f"{label}, warm", seconds, peak, _ratio(seconds, baseline, "target 4x")))
    return rows


def hook_rows(root: Path, paths: list[Path], runs: int) -> list[Row]:
    """pre-commit on a one-file change: the three checking hooks (three processes) and the
    ``postmortem-check`` hook (one), against pre-commit running one hook (target: 2x)."""
    pre_commit = tool("pre-commit")
    if pre_commit is None:
        return []
    configs = {
        "postmortem-validate alone (baseline)": ["validate"],
        "the three checking hooks": ["validate", "completeness", "classification"],
        "the postmortem-check hook": ["check"],
        "the postmortem-check hook and render": ["check", "render"],
    }
    home = root.parent / "pre-commit-home"
    one = str(paths[0].relative_to(root))
    rows: list[Row] = []
    baseline = None
    for label, names in configs.items():
        config = root.parent / f"pre-commit-{len(rows)}.yaml"
        hooks = "".join(
            f"      - id: {name}\n        name: {name}\n        language: system\n"
            f"        entry: {sys.executable} -c 'import sys; from postmortem.hooks import"
            f" {name}; sys.exit({name}())'\n        types: [yaml]\n"
            + ("        args: [--today, '2024-01-01']\n" if name != "render" else "")
            for name in names
        )
        config.write_text(f"repos:\n  - repo: local\n    hooks:\n{hooks}", encoding="utf-8")
        command = [pre_commit, "run", "-c", str(config), "--files", one]
        os.environ["PRE_COMMIT_HOME"] = str(home)
        seconds, peak = measure(command, root, max(runs, 3))
        baseline = baseline or seconds
        target = "target 2x" if "postmortem-check" in label else ""
        rows.append(
            (f"pre-commit, 1 file, {label}", seconds, peak, _ratio(seconds, baseline, target))
        )
    return rows


def history_rows(root: Path, paths: list[Path], runs: int) -> list[Row]:
    """Batch history of 1,000 documents (all, if fewer) against one raw ``git log``
    (target for a cold run with summaries: 10x)."""
    chosen = paths[:1000]
    listing = root.parent / "history-documents.txt"
    listing.write_text("\n".join(str(path.relative_to(root)) for path in chosen), encoding="utf-8")
    batch = (
        "import pathlib, sys, postmortem.history as h;"
        "paths = pathlib.Path(sys.argv[1]).read_text().split('\\n');"
        "h.histories(paths, summaries={summaries})"
    )
    raw, raw_peak = measure(["git", "log", "--name-status", "-M"], root, runs)
    rows = [("git log --name-status -M (baseline)", raw, raw_peak, "1.00x")]
    label = f"history, {len(chosen)} docs"
    summaries = [*python(batch.format(summaries=True)), str(listing)]
    cold, cold_peak = measure(summaries, root, 1, before=[_cache(root)])
    rows.append((f"{label}, summaries, cold", cold, cold_peak, _ratio(cold, raw, "target 10x")))
    warm, warm_peak = measure(summaries, root, runs)
    rows.append((f"{label}, summaries, warm", warm, warm_peak, _ratio(warm, raw)))
    plain = [*python(batch.format(summaries=False)), str(listing)]
    seconds, peak = measure(plain, root, runs)
    rows.append((f"{label}, no summaries, warm", seconds, peak, _ratio(seconds, raw)))
    return rows


def throughput_rows(root: Path, paths: list[Path]) -> list[Row]:
    """Documents per second for load, dump (target 500/s), render and import, over 1,000
    documents (all, if fewer), each in a fresh process that reports its own time (start-up
    left out) and peak memory."""
    listing = root.parent / "throughput-documents.txt"
    listing.write_text("\n".join(str(path) for path in paths[:1000]), encoding="utf-8")
    rows = []
    for kind in ("loads", "dumps", "render", "import"):
        result = subprocess.run(
            [sys.executable, "-c", THROUGHPUT, kind, str(listing)],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, peak = (float(part) for part in result.stdout.split())
        count = min(len(paths), 1000)
        target = " (target 500)" if kind == "dumps" else ""
        rows.append(
            (
                f"{kind}, {count} docs (in process)",
                seconds,
                peak,
                f"{count / seconds:.0f} docs/s{target}",
            )
        )
    return rows


# Times one kind of work over every document listed in argv[2]; prints seconds, peak MB.
THROUGHPUT = """
import pathlib, resource, sys, time
import postmortem
from postmortem.importer import import_markdown
from postmortem.render import render
kind = sys.argv[1]
names = pathlib.Path(sys.argv[2]).read_text().split("\\n")
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


def large_rows(workdir: Path) -> list[Row]:
    """``edit()`` of a 4 MB document (target 2 s) and the import of a 440 KB Markdown table
    (target 1 s), each timed in its own process, start-up left out."""
    folder = workdir / "large"
    folder.mkdir()
    big = large_document(4 * 1024 * 1024)
    (folder / "big.yaml").write_text(postmortem.dumps(big), encoding="utf-8")
    from postmortem.render import render

    wanted = 440 * 1024  # the size of the table the target names
    rendered = len(render(large_document(wanted)).encode())
    table = render(large_document(wanted * wanted // rendered))
    (folder / "table.md").write_text(table, encoding="utf-8")
    rows = []
    for kind, label in (
        ("edit", "edit() of a 4 MB document, one field"),
        ("import", "import of a 440 KB Markdown table"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", LARGE, kind], cwd=folder, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        seconds, peak, size = (float(part) for part in result.stdout.split())
        target = "target 2 s" if kind == "edit" else "target 1 s"
        rows.append((f"{label} ({size / 1024:.0f} KB)", seconds, peak, target))
    return rows


# One large input's work, timed in process; prints seconds, peak MB and the input's size.
LARGE = """
import os, resource, sys, time
import postmortem
from postmortem.importer import import_markdown
kind = sys.argv[1]
if kind == "edit":
    started = time.perf_counter()
    with postmortem.edit("big.yaml") as doc:
        doc.metadata.title = "Renamed"
    size = os.path.getsize("big.yaml")
else:
    text = open("table.md", encoding="utf-8").read()
    started = time.perf_counter()
    import_markdown(text)
    size = len(text.encode())
seconds = time.perf_counter() - started
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, size)
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


SECTIONS = ("check", "views", "hooks", "history", "throughput", "large", "hostile")


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
        "--sections", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}"
    )
    parser.add_argument(
        "--no-yamllint", action="store_true", help="leave out yamllint (minutes at 10,000 files)"
    )
    args = parser.parse_args(argv)
    if args.corpus is not None:
        return corpus_report(args.corpus, args.runs)
    sections = set(args.sections.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="postmortem-bench-"))
    root = workdir / "repo"
    try:
        started = time.perf_counter()
        paths = generate_repository(root, args.docs, max(args.commits, args.docs))
        elapsed = time.perf_counter() - started
        print(f"generated {args.docs} documents, {args.commits} commits in {elapsed:.1f}s")
        time.sleep(2)  # files changed in the clock tick they are read in are read again
        rows = [
            *(
                check_rows(root, paths, args.runs, not args.no_yamllint)
                if "check" in sections
                else []
            ),
            *(view_rows(root, paths, args.runs) if "views" in sections else []),
            *(hook_rows(root, paths, args.runs) if "hooks" in sections else []),
            *(history_rows(root, paths, args.runs) if "history" in sections else []),
            *(throughput_rows(root, paths) if "throughput" in sections else []),
            *(large_rows(workdir) if "large" in sections else []),
            *(hostile_rows(workdir) if "hostile" in sections else []),
        ]
        width = max(len(row[0]) for row in rows)
        print(f"{'measurement':<{width}}  {'median s':>9}  {'ratio':>20}  {'peak MB':>8}")
        for name, seconds, peak, ratio in rows:
            memory = f"{peak:8.1f}" if peak else "       -"
            print(f"{name:<{width}}  {seconds:9.3f}  {ratio:>20}  {memory}")
    finally:
        if args.keep:
            print(f"repository kept at {root}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
