"""Array evaluation, for the arguments of SUMPRODUCT.

``SUMPRODUCT(--(C2:C11>10000))`` computes ``C2:C11>10000`` cell by cell:
a range is an array of its cells, an operator applies to each pair of
cells (a single value against every cell; a column against a row gives a
table, as Excel does), and an elementwise function (ROUND, ISNUMBER, IF,
LEFT...: ``Fn.elementwise``) is applied to each cell. Anything else (SUM
inside, a lookup) is one value.

An array is (height, width, values): the values a flattened, row-major
:class:`V`. Used for one cell at a time (the calling function raises
``NotVectorizable`` for a column run).
"""

from __future__ import annotations

from typing import cast

import numpy as np

from workbook_engine.evaluator.nodes import ArrayConst, Binary, Call, Cell, Const, Node, Range, Unary
from workbook_engine.evaluator.values import ERR, NA, REF, V, assemble, take, to_bool, to_number, with_errors
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine, VaryingBlock, operate

Array = tuple[int, int, V]


def _block_array(block: Block | ConstBlock) -> Array:
    """Every cell of a fixed range, the rows past the last used one blank."""
    t, n, o, stored = block.data()
    k = block.h * block.w
    if len(t) < k:
        extra = k - len(t)
        t = np.concatenate([t, np.zeros(extra, dtype=np.int8)])
        n = np.concatenate([n, np.zeros(extra)])
        o = None if o is None else np.concatenate([o, np.empty(extra, dtype=object)])
    return block.h, block.w, V(t, n, o, None, True)


def has_array(node: Node) -> bool:
    """Whether ``node`` yields more than one value in array evaluation."""
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, (Range, ArrayConst)):
            return True
        if isinstance(x, Unary):
            stack.append(x.x)
        elif isinstance(x, Binary):
            stack += [x.a, x.b]
        elif isinstance(x, Call) and (x.fn.elementwise or x.fn.area is not None):
            stack += x.args
    return False


def needs_arrays(tree: Node) -> bool:
    """Whether a formula computes cell by cell over a range somewhere
    (A1:A3*B1:B3, ROUND(A1:A3,0)) outside SUMPRODUCT: then, entered as an
    array formula, it needs array semantics this engine leaves to the
    fallback."""
    stack = [tree]
    while stack:
        x = stack.pop()
        if isinstance(x, Unary):
            if has_array(x.x):
                return True
            stack.append(x.x)
        elif isinstance(x, Binary):
            if has_array(x.a) or has_array(x.b):
                return True
            stack += [x.a, x.b]
        elif isinstance(x, Call) and x.name != "SUMPRODUCT":
            if x.fn.elementwise and any(has_array(a) for a in x.args):
                return True
            stack += x.args
    return False


def _given(v: V) -> Const:
    """A tree leaf holding already computed values (one per array cell)."""
    node = Const(None)
    node.v = v
    return node


def expand(arr: Array, h: int, w: int) -> V:
    """The values of ``arr`` spread over an h x w table (a single value
    repeated, a column across, a row down); #N/A outside a smaller array."""
    ah, aw, v = arr
    if (ah, aw) == (h, w) or len(v.t) == 1:
        return v
    rows = np.repeat(np.arange(h), w)
    cols = np.tile(np.arange(w), h)
    inside = ((rows < ah) | (ah == 1)) & ((cols < aw) | (aw == 1))
    idx = np.where(inside, (np.where(ah == 1, 0, rows) * aw + np.where(aw == 1, 0, cols)), 0)
    out = V(v.t[idx], v.n[idx], None if v.o is None else v.o[idx])
    if not inside.all():
        errs = np.empty(len(idx), dtype=object)
        errs[:] = NA
        out = with_errors(out, (~inside, errs))
    return out


def _shape(arrays: list[Array]) -> tuple[int, int]:
    return max(a[0] for a in arrays), max(a[1] for a in arrays)


def array_value(eng: Engine, ctx: Ctx, node: Node) -> Array:
    """``node`` evaluated as an array for the single cell of ``ctx``."""
    if isinstance(node, Range):
        b = eng.area(node, ctx)
        if not isinstance(b, Block):
            return 1, 1, V.const(REF)
        return _block_array(b)
    if isinstance(node, ArrayConst):
        return _block_array(ConstBlock(node.rows))
    if isinstance(node, Unary):
        ops: list[str] = []
        inner: Node = node
        while isinstance(inner, Unary):
            ops.append(inner.op)
            inner = inner.x
        h, w, v = array_value(eng, ctx, inner)
        for op in reversed(ops):
            if op == "+":
                continue
            v = to_number(v)
            v = V(v.t, -v.n + 0.0 if op == "-" else v.n / 100.0, v.o, v.uni)
        return h, w, v
    if isinstance(node, Binary):
        spine: list[Binary] = [node]
        left: Node = node.a
        while isinstance(left, Binary):
            spine.append(left)
            left = left.a
        acc = array_value(eng, ctx, left)
        for step in reversed(spine):
            right = array_value(eng, ctx, step.b)
            h, w = _shape([acc, right])
            acc = (h, w, operate(step.op, expand(acc, h, w), expand(right, h, w)))
        return acc
    if isinstance(node, Call):
        if node.fn.area is not None:
            b = node.fn.area(eng, ctx, node.args)
            if b is not None:
                return _block_array(b)
        if node.name in _CHOICES and any(has_array(a) for a in node.args):
            return _choice(eng, ctx, node)
        if node.fn.elementwise and any(has_array(a) for a in node.args):
            return _elementwise(eng, ctx, node)
    v = eng.value(node, ctx)
    return 1, 1, V.const(None) if len(v.t) == 0 else v


