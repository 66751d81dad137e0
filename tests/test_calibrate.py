"""Calibration on the sample structure and on hand-made cases: targets met
under the constraints, more even efforts, unreachable targets reported with
what binds, new bounds and top splits, options checked, the numerical core
(projection, exact evaluators, constraint lattice) against independent
computations."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from calibrate_helpers import broken_constraints, effort_spread, within_target
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import scenarios

from workbook_engine.calibrate import (
    CalibrationOptions,
    GridConstraints,
    calibrate,
    calibration_json,
    format_calibration,
)
from workbook_engine.calibrate.brackets import quantile_lowers
from workbook_engine.calibrate.constraints import Resolved, greatest, least, resolve, violations
from workbook_engine.calibrate.solver import GridEvaluator, JointEvaluator, LogBox, project
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.domain import Grid, Tranche
from workbook_engine.model.problems import InputError
from workbook_engine.model.simulate import (
    family_arrays,
    family_income,
    family_indicator,
    family_parts,
    simulate,
    tranche_numbers,
)

SAMPLE = load_sample()
TYPICAL = [
    GridConstraints(step=5),
    GridConstraints(step=5, max_ratio=3),
    GridConstraints(step=10, max_ratio=4, keep_old_tariff="C"),
    GridConstraints(step=1, max_ratio=3, floor=300, ceiling=2500),
]


def amounts(grid: Grid) -> list[float]:
    return [t.amount for t in grid.tranches]


# ---------------------------------------------------------------------------
# The sample structure
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("c", TYPICAL, ids=lambda c: f"step{c.step:g}-ratio{c.max_ratio}-keep{c.keep_old_tariff}")
def test_sample_meets_every_target_under_the_constraints(c):
    cal = calibrate(SAMPLE, CalibrationOptions(c))
    after = simulate(cal.proposed)
    assert cal.feasible
    for g, grid in enumerate(cal.proposed.grids):
        assert cal.grids[g].status == "ok"
        assert within_target(SAMPLE, g, float(after.grids["revenue"][g]), SAMPLE.grids[g].budget_target, c.step)
        assert broken_constraints(grid, c) == []
        if c.keep_old_tariff:
            assert grid.tranches[2].amount == SAMPLE.grids[g].old_tariff


@pytest.mark.parametrize("c", TYPICAL, ids=lambda c: f"step{c.step:g}-ratio{c.max_ratio}-keep{c.keep_old_tariff}")
def test_sample_efforts_are_more_even_than_the_bursars_grid(c):
    """The sample's grids (amplitudes 1 : 2.2 to 1 : 2.6, within every
    constraint here but the target) ask the poorest brackets about twice the
    effort of the richest; the proposal evens that out."""
    cal = calibrate(SAMPLE, CalibrationOptions(c))
    before, after = simulate(SAMPLE), simulate(cal.proposed)
    for g in range(SAMPLE.n_grids):
        assert effort_spread(cal.proposed, g, after) < effort_spread(SAMPLE, g, before)
        assert cal.grids[g].spread_after == pytest.approx(effort_spread(cal.proposed, g, after), abs=1e-12)


def test_without_ratio_efforts_are_nearly_equal():
    """Nothing but the 5 EUR step stops equal efforts: every bracket's mean
    effort within 3 % of the grid's."""
    cal = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5)))
    for g in cal.grids:
        efforts = [b.effort for b in g.after]
        assert max(efforts) / min(efforts) < 1.03, efforts
        assert g.binding == ()


def test_the_ratio_binds_and_is_reported():
    cal = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5, max_ratio=2)))
    for g in cal.grids:
        assert "ratio" in g.binding
        a = [b.amount for b in g.after]
        assert a[-1] / a[0] <= 2 + 1e-12


def test_deterministic_on_the_sample():
    o = CalibrationOptions(GridConstraints(step=5, max_ratio=3, keep_old_tariff="B"), brackets=4)
    one, two = calibrate(SAMPLE, o), calibrate(SAMPLE, o)
    assert one.proposed == two.proposed
    assert calibration_json(one) == calibration_json(two)
    assert format_calibration(one) == format_calibration(two)


