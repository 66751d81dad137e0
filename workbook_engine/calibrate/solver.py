"""The numerical core of calibration, for one grid.

1. **Shape** (continuous, log space). With x_t = ln(amount_t), the mean
   effort of bracket t is about exp(x_t) * w_t, where w_t is the bracket's
   paying pupils per euro of income. Equal efforts means x_t = c + y_t with
   y_t = -ln w_t. Under the constraints we take the amounts closest to that,
   in least squares on the logarithms weighted by the bracket's families:
   a projection onto {non-decreasing, last - first <= ln(max ratio), floor
   <= x <= ceiling, x_kept = ln(old tariff)}; the level c is then set by
   root-finding so that the linearised revenue sum_t P_t exp(x_t) meets the
   target (P_t: the bracket's paying pupils, refreshed from the exact
   evaluation as the ranking moves).
2. **Rounding** (discrete, exact). Every way of rounding each amount down or
   up to the step is a candidate, evaluated *exactly* (the model's own
   ranking, paying factors and rounding of dues to the cent). Should none
   reach the target within tolerance (the linearised revenue was off), a
   greedy search moves amounts step by step, each time by the feasible move
   whose exact revenue is closest to the target, until none gets closer.

3. **Across grids** (``JointEvaluator``, ``joint_repair``): when sibling
   reductions tie grids, moves in any grid towards every target at once.

The projection: without the ratio, it is isotonic regression (pool adjacent
violators) clipped to the bounds on each side of the kept bracket; the ratio
is then handled by its Lagrange multiplier (see :func:`project`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from workbook_engine.calibrate.constraints import Resolved, violations
from workbook_engine.model.domain import Scenario
from workbook_engine.model.money import excel_round_array
from workbook_engine.model.simulate import paying_factor, ranked_before

MAX_REPAIR_MOVES = 500  # moves of a greedy repair
LEVEL_RANGE = 20.0  # how far the level may move from the unconstrained one (log scale)
MAX_ROUNDED = 10  # brackets rounded both ways (2**10 candidates); the others to the nearest step
MOVE_SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)  # steps of a single move
JOINT_JUMPS = (-50, -20, -10, -5, -2, -1, 1, 2, 5, 10, 20, 50)  # moves of the joint repair, in steps
LOOKAHEAD = 6  # first moves explored further when no single move helps
JOINT_EVALUATIONS = 4000  # budget of the joint repair (a count, not a time: results stay deterministic)


# ---------------------------------------------------------------------------
# Continuous shape
# ---------------------------------------------------------------------------


def pava(z: list[float], w: list[float], lo: list[float] | None = None, hi: list[float] | None = None) -> list[float]:
    """argmin sum w (x - z)^2 over non-decreasing x with lo <= x <= hi
    (weights > 0): pool adjacent violators, each block's value being the
    minimiser of its pooled loss, its weighted mean clipped to the block's
    bounds (the generalised algorithm for separable convex losses)."""
    n = len(z)
    lo = [-math.inf] * n if lo is None else lo
    hi = [math.inf] * n if hi is None else hi
    # Blocks: [sum w, sum w z, lowest allowed, highest allowed, count].
    blocks: list[list[float]] = []

    def value(b: list[float]) -> float:
        return min(max(b[1] / b[0], b[2]), b[3])

    for i in range(n):
        blocks.append([w[i], w[i] * z[i], lo[i], hi[i], 1])
        while len(blocks) > 1 and value(blocks[-2]) > value(blocks[-1]):
            b = blocks.pop()
            a = blocks[-1]
            a[0] += b[0]
            a[1] += b[1]
            a[2] = max(a[2], b[2])
            a[3] = min(a[3], b[3])
            a[4] += b[4]
    out: list[float] = []
    for b in blocks:
        out += [value(b)] * int(b[4])
    return out


@dataclass(frozen=True)
class LogBox:
    """The constraints in log space: bounds per bracket, span (ln of the max
    ratio), kept bracket and its log amount."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]
    span: float | None
    kept: int | None
    kept_x: float | None
    monotone: bool = True

    @classmethod
    def of(cls, r: Resolved) -> LogBox:
        def log(x: float) -> float:
            return math.log(x) if x > 0 else -math.inf

        return cls(
            lo=tuple(log(r.lower(t)) for t in range(r.n)),
            hi=tuple(log(r.upper(t)) for t in range(r.n)),
            span=math.log(r.ratio) if r.ratio is not None else None,
            kept=r.kept,
            kept_x=math.log(r.kept_amount) if r.kept is not None and r.kept_amount is not None else None,
            monotone=r.monotone,
        )


