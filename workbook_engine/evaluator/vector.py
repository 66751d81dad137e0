"""Column-vectorised evaluation of a syntax tree.

One evaluation computes one formula (in R1C1 terms) for a whole set of rows
of one column at once: a reference ``A4`` (same row, column A) becomes the
slice of column A over those rows, an absolute reference a constant, and each
operator one numpy operation. ``IF`` evaluates each branch only on the rows
that take it (so ``IF(A1="","",A1/0)`` never divides for blank rows).

A single cell is the same thing with one row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TypeVar, cast

import numpy as np

from workbook_engine.evaluator.nodes import ArrayConst, Binary, Call, Cell, Const, Missing, Node, Range, Unary
from workbook_engine.evaluator.store import Book, Sheet
from workbook_engine.evaluator.values import (
    DIV0,
    NUM,
    NUM_ERR,
    REF,
    STR,
    VALUE,
    V,
    Value,
    compare,
    first_error,
    to_number,
    to_text,
    uniform_types,
    with_errors,
)

# A rectangle's cells, row-major flattened: (types, numbers, objects or None,
# height stored); see ``Sheet.block``.
BlockData = tuple[np.ndarray, np.ndarray, np.ndarray | None, int]

_T = TypeVar("_T")


MAX_TEXT = 32_767  # characters in a cell, as Excel


class NotVectorizable(Exception):
    """This formula must be evaluated row by row (e.g. MATCH over a range
    that moves with the row)."""


class Ctx:
    """The rows (of one column of one sheet) a formula is evaluated for."""

    __slots__ = ("sheet", "col", "rows", "lo", "hi", "contiguous", "size")

    def __init__(self, sheet: Sheet, col: int, rows: np.ndarray, contiguous: bool | None = None) -> None:
        self.sheet, self.col, self.rows = sheet, col, rows
        self.size = len(rows)
        self.lo = int(rows[0]) if contiguous else int(rows.min())
        self.hi = int(rows[-1]) if contiguous else int(rows.max())
        self.contiguous = contiguous if contiguous is not None else (self.hi - self.lo + 1 == self.size)

    def subset(self, pos: np.ndarray) -> Ctx:
        rows = self.rows[pos]
        return Ctx(self.sheet, self.col, rows, None)


# ---------------------------------------------------------------------------
# Ranges as function arguments
# ---------------------------------------------------------------------------


class Block:
    """A rectangle that is the same for every evaluated row. Its cells are
    read once (row-major, flattened) and cached: by the time a formula reads a
    range, every formula inside it has been computed (dependency order)."""

    __slots__ = ("sheet", "r0", "c0", "r1", "c1", "engine")

    def __init__(self, engine: Engine, sheet: Sheet, r0: int, c0: int, r1: int, c1: int) -> None:
        self.engine, self.sheet, self.r0, self.c0, self.r1, self.c1 = engine, sheet, r0, c0, r1, c1

    @property
    def h(self) -> int:
        return self.r1 - self.r0 + 1

    @property
    def w(self) -> int:
        return self.c1 - self.c0 + 1

    @property
    def key(self) -> tuple[int, int, int, int, int]:
        return (self.sheet.index, self.r0, self.c0, self.r1, self.c1)

    def data(self) -> BlockData:
        """(types, numbers, objects, stored height): only the rows up to the
        sheet's last used row are stored; the rest are blank."""
        return self.engine.block_data(self)


class ConstBlock:
    """An array constant {1,2;3,4} used where a range is expected."""

    __slots__ = ("h", "w", "_data", "key")
    _serial = itertools.count()

    def __init__(self, rows: list[list[Value]]) -> None:
        self.h, self.w = len(rows), len(rows[0])
        flat = [x for r in rows for x in r]
        vs = [V.const(x) for x in flat]
        t = np.array([int(v.t[0]) for v in vs], dtype=np.int8)
        n = np.array([float(v.n[0]) for v in vs])
        o = None
        if any(v.o is not None for v in vs):
            o = np.array([None if v.o is None else v.o[0] for v in vs], dtype=object)
        self._data: BlockData = (t, n, o, self.h)
        self.key: tuple[str, int] = ("const", next(ConstBlock._serial))

    def data(self) -> BlockData:
        return self._data


