"""Run one function over many files on all cores, results in input order,
with a progress bar (tqdm) on a terminal.

Used by the federation commands (``batch`` writes, ``collect`` reads hundreds
of workbooks). Each item is independent, so the run time grows linearly with
the number of items; results come back in the order of the items whatever
the order the workers finish in, so outputs are deterministic.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """Cores this process may run on (a container may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


BAR_FORMAT = "{desc} : {n_fmt}/{total_fmt} ({percentage:.0f} %) |{bar}| {elapsed}, reste {remaining}"


def progress_bar(label: str, total: int, enabled: bool, stream: TextIO | None = None) -> tqdm:
    """``label : 12/500 (2 %) |█    | 00:05, reste 03:20`` redrawn in place on
    ``stream`` (default: stderr), at most ten times a second; when not
    ``enabled``, or with nothing to do, a bar that writes nothing (a log file
    must not fill with carriage returns). Advance it with ``update()``; use it
    as a context manager, or ``close()`` it."""
    return tqdm(
        total=total,
        desc=label,
        file=stream if stream is not None else sys.stderr,
        disable=not enabled or total == 0,
        bar_format=BAR_FORMAT,
        dynamic_ncols=True,
    )


def show_progress(quiet: bool) -> bool:
    """Progress is for a person watching: not with ``--quiet``, and only when
    stderr, where the bar is drawn, is a terminal."""
    return not quiet and sys.stderr.isatty()


def run_parallel(
    func: Callable[[T], R], items: Sequence[T], *, workers: int | None = None, label: str = "", progress: bool = False
) -> list[R]:
    """``[func(x) for x in items]`` on ``workers`` processes (default: every
    core). ``func`` must be a module-level function and must not raise for
    bad input: it returns its failure as a value, so one bad file never stops
    the run."""
    items = list(items)
    workers = max(1, min(workers or available_cores(), len(items) or 1))
    with progress_bar(label, len(items), progress) as bar:
        if workers == 1:
            out = []
            for item in items:
                out.append(func(item))
                bar.update()
            return out
        results: dict[int, R] = {}  # item index -> its result, as the results come
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_start)
        try:
            futures = {pool.submit(func, item): i for i, item in enumerate(items)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update()
        except BaseException:
            # Ctrl-C, SIGTERM or a failure: stop at once, not after the files
            # already queued (a collection ran on for 17 s after Ctrl-C).
            _stop(pool)
            raise
        pool.shutdown()
    return [results[i] for i in range(len(items))]


def _worker_start() -> None:
    """Workers leave Ctrl-C to the parent (which stops them): no traceback
    from each of them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:  # a worker halfway through a big file is not waited for
        p.terminate()
    for p in processes:
        p.join(timeout=5)