def _fit(z: Sequence[float], w: Sequence[float], lo: Sequence[float], hi: Sequence[float]) -> list[float]:
    """The exact projection onto {non-decreasing, lo <= x <= hi}."""
    return pava(list(z), list(w), list(lo), list(hi))


def _segments(z: Sequence[float], w: Sequence[float], box: LogBox) -> list[float]:
    """The projection without the ratio: isotonic fits clipped to the bounds
    on each side of the kept bracket (which the order also bounds)."""
    k, v = box.kept, box.kept_x
    lo, hi = box.lo, box.hi
    if not box.monotone:
        x = [min(max(zi, lo[i]), hi[i]) for i, zi in enumerate(z)]
        if k is not None and v is not None:  # set together
            x[k] = v
        return x
    if k is None or v is None:
        return _fit(z, w, lo, hi)
    return (
        _fit(z[:k], w[:k], lo[:k], [min(h, v) for h in hi[:k]])
        + [v]
        + _fit(z[k + 1 :], w[k + 1 :], [max(l_, v) for l_ in lo[k + 1 :]], hi[k + 1 :])
    )


def find_root(
    f: Callable[[float], float], a: float, b: float, fa: float, fb: float, xtol: float
) -> tuple[float, float]:
    """Narrow a bracket [a, b] of a continuous monotone ``f`` (fa, fb of
    opposite signs, or one of them 0) by the Illinois method; returns the
    final (a, b), b being on the side of ``fb``'s sign."""
    side = 0
    for _ in range(200):
        if fb == 0 or abs(b - a) <= xtol:
            break
        c = (a * fb - b * fa) / (fb - fa) if fb != fa else (a + b) / 2
        if not min(a, b) < c < max(a, b):
            c = (a + b) / 2
        fc = f(c)
        if (fc > 0) == (fb > 0) or fc == 0:
            b, fb = c, fc
            if side == -1:
                fa /= 2
            side = -1
        else:
            a, fa = c, fc
            if side == 1:
                fb /= 2
            side = 1
    return a, b


def project(z: list[float], w: list[float], box: LogBox) -> list[float]:
    """argmin sum w (x - z)^2 over the log-space constraints (assumed compatible).

    The ratio constraint x_last - x_first <= span is dualised: with a
    multiplier lam the problem is the same projection of targets whose first
    is raised by lam / 2w and last lowered by as much; the span of that
    solution falls continuously as lam grows, and the lam where it meets the
    constraint gives the exact projection."""
    x = _segments(z, w, box)
    n = len(z)
    span = box.span
    if span is None or n == 1 or x[-1] - x[0] <= span:
        return x

    def solve(lam: float) -> list[float]:
        zz = list(z)
        zz[0] += lam / (2 * w[0])
        zz[-1] -= lam / (2 * w[-1])
        return _segments(zz, w, box)

    def excess(lam: float) -> float:
        y = solve(lam)
        return y[-1] - y[0] - span

    lo, hi = 0.0, 1.0
    f_lo, f_hi = x[-1] - x[0] - span, excess(1.0)
    for _ in range(200):
        if f_hi <= 0:
            break
        lo, f_lo = hi, f_hi
        hi *= 4
        f_hi = excess(hi)
    _, hi = find_root(excess, lo, hi, f_lo, f_hi, 1e-12 * max(hi, 1.0))
    return solve(hi)  # the feasible side of the bracket


