"""The value each formula cell of the layout should show, from the model.

The writer stores these as the formulas' cached values, so tools that do not
recalculate (pandas, openpyxl ``data_only=True``, previewers) already show the
model's numbers. Keys are the layout's cell keys; family columns are keyed by
column key and hold one value per family row. Blank is ``""``.
"""

from __future__ import annotations

import math

from workbook_engine.model.domain import Scenario
from workbook_engine.model.results import Results
from workbook_engine.workbook.layout import GRID_SUMMARY, SCALE_INDICATOR_TEXT, SUMMARY_COLUMNS, Layout


def _cell(x: object) -> object:
    """A model value as a cell shows it: NaN/None is blank, numpy scalars are
    plain Python numbers, whole floats stay floats."""
    if x is None:
        return ""
    if isinstance(x, float) and math.isnan(x):
        return ""
    if hasattr(x, "item"):
        x = x.item()
        if isinstance(x, float) and math.isnan(x):
            return ""
    return x


def scalar_values(layout: Layout, s: Scenario, r: Results) -> dict[str, object]:
    values: dict[str, object] = {}
    grids = r.grids.set_index("grid")
    for gl, grid in zip(layout.grids, s.grids):
        g = gl.number
        trs = r.tranches[r.tranches["grid"] == g].set_index("tranche")
        for slot in gl.slots:
            i = slot.number
            used = i <= len(grid.tranches)
            nxt_used = i < len(grid.tranches)
            key = f"grid{g}.slot{i}"
            values[f"{key}.upper"] = grid.tranches[i].lower if used and nxt_used else ""
            for stat in ("families", "pupils", "revenue"):
                values[f"{key}.{stat}"] = _cell(trs.loc[i, stat]) if used else ""
        row = grids.loc[g]
        values[f"grid{g}.total_families"] = int(row["families"])
        values[f"grid{g}.total_pupils"] = int(row["pupils"])
        values[f"grid{g}.total_revenue"] = float(trs["revenue"].sum()) if len(trs) else 0
        for key in GRID_SUMMARY:
            values[f"grid{g}.{key}"] = len(grid.tranches) if key == "tranche_count" else _cell(row[key])
        title = grid.name or gl.sheet
        values[f"summary.grid{g}.name"] = title
        values[f"families.header.grid{g}"] = title
        values[f"scale.grid{g}.title"] = title
        for key in SUMMARY_COLUMNS:
            values[f"summary.grid{g}.{key}"] = _cell(row[key])
        for slot in gl.slots:
            i = slot.number
            key = f"scale.grid{g}.slot{i}"
            if i <= len(grid.tranches):
                t = grid.tranches[i - 1]
                values[f"{key}.label"] = t.label
                values[f"{key}.lower"] = t.lower
                values[f"{key}.upper"] = values[f"grid{g}.slot{i}.upper"]
                values[f"{key}.amount"] = t.amount
            else:
                for attr in ("label", "lower", "upper", "amount"):
                    values[f"{key}.{attr}"] = ""
    for key, value in r.total.items():
        values[f"total.{key}"] = _cell(value)
    values["total.pupils"] = int(r.grids["pupils"].sum()) if len(r.grids) else 0
    values["scale.indicator"] = SCALE_INDICATOR_TEXT[s.indicator]
    return values


def column_values(layout: Layout, r: Results) -> dict[str, list[object]]:
    """Per formula column of the family table, the value of each family row."""
    fam = r.families
    return {c.key: [_cell(v) for v in fam[c.key].tolist()] for c in layout.formula_columns}
