"""Rounding and arithmetic functions: ROUND at 15 significant digits then
half away from zero, ROUNDUP/ROUNDDOWN, ABS, INT (vectorised: the layout's);
MOD, TRUNC, MROUND, CEILING, FLOOR, SIGN, SQRT, POWER, PI (per row)."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Decimal

import numpy as np

from workbook_engine.evaluator.functions.base import function
from workbook_engine.evaluator.functions.scalar import integer, number, scalar
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import (
    DIV0,
    NUM,
    NUM_ERR,
    ExcelError,
    V,
    Value,
    first_error,
    to_number,
    with_errors,
)
from workbook_engine.evaluator.vector import Ctx, Engine, arithmetic
from workbook_engine.model.money import excel_round, excel_round_array

# ---------------------------------------------------------------------------
# Rounding and arithmetic functions
# ---------------------------------------------------------------------------


def _digits(eng: Engine, ctx: Ctx, args: list[Node], i: int) -> V:
    if i >= len(args):
        return V.const(0.0)
    return to_number(eng.value(args[i], ctx))


def _round_with(eng: Engine, ctx: Ctx, args: list[Node], rounder: Callable[[np.ndarray, int], np.ndarray]) -> V:
    x = to_number(eng.value(args[0], ctx))
    d = _digits(eng, ctx, args, 1)
    err = first_error(x, d) if (x.uni != NUM or d.uni != NUM) else None
    digits = np.trunc(d.n).astype(np.int64)
    size = max(len(x.n), len(digits))
    xs = np.broadcast_to(x.n, size)
    if len(digits) == 1 or (digits == digits[0]).all():
        r = rounder(xs, int(digits[0]))
    else:
        r = np.empty(size)
        ds = np.broadcast_to(digits, size)
        for k in np.unique(ds).tolist():
            sel = ds == k
            r[sel] = rounder(xs[sel], int(k))
    out = V.nums(r)
    return with_errors(out, err) if err else out


def _roundup_one(x: float, digits: int, mode: str) -> float:
    if not np.isfinite(x):
        return float(x)
    d = Decimal(format(float(x), ".15g"))
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=mode))


def _directed_round(x: np.ndarray, digits: int, up: bool) -> np.ndarray:
    """ROUNDUP (away from zero) / ROUNDDOWN (toward zero) of the value read at
    15 significant digits: ROUNDUP(2.21+2.19, 2) = 4.4, not 4.41.

    Fast path on the scaled value; values whose scaled magnitude sits within
    reading noise of a whole number are redone exactly with Decimal."""
    x = np.asarray(x, dtype=float)
    scale = 10.0**digits
    with np.errstate(all="ignore"):
        scaled = np.abs(x) * scale
        out = np.sign(x) * (np.ceil(scaled) if up else np.floor(scaled)) / scale
        near = np.abs(scaled - np.rint(scaled)) < np.maximum(1e-9, scaled * 1e-13)
    near &= np.isfinite(x)
    if near.any():
        idx = np.flatnonzero(near)
        mode = ROUND_UP if up else ROUND_DOWN
        out[idx] = [_roundup_one(v, digits, mode) for v in x[idx].tolist()]
    result: np.ndarray = out + 0.0
    return result


@function("ROUND", 1, 2, elementwise=True)
def fn_round(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """ROUND at 15 significant digits, then half away from zero (money.py)."""

    def rounder(xs: np.ndarray, k: int) -> np.ndarray:
        if len(xs) == 1:
            out = np.array([excel_round(float(xs[0]), k)])
        else:
            out = excel_round_array(np.array(xs, dtype=float), k)
        big = np.abs(out) >= 1e15
        if big.any():  # money.py leaves these as they are: read them at 15 digits here
            out = out.copy()
            idx = np.flatnonzero(big & np.isfinite(out))
            out[idx] = [_round_big(v, k) for v in np.asarray(xs, dtype=float)[idx].tolist()]
        return out

    return _round_with(eng, ctx, args, rounder)


def _round_big(x: float, digits: int) -> float:
    """ROUND of a number of 15 digits or more before the point: its 15
    significant digits leave no fraction (ROUND(1E15+0.5,0) is 1E15, an
    integer); negative ``digits`` still round half away from zero."""
    d = Decimal(format(x, ".15g"))
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)) if digits < 0 else float(d)


@function("ROUNDUP", 1, 2, elementwise=True)
def fn_roundup(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _round_with(eng, ctx, args, lambda xs, k: _directed_round(xs, k, True))


@function("ROUNDDOWN", 1, 2, elementwise=True)
def fn_rounddown(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _round_with(eng, ctx, args, lambda xs, k: _directed_round(xs, k, False))


@function("ABS", 1, 1, elementwise=True)
def fn_abs(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    x = to_number(eng.value(args[0], ctx))
    return V(x.t, np.abs(x.n), x.o, x.uni)


@function("INT", 1, 1, elementwise=True)
def fn_int(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    x = to_number(eng.value(args[0], ctx))
    return V(x.t, np.floor(x.n) + 0.0, x.o, x.uni)


# ---------------------------------------------------------------------------
# Multiples and remainders, per row, in decimal: CEILING(4.42, 0.05) is 4.45
# (a binary quotient would give 88.39999... and 4.4), as in Excel
# ---------------------------------------------------------------------------


def _dec(x: float) -> Decimal:
    """A double as the decimal a spreadsheet shows (15 significant digits)."""
    return Decimal(format(x, ".15g"))


def _multiple(x: float, sig: float, mode: str) -> float:
    q = (_dec(x) / _dec(sig)).to_integral_value(rounding=mode)
    return float(q * _dec(sig)) + 0.0


@scalar("MOD", 2, 2)
def fn_mod(n: Value, d: Value) -> Value:
    """MOD(n, d) = n - d*INT(n/d): the sign of the divisor; #DIV/0! for 0."""
    x, y = number(n), number(d)
    if isinstance(x, ExcelError):
        return x
    if isinstance(y, ExcelError):
        return y
    if y == 0:
        return DIV0
    if not (math.isfinite(x / y)) or abs(x / y) >= 2**53:
        return NUM_ERR
    q = (_dec(x) / _dec(y)).to_integral_value(rounding=ROUND_FLOOR)
    return float(_dec(x) - _dec(y) * q) + 0.0


