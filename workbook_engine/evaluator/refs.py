"""A1 references: column letters, cell and range addresses, sheet prefixes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from workbook_engine.evaluator.openpyxl_parts import xlsxwriter_utility

# XlsxWriter's reference helpers, without loading the whole writer (start-up: see openpyxl_parts).
quote_sheetname = xlsxwriter_utility().quote_sheetname
xl_rowcol_to_cell = xlsxwriter_utility().xl_rowcol_to_cell

MAX_ROW = 1_048_576
MAX_COL = 16_384


@cache
def col_index(letters: str) -> int:
    """'A' -> 0, 'AB' -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


@cache
def col_letters(index: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_name(row: int, col: int) -> str:
    return f"{col_letters(col)}{row + 1}"


def quote_sheet(sheet: str) -> str:
    """A sheet name as a formula writes it: quoted unless plain letters/digits."""
    if re.fullmatch(r"[A-Za-z_\u00C0-\uFFFF][\w.\u00C0-\uFFFF]*", sheet) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*|TRUE|FALSE", sheet, re.I
    ):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def address(sheet: str, row: int, col: int) -> str:
    """'Grille 1'!B3, Familles!A4."""
    return f"{quote_sheet(sheet)}!{cell_name(row, col)}"


@dataclass(frozen=True)
class Ref:
    """One cell, 0-based like xlsxwriter."""

    sheet: str
    row: int
    col: int

    @property
    def a1(self) -> str:
        if self.row < 0 or self.col < 0:  # a cell an edit deleted (see workbook.placement)
            return "#REF!"
        a1: str = xl_rowcol_to_cell(self.row, self.col)  # xlsxwriter ships no type information
        return a1

    @property
    def absolute(self) -> str:
        """Sheet-qualified absolute reference, e.g. 'Grille 1'!$B$3."""
        return f"{quote_sheetname(self.sheet)}!{xl_rowcol_to_cell(self.row, self.col, True, True)}"


@dataclass(frozen=True)
class Area:
    """A rectangle as written in a formula: 0-based rows/cols, with the
    ``$`` flags of each end (False: relative). ``sheet`` None: the formula's
    own sheet."""

    sheet: str | None
    r0: int
    c0: int
    r1: int
    c1: int
    r0_abs: bool = True
    c0_abs: bool = True
    r1_abs: bool = True
    c1_abs: bool = True

    @property
    def is_cell(self) -> bool:
        """One cell wherever the formula is copied (A1:A1 yes, $A$1:A1 no)."""
        return self.r0 == self.r1 and self.c0 == self.c1 and self.r0_abs == self.r1_abs and self.c0_abs == self.c1_abs


_CELL = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)(\d{1,7})$")
_COLS = re.compile(r"(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3})$")
_ROWS = re.compile(r"(\$?)(\d{1,7}):(\$?)(\d{1,7})$")


def split_sheet(text: str) -> tuple[str | None, str]:
    """ "'Grille 1'!$B$8" -> ("Grille 1", "$B$8"); "A1" -> (None, "A1")."""
    if text.startswith("'"):
        i = 1
        out = []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if text[i + 1 : i + 2] == "'":
                    out.append("'")
                    i += 2
                    continue
                break
            out.append(ch)
            i += 1
        if text[i + 1 : i + 2] != "!":
            raise ValueError(f"bad reference {text!r}")
        return "".join(out), text[i + 2 :]
    if "!" in text:
        sheet, _, rest = text.rpartition("!")
        return sheet, rest
    return None, text


def _cell(part: str) -> tuple[int, int, bool, bool] | None:
    m = _CELL.match(part)
    if not m:
        return None
    ca, letters, ra, digits = m.groups()
    row, col = int(digits) - 1, col_index(letters)
    if not (0 <= row < MAX_ROW and 0 <= col < MAX_COL):
        return None
    return row, col, bool(ra), bool(ca)


def parse_area(text: str) -> Area | None:
    """Parse a reference operand ("A1", "$A$1:$B$9", "A:A", "3:3", with an
    optional sheet prefix). None when the text is not a reference (a defined
    name, a 3-D reference...)."""
    try:
        sheet, rest = split_sheet(text)
    except ValueError:
        return None
    if sheet is not None and ":" in sheet:
        return None  # 3-D reference Sheet1:Sheet3!A1
    if ":" in rest:
        left, _, right = rest.partition(":")
        if "!" in right:  # Sheet!A1:Sheet!B2
            s2, right = split_sheet(right)
            if s2 != sheet:
                return None
        a, b = _cell(left), _cell(right)
        if a and b:
            (r0, c0, r0a, c0a), (r1, c1, r1a, c1a) = a, b
            if r0 > r1:
                r0, r1, r0a, r1a = r1, r0, r1a, r0a
            if c0 > c1:
                c0, c1, c0a, c1a = c1, c0, c1a, c0a
            return Area(sheet, r0, c0, r1, c1, r0a, c0a, r1a, c1a)
        m = _COLS.match(rest)
        if m:
            c0d, l0, c1d, l1 = m.groups()
            c0, c1 = sorted((col_index(l0), col_index(l1)))
            if c1 >= MAX_COL:
                return None
            return Area(sheet, 0, c0, MAX_ROW - 1, c1, True, bool(c0d), True, bool(c1d))
        m = _ROWS.match(rest)
        if m:
            r0d, d0, r1d, d1 = m.groups()
            r0, r1 = sorted((int(d0) - 1, int(d1) - 1))
            if r0 < 0 or r1 >= MAX_ROW:
                return None
            return Area(sheet, r0, 0, r1, MAX_COL - 1, bool(r0d), True, bool(r1d), True)
        return None
    a = _cell(rest)
    if a is None:
        return None
    r, c, ra, ca = a
    return Area(sheet, r, c, r, c, ra, ca, ra, ca)


def parse_cell_address(text: str) -> tuple[int, int]:
    """ "B3" -> (2, 1) (0-based row, col); ValueError otherwise."""
    a = _cell(text)
    if a is None:
        raise ValueError(f"not a cell address: {text!r}")
    return a[0], a[1]
