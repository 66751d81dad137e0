"""Where a bursar's edits moved the layout's cells, and what our formulas
became after them.

Inserting, deleting or moving rows and columns, and renaming sheets, are
whole-row, whole-column and whole-sheet operations: a spreadsheet moves every
cell, every reference and every defined name with them. ``Moves`` records,
per sheet of the layout, where each layout row and column went (or that it
was deleted), learnt from the defined names (see ``placement``); with it,
``translate`` rewrites one of the layout's formulas the way the spreadsheet
rewrote it, so the structure check compares like with like and only the
edits themselves are reported.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from workbook_engine.evaluator.openpyxl_parts import xlsxwriter_utility
from workbook_engine.evaluator.refs import col_index

# XlsxWriter's reference helpers, without loading the whole writer (start-up: see openpyxl_parts).
quote_sheetname = xlsxwriter_utility().quote_sheetname
xl_col_to_name = xlsxwriter_utility().xl_col_to_name

DELETED = None  # an axis position that no longer exists


@dataclass
class AxisMap:
    """One sheet's rows (or columns): layout index -> the file's index.

    ``known`` holds what the defined names tell (None: deleted). Any other
    index moved like the nearest known one above it (before it), or below
    when none is above: rows between two anchors travel together."""

    known: dict[int, int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._sorted: tuple[list[int], list[int]] | None = None

    def set(self, index: int, target: int | None) -> None:
        self.known[index] = target
        self._sorted = None

    def shift_at(self, index: int) -> int:
        """How far an index that no name locates moved: like the nearest
        known index above it, less the deleted ones in between (below it,
        plus those, when none is above)."""
        if self._sorted is None:
            self._sorted = (
                sorted(k for k, v in self.known.items() if v is not None),
                sorted(k for k, v in self.known.items() if v is None),
            )
        anchors, deleted = self._sorted
        if not anchors:
            return -bisect.bisect_left(deleted, index)
        i = bisect.bisect_right(anchors, index) - 1
        if i >= 0:
            a = anchors[i]
            between = bisect.bisect_left(deleted, index) - bisect.bisect_right(deleted, a)
            return self._anchor(a) - a - between
        b = anchors[0]
        between = bisect.bisect_left(deleted, b) - bisect.bisect_right(deleted, index)
        return self._anchor(b) - b + between

    def _anchor(self, index: int) -> int:
        """Where a known index that survived is now."""
        target = self.known[index]
        assert target is not None, index  # anchors are the known indexes that survived
        return target

    def __call__(self, index: int) -> int | None:
        if index in self.known:
            return self.known[index]
        return index + self.shift_at(index)

    def span(self, first: int, last: int) -> tuple[int, int] | None:
        """What a range first..last became: its ends move in to the nearest
        surviving index, as a spreadsheet shrinks a range; None when nothing
        of it is left."""
        lo = first
        while lo <= last and self(lo) is None:
            lo += 1
        hi = last
        while hi >= lo and self(hi) is None:
            hi -= 1
        if lo > hi:
            return None
        start, end = self(lo), self(hi)
        assert start is not None and end is not None  # the loops stopped at surviving indexes
        return start, end


@dataclass
class Moves:
    """The layout's sheets as the file has them: name, rows, columns."""

    sheets: dict[str, str | None] = field(default_factory=dict)  # layout sheet -> file sheet (None: deleted)
    rows: dict[str, AxisMap] = field(default_factory=dict)
    cols: dict[str, AxisMap] = field(default_factory=dict)

    def sheet(self, sheet: str) -> str | None:
        return self.sheets.get(sheet, sheet)

    def is_identity(self) -> bool:
        """Nothing moved: every sheet, row and column where the layout put it."""
        return all(k == v for k, v in self.sheets.items()) and all(
            k == v for axis in (*self.rows.values(), *self.cols.values()) for k, v in axis.known.items()
        )

    def row(self, sheet: str, row: int) -> int | None:
        m = self.rows.get(sheet)
        return row if m is None else m(row)

    def col(self, sheet: str, col: int) -> int | None:
        m = self.cols.get(sheet)
        return col if m is None else m(col)

    def row_span(self, sheet: str, first: int, last: int) -> tuple[int, int] | None:
        m = self.rows.get(sheet)
        return (first, last) if m is None else m.span(first, last)

    def col_span(self, sheet: str, first: int, last: int) -> tuple[int, int] | None:
        m = self.cols.get(sheet)
        return (first, last) if m is None else m.span(first, last)


