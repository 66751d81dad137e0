"""How scenario fields bind to the layout's input cells (writer direction).

One function per part of the scenario gives ``{cell key: value}`` with the
value as the bursar sees it (French words for choices, numbers as numbers,
``None`` for a blank cell).
"""

from __future__ import annotations

from workbook_engine.model.domain import FAMILY_INPUTS, Family, Scenario
from workbook_engine.workbook.layout import BOOL_TEXT, INDICATOR_TEXT, PARTS_POLICY_TEXT, SCOPE_TEXT, Layout

CUSTOM_PARTS_KEYS = {
    "cp_adult": "adult",
    "cp_child_1": "child_1",
    "cp_child_2": "child_2",
    "cp_child_3_plus": "child_3_plus",
    "cp_single_parent_bonus": "single_parent_bonus",
    "cp_other_dependent": "other_dependent",
}
RATE_KEYS = ("rate_2", "rate_3", "rate_4")


def param_values(s: Scenario) -> dict[str, object]:
    values: dict[str, object] = {
        "structure": s.structure,
        "year": s.year,
        "indicator": INDICATOR_TEXT[s.indicator],
        "include_caf_aid": BOOL_TEXT[s.include_caf_aid],
        "parts_policy": PARTS_POLICY_TEXT[s.parts_policy],
        "sibling_scope": SCOPE_TEXT[s.sibling_scope],
    }
    values.update(zip(RATE_KEYS, s.sibling_rates))
    values.update({key: getattr(s.custom_parts, attr) for key, attr in CUSTOM_PARTS_KEYS.items()})
    return values


def grid_values(layout: Layout, s: Scenario) -> dict[str, object]:
    values: dict[str, object] = {}
    for gl, grid in zip(layout.grids, s.grids):
        values[gl.name.key] = grid.name
        values[gl.old_tariff.key] = grid.old_tariff
        values[gl.budget_target.key] = grid.budget_target
        for slot in gl.slots:
            t = grid.tranches[slot.number - 1] if slot.number <= len(grid.tranches) else None
            values[slot.label.key] = None if t is None else t.label
            values[slot.lower.key] = None if t is None else t.lower
            values[slot.amount.key] = None if t is None else t.amount
        previous = grid.previous or ()
        for p in gl.previous:
            t = previous[p.number - 1] if p.number <= len(previous) else None
            values[p.label.key] = None if t is None else t.label
            values[p.lower.key] = None if t is None else t.lower
            values[p.amount.key] = None if t is None else t.amount
    return values


def family_row(f: Family) -> dict[str, object]:
    """One family's input cells, keyed by family column key."""
    row: dict[str, object] = {key: getattr(f, key) for key in FAMILY_INPUTS}
    row["notice"] = BOOL_TEXT[f.notice]  # (keeps its place)
    row.update({f"pupils_g{g}": p for g, p in enumerate(f.pupils, start=1)})
    return row
