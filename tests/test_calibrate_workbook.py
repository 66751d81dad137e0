"""The calibrated workbook: an ordinary workbook of the proposed scenario
(cached values = the model, checks clean, reads back), the comparison in
its report sheets, the same numbers after LibreOffice recalculates it; and
the ``calibrate`` command."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from cached_cells import cached_values
from libreoffice_recalc import recalculate

from workbook_engine.calibrate import (
    CalibrationOptions,
    GridConstraints,
    calibrate,
    calibration_json,
    calibration_sheets,
)
from workbook_engine.calibrate.report import BRACKETS_SHEET, SUMMARY_SHEET
from workbook_engine.cli import main as cli_main
from workbook_engine.formats.sample import load_sample
from workbook_engine.formats.scenario_json import dumps_scenario, scenario_to_dict
from workbook_engine.model.results import money
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.check import check_workbook
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.reader import load_workbook_scenario
from workbook_engine.workbook.results import results_json_from_cells

SAMPLE = load_sample()
SPLIT = CalibrationOptions(GridConstraints(step=5, max_ratio=3, keep_old_tariff="C"), split_top_share=0.2)
CEILING = CalibrationOptions(GridConstraints(step=5, ceiling=900))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Two calibrations written as workbooks: one feasible (with a top split
    and a kept tariff), one with a target out of reach."""
    folder = tmp_path_factory.mktemp("calibrated")
    out = []
    for name, options in (("split", SPLIT), ("ceiling", CEILING)):
        cal = calibrate(SAMPLE, options)
        path = folder / f"{name}.xlsx"
        generate_workbook(cal.proposed, path, reports=calibration_sheets(cal))
        out.append((cal, path))
    return out


