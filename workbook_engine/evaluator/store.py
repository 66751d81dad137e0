"""Cell values of a workbook, column by column (typed numpy arrays).

Each sheet keeps, per used column, three arrays over its rows: the type code,
the number (or logical as 0/1) and, when the column holds text or errors, an
object array. Formula results are written back into the same arrays, so a
column of 2,000 formulas is read by the next formula as one vector.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from workbook_engine.evaluator.values import BLANK, BOOL, ERR, NUM, STR, V, Value, uniform_types


class Column:
    __slots__ = ("t", "n", "o")

    def __init__(self, size: int):
        self.t = np.zeros(size, dtype=np.int8)
        self.n = np.zeros(size)
        self.o: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.t)

    def grow(self, size: int) -> None:
        if size <= len(self.t):
            return
        extra = size - len(self.t)
        self.t = np.concatenate([self.t, np.zeros(extra, dtype=np.int8)])
        self.n = np.concatenate([self.n, np.zeros(extra)])
        if self.o is not None:
            self.o = np.concatenate([self.o, np.empty(extra, dtype=object)])

    def objects(self) -> np.ndarray:
        if self.o is None:
            self.o = np.empty(len(self.t), dtype=object)
        return self.o


class Sheet:
    """One worksheet's values."""

    def __init__(self, name: str, index: int):
        self.name = name
        self.index = index
        self.columns: dict[int, Column] = {}
        self.nrows = 0  # rows in use (max row + 1 over columns)
        self.dates: set[tuple[int, int]] = set()  # (row, col) of numbers shown as dates

    def column(self, col: int, size: int = 0) -> Column:
        c = self.columns.get(col)
        if c is None:
            c = self.columns[col] = Column(size)
        elif size > len(c):
            c.grow(size)
        self.nrows = max(self.nrows, size)
        return c

    # -- reading -------------------------------------------------------------
    def gather(self, col: int, rows: np.ndarray, lo: int, hi: int, contiguous: bool) -> V:
        """Values of column ``col`` at ``rows`` (``lo``..``hi`` their bounds),
        marked as coming from a reference."""
        size = len(rows)
        c = self.columns.get(col)
        if c is None or lo >= len(c.t) or hi < 0:
            return V(uniform_types(BLANK, size), np.zeros(size), None, BLANK, True)
        if lo >= 0 and hi < len(c.t):
            if contiguous:
                sl = slice(lo, hi + 1)
                return V(c.t[sl], c.n[sl], None if c.o is None else c.o[sl], None, True)
            return V(c.t[rows], c.n[rows], None if c.o is None else c.o[rows], None, True)
        inside = (rows >= 0) & (rows < len(c.t))
        idx = rows[inside]
        t = np.zeros(size, dtype=np.int8)
        n = np.zeros(size)
        t[inside] = c.t[idx]
        n[inside] = c.n[idx]
        o = None
        if c.o is not None:
            o = np.empty(size, dtype=object)
            o[inside] = c.o[idx]
        return V(t, n, o, None, True)

    def block(self, r0: int, c0: int, r1: int, c1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
        """The stored part of a rectangle, row-major flattened: (types,
        numbers, objects or None, height stored). Rows past the last used row
        are not materialised: they are blank."""
        top = min(r1, self.nrows - 1)
        h = max(0, top - r0 + 1)
        w = c1 - c0 + 1
        if w == 1:
            c = self.columns.get(c0)
            if c is not None and len(c.t) > top:
                sl = slice(r0, r0 + h)
                return c.t[sl], c.n[sl], None if c.o is None else c.o[sl], h
        t = np.zeros((h, w), dtype=np.int8)
        n = np.zeros((h, w))
        o = None
        if h:
            for j in range(w):
                c = self.columns.get(c0 + j)
                if c is None or len(c.t) <= r0:
                    continue
                stop = min(r0 + h, len(c.t))
                t[: stop - r0, j] = c.t[r0:stop]
                n[: stop - r0, j] = c.n[r0:stop]
                if c.o is not None:
                    if o is None:
                        o = np.empty((h, w), dtype=object)
                    o[: stop - r0, j] = c.o[r0:stop]
        return t.ravel(), n.ravel(), None if o is None else o.ravel(), h

    def value(self, row: int, col: int) -> Value:
        c = self.columns.get(col)
        if c is None or row >= len(c.t) or row < 0:
            return None
        t = int(c.t[row])
        if t == NUM:
            return float(c.n[row])
        if t == BLANK:
            return None
        if t == BOOL:
            return bool(c.n[row])
        value: Value = cast(np.ndarray, c.o)[row]  # text or error: ``o`` is set
        return value

    def values(self, col: int, r0: int, r1: int) -> list[object]:
        """``[self.value(r, col) for r in range(r0, r1 + 1)]`` (rows ``r0 >= 0``),
        read as one slice of the column's arrays."""
        size = r1 - r0 + 1
        c = self.columns.get(col)
        if c is None or size <= 0 or r0 >= len(c.t):
            return [None] * max(size, 0)
        t = c.t[r0 : r1 + 1]
        numbers = c.n[r0 : r1 + 1]
        out: list[object] = numbers.tolist()  # numbers: Python floats, as ``value`` gives
        if not (t == NUM).all():
            held = np.array(out, dtype=object)
            if c.o is not None:
                objects = (t == STR) | (t == ERR)
                held[objects] = c.o[r0 : r1 + 1][objects]
            held[t == BLANK] = None
            logical = np.flatnonzero(t == BOOL)
            held[logical] = [bool(x) for x in numbers[logical].tolist()]
            out = held.tolist()
        return out + [None] * (size - len(out))  # rows below the column's end are blank

    # -- writing ------------------------------------------------------------
    def write(self, col: int, r0: int, rows: np.ndarray | None, v: V) -> None:
        """Store formula results: rows ``rows`` (or ``r0``.. when None). A
        blank result (a reference to an empty cell) shows 0."""
        size = len(v.t) if rows is None else len(rows)
        top = (r0 + size) if rows is None else int(rows.max()) + 1
        c = self.column(col, top)
        v = v.broadcast(size) if len(v.t) == 1 and size != 1 else v
        t, n = v.t, v.n
        if v.uni != NUM and (t == BLANK).any():
            t = np.where(t == BLANK, np.int8(NUM), t)
        where = slice(r0, r0 + size) if rows is None else rows
        c.t[where] = t
        c.n[where] = n
        if v.o is not None:
            c.objects()[where] = v.o
        elif c.o is not None:
            c.o[where] = None

    def set_constants(self, col: int, rows: np.ndarray, t: int, n: np.ndarray | None, o: np.ndarray | None) -> None:
        if len(rows) == 0:
            return
        c = self.column(col, int(rows.max()) + 1)
        c.t[rows] = t
        if n is not None:
            c.n[rows] = n
        if o is not None:
            c.objects()[rows] = o


class Book:
    """The sheets of a workbook, in order; names are found case-insensitively
    as formulas do."""

    def __init__(self, names: list[str]):
        self.sheets = [Sheet(name, i) for i, name in enumerate(names)]
        self._by_name = {name.lower(): s for name, s in zip(names, self.sheets)}

    def find(self, name: str) -> Sheet | None:
        return self._by_name.get(name.lower())

    def __getitem__(self, index: int) -> Sheet:
        return self.sheets[index]
