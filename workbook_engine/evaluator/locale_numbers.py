"""How a spreadsheet reads text as a number in arithmetic, per locale.

    from workbook_engine.evaluator.locale_numbers import text_to_number, current_locale, number_locale

    text_to_number("1 020,00 €", "fr")     # 1020.0
    text_to_number("35000.50", "fr")       # None: the spreadsheet shows #VALUE!
    text_to_number("35000.50", "en")       # 35000.5
    text_to_number(s, current_locale())    # the locale in force ("fr" unless told)
    with number_locale("en"):              # the command line's --locale, set once
        ...                                # every coercion in the block reads English

``text_to_number(text, locale)`` is what ``=A1+0`` (and ``VALUE(A1)``)
gives in LibreOffice 7.4 for a text cell A1, with that locale and default
settings: a float, or None for #VALUE!. Memoised (a bounded dict per
locale), it depends on nothing but its arguments, except that a date
without a year ("01/09") takes the current year, as the spreadsheet does.
``values.text_to_number(s)`` (the evaluator's arithmetic, COUNT, and
COUNTIF/SUMIF criteria: ``COUNTIF(r, "1,5")`` counts the number 1.5 in
French, as LibreOffice fr-FR does) calls it with ``current_locale()``. The
context variable does not cross into worker processes: pass
``current_locale()`` along and re-enter ``number_locale`` there (as
``collect`` does for ``workbook_password``).

Locales: ``fr`` (fr-FR, the default: our bursars are French) and ``en``
(en-US). The rules were observed in LibreOffice, not recalled: the whole
table (over 700 texts) is ``tests/data/text_to_number.csv``, checked against
LibreOffice by a slow test. LibreOffice's option "Conversion from text to
number" (``/org.openoffice.Office.Calc/Formula/Syntax/StringConversion``)
is unset by default, which means "convert also locale dependent" (3), for
an xlsx file as for an ODF one: the locale's number scanner reads the text.
Excel documents the same idea ("any of the constant number, date, or time
formats recognized by Microsoft Excel": ``CNUM("1 000 €")`` is 1000 in
French, ``VALUE("$1,000")`` in English).

=========================  ============================  ======================
text                       fr                            en
=========================  ============================  ======================
decimal separator          ``2,5`` ``,5`` ``5,``         ``2.5`` ``.5`` ``5.``
the other one              ``2.5`` #VALUE!               ``2,5`` #VALUE!
thousands                  ``35 000`` ``1234 567``       ``35,000``
                           (space or U+00A0, not
                           U+202F; groups of 3 after
                           the first)
currency, before or after  ``€`` (not EUR)               ``$``
percent, last              ``25 %`` ``25%``              same
exponent                   ``1,5E3`` ``1 E3``            ``1.5E3``
negative                   ``-5`` ``5-`` ``(5)`` ``- 5``; one sign only, not U+2212
blanks around              space, U+00A0, U+202F; not a tab or a newline
fraction                   ``1 1/2``                     same
date                       ``01/09/2026`` (D/M/Y,        ``9/1/2026`` (M/D/Y),
                           D-M-Y, D.M.Y), ISO            ISO ``2026-09-01``,
                           ``2026-09-01``, ``01/09``     ``9/1``
                           (this year)
time                       ``12:30`` ``12:30:15,5``      ``12:30:15.5``
                           ``1:30 PM`` ``100:00``        same
=========================  ============================  ======================

No exponent with a currency symbol or a percent, no currency symbol with a
percent. Two-digit years are 1930-2029, years stop at 32767, dates before
1582-10-15 are Julian; hours wrap at 65536 as LibreOffice's do.
Empty or blank text is #VALUE! (not 0), as are logical words (see below).

Deliberate differences from LibreOffice (the table's engine columns): words
"VRAI"/"FAUX" ("TRUE"/"FALSE" in en) are 1/0 in LibreOffice's arithmetic but
#VALUE! in Excel's, and here: the evaluator has a logical type, and
``COUNTIF(r, "TRUE")`` must keep matching logical cells, not become a count
of 1s. Dates written with month or day names ("1 sept. 2026", "Sep 1, 2026")
are not modelled (no tariff formula computes with them): #VALUE!. So are
LibreOffice's oddities: a negative year ("-2026-09-01", "01/01/-5"),
"12 345/1000" read as 12345 in fr, "1,000 000" read as 1000 in fr,
"2026-09-01 -12:30" read without its minus; "-1E400", which LibreOffice
saturates to the largest positive double, keeps its sign here; and text
longer than ``MAX_TEXT_LENGTH`` is never a number here.

The scanner is hand-written (no regular expression, so no backtracking),
linear in the text, which is bounded first.
"""

