"""SUMPRODUCT's arguments evaluated as arrays: operators, elementwise
functions and the choosing functions (IF, IFERROR, IFNA: every argument an
array, the choice made cell by cell, as Excel 365 does)."""

from __future__ import annotations

import pytest
from test_evaluator import one

CELLS = {
    "A1": 1,
    "A2": 2,
    "A3": 3,
    "A4": 4,
    "A5": 5,
    "B1": 10,
    "B2": 20,
    "B3": 30,
    "B4": 40,
    "B5": 50,
    "C1": "x",
    "C3": "x",
}


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("=SUMPRODUCT(IF(A1:A5>2,A1:A5,0))", 12.0),
        ("=SUMPRODUCT(IF(A1:A5>2,B1:B5))", 120.0),  # FALSE where the test fails: 0
        ("=SUMPRODUCT(IFERROR(1/(A1:A5-3),100))", 100.0),
        ('=SUMPRODUCT(--IF(C1:C5="x",1,0))', 2.0),
        ("=SUMPRODUCT((A1:A5>1)*(A1:A5<5)*B1:B5)", 90.0),
        ("=SUMPRODUCT(ABS(A1:A5-3))", 6.0),
        ("=SUMPRODUCT(A1:A5*{1;0;1;0;1})", 9.0),  # a column constant against a column
        ("=SUMPRODUCT(A1:A5*{1,2})", 45.0),  # a column times a row: a 5 x 2 table
        ("=SUMPRODUCT(A1:A5*{1;2})", "#N/A"),  # columns of different heights: #N/A past the shorter
        ("=SUMPRODUCT(--(A1:A5>=SUM(A1:A5)/5))", 3.0),  # an aggregate inside is one value
        ("=SUMPRODUCT(INDEX(B1:B5,0)*A1:A5)", 550.0),
    ],
)
def test_array_arguments(tmp_path, formula, expected):
    got = one(tmp_path, formula, **CELLS)
    assert got == expected, (formula, got)


def test_sumproduct_down_a_column_is_evaluated_row_by_row(tmp_path):
    from test_evaluator import values

    cells = dict(CELLS)
    for r in range(1, 6):
        cells[f"D{r}"] = f"=SUMPRODUCT(--($A$1:$A$5>=A{r}))"
    _, v = values(tmp_path, cells)
    assert [v(f"D{r}") for r in range(1, 6)] == [5.0, 4.0, 3.0, 2.0, 1.0]


def test_row_and_column_of_the_cell_and_of_references(tmp_path):
    from test_evaluator import values

    cells = {f"B{r}": "=ROW()*10+COLUMN()" for r in range(1, 5)}
    cells.update({f"C{r}": f"=ROW(A{r + 2})" for r in range(1, 5)})
    _, v = values(tmp_path, cells)
    assert [v(f"B{r}") for r in range(1, 5)] == [12.0, 22.0, 32.0, 42.0]
    assert [v(f"C{r}") for r in range(1, 5)] == [3.0, 4.0, 5.0, 6.0]
