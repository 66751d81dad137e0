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
