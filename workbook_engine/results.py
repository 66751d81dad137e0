"""Results of one scenario: per-family, per-grid and per-tranche tables, the
structure totals, and the SPEC's results JSON.

The Python model (``model.simulate``) and the workbook evaluator both end
here, so the two are compared through the very same JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .domain import Scenario
from .money import excel_round

TRANCHE_COLUMNS = ["grid", "tranche", "label", "lower", "upper", "amount", "families", "pupils", "revenue"]
MONEY_DIGITS = 2
RATIO_DIGITS = 6


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
    total: dict

    def to_json(self) -> dict:
        return results_json(self)


def build_results(scenario: Scenario, families: pd.DataFrame) -> Results:
    """Aggregate a per-family table into grid, tranche and structure figures,
    as the workbook's summary formulas do."""
    grid_rows, tranche_rows = [], []
    notice = families["notice"].to_numpy(dtype=bool)
    for g, grid in enumerate(scenario.grids, start=1):
        pupils = families[f"pupils_g{g}"].to_numpy(dtype=float)
        tno = families[f"tranche_no_g{g}"].to_numpy()
        due = families[f"due_g{g}"].to_numpy(dtype=float)
        in_grid = pupils > 0
        per_tranche = []
        for t, tr in enumerate(grid.tranches, start=1):
            here = tno == t
            nxt = grid.tranches[t].lower if t < len(grid.tranches) else None
            row = {
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
        old_revenue = float(families[f"old_due_g{g}"].to_numpy(dtype=float).sum())
        n_fam = sum(r["families"] for r in per_tranche)
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
            }
        )
    grids = pd.DataFrame(grid_rows)
    tranches = pd.DataFrame(tranche_rows, columns=TRANCHE_COLUMNS)
    change = families["change"].to_numpy(dtype=float)
    targets = [g.budget_target for g in scenario.grids if g.budget_target is not None]
    revenue = sum(r["revenue"] for r in grid_rows)
    old_revenue = sum(r["old_revenue"] for r in grid_rows)
    target = sum(targets) if targets else None
    total = {
        "revenue": revenue,
        "budget_target": target,
        "gap": None if target is None else revenue - target,
        "old_revenue": old_revenue,
        "change_pct": revenue / old_revenue - 1 if old_revenue != 0 else None,
        "families": len(families),
        "families_pay_more": int(np.count_nonzero(change > 0)),
        "families_unchanged": int(np.count_nonzero(change == 0)),
        "families_pay_less": int(np.count_nonzero(change < 0)),
    }
    return Results(scenario.n_grids, families.reset_index(drop=True), grids, tranches, total)


def money(x) -> float | None:
    """A money value for JSON: rounded to the cent, blank as None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return excel_round(float(x), MONEY_DIGITS)


def ratio(x) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return excel_round(float(x), RATIO_DIGITS)


def count(x) -> int:
    return int(x)


def results_json(r: Results) -> dict:
    """The SPEC's results JSON (SPEC keys first, then documented extras)."""
    fam = r.families
    gs = range(1, r.n_grids + 1)
    tranche_cols = [fam[f"tranche_g{g}"].tolist() for g in gs]
    due_cols = [fam[f"due_g{g}"].tolist() for g in gs]
    families = [
        {
            "id": fid,
            "tranches": [str(c[i]) for c in tranche_cols],
            "due": [money(c[i]) for c in due_cols],
            "total_due": money(total),
            "old_due": money(old),
            "change": money(change),
            "effort": ratio(effort),
        }
        for i, (fid, total, old, change, effort) in enumerate(
            zip(fam["id"], fam["total_due"], fam["old_due"], fam["change"], fam["effort"])
        )
    ]
    grids = []
    for row in r.grids.to_dict("records"):
        trs = r.tranches[r.tranches["grid"] == row["grid"]].to_dict("records")
        grids.append(
            {
                "name": row["name"],
                "revenue": money(row["revenue"]),
                "budget_target": money(row["budget_target"]),
                "gap": money(row["gap"]),
                "old_revenue": money(row["old_revenue"]),
                "tranches": [
                    {
                        "label": t["label"],
                        "families": count(t["families"]),
                        "pupils": count(t["pupils"]),
                        "revenue": money(t["revenue"]),
                    }
                    for t in trs
                ],
                "families": count(row["families"]),
                "pupils": count(row["pupils"]),
                "families_without_notice": count(row["families_without_notice"]),
                "change_pct": ratio(row["change_pct"]),
                "amplitude": ratio(row["amplitude"]),
                "top_share": ratio(row["top_share"]),
            }
        )
    t = r.total
    total = {
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
    return {"families": families, "grids": grids, "total": total}
