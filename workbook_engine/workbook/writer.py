"""Write a workbook from the layout: inputs, live formulas with the model's
cached values, formats, validation, protection, charts, print set-up.

One small writer per sheet; ``write_workbook`` is the flat list of them. The
output is deterministic: the same scenario gives a byte-identical file.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook_engine.formats.files import atomic_output
from workbook_engine.model.domain import Scenario
from workbook_engine.model.results import Results
from workbook_engine.workbook import textfit
from workbook_engine.workbook.binding import family_row, grid_values, param_values
from workbook_engine.workbook.cached import column_values, scalar_values
from workbook_engine.workbook.layout import (
    NO,
    PREVIOUS_HELP,
    PREVIOUS_SLOT_ATTRS,
    PREVIOUS_TITLE,
    SCALE_PARTS_CUSTOM,
    SCALE_PARTS_CUSTOM_HEAD,
    SCALE_WIDE,
    SHEET_FAMILIES,
    SHEET_HELP,
    SHEET_PARAMS,
    SHEET_SCALE,
    SHEET_SUMMARY,
    STAMP_NAME,
    STAMP_PROPERTY,
    SUMMARY_HEADERS,
    YES,
    Cell,
    Choices,
    Column,
    GridLayout,
    Kind,
    Layout,
    PreviousSlot,
    Slot,
    scale_columns,
    scale_rows,
)

# A fixed date keeps files byte-identical from one run to the next.
FIXED_DATE = _dt.datetime(2026, 1, 1)

EUR = '#,##0.00 "€"'
NUMBER_FORMATS: dict[Kind, str] = {
    "money": EUR,
    "number": "0.##",
    "parts": "0.##",
    "integer": "0",
    "count": "0",
    "rate": "0.0%",
    "ratio": "0.00%",
    "text": "@",
    "choice": "@",
    "label": "@",
}
TITLE_SIZE, SUBTITLE_SIZE = 14, 12
INPUT_FILL = "#FFF2CC"  # pale yellow: the bursar types here
COMPUTED_FILL = "#F2F2F2"  # light grey: computed, locked
HEADER_FILL = "#DDEBF7"


# Functions of Excel 2007 that need no "_xlfn." prefix; the layout uses only these.
NATIVE_FUNCTIONS = frozenset(
    {
        "IF",
        "OR",
        "AND",
        "SUM",
        "ROUND",
        "INT",
        "MIN",
        "MAX",
        "MATCH",
        "INDEX",
        "COUNT",
        "COUNTIF",
        "COUNTIFS",
        "SUMIFS",
        "N",
    }
)
_FUNCTION_CALL = re.compile(r"([A-Z][A-Z0-9._]*)\(")


class LayoutWorksheet(Worksheet):  # type: ignore[misc]  # xlsxwriter has no type hints: Worksheet is Any
    """A worksheet that skips XlsxWriter's ~60 regex substitutions per formula
    (which add ``_xlfn.`` prefixes to newer functions) when a formula calls only
    native functions: 8x faster for the family rows, same bytes."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if formula.startswith("=") and set(_FUNCTION_CALL.findall(formula)) <= NATIVE_FUNCTIONS:
            return formula[1:]
        return cast(str, super()._prepare_formula(formula, expand_future_functions))  # untyped base class


@dataclass
class Formats:
    """The workbook's cell formats, created once."""

    wb: Workbook

    def __post_init__(self) -> None:
        self.title = self.wb.add_format({"bold": True, "font_size": TITLE_SIZE})
        self.subtitle = self.wb.add_format({"bold": True, "font_size": SUBTITLE_SIZE})
        self.header = self.wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "border": 1, "bg_color": HEADER_FILL}
        )
        self.label = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.help = self.wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.note = self.wb.add_format({"italic": True, "font_color": "#595959"})
        self.text = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.help_input = self.wb.add_format({"bg_color": INPUT_FILL, "text_wrap": True, "valign": "top"})
        self.help_computed = self.wb.add_format({"bg_color": COMPUTED_FILL, "text_wrap": True, "valign": "top"})
        self.dash = self.wb.add_format({"bg_color": COMPUTED_FILL, "align": "center", "font_color": "#595959"})
        # The Barème is a page to publish: no fills, no grey blocks, a rule under headers.
        self.page_title = self.wb.add_format({"bold": True, "font_size": TITLE_SIZE, "valign": "top"})
        self.page_subtitle = self.wb.add_format({"bold": True, "font_size": SUBTITLE_SIZE, "valign": "top"})
        self.page_grid_title = self.wb.add_format({"bold": True, "font_size": SUBTITLE_SIZE, "valign": "bottom"})
        self.page_strong = self.wb.add_format({"bold": True, "font_size": SUBTITLE_SIZE, "valign": "top"})
        self.page_text = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.page_header = self.wb.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bottom": 1})
        self.page_header_right = self.wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "bottom", "bottom": 1, "align": "right"}
        )
        # French typography on the published page: "10,0 %".
        page_formats = NUMBER_FORMATS | {"rate": "0.0 %"}
        self.page = {
            k: self.wb.add_format({"num_format": f, "valign": "top", "text_wrap": k == "text"})
            for k, f in page_formats.items()
        }
        self.page["rate"].set_align("left")  # beside its label "2e enfant", not at the far right
        self._input = {
            k: self.wb.add_format(
                {"num_format": f, "bg_color": INPUT_FILL, "border": 1, "border_color": "#BFBFBF", "locked": False}
            )
            for k, f in NUMBER_FORMATS.items()
        }
        self._computed = {
            k: self.wb.add_format({"num_format": f, "bg_color": COMPUTED_FILL}) for k, f in NUMBER_FORMATS.items()
        }
        self.ratio_plain = self.wb.add_format({"num_format": "0.00", "bg_color": COMPUTED_FILL})

    def input(self, kind: Kind) -> Format:
        return self._input[kind]

    def computed(self, kind: Kind, key: str = "") -> Format:
        if key.endswith("amplitude"):
            return self.ratio_plain  # a ratio like 2.25, not a percentage
        return self._computed[kind]


