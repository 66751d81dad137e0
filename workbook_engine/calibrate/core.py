"""Calibrate a scenario's grids: brackets and amounts that reach each grid's
budget target while asking every bracket a comparable effort.

Decisions (the SPEC is silent on calibration):

- **Effort of a bracket**: the dues of its families (with a notice and an
  income > 0, pupils in the grid) divided by their incomes, i.e. their
  income-weighted mean effort. It is robust to families with near-zero
  income, which would dominate a plain mean of ratios.
- **Spread** (how uneven a grid is): the family-weighted standard deviation
  of the logarithm of the brackets' mean efforts (0: every bracket makes the
  same effort; 0.10: about 10 % apart). Scale-free: a grid multiplied by a
  constant keeps its spread. Brackets without such families, or whose
  families pay nothing whatever the amount, are left out.
- **Amounts**: as close as possible to equal efforts (least squares on the
  logarithms, weighted by families) under the bursar's constraints, at the
  level that meets the target (``solver``). The discrete candidates (every
  rounding to the step, the starting grid's own shape, the starting grid
  itself) are evaluated *exactly* with the model's own ranking, reductions
  and rounding to the cent. Among those within tolerance, the most even wins;
  spreads within ``SPREAD_SLACK`` of the best count as equally even and the
  revenue closest to the target decides; never less even than the starting
  grid when that one already qualifies.
- **Tolerance**: the target is reached when the revenue is within one
  rounding step per pupil of it (the granularity that rounding allows).
- **Constraints**: step (amounts multiples of it, the kept old tariff
  exempt), floor and ceiling, max ratio last / first amount, old tariff kept
  in a chosen bracket, amounts non-decreasing with income, and never below
  one step.
- **Statuses**: ``ok``; ``unreachable`` when the target lies outside the
  revenue range the constraints allow (the closest grid, at that range's
  end, is proposed and the constraints whose removal would widen the range
  are named); ``incompatible`` when no grid meets the constraints (starting
  amounts kept, the conflicting constraints named); ``not_found`` when the
  target is within range but the search did not settle (only when sibling
  reductions tie grids, see below); ``unchanged`` for a grid without target
  (or not selected) and no new brackets. A grid without target whose
  brackets change is calibrated to its current revenue.
- **Brackets** (``brackets``): N brackets at the quantiles of the indicator of
  the grid's families with a notice, bounds rounded to a step; a crowded top
  bracket is split at its families' median indicator.

Sibling reductions rank a family's children across grids by amount, so one
grid's amounts move another grid's revenue, by jumps where amounts cross.
Grids are solved in turn, the others fixed; once solved, a grid is
re-solved within bounds that keep every family's ranking as it is, so that
it no longer moves the others' revenue. If targets are still missed, the
best state seen is repaired jointly, and the other solving orders are tried.
On realistic structures this settles; on small puzzle-like cases (a few
families, amounts pinned by floor and ceiling) it may not, and the grid is
then reported ``not_found``, never silently. The final figures are always
those of ``model.simulate`` on the proposed scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from workbook_engine.calibrate.brackets import MAX_BRACKETS, GridPlan, split_top, top_share_of, with_quantile_bounds
from workbook_engine.calibrate.constraints import (
    GridConstraints,
    Resolved,
    constraint_problems,
    greatest,
    least,
    resolve,
    violations,
)
from workbook_engine.calibrate.solver import (
    GridEval,
    GridEvaluator,
    JointEvaluator,
    LogBox,
    effort_spread,
    joint_repair,
    repair,
    roundings,
    shape_objective,
    snap,
    solve_level,
)
from workbook_engine.model.domain import Grid, Scenario, Tranche
from workbook_engine.model.money import excel_round_array
from workbook_engine.model.problems import InputError, Problem
from workbook_engine.model.results import Results
from workbook_engine.model.simulate import (
    family_arrays,
    family_income,
    family_indicator,
    family_parts,
    simulate,
    tranche_numbers,
)
from workbook_engine.model.validation import validate

Status = Literal["ok", "unreachable", "not_found", "incompatible", "unchanged"]
TargetSource = Literal["budget", "revenue"]  # the grid's budget target, or its current revenue
# A grid's figures -> the shape its amounts should take (log targets and
# weights, see ``effort_shape``), or None when there is none.
ShapeOf = Callable[[GridEval], tuple[list[float], list[float]] | None]
MAX_ROUNDS = 8
LEVEL_REFRESHES = 3
SPREAD_SLACK = 0.01  # effort spreads closer than this count as equally even


@dataclass(frozen=True)
class CalibrationOptions:
    """What to calibrate and under which constraints.

    ``constraints`` apply to every grid, ``per_grid`` (1-based grid number)
    replaces them for some. ``grids``: the grids to calibrate (1-based; None:
    all). ``brackets``: recompute the bounds as that many quantile brackets,
    rounded to ``bound_step``. ``split_top_share``: split the top bracket of a
    grid where more than this share of the families sits in it.
    """

    constraints: GridConstraints = field(default_factory=GridConstraints)
    per_grid: Mapping[int, GridConstraints] = field(default_factory=dict)
    grids: tuple[int, ...] | None = None
    brackets: int | None = None
    bound_step: float = 500.0
    split_top_share: float | None = None

    def for_grid(self, g: int) -> GridConstraints:
        return self.per_grid.get(g, self.constraints)


@dataclass(frozen=True)
class BracketFigures:
    """One bracket of one grid, as ``simulate`` computes it."""

    label: str
    lower: float
    amount: float
    families: int
    pupils: int
    revenue: float
    effort: float | None  # mean effort: dues / incomes of its families with a notice and an income


@dataclass(frozen=True)
class GridCalibration:
    """What calibration did to one grid, with the model's figures before and after."""

    grid: int  # 1-based
    name: str
    status: Status
    target: float | None  # what the revenue was calibrated to
    target_source: TargetSource | None  # the grid's budget target, or its current revenue
    tolerance: float | None  # one step per pupil
    revenue_before: float
    revenue_after: float
    reachable: tuple[float, float] | None  # revenue range the constraints allow (inf: unbounded)
    before: tuple[BracketFigures, ...]
    after: tuple[BracketFigures, ...]
    spread_before: float
    spread_after: float
    binding: tuple[str, ...]  # constraint codes (constraints.CONSTRAINT_NAMES)
    chosen: str  # which candidate won: effort, start_shape, start, least, greatest, unchanged
    notes: tuple[str, ...]
    old_tariff: float | None
    vs_old_before: tuple[int, int, int] | None  # families paying more, the same, less than the old tariff
    vs_old_after: tuple[int, int, int] | None

    @property
    def gap(self) -> float | None:
        return None if self.target is None else self.revenue_after - self.target

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "unchanged")


