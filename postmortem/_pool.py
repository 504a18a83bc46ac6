"""The worker processes that spread many files over the cores."""

import gc
from concurrent.futures import ProcessPoolExecutor

__all__ = ["process_pool"]


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, each of which leaves what it starts with to the cycle
    collector no more (:func:`gc.freeze`: the modules and what the parent held are no
    garbage of the work, and the collector walked them again and again, a tenth of a cold
    check) and collects as usual what the work makes (a view pauses the collector in its
    own process)."""
    return ProcessPoolExecutor(workers, initializer=_start)


def _start() -> None:
    gc.enable()
    gc.freeze()
