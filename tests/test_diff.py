"""diff OLD NEW: nothing for the same workbook or a sorted one; each input,
parameter, tranche and formula edit by its cell; the effect on revenue and
dues computed by the model; files edited and re-saved by real LibreOffice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_workbooks import formula_plus_one, generate, layout, number, replace_cells

from workbook_engine.cli.main import main
from workbook_engine.evaluator.refs import col_letters
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.simulate import simulate_json
from workbook_engine.workbook.reader import load_workbook_scenario


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("diff") / "envoi_1.xlsx")


def run_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["diff", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_same_workbook_is_no_change(clean, capsys):
    code, doc = run_json(capsys, str(clean), str(clean))
    assert code == 0 and doc["changed"] is False and doc["changes"] == [] and doc["dues"] == []
    assert main(["diff", str(clean), str(clean)]) == 0
    assert "Aucune différence" in capsys.readouterr().out


def test_each_edit_is_named_by_its_cell_with_its_effect(clean, tmp_path, capsys):
    lay = layout()
    s = load_sample()
    fam = s.families[8]
    row = lay.first_row + 8
    rfr = f"{lay.column['rfr_1'].letter}{row + 1}"
    due = f"{lay.column['due_g1'].letter}{lay.first_row + 2}"
    amount = lay.grids[1].slots[1].amount.ref
    rate = lay.param["rate_3"].ref
    revenue = lay.grids[0].summary_cell("revenue").ref
    edited = replace_cells(
        clean,
        tmp_path / "envoi_2.xlsx",
        {
            lay.families_sheet: {rfr: number(41000), due: number(1.5)},
            amount.sheet: {amount.a1: number(777.77)},
            rate.sheet: {rate.a1: number(0.25)},
            revenue.sheet: {revenue.a1: formula_plus_one},
        },
    )
    code, doc = run_json(capsys, str(clean), str(edited))
    assert code == 1 and doc["changed"]
    by_cell = {c["cell"]: c for c in doc["changes"]}
    fam_sheet = lay.families_sheet
    assert (by_cell[f"{fam_sheet}!{rfr}"]["old"], by_cell[f"{fam_sheet}!{rfr}"]["new"]) == (fam.rfr_1, 41000)
    assert by_cell[f"{fam_sheet}!{rfr}"]["family"] == fam.id
    assert by_cell[f"{amount.sheet}!{amount.a1}"]["new"] == 777.77
    assert by_cell[f"{rate.sheet}!{rate.a1}"]["section"] == "parameters"
    assert by_cell[f"{fam_sheet}!{due}"]["section"] == "formulas"
    assert by_cell[f"{revenue.sheet}!{revenue.a1}"]["section"] == "formulas"
    assert len(doc["changes"]) == 5
    # The effect is the model's, computed from each file's inputs.
    before = simulate_json(load_workbook_scenario(clean))
    after = simulate_json(load_workbook_scenario(edited))
    assert [r["new"] for r in doc["revenue"]] == [g["revenue"] for g in after["grids"]] + [after["total"]["revenue"]]
    assert [r["old"] for r in doc["revenue"]] == [g["revenue"] for g in before["grids"]] + [before["total"]["revenue"]]
    moved = {f["id"] for f, g in zip(before["families"], after["families"]) if f["due"] != g["due"]}
    assert {d["family"] for d in doc["dues"]} == moved and fam.id in moved
    assert main(["diff", str(clean), str(edited), "--format", "html", "-o", str(tmp_path / "d.html")]) == 1
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and f'data-cell="{fam_sheet}!{rfr}"' in page
    capsys.readouterr()


def test_a_sending_with_input_errors_still_shows_its_changes(clean, tmp_path, capsys):
    """An income typed "35000.50" (not a number in a French spreadsheet) is
    an input error: the change is shown, the effect is not computed."""
    from report_workbooks import inline_text

    lay = layout()
    rfr = f"{lay.column['rfr_1'].letter}{lay.first_row + 9}"
    broken = replace_cells(clean, tmp_path / "errors.xlsx", {lay.families_sheet: {rfr: inline_text("35000.50")}})
    code, doc = run_json(capsys, str(clean), str(broken))
    assert code == 1
    assert [(c["cell"], c["new"]) for c in doc["changes"]] == [(f"{lay.families_sheet}!{rfr}", "35000.50")]
    assert doc["unreadable"] == [str(broken)] and doc["revenue"] == [] and doc["dues"] == []
    assert main(["diff", str(clean), str(broken)]) == 1
    assert "non calculé" in capsys.readouterr().out


def test_unusable_input_exits_2(clean, tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nope")
    assert main(["diff", str(clean), str(bad)]) == 2
    assert "bad.xlsx" in capsys.readouterr().err


def test_sorted_and_edited_in_libreoffice(uno_office, clean, tmp_path, capsys):
    """Sorting the families in LibreOffice is no change; an income and a
    tranche amount typed before sorting are the only changes, named by the
    cells where they now are."""
    from libreoffice_uno import EditJob, edit_many

    lay = layout()
    s = load_sample()
    fam = s.families[8]
    amount = lay.grids[1].slots[1].amount.ref
    sort = {
        "op": "sort_rows",
        "sheet": lay.families_sheet,
        "first_row": lay.first_row,
        "last_row": lay.first_row + len(s.families) - 1,
        "first_col": 0,
        "last_col": lay.columns[-1].col,
        "key_col": lay.column["rfr_1"].col,
        "ascending": False,
    }
    edits = [
        {
            "op": "set_value",
            "sheet": lay.families_sheet,
            "row": lay.first_row + 8,
            "col": lay.column["rfr_1"].col,
            "value": 41000,
        },
        {"op": "set_value", "sheet": amount.sheet, "cell": amount.a1, "value": 777.77},
    ]
    row = lay.first_row + 10
    last_input = max(c.col for c in lay.input_columns)
    insert = [  # an empty line in the table, its formulas filled down, the copied inputs cleared
        {"op": "insert_rows", "sheet": lay.families_sheet, "row": row},
        {"op": "fill_down", "sheet": lay.families_sheet, "from_row": row - 1, "to_row": row},
        {"op": "clear", "sheet": lay.families_sheet, "range": f"A{row + 1}:{col_letters(last_input)}{row + 1}"},
    ]
    jobs = [
        EditJob(clean, [sort], tmp_path, "trie", ("xlsx",)),
        EditJob(clean, [*edits, sort], tmp_path, "modifie_trie", ("xlsx",)),
        EditJob(clean, insert, tmp_path, "ligne_inseree", ("xlsx",)),
    ]
    sorted_file, edited_file, inserted_file = (r.get().path("xlsx") for r in edit_many(uno_office, jobs))
    assert load_workbook_scenario(sorted_file).families != s.families  # the rows did move
    code, doc = run_json(capsys, str(clean), str(sorted_file))
    assert code == 0, doc["changes"]
    code, doc = run_json(capsys, str(clean), str(inserted_file))
    assert code == 0, doc["changes"]
    assert [c["section"] for c in doc["changes"]] == ["structure"]  # told, as information
    assert doc["changes"][0]["counts"] is False and "insérée" in doc["changes"][0]["what"]
    code, doc = run_json(capsys, str(clean), str(edited_file))
    assert code == 1
    changes = {(c["section"], c["family"], c["new"]) for c in doc["changes"]}
    assert changes == {("families", fam.id, 41000), ("grids", None, 777.77)}
    income = next(c for c in doc["changes"] if c["family"] == fam.id)
    new_row = load_workbook_scenario(edited_file).families.index(
        next(f for f in load_workbook_scenario(edited_file).families if f.id == fam.id)
    )
    assert income["cell"] == f"{lay.families_sheet}!{lay.column['rfr_1'].letter}{lay.first_row + new_row + 1}"
    assert new_row != 8
