"""Information: ISBLANK, ISNUMBER, ISTEXT, ISERROR, ISNA, ISERR, ISLOGICAL,
ISNONTEXT, N, NA, ROW, COLUMN."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workbook_engine.evaluator.functions.base import (
    FUNCTIONS,
    Fn,
    Impl,
    function,
)
from workbook_engine.evaluator.functions.scalar import scalar
from workbook_engine.evaluator.nodes import Missing, Node
from workbook_engine.evaluator.values import (
    BLANK,
    BOOL,
    ERR,
    NA,
    NUM,
    STR,
    VALUE,
    ExcelError,
    V,
    Value,
    first_error,
    with_errors,
)
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine, NotVectorizable, VaryingBlock

# ---------------------------------------------------------------------------
# Information
# ---------------------------------------------------------------------------


def _is(code_test: Callable[[np.ndarray], np.ndarray]) -> Impl:
    def impl(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
        a = eng.arg(args[0], ctx)
        if isinstance(a, (Block, ConstBlock)):
            t, _, _, stored = a.data()
            a = V(t[:1], np.zeros(1)) if stored else V.const(None)
        elif isinstance(a, VaryingBlock):
            raise NotVectorizable
        elif a is None:
            a = V.const(None)
        return V.bools(code_test(a.t))

    return impl


FUNCTIONS["ISBLANK"] = Fn("ISBLANK", _is(lambda t: t == BLANK), 1, 1, elementwise=True)
FUNCTIONS["ISNUMBER"] = Fn("ISNUMBER", _is(lambda t: t == NUM), 1, 1, elementwise=True)
FUNCTIONS["ISTEXT"] = Fn("ISTEXT", _is(lambda t: t == STR), 1, 1, elementwise=True)
FUNCTIONS["ISERROR"] = Fn("ISERROR", _is(lambda t: t == ERR), 1, 1, elementwise=True)


@function("N", 1, 1)
def fn_n(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    a = eng.arg(args[0], ctx)
    if isinstance(a, (Block, ConstBlock)):
        t, n, o, stored = a.data()
        a = V(t[:1], n[:1], None if o is None else o[:1]) if stored else V.const(None)
    elif isinstance(a, VaryingBlock):
        raise NotVectorizable
    elif a is None:
        return V.const(0.0)
    t = a.t
    n = np.where(t == NUM, a.n, np.where(t == BOOL, a.n, 0.0))
    out = V.nums(n)
    if a.uni is None or a.uni == ERR:
        err = first_error(a)
        if err is not None:
            out = with_errors(out, err)
    return out


@scalar("ISNA", 1, 1, errors_pass=True)
def fn_isna(v: Value) -> Value:
    return isinstance(v, ExcelError) and v == NA


@scalar("ISERR", 1, 1, errors_pass=True)
def fn_iserr(v: Value) -> Value:
    return isinstance(v, ExcelError) and v != NA


@scalar("ISLOGICAL", 1, 1, errors_pass=True)
def fn_islogical(v: Value) -> Value:
    return isinstance(v, bool)


@scalar("ISNONTEXT", 1, 1, errors_pass=True)
def fn_isnontext(v: Value) -> Value:
    return not isinstance(v, str) or isinstance(v, ExcelError)


@scalar("NA", 0, 0)
def fn_na() -> Value:
    return NA


def _position(rows: bool) -> Impl:
    """ROW / COLUMN: of the formula's own cell, or of a reference's first cell."""

    def impl(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
        if not args or isinstance(args[0], Missing):
            return V.nums((ctx.rows + 1).astype(float)) if rows else V.const(float(ctx.col + 1))
        a = eng.range_arg(args[0], ctx)
        if isinstance(a, Block):
            return V.const(float((a.r0 if rows else a.c0) + 1))
        if isinstance(a, VaryingBlock):
            return V.nums((a.r0s + 1).astype(float)) if rows else V.const(float(a.c0 + 1))
        return a if isinstance(a, V) and a.uni == ERR else V.const(VALUE)

    return impl


FUNCTIONS["ROW"] = Fn("ROW", _position(True), 0, 1)
FUNCTIONS["COLUMN"] = Fn("COLUMN", _position(False), 0, 1)
