"""Aggregates (SUM, AVERAGE, MIN, MAX, COUNT, COUNTA, COUNTBLANK, PRODUCT,
LARGE, SMALL, MEDIAN, RANK, SUMPRODUCT) and conditional aggregates
(COUNTIF(S), SUMIF(S), AVERAGEIF(S), MINIFS, MAXIFS), with Excel's rules
for what counts."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np

from workbook_engine.evaluator.criteria import Criterion, criterion, lowered
from workbook_engine.evaluator.functions.arrays import array_value, run_arrays
from workbook_engine.evaluator.functions.base import (
    FUNCTIONS,
    ArgError,
    Fn,
    Impl,
    _collect_errors,
    _err_of,
    _errors_like,
    _missing,
    _not_a_range,
    _numbers_of,
    _range,
    _seq_sum,
    finite,
    function,
)
from workbook_engine.evaluator.functions.scalar import from_values
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import (
    BLANK,
    DIV0,
    ERR,
    NA,
    NUM,
    NUM_ERR,
    STR,
    VALUE,
    ExcelError,
    V,
    Value,
    assemble,
    first_error,
    to_number,
    with_errors,
)
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine, NotVectorizable, VaryingBlock

# ---------------------------------------------------------------------------
# Aggregates: SUM, MIN, MAX, COUNT, AVERAGE
# ---------------------------------------------------------------------------


@function("SUM", 1)
def fn_sum(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    acc: np.ndarray | None = None
    errors: list[ArgError] = []
    for vals, ok, err in _numbers_of(eng, ctx, args):
        with np.errstate(over="ignore", invalid="ignore"):
            part = _seq_sum(np.where(ok, vals, 0.0))
            acc = part if acc is None else acc + part
        errors.append(err)
    out = finite(V.nums(cast(np.ndarray, acc)))  # SUM has at least one argument
    err = _collect_errors(errors, len(out.t)) if any(e is not None for e in errors) else None
    return with_errors(out, err) if err else out


@function("AVERAGE", 1)
def fn_average(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    total: np.ndarray | None = None
    count: np.ndarray | None = None
    errors: list[ArgError] = []
    for vals, ok, err in _numbers_of(eng, ctx, args):
        with np.errstate(over="ignore", invalid="ignore"):
            part = _seq_sum(np.where(ok, vals, 0.0))
            total = part if total is None else total + part
        k = ok.sum(axis=1)
        count = k if count is None else count + k
        errors.append(err)
    total, count = cast(np.ndarray, total), cast(np.ndarray, count)  # AVERAGE has at least one argument
    size = max(len(total), len(count))
    total, count = np.broadcast_to(total, size), np.broadcast_to(count, size)
    with np.errstate(all="ignore"):
        avg = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    out = finite(V.nums(avg))
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
    if sum_block is not None and mode.endswith("ifs"):
        shapes.add((sum_block.h, sum_block.w))
    if len(shapes) != 1:
        return V.const(VALUE)
    h, w = next(iter(shapes))
    if sum_block is not None and mode in ("sumif", "averageif") and isinstance(sum_block, Block):
        # SUMIF's (AVERAGEIF's) sum range takes the criteria range's shape from its top-left
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
            vals = n[hit]
            if errs.any():
                results[key] = cast(np.ndarray, o)[np.flatnonzero(errs)[0]]  # errors: ``o`` is set
            elif mode.startswith("average"):
                results[key] = float(_seq_sum(vals.reshape(1, -1))[0]) / len(vals) if len(vals) else DIV0
            elif mode in ("minifs", "maxifs"):
                results[key] = (float(vals.min()) if mode == "minifs" else float(vals.max())) if len(vals) else 0.0
            else:
                with np.errstate(over="ignore", invalid="ignore"):
                    total = float(_seq_sum(vals.reshape(1, -1))[0]) if len(vals) else 0.0
                results[key] = total if np.isfinite(total) else NUM_ERR
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


@function("AVERAGEIF", 2, 3)
def fn_averageif(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    avg_node = args[2] if len(args) == 3 and not _missing(args, 2) else args[0]
    return _conditional(eng, ctx, avg_node, [(args[0], args[1])], "averageif")


def _ifs(mode: str) -> Impl:
    def impl(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
        if len(args) % 2 == 0:
            return V.const(VALUE)
        return _conditional(eng, ctx, args[0], list(zip(args[1::2], args[2::2])), mode)

    return impl


FUNCTIONS["AVERAGEIFS"] = Fn("AVERAGEIFS", _ifs("averageifs"), 3, 255)
FUNCTIONS["MINIFS"] = Fn("MINIFS", _ifs("minifs"), 3, 255)
FUNCTIONS["MAXIFS"] = Fn("MAXIFS", _ifs("maxifs"), 3, 255)


@function("SUMIFS", 3)
def fn_sumifs(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    if len(args) % 2 == 0:
        return V.const(VALUE)
    return _conditional(eng, ctx, args[0], list(zip(args[1::2], args[2::2])), "sumifs")


# ---------------------------------------------------------------------------
# SUMPRODUCT, COUNTA, COUNTBLANK, RANK
# ---------------------------------------------------------------------------


@function("SUMPRODUCT", 1)
def fn_sumproduct(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """SUMPRODUCT(array, ...): arrays of one size (else #VALUE!), multiplied
    cell by cell and added. Only numbers count: text (numbers stored as text
    too), logicals and blanks are 0, which is why ``--(range>0)`` turns the
    comparison's logicals into numbers; an error in any cell is the result.
    (LibreOffice counts TRUE as 1 in a range: Excel's 0 is the reference.)"""
    if ctx.size != 1:
        return _sumproduct_run(eng, ctx, args)
    arrays = [array_value(eng, ctx, a) for a in args]
    if len({(h, w) for h, w, _ in arrays}) != 1:
        return V.const(VALUE)
    h, w, _ = arrays[0]
    k = h * w
    product = np.ones(k)
    for _, _, v in arrays:
        if v.has(ERR) or (v.uni is None and (v.t == ERR).any()):
            return V.const(cast(np.ndarray, v.o)[np.flatnonzero(v.t == ERR)[0]])  # errors: ``o`` is set
        product = product * np.where(np.broadcast_to(v.t, k) == NUM, np.broadcast_to(v.n, k), 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        total = _seq_sum(product.reshape(1, -1))
    return finite(V.nums(total))


def _sumproduct_run(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """SUMPRODUCT down a column run, every row at once, when its arguments
    are ranges moving with the row (the layout's sibling rank): the same
    products and left-to-right sums as the cell-by-cell path, row by row;
    a row with an error in some cell gets the first error of its cells."""
    got = run_arrays(eng, ctx, args)
    if got is None:
        raise NotVectorizable
    k, values = got
    rows = ctx.size
    product = np.ones(rows * k)
    err_rows = np.zeros(rows, dtype=bool)
    errs = np.empty(rows, dtype=object)
    for v in values:
        v = v.broadcast(rows * k)
        is_err = (v.t == ERR).reshape(rows, k)
        new = is_err.any(axis=1) & ~err_rows
        if new.any():
            first = is_err.argmax(axis=1)
            o = cast(np.ndarray, v.o).reshape(rows, k)  # errors: ``o`` is set
            errs[new] = o[np.flatnonzero(new), first[new]]
            err_rows |= new
        product = product * np.where(v.t == NUM, v.n, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        total = _seq_sum(product.reshape(rows, k))
    out = finite(V.nums(total))
    if err_rows.any():
        out = with_errors(out, (err_rows, errs))
    return out


@function("COUNTA", 1)
def fn_counta(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """COUNTA: cells that are not empty (a formula's "" counts), and every
    value given directly (an omitted argument is not one)."""
    acc = np.zeros(1)
    for node in args:
        a = eng.arg(node, ctx)
        if a is None:
            continue
        if isinstance(a, (Block, ConstBlock)):
            acc = acc + float(np.count_nonzero(a.data()[0] != BLANK))
        elif isinstance(a, VaryingBlock):
            acc = acc + (a.matrix().t != BLANK).sum(axis=1)
        elif a.ref:
            acc = acc + (a.t != BLANK)
        else:
            acc = acc + 1.0
    return V.nums(np.asarray(acc, dtype=float))


@function("COUNTBLANK", 1, 1)
def fn_countblank(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """COUNTBLANK(range): empty cells and cells showing "" ."""
    a = eng.range_arg(args[0], ctx)
    if isinstance(a, VaryingBlock):
        raise NotVectorizable
    if not isinstance(a, (Block, ConstBlock)):
        return V.const(VALUE) if a is None or a.uni != ERR else a
    t, _, o, stored = a.data()
    empty = t == BLANK
    if o is not None:
        empty = empty | ((t == STR) & (o == ""))
    return V.const(float(np.count_nonzero(empty)) + (a.h - stored) * a.w)


def _rank(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """RANK(number, ref, [order]): 1 + how many numbers of ``ref`` are greater
    (order 0, the default) or smaller (order non-zero); ties share the best
    rank; #N/A when the number is not in ``ref``."""
    x = to_number(eng.value(args[0], ctx))
    block = _range(eng, ctx, args[1])
    if isinstance(block, V):
        return _not_a_range(block)
    order = V.const(0.0) if _missing(args, 2) else to_number(eng.value(args[2], ctx))
    t, n, o, _ = block.data()
    if (t == ERR).any():
        return V.const(cast(np.ndarray, o)[np.flatnonzero(t == ERR)[0]])  # errors: ``o`` is set
    vals = np.sort(n[t == NUM])
    size = max(len(x.t), len(order.t))
    xs = np.broadcast_to(x.n, size)
    ascending = np.broadcast_to(order.n != 0, size)
    below = np.searchsorted(vals, xs, side="left")
    above = len(vals) - np.searchsorted(vals, xs, side="right")
    rank = np.where(ascending, below + 1, above + 1).astype(float)
    present = (
        (below < len(vals)) & (vals[np.minimum(below, len(vals) - 1)] == xs) if len(vals) else np.zeros(size, bool)
    )
    out = V.nums(rank)
    if not present.all():
        out = with_errors(out, (~present, _errors_like(size, NA)))
    err = first_error(x, order) if (x.uni != NUM or order.uni != NUM) else None
    return with_errors(out, err) if err else out


FUNCTIONS["RANK"] = Fn("RANK", _rank, 2, 3)
FUNCTIONS["RANK.EQ"] = Fn("RANK.EQ", _rank, 2, 3)


# ---------------------------------------------------------------------------
# PRODUCT, LARGE, SMALL, MEDIAN
# ---------------------------------------------------------------------------


@function("PRODUCT", 1)
def fn_product(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """PRODUCT: the numbers multiplied, like SUM counts them (0 when there is none)."""
    acc: np.ndarray | None = None
    seen: np.ndarray | None = None
    errors: list[ArgError] = []
    for vals, ok, err in _numbers_of(eng, ctx, args):
        with np.errstate(over="ignore", invalid="ignore"):
            part = np.prod(np.where(ok, vals, 1.0), axis=1) if vals.shape[1] else np.ones(vals.shape[0])
            acc = part if acc is None else acc * part
        has = ok.any(axis=1)
        seen = np.asarray(has if seen is None else seen | has)
        errors.append(err)
    total, any_num = cast(np.ndarray, acc), cast(np.ndarray, seen)  # at least one argument
    size = max(len(total), len(any_num))
    out = finite(V.nums(np.where(np.broadcast_to(any_num, size), np.broadcast_to(total, size), 0.0)))
    err = _collect_errors(errors, size)
    return with_errors(out, err) if err else out


def _numbers_per_row(eng: Engine, ctx: Ctx, node: Node) -> tuple[list[list[float]], Value]:
    """The numbers of one argument for each evaluated row (one list when
    the same for all), and its first error (or None)."""
    for vals, ok, err in _numbers_of(eng, ctx, [node]):
        e = _err_of(err, vals.shape[0])
        if e is not None and e[0].any():
            return [], cast(Value, e[1][np.flatnonzero(e[0])[0]])
        return [row[mask].tolist() for row, mask in zip(vals, ok)], None
    return [[]], None  # pragma: no cover - one argument yields once


def _kth(largest: bool) -> Impl:
    def impl(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
        rows, err = _numbers_per_row(eng, ctx, args[0])
        if err is not None:
            return V.const(err)
        ks = to_number(eng.value(args[1], ctx)).tolist()
        size = max(len(rows), len(ks))
        out: list[Value] = []
        for i in range(size):
            nums, k = sorted(rows[min(i, len(rows) - 1)], reverse=largest), ks[min(i, len(ks) - 1)]
            if isinstance(k, ExcelError):
                out.append(k)
                continue
            j = math.ceil(cast(float, k))
            out.append(nums[j - 1] if 1 <= j <= len(nums) else NUM_ERR)
        return from_values(out)

    return impl


FUNCTIONS["LARGE"] = Fn("LARGE", _kth(True), 2, 2)
FUNCTIONS["SMALL"] = Fn("SMALL", _kth(False), 2, 2)


@function("MEDIAN", 1)
def fn_median(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """MEDIAN: the middle number (the mean of the two middle ones); #NUM!
    when there is no number."""
    per_arg = [_numbers_per_row(eng, ctx, a) for a in args]
    err = next((e for _, e in per_arg if e is not None), None)
    if err is not None:
        return V.const(err)
    size = max(len(rows) for rows, _ in per_arg)
    out: list[Value] = []
    for i in range(size):
        nums = sorted(x for rows, _ in per_arg for x in rows[min(i, len(rows) - 1)])
        if not nums:
            out.append(NUM_ERR)
            continue
        mid = len(nums) // 2
        out.append(nums[mid] if len(nums) % 2 else (nums[mid - 1] + nums[mid]) / 2)
    return from_values(out)