from __future__ import annotations

import contextvars
import datetime
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["DEFAULT_LOCALE", "LOCALES", "MAX_TEXT_LENGTH", "current_locale", "number_locale", "text_to_number"]

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
# A number typed by hand is a few dozen characters; longer text is never
# scanned (bounded work per cell whatever a file holds), and every digit run
# stays below 1E255, so no conversion to float can overflow.
MAX_TEXT_LENGTH = 255

_locale: contextvars.ContextVar[str] = contextvars.ContextVar("number_locale", default=DEFAULT_LOCALE)


@contextmanager
def number_locale(locale: str) -> Iterator[None]:
    """Within this block, text in arithmetic is read the ``locale`` way
    ("fr" or "en"; the command line wraps a command in it for ``--locale``)."""
    _check(locale)
    token = _locale.set(locale)
    try:
        yield
    finally:
        _locale.reset(token)


def current_locale() -> str:
    """The locale of the innermost ``number_locale`` block ("fr" outside any)."""
    return _locale.get()


def text_to_number(text: str, locale: str) -> float | None:
    """The number ``text`` stands for in a spreadsheet of ``locale`` ("fr" or
    "en"), or None when the spreadsheet gives #VALUE! (see the module
    docstring for the rules)."""
    # Called once per text cell by the vectorised evaluator: a plain dict
    # per locale is the cheapest memo (a workbook repeats few texts).
    cache = _caches.get(locale)
    if cache is None:
        _check(locale)
        raise AssertionError(locale)  # not reached: every known locale has its cache
    out = cache.get(text, _MISSING)
    if out is _MISSING:
        out = _convert(text, _RULES[locale])
        if len(cache) >= _CACHE_SIZE:
            cache.clear()  # bounded: a hostile file cannot grow it without end
        cache[text] = out
    if out.__class__ is _Yearless:
        return out.resolve(datetime.date.today().year)
    return out  # type: ignore[return-value]


def _check(locale: str) -> None:
    if locale not in _RULES:
        raise ValueError(f"unknown number locale {locale!r}: expected one of {', '.join(LOCALES)}")


# ---------------------------------------------------------------------------
# Locale rules
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    decimal: str  # the decimal separator
    groups: str  # characters that separate thousands
    currency: str  # the currency symbol, before or after the number
    day_first: bool  # D/M/Y (fr) or M/D/Y (en)
    date_separators: str  # separators of a three-part date (ISO Y-M-D aside)


_RULES = {
    # fr-FR groups thousands with U+00A0 and accepts an ordinary space in
    # its place; the narrow no-break space U+202F is not a separator in 7.4.
    "fr": _Rules(",", " \u00a0", "€", True, "/-."),
    "en": _Rules(".", ",", "$", False, "/"),
}
_caches: dict[str, dict[str, object]] = {locale: {} for locale in _RULES}

