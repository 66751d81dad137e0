"""Text functions: TRIM (vectorised: the layout's), and per row TEXT, VALUE,
LEFT, RIGHT, MID, LEN, UPPER, LOWER, PROPER, SUBSTITUTE, REPT, EXACT, FIND,
SEARCH, CONCATENATE, CONCAT. Texts are capped at 32,767 characters (#VALUE!
beyond, as Excel)."""

from __future__ import annotations

from typing import cast

import numpy as np

from workbook_engine.evaluator.criteria import _wildcard
from workbook_engine.evaluator.functions.base import function
from workbook_engine.evaluator.functions.number_format import format_value
from workbook_engine.evaluator.functions.scalar import from_values, integer, scalar, text
from workbook_engine.evaluator.locale_numbers import current_locale
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.values import STR, VALUE, ExcelError, V, Value, text_to_number, to_text
from workbook_engine.evaluator.vector import MAX_TEXT, Block, ConstBlock, Ctx, Engine, NotVectorizable, VaryingBlock

# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def spreadsheet_trim(text: str) -> str:
    """TRIM: ordinary spaces (U+0020) only; leading and trailing ones go,
    inner runs become one. Non-breaking spaces are kept, as Excel keeps them."""
    return " ".join(part for part in text.split(" ") if part)


