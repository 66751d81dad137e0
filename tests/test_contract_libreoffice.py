"""The contract's edge cases in a real spreadsheet: LibreOffice recalculates
workbooks where every family sits on a bracket bound through a binary-noisy
sum or quotient and most dues land on half a cent, with the largest accepted
amounts, pupil counts and ranks. Its values, the evaluator's (`workbook-engine
evaluate --json`), the model's and the SPEC's exact ones agree to the cent and
the tranche (layout version 3). A version-2 workbook of the same families
shows why version 3 rounds the indicator: there LibreOffice puts the families
on the bound, the evaluator (like Excel) below it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cached_cells import cached_values
from contract_cases import edge_scenario, evaluate_json, spec_json
from libreoffice_recalc import recalculate

from workbook_engine.model.domain import Scenario
from workbook_engine.model.simulate import simulate, simulate_json, tranches_moved_by_rounding
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import Layout, build_layout
from workbook_engine.workbook.results import results_json_from_cells
from workbook_engine.workbook.writer import write_workbook

CAPACITY = 50
CASES = [  # indicator, rates in ten-thousandths (3333 = 33,33 %), sibling scope
    ("qf", (3333, 3333, 3333), "network"),
    ("rfr", (3333, 6667, 9999), "structure"),
    ("qf", (1, 5, 4999), "structure"),
    ("rfr", (1250, 3125, 7), "network"),
]


@pytest.fixture(scope="module")
def recalculated(libreoffice, tmp_path_factory) -> list[tuple[Scenario, Layout, Path, Path]]:
    """(scenario, layout, our file, LibreOffice's recalculation): the four
    edge workbooks of layout version 3 and one of version 2, one LibreOffice run."""
    src = tmp_path_factory.mktemp("contract")
    books = []
    for i, (indicator, rates, scope) in enumerate(CASES):
        s = edge_scenario(indicator, rates, scope, seed=100 + i, n=40)
        path = src / f"v3_{i}_{indicator}.xlsx"
        books.append((s, generate_workbook(s, path, capacity=CAPACITY), path))
    s = edge_scenario("qf", (3333, 3333, 3333), "network", seed=100, n=40)
    old = build_layout(s.n_grids, layout_for(s).n_slots, CAPACITY, version=2)
    path = src / "v2_qf.xlsx"
    write_workbook(path, old, s, simulate(s, round_indicator=False))
    books.append((s, old, path))
    outs = recalculate([p for _s, _l, p in books], tmp_path_factory.mktemp("contract_lo"))
    return [(s, layout, path, out) for (s, layout, path), out in zip(books, outs)]


def test_libreoffice_the_evaluator_the_model_and_the_spec_agree(recalculated):
    for s, layout, path, out in recalculated[:-1]:
        assert layout.version == 3
        spreadsheet = results_json_from_cells(layout, cached_values(out))
        model = simulate_json(s)
        assert spreadsheet == model, out.name
        assert evaluate_json(path) == model, path.name
        spec = spec_json(s)
        assert [(f["id"], f["tranches"], f["due"]) for f in model["families"]] == [
            (e["id"], e["tranches"], e["due"]) for e in spec
        ]
        # every family of these workbooks is one the unrounded rule would misplace
        assert len(tranches_moved_by_rounding(s)) == len(s.families)


def test_the_edge_workbooks_hold_half_cents_and_the_largest_inputs(recalculated):
    """The cases are what they claim to be (or the test above proves little)."""
    half_cents = 0
    for s, _layout, _path, _out in recalculated[:-1]:
        for f in s.families:
            cents = round(s.grids[0].tranches[int(f.id[1:])].amount * 100)
            rank_0 = (f.other_enrolled if s.sibling_scope == "network" else 0) + f.pupils[1]
            rates = [0, *(round(r * 10_000) for r in s.sibling_rates)]  # ten-thousandths
            k = sum(10_000 - rates[min(r, 4) - 1] for r in range(rank_0 + 1, rank_0 + f.pupils[0] + 1))
            half_cents += cents * k % 10_000 == 5_000  # due = cents x k / 10**6 ends in 5 at the third decimal
        assert max(f.pupils[0] for f in s.families) == 100
        assert s.grids[1].tranches[0].amount == 999_999.99
    assert half_cents >= 40


def test_a_version_2_workbook_differs_between_libreoffice_and_excel_on_these_families(recalculated):
    """Why layout version 3 rounds the indicator: in a version-2 workbook the
    evaluator (binary comparisons, as Excel) keeps the unrounded rule, and
    LibreOffice, whose lookups forgive binary noise, puts families on the bound."""
    s, layout, path, out = recalculated[-1]
    assert layout.version == 2
    evaluator = evaluate_json(path)
    assert evaluator == simulate_json(s, round_indicator=False)
    spreadsheet = results_json_from_cells(layout, cached_values(out))
    moved = [f["id"] for f, g in zip(evaluator["families"], spreadsheet["families"]) if f["tranches"] != g["tranches"]]
    assert moved  # LibreOffice and the evaluator part ways on version 2
    spec = {e["id"]: e["tranches"] for e in spec_json(s)}
    assert all(g["tranches"] == spec[g["id"]] for g in spreadsheet["families"] if g["id"] in moved)
