"""Results of one scenario: per-family, per-grid and per-tranche tables, the
structure totals, and the SPEC's results JSON.

The Python model (``model.simulate``) and the workbook evaluator both end
here, so the two are compared through the very same JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from workbook_engine.model.domain import Scenario
from workbook_engine.model.french import Figure
from workbook_engine.model.money import excel_round

if TYPE_CHECKING:  # pandas is imported where DataFrames are built; a check's results JSON does without it
    import pandas as pd

TRANCHE_COLUMNS = ["grid", "tranche", "label", "lower", "upper", "amount", "families", "pupils", "revenue"]
MONEY_DIGITS = 2
RATIO_DIGITS = 6

# A JSON object of the SPEC's results. Its values are read key by key at run
# time (``workbook.check`` compares the model's and a workbook's field by
# field), so they are not typed further.
JSONObject = dict[str, Any]


class TrancheRow(TypedDict):
    """One row of ``Results.tranches``."""

    grid: int
    tranche: int
    label: str
    lower: float
    upper: float | None
    amount: float
    families: int
    pupils: int
    revenue: float


class GridRow(TypedDict):
    """One row of ``Results.grids``."""

    grid: int
    name: str
    revenue: float
    budget_target: float | None
    gap: float | None
    old_revenue: float
    change_pct: float | None
    amplitude: float | None
    top_share: float | None
    families: int
    pupils: int
    families_without_notice: int
    previous_revenue: float | None
    change_vs_previous: float | None


class Totals(TypedDict):
    """``Results.total``: the structure-wide figures."""

    revenue: float
    budget_target: float | None
    gap: float | None
    old_revenue: float
    change_pct: float | None
    families: int
    families_pay_more: int
    families_unchanged: int
    families_pay_less: int
    previous_revenue: float | None
    change_vs_previous: float | None
    families_more_than_previous: int | None
    families_same_as_previous: int | None
    families_less_than_previous: int | None


@dataclass(frozen=True)
class Results:
    """Everything computed for one scenario.

    ``families``: one row per family (inputs used, tranche, amount, sibling
    ranking, due per grid ``*_g1``, ``*_g2``..., totals, effort).
    ``grids``: one row per grid. ``tranches``: one row per grid and tranche.
    ``total``: structure-wide figures.
    """

    n_grids: int
    families: pd.DataFrame
    grids: pd.DataFrame
    tranches: pd.DataFrame
    total: Totals
    with_previous: bool = False  # a grid has last year's brackets

    def to_json(self) -> JSONObject:
        return results_json(self)


def build_results(scenario: Scenario, families: pd.DataFrame) -> Results:
    """Aggregate a per-family table into grid, tranche and structure figures,
    as the workbook's summary formulas do."""
    import pandas as pd

    grid_rows, tranche_rows, total = aggregate(scenario, families)
    return Results(
        scenario.n_grids,
        families.reset_index(drop=True),
        pd.DataFrame(grid_rows),
        pd.DataFrame(tranche_rows, columns=TRANCHE_COLUMNS),
        total,
        has_previous(scenario),
    )


