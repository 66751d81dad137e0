"""Generated workbooks in a real spreadsheet application: LibreOffice opens
them, recalculates every formula, saves; every named result and every
family's dues then equal the model, to the cent."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
from cached_cells import cached_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libreoffice_recalc import recalculate
from strategies import scenarios

from workbook_engine.formats.sample import load_sample
from workbook_engine.model.domain import INDICATORS, PARTS_POLICIES, SIBLING_SCOPES, Scenario, Tranche
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import SHEET_FAMILIES
from workbook_engine.workbook.results import results_json_from_cells

CAPACITY = 30


def vary(i: int, s: Scenario) -> Scenario:
    """Every batch of 8 walks through all combinations of indicator, parts
    policy and sibling scope (CAF aid on for some), whatever hypothesis drew."""
    return replace(
        s,
        indicator=INDICATORS[i % 2],
        parts_policy=PARTS_POLICIES[(i // 2) % 2],
        sibling_scope=SIBLING_SCOPES[(i // 4) % 2],
        include_caf_aid=i % 3 == 0,
    )


def assert_libreoffice_agrees(tmp_path: Path, batch: list[Scenario], capacity: int = CAPACITY) -> None:
    src = tmp_path / "src"
    src.mkdir()
    paths = []
    for i, s in enumerate(batch):
        paths.append(src / f"s{i}.xlsx")
        generate_workbook(s, paths[-1], capacity=capacity)
    recalculated = recalculate(paths, tmp_path / "lo")
    for s, path in zip(batch, recalculated):
        got = results_json_from_cells(layout_for(s, capacity=capacity), cached_values(path))
        assert got == simulate(s).to_json(), path.name


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(st.lists(scenarios(max_grids=4, max_families=12, min_families=4), min_size=8, max_size=8))
def test_libreoffice_recalculation_equals_the_model(libreoffice, tmp_path_factory, batch):
    """Hypothesis draws batches of 8 scenarios, one LibreOffice run each."""
    batch = [vary(i, s) for i, s in enumerate(batch)]
    assert_libreoffice_agrees(tmp_path_factory.mktemp("lo"), batch)


@settings(
    max_examples=1,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(st.lists(scenarios(max_grids=6, max_families=12, min_families=6), min_size=3, max_size=3))
def test_libreoffice_many_grids(libreoffice, tmp_path_factory, batch):
    # At least one structure of 12 grids.
    twelve = batch[0]
    while twelve.n_grids < 12:
        twelve = replace(
            twelve,
            grids=twelve.grids + twelve.grids[: 12 - twelve.n_grids],
            families=tuple(replace(f, pupils=(f.pupils * 12)[:12]) for f in twelve.families),
        )
    assert_libreoffice_agrees(tmp_path_factory.mktemp("lo12"), [twelve] + batch[1:])


def test_libreoffice_rounding_edge_cases(libreoffice, tmp_path):
    """Dues that land on half a cent: spreadsheet ROUND, not banker's rounding."""
    s = load_sample()
    grid = replace(
        s.grids[0], tranches=(Tranche("A", 0.0, 271.465), Tranche("B", 8000.0, 100.05), Tranche("C", 15000.0, 2.675))
    )
    s = replace(s, grids=(grid,) + s.grids[1:], sibling_rates=(0.5, 0.35, 0.15))
    assert_libreoffice_agrees(tmp_path, [s], capacity=len(s.families))


def test_full_sample_after_recalculation(libreoffice, tmp_path):
    assert_libreoffice_agrees(tmp_path, [load_sample()], capacity=2000)


def test_edits_in_the_spreadsheet_flow_through_every_result(libreoffice, tmp_path):
    """Change an RFR, a bound, an amount, a rate, a pupil count and a notice in
    the file, as a bursar would: after recalculation every result follows."""
    s = load_sample()
    path = tmp_path / "edited.xlsx"
    layout = layout_for(s)
    generate_workbook(s, path)

    wb = openpyxl.load_workbook(path)
    fam = wb[SHEET_FAMILIES]

    def family_cell(i: int, key: str):
        return fam.cell(layout.first_row + i + 1, layout.column[key].col + 1)

    def at(cell):
        return wb[cell.ref.sheet].cell(cell.ref.row + 1, cell.ref.col + 1)

    family_cell(0, "rfr_1").value = 4000
    family_cell(1, "pupils_g2").value = 3
    family_cell(2, "notice").value = "non"
    at(layout.grids[1].slots[2].amount).value = 901.35
    at(layout.grids[0].slots[1].lower).value = 6500
    at(layout.param["rate_2"]).value = 0.15
    wb.save(path)

    fams = list(s.families)
    fams[0] = replace(fams[0], rfr_1=4000.0)
    fams[1] = replace(fams[1], pupils=(fams[1].pupils[0], 3, fams[1].pupils[2]))
    fams[2] = replace(fams[2], notice=False)
    g1, g2 = s.grids[0], s.grids[1]
    g1 = replace(g1, tranches=(g1.tranches[0], replace(g1.tranches[1], lower=6500.0)) + g1.tranches[2:])
    g2 = replace(g2, tranches=g2.tranches[:2] + (replace(g2.tranches[2], amount=901.35),) + g2.tranches[3:])
    edited = replace(s, families=tuple(fams), grids=(g1, g2, s.grids[2]), sibling_rates=(0.15,) + s.sibling_rates[1:])

    out = recalculate([path], tmp_path / "lo")[0]
    got = results_json_from_cells(layout, cached_values(out))
    expected = simulate(edited).to_json()
    assert got == expected
    assert expected != simulate(s).to_json()