@dataclass(frozen=True)
class ReportSheet:
    """An extra sheet of plain values (e.g. a calibration's before/after
    comparison): a record of what a command did, not a computation, so it
    holds values, never formulas. The first row is the header."""

    name: str
    title: str
    rows: tuple[tuple[object, ...], ...]


def write_workbook(
    path: str | Path, layout: Layout, scenario: Scenario, results: Results, reports: tuple[ReportSheet, ...] = ()
) -> None:
    """Write the workbook to ``path`` (atomically: see ``writing``)."""
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                # Arial (Liberation Sans in LibreOffice: the same widths) so that
                # the row heights and column widths computed here hold everywhere.
                "default_format_properties": {"font_name": textfit.FONT_NAME, "font_size": textfit.FONT_SIZE},
                "default_row_height": textfit.DEFAULT_ROW_PX,
            },
        )
        wb.worksheet_class = LayoutWorksheet
        _write_all(wb, layout, scenario, results)
        for report in reports:
            write_report(wb.add_worksheet(report.name), Formats(wb), report)
        wb.close()


def _write_all(wb: Workbook, layout: Layout, s: Scenario, r: Results) -> None:
    wb.set_properties(
        {
            "title": "Tarification sociale",
            "subject": s.structure,
            "created": FIXED_DATE,
            "author": "workbook_engine",
            "comments": "Généré par workbook_engine",
        }
    )
    wb.set_calc_mode("auto")
    fmt = Formats(wb)
    inputs = param_values(s) | grid_values(layout, s)
    cached = scalar_values(layout, s, r)

    help_ws = wb.add_worksheet(SHEET_HELP)
    params_ws = wb.add_worksheet(SHEET_PARAMS)
    grid_ws = [wb.add_worksheet(g.sheet) for g in layout.grids]
    fam_ws = wb.add_worksheet(SHEET_FAMILIES)
    summary_ws = wb.add_worksheet(SHEET_SUMMARY)
    scale_ws = wb.add_worksheet(SHEET_SCALE)

    write_help(help_ws, fmt, layout)
    write_params(params_ws, fmt, layout, inputs)
    for ws, gl, grid in zip(grid_ws, layout.grids, s.grids):
        write_grid(wb, ws, fmt, layout, gl, inputs, cached, len(grid.tranches))
    write_families(fam_ws, fmt, layout, s, r, cached)
    write_summary(wb, summary_ws, fmt, layout, cached)
    if layout.version >= 3:
        write_scale(scale_ws, fmt, layout, cached)
    else:
        write_scale_v2(scale_ws, fmt, layout, cached)
    for name, ref in layout.defined_names.items():
        wb.define_name(name, "=" + ref)
    # The stamp: a text constant under a name (kept by every spreadsheet, like
    # the names above) and the same text as a custom document property.
    wb.define_name(STAMP_NAME, f'="{layout.stamp}"')
    wb.set_custom_property(STAMP_PROPERTY, layout.stamp)
    params_ws.activate()


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------


def write_input(ws: Worksheet, fmt: Formats, cell: Cell, value: object) -> None:
    row, col = cell.ref.row, cell.ref.col
    write_value(ws, row, col, value, fmt.input(cell.kind))


def write_value(ws: Worksheet, row: int, col: int, value: object, cell_format: Format) -> None:
    """Text is always written as text (never parsed as a formula: a family id
    like "=1+1" stays text), numbers as numbers, None as a blank cell."""
    if value is None or value == "":
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, str):
        ws.write_string(row, col, value, cell_format)
    else:
        ws.write_number(row, col, value, cell_format)


def write_formula(ws: Worksheet, fmt: Formats, cell: Cell, cached: dict[str, object]) -> None:
    assert cell.formula is not None, cell.key
    ws.write_formula(
        cell.ref.row, cell.ref.col, "=" + cell.formula, fmt.computed(cell.kind, cell.key), cached[cell.key]
    )


def validate_input(
    ws: Worksheet,
    cell_or_range: tuple[int, int, int, int],
    kind: Kind,
    choices: Choices | None = None,
    message: str = "",
) -> None:
    """Data validation for an input cell or column."""
    r1, c1, r2, c2 = cell_or_range
    opts: dict[str, object]
    if choices:
        opts = {
            "validate": "list",
            "source": list(choices.values()),
            "error_message": "Choisissez une valeur dans la liste : " + ", ".join(choices.values()),
        }
    elif kind in ("integer", "count"):
        opts = {
            "validate": "integer",
            "criteria": ">=",
            "value": 0,
            "error_message": "Un nombre entier positif ou nul est attendu.",
        }
    elif kind == "rate":
        opts = {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 1,
            "error_message": "Un pourcentage entre 0 % et 100 % est attendu.",
        }
    elif kind in ("money", "number", "parts"):
        opts = {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "error_message": "Un nombre positif ou nul est attendu.",
        }
    else:
        return
    opts["error_title"] = "Valeur refusée"
    if message:
        opts["input_title"] = "Aide"
        opts["input_message"] = message[:255]
    ws.data_validation(r1, c1, r2, c2, opts)


def protect(ws: Worksheet) -> None:
    """Lock computed cells against accidents; no password (not a lock)."""
    ws.protect(
        "", {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True}
    )


def print_setup(ws: Worksheet, landscape: bool = False, pages: tuple[int, int] | None = (1, 0)) -> None:
    """A4, narrow margins, the sheet's name and page number in the footer.
    ``pages``: fit to (wide, tall) pages (0: as many as needed); None keeps
    the scale the caller set."""
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    if pages is not None:
        ws.fit_to_pages(*pages)
    ws.set_footer("&L&A&RPage &P / &N")