@function("TRIM", 1, 1, elementwise=True)
def fn_trim(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    x = to_text(eng.value(args[0], ctx))
    o = cast(np.ndarray, x.o).copy()  # to_text always sets ``o``
    idx = np.flatnonzero(x.t == STR)
    texts = o[idx].tolist()
    trimmed = {t: spreadsheet_trim(t) for t in set(texts)}  # once per distinct text (a column of "oui")
    o[idx] = [trimmed[t] for t in texts]
    return V(x.t, x.n, o)


# ---------------------------------------------------------------------------
# Per row (what bursars type): TEXT, VALUE, LEFT, RIGHT, MID, LEN, UPPER,
# LOWER, PROPER, SUBSTITUTE, REPT, EXACT, FIND, SEARCH, CONCATENATE, CONCAT
# ---------------------------------------------------------------------------


@scalar("TEXT", 2, 2)
def fn_text(value: Value, code: Value) -> Value:
    """TEXT(value, format): see :mod:`.number_format`; numeric text is
    formatted as its number, other text comes back unchanged."""
    fmt = text(code)
    if value is None or isinstance(value, bool):
        v: float | str = text(value) if isinstance(value, bool) else 0.0
    elif isinstance(value, str):
        x = text_to_number(value)
        v = value if x is None else x
    else:
        v = float(value)
    return format_value(v, fmt, current_locale())


@scalar("VALUE", 1, 1)
def fn_value(x: Value) -> Value:
    """VALUE(text): text read as a number the locale's way ("12,5", "1 200",
    "5 %" in French; "$1,000" in English), dates and times as serials; a
    logical is #VALUE!."""
    if x is None:
        return 0.0
    if isinstance(x, bool):
        return VALUE
    if isinstance(x, str):
        got = text_to_number(x)
        return VALUE if got is None else got
    return float(x)


def _count(n: Value) -> int | ExcelError:
    k = integer(n)
    if isinstance(k, int) and k < 0:
        return VALUE
    return k


@scalar("LEFT", 1, 2)
def fn_left(s: Value, n: Value = 1.0) -> Value:
    k = _count(n)
    return k if isinstance(k, ExcelError) else text(s)[:k]


@scalar("RIGHT", 1, 2)
def fn_right(s: Value, n: Value = 1.0) -> Value:
    k = _count(n)
    if isinstance(k, ExcelError):
        return k
    t = text(s)
    return t[len(t) - k :] if k < len(t) else t


@scalar("MID", 3, 3)
def fn_mid(s: Value, start: Value, n: Value) -> Value:
    i, k = integer(start), _count(n)
    if isinstance(i, ExcelError):
        return i
    if isinstance(k, ExcelError):
        return k
    if i < 1:
        return VALUE
    return text(s)[i - 1 : i - 1 + k]


@scalar("LEN", 1, 1)
def fn_len(s: Value) -> Value:
    return float(len(text(s)))


@scalar("UPPER", 1, 1)
def fn_upper(s: Value) -> Value:
    return text(s).upper()


@scalar("LOWER", 1, 1)
def fn_lower(s: Value) -> Value:
    return text(s).lower()


@scalar("PROPER", 1, 1)
def fn_proper(s: Value) -> Value:
    """A capital after anything that is not a letter, lower case elsewhere."""
    out, prev_letter = [], False
    for ch in text(s):
        out.append(ch.lower() if prev_letter else ch.upper())
        prev_letter = ch.isalpha()
    return "".join(out)


@scalar("SUBSTITUTE", 3, 4)
def fn_substitute(s: Value, old: Value, new: Value, instance: Value = None) -> Value:
    t, a, b = text(s), text(old), text(new)
    if instance is None:
        if a and len(t) + t.count(a) * (len(b) - len(a)) > MAX_TEXT:
            return VALUE
        return t.replace(a, b) if a else t
    k = integer(instance)
    if isinstance(k, ExcelError):
        return k
    if k < 1:
        return VALUE
    if not a:
        return t
    pos = -1
    for _ in range(k):
        pos = t.find(a, pos + 1)
        if pos < 0:
            return t
    out = t[:pos] + b + t[pos + len(a) :]
    return VALUE if len(out) > MAX_TEXT else out


@scalar("REPT", 2, 2)
def fn_rept(s: Value, n: Value) -> Value:
    k = _count(n)
    if isinstance(k, ExcelError):
        return k
    t = text(s)
    if len(t) * k > MAX_TEXT:
        return VALUE
    return t * k


@scalar("EXACT", 2, 2)
def fn_exact(a: Value, b: Value) -> Value:
    return text(a) == text(b)


def _find(needle: Value, haystack: Value, start: Value, fold: bool) -> Value:
    n, h = text(needle), text(haystack)
    i = integer(start)
    if isinstance(i, ExcelError):
        return i
    if i < 1 or i > len(h) + 1:
        return VALUE
    if fold:
        pattern = _wildcard(n.lower())
        if pattern is not None:
            found = pattern.search(h.lower(), i - 1)
            return VALUE if found is None else float(found + 1)
        n, h = n.lower(), h.lower()
    p = h.find(n, i - 1)
    return VALUE if p < 0 else float(p + 1)


@scalar("FIND", 2, 3)
def fn_find(needle: Value, haystack: Value, start: Value = 1.0) -> Value:
    return _find(needle, haystack, start, False)


@scalar("SEARCH", 2, 3)
def fn_search(needle: Value, haystack: Value, start: Value = 1.0) -> Value:
    """SEARCH: case-insensitive, with wildcards (* ? ~)."""
    return _find(needle, haystack, start, True)


@scalar("CONCATENATE", 1, 255)
def fn_concatenate(*parts: Value) -> Value:
    out = "".join(text(p) for p in parts)
    return VALUE if len(out) > MAX_TEXT else out


@function("CONCAT", 1, elementwise=False)
def fn_concat(eng: Engine, ctx: Ctx, args: list[Node]) -> V:
    """CONCAT: like CONCATENATE, and a range gives all its cells, row by row."""
    pieces: list[list[list[Value]]] = []  # per argument: its cells, for all rows or per row
    size = 1
    for node in args:
        a = eng.arg(node, ctx)
        if a is None:
            continue
        if isinstance(a, VaryingBlock):
            raise NotVectorizable
        if isinstance(a, (Block, ConstBlock)):
            t, n, o, _ = a.data()
            pieces.append([V(t, n, o).tolist()])
            continue
        vals = a.tolist()
        pieces.append([[v] for v in vals])
        size = max(size, len(vals))
    out: list[Value] = []
    for i in range(size):
        acc: list[str] = []
        err: ExcelError | None = None
        for p in pieces:
            cells = p[i] if len(p) > 1 else p[0]
            for c in cells:
                if isinstance(c, ExcelError):
                    err = err or c
                acc.append(text(c))
        joined = "".join(acc)
        out.append(err if err is not None else (VALUE if len(joined) > MAX_TEXT else joined))
    return from_values(out)