def solve_level(y: list[float], w: list[float], coef: np.ndarray, target: float, box: LogBox) -> np.ndarray:
    """Amounts (EUR) of the projected shape ``c + y`` whose linearised revenue
    sum coef_t * amount_t is closest to ``target``. When the constraints cap
    the revenue below (or floor it above) the target, the lowest (highest)
    level that gets as close, so that brackets without pupils, which the
    revenue does not pin, keep sensible amounts."""
    coefs = [float(p) for p in coef]

    def amounts(c: float) -> list[float]:
        return [math.exp(min(v, 700.0)) for v in project([c + yi for yi in y], w, box)]

    def revenue(c: float) -> float:
        return sum(p * a for p, a in zip(coefs, amounts(c)))

    def miss(c: float) -> float:  # log of revenue / target: non-decreasing in c
        r = revenue(c)
        m = math.log(r / target) if r > 0 else -math.inf
        return 0.0 if abs(m) <= 1e-12 else m

    base = sum(p * math.exp(min(yi, 700.0)) for p, yi in zip(coefs, y))
    if target <= 0 or base <= 0:
        return np.array(amounts(0.0))
    c0 = math.log(target / base)
    lo, hi = c0 - 0.5, c0 + 0.5
    f_lo, f_hi = miss(lo), miss(hi)
    while f_lo > 0 and lo > c0 - LEVEL_RANGE:
        lo -= 2 * (hi - lo)
        f_lo = miss(lo)
    while f_hi < 0 and hi < c0 + LEVEL_RANGE:
        hi += 2 * (hi - lo)
        f_hi = miss(hi)
    if f_lo > 0:  # even the lowest level brings too much: the highest level that brings as little
        floor_revenue = revenue(lo) * (1 + 1e-9)
        return np.array(amounts(_edge(lambda c: revenue(c) <= floor_revenue, lo, c0 + 0.5)))
    if f_hi < 0:  # out of reach: the lowest level that brings as much
        cap_revenue = revenue(hi) * (1 - 1e-9)
        return np.array(amounts(_edge(lambda c: revenue(c) < cap_revenue, c0 - 0.5, hi) + 1e-9))
    if math.isinf(f_lo):
        f_lo = -1e300
    _, b = find_root(miss, lo, hi, f_lo, f_hi, 1e-10)
    return np.array(amounts(b))


def _edge(below: Callable[[float], bool], lo: float, hi: float) -> float:
    """The last c in [lo, hi] where the monotone predicate ``below`` holds
    (it holds at lo), by bisection."""
    if below(hi):
        return hi
    for _ in range(60):
        mid = (lo + hi) / 2
        if below(mid):
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10:
            break
    return lo


def shape_objective(amounts: np.ndarray, y: list[float], w: list[float]) -> float:
    """Weighted variance of ln(amount) - y: of the log efforts, up to a constant."""
    x = np.log(np.asarray(amounts, dtype=float))
    d = x - np.asarray(y)
    ww = np.asarray(w)
    m = float((ww * d).sum() / ww.sum())
    return float((ww * (d - m) ** 2).sum() / ww.sum())


# ---------------------------------------------------------------------------
# Exact evaluation of one grid
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GridEval:
    """One grid's exact figures for candidate amounts."""

    revenue: float
    coef: np.ndarray  # paying pupils per bracket (all families of the grid)
    effort_due: np.ndarray  # dues of the families with an effort, per bracket
    effort_factor: np.ndarray  # their paying pupils, per bracket


