"""Random formulas copied down a column: the vectorised evaluation of the
column run equals the evaluation of each cell on its own (the scalar path),
and never crashes. Hypothesis draws the formulas from the native function
library and the data from numbers, text, logicals, blanks and errors.

FUZZ_EXAMPLES=1000 FUZZ_RANDOM=1 python -m pytest tests/test_evaluator_fuzz.py
explores further than the default run."""

from __future__ import annotations

import os

import numpy as np
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_evaluator import write_cell

from workbook_engine.evaluator import ExcelError, evaluate_workbook
from workbook_engine.evaluator.vector import Ctx, Engine, NotVectorizable
from workbook_engine.workbook.layout import Ref

ROWS = 8
SHEET = "Données"

cells = st.one_of(
    st.sampled_from([None, 0, 1, -2, 2.5, 1.005, 0.1, 3, 1e6]),
    st.sampled_from(["a", "B", "", "3", "non", "oui", " x "]),
    st.booleans(),
    st.sampled_from(["=1/0", "=#N/A", '=""']),
)

numbers = st.sampled_from(["0", "1", "2", "-1", "0.5", "2.675", "1E3", "TRUE", "FALSE", "#N/A", "#DIV/0!"])
texts = st.sampled_from(['""', '"a"', '"non"', '"3"'])
relative = st.sampled_from(["A{r}", "B{r}", "C{r}"])
absolute = st.sampled_from(["$A$1", "$B$2", "$C$3"])
fixed_ranges = st.sampled_from(["$A$1:$A$8", "$B$1:$B$8", "$C$1:$C$8", "$A$1:$A$20"])
row_ranges = st.sampled_from(["A{r}:C{r}", "A{r}:B{r}"])
criteria = st.sampled_from(['">0"', '"<0"', "0", '"non"', '"<>"', '""', "1", '"a*"', "A{r}"])


def formulas(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = st.one_of(numbers, texts, relative, absolute)
    if depth == 0:
        return leaf
    sub = formulas(depth - 1)

    def call(name, *parts):
        return st.tuples(*parts).map(lambda xs: f"{name}({','.join(xs)})")

    binop = st.tuples(sub, st.sampled_from(["+", "-", "*", "/", "^", "&", "=", "<>", "<", ">", "<=", ">="]), sub).map(
        lambda t: f"({t[0]}{t[1]}{t[2]})"
    )
    return st.one_of(
        leaf,
        binop,
        sub.map(lambda x: f"-{x}"),
        call("IF", sub, sub, sub),
        call("IF", sub, sub),
        call("IFERROR", sub, sub),
        call("SUM", sub, st.one_of(fixed_ranges, row_ranges, sub)),
        call("MIN", st.one_of(fixed_ranges, row_ranges, relative), sub),
        call("MAX", st.one_of(fixed_ranges, relative), sub),
        call("COUNT", st.one_of(fixed_ranges, row_ranges), sub),
        call("AVERAGE", st.one_of(fixed_ranges, relative)),
        call("N", relative),
        call("OR", sub, st.one_of(relative, fixed_ranges)),
        call("AND", sub, sub),
        call("NOT", sub),
        call("ROUND", sub, st.sampled_from(["0", "1", "2", "-1"])),
        call("ROUNDUP", sub, st.sampled_from(["0", "2"])),
        call("ROUNDDOWN", sub, st.sampled_from(["0", "2"])),
        call("ABS", sub),
        call("INT", sub),
        call("ISBLANK", relative),
        call("MATCH", sub, fixed_ranges, st.sampled_from(["1", "0", "-1"])),
        call("INDEX", fixed_ranges, sub),
        call("COUNTIF", fixed_ranges, criteria),
        call("COUNTIFS", fixed_ranges, criteria, fixed_ranges, criteria),
        call("SUMIFS", st.just("$B$1:$B$8"), st.just("$A$1:$A$8"), criteria),
        call("SUMIF", st.just("$A$1:$A$8"), criteria),
    )


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (np.isnan(a) and np.isnan(b))
    return type(a) is type(b) and a == b


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)),
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(
    st.lists(st.lists(cells, min_size=3, max_size=3), min_size=ROWS, max_size=ROWS),
    st.lists(formulas(), min_size=3, max_size=3),
)
def test_column_runs_equal_cell_by_cell_evaluation(tmp_path_factory, data, exprs):
    path = tmp_path_factory.mktemp("fuzz") / "f.xlsx"
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(SHEET)
    for r, row in enumerate(data):
        for c, v in enumerate(row):
            write_cell(ws, r, c, v)
        for k, expr in enumerate(exprs):
            ws.write_formula(r, 4 + k, "=" + expr.replace("{r}", str(r + 1)))
    wb.close()

    ev = evaluate_workbook(path)
    sheet = ev.book.find(SHEET)
    engine = Engine(ev.book)
    for run in ev.runs:
        if run.col < 4 or not run.form.native:
            continue
        assert run.size == ROWS, run.form.text  # each column is one run
        for r in range(run.r0, run.r1 + 1):
            try:
                v = engine.value(run.form.tree, Ctx(sheet, run.col, np.array([r]), True))
            except NotVectorizable:  # pragma: no cover - a single row always evaluates
                raise AssertionError("a single cell must always evaluate") from None
            alone = v.item(0)
            alone = 0.0 if alone is None else alone
            got = ev(Ref(SHEET, r, run.col))
            assert _same(got, alone), (run.form.text, r, got, alone)
            assert got is None or isinstance(got, (float, str, bool, ExcelError))
