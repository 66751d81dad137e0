"""Spreadsheet values as typed numpy vectors, and Excel's coercion rules.

A value vector ``V`` holds one value per evaluated row: a type code per row
(``t``: blank, number, text, logical, error), the numbers (``n``: numbers, and
logicals as 0/1) and, only when some row holds text or an error, an object
array ``o`` with the strings and :class:`ExcelError` instances. A vector of
length 1 is a constant and broadcasts against any length.

The rules that matter for money live here: numbers compare at 15 significant
digits (0.1+0.2 = 0.3 is TRUE), text compares case-insensitively, a blank is 0
in arithmetic and "" in comparisons, text sorts after numbers and logicals
after text.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from workbook_engine.evaluator.locale_numbers import current_locale
from workbook_engine.evaluator.locale_numbers import text_to_number as _locale_text_to_number

BLANK, NUM, STR, BOOL, ERR = 0, 1, 2, 3, 4


class ExcelError(str):
    """A spreadsheet error value, e.g. ``ExcelError("#N/A")``.

    A ``str`` subclass, so it prints and compares like its code; use
    ``isinstance(v, ExcelError)`` to tell an error from text."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ExcelError({str(self)!r})"


NA = ExcelError("#N/A")
DIV0 = ExcelError("#DIV/0!")
VALUE = ExcelError("#VALUE!")
REF = ExcelError("#REF!")
NAME = ExcelError("#NAME?")
NUM_ERR = ExcelError("#NUM!")
NULL = ExcelError("#NULL!")
ERRORS: dict[str, ExcelError] = {e: e for e in (NA, DIV0, VALUE, REF, NAME, NUM_ERR, NULL)}

# A cell's value as Python sees it (None: blank). ExcelError is a str
# subclass, named for the reader.
Value = float | str | bool | ExcelError | None

# (rows where an operand is an error, those errors): see ``first_error``.
Errors = tuple[np.ndarray, np.ndarray]


def error(code: str) -> ExcelError:
    """The shared instance for a known code, a new one otherwise."""
    return ERRORS.get(code) or ExcelError(code)


_TYPES_CACHE: dict[tuple[int, int], np.ndarray] = {}


def uniform_types(code: int, size: int) -> np.ndarray:
    """A read-only type array of one code (shared: never write into it)."""
    key = (code, size)
    arr = _TYPES_CACHE.get(key)
    if arr is None:
        if len(_TYPES_CACHE) > 256:
            _TYPES_CACHE.clear()
        arr = np.full(size, code, dtype=np.int8)
        arr.flags.writeable = False
        _TYPES_CACHE[key] = arr
    return arr


class V:
    """A vector of spreadsheet values (see the module docstring).

    ``uni`` is the type code shared by every row when known (fast paths), and
    ``ref`` tells that the values come straight from a cell reference (SUM,
    COUNT, OR... ignore text and logicals in references, not in values)."""

    __slots__ = ("t", "n", "o", "uni", "ref")

    def __init__(
        self, t: np.ndarray, n: np.ndarray, o: np.ndarray | None = None, uni: int | None = None, ref: bool = False
    ) -> None:
        self.t, self.n, self.o, self.uni, self.ref = t, n, o, uni, ref

    def __len__(self) -> int:
        return len(self.t)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"V({self.tolist()!r})"

    # -- constructors ------------------------------------------------------
    @staticmethod
    def nums(n: np.ndarray) -> V:
        n = np.asarray(n, dtype=np.float64)
        return V(uniform_types(NUM, len(n)), n, None, NUM)

    @staticmethod
    def bools(b: np.ndarray) -> V:
        b = np.asarray(b, dtype=bool)
        return V(uniform_types(BOOL, len(b)), b.astype(np.float64), None, BOOL)

    @staticmethod
    def const(value: Value) -> V:
        """A length-1 vector holding one Python value (None is blank)."""
        if value is None:
            return V(uniform_types(BLANK, 1), np.zeros(1), None, BLANK)
        if isinstance(value, ExcelError):
            return V(uniform_types(ERR, 1), np.zeros(1), np.array([value], dtype=object), ERR)
        if isinstance(value, (bool, np.bool_)):
            return V(uniform_types(BOOL, 1), np.array([float(value)]), None, BOOL)
        if isinstance(value, str):
            return V(uniform_types(STR, 1), np.zeros(1), np.array([value], dtype=object), STR)
        return V(uniform_types(NUM, 1), np.array([float(value)]), None, NUM)

    @staticmethod
    def full(value: Value, size: int) -> V:
        c = V.const(value)
        return c if size == 1 else c.broadcast(size)

    @staticmethod
    def errors(size: int, err: ExcelError) -> V:
        o = np.empty(size, dtype=object)
        o[:] = err
        return V(uniform_types(ERR, size), np.zeros(size), o, ERR)

    def broadcast(self, size: int) -> V:
        if len(self.t) == size:
            return self
        assert len(self.t) == 1, "cannot broadcast"
        o = None
        if self.o is not None:
            o = np.empty(size, dtype=object)
            o[:] = self.o[0]
        t = uniform_types(int(self.t[0]), size)
        return V(t, np.repeat(self.n, size), o, int(self.t[0]), self.ref)

    def as_value(self) -> V:
        """The same values, no longer marked as coming from a reference."""
        return V(self.t, self.n, self.o, self.uni, False) if self.ref else self

    # -- inspection --------------------------------------------------------
    def all_of(self, code: int) -> bool:
        if self.uni is not None:
            return self.uni == code
        if len(self.t) and bool((self.t == code).all()):
            self.uni = code
            return True
        return False

    def has(self, code: int) -> bool:
        if self.uni is not None:
            return self.uni == code and len(self.t) > 0
        return bool((self.t == code).any())

    def item(self, i: int = 0) -> Value:
        """Row ``i`` as a Python value: float, str, bool, ExcelError or None."""
        t = int(self.t[i])
        if t == NUM:
            return float(self.n[i])
        if t == BLANK:
            return None
        if t == BOOL:
            return bool(self.n[i])
        value: Value = cast(np.ndarray, self.o)[i]  # text or error: ``o`` is set
        return value

    def tolist(self) -> list[Value]:
        return [self.item(i) for i in range(len(self.t))]


