"""The native function library, one module per family (pycel style).

Every function the layout writes is here (IF, OR, AND, SUM, ROUND, MIN, MAX,
TRIM, MATCH, INDEX, COUNT, COUNTIF, COUNTIFS, SUMIFS, N), vectorised over the
rows of a column run, plus what bursars type in their own formulas (SUMPRODUCT,
lookups, TEXT, dates...). A formula calling anything else is evaluated by
the ``formulas`` package (see :mod:`..fallback`) and listed in
``Evaluation.fallback_cells``.

Each implementation receives the engine, the rows being evaluated and the
argument *trees*, so that IF and IFERROR evaluate a branch only on the rows
that take it. Functions that are not on the money path of the generated
workbooks are written per row on Python values (:mod:`.scalar`): simpler,
and fast enough for the single cells a bursar adds.

Families: ``logic``, ``stats`` (aggregates, conditional aggregates,
SUMPRODUCT, RANK), ``math`` (rounding and arithmetic), ``text``, ``lookup``,
``dates``, ``info``; ``base`` holds the registry and the argument helpers,
``arrays`` the array evaluation of SUMPRODUCT's arguments.
"""

from workbook_engine.evaluator.functions import dates, info, logic, lookup, math, stats, text  # noqa: F401 - registers
from workbook_engine.evaluator.functions.base import FUNCTIONS, Fn, function
from workbook_engine.evaluator.functions.math import _directed_round, _roundup_one
from workbook_engine.evaluator.functions.text import spreadsheet_trim

NATIVE_FUNCTIONS = frozenset(FUNCTIONS)

__all__ = [
    "FUNCTIONS",
    "NATIVE_FUNCTIONS",
    "Fn",
    "_directed_round",
    "_roundup_one",
    "function",
    "spreadsheet_trim",
]