def test_kept_old_tariff_off_the_step_stays_exact():
    grids = tuple(replace(g, old_tariff=g.old_tariff + 2.35) for g in SAMPLE.grids)
    s = replace(SAMPLE, grids=grids)
    c = GridConstraints(step=5, max_ratio=3, keep_old_tariff="B")
    cal = calibrate(s, CalibrationOptions(c))
    for g, grid in enumerate(cal.proposed.grids):
        assert cal.grids[g].status == "ok"
        a = amounts(grid)
        assert a[1] == s.grids[g].old_tariff
        assert a[0] <= a[1] <= a[2]
        assert broken_constraints(grid, c) == []


def test_grid_without_target_is_left_unchanged_and_said_so():
    grids = (replace(SAMPLE.grids[0], budget_target=None),) + SAMPLE.grids[1:]
    s = replace(SAMPLE, grids=grids)
    cal = calibrate(s, CalibrationOptions(GridConstraints(step=5, max_ratio=3)))
    assert cal.proposed.grids[0] == s.grids[0]
    assert cal.grids[0].status == "unchanged"
    assert any("pas d'objectif" in n for n in cal.grids[0].notes)
    assert all(g.status == "ok" for g in cal.grids[1:])


def test_only_the_selected_grids_change():
    cal = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5), grids=(2,)))
    assert cal.proposed.grids[0] == SAMPLE.grids[0] and cal.proposed.grids[2] == SAMPLE.grids[2]
    assert cal.proposed.grids[1] != SAMPLE.grids[1]
    assert [g.status for g in cal.grids] == ["unchanged", "ok", "unchanged"]
    # The untouched grids' revenue still follows the sibling ranking: reported as the model computes it.
    after = simulate(cal.proposed)
    text = format_calibration(cal)
    for g in (0, 2):
        assert cal.grids[g].revenue_after == float(after.grids["revenue"][g])
        assert cal.grids[g].revenue_before == float(simulate(SAMPLE).grids["revenue"][g])
    assert text.count("(non calibré)") == 2


def test_per_grid_constraints():
    o = CalibrationOptions(GridConstraints(step=5, max_ratio=3), per_grid={3: GridConstraints(step=10, max_ratio=4)})
    cal = calibrate(SAMPLE, o)
    assert cal.feasible
    assert broken_constraints(cal.proposed.grids[0], o.constraints) == []
    assert broken_constraints(cal.proposed.grids[2], o.per_grid[3]) == []
    assert "1 : 4" in format_calibration(cal)


# ---------------------------------------------------------------------------
# Out of reach
# ---------------------------------------------------------------------------


def test_a_low_ceiling_makes_a_target_unreachable():
    c = GridConstraints(step=5, ceiling=900)
    cal = calibrate(SAMPLE, CalibrationOptions(c))
    lycee = cal.grids[2]
    assert lycee.status == "unreachable" and not cal.feasible
    assert lycee.binding == ("ceiling",)
    # The closest proposal: every amount at the ceiling.
    assert amounts(cal.proposed.grids[2]) == [900.0] * 5
    assert lycee.reachable[1] == lycee.revenue_after < lycee.target - lycee.tolerance
    assert broken_constraints(cal.proposed.grids[2], c) == []
    text = format_calibration(cal)
    assert "HORS D'ATTEINTE" in text and "montant maximal" in text


def test_a_kept_tariff_and_a_tight_ratio_cap_the_revenue():
    """Old tariff kept in A and amounts at most 1.2 times it: a target twice
    the current revenue is out of reach, and both constraints bind."""
    grids = tuple(replace(g, budget_target=g.budget_target * 2) for g in SAMPLE.grids)
    s = replace(SAMPLE, grids=grids)
    cal = calibrate(s, CalibrationOptions(GridConstraints(step=5, max_ratio=1.2, keep_old_tariff="A")))
    for g, report in enumerate(cal.grids):
        assert report.status == "unreachable"
        assert {"ratio", "kept_tariff"} <= set(report.binding)
        assert "ceiling" not in report.binding and "floor" not in report.binding
        a = amounts(cal.proposed.grids[g])
        assert a[0] == s.grids[g].old_tariff and a[-1] <= 1.2 * a[0]


def test_a_high_floor_makes_a_target_unreachable_from_below():
    c = GridConstraints(step=5, floor=1000)
    cal = calibrate(SAMPLE, CalibrationOptions(c))
    ecole = cal.grids[0]
    assert ecole.status == "unreachable" and ecole.binding == ("floor",)
    assert amounts(cal.proposed.grids[0]) == [1000.0] * 5
    assert ecole.revenue_after > ecole.target + ecole.tolerance


