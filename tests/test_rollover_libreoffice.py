"""Slow: LibreOffice recalculates a rolled-over workbook to the model's
numbers: previous due per family and grid, previous revenue per grid and
the structure's comparison with last year, to the cent (the model, the
engine's evaluator (``evaluate --json``) and LibreOffice agree)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from cached_cells import cached_values
from libreoffice_recalc import recalculate
from test_rollover import small_sample, with_changes

from workbook_engine.cli.main import main
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.reader import load_workbook_scenario
from workbook_engine.workbook.results import results_json_from_cells


@pytest.mark.libreoffice
def test_libreoffice_recalculates_a_rolled_over_workbook_to_the_models_previous_dues(libreoffice, tmp_path, capsys):
    last = tmp_path / "2026.xlsx"
    generate_workbook(small_sample(), last, capacity=80)
    rolled = tmp_path / "rolled.xlsx"
    assert main(["rollover", str(last), "--year", "2027-2028", "-o", str(rolled)]) == 0
    # The bursar's second year: amounts raised, a top tranche split, new notices.
    following = load_workbook_scenario(rolled)
    changed = with_changes(following)
    changed = replace(
        changed, grids=tuple(replace(g, previous=p.previous) for g, p in zip(changed.grids, following.grids))
    )
    updated = tmp_path / "updated.xlsx"
    generate_workbook(changed, updated, capacity=80)
    capsys.readouterr()
    for scenario, path in ((following, rolled), (changed, updated)):
        model = simulate(scenario).to_json()
        assert main(["evaluate", "--json", str(path)]) == 0
        assert json.loads(capsys.readouterr().out) == model
        recalculated = recalculate([path], tmp_path / f"lo-{path.stem}")[0]
        office = results_json_from_cells(layout_for(scenario), cached_values(recalculated))
        assert [f["previous_due"] for f in office["families"]] == [f["previous_due"] for f in model["families"]]
        assert [g["previous_revenue"] for g in office["grids"]] == [g["previous_revenue"] for g in model["grids"]]
        assert office == model
    assert any(f["change_vs_previous"] != 0 for f in simulate(changed).to_json()["families"])
