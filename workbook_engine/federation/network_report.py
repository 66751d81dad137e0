"""The federation's outputs: the network report workbook and CSV tables.

``write_network_report`` writes, with xlsxwriter, one sheet per table:
*Réseau* (network totals, families by tranche, the notes on years and
layout versions, two native charts: families by tranche, revenue change by
school), *Établissements* (one row per
workbook), *Grilles* (per workbook and grid), *Tranches* (per workbook, grid
and tranche). French labels, EUR and percent formats, frozen headers,
filters. Output is deterministic: same collection, same bytes.

``write_csv`` is the CSV convention of the federation's files (the network
table, the batch index): the columns are the stable English keys of the
tables (as in the Python API), in the format French spreadsheets open
directly and this package's CSV readers accept: ``;`` separator, decimal
comma, UTF-8 with BOM, blank for no value. Text cells that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) get a
leading ``'``, since structure names come from files the federation does
not control.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, SupportsFloat

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook_engine.federation.collect import (
    DISTRIBUTION_COLUMNS,
    GRID_COLUMNS,
    STATUS_TEXT,
    TOTAL_LABELS,
    TRANCHE_COLUMNS,
    WORKBOOK_COLUMNS,
    Kind,
    Network,
)
from workbook_engine.formats.files import atomic_output
from workbook_engine.model.french import CONTROL_PICTURES
from workbook_engine.workbook.writer import FIXED_DATE

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["write_csv", "write_network_report"]

SHEET_NETWORK = "Réseau"
SHEET_WORKBOOKS = "Établissements"
SHEET_GRIDS = "Grilles"
SHEET_TRANCHES = "Tranches"
_NUMBER_FORMATS: dict[Kind, str] = {"eur": '#,##0.00 "€"', "pct": "0.0%", "ratio": "0.00", "count": "0", "text": "@"}
_WIDTHS: dict[Kind, int] = {"eur": 16, "pct": 12, "ratio": 12, "count": 11, "text": 24}
_WIDE = {"file": 34, "first_finding": 70, "grids": 30, "structure": 32, "layout_version": 14}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# A control character a workbook brought (ESC, BEL, C1 codes) is shown as
# its Unicode picture (␛, ␇), never copied: the report is read in terminals
# and spreadsheets. Line breaks and tabs in a name are pictured too.
def _plain(text: str) -> str:
    return text.translate(CONTROL_PICTURES)


def _csv_safe(text: str) -> str:
    text = _plain(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table with the federation's CSV convention (module docstring), atomically."""
    import pandas as pd

    out = frame.copy()
    for key in out.columns:
        if out[key].dtype == object or pd.api.types.is_string_dtype(out[key]):
            out[key] = out[key].map(lambda v: _csv_safe(v) if isinstance(v, str) else v)
    with atomic_output(path) as tmp:
        out.to_csv(tmp, sep=";", decimal=",", index=False, encoding="utf-8-sig", lineterminator="\n")


class _Formats:
    def __init__(self, wb: Workbook):
        self.header = wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#D9E1F2", "border": 1}
        )
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.section = wb.add_format({"bold": True, "font_size": 12})
        self.label = wb.add_format({"bold": True})
        self.kind = {kind: wb.add_format({"num_format": f}) for kind, f in _NUMBER_FORMATS.items()}


def _write_value(
    ws: Worksheet, row: int, col: int, value: SupportsFloat | str | None, kind: Kind, fmt: _Formats
) -> None:
    """One cell of a table; ``value`` may also be pandas' NA (a blank)."""
    import pandas as pd  # loaded already: the value comes from a DataFrame

    cell_format = fmt.kind[kind]
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None, cell_format)
    elif kind == "text":
        ws.write_string(row, col, _plain(str(value)), cell_format)  # never a formula, whatever the text
    else:
        ws.write_number(row, col, float(value), cell_format)