# Blanks skipped around the parts of a number: what LibreOffice skips, not
# str.isspace (a tab or a newline makes the text #VALUE!).
_BLANKS = " \u00a0\u202f"
_DIGITS = "0123456789"
_CURRENCY = "¤"  # the currency symbol, once recognised, among affixes
_DBL_MAX = sys.float_info.max
_SECONDS_PER_DAY = 86400.0
_CACHE_SIZE = 100_000
_MAX_YEAR = 32767  # LibreOffice keeps a year in 16 bits
_MISSING = object()


# ---------------------------------------------------------------------------
# Conversion
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Yearless:
    """A date without a year ("01/09"): the serial depends on the year of
    the day it is read, so it is resolved after the cache."""

    month: int
    day: int
    time: float

    def resolve(self, year: int) -> float | None:
        serial = _date_serial(year, self.month, self.day)
        return None if serial is None else serial + self.time


def _convert(text: str, rules: _Rules) -> float | _Yearless | None:
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        return None
    s = text.strip(_BLANKS)
    if not s:
        return None
    for read in (_read_number, _read_fraction, _read_date_time, _read_time):
        out = read(s, rules)
        if out is not None:
            return out
    return None


# ---------------------------------------------------------------------------
# Scanning helpers: each takes the text and a position, returns a position
# ---------------------------------------------------------------------------


def _skip_blanks(s: str, i: int) -> int:
    while i < len(s) and s[i] in _BLANKS:
        i += 1
    return i


def _skip_digits(s: str, i: int) -> int:
    # Only ASCII digits: LibreOffice refuses fullwidth or Arabic-Indic ones.
    while i < len(s) and s[i] in _DIGITS:
        i += 1
    return i


def _affixes(s: str, i: int, allowed: str, currency: str | None) -> tuple[list[str], int]:
    """The signs, parentheses, percent and currency symbols from ``i`` on
    (blanks between them skipped), and where they stop."""
    items: list[str] = []
    while True:
        j = _skip_blanks(s, i)
        if j < len(s) and s[j] in allowed:
            items.append(s[j])
            i = j + 1
        elif currency and s.startswith(currency, j):
            items.append(_CURRENCY)
            i = j + len(currency)
        else:
            return items, i


def _sign(prefix: list[str], suffix: list[str]) -> int | None:
    """-1, +1, or None when the signs do not make sense: one sign at most,
    before or after the number, or a pair of parentheses (negative)."""
    signs = [c for c in prefix + suffix if c in "+-()"]
    if not signs:
        return 1
    if signs == ["(", ")"] and "(" in prefix:
        return -1
    if len(signs) == 1 and signs[0] in "+-":
        return -1 if signs[0] == "-" else 1
    return None


def _finite(x: float) -> float:
    # An overflowing number saturates at the largest double, as in LibreOffice
    # (which also drops its minus sign: not copied, see the module docstring).
    return x if math.isfinite(x) else math.copysign(_DBL_MAX, x)


# ---------------------------------------------------------------------------
# Numbers: "-1 234,5 €", "(5)", "25 %", "1,5E3"
# ---------------------------------------------------------------------------


def _read_number(s: str, r: _Rules) -> float | None:
    prefix, i = _affixes(s, 0, "+-(", r.currency)
    mantissa = _mantissa(s, _skip_blanks(s, i), r)
    if mantissa is None:
        return None
    digits, i = mantissa
    exponent, i = _exponent(s, i)
    if exponent == "":
        return None
    suffix, i = _affixes(s, i, "+-)%", r.currency)
    if _skip_blanks(s, i) != len(s):
        return None
    sign = _sign(prefix, suffix)
    if sign is None or not _valid_affixes(prefix, suffix, exponent is not None):
        return None
    x = _finite(float(digits + ("e" + exponent if exponent else "")))
    if "%" in suffix:
        x /= 100
    return sign * x


