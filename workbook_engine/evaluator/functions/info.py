"""Information: ISBLANK, ISNUMBER, ISTEXT, ISERROR, N."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from workbook_engine.evaluator.functions.base import (
    FUNCTIONS,
    Fn,
    Impl,
    function,
)
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import (
    BLANK,
    BOOL,
    ERR,
    NUM,
    STR,
    V,
    first_error,
    with_errors,
)
from workbook_engine.evaluator.vector import Block, ConstBlock, Ctx, Engine, NotVectorizable, VaryingBlock

if TYPE_CHECKING:
    pass

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
