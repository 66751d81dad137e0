"""Cell values of a workbook file, as a spreadsheet last computed them.

``cached_values(path)`` reads the values stored with the formulas (what
Excel or LibreOffice computed when it last saved, or what the engine wrote):
a mapping usable as the ``value`` callback of ``workbook_results``.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from .layout import Ref


class SheetValues:
    """All values of a workbook's sheets, read once (openpyxl, read-only)."""

    def __init__(self, path: str | Path, *, data_only: bool = True):
        wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
        try:
            self.sheets: dict[str, list[tuple]] = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)]
                                                   for ws in wb.worksheets}
        finally:
            wb.close()

    def __call__(self, ref: Ref) -> object:
        rows = self.sheets.get(ref.sheet)
        if rows is None or ref.row >= len(rows):
            return None
        row = rows[ref.row]
        return row[ref.col] if ref.col < len(row) else None


def cached_values(path: str | Path) -> SheetValues:
    return SheetValues(path, data_only=True)