def aggregate(
    scenario: Scenario, families: pd.DataFrame | Mapping[str, Any]
) -> tuple[list[GridRow], list[TrancheRow], Totals]:
    """The rows of ``Results.grids`` and ``Results.tranches`` and the totals,
    from the per-family table: a DataFrame or its columns as arrays."""
    grid_rows: list[GridRow] = []
    tranche_rows: list[TrancheRow] = []
    notice = np.asarray(families["notice"], dtype=bool)
    for g, grid in enumerate(scenario.grids, start=1):
        # Contiguous, as a DataFrame's columns are: numpy sums a strided view in another order.
        pupils = np.ascontiguousarray(families[f"pupils_g{g}"], dtype=float)
        tno = np.asarray(families[f"tranche_no_g{g}"])
        due = np.ascontiguousarray(families[f"due_g{g}"], dtype=float)
        in_grid = pupils > 0
        per_tranche: list[TrancheRow] = []
        for t, tr in enumerate(grid.tranches, start=1):
            here = tno == t
            nxt = grid.tranches[t].lower if t < len(grid.tranches) else None
            row: TrancheRow = {
                "grid": g,
                "tranche": t,
                "label": tr.label,
                "lower": tr.lower,
                "upper": nxt,
                "amount": tr.amount,
                "families": int(np.count_nonzero(here & in_grid)),
                "pupils": int(pupils[here].sum()),
                "revenue": float(due[here].sum()),
            }
            per_tranche.append(row)
        tranche_rows += per_tranche
        revenue = float(due.sum())
        old_revenue = float(np.ascontiguousarray(families[f"old_due_g{g}"], dtype=float).sum())
        n_fam = sum(r["families"] for r in per_tranche)
        previous_revenue = (
            None
            if grid.previous is None
            else float(np.ascontiguousarray(families[f"previous_due_g{g}"], dtype=float).sum())
        )
        first = grid.tranches[0].amount if grid.tranches else 0.0
        last = grid.tranches[-1].amount if grid.tranches else 0.0
        grid_rows.append(
            {
                "grid": g,
                "name": grid.name,
                "revenue": revenue,
                "budget_target": grid.budget_target,
                "gap": None if grid.budget_target is None else revenue - grid.budget_target,
                "old_revenue": old_revenue,
                "change_pct": revenue / old_revenue - 1 if old_revenue != 0 else None,
                "amplitude": last / first if first > 0 else None,
                "top_share": per_tranche[-1]["families"] / n_fam if n_fam > 0 and per_tranche else None,
                "families": n_fam,
                "pupils": sum(r["pupils"] for r in per_tranche),
                "families_without_notice": int(np.count_nonzero(~notice & in_grid)),
                "previous_revenue": previous_revenue,
                "change_vs_previous": None if previous_revenue is None else revenue - previous_revenue,
            }
        )
    change = np.asarray(families["change"], dtype=float)
    targets = [g.budget_target for g in scenario.grids if g.budget_target is not None]
    revenue = sum(r["revenue"] for r in grid_rows)
    old_revenue = sum(r["old_revenue"] for r in grid_rows)
    target = sum(targets) if targets else None
    previous_revenues = [r["previous_revenue"] for r in grid_rows if r["previous_revenue"] is not None]
    previous_revenue = sum(previous_revenues) if previous_revenues else None
    vs = np.asarray(families["change_vs_previous"], dtype=float)

    def vs_count(which: npt.NDArray[np.bool_]) -> int | None:
        return None if previous_revenue is None else int(np.count_nonzero(which))

    total: Totals = {
        "revenue": revenue,
        "budget_target": target,
        # Only grids with a target have a gap: the structure's is their sum.
        "gap": None if target is None else sum(r["gap"] for r in grid_rows if r["gap"] is not None),
        "old_revenue": old_revenue,
        "change_pct": revenue / old_revenue - 1 if old_revenue != 0 else None,
        "families": len(families["id"]),
        "families_pay_more": int(np.count_nonzero(change > 0)),
        "families_unchanged": int(np.count_nonzero(change == 0)),
        "families_pay_less": int(np.count_nonzero(change < 0)),
        "previous_revenue": previous_revenue,
        "change_vs_previous": None if previous_revenue is None else revenue - previous_revenue,
        "families_more_than_previous": vs_count(vs > 0),
        "families_same_as_previous": vs_count(vs == 0),
        "families_less_than_previous": vs_count(vs < 0),
    }
    return grid_rows, tranche_rows, total


def _blank(x: object) -> bool:
    return x is None or (isinstance(x, str) and x == "") or (isinstance(x, float) and math.isnan(x))


@runtime_checkable
class _Number(Protocol):
    """A number as a cell or a table holds it (float, int, bool, a numpy
    scalar): what ``float()`` and ``int()`` read."""

    def __float__(self) -> float: ...

    def __int__(self) -> int: ...


