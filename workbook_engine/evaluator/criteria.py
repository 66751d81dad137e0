"""COUNTIF/COUNTIFS/SUMIF/SUMIFS criteria: 0, ">0", "<0", "<>", "non", "A*"...

A criterion becomes a test over a range's typed arrays (a boolean mask),
plus whether it matches blank cells (for the rows of a range past the last
used row, which are not stored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from workbook_engine.evaluator.values import (
    BLANK,
    BOOL,
    ERR,
    ERRORS,
    NUM,
    STR,
    Value,
    compare_numbers,
    eq15,
    text_to_number,
)

_OPS = ("<=", ">=", "<>", "<", ">", "=")


@dataclass(frozen=True)
class Criterion:
    op: str  # one of _OPS; "" for a bare value
    kind: str  # "number", "text", "bool", "error", "empty"
    value: float | str | bool  # float for "number", bool for "bool", str otherwise

    @property
    def key(self) -> tuple[str, str, float | str | bool]:
        return (self.op, self.kind, self.value)

    @property
    def matches_blank(self) -> bool:
        if self.kind == "empty":
            return self.op in ("", "=")
        return self.op == "<>"

    def mask(self, t: np.ndarray, n: np.ndarray, o: np.ndarray | None, low: np.ndarray | None = None) -> np.ndarray:
        """Cells of a range (flattened types, numbers, objects) that match;
        ``low``: the range's text in lower case (see :func:`lowered`), when
        the caller keeps it across criteria."""
        op, kind, value = self.op or "=", self.kind, self.value
        if kind == "empty":
            if self.op == "":  # "" matches empty cells and empty text
                m: np.ndarray = t == BLANK
                if o is not None:
                    s = t == STR
                    if s.any():
                        m = m | (s & (o == ""))
                return m
            if op == "=":
                blank: np.ndarray = t == BLANK
                return blank
            if op == "<>":
                filled: np.ndarray = t != BLANK
                return filled
            return np.zeros(len(t), dtype=bool)
        if kind == "number":
            number = cast(float, value)  # kind "number": a float
            isnum: np.ndarray = t == NUM
            if op in ("=", "<>"):
                eq: np.ndarray = isnum & eq15(n, number)
                s = t == STR
                if s.any():  # text that reads as the number also counts
                    idx = np.flatnonzero(s)
                    texts = cast(np.ndarray, o)[idx].tolist()
                    # once per distinct text: a family column holds mostly "" (rows without a family)
                    read = {x: text_to_number(x) == value for x in set(texts)}
                    eq[idx] = [read[x] for x in texts]
                return eq if op == "=" else ~eq
            out: np.ndarray = isnum & compare_numbers(op, n, np.float64(number))
            return out
        if kind == "bool":
            isbool: np.ndarray = t == BOOL
            eq = isbool & ((n != 0) == value)
            out = eq if op == "=" else (~eq if op == "<>" else isbool & compare_numbers(op, n, float(value)))
            return out
        if kind == "error":
            eq = t == ERR
            if o is not None and eq.any():
                idx = np.flatnonzero(eq)
                eq[idx] = [x == value for x in o[idx].tolist()]
            return eq if op != "<>" else ~eq
        # text
        s = t == STR
        out = np.zeros(len(t), dtype=bool)
        if s.any():
            if low is None:
                low = lowered(t, o)
            idx = np.flatnonzero(s)
            if op in ("=", "<>"):
                pattern = _wildcard(cast(str, value))  # kind "text": a str
                if pattern is None:
                    out = s & (low == value)
                else:
                    out[idx] = [pattern.fullmatch(x) for x in low[idx].tolist()]
                return out if op == "=" else ~out
            texts = low[idx].tolist()
            cmp: Callable[[str], bool] = {
                "<": lambda x: x < value,
                ">": lambda x: x > value,
                "<=": lambda x: x <= value,
                ">=": lambda x: x >= value,
            }[op]
            out[idx] = [cmp(x) for x in texts]
            return out
        return out if op != "<>" else ~out


def lowered(t: np.ndarray, o: np.ndarray | None) -> np.ndarray:
    """The text cells of a range in lower case (None elsewhere)."""
    low = np.empty(len(t), dtype=object)
    if o is not None:
        idx = np.flatnonzero(t == STR)
        low[idx] = [x.lower() for x in o[idx].tolist()]
    return low


class Wildcard:
    """An Excel wildcard pattern (* any text, ? one character, ~ escapes the
    next one), matched without backtracking: the pattern is cut at its
    stars into pieces of fixed length (each a small regular expression with
    no quantifier), the first anchored at the start, the last at the end,
    the others found leftmost in between. A pattern typed in a cell such as
    "*a*a*a*b" against 32,767 letters stays linear, where one regular
    expression ".*a.*a.*a.*b" would backtrack for hours."""

    __slots__ = ("pieces", "widths")

    def __init__(self, text: str) -> None:
        pieces: list[list[str]] = [[]]
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "~" and i + 1 < len(text):
                pieces[-1].append(re.escape(text[i + 1]))
                i += 2
                continue
            if ch == "*":
                pieces.append([])
            else:
                pieces[-1].append("." if ch == "?" else re.escape(ch))
            i += 1
        self.pieces = [re.compile("".join(p), re.S) for p in pieces]
        self.widths = [len(p) for p in pieces]

    def _rest(self, s: str, pos: int, end: int, anchored_end: bool) -> bool:
        """Pieces 1.. found in order in s[pos:end], the last one ending at
        ``end`` when ``anchored_end``."""
        middle = self.pieces[1:-1] if anchored_end else self.pieces[1:]
        for piece in middle:
            m = piece.search(s, pos, end)
            if m is None:
                return False
            pos = m.end()
        if anchored_end:
            start = end - self.widths[-1]
            return start >= pos and self.pieces[-1].fullmatch(s, start, end) is not None
        return True

    def fullmatch(self, s: str) -> bool:
        if len(self.pieces) == 1:
            return self.pieces[0].fullmatch(s) is not None
        if self.pieces[0].match(s) is None:
            return False
        return self._rest(s, self.widths[0], len(s), True)

    def search(self, s: str, start: int = 0) -> int | None:
        """The first position from ``start`` where the pattern matches the
        beginning of the rest of ``s`` (SEARCH), or None."""
        if start > len(s):
            return None
        first = self.pieces[0].search(s, start)
        if first is None:
            return None
        if len(self.pieces) == 1:
            return first.start()
        # the pieces after the first found from the first one's earliest end:
        # if they are not there, no later start can find them either
        return first.start() if self._rest(s, first.end(), len(s), False) else None


def _wildcard(text: str) -> Wildcard | None:
    """The wildcard pattern of a criterion or lookup text, None when it has
    no wildcard character."""
    if not any(ch in text for ch in "*?~"):
        return None
    return Wildcard(text)


def criterion(value: Value) -> Criterion:
    """The criterion a value stands for. A reference to an empty cell counts
    as 0 (as documented for COUNTIFS)."""
    if value is None:
        return Criterion("", "number", 0.0)
    if isinstance(value, bool):
        return Criterion("", "bool", value)
    if isinstance(value, float):
        return Criterion("", "number", value)
    if value in ERRORS:
        return Criterion("", "error", str(value))
    text = str(value)
    op = ""
    for candidate in _OPS:
        if text.startswith(candidate):
            op, text = candidate, text[len(candidate) :]
            break
    if text == "":
        return Criterion(op, "empty", "")
    x = text_to_number(text)
    if x is not None:
        return Criterion(op, "number", x)
    upper = text.upper()
    if upper in ("TRUE", "FALSE"):
        return Criterion(op, "bool", upper == "TRUE")
    if upper in ERRORS:
        return Criterion(op, "error", upper)
    return Criterion(op, "text", text.lower())
