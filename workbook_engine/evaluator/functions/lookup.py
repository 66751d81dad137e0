"""Lookups: MATCH and INDEX (vectorised: the layout's), VLOOKUP, HLOOKUP and
XLOOKUP (per row), CHOOSE, ROWS, COLUMNS. INDEX with a row or column 0 is the whole column or row,
a range for the function around it (SUM(INDEX(r,0,2)) adds column 2).

Lookups compare exactly, as Excel's do (no 15-digit rounding), text without
regard to case; only cells of the looked-up value's kind match (a number
stored as text is not the number). Approximate lookups (VLOOKUP's TRUE,
MATCH's 1) assume sorted keys, as Excel's binary search does."""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import cast

import numpy as np

from workbook_engine.evaluator.criteria import _wildcard
from workbook_engine.evaluator.functions.base import (
    FUNCTIONS,
    Fn,
    Impl,
    _errors_like,
    _missing,
    _not_a_range,
    _range,
    function,
)
from workbook_engine.evaluator.functions.scalar import from_values, integer, logical
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


def _index_area(eng: Engine, ctx: Ctx, args: list[Node]) -> Block | None:
    """INDEX as a reference: the row, column or cell of a fixed range picked
    by constant positions (0: the whole row or column); None otherwise."""
    a = eng.range_arg(args[0], ctx)
    if not isinstance(a, Block):
        return None
    r = V.const(0.0) if _missing(args, 1) else to_number(eng.value(args[1], ctx))
    c = None if _missing(args, 2) else to_number(eng.value(args[2], ctx))
    if len(r.t) != 1 or r.t[0] != NUM or (c is not None and (len(c.t) != 1 or c.t[0] != NUM)):
        return None
    ri = int(r.n[0])
    if c is not None:
        ci = int(c.n[0])
    elif a.h == 1:
        ri, ci = 1, ri
    else:
        ci = 1 if a.w == 1 else 0
    if not (0 <= ri <= a.h and 0 <= ci <= a.w):
        return None
    r0, r1 = (a.r0, a.r1) if ri == 0 else (a.r0 + ri - 1, a.r0 + ri - 1)
    c0, c1 = (a.c0, a.c1) if ci == 0 else (a.c0 + ci - 1, a.c0 + ci - 1)
    return Block(eng, a.sheet, r0, c0, r1, c1)


FUNCTIONS["INDEX"] = replace(FUNCTIONS["INDEX"], area=_index_area)


# ---------------------------------------------------------------------------
# VLOOKUP, HLOOKUP, XLOOKUP: per row
# ---------------------------------------------------------------------------


def _cells(block: Block | ConstBlock) -> tuple[int, int, list[Value]]:
    """(height stored, width, the stored cells row-major as Python values)."""
    t, n, o, stored = block.data()
    return stored, block.w, V(t, n, o).tolist()


def _kind(v: Value) -> type:
    return bool if isinstance(v, bool) else str if isinstance(v, str) else float


def _key(v: Value) -> float | str | bool:
    return v.lower() if isinstance(v, str) else cast("float | bool", v)


def _same(a: Value, b: Value, wildcards: bool) -> bool:
    if a is None or isinstance(a, ExcelError) or _kind(a) is not _kind(b):
        return False
    if isinstance(b, str):
        pattern = _wildcard(b.lower()) if wildcards else None
        return pattern.fullmatch(cast(str, a).lower()) if pattern else cast(str, a).lower() == b.lower()
    return a == b