def sheet_rows(path: Path, name: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()


def table(rows: list[tuple]) -> list[dict]:
    """The report sheet's table (title, blank line, header, rows) as dicts."""
    header = rows[2]
    return [dict(zip(header, r)) for r in rows[3:] if any(v is not None for v in r)]


@pytest.mark.slow
def test_cached_values_are_the_models(written):
    for cal, path in written:
        got = results_json_from_cells(layout_for(cal.proposed), cached_values(path))
        assert got == simulate(cal.proposed).to_json()


def test_the_workbook_checks_clean_and_reads_back(written):
    for cal, path in written:
        report = check_workbook(path)
        assert report.status == "ok", report.format()
        assert scenario_to_dict(load_workbook_scenario(path)) == scenario_to_dict(cal.proposed)


def test_report_sheets_state_the_comparison(written):
    for cal, path in written:
        data = calibration_json(cal)
        summary = table(sheet_rows(path, SUMMARY_SHEET))
        for g, row in zip(data["grids"], summary):
            assert (row["Grille"], row["Nom"]) == (g["grid"], g["name"])
            assert row["Recettes avant"] == g["revenue_before"] and row["Recettes après"] == g["revenue_after"]
            assert row["Objectif"] == g["target"] and row["Écart après"] == g["gap"]
        assert summary[-1]["Grille"] == "Total"
        assert summary[-1]["Recettes après"] == data["total"]["revenue_after"]
        brackets = table(sheet_rows(path, BRACKETS_SHEET))
        for g in data["grids"]:
            rows = [r for r in brackets if r["Grille"] == g["grid"]]
            after = [r for r in rows if r["Tranche après"] is not None]
            assert [r["Montant après"] for r in after] == [t["amount"] for t in g["tranches_after"]]
            assert [r["Recettes après"] for r in after] == [t["revenue"] for t in g["tranches_after"]]
            before = [r for r in rows if r["Tranche avant"] is not None]
            assert [r["Montant avant"] for r in before] == [t["amount"] for t in g["tranches_before"]]


def named(wb, name: str) -> list:
    """The values of a defined name's cells, in order."""
    out = []
    for sheet, ref in wb.defined_names[name].destinations:
        cells = wb[sheet][ref.replace("$", "")]
        if not isinstance(cells, tuple):
            cells = ((cells,),)
        out += [c.value for row in cells for c in row]
    return out


@pytest.mark.libreoffice
def test_after_libreoffice_the_named_results_are_the_reported_numbers(libreoffice, written, tmp_path):
    paths = [path for _, path in written]
    recalculated = recalculate(paths, tmp_path / "lo")
    for (cal, _), path in zip(written, recalculated):
        data = calibration_json(cal)
        wb = openpyxl.load_workbook(path, data_only=True)
        assert money(named(wb, "TOTAL_RECETTES")[0]) == data["total"]["revenue_after"]
        assert money(named(wb, "TOTAL_OBJECTIF")[0]) == data["total"]["budget_target"]
        assert money(named(wb, "TOTAL_ECART")[0]) == data["total"]["gap"]
        for g in data["grids"]:
            k = g["grid"]
            assert money(named(wb, f"RECETTES_G{k}")[0]) == g["revenue_after"]
            assert money(named(wb, f"OBJECTIF_G{k}")[0]) == g["target"]
            assert money(named(wb, f"ECART_G{k}")[0]) == g["gap"]
            n = len(g["tranches_after"])
            assert [money(v) for v in named(wb, f"RECETTES_TRANCHE_G{k}")[:n]] == [
                t["revenue"] for t in g["tranches_after"]
            ]
            assert named(wb, f"FAMILLES_TRANCHE_G{k}")[:n] == [t["families"] for t in g["tranches_after"]]
        # The whole workbook agrees with the model, and the report sheets survive.
        assert (
            results_json_from_cells(layout_for(cal.proposed), cached_values(path)) == simulate(cal.proposed).to_json()
        )
        summary = table(sheet_rows(path, SUMMARY_SHEET))
        assert [r["Recettes après"] for r in summary[:-1]] == [g["revenue_after"] for g in data["grids"]]


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


@pytest.fixture
def main():
    """``workbook-engine``, in process."""
    return cli_main


@pytest.fixture
def sample_json(tmp_path) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(dumps_scenario(SAMPLE), encoding="utf-8")
    return path


@pytest.mark.slow
def test_cli_writes_the_proposal_and_prints_french_text(main, sample_json, tmp_path, capsys):
    out = tmp_path / "propose.xlsx"
    code = main(
        ["calibrate", str(sample_json), "--step", "5", "--max-ratio", "3", "--keep-old-tariff", "C", "-o", str(out)]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "Grille 1 : École : objectif atteint" in text and "Classeur proposé écrit" in text
    expected = calibrate(SAMPLE, CalibrationOptions(GridConstraints(step=5, max_ratio=3, keep_old_tariff="C")))
    assert scenario_to_dict(load_workbook_scenario(out)) == scenario_to_dict(expected.proposed)


@pytest.mark.slow
def test_cli_json_from_a_workbook(main, tmp_path, capsys):
    source = tmp_path / "classeur.xlsx"
    generate_workbook(SAMPLE, source)
    out = tmp_path / "propose.xlsx"
    code = main(
        [
            "calibrate",
            str(source),
            "--step",
            "10",
            "--brackets",
            "4",
            "--bound-step",
            "1000",
            "--split-top-share",
            "0,5",
            "--json",
            "-o",
            str(out),
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["feasible"] and data["output"] == str(out)
    assert all(len(g["tranches_after"]) == 4 for g in data["grids"])
    assert all(t["lower"] % 1000 == 0 for g in data["grids"] for t in g["tranches_after"])


def test_cli_unreachable_target_is_a_finding(main, sample_json, tmp_path, capsys):
    out = tmp_path / "propose.xlsx"
    code = main(["calibrate", str(sample_json), "--ceiling", "900", "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 1 and out.exists()
    assert "HORS D'ATTEINTE" in text and "montant maximal" in text


@pytest.mark.parametrize(
    "args",
    [
        ["--step", "0,001"],
        ["--max-ratio", "0.5"],
        ["--floor", "900", "--ceiling", "800"],
        ["--keep-old-tariff", "Z"],
        ["--brackets", "30"],
        ["--step", "cinq"],
        ["--grids", "4"],
    ],
)
def test_cli_unusable_options(main, sample_json, tmp_path, capsys, args):
    out = tmp_path / "propose.xlsx"
    assert main(["calibrate", str(sample_json), *args, "-o", str(out)]) == 2
    assert not out.exists()
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.slow
def test_cli_refuses_to_overwrite_its_input(main, tmp_path, capsys):
    source = tmp_path / "classeur.xlsx"
    generate_workbook(SAMPLE, source)
    before = source.read_bytes()
    assert main(["calibrate", str(source), "-o", str(source)]) == 2
    assert source.read_bytes() == before
    assert "refus d'écraser" in capsys.readouterr().err


def test_cli_other_inputs_are_refused(main, tmp_path, sample_json):
    text = tmp_path / "notes.txt"
    text.write_text("x", encoding="utf-8")
    assert main(["calibrate", str(text), "-o", str(tmp_path / "a.xlsx")]) == 2
    assert main(["calibrate", str(sample_json), "-o", str(tmp_path / "a.csv")]) == 2
    source = tmp_path / "classeur.xlsx"
    generate_workbook(replace(SAMPLE, families=SAMPLE.families[:5]), source)
    assert main(["calibrate", str(source), "--families", str(text), "-o", str(tmp_path / "b.xlsx")]) == 2
