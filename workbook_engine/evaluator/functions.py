"""The native function library: a small explicit set, vectorised.

Every function the layout writes is here (IF, OR, AND, SUM, ROUND, MIN, MAX, TRIM,
MATCH, INDEX, COUNT, COUNTIF, COUNTIFS, SUMIFS, N) plus a few common ones.
A formula calling anything else is evaluated by the ``formulas`` package
(see :mod:`.fallback`) and listed in ``Evaluation.fallback_cells``.

Each implementation receives the engine, the rows being evaluated and the
argument *trees*, so that IF and IFERROR evaluate a branch only on the rows
that take it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import TYPE_CHECKING, cast

import numpy as np

from workbook_engine.evaluator.criteria import Criterion, _wildcard, criterion, lowered
from workbook_engine.evaluator.nodes import Missing, Node
from workbook_engine.evaluator.values import (
    BLANK,
    BOOL,
    DIV0,
    ERR,
    NA,
    NUM,
    REF,
    STR,
    VALUE,
    Errors,
    ExcelError,
    V,
    Value,
    assemble,
    first_error,
    take,
    text_to_number,
    to_bool,
    to_number,
    to_text,
    with_errors,
)
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine, NotVectorizable, VaryingBlock
from workbook_engine.model.money import excel_round, excel_round_array

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

# A function's implementation: (engine, rows evaluated, argument trees) -> values.
Impl = Callable[[Engine, Ctx, list[Node]], V]
# An argument's error as the aggregates collect it: a value vector whose
# error rows count, (mask, errors), or None.
ArgError = V | Errors | None


@dataclass(frozen=True)
class Fn:
    name: str
    impl: Impl
    min_args: int
    max_args: int


FUNCTIONS: dict[str, Fn] = {}


def function(name: str, min_args: int, max_args: int = 255) -> Callable[[Impl], Impl]:
    def register(impl: Impl) -> Impl:
        FUNCTIONS[name] = Fn(name, impl, min_args, max_args)
        return impl

    return register


def _errors_like(size: int, err: ExcelError) -> np.ndarray:
    o = np.empty(size, dtype=object)
    o[:] = err
    return o


# ---------------------------------------------------------------------------
# Logic
# ---------------------------------------------------------------------------


def _branch(eng: Engine, ctx: Ctx, args: list[Node], i: int, absent: Value) -> V:
    if i >= len(args):
        return V.const(absent)
    return eng.value(args[i], ctx)


@function("IF", 1, 3)
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


@function("IFERROR", 2, 2)
def fn_iferror(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    v = eng.value(args[0], ctx)
    if v.uni is not None and v.uni != ERR:
        return v
    is_err = v.t == ERR
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


@function("NOT", 1, 1)
def fn_not(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    b = to_bool(eng.value(args[0], ctx))
    return V(b.t, (b.n == 0).astype(float), b.o, b.uni)


@function("TRUE", 0, 0)
def fn_true(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return V.const(True)


@function("FALSE", 0, 0)
def fn_false(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return V.const(False)


# ---------------------------------------------------------------------------
# Aggregates: SUM, MIN, MAX, COUNT, AVERAGE
# ---------------------------------------------------------------------------


def _numbers_of(
    eng: Engine, ctx: Ctx, args: list[Node], *, count_mode: bool = False
) -> Iterator[tuple[np.ndarray, np.ndarray, ArgError]]:
    """Yield, per argument, (values matrix (size or 1, k), usable mask, errors).

    In references and ranges only numbers count (text, logicals, blanks are
    skipped); values given directly are converted (text -> #VALUE!) except
    for COUNT, which counts what converts and ignores the rest."""
    size = ctx.size
    for node in args:
        a = eng.arg(node, ctx)
        if a is None:
            yield np.zeros((1, 1)), np.ones((1, 1), dtype=bool), None
            continue
        if isinstance(a, (Block, ConstBlock)):
            t, n, o, _ = a.data()
            yield n.reshape(1, -1), (t == NUM).reshape(1, -1), _block_error(t, o)
            continue
        if isinstance(a, VaryingBlock):
            m = a.matrix()
            yield m.n, m.t == NUM, _matrix_error(m, size)
            continue
        if a.ref:
            yield a.n.reshape(-1, 1), (a.t == NUM).reshape(-1, 1), (first_error(a) if a.uni in (None, ERR) else None)
            continue
        if count_mode:
            ok = (a.t == NUM) | (a.t == BOOL)
            if a.uni not in (NUM, BOOL) and (a.t == STR).any():
                ok = ok.copy()
                ao = cast(np.ndarray, a.o)  # text: ``o`` is set
                for i in np.flatnonzero(a.t == STR).tolist():
                    ok[i] = text_to_number(ao[i]) is not None
            yield a.n.reshape(-1, 1), ok.reshape(-1, 1), None
            continue
        x = to_number(a)
        yield x.n.reshape(-1, 1), (x.t == NUM).reshape(-1, 1), (first_error(x) if x.uni != NUM else None)


def _block_error(t: np.ndarray, o: np.ndarray | None) -> V | None:
    if (t == ERR).any():
        return V.const(cast(np.ndarray, o)[np.flatnonzero(t == ERR)[0]])  # errors: ``o`` is set
    return None


def _matrix_error(m: V, size: int) -> Errors | None:
    is_err = m.t == ERR
    if not is_err.any():
        return None
    rows = is_err.any(axis=1)
    first = is_err.argmax(axis=1)
    e = np.empty(size, dtype=object)
    e[rows] = cast(np.ndarray, m.o)[np.flatnonzero(rows), first[rows]]  # errors: ``o`` is set
    return rows, e


def _err_of(err: ArgError, size: int) -> Errors | None:
    """Normalise an argument's error to (mask, errors) over ``size`` rows."""
    if err is None:
        return None
    if isinstance(err, V):
        err = first_error(err)
        if err is None:
            return None
    mask, e = err
    if len(mask) != size:
        mask, e = np.broadcast_to(mask, size), np.broadcast_to(e, size)
    return mask, e


def _collect_errors(errors: list[ArgError], size: int) -> Errors | None:
    merged_mask: np.ndarray | None = None
    merged: np.ndarray  # set with merged_mask
    for err in errors:
        err = _err_of(err, size)
        if err is None:
            continue
        mask, e = err
        if merged_mask is None:
            merged_mask, merged = mask.copy(), np.array(e, dtype=object)
        else:
            new = mask & ~merged_mask
            merged[new] = e[new]
            merged_mask |= mask
    return None if merged_mask is None else (merged_mask, merged)


def _seq_sum(vals: np.ndarray, axis: int = 1) -> np.ndarray:
    """Left-to-right sum (as a spreadsheet adds), not numpy's pairwise sum."""
    if vals.shape[axis] == 0:
        return np.zeros(vals.shape[0] if axis == 1 else 1)
    out: np.ndarray = np.cumsum(vals, axis=axis).take(-1, axis=axis)
    return out


@function("SUM", 1)
def fn_sum(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    acc: np.ndarray | None = None
    errors: list[ArgError] = []
    for vals, ok, err in _numbers_of(eng, ctx, args):
        part = _seq_sum(np.where(ok, vals, 0.0))
        acc = part if acc is None else acc + part
        errors.append(err)
    out = V.nums(cast(np.ndarray, acc))  # SUM has at least one argument
    err = _collect_errors(errors, len(out.t)) if any(e is not None for e in errors) else None
    return with_errors(out, err) if err else out


@function("AVERAGE", 1)
def fn_average(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    total: np.ndarray | None = None
    count: np.ndarray | None = None
    errors: list[ArgError] = []
    for vals, ok, err in _numbers_of(eng, ctx, args):
        part = _seq_sum(np.where(ok, vals, 0.0))
        k = ok.sum(axis=1)
        total = part if total is None else total + part
        count = k if count is None else count + k
        errors.append(err)
    total, count = cast(np.ndarray, total), cast(np.ndarray, count)  # AVERAGE has at least one argument
    size = max(len(total), len(count))
    total, count = np.broadcast_to(total, size), np.broadcast_to(count, size)
    with np.errstate(all="ignore"):
        avg = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    out = V.nums(avg)
    if (count == 0).any():
        out = with_errors(out, (count == 0, _errors_like(size, DIV0)))
    err = _collect_errors(errors, size)
    return with_errors(out, err) if err else out


def _extreme(eng: Engine, ctx: Ctx, args: list[Node], reduce: Callable[..., np.ndarray], empty_fill: float) -> V:
    best: np.ndarray | None = None
    any_num: np.ndarray | np.bool_ | None = None
    errors: list[ArgError] = []
    for vals, ok, err in _numbers_of(eng, ctx, args):
        part = reduce(np.where(ok, vals, empty_fill), axis=1) if vals.shape[1] else np.full(vals.shape[0], empty_fill)
        has = ok.any(axis=1)
        best = part if best is None else reduce(np.broadcast_arrays(best, part), axis=0)
        any_num = has if any_num is None else (any_num | has)
        errors.append(err)
    best, any_num = cast(np.ndarray, best), cast(np.ndarray, any_num)  # MIN/MAX have at least one argument
    size = max(len(best), len(any_num))
    best = np.where(np.broadcast_to(any_num, size), np.broadcast_to(best, size), 0.0)
    out = V.nums(best)
    err = _collect_errors(errors, size)
    return with_errors(out, err) if err else out


@function("MIN", 1)
def fn_min(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _extreme(eng, ctx, args, np.min, np.inf)


@function("MAX", 1)
def fn_max(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _extreme(eng, ctx, args, np.max, -np.inf)


@function("COUNT", 1)
def fn_count(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    acc: np.ndarray | None = None
    for _vals, ok, _err in _numbers_of(eng, ctx, args, count_mode=True):
        k = ok.sum(axis=1)
        acc = k if acc is None else acc + k
    return V.nums(cast(np.ndarray, acc).astype(float))  # COUNT has at least one argument


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


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def spreadsheet_trim(text: str) -> str:
    """TRIM: ordinary spaces (U+0020) only; leading and trailing ones go,
    inner runs become one. Non-breaking spaces are kept, as Excel keeps them."""
    return " ".join(part for part in text.split(" ") if part)


@function("TRIM", 1, 1)
def fn_trim(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    x = to_text(eng.value(args[0], ctx))
    o = cast(np.ndarray, x.o).copy()  # to_text always sets ``o``
    for i in np.flatnonzero(x.t == STR).tolist():
        o[i] = spreadsheet_trim(o[i])
    return V(x.t, x.n, o)


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


FUNCTIONS["ISBLANK"] = Fn("ISBLANK", _is(lambda t: t == BLANK), 1, 1)
FUNCTIONS["ISNUMBER"] = Fn("ISNUMBER", _is(lambda t: t == NUM), 1, 1)
FUNCTIONS["ISTEXT"] = Fn("ISTEXT", _is(lambda t: t == STR), 1, 1)
FUNCTIONS["ISERROR"] = Fn("ISERROR", _is(lambda t: t == ERR), 1, 1)


# ---------------------------------------------------------------------------
# Lookup: MATCH, INDEX
# ---------------------------------------------------------------------------


def _range(eng: Engine, ctx: Ctx, node: Node) -> Block | ConstBlock | V:
    """A range argument that is the same for every row (Block, ConstBlock),
    or a V when the argument is not a range (an error, a computed value)."""
    a = eng.range_arg(node, ctx)
    if isinstance(a, VaryingBlock):
        raise NotVectorizable
    if a is None:
        return V.const(VALUE)
    return a


def _not_a_range(v: V) -> V:
    return v if v.uni == ERR else V.const(VALUE)


# MATCH's table of a range: per kind, positions and values (NUM, BOOL:
# numbers; STR: texts in lower case), and at "first" each text's first position.
LookupTable = dict[int | str, tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, list[str]] | dict[str, int]]


def _lookup_table(block: Block | ConstBlock, match_type: int) -> LookupTable:
    """Per kind (number, text, logical): positions and values of the range's
    cells of that kind, for binary search (or exact lookup)."""
    t, n, o, _ = block.data()
    out: LookupTable = {}
    num = np.flatnonzero(t == NUM)
    out[NUM] = (num, n[num])
    txt = np.flatnonzero(t == STR)
    low: list[str] = [s.lower() for s in cast(np.ndarray, o)[txt].tolist()] if len(txt) else []  # text: ``o`` set
    out[STR] = (txt, low)
    first: dict[str, int] = {}
    for p, s in zip(txt.tolist(), low):
        first.setdefault(s, p)
    out["first"] = first
    bl = np.flatnonzero(t == BOOL)
    out[BOOL] = (bl, n[bl])
    return out


@function("MATCH", 2, 3)
def fn_match(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """MATCH(x, range, 1|0|-1). Approximate match (1, the default) returns the
    position of the last value <= x among the range's values of x's kind,
    skipping blanks and other kinds (so trailing blank cells never match, as
    in Excel). Comparisons are exact, as Excel's lookups are."""
    x = eng.value(args[0], ctx)
    block = _range(eng, ctx, args[1])
    mt = V.const(1.0) if _missing(args, 2) else to_number(eng.value(args[2], ctx))
    if isinstance(block, V):
        return block if block.uni == ERR else V.const(NA)
    if block.h != 1 and block.w != 1:
        return V.const(NA)
    if mt.t[0] == ERR:
        return V.const(cast(np.ndarray, mt.o)[0])  # an error: ``o`` is set
    if len(mt.n) != 1:
        raise NotVectorizable
    kind = int(np.sign(np.trunc(mt.n[0])))
    table = eng.remember(("match", block.key), lambda: _lookup_table(block, kind))
    size = len(x.t)
    res = np.zeros(size)
    found = np.zeros(size, dtype=bool)
    xt = x.t
    # numbers (and logicals) by binary search
    for code in (NUM, BOOL):
        sel = xt == code
        if not sel.any():
            continue
        pos, vals = cast("tuple[np.ndarray, np.ndarray]", table[code])  # NUM and BOOL entries
        xv = x.n[sel]
        if len(pos) == 0:
            continue
        if kind == 1:
            k = np.searchsorted(vals, xv, side="right") - 1
            ok = k >= 0
        elif kind == -1:
            k = np.searchsorted(-vals, -xv, side="right") - 1
            ok = k >= 0
        else:
            first: dict[float, int] = {}
            for p, v in zip(pos.tolist(), vals.tolist()):
                first.setdefault(v, p)
            got = np.array([first.get(v, -1) for v in xv.tolist()])
            idx = np.flatnonzero(sel)
            res[idx] = got + 1
            found[idx] = got >= 0
            continue
        idx = np.flatnonzero(sel)
        kk = np.clip(k, 0, None)
        res[idx] = pos[kk] + 1
        found[idx] = ok
    sel = xt == STR
    if sel.any():
        pos, texts = cast("tuple[np.ndarray, list[str]]", table[STR])
        first_pos = cast("dict[str, int]", table["first"])
        xo = cast(np.ndarray, x.o)  # text rows: ``o`` is set
        for i in np.flatnonzero(sel).tolist():
            s = xo[i].lower()
            if not len(pos):
                continue
            if kind == 0:
                pat = _wildcard(s)
                if pat is None:
                    p = first_pos.get(s)
                    if p is not None:
                        res[i], found[i] = p + 1, True
                    continue
                for p, v in zip(pos.tolist(), texts):
                    if pat.fullmatch(v):
                        res[i], found[i] = p + 1, True
                        break
            elif kind == 1:
                k = bisect.bisect_right(texts, s) - 1
                if k >= 0:
                    res[i], found[i] = pos[k] + 1, True
            else:
                k = sum(1 for v in texts if v >= s) - 1
                if k >= 0:
                    res[i], found[i] = pos[k] + 1, True
    out = V.nums(res)
    missing = ~found
    out = with_errors(out, (missing, _errors_like(size, NA))) if missing.any() else out
    err = first_error(x) if x.uni in (None, ERR) else None
    return with_errors(out, err) if err else out


@function("INDEX", 2, 3)
def fn_index(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """INDEX(range, k) on a one-row or one-column range, INDEX(range, i, j)
    otherwise; the cell itself (a blank stays blank), #REF! out of range."""
    a = _range(eng, ctx, args[0])
    if isinstance(a, V):
        return _not_a_range(a)
    block_h, block_w = a.h, a.w
    data = a.data()
    r = to_number(eng.value(args[1], ctx)) if not _missing(args, 1) else V.const(0.0)
    c = to_number(eng.value(args[2], ctx)) if not _missing(args, 2) else None
    size = max(len(r.t), 1 if c is None else len(c.t))
    ri = np.broadcast_to(np.trunc(r.n), size).astype(np.int64)
    if c is None:
        if block_h == 1:
            ri, ci = np.ones(size, dtype=np.int64), ri
        elif block_w == 1:
            ci = np.ones(size, dtype=np.int64)
        else:
            ci = np.zeros(size, dtype=np.int64)  # a whole row: not a single value
    else:
        ci = np.broadcast_to(np.trunc(c.n), size).astype(np.int64)
    # 0 means the whole row/column: fine when there is one; otherwise, in a
    # cell, the one in the formula's own row/column (implicit intersection)
    ri = np.where((ri == 0) & (block_h == 1), 1, ri)
    ci = np.where((ci == 0) & (block_w == 1), 1, ci)
    if isinstance(a, Block) and ((ri == 0).any() or (ci == 0).any()):
        size = max(size, ctx.size)
        ri, ci = np.broadcast_to(ri, size).copy(), np.broadcast_to(ci, size).copy()
        rows = np.broadcast_to(ctx.rows, size)
        row_in = (rows >= a.r0) & (rows <= a.r1)
        ri = np.where(ri == 0, np.where(row_in, rows - a.r0 + 1, -1), ri)
        ci = np.where(ci == 0, (ctx.col - a.c0 + 1) if a.c0 <= ctx.col <= a.c1 else -1, ci)
    bad_value = (ri < 0) | (ci < 0) | (ri == 0) | (ci == 0)
    bad_ref = (ri > block_h) | (ci > block_w)
    t, n, o, stored = data
    flat = (ri - 1) * block_w + (ci - 1)
    ok = ~bad_value & ~bad_ref & (ri - 1 < stored)
    idx = np.where(ok, flat, 0)
    if len(t) == 0:
        out_t = np.zeros(size, dtype=np.int8)
        out = V(out_t, np.zeros(size), None, None, True)
    else:
        out_t = np.where(ok, t[idx], BLANK).astype(np.int8)
        # numpy's stubs refuse None as a branch of where (valid for an object array: a blank)
        out = V(
            out_t,
            np.where(ok, n[idx], 0.0),
            None if o is None else np.where(ok, o[idx], None),  # type: ignore[call-overload]
            None,
            True,
        )
    if bad_value.any() or bad_ref.any():
        e = np.empty(size, dtype=object)
        e[bad_ref] = REF
        e[bad_value] = VALUE
        out = with_errors(out, (bad_value | bad_ref, e))
        out.ref = True
    err = first_error(r) if r.uni != NUM else None
    if c is not None and c.uni != NUM:
        err = first_error(r, c)
    if err:
        out = with_errors(out, err)
        out.ref = True
    return out


def _missing(args: list[Node], i: int) -> bool:
    return i >= len(args) or isinstance(args[i], Missing)


# ---------------------------------------------------------------------------
# Conditional aggregates: COUNTIF(S), SUMIF(S)
# ---------------------------------------------------------------------------


def _criteria_pairs(
    eng: Engine, ctx: Ctx, pairs: list[tuple[Node, Node]]
) -> tuple[list[Block | ConstBlock], list[V]] | V:
    """[(range, criterion)] -> (blocks, criteria values); the error of a range
    argument that is not a range."""
    blocks: list[Block | ConstBlock] = []
    crits: list[V] = []
    for rng, crit in pairs:
        b = _range(eng, ctx, rng)
        if isinstance(b, V):
            return _not_a_range(b)
        blocks.append(b)
        crits.append(eng.value(crit, ctx))
    return blocks, crits


def _padded(block: Block | ConstBlock, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The block's arrays padded with blank rows to ``height`` stored rows."""
    t, n, o, stored = block.data()
    if stored >= height:
        return t, n, o
    extra = (height - stored) * block.w
    t = np.concatenate([t, np.zeros(extra, dtype=np.int8)])
    n = np.concatenate([n, np.zeros(extra)])
    if o is not None:
        o = np.concatenate([o, np.empty(extra, dtype=object)])
    return t, n, o


def _conditional(eng: Engine, ctx: Ctx, sum_node: Node | None, pairs: list[tuple[Node, Node]], mode: str) -> V:
    got = _criteria_pairs(eng, ctx, pairs)
    if isinstance(got, V):
        return got  # #REF!
    blocks, crits = got
    sum_block: Block | ConstBlock | None = None
    if sum_node is not None:
        sum_range = _range(eng, ctx, sum_node)
        if isinstance(sum_range, V):
            return _not_a_range(sum_range)
        sum_block = sum_range
    shapes = {(b.h, b.w) for b in blocks}
    if sum_block is not None and mode == "sumifs":
        shapes.add((sum_block.h, sum_block.w))
    if len(shapes) != 1:
        return V.const(VALUE)
    h, w = next(iter(shapes))
    if sum_block is not None and mode == "sumif" and isinstance(sum_block, Block):
        # SUMIF's sum range takes the criteria range's shape from its top-left
        sum_block = Block(eng, sum_block.sheet, sum_block.r0, sum_block.c0, sum_block.r0 + h - 1, sum_block.c0 + w - 1)
    all_blocks = blocks + ([sum_block] if sum_block is not None else [])
    height = max(b.data()[3] for b in all_blocks)
    tail = (h - height) * w  # blank cells past the last used row
    size = max(len(c.t) for c in crits)
    crit_values = [np.broadcast_to(np.array(c.tolist(), dtype=object), size) for c in crits]
    # typed keys: TRUE and 1 are different criteria (but equal in Python)
    columns = [[(type(x), x) for x in cv.tolist()] for cv in crit_values]
    keys = list(zip(*columns)) if size > 1 else [tuple(col[0] for col in columns)]
    results: dict[tuple[object, ...], float | str] = {}
    for key in dict.fromkeys(keys):
        crit_objs = [criterion(x) for _, x in key]
        mask: np.ndarray | None = None
        blank_all = True
        for b, cr in zip(blocks, crit_objs):

            def crit_mask(b: Block | ConstBlock = b, cr: Criterion = cr) -> np.ndarray:
                return cr.mask(*_padded(b, height), _lowered(eng, b, height, cr))

            m = eng.remember(("crit", b.key, height, cr.key), crit_mask)
            mask = m if mask is None else mask & m
            blank_all &= cr.matches_blank
        mask = cast(np.ndarray, mask)  # at least one criterion
        if mode == "count":
            results[key] = float(np.count_nonzero(mask)) + (tail if blank_all else 0)
        else:
            t, n, o = _padded(cast("Block | ConstBlock", sum_block), height)  # SUMIF(S): a sum range
            hit = mask & (t == NUM)
            errs = mask & (t == ERR)
            if errs.any():
                results[key] = cast(np.ndarray, o)[np.flatnonzero(errs)[0]]  # errors: ``o`` is set
            else:
                vals = n[hit]
                results[key] = float(_seq_sum(vals.reshape(1, -1))[0]) if len(vals) else 0.0
    if size == 1:
        return V.const(results[keys[0]])
    row_values = [results[k] for k in keys]
    return assemble(size, [(np.arange(size), _from_python(row_values))])


def _lowered(eng: Engine, block: Block | ConstBlock, height: int, cr: Criterion) -> np.ndarray | None:
    if cr.kind != "text":
        return None
    return eng.remember(("lower", block.key, height), lambda: lowered(*_padded(block, height)[::2]))


def _from_python(vals: list[float | str]) -> V:
    t = np.array([ERR if isinstance(v, str) else NUM for v in vals], dtype=np.int8)
    n = np.array([v if not isinstance(v, str) else 0.0 for v in vals], dtype=float)
    o = None
    if (t == ERR).any():
        o = np.array([v if isinstance(v, str) else None for v in vals], dtype=object)
    return V(t, n, o)


@function("COUNTIF", 2, 2)
def fn_countif(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _conditional(eng, ctx, None, [(args[0], args[1])], "count")


@function("COUNTIFS", 2)
def fn_countifs(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    if len(args) % 2:
        return V.const(VALUE)
    return _conditional(eng, ctx, None, list(zip(args[0::2], args[1::2])), "count")


@function("SUMIF", 2, 3)
def fn_sumif(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    sum_node = args[2] if len(args) == 3 and not _missing(args, 2) else args[0]
    return _conditional(eng, ctx, sum_node, [(args[0], args[1])], "sumif")


@function("SUMIFS", 3)
def fn_sumifs(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    if len(args) % 2 == 0:
        return V.const(VALUE)
    return _conditional(eng, ctx, args[0], list(zip(args[1::2], args[2::2])), "sumifs")


NATIVE_FUNCTIONS = frozenset(FUNCTIONS)
