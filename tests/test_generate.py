"""Generated workbooks: live formulas from the layout, the SPEC's names,
cached values equal to the model, bursar-facing features, determinism."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from cached_cells import cached_values
from hypothesis import HealthCheck, given, settings
from strategies import scenarios

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.domain import Family
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.binding import family_row, grid_values, param_values
from workbook_engine.workbook.generate import blank_scenario, generate_workbook, layout_for
from workbook_engine.workbook.layout import SHEET_FAMILIES, build_layout
from workbook_engine.workbook.results import results_json_from_cells
from workbook_engine.workbook.templates import template_files, write_templates

ROOT = Path(__file__).resolve().parents[1]
SMALL = 40  # family rows in workbooks of random scenarios, to keep tests fast


def spec_names(n_grids: int) -> set[str]:
    names = {"TOTAL_RECETTES", "TOTAL_OBJECTIF", "TOTAL_ECART", "TOTAL_ANCIENNES_RECETTES", "ID_FAMILLE", "DU_FAMILLE"}
    for g in range(1, n_grids + 1):
        names |= {
            f"RECETTES_G{g}",
            f"OBJECTIF_G{g}",
            f"ECART_G{g}",
            f"ANCIENNES_RECETTES_G{g}",
            f"FAMILLES_TRANCHE_G{g}",
            f"ELEVES_TRANCHE_G{g}",
            f"RECETTES_TRANCHE_G{g}",
            f"DU_FAMILLE_G{g}",
        }
    return names


@pytest.fixture(scope="module")
def sample_workbook(tmp_path_factory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("wb") / "sample.xlsx"
    scenario = load_sample()
    generate_workbook(scenario, path)
    return path, scenario


# -- the layout ----------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 12])
def test_layout_cells_never_overlap(n):
    layout = build_layout(n, n_slots=6, capacity=30)
    refs = [c.ref for c in layout.scalar_cells()]
    fam_cells = {
        (SHEET_FAMILIES, r, c.col) for c in layout.columns for r in range(layout.first_row, layout.last_row + 1)
    }
    assert len(refs) == len(set(refs))
    assert not fam_cells & {(r.sheet, r.row, r.col) for r in refs}


@pytest.mark.parametrize("n", [1, 3, 12])
def test_layout_defines_every_spec_name(n):
    assert spec_names(n) <= set(build_layout(n).defined_names)


def test_family_formulas_repeat_down_the_column():
    """Each family column is one formula in relative terms: only the row
    number changes from one row to the next."""
    layout = build_layout(3, capacity=5)
    for c in layout.formula_columns:
        a, b = c.formula(10), c.formula(11)
        assert re.sub(r"(?<=[A-Z])10\b", "#", a) == re.sub(r"(?<=[A-Z])11\b", "#", b)


# -- the written file ----------------------------------------------------------


def test_every_formula_and_name_is_in_the_file(sample_workbook):
    path, scenario = sample_workbook
    layout = layout_for(scenario)
    wb = openpyxl.load_workbook(path)  # formulas, not values
    for cell in layout.formula_cells():
        assert wb[cell.ref.sheet].cell(cell.ref.row + 1, cell.ref.col + 1).value == "=" + cell.formula, cell.key
    fam = wb[SHEET_FAMILIES]
    for c in layout.formula_columns:
        for row in (layout.first_row, layout.first_row + 1, layout.last_row):
            assert fam.cell(row + 1, c.col + 1).value == "=" + c.formula(row + 1), (c.key, row)
    assert spec_names(3) <= set(wb.defined_names)
    for name, ref in layout.defined_names.items():
        assert wb.defined_names[name].attr_text == ref


def test_inputs_are_written_where_the_layout_says(sample_workbook):
    path, scenario = sample_workbook
    layout = layout_for(scenario)
    wb = openpyxl.load_workbook(path)
    inputs = param_values(scenario) | grid_values(layout, scenario)
    for cell in list(layout.params) + [c for g in layout.grids for c in g.inputs]:
        got = wb[cell.ref.sheet].cell(cell.ref.row + 1, cell.ref.col + 1).value
        expected = inputs[cell.key]
        assert (got if got not in ("",) else None) == (expected if expected != "" else None), cell.key
    fam = wb[SHEET_FAMILIES]
    for i, family in enumerate(scenario.families[:50]):
        row = family_row(family)
        for c in layout.input_columns:
            assert fam.cell(layout.first_row + i + 1, c.col + 1).value == row[c.key], (family.id, c.key)


def test_cached_values_equal_the_model(sample_workbook):
    path, scenario = sample_workbook
    assert results_json_from_cells(layout_for(scenario), cached_values(path)) == simulate(scenario).to_json()


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(scenarios(max_grids=6, max_families=SMALL))
def test_cached_values_equal_the_model_on_random_scenarios(tmp_path, scenario):
    path = tmp_path / "random.xlsx"
    generate_workbook(scenario, path, capacity=SMALL)
    got = results_json_from_cells(layout_for(scenario, capacity=SMALL), cached_values(path))
    assert got == simulate(scenario).to_json()


def test_empty_rows_cache_blanks_and_count_nothing(sample_workbook):
    path, scenario = sample_workbook
    layout = layout_for(scenario)
    values = cached_values(path)
    first_empty = layout.first_row + len(scenario.families)
    from workbook_engine.workbook.layout import Ref

    for c in layout.formula_columns:
        for row in (first_empty, layout.last_row):
            assert values(Ref(SHEET_FAMILIES, row, c.col)) in (None, ""), (c.key, row)


@pytest.mark.slow
def test_generation_is_byte_identical(tmp_path):
    scenario = load_sample()
    generate_workbook(scenario, tmp_path / "a.xlsx")
    generate_workbook(scenario, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 12])
def test_blank_workbooks_of_any_grid_count(tmp_path, n):
    path = tmp_path / f"blank{n}.xlsx"
    assert main(["generate", "--grids", str(n), "-o", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    assert [ws.title for ws in wb.worksheets][2 : 2 + n] == [f"Grille {g}" for g in range(1, n + 1)]
    assert spec_names(n) <= set(wb.defined_names)
    values = cached_values(path)
    layout = build_layout(n)
    result = results_json_from_cells(layout, values)
    assert result["families"] == [] and result["total"]["revenue"] == 0
    # No cached error anywhere.
    for rows in values.sheets.values():
        for row in rows:
            assert not any(isinstance(v, str) and v.startswith("#") for v in row)


def test_bursar_text_is_never_a_formula(tmp_path):
    scenario = load_sample()
    evil = scenario.families[0]
    scenario = replace(
        scenario,
        structure='=HYPERLINK("http://x")',
        grids=(replace(scenario.grids[0], name="+cmd|' /C calc'!A0"),) + scenario.grids[1:],
        families=(
            replace(evil, id="=1+1"),
            Family(id="@SUM(A1)", pupils=(1, 0, 0), rfr_1=1000.0, parts=1.0),
            Family(id="-2", pupils=(0, 1, 0), rfr_1=1000.0, parts=1.0),
        )
        + scenario.families[1:5],
    )
    path = tmp_path / "inject.xlsx"
    generate_workbook(scenario, path, capacity=20)
    wb = openpyxl.load_workbook(path)
    assert wb["Paramètres"]["B3"].value == '=HYPERLINK("http://x")'
    assert wb["Paramètres"]["B3"].data_type == "s"
    fam = wb[SHEET_FAMILIES]
    for row, text in ((4, "=1+1"), (5, "@SUM(A1)"), (6, "-2")):
        assert fam.cell(row, 1).value == text and fam.cell(row, 1).data_type == "s"
    assert wb["Grille 1"]["B3"].data_type == "s"


def test_bursar_features(sample_workbook):
    path, scenario = sample_workbook
    with zipfile.ZipFile(path) as z:
        workbook_xml = z.read("xl/workbook.xml").decode()
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        sheets = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}
    assert 'fullCalcOnLoad="1"' in workbook_xml
    assert len(charts) == 2 * scenario.n_grids + 1
    assert all("<sheetProtection" in xml for xml in sheets.values())
    assert "password" not in "".join(sheets.values())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Mode d'emploi"
    fam = wb[SHEET_FAMILIES]
    assert fam.freeze_panes == "B4"
    validations = {str(dv.sqref): dv for dv in fam.data_validations.dataValidation}
    layout = layout_for(scenario)
    notice = layout.column["notice"].letter
    assert validations[f"{notice}4:{notice}{layout.last_row + 1}"].formula1 == '"oui,non"'
    pupils = layout.column["pupils_g1"].letter
    assert validations[f"{pupils}4:{pupils}{layout.last_row + 1}"].type == "whole"
    # Inputs unlocked, results locked.
    assert fam["B4"].protection.locked is False
    assert fam[f"{layout.column['due_g1'].letter}4"].protection.locked is True
    assert "€" in fam[f"{layout.column['due_g1'].letter}4"].number_format


@pytest.mark.slow
def test_capacity_is_configurable_and_grows_with_families(tmp_path):
    scenario = load_sample()
    assert layout_for(scenario, capacity=100).capacity == len(scenario.families)
    assert build_layout(3).capacity == 2000
    path = tmp_path / "big.xlsx"
    assert main(["generate", "--grids", "2", "--capacity", "2500", "-o", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    assert wb.defined_names["ID_FAMILLE"].attr_text == "Familles!$A$4:$A$2503"


def test_generate_refuses_to_overwrite_its_input(tmp_path):
    src = tmp_path / "s.json"
    src.write_text((ROOT / "templates/1UP/exemple_1UP.json").read_text(encoding="utf-8"), encoding="utf-8")
    before = src.read_bytes()
    assert main(["generate", str(src), "-o", str(src)]) == 2
    assert src.read_bytes() == before


@pytest.mark.slow
def test_committed_templates_are_current(tmp_path):
    write_templates(tmp_path)
    stale = []
    for n in (1, 2, 3):
        for name in template_files(n).values():
            committed = ROOT / "templates" / f"{n}UP" / name
            if not committed.exists() or committed.read_bytes() != (tmp_path / f"{n}UP" / name).read_bytes():
                stale.append(str(committed.relative_to(ROOT)))
    assert not stale, f"templates out of date: {stale}; regenerate with: workbook-engine templates -o templates"


def test_blank_template_is_the_blank_generator_output(tmp_path):
    generate_workbook(blank_scenario(2), tmp_path / "b.xlsx")
    assert (tmp_path / "b.xlsx").read_bytes() == (ROOT / "templates/2UP/tarification_2UP_vierge.xlsx").read_bytes()