def test_incompatible_constraints_are_reported_and_the_grid_kept():
    """A ceiling below the old tariff that must be kept: no grid at all."""
    cal = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5, ceiling=600, keep_old_tariff="B")))
    for g, report in enumerate(cal.grids):
        assert report.status == "incompatible"
        assert set(report.binding) == {"ceiling", "kept_tariff"}
        assert cal.proposed.grids[g] == SAMPLE.grids[g]
    assert "CONTRAINTES INCOMPATIBLES" in format_calibration(cal)


# ---------------------------------------------------------------------------
# Brackets
# ---------------------------------------------------------------------------


def test_quantile_lowers():
    values = np.array([1000.0, 2000, 3000, 4000, 5000, 6000, 7000, 8000])
    # Quartiles 2 750, 4 500, 6 250, to the nearest 500 (halves up).
    assert quantile_lowers(values, 4, 500) == [0.0, 3000.0, 4500.0, 6500.0]
    # Ties: every family at 3 000 -> bounds a step apart, still increasing.
    assert quantile_lowers(np.full(10, 3000.0), 3, 500) == [0.0, 3000.0, 3500.0]
    # A quantile that rounds to 0 moves one step up.
    assert quantile_lowers(np.array([10.0, 20, 30]), 2, 500) == [0.0, 500.0]


@pytest.mark.parametrize("n", [2, 4, 6])
def test_new_bounds_hold_families_in_about_equal_numbers(n):
    c = GridConstraints(step=5, max_ratio=3)
    cal = calibrate(SAMPLE, CalibrationOptions(c, brackets=n, bound_step=500))
    after = simulate(cal.proposed)
    for g, grid in enumerate(cal.proposed.grids):
        labels = [t.label for t in grid.tranches]
        lowers = [t.lower for t in grid.tranches]
        assert labels == list("ABCDEF"[:n])
        assert lowers[0] == 0 and all(b > a for a, b in zip(lowers, lowers[1:]))
        assert all(x % 500 == 0 for x in lowers)
        fam = after.families
        with_notice = fam[(fam[f"pupils_g{g + 1}"] > 0) & fam["notice"]]
        shares = with_notice[f"tranche_g{g + 1}"].value_counts(normalize=True)
        assert all(abs(shares.get(label, 0) - 1 / n) < 0.5 / n for label in labels), shares
        assert cal.grids[g].status == "ok" and broken_constraints(grid, c) == []
        assert within_target(SAMPLE, g, float(after.grids["revenue"][g]), SAMPLE.grids[g].budget_target, 5)


def test_crowded_top_bracket_is_split_at_its_median():
    """The sample's top brackets hold 22 to 24 % of the families: above a
    20 % threshold they split in two at the median indicator of their
    families (rounded to 500), the new bracket above."""
    cal = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5, max_ratio=4), split_top_share=0.2))
    before = simulate(SAMPLE)
    fam = before.families
    for g, grid in enumerate(cal.proposed.grids):
        assert before.grids["top_share"][g] > 0.2
        assert [t.label for t in grid.tranches] == list("ABCDEF")
        top = fam[(fam[f"pupils_g{g + 1}"] > 0) & fam["notice"] & (fam["indicator"] >= 18000)]["indicator"]
        assert grid.tranches[5].lower == 500 * math.floor(top.median() / 500 + 0.5)
        assert grid.tranches[5].amount >= grid.tranches[4].amount
        assert cal.grids[g].status == "ok"
        assert any("scindée" in n for n in cal.grids[g].notes)


def test_no_split_below_the_threshold():
    cal = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5), split_top_share=0.3))
    assert [[(t.label, t.lower) for t in g.tranches] for g in cal.proposed.grids] == [
        [(t.label, t.lower) for t in g.tranches] for g in SAMPLE.grids
    ]


