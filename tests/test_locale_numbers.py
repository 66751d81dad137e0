"""Text read as a number by the workbook's own formulas, per locale.

``tests/data/text_to_number.csv`` is what LibreOffice 7.4 computes for
``=A1+0`` and ``=VALUE(A1)`` when A1 holds each text, with a private profile
set to fr-FR and then en-US (default settings otherwise). Columns: ``text``
(special characters written as ``\\uXXXX``, a backslash as ``\\\\``), ``fr``
and ``en`` (the observed value: a number, ``#VALUE!``, or ``--MM-DD[+F]``
for a date without a year, i.e. that day of the current year plus F),
``source``, ``note``, and ``engine_fr`` / ``engine_en``: what
``text_to_number`` gives where it deliberately differs (blank: the same as
observed). An empty text is written as the formula ``=""`` (LibreOffice
imports an empty text cell as a blank one).

The fast test checks ``text_to_number`` against every row in both locales;
the slow one recomputes the observations in LibreOffice and checks they
still equal the table. ``python3 tests/test_locale_numbers.py`` rewrites
the observed columns from LibreOffice (notes and engine columns kept).
"""

from __future__ import annotations

import csv
import datetime
import math
import re
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from libreoffice_recalc import recalculate, soffice
from openpyxl.utils.datetime import to_excel

from workbook_engine.evaluator import evaluate_workbook
from workbook_engine.evaluator.locale_numbers import (
    DEFAULT_LOCALE,
    LOCALES,
    MAX_TEXT_LENGTH,
    current_locale,
    number_locale,
    text_to_number,
)
from workbook_engine.evaluator.values import text_to_number as coerce
from workbook_engine.workbook.layout import Ref

DATA = Path(__file__).parent / "data" / "text_to_number.csv"
COLUMNS = ["text", "fr", "en", "source", "note", "engine_fr", "engine_en"]
VALUE_ERROR = "#VALUE!"
SOURCE = "LibreOffice 7.4 fr-FR/en-US"
PROFILE_LOCALE = {"fr": "fr-FR", "en": "en-US"}


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|\\)")


def unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\\" if m[1] == "\\" else chr(int(m[1][1:], 16)), text)


def escape(text: str) -> str:
    """Invisible or confusable characters as \\uXXXX, so the file reads
    unambiguously: blanks other than an inner space, controls, format
    characters, non-ASCII digits and symbols (U+2212); letters, currency
    signs and quotes stay as they are."""
    out = []
    for k, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == " " and 0 < k < len(text) - 1:
            out.append(ch)
        elif (
            ch.isspace()
            or not ch.isprintable()
            or (ord(ch) > 127 and unicodedata.category(ch) not in ("Ll", "Lu", "Sc", "Pi", "Pf"))
        ):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Row:
    line: int
    raw: str  # the text as written in the file
    fr: str
    en: str
    source: str
    note: str
    engine_fr: str
    engine_en: str

    @property
    def text(self) -> str:
        return unescape(self.raw)

    def observed(self, locale: str) -> str:
        return getattr(self, locale)

    def engine(self, locale: str) -> str:
        return getattr(self, f"engine_{locale}") or self.observed(locale)


def load_rows(path: Path = DATA) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS, reader.fieldnames
        return [
            Row(i, r["text"], r["fr"], r["en"], r["source"], r["note"], r["engine_fr"], r["engine_en"])
            for i, r in enumerate(reader, start=2)
        ]


def expected(value: str) -> float | None:
    """A table value: None for #VALUE!, the serial of a day of this year for
    ``--MM-DD[+F]``, else the number."""
    if value == VALUE_ERROR:
        return None
    if value.startswith("--"):
        day, _, fraction = value[2:].partition("+")
        month, dom = (int(p) for p in day.split("-"))
        serial = (datetime.date(datetime.date.today().year, month, dom) - datetime.date(1899, 12, 30)).days
        return serial + (float(fraction) if fraction else 0.0)
    return float(value)


def same(got: float | None, want: float | None) -> bool:
    """Equal as the file stores numbers (LibreOffice writes 15 significant
    digits)."""
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, rel_tol=1e-14, abs_tol=1e-300)


ROWS = load_rows()


