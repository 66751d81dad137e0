"""Logic: IF, IFERROR, AND, OR, NOT, TRUE, FALSE (each branch of IF only on
the rows that take it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import numpy as np

from workbook_engine.evaluator.functions.base import (
    _errors_like,
    function,
)
from workbook_engine.evaluator.functions.scalar import logical, scalar
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import (
    BOOL,
    ERR,
    NA,
    NUM,
    VALUE,
    ExcelError,
    V,
    Value,
    assemble,
    first_error,
    take,
    to_bool,
    with_errors,
)
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine, VaryingBlock

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

# ---------------------------------------------------------------------------
# Logic
# ---------------------------------------------------------------------------


def _branch(eng: Engine, ctx: Ctx, args: list[Node], i: int, absent: Value) -> V:
    if i >= len(args):
        return V.const(absent)
    return eng.value(args[i], ctx)


@function("IF", 1, 3, elementwise=True)
def fn_if(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """IF(cond, then, else): each branch only on the rows that take it."""
    cond = to_bool(eng.value(args[0], ctx))
    size = ctx.size
    if len(cond.t) == 1 and size != 1:
        if cond.t[0] == ERR:
            return cond
        return _branch(eng, ctx, args, 1 if cond.n[0] else 2, False)
    if cond.uni == BOOL:
        b = cond.n != 0
        if b.all():
            return _branch(eng, ctx, args, 1, False)
        if not b.any():
            return _branch(eng, ctx, args, 2, False)
        err_pos = None
    else:
        is_err = cond.t == ERR
        b = (cond.n != 0) & ~is_err
        err_pos = np.flatnonzero(is_err)
    pos_t = np.flatnonzero(b)
    pos_f = np.flatnonzero(~b if err_pos is None else ~b & (cond.t != ERR))
    parts: list[tuple[np.ndarray, V]] = []
    if len(pos_t):
        parts.append((pos_t, _branch(eng, ctx.subset(pos_t), args, 1, False)))
    if len(pos_f):
        parts.append((pos_f, _branch(eng, ctx.subset(pos_f), args, 2, False)))
    if err_pos is not None and len(err_pos):
        parts.append((err_pos, take(cond, err_pos)))
    return assemble(size, parts)


@function("IFERROR", 2, 2, elementwise=True)
def fn_iferror(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _if_error(eng, ctx, args, None)


@function("IFNA", 2, 2, elementwise=True)
def fn_ifna(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """IFNA: the alternative for #N/A only; other errors pass."""
    return _if_error(eng, ctx, args, NA)


def _if_error(eng: Engine, ctx: Ctx, args: list[Node], only: ExcelError | None) -> V:
    """The first argument, or the second (evaluated only on those rows) where
    the first is an error (``only`` that error, when given)."""
    v = eng.value(args[0], ctx)
    if v.uni is not None and v.uni != ERR:
        return v
    is_err = v.t == ERR
    if only is not None and is_err.any():
        is_err = is_err & (cast(np.ndarray, v.o) == only)  # errors: ``o`` is set
    if not is_err.any():
        return v
    if len(v.t) == 1:
        return eng.value(args[1], ctx)
    pos_e = np.flatnonzero(is_err)
    pos_ok = np.flatnonzero(~is_err)
    return assemble(ctx.size, [(pos_ok, take(v, pos_ok)), (pos_e, eng.value(args[1], ctx.subset(pos_e)))])


def _logical(
    eng: Engine, ctx: Ctx, args: list[Node], combine: Callable[[np.ndarray, ArrayLike], np.ndarray], start: bool
) -> V:
    """AND/OR: logicals and numbers count, text and blanks in references are
    skipped, text given directly is #VALUE!, no value at all is #VALUE!."""
    size = ctx.size
    acc = np.full(size, start)
    seen = np.zeros(size, dtype=bool)
    errs: list[V] = []
    for node in args:
        a = eng.arg(node, ctx)
        if a is None:
            continue
        if isinstance(a, (Block, ConstBlock)):
            t, n, o, _ = a.data()
            ok = (t == NUM) | (t == BOOL)
            if (t == ERR).any():
                errs.append(V.const(cast(np.ndarray, o)[np.flatnonzero(t == ERR)[0]]))  # errors: ``o`` is set
                continue
            if ok.any():
                vals = n[ok] != 0
                acc = combine(acc, vals.all() if start else vals.any())
                seen[:] = True
            continue
        if isinstance(a, VaryingBlock):
            m = a.matrix()
            ok = (m.t == NUM) | (m.t == BOOL)
            vals = np.where(ok, m.n != 0, start)
            acc = combine(acc, vals.all(axis=1) if start else vals.any(axis=1))
            seen |= ok.any(axis=1)
            is_err = m.t == ERR
            if is_err.any():
                rows = is_err.any(axis=1)
                first = is_err.argmax(axis=1)
                e = np.empty(size, dtype=object)
                e[rows] = cast(np.ndarray, m.o)[np.flatnonzero(rows), first[rows]]  # errors: ``o`` is set
                errs.append(with_errors(V.nums(np.zeros(size)), (rows, e)))
            continue
        if a.ref:
            ok = (a.t == NUM) | (a.t == BOOL)
            b = np.broadcast_to(a.n != 0, size)
            okb = np.broadcast_to(ok, size)
            acc = np.where(okb, combine(acc, b), acc)
            seen |= okb
            if a.uni is None or a.uni == ERR:
                if (a.t == ERR).any():
                    errs.append(a)
            continue
        bv = to_bool(a)
        acc = combine(acc, np.broadcast_to(bv.n != 0, size))
        seen[:] = True
        if bv.uni != BOOL and (bv.t == ERR).any():
            errs.append(bv)
    out = V.bools(acc)
    if not seen.all():
        out = with_errors(out, (~seen, _errors_like(size, VALUE)))
    err = first_error(*errs) if errs else None
    if err is not None:
        mask, e = err
        if len(mask) != size:
            mask, e = np.broadcast_to(mask, size), np.broadcast_to(e, size)
        out = with_errors(out, (mask, e))
    return out


@function("AND", 1)
def fn_and(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _logical(eng, ctx, args, np.logical_and, True)


@function("OR", 1)
def fn_or(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _logical(eng, ctx, args, np.logical_or, False)


@function("NOT", 1, 1, elementwise=True)
def fn_not(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    b = to_bool(eng.value(args[0], ctx))
    return V(b.t, (b.n == 0).astype(float), b.o, b.uni)


@function("TRUE", 0, 0)
def fn_true(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return V.const(True)


@function("FALSE", 0, 0)
def fn_false(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return V.const(False)


@scalar("IFS", 2, 254, errors_pass=True)
def fn_ifs(*pairs: Value) -> Value:
    """IFS(test1, value1, ...): the value of the first TRUE test; #N/A when
    none is; a test's error is the result."""
    if len(pairs) % 2:
        return NA
    for test, value in zip(pairs[0::2], pairs[1::2]):
        b = logical(test)
        if isinstance(b, ExcelError):
            return b
        if b:
            return 0.0 if value is None else value
    return NA


@scalar("XOR", 1, 255)
def fn_xor(*values: Value) -> Value:
    count = 0
    for v in values:
        b = logical(v)
        if isinstance(b, ExcelError):
            return b
        count += b
    return count % 2 == 1
