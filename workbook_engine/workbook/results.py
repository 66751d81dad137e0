"""The SPEC's results JSON, read off a workbook's computed cells.

Given any source of cell values (the cached values of a generated file, a
LibreOffice recalculation, or the headless evaluator), this rebuilds the
same JSON that ``Results.to_json`` gives for the model (through the same
converters in ``results``), so the two compare with ``==``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbook_engine.model.results import family_json, grid_json, total_json
from workbook_engine.workbook.layout import Cell, GridLayout, Layout, Ref, Slot

CellValue = Callable[[Ref], object]


def family_rows(layout: Layout, value: CellValue) -> list[int]:
    """0-based rows of the family table that hold a family id."""
    return [
        r for r in range(layout.first_row, layout.last_row + 1) if value(layout.family_ref(r, "id")) not in (None, "")
    ]


def results_json_from_cells(layout: Layout, value: CellValue) -> dict[str, Any]:  # the JSON document
    col = layout.column
    gs = range(1, layout.n_grids + 1)

    def at(row: int, key: str) -> object:
        return value(Ref(layout.families_sheet, row, col[key].col)) if col[key].col >= 0 else None

    prev = has_previous(layout, value)

    def previous(row: int) -> tuple[list[object], list[object], object, object] | None:
        if not prev:
            return None
        return (
            [at(row, f"previous_tranche_g{g}") for g in gs],
            [at(row, f"previous_due_g{g}") for g in gs],
            at(row, "previous_total"),
            at(row, "change_vs_previous"),
        )

    families = [
        family_json(
            str(at(row, "id")),
            [at(row, f"tranche_g{g}") for g in gs],
            [at(row, f"due_g{g}") for g in gs],
            at(row, "total_due"),
            at(row, "old_due"),
            at(row, "change"),
            at(row, "effort"),
            previous(row),
        )
        for row in family_rows(layout, value)
    ]
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
    return {"families": families, "grids": grids, "total": total_json(total, prev)}


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
