"""The SPEC's computation, vectorised over families (numpy).

Pure functions: a validated :class:`Scenario` in, :class:`Results` out. Each
step mirrors one formula column of the workbook and performs the same
floating-point operations in the same order, so the workbook, LibreOffice and
this model agree to the last bit before rounding, and to the cent after.

Two roundings keep the three on the decimal arithmetic of the SPEC: the
indicator is rounded to the cent (a quotient or a sum that is a bracket bound
in decimal must land on the bound, whatever binary made of it), and the
paying-pupil factor to ``FACTOR_DIGITS`` decimals (the noise of summing
rates). Workbooks of layout version 2 and earlier compare the unrounded
indicator: ``round_indicator=False`` computes as they do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from workbook_engine.model.domain import Scenario
from workbook_engine.model.money import FACTOR_DIGITS, INDICATOR_DIGITS, excel_round_array
from workbook_engine.model.results import JSONObject, Results, build_results, table_json


@dataclass(frozen=True)
class FamilyArrays:
    """The families' inputs as columns (n families, G grids); blanks are NaN."""

    ids: np.ndarray
    rfr_1: np.ndarray
    rfr_2: np.ndarray
    caf_aid: np.ndarray
    parts: np.ndarray
    adults: np.ndarray
    children: np.ndarray
    other_dependents: np.ndarray
    notice: np.ndarray
    other_enrolled: np.ndarray
    pupils: np.ndarray  # (n, G) float


def family_arrays(scenario: Scenario) -> FamilyArrays:
    fams = scenario.families
    n, g = len(fams), scenario.n_grids

    def col(name: str) -> np.ndarray:
        return np.array([getattr(f, name) for f in fams], dtype=float).reshape(n)

    pupils = np.array([f.pupils for f in fams], dtype=float).reshape(n, g)
    return FamilyArrays(
        ids=np.array([f.id for f in fams], dtype=object).reshape(n),
        rfr_1=col("rfr_1"),
        rfr_2=col("rfr_2"),
        caf_aid=col("caf_aid"),
        parts=col("parts"),
        adults=col("adults"),
        children=col("children"),
        other_dependents=col("other_dependents"),
        notice=np.array([f.notice for f in fams], dtype=bool).reshape(n),
        other_enrolled=col("other_enrolled"),
        pupils=pupils,
    )


