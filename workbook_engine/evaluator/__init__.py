"""Headless evaluation of a workbook's own formula text.

    from workbook_engine.evaluator import evaluate_workbook, Evaluation, ExcelError
    ev = evaluate_workbook("classeur.xlsx")        # engine="native" (default) or "formulas"
    ev(Ref("Familles", 3, 21))                     # float | str | bool | None (blank) | ExcelError
    ev.fallback_cells                              # ["Familles!V9", ...]: computed by `formulas`
    ev.formulas[("Familles", 3, 21)]               # '=IF(A4="","",ROUND(S4*U4,2))'
    ev.defined_names["TOTAL_RECETTES"]             # "Synthèse!$D$7"
    ev.circular_cells                              # cells on a circular reference (#REF!)

    parsed = parse_workbook("classeur.xlsx")       # read once: constants, formula runs, names
    parsed.run_at(sheet_index, row, col)           # the formula run of a cell, or None
    ev = evaluate_parsed(parsed)                   # then evaluate, in place, once

``evaluate_workbook`` takes a path, the file's bytes or a binary file object,
and raises :class:`UnreadableWorkbook` (a ``ValueError``, French message
naming the file) when the file is not a readable workbook.

Every number comes from the formula text in the file, never from the Python
model. Formulas that repeat down a column (identical in R1C1 terms: the family
rows) are parsed once and evaluated as one numpy operation per column run; an
edited cell breaks its run and is evaluated on its own. The other cells are
evaluated one by one, all in dependency order.

Spreadsheet semantics where money depends on them: ROUND / ROUNDUP /
ROUNDDOWN at 15 significant digits then half away from zero (``money.py``);
comparisons of numbers at 15 significant digits (0.1+0.2=0.3 is TRUE), of
text ignoring case; across types number < text < logical; a blank is 0 in
arithmetic and "" in comparisons, and a formula showing a blank cell shows 0;
errors propagate (the leftmost operand's first); IF and IFERROR evaluate a
branch only on the rows that take it; approximate MATCH skips blank cells
and cells of another type (so trailing blank tranche lines never match);
lookups compare exactly (as Excel's do); COUNTIF(S)/SUMIF(S) criteria as in
Excel (">0", "<>", "", "=", wildcards, numeric text counting as its number).

The native functions are listed in ``NATIVE_FUNCTIONS`` (the README's "Any
workbook" section names them); a formula calling any other goes to the
``formulas`` package (compiled once per R1C1 form, its ROUND/ROUNDUP/
ROUNDDOWN replaced by the spreadsheet's), and so do array formulas that
compute cell by cell. ``Evaluation.unverified`` lists, per cause, the cells
no native formula computed (the fallback's, and formulas nested beyond
``parser.MAX_NESTING``, which show #VALUE!). A final + or - within rounding
noise of zero is 0 (Excel's rule); an overflow is #NUM!.

Modules, one concern each: ``reader`` (xlsx -> constants and formula text,
streamed with expat), ``sheet_regex`` (the usual shape of sheet XML read
with regular expressions, rows that repeat the row above skipped; anything
else goes to expat), ``runs`` (column runs), ``tokenizer`` (formula text
-> tokens, openpyxl's rules), ``parser`` (tokens -> tree; text templates; the
forms kept across workbooks of one layout), ``nodes`` (the tree),
``graph`` (dependency order, cycles), ``vector`` (vectorised evaluation),
``functions/`` (the native library, one module per family; ``arrays`` for
SUMPRODUCT's array arguments, ``number_format`` for TEXT) and ``criteria``,
``values`` (typed value vectors and coercions), ``store`` (column store),
``refs`` (A1 references), ``fallback`` (the ``formulas`` package),
``evaluate`` (orchestration), ``cells`` (values by A1 name: ``calc``).
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbook_engine.evaluator.evaluate import (
        Evaluation,
        ParsedWorkbook,
        evaluate_parsed,
        evaluate_workbook,
        parse_workbook,
    )
    from workbook_engine.evaluator.functions import NATIVE_FUNCTIONS
    from workbook_engine.evaluator.reader import UnreadableWorkbook
    from workbook_engine.evaluator.values import ExcelError

__all__ = [
    "Evaluation",
    "ExcelError",
    "NATIVE_FUNCTIONS",
    "ParsedWorkbook",
    "UnreadableWorkbook",
    "evaluate_parsed",
    "evaluate_workbook",
    "parse_workbook",
]

# Imported on first use (PEP 562): a light module of this package (``refs``,
# ``locale_numbers``) must not load numpy and openpyxl with the whole evaluator.
_LAZY = {
    "Evaluation": "evaluate",
    "ParsedWorkbook": "evaluate",
    "evaluate_parsed": "evaluate",
    "evaluate_workbook": "evaluate",
    "parse_workbook": "evaluate",
    "NATIVE_FUNCTIONS": "functions",
    "UnreadableWorkbook": "reader",
    "ExcelError": "values",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