def explain(ws: Worksheet, row: int, col: int, title: str, text: str) -> None:
    """A note shown when the cell is selected (Excel and LibreOffice show a
    validation's input message). Not a cell comment: ``anonymize`` promises
    a file without any comment, and regenerates the workbook through here."""
    assert len(text) <= 255 and len(title) <= 32, text
    ws.data_validation(row, col, row, col, {"validate": "any", "input_title": title, "input_message": text})


def fit_row(ws: Worksheet, row: int, texts: Sequence[tuple[object, float, bool, float]], minimum: float = 0) -> None:
    """Give ``row`` the height its wrapped texts need: each text with the
    width (characters) it wraps in, whether it is bold, and its font size."""
    height = max(
        [minimum, textfit.row_height(1)]
        + [
            textfit.row_height(textfit.lines(str(t), w, size, bold), size)
            for t, w, bold, size in texts
            if t not in (None, "")
        ]
    )
    ws.set_row(row, height)


def span_width(widths: dict[int, float], c0: int, c1: int) -> float:
    """Characters across columns c0..c1 (for a merged cell)."""
    points = sum(textfit.column_points(widths[c]) for c in range(c0, c1 + 1))
    return (points / 0.75 - 5) / 7


# ---------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------
HELP_LINES = (
    ("title", "Tarification sociale : mode d'emploi"),
    ("", ""),
    ("subtitle", "Principe"),
    (
        "",
        "Chaque famille paie selon ses revenus : une tranche est choisie d'après son indicateur (quotient "
        "familial = revenu fiscal de référence / nombre de parts, ou revenu fiscal de référence), puis le "
        "montant annuel de la tranche est appliqué à chaque enfant, avec une réduction éventuelle pour les "
        "frères et sœurs. Une famille qui ne fournit pas son avis d'imposition paie la tranche la plus haute.",
    ),
    ("", ""),
    ("subtitle", "Étapes"),
    ("", "1. Feuille « Paramètres » : choisissez l'indicateur, le calcul des parts et les réductions fratrie."),
    (
        "",
        "2. Feuilles « Grille 1 », « Grille 2 »... : une grille par unité (école, collège, lycée). Indiquez "
        "son nom, l'ancien tarif unique, l'objectif de recettes, puis les tranches : nom (A, B, C...), "
        "borne inférieure de l'indicateur (la première vaut 0, puis en ordre croissant) et montant annuel "
        "par élève.",
    ),
    (
        "",
        "3. Feuille « Familles » : une ligne par famille, avec un identifiant anonyme (pas de nom), le "
        "revenu fiscal de référence, les parts, la composition du foyer, l'avis fourni (oui / non) et le "
        "nombre d'enfants inscrits dans chaque grille. Ne laissez pas de ligne sans identifiant.",
    ),
    (
        "",
        "4. Lisez les résultats : colonnes grises de « Familles », tableau de chaque grille, « Synthèse ». "
        "Ajustez tranches et montants jusqu'à atteindre l'objectif de recettes.",
    ),
    ("", "5. Imprimez la feuille « Barème » pour le règlement financier de l'établissement."),
    ("", ""),
    ("subtitle", "Couleurs"),
    ("input", "Cellules jaunes : à remplir."),
    (
        "computed",
        "Cellules grises : calculées par des formules, protégées contre les modifications "
        "accidentelles (Révision > Ôter la protection, sans mot de passe).",
    ),
    ("", ""),
    ("subtitle", "Bon à savoir"),
    ("", "Une tranche va de sa borne inférieure (incluse) à la borne de la tranche suivante (exclue)."),
    (
        "",
        "Les enfants d'une famille sont classés du tarif le plus élevé au moins élevé (à tarif égal, la "
        "grille de plus petit numéro d'abord). Le 1er paie plein tarif, les suivants ont la réduction "
        "du 2e, du 3e, du 4e enfant et suivants.",
    ),
    (
        "",
        "Ce classeur contient des données personnelles (revenus des familles) : ne le transmettez qu'aux "
        "personnes qui en ont besoin.",
    ),
)


HELP_WIDTH = 92  # Mode d'emploi's one column: a portrait A4 page at full scale


def write_help(ws: Worksheet, fmt: Formats, layout: Layout) -> None:
    ws.set_column(0, 0, HELP_WIDTH)
    styles = {
        "title": fmt.title,
        "subtitle": fmt.subtitle,
        "input": fmt.help_input,
        "computed": fmt.help_computed,
        "": fmt.text,
    }
    sizes = {"title": TITLE_SIZE, "subtitle": SUBTITLE_SIZE}
    for row, (style, text) in enumerate(HELP_LINES):
        write_value(ws, row, 0, text, styles[style])
        size = sizes.get(style, textfit.FONT_SIZE)
        fit_row(ws, row, [(text, HELP_WIDTH, style in sizes, size)], textfit.row_height(1, size))
    last = len(HELP_LINES) + 1
    ws.write_string(
        last,
        0,
        f"Ce classeur compte {layout.n_grids} grille(s) et de la place pour {layout.capacity} familles.",
        fmt.help,
    )
    ws.print_area(0, 0, last, 0)
    print_setup(ws)
    protect(ws)


