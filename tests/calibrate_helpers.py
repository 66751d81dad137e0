"""Independent checks for the calibration tests: the constraints, the
tolerance and the effort spread, re-implemented from their documented
definitions on ``simulate``'s results (not with the module's own code)."""

from __future__ import annotations

import math

import numpy as np

from workbook_engine.calibrate import GridConstraints
from workbook_engine.model.domain import Grid, Scenario
from workbook_engine.model.simulate import simulate


def broken_constraints(grid: Grid, c: GridConstraints) -> list[str]:
    """What a proposed grid breaks, checked from scratch."""
    amounts = [t.amount for t in grid.tranches]
    kept = None
    out = []
    if c.keep_old_tariff is not None:
        kept = [t.label for t in grid.tranches].index(c.keep_old_tariff)
        if amounts[kept] != grid.old_tariff:
            out.append("kept")
    step_cents = round(c.step * 100)
    for i, a in enumerate(amounts):
        cents = a * 100
        if i != kept and (abs(cents - round(cents)) > 1e-6 or round(cents) % step_cents):
            out.append(f"step {a}")
        if a < max(c.floor or 0.0, c.step) - 1e-9:
            out.append(f"floor {a}")
        if c.ceiling is not None and a > c.ceiling + 1e-9:
            out.append(f"ceiling {a}")
    if any(x > y for x, y in zip(amounts, amounts[1:])):
        out.append("monotone")
    if c.max_ratio is not None and not (amounts[0] > 0 and amounts[-1] / amounts[0] <= c.max_ratio + 1e-9):
        out.append("ratio")
    return out


def grid_pupils(s: Scenario, g: int) -> int:
    return sum(f.pupils[g] for f in s.families)


def within_target(s: Scenario, g: int, revenue: float, target: float, step: float) -> bool:
    """The SPEC-level promise: within one rounding step per pupil."""
    return abs(revenue - target) <= step * grid_pupils(s, g) + 1e-6


def effort_spread(s: Scenario, g: int, results=None) -> float:
    """Family-weighted standard deviation of the log of the brackets' mean
    efforts; mean effort = dues / incomes of the bracket's families of the
    grid with a notice and an income > 0; brackets whose families pay nothing
    whatever the amount (paying factor 0) are left out."""
    r = results if results is not None else simulate(s)
    fam = r.families
    k = g + 1
    rows = fam[(fam[f"pupils_g{k}"] > 0) & fam["notice"] & (fam["income"].fillna(0) > 0)]
    logs, weights = [], []
    for _, b in rows.groupby(f"tranche_no_g{k}"):
        if b[f"factor_g{k}"].sum() <= 0:
            continue
        e = b[f"due_g{k}"].sum() / b["income"].sum()
        if e <= 0:
            return math.inf
        logs.append(math.log(e))
        weights.append(len(b))
    if len(logs) < 2:
        return 0.0
    x, w = np.array(logs), np.array(weights, dtype=float)
    m = (w * x).sum() / w.sum()
    return float(math.sqrt((w * (x - m) ** 2).sum() / w.sum()))