def _mantissa(s: str, i: int, r: _Rules) -> tuple[str, int] | None:
    """Digits with thousands groups and a decimal part, as a plain decimal
    string ("1234.5"), and where they stop. The first group has any length,
    each following group exactly 3 digits ("1234 567" is read, "35 00" is not)."""
    j = _skip_digits(s, i)
    whole = s[i:j]
    if whole:
        while j < len(s) and s[j] in r.groups:
            k = _skip_digits(s, j + 1)
            if k - (j + 1) != 3:
                break  # not a group: what follows the separator decides
            whole += s[j + 1 : k]
            j = k
    fraction = ""
    if j < len(s) and s[j] == r.decimal:
        k = _skip_digits(s, j + 1)
        fraction = s[j + 1 : k]
        if not whole and not fraction:
            return None
        j = k
    elif not whole:
        return None
    return f"{whole or '0'}.{fraction or '0'}", j


def _exponent(s: str, i: int) -> tuple[str | None, int]:
    """An exponent ("E3", " e-2", "E+ 3": blanks allowed around the E and
    the sign) as "3"/"-2", None when there is none, "" when it is malformed."""
    j = _skip_blanks(s, i)
    if j >= len(s) or s[j] not in "eE":
        return None, i
    k = _skip_blanks(s, j + 1)
    sign = ""
    if k < len(s) and s[k] in "+-":
        sign = "-" if s[k] == "-" else ""
        k = _skip_blanks(s, k + 1)
    end = _skip_digits(s, k)
    if end == k:
        return "", i
    return sign + s[k:end], end


def _valid_affixes(prefix: list[str], suffix: list[str], exponent: bool) -> bool:
    """One currency symbol at most; a percent sign last, never with a
    currency symbol or an exponent; no currency symbol with an exponent."""
    items = prefix + suffix
    currency = items.count(_CURRENCY)
    percent = suffix.count("%")
    if currency > 1 or percent > 1:
        return False
    if percent and (suffix[-1] != "%" or currency or exponent):
        return False
    return not (currency and exponent)


# ---------------------------------------------------------------------------
# Fractions: "1 1/2", "-0 3/4"
# ---------------------------------------------------------------------------


def _read_fraction(s: str, r: _Rules) -> float | None:
    prefix, i = _affixes(s, 0, "+-(", None)
    i = _skip_blanks(s, i)
    j = _skip_digits(s, i)
    k = _skip_blanks(s, j)
    if j == i or k == j:
        return None  # "1/2" alone is a date, not a fraction
    whole, gap = s[i:j], s[j:k]
    m = _skip_digits(s, k)
    numerator = s[k:m]
    if not numerator:
        return None
    if len(gap) == 1 and gap in r.groups and len(numerator) == 3:
        # "12 345/1000" in French: LibreOffice reads "12 345" as twelve
        # thousand... and drops "/1000". Ambiguous: #VALUE! here.
        return None
    m = _skip_blanks(s, m)
    if m >= len(s) or s[m] != "/":
        return None
    n = _skip_blanks(s, m + 1)
    end = _skip_digits(s, n)
    denominator = s[n:end]
    if not denominator or int(denominator) == 0:
        return None
    suffix, end = _affixes(s, end, "+-)", None)
    if _skip_blanks(s, end) != len(s):
        return None
    sign = _sign(prefix, suffix)
    if sign is None:
        return None
    return sign * _finite(int(whole) + int(numerator) / int(denominator))


# ---------------------------------------------------------------------------
# Times: "12:30", "12:30:15,5", "1:30 PM", "-12:30"
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Time:
    day_fraction: float
    end: int  # where the time stops in the text
    meridiem: bool  # ends with AM or PM


def _read_time(s: str, r: _Rules) -> float | None:
    prefix, i = _affixes(s, 0, "+-(", None)
    time = _time(s, _skip_blanks(s, i), r.decimal, in_date=False)
    if time is None:
        return None
    suffix, end = _affixes(s, time.end, "+-)", None)
    if _skip_blanks(s, end) != len(s):
        return None
    sign = _sign(prefix, suffix)
    if sign is None or (time.meridiem and (suffix or "(" in prefix)):
        return None  # "12:30 PM-" and "(1:30 PM)" are #VALUE!, "-1:30 PM" is not
    return sign * time.day_fraction