@dataclass(frozen=True)
class Calibration:
    """The proposed scenario and, per grid, what changed and why."""

    scenario: Scenario
    proposed: Scenario
    options: CalibrationOptions
    grids: tuple[GridCalibration, ...]
    before: Results
    after: Results

    @property
    def feasible(self) -> bool:
        """Every calibrated grid met its target under the constraints."""
        return all(g.ok for g in self.grids)


@dataclass(frozen=True)
class GridSolution:
    amounts: np.ndarray
    status: Status
    binding: tuple[str, ...] = ()
    reachable: tuple[float, float] | None = None
    chosen: str = "effort"
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------


def option_problems(scenario: Scenario, o: CalibrationOptions) -> list[Problem]:
    out = constraint_problems(o.constraints)
    for g, c in sorted(o.per_grid.items()):
        if not 1 <= g <= scenario.n_grids:
            out.append(Problem("options", "per_grid", g, f"pas de grille {g} (le scénario en a {scenario.n_grids})"))
        out += constraint_problems(c, f"options de la grille {g}")
    for g in o.grids or ():
        if not 1 <= g <= scenario.n_grids:
            out.append(Problem("options", "grids", g, f"pas de grille {g} (le scénario en a {scenario.n_grids})"))
    if o.brackets is not None and not 1 <= o.brackets <= MAX_BRACKETS:
        out.append(Problem("options", "brackets", o.brackets, f"entre 1 et {MAX_BRACKETS} tranches"))
    if not (math.isfinite(o.bound_step) and o.bound_step >= 0.01):
        out.append(Problem("options", "bound_step", o.bound_step, "un pas d'au moins 0,01 est attendu"))
    if o.split_top_share is not None and not 0 < o.split_top_share < 1:
        out.append(Problem("options", "split_top_share", o.split_top_share, "une part entre 0 et 1 est attendue"))
    return out


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------


