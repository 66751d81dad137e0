"""Write a workbook from the layout: inputs, live formulas with the model's
cached values, formats, validation, protection, charts, print set-up.

One small writer per sheet; ``write_workbook`` is the flat list of them. The
output is deterministic: the same scenario gives a byte-identical file.
"""

from __future__ import annotations

import datetime as _dt
import re
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
from workbook_engine.workbook.binding import family_row, grid_values, param_values
from workbook_engine.workbook.cached import column_values, scalar_values
from workbook_engine.workbook.layout import (
    NO,
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
    GridLayout,
    Kind,
    Layout,
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
INPUT_FILL = "#FFF2CC"  # pale yellow: the bursar types here
COMPUTED_FILL = "#F2F2F2"  # light grey: computed, locked
HEADER_FILL = "#DDEBF7"


# Functions of Excel 2007 that need no "_xlfn." prefix; the layout uses only these.
NATIVE_FUNCTIONS = frozenset(
    {"IF", "OR", "AND", "SUM", "ROUND", "MIN", "MAX", "MATCH", "INDEX", "COUNT", "COUNTIF", "COUNTIFS", "SUMIFS", "N"}
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
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.subtitle = self.wb.add_format({"bold": True, "font_size": 12})
        self.header = self.wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "border": 1, "bg_color": HEADER_FILL}
        )
        self.label = self.wb.add_format({})
        self.help = self.wb.add_format({"italic": True, "font_color": "#595959"})
        self.text = self.wb.add_format({"text_wrap": True, "valign": "top"})
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
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
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
    for ws, gl in zip(grid_ws, layout.grids):
        write_grid(wb, ws, fmt, layout, gl, inputs, cached)
    write_families(fam_ws, fmt, layout, s, r, cached)
    write_summary(wb, summary_ws, fmt, layout, cached)
    write_scale(scale_ws, fmt, layout, cached)
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


def print_setup(ws: Worksheet, landscape: bool = False) -> None:
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_footer("&L&A&RPage &P / &N")


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


def write_help(ws: Worksheet, fmt: Formats, layout: Layout) -> None:
    ws.set_column(0, 0, 110)
    styles = {
        "title": fmt.title,
        "subtitle": fmt.subtitle,
        "input": fmt.input("text"),
        "computed": fmt.computed("text"),
        "": fmt.text,
    }
    for row, (style, text) in enumerate(HELP_LINES):
        write_value(ws, row, 0, text, styles[style])
    ws.write_string(
        len(HELP_LINES) + 1,
        0,
        f"Ce classeur compte {layout.n_grids} grille(s) et de la place pour {layout.capacity} familles.",
        fmt.help,
    )
    print_setup(ws)
    protect(ws)


def write_params(ws: Worksheet, fmt: Formats, layout: Layout, inputs: dict[str, object]) -> None:
    ws.write_string(0, 0, "Paramètres de la tarification", fmt.title)
    ws.set_column(0, 0, 42)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 80)
    sections = {"rate_2": "Réductions pour les frères et sœurs", "cp_adult": "Parts calculées par l'établissement"}
    for cell in layout.params:
        if cell.key in sections:
            ws.write_string(cell.ref.row - 1, 0, sections[cell.key], fmt.subtitle)
        ws.write_string(cell.ref.row, 0, cell.label, fmt.label)
        write_input(ws, fmt, cell, inputs[cell.key])
        ws.write_string(cell.ref.row, 2, cell.help, fmt.help)
        r, c = cell.ref.row, cell.ref.col
        validate_input(ws, (r, c, r, c), cell.kind, cell.choices, cell.help)
    print_setup(ws)
    protect(ws)


def write_grid(
    wb: Workbook,
    ws: Worksheet,
    fmt: Formats,
    layout: Layout,
    gl: GridLayout,
    inputs: dict[str, object],
    cached: dict[str, object],
) -> None:
    ws.write_string(0, 0, f"{gl.sheet} : tranches et résultats", fmt.title)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 6, 15)
    for cell in (gl.name, gl.old_tariff, gl.budget_target):
        ws.write_string(cell.ref.row, 0, cell.label, fmt.label)
        write_input(ws, fmt, cell, inputs[cell.key])
        ws.write_string(cell.ref.row, 2, cell.help, fmt.help)
        row, col = cell.ref.row, cell.ref.col
        validate_input(ws, (row, col, row, col), cell.kind, None, cell.help)
    first = gl.slots[0]
    for attr in ("label", "lower", "upper", "amount", "families", "pupils", "revenue"):
        c = getattr(first, attr)
        ws.write_string(gl.header_row, c.ref.col, c.label, fmt.header)
    for slot in gl.slots:
        for c in (slot.label, slot.lower, slot.amount):
            write_input(ws, fmt, c, inputs[c.key])
        for c in (slot.upper, slot.families, slot.pupils, slot.revenue):
            write_formula(ws, fmt, c, cached)
    last = gl.slots[-1]
    for attr in ("lower", "amount"):
        top, bottom = getattr(first, attr).ref, getattr(last, attr).ref
        validate_input(
            ws,
            (top.row, top.col, bottom.row, bottom.col),
            "money",
            None,
            "Borne inférieure de l'indicateur (0 pour la première tranche, puis croissante)."
            if attr == "lower"
            else "Montant annuel par élève, avant réduction fratrie.",
        )
    ws.write_string(gl.totals[0].ref.row, 0, "Total", fmt.header)
    for c in gl.totals:
        write_formula(ws, fmt, c, cached)
    for c in gl.summary:
        ws.write_string(c.ref.row, 0, c.label, fmt.label)
        write_formula(ws, fmt, c, cached)
    ws.freeze_panes(gl.header_row + 1, 0)
    add_grid_charts(wb, ws, gl)
    print_setup(ws, landscape=True)
    protect(ws)


