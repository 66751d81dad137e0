"""The value each formula cell of the layout should show, from the model.

The writer stores these as the formulas' cached values, so tools that do not
recalculate (pandas, openpyxl ``data_only=True``, previewers) already show the
model's numbers. Keys are the layout's cell keys; family columns are keyed by
column key and hold one value per family row. Blank is ``""``.
"""

from __future__ import annotations

import math
from typing import cast

from workbook_engine.model.domain import Grid, Scenario
from workbook_engine.model.money import excel_round
from workbook_engine.model.results import Results
from workbook_engine.workbook.binding import CUSTOM_PARTS_KEYS
from workbook_engine.workbook.layout import (
    EXAMPLE_FISCAL_PARTS,
    EXAMPLE_RFR,
    NBSP,
    SCALE_CAF_TEXT,
    SCALE_INCOME_TEXT,
    SCALE_INDICATOR_TEXT,
    SCALE_INDICATOR_TEXT_V3,
    SCALE_NETWORK_TEXT,
    SCALE_PARTS_CUSTOM,
    SCALE_PARTS_CUSTOM_HEAD,
    SCALE_PARTS_FISCAL,
    SCALE_RANKING_TEXT,
    SUMMARY_COLUMNS,
    GridLayout,
    Layout,
    grid_summary_keys,
    result_key,
)


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
        for key in grid_summary_keys(layout.version):
            values[f"grid{g}.{key}"] = (
                len(grid.tranches)
                if key == "tranche_count"
                else len(grid.previous or ())
                if key == "previous_tranche_count"
                else _cell(row[key])
            )
        title = grid.name or gl.sheet
        values[f"summary.grid{g}.name"] = title
        values[f"families.header.grid{g}"] = title
        values[f"scale.grid{g}.title"] = title
        for key in SUMMARY_COLUMNS:
            values[f"summary.grid{g}.{key}"] = _cell(row[key])
        if layout.version >= 3:
            values.update(_scale_grid(gl, grid, values, s))
            continue
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
    if layout.version >= 3:
        values.update(_scale_page(s))
    else:
        values["scale.indicator"] = SCALE_INDICATOR_TEXT[s.indicator]
    return values


def number_text(x: float, trim: bool = False) -> str:
    """What ``layout.number_text``'s formula shows: 35 000, 6 000,50, 0,5."""
    cents = round((x - math.floor(x)) * 100)
    whole = math.floor(x)
    text = str(whole) if trim else f"{whole:,}".replace(",", NBSP)
    if cents == 0:
        return text
    return text + "," + (str(cents // 10) if trim and cents % 10 == 0 else f"{cents:02d}")


def _example(s: Scenario) -> tuple[float, float | str]:
    """The worked example's parts and indicator, as the Barème computes them."""
    cp = s.custom_parts
    parts = (
        float(EXAMPLE_FISCAL_PARTS)
        if s.parts_policy == "fiscal"
        else 2 * cp.adult + cp.child_1 + cp.child_2 + cp.child_3_plus
    )
    if s.indicator == "rfr":
        return parts, float(EXAMPLE_RFR)
    return parts, excel_round(EXAMPLE_RFR / parts, 2) if parts > 0 else ""


def _scale_grid(gl: GridLayout, grid: Grid, values: dict[str, object], s: Scenario) -> dict[str, object]:
    g = gl.number
    out: dict[str, object] = {}
    out[f"scale.grid{g}.head"] = "Revenu retenu" if s.indicator == "rfr" else "Quotient familial"
    for slot in gl.slots:
        key = f"scale.grid{g}.slot{slot.number}"
        if slot.number > len(grid.tranches):
            out.update({f"{key}.label": "", f"{key}.range": "", f"{key}.amount": ""})
            continue
        t = grid.tranches[slot.number - 1]
        upper = values[f"grid{g}.slot{slot.number}.upper"]
        out[f"{key}.label"] = t.label
        out[f"{key}.range"] = (
            f"{number_text(t.lower)} € et plus"
            if upper == ""
            else f"de {number_text(t.lower)} € à moins de {number_text(float(cast(float, upper)))} €"
        )
        out[f"{key}.amount"] = t.amount
    out[f"scale.example.grid{g}.name"] = grid.name or gl.sheet
    _parts, indicator = _example(s)
    found = [t for t in grid.tranches if indicator != "" and t.lower <= cast(float, indicator)]
    usable = grid.tranches and indicator != "" and found
    out[f"scale.example.grid{g}.tranche"] = found[-1].label if usable else ""
    out[f"scale.example.grid{g}.amount"] = found[-1].amount if usable else ""
    return out


def _scale_page(s: Scenario) -> dict[str, object]:
    cp = s.custom_parts
    custom = SCALE_PARTS_CUSTOM_HEAD + "".join(
        number_text(getattr(cp, CUSTOM_PARTS_KEYS[key]), trim=True) + words for key, words in SCALE_PARTS_CUSTOM
    )
    parts, indicator = _example(s)
    return {
        "scale.structure": s.structure,
        "scale.year": f"Année scolaire {s.year}" if s.year else "",
        "scale.income": SCALE_INCOME_TEXT + (SCALE_CAF_TEXT if s.include_caf_aid else "."),
        "scale.indicator": SCALE_INDICATOR_TEXT_V3[s.indicator],
        "scale.parts": "" if s.indicator == "rfr" else SCALE_PARTS_FISCAL if s.parts_policy == "fiscal" else custom,
        "scale.rate_2": s.sibling_rates[0],
        "scale.rate_3": s.sibling_rates[1],
        "scale.rate_4": s.sibling_rates[2],
        "scale.ranking": SCALE_RANKING_TEXT + (SCALE_NETWORK_TEXT if s.sibling_scope == "network" else ""),
        "scale.example_parts": parts,
        "scale.example_label": "Revenu retenu" if s.indicator == "rfr" else "Quotient familial",
        "scale.example_indicator": indicator,
    }


def column_values(layout: Layout, r: Results) -> dict[str, list[object]]:
    """Per formula column of the family table, the value of each family row."""
    fam = r.families
    return {c.key: [_cell(v) for v in fam[result_key(c.key)].tolist()] for c in layout.formula_columns}
