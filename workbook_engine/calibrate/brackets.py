"""New bracket bounds for a grid: quantiles of the families' indicator, or a
split of a crowded top bracket (the method's yearly review).

Both return the new tranches with *starting* amounts (what the families of
each new bracket paid before), which calibration then replaces.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, replace

import numpy as np

from workbook_engine.model.domain import Grid, Tranche
from workbook_engine.model.money import excel_round

MAX_BRACKETS = len(string.ascii_uppercase)


@dataclass(frozen=True)
class GridPlan:
    """The brackets a grid will be calibrated on, and what changed (French)."""

    grid: Grid
    restructured: bool = False
    notes: tuple[str, ...] = ()


def round_to(x: float, step: float) -> float:
    """x rounded to the nearest multiple of step, exact to the cent."""
    return excel_round(math.floor(x / step + 0.5) * step, 2)


def fmt_bound(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".").replace(",", "\u202f").replace(".", ",")


def quantile_lowers(values: np.ndarray, n: int, step: float) -> list[float]:
    """Lower bounds of ``n`` brackets holding about as many families each:
    0, then the k/n quantiles of ``values`` rounded to ``step``; a bound that
    rounding would put on or below the previous one moves one step above it,
    so the bounds strictly increase."""
    lowers = [0.0]
    for k in range(1, n):
        b = round_to(float(np.quantile(values, k / n)), step)
        if b <= lowers[-1]:
            b = excel_round(lowers[-1] + step, 2)
        lowers.append(b)
    return lowers


def amount_at(grid: Grid, indicator: float) -> float:
    """The amount the grid asks of a family with this indicator."""
    lowers = [t.lower for t in grid.tranches]
    i = int(np.searchsorted(lowers, indicator, side="right")) - 1
    return grid.tranches[max(i, 0)].amount


def starting_amounts(old: Grid, lowers: list[float], values: np.ndarray) -> list[float]:
    """What the families of each new bracket paid: the old amount at the
    bracket's median indicator (at its lower bound when it has no family)."""
    out = []
    for t, lo in enumerate(lowers):
        hi = lowers[t + 1] if t + 1 < len(lowers) else math.inf
        inside = values[(values >= lo) & (values < hi)]
        out.append(amount_at(old, float(np.median(inside)) if inside.size else lo))
    return out


def with_quantile_bounds(grid: Grid, n: int, step: float, values: np.ndarray) -> GridPlan:
    """The grid on ``n`` brackets A, B, C... at the quantiles of ``values``
    (the indicators of the grid's families with a notice)."""
    if values.size == 0:
        return GridPlan(grid, False, ("aucune famille avec avis d'imposition dans la grille : bornes inchangées",))
    lowers = quantile_lowers(values, n, step)
    amounts = starting_amounts(grid, lowers, values)
    labels = string.ascii_uppercase
    tranches = tuple(Tranche(labels[t], lowers[t], amounts[t]) for t in range(n))
    counts = [
        int(((values >= lo) & (values < (lowers[t + 1] if t + 1 < n else math.inf))).sum())
        for t, lo in enumerate(lowers)
    ]
    note = (
        f"bornes recalculées : {n} tranches de familles (avec avis) en nombre voisin, bornes arrondies à "
        f"{fmt_bound(step)} ({', '.join(f'{t.label} ≥ {fmt_bound(t.lower)}' for t in tranches)})"
    )
    notes = [note]
    if len(set(np.round(values, 6))) < n or min(counts) == 0:
        notes.append("peu de valeurs distinctes de l'indicateur : certaines tranches sont vides ou très petites")
    return GridPlan(replace(grid, tranches=tranches), True, tuple(notes))


def next_label(labels: list[str]) -> str:
    """The label after the last one (E -> F), unique in the grid."""
    last = labels[-1]
    if len(last) == 1 and last in string.ascii_uppercase[:-1]:
        candidate = chr(ord(last) + 1)
    else:
        candidate = f"{last}2"
    while candidate in labels:
        candidate += "+"
    return candidate


def split_top(plan: GridPlan, share: float, step: float, values: np.ndarray, top_share: float | None) -> GridPlan:
    """Split the top bracket at its families' median indicator (rounded to
    ``step``) when more than ``share`` of the grid's families sit in it.
    ``values``: indicators of the grid's families with a notice; families
    without one stay in the (new) top bracket."""
    grid = plan.grid
    top = grid.tranches[-1]
    if top_share is None or top_share <= share:
        return plan
    inside = values[values >= top.lower]
    pct = f"{top_share * 100:.0f} %"
    if inside.size == 0:
        return GridPlan(
            grid,
            plan.restructured,
            plan.notes
            + (
                f"{pct} des familles dans la tranche {top.label} mais aucune n'a d'avis d'imposition : pas de scission",
            ),
        )
    bound = round_to(float(np.median(inside)), step)
    if bound <= top.lower:
        bound = excel_round(top.lower + step, 2)
    label = next_label([t.label for t in grid.tranches])
    new = Tranche(label, bound, top.amount)
    tranches = grid.tranches + (new,)
    note = (
        f"tranche {top.label} scindée : {pct} des familles y étaient (seuil {share * 100:.0f} %) ; "
        f"nouvelle tranche {label} à partir de {fmt_bound(bound)}"
    )
    return GridPlan(replace(grid, tranches=tranches), True, plan.notes + (note,))


def top_share_of(grid: Grid, indicator: np.ndarray, notice: np.ndarray, in_grid: np.ndarray) -> float | None:
    """Families of the grid in its last bracket (those without a notice
    included, as the SPEC's top share counts them) / families of the grid."""
    n = int(in_grid.sum())
    if n == 0:
        return None
    last = grid.tranches[-1].lower
    top = in_grid & (~notice | (np.nan_to_num(indicator, nan=0.0) >= last))
    return int(top.sum()) / n