def write_params(ws: Worksheet, fmt: Formats, layout: Layout, inputs: dict[str, object]) -> None:
    ws.write_string(0, 0, "Paramètres de la tarification", fmt.title)
    ws.set_row(0, textfit.row_height(1, TITLE_SIZE))
    label_w = max(textfit.width_for(c.label) for c in layout.params)
    # The value column holds the longest value typed (the structure's name).
    value_w = max([28.0] + [textfit.width_for(str(v)) for v in inputs.values() if isinstance(v, str)])
    help_w = 46.0
    widths = {0: label_w, 1: value_w, 2: help_w}
    for col, width in widths.items():
        ws.set_column(col, col, width)
    sections = {"rate_2": "Réductions pour les frères et sœurs", "cp_adult": "Parts calculées par l'établissement"}
    for cell in layout.params:
        if cell.key in sections:
            ws.write_string(cell.ref.row - 1, 0, sections[cell.key], fmt.subtitle)
            ws.set_row(cell.ref.row - 1, textfit.row_height(1, SUBTITLE_SIZE))
        ws.write_string(cell.ref.row, 0, cell.label, fmt.label)
        write_input(ws, fmt, cell, inputs[cell.key])
        ws.write_string(cell.ref.row, 2, cell.help, fmt.help)
        fit_row(ws, cell.ref.row, [(cell.label, label_w, False, 10), (cell.help, help_w, False, 10)])
        r, c = cell.ref.row, cell.ref.col
        validate_input(ws, (r, c, r, c), cell.kind, cell.choices, cell.help)
    ws.print_area(0, 0, max(c.ref.row for c in layout.params), 2)
    print_setup(ws)
    protect(ws)


# Axis numbers: whole ones only (a blank workbook's axis runs from 0 to 1).
AXIS_EUR = '[=0]0 "€";[<=1]"";#,##0 "€"'
AXIS_COUNT = '[=0]0;[<1]"";0'
GRID_WIDTHS = {0: 30.0, 1: 14.0, 2: 14.0, 3: 14.0, 4: 11.0, 5: 11.0, 6: 14.0}


def write_grid(
    wb: Workbook,
    ws: Worksheet,
    fmt: Formats,
    layout: Layout,
    gl: GridLayout,
    inputs: dict[str, object],
    cached: dict[str, object],
    used: int,
) -> None:
    """One grid: inputs, tranche table, summary, then the two charts, all on
    one portrait page (columns A to G)."""
    ws.write_string(0, 0, f"{gl.sheet} : tranches et résultats", fmt.title)
    ws.set_row(0, textfit.row_height(1, TITLE_SIZE))
    for col, width in GRID_WIDTHS.items():
        ws.set_column(col, col, width)
    help_w = span_width(GRID_WIDTHS, 2, 6)
    for cell in (gl.name, gl.old_tariff, gl.budget_target):
        ws.write_string(cell.ref.row, 0, cell.label, fmt.label)
        write_input(ws, fmt, cell, inputs[cell.key])
        # The help runs over the empty columns to its right.
        ws.merge_range(cell.ref.row, 2, cell.ref.row, 6, cell.help, fmt.help)
        fit_row(ws, cell.ref.row, [(cell.label, GRID_WIDTHS[0], False, 10), (cell.help, help_w, False, 10)])
        row, col = cell.ref.row, cell.ref.col
        validate_input(ws, (row, col, row, col), cell.kind, None, cell.help)
    first = gl.slots[0]
    headers = []
    for attr in ("label", "lower", "upper", "amount", "families", "pupils", "revenue"):
        c = getattr(first, attr)
        ws.write_string(gl.header_row, c.ref.col, c.label, fmt.header)
        headers.append((c.label, GRID_WIDTHS[c.ref.col], True, 10))
    fit_row(ws, gl.header_row, headers)
    for slot in gl.slots:
        for c in (slot.label, slot.lower, slot.amount):
            write_input(ws, fmt, c, inputs[c.key])
        for c in (slot.upper, slot.families, slot.pupils, slot.revenue):
            write_formula(ws, fmt, c, cached)
    validate_tranche_columns(
        ws,
        first,
        gl.slots[-1],
        "Borne inférieure de l'indicateur (0 pour la première tranche, puis croissante).",
        "Montant annuel par élève, avant réduction fratrie.",
    )
    if gl.previous:
        write_previous_table(ws, fmt, gl, inputs)
    ws.write_string(gl.totals[0].ref.row, 0, "Total", fmt.header)
    for c in gl.totals:
        write_formula(ws, fmt, c, cached)
    for c in gl.summary:
        ws.write_string(c.ref.row, 0, c.label, fmt.label)
        write_formula(ws, fmt, c, cached)
        fit_row(ws, c.ref.row, [(c.label, GRID_WIDTHS[0], False, 10)])
    ws.freeze_panes(gl.header_row + 1, 0)
    bottom_row = add_grid_charts(wb, ws, gl, used)
    ws.print_area(0, 0, bottom_row, 6)
    print_setup(ws, pages=(1, 1))
    protect(ws)


# Last year's brackets (version 3), right of the tranche table, past one narrow empty column.
PREVIOUS_WIDTHS = {0: 10.0, 1: 14.0, 2: 14.0}


def write_previous_table(ws: Worksheet, fmt: Formats, gl: GridLayout, inputs: dict[str, object]) -> None:
    """Last year's brackets: a title, headers and three input columns on the
    tranche table's lines. Outside the printed page (columns A to G): they
    are the comparison's inputs; the grid's figures against them print."""
    first, last = gl.previous[0], gl.previous[-1]
    c0 = first.label.ref.col
    ws.set_column(c0 - 1, c0 - 1, 3)
    for i, width in PREVIOUS_WIDTHS.items():
        ws.set_column(c0 + i, c0 + i, width)
    ws.merge_range(gl.header_row - 1, c0, gl.header_row - 1, c0 + 2, PREVIOUS_TITLE, fmt.header)
    explain(ws, gl.header_row - 1, c0, PREVIOUS_TITLE, PREVIOUS_HELP)
    for attr in PREVIOUS_SLOT_ATTRS:
        c = getattr(first, attr)
        ws.write_string(gl.header_row, c.ref.col, c.label, fmt.header)
    for p in gl.previous:
        for c in (p.label, p.lower, p.amount):
            write_input(ws, fmt, c, inputs[c.key])
    validate_tranche_columns(
        ws,
        first,
        last,
        "Borne inférieure de l'an dernier (0 pour la première tranche, puis croissante).",
        "Montant annuel par élève de l'an dernier, avant réduction fratrie.",
    )