def add_grid_charts(wb: Workbook, ws: Worksheet, gl: GridLayout) -> None:
    """Families per tranche, and revenue against target and old revenue."""
    sheet = gl.sheet
    first, last = gl.slots[0], gl.slots[-1]
    cats = [sheet, first.label.ref.row, first.label.ref.col, last.label.ref.row, last.label.ref.col]
    fam = wb.add_chart({"type": "column"})
    fam.add_series(
        {
            "name": "Familles",
            "categories": cats,
            "values": [
                sheet,
                first.families.ref.row,
                first.families.ref.col,
                last.families.ref.row,
                last.families.ref.col,
            ],
            "data_labels": {"value": True},
        }
    )
    fam.set_title({"name": "Familles par tranche"})
    fam.set_legend({"none": True})
    fam.set_x_axis({"name": "Tranche"})
    fam.set_y_axis({"name": "Familles", "major_gridlines": {"visible": True}})
    ws.insert_chart(gl.header_row, 8, fam, {"x_scale": 1.1, "y_scale": 1.0})

    rev = wb.add_chart({"type": "bar"})
    top = gl.summary[0].ref  # revenue, target, old revenue: three lines in a row
    rev.add_series(
        {
            "name": "Montant annuel",
            "categories": [sheet, top.row, 0, top.row + 2, 0],
            "values": [sheet, top.row, 1, top.row + 2, 1],
            "data_labels": {"value": True, "num_format": '#,##0 "€"'},
        }
    )
    rev.set_title({"name": "Recettes, objectif et ancien tarif"})
    rev.set_legend({"none": True})
    rev.set_x_axis({"num_format": '#,##0 "€"', "min": 0})
    ws.insert_chart(gl.header_row + 16, 8, rev, {"x_scale": 1.1, "y_scale": 0.8})


def write_families(
    ws: Worksheet, fmt: Formats, layout: Layout, s: Scenario, r: Results, cached: dict[str, object]
) -> None:
    ws.write_string(0, 0, "Familles : une ligne par famille (identifiant anonyme, pas de nom)", fmt.title)
    head = layout.first_row - 1
    group = head - 1
    columns = layout.columns
    for c in columns:
        ws.write_string(head, c.col, c.header, fmt.header)
        width = 12 if c.template is None else 11
        hidden = c.key.startswith(("tranche_no_", "ranked_before_"))
        ws.set_column(c.col, c.col, width, None, {"hidden": hidden, "level": 1 if hidden else 0})
    ws.set_column(0, 0, 16)
    ws.set_row(head, 60)
    # Group headers over the column blocks.
    inputs = layout.input_columns
    pupils = [c for c in inputs if c.key.startswith("pupils_g")]
    household = [c for c in inputs if c not in pupils]
    ws.merge_range(group, household[0].col, group, household[-1].col, "Données de la famille", fmt.header)
    if len(pupils) > 1:
        ws.merge_range(group, pupils[0].col, group, pupils[-1].col, "Élèves inscrits", fmt.header)
    else:
        ws.write_string(group, pupils[0].col, "Élèves inscrits", fmt.header)
    for h, gl in zip(layout.family_headers, layout.grids):
        grid_cols = [c.col for c in columns if c.grid == gl.number and c.template is not None]
        ws.merge_range(group, min(grid_cols), group, max(grid_cols), "", fmt.header)
        assert h.formula is not None, h.key
        ws.write_formula(group, min(grid_cols), "=" + h.formula, fmt.header, cached[h.key])

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
    print_setup(ws, landscape=True)
    ws.repeat_rows(group, head)
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


def write_summary(wb: Workbook, ws: Worksheet, fmt: Formats, layout: Layout, cached: dict[str, object]) -> None:
    ws.write_string(0, 0, "Synthèse de la structure", fmt.title)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 10, 14)
    per_grid = [c for c in layout.summary if c.key.startswith("summary.grid1.")]
    header_row = per_grid[0].ref.row - 1
    ws.write_string(header_row, 0, "Grille", fmt.header)
    for c in per_grid[1:]:
        ws.write_string(header_row, c.ref.col, SUMMARY_HEADERS[c.key.rsplit(".", 1)[1]], fmt.header)
    totals = [c for c in layout.summary if c.key.startswith("total.")]
    total_row = totals[0].ref.row
    ws.write_string(total_row, 0, "Total", fmt.header)
    for c in layout.summary:
        if c.ref.row > total_row:
            ws.write_string(c.ref.row, 0, c.label, fmt.label)
        write_formula(ws, fmt, c, cached)
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
    chart.set_title({"name": "Recettes par grille"})
    chart.set_y_axis({"num_format": '#,##0 "€"', "major_gridlines": {"visible": True}})
    ws.insert_chart(total_row + 6, 0, chart, {"x_scale": 1.4})
    print_setup(ws, landscape=True)
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