def _time(s: str, i: int, decimals: str, *, in_date: bool) -> _Time | None:
    """A time of day from ``i``: H:M[:S][<decimal>F] with optional AM/PM.
    Hours are unbounded ("100:00"), minutes and seconds at most 59. A
    trailing colon is read ("12:", "12:30:"; after a date, only "12:"). "M:S,F" when the decimal
    part follows the second number: "12:30,5" is 12 minutes 30.5 seconds.
    Outside a date, "1 PM" needs no colon."""
    j = _skip_digits(s, i)
    if j == i:
        return None
    units = [_uint16(s[i:j])]
    fraction = ""
    colons = 0
    while colons < len(units):
        k = _skip_blanks(s, j)
        if k >= len(s) or s[k] != ":":
            break
        k = _skip_blanks(s, k + 1)
        m = _skip_digits(s, k)
        if m > k and len(units) == 3:
            break  # a fourth number ("12:30:15:10")
        colons += 1
        j = k
        if m > k:
            units.append(_uint16(s[k:m]))
            j = m
    if colons == len(units) and in_date and len(units) > 1:
        return None  # "01/09/2026 12:30:" is #VALUE!, "01/09/2026 12:" is not
    if colons == 0 and in_date:
        return None  # a bare hour after a date ("01/09/2026 12")
    if colons and j < len(s) and s[j] in decimals and colons == len(units) - 1 and len(units) >= 2:
        m = _skip_digits(s, j + 1)
        fraction = s[j + 1 : m]
        j = m
    meridiem, j = _meridiem(s, j)
    if colons == 0 and meridiem is None:
        return None  # a plain number
    return _time_value(units, fraction, meridiem, j)


def _uint16(digits: str) -> int:
    """A time unit as LibreOffice keeps it: a 32-bit parse that gives 0 on
    overflow, stored in 16 bits ("65537:30" is 1:30, "2147483648:00" is 0)."""
    n = int(digits)
    return (n if n < 2**31 else 0) % 65536


def _meridiem(s: str, j: int) -> tuple[str | None, int]:
    k = _skip_blanks(s, j)
    word = s[k : k + 2].upper()
    if word in ("AM", "PM") and (k + 2 == len(s) or s[k + 2] in _BLANKS + "+-)"):
        return word, k + 2
    return None, j


def _time_value(units: list[int], fraction: str, meridiem: str | None, end: int) -> _Time | None:
    if len(units) == 2 and fraction:
        hours, minutes, seconds = 0, units[0], units[1]  # "12:30,5": M:S,F
    else:
        hours, minutes, seconds = (units + [0, 0])[:3]
        if minutes > 59:
            return None
    if seconds > 59:
        return None
    if meridiem is not None:
        if hours > 12:
            return None
        hours = hours % 12 + (12 if meridiem == "PM" else 0)
    part = float("0." + fraction) if fraction else 0.0
    return _Time((hours * 3600 + minutes * 60 + seconds + part) / _SECONDS_PER_DAY, end, meridiem is not None)


# ---------------------------------------------------------------------------
# Dates: "01/09/2026", "2026-09-01", "1.9.26", "01/09", with a time after
# ---------------------------------------------------------------------------


def _read_date_time(s: str, r: _Rules) -> float | _Yearless | None:
    plus = s.startswith("+")  # "+2026-09-01" is read (ISO only)
    numbers, separators, i = _date_parts(s, 1 if plus else 0)
    if len(numbers) < 2:
        return None
    date = _date(numbers, separators, r)
    if date is None:
        return None
    year, month, day, iso = date
    if plus and not iso:
        return None
    time = 0.0
    if i < len(s):
        if iso and s[i] in "Tt":
            found = _time(s, i + 1, ",.", in_date=True)  # ISO 8601 takes either decimal sign
        elif s[i] in _BLANKS:
            found = _time(s, _skip_blanks(s, i), r.decimal, in_date=True)
        else:
            return None
        if found is None or _skip_blanks(s, found.end) != len(s):
            return None
        time = found.day_fraction
    if year is None:
        return _Yearless(month, day, time)
    serial = _date_serial(year, month, day)
    return None if serial is None else serial + time


