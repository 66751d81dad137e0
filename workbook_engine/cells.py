"""Cell values of a workbook file, read once into memory.

``SheetValues`` maps a layout ``Ref`` to what the file holds there: with
``data_only=True`` the values stored with the formulas (what Excel or
LibreOffice computed when it last saved, or what the engine wrote); with
``data_only=False`` the formulas as text (``"=SUM(...)"``) and the constants.
Files are read through the safety gate (``safety``): bounded, never running
or following anything.
"""

from __future__ import annotations

from pathlib import Path

from .layout import Ref
from .safety import SafeWorkbook, inspect_workbook, read_sheets


class SheetValues:
    """All values of a workbook's sheets (openpyxl, read-only mode)."""

    def __init__(self, sheets: dict[str, list[tuple]], path: Path | None = None, safe: SafeWorkbook | None = None):
        self.sheets = sheets
        self.path = path
        self.safe = safe  # the gated file, to load cached values from (decrypted, if it was encrypted)
        self._cached: SheetValues | None = None

    @classmethod
    def load(cls, path: str | Path, *, data_only: bool = True, password: str | None = None) -> "SheetValues":
        return cls.from_safe(inspect_workbook(path, password), data_only=data_only)

    @classmethod
    def from_safe(cls, safe: SafeWorkbook, *, data_only: bool) -> "SheetValues":
        return cls(read_sheets(safe, data_only=data_only), safe.path, safe)

    def __call__(self, ref: Ref) -> object:
        rows = self.sheets.get(ref.sheet)
        if rows is None or ref.row >= len(rows):
            return None
        row = rows[ref.row]
        return row[ref.col] if ref.col < len(row) else None

    def cached(self, ref: Ref) -> object:
        """The cached value of a cell that holds a formula (loaded on demand)."""
        if self._cached is None:
            if self.safe is not None:
                self._cached = SheetValues.from_safe(self.safe, data_only=True)
            else:
                self._cached = SheetValues.load(self.path, data_only=True) if self.path else SheetValues({})
        return self._cached(ref)


def cached_values(path: str | Path, password: str | None = None) -> SheetValues:
    return SheetValues.load(path, data_only=True, password=password)