def validate_tranche_columns(
    ws: Worksheet, first: Slot | PreviousSlot, last: Slot | PreviousSlot, lower_help: str, amount_help: str
) -> None:
    """Money validation on a tranche table's bounds and amounts (this year's
    slots or last year's): ``first``/``last`` are its first and last lines."""
    for attr, help_ in (("lower", lower_help), ("amount", amount_help)):
        top, bottom = getattr(first, attr).ref, getattr(last, attr).ref
        validate_input(ws, (top.row, top.col, bottom.row, bottom.col), "money", None, help_)


def _pixels(width: float) -> int:
    return int(width * 7 + 0.5) + 5


def add_grid_charts(wb: Workbook, ws: Worksheet, gl: GridLayout, used: int) -> int:
    """Revenue against target and old revenue, beside the summary; families
    per tranche under it. The tranche chart plots the tranche lines in use
    when the workbook was generated (all lines in a blank workbook): a chart
    range cannot follow the count without a volatile function. Returns the
    last row the charts cover."""
    sheet = gl.sheet
    top = gl.summary[0].ref  # revenue, target, old revenue: three lines in a row
    rev = wb.add_chart({"type": "bar"})
    rev.add_series(
        {
            "name": "Montant annuel",
            "categories": [sheet, top.row, 0, top.row + 2, 0],
            "values": [sheet, top.row, 1, top.row + 2, 1],
            "data_labels": {"value": True, "num_format": '#,##0 "€"', "font": {"size": 8}},
        }
    )
    rev.set_title({"name": "Recettes, objectif et ancien tarif", "name_font": {"size": 10}})
    rev.set_legend({"none": True})
    # Whole euros on the axis. In a blank workbook every figure is 0 and the
    # spreadsheet draws an axis from 0 to 1 by 0.2: the format leaves those
    # fractions and the 1 unwritten ("0 €" alone, not "0 € 0 € 0 € 1 € 1 €");
    # a fixed top would cut the bars once the bursar fills the grid.
    rev.set_x_axis({"num_format": AXIS_EUR, "min": 0, "num_font": {"size": 8}})
    rev.set_y_axis({"num_font": {"size": 8}})
    width = sum(_pixels(GRID_WIDTHS[c]) for c in range(2, 7))
    rev.set_size({"width": width - 10, "height": 190})
    ws.insert_chart(top.row, 2, rev, {"x_offset": 8, "y_offset": 2, "object_position": 1})

    first = gl.slots[0]
    shown = gl.slots[max(used, 1) - 1] if used else gl.slots[-1]
    cats = [sheet, first.label.ref.row, first.label.ref.col, shown.label.ref.row, shown.label.ref.col]
    fam = wb.add_chart({"type": "column"})
    fam.add_series(
        {
            "name": "Familles",
            "categories": cats,
            "values": [
                sheet,
                first.families.ref.row,
                first.families.ref.col,
                shown.families.ref.row,
                shown.families.ref.col,
            ],
            "data_labels": {"value": True},
        }
    )
    fam.set_title({"name": "Familles par tranche", "name_font": {"size": 10}})
    fam.set_legend({"none": True})
    fam.set_x_axis({"name": "Tranche", "name_font": {"size": 9}})
    fam.set_y_axis(
        {
            "name": "Familles",
            "name_font": {"size": 9},
            "major_gridlines": {"visible": True},
            "min": 0,
            "num_format": AXIS_COUNT,
        }
    )
    below = gl.summary[-1].ref.row + 2
    width = sum(_pixels(GRID_WIDTHS[c]) for c in range(0, 7))
    fam.set_size({"width": width - 10, "height": 250})
    ws.insert_chart(below, 0, fam, {"x_offset": 4, "y_offset": 0, "object_position": 1})
    return below + 250 // textfit.DEFAULT_ROW_PX + 1


# Familles prints in bands of columns (the family id repeated on each), at a
# scale that keeps the figures legible, down to the last family only.
FAMILIES_SCALE = 80
BLANK_PRINT_ROWS = 30  # a blank workbook prints one page of empty lines per band: a form to fill by hand
_PRINTABLE_LANDSCAPE_PT = 842 - 72  # A4 landscape less the 0.5 in margins
FACTOR_HELP = (
    "Nombre de pleins tarifs payés dans cette grille, réductions fratrie déduites : 1 = un élève au "
    "plein tarif ; 0,8 = un élève à 20 % de réduction ; 1,8 = un plein tarif et un élève à 20 %. "
    "Dû = tarif x ce nombre."
)
_WIDTHS: dict[Kind, float] = {
    "money": 12.5,
    "integer": 8.0,
    "count": 8.0,
    "parts": 8.0,
    "number": 10.0,
    "ratio": 9.0,
    "rate": 9.0,
    "choice": 9.0,
    "label": 8.0,
    "text": 12.0,
}


# Helper columns a bursar need not see (grouped, hidden): tranche numbers, ranks.
HIDDEN_COLUMNS = ("tranche_no_", "ranked_before_", "previous_tranche_no_")

# A grid's tariffs and dues stay under 100 000 €: narrower, so two grids share a printed page.
_GRID_WIDTHS: dict[Kind, float] = {"money": 11.0}


def family_header(column: Column, grid_names: dict[int, str]) -> str:
    """The header a bursar reads: pupils per grid under the grid's name
    ("Élèves École"; "Élèves grille 1" in a blank workbook); a grid's result
    columns sit under a header naming the grid, so they drop the "G1"."""
    if column.grid is None:
        return column.header
    if column.template is None:
        name = grid_names.get(column.grid, "")
        return f"Élèves {name}" if name else f"Élèves grille {column.grid}"
    suffix = f" G{column.grid}"
    return column.header[: -len(suffix)] if column.header.endswith(suffix) else column.header