class VaryingBlock:
    """A rectangle that moves with the row (``SUM(B4:D4)`` down a column):
    one row of cells per evaluated row."""

    __slots__ = ("sheet", "r0s", "c0", "h", "w")

    def __init__(self, sheet: Sheet, r0s: np.ndarray, c0: int, h: int, w: int) -> None:
        self.sheet, self.r0s, self.c0, self.h, self.w = sheet, r0s, c0, h, w

    def matrix(self) -> V:
        """Values as a (rows, h*w) matrix wrapped in a V of 2-D arrays."""
        size = len(self.r0s)
        parts_t: list[np.ndarray] = []
        parts_n: list[np.ndarray] = []
        parts_o: list[np.ndarray | None] = []
        any_o = False
        for i in range(self.h):
            rows = self.r0s + i
            lo, hi = int(rows.min()), int(rows.max())
            for j in range(self.w):
                v = self.sheet.gather(self.c0 + j, rows, lo, hi, hi - lo + 1 == size)
                parts_t.append(v.t)
                parts_n.append(v.n)
                parts_o.append(v.o)
                any_o |= v.o is not None
        t = np.stack(parts_t, axis=1)
        n = np.stack(parts_n, axis=1)
        o = None
        if any_o:
            o = np.empty(t.shape, dtype=object)
            for k, po in enumerate(parts_o):
                if po is not None:
                    o[:, k] = po
        return V(t, n, o, None, True)


# ---------------------------------------------------------------------------
# The evaluator
# ---------------------------------------------------------------------------


