"""What a workbook will weigh, known from its layout before it is written,
so ``generate`` and ``merge`` refuse a file the safety gate would refuse
(``check`` would then reject the engine's own output).

The families sheet is nearly all of a workbook: one row per family slot
(``capacity``), each row its formulas' text plus about 41 bytes of XML per
cell (measured: 40 at 3 grids, 41 at 30; a cell's tag, style and cached
value). The estimate counts 48 per cell, so it errs on the large side.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from workbook_engine.model.limits import (
    MAX_CELLS,
    MAX_ROWS,
    MAX_SHEET_PART_BYTES,
    MAX_TOTAL_BYTES,
    MIB,
    count_text,
    size_text,
)
from workbook_engine.model.problems import UsageError
from workbook_engine.workbook.layout import Layout

CELL_XML_BYTES = 48  # per cell besides its formula (measured ~41)
OTHER_PARTS_BYTES = 16 * MIB  # every other part of a large workbook (~3 MB at 30 grids)
OTHER_CELLS = 50_000  # cells outside the families sheet (grid sheets, Synthèse...)


@dataclass(frozen=True)
class SheetEstimate:
    rows: int
    cells: int
    sheet_bytes: int  # the families sheet's XML

    @property
    def total_bytes(self) -> int:
        return self.sheet_bytes + OTHER_PARTS_BYTES


def estimate(layout: Layout) -> SheetEstimate:
    """The families sheet of ``layout`` as the writer will write it (the
    formulas of its last row: the longest row numbers)."""
    last = layout.last_row + 1
    formulas = sum(len(escape(c.formula(last))) for c in layout.formula_columns)
    per_row = formulas + CELL_XML_BYTES * len(layout.columns)
    rows = layout.last_row + 1
    return SheetEstimate(rows, rows * len(layout.columns) + OTHER_CELLS, layout.capacity * per_row)


def refuse_too_large(layout: Layout, output: str) -> None:
    """Raise UsageError (French, naming ``output``) when the workbook of
    ``layout`` would exceed a cap of the safety gate."""
    e = estimate(layout)
    what = f"{layout.n_grids} grilles × {count_text(layout.capacity)} lignes de familles"
    reason = None
    if e.rows > MAX_ROWS:
        reason = f"{count_text(e.rows)} lignes (au plus {count_text(MAX_ROWS)})"
    elif e.cells > MAX_CELLS:
        reason = f"environ {count_text(e.cells)} cellules (au plus {count_text(MAX_CELLS)})"
    elif e.sheet_bytes > MAX_SHEET_PART_BYTES:
        reason = (
            f"une feuille Familles d'environ {size_text(e.sheet_bytes)} une fois décompressée "
            f"(au plus {size_text(MAX_SHEET_PART_BYTES)})"
        )
    elif e.total_bytes > MAX_TOTAL_BYTES:
        reason = f"environ {size_text(e.total_bytes)} une fois décompressé (au plus {size_text(MAX_TOTAL_BYTES)})"
    if reason:
        raise UsageError(
            f"{output} : classeur non écrit, trop grand pour être relu ({what} : {reason}) ; "
            "répartir les grilles ou les familles en plusieurs classeurs"
        )
