"""COUNTIF/COUNTIFS/SUMIF/SUMIFS criteria: 0, ">0", "<0", "<>", "non", "A*"...

A criterion becomes a test over a range's typed arrays (a boolean mask),
plus whether it matches blank cells (for the rows of a range past the last
used row, which are not stored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from workbook_engine.evaluator.values import BLANK, BOOL, ERR, ERRORS, NUM, STR, compare_numbers, eq15, text_to_number

_OPS = ("<=", ">=", "<>", "<", ">", "=")


@dataclass(frozen=True)
class Criterion:
    op: str  # one of _OPS; "" for a bare value
    kind: str  # "number", "text", "bool", "error", "empty"
    value: object

    @property
    def key(self) -> tuple:
        return (self.op, self.kind, self.value)

    @property
    def matches_blank(self) -> bool:
        if self.kind == "empty":
            return self.op in ("", "=")
        return self.op == "<>"

    def mask(self, t: np.ndarray, n: np.ndarray, o: np.ndarray | None, low: np.ndarray | None = None
             ) -> np.ndarray:
        """Cells of a range (flattened types, numbers, objects) that match;
        ``low``: the range's text in lower case (see :func:`lowered`), when
        the caller keeps it across criteria."""
        op, kind, value = self.op or "=", self.kind, self.value
        if kind == "empty":
            if self.op == "":  # "" matches empty cells and empty text
                m = t == BLANK
                if o is not None:
                    s = t == STR
                    if s.any():
                        m = m | (s & (o == ""))
                return m
            if op == "=":
                return t == BLANK
            if op == "<>":
                return t != BLANK
            return np.zeros(len(t), dtype=bool)
        if kind == "number":
            isnum = t == NUM
            if op in ("=", "<>"):
                eq = isnum & eq15(n, value)
                s = t == STR
                if s.any():  # text that reads as the number also counts
                    idx = np.flatnonzero(s)
                    eq[idx] = [text_to_number(x) == value for x in o[idx].tolist()]
                return eq if op == "=" else ~eq
            return isnum & compare_numbers(op, n, np.float64(value))
        if kind == "bool":
            eq = (t == BOOL) & ((n != 0) == value)
            return eq if op == "=" else (~eq if op == "<>" else (t == BOOL) & compare_numbers(op, n, float(value)))
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
                pattern = _wildcard(value)
                if pattern is None:
                    out = s & (low == value)
                else:
                    out[idx] = [pattern.fullmatch(x) is not None for x in low[idx].tolist()]
                return out if op == "=" else ~out
            texts = low[idx].tolist()
            cmp = {"<": lambda x: x < value, ">": lambda x: x > value,
                   "<=": lambda x: x <= value, ">=": lambda x: x >= value}[op]
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


def _wildcard(text: str) -> re.Pattern | None:
    """Excel wildcards: * any text, ? one character, ~ escapes."""
    if not any(ch in text for ch in "*?~"):
        return None
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "~" and i + 1 < len(text):
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S)


def criterion(value) -> Criterion:
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
            op, text = candidate, text[len(candidate):]
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
