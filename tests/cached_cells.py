"""The values a workbook file stores with its formulas.

``cached_values(path)(ref)`` is what Excel or LibreOffice computed when it
last saved the file (or what the engine wrote): tests and benchmarks compare
those with the model, e.g. after a LibreOffice recalculation. Reading a
workbook's inputs and formulas goes through ``workbook_file`` instead. Files
are read through the safety gate (``safety``): bounded, never running or
following anything.
"""

from __future__ import annotations

from pathlib import Path

from workbook_engine.safety.gate import inspect_workbook, read_cached_values
from workbook_engine.workbook.layout import Ref


class SheetValues:
    """All cached values of a workbook's sheets (openpyxl, read-only mode)."""

    def __init__(self, sheets: dict[str, list[tuple]]):
        self.sheets = sheets

    def __call__(self, ref: Ref) -> object:
        rows = self.sheets.get(ref.sheet)
        if rows is None or ref.row >= len(rows):
            return None
        row = rows[ref.row]
        return row[ref.col] if ref.col < len(row) else None


def cached_values(path: str | Path, password: str | None = None) -> SheetValues:
    return SheetValues(read_cached_values(inspect_workbook(path, password)))