def assemble(size: int, parts: list[tuple[np.ndarray, V]]) -> V:
    """A vector of ``size`` rows from pieces: (row positions, values there).
    Rows no piece covers are blank."""
    t = np.zeros(size, dtype=np.int8)
    n = np.zeros(size)
    o = None
    for pos, v in parts:
        if len(pos) == 0:
            continue
        t[pos] = v.t if len(v.t) == len(pos) else v.t[0]
        n[pos] = v.n if len(v.n) == len(pos) else v.n[0]
        if v.o is not None:
            if o is None:
                o = np.empty(size, dtype=object)
            o[pos] = v.o if len(v.o) == len(pos) else v.o[0]
    return V(t, n, o)


def take(v: V, pos: np.ndarray) -> V:
    """Rows ``pos`` of ``v`` (a constant stays a constant)."""
    if len(v.t) == 1:
        return v
    return V(v.t[pos], v.n[pos], None if v.o is None else v.o[pos], v.uni, v.ref)


# ---------------------------------------------------------------------------
# Numbers at 15 significant digits
# ---------------------------------------------------------------------------


def round15(x: float) -> float:
    """A double read at 15 significant digits, as a spreadsheet shows it."""
    if not math.isfinite(x) or x == 0:
        return x
    return float(f"{x:.15g}")


