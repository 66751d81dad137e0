"""check compares the families column by column (``workbook.compare``): it
must give exactly what comparing the SPEC's results JSON of the model and of
the workbook, family by family, gives (how check compared before issue 21),
whatever the workbook's cells show: off by a cent or by less, text, errors,
booleans, blanks, huge numbers."""

from __future__ import annotations

import dataclasses
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_engine.evaluator.values import ExcelError
from workbook_engine.formats.sample import make_sample
from workbook_engine.model.results import label, money, ratio
from workbook_engine.model.simulate import simulate_json
from workbook_engine.workbook.check import check_numbers
from workbook_engine.workbook.compare import same_figures
from workbook_engine.workbook.file import open_workbook_file
from workbook_engine.workbook.layout import Ref
from workbook_engine.workbook.reader import read_workbook
from workbook_engine.workbook.results import SheetsPresent, family_keys, family_rows, results_json_from_cells

ODD = [
    None,
    "",
    " ",
    "A",
    "12",
    ExcelError("#VALUE!"),
    ExcelError("#N/A"),
    True,
    False,
    0,
    7,
    -0.0,
    0.005,
    0.015,
    2.675,
    1.0049999999999999,
    1e15,
    1e15 + 0.5,
    -1e16,
    math.inf,
    -math.inf,
    math.nan,
    np.float64(3.335),
]
numbers = st.one_of(
    st.sampled_from(ODD),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e7, max_value=1e7),
    st.integers(-(10**6), 10**6).map(lambda c: c / 100 + 0.005),  # halves of a cent
    st.integers(-(10**6), 10**6).map(lambda c: c / 10**6 + 5e-7),  # halves of a ratio's last decimal
)


# a figure and the same moved a little: equal or not depending on the rounding's decimals
near = st.tuples(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.sampled_from([0.0, 1e-9, 4e-7, 6e-7, 1e-4, 0.004, 0.005, 0.006, -0.004, -0.006]),
).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.tuples(numbers, numbers), near), max_size=30), st.sampled_from([money, ratio, label]))
def test_same_figures_is_the_json_comparison(pairs, convert):
    expected, found = [e for e, _ in pairs], [f for _, f in pairs]
    want = [convert(e) == convert(f) for e, f in pairs]
    assert same_figures(expected, found, convert).tolist() == want


# -- the whole family comparison -------------------------------------------------------------


@pytest.fixture(scope="module", params=["plain", "previous"])
def workbook(request, tmp_path_factory) -> Path:
    scenario = make_sample(60, seed=7)
    if request.param == "previous":  # last year's brackets: the comparison columns are checked too
        grids = tuple(
            dataclasses.replace(
                g, previous=tuple(dataclasses.replace(t, amount=t.amount + 10 * i) for i, t in enumerate(g.tranches))
            )
            for g in scenario.grids
        )
        scenario = dataclasses.replace(scenario, grids=grids)
    path = tmp_path_factory.mktemp("columns") / f"{request.param}.xlsx"
    from workbook_engine.workbook.generate import generate_workbook

    generate_workbook(scenario, path, capacity=80)
    return path


class Edited:
    """The evaluated cells, some of them replaced; reads columns too."""

    def __init__(self, ev, edits: dict[tuple[str, int, int], object]):
        self.ev, self.edits = ev, edits

    def __call__(self, ref: Ref) -> object:
        key = (ref.sheet, ref.row, ref.col)
        return self.edits[key] if key in self.edits else self.ev(ref)

    def column_values(self, sheet: str, col: int, r0: int, r1: int) -> list[object]:
        out = self.ev.column_values(sheet, col, r0, r1)
        return [self.edits.get((sheet, r, col), v) for r, v in zip(range(r0, r1 + 1), out)]