_Blank = TypeVar("_Blank")
_Converted = TypeVar("_Converted")


def _number(x: object, blank: _Blank, convert: Callable[[_Number], _Converted]) -> _Blank | str | _Converted:
    """A cell value for JSON: ``blank`` for a blank, text as it is (an error
    code such as #VALUE!, or stray text, so a check can say what it found),
    a number through ``convert``."""
    if _blank(x):
        return blank
    if isinstance(x, str):
        return x
    # Plain numbers first: a check against the protocol is slow.
    if isinstance(x, (float, int)) or isinstance(x, _Number):
        return convert(x)
    raise TypeError(f"a number is expected, not {type(x).__name__}: {x!r}")


def money(x: object) -> Figure:
    """A money value for JSON: rounded to the cent, blank as None."""
    return _number(x, None, lambda v: excel_round(float(v), MONEY_DIGITS))


def ratio(x: object) -> Figure:
    return _number(x, None, lambda v: excel_round(float(v), RATIO_DIGITS))


def count(x: object) -> int | str:
    return _number(x, 0, int)


def label(x: object) -> str | None:
    """A tranche label as text; a label typed as a number (1, 2...) reads "1"."""
    if _blank(x):
        return None
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


# The SPEC's results JSON, one converter per object. The model and the
# workbook reader both build plain mappings and go through these.


def family_json(
    fid: str,
    tranches: Iterable[object],
    dues: Iterable[object],
    total_due: object,
    old_due: object,
    change: object,
    effort: object,
    previous: tuple[Iterable[object], Iterable[object], object, object] | None = None,
) -> JSONObject:
    """SPEC keys first, then, when the scenario has last year's brackets,
    ``previous``: (tranches, dues, previous total, change vs previous)
    (README, "Formats")."""
    out = {
        "id": fid,
        "tranches": [label(t) for t in tranches],
        "due": [money(d) for d in dues],
        "total_due": money(total_due),
        "old_due": money(old_due),
        "change": money(change),
        "effort": ratio(effort),
    }
    if previous is not None:
        tranches_before, dues_before, total_before, vs = previous
        out.update(
            previous_tranches=[label(t) for t in tranches_before],
            previous_due=[money(d) for d in dues_before],
            previous_total=money(total_before),
            change_vs_previous=money(vs),
        )
    return out


def grid_json(g: Mapping[str, object], tranches: Iterable[Mapping[str, object]], previous: bool = False) -> JSONObject:
    """SPEC keys first, then the documented extras (last year's comparison
    when the scenario has last year's brackets)."""
    out = {
        "name": "" if _blank(g["name"]) else str(g["name"]),
        "revenue": money(g["revenue"]),
        "budget_target": money(g["budget_target"]),
        "gap": money(g["gap"]),
        "old_revenue": money(g["old_revenue"]),
        "tranches": [
            {
                "label": label(t["label"]),
                "families": count(t["families"]),
                "pupils": count(t["pupils"]),
                "revenue": money(t["revenue"]),
            }
            for t in tranches
        ],
        "families": count(g["families"]),
        "pupils": count(g["pupils"]),
        "families_without_notice": count(g["families_without_notice"]),
        "change_pct": ratio(g["change_pct"]),
        "amplitude": ratio(g["amplitude"]),
        "top_share": ratio(g["top_share"]),
    }
    if previous:
        out.update(previous_revenue=money(g["previous_revenue"]), change_vs_previous=money(g["change_vs_previous"]))
    return out


def total_json(t: Mapping[str, object], previous: bool = False) -> JSONObject:
    out = {
        "revenue": money(t["revenue"]),
        "budget_target": money(t["budget_target"]),
        "gap": money(t["gap"]),
        "old_revenue": money(t["old_revenue"]),
        "change_pct": ratio(t["change_pct"]),
        "families": count(t["families"]),
        "families_pay_more": count(t["families_pay_more"]),
        "families_unchanged": count(t["families_unchanged"]),
        "families_pay_less": count(t["families_pay_less"]),
    }
    if previous:
        out.update(
            previous_revenue=money(t["previous_revenue"]),
            change_vs_previous=money(t["change_vs_previous"]),
            **{k: count(t[k]) for k in PREVIOUS_COUNTS},
        )
    return out