def test_without_target_new_bounds_keep_the_current_revenue():
    s = replace(SAMPLE, grids=tuple(replace(g, budget_target=None) for g in SAMPLE.grids))
    cal = calibrate(s, CalibrationOptions(GridConstraints(step=5, max_ratio=3), brackets=4))
    after = simulate(cal.proposed)
    for g, report in enumerate(cal.grids):
        assert report.status == "ok" and report.target_source == "revenue"
        assert report.target == report.revenue_before
        assert within_target(s, g, float(after.grids["revenue"][g]), report.revenue_before, 5)


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, field",
    [
        (CalibrationOptions(GridConstraints(step=0.001)), "step"),
        (CalibrationOptions(GridConstraints(step=2.555)), "step"),
        (CalibrationOptions(GridConstraints(max_ratio=0.5)), "max_ratio"),
        (CalibrationOptions(GridConstraints(floor=500, ceiling=400)), "floor"),
        (CalibrationOptions(GridConstraints(keep_old_tariff="Z")), "keep_old_tariff"),
        (CalibrationOptions(brackets=0), "brackets"),
        (CalibrationOptions(brackets=27), "brackets"),
        (CalibrationOptions(split_top_share=1.5), "split_top_share"),
        (CalibrationOptions(grids=(4,)), "grids"),
    ],
)
def test_unusable_options_are_input_errors(options, field):
    with pytest.raises(InputError) as exc:
        calibrate(SAMPLE, options)
    assert field in {p.field for p in exc.value.problems}


def test_kept_tariff_needs_an_old_tariff():
    s = replace(SAMPLE, grids=(replace(SAMPLE.grids[0], old_tariff=None),) + SAMPLE.grids[1:])
    with pytest.raises(InputError) as exc:
        calibrate(s, CalibrationOptions(GridConstraints(keep_old_tariff="B")))
    assert [p.field for p in exc.value.problems] == ["old_tariff"]
    assert "grille 1" in exc.value.problems[0].where


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


def test_text_and_json_state_the_models_figures():
    cal = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5, max_ratio=3)))
    after = simulate(cal.proposed).to_json()
    data = calibration_json(cal)
    text = format_calibration(cal)
    for g, grid in enumerate(after["grids"]):
        j = data["grids"][g]
        assert j["revenue_after"] == grid["revenue"]
        assert j["gap"] == grid["gap"]
        assert [t["revenue"] for t in j["tranches_after"]] == [t["revenue"] for t in grid["tranches"]]
        assert [t["families"] for t in j["tranches_after"]] == [t["families"] for t in grid["tranches"]]
        revenue = f"{grid['revenue']:,.2f} €".replace(",", "\u202f").replace(".", ",")
        assert revenue in text
    assert data["total"]["revenue_after"] == after["total"]["revenue"]
    assert data["total"]["families_pay_more"][1] == after["total"]["families_pay_more"]
    assert "Grille 1 : École : objectif atteint" in text


def test_winners_and_losers_against_the_old_tariff():
    cal = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5, max_ratio=3)))
    fam = simulate(cal.proposed).families
    for g, report in enumerate(cal.grids):
        k = g + 1
        here = fam[fam[f"pupils_g{k}"] > 0]
        more = int((here[f"due_g{k}"] > here[f"old_due_g{k}"] + 0.001).sum())
        less = int((here[f"due_g{k}"] < here[f"old_due_g{k}"] - 0.001).sum())
        assert report.vs_old_after == (more, len(here) - more - less, less)


# ---------------------------------------------------------------------------
# The numerical core, against independent computations
# ---------------------------------------------------------------------------


def arrays(s):
    f = family_arrays(s)
    income = family_income(s, f)
    ind = np.where(f.notice, family_indicator(s, income, family_parts(s, f)), np.nan)
    return f, income, tranche_numbers(s, ind, f.notice)


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios(max_grids=4, max_families=30), st.integers(0, 2**32 - 1))
def test_exact_evaluators_equal_the_model(s, seed):
    """The search's revenue is the model's, to the cent, for any amounts."""
    rng = np.random.default_rng(seed)
    grids = tuple(
        replace(g, tranches=tuple(replace(t, amount=float(rng.integers(0, 300_000)) / 100) for t in g.tranches))
        for g in s.grids
    )
    s = replace(s, grids=grids)
    f, income, tno = arrays(s)
    a = [np.array(amounts(g)) for g in s.grids]
    model = simulate(s).grids["revenue"].tolist()
    first = np.nan_to_num(f.other_enrolled) if s.sibling_scope == "network" else np.zeros(len(income))
    joint = JointEvaluator(s, tno, f.pupils, f.other_enrolled)(a)
    for g in range(s.n_grids):
        ev = GridEvaluator(s, g, tno, a, f.pupils, first, income, f.notice)
        assert ev(a[g]).revenue == pytest.approx(model[g], abs=1e-6)
        assert joint[g] == pytest.approx(model[g], abs=1e-6)


