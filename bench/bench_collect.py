"""Benchmark: collecting a federation's workbooks (``collect``).

    python bench/bench_collect.py [--workbooks 500] [--jobs N] [--dir DIR]

Generates N workbooks of 3 grids x 300 families (``make_sample(300,
seed=i)``, default capacity of 2,000 family rows), then times
``collect_network`` on the first N/5 and on all N, on every core (``--jobs``
to change). Prints seconds, workbooks per second, and the ratio of the time
per workbook at N to that at N/5 (1.0 = perfectly linear).

``--dir`` keeps the generated workbooks there and reuses them next time
(generation costs about as much as collection). Besides wall time, the CPU
time of all processes is given: on a busy machine it still tells what the
run would take on free cores.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import timing  # noqa: F401 - bench/ is on sys.path when a script here runs; puts this checkout first

from workbook_engine.federation.collect import collect_network
from workbook_engine.federation.parallel import available_cores, run_parallel
from workbook_engine.formats.sample import make_sample
from workbook_engine.workbook.generate import generate_workbook

FAMILIES = 300


def _generate(job: tuple[int, Path]) -> None:
    seed, path = job
    generate_workbook(make_sample(FAMILIES, seed=seed), path)


def _cpu() -> float:
    """CPU seconds of this process and of its finished workers."""
    return sum(
        resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )


def timed_collect(paths: list[Path], jobs: int | None) -> tuple[float, float]:
    """Wall and CPU seconds (CPU time is what a busy machine does not distort)."""
    t, cpu = time.perf_counter(), _cpu()
    network = collect_network(paths, workers=jobs)
    seconds, cpu = time.perf_counter() - t, _cpu() - cpu
    bad = network.totals["workbooks"] - network.totals["workbooks_ok"]
    if bad:
        print(f"  attention : {bad} classeur(s) non cohérents", file=sys.stderr)
    return seconds, cpu


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workbooks", type=int, default=500)
    p.add_argument("--jobs", type=int, default=None, help="processes (default: every core)")
    p.add_argument("--dir", type=Path, help="keep the generated workbooks here and reuse them")
    args = p.parse_args(argv)
    n, small = args.workbooks, max(1, args.workbooks // 5)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f"ecole-{i:04d}.xlsx" for i in range(n)]
        missing = [(i, path) for i, path in enumerate(paths) if not path.exists()]
        t = time.perf_counter()
        run_parallel(_generate, missing, workers=args.jobs)
        if missing:
            print(f"generated {len(missing)} workbooks in {time.perf_counter() - t:.1f} s")

        cores = args.jobs or available_cores()
        t_small = timed_collect(paths[:small], args.jobs)
        t_all = timed_collect(paths, args.jobs)

    print(f"collect, 3 grids x {FAMILIES} families per workbook, {cores} process(es), native evaluator")
    print(f"{'workbooks':>10}{'seconds':>10}{'workbooks/s':>13}{'s/workbook':>12}{'CPU s/workbook':>16}")
    for count, (secs, cpu) in ((small, t_small), (n, t_all)):
        print(f"{count:>10}{secs:>10.1f}{count / secs:>13.2f}{secs / count:>12.3f}{cpu / count:>16.3f}")
    (s_wall, s_cpu), (a_wall, a_cpu) = t_small, t_all
    print(
        f"linearity: time per workbook at {n} / at {small} = {(a_wall / n) / (s_wall / small):.2f} (wall), "
        f"{(a_cpu / n) / (s_cpu / small):.2f} (CPU)"
    )
    print(
        f"500 workbooks: {a_wall / n * 500:.0f} s at this rate; {a_cpu / n * 500 / cores:.0f} s on {cores} "
        f"free core(s) from the CPU time (target, issue 21: under 40 s on 2 cores)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