class GridEvaluator:
    """Exact revenue of grid g for candidate amounts, the other grids'
    amounts fixed: the model's own ranking, paying factor and rounding,
    restricted to the families with pupils in the grid."""

    def __init__(
        self,
        scenario: Scenario,
        g: int,
        tranche_no: np.ndarray,
        amounts: list[np.ndarray],
        pupils: np.ndarray,
        first: np.ndarray,
        income: np.ndarray,
        notice: np.ndarray,
    ):
        self.scenario = scenario
        self.n_brackets = len(amounts[g])
        idx = np.flatnonzero(pupils[:, g] > 0)
        self.tno = tranche_no[idx, g] - 1
        self.pupils = pupils[idx, g]
        self.first = first[idx]
        gn = pupils.shape[1]
        # At least one column: pupils[:, g] above needs g < gn.
        other = np.column_stack([amounts[h][tranche_no[idx, h] - 1] for h in range(gn)])
        self.low_a, self.low_p = other[:, :g], pupils[idx, :g]
        self.high_a, self.high_p = other[:, g + 1 :], pupils[idx, g + 1 :]
        inc = income[idx]
        eff = notice[idx] & (np.nan_to_num(inc, nan=0.0) > 0)
        self.eff = eff
        nb = self.n_brackets
        self.income = np.bincount(self.tno[eff], weights=inc[eff], minlength=nb)
        self.families = np.bincount(self.tno[eff], minlength=nb).astype(float)
        self.total_pupils = float(pupils[:, g].sum())

    def __call__(self, a: np.ndarray) -> GridEval:
        ag = np.asarray(a, dtype=float)[self.tno]
        before = self.first.copy()
        if self.low_a.shape[1]:
            before = before + ((self.low_a >= ag[:, None]) * self.low_p).sum(axis=1)
        if self.high_a.shape[1]:
            before = before + ((self.high_a > ag[:, None]) * self.high_p).sum(axis=1)
        factor = paying_factor(self.scenario, before, self.pupils)
        due = excel_round_array(ag * factor, 2)
        nb = self.n_brackets
        return GridEval(
            revenue=float(due.sum()),
            coef=np.bincount(self.tno, weights=factor, minlength=nb),
            effort_due=np.bincount(self.tno[self.eff], weights=due[self.eff], minlength=nb),
            effort_factor=np.bincount(self.tno[self.eff], weights=factor[self.eff], minlength=nb),
        )

    def revenue_bounds(self, a: np.ndarray) -> tuple[float, float]:
        """The lowest and highest revenue of amounts ``a`` over every way the
        other grids' amounts could rank this grid's children among their
        siblings: no other grid's amounts can move it beyond. (Each family
        on its own; the rates need not grow with the rank.)"""
        ag = np.asarray(a, dtype=float)[self.tno]
        others = self.low_p.sum(axis=1) + self.high_p.sum(axis=1)
        low = high = None
        for k in range(int(others.max(initial=0)) + 1):
            before = self.first + np.minimum(others, k)
            due = excel_round_array(ag * paying_factor(self.scenario, before, self.pupils), 2)
            low = due if low is None else np.minimum(low, due)
            high = due if high is None else np.maximum(high, due)
        assert low is not None and high is not None  # the loop runs at least once (k = 0)
        return float(low.sum()), float(high.sum())

    def spread(self, e: GridEval) -> float:
        """The effort spread of these figures (see :func:`effort_spread`)."""
        return effort_spread(e.effort_due, self.income, self.families, e.effort_factor)


class JointEvaluator:
    """Exact revenue of every grid for the amounts of all grids: the model's
    ranking, paying factors and rounding on every family."""

    def __init__(self, scenario: Scenario, tranche_no: np.ndarray, pupils: np.ndarray, other_enrolled: np.ndarray):
        self.scenario, self.tranche_no, self.pupils, self.other = scenario, tranche_no, pupils, other_enrolled

    def __call__(self, amounts: list[np.ndarray]) -> np.ndarray:
        a = np.column_stack([amounts[g][self.tranche_no[:, g] - 1] for g in range(len(amounts))])
        before = ranked_before(self.scenario, a, self.pupils, self.other)
        due = excel_round_array(a * paying_factor(self.scenario, before, self.pupils), 2)
        revenues: np.ndarray = due.sum(axis=0)
        return revenues