def _write_table(
    ws: Worksheet,
    frame: pd.DataFrame,
    columns: tuple[tuple[str, str, Kind], ...],
    fmt: _Formats,
    first_row: int = 0,
    frozen_cols: int = 1,
) -> None:
    """A table with a frozen header line and a filter."""
    for j, (key, label, kind) in enumerate(columns):
        ws.write_string(first_row, j, label, fmt.header)
        ws.set_column(j, j, _WIDE.get(key, _WIDTHS[kind]))
    for i, record in enumerate(frame.itertuples(index=False, name=None), start=first_row + 1):
        for j, ((key, _label, kind), value) in enumerate(zip(columns, record)):
            if key == "status":
                value = STATUS_TEXT.get(value, value)
            _write_value(ws, i, j, value, kind, fmt)
    ws.freeze_panes(first_row + 1, frozen_cols)
    ws.autofilter(first_row, 0, first_row + max(len(frame), 1), len(columns) - 1)


def _column_of(columns: tuple[tuple[str, str, Kind], ...], key: str) -> int:
    return next(j for j, (k, _label, _kind) in enumerate(columns) if k == key)


def _write_network(wb: Workbook, ws: Worksheet, network: Network, fmt: _Formats) -> None:
    ws.write_string(0, 0, "Rapport de réseau : tarification sociale des établissements", fmt.title)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 16)
    ws.write_string(2, 0, "Totaux du réseau (classeurs utilisables)", fmt.section)
    row = 3
    for key, label, kind in TOTAL_LABELS:
        ws.write_string(row, 0, label, fmt.label)
        _write_value(ws, row, 1, network.totals[key], kind, fmt)
        row += 1
    row += 1
    ws.write_string(row, 0, "Répartition des familles par tranche (toutes grilles, par nom de tranche)", fmt.section)
    head = row + 1
    for j, (_key, label, _kind) in enumerate(DISTRIBUTION_COLUMNS):
        ws.write_string(head, j, label, fmt.header)
    dist = network.distribution
    for i, record in enumerate(dist.itertuples(index=False, name=None), start=head + 1):
        for j, ((_key, _label, kind), value) in enumerate(zip(DISTRIBUTION_COLUMNS, record)):
            _write_value(ws, i, j, value, kind, fmt)
    if network.notes:
        row = head + len(dist) + 2
        ws.write_string(row, 0, "Notes (années scolaires, versions du modèle de classeur)", fmt.section)
        for i, note in enumerate(network.notes, start=row + 1):
            ws.write_string(i, 0, _plain(note))

    if len(dist):
        chart = wb.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": "Familles",
                "categories": [SHEET_NETWORK, head + 1, 0, head + len(dist), 0],
                "values": [SHEET_NETWORK, head + 1, 1, head + len(dist), 1],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": "Répartition des familles par tranche"})
        chart.set_x_axis({"name": "Tranche"})
        chart.set_y_axis({"name": "Familles", "num_format": "0"})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": 320})
        ws.insert_chart(2, 5, chart)

    n = len(network.workbooks)
    if n:
        names = _column_of(WORKBOOK_COLUMNS, "structure")
        change = _column_of(WORKBOOK_COLUMNS, "change_pct")
        chart = wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "Évolution des recettes",
                "categories": [SHEET_WORKBOOKS, 1, names, n, names],
                "values": [SHEET_WORKBOOKS, 1, change, n, change],
                "invert_if_negative": False,
            }
        )
        chart.set_title({"name": "Évolution des recettes par établissement"})
        chart.set_x_axis(
            {
                "name": "recettes du nouveau tarif / recettes de l'ancien - 1",
                "num_format": "0%",
                "major_gridlines": {"visible": True},
            }
        )
        # First school on top, as in the table; names at the left edge, clear of negative bars.
        chart.set_y_axis({"reverse": True, "label_position": "low"})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": max(320, 60 + 18 * n)})
        ws.insert_chart(20, 5, chart)


def write_network_report(network: Network, path: str | Path) -> None:
    """Write the network report workbook (module docstring), atomically."""
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        )
        wb.set_properties({"title": "Rapport de réseau", "subject": "Tarification sociale", "created": FIXED_DATE})
        fmt = _Formats(wb)
        network_sheet = wb.add_worksheet(SHEET_NETWORK)
        _write_table(wb.add_worksheet(SHEET_WORKBOOKS), network.workbooks, WORKBOOK_COLUMNS, fmt)
        _write_table(wb.add_worksheet(SHEET_GRIDS), network.grids, GRID_COLUMNS, fmt)
        _write_table(wb.add_worksheet(SHEET_TRANCHES), network.tranches, TRANCHE_COLUMNS, fmt)
        _write_network(wb, network_sheet, network, fmt)
        wb.close()
