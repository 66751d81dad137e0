"""The conformance table against real LibreOffice (slow): every row
LibreOffice agrees on (no ``libreoffice`` note) must come out of
LibreOffice with Excel's value, and every row with a note must not, so the
notes stay true. LibreOffice runs with the row's locale (fr-FR, en-US)."""

from __future__ import annotations

import datetime

import pytest
from cached_cells import cached_values
from libreoffice_recalc import recalculate
from openpyxl.utils.datetime import to_excel
from test_conformance import ROWS, expected_value, write_book

from workbook_engine.evaluator.values import ExcelError, round15
from workbook_engine.workbook.layout import Ref


def _same(got: object, row: dict[str, str]) -> bool:
    want = expected_value(row)
    if row["type"] == "number":
        return isinstance(got, (int, float)) and not isinstance(got, bool) and round15(float(got)) == round15(want)
    if row["type"] == "error":
        return isinstance(got, str) and got == str(want)
    if row["type"] == "bool":
        return got is want or (isinstance(got, bool) and got == want)
    return got == want


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_libreoffice_agrees_where_the_table_says_so(libreoffice, tmp_path, locale):
    src = tmp_path / f"conformance_{locale}.xlsx"
    where = write_book(src, locale)
    (out,) = recalculate(src, tmp_path / "lo", locale={"fr": "fr-FR", "en": "en-US"}[locale])
    cells = cached_values(out)
    wrong, stale = [], []
    for i, k in where.items():
        row = ROWS[i]
        if "TODAY" in row["formula"]:
            continue
        got = cells(Ref("C", k, 0))
        if isinstance(got, ExcelError):
            got = str(got)
        elif isinstance(got, datetime.datetime):  # a number shown as a date
            got = float(to_excel(got))
        elif isinstance(got, datetime.time):  # a fraction of a day shown as a time
            got = (got.hour * 3600 + got.minute * 60 + got.second) / 86400
        elif got is None and row["type"] == "text":  # "" is saved as no value
            got = ""
        agrees = _same(got, row)
        if not row["libreoffice"] and not agrees:
            wrong.append((row["formula"], got, row["expected"]))
        if row["libreoffice"] and agrees:
            stale.append(row["formula"])
    assert not wrong, f"LibreOffice differs on rows without a note: {wrong}"
    assert not stale, f"rows noted as LibreOffice differing, where it agrees: {stale}"