# Functions that choose among their arguments: over arrays, every argument
# is computed as an array and the choice made cell by cell.
_CHOICES = ("IF", "IFERROR", "IFNA")


def _choice(eng: Engine, ctx: Ctx, node: Call) -> Array:
    args = node.args
    first = array_value(eng, ctx, args[0])
    if node.name == "IF":
        then = array_value(eng, ctx, args[1]) if len(args) > 1 else (1, 1, V.const(True))
        other = array_value(eng, ctx, args[2]) if len(args) > 2 else (1, 1, V.const(False))
    else:
        then, other = first, array_value(eng, ctx, args[1])
    h, w = _shape([first, then, other])
    k = h * w
    test = expand(first, h, w).broadcast(k)
    is_err = test.t == ERR
    if node.name == "IF":
        cond = to_bool(test)
        is_err = cond.t == ERR
        pick_then = (cond.n != 0) & ~is_err
        pick_other = ~pick_then & ~is_err
        keep = is_err
    else:
        if node.name == "IFNA" and is_err.any():
            is_err = is_err & (cast(np.ndarray, test.o) == NA)  # errors: ``o`` is set
        pick_then, pick_other, keep = ~is_err, is_err, np.zeros(k, dtype=bool)
    parts = [
        (np.flatnonzero(pick_then), take(expand(then, h, w), np.flatnonzero(pick_then))),
        (np.flatnonzero(pick_other), take(expand(other, h, w), np.flatnonzero(pick_other))),
        (np.flatnonzero(keep), take(test, np.flatnonzero(keep))),
    ]
    return h, w, assemble(k, parts)


def _elementwise(eng: Engine, ctx: Ctx, node: Call) -> Array:
    """An elementwise function over arrays: its array arguments computed
    first, then the function once over all the cells (a row per cell)."""
    arrays: dict[int, Array] = {i: array_value(eng, ctx, a) for i, a in enumerate(node.args) if has_array(a)}
    h, w = _shape(list(arrays.values()))
    k = h * w
    args = [
        _given(expand(arrays[i], h, w).as_value().broadcast(k)) if i in arrays else a for i, a in enumerate(node.args)
    ]
    cells = Ctx(ctx.sheet, ctx.col, np.full(k, ctx.lo), False)
    v = node.fn.impl(eng, cells, args)
    if len(v.t) != k:
        v = v.broadcast(k)
    return h, w, v


# ---------------------------------------------------------------------------
# A column run at once: SUMPRODUCT over ranges that move with the row
# ---------------------------------------------------------------------------


def _run_leaf_shape(eng: Engine, ctx: Ctx, node: Node, shapes: set[tuple[int, int]]) -> bool:
    """Whether ``node`` is made only of what the run evaluation below
    computes exactly as :func:`array_value` does cell by cell (ranges moving
    with the row, single values, operators); collects the ranges' shapes."""
    if isinstance(node, Range):
        b = eng.area(node, ctx)
        if not isinstance(b, VaryingBlock):
            return False
        shapes.add((b.h, b.w))
        return True
    if isinstance(node, Unary):
        return _run_leaf_shape(eng, ctx, node.x, shapes)
    if isinstance(node, Binary):
        return _run_leaf_shape(eng, ctx, node.a, shapes) and _run_leaf_shape(eng, ctx, node.b, shapes)
    return isinstance(node, (Const, Cell))


def run_arrays(eng: Engine, ctx: Ctx, args: list[Node]) -> tuple[int, list[V]] | None:
    """SUMPRODUCT's arguments for every row of a column run at once, when
    each is built from ranges that move with the row (all of one shape),
    single cells, constants and operators (``(X5:Z5>=AA5)*B5:D5``): each
    argument as one flat vector of rows x cells (row-major), the cells of
    a row in the order :func:`array_value` gives them. ``None`` when some
    argument needs the cell-by-cell path."""
    shapes: set[tuple[int, int]] = set()
    if not all(_run_leaf_shape(eng, ctx, a, shapes) for a in args) or len(shapes) > 1:
        return None
    h, w = shapes.pop() if shapes else (1, 1)  # A4:A4 parses as the cell A4
    k = h * w
    return k, [_run_value(eng, ctx, a, k) for a in args]


def _run_value(eng: Engine, ctx: Ctx, node: Node, k: int) -> V:
    size = ctx.size
    if isinstance(node, Range):
        block = cast(VaryingBlock, eng.area(node, ctx))
        m = block.matrix()  # (rows, cells) in row-major cell order
        return V(m.t.reshape(-1), m.n.reshape(-1), None if m.o is None else m.o.reshape(-1), None, True)
    if isinstance(node, Unary):
        v = _run_value(eng, ctx, node.x, k)
        if node.op == "+":
            return v
        v = to_number(v)
        return V(v.t, -v.n + 0.0 if node.op == "-" else v.n / 100.0, v.o, v.uni)
    if isinstance(node, Binary):
        return operate(node.op, _run_value(eng, ctx, node.a, k), _run_value(eng, ctx, node.b, k))
    v = eng.value(node, ctx)  # one value per row (or one for all): spread over the row's cells
    if len(v.t) == 1:
        return v
    v = v.broadcast(size)
    return V(np.repeat(v.t, k), np.repeat(v.n, k), None if v.o is None else np.repeat(v.o, k), v.uni, v.ref)
