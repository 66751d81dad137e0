"""The SPEC's results JSON, read off a workbook's computed cells.

Given any source of cell values (the cached values of a generated file, a
LibreOffice recalculation, or the headless evaluator), this rebuilds the
same JSON that ``Results.to_json`` gives for the model, so the two compare
with ``==``.
"""

from __future__ import annotations

from typing import Callable

from .layout import Layout, Ref
from .results import count, money, ratio

CellValue = Callable[[Ref], object]


def _blank(v) -> bool:
    return v is None or v == ""


def _money(v):
    return None if _blank(v) else money(v)


def _ratio(v):
    return None if _blank(v) else ratio(v)


def _count(v) -> int:
    return 0 if _blank(v) else count(v)


def family_rows(layout: Layout, value: CellValue) -> list[int]:
    """0-based rows of the family table that hold a family id."""
    id_col = layout.column["id"].col
    from .layout import SHEET_FAMILIES

    return [r for r in range(layout.first_row, layout.last_row + 1)
            if not _blank(value(Ref(SHEET_FAMILIES, r, id_col)))]


def results_json_from_cells(layout: Layout, value: CellValue) -> dict:
    from .layout import SHEET_FAMILIES

    col = layout.column
    gs = range(1, layout.n_grids + 1)

    def at(row: int, key: str):
        return value(Ref(SHEET_FAMILIES, row, col[key].col))

    families = []
    for row in family_rows(layout, value):
        families.append({
            "id": str(at(row, "id")),
            "tranches": [None if _blank(t := at(row, f"tranche_g{g}")) else _label(t) for g in gs],
            "due": [_money(at(row, f"due_g{g}")) for g in gs],
            "total_due": _money(at(row, "total_due")),
            "old_due": _money(at(row, "old_due")),
            "change": _money(at(row, "change")),
            "effort": _ratio(at(row, "effort")),
        })
    grids = []
    for gl in layout.grids:
        s = {c.key.rsplit(".", 1)[1]: value(c.ref) for c in gl.summary}
        tranches = [
            {"label": _label(value(slot.label.ref)), "families": _count(value(slot.families.ref)),
             "pupils": _count(value(slot.pupils.ref)), "revenue": _money(value(slot.revenue.ref))}
            for slot in gl.slots if not _blank(value(slot.lower.ref))
        ]
        grids.append({
            "name": "" if _blank(n := value(gl.name.ref)) else str(n),
            "revenue": _money(s["revenue"]),
            "budget_target": _money(s["budget_target"]),
            "gap": _money(s["gap"]),
            "old_revenue": _money(s["old_revenue"]),
            "tranches": tranches,
            "families": _count(value(gl.totals[0].ref)),
            "pupils": _count(value(gl.totals[1].ref)),
            "families_without_notice": _count(s["families_without_notice"]),
            "change_pct": _ratio(s["change_pct"]),
            "amplitude": _ratio(s["amplitude"]),
            "top_share": _ratio(s["top_share"]),
        })
    t = {c.key.split(".", 1)[1]: value(c.ref) for c in layout.summary if c.key.startswith("total.")}
    total = {
        "revenue": _money(t["revenue"]),
        "budget_target": _money(t["budget_target"]),
        "gap": _money(t["gap"]),
        "old_revenue": _money(t["old_revenue"]),
        "change_pct": _ratio(t["change_pct"]),
        "families": _count(t["families"]),
        "families_pay_more": _count(t["families_pay_more"]),
        "families_unchanged": _count(t["families_unchanged"]),
        "families_pay_less": _count(t["families_pay_less"]),
    }
    return {"families": families, "grids": grids, "total": total}


def _label(v) -> str:
    """A tranche label as text; a label typed as a number (1, 2...) reads "1"."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