def _bands(groups: list[list[tuple[int, float]]], room: float) -> list[int]:
    """Vertical page breaks: groups of (column, points) packed into pages of
    ``room`` points, a group kept whole when it fits on a page."""
    breaks: list[int] = []
    used = 0.0
    for group in groups:
        width = sum(w for _c, w in group)
        if used and used + width > room:
            breaks.append(group[0][0])
            used = 0.0
        for col, w in group:
            if used and used + w > room:
                breaks.append(col)
                used = 0.0
            used += w
    return breaks


def write_families(
    ws: Worksheet, fmt: Formats, layout: Layout, s: Scenario, r: Results, cached: dict[str, object]
) -> None:
    ws.write_string(0, 0, "Familles : une ligne par famille (identifiant anonyme, pas de nom)", fmt.title)
    ws.set_row(0, textfit.row_height(1, TITLE_SIZE))
    head = layout.first_row - 1
    group = head - 1
    columns = layout.columns
    names = {g: grid.name for g, grid in enumerate(s.grids, start=1)}
    id_width = max([14.0] + [textfit.width_for(f.id) for f in s.families])
    widths: dict[int, float] = {}
    headers = []
    for c in columns:
        text = family_header(c, names)
        ws.write_string(head, c.col, text, fmt.header)
        width = (
            id_width
            if c.key == "id"
            else _WIDTHS[c.kind]
            if c.grid is None
            else _GRID_WIDTHS.get(c.kind, _WIDTHS[c.kind])
        )
        # Wide enough for the header's longest word, and for three lines at most.
        longest = max(textfit.width_for(word, bold=True) for word in text.split())
        width = max(width, longest, textfit.width_for(text, bold=True) / 3)
        hidden = c.key.startswith(HIDDEN_COLUMNS)
        widths[c.col] = width
        ws.set_column(c.col, c.col, width, None, {"hidden": hidden, "level": 1 if hidden else 0})
        if not hidden:
            headers.append((text, width, True, 10))
        if c.key.startswith("factor_g"):
            explain(ws, head, c.col, "Équivalent élèves payants", FACTOR_HELP)
    fit_row(ws, head, headers)
    # Group headers over the column blocks.
    inputs = layout.input_columns
    pupils = [c for c in inputs if c.key.startswith("pupils_g")]
    household = [c for c in inputs if c not in pupils]
    # The id column (repeated on every printed page) keeps its own group cell.
    ws.write_blank(group, household[0].col, None, fmt.header)
    ws.merge_range(group, household[1].col, group, household[-1].col, "Données de la famille", fmt.header)
    if len(pupils) > 1:
        ws.merge_range(group, pupils[0].col, group, pupils[-1].col, "Élèves inscrits", fmt.header)
    else:
        ws.write_string(group, pupils[0].col, "Élèves inscrits", fmt.header)
    common = [c for c in layout.formula_columns if c.grid is None]
    before = [c for c in common if c.col < min(cc.col for cc in layout.formula_columns if cc.grid is not None)]
    after = [c for c in common if c not in before]
    for block, text in ((before, "Revenu et indicateur"), (after, "Toutes grilles")):
        if len(block) > 1:
            ws.merge_range(group, block[0].col, group, block[-1].col, text, fmt.header)
        elif block:
            ws.write_string(group, block[0].col, text, fmt.header)
    for h, gl in zip(layout.family_headers, layout.grids):
        grid_cols = [c.col for c in columns if c.grid == gl.number and c.template is not None]
        ws.merge_range(group, min(grid_cols), group, max(grid_cols), "", fmt.header)
        assert h.formula is not None, h.key
        ws.write_formula(group, min(grid_cols), "=" + h.formula, fmt.header, cached[h.key])

    def span(cols: list[Column]) -> float:
        points = sum(textfit.column_points(widths[c.col]) for c in cols if not c.key.startswith(HIDDEN_COLUMNS))
        return (points / 0.75 - 5) / 7

    group_texts: list[tuple[object, float, bool, float]] = [
        ("Élèves inscrits", span(pupils), True, 10),
        ("Données de la famille", span(household[1:]), True, 10),
    ]
    group_texts += [
        (t, span(b), True, 10) for b, t in ((before, "Revenu et indicateur"), (after, "Toutes grilles")) if b
    ]
    group_texts += [
        (cached[h.key], span([c for c in columns if c.grid == gl.number and c.template is not None]), True, 10)
        for h, gl in zip(layout.family_headers, layout.grids)
    ]
    fit_row(ws, group, group_texts)

    values = column_values(layout, r)
    first = layout.first_row
    for i, fam in enumerate(s.families):
        row = family_row(fam)
        for c in inputs:
            write_value(ws, first + i, c.col, row[c.key], fmt.input(c.kind))
    n = len(s.families)
    for c in inputs:
        for i in range(n, layout.capacity):
            ws.write_blank(first + i, c.col, None, fmt.input(c.kind))
        validate_input(ws, (first, c.col, layout.last_row, c.col), c.kind, c.choices, c.help)
    for c in layout.formula_columns:
        f = fmt.computed(c.kind, c.key)
        col_values = values[c.key]
        for i in range(layout.capacity):
            excel_row = first + i + 1
            ws.write_formula(first + i, c.col, "=" + c.formula(excel_row), f, col_values[i] if i < n else "")
    ws.freeze_panes(first, 1)
    ws.autofilter(head, 0, layout.last_row, columns[-1].col)

    # Print: bands of columns (inputs, then results grid by grid), the id
    # column and the two header rows on every page, rows down to the last
    # family (a page of empty lines in a blank workbook).
    print_setup(ws, landscape=True, pages=None)
    ws.set_print_scale(FAMILIES_SCALE)
    shown = [c for c in columns if c.key != "id" and not c.key.startswith(HIDDEN_COLUMNS)]
    pts = {c.col: textfit.column_points(widths[c.col], widest=True) for c in shown}
    blocks: dict[str, list[tuple[int, float]]] = {}
    for c in shown:
        if c.template is None:
            key = "inputs"
        elif c.grid is not None:
            key = f"grid{c.grid}"
        else:
            key = "after" if c.col > first_grid_col(layout) else "before"
        blocks.setdefault(key, []).append((c.col, pts[c.col]))
    room = _PRINTABLE_LANDSCAPE_PT * 100 / FAMILIES_SCALE - textfit.column_points(id_width, widest=True) - 6
    ws.set_v_pagebreaks(_bands(list(blocks.values()), room))
    last_row = first + (n - 1 if n else min(BLANK_PRINT_ROWS, layout.capacity) - 1)
    ws.print_area(group, 0, last_row, columns[-1].col)
    ws.repeat_rows(group, head)
    ws.repeat_columns(0, 0)
    ws.protect(
        "",
        {
            "format_columns": True,
            "format_rows": True,
            "autofilter": True,
            "sort": False,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def first_grid_col(layout: Layout) -> int:
    return min(c.col for c in layout.formula_columns if c.grid is not None)


SUMMARY_WIDTHS = {"money": 13.0, "count": 9.5, "ratio": 10.0}
TOTAL_BLANKS = {
    "amplitude": "L'amplitude se lit grille par grille : les tarifs des grilles ne se comparent pas entre eux.",
    "top_share": "La part de la tranche la plus haute se lit grille par grille : chaque grille a ses tranches.",
    "families_without_notice": "Les familles sans avis se comptent grille par grille (une famille peut avoir "
    "des enfants dans plusieurs grilles) : voir la colonne « Avis d'imposition fourni » de Familles.",
}
TOTAL_NOTE = (
    "Total des familles : chaque famille compte une fois, même si elle a des enfants dans plusieurs grilles "
    "(il n'est donc pas la somme des lignes)."
)


def write_summary(wb: Workbook, ws: Worksheet, fmt: Formats, layout: Layout, cached: dict[str, object]) -> None:
    ws.write_string(0, 0, "Synthèse de la structure", fmt.title)
    ws.set_row(0, textfit.row_height(1, TITLE_SIZE))
    per_grid = [c for c in layout.summary if c.key.startswith("summary.grid1.")]
    names = [str(cached[c.key]) for c in layout.summary if c.key.endswith(".name")]
    widths = {0: max([16.0] + [textfit.width_for(n) for n in names])}
    for c in per_grid[1:]:
        widths[c.ref.col] = SUMMARY_WIDTHS[c.kind]
    for col, width in widths.items():
        ws.set_column(col, col, width)
    header_row = per_grid[0].ref.row - 1
    ws.write_string(header_row, 0, "Grille", fmt.header)
    headers = []
    for c in per_grid[1:]:
        text = SUMMARY_HEADERS[c.key.rsplit(".", 1)[1]]
        ws.write_string(header_row, c.ref.col, text, fmt.header)
        headers.append((text, widths[c.ref.col], True, 10))
    fit_row(ws, header_row, headers)
    totals = [c for c in layout.summary if c.key.startswith("total.")]
    total_row = totals[0].ref.row
    ws.write_string(total_row, 0, "Total", fmt.header)
    last_col = max(widths)
    for c in layout.summary:
        if c.ref.row > total_row:
            ws.merge_range(c.ref.row, 0, c.ref.row, c.ref.col - 1, c.label, fmt.label)
            fit_row(ws, c.ref.row, [(c.label, span_width(widths, 0, c.ref.col - 1), False, 10)])
        write_formula(ws, fmt, c, cached)
    # The Total row's blanks say why they are blank.
    for key, why in TOTAL_BLANKS.items():
        col = next(c.ref.col for c in per_grid if c.key.endswith("." + key))
        ws.write_string(total_row, col, "—", fmt.dash)
        explain(ws, total_row, col, "Pourquoi « — » ?", why)
    ws.merge_range(total_row + 1, 0, total_row + 1, last_col, TOTAL_NOTE, fmt.help)
    fit_row(ws, total_row + 1, [(TOTAL_NOTE, span_width(widths, 0, last_col), False, 10)])
    # Revenue against target, per grid.
    rev_col = next(c.ref.col for c in per_grid if c.key.endswith(".revenue"))
    tgt_col = next(c.ref.col for c in per_grid if c.key.endswith(".budget_target"))
    old_col = next(c.ref.col for c in per_grid if c.key.endswith(".old_revenue"))
    first, last = header_row + 1, header_row + layout.n_grids
    chart = wb.add_chart({"type": "column"})
    for col, name in ((rev_col, "Recettes"), (tgt_col, "Objectif"), (old_col, "Anciennes recettes")):
        chart.add_series(
            {
                "name": name,
                "categories": [SHEET_SUMMARY, first, 0, last, 0],
                "values": [SHEET_SUMMARY, first, col, last, col],
            }
        )
    chart.set_title({"name": "Recettes par grille", "name_font": {"size": 11}})
    chart.set_y_axis({"num_format": AXIS_EUR, "min": 0, "major_gridlines": {"visible": True}})
    chart_row = max(c.ref.row for c in layout.summary) + 2
    chart.set_size({"width": 640, "height": 300})
    ws.insert_chart(chart_row, 0, chart, {"object_position": 1})
    ws.print_area(0, 0, chart_row + 300 // textfit.DEFAULT_ROW_PX + 1, last_col)
    print_setup(ws, landscape=True, pages=(1, 1))
    protect(ws)


def write_report(ws: Worksheet, fmt: Formats, report: ReportSheet) -> None:
    ws.write_string(0, 0, report.title, fmt.title)
    if not report.rows:
        return
    widths = [
        max(len(str(r[i])) if i < len(r) and r[i] is not None else 0 for r in report.rows)
        for i in range(max(len(r) for r in report.rows))
    ]
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(max(width + 2, 10), 60))
    for col, text in enumerate(report.rows[0]):
        ws.write_string(2, col, str(text), fmt.header)
    for i, row in enumerate(report.rows[1:], start=3):
        for col, value in enumerate(row):
            write_value(ws, i, col, value, fmt.text)
    print_setup(ws, landscape=True)
    protect(ws)


def write_scale(ws: Worksheet, fmt: Formats, layout: Layout, cached: dict[str, object]) -> None:
    """Barème (layout version 3): the page of the financial rules, one A4
    portrait page, live formulas. Unused tranche lines show nothing (their
    formulas give "" and they carry no border or fill), and the page holds
    no word about the workbook itself."""
    per_row, last_col = scale_columns(layout.n_grids)
    ranges = [str(v) for k, v in cached.items() if k.startswith("scale.grid") and k.endswith(".range")]
    labels = [str(v) for k, v in cached.items() if k.startswith("scale.") and k.endswith((".label", ".tranche"))]
    # One table fills a portrait page's width; two side by side share it.
    words = labels + (["4e enfant et suivants", "Quotient familial"] if per_row == 1 else [])
    block = {
        0: max([22.0 if per_row == 1 else 11.0] + [textfit.width_for(t) for t in words]),
        1: max([42.0 if per_row == 1 else 31.0] + [textfit.width_for(t) for t in ranges]),
        2: max(24.0 if per_row == 1 else 14.0, textfit.width_for("999 999,99 €")),
    }
    widths = dict(block)
    if per_row == 2:
        widths[3] = 2.0
        widths.update({4 + c: w for c, w in block.items()})
    for col, width in widths.items():
        ws.set_column(col, col, width)
    full = span_width(widths, 0, last_col)
    heights: dict[int, float] = {}

    def need(row: int, points: float) -> None:
        heights[row] = max(heights.get(row, textfit.row_height(1)), points)

    def wrapped(row: int, text: object, width: float, bold: bool = False, size: float = 10) -> None:
        need(row, textfit.row_height(textfit.lines(str(text), width, size, bold), size))

    for t in layout.scale_texts:
        r, at = t.ref.row, t.ref.col
        if t.style == "title":
            ws.write_string(r, at, t.text, fmt.page_title)
            need(r, textfit.row_height(1, TITLE_SIZE) + 4)
        elif t.style == "subtitle":
            ws.write_string(r, at, t.text, fmt.page_subtitle)
            need(r, textfit.row_height(1, SUBTITLE_SIZE) + 6)
        elif t.style == "header":
            right = t.text.startswith("Montant")
            ws.write_string(r, at, t.text, fmt.page_header_right if right else fmt.page_header)
            wrapped(r, t.text, widths[at], bold=True)
        elif t.last_col is not None and at == 0:
            ws.merge_range(r, 0, r, last_col, t.text, fmt.page_text)
            wrapped(r, t.text, full)
        else:
            ws.write_string(r, at, t.text, fmt.page_text)
            wrapped(r, t.text, widths[at])
    # The parts rule "calculées" is the longest text the page may show.
    custom = SCALE_PARTS_CUSTOM_HEAD + "".join("0,25" + words for _k, words in SCALE_PARTS_CUSTOM)
    for c in layout.scale:
        assert c.formula is not None, c.key
        r, col, value = c.ref.row, c.ref.col, cached[c.key]
        formula = "=" + c.formula
        if c.key in SCALE_WIDE:
            cell_format = fmt.page_strong if c.key == "scale.structure" else fmt.page_text
            ws.merge_range(r, 0, r, last_col, "", cell_format)
            ws.write_formula(r, 0, formula, cell_format, value)
            size = SUBTITLE_SIZE if c.key == "scale.structure" else 10
            wrapped(r, custom if c.key == "scale.parts" else value, full, c.key == "scale.structure", size)
            continue
        if c.key.endswith(".title"):
            cell_format = fmt.page_grid_title
            need(r, textfit.row_height(1, SUBTITLE_SIZE) + 10)  # the space between two tables
        elif c.key.endswith(".head"):
            cell_format = fmt.page_header
            wrapped(r, "Quotient familial", widths[col], bold=True)
        elif c.kind in ("text", "label"):
            cell_format = fmt.page["text"] if c.kind == "text" else fmt.page["label"]
            wrapped(r, value, widths[col])
        else:
            cell_format = fmt.page[c.kind]
        ws.write_formula(r, col, formula, cell_format, value)
    for row, height in heights.items():
        ws.set_row(row, height)
    last_row = max([c.ref.row for c in layout.scale] + [t.ref.row for t in layout.scale_texts])
    ws.print_area(0, 0, last_row, last_col)
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=0.6, right=0.6, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.fit_to_pages(1, 1)
    protect(ws)


def write_scale_v2(ws: Worksheet, fmt: Formats, layout: Layout, cached: dict[str, object]) -> None:
    """Barème as layout versions 1 and 2 wrote it (to write a workbook of that version)."""
    ws.write_string(0, 0, "Barème des contributions des familles (règlement financier)", fmt.title)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 3, 24)
    rows = scale_rows(layout)
    for _title_row, header_row in rows.values():
        for col, text in enumerate(
            ("Tranche", "Indicateur à partir de", "jusqu'à (exclu)", "Montant annuel par élève")
        ):
            ws.write_string(header_row, col, text, fmt.header)
    for c in layout.scale:
        kind = c.kind
        f = fmt.subtitle if c.key.endswith(".title") else fmt.computed(kind)
        assert c.formula is not None, c.key
        ws.write_formula(c.ref.row, c.ref.col, "=" + c.formula, f, cached[c.key])
    ws.write_string(
        1,
        0,
        f"Une famille sans avis d'imposition paie la tranche la plus haute ({YES} / {NO} "
        "dans la colonne « Avis d'imposition fourni »).",
        fmt.help,
    )
    print_setup(ws)
    protect(ws)