PREVIOUS_COUNTS = ("families_more_than_previous", "families_same_as_previous", "families_less_than_previous")


def results_json(r: Results) -> JSONObject:
    """The SPEC's results JSON of the model's results."""
    return rows_json(
        r.n_grids, r.families, r.grids.to_dict("records"), r.tranches.to_dict("records"), r.total, r.with_previous
    )


def summary_json(scenario: Scenario, families: Mapping[str, Any]) -> JSONObject:
    """The results JSON's ``grids`` and ``total`` (without ``families``) of a
    per-family table given as column arrays: what a check compares with the
    workbook's summary cells, the families being compared column by column."""
    grid_rows, tranche_rows, total = aggregate(scenario, families)
    return _summary_json(grid_rows, tranche_rows, total, has_previous(scenario))


def _summary_json(
    grid_rows: Iterable[Mapping[str, Any]],
    tranche_rows: Iterable[Mapping[str, Any]],
    total: Mapping[str, Any],
    previous: bool,
) -> JSONObject:
    tranche_rows = list(tranche_rows)
    grids = [grid_json(row, [t for t in tranche_rows if t["grid"] == row["grid"]], previous) for row in grid_rows]
    return {"grids": grids, "total": total_json(total, previous)}


def table_json(scenario: Scenario, families: Mapping[str, Any]) -> JSONObject:
    """The results JSON of a per-family table given as column arrays (what
    ``model.simulate`` computes): ``build_results(...).to_json()`` without
    building DataFrames, the same figures."""
    grid_rows, tranche_rows, total = aggregate(scenario, families)
    return rows_json(scenario.n_grids, families, grid_rows, tranche_rows, total, has_previous(scenario))


def has_previous(scenario: Scenario) -> bool:
    """Whether a grid has last year's brackets: the results JSON then shows the comparison."""
    return any(g.previous is not None for g in scenario.grids)


def rows_json(
    n_grids: int,
    fam: pd.DataFrame | Mapping[str, Any],
    grid_rows: Iterable[Mapping[str, Any]],
    tranche_rows: Iterable[Mapping[str, Any]],
    total: Mapping[str, Any],
    previous: bool = False,
) -> JSONObject:
    """The results JSON of the per-family table, the grid and tranche rows and
    the totals; with last year's comparison when ``previous`` (a grid of the
    scenario has last year's brackets)."""
    gs = range(1, n_grids + 1)
    tranche_cols = [fam[f"tranche_g{g}"].tolist() for g in gs]
    due_cols = [fam[f"due_g{g}"].tolist() for g in gs]
    prev = previous and "previous_total" in fam
    prev_tranche_cols = [list(fam[f"previous_tranche_g{g}"]) for g in gs] if prev else []
    prev_due_cols = [list(fam[f"previous_due_g{g}"]) for g in gs] if prev else []
    prev_totals = list(fam["previous_total"]) if prev else []
    prev_vs = list(fam["change_vs_previous"]) if prev else []
    families = [
        family_json(
            fid,
            [c[i] for c in tranche_cols],
            [c[i] for c in due_cols],
            total,
            old,
            change,
            effort,
            ([c[i] for c in prev_tranche_cols], [c[i] for c in prev_due_cols], prev_totals[i], prev_vs[i])
            if prev
            else None,
        )
        for i, (fid, total, old, change, effort) in enumerate(
            zip(fam["id"], fam["total_due"], fam["old_due"], fam["change"], fam["effort"])
        )
    ]
    return {"families": families, **_summary_json(grid_rows, tranche_rows, total, prev)}
