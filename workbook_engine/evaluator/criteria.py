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
                    eq[idx] = [text_to_number(x) == value for x in cast(np.ndarray, o)[idx].tolist()]
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
                    out[idx] = [pattern.fullmatch(x) is not None for x in low[idx].tolist()]
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


def _wildcard(text: str) -> re.Pattern[str] | None:
    """Excel wildcards: * any text, ? one character, ~ escapes. Each text
    between two stars is matched leftmost in an atomic group (as fnmatch
    does): "*a*a*a*a*b" on a cell of 2,000 "a" backtracked for minutes."""
    if not any(ch in text for ch in "*?~"):
        return None
    segments: list[list[str]] = [[]]
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "~" and i + 1 < len(text):
            segments[-1].append(re.escape(text[i + 1]))
            i += 2
            continue
        if ch == "*":
            segments.append([])
        else:
            segments[-1].append("." if ch == "?" else re.escape(ch))
        i += 1
    parts = ["".join(seg) for seg in segments]
    if len(parts) == 1:
        return re.compile(parts[0], re.S)
    middle = "".join(f"(?>.*?{p})" for p in parts[1:-1])
    return re.compile(f"{parts[0]}{middle}.*{parts[-1]}", re.S)


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