def calibrate(scenario: Scenario, options: CalibrationOptions | None = None) -> Calibration:
    """Propose brackets and amounts for a validated scenario (see the module
    docstring). Raises InputError for unusable options."""
    o = options or CalibrationOptions()
    problems = option_problems(scenario, o) + validate(scenario)
    if problems:
        raise InputError(problems)
    before = simulate(scenario)
    f = family_arrays(scenario)
    income = family_income(scenario, f)
    indicator = np.where(f.notice, family_indicator(scenario, income, family_parts(scenario, f)), np.nan)
    pupils = f.pupils
    selected = [g for g in range(scenario.n_grids) if o.grids is None or g + 1 in o.grids]

    # 1. Brackets.
    plans = [GridPlan(grid) for grid in scenario.grids]
    for g in selected:
        plans[g] = plan_brackets(scenario.grids[g], o, indicator, f.notice, pupils[:, g] > 0)
    planned = replace(scenario, grids=tuple(p.grid for p in plans))

    # 2. Which grids get new amounts, towards which target.
    targets: dict[int, tuple[float, TargetSource]] = {}
    for g in selected:
        grid = planned.grids[g]
        if grid.budget_target is not None:
            targets[g] = (float(grid.budget_target), "budget")
        elif plans[g].restructured:
            targets[g] = (float(before.grids["revenue"][g]), "revenue")
    resolved: dict[int, Resolved] = {}
    for g in targets:
        r, probs = resolve(planned.grids[g], o.for_grid(g + 1))
        out_problems = [replace(p, where=f"grille {g + 1} ({planned.grids[g].name})") for p in probs]
        problems += out_problems
        if r is not None:
            resolved[g] = r
    if problems:
        raise InputError(problems)

    # 3. Amounts, grid by grid until the sibling ranking settles.
    tranche_no = tranche_numbers(planned, indicator, f.notice)
    first = np.nan_to_num(f.other_enrolled, nan=0.0) if scenario.sibling_scope == "network" else np.zeros(len(income))
    start = [np.array([t.amount for t in grid.tranches], dtype=float) for grid in planned.grids]
    coupled = any(r > 0 for r in scenario.sibling_rates) and bool(((pupils > 0).sum(axis=1) >= 2).any())
    st = Setting(
        planned,
        tranche_no,
        pupils,
        first,
        income,
        f.notice,
        f.other_enrolled,
        resolved,
        {g: t for g, (t, _) in targets.items()},
        {g: tolerance(o.for_grid(g + 1), float(pupils[:, g].sum())) for g in targets},
        start,
        coupled,
    )
    order = list(targets)
    amounts, solutions, missed = settle(st, order)
    if coupled and missed > 0:  # the sibling ranking ties the grids: try other orders, keep the best
        for other in (order[::-1], order[1:] + order[:1])[: max(0, len(order) - 1)]:
            retry = settle(st, other)
            if retry[2] < missed:
                amounts, solutions, missed = retry
            if missed == 0:
                break
    tols = st.tols

    def evaluator(g: int) -> GridEvaluator:
        return st.evaluator(g, amounts)

    # 4. Statuses from the final figures; what binds.
    for g, sol in solutions.items():
        ev = evaluator(g)
        status, reach, binding, notes = classify(
            ev, resolved[g], o.for_grid(g + 1), sol.amounts, targets[g][0], tols[g], coupled
        )
        if status == "ok":
            binding = binding_at_optimum(ev, resolved[g], o.for_grid(g + 1), sol.amounts, targets[g][0])
        solutions[g] = replace(sol, status=status, reachable=reach, binding=binding, notes=sol.notes + notes)

    proposed_grids = []
    for g, grid in enumerate(planned.grids):
        solved = solutions.get(g)
        if solved is None:
            proposed_grids.append(grid)
        else:
            proposed_grids.append(
                replace(  # keeps everything but the amounts, last year's brackets included
                    grid,
                    tranches=tuple(Tranche(t.label, t.lower, float(a)) for t, a in zip(grid.tranches, solved.amounts)),
                )
            )
    proposed = replace(scenario, grids=tuple(proposed_grids))
    assert not validate(proposed), validate(proposed)
    after = simulate(proposed)
    reports = tuple(
        grid_report(
            g,
            scenario,
            proposed,
            before,
            after,
            plans[g],
            targets.get(g),
            solutions.get(g),
            o.for_grid(g + 1),
            g in selected,
        )
        for g in range(scenario.n_grids)
    )
    return Calibration(scenario, proposed, o, reports, before, after)


