"""Lookups: MATCH, INDEX..."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, cast

import numpy as np

from workbook_engine.evaluator.criteria import _wildcard
from workbook_engine.evaluator.functions.base import (
    _errors_like,
    _missing,
    _not_a_range,
    _range,
    function,
)
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import (
    BLANK,
    BOOL,
    ERR,
    NA,
    NUM,
    REF,
    STR,
    VALUE,
    V,
    first_error,
    to_number,
    with_errors,
)
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine, NotVectorizable

if TYPE_CHECKING:
    pass

# ---------------------------------------------------------------------------
# Lookup: MATCH, INDEX
# ---------------------------------------------------------------------------


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
