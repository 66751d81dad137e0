"""Reading filled workbooks back: exact round trip, tolerance of real input
(each oddity a warning naming its cell), errors naming their cell."""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from libreoffice_recalc import recalculate
from strategies import scenarios

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.problems import InputError
from workbook_engine.workbook.generate import blank_scenario, generate_workbook, layout_for
from workbook_engine.workbook.layout import SHEET_FAMILIES
from workbook_engine.workbook.reader import load_workbook_scenario, read_workbook


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("read") / "sample.xlsx"
    generate_workbook(load_sample(), path)
    return path


def edit(src: Path, dst: Path, changes: dict[tuple[str, str], object]) -> Path:
    """Change cells as a bursar would, and save (openpyxl drops cached values)."""
    wb = openpyxl.load_workbook(src)
    for (sheet, cell), value in changes.items():
        wb[sheet][cell] = value
    wb.save(dst)
    return dst


def test_round_trip_of_the_sample(sample_path):
    read = read_workbook(sample_path)
    assert read.problems == []
    assert read.scenario == load_sample()


@pytest.mark.slow
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(scenarios(max_grids=5, max_families=25))
def test_round_trip_of_random_scenarios(tmp_path, scenario):
    path = tmp_path / "s.xlsx"
    generate_workbook(scenario, path, capacity=25)
    assert load_workbook_scenario(path) == scenario


def test_inputs_are_read_as_the_workbook_formulas_read_them(sample_path, tmp_path):
    """A French spreadsheet computes with "35 000,50 €" typed as text; its
    formulas test the words "non", "RFR"... (ignoring case and stray spaces)
    and give any other answer the other meaning: the reader does the same,
    with a warning naming the cell, so the model and the workbook agree."""
    s = load_sample()
    layout = layout_for(s)
    col = {k: c.letter for k, c in layout.column.items()}
    r = layout.first_row + 1  # Excel row of the first family
    path = edit(
        sample_path,
        tmp_path / "odd.xlsx",
        {
            (SHEET_FAMILIES, f"{col['rfr_1']}{r}"): "35 000,50 €",
            (SHEET_FAMILIES, f"{col['notice']}{r + 1}"): "NON ",
            (SHEET_FAMILIES, f"{col['notice']}{r + 2}"): "N",
            (SHEET_FAMILIES, f"{col['notice']}{r + 3}"): "x",
            (SHEET_FAMILIES, f"{col['id']}{r + 4}"): f"  {s.families[4].id} ",
            ("Paramètres", layout.param["indicator"].ref.a1): "quotient familial",
            ("Paramètres", layout.param["parts_policy"].ref.a1): " Fiscales",
        },
    )
    read = read_workbook(path)
    assert read.errors == []
    warned = {p.cell for p in read.warnings}
    assert {
        f"{SHEET_FAMILIES}!{col['rfr_1']}{r}",
        f"{SHEET_FAMILIES}!{col['notice']}{r + 2}",
        f"{SHEET_FAMILIES}!{col['notice']}{r + 3}",
        f"Paramètres!{layout.param['indicator'].ref.a1}",
    } == warned
    told = {p.cell for p in read.problems if p.severity == "info"}
    assert {
        f"{SHEET_FAMILIES}!{col['notice']}{r + 1}",
        f"{SHEET_FAMILIES}!{col['id']}{r + 4}",
        f"Paramètres!{layout.param['parts_policy'].ref.a1}",
    } == told
    fams = read.scenario.families
    assert fams[0].rfr_1 == 35000.5
    assert fams[1].notice is False  # "NON ": TRIM and a case-blind comparison make it "non"
    assert fams[2].notice is True and fams[3].notice is True  # not "non": the formulas count a notice
    assert fams[4].id == s.families[4].id
    assert read.scenario.indicator == "qf" and read.scenario.parts_policy == "fiscal"
    assert "F0002" in " ".join(str(p) for p in read.problems)  # the family is named