@dataclass
class Setting:
    """What the search for amounts works on: the planned scenario as arrays,
    the grids to calibrate with their constraints, targets, tolerances and
    starting amounts."""

    scenario: Scenario
    tranche_no: np.ndarray
    pupils: np.ndarray
    first: np.ndarray
    income: np.ndarray
    notice: np.ndarray
    other_enrolled: np.ndarray
    resolved: dict[int, Resolved]
    targets: dict[int, float]
    tols: dict[int, float]
    start: list[np.ndarray]
    coupled: bool

    def evaluator(self, g: int, amounts: list[np.ndarray]) -> GridEvaluator:
        return GridEvaluator(
            self.scenario, g, self.tranche_no, amounts, self.pupils, self.first, self.income, self.notice
        )

    def joint(self) -> JointEvaluator:
        return JointEvaluator(self.scenario, self.tranche_no, self.pupils, self.other_enrolled)

    def excess(self, amounts: list[np.ndarray], grids: Iterable[int]) -> float:
        """Total of the gaps of ``grids`` beyond their tolerance (0: met)."""
        revenue = self.joint()(amounts)
        return float(sum(max(0.0, abs(revenue[g] - self.targets[g]) - self.tols[g]) for g in grids))


def settle(st: Setting, order: list[int]) -> tuple[list[np.ndarray], dict[int, GridSolution], float]:
    """Solve the grids in turn (in ``order``), each with the others fixed,
    until a full round changes nothing. Once a grid has been solved, it is
    re-solved keeping the sibling ranking across grids (``rank_bounds``), so
    that it no longer moves the others' revenue; only if that fails, freely.
    Grids tied by the ranking can still cycle: the best state seen is kept
    and repaired jointly. Returns the amounts, the solutions and the total
    excess of the gaps over their tolerances."""
    amounts = [a.copy() for a in st.start]
    solutions: dict[int, GridSolution] = {}
    solved_with: dict[int, tuple[tuple[float, ...], ...]] = {}  # grid -> the other grids' amounts
    visited: list[tuple[float, int, list[np.ndarray]]] = []
    for _ in range(MAX_ROUNDS):
        changed = False
        for g in order:
            context = tuple(tuple(amounts[h]) for h in range(len(amounts)) if h != g) if st.coupled else ()
            if solved_with.get(g) == context:
                continue
            ev = st.evaluator(g, amounts)
            sol = None
            if st.coupled and g in solutions:
                frozen = rank_bounds(st.resolved[g], g, amounts, st.tranche_no, st.pupils)
                sol = solve_grid(ev, frozen, st.start[g], amounts[g], st.targets[g], st.tols[g])
            if sol is None or sol.status != "ok":
                sol = solve_grid(ev, st.resolved[g], st.start[g], amounts[g], st.targets[g], st.tols[g])
            if sol.chosen == "current":
                sol = replace(sol, chosen=solutions[g].chosen)
            solutions[g], solved_with[g] = sol, context
            if not np.array_equal(sol.amounts, amounts[g]):
                amounts[g] = sol.amounts
                changed = True
            if st.coupled and len(solutions) == len(order):  # every grid proposed (and feasible)
                visited.append((st.excess(amounts, reachable(solutions)), len(visited), [a.copy() for a in amounts]))
        if not changed:
            break
    if not st.coupled or not solutions:
        return amounts, solutions, 0.0
    # Grids whose target the constraints put out of reach, however the other
    # grids rank their children, stay at their extreme.
    among = reachable(solutions)
    best = min(visited, key=lambda v: v[:2])
    if best[0] < st.excess(amounts, among):
        amounts = best[2]
    if st.excess(amounts, among) > 0:
        amounts = joint_repair(amounts, {g: (st.resolved[g], st.targets[g], st.tols[g]) for g in among}, st.joint())
    solutions = {g: replace(sol, amounts=amounts[g]) for g, sol in solutions.items()}
    return amounts, solutions, st.excess(amounts, among)


