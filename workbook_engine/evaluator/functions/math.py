"""Rounding and arithmetic functions: ROUND at 15 significant digits then
half away from zero, ROUNDUP/ROUNDDOWN, ABS, INT..."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import TYPE_CHECKING

import numpy as np

from workbook_engine.evaluator.functions.base import (
    function,
)
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import (
    NUM,
    V,
    first_error,
    to_number,
    with_errors,
)
from workbook_engine.evaluator.vector import Ctx, Engine
from workbook_engine.model.money import excel_round, excel_round_array

if TYPE_CHECKING:
    pass

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


@function("ROUND", 1, 2)
def fn_round(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """ROUND at 15 significant digits, then half away from zero (money.py)."""

    def rounder(xs: np.ndarray, k: int) -> np.ndarray:
        if len(xs) == 1:
            return np.array([excel_round(float(xs[0]), k)])
        return excel_round_array(np.array(xs, dtype=float), k)

    return _round_with(eng, ctx, args, rounder)


@function("ROUNDUP", 1, 2)
def fn_roundup(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _round_with(eng, ctx, args, lambda xs, k: _directed_round(xs, k, True))


@function("ROUNDDOWN", 1, 2)
def fn_rounddown(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _round_with(eng, ctx, args, lambda xs, k: _directed_round(xs, k, False))


@function("ABS", 1, 1)
def fn_abs(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    x = to_number(eng.value(args[0], ctx))
    return V(x.t, np.abs(x.n), x.o, x.uni)


@function("INT", 1, 1)
def fn_int(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    x = to_number(eng.value(args[0], ctx))
    return V(x.t, np.floor(x.n) + 0.0, x.o, x.uni)