@st.composite
def log_problems(draw):
    n = draw(st.integers(1, 7))
    z = draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n))
    w = draw(st.lists(st.floats(0.01, 10), min_size=n, max_size=n))
    lo = [draw(st.sampled_from([-math.inf, -2.0, -1.0, 0.0])) for _ in range(n)]
    hi = [draw(st.sampled_from([math.inf, 1.0, 2.0, 3.0])) for _ in range(n)]
    span = draw(st.none() | st.floats(0.1, 3))
    kept = draw(st.none() | st.integers(0, n - 1))
    kept_x = draw(st.floats(-1, 1)) if kept is not None else None
    return z, w, LogBox(tuple(lo), tuple(hi), span, kept, kept_x)


def log_feasible(x, box: LogBox) -> bool:
    eps = 1e-9
    if any(b < a - eps for a, b in zip(x, x[1:])):
        return False
    if any(v < box.lo[i] - eps or v > box.hi[i] + eps for i, v in enumerate(x)):
        return False
    if box.span is not None and x[-1] - x[0] > box.span + eps:
        return False
    return box.kept is None or abs(x[box.kept] - box.kept_x) < eps


@settings(max_examples=300, deadline=None, derandomize=True)
@given(log_problems(), st.integers(0, 2**32 - 1))
@example(([0.0, -3.0], [0.25, 1.0], LogBox((-math.inf, -2.0), (math.inf, math.inf), None, None, None)), 0)
def test_projection_is_feasible_and_optimal(problem, seed):
    """First-order optimality: for every feasible y, the gradient of
    sum w (x - z)^2 at x points away from y (the feasible set is convex)."""
    z, w, box = problem
    rng = np.random.default_rng(seed)
    feasible_points = []
    for _ in range(400):  # rejection sampling of feasible points
        y = sorted(rng.uniform(-4, 4, len(z)).tolist())
        if box.kept is not None:
            y[box.kept] = box.kept_x
        if log_feasible(y, box):
            feasible_points.append(y)
    if not feasible_points:
        return
    x = project(list(z), list(w), box)
    assert log_feasible(x, box)
    grad = [2 * wi * (xi - zi) for xi, zi, wi in zip(x, z, w)]
    for y in feasible_points:
        assert sum(g * (yi - xi) for g, yi, xi in zip(grad, y, x)) >= -1e-6


@st.composite
def resolved_constraints(draw):
    n = draw(st.integers(1, 6))
    grid = Grid(
        "g",
        tuple(Tranche("ABCDEF"[i], i * 1000.0, 100.0) for i in range(n)),
        old_tariff=float(draw(st.integers(1, 400))) + draw(st.sampled_from([0.0, 0.35])),
    )
    c = GridConstraints(
        step=float(draw(st.sampled_from([1, 5, 10]))),
        max_ratio=draw(st.none() | st.sampled_from([1.0, 1.5, 2.0, 3.0])),
        floor=draw(st.none() | st.integers(0, 300).map(float)),
        ceiling=draw(st.none() | st.integers(50, 600).map(float)),
        keep_old_tariff=draw(st.none() | st.sampled_from(grid.tranches).map(lambda t: t.label)),
    )
    if c.floor is not None and c.ceiling is not None and c.floor > c.ceiling:
        c = replace(c, floor=None)
    r, problems = resolve(grid, c)
    assert not problems
    return r


@settings(max_examples=300, deadline=None, derandomize=True)
@given(resolved_constraints(), st.integers(0, 2**32 - 1))
def test_least_and_greatest_bound_every_feasible_grid(r: Resolved, seed):
    """Random feasible grids (by rejection) all lie between the least and the
    greatest; when those say "no grid", none is found."""
    step = r.step_c / 100
    top = r.hi if math.isfinite(r.hi) else 700
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(300):
        a = sorted(float(k) * step for k in rng.integers(1, int(top / step) + 1, r.n))
        if r.kept is not None:
            a[r.kept] = r.kept_amount
        if not violations(a, r):
            found.append(a)
    lo, hi = least(r), greatest(r)
    if lo is None:
        assert not found
        return
    assert violations(lo, r) == []
    finite_hi = np.where(np.isinf(hi), 1e9, hi)
    for a in found:
        assert all(x >= y - 1e-9 for x, y in zip(a, lo))
        assert all(x <= y + 1e-9 for x, y in zip(a, finite_hi))
    if np.isfinite(hi).all():
        assert violations(hi, r) == []