def reachable(solutions: dict[int, GridSolution]) -> list[int]:
    """Grids whose target their constraints may still reach."""
    return [g for g, sol in solutions.items() if sol.status in ("ok", "not_found")]


def rank_bounds(r: Resolved, g: int, amounts: list[np.ndarray], tranche_no: np.ndarray, pupils: np.ndarray) -> Resolved:
    """``r`` with per-bracket bounds that keep, for every family with
    children in grid g and another grid h, the order of its two amounts
    (SPEC: higher amount first, ties to the lower grid number). The paying
    factors of every grid, hence the other grids' revenue, then stay put
    whatever grid g's amounts become within those bounds."""
    lo_t, hi_t = np.zeros(r.n), np.full(r.n, math.inf)
    tg = tranche_no[:, g] - 1
    a_g = amounts[g][tg]
    in_g = pupils[:, g] > 0
    for h in range(len(amounts)):
        shared = in_g & (pupils[:, h] > 0) if h != g else np.zeros(len(tg), dtype=bool)
        if not shared.any():
            continue
        a_h = amounts[h][tranche_no[:, h] - 1]
        if g < h:
            g_first, below, above = a_g >= a_h, a_h, a_h - 0.01
        else:
            g_first, below, above = a_g > a_h, a_h + 0.01, a_h
        m = shared & g_first
        np.maximum.at(lo_t, tg[m], below[m])
        m = shared & ~g_first
        np.minimum.at(hi_t, tg[m], above[m])
    return replace(r, lo_t=tuple(float(x) for x in lo_t), hi_t=tuple(float(x) for x in hi_t))


def plan_brackets(
    grid: Grid, o: CalibrationOptions, indicator: np.ndarray, notice: np.ndarray, in_grid: np.ndarray
) -> GridPlan:
    values = indicator[in_grid & notice & np.isfinite(indicator)]
    plan = GridPlan(grid)
    if o.brackets is not None:
        plan = with_quantile_bounds(grid, o.brackets, o.bound_step, values)
    if o.split_top_share is not None:
        share = top_share_of(plan.grid, indicator, notice, in_grid)
        plan = split_top(plan, o.split_top_share, o.bound_step, values, share)
    return plan


def tolerance(c: GridConstraints, pupils: float) -> float:
    """How far from the target counts as reached: one step per pupil (and a
    micro-euro for the floating-point noise of sums of cents)."""
    return c.step * pupils + 1e-6


# ---------------------------------------------------------------------------
# One grid
# ---------------------------------------------------------------------------


