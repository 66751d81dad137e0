"""The values of any workbook's cells by their A1 names, after evaluation.

    calc = Calculation(evaluation)
    calc["Grille 1!B20"]          # the same as calc["'Grille 1'!B20"]
    calc.cells("Familles!A4:C6")  # [("Familles!A4", value), ...] row by row
    list(calc)                    # the names of every formula cell, sheet by sheet
    calc.unverified               # {cause: [cells]}: the fallback's cells, and those nested too deep

A value is a float, a str, a bool, None for an empty cell, or an
:class:`~.values.ExcelError` (a ``str`` subclass: ``"#DIV/0!"``). Names
follow Excel: the sheet quoted when it must be (``'Grille 1'!B20``), the
cell in A1 notation; a name without a sheet is on the first sheet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from workbook_engine.evaluator.evaluate import Evaluation
from workbook_engine.evaluator.refs import Area, Ref, address, col_letters, parse_area, quote_sheet
from workbook_engine.evaluator.values import Value


class CellNameError(KeyError):
    """A name that is not a cell or a range of this workbook (French message)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# A range asked for is bounded by what its sheet uses (A:A is a million rows
# of nothing), and by this many cells at most.
MAX_CELLS = 1_000_000


class Calculation(Mapping[str, Value]):
    """Cell values by name (see the module docstring); a ``Mapping`` whose
    keys are the formula cells."""

    def __init__(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        self.unverified = evaluation.unverified
        self._formula_cells: list[str] | None = None

    @property
    def sheet_names(self) -> list[str]:
        return self.evaluation.sheet_names

    def area(self, name: str) -> tuple[str, Area]:
        """The sheet and rectangle a name stands for; CellNameError otherwise."""
        area = parse_area(name.strip())
        if area is None:
            raise CellNameError(f"« {name} » n'est pas une cellule ni une plage (ex. Feuil1!B3 ou 'Grille 1'!A1:C10)")
        sheet = area.sheet if area.sheet is not None else self.sheet_names[0]
        found = self.evaluation.book.find(sheet)
        if found is None:
            raise CellNameError(f"« {name} » : pas de feuille « {sheet} » dans le classeur")
        return found.name, area

    def __getitem__(self, name: str) -> Value:
        sheet, area = self.area(name)
        if (area.r0, area.c0) != (area.r1, area.c1):
            raise CellNameError(f"« {name} » est une plage : utilisez cells() pour ses valeurs")
        value: Value = self.evaluation(Ref(sheet, area.r0, area.c0))  # type: ignore[assignment]
        return value

    def cells(self, name: str) -> list[tuple[str, Value]]:
        """Every cell of a cell or range name, row by row, with its value;
        a range stops at its sheet's last used row and column."""
        sheet, area = self.area(name)
        book_sheet = self.evaluation.book.find(sheet)
        assert book_sheet is not None  # area() found it
        last_col = max(book_sheet.columns, default=0)
        r1 = min(area.r1, max(book_sheet.nrows - 1, area.r0))
        c1 = min(area.c1, max(last_col, area.c0))
        if (r1 - area.r0 + 1) * (c1 - area.c0 + 1) > MAX_CELLS:
            raise CellNameError(f"« {name} » : plus de {MAX_CELLS:,} cellules".replace(",", " "))
        return [
            (address(sheet, r, c), self.evaluation(Ref(sheet, r, c)))  # type: ignore[misc]
            for r in range(area.r0, r1 + 1)
            for c in range(area.c0, c1 + 1)
        ]

    def _positions(self) -> list[tuple[int, int, int]]:
        """(sheet index, row, col) of every formula cell, sheet by sheet, row by row."""
        cells = [(run.sheet, r, run.col) for run in self.evaluation.runs for r in range(run.r0, run.r1 + 1)]
        cells.sort()
        return cells

    @property
    def formula_cells(self) -> list[str]:
        """The names of every formula cell: sheet by sheet, row by row."""
        if self._formula_cells is None:
            sheets = [quote_sheet(s.name) for s in self.evaluation.book.sheets]
            self._formula_cells = [f"{sheets[s]}!{col_letters(c)}{r + 1}" for s, r, c in self._positions()]
        return self._formula_cells

    def formula_values(self) -> list[tuple[str, Value]]:
        """Every formula cell's name and value (what ``calc`` prints), read
        straight from the evaluated columns."""
        book = self.evaluation.book
        values = [book[s].value(r, c) for s, r, c in self._positions()]
        return list(zip(self.formula_cells, values))

    def __iter__(self) -> Iterator[str]:
        return iter(self.formula_cells)

    def __len__(self) -> int:
        return sum(run.size for run in self.evaluation.runs)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            sheet, area = self.area(name)
        except CellNameError:
            return False
        index = self.evaluation.book.find(sheet)
        return index is not None and any(
            run.sheet == index.index and run.col == area.c0 and run.r0 <= area.r0 <= run.r1
            for run in self.evaluation.runs
        )
