"""check: a clean workbook is consistent; each kind of tampering is found and
named; LibreOffice re-saves evaluate to the model; batch form over folders."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from libreoffice_recalc import recalculate

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.check import MAX_LISTED, check_workbook
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import SHEET_FAMILIES

CAPACITY = 400


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("check") / "clean.xlsx"
    generate_workbook(load_sample(), path, capacity=CAPACITY)
    return path


def tamper(src: Path, dst: Path, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


def col(key: str) -> str:
    return layout_for(load_sample(), capacity=CAPACITY).column[key].letter


def test_clean_workbook_checks_with_exit_0(clean, capsys):
    report = check_workbook(clean)
    assert report.findings == [] and report.exit_code == 0 and report.fallback_cells == []
    assert main(["check", str(clean)]) == 0
    assert "cohérent" in capsys.readouterr().out


def test_evaluate_json_equals_simulate_json(clean, tmp_path, capsys):
    assert main(["evaluate", str(clean), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated == simulate(load_sample()).to_json()


def due_formula(row: int) -> str:
    """The layout's formula of the amount due in grid 1, at an Excel row."""
    return "=" + layout_for(load_sample(), capacity=CAPACITY).column["due_g1"].formula(row)


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        "constant",
        "edited",
        "erased",
        "formula_as_text",
        "last_row",
        "whole_column",
        "deleted_sheet",
        "renamed_sheet",
        "deleted_name",
        "family_below",
    ],
)
def test_each_tampering_is_found_and_named(clean, tmp_path, case, capsys):
    s = load_sample()
    due, row = col("due_g1"), 4 + 7  # Excel row of the 8th family
    first, last = 4, 4 + CAPACITY - 1  # Excel rows of the family formulas

    def edit(wb):
        fam = wb[SHEET_FAMILIES]
        assert fam[f"{due}{row}"].value == due_formula(row)  # the formula the cases tamper with
        if case == "constant":
            fam[f"{due}{row}"] = 123.45
        elif case == "edited":
            fam[f"{due}{row}"] = due_formula(row) + "+10"
        elif case == "erased":
            fam[f"{due}{row}"] = None
        elif case == "formula_as_text":  # the right text, but typed as text: computes nothing
            fam[f"{due}{row}"].value, fam[f"{due}{row}"].data_type = due_formula(row), "s"
        elif case == "last_row":
            fam[f"{due}{last}"] = due_formula(last).replace("ROUND(", "ROUNDUP(")
        elif case == "whole_column":  # an edit filled down: every row, one finding
            for r in range(first, last + 1):
                fam[f"{due}{r}"] = due_formula(r) + "*1.1"
        elif case == "deleted_sheet":
            del wb["Barème"]
        elif case == "renamed_sheet":
            wb["Synthèse"].title = "Resume"
        elif case == "deleted_name":
            del wb.defined_names["TOTAL_RECETTES"]
        elif case == "family_below":
            fam = wb[SHEET_FAMILIES]
            r = 4 + CAPACITY + 3
            fam[f"A{r}"], fam[f"{col('rfr_1')}{r}"], fam[f"{col('parts')}{r}"] = "LATE", 20000, 2
            fam[f"{col('pupils_g1')}{r}"] = 1

    path = tamper(clean, tmp_path / f"{case}.xlsx", edit)
    report = check_workbook(path)
    assert report.exit_code == 1
    text = report.format()
    structure = [f for f in report.findings if f.part == "structure"]
    assert structure, text
    expected_where, kind = {
        "constant": (f"{SHEET_FAMILIES}!{due}{row}", "formule remplacée par une valeur"),
        "edited": (f"{SHEET_FAMILIES}!{due}{row}", "formule modifiée"),
        "erased": (f"{SHEET_FAMILIES}!{due}{row}", "formule effacée"),
        "formula_as_text": (f"{SHEET_FAMILIES}!{due}{row}", "formule remplacée par une valeur"),
        "last_row": (f"{SHEET_FAMILIES}!{due}{last}", "formule modifiée"),
        "whole_column": (f"{SHEET_FAMILIES}!{due}{first} (famille ", f"et {CAPACITY - MAX_LISTED} autre(s)"),
        "deleted_sheet": ("Barème", ""),
        "renamed_sheet": ("Synthèse", ""),
        "deleted_name": ("TOTAL_RECETTES", ""),
        "family_below": ("famille LATE", ""),
    }[case]
    assert any(expected_where in f.where and kind in str(f) for f in structure), text
    if case in ("constant", "edited", "erased", "formula_as_text", "last_row", "whole_column"):
        assert len(structure) == 1, text  # one tampered cell or column: one finding, nothing else
    if case in ("constant", "edited", "erased", "formula_as_text"):
        fid = s.families[7].id
        numbers = [f for f in report.findings if f.part == "numbers"]
        assert any(fid in f.where and f.where.startswith(f"{SHEET_FAMILIES}!{due}{row}") for f in numbers), text
        assert "régénérez" in text
    assert main(["check", str(path)]) == 1
    capsys.readouterr()


