"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import time
import tracemalloc


def best_of(fn, repeat: int) -> float:
    """The best wall time of ``repeat`` runs of ``fn``, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def peak_mb(fn) -> float:
    """Peak Python allocations (tracemalloc) of one run of ``fn``, in MB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
