"""What the benchmarks run on: distinct post-mortems of about 12 KB, an incidents
repository of them written with git fast-import, and single large inputs."""

import random
import subprocess
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

_WORD_LINES = (
    "database replica lag alert paging on-call rollback deploy certificate expired queue",
    "consumer backlog disk full rotation index cluster shard timeout retry customer",
    "checkout latency dashboard runbook mitigation credential token leaked revoke",
)
WORDS = tuple(word for line in _WORD_LINES for word in line.split())


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def make_document(number: int, rng: random.Random, events: int = 40) -> PostMortem:
    """A realistic post-mortem, distinct from every other: about 12 KB with 40 events, its
    lifecycle from start to resolution, and action items addressing its causes."""
    started = START + timedelta(days=number)
    moments = [started]
    for _ in range(4):  # detected, acknowledged, mitigated, resolved
        moments.append(moments[-1] + timedelta(minutes=rng.randrange(1, 240)))
    causes = [Cause(id=f"C{step + 1}", description=words(rng, 20)) for step in range(2)]
    timeline = [
        TimelineEvent(
            time=START + timedelta(days=number, minutes=7 * step),
            event=f"Step {step}: {words(rng, 14)}",
            actor=rng.choice(AUTHORS)[0],
        )
        for step in range(events)
    ]
    actions = [
        ActionItem(
            id=f"F{step + 1}",
            action=f"Action {step}: {words(rng, 8)}",
            owner=rng.choice(AUTHORS)[0],
            due=date(2024, 1, 1) + timedelta(days=rng.randrange(300)),
            status=rng.choice(list(ActionStatus)),
            addresses=[f"C{rng.randrange(len(causes)) + 1}"],
        )
        for step in range(12)
    ]
    return PostMortem(
        profile=ProfileName.POSTMORTEM,
        metadata=Metadata(
            id=f"PM-{number:05d}",
            title=f"Incident {number}: {words(rng, 6)}",
            classification=Classification.INTERNAL,
            severity=rng.choice([Severity.P1, Severity.P2, Severity.P3]),
            lifecycle=Lifecycle(
                started=moments[0],
                detected=moments[1],
                acknowledged=moments[2],
                mitigated=moments[3],
                resolved=moments[4],
            ),
        ),
        summary=Summary(text=words(rng, 120) + "\n"),
        impact=Impact(
            users_affected=rng.randrange(10_000), duration=timedelta(minutes=rng.randrange(600))
        ),
        timeline=Timeline(events=timeline),
        root_cause=RootCause(
            causes=causes,
            contributing_factors=[words(rng, 10) for _ in range(4)],
        ),
        action_items=actions,
    )


def _change(doc: PostMortem, rng: random.Random) -> None:
    """One edit as people make them: a status, an action item's progress, or an event."""
    change = rng.random()
    if change < 0.1:
        doc.metadata.status = DocumentStatus.FINAL
        doc.lessons = Lessons(went_well=["Paging worked"], went_wrong=["Slow rollback"])
        doc.detection = Detection(method=DetectionMethod.MONITORING)
    elif change < 0.5 and doc.action_items:
        rng.choice(doc.action_items).status = rng.choice(list(ActionStatus))
    else:
        assert doc.timeline is not None
        last = doc.timeline.events[-1].time
        assert isinstance(last, datetime)
        later = last + timedelta(minutes=rng.randrange(1, 90))
        doc.add_timeline_event(TimelineEvent(time=later, event=words(rng, 9)))


def generate_repository(root: Path, documents: int, commits: int, seed: int = 1) -> list[Path]:
    """An incidents repository: ``documents`` distinct files, ``commits`` commits (the first
    adds each document, the rest change one each, 5% of them renames), streamed into git
    fast-import as they are made. The paths of the documents at the end."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    docs: dict[int, PostMortem] = {}
    names = [f"incidents/{2023 + number % 2}/pm-{number:05d}.yaml" for number in range(documents)]
    when = int(START.timestamp())
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    for index in range(max(commits, documents)):
        name, email = rng.choice(AUTHORS)
        when += rng.randrange(600, 7200)
        target = index if index < documents else rng.randrange(documents)
        if index < documents:
            docs[target] = make_document(target, rng)
            message, change = f"Draft {names[target]}", b""
        elif rng.random() < 0.05:
            new_name = names[target].replace(".yaml", f"-r{index}.yaml")
            message = f"Rename {new_name}"
            change = f'R "{names[target]}" "{new_name}"\n'.encode()
            names[target] = new_name
        else:
            _change(docs[target], rng)
            message, change = f"Update {names[target]}", b""
        if not change:
            data = postmortem.dumps(docs[target]).encode()
            path = names[target]
            change = f'M 100644 inline "{path}"\ndata {len(data)}\n'.encode() + data + b"\n"
        identity = f"{name} <{email}> {when} +0000"
        body = message.encode()
        importer.stdin.write(
            f"commit refs/heads/main\nauthor {identity}\ncommitter {identity}\n".encode()
            + f"data {len(body)}\n".encode()
            + body
            + b"\n"
            + change
            + b"\n"
        )
    importer.stdin.close()
    if importer.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)
    return [root / name for name in names]


def large_document(size: int, seed: int = 2) -> PostMortem:
    """A document of about ``size`` bytes written: one of :func:`make_document`'s with as
    many more timeline events as that takes."""
    guess = max(40, size // 200)
    written = len(postmortem.dumps(make_document(0, random.Random(seed), events=guess)))
    return make_document(0, random.Random(seed), events=max(40, guess * size // written))