def eq15(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """a = b for numbers compared at 15 significant digits (vectorised).

    Two doubles that read the same at 15 digits differ by less than 1e-14
    of their size, so only such close pairs (rare) are decided exactly."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    eq = a == b
    with np.errstate(invalid="ignore", over="ignore"):
        close = ~eq & (np.abs(a - b) <= 1.01e-14 * np.maximum(np.abs(a), np.abs(b)))
    if close.any():
        eq = eq.copy()
        idx = np.flatnonzero(close)
        av, bv = a[idx].tolist(), b[idx].tolist()
        eq[idx] = [round15(p) == round15(q) for p, q in zip(av, bv)]
    out: np.ndarray = eq
    return out


def compare_numbers(op: str, a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """Comparison of numbers at 15 significant digits. Rounding never swaps
    two numbers' order, it can only make them equal."""
    out: np.ndarray
    if op == "=":
        return eq15(a, b)
    if op == "<>":
        return ~eq15(a, b)
    if op == "<":
        out = (a < b) & ~eq15(a, b)
    elif op == ">":
        out = (a > b) & ~eq15(a, b)
    elif op == "<=":
        out = (a < b) | eq15(a, b)
    elif op == ">=":
        out = (a > b) | eq15(a, b)
    else:
        raise ValueError(op)
    return out


# ---------------------------------------------------------------------------
# Text <-> number
# ---------------------------------------------------------------------------


def text_to_number(s: str) -> float | None:
    """The number a text stands for in arithmetic, COUNT and criteria, read
    the way of the current locale ("35 000", "2,5", "25 %" in French, the
    default; see ``locale_numbers``), or None: then the spreadsheet gives
    #VALUE!."""
    return _locale_text_to_number(s, current_locale())


def number_to_text(x: float) -> str:
    """A number as text in a formula ("General" format, 15 significant digits,
    the locale's decimal separator): 3 -> "3", 0.1+0.2 -> "0.3" ("0,3" in
    French), 1E+20 -> "1E+20"."""
    if x == 0:
        return "0"
    s = f"{x:.15g}"
    if "e" in s:
        mant, exp = s.split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        sign = "-" if exp.startswith("-") else "+"
        s = f"{mant}E{sign}{exp.lstrip('+-').zfill(2)}"
    return s.replace(".", ",") if current_locale() == "fr" else s


_BOOL_WORDS = {"fr": ("FAUX", "VRAI"), "en": ("FALSE", "TRUE")}


def bool_text(b: bool) -> str:
    """A logical as text (TRUE&"" is "VRAI" in a French spreadsheet)."""
    return _BOOL_WORDS.get(current_locale(), _BOOL_WORDS["en"])[bool(b)]


# ---------------------------------------------------------------------------
# Coercions (vectorised)
# ---------------------------------------------------------------------------


def to_number(v: V) -> V:
    """Arithmetic operand: numbers as they are, logicals 0/1, blank 0,
    numeric text converted, other text #VALUE!, errors kept."""
    if v.uni == NUM:
        return v.as_value() if v.ref else v
    if v.uni == BOOL or v.uni == BLANK:
        return V.nums(v.n)
    t = v.t
    size = len(t)
    n = v.n.copy()
    out_t = np.full(size, NUM, dtype=np.int8)
    o = None
    err = t == ERR
    text = t == STR
    if err.any() or text.any():
        o = np.empty(size, dtype=object)
        vo = cast(np.ndarray, v.o)  # some text or error: ``o`` is set
        if err.any():
            out_t[err] = ERR
            o[err] = vo[err]
        for i in np.flatnonzero(text).tolist():
            x = text_to_number(vo[i])
            if x is None:
                out_t[i] = ERR
                o[i] = VALUE
            else:
                n[i] = x
    n[t == BLANK] = 0.0
    return V(out_t, n, o)


def to_bool(v: V) -> V:
    """Logical operand (IF, AND, OR, NOT): numbers non-zero, blank FALSE,
    text "TRUE"/"FALSE" (any case), other text #VALUE!, errors kept."""
    if v.uni in (NUM, BOOL):
        return V.bools(v.n != 0)
    if v.uni == BLANK:
        return V.bools(np.zeros(len(v.t), dtype=bool))
    t = v.t
    size = len(t)
    b = (v.n != 0) & ((t == NUM) | (t == BOOL))
    out_t = np.full(size, BOOL, dtype=np.int8)
    o = None
    err = t == ERR
    text = t == STR
    if err.any() or text.any():
        o = np.empty(size, dtype=object)
        vo = cast(np.ndarray, v.o)  # some text or error: ``o`` is set
        out_t[err] = ERR
        o[err] = vo[err]
        for i in np.flatnonzero(text).tolist():
            s = vo[i].strip().upper()
            if s == "TRUE":
                b[i] = True
            elif s == "FALSE":
                b[i] = False
            else:
                out_t[i] = ERR
                o[i] = VALUE
    return V(out_t, b.astype(np.float64), o)


def to_text(v: V) -> V:
    """Text operand (&): numbers in General format, logicals TRUE/FALSE,
    blank "", errors kept."""
    if v.uni == STR:
        return v.as_value()
    size = len(v.t)
    o = np.empty(size, dtype=object)
    out_t = np.full(size, STR, dtype=np.int8)
    tl = v.t.tolist()
    nl = v.n.tolist()
    vo = cast(np.ndarray, v.o)  # read only for text and errors, when ``o`` is set
    for i, t in enumerate(tl):
        if t == STR:
            o[i] = vo[i]
        elif t == NUM:
            o[i] = number_to_text(nl[i])
        elif t == BOOL:
            o[i] = bool_text(bool(nl[i]))
        elif t == BLANK:
            o[i] = ""
        else:
            o[i] = vo[i]
            out_t[i] = ERR
    return V(out_t, np.zeros(size), o)


def first_error(*vs: V) -> Errors | None:
    """Rows where some operand is an error, and that error (the leftmost
    operand's error wins, as in the spreadsheet)."""
    size = max(len(v.t) for v in vs)
    mask: np.ndarray | None = None
    errs: np.ndarray  # set with ``mask``
    for v in vs:
        if v.uni is not None and v.uni != ERR:
            continue
        e = v.t == ERR
        if not e.any():
            continue
        e = np.broadcast_to(e, size)
        if mask is None:
            mask = e.copy()
            errs = np.empty(size, dtype=object)
            errs[mask] = np.broadcast_to(cast(np.ndarray, v.o), size)[mask]  # errors: ``o`` is set
        else:
            new = e & ~mask
            errs[new] = np.broadcast_to(cast(np.ndarray, v.o), size)[new]
            mask |= e
    if mask is None:
        return None
    return mask, errs


def with_errors(result: V, err: tuple[np.ndarray, np.ndarray] | None) -> V:
    """``result`` where no operand was an error, the operand's error elsewhere."""
    if err is None:
        return result
    mask, errs = err
    size = max(len(mask), len(result.t))
    if len(mask) != size:
        mask, errs = np.broadcast_to(mask, size), np.broadcast_to(errs, size)
    result = result.broadcast(size)
    t = np.array(result.t, dtype=np.int8)
    t[mask] = ERR
    o = np.empty(size, dtype=object) if result.o is None else result.o.copy()
    o[mask] = errs[mask]
    return V(t, result.n, o)


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------

_CLASS_RANK = np.array([0, 0, 1, 2, 3], dtype=np.int8)  # blank, number, text, logical, error


def compare(op: str, a: V, b: V) -> V:
    """``a op b`` with the spreadsheet's rules: a blank takes the other side's
    type (0, "" or FALSE), numbers at 15 digits, text case-insensitive, and
    across types number < text < logical. Errors propagate."""
    if a.uni == NUM and b.uni == NUM:
        return V.bools(compare_numbers(op, a.n, b.n))
    if op in ("=", "<>") and (_is_empty_text(b) or _is_empty_text(a)):
        return _equals_empty_text(op, a if _is_empty_text(b) else b, a, b)
    size = max(len(a.t), len(b.t))
    ta = np.broadcast_to(a.t, size)
    tb = np.broadcast_to(b.t, size)
    # A blank becomes the other side's kind (both blank: two zeros).
    ka = np.where(ta == BLANK, np.where(tb == BLANK, NUM, tb), ta)
    kb = np.where(tb == BLANK, np.where(ta == BLANK, NUM, ta), tb)
    ra, rb = _CLASS_RANK[ka], _CLASS_RANK[kb]
    # Rank order decides across kinds; within a kind: -1, 0, 1.
    sign = np.sign(ra.astype(np.int16) - rb).astype(np.int8)
    same = ra == rb
    na = np.broadcast_to(a.n, size)
    nb = np.broadcast_to(b.n, size)
    numeric = same & ((ka == NUM) | (ka == BOOL))
    if numeric.any():
        x, y = na[numeric], nb[numeric]
        sign[numeric] = np.where(eq15(x, y), 0, np.where(x < y, -1, 1))
    text = same & (ka == STR)
    if text.any():
        idx = np.flatnonzero(text)
        la = list(map(str.lower, _strings(a, ta, idx, size)))
        lb = list(map(str.lower, _strings(b, tb, idx, size)))
        if op in ("=", "<>"):
            sign[idx] = [0 if p == q else 1 for p, q in zip(la, lb)]
        else:
            sign[idx] = [0 if p == q else (-1 if p < q else 1) for p, q in zip(la, lb)]
    if op == "=":
        res = sign == 0
    elif op == "<>":
        res = sign != 0
    elif op == "<":
        res = sign < 0
    elif op == ">":
        res = sign > 0
    elif op == "<=":
        res = sign <= 0
    else:
        res = sign >= 0
    return with_errors(V.bools(res), first_error(a, b))


def _is_empty_text(v: V) -> bool:
    """The text "" as one value (``A6=""``, the guard of every family formula)."""
    return len(v.t) == 1 and int(v.t[0]) == STR and v.o is not None and v.o[0] == ""


def _equals_empty_text(op: str, x: V, a: V, b: V) -> V:
    """``x = ""`` (or ``<>``) without comparing texts one by one: a blank
    becomes "" and equals it, a text equals it when empty, a number or a
    logical never does (another kind); errors propagate from ``a`` or ``b``."""
    equal = x.t == BLANK
    if x.o is not None:
        text = x.t == STR
        if text.any():
            equal = equal | (text & (x.o == ""))
    return with_errors(V.bools(equal if op == "=" else ~equal), first_error(a, b))


def _strings(v: V, t: np.ndarray, idx: np.ndarray, size: int) -> list[str]:
    """The text of rows ``idx`` (a blank row reads "")."""
    if v.o is None:
        return [""] * len(idx)
    o = np.broadcast_to(v.o, size)[idx]
    tt = t[idx]
    if (tt == STR).all():
        texts: list[str] = o.tolist()
        return texts
    return [s if k == STR else "" for s, k in zip(o.tolist(), tt.tolist())]
