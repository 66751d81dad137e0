"""Timing helpers shared by the benchmark scripts.

Importing this module puts this checkout first on ``sys.path``: a benchmark
measures the code beside it, not an older copy installed with ``pip install .``.
The tests folder follows it: the helpers that serve only tests and benchmarks
(``cached_cells``, ``libreoffice_recalc``) live there, out of the package.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
if str(CHECKOUT) not in sys.path[:1]:
    sys.path.insert(0, str(CHECKOUT))
if str(CHECKOUT / "tests") not in sys.path:
    sys.path.insert(1, str(CHECKOUT / "tests"))


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