def effort_shape(e: GridEval, ev: GridEvaluator) -> tuple[list[float], list[float]] | None:
    """Log amounts that equalise the brackets' mean efforts (up to a level),
    and the brackets' weights (their families; a tiny weight, and the
    neighbour's target, for brackets without an effort to even out)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        per_euro = np.where((ev.income > 0) & (e.effort_factor > 0), e.effort_factor / ev.income, np.nan)
    known = [t for t in range(ev.n_brackets) if not math.isnan(per_euro[t])]
    if not known:
        return None
    y = [math.nan] * ev.n_brackets
    for t in known:
        y[t] = -math.log(per_euro[t])
    for t in range(ev.n_brackets):  # no information: follow the nearest bracket below, else above
        if math.isnan(y[t]):
            below = [u for u in known if u < t]
            y[t] = y[below[-1]] if below else y[min(known)]
    total = float(ev.families.sum())
    w = [float(ev.families[t]) if t in known else 1e-6 * max(total, 1.0) for t in range(ev.n_brackets)]
    return y, w


def solve_grid(
    ev: GridEvaluator, r: Resolved, start: np.ndarray, current: np.ndarray, target: float, tol: float
) -> GridSolution:
    """The grid's proposal with the other grids fixed. The status is
    provisional: :func:`classify` settles it on the final figures."""
    lo_a = least(r)
    if lo_a is None:
        return GridSolution(start, "incompatible", chosen="unchanged")
    hi_a = greatest(r)
    if ev.total_pupils == 0:
        keep = start if not violations(start, r) else lo_a
        return GridSolution(
            keep,
            "ok",
            chosen="start" if keep is start else "least",
            notes=("aucun élève dans la grille : les montants ne changent pas ses recettes",),
        )
    # Out of reach with the other grids as they are: the closest extreme. If
    # other amounts could still rank this grid's children so as to reach the
    # target, say "not found" for now: the joint repair may get there.
    if ev(lo_a).revenue - target > tol:
        return GridSolution(
            lo_a, "unreachable" if ev.revenue_bounds(lo_a)[0] - target > tol else "not_found", chosen="least"
        )
    if np.isfinite(hi_a).all() and target - ev(hi_a).revenue > tol:
        return GridSolution(
            hi_a, "unreachable" if target - ev.revenue_bounds(hi_a)[1] > tol else "not_found", chosen="greatest"
        )

    shapes: list[tuple[str, ShapeOf]] = [("effort", lambda e: effort_shape(e, ev))]
    if (start > 0).all():
        shapes.append(("start_shape", lambda e: ([math.log(a) for a in start], _start_weights(ev))))
    pool: list[Candidate] = []
    box = LogBox.of(r)
    for name, shape_of in shapes:
        a = current if not violations(current, r) else lo_a
        cont = None
        for _ in range(LEVEL_REFRESHES):  # paying pupils per bracket move with the ranking
            e = ev(a)
            shape = shape_of(e)
            if shape is None:
                break
            cont = solve_level(shape[0], shape[1], e.coef, target, box)
            b = snap(cont, r)
            if b is None or np.array_equal(a, b):
                break
            a = b
        found = [Candidate(name, b, ev(b)) for b in (roundings(cont, e.coef, r) if cont is not None else [a])]
        if not found:  # no rounding of the continuous grid is feasible: from the least grid
            found = [Candidate(name, lo_a, ev(lo_a))]
        if not any(abs(c.eval.revenue - target) <= tol for c in found):
            closest = min(found, key=lambda c: abs(c.eval.revenue - target))
            found.append(Candidate(name, *repair(closest.amounts, r, ev, target)))
        pool += found
    if not violations(start, r):
        pool.append(Candidate("start", start, ev(start)))
    if not violations(current, r) and not np.array_equal(current, start):
        pool.append(Candidate("current", current, ev(current)))
    pool.append(Candidate("least", lo_a, ev(lo_a)))
    if np.isfinite(hi_a).all():
        pool.append(Candidate("greatest", hi_a, ev(hi_a)))
    best = choose(pool, ev, target, tol)
    status: Status = "ok" if abs(best.eval.revenue - target) <= tol else "not_found"
    return GridSolution(best.amounts, status, chosen=best.name)


def classify(
    ev: GridEvaluator,
    r: Resolved,
    given: GridConstraints,
    amounts: np.ndarray,
    target: float,
    tol: float,
    coupled: bool,
) -> tuple[Status, tuple[float, float] | None, tuple[str, ...], tuple[str, ...]]:
    """Status, revenue range the constraints allow, binding constraints and
    notes of a grid's final proposal, from its exact revenue."""
    present = r.present(given)
    lo_a = least(r)
    if lo_a is None:
        binding = tuple(c for c in present if least(r.without(c)) is not None)
        return (
            "incompatible",
            None,
            binding or present,
            ("aucune grille ne respecte toutes les contraintes : montants de départ conservés",),
        )
    hi_a = greatest(r)
    low = ev(lo_a).revenue
    high = ev(hi_a).revenue if np.isfinite(hi_a).all() or ev.total_pupils == 0 else math.inf
    revenue = ev(amounts).revenue
    if abs(revenue - target) <= tol:
        return "ok", (low, high), (), ()
    context = (
        " (les autres grilles étant à leurs montants proposés : les réductions fratrie les lient)" if coupled else ""
    )
    if low - target > tol:
        binding = tuple(c for c in present if (x := least(r.without(c))) is not None and ev(x).revenue < low - 1e-6)
        return (
            "unreachable",
            (low, high),
            binding,
            (f"objectif inférieur aux recettes les plus basses que permettent les contraintes{context}",),
        )
    if target - high > tol:
        capping: list[str] = []
        for c in present:
            relaxed = r.without(c)
            if least(relaxed) is None:
                continue
            top = greatest(relaxed)
            if not np.isfinite(top).all() or ev(top).revenue > high + 1e-6:
                capping.append(c)
        return (
            "unreachable",
            (low, high),
            tuple(capping),
            (f"objectif supérieur aux recettes les plus hautes que permettent les contraintes{context}",),
        )
    why = (
        (
            "les réductions fratrie classent les enfants d'une famille sur toutes les grilles, ce qui lie leurs "
            "montants : essayez un pas plus petit ou calibrez les grilles une à une (--grids)"
        )
        if coupled
        else "le pas d'arrondi ne permet pas d'approcher davantage l'objectif"
    )
    return (
        "not_found",
        (low, high),
        (),
        (
            "objectif dans la plage permise par les contraintes, mais aucune grille trouvée à la tolérance près : "
            f"{why}",
        ),
    )


