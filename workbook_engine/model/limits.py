"""How large an input may be: the caps every reader enforces.

The safety gate (``safety.gate``) explains each cap; the OpenDocument reader
(``evaluator.ods_reader``) enforces the same ones while it expands repeated
rows and cells. They live here, below both, so that neither imports the other.
"""

from __future__ import annotations

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
MAX_FILE_BYTES = 256 * MIB
MAX_PARTS = 1_000
MAX_SHEETS = 250
MAX_SHEET_PART_BYTES = 768 * MIB
MAX_PART_BYTES = 64 * MIB
MAX_TOTAL_BYTES = 1 * GIB
MAX_ROWS = 100_000
MAX_ROW_CELLS = 16_384
MAX_CELLS = 6_000_000
MAX_SHARED_STRINGS = 1_000_000
MAX_TEXT_RUN = 1 * MIB
MAX_COLUMNS = 256
MAX_PROLOG = 64 * KIB
MAX_DIRECTORY_BYTES = 16 * MIB  # central directory: 1,000 entries need ~100 kB
CHUNK = 1 * MIB

# What the writer makes, and so what every reader of a workbook, a scenario
# JSON, a families CSV or the command line accepts (a file ``generate``
# writes is one ``read`` takes back). README, "Limits".
MAX_GRIDS = 100
MAX_SLOTS = 1_000  # tranche lines per grid (and tranches per grid in a scenario)
MAX_CAPACITY = 100_000  # family rows of a workbook (and families in a scenario)
MAX_CELL_TEXT = 32_767  # characters of a spreadsheet cell (Excel, LibreOffice): an id or a name longer is cut
MAX_NUMBER = 1e12  # no income, amount or count is this large: a typing accident, refused
MAX_INPUT_BYTES = 64 * MIB  # a families CSV, a schools CSV or a scenario JSON
MAX_JSON_DEPTH = 32  # nesting of a scenario JSON (it needs 4)
MAX_NAME_LENGTH = 255  # a defined name (Excel's cap)
MAX_NUMBER_FORMAT = 255  # characters of a number format code (Excel's cap)


def workbook_size_problem(n_grids: int, slots: int, capacity: int) -> str | None:
    """Why a workbook of that size is not written (French), or None: the
    writer's limits, so that every workbook it writes reads back."""
    for value, low, high, what in (
        (n_grids, 1, MAX_GRIDS, "grilles (--grids)"),
        (slots, 1, MAX_SLOTS, "lignes de tranches par grille (--slots)"),
        (capacity, 1, MAX_CAPACITY, "lignes de familles (--capacity)"),
    ):
        if not low <= value <= high:
            return f"{count_text(value)} {what} : de {low} à {count_text(high)} (limite des classeurs)"
    return None


def size_text(n: float) -> str:
    """A byte count the French way: 768 Mo, 3,5 Go."""
    for unit, scale in (("Go", GIB), ("Mo", MIB), ("ko", KIB)):
        if n >= scale:
            value = n / scale
            return (f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}").replace(
                ".", ","
            ) + f" {unit}"
    return f"{int(n)} octet{'s' if n > 1 else ''}"


def count_text(n: int) -> str:
    return f"{n:,}".replace(",", " ")