class Engine:
    """Evaluates syntax trees against a :class:`Book`."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self._blocks: dict[tuple[int, int, int, int, int], BlockData] = {}
        self.memo: dict[tuple[object, ...], object] = {}  # per-range caches of functions (criteria masks...)
        self.cache_ranges = True

    # -- ranges ----------------------------------------------------------------
    def block_data(self, block: Block) -> BlockData:
        key = block.key
        if self.cache_ranges:
            hit = self._blocks.get(key)
            if hit is not None:
                return hit
        data = block.sheet.block(block.r0, block.c0, block.r1, block.c1)
        if self.cache_ranges:
            self._blocks[key] = data
        return data

    def remember(self, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
        """A function's cached computation over ranges (criteria masks...)."""
        if not self.cache_ranges:
            return compute()
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = compute()
        return cast(_T, hit)  # the memo holds what this key's ``compute`` gave

    def area(self, node: Range, ctx: Ctx) -> Block | VaryingBlock | None:
        """A Range argument as a Block (fixed) or VaryingBlock."""
        sheet = self.book[node.sheet]
        c0 = node.c0 if node.c0_abs else ctx.col + node.c0
        c1 = node.c1 if node.c1_abs else ctx.col + node.c1
        if c0 > c1:
            c0, c1 = c1, c0
        if c0 < 0:
            return None
        if node.rows_fixed or ctx.size == 1:
            base = ctx.lo
            r0 = node.r0 if node.r0_abs else base + node.r0
            r1 = node.r1 if node.r1_abs else base + node.r1
            if r0 > r1:
                r0, r1 = r1, r0
            if r0 < 0:
                return None
            return Block(self, sheet, r0, c0, r1, c1)
        if not node.r0_abs and not node.r1_abs:
            r0s = ctx.rows + min(node.r0, node.r1)
            if ctx.lo + min(node.r0, node.r1) < 0:
                raise NotVectorizable
            return VaryingBlock(sheet, r0s, c0, abs(node.r1 - node.r0) + 1, c1 - c0 + 1)
        raise NotVectorizable

    def range_arg(self, node: Node, ctx: Ctx) -> Arg:
        """An argument where a range is expected (MATCH, INDEX, COUNTIF...): a
        single cell is a 1x1 range; anything else is returned as a V."""
        if isinstance(node, Cell):
            node = Range(
                node.sheet,
                node.row,
                node.col,
                node.row,
                node.col,
                node.row_abs,
                node.col_abs,
                node.row_abs,
                node.col_abs,
            )
        return self.arg(node, ctx)

    def arg(self, node: Node, ctx: Ctx) -> Arg:
        """A function argument: ranges stay ranges (Block, VaryingBlock or
        ConstBlock; None for a #REF! range), a missing argument is None,
        anything else a V."""
        if isinstance(node, Range):
            b = self.area(node, ctx)
            return V.const(REF) if b is None else b
        if isinstance(node, Call) and node.fn.area is not None:  # INDEX(r,0,2): a reference
            ref = node.fn.area(self, ctx, node.args)
            if ref is not None:
                return ref
        if isinstance(node, ArrayConst):
            return ConstBlock(node.rows)
        if isinstance(node, Missing):
            return None
        return self.value(node, ctx)

    # -- values ----------------------------------------------------------------
    def value(self, node: Node, ctx: Ctx) -> V:
        """The value of ``node`` for each row of ``ctx`` (length 1 when the
        same for all rows)."""
        # Dispatch on the exact type (the cheapest test); mypy does not narrow
        # ``node`` through ``tp``, hence the casts (no runtime check).
        tp = type(node)
        if tp is Cell:
            return self.cell(cast(Cell, node), ctx)
        if tp is Const:
            return cast(Const, node).v
        if tp is Binary:
            return self.binary(cast(Binary, node), ctx)
        if tp is Call:
            call = cast(Call, node)
            return call.fn.impl(self, ctx, call.args)
        if tp is Unary:
            return self.unary(cast(Unary, node), ctx)
        if tp is Range:
            return self.intersect(cast(Range, node), ctx)
        if tp is Missing:
            return V.const(0.0)
        if tp is ArrayConst:
            return V.const(cast(ArrayConst, node).rows[0][0])
        raise TypeError(tp)  # pragma: no cover

    def cell(self, node: Cell, ctx: Ctx) -> V:
        sheet = self.book[node.sheet]
        col = node.col if node.col_abs else ctx.col + node.col
        if col < 0:
            return V.const(REF)
        if node.row_abs:
            r = node.row
            return sheet.gather(col, np.array([r]), r, r, True)
        dr = node.row
        if ctx.lo + dr < 0:
            return V.const(REF)
        rows = ctx.rows + dr if dr else ctx.rows
        return sheet.gather(col, rows, ctx.lo + dr, ctx.hi + dr, ctx.contiguous)

    def intersect(self, node: Range, ctx: Ctx) -> V:
        """A range where one value is expected: the cell in the formula's own
        row (one-column range) or column (one-row range), else #VALUE!."""
        # rows fixed or one row: ``area`` gives a Block (or None), never a VaryingBlock
        b = cast("Block | None", self.area(node, ctx)) if (node.rows_fixed or ctx.size == 1) else None
        if b is None and not (node.rows_fixed or ctx.size == 1):
            # relative multi-row range: intersect row by row
            raise NotVectorizable
        if b is None:
            return V.const(REF)
        if b.h == 1 and b.w == 1:
            return b.sheet.gather(b.c0, np.array([b.r0]), b.r0, b.r0, True)
        if b.w == 1:
            rows = ctx.rows
            inside = (rows >= b.r0) & (rows <= b.r1)
            v = b.sheet.gather(b.c0, rows, ctx.lo, ctx.hi, ctx.contiguous)
            if inside.all():
                return v
            return with_errors(v, (~inside, np.full(ctx.size, VALUE, dtype=object)))
        if b.h == 1 and b.c0 <= ctx.col <= b.c1:
            return b.sheet.gather(ctx.col, np.array([b.r0]), b.r0, b.r0, True)
        return V.const(VALUE)

    def unary(self, node: Unary, ctx: Ctx) -> V:
        # a chain of signs ("------1") in a loop, innermost first
        ops: list[str] = []
        inner: Node = node
        while isinstance(inner, Unary):
            ops.append(inner.op)
            inner = inner.x
        x = self.value(inner, ctx)
        for op in reversed(ops):
            if op == "+":
                continue
            x = to_number(x)
            if op == "-":
                x = V(x.t, -x.n + 0.0, x.o, x.uni)
            else:  # '%'
                x = V(x.t, x.n / 100.0, x.o, x.uni)
        return x

    def root(self, node: Node, ctx: Ctx) -> V:
        """The value of a formula's whole tree: like :meth:`value`, with
        Excel's rule for a final + or - that lands within rounding noise of
        zero (see :func:`arithmetic`)."""
        if isinstance(node, Binary) and node.op in ("+", "-"):
            return self.binary(node, ctx, snap=True)
        return self.value(node, ctx)

    def binary(self, node: Binary, ctx: Ctx, snap: bool = False) -> V:
        # Operators chain to the left (1+2+3 is (1+2)+3): walk down the left
        # spine and fold back up in a loop, so "=1+1+...+1" of thousands of
        # terms costs no recursion.
        spine: list[Binary] = [node]
        left: Node = node.a
        while isinstance(left, Binary):
            spine.append(left)
            left = left.a
        acc = self.value(left, ctx)
        for i, step in enumerate(reversed(spine)):
            b = self.value(step.b, ctx)
            acc = operate(step.op, acc, b, snap and i == len(spine) - 1)
        return acc


