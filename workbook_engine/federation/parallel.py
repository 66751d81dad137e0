"""Run one function over many files on all cores, results in input order,
with a one-line progress count on a terminal.

Used by the federation commands (``batch`` writes, ``collect`` reads hundreds
of workbooks). Each item is independent, so the run time grows linearly with
the number of items; results come back in the order of the items whatever
the order the workers finish in, so outputs are deterministic.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Sequence, TextIO, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """Cores this process may run on (a container may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Progress:
    """``label : 12/500 (2 %)`` rewritten in place on a terminal; silent
    otherwise (a log file must not fill with carriage returns)."""

    def __init__(self, label: str, total: int, enabled: bool, stream: TextIO | None = None):
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0
        self.done = 0
        self._shown = -1

    def step(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        percent = 100 * self.done // self.total
        # Redraw at most once per percent: a pipe to a slow terminal stays cheap.
        if percent != self._shown or self.done == self.total:
            self._shown = percent
            self.stream.write(f"\r{self.label} : {self.done}/{self.total} ({percent} %)")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


def show_progress(quiet: bool) -> bool:
    """Progress is for a person watching: only when both outputs are terminals."""
    return not quiet and sys.stderr.isatty() and sys.stdout.isatty()


def run_parallel(func: Callable[[T], R], items: Sequence[T], *, workers: int | None = None,
                 label: str = "", progress: bool = False) -> list[R]:
    """``[func(x) for x in items]`` on ``workers`` processes (default: every
    core). ``func`` must be a module-level function and must not raise for
    bad input: it returns its failure as a value, so one bad file never stops
    the run."""
    items = list(items)
    workers = max(1, min(workers or available_cores(), len(items) or 1))
    bar = Progress(label, len(items), progress)
    if workers == 1:
        out = []
        for item in items:
            out.append(func(item))
            bar.step()
        return out
    results: list = [None] * len(items)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(func, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            bar.step()
    return results
