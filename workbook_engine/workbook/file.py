"""A workbook file read once: what its cells hold, and what its formulas compute.

``open_workbook_file(path)`` passes the file through the safety gate
(``safety``: bounded, decrypted in memory when a password is given, nothing
run or followed), then parses it once with the evaluator's streaming reader.
The reader, the checker and ``collect`` all work from that one parse:

    wf = open_workbook_file("classeur.xlsx")
    wf(Ref("Familles", 3, 0))       # what the cell holds: "F001", 21000.0, "=ROUND(...)", None...
    wf.is_formula(ref)              # a formula cell (text that merely starts with "=" is not)
    wf.formula_runs("Familles", 21) # that column's formulas, as runs of one R1C1 formula
    wf.last_row("Familles", [0, 1]) # the last row where those columns hold something
    wf.evaluation()                 # the formulas evaluated (once, in place): ev(ref) -> value

What a cell holds reads like openpyxl's ``data_only=False`` view: the formula
text with its "=", else the constant (float, str, bool, an error code,
``datetime`` for a number shown as a date), ``None`` for a blank cell.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from workbook_engine.evaluator import Evaluation, ParsedWorkbook, UnreadableWorkbook, evaluate_parsed, parse_workbook
from workbook_engine.evaluator.openpyxl_parts import openpyxl_part
from workbook_engine.evaluator.runs import Run
from workbook_engine.evaluator.values import BLANK
from workbook_engine.model.problems import InputError, Problem
from workbook_engine.safety.gate import inspect_workbook
from workbook_engine.safety.safe_workbook import SafeWorkbook
from workbook_engine.workbook.layout import Ref

if TYPE_CHECKING:
    from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel
else:  # without openpyxl's package __init__ (start-up: see openpyxl_parts)
    _part = openpyxl_part("utils.datetime")
    MAC_EPOCH, WINDOWS_EPOCH, from_excel = _part.MAC_EPOCH, _part.WINDOWS_EPOCH, _part.from_excel


class WorkbookFile:
    """A gated workbook, parsed once (see the module docstring)."""

    def __init__(self, safe: SafeWorkbook, parsed: ParsedWorkbook):
        self.safe = safe
        self.path = safe.path
        self.parsed = parsed
        self.sheet_names = [s.name for s in parsed.book.sheets]
        # Workbook-level names only (a sheet's local names are that sheet's business).
        self.defined_names = {k: v for k, v in parsed.meta.defined_names.items() if "!" not in k}
        self._index = {s.name: s.index for s in parsed.book.sheets}

    def __call__(self, ref: Ref) -> object:
        index = self._index.get(ref.sheet)
        if index is None or ref.row < 0 or ref.col < 0:  # a sheet or cell the bursar deleted
            return None
        run = self.parsed.run_at(index, ref.row, ref.col)
        if run is not None:
            return run.text(ref.row)
        sheet = self.parsed.book[index]
        if (ref.row, ref.col) in sheet.dates:
            epoch = MAC_EPOCH if self.parsed.meta.date1904 else WINDOWS_EPOCH
            return from_excel(sheet.value(ref.row, ref.col), epoch)
        return sheet.value(ref.row, ref.col)

    def column_values(self, sheet: str, col: int, r0: int, r1: int) -> list[object]:
        """``[self(Ref(sheet, r, col)) for r in r0..r1]``: one slice of the
        column when those rows hold neither formulas nor dates (a column of
        family inputs), else cell by cell."""
        index = self._index.get(sheet)
        rows = range(r0, r1 + 1)
        if index is None or col < 0 or r0 < 0:
            return [self(Ref(sheet, r, col)) for r in rows]
        book_sheet = self.parsed.book[index]
        runs = self.parsed.column_runs.get((index, col), ())
        if any(run.r0 <= r1 and run.r1 >= r0 for run in runs) or any(c == col for _r, c in book_sheet.dates):
            return [self(Ref(sheet, r, col)) for r in rows]
        return book_sheet.values(col, r0, r1)

    def formula_rows(self, sheet: str, cols: list[int], r0: int, r1: int) -> set[int]:
        """The rows ``r0``..``r1`` where one of ``cols`` holds a formula."""
        index = self._index.get(sheet)
        out: set[int] = set()
        for col in cols:
            for run in self.parsed.column_runs.get((index, col), ()) if index is not None else ():
                out.update(range(max(run.r0, r0), min(run.r1, r1) + 1))
        return out

    def is_formula(self, ref: Ref) -> bool:
        index = self._index.get(ref.sheet)
        return (
            index is not None
            and ref.row >= 0
            and ref.col >= 0
            and self.parsed.run_at(index, ref.row, ref.col) is not None
        )

    def last_row(self, sheet: str, cols: list[int]) -> int:
        """The last row (0-based) where one of ``cols`` holds something; -1
        when none does (or the sheet is missing)."""
        index = self._index.get(sheet)
        if index is None:
            return -1
        book_sheet, last = self.parsed.book[index], -1
        for col in (c for c in cols if c >= 0):
            column = book_sheet.columns.get(col)
            if column is not None:
                filled = np.flatnonzero(column.t != BLANK)
                if len(filled):
                    last = max(last, int(filled[-1]))
            runs = self.parsed.column_runs.get((index, col))
            if runs:
                last = max(last, runs[-1].r1)
        return last

    def rows_held(self, sheet: str) -> int:
        """How many rows the sheet really holds (its last row in use + 1; 0
        for a missing sheet): what caps the sizes a defined name claims."""
        index = self._index.get(sheet)
        if index is None:
            return 0
        runs = (r[-1].r1 + 1 for (i, _), r in self.parsed.column_runs.items() if i == index and r)
        return max(self.parsed.book[index].nrows, *runs, 0)

    def formula_runs(self, sheet: str, col: int) -> list[Run]:
        """The formulas of one column, top to bottom, as runs of rows holding
        the same formula in relative (R1C1) terms."""
        index = self._index.get(sheet)
        return [] if index is None else self.parsed.column_runs.get((index, col), [])

    def evaluation(self) -> Evaluation:
        """The workbook's formulas evaluated from their own text (once)."""
        return evaluate_parsed(self.parsed)

    def computed(self, ref: Ref) -> object:
        """The value a cell shows once the formulas are computed (blank for a
        sheet or cell the bursar deleted)."""
        if ref.sheet not in self._index or ref.row < 0 or ref.col < 0:
            return None
        return self.evaluation()(ref)

    def formula_at(self, sheet: str, row: int, col: int) -> str | None:
        """A cell's formula text ("=..."), None when it holds no formula."""
        ref = Ref(sheet, row, col)
        text = self(ref) if self.is_formula(ref) else None
        return text if isinstance(text, str) else None  # a formula cell holds its text

    def value_at(self, sheet: str, row: int, col: int) -> object:
        return self(Ref(sheet, row, col))


def open_workbook_file(path: str | Path, password: str | None = None) -> WorkbookFile:
    """Gate and parse a workbook; InputError (one French line naming the file)
    when it is no usable workbook. ``password`` defaults to the
    ``--password`` context (``safety.workbook_password``)."""
    safe = inspect_workbook(path, password, keep_parts=True)
    try:
        with safe.open() as fh:
            parsed = parse_workbook(fh, safe.contents)  # the parts the gate inflated, not inflated again
    except UnreadableWorkbook as exc:
        raise unreadable(safe.path, exc) from None
    return WorkbookFile(replace(safe, contents=None), parsed)  # parsed: the bytes are no longer needed


def unreadable(path: Path, exc: UnreadableWorkbook) -> InputError:
    """The evaluator's reason, once naming the file (the problem's source)."""
    reason = str(exc).removeprefix(f"{path} : ")
    return InputError([Problem("", "", None, f"classeur endommagé ou non conforme : {reason}", source=str(path))])