@dataclass(frozen=True)
class Candidate:
    name: str
    amounts: np.ndarray
    eval: GridEval


def choose(pool: list[Candidate], ev: GridEvaluator, target: float, tol: float) -> Candidate:
    """The candidate to propose. Among those within tolerance of the target:
    the most even (smallest effort spread); spreads within ``SPREAD_SLACK`` of
    the smallest count as equally even, and among them the revenue closest to
    the target wins, but never a grid less even than the starting grid when
    that one is a candidate. Without any within tolerance: the closest."""
    within = [c for c in pool if abs(c.eval.revenue - target) <= tol]
    if not within:
        return min(pool, key=lambda c: abs(c.eval.revenue - target))
    spread = {id(c): ev.spread(c.eval) for c in within}
    best = min(spread.values())
    limit = best + SPREAD_SLACK
    starts = [spread[id(c)] for c in within if c.name == "start"]
    if starts:
        limit = min(limit, starts[0])
    near = [c for c in within if spread[id(c)] <= limit]
    return min(near, key=lambda c: (abs(c.eval.revenue - target), spread[id(c)]))


def _start_weights(ev: GridEvaluator) -> list[float]:
    total = float(ev.families.sum())
    return [float(n) if n > 0 else 1e-6 * max(total, 1.0) for n in ev.families]


def binding_at_optimum(
    ev: GridEvaluator, r: Resolved, given: GridConstraints, amounts: np.ndarray, target: float
) -> tuple[str, ...]:
    """Constraints whose removal would let the (continuous) equal-effort
    grid at the target be more even."""
    e = ev(amounts)
    shape = effort_shape(e, ev)
    if shape is None:
        return ()
    y, w = shape
    base = shape_objective(solve_level(y, w, e.coef, target, LogBox.of(r)), y, w)
    out = []
    for c in r.present(given):
        relaxed = r.without(c)
        if least(relaxed) is None:
            continue
        obj = shape_objective(solve_level(y, w, e.coef, target, LogBox.of(relaxed)), y, w)
        if obj < base * (1 - 1e-6) - 1e-12:
            out.append(c)
    return tuple(out)


# ---------------------------------------------------------------------------
# Figures for the report
# ---------------------------------------------------------------------------