@scalar("TRUNC", 1, 2)
def fn_trunc(x: Value, digits: Value = 0.0) -> Value:
    v, d = number(x), integer(digits)
    if isinstance(v, ExcelError):
        return v
    if isinstance(d, ExcelError):
        return d
    return float(_directed_round(np.array([v]), d, False)[0])


@scalar("MROUND", 2, 2)
def fn_mround(x: Value, multiple: Value) -> Value:
    """MROUND: the nearest multiple, halves away from zero; #NUM! when the
    number and the multiple have different signs (LibreOffice gives -4 for
    MROUND(5,-2): Excel's #NUM! is the reference)."""
    v, m = number(x), number(multiple)
    if isinstance(v, ExcelError):
        return v
    if isinstance(m, ExcelError):
        return m
    if m == 0 or v == 0:
        return 0.0
    if (v > 0) != (m > 0):
        return NUM_ERR
    return _multiple(v, m, ROUND_HALF_UP)


@scalar("CEILING", 2, 2)
def fn_ceiling(x: Value, significance: Value) -> Value:
    """CEILING: up to a multiple of the significance (toward zero for a
    negative number and a positive significance, as Excel 2010+);
    #NUM! for a positive number and a negative significance."""
    v, s = number(x), number(significance)
    if isinstance(v, ExcelError):
        return v
    if isinstance(s, ExcelError):
        return s
    if s == 0 or v == 0:
        return 0.0
    if v > 0 and s < 0:
        return NUM_ERR
    return _multiple(v, s, ROUND_CEILING)


@scalar("FLOOR", 2, 2)
def fn_floor(x: Value, significance: Value) -> Value:
    """FLOOR: down to a multiple of the significance (away from zero for a
    negative number and a positive significance); #DIV/0! for a zero
    significance, #NUM! for a positive number and a negative one."""
    v, s = number(x), number(significance)
    if isinstance(v, ExcelError):
        return v
    if isinstance(s, ExcelError):
        return s
    if v == 0:
        return 0.0
    if s == 0:
        return DIV0
    if v > 0 and s < 0:
        return NUM_ERR
    return _multiple(v, s, ROUND_FLOOR)


@scalar("SIGN", 1, 1)
def fn_sign(x: Value) -> Value:
    v = number(x)
    return v if isinstance(v, ExcelError) else float((v > 0) - (v < 0))


@scalar("SQRT", 1, 1)
def fn_sqrt(x: Value) -> Value:
    v = number(x)
    if isinstance(v, ExcelError):
        return v
    return NUM_ERR if v < 0 else math.sqrt(v)


@scalar("POWER", 2, 2)
def fn_power(x: Value, y: Value) -> Value:
    a, b = number(x), number(y)
    if isinstance(a, ExcelError):
        return a
    if isinstance(b, ExcelError):
        return b
    return arithmetic("^", V.const(a), V.const(b)).item()


@scalar("PI", 0, 0)
def fn_pi() -> Value:
    return math.pi