def reference(read, value) -> list[tuple[str, str, object, object]]:
    """The family findings as check found them before issue 21: the results
    JSON of the model and of the workbook compared family by family."""
    expected = simulate_json(read.scenario)
    got = results_json_from_cells(read.layout, value)
    found_of = {f["id"]: f for f in got["families"]}
    n = read.layout.n_grids
    out = []
    for exp in expected["families"]:
        found = found_of.get(exp["id"])
        if found is None:
            continue
        for g in range(n):
            fields = [("tranches", "tranche"), ("due", "dû")]
            if "previous_due" in exp:
                fields += [("previous_tranches", "tranche de l'an dernier"),
                           ("previous_due", "dû avec le barème de l'an dernier")]  # fmt: skip
            for key, what in fields:
                e, f = exp[key][g], found.get(key, [None] * n)[g]
                if e != f:
                    out.append((exp["id"], f"{what} grille {g + 1}", e, f))
        per_family = [("total_due", "total dû"), ("old_due", "ancien total"), ("change", "évolution"),
                      ("effort", "taux d'effort")]  # fmt: skip
        if "previous_total" in exp:
            per_family += [("previous_total", "total avec le barème de l'an dernier"),
                           ("change_vs_previous", "évolution par rapport à l'an dernier")]  # fmt: skip
        for key, what in per_family:
            if exp[key] != found.get(key):
                out.append((exp["id"], what, exp[key], found.get(key)))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_family_findings_are_the_json_comparison(workbook, seed):
    wf = open_workbook_file(workbook)
    read = read_workbook(wf)
    ev = wf.evaluation()
    layout = read.layout
    rng = random.Random(seed)
    rows = family_rows(layout, ev)
    keys = [k for k in family_keys(layout, True) if k != "id" and k in layout.column]
    edits: dict[tuple[str, int, int], object] = {}
    for _ in range(40):
        row, key = rng.choice(rows), rng.choice(keys)
        ref = layout.family_ref(row, key)
        now = ev(ref)
        edits[(ref.sheet, ref.row, ref.col)] = rng.choice(
            [*ODD, "Z"] + ([now + 0.01, now + 0.004, now - 1e-9, now * 1.000001] if isinstance(now, float) else [])
        )
    if seed == 0:
        edits.clear()  # the workbook as it is: no finding
    value = SheetsPresent(Edited(ev, edits), read.sheet_names)
    findings = [f for f in check_numbers(read, value) if f.family is not None]
    assert [(f.family, f.message, f.expected, f.found) for f in findings] == reference(read, value)
    if seed:
        assert findings, "40 edited cells and nothing found"
    # cell by cell (a value source without columns): the very same findings
    one_by_one = SheetsPresent(lambda ref: Edited(ev, edits)(ref), read.sheet_names)
    assert check_numbers(read, one_by_one) == check_numbers(read, value)


def test_figures_moved_a_little_and_last_years_columns_blanked(workbook):
    """Deterministic edits: a ratio moved below a cent (a finding: ratios
    have 6 decimals), a due moved by less than half a cent (none) and by more
    (one); in the workbook with last year's brackets, those brackets erased
    from the grid sheets (the workbook then shows no comparison: every last
    year's figure of the model is a finding, as in the results JSON)."""
    wf = open_workbook_file(workbook)
    read = read_workbook(wf)
    ev = wf.evaluation()
    layout = read.layout
    rows = family_rows(layout, ev)

    def at(row: int, key: str) -> tuple[str, int, int]:
        ref = layout.family_ref(row, key)
        return (ref.sheet, ref.row, ref.col)

    edits: dict[tuple[str, int, int], object] = {
        at(rows[0], "effort"): ev(layout.family_ref(rows[0], "effort")) + 0.004,
        at(rows[1], "due_g1"): ev(layout.family_ref(rows[1], "due_g1")) + 0.004,
        at(rows[2], "due_g1"): ev(layout.family_ref(rows[2], "due_g1")) + 0.006,
    }
    previous = [line for gl in layout.grids for line in gl.previous]
    if workbook.stem == "previous":
        for line in previous:
            edits[(line.lower.ref.sheet, line.lower.ref.row, line.lower.ref.col)] = None
    value = SheetsPresent(Edited(ev, edits), read.sheet_names)
    findings = [f for f in check_numbers(read, value) if f.family is not None]
    assert [(f.family, f.message, f.expected, f.found) for f in findings] == reference(read, value)
    kinds = {(f.family, f.message) for f in findings}
    fid = [str(ev(layout.family_ref(r, "id"))) for r in rows[:3]]
    assert (fid[0], "taux d'effort") in kinds and (fid[2], "dû grille 1") in kinds
    assert (fid[1], "dû grille 1") not in kinds
    if workbook.stem == "previous":
        assert any(m.startswith("total avec le barème de l'an dernier") for _f, m in kinds)