def test_changed_inputs_resaved_by_libreoffice_evaluate_to_the_model(libreoffice, clean, tmp_path):
    """A bursar changes inputs and saves in LibreOffice: the headless
    evaluation of the new file equals the model of the new inputs."""

    def edit(wb):
        fam = wb[SHEET_FAMILIES]
        fam[f"{col('rfr_1')}5"] = 12345
        fam[f"{col('pupils_g3')}6"] = 2
        wb["Grille 2"]["D9"] = 777.77
        wb["Paramètres"]["B11"] = 0.25

    edited = tamper(clean, tmp_path / "edited.xlsx", edit)
    resaved = recalculate([edited], tmp_path / "lo")[0]
    report = check_workbook(resaved)
    assert report.exit_code == 0, report.format()
    from workbook_engine.workbook.reader import load_workbook_scenario

    scenario = load_workbook_scenario(resaved)
    assert scenario != load_sample()
    from workbook_engine.evaluator import evaluate_workbook
    from workbook_engine.workbook.results import results_json_from_cells

    got = results_json_from_cells(layout_for(scenario, capacity=CAPACITY), evaluate_workbook(resaved))
    assert got == simulate(scenario).to_json()


def test_check_and_collect_parse_each_file_once(clean, monkeypatch):
    """The reader, the structure check, the evaluation and collect's
    aggregates share one parse of the file (no openpyxl pass)."""
    import workbook_engine.workbook.file as workbook_file
    from workbook_engine.federation.collect import summarize_workbook

    parses = []
    real = workbook_file.parse_workbook
    monkeypatch.setattr(workbook_file, "parse_workbook", lambda *args: parses.append(1) or real(*args))
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl parsed the file again"))
    assert check_workbook(clean).status == "ok"
    assert len(parses) == 1
    assert summarize_workbook(clean).status == "ok"
    assert len(parses) == 2


def test_unusable_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("id;rfr\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    assert "bad.xlsx" in capsys.readouterr().out


def test_batch_check_over_a_folder(clean, tmp_path, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(clean.read_bytes())
    tamper(clean, folder / "b.xlsx", lambda wb: wb[SHEET_FAMILIES].__setitem__(f"{col('due_g1')}5", 1))
    (folder / "c.xlsx").write_bytes(b"not a workbook")
    assert main(["check", str(folder)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[-1].startswith("Total : 3 classeur(s), 1 cohérent(s), 1 avec constats, 1 inutilisable")
    assert main(["check", str(folder / "a.xlsx"), str(folder / "b.xlsx"), "--json"]) == 1
    reports = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in reports] == ["ok", "findings"]


def test_blank_children_under_custom_parts_agree(tmp_path):
    """MIN(blank, 1) is 1 in a spreadsheet (MIN skips a blank reference): the
    formula reads N(children) so a blank counts 0, as in the model."""
    from dataclasses import replace

    s = load_sample()
    fams = (replace(s.families[0], children=None, adults=1),) + s.families[1:6]
    small = replace(s, parts_policy="custom", families=fams)
    path = tmp_path / "blank_children.xlsx"
    generate_workbook(small, path, capacity=10)
    report = check_workbook(path)
    assert report.exit_code == 0, report.format()
