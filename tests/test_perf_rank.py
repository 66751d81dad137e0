"""Issue 21: the sibling rank of layout version 3 (SUMPRODUCT over ranges
of the row) and its evaluation down a whole column run at once."""

from __future__ import annotations

import re

import pytest
from test_evaluator import values
from xlsxwriter.utility import xl_col_to_name

from workbook_engine.evaluator.functions import stats
from workbook_engine.workbook.layout import build_layout

# Rows of (amounts A:C, the row's own amount D, pupils E:G): numbers, ties,
# blanks, numbers as text, logicals and an error, to pin down coercions.
ROWS = [
    [3, 1, 2, 2, 1, 2, 3],
    [2, 2, 2, 2, 1, 1, 1],
    [None, 5, 1, 1, 4, None, 2],
    [1, 2, 3, 2, "2", 1, "x"],
    [4, "#N/A", 1, 1, 1, 1, 1],
    [1, 1, 1, 1, True, 2, 2],
    [0.1 + 0.2, 0.3, 0.3, 0.3, 1, 2, 4],
    [9, 8, 7, 10, 1, 1, 1],
]

FORMULAS = [
    "SUMPRODUCT(({a}>=D{r})*{p})",
    "SUMPRODUCT(({a}>D{r})*{p})",
    "SUMPRODUCT({a},{p})",
    "SUMPRODUCT(-({a}=D{r}),{p})",
    "D{r}+SUMPRODUCT((A{r}:A{r}>D{r})*E{r}:E{r})",
]


@pytest.mark.parametrize("template", FORMULAS)
def test_sumproduct_down_a_run_equals_each_cell_alone(tmp_path, monkeypatch, template):
    runs: list[object] = []
    real = stats.run_arrays

    def spy(eng, ctx, args):
        got = real(eng, ctx, args)
        runs.append(got)
        return got

    monkeypatch.setattr(stats, "run_arrays", spy)
    cells: dict[str, object] = {}
    for i, row in enumerate(ROWS, start=1):
        for j, x in enumerate(row):
            if x == "#N/A":
                cells[f"{'ABCDEFG'[j]}{i}"] = "=NA()"
            elif x is not None:
                cells[f"{'ABCDEFG'[j]}{i}"] = x
        # The run: one formula down column H, relative to the row.
        cells[f"H{i}"] = "=" + template.format(a=f"A{i}:C{i}", p=f"E{i}:G{i}", r=i)
        # The same cell alone: absolute references, one column each (no run).
        alone = template.format(a=f"$A${i}:$C${i}", p=f"$E${i}:$G${i}", r=f"${i}")
        alone = alone.replace(f"D${i}", f"$D${i}")
        alone = re.sub(r"(?<![$\w])([A-G])(\d+)", r"$\1$\2", alone)
        cells[f"{xl_col_to_name(10 + i)}1"] = "=" + alone
    _, v = values(tmp_path, cells)
    run = [v(f"H{i}") for i in range(1, len(ROWS) + 1)]
    alone = [v(f"{xl_col_to_name(10 + i)}1") for i in range(1, len(ROWS) + 1)]
    assert run == alone
    assert any(isinstance(x, float) and x != 0 for x in run)
    assert runs and all(k is not None for k in runs)  # the run path, not cell by cell


def _row_chars(version: int, grids: int) -> int:
    layout = build_layout(grids, version=version)
    return sum(len(c.formula(5)) for c in layout.formula_columns)


def test_rank_formula_grows_linearly_with_grids_in_version_3():
    # Versions 1 and 2 keep their formulas (old workbooks check against them).
    assert _row_chars(2, 30) > 25_000
    assert "SUMPRODUCT" not in build_layout(3, version=2).column["ranked_before_g2"].formula(5)
    three, thirty = _row_chars(3, 3), _row_chars(3, 30)
    assert thirty < 12 * three, (three, thirty)


def test_rank_helpers_repeat_each_grid_tariff():
    layout = build_layout(3, version=3)
    for g in (1, 2, 3):
        helper = layout.column[f"ranked_before_amount_g{g}"]
        amount = layout.column[f"amount_g{g}"]
        assert helper.formula(7) == f"{xl_col_to_name(amount.col)}7"
    cols = [layout.column[f"ranked_before_amount_g{g}"].col for g in (1, 2, 3)]
    assert cols == list(range(cols[0], cols[0] + 3))  # side by side: one range
    f2 = layout.column["ranked_before_g2"].formula(7)
    a1, a3 = xl_col_to_name(cols[0]), xl_col_to_name(cols[2])
    assert f"({a1}7:{a1}7>=" in f2 and f"({a3}7:{a3}7>" in f2