def blank0(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A blank cell counts 0 in spreadsheet arithmetic."""
    return np.nan_to_num(x, nan=0.0)


def family_income(s: Scenario, f: FamilyArrays) -> np.ndarray:
    income = blank0(f.rfr_1) + blank0(f.rfr_2)
    if s.include_caf_aid:
        income = income + blank0(f.caf_aid)
    return np.where(f.notice, income, np.nan)


def family_parts(s: Scenario, f: FamilyArrays) -> np.ndarray:
    """Parts used for the quotient: the notice's, or the school's own policy."""
    if s.parts_policy == "fiscal":
        return f.parts.copy()
    c = s.custom_parts
    adults, children, others = blank0(f.adults), blank0(f.children), blank0(f.other_dependents)
    single_adult: npt.NDArray[np.bool_] = adults == 1  # (numpy types == as Any)
    return (
        adults * c.adult
        + np.minimum(children, 1) * c.child_1
        + (children >= 2) * c.child_2
        + np.maximum(children - 2, 0) * c.child_3_plus
        + single_adult * (children >= 1) * c.single_parent_bonus
        + others * c.other_dependent
    )


def family_indicator(
    s: Scenario, income: npt.NDArray[np.float64], parts: npt.NDArray[np.float64], *, rounded: bool = True
) -> np.ndarray:
    """Income / parts (``qf``) or income (``rfr``), rounded to the cent
    (ROUND(x, 2), half away from zero) unless ``rounded`` is False (layout
    versions 1 and 2). Rounded, 2700 / 2.7 (999.9999999999999 in binary)
    and 7999.70 + 0.40 (8000.099999999999) are 1000 and 8000.10, as in
    decimal arithmetic: every spreadsheet then puts the family in the same
    bracket (LibreOffice's lookups forgive binary noise, Excel's do not)."""
    if s.indicator == "rfr":
        raw = income.copy()
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = income / parts
    return excel_round_array(raw, INDICATOR_DIGITS) if rounded else raw


def tranche_numbers(s: Scenario, indicator: np.ndarray, notice: np.ndarray) -> np.ndarray:
    """1-based tranche number per family and grid: the last tranche whose lower
    bound is <= the indicator (MATCH(..., 1)); the last tranche without notice."""
    out = np.empty((len(indicator), s.n_grids), dtype=np.int64)
    for g, grid in enumerate(s.grids):
        lowers = np.array([t.lower for t in grid.tranches], dtype=float)
        found = np.searchsorted(lowers, np.nan_to_num(indicator, nan=0.0), side="right")
        out[:, g] = np.where(notice, found, len(lowers))
    return out


def ranked_before(s: Scenario, amounts: np.ndarray, pupils: np.ndarray, other_enrolled: np.ndarray) -> np.ndarray:
    """Children ranked before grid g's children: other Catholic schools first
    (scope ``network``), then higher amounts, ties to the lower grid number."""
    n, gn = amounts.shape
    before = np.zeros((n, gn))
    first = blank0(other_enrolled) if s.sibling_scope == "network" else np.zeros(n)
    for g in range(gn):
        acc = first.copy()
        for h in range(gn):
            if h < g:
                acc = acc + (amounts[:, h] >= amounts[:, g]) * pupils[:, h]
            elif h > g:
                acc = acc + (amounts[:, h] > amounts[:, g]) * pupils[:, h]
        before[:, g] = acc
    return before


def cumulative_discount(s: Scenario, ranks: np.ndarray) -> list[np.ndarray]:
    """The terms of D(n) = sum of rates of ranks 1..n, as the workbook writes it:
    r2*(n>=2) + r3*(n>=3) + r4*MAX(n-3, 0)."""
    r2, r3, r4 = s.sibling_rates
    return [r2 * (ranks >= 2), r3 * (ranks >= 3), r4 * np.maximum(ranks - 3, 0)]


def paying_factor(s: Scenario, before: np.ndarray, pupils: np.ndarray) -> np.ndarray:
    """Sum over the grid's children of (1 - rate(rank)) = p - (D(b+p) - D(b))."""
    a1, a2, a3 = cumulative_discount(s, before + pupils)
    b1, b2, b3 = cumulative_discount(s, before)
    # Rounded like the workbook's formula, which drops the binary noise of
    # summing rates so that dues match exact decimal arithmetic (rates have at
    # most 4 decimals: validation; the exact factor survives the rounding).
    return excel_round_array(pupils - (a1 + a2 + a3 - b1 - b2 - b3), FACTOR_DIGITS)


def simulate(scenario: Scenario, *, round_indicator: bool = True) -> Results:
    """Compute every result of the SPEC for a *validated* scenario.
    ``round_indicator=False``: the indicator as layout versions 1 and 2
    compute it, unrounded (see :func:`family_indicator`)."""
    import pandas as pd  # here only: simulate_json, what a check needs, does without it

    return build_results(scenario, pd.DataFrame(family_table(scenario, round_indicator=round_indicator)))


def simulate_json(scenario: Scenario, *, round_indicator: bool = True) -> JSONObject:
    """``simulate(scenario).to_json()``, the very same figures, without
    building DataFrames (nor importing pandas)."""
    return table_json(scenario, family_table(scenario, round_indicator=round_indicator))


def family_table(scenario: Scenario, *, round_indicator: bool = True) -> dict[str, object]:
    """The per-family table of :func:`simulate` (``Results.families``), column by column."""
    s = scenario
    f = family_arrays(s)
    income = family_income(s, f)
    parts = family_parts(s, f)
    indicator = np.where(f.notice, family_indicator(s, income, parts, rounded=round_indicator), np.nan)
    tranche_no = tranche_numbers(s, indicator, f.notice)

    n, gn = len(f.ids), s.n_grids
    amounts = np.empty((n, gn))
    labels = np.empty((n, gn), dtype=object)
    for g, grid in enumerate(s.grids):
        amounts[:, g] = np.array([t.amount for t in grid.tranches], dtype=float)[tranche_no[:, g] - 1]
        labels[:, g] = np.array([t.label for t in grid.tranches], dtype=object)[tranche_no[:, g] - 1]

    before = ranked_before(s, amounts, f.pupils, f.other_enrolled)
    factor = paying_factor(s, before, f.pupils)
    due = excel_round_array(amounts * factor, 2)
    old = np.array([0.0 if g.old_tariff is None else g.old_tariff for g in s.grids])
    old_due_by_grid = excel_round_array(old[None, :] * factor, 2)

    total = _row_sum(due)
    old_due = _row_sum(old_due_by_grid)
    change = excel_round_array(total - old_due, 2)
    prev_no, prev_labels, prev_due = previous_dues(s, indicator, f.notice, factor)
    has_previous = any(g.previous is not None for g in s.grids)
    previous_total = _row_sum(np.nan_to_num(prev_due, nan=0.0)) if has_previous else np.full(n, np.nan)
    change_vs_previous = excel_round_array(total - previous_total, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        effort = np.where(f.notice & (income > 0), total / income, np.nan)

    columns: dict[str, object] = {
        "id": f.ids,
        "notice": f.notice,
        "income": income,
        "parts_used": parts,
        "indicator": indicator,
    }
    for g in range(gn):
        k = g + 1
        columns[f"pupils_g{k}"] = f.pupils[:, g]
        columns[f"tranche_no_g{k}"] = tranche_no[:, g]
        columns[f"tranche_g{k}"] = labels[:, g]
        columns[f"amount_g{k}"] = amounts[:, g]
        columns[f"ranked_before_g{k}"] = before[:, g]
        columns[f"factor_g{k}"] = factor[:, g]
        columns[f"due_g{k}"] = due[:, g]
        columns[f"old_due_g{k}"] = old_due_by_grid[:, g]
        columns[f"previous_tranche_no_g{k}"] = prev_no[:, g]
        columns[f"previous_tranche_g{k}"] = prev_labels[:, g]
        columns[f"previous_due_g{k}"] = prev_due[:, g]
    columns.update(total_due=total, old_due=old_due, change=change, effort=effort)
    columns.update(previous_total=previous_total, change_vs_previous=change_vs_previous)
    return columns


def previous_dues(
    s: Scenario, indicator: np.ndarray, notice: np.ndarray, factor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What last year's brackets give each family (README, "Last year's
    brackets"): the tranche by the same indicator and tranche rule (the last
    tranche without a notice), its amount times this year's paying factor
    (the same sibling ranking and rates, as the SPEC's old due does for the
    old single tariff), rounded to the cent. Tranche numbers (NaN),
    labels (None) and dues (NaN) are blank in grids without a previous grid."""
    n, gn = len(notice), s.n_grids
    numbers = np.full((n, gn), np.nan)
    labels = np.full((n, gn), None, dtype=object)
    dues = np.full((n, gn), np.nan)
    for g, grid in enumerate(s.grids):
        if not grid.previous:
            continue
        lowers = np.array([t.lower for t in grid.previous], dtype=float)
        found = np.searchsorted(lowers, np.nan_to_num(indicator, nan=0.0), side="right")
        number = np.where(notice, found, len(lowers))
        numbers[:, g] = number
        amounts = np.array([t.amount for t in grid.previous], dtype=float)[number - 1]
        labels[:, g] = np.array([t.label for t in grid.previous], dtype=object)[number - 1]
        dues[:, g] = excel_round_array(amounts * factor[:, g], 2)
    return numbers, labels, dues


def _row_sum(m: np.ndarray) -> np.ndarray:
    """Left-to-right sum across grids, as SUM(a, b, c) adds."""
    acc = np.zeros(m.shape[0])
    for g in range(m.shape[1]):
        acc = acc + m[:, g]
    return acc


def tranches_moved_by_rounding(scenario: Scenario) -> dict[str, list[tuple[int, str, str]]]:
    """Families whose bracket depends on rounding the indicator to the cent:
    family id -> [(grid number, tranche unrounded, tranche rounded)]. These
    are the families layout version 2 (unrounded) puts in another bracket
    than the SPEC's decimal arithmetic, and Excel in another than LibreOffice."""
    s = scenario
    f = family_arrays(s)
    income, parts = family_income(s, f), family_parts(s, f)
    numbers = [
        tranche_numbers(s, np.where(f.notice, family_indicator(s, income, parts, rounded=r), np.nan), f.notice)
        for r in (False, True)
    ]
    moved: dict[str, list[tuple[int, str, str]]] = {}
    for i, g in zip(*np.nonzero(numbers[0] != numbers[1])):
        labels = [t.label for t in s.grids[g].tranches]
        moved.setdefault(str(f.ids[i]), []).append(
            (int(g) + 1, labels[numbers[0][i, g] - 1], labels[numbers[1][i, g] - 1])
        )
    return moved
