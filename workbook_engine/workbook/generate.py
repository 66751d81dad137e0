"""Generate workbooks: a filled one from a scenario, or a blank one of N grids."""

from __future__ import annotations

from pathlib import Path

from workbook_engine.model.domain import Grid, Scenario
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.layout import DEFAULT_CAPACITY, DEFAULT_SLOTS, Layout, build_layout
from workbook_engine.workbook.size import refuse_too_large
from workbook_engine.workbook.writer import ReportSheet, write_workbook


def layout_for(scenario: Scenario, slots: int = DEFAULT_SLOTS, capacity: int = DEFAULT_CAPACITY) -> Layout:
    """The layout that fits a scenario: at least the default room, more when
    the scenario has more tranches or families."""
    # Last year's brackets sit on the same lines as this year's: room for the longer.
    most_tranches = max((max(len(g.tranches), len(g.previous or ())) for g in scenario.grids), default=0)
    return build_layout(scenario.n_grids, max(slots, most_tranches), max(capacity, len(scenario.families)))


def blank_scenario(n_grids: int) -> Scenario:
    """The inputs of a blank workbook: default parameters, N unnamed grids."""
    return Scenario(grids=tuple(Grid(name="", tranches=()) for _ in range(n_grids)))


def generate_workbook(
    scenario: Scenario,
    path: str | Path,
    *,
    slots: int = DEFAULT_SLOTS,
    capacity: int = DEFAULT_CAPACITY,
    reports: tuple[ReportSheet, ...] = (),
) -> Layout:
    """Write the workbook of a (validated, or blank) scenario, with optional
    report sheets of plain values after the layout's; returns its layout."""
    layout = layout_for(scenario, slots, capacity)
    refuse_too_large(layout, str(path))  # before anything is computed or written
    write_workbook(path, layout, scenario, simulate(scenario), reports)
    return layout
