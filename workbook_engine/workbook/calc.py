"""Evaluate any workbook headlessly, through the safety gate.

    from workbook_engine import evaluate_workbook
    calc = evaluate_workbook("classeur.xlsx")   # .xlsx or .ods, any workbook
    calc["Grille 1!B20"]                        # 182355.0, "texte", True, None, ExcelError("#DIV/0!")
    calc.cells("Familles!A4:C6")                # [(name, value), ...]
    calc.unverified                             # {cause: [cells]} computed by the fallback, or not at all

Bad input (not a workbook, damaged, too large, encrypted without the
password) raises ``InputError`` with the gate's one-line French message.
``locale`` ("fr", the default, or "en") decides how text is read as a
number and numbers are written as text, as ``--locale`` does.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from workbook_engine.evaluator.cells import Calculation
from workbook_engine.evaluator.locale_numbers import number_locale
from workbook_engine.workbook.file import open_workbook_file


def evaluate_workbook(path: str | Path, password: str | None = None, locale: str | None = None) -> Calculation:
    """Gate, parse and evaluate every formula of the workbook at ``path``."""
    with number_locale(locale) if locale else contextlib.nullcontext():
        wf = open_workbook_file(path, password)
        return Calculation(wf.evaluation())


__all__ = ["Calculation", "evaluate_workbook"]