def _date_parts(s: str, i: int) -> tuple[list[str], str, int]:
    """Up to three digit runs joined by single separators ("01/09/2026"),
    the separators, and where they stop."""
    numbers: list[str] = []
    separators = ""
    while len(numbers) < 3:
        j = _skip_digits(s, i)
        if j == i:
            return [], "", i
        numbers.append(s[i:j])
        i = j
        if len(numbers) < 3 and i + 1 < len(s) and s[i] in "/-." and s[i + 1] in _DIGITS:
            separators += s[i]
            i += 1
        else:
            break
    return numbers, separators, i


def _date(numbers: list[str], separators: str, r: _Rules) -> tuple[int | None, int, int, bool] | None:
    """(year or None for this year, month, day, whether ISO 8601) or None."""
    if len(set(separators)) != 1:
        return None
    sep = separators[0]
    if len(numbers) == 2:  # day and month only, "/" only
        if sep != "/":
            return None
        first, second = numbers
        day, month = (first, second) if r.day_first else (second, first)
        return _checked(None, month, day, iso=False)
    if sep == "-" and _forced_iso(numbers, r):
        return _checked(numbers[0], numbers[1], numbers[2], iso=True)
    if sep not in r.date_separators:
        return None
    first, second, year = numbers
    day, month = (first, second) if r.day_first else (second, first)
    return _checked(year, month, day, iso=False)


def _forced_iso(numbers: list[str], r: _Rules) -> bool:
    """Whether "a-b-c" is an ISO 8601 year-month-day: b a month, c a day,
    and a either 3 digits or more, or impossible as the locale's first part
    (a day 1-31 in fr, a month 1-12 in en)."""
    year, month, day = numbers
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return False
    if len(year) >= 3:
        return True
    first = int(year)
    return not (1 <= first <= (31 if r.day_first else 12))


def _checked(year: str | None, month: str, day: str, *, iso: bool) -> tuple[int | None, int, int, bool] | None:
    if len(month) > 2 or len(day) > 2:
        return None
    y = None if year is None else _full_year(year)
    if y is not None and not 1 <= y <= _MAX_YEAR:
        return None
    return y, int(month), int(day), iso


def _full_year(digits: str) -> int:
    # A year of one or two digits falls in 1930-2029 (LibreOffice's default).
    y = int(digits)
    if len(digits) <= 2:
        return y + (2000 if y < 30 else 1900)
    return y


def _date_serial(year: int, month: int, day: int) -> float | None:
    """Days since 1899-12-30 (LibreOffice's and, from March 1900, Excel's
    serial), Julian calendar before 1582-10-15 as in LibreOffice; None for
    a day that does not exist."""
    if not (1 <= month <= 12 and day >= 1):
        return None
    julian = (year, month, day) < (1582, 10, 15)
    if julian and (year, month, day) > (1582, 10, 4):
        return None  # the ten days dropped by the Gregorian reform
    if day > _days_in_month(year, month, julian):
        return None
    return float(_day_number(year, month, day, julian) - _EPOCH)


def _days_in_month(year: int, month: int, julian: bool) -> int:
    if month == 2:
        leap = year % 4 == 0 if julian else (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _day_number(year: int, month: int, day: int, julian: bool) -> int:
    """The Julian day number of a date (Julian or Gregorian calendar)."""
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    n = day + (153 * m + 2) // 5 + 365 * y + y // 4
    return n - 32083 if julian else n - y // 100 + y // 400 - 32045


_EPOCH = _day_number(1899, 12, 30, julian=False)