def test_the_table_is_wide_and_well_formed():
    assert len(ROWS) >= 80
    assert len({r.raw for r in ROWS}) == len(ROWS), "a text appears twice"
    for r in ROWS:
        assert r.source.startswith(SOURCE), r
        for value in (r.fr, r.en, r.engine_fr or VALUE_ERROR, r.engine_en or VALUE_ERROR):
            expected(value)  # parses
        assert escape(r.text) == r.raw, f"line {r.line}: write {escape(r.text)!r}"
    # Both locales really differ (the table was not observed twice in one).
    by_text = {r.text: r for r in ROWS}
    assert (by_text["2,5"].fr, by_text["2,5"].en) == ("2.5", VALUE_ERROR)
    assert (by_text["2.5"].fr, by_text["2.5"].en) == (VALUE_ERROR, "2.5")


@pytest.mark.parametrize("row", ROWS, ids=[f"line{r.line}:{r.raw}" for r in ROWS])
def test_text_to_number_matches_the_table(row):
    for locale in LOCALES:
        got = text_to_number(row.text, locale)
        want = expected(row.engine(locale))
        assert same(got, want), f"{locale}: {row.raw!r} gives {got!r}, the table says {row.engine(locale)}"


# ---------------------------------------------------------------------------
# The locale in force
# ---------------------------------------------------------------------------


def test_the_default_locale_is_french():
    assert DEFAULT_LOCALE == "fr" and current_locale() == "fr"
    assert coerce("1 020,00 €") == 1020.0 and coerce("35000.50") is None


def test_number_locale_scopes_the_evaluator_coercion():
    with number_locale("en"):
        assert current_locale() == "en"
        assert coerce("1,000") == 1000.0 and coerce("12.5") == 12.5 and coerce("5%") == 0.05
        with number_locale("fr"):
            assert coerce("1,000") == 1.0 and coerce("12.5") is None
        assert current_locale() == "en"
    assert current_locale() == "fr"


def test_number_locale_is_restored_after_an_error():
    with pytest.raises(RuntimeError), number_locale("en"):
        raise RuntimeError
    assert current_locale() == "fr"


@pytest.mark.parametrize("locale", ["de", "fr-FR", "EN", ""])
def test_an_unknown_locale_is_refused(locale):
    with pytest.raises(ValueError, match="fr, en"):
        text_to_number("1", locale)
    with pytest.raises(ValueError), number_locale(locale):
        pass


def test_long_text_is_never_a_number():
    assert text_to_number("1" * MAX_TEXT_LENGTH, "fr") == float("1" * MAX_TEXT_LENGTH)
    assert text_to_number("1" * (MAX_TEXT_LENGTH + 1), "fr") is None
    assert text_to_number(" " * 10_000 + "1", "en") is None


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("0123456789 ,.-+()%€$E:/TPAM\u00a0\u202f\t")), max_size=40)
    | st.text(max_size=300)
)
def test_any_text_gives_a_number_or_none(text):
    for locale in LOCALES:
        x = text_to_number(text, locale)
        assert x is None or (isinstance(x, float) and math.isfinite(x))


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_amounts_written_the_french_or_english_way(amount):
    grouped = f"{amount:,.2f}"  # "-1,234,567.89"
    assert text_to_number(grouped, "en") == float(amount)
    french = grouped.replace(",", "\u00a0").replace(".", ",")
    assert text_to_number(f"{french} €", "fr") == float(amount)
    assert text_to_number(french.replace("\u00a0", " "), "fr") == float(amount)


def test_the_scan_is_linear():
    """No backtracking: the worst texts of the bound are read at once."""
    import time

    hostile = ["1 " * 127, "1:" * 127, "1/" * 127, "(" * 255, "1" + " 000" * 63, "-" + "\u00a0" * 254]
    start = time.perf_counter()
    for text in hostile:
        for locale in LOCALES:
            text_to_number(text + "x", locale)
    assert time.perf_counter() - start < 0.5


def test_a_date_without_a_year_is_in_the_current_year():
    year = datetime.date.today().year
    serial = (datetime.date(year, 9, 1) - datetime.date(1899, 12, 30)).days
    assert text_to_number("01/09", "fr") == serial == text_to_number("9/1", "en")


