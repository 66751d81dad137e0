"""Text functions: TRIM..."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from workbook_engine.evaluator.functions.base import (
    function,
)
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import (
    STR,
    V,
    to_text,
)
from workbook_engine.evaluator.vector import Ctx, Engine

if TYPE_CHECKING:
    pass

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