# A reference in one of the layout's own formulas (trusted text, written by
# ``layout``): optional sheet, a cell or a range, rows possibly the family
# row placeholder {r}. Names and function calls never match: a reference is
# not followed by "(" nor by a word character.
_REF = re.compile(
    r"(?<![\w.$'])"
    r"(?:(?P<sheet>'(?:[^']|'')+'|[^\W\d][\w.]*)!)?"
    r"(?P<c0>\$?[A-Z]{1,3})(?P<r0>\$?(?:\d{1,7}|\{r\}))"
    r"(?::(?P<c1>\$?[A-Z]{1,3})(?P<r1>\$?(?:\d{1,7}|\{r\})))?"
    r"(?![\w(])"
)
_STRING = re.compile(r'"(?:[^"]|"")*"')
REF_ERROR = "#REF!"


def translate(formula: str, own_sheet: str, moves: Moves) -> str:
    """The formula as the spreadsheet rewrote it after the moves: references
    follow their cells, ranges shrink or grow with their rows and columns,
    a reference whose cells are all gone becomes #REF!. Text literals are
    left alone; the family row placeholder {r} stays a placeholder (family
    rows move together)."""
    out: list[str] = []
    pos = 0
    for m in _STRING.finditer(formula):
        out.append(_translate_refs(formula[pos : m.start()], own_sheet, moves))
        out.append(m.group())
        pos = m.end()
    out.append(_translate_refs(formula[pos:], own_sheet, moves))
    return "".join(out)


def _translate_refs(text: str, own_sheet: str, moves: Moves) -> str:
    return _REF.sub(lambda m: _moved(m, own_sheet, moves), text)


def _axis(token: str) -> tuple[str, str]:
    """ "$B" -> ("$", "B"); "{r}" -> ("", "{r}")."""
    return ("$", token[1:]) if token.startswith("$") else ("", token)


def _moved(m: re.Match[str], own_sheet: str, moves: Moves) -> str:
    quoted = m.group("sheet")
    sheet = own_sheet if quoted is None else (quoted[1:-1].replace("''", "'") if quoted.startswith("'") else quoted)
    new_sheet = moves.sheet(sheet)
    if new_sheet is None:
        return REF_ERROR
    c0f, c0 = _axis(m.group("c0"))
    r0f, r0 = _axis(m.group("r0"))
    c1f, c1 = _axis(m.group("c1") or m.group("c0"))
    r1f, r1 = _axis(m.group("r1") or m.group("r0"))
    cols = moves.col_span(sheet, col_index(c0), col_index(c1))
    if cols is None:
        return REF_ERROR
    if r0 == "{r}":
        rows: tuple[object, object] | None = ("{r}", "{r}")
    else:
        span = moves.row_span(sheet, int(r0) - 1, int(r1) - 1)
        rows = None if span is None else (span[0] + 1, span[1] + 1)
    if rows is None:
        return REF_ERROR
    prefix = "" if quoted is None else quote_sheetname(new_sheet) + "!"
    first = f"{c0f}{xl_col_to_name(cols[0])}{r0f}{rows[0]}"
    if m.group("c1") is None:
        return prefix + first
    return f"{prefix}{first}:{c1f}{xl_col_to_name(cols[1])}{r1f}{rows[1]}"
