"""The bursar's constraints on one grid's amounts, resolved against the grid.

Discrete amounts live on a lattice: multiples of the step (in whole cents),
between a floor and a ceiling, non-decreasing with income, the last at most
``max_ratio`` times the first, and one bracket pinned to the old single
tariff. Every constraint has the form "x_i <= f(x_j)" with f non-decreasing
(or a bound), so the feasible amounts are closed under componentwise min and
max: there is a least and a greatest feasible grid, found by propagating the
constraints to a fixed point. Revenue grows with each amount, so these two
grids give the lowest and highest revenue the constraints allow, and
relaxing one constraint at a time tells which one binds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from workbook_engine.model.domain import Grid
from workbook_engine.model.problems import Problem

# Constraint codes (reports and JSON) and their French names.
FLOOR, CEILING, RATIO, KEPT, MONOTONE = "floor", "ceiling", "ratio", "kept_tariff", "monotone"
RANKS = "ranks"  # internal: the search keeps the sibling ranking across grids
CONSTRAINT_NAMES = {
    FLOOR: "montant minimal",
    CEILING: "montant maximal",
    RATIO: "rapport maximal entre la tranche la plus haute et la plus basse",
    KEPT: "ancien tarif conservé",
    MONOTONE: "montants croissants avec le revenu",
}
_REL = 1e-9  # relative slack for float comparisons of amounts


@dataclass(frozen=True)
class GridConstraints:
    """What the bursar imposes on a grid's amounts (EUR per pupil and year).

    ``step``: amounts are multiples of it (whole cents, >= 0.01); the kept old
    tariff is exempt. ``max_ratio``: last amount / first amount at most this
    (>= 1). ``floor`` / ``ceiling``: bounds on every amount; a calibrated
    amount is never below one step (an effort grid asks every bracket
    something). ``keep_old_tariff``: label of the bracket whose amount stays
    the grid's old single tariff (the method's "the old tariff becomes
    tranche B"). Amounts are always non-decreasing with income.
    """

    step: float = 5.0
    max_ratio: float | None = None
    floor: float | None = None
    ceiling: float | None = None
    keep_old_tariff: str | None = None


def constraint_problems(c: GridConstraints, where: str = "options") -> list[Problem]:
    """Constraints that make no sense whatever the grid (French messages)."""
    out = []
    if not (
        isinstance(c.step, (int, float))
        and math.isfinite(c.step)
        and c.step >= 0.01
        and abs(c.step * 100 - round(c.step * 100)) < 1e-6
    ):
        out.append(
            Problem(
                where, "step", c.step, "le pas d'arrondi doit être un montant d'au moins 0,01 € en centimes entiers"
            )
        )
    if c.max_ratio is not None and not (math.isfinite(c.max_ratio) and c.max_ratio >= 1):
        out.append(Problem(where, "max_ratio", c.max_ratio, "le rapport maximal doit être au moins 1"))
    for name in ("floor", "ceiling"):
        value = getattr(c, name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            out.append(Problem(where, name, value, "un montant positif ou nul est attendu"))
    if c.floor is not None and c.ceiling is not None and c.floor > c.ceiling:
        out.append(Problem(where, "floor", c.floor, f"le montant minimal dépasse le montant maximal ({c.ceiling:g})"))
    if c.keep_old_tariff is not None and not c.keep_old_tariff.strip():
        out.append(Problem(where, "keep_old_tariff", c.keep_old_tariff, "nom de tranche vide"))
    return out


@dataclass(frozen=True)
class Resolved:
    """The constraints of one grid of ``n`` brackets, ready to compute with.

    Amounts are euros; every amount but the kept one is a whole number of
    steps. ``lo``: the floor rounded up to the step, at least one step.
    ``hi``: the ceiling rounded down to the step (inf without a ceiling).
    Flags switch constraints off, to find which one binds.
    """

    n: int
    step_c: int
    lo: float
    hi: float
    ratio: float | None
    kept: int | None
    kept_amount: float | None
    monotone: bool = True
    # Per-bracket bounds of the search (not the bursar's): they keep the
    # sibling ranking across grids as it is (see core).
    lo_t: tuple[float, ...] | None = None
    hi_t: tuple[float, ...] | None = None

    def lower(self, t: int) -> float:
        return max(self.lo, self.lo_t[t]) if self.lo_t is not None else self.lo

    def upper(self, t: int) -> float:
        return min(self.hi, self.hi_t[t]) if self.hi_t is not None else self.hi

    def without(self, code: str) -> Resolved:
        """The same constraints with one of them dropped."""
        if code == FLOOR:
            return replace(self, lo=self.step_c / 100)
        if code == CEILING:
            return replace(self, hi=math.inf)
        if code == RATIO:
            return replace(self, ratio=None)
        if code == KEPT:
            return replace(self, kept=None, kept_amount=None)
        if code == MONOTONE:
            return replace(self, monotone=False)
        raise ValueError(code)

    def present(self, given: GridConstraints) -> tuple[str, ...]:
        """Codes of the constraints the bursar set (monotone always)."""
        codes = []
        if given.floor is not None:
            codes.append(FLOOR)
        if given.ceiling is not None:
            codes.append(CEILING)
        if self.ratio is not None:
            codes.append(RATIO)
        if self.kept is not None:
            codes.append(KEPT)
        return tuple(codes) + (MONOTONE,)

    # -- the step lattice --------------------------------------------------------

    def down(self, x: float) -> float:
        """The largest multiple of the step <= x (inf stays inf)."""
        if not math.isfinite(x):
            return x
        k = math.floor(round(x * 100, 6) / self.step_c + _REL)
        return k * self.step_c / 100

    def up(self, x: float) -> float:
        """The smallest multiple of the step >= x."""
        if not math.isfinite(x):
            return x
        k = math.ceil(round(x * 100, 6) / self.step_c - _REL)
        return k * self.step_c / 100

    def nearest(self, x: float) -> float:
        k = math.floor(round(x * 100, 6) / self.step_c + 0.5)
        return k * self.step_c / 100

    def cents(self, x: float) -> int:
        return int(round(x * 100))

    def shifted(self, a: np.ndarray, t: int, steps: int) -> float:
        """Amount ``t`` moved by a whole number of steps, exact in cents."""
        return (self.cents(a[t]) + steps * self.step_c) / 100


def resolve(grid: Grid, c: GridConstraints) -> tuple[Resolved | None, list[Problem]]:
    """Resolve constraints against a grid (its brackets and old tariff)."""
    step_c = int(round(c.step * 100))
    n = len(grid.tranches)
    problems = []
    kept = kept_amount = None
    if c.keep_old_tariff is not None:
        labels = [t.label for t in grid.tranches]
        if c.keep_old_tariff not in labels:
            problems.append(
                Problem(
                    f"grille {grid.name}",
                    "keep_old_tariff",
                    c.keep_old_tariff,
                    f"pas de tranche de ce nom (tranches : {', '.join(labels)})",
                )
            )
        elif grid.old_tariff is None:
            problems.append(
                Problem(
                    f"grille {grid.name}", "old_tariff", None, "pas d'ancien tarif unique à conserver dans cette grille"
                )
            )
        else:
            kept, kept_amount = labels.index(c.keep_old_tariff), float(grid.old_tariff)
    if problems:
        return None, problems
    r = Resolved(n=n, step_c=step_c, lo=0.0, hi=math.inf, ratio=c.max_ratio, kept=kept, kept_amount=kept_amount)
    lo = max(r.up(c.floor) if c.floor is not None else 0.0, step_c / 100)
    hi = r.down(c.ceiling) if c.ceiling is not None else math.inf
    return replace(r, lo=lo, hi=hi), []


def violations(a: Sequence[float] | np.ndarray, r: Resolved) -> list[str]:
    """Codes of the constraints that the amounts ``a`` break (empty: feasible)."""
    out = []
    a = [float(x) for x in a]
    for t, x in enumerate(a):
        if t == r.kept:
            if x != r.kept_amount:
                out.append(KEPT)
            continue
        c = x * 100
        if abs(c - round(c)) > 1e-6 or int(round(c)) % r.step_c:
            out.append("step")
    if any(x < r.lo * (1 - _REL) for x in a):
        out.append(FLOOR)
    if any(x > r.hi * (1 + _REL) for x in a):
        out.append(CEILING)
    lo_t, hi_t = r.lo_t, r.hi_t  # set together (see core)
    if (
        lo_t is not None
        and hi_t is not None
        and any(x < lo_t[t] * (1 - _REL) or x > hi_t[t] * (1 + _REL) for t, x in enumerate(a))
    ):
        out.append(RANKS)
    if r.monotone and any(x > y for x, y in zip(a, a[1:])):
        out.append(MONOTONE)
    if r.ratio is not None and a and not (a[0] > 0 and a[-1] <= r.ratio * a[0] * (1 + _REL)):
        out.append(RATIO)
    return sorted(set(out))


def greatest(r: Resolved) -> np.ndarray:
    """The greatest feasible amounts: each as high as the constraints allow
    (inf without a ceiling or a ratio to bound it). Meaningful only when
    :func:`least` finds the constraints compatible."""
    a = [r.down(r.upper(t)) for t in range(r.n)]
    if r.kept is not None and r.kept_amount is not None:  # set together
        a[r.kept] = r.kept_amount
    for _ in range(4 * r.n + 4):
        before = list(a)
        if r.monotone:
            for t in range(r.n - 2, -1, -1):
                if t != r.kept and a[t] > a[t + 1]:
                    a[t] = r.down(a[t + 1])
        if r.ratio is not None and math.isfinite(a[0]):
            cap = r.down(r.ratio * a[0] * (1 + _REL))
            for t in range(r.n):
                if t != r.kept and a[t] > cap:
                    a[t] = cap
        if a == before:
            break
    return np.array(a, dtype=float)


def least(r: Resolved) -> np.ndarray | None:
    """The least feasible amounts, or None when no grid meets the constraints.

    Each constraint is either raised here as a lower bound (floor, ratio on
    the first amount, monotone on the next one) or is a pure upper bound
    (ceiling, kept tariff): every feasible grid lies above this one, so if it
    breaks an upper bound, no grid meets them all."""
    a = [r.up(r.lower(t)) for t in range(r.n)]
    if r.kept is not None and r.kept_amount is not None:  # set together
        a[r.kept] = r.kept_amount
    for _ in range(4 * r.n + 4):
        before = list(a)
        if r.monotone:
            for t in range(1, r.n):
                if t != r.kept and a[t] < a[t - 1]:
                    a[t] = r.up(a[t - 1])
        if r.ratio is not None and r.kept != 0:
            need = r.up(a[-1] / r.ratio * (1 - _REL))
            if a[0] < need:
                a[0] = need
        if a == before:
            break
    out = np.array(a, dtype=float)
    return None if violations(out, r) else out