def test_the_evaluator_reads_text_the_locale_way(tmp_path):
    """A French bursar's text numbers in arithmetic and criteria, end to
    end; the same workbook under ``number_locale("en")``."""
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(path, {"strings_to_numbers": False})
    ws = wb.add_worksheet("F")
    for r, text in enumerate(["35 000", "1 020,00 €", "25 %", "35000.50", "1,5"]):
        ws.write_string(r, 0, text)
        ws.write_formula(r, 1, f"=A{r + 1}*2")
    ws.write_number(5, 0, 1.5)
    ws.write_formula(0, 2, '=COUNTIF(A1:A6,"1,5")')  # the number 1.5 and the text "1,5"
    ws.write_formula(1, 2, '=COUNTIF(A1:A6,">1,4")')  # numbers only: 1.5
    wb.close()

    def results():
        ev = evaluate_workbook(path)
        return [ev(Ref("F", r, 1)) for r in range(5)], [ev(Ref("F", r, 2)) for r in range(2)]

    doubled, counts = results()
    assert doubled == [70000.0, 2040.0, 0.5, "#VALUE!", 3.0] and counts == [2.0, 1.0]
    with number_locale("en"):
        doubled, counts = results()
    # In English "1,5" is text: it matches the text cell only, and ">1,4"
    # compares text (the 4 texts sorting after "1,4"), as LibreOffice en-US does.
    assert doubled == ["#VALUE!", "#VALUE!", 0.5, 70001.0, "#VALUE!"] and counts == [1.0, 4.0]


# ---------------------------------------------------------------------------
# The table against LibreOffice
# ---------------------------------------------------------------------------

_NOT_CALCULATED = "not recalculated"


def observe(texts: list[str], locale: str, workdir: Path) -> list[tuple[str, str]]:
    """(=A+0, =VALUE(A)) for each text, as LibreOffice computes them with a
    private profile of ``locale`` and otherwise default settings (in
    particular "Conversion from text to number", unset)."""
    exe = soffice()
    assert exe, "LibreOffice is not installed"
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "texts.xlsx"
    wb = xlsxwriter.Workbook(src, {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = wb.add_worksheet("T")
    for r, text in enumerate(texts):
        if text == "":
            ws.write_formula(r, 0, '=""', None, "")
        else:
            ws.write_string(r, 0, text)
        ws.write_formula(r, 1, f"=A{r + 1}+0", None, _NOT_CALCULATED)
        ws.write_formula(r, 2, f"=VALUE(A{r + 1})", None, _NOT_CALCULATED)
    wb.close()
    (out,) = recalculate([src], workdir / "out", locale=PROFILE_LOCALE[locale])
    sheet = openpyxl.load_workbook(out, data_only=True)["T"]
    rows = [(_shown(sheet.cell(r + 1, 2).value), _shown(sheet.cell(r + 1, 3).value)) for r in range(len(texts))]
    assert all(_NOT_CALCULATED not in pair for pair in rows), "LibreOffice did not recalculate"
    return rows


def _shown(value: object) -> str:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
        value = to_excel(value)
    if isinstance(value, bool) or value is None:
        raise AssertionError(f"unexpected cached value {value!r}")
    if isinstance(value, (int, float)):
        return str(value) if isinstance(value, int) else repr(value)
    return str(value)


@pytest.mark.slow
def test_the_table_is_what_libreoffice_computes(libreoffice, tmp_path):
    texts = [r.text for r in ROWS]
    wrong = []
    for locale in LOCALES:
        for row, (plus, value) in zip(ROWS, observe(texts, locale, tmp_path / locale)):
            want = expected(row.observed(locale))
            for formula, got in (("+0", plus), ("VALUE", value)):
                if not same(expected(got), want):
                    wrong.append(f"line {row.line} {locale} {row.raw!r} {formula}: {got}, table {row.observed(locale)}")
    assert not wrong, "\n".join(wrong)


def rewrite_observations(path: Path = DATA) -> None:
    """Recompute the fr and en columns in LibreOffice (a new version...);
    review the diff, then the notes and engine columns."""
    rows = load_rows(path)
    with tempfile.TemporaryDirectory() as tmp:
        found = {loc: observe([r.text for r in rows], loc, Path(tmp) / loc) for loc in LOCALES}
    keep = {r.raw: r for r in rows}
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for i, r in enumerate(rows):
            fr, en = (
                r.fr if r.fr.startswith("--") else found["fr"][i][0],
                r.en if r.en.startswith("--") else found["en"][i][0],
            )
            r = replace(keep[r.raw], fr=fr, en=en)
            w.writerow([r.raw, r.fr, r.en, r.source, r.note, r.engine_fr, r.engine_en])


if __name__ == "__main__":
    rewrite_observations(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