def joint_repair(
    amounts: list[np.ndarray],
    grids: dict[int, tuple[Resolved, float, float]],
    ev: JointEvaluator,
    budget: int = JOINT_EVALUATIONS,
) -> list[np.ndarray]:
    """Moves in any grid that ``grids`` lists (resolved constraints, target,
    tolerance), each time the feasible move that most reduces the total
    excess of the gaps over their tolerances (then the total gap), until
    every grid is within tolerance, no move helps, or ``budget`` revenue
    evaluations are spent. For the sibling ranking that ties grids together: revenue jumps
    where a grid's amount crosses another grid's, so besides step moves a
    bracket may jump next to another grid's amount, and when no single move
    helps, pairs of moves are tried (a step back before a jump forward)."""
    amounts = [a.copy() for a in amounts]
    spent = 0

    def score(revenue: np.ndarray) -> tuple[float, float]:
        nonlocal spent
        spent += 1
        gaps = [abs(revenue[g] - target) for g, (_, target, _) in grids.items()]
        return (sum(max(0.0, d - tol) for d, (_, _, tol) in zip(gaps, grids.values())), sum(gaps))

    def neighbours(state: list[np.ndarray]) -> list[list[np.ndarray]]:
        out = []
        values = sorted({float(x) for a in state for x in a})
        for g, (r, _, _) in grids.items():
            a = state[g]
            free = [t for t in range(r.n) if t != r.kept]
            moves = _moves(a, r, 0.0, None, True)
            moves += [{t: k} for t in free for k in JOINT_JUMPS] + [{t: k for t in free} for k in JOINT_JUMPS]
            trials = []
            for move in moves:
                b = a.copy()
                for t, k in move.items():
                    b[t] = r.shifted(a, t, k)
                trials.append(b)
            for t in free:  # next to another grid's amount
                for v in values:
                    for w in (r.down(v) - r.step_c / 100, r.down(v), r.up(v), r.up(v) + r.step_c / 100):
                        if w > 0 and w != a[t]:
                            b = a.copy()
                            b[t] = w
                            trials.append(b)
            seen = set()
            for b in trials:
                key = tuple(b)
                if key not in seen and not violations(b, r):
                    seen.add(key)
                    out.append(state[:g] + [b] + state[g + 1 :])
        return out

    cur = score(ev(amounts))
    for _ in range(MAX_REPAIR_MOVES):
        if cur[0] == 0 or spent > budget:
            break
        scored = sorted(((score(ev(n)), i, n) for i, n in enumerate(neighbours(amounts))), key=lambda x: x[:2])
        if scored and scored[0][0] < cur:
            cur, _, amounts = scored[0]
            continue
        best = None  # look one move further from the most promising first moves
        for _, _, first in scored[:LOOKAHEAD]:
            if spent > budget:
                break
            for n in neighbours(first):
                sc = score(ev(n))
                if sc < cur and (best is None or sc < best[0]):
                    best = (sc, n)
        if best is None:
            break
        cur, amounts = best
    return amounts


def effort_spread(due: np.ndarray, income: np.ndarray, families: np.ndarray, factor: np.ndarray) -> float:
    """Family-weighted standard deviation of the log of the brackets' mean
    efforts (mean effort = dues / incomes of the bracket's families with a
    notice and an income > 0). Brackets without such families, or whose
    families pay nothing whatever the amount (full sibling reductions), are
    left out; 0 means every bracket makes the same effort; a bracket with a
    zero effort makes it infinite."""
    use = (families > 0) & (income > 0) & (factor > 0)
    if use.sum() < 2:
        return 0.0
    e = due[use] / income[use]
    if (e <= 0).any():
        return math.inf
    x, w = np.log(e), families[use]
    m = (w * x).sum() / w.sum()
    return float(math.sqrt(max((w * (x - m) ** 2).sum() / w.sum(), 0.0)))


# ---------------------------------------------------------------------------
# Rounding and repair
# ---------------------------------------------------------------------------


def snap(amounts: np.ndarray, r: Resolved) -> np.ndarray | None:
    """Continuous amounts rounded to the step and made feasible; None when
    that simple repair fails (the caller falls back on an extreme grid)."""
    a = [r.nearest(x) for x in amounts]
    if r.kept is not None and r.kept_amount is not None:  # set together
        v = r.kept_amount
        a[r.kept] = v
        for t in range(r.n):
            if t < r.kept and r.monotone:
                a[t] = min(a[t], r.down(v))
            elif t > r.kept and r.monotone:
                a[t] = max(a[t], r.up(v))
    a = [x if t == r.kept else min(max(x, r.up(r.lower(t))), r.down(r.upper(t))) for t, x in enumerate(a)]
    if r.monotone:
        for t in range(1, r.n):
            if t != r.kept and a[t] < a[t - 1]:
                a[t] = r.up(a[t - 1])
    out = np.array(a)
    if not violations(out, r):
        return out
    if r.ratio is not None:
        options = []
        cap = r.down(r.ratio * a[0] * (1 + 1e-9))
        options.append(np.array([x if t == r.kept else min(x, cap) for t, x in enumerate(a)]))
        need = r.up(a[-1] / r.ratio * (1 - 1e-9))
        options.append(np.array([x if t == r.kept else max(x, need) for t, x in enumerate(a)]))
        ok = [o for o in options if not violations(o, r)]
        if ok:
            return min(ok, key=lambda o: float(np.abs(np.log(o) - np.log(np.maximum(amounts, 1e-9))).sum()))
    return None


