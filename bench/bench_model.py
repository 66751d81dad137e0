"""Benchmark: the vectorised model, and workbook generation.

    python bench/bench_model.py [--families 100000]

Times ``simulate`` on a structure-wide scenario (3 grids, N families, drawn
like the sample) and ``generate`` of a 3-grid workbook of 2,000 families;
best of several runs, with peak memory (tracemalloc) of one run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from timing import best_of, peak_mb  # bench/ is on sys.path when a script here runs

from workbook_engine.formats.sample import make_sample
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import generate_workbook


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)

    big = make_sample(args.families, seed=7)
    rows = []
    t = best_of(lambda: simulate(big), args.repeat)
    rows.append((f"simulate 3 grids x {args.families:,} families", t, peak_mb(lambda: simulate(big)), 1.0))

    small = make_sample(2000, seed=7)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.xlsx"
        t = best_of(lambda: generate_workbook(small, out), max(1, args.repeat // 2))
        rows.append(("generate 3 grids x 2,000 families", t, peak_mb(lambda: generate_workbook(small, out)), None))

    print(f"{'task':<44}{'seconds':>10}{'peak MB':>10}{'vs 1 s target':>15}")
    for name, secs, mb, target in rows:
        ratio = f"{secs / target:.2f}x" if target else "-"
        print(f"{name:<44}{secs:>10.3f}{mb:>10.1f}{ratio:>15}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
