"""Aggregates (SUM, AVERAGE, MIN, MAX, COUNT) and conditional aggregates
(COUNTIF(S), SUMIF(S)...), with Excel's rules for what counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import numpy as np

from workbook_engine.evaluator.criteria import Criterion, criterion, lowered
from workbook_engine.evaluator.functions.base import (
    ArgError,
    _collect_errors,
    _errors_like,
    _missing,
    _not_a_range,
    _numbers_of,
    _range,
    _seq_sum,
    function,
)
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import (
    DIV0,
    ERR,
    NUM,
    VALUE,
    V,
    assemble,
    with_errors,
)
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine

if TYPE_CHECKING:
    pass

# ---------------------------------------------------------------------------
# Aggregates: SUM, MIN, MAX, COUNT, AVERAGE
# ---------------------------------------------------------------------------


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