class _Keys:
    """A lookup's keys, indexed once per range: per kind the positions and
    sort keys (binary search), and the first position of each exact key."""

    def __init__(self, keys: list[Value]) -> None:
        self.keys = keys
        self.by_kind: dict[type, tuple[list[int], list[float | str | bool]]] = {}
        self.first: dict[tuple[type, float | str | bool], int] = {}
        for i, k in enumerate(keys):
            if k is None or isinstance(k, ExcelError):
                continue
            kind, key = _kind(k), _key(k)
            pos, vals = self.by_kind.setdefault(kind, ([], []))
            pos.append(i)
            vals.append(key)
            self.first.setdefault((kind, key), i)

    def approximate(self, x: Value) -> int | None:
        """Excel's binary search for the last key <= x among the keys of x's
        kind (sorted ascending, as an approximate lookup requires)."""
        pos, vals = self.by_kind.get(_kind(x), ([], []))
        j = bisect.bisect_right(vals, _key(x)) - 1  # one kind: comparable
        return pos[j] if j >= 0 else None

    def exact(self, x: Value, wildcards: bool) -> int | None:
        if wildcards and isinstance(x, str) and _wildcard(x.lower()) is not None:
            return next((i for i, k in enumerate(self.keys) if _same(k, x, True)), None)
        return self.first.get((_kind(x), _key(x)))


def _keys(eng: Engine, block: Block | ConstBlock, cells: list[Value], horizontal: bool) -> _Keys:
    w = block.w
    return eng.remember(("lookup-keys", block.key, horizontal), lambda: _Keys(cells[:w] if horizontal else cells[0::w]))


def _cells_of(eng: Engine, block: Block | ConstBlock) -> tuple[int, int, list[Value]]:
    return eng.remember(("lookup-cells", block.key), lambda: _cells(block))


def _lookup(keys: _Keys, x: Value, approximate: bool) -> int | None:
    if x is None:
        return None
    return keys.approximate(x) if approximate else keys.exact(x, True)


def _table_lookup(eng: Engine, ctx: Ctx, args: list[Node], horizontal: bool) -> V:
    """VLOOKUP / HLOOKUP(x, table, index, [approximate=TRUE])."""
    x = eng.value(args[0], ctx).tolist()
    table = _range(eng, ctx, args[1])
    if isinstance(table, V):
        return _not_a_range(table)
    index = eng.value(args[2], ctx).tolist()
    approx = [True] if _missing(args, 3) else eng.value(args[3], ctx).tolist()
    stored, w, cells = _cells_of(eng, table)
    h = table.h
    keys = _keys(eng, table, cells, horizontal)
    size = max(len(x), len(index), len(approx))
    out: list[Value] = []
    for i in range(size):
        xi, ki, ai = x[min(i, len(x) - 1)], index[min(i, len(index) - 1)], approx[min(i, len(approx) - 1)]
        k, a = integer(ki), logical(ai)
        err = next((e for e in (xi, k, a) if isinstance(e, ExcelError)), None)
        if err is not None:
            out.append(err)
            continue
        assert isinstance(k, int) and isinstance(a, bool)
        if k < 1:
            out.append(VALUE)
            continue
        if k > (h if horizontal else w):
            out.append(REF)
            continue
        p = _lookup(keys, xi, a)
        if p is None:
            out.append(NA)
            continue
        r, c = (k - 1, p) if horizontal else (p, k - 1)
        out.append(cells[r * w + c] if r < stored else None)
    return from_values(out)


