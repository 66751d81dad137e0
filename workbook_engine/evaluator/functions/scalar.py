"""Functions written per row on Python values.

The functions a bursar adds in a cell or two (LEFT, TEXT, DATE, MOD...) do
not need numpy: ``scalar`` registers a plain Python function of Python values
(float, str, bool, None for a blank, ExcelError), called once per evaluated
row. Arguments are evaluated as values (a range where one value is expected
is intersected with the formula's row, as Excel does); an argument's error is
the result (the leftmost one) unless the function says it handles errors.

The coercions are Excel's: ``number`` (blank 0, logical 0/1, text read the
way of the locale, else #VALUE!), ``text`` (number in General format, with
the locale's decimal separator; TRUE/FALSE in the locale's words) and
``logical``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from workbook_engine.evaluator.functions.base import FUNCTIONS, Fn
from workbook_engine.evaluator.nodes import Missing, Node
from workbook_engine.evaluator.values import (
    BOOL,
    ERR,
    NUM,
    NUM_ERR,
    STR,
    VALUE,
    ExcelError,
    V,
    Value,
    bool_text,
    number_to_text,
    text_to_number,
)
from workbook_engine.evaluator.vector import Ctx, Engine

ScalarFn = Callable[..., Value]


def from_values(values: list[Value]) -> V:
    """A value vector of Python values (None: blank)."""
    size = len(values)
    t = np.zeros(size, dtype=np.int8)
    n = np.zeros(size)
    o: np.ndarray | None = None
    for i, v in enumerate(values):
        if v is None:
            continue
        if isinstance(v, ExcelError):
            t[i] = ERR
        elif isinstance(v, bool):
            t[i], n[i] = BOOL, float(v)
            continue
        elif isinstance(v, str):
            t[i] = STR
        else:
            x = float(v)
            if math.isfinite(x):
                t[i], n[i] = NUM, x + 0.0
                continue
            t[i], v = ERR, NUM_ERR
        if o is None:
            o = np.empty(size, dtype=object)
        o[i] = v
    return V(t, n, o)


def number(v: Value) -> float | ExcelError:
    """A number operand: blank 0, logical 0/1, text read as a number (the
    locale's way) or #VALUE!, errors kept."""
    if v is None:
        return 0.0
    if isinstance(v, ExcelError):
        return v
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        x = text_to_number(v)
        return VALUE if x is None else x
    return float(v)


def text(v: Value) -> str:
    """A text operand (errors are handled before): a number in General
    format, a logical in the locale's words, a blank "" ."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return bool_text(v)
    if isinstance(v, str):
        return v
    return number_to_text(float(v))


def logical(v: Value) -> bool | ExcelError:
    if v is None:
        return False
    if isinstance(v, ExcelError):
        return v
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        up = v.strip().upper()
        if up in ("TRUE", "VRAI"):
            return True
        if up in ("FALSE", "FAUX"):
            return False
        return VALUE
    return float(v) != 0


def integer(v: Value) -> int | ExcelError:
    """A count or position argument: the number truncated toward zero."""
    x = number(v)
    if isinstance(x, ExcelError):
        return x
    if abs(x) > 2**53:
        return NUM_ERR
    return int(x)


def per_row(eng: Engine, ctx: Ctx, args: list[Node], fn: ScalarFn, errors_pass: bool) -> V:
    """``fn`` on each evaluated row's argument values. An omitted argument in
    the middle (``IF(A1,,2)``) is a blank; trailing ones take ``fn``'s defaults."""
    columns: list[list[Value]] = []
    size = 1
    for node in args:
        if isinstance(node, Missing):
            columns.append([None])
            continue
        v = eng.value(node, ctx)
        columns.append(v.tolist())
        size = max(size, len(v.t))
    out: list[Value] = []
    for i in range(size):
        row = [c[i] if len(c) > 1 else c[0] for c in columns]
        if not errors_pass:
            err = next((x for x in row if isinstance(x, ExcelError)), None)
            if err is not None:
                out.append(err)
                continue
        out.append(fn(*row))
    return from_values(out)


def scalar(name: str, min_args: int, max_args: int, *, errors_pass: bool = False) -> Callable[[ScalarFn], ScalarFn]:
    """Register ``fn`` (Python values in, a Python value out) as the native
    ``name``. ``errors_pass``: ``fn`` receives errors (IFNA...); otherwise an
    argument's error is the result."""

    def register(fn: ScalarFn) -> ScalarFn:
        def impl(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
            return per_row(eng, ctx, args, fn, errors_pass)

        FUNCTIONS[name] = Fn(name, impl, min_args, max_args, elementwise=True)
        return fn

    return register


__all__ = ["from_values", "integer", "logical", "number", "per_row", "scalar", "text"]