@pytest.mark.slow
def test_numbers_typed_as_text_are_read_as_a_french_spreadsheet_reads_them(sample_path, tmp_path):
    """ "1200.5" is no number for a French spreadsheet (its formulas show
    #VALEUR !): an error naming the cell. A count typed as text is converted
    in arithmetic but skipped by COUNTIFS and SUMIFS: read, with a warning
    that says so."""
    layout = layout_for(load_sample())
    col = {k: c.letter for k, c in layout.column.items()}
    r = layout.first_row + 1
    path = edit(
        sample_path,
        tmp_path / "text.xlsx",
        {
            (SHEET_FAMILIES, f"{col['rfr_2']}{r + 1}"): "1200.5",
            (SHEET_FAMILIES, f"{col['pupils_g1']}{r + 5}"): "2",
        },
    )
    read = read_workbook(path)
    assert [p.cell for p in read.errors] == [f"{SHEET_FAMILIES}!{col['rfr_2']}{r + 1}"]
    counted = [p for p in read.warnings if p.cell == f"{SHEET_FAMILIES}!{col['pupils_g1']}{r + 5}"]
    assert len(counted) == 1 and "ignorent" in counted[0].message
    assert all("rfr_2" not in str(p) and "pupils" not in str(p) for p in read.problems)  # French labels only
    assert main(["read", str(path)]) == 2


def test_a_formula_in_an_input_cell_is_read_as_its_value_with_a_warning(sample_path, tmp_path):
    layout = layout_for(load_sample())
    col = {k: c.letter for k, c in layout.column.items()}
    r = layout.first_row + 1
    path = edit(
        sample_path,
        tmp_path / "formula.xlsx",
        {
            (SHEET_FAMILIES, f"{col['rfr_1']}{r}"): "=30000+5000.5",  # openpyxl saves no cached value
            (SHEET_FAMILIES, f"{col['parts']}{r}"): f"=1+{col['adults']}{r}/2",
        },
    )
    read = read_workbook(path)
    assert read.errors == []
    family = read.scenario.families[0]
    assert family.rfr_1 == 35000.5 and family.parts == 1 + family.adults / 2
    warned = {p.where.split(" ")[0] for p in read.warnings if "formule" in p.message}
    assert warned == {f"{SHEET_FAMILIES}!{col['rfr_1']}{r}", f"{SHEET_FAMILIES}!{col['parts']}{r}"}


def test_text_that_starts_with_an_equals_sign_is_text_not_a_formula(sample_path, tmp_path):
    layout = layout_for(load_sample())
    wb = openpyxl.load_workbook(sample_path)
    cell = wb[SHEET_FAMILIES][f"A{layout.first_row + 1}"]
    cell.value, cell.data_type = "=F1", "s"  # an id typed as text
    wb.save(tmp_path / "text.xlsx")
    read = read_workbook(tmp_path / "text.xlsx")
    assert read.scenario.families[0].id == "=F1"
    assert not any("formule" in p.message for p in read.problems)


def test_blank_rows_and_families_below_the_formulas_are_kept(sample_path, tmp_path):
    s = load_sample()
    layout = layout_for(s)
    col = {k: c.letter for k, c in layout.column.items()}
    r = layout.first_row + 1
    below = layout.last_row + 1 + 5  # Excel row under the last formula row
    changes = {
        (SHEET_FAMILIES, f"{col[k]}{r + 10}"): None
        for k in (
            "id",
            "rfr_1",
            "rfr_2",
            "caf_aid",
            "parts",
            "adults",
            "children",
            "other_dependents",
            "notice",
            "other_enrolled",
            "pupils_g1",
            "pupils_g2",
            "pupils_g3",
        )
    }
    changes.update(
        {
            (SHEET_FAMILIES, f"{col['id']}{below}"): "LATE1",
            (SHEET_FAMILIES, f"{col['rfr_1']}{below}"): 21000,
            (SHEET_FAMILIES, f"{col['parts']}{below}"): 2,
            (SHEET_FAMILIES, f"{col['pupils_g2']}{below}"): 1,
        }
    )
    read = read_workbook(edit(sample_path, tmp_path / "rows.xlsx", changes))
    assert read.errors == []
    ids = [f.id for f in read.scenario.families]
    assert s.families[10].id not in ids and len(ids) == len(s.families)  # one blanked, one added
    assert ids[-1] == "LATE1" and read.below_formulas == {"LATE1": below - 1}
    assert any(p.cell == f"{SHEET_FAMILIES}!A{r + 10}" and p.severity == "info" for p in read.problems)


