"""The command line, run in-process: exit codes, JSON and summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import SAMPLE_FILE, load_sample, make_sample
from workbook_engine.formats.scenario_json import dumps_scenario
from workbook_engine.model.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]


def test_committed_sample_is_the_generator_output():
    committed = (ROOT / "workbook_engine" / "formats" / "data" / SAMPLE_FILE).read_text(encoding="utf-8")
    assert committed == dumps_scenario(make_sample())


@pytest.mark.slow
def test_demo_writes_its_files(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Grille 1 : École" in out and "Structure" in out
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "exemple_scenario.json",
        "exemple_resultats.json",
        "exemple_3UP.xlsx",
        "vierge_1UP.xlsx",
        "vierge_2UP.xlsx",
        "vierge_3UP.xlsx",
    } <= names
    results = json.loads((tmp_path / "exemple_resultats.json").read_text(encoding="utf-8"))
    assert results == simulate(load_sample()).to_json()


def test_simulate_json_is_the_spec_results(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(dumps_scenario(load_sample()), encoding="utf-8")
    assert main(["simulate", str(path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == simulate(load_sample()).to_json()
    assert set(got) == {"families", "grids", "total"}
    assert set(got["families"][0]) == {"id", "tranches", "due", "total_due", "old_due", "change", "effort"}


def test_simulate_summary_names_every_grid_and_tranche(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(dumps_scenario(load_sample()), encoding="utf-8")
    assert main(["simulate", str(path)]) == 0
    out = capsys.readouterr().out
    for g in load_sample().grids:
        assert g.name in out
    for word in ("Objectif", "Ancien tarif", "Amplitude", "sans avis", "paient plus"):
        assert word in out


def test_bad_scenario_lists_every_problem_and_exits_2(tmp_path, capsys):
    bad = {
        "sibling_rates": [1.5, 0, 0],
        "grids": [
            {
                "name": "École",
                "tranches": [{"label": "A", "lower": 100, "amount": 400}, {"label": "B", "lower": 50, "amount": -1}],
            }
        ],
        "families": [
            {"id": "F1", "rfr_1": -5, "parts": 0, "pupils": [1, 1]},
            {"id": "F1", "rfr_1": "35 000", "parts": 2, "pupils": [1]},
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    assert main(["simulate", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert "Traceback" not in err
    for needle in (
        "sibling_rates",
        "lower = 100",
        "lower = 50",
        "amount = -1",
        "rfr_1 = -5",
        "parts = 0",
        "pupils = [1 ; 1]",
        "F1",
        "rfr_1 = « 35 000 »",
        str(path),
    ):
        assert needle in err, needle


def test_unreadable_files_exit_2_without_traceback(tmp_path, capsys):
    missing = tmp_path / "none.json"
    assert main(["simulate", str(missing)]) == 2
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    assert main(["simulate", str(tmp_path / "broken.json")]) == 2
    assert main(["generate", "-o", str(tmp_path / "x.xlsx")]) == 2
    assert main(["no-such-command"]) == 2
    assert "Traceback" not in capsys.readouterr().err
