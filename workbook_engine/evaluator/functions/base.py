"""What every family of the native library shares: the registry
(``FUNCTIONS``, ``function``), and the helpers that read arguments (numbers
of ranges and values, ranges, errors)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np

from workbook_engine.evaluator.nodes import Missing, Node
from workbook_engine.evaluator.values import (
    BOOL,
    ERR,
    NUM,
    NUM_ERR,
    STR,
    VALUE,
    Errors,
    ExcelError,
    V,
    first_error,
    text_to_number,
    to_number,
    with_errors,
)
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine, NotVectorizable, VaryingBlock

# A function's implementation: (engine, rows evaluated, argument trees) -> values.
Impl = Callable[[Engine, Ctx, list[Node]], V]
# An argument's error as the aggregates collect it: a value vector whose
# error rows count, (mask, errors), or None.
ArgError = V | Errors | None


# A function whose result is a reference (INDEX) gives its area as a range
# argument: None when it is not a fixed area (then its value is used).
AreaImpl = Callable[[Engine, Ctx, list[Node]], "Block | None"]


@dataclass(frozen=True)
class Fn:
    """A native function. ``elementwise``: applied to arrays cell by cell
    (ROUND(A1:A3,0) inside SUMPRODUCT); ``area``: see ``AreaImpl``."""

    name: str
    impl: Impl
    min_args: int
    max_args: int
    elementwise: bool = False
    area: AreaImpl | None = None


FUNCTIONS: dict[str, Fn] = {}


def function(name: str, min_args: int, max_args: int = 255, *, elementwise: bool = False) -> Callable[[Impl], Impl]:
    def register(impl: Impl) -> Impl:
        FUNCTIONS[name] = Fn(name, impl, min_args, max_args, elementwise)
        return impl

    return register


def _errors_like(size: int, err: ExcelError) -> np.ndarray:
    o = np.empty(size, dtype=object)
    o[:] = err
    return o


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


def _missing(args: list[Node], i: int) -> bool:
    return i >= len(args) or isinstance(args[i], Missing)


def finite(v: V) -> V:
    """#NUM! where a numeric result overflowed (SUM(1E308,1E308)), as Excel."""
    bad = ~np.isfinite(v.n)
    if not bad.any():
        return v
    return with_errors(V(v.t, np.where(bad, 0.0, v.n), v.o, v.uni), (bad, _errors_like(len(bad), NUM_ERR)))
