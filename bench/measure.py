"""Timing a command as a user runs it (in a fresh process, start-up included) and the peak
memory of all its processes together."""

import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Collection, Sequence
from pathlib import Path


def measure(
    command: Sequence[str],
    cwd: Path,
    runs: int,
    codes: Collection[int] = (0, 1),
    timeout: float | None = None,
    before: "Sequence[Path] | None" = None,
) -> tuple[float, float]:
    """Median seconds of ``command`` over ``runs`` runs, and the peak memory in MB of all its
    processes together (worker processes summed); infinite seconds (and no peak) if a run
    is still going after ``timeout`` seconds (it is killed). Each path in ``before`` is
    removed before each run (a cache, for a cold run). A run that exits with a code other
    than ``codes`` raises RuntimeError."""
    times, peaks = [], []
    for _ in range(runs):
        for path in before or ():
            shutil.rmtree(path, ignore_errors=True)
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


# Runs argv[1:] (a python -c snippet or a program) and prints, in MB, the peak of the summed
# resident memory of its processes (sampled every 10 ms from /proc, where there is one) or
# the largest one's peak, whichever is more; exits as the child did.
PEAK_WRAPPER = """
import os, resource, subprocess, sys, time
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
page = os.sysconf("SC_PAGE_SIZE")
me = os.getpid()
summed = 0
def resident():
    total = 0
    for name in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != me:  # the session: the wrapper started it
                continue
            with open(f"/proc/{name}/statm") as statm:
                total += int(statm.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            pass
    return total
while child.poll() is None:
    summed = max(summed, resident())
    time.sleep(0.01)
largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(max(summed, largest) / 2**20, file=sys.stderr)
sys.exit(child.returncode)
"""


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def tool(name: str) -> str | None:
    """A command installed beside this Python (check-jsonschema, yamllint), if any."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def entry_point(module: str, function: str) -> list[str]:
    """A console script's command as pip writes it, for one this environment may lack."""
    return python(f"import sys; from {module} import {function}; sys.exit({function}())")