@function("VLOOKUP", 3, 4)
def fn_vlookup(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _table_lookup(eng, ctx, args, False)


@function("HLOOKUP", 3, 4)
def fn_hlookup(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    return _table_lookup(eng, ctx, args, True)


def _xmatch(keys: list[Value], x: Value, mode: int, reverse: bool) -> int | None:
    """XLOOKUP's search: 0 exact, 2 wildcards, -1 exact or the next smaller,
    1 exact or the next larger (no sorting needed); ``reverse``: from the
    last key."""
    order = range(len(keys) - 1, -1, -1) if reverse else range(len(keys))
    if mode in (0, 2):
        return next((i for i in order if _same(keys[i], x, mode == 2)), None)
    best: int | None = None
    for i in order:
        k = keys[i]
        if k is None or isinstance(k, ExcelError) or _kind(k) is not _kind(x):
            continue
        kk, xx = _key(k), _key(x)
        if kk == xx:
            return i
        if (mode == -1 and kk < xx) or (mode == 1 and kk > xx):  # type: ignore[operator]  # one kind
            if best is None or (mode == -1 and kk > _key(keys[best])) or (mode == 1 and kk < _key(keys[best])):  # type: ignore[operator]
                best = i
    return best


@function("XLOOKUP", 3, 6)
def fn_xlookup(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """XLOOKUP(x, lookup_array, return_array, [if_not_found], [match_mode],
    [search_mode]): exact match by default, no sorting needed."""
    x = eng.value(args[0], ctx).tolist()
    look = _range(eng, ctx, args[1])
    ret = _range(eng, ctx, args[2])
    if isinstance(look, V):
        return _not_a_range(look)
    if isinstance(ret, V):
        return _not_a_range(ret)
    if look.h != 1 and look.w != 1:
        return V.const(VALUE)
    length = max(look.h, look.w)
    vertical = look.w == 1 and look.h == length and not (look.h == 1 and ret.h == 1)
    if (vertical and ret.h != length) or (not vertical and ret.w != length):
        return V.const(VALUE)
    _, _, keys = _cells_of(eng, look)
    keys = keys + [None] * (length - len(keys))
    r_stored, rw, rcells = _cells_of(eng, ret)
    missing = None if _missing(args, 3) else eng.value(args[3], ctx).tolist()
    modes = [0.0] if _missing(args, 4) else eng.value(args[4], ctx).tolist()
    searches = [1.0] if _missing(args, 5) else eng.value(args[5], ctx).tolist()
    size = max(len(x), len(modes), len(searches), len(missing or [None]))
    out: list[Value] = []
    for i in range(size):
        xi = x[min(i, len(x) - 1)]
        m, s = integer(modes[min(i, len(modes) - 1)]), integer(searches[min(i, len(searches) - 1)])
        err = next((e for e in (xi, m, s) if isinstance(e, ExcelError)), None)
        if err is not None:
            out.append(err)
            continue
        assert isinstance(m, int) and isinstance(s, int)
        if m not in (-1, 0, 1, 2) or s not in (-2, -1, 1, 2):
            out.append(VALUE)
            continue
        p = None if xi is None else _xmatch(keys, xi, m, s < 0)
        if p is None:
            out.append(NA if missing is None else missing[min(i, len(missing) - 1)])
            continue
        r, c = (p, 0) if vertical else (0, p)
        out.append(rcells[r * rw + c] if r < r_stored else None)
    return from_values(out)


@function("CHOOSE", 2)
def fn_choose(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """CHOOSE(k, v1, v2, ...): the k-th value (k truncated), each evaluated
    only on the rows that choose it; #VALUE! for k out of 1..n."""
    k = to_number(eng.value(args[0], ctx))
    size = max(len(k.t), 1)
    idx = np.trunc(k.n).astype(np.int64)
    bad = (idx < 1) | (idx > len(args) - 1)
    parts: list[tuple[np.ndarray, V]] = []
    if len(k.t) == 1 and ctx.size != 1:  # the same choice for every row
        if k.t[0] == ERR or bad[0]:
            return k if k.t[0] == ERR else V.const(VALUE)
        return eng.value(args[int(idx[0])], ctx)
    for j in np.unique(idx[~bad & (k.t != ERR)]).tolist():
        pos = np.flatnonzero((idx == j) & (k.t != ERR))
        parts.append((pos, eng.value(args[j], ctx.subset(pos) if ctx.size == size else ctx)))
    out = assemble(size, parts)
    if bad.any():
        out = with_errors(out, (bad & (k.t != ERR), _errors_like(size, VALUE)))
    err = first_error(k) if k.uni != NUM else None
    return with_errors(out, err) if err else out


def _dimension(rows: bool) -> Impl:
    def impl(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
        a = eng.range_arg(args[0], ctx)
        if isinstance(a, (Block, ConstBlock, VaryingBlock)):
            return V.const(float(a.h if rows else a.w))
        if a is None or a.uni == ERR:
            return V.const(VALUE) if a is None else a
        return V.const(1.0)

    return impl


FUNCTIONS["ROWS"] = Fn("ROWS", _dimension(True), 1, 1)
FUNCTIONS["COLUMNS"] = Fn("COLUMNS", _dimension(False), 1, 1)