def operate(op: str, a: V, b: V, snap: bool = False) -> V:
    """``a op b`` for one binary operator. ``snap``: this + or - is the last
    operation of its expression (see :func:`arithmetic`)."""
    if op in ("+", "-", "*", "/", "^"):
        return arithmetic(op, a, b, snap)
    if op == "&":
        return concat(a, b)
    return compare(op, a, b)


# Two doubles closer than this, relative to both, are "the same number up to
# the noise of binary fractions" (LibreOffice's rtl::math::approxEqual, 2^-48).
_NOISE = 2.0**-48


def arithmetic(op: str, a: V, b: V, snap: bool = False) -> V:
    """+ - * / ^ with the spreadsheet's coercions and errors: x/0 is #DIV/0!,
    an overflow or an impossible power #NUM!, an operand's error wins.

    ``snap``: this + or - is the formula's last operation, and then a result
    that is only the noise of binary fractions is 0, as Excel documents
    ("Floating-point arithmetic may give inaccurate results in Excel":
    =0.5-0.4-0.1 shows 0, =(0.5-0.4-0.1)*1 shows -2.78E-17)."""
    if a.all_of(NUM) and b.all_of(NUM):
        err = None
    else:
        a, b = to_number(a), to_number(b)
        err = first_error(a, b)
    x, y = a.n, b.n
    with np.errstate(all="ignore"):
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "/":
            r = x / y
        else:
            r = np.power(x, y)
    r = np.asarray(r, dtype=np.float64)
    if snap and op in ("+", "-"):
        r = _snap(x, y if op == "-" else -y, r)
    out = V.nums(r)
    if not np.isfinite(r).all() or (op == "^" and ((x == 0) & (y <= 0)).any()):
        bad = ~np.isfinite(r)
        errs = np.empty(len(r), dtype=object)
        if op == "/":
            zero = np.broadcast_to(y == 0, r.shape)
            errs[:] = NUM_ERR
            errs[zero] = DIV0
        elif op == "^":
            xb, yb = np.broadcast_arrays(x, y)
            zero_neg = (xb == 0) & (yb < 0)
            zero_zero = (xb == 0) & (yb == 0)
            bad = bad | zero_zero
            errs[:] = NUM_ERR
            errs[zero_neg] = DIV0
        else:
            errs[:] = NUM_ERR
        r = np.where(bad, 0.0, r)
        out = with_errors(V.nums(r), (bad, errs))
    return with_errors(out, err) if err is not None else out


def _snap(x: np.ndarray, y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """x - y, given as ``r``, set to 0 where x and y are equal up to noise."""
    with np.errstate(all="ignore"):
        d = np.abs(r)
        near = (d != 0) & (d < np.abs(x) * _NOISE) & (d < np.abs(y) * _NOISE)
    if near.any():
        r = np.where(near, 0.0, r)
    return r


def concat(a: V, b: V) -> V:
    ta, tb = to_text(a), to_text(b)
    size = max(len(ta.t), len(tb.t))
    oa = np.broadcast_to(cast(np.ndarray, ta.o), size)  # to_text always sets ``o``
    ob = np.broadcast_to(cast(np.ndarray, tb.o), size)
    err = first_error(ta, tb)
    o = np.empty(size, dtype=object)
    ok = np.ones(size, dtype=bool) if err is None else ~err[0]
    o[ok] = oa[ok] + ob[ok]
    out = V(uniform_types(STR, size), np.zeros(size), o, STR)
    # Excel's cell limit: longer text is #VALUE! (and a chain of A1&A1 down
    # a sheet cannot double its way to gigabytes)
    long = np.array([len(x) > MAX_TEXT for x in o[ok].tolist()], dtype=bool)
    if long.any():
        too_long = np.zeros(size, dtype=bool)
        too_long[np.flatnonzero(ok)[long]] = True
        errs = np.empty(size, dtype=object)
        errs[:] = VALUE
        out = with_errors(out, (too_long, errs))
    return with_errors(out, err) if err is not None else out


# A function argument as ``Engine.arg`` gives it: a range (fixed, constant or
# moving with the row), None for a missing argument, else a value vector.
Arg = V | Block | ConstBlock | VaryingBlock | None

__all__ = [
    "Arg",
    "Block",
    "BlockData",
    "ConstBlock",
    "Ctx",
    "Engine",
    "NotVectorizable",
    "VaryingBlock",
    "arithmetic",
    "concat",
    "operate",
]
