"""The headless evaluator on tiny workbooks: spreadsheet semantics where
money depends on them (rounding, comparisons, blanks, errors, lookups,
criteria). Each workbook is written with xlsxwriter, then evaluated from
its own formula text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_engine.evaluator import ExcelError, evaluate_workbook
from workbook_engine.evaluator.refs import parse_cell_address
from workbook_engine.workbook.layout import Ref


def write_cell(ws, r: int, c: int, v: object) -> None:
    """A formula ("=..."), boolean, number or text, as its own cell type."""
    if isinstance(v, str) and v.startswith("="):
        ws.write_formula(r, c, v)
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v)
    elif isinstance(v, (int, float)):
        ws.write_number(r, c, v)
    elif v is not None:
        ws.write_string(r, c, v)


def write_book(path: Path, sheets: dict[str, dict[str, object]]) -> Path:
    """Cells by address: '=...' is a formula, numbers/bools/text constants."""
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_numbers": False})
    for name, cells in sheets.items():
        ws = wb.add_worksheet(name)
        for addr, v in cells.items():
            write_cell(ws, *parse_cell_address(addr), v)
    wb.close()
    return path


def values(tmp_path: Path, cells: dict[str, object], sheet: str = "Feuil1"):
    ev = evaluate_workbook(write_book(tmp_path / "t.xlsx", {sheet: cells}))
    return ev, (lambda addr: ev(Ref(sheet, *parse_cell_address(addr))))


def one(tmp_path: Path, formula: str, **cells):
    """Value of ``formula`` in Z1 with the given constants."""
    _, v = values(tmp_path, {**cells, "Z1": formula})
    return v("Z1")


# ---------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("=ROUND(A1,2)", 1.01),  # 1.005 is 1.00499999999999989... in binary
        ("=ROUND(271.465,2)", 271.47),
        ("=ROUND(2.675,2)", 2.68),
        ("=ROUND(-2.675,2)", -2.68),  # half away from zero
        ("=ROUND(0.125,2)", 0.13),  # not banker's rounding
        ("=ROUNDUP(2.21+2.19,2)", 4.4),  # 4.4000000000000004 read at 15 digits
        ("=ROUNDUP(-1.231,2)", -1.24),
        ("=ROUNDDOWN(-1.239,2)", -1.23),
        ("=ROUNDDOWN(0.1*3,1)", 0.3),  # 0.30000000000000004 read at 15 digits
        ("=ROUND(1234.5,-1)", 1230.0),
        ("=ROUND(1235,-1)", 1240.0),
        ("=ROUND(2.5,0)", 3.0),
        ("=ROUND(A1*100,0)/100", 1.01),
    ],
)
def test_rounding_like_a_spreadsheet(tmp_path, formula, expected):
    assert one(tmp_path, formula, A1=1.005) == expected


def test_round_in_a_column_run_uses_the_exact_path_for_ambiguous_halves(tmp_path):
    amounts = [1.005, 271.465, 2.675, 100.05, 0.285, 1.015, 8.345, 1.5, -2.675, 0.0]
    cells = {f"A{i + 1}": a for i, a in enumerate(amounts)}
    cells.update({f"B{i + 1}": f"=ROUND(A{i + 1},2)" for i in range(len(amounts))})
    ev, v = values(tmp_path, cells)
    assert [v(f"B{i + 1}") for i in range(len(amounts))] == [
        1.01,
        271.47,
        2.68,
        100.05,
        0.29,
        1.02,
        8.35,
        1.5,
        -2.68,
        0.0,
    ]
    assert [r.size for r in ev.runs if r.col == 1] == [len(amounts)]  # one vectorised run


# ---------------------------------------------------------------------------
# Comparisons, blanks, text
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("=0.1+0.2=0.3", True),  # numbers compare at 15 significant digits
        ("=0.1+0.2<>0.3", False),
        ("=0.1+0.2<0.3", False),
        ("=0.1+0.2>=0.3", True),
        ("=1+1E-15>1", False),  # a 16th-digit difference does not count...
        ("=1+1E-14>1", True),  # ... a 15th-digit one does
        ('="ABC"="abc"', True),  # text ignores case
        ('="École"="éCOLE"', True),
        ('="a"<"B"', True),
        ('="1"=1', False),  # text is never a number in comparisons
        ('="a">1', True),  # text sorts after numbers
        ('=TRUE>"z"', True),  # logicals after text
        ('=Y9=""', True),  # a blank equals "" ...
        ("=Y9=0", True),  # ... and 0
        ("=Y9=FALSE", True),
        ('=Y9&"x"', "x"),
        ("=Y9+1", 1.0),
        ("=TRUE*3", 3.0),
        ("=-TRUE", -1.0),
        ('="3"+1', 4.0),  # numeric text converts in arithmetic
        ('="a"&1+1', "a2"),
        ('=1/3&""', "0,333333333333333"),  # General format, 15 digits, the French decimal comma (default locale)
        ("=-2^2", 4.0),  # unary minus binds tighter than ^
        ("=2^3^2", 64.0),  # left to right
        ("=1+2*3-4/2", 5.0),
        ("=5%", 0.05),
        ("=(1+2)*3", 9.0),
    ],
)
def test_operators(tmp_path, formula, expected):
    got = one(tmp_path, formula)
    assert got == expected and type(got) is type(expected)


def test_reference_to_a_blank_cell_shows_zero(tmp_path):
    _, v = values(
        tmp_path, {"B1": "=A1", "B2": "=IF(TRUE,A1)", "B3": '=IF(A1="","vide","plein")', "B4": "=INDEX(A1:A3,2)"}
    )
    assert v("B1") == 0.0 and v("B2") == 0.0 and v("B4") == 0.0
    assert v("B3") == "vide"
    assert v("A1") is None  # the blank cell itself stays blank


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("=1/0", "#DIV/0!"),
        ("=0/0", "#DIV/0!"),
        ('="a"+1', "#VALUE!"),
        ("=#N/A+1", "#N/A"),
        ("=1/0+#N/A", "#DIV/0!"),  # the left operand's error wins
        ("=IF(1/0,1,2)", "#DIV/0!"),
        ("=SUM(1,1/0)", "#DIV/0!"),
        ("=ROUND(#N/A,2)", "#N/A"),
        ("=(-8)^(1/3)", "#NUM!"),
        ("=0^0", "#NUM!"),
        ("=10^400", "#NUM!"),
        ("=MATCH(5,Y1:Y3,1)", "#N/A"),
        ("=INDEX(A1:A3,4)", "#REF!"),
        ("=OR(Y1:Y3)", "#VALUE!"),  # no logical value at all
        ("=UNKNOWNNAME+1", "#NAME?"),
        ("=#REF!", "#REF!"),
    ],
)
def test_errors_propagate(tmp_path, formula, expected):
    got = one(tmp_path, formula, A1=1.0)
    assert isinstance(got, ExcelError) and got == expected


def test_if_evaluates_only_the_branch_taken(tmp_path):
    cells = {"A2": 4.0, "A3": "x"}
    for r in range(1, 4):
        cells[f"B{r}"] = f'=IF(A{r}="","",A{r}/0)'
        cells[f"C{r}"] = f'=IF(ISBLANK(A{r}),"blanc",IF(ISNUMBER(A{r}),A{r}*2,"texte"))'
        cells[f"D{r}"] = f"=IFERROR(1/A{r},-1)"
    ev, v = values(tmp_path, cells)
    assert v("B1") == "" and v("B2") == "#DIV/0!" and v("B3") == "#VALUE!"
    assert [v(f"C{r}") for r in range(1, 4)] == ["blanc", 8.0, "texte"]
    assert [v(f"D{r}") for r in range(1, 4)] == [-1.0, 0.25, -1.0]
    assert isinstance(v("B2"), ExcelError)
    assert [r.size for r in ev.runs] == [3, 3, 3]


# ---------------------------------------------------------------------------
# Lookups
# ---------------------------------------------------------------------------


def test_approximate_match_skips_trailing_blanks(tmp_path):
    # tranche bounds 0, 6000, 9000 in B2:B11, then 7 unused (blank) lines
    cells = {"B2": 0, "B3": 6000, "B4": 9000, "D2": "A", "D3": "B", "D4": "C"}
    for r, x in enumerate([0, 5999.99, 6000, 8999.99, 9000, 1e9, -1], start=2):
        cells[f"F{r}"] = x
        cells[f"G{r}"] = f"=MATCH(F{r},$B$2:$B$11,1)"
        cells[f"H{r}"] = f"=INDEX($D$2:$D$11,G{r})"
    cells["I1"] = "=MATCH(9.99E+307,B:B)"  # the last number of the column
    cells["I2"] = "=MATCH(6000,$B$2:$B$11,0)"
    cells["I3"] = '=MATCH("b",$D$2:$D$11,0)'
    cells["I4"] = "=MATCH(7000,$B$2:$B$11)"
    cells["I5"] = "=MATCH(7000,$B$2:$B$11,0)"
    ev, v = values(tmp_path, cells)
    assert [v(f"G{r}") for r in range(2, 8)] == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert v("G8") == "#N/A"
    assert [v(f"H{r}") for r in range(2, 8)] == ["A", "A", "B", "B", "C", "C"]
    assert v("I1") == 4.0 and v("I2") == 2.0  # B4 is the 4th cell of B:B and v("I3") == 2.0 and v("I4") == 2.0
    assert v("I5") == "#N/A"


def test_index_down_a_column_with_zero_and_errors(tmp_path):
    cells = {"A1": 10, "A2": 20, "A3": 30, "A4": 40, "B1": 0, "B2": "=#N/A", "B3": 2, "B4": "x"}
    for r in range(1, 5):
        cells[f"C{r}"] = f"=INDEX($A$1:$A$4,B{r})"
        cells[f"D{r}"] = f"=INDEX($A$1:$A$4,0)*{r}"
    ev, v = values(tmp_path, cells)
    assert [v(f"C{r}") for r in range(1, 5)] == [10.0, "#N/A", 20.0, "#VALUE!"]
    assert [v(f"D{r}") for r in range(1, 5)] == [10.0, 40.0, 90.0, 160.0]


def test_index_forms(tmp_path):
    cells = {
        "A1": 1,
        "B1": 2,
        "A2": 3,
        "B2": 4,
        "D1": "=INDEX(A1:B2,2,1)",
        "D2": "=INDEX(A1:B1,2)",
        "D3": "=INDEX(A1:B2,0,1)",
        "D4": "=INDEX(A1:A2,2,0)",
        "D5": "=INDEX(A1:A2,-1)",
        "D6": "=INDEX(A1:B2,0,2)",
        "E2": "=INDEX(A1:A2,0)",
        "E3": "=INDEX(A1:A2,FALSE)",
        "F2": "=INDEX(A1:B2,0,2)",
    }
    _, v = values(tmp_path, cells)
    assert v("D1") == 3.0 and v("D2") == 2.0 and v("D4") == 3.0
    assert v("E2") == 3.0 and v("F2") == 4.0  # row 0: the formula's own row (implicit intersection)
    assert v("D5") == "#VALUE!"
    assert v("D3") == "#VALUE!" and v("D6") == "#VALUE!" and v("E3") == "#VALUE!"  # rows 3, 6 are outside


# ---------------------------------------------------------------------------
# Aggregates and criteria
# ---------------------------------------------------------------------------

CRITERIA_CELLS = {
    "A1": 1,
    "A2": -2,
    "A3": 0,
    "A4": "non",
    "A5": "NON",
    "A6": '=""',
    "A7": 5,
    "A8": "5",
    "A10": True,
    "B1": 10,
    "B2": 20,
    "B3": 30,
    "B4": 40,
    "B5": 50,
    "B6": 60,
    "B7": 70,
    "B8": 80,
    "B9": 90,
    "B10": 100,
}


@pytest.mark.parametrize(
    "formula, expected",
    [
        ('=COUNTIF(A1:A10,">0")', 2.0),
        ('=COUNTIF(A1:A10,"<0")', 1.0),
        ("=COUNTIF(A1:A10,0)", 1.0),  # a blank is not 0 for COUNTIF
        ('=COUNTIF(A1:A10,"non")', 2.0),  # case-insensitive
        ('=COUNTIF(A1:A10,"n*")', 2.0),  # wildcards
        ('=COUNTIF(A1:A10,"<>")', 9.0),  # not empty ("" from a formula counts)
        ('=COUNTIF(A1:A10,"")', 2.0),  # empty cells and empty text
        ('=COUNTIF(A1:A10,"=")', 1.0),  # empty cells only
        ("=COUNTIF(A1:A10,5)", 2.0),  # the number 5 and the text "5"
        ('=COUNTIF(A1:A10,"<>5")', 8.0),
        ("=COUNTIF(A1:A10,TRUE)", 1.0),
        ('=COUNTIF(A1:A100,"")', 92.0),  # blank rows past the last used one count
        ('=COUNTIFS(A1:A10,">0",A1:A10,"<5")', 1.0),
        ('=COUNTIFS(A1:A10,">0",B1:B10,">=70")', 1.0),
        ('=SUMIFS(B1:B10,A1:A10,">0")', 80.0),
        ('=SUMIFS(B1:B10,A1:A10,"non",B1:B10,"<50")', 40.0),
        ('=SUMIF(A1:A10,">0",B1:B10)', 80.0),
        ('=SUMIF(A1:A10,">0")', 6.0),
        ('=COUNTIFS(A1:A10,">0",B1:B9,">0")', "#VALUE!"),  # ranges of different sizes
        ("=SUM(A1:A10)", 4.0),  # text and logicals in ranges are skipped
        ("=SUM(A1,A2,TRUE)", 0.0),  # ... but a logical typed directly counts
        ("=COUNT(A1:A10)", 4.0),
        ('=COUNT(1,"2","x",TRUE)', 3.0),
        ("=MIN(A1:A10)", -2.0),
        ("=MAX(A1:A10)", 5.0),
        ("=MIN(Y1:Y5)", 0.0),
        ("=MIN(Y1,3)", 3.0),  # a blank reference is skipped
        ("=AVERAGE(B1:B4)", 25.0),
        ("=N(A4)", 0.0),
        ("=N(A7)", 5.0),
        ("=N(A10)", 1.0),
        ("=N(Y1)", 0.0),
        ("=OR(A3,A1)", True),
        ("=AND(A1,A3)", False),
        ("=AND(A1,A4)", True),  # text in a reference is skipped
        ("=OR(Y1:Y9,A3)", False),
        ('=OR("x")', "#VALUE!"),  # text given directly is not
        ("=NOT(A3)", True),
    ],
)
def test_functions_and_criteria(tmp_path, formula, expected):
    got = one(tmp_path, formula, **CRITERIA_CELLS)
    assert got == expected


def test_criteria_from_cells_and_vectorised_criteria(tmp_path):
    cells = {f"A{r}": r % 4 for r in range(1, 21)}
    cells.update({f"B{r}": 10 * r for r in range(1, 21)})
    for r in range(1, 6):
        cells[f"C{r}"] = r - 1
        cells[f"D{r}"] = f"=COUNTIF($A$1:$A$20,C{r})"
        cells[f"E{r}"] = f"=SUMIFS($B$1:$B$20,$A$1:$A$20,C{r})"
        cells[f"F{r}"] = f'=COUNTIF($A$1:$A$20,">"&C{r})'
    ids = ["F1", "f1", "F2", "F3", "F1 ", "F3"]  # duplicates, whatever the case
    for r, x in enumerate(ids, start=1):
        cells[f"H{r}"] = x
        cells[f"G{r}"] = f"=COUNTIF($H$1:$H$6,H{r})"
        cells[f"I{r}"] = f"=MATCH(H{r},$H$1:$H$6,0)"
    cells["J1"] = '=MATCH("f?",$H$1:$H$6,0)'
    cells["J2"] = '=MATCH("*3",$H$1:$H$6,0)'
    ev, v = values(tmp_path, cells)
    assert [v(f"I{r}") for r in range(1, 7)] == [1.0, 1.0, 3.0, 4.0, 5.0, 4.0]
    assert v("J1") == 1.0 and v("J2") == 4.0
    assert [v(f"G{r}") for r in range(1, 7)] == [2.0, 2.0, 1.0, 2.0, 1.0, 2.0]
    assert [v(f"D{r}") for r in range(1, 6)] == [5.0, 5.0, 5.0, 5.0, 0.0]
    assert [v(f"E{r}") for r in range(1, 6)] == [sum(10 * r for r in range(1, 21) if r % 4 == k) for k in range(4)] + [
        0.0
    ]
    assert [v(f"F{r}") for r in range(1, 6)] == [15.0, 10.0, 5.0, 0.0, 0.0]


def test_relative_ranges_down_a_column(tmp_path):
    cells = {}
    for r in range(1, 7):
        cells[f"A{r}"] = r
        cells[f"B{r}"] = 10 * r
        cells[f"D{r}"] = f"=SUM(A{r}:B{r})"  # vectorised (one row of cells per row)
        cells[f"E{r}"] = f"=MATCH(10*{r},A{r}:B{r},0)"  # row by row
        cells[f"F{r}"] = f"=SUM($A$1:A{r})"  # running total: row by row downwards
    ev, v = values(tmp_path, cells)
    assert [v(f"D{r}") for r in range(1, 7)] == [11.0 * r for r in range(1, 7)]
    assert [v(f"E{r}") for r in range(1, 7)] == [2.0] * 6
    assert [v(f"F{r}") for r in range(1, 7)] == [1.0, 3.0, 6.0, 10.0, 15.0, 21.0]


def test_running_total_in_its_own_column(tmp_path):
    cells = {"A1": 5}
    for r in range(2, 9):
        cells[f"A{r}"] = f"=A{r - 1}*2"
    cells["B1"] = "=SUM(C1:C8)"
    for r in range(1, 9):
        cells[f"C{r}"] = f"=A{r}+B$9"
    cells["B9"] = 1
    ev, v = values(tmp_path, cells)
    assert [v(f"A{r}") for r in range(1, 9)] == [5.0 * 2**k for k in range(8)]
    assert v("B1") == sum(5.0 * 2**k + 1 for k in range(8))
    assert ev.circular_cells == []


def test_circular_references_are_ref_errors(tmp_path):
    ev, v = values(tmp_path, {"A1": "=B1+1", "B1": "=A1+1", "C1": "=A1*2", "D1": 3, "E1": "=D1*2", "F1": "=F1+1"})
    assert v("A1") == "#REF!" and v("B1") == "#REF!" and v("F1") == "#REF!"
    assert v("C1") == "#REF!"  # reads a circular cell
    assert v("E1") == 6.0
    assert sorted(ev.circular_cells) == ["Feuil1!A1", "Feuil1!B1", "Feuil1!F1"]


def test_a_run_partly_inside_its_own_range(tmp_path):
    """SUM($A$1:$A$5) copied into A3:A8: A3..A5 read themselves (circular),
    A6..A8 read the circular cells."""
    cells = {"A1": 1, "A2": 2}
    for r in range(3, 9):
        cells[f"A{r}"] = "=SUM($A$1:$A$5)"
    ev, v = values(tmp_path, cells)
    assert [v(f"A{r}") for r in range(3, 9)] == ["#REF!"] * 6
    assert sorted(ev.circular_cells) == ["Feuil1!A3", "Feuil1!A4", "Feuil1!A5"]


def test_cross_sheet_references_and_defined_names(tmp_path):
    path = tmp_path / "names.xlsx"
    wb = xlsxwriter.Workbook(path)
    a = wb.add_worksheet("Données 1")
    b = wb.add_worksheet("Calc")
    a.write_number(0, 0, 21)
    a.write_number(1, 0, 4)
    wb.define_name("TAUX", "='Données 1'!$A$1")
    wb.define_name("BLOC", "='Données 1'!$A$1:$A$2")
    b.write_formula(0, 0, "='Données 1'!A1*2")
    b.write_formula(1, 0, "=TAUX+1")
    b.write_formula(2, 0, "=SUM(BLOC)")
    b.write_formula(3, 0, "='données 1'!A2")  # sheet names are case-insensitive
    wb.close()
    ev = evaluate_workbook(path)
    assert [ev(Ref("Calc", r, 0)) for r in range(4)] == [42.0, 22.0, 25.0, 4.0]
    assert ev.defined_names["TAUX"] == "'Données 1'!$A$1"
    assert ev.formulas[("Calc", 1, 0)] == "=TAUX+1"


def test_unsupported_functions_go_to_the_formulas_package(tmp_path):
    ev, v = values(
        tmp_path,
        {
            "A1": 4,
            "B1": "=LOG10(A1*25)",
            "B2": "=FACT(A1)",
            "B3": "=ROUND(LOG10(A1*25)*1.005/2,2)",
            "C1": "=B1*10",
            "C2": '=LEN(B2)&"!"',
        },
    )
    assert v("B1") == 2.0
    assert v("B2") == 24.0
    assert v("B3") == 1.01  # the fallback's ROUND is the spreadsheet's, too
    assert v("C1") == 20.0 and v("C2") == "2!"  # native cells after fallback cells
    assert sorted(ev.fallback_cells) == ["Feuil1!B1", "Feuil1!B2", "Feuil1!B3"]
    assert ev.unverified == {
        "calculée par le moteur de secours (fonction LOG10 non prise en charge)": ["Feuil1!B1", "Feuil1!B3"],
        "calculée par le moteur de secours (fonction FACT non prise en charge)": ["Feuil1!B2"],
    }


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(
        st.one_of(st.integers(-(10**7), 10**7).map(lambda c: c / 1000), st.floats(-1e6, 1e6, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
    st.integers(-3, 4),
    st.sampled_from([1.0, 0.1, 1.1, 3.0, 1 / 3]),
)
def test_vectorised_rounding_equals_the_exact_decimal_rounding(xs, digits, factor):
    """The column path (numpy, exact redo near halves) equals the one-value
    path (15 significant digits, then Decimal) for ROUND, ROUNDUP, ROUNDDOWN."""
    from decimal import ROUND_DOWN, ROUND_UP

    from workbook_engine.evaluator.functions import _directed_round, _roundup_one
    from workbook_engine.model.money import excel_round, excel_round_array

    x = np.array(xs) * factor
    assert excel_round_array(x, digits).tolist() == [excel_round(v, digits) for v in x.tolist()]
    assert _directed_round(x, digits, True).tolist() == [_roundup_one(v, digits, ROUND_UP) for v in x.tolist()]
    assert _directed_round(x, digits, False).tolist() == [_roundup_one(v, digits, ROUND_DOWN) for v in x.tolist()]


def test_every_function_of_the_layout_is_native():
    """The layout's formulas (any number of grids) call only functions the
    native engine evaluates; so does everything the writer calls native."""
    import re

    from workbook_engine.evaluator import NATIVE_FUNCTIONS
    from workbook_engine.workbook.layout import build_layout
    from workbook_engine.workbook.writer import NATIVE_FUNCTIONS as WRITER_FUNCTIONS

    used = set()
    for n in (1, 3, 12):
        layout = build_layout(n)
        texts = [c.formula for c in layout.formula_cells()] + [c.template for c in layout.formula_columns]
        for text in texts:
            used |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", text))
    assert used and used <= NATIVE_FUNCTIONS
    assert WRITER_FUNCTIONS <= NATIVE_FUNCTIONS