def bracket_figures(results: Results, scenario: Scenario, g: int) -> tuple[tuple[BracketFigures, ...], float]:
    """Per bracket figures of grid g (0-based) and the effort spread."""
    fam = results.families
    k = g + 1
    in_grid = fam[f"pupils_g{k}"].to_numpy(dtype=float) > 0
    income = fam["income"].to_numpy(dtype=float)
    eff = in_grid & fam["notice"].to_numpy(dtype=bool) & (np.nan_to_num(income, nan=0.0) > 0)
    tno = fam[f"tranche_no_g{k}"].to_numpy() - 1
    nb = len(scenario.grids[g].tranches)
    due = fam[f"due_g{k}"].to_numpy(dtype=float)
    factor = fam[f"factor_g{k}"].to_numpy(dtype=float)
    inc = np.bincount(tno[eff], weights=income[eff], minlength=nb)
    due_e = np.bincount(tno[eff], weights=due[eff], minlength=nb)
    fac_e = np.bincount(tno[eff], weights=factor[eff], minlength=nb)
    n_e = np.bincount(tno[eff], minlength=nb).astype(float)
    rows = results.tranches[results.tranches["grid"] == k].to_dict("records")
    out = tuple(
        BracketFigures(
            label=t["label"],
            lower=float(t["lower"]),
            amount=float(t["amount"]),
            families=int(t["families"]),
            pupils=int(t["pupils"]),
            revenue=float(t["revenue"]),
            effort=float(due_e[i] / inc[i]) if inc[i] > 0 else None,
        )
        for i, t in enumerate(rows)
    )
    return out, effort_spread(due_e, inc, n_e, fac_e)


def versus_old(results: Results, g: int, old_tariff: float | None) -> tuple[int, int, int] | None:
    """Families of grid g paying more, the same, less than the old tariff."""
    if old_tariff is None:
        return None
    fam = results.families
    k = g + 1
    in_grid = fam[f"pupils_g{k}"].to_numpy(dtype=float) > 0
    d = fam[f"due_g{k}"].to_numpy(dtype=float)[in_grid] - fam[f"old_due_g{k}"].to_numpy(dtype=float)[in_grid]
    d = excel_round_array(d, 2)
    return int((d > 0).sum()), int((d == 0).sum()), int((d < 0).sum())


def grid_report(
    g: int,
    scenario: Scenario,
    proposed: Scenario,
    before: Results,
    after: Results,
    plan: GridPlan,
    target: tuple[float, TargetSource] | None,
    sol: GridSolution | None,
    given: GridConstraints,
    selected: bool,
) -> GridCalibration:
    grid = proposed.grids[g]
    rows_before, spread_before = bracket_figures(before, scenario, g)
    rows_after, spread_after = bracket_figures(after, proposed, g)
    revenue_after = float(after.grids["revenue"][g])
    notes = list(plan.notes)
    pupils = float(after.grids["pupils"][g])
    binding: tuple[str, ...]
    if sol is None:
        status: Status = "unchanged"
        notes.append(
            "grille non sélectionnée : inchangée" if not selected else "pas d'objectif de recettes : montants inchangés"
        )
        tol, chosen, binding, reach = None, "unchanged", (), None
    else:
        assert target is not None  # a grid is solved towards its target
        status, chosen, binding, reach = sol.status, sol.chosen, sol.binding, sol.reachable
        notes += list(sol.notes)
        tol = tolerance(given, pupils)
        if target[1] == "revenue":
            notes.append("pas d'objectif de recettes : les recettes actuelles servent d'objectif")
        if status == "ok" and abs(revenue_after - target[0]) > tol:
            # The verification by the model disagrees with the search (should not happen).
            status = "not_found"
            notes.append("écart à l'objectif supérieur à la tolérance après vérification par le modèle")
        if chosen == "start" and status == "ok":
            notes.append("la grille de départ atteint déjà l'objectif avec l'effort le plus égal : conservée")
    return GridCalibration(
        grid=g + 1,
        name=grid.name,
        status=status,
        target=None if target is None else target[0],
        target_source=None if target is None else target[1],
        tolerance=tol,
        revenue_before=float(before.grids["revenue"][g]),
        revenue_after=revenue_after,
        reachable=reach,
        before=rows_before,
        after=rows_after,
        spread_before=spread_before,
        spread_after=spread_after,
        binding=binding,
        chosen=chosen,
        notes=tuple(notes),
        old_tariff=grid.old_tariff,
        vs_old_before=versus_old(before, g, grid.old_tariff),
        vs_old_after=versus_old(after, g, grid.old_tariff),
    )