def roundings(amounts: np.ndarray, coef: np.ndarray, r: Resolved) -> list[np.ndarray]:
    """The feasible ways of rounding continuous amounts to the step: each
    free amount down or up (the ``MAX_ROUNDED`` with the most paying pupils;
    the others to the nearest step), plus the repaired nearest rounding."""
    free = [t for t in range(r.n) if t != r.kept]
    both = sorted(free, key=lambda t: (-coef[t], t))[:MAX_ROUNDED]
    base = np.array([r.nearest(x) for x in amounts])
    if r.kept is not None:
        base[r.kept] = r.kept_amount
    options = []
    for t in both:
        lo, hi = r.down(amounts[t]), r.up(amounts[t])
        options.append((t, (lo,) if lo == hi else (lo, hi)))
    out, seen = [], set()
    for combo in itertools.product(*(o for _, o in options)):
        a = base.copy()
        for (t, _), v in zip(options, combo):
            a[t] = v
        key = tuple(a)
        if key not in seen and not violations(a, r):
            seen.add(key)
            out.append(a)
    snapped = snap(amounts, r)
    if snapped is not None and tuple(snapped) not in seen:
        out.append(snapped)
    return out


def _moves(a: np.ndarray, r: Resolved, gap: float, coef: np.ndarray | None, pairs: bool) -> list[dict[int, int]]:
    """Candidate moves (bracket -> steps). Without ``pairs``: each free
    bracket, and all of them together, by 1, 2, 5, 10... steps either way, up
    to about twice the steps that would close the gap, plus those exact steps;
    with ``pairs``: one bracket up a step and another down a step."""
    free = [t for t in range(r.n) if t != r.kept]
    if pairs:
        return [{i: 1, j: -1} for i in free for j in free if i != j]
    step = r.step_c / 100
    exact = {}
    if coef is not None:
        for t in free:
            if coef[t] > 0:
                exact[t] = int(round(abs(gap) / (step * coef[t])))
    reach = max([1] + [2 * m for m in exact.values()])
    sizes = [k for k in MOVE_SIZES if k <= reach] or [1]
    out: list[dict[int, int]] = []
    for k in sizes:
        for sign in (1, -1):
            out += [{t: sign * k} for t in free]
            out.append({t: sign * k for t in free})
    direction = -1 if gap > 0 else 1
    out += [{t: direction * m} for t, m in exact.items() if m > 1 and m not in sizes]
    return out


def repair(a: np.ndarray, r: Resolved, ev: GridEvaluator, target: float) -> tuple[np.ndarray, GridEval]:
    """Move feasible amounts step by step towards the target (exact revenue),
    each time by the feasible move that gets closest (ties: the smaller
    effort spread), until no move gets closer."""
    cur = ev(a)
    for _ in range(MAX_REPAIR_MOVES):
        gap = cur.revenue - target
        best = None
        for pairs in (False, True):
            for move in _moves(a, r, gap, cur.coef, pairs):
                b = a.copy()
                for t, k in move.items():
                    b[t] = r.shifted(a, t, k)
                if violations(b, r):
                    continue
                e = ev(b)
                key = (abs(e.revenue - target), ev.spread(e))
                if key[0] < abs(gap) - 1e-9 and (best is None or key < best[0]):
                    best = (key, b, e)
            if best is not None:
                break
        if best is None:
            break
        _, a, cur = best
    return a, cur