def test_unreadable_values_are_errors_naming_the_cell(sample_path, tmp_path):
    s = load_sample()
    layout = layout_for(s)
    col = {k: c.letter for k, c in layout.column.items()}
    r = layout.first_row + 1
    path = edit(
        sample_path,
        tmp_path / "bad.xlsx",
        {
            (SHEET_FAMILIES, f"{col['rfr_1']}{r}"): "trente mille",
            (SHEET_FAMILIES, f"{col['id']}{r + 2}"): s.families[0].id,  # duplicate
            (SHEET_FAMILIES, f"{col['id']}{r + 3}"): None,  # data without id
            (SHEET_FAMILIES, f"{col['parts']}{r + 4}"): 0,  # rule: parts > 0 with a notice
            ("Grille 1", layout.grids[0].slots[1].lower.ref.a1): 0,  # bounds not increasing
            (SHEET_FAMILIES, f"{col['rfr_1']}{r + 5}"): datetime.date(2025, 3, 12),  # "12/03/2025" typed: a date
            (SHEET_FAMILIES, f"{col['caf_aid']}{r + 6}"): True,
        },
    )
    read = read_workbook(path)
    assert read.scenario is None
    where = " | ".join(p.where for p in read.errors)
    for cell in (
        f"{col['rfr_1']}{r}",
        f"{col['id']}{r + 2}",
        f"{col['id']}{r + 3}",
        f"{col['parts']}{r + 4}",
        f"{col['rfr_1']}{r + 5}",
        f"{col['caf_aid']}{r + 6}",
    ):
        assert f"{SHEET_FAMILIES}!{cell}" in where
    assert any(
        "date" in p.message and p.where.startswith(f"{SHEET_FAMILIES}!{col['rfr_1']}{r + 5}") for p in read.errors
    )
    assert f"Grille 1!{layout.grids[0].slots[1].lower.ref.a1}" in where
    assert main(["read", str(path)]) == 2


def test_a_workbook_resaved_by_libreoffice_reads_the_same(libreoffice, sample_path, tmp_path):
    out = recalculate([sample_path], tmp_path / "lo")[0]
    assert load_workbook_scenario(out) == load_sample()


def test_read_cli_writes_the_scenario_and_never_its_input(sample_path, tmp_path):
    out = tmp_path / "s.json"
    assert main(["read", str(sample_path), "-o", str(out)]) == 0
    from workbook_engine.formats.scenario_json import load_scenario_json

    assert load_scenario_json(out) == load_sample()
    before = sample_path.read_bytes()
    assert main(["read", str(sample_path), "-o", str(sample_path)]) == 2
    assert sample_path.read_bytes() == before


@pytest.mark.parametrize("content", [b"", b"id;rfr_1\nF1;35000\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600])
def test_files_that_are_not_workbooks_are_unusable(tmp_path, content):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    assert "x.xlsx" in str(exc.value)
    assert main(["read", str(path)]) == 2


def test_a_workbook_missing_a_layout_sheet_is_unusable(tmp_path):
    path = tmp_path / "blank.xlsx"
    generate_workbook(blank_scenario(1), path, capacity=10)
    wb = openpyxl.load_workbook(path)
    del wb["Familles"]
    wb.save(path)
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    assert "Familles" in str(exc.value)


def test_blank_workbook_reads_as_defaults_with_grid_errors(tmp_path):
    path = tmp_path / "blank.xlsx"
    generate_workbook(blank_scenario(2), path, capacity=10)
    read = read_workbook(path)
    assert [p.field for p in read.errors] == ["tranches", "tranches"]
    s = replace(blank_scenario(2))
    assert read.layout.n_grids == s.n_grids


def test_a_rule_broken_in_a_parameter_names_its_cell_not_a_json_field(sample_path, tmp_path):
    """A sibling rate typed as 10 (meaning 10 %): the message names the cell
    and its French label, never "sibling_rates[0]"."""
    layout = layout_for(load_sample())
    rate = layout.param["rate_2"]
    read = read_workbook(edit(sample_path, tmp_path / "rate.xlsx", {("Paramètres", rate.ref.a1): 10}))
    [error] = read.errors
    assert error.cell == f"Paramètres!{rate.ref.a1}" and error.label == rate.label
    assert "sibling_rates" not in str(error) and "Paramètres!B10 (Réduction 2e enfant)" in str(error)
