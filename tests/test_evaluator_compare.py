"""The evaluator's shortcut for ``x = ""`` and ``x <> ""`` (the guard of every
family formula) gives what the general comparison gives, for every kind of
value on either side, errors included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_engine.evaluator import values
from workbook_engine.evaluator.values import BLANK, BOOL, ERR, NUM, STR, ExcelError, V, compare

cells = st.one_of(
    st.just((BLANK, 0.0, None)),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: (NUM, x, None)),
    st.booleans().map(lambda b: (BOOL, float(b), None)),
    st.sampled_from(["", " ", "a", "A", "0", "FAUX"]).map(lambda s: (STR, 0.0, s)),
    st.sampled_from(["#N/A", "#VALUE!", "#DIV/0!"]).map(lambda e: (ERR, 0.0, ExcelError(e))),
)


def column(items: list[tuple[int, float, object]]) -> V:
    t = np.array([k for k, _, _ in items], dtype=np.int8)
    n = np.array([x for _, x, _ in items], dtype=float)
    o = np.array([s for _, _, s in items], dtype=object) if any(s is not None for _, _, s in items) else None
    return V(t, n, o)


def as_list(v: V) -> list[object]:
    return [
        (int(k), float(x) if k != ERR else 0.0, v.o[i] if k == ERR else None) for i, (k, x) in enumerate(zip(v.t, v.n))
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, min_size=1, max_size=12), st.sampled_from(["=", "<>"]), st.booleans())
def test_empty_text_shortcut_is_the_general_comparison(items, op, empty_on_the_right):
    x, empty = column(items), V.const("")
    assert values._is_empty_text(empty)  # the shortcut is taken below
    a, b = (x, empty) if empty_on_the_right else (empty, x)
    fast = compare(op, a, b)
    original = values._is_empty_text
    try:
        values._is_empty_text = lambda v: False
        general = compare(op, a, b)
    finally:
        values._is_empty_text = original
    assert as_list(fast) == as_list(general)


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, min_size=0, max_size=15), st.integers(0, 20), st.integers(0, 20))
def test_a_column_read_in_one_slice_is_read_cell_by_cell(items, r0, extra):
    """``Sheet.values`` (what check reads a family column with) gives what
    ``Sheet.value`` gives row by row, rows below the column included."""
    from workbook_engine.evaluator.store import Sheet

    sheet = Sheet("Familles", 0)
    if items:  # stored as read from a file: blanks stay blank (a formula's blank result would show 0)
        v, c = column(items), sheet.column(0, len(items))
        c.t[:], c.n[:] = v.t, v.n
        c.o = None if v.o is None else v.o.copy()
    r1 = r0 + extra
    assert sheet.values(0, r0, r1) == [sheet.value(r, 0) for r in range(r0, r1 + 1)]
