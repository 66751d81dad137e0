"""Numbers, whole numbers and yes/no typed by French bursars, read from text.

Shared by the CSV importer and the workbook reader. Every function is pure and
raises ``ValueError`` with a short French reason (shown to bursars) when the
text cannot be read.

Accepted number forms: ``35000``, ``35000.5``, ``35000,5``, ``35 000``,
``35 000,50 €``, ``35000 EUR``, with ordinary, non-breaking (U+00A0) or narrow
non-breaking (U+202F) spaces, a leading ``+`` or ``-``, and surrounding spaces.

Decisions:

- A single comma *or* a single dot is the decimal separator, so ``1,234`` is
  1.234 (French convention), never one thousand two hundred and thirty-four.
  Thousands are grouped with spaces only, by three digits (``35 000``).
- Text mixing both separators (``1.234,56``) or with several of them
  (``12,34,5``) is refused rather than guessed.
- Scientific notation (``1e5``, ``1,2E+05``), ``inf`` and ``nan`` are refused:
  a bursar never types them, a spreadsheet writes them for a cell that is too
  narrow or badly formatted, and they may have lost digits.

These are import rules, deliberately tolerant. How the workbook's own
formulas read a text cell in arithmetic ("35000.50" is #VALUE! in a French
spreadsheet) is another matter: see
``workbook_engine.evaluator.locale_numbers.text_to_number``.
"""

from __future__ import annotations

import math
import re

from workbook_engine.model.limits import MAX_NUMBER

__all__ = ["parse_number", "parse_int", "parse_yes_no", "needed_tolerance"]

# Thousands groups use one space between groups of exactly three digits, so
# that "12 34" (two numbers in one cell?) is refused instead of read as 1234.
_NUMBER = re.compile(
    r"(?P<sign>[+-]?)(?P<int>\d{1,3}(?: \d{3})+|\d*)(?:(?P<sep>[.,])(?P<frac>\d*))?",
    re.ASCII,
)
# What float() reads without help (exponents aside, which are refused anyway).
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_CURRENCY = re.compile(r"(?:€|eur|euros?)$", re.IGNORECASE)
_EXPONENT = re.compile(r"\d[eE][+-]?\d")
_SPACES = re.compile(r"\s+")

_YES = frozenset({"oui", "o", "1", "yes", "y", "vrai", "true", "x"})
_NO = frozenset({"non", "n", "0", "no", "faux", "false"})


def _parse(text: str, *, allow_currency: bool) -> float:
    s = str(text).strip()  # str.strip() also removes U+00A0 and U+202F
    if not s:
        raise ValueError("valeur vide")
    if allow_currency:
        s = _CURRENCY.sub("", s).strip()
        if not s:
            raise ValueError("aucun chiffre")
    # One kind of space inside, and the typographic minus a word processor makes.
    s = _SPACES.sub(" ", s).replace("\u2212", "-")
    match = _NUMBER.fullmatch(s)
    if match is None or not (match["int"] or match["frac"]):
        if _EXPONENT.search(s):
            raise ValueError("notation scientifique (E+…) refusée : affichez la cellule en nombre dans le tableur")
        if "," in s and "." in s:
            raise ValueError("« , » et « . » mélangés : écrivez par exemple 1234,56 ou 1 234,56")
        if s.count(",") + s.count(".") > 1:
            raise ValueError("plusieurs séparateurs décimaux")
        if re.fullmatch(r"[+-]?[\d ]+(?:[.,]\d*)?", s):
            raise ValueError("espaces mal placés : les milliers se groupent par 3 chiffres (35 000)")
        raise ValueError("nombre illisible")
    whole = match["int"].replace(" ", "") or "0"
    value = float(f"{match['sign']}{whole}.{match['frac'] or '0'}")
    if not math.isfinite(value) or abs(value) >= MAX_NUMBER:
        # No income, amount or count is this large: a typing accident (and 1e307 overflows sums).
        raise ValueError("nombre trop grand : au plus 12 chiffres avant la virgule")
    return value


def parse_number(text: str) -> float:
    """Read a number as a French bursar types it (see the module docstring).

    A single comma is the decimal separator: ``"1,234"`` is 1.234.
    """
    return _parse(text, allow_currency=True)


def parse_int(text: str) -> int:
    """Read a whole number: ``"2"``, ``"2,0"`` and ``"2.0"`` are 2; ``"2,5"``
    is refused. No currency sign: a count of pupils is not money."""
    value = _parse(text, allow_currency=False)
    if not value.is_integer():
        raise ValueError("un nombre entier est attendu")
    return int(value)


def parse_yes_no(text: str) -> bool:
    """Read the "tax notice provided" answer: oui/non, O/N, 1/0, yes/no, y,
    vrai/faux, true/false, or ``x`` (a ticked box) for yes; any case."""
    s = _SPACES.sub("", str(text)).lower()
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise ValueError("oui ou non attendu (oui/non, O/N, 1/0 ou x pour oui)")


def needed_tolerance(text: str) -> bool:
    """Whether ``text`` is not a plain float literal (``35000``, ``-12.5``), i.e.
    it reads only thanks to the tolerance above (decimal comma, spaces between
    thousands, currency...). Callers reading a typed value may warn about it.
    Meaningful only for text that :func:`parse_number` accepts."""
    return _PLAIN.fullmatch(str(text).strip()) is None
