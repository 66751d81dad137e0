"""The SPEC's results JSON, read off a workbook's computed cells.

Given any source of cell values (the cached values of a generated file, a
LibreOffice recalculation, or the headless evaluator), this rebuilds the
same JSON that ``Results.to_json`` gives for the model (through the same
converters in ``results``), so the two compare with ``==``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from workbook_engine.model.results import family_json, grid_json, total_json
from workbook_engine.workbook.layout import Cell, GridLayout, Layout, Ref, Slot

CellValue = Callable[[Ref], object]


def column_values(value: CellValue, sheet: str, col: int, rows: range) -> list[object]:
    """The values of one column over ``rows``: one slice when the source reads
    columns (an ``Evaluation``: ``column_values(sheet, col, r0, r1)``), else
    cell by cell. A column the layout does not have (col < 0) reads blank."""
    if col < 0:
        return [None] * len(rows)
    read_column = getattr(value, "column_values", None)
    if read_column is not None and len(rows):
        values: list[object] = read_column(sheet, col, rows.start, rows.stop - 1)
        return values
    return [value(Ref(sheet, r, col)) for r in rows]


class SheetsPresent:
    """Cell values where a sheet the workbook lacks (deleted, renamed) reads
    blank; columns are read as the source reads them (``column_values``)."""

    def __init__(self, value: CellValue, present: Iterable[str]):
        self.value = value
        self.present = frozenset(present)

    def __call__(self, ref: Ref) -> object:
        return self.value(ref) if ref.sheet in self.present else None

    def column_values(self, sheet: str, col: int, r0: int, r1: int) -> list[object]:
        if sheet not in self.present:
            return [None] * (r1 - r0 + 1)
        return column_values(self.value, sheet, col, range(r0, r1 + 1))


def family_rows(layout: Layout, value: CellValue) -> list[int]:
    """0-based rows of the family table that hold a family id."""
    return family_columns(layout, value, ())[0]


def family_columns(layout: Layout, value: CellValue, keys: Iterable[str]) -> tuple[list[int], dict[str, list[object]]]:
    """The rows holding a family id, and the values of the columns ``keys``
    at those rows (blank for a column the layout lacks)."""
    rows = range(layout.first_row, layout.last_row + 1)
    ids = column_values(value, layout.families_sheet, layout.column["id"].col, rows)
    at = [i for i, v in enumerate(ids) if v not in (None, "")]
    out: dict[str, list[object]] = {}
    for key in keys:
        if key == "id":
            out[key] = [ids[i] for i in at]
            continue
        column = layout.column.get(key)  # last year's columns: layout version 3 on
        values = column_values(value, layout.families_sheet, -1 if column is None else column.col, rows)
        out[key] = [values[i] for i in at]
    return [rows[i] for i in at], out


def family_keys(layout: Layout, previous: bool) -> tuple[str, ...]:
    """The family columns the results JSON reads; last year's ones when
    ``previous`` (the workbook shows last year's brackets: ``has_previous``)."""
    gs = range(1, layout.n_grids + 1)
    shown = (
        "id",
        *(f"tranche_g{g}" for g in gs),
        *(f"due_g{g}" for g in gs),
        "total_due",
        "old_due",
        "change",
        "effort",
    )
    if not previous:
        return shown
    return (
        *shown,
        *(f"previous_tranche_g{g}" for g in gs),
        *(f"previous_due_g{g}" for g in gs),
        "previous_total",
        "change_vs_previous",
    )


def results_json_from_cells(layout: Layout, value: CellValue) -> dict[str, Any]:  # the JSON document
    gs = range(layout.n_grids)
    prev = has_previous(layout, value)
    _rows, c = family_columns(layout, value, family_keys(layout, prev))
    tranche = [c[f"tranche_g{g + 1}"] for g in gs]
    due = [c[f"due_g{g + 1}"] for g in gs]
    prev_tranche = [c[f"previous_tranche_g{g + 1}"] for g in gs] if prev else []
    prev_due = [c[f"previous_due_g{g + 1}"] for g in gs] if prev else []
    families = [
        family_json(
            str(fid),
            [t[i] for t in tranche],
            [d[i] for d in due],
            c["total_due"][i],
            c["old_due"][i],
            c["change"][i],
            c["effort"][i],
            (
                [t[i] for t in prev_tranche],
                [d[i] for d in prev_due],
                c["previous_total"][i],
                c["change_vs_previous"][i],
            )
            if prev
            else None,
        )
        for i, fid in enumerate(c["id"])
    ]
    return {"families": families, **summary_json_from_cells(layout, value, prev)}


def summary_json_from_cells(layout: Layout, value: CellValue, prev: bool) -> dict[str, Any]:
    """The results JSON's ``grids`` and ``total``, read off the workbook."""
    grids = []
    for gl in layout.grids:
        summary = {c.key.rsplit(".", 1)[1]: value(c.ref) for c in gl.summary}
        summary.update(name=value(gl.name.ref), families=value(gl.totals[0].ref), pupils=value(gl.totals[1].ref))
        tranches = [
            {
                "label": value(s.label.ref),
                "families": value(s.families.ref),
                "pupils": value(s.pupils.ref),
                "revenue": value(s.revenue.ref),
            }
            for s in used_slots(gl, value)
        ]
        grids.append(grid_json(summary, tranches, prev))
    total = {c.key.split(".", 1)[1]: value(c.ref) for c in layout.summary if c.key.startswith("total.")}
    return {"grids": grids, "total": total_json(total, prev)}


def has_previous(layout: Layout, value: CellValue) -> bool:
    """Whether a grid has last year's brackets typed in (a lower bound filled):
    the results JSON then shows the comparison, as the model's does for a
    scenario with a previous grid (the reader reads the same cells)."""
    return any(value(p.lower.ref) not in (None, "") for gl in layout.grids for p in gl.previous)


def used_slots(grid: GridLayout, value: CellValue) -> list[Slot]:
    """The tranche lines in use: those whose lower bound is filled (the
    results JSON lists their tranches, in this order)."""
    return [s for s in grid.slots if value(s.lower.ref) not in (None, "")]


def figures_not_numbers(layout: Layout, value: CellValue) -> list[tuple[Cell, object]]:
    """The summary figures (per grid and in total) that show an error or a
    text instead of a number: what a bursar must look at first."""
    cells = [c for gl in layout.grids for c in (*gl.summary, *gl.totals)] + [
        c for c in layout.summary if c.key.startswith("total.")
    ]
    return [(c, v) for c in cells if c.ref.row >= 0 and isinstance(v := value(c.ref), str) and v != ""]
