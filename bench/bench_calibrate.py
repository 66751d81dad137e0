"""Benchmark: calibration of 3 grids x 2,000 families (the sample's structure).

    python bench/bench_calibrate.py [--families 2000] [--repeat 3]

Times ``calibrate`` under typical option sets (best of several runs) and the
writing of the proposed workbook with its report sheets; the target is a few
seconds at most.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from timing import best_of  # bench/ is on sys.path when a script here runs

from workbook_engine.calibrate import CalibrationOptions, GridConstraints, calibrate, calibration_sheets
from workbook_engine.formats.sample import make_sample
from workbook_engine.workbook.generate import generate_workbook

CASES = (
    ("amounts, step 5", CalibrationOptions(GridConstraints(step=5))),
    ("amounts, ratio 3", CalibrationOptions(GridConstraints(step=5, max_ratio=3))),
    (
        "amounts, ratio 3, old tariff kept in C",
        CalibrationOptions(GridConstraints(step=5, max_ratio=3, keep_old_tariff="C")),
    ),
    ("6 quantile brackets, ratio 4", CalibrationOptions(GridConstraints(step=5, max_ratio=4), brackets=6)),
    ("top split at 20 %, ratio 4", CalibrationOptions(GridConstraints(step=5, max_ratio=4), split_top_share=0.2)),
    ("ceiling 900 (target out of reach)", CalibrationOptions(GridConstraints(step=5, ceiling=900))),
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)

    scenario = make_sample(args.families)
    print(f"{'calibrate 3 grids x ' + format(args.families, ',') + ' families':<48}{'seconds':>10}  statuses")
    for name, options in CASES:
        t = best_of(lambda o=options: calibrate(scenario, o), args.repeat)
        statuses = ", ".join(g.status for g in calibrate(scenario, options).grids)
        print(f"  {name:<46}{t:>10.3f}  {statuses}")
    cal = calibrate(scenario, CASES[2][1])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "calibrated.xlsx"
        t = best_of(
            lambda: generate_workbook(cal.proposed, out, reports=calibration_sheets(cal)), max(1, args.repeat // 2)
        )
    print(f"  {'write the proposed workbook + report sheets':<46}{t:>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
