"""The workbook layout: the one place that knows where every cell is.

``build_layout(n_grids)`` describes a whole workbook: its sheets, every input
cell (with the scenario field it holds), every formula (as text, in the file's
own English syntax), every defined name. The writer, the reader, the checker
and the evaluator all derive from this description; no other module types a
cell address.

Sheets, in order: ``Mode d'emploi``, ``Paramètres``, ``Grille 1`` ...
``Grille N``, ``Familles``, ``Synthèse``, ``Barème``.

Formulas are built from templates whose ``{key}`` placeholders name other
layout cells. Family-row templates keep a ``{r}`` placeholder for the row
number, so each family column is one formula in relative (R1C1) terms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, ValuesView
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Protocol, cast

from workbook_engine.evaluator.openpyxl_parts import xlsxwriter_utility
from workbook_engine.evaluator.refs import Ref as Ref  # re-exported: the layout's cells are Refs
from workbook_engine.model.domain import FAMILY_INPUTS, Indicator, PartsPolicy, SiblingScope
from workbook_engine.model.money import FACTOR_DIGITS, INDICATOR_DIGITS

# XlsxWriter's reference helpers, without loading the whole writer (start-up: see openpyxl_parts).
quote_sheetname = xlsxwriter_utility().quote_sheetname
xl_col_to_name = xlsxwriter_utility().xl_col_to_name
xl_rowcol_to_cell = xlsxwriter_utility().xl_rowcol_to_cell

Kind = Literal["text", "money", "number", "parts", "integer", "rate", "ratio", "count", "choice", "label"]


class Choices(Protocol):
    """A choice cell's words: scenario value (a code, or a flag) -> workbook
    text, such as ``INDICATOR_TEXT``; the writer offers the words."""

    def values(self) -> ValuesView[str]: ...


# Workbook words for the scenario's codes (the bursar sees French).
YES, NO = "oui", "non"
INDICATOR_TEXT: dict[Indicator, str] = {"qf": "QF", "rfr": "RFR"}
PARTS_POLICY_TEXT: dict[PartsPolicy, str] = {"fiscal": "fiscales", "custom": "calculées"}
SCOPE_TEXT: dict[SiblingScope, str] = {"structure": "structure", "network": "réseau"}
BOOL_TEXT: dict[bool, str] = {True: YES, False: NO}
SCALE_INDICATOR_TEXT: dict[Indicator, str] = {
    "qf": "Indicateur : quotient familial = revenu fiscal de référence / nombre de parts",
    "rfr": "Indicateur : revenu fiscal de référence (RFR) de l'avis d'imposition",
}

SHEET_HELP = "Mode d'emploi"
SHEET_PARAMS = "Paramètres"
SHEET_FAMILIES = "Familles"
SHEET_SUMMARY = "Synthèse"
SHEET_SCALE = "Barème"

DEFAULT_SLOTS = 10
DEFAULT_CAPACITY = 2000

# The stamp: which layout (and which version of it) a workbook was generated
# with, and the sizes it was generated at. It is a defined name holding a text
# constant (spreadsheets keep names through every edit) and a custom document
# property. Version 1 workbooks (no stamp) are still read: see ``placement``.
LAYOUT_ID = "workbook_engine"
LAYOUT_VERSION = 3
STAMP_NAME = "WE_MODELE"
STAMP_PROPERTY = "workbook_engine"


def stamp_text(n_grids: int, n_slots: int, capacity: int, version: int = LAYOUT_VERSION) -> str:
    """ "workbook_engine/3/3/10/2000": layout, version, grids, tranche lines, family rows."""
    return f"{LAYOUT_ID}/{version}/{n_grids}/{n_slots}/{capacity}"


# Defined names of the inputs and of the family columns, beyond the SPEC's
# (each key's name; ``{g}`` is the grid number). Every cell the engine reads or
# checks is reachable by a name, so rows and columns may be inserted, deleted
# or moved and sheets renamed: spreadsheets move the names with the cells.
PARAM_NAMES = {
    "structure": "PARAM_STRUCTURE",
    "year": "PARAM_ANNEE",
    "indicator": "PARAM_INDICATEUR",
    "include_caf_aid": "PARAM_AIDE_CAF",
    "parts_policy": "PARAM_PARTS",
    "sibling_scope": "PARAM_RANG",
    "rate_2": "PARAM_REDUCTION_2",
    "rate_3": "PARAM_REDUCTION_3",
    "rate_4": "PARAM_REDUCTION_4",
    "cp_adult": "PARAM_PARTS_ADULTE",
    "cp_child_1": "PARAM_PARTS_ENFANT_1",
    "cp_child_2": "PARAM_PARTS_ENFANT_2",
    "cp_child_3_plus": "PARAM_PARTS_ENFANT_3_ET_PLUS",
    "cp_single_parent_bonus": "PARAM_PARTS_PARENT_ISOLE",
    "cp_other_dependent": "PARAM_PARTS_AUTRE_CHARGE",
}
FAMILY_COLUMN_NAMES = {
    "id": "ID_FAMILLE",
    "rfr_1": "FAM_RFR_1",
    "rfr_2": "FAM_RFR_2",
    "caf_aid": "FAM_AIDE_CAF",
    "parts": "FAM_PARTS",
    "adults": "FAM_ADULTES",
    "children": "FAM_ENFANTS",
    "other_dependents": "FAM_AUTRES_CHARGES",
    "notice": "FAM_AVIS",
    "other_enrolled": "FAM_AUTRES_ETABLISSEMENTS",
    "pupils_g{g}": "FAM_ELEVES_G{g}",
    "income": "FAM_REVENU",
    "parts_used": "FAM_PARTS_RETENUES",
    "indicator": "FAM_INDICATEUR",
    "tranche_no_g{g}": "FAM_NUM_TRANCHE_G{g}",
    "tranche_g{g}": "FAM_TRANCHE_G{g}",
    "amount_g{g}": "FAM_TARIF_G{g}",
    "ranked_before_g{g}": "FAM_RANG_G{g}",
    "ranked_before_amount_g{g}": "FAM_RANG_TARIF_G{g}",
    "factor_g{g}": "FAM_ELEVES_PAYANTS_G{g}",
    "due_g{g}": "DU_FAMILLE_G{g}",
    "old_due_g{g}": "FAM_ANCIEN_DU_G{g}",
    "previous_tranche_no_g{g}": "FAM_NUM_TRANCHE_PRECEDENTE_G{g}",
    "previous_tranche_g{g}": "FAM_TRANCHE_PRECEDENTE_G{g}",
    "previous_due_g{g}": "DU_PRECEDENT_G{g}",
    "total_due": "DU_FAMILLE",
    "old_due": "FAM_ANCIEN_TOTAL",
    "change": "FAM_EVOLUTION",
    "previous_total": "FAM_TOTAL_PRECEDENT",
    "change_vs_previous": "FAM_EVOLUTION_PRECEDENTE",
    "effort": "FAM_EFFORT",
}
# Per-tranche columns of a grid sheet (one cell per tranche line).
SLOT_COLUMN_NAMES = {
    "label": "LIBELLE_TRANCHE_G{g}",
    "lower": "BORNE_TRANCHE_G{g}",
    "upper": "BORNE_SUP_TRANCHE_G{g}",
    "amount": "MONTANT_TRANCHE_G{g}",
    "families": "FAMILLES_TRANCHE_G{g}",
    "pupils": "ELEVES_TRANCHE_G{g}",
    "revenue": "RECETTES_TRANCHE_G{g}",
}
SLOT_ATTRS = tuple(SLOT_COLUMN_NAMES)
# Last year's brackets (layout version 3), beside the tranche table: inputs only.
PREVIOUS_SLOT_COLUMN_NAMES = {
    "label": "LIBELLE_PRECEDENT_G{g}",
    "lower": "BORNE_PRECEDENTE_G{g}",
    "amount": "MONTANT_PRECEDENT_G{g}",
}
PREVIOUS_SLOT_ATTRS = tuple(PREVIOUS_SLOT_COLUMN_NAMES)
PREVIOUS_TITLE = "Barème de l'an dernier"
PREVIOUS_HELP = (
    "Facultatif : les tranches de l'an dernier (rempli par « rollover »), pour comparer ce que chaque "
    "famille aurait payé avec l'ancien barème."
)


def column_name(key: str) -> str:
    """The defined name of a family column (its key: "rfr_1", "due_g2"...)."""
    stem, _, g = key.rpartition("_g")
    if stem and g.isdigit():
        return FAMILY_COLUMN_NAMES[stem + "_g{g}"].format(g=g)
    return FAMILY_COLUMN_NAMES[key]


def result_key(key: str) -> str:
    """The model's results column a family column shows: its own, except
    the hidden tariffs of the rank (version 3), which repeat a grid's tariff."""
    return "amount_g" + key.rpartition("_g")[2] if key.startswith("ranked_before_amount_g") else key


def grid_sheet(g: int) -> str:
    return f"Grille {g}"


def is_choice(ref: str, word: str, version: int = LAYOUT_VERSION) -> str:
    """A formula test of a choice cell that a stray space cannot flip: the
    comparison ignores case (as every spreadsheet's does) and TRIM drops
    leading, trailing and doubled spaces. (Version 1 compared the cell as it
    was: "non " was not "non".)"""
    return f'TRIM({ref})="{word}"' if version >= 2 else f'{ref}="{word}"'


@dataclass(frozen=True)
class Block:
    """A rectangle of cells (0-based, inclusive), the target of a defined name."""

    sheet: str
    r0: int
    c0: int
    r1: int
    c1: int

    @property
    def absolute(self) -> str:
        """'Grille 1'!$B$8:$B$17, or 'Grille 1'!$B$3 for one cell."""
        first = xl_rowcol_to_cell(self.r0, self.c0, True, True)
        if (self.r0, self.c0) == (self.r1, self.c1):
            return f"{quote_sheetname(self.sheet)}!{first}"
        return f"{quote_sheetname(self.sheet)}!{first}:{xl_rowcol_to_cell(self.r1, self.c1, True, True)}"

    @property
    def rows(self) -> int:
        return self.r1 - self.r0 + 1


@dataclass(frozen=True)
class Cell:
    """A scalar cell: an input (``formula`` is None) or a computed figure."""

    key: str
    ref: Ref
    label: str
    kind: Kind
    formula: str | None = None
    name: str | None = None
    choices: Choices | None = None  # scenario value -> workbook text
    help: str = ""


@dataclass(frozen=True)
class Column:
    """One column of the family table (rows ``first_row``..``last_row``)."""

    key: str
    col: int
    header: str
    kind: Kind
    template: str | None = None  # formula with a {r} row placeholder; None = input
    grid: int | None = None
    name: str | None = None
    choices: Choices | None = None
    help: str = ""

    @property
    def letter(self) -> str:
        return cast(str, xl_col_to_name(self.col))  # xlsxwriter is untyped

    def formula(self, excel_row: int) -> str:
        assert self.template is not None
        return self.template.replace("{r}", str(excel_row))


@dataclass(frozen=True)
class Slot:
    """One tranche line of a grid sheet: three inputs and four formulas."""

    number: int
    label: Cell
    lower: Cell
    upper: Cell
    amount: Cell
    families: Cell
    pupils: Cell
    revenue: Cell


@dataclass(frozen=True)
class PreviousSlot:
    """One line of last year's brackets on a grid sheet: three inputs."""

    number: int
    label: Cell
    lower: Cell
    amount: Cell


@dataclass(frozen=True)
class GridLayout:
    number: int
    sheet: str
    name: Cell
    old_tariff: Cell
    budget_target: Cell
    slots: tuple[Slot, ...]
    totals: tuple[Cell, ...]  # families, pupils, revenue of the tranche table
    summary: tuple[Cell, ...]  # revenue, target, old revenue, gap, ... (see grid_summary)
    header_row: int
    previous: tuple[PreviousSlot, ...] = ()  # last year's brackets (version 3)

    @property
    def inputs(self) -> tuple[Cell, ...]:
        return (
            (self.name, self.old_tariff, self.budget_target)
            + tuple(c for s in self.slots for c in (s.label, s.lower, s.amount))
            + tuple(c for s in self.previous for c in (s.label, s.lower, s.amount))
        )

    def previous_range(self, attr: str) -> str:
        """Absolute range of one column of last year's brackets."""
        first, last = getattr(self.previous[0], attr).ref, getattr(self.previous[-1], attr).ref
        return (
            f"{quote_sheetname(self.sheet)}!{xl_rowcol_to_cell(first.row, first.col, True, True)}:"
            f"{xl_rowcol_to_cell(last.row, last.col, True, True)}"
        )

    def summary_cell(self, key: str) -> Cell:
        return next(c for c in self.summary if c.key.endswith("." + key))

    def column_range(self, attr: str) -> str:
        """Absolute range of one slot column, e.g. the lower bounds."""
        first, last = getattr(self.slots[0], attr).ref, getattr(self.slots[-1], attr).ref
        return (
            f"{quote_sheetname(self.sheet)}!{xl_rowcol_to_cell(first.row, first.col, True, True)}:"
            f"{xl_rowcol_to_cell(last.row, last.col, True, True)}"
        )


@dataclass(frozen=True)
class ScaleText:
    """A fixed text of the Barème (a title, a rule in words), where it goes
    and how wide it runs (``last_col``: the text is merged up to that column)."""

    ref: Ref
    text: str
    style: Literal["title", "subtitle", "header", "text"]
    last_col: int | None = None


@dataclass(frozen=True)
class Layout:
    n_grids: int
    n_slots: int
    capacity: int
    params: tuple[Cell, ...]
    grids: tuple[GridLayout, ...]
    columns: tuple[Column, ...]
    first_row: int  # 0-based row of the first family
    summary: tuple[Cell, ...]  # Synthèse: per-grid lines and totals
    scale: tuple[Cell, ...]  # Barème: printable bracket tables
    family_headers: tuple[Cell, ...] = field(default=())
    scale_texts: tuple[ScaleText, ...] = field(default=())  # Barème's fixed words (version 3)
    families_sheet: str = SHEET_FAMILIES  # where the family table is (a bursar may rename the sheet)
    version: int = LAYOUT_VERSION

    # -- family table ------------------------------------------------------
    @property
    def last_row(self) -> int:
        return self.first_row + self.capacity - 1

    @cached_property
    def column(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    def column_range(self, key: str) -> str:
        c = self.column[key]
        return Block(self.families_sheet, self.first_row, c.col, self.last_row, c.col).absolute

    def family_ref(self, row: int, key: str) -> Ref:
        """The cell of one family column in one (0-based) row."""
        return Ref(self.families_sheet, row, self.column[key].col)

    @property
    def input_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.template is None)

    @property
    def formula_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.template is not None)

    # -- every cell ----------------------------------------------------------
    @cached_property
    def param(self) -> dict[str, Cell]:
        return {c.key: c for c in self.params}

    def scalar_cells(self) -> Iterator[Cell]:
        """Every scalar cell (inputs and formulas) outside the family rows."""
        yield from self.params
        for g in self.grids:
            yield from (g.name, g.old_tariff, g.budget_target)
            for s in g.slots:
                yield from (s.label, s.lower, s.upper, s.amount, s.families, s.pupils, s.revenue)
            for p in g.previous:
                yield from (p.label, p.lower, p.amount)
            yield from g.totals
            yield from g.summary
        yield from self.family_headers
        yield from self.summary
        yield from self.scale

    def formula_cells(self) -> Iterator[Cell]:
        return (c for c in self.scalar_cells() if c.formula is not None)

    @cached_property
    def blocks(self) -> dict[str, Block]:
        """Every defined name of the workbook -> the cells it names: the SPEC's
        names, one per input cell, per family column and per tranche column,
        and anchors for the display sheets (Synthèse's grid lines, each
        Barème table). Readers find cells through these (``placement``)."""
        out: dict[str, Block] = {}
        for c in self.scalar_cells():
            if c.name:
                out[c.name] = Block(c.ref.sheet, c.ref.row, c.ref.col, c.ref.row, c.ref.col)
        for gl in self.grids:
            for attr, name in SLOT_COLUMN_NAMES.items():
                first, last = getattr(gl.slots[0], attr).ref, getattr(gl.slots[-1], attr).ref
                out[name.format(g=gl.number)] = Block(gl.sheet, first.row, first.col, last.row, last.col)
            for attr, name in PREVIOUS_SLOT_COLUMN_NAMES.items() if gl.previous else ():
                first, last = getattr(gl.previous[0], attr).ref, getattr(gl.previous[-1], attr).ref
                out[name.format(g=gl.number)] = Block(gl.sheet, first.row, first.col, last.row, last.col)
            table = [c.ref for c in self.scale if c.key.startswith(f"scale.grid{gl.number}.slot")]
            out[f"BAREME_G{gl.number}"] = Block(
                table[0].sheet, table[0].row, table[0].col, table[-1].row, table[-1].col
            )
        for column in self.columns:
            if column.name:
                out[column.name] = Block(self.families_sheet, self.first_row, column.col, self.last_row, column.col)
        lines = [c.ref for c in self.summary if c.key.startswith("summary.grid") and c.key.endswith(".name")]
        out["SYNTHESE_GRILLES"] = Block(lines[0].sheet, lines[0].row, lines[0].col, lines[-1].row, lines[-1].col)
        return dict(sorted(out.items()))

    @cached_property
    def defined_names(self) -> dict[str, str]:
        """Every defined name -> its absolute reference (``blocks`` as text)."""
        return {name: block.absolute for name, block in self.blocks.items()}

    @property
    def stamp(self) -> str:
        return stamp_text(self.n_grids, self.n_slots, self.capacity, self.version)


# ---------------------------------------------------------------------------
# Building the description
# ---------------------------------------------------------------------------


def _render(template: str, refs: dict[str, str]) -> str:
    """Fill ``{key}`` placeholders, keeping ``{r}`` for the family row."""
    return template.format(r="{r}", **refs)


def _param_cells() -> tuple[Cell, ...]:
    """Paramètres: label in column A, value in B, help in C; one row each."""
    rows: list[tuple[str, str, Kind, Choices | None, str] | None] = [
        ("structure", "Structure (OGEC)", "text", None, "Nom de l'OGEC ou de l'établissement."),
        ("year", "Année scolaire", "text", None, "Par exemple 2026-2027."),
        (
            "indicator",
            "Indicateur de revenu",
            "choice",
            INDICATOR_TEXT,
            "QF = quotient familial (revenu / nombre de parts) ; RFR = revenu fiscal de référence.",
        ),
        (
            "include_caf_aid",
            "Ajouter l'aide CAF au revenu",
            "choice",
            BOOL_TEXT,
            "oui : l'aide CAF annuelle de la famille s'ajoute à son revenu.",
        ),
        (
            "parts_policy",
            "Nombre de parts",
            "choice",
            PARTS_POLICY_TEXT,
            "fiscales : les parts de l'avis d'imposition ; calculées : selon les coefficients ci-dessous.",
        ),
        (
            "sibling_scope",
            "Rang des enfants",
            "choice",
            SCOPE_TEXT,
            "structure : rang parmi les enfants inscrits dans ce classeur ; réseau : les enfants "
            "scolarisés dans d'autres établissements catholiques prennent les premiers rangs.",
        ),
        None,
        ("rate_2", "Réduction 2e enfant", "rate", None, "Entre 0 % et 100 %."),
        ("rate_3", "Réduction 3e enfant", "rate", None, "Entre 0 % et 100 %."),
        ("rate_4", "Réduction 4e enfant et suivants", "rate", None, "Entre 0 % et 100 %."),
        None,
        ("cp_adult", "Parts par adulte", "parts", None, "Utilisé quand les parts sont « calculées »."),
        ("cp_child_1", "Parts pour le 1er enfant", "parts", None, ""),
        ("cp_child_2", "Parts pour le 2e enfant", "parts", None, ""),
        ("cp_child_3_plus", "Parts par enfant à partir du 3e", "parts", None, ""),
        ("cp_single_parent_bonus", "Bonus parent isolé", "parts", None, "Un adulte et au moins un enfant."),
        ("cp_other_dependent", "Parts par autre personne à charge", "parts", None, ""),
    ]
    cells, row = [], 2
    for spec in rows:
        if spec is not None:
            key, label, kind, choices, help_ = spec
            cells.append(
                Cell(key, Ref(SHEET_PARAMS, row, 1), label, kind, name=PARAM_NAMES[key], choices=choices, help=help_)
            )
        row += 1
    return tuple(cells)


# Family input columns, by key: header, kind, choices, help. Their order is
# FAMILY_INPUTS' (the families CSV's).
_FAMILY_INPUTS: dict[str, tuple[str, Kind, Choices | None, str]] = {
    "id": ("Identifiant famille", "text", None, "Code anonyme, unique (pas de nom)."),
    "rfr_1": ("RFR déclarant 1", "money", None, "Revenu fiscal de référence de l'avis."),
    "rfr_2": ("RFR déclarant 2", "money", None, "Si les parents déclarent séparément (vide = 0)."),
    "caf_aid": ("Aide CAF annuelle", "money", None, "Prise en compte si le paramètre le demande."),
    "parts": ("Parts fiscales", "parts", None, "Nombre de parts de l'avis."),
    "adults": ("Adultes", "integer", None, "1 ou 2."),
    "children": ("Enfants à charge", "integer", None, ""),
    "other_dependents": ("Autres personnes à charge", "integer", None, ""),
    "notice": ("Avis d'imposition fourni", "choice", BOOL_TEXT, "non : la famille paie la tranche la plus haute."),
    "other_enrolled": (
        "Enfants dans d'autres établissements catholiques",
        "integer",
        None,
        "Utilisé quand le rang des enfants est « réseau ».",
    ),
}


# One family column: (key, header, kind, template, grid, choices, help).
ColumnSpec = tuple[str, str, Kind, str | None, int | None, Choices | None, str]


def _column_specs(n_grids: int, version: int) -> list[ColumnSpec]:
    """The family table, left to right: inputs, pupils per grid, then results.
    Each spec: (key, header, kind, template, grid, choices, help)."""
    specs: list[ColumnSpec] = []
    for key in FAMILY_INPUTS:
        header, kind, choices, help_ = _FAMILY_INPUTS[key]
        specs.append((key, header, kind, None, None, choices, help_))
    for g in range(1, n_grids + 1):
        specs.append((f"pupils_g{g}", f"Élèves grille {g}", "integer", None, g, None, "Nombre d'enfants inscrits."))
    for key, header, kind, template, grid in _family_formulas(n_grids, version):
        stem = key.rpartition("_g")[0]
        if grid is not None and stem in RESULT_HEADERS:
            header = RESULT_HEADERS[stem].format(g=grid)
        specs.append((key, header, kind, template, grid, None, ""))
    return specs


# Headers of result columns, where a clearer word than the formulas' own was
# chosen (presentation only: nothing reads a header). "Élèves payants" read
# as a count of pupils; it is the number of full tariffs the family pays.
RESULT_HEADERS = {"factor": "Équivalent élèves payants G{g}"}


def _family_columns(specs: list[ColumnSpec], refs: dict[str, str]) -> tuple[Column, ...]:
    refs = dict(refs)
    refs.update({key: f"{xl_col_to_name(i)}{{r}}" for i, (key, *_rest) in enumerate(specs)})
    columns = []
    for i, (key, header, kind, template, g, choices, help_) in enumerate(specs):
        rendered = None if template is None else _render(template, refs)
        columns.append(Column(key, i, header, kind, rendered, g, column_name(key), choices, help_))
    return tuple(columns)


def _family_formulas(n: int, version: int) -> list[tuple[str, str, Kind, str, int | None]]:
    """Result columns of a family row, as templates over the row's cells
    (``{key}``: a family column of the row; ``{P_key}``: a parameter;
    ``{gN_...}``: a range of grid N)."""
    blank = 'IF({id}="","",'
    no_notice = is_choice("{notice}", NO, version)
    indicator = f"IF({is_choice('{P_indicator}', INDICATOR_TEXT['rfr'], version)},{{income}},{{income}}/{{parts_used}})"
    if version >= 3:
        # Rounded to the cent: a quotient or sum that is a bracket bound in decimal
        # (2700/2.7, 7999.70+0.40) must be the bound in binary too, or Excel's MATCH
        # (binary) and LibreOffice's (forgiving noise) pick different brackets.
        indicator = f"ROUND({indicator},{INDICATOR_DIGITS})"
    out: list[tuple[str, str, Kind, str, int | None]] = [
        (
            "income",
            "Revenu retenu",
            "money",
            f'IF(OR({{id}}="",{no_notice}),"",{{rfr_1}}+{{rfr_2}}+'
            f"IF({is_choice('{P_include_caf_aid}', YES, version)},{{caf_aid}},0))",
            None,
        ),
        (
            "parts_used",
            "Parts retenues",
            "parts",
            blank
            + f'IF({is_choice("{P_parts_policy}", PARTS_POLICY_TEXT["fiscal"], version)},IF({{parts}}="","",{{parts}}),'
            "{adults}*{P_cp_adult}+MIN(N({children}),1)*{P_cp_child_1}+({children}>=2)*{P_cp_child_2}"
            "+MAX({children}-2,0)*{P_cp_child_3_plus}+({adults}=1)*({children}>=1)*{P_cp_single_parent_bonus}"
            "+{other_dependents}*{P_cp_other_dependent}))",
            None,
        ),
        (
            "indicator",
            "Indicateur",
            "money",
            f'IF(OR({{id}}="",{no_notice}),"",{indicator})',
            None,
        ),
    ]
    for g in range(1, n + 1):
        scope = f"IF({is_choice('{P_sibling_scope}', SCOPE_TEXT['network'], version)},{{other_enrolled}},0)"
        before = scope + "".join("+" + o for o in _ranked_before_terms(g, n, version))

        def d(n_: str) -> str:
            return f"{{P_rate_2}}*({n_}>=2)+{{P_rate_3}}*({n_}>=3)+{{P_rate_4}}*MAX({n_}-3,0)"

        b, p = f"{{ranked_before_g{g}}}", f"{{pupils_g{g}}}"
        after = f"{b}+{p}"
        minus_d = "-".join(["", f"{{P_rate_2}}*({b}>=2)", f"{{P_rate_3}}*({b}>=3)", f"{{P_rate_4}}*MAX({b}-3,0)"])
        out += [
            (
                f"tranche_no_g{g}",
                f"N° tranche G{g}",
                "count",
                blank + f"IF({no_notice},{{g{g}_count}},MATCH({{indicator}},{{g{g}_lowers}},1)))",
                g,
            ),
            (f"tranche_g{g}", f"Tranche G{g}", "label", blank + f"INDEX({{g{g}_labels}},{{tranche_no_g{g}}}))", g),
            (f"amount_g{g}", f"Tarif G{g}", "money", blank + f"INDEX({{g{g}_amounts}},{{tranche_no_g{g}}}))", g),
            (f"ranked_before_g{g}", f"Enfants classés avant G{g}", "count", blank + before + ")", g),
            # Rounded to 9 decimals: summing rates in binary leaves noise (0.30999999999999983
            # for 0.31) that would tip a half cent the wrong way in the due.
            (
                f"factor_g{g}",
                f"Élèves payants G{g}",
                "number",
                blank + f"ROUND({p}-({d(after)}{minus_d}),{FACTOR_DIGITS}))",
                g,
            ),
            (f"due_g{g}", f"Dû G{g}", "money", blank + f"ROUND({{amount_g{g}}}*{{factor_g{g}}},2))", g),
            (f"old_due_g{g}", f"Ancien dû G{g}", "money", blank + f"ROUND({{g{g}_old}}*{{factor_g{g}}},2))", g),
        ]
        if version >= 3:
            out += _previous_formulas(g, no_notice)
    dues = ",".join(f"{{due_g{g}}}" for g in range(1, n + 1))
    olds = ",".join(f"{{old_due_g{g}}}" for g in range(1, n + 1))
    out += [
        ("total_due", "Total dû", "money", blank + f"SUM({dues}))", None),
        ("old_due", "Ancien total", "money", blank + f"SUM({olds}))", None),
        ("change", "Évolution", "money", blank + "ROUND({total_due}-{old_due},2))", None),
    ]
    if version >= 3:
        # Grids without last year's brackets count 0, as grids without an old
        # tariff do in the old total; no brackets at all: blank.
        prevs = ",".join(f"{{previous_due_g{g}}}" for g in range(1, n + 1))
        out += [
            (
                "previous_total",
                "Total an dernier",
                "money",
                blank + f'IF(COUNT({prevs})=0,"",SUM({prevs})))',
                None,
            ),
            (
                "change_vs_previous",
                "Évolution sur l'an dernier",
                "money",
                'IF(OR({id}="",{previous_total}=""),"",ROUND({total_due}-{previous_total},2))',
                None,
            ),
        ]
    out += [
        (
            "effort",
            "Taux d'effort",
            "ratio",
            f'IF(OR({{id}}="",{no_notice}),"",IF({{income}}>0,{{total_due}}/{{income}},""))',
            None,
        ),
    ]
    # Last in the table: no column of versions 1 and 2 moves.
    if _rank_helpers(n, version):
        # Each grid's tariff again, side by side (hidden): the sibling rank
        # compares a grid's tariff with a range of them (see _ranked_before_terms).
        out += [
            (f"ranked_before_amount_g{h}", f"Tarif pour le rang G{h}", "money", f"{{amount_g{h}}}", None)
            for h in range(1, n + 1)
        ]
    return out


def _previous_formulas(g: int, no_notice: str) -> list[tuple[str, str, Kind, str, int | None]]:
    """Last year's brackets for grid ``g`` (version 3): the tranche by the same
    indicator and tranche rule (the last one without a notice), and its
    amount times this year's paying factor (the same sibling ranking and
    rates), rounded to the cent. Blank when the grid has no such brackets."""
    none = f'IF(OR({{id}}="",{{g{g}_prev_count}}=0),"",'
    used = f'IF(OR({{id}}="",{{previous_tranche_no_g{g}}}=""),"",'
    return [
        (
            f"previous_tranche_no_g{g}",
            f"N° tranche an dernier G{g}",
            "count",
            none + f"IF({no_notice},{{g{g}_prev_count}},MATCH({{indicator}},{{g{g}_prev_lowers}},1)))",
            g,
        ),
        (
            f"previous_tranche_g{g}",
            f"Tranche an dernier G{g}",
            "label",
            used + f"INDEX({{g{g}_prev_labels}},{{previous_tranche_no_g{g}}}))",
            g,
        ),
        (
            f"previous_due_g{g}",
            f"Dû an dernier G{g}",
            "money",
            used + f"ROUND(INDEX({{g{g}_prev_amounts}},{{previous_tranche_no_g{g}}})*{{factor_g{g}}},2))",
            g,
        ),
    ]


def _rank_helpers(n: int, version: int) -> bool:
    """Whether the family table has the block of tariffs the rank reads."""
    return version >= 3 and n >= 2


def _ranked_before_terms(g: int, n: int, version: int) -> list[str]:
    """Pupils of the family's other grids ranked before grid ``g`` (SPEC:
    highest tariff first, ties to the lower grid number). Versions 1 and 2
    name every other grid in every grid's cell (grids² in a row); version 3
    compares the grid's tariff with two ranges of the hidden tariff block
    (grids before it, ties included; grids after it, ties excluded), so a
    cell's size does not grow with the number of grids."""
    if not _rank_helpers(n, version):
        terms = []
        for h in range(1, n + 1):
            if h != g:
                op = ">=" if h < g else ">"
                terms.append(f"({{amount_g{h}}}{op}{{amount_g{g}}})*{{pupils_g{h}}}")
        return terms

    def span(key: str, a: int, b: int) -> str:
        return f"{{{key}{a}}}:{{{key}{b}}}"

    terms = []
    if g > 1:
        terms.append(
            f"SUMPRODUCT(({span('ranked_before_amount_g', 1, g - 1)}>={{amount_g{g}}})*{span('pupils_g', 1, g - 1)})"
        )
    if g < n:
        terms.append(
            f"SUMPRODUCT(({span('ranked_before_amount_g', g + 1, n)}>{{amount_g{g}}})*{span('pupils_g', g + 1, n)})"
        )
    return terms


GRID_SUMMARY = (
    "revenue",
    "budget_target",
    "old_revenue",
    "gap",
    "change_pct",
    "amplitude",
    "top_share",
    "families_without_notice",
    "tranche_count",
)
# Version 3: last year's brackets, under the rest (the chart plots the first three lines).
GRID_SUMMARY_PREVIOUS = ("previous_tranche_count", "previous_revenue", "change_vs_previous")


def grid_summary_keys(version: int) -> tuple[str, ...]:
    return GRID_SUMMARY + GRID_SUMMARY_PREVIOUS if version >= 3 else GRID_SUMMARY


def _grid_layout(g: int, n_slots: int, fam_range: Callable[[str], str], version: int) -> GridLayout:
    """A grid sheet: name/old tariff/target, the tranche table, its summary."""
    sheet = grid_sheet(g)
    name = Cell(
        f"grid{g}.name",
        Ref(sheet, 2, 1),
        "Nom de la grille",
        "text",
        name=f"NOM_G{g}",
        help="Par exemple École, Collège, Lycée.",
    )
    old = Cell(
        f"grid{g}.old_tariff",
        Ref(sheet, 3, 1),
        "Ancien tarif unique (par élève et par an)",
        "money",
        name=f"ANCIEN_TARIF_G{g}",
        help="Facultatif : pour comparer avec l'ancienne contribution.",
    )
    target = Cell(
        f"grid{g}.budget_target",
        Ref(sheet, 4, 1),
        "Objectif de recettes (par an)",
        "money",
        name=f"OBJECTIF_SAISI_G{g}",
        help="Facultatif : le total des contributions visé.",
    )
    header_row = 6
    first = header_row + 1

    def k(key: str) -> str:
        return fam_range(f"{key}_g{g}")

    slots = []
    for i in range(n_slots):
        row = first + i
        label = Cell(f"grid{g}.slot{i + 1}.label", Ref(sheet, row, 0), "Tranche", "label")
        lower = Cell(f"grid{g}.slot{i + 1}.lower", Ref(sheet, row, 1), "Indicateur à partir de", "money")
        amount = Cell(f"grid{g}.slot{i + 1}.amount", Ref(sheet, row, 3), "Montant annuel par élève", "money")
        if_used = f'IF({lower.ref.a1}="","",'
        if i + 1 < n_slots:
            nxt = Ref(sheet, row + 1, 1).a1
            upper_f = f'IF(OR({lower.ref.a1}="",{nxt}=""),"",{nxt})'
        else:
            upper_f = '""'
        slots.append(
            Slot(
                i + 1,
                label,
                lower,
                Cell(f"grid{g}.slot{i + 1}.upper", Ref(sheet, row, 2), "jusqu'à (exclu)", "money", upper_f),
                amount,
                Cell(
                    f"grid{g}.slot{i + 1}.families",
                    Ref(sheet, row, 4),
                    "Familles",
                    "count",
                    if_used + f'COUNTIFS({k("tranche_no")},{i + 1},{k("pupils")},">0"))',
                ),
                Cell(
                    f"grid{g}.slot{i + 1}.pupils",
                    Ref(sheet, row, 5),
                    "Élèves",
                    "count",
                    if_used + f"SUMIFS({k('pupils')},{k('tranche_no')},{i + 1}))",
                ),
                Cell(
                    f"grid{g}.slot{i + 1}.revenue",
                    Ref(sheet, row, 6),
                    "Recettes",
                    "money",
                    if_used + f"SUMIFS({k('due')},{k('tranche_no')},{i + 1}))",
                ),
            )
        )
    total_row = first + n_slots

    def col_sum(col: int, key: str, kind: Kind, name: str) -> Cell:
        top, bottom = Ref(sheet, first, col).a1, Ref(sheet, total_row - 1, col).a1
        return Cell(
            f"grid{g}.total_{key}", Ref(sheet, total_row, col), "Total", kind, f"SUM({top}:{bottom})", f"{name}_G{g}"
        )

    totals = (
        col_sum(4, "families", "count", "TOTAL_FAMILLES"),
        col_sum(5, "pupils", "count", "TOTAL_ELEVES"),
        col_sum(6, "revenue", "money", "TOTAL_RECETTES_TRANCHES"),
    )

    def rng(attr: str) -> str:
        return f"{getattr(slots[0], attr).ref.a1}:{getattr(slots[-1], attr).ref.a1}"

    # The summary block, one line each under the tranche table. Revenue,
    # target and old revenue come first: the grid's bar chart plots them.
    keys = grid_summary_keys(version)
    at = {key: Ref(sheet, total_row + 2 + i, 1) for i, key in enumerate(keys)}
    rev, old_rev, count, tgt = at["revenue"].a1, at["old_revenue"].a1, at["tranche_count"].a1, target.ref.a1
    first_amount, fam_total = slots[0].amount.ref.a1, totals[0].ref.a1
    specs: dict[str, tuple[str, Kind, str, str]] = {
        "revenue": ("Recettes", "money", f"SUM({k('due')})", f"RECETTES_G{g}"),
        "budget_target": ("Objectif", "money", f'IF({tgt}="","",{tgt})', f"OBJECTIF_G{g}"),
        "old_revenue": ("Anciennes recettes", "money", f"SUM({k('old_due')})", f"ANCIENNES_RECETTES_G{g}"),
        "gap": ("Écart à l'objectif", "money", f'IF({tgt}="","",{rev}-{tgt})', f"ECART_G{g}"),
        "change_pct": (
            "Évolution par rapport à l'ancien tarif",
            "ratio",
            f'IF({old_rev}=0,"",{rev}/{old_rev}-1)',
            f"EVOLUTION_G{g}",
        ),
        "amplitude": (
            "Amplitude (tarif le plus haut / le plus bas)",
            "ratio",
            f'IF(N({first_amount})>0,INDEX({rng("amount")},{count})/{first_amount},"")',
            f"AMPLITUDE_G{g}",
        ),
        "top_share": (
            "Part des familles dans la tranche la plus haute",
            "ratio",
            f'IF({fam_total}=0,"",INDEX({rng("families")},{count})/{fam_total})',
            f"PART_TRANCHE_HAUTE_G{g}",
        ),
        "families_without_notice": (
            "Familles sans avis d'imposition",
            "count",
            # Income is blank exactly for the families whose notice cell says
            # "non" (TRIM'd): no COUNTIFS criterion could ignore stray spaces.
            f'COUNTIFS({k("pupils")},">0",{k("tranche_no")},">0",{fam_range("income")},"")'
            if version >= 2
            else f'COUNTIFS({fam_range("notice")},"{NO}",{k("pupils")},">0",{k("tranche_no")},">0")',
            f"FAMILLES_SANS_AVIS_G{g}",
        ),
        "tranche_count": ("Nombre de tranches", "count", f"COUNT({rng('lower')})", f"NOMBRE_TRANCHES_G{g}"),
    }
    previous: tuple[PreviousSlot, ...] = ()
    if version >= 3:
        previous = tuple(
            PreviousSlot(
                i + 1,
                Cell(f"grid{g}.previous{i + 1}.label", Ref(sheet, first + i, PREVIOUS_COL), "Tranche", "label"),
                Cell(f"grid{g}.previous{i + 1}.lower", Ref(sheet, first + i, PREVIOUS_COL + 1), "À partir de", "money"),
                Cell(f"grid{g}.previous{i + 1}.amount", Ref(sheet, first + i, PREVIOUS_COL + 2), "Montant", "money"),
            )
            for i in range(n_slots)
        )
        p_lowers = f"{previous[0].lower.ref.a1}:{previous[-1].lower.ref.a1}"
        p_count, p_rev = at["previous_tranche_count"].a1, at["previous_revenue"].a1
        specs.update(
            previous_tranche_count=(
                "Nombre de tranches de l'an dernier",
                "count",
                f"COUNT({p_lowers})",
                f"NOMBRE_TRANCHES_PRECEDENTES_G{g}",
            ),
            previous_revenue=(
                "Recettes avec le barème de l'an dernier",
                "money",
                f'IF({p_count}=0,"",SUM({k("previous_due")}))',
                f"RECETTES_PRECEDENTES_G{g}",
            ),
            change_vs_previous=(
                "Évolution par rapport à l'an dernier",
                "money",
                f'IF({p_rev}="","",{rev}-{p_rev})',
                f"EVOLUTION_PRECEDENTE_G{g}",
            ),
        )
    summary = tuple(Cell(f"grid{g}.{key}", at[key], *specs[key]) for key in keys)
    return GridLayout(g, sheet, name, old, target, tuple(slots), totals, summary, header_row, previous)


PREVIOUS_COL = 8  # column I: one empty column after the tranche table (A to G)


def _grid_refs(grid: GridLayout) -> dict[str, str]:
    """Absolute references of one grid that family formulas use."""
    g = grid.number
    return {
        f"g{g}_count": grid.summary_cell("tranche_count").ref.absolute,
        f"g{g}_lowers": grid.column_range("lower"),
        f"g{g}_labels": grid.column_range("label"),
        f"g{g}_amounts": grid.column_range("amount"),
        f"g{g}_old": grid.old_tariff.ref.absolute,
    } | (
        {
            f"g{g}_prev_count": grid.summary_cell("previous_tranche_count").ref.absolute,
            f"g{g}_prev_lowers": grid.previous_range("lower"),
            f"g{g}_prev_labels": grid.previous_range("label"),
            f"g{g}_prev_amounts": grid.previous_range("amount"),
        }
        if grid.previous
        else {}
    )


def _summary_cells(
    grids: tuple[GridLayout, ...], fam_range: Callable[[str], str], version: int = LAYOUT_VERSION
) -> tuple[Cell, ...]:
    """Synthèse: one line per grid, a total line, then the families' changes."""
    s = SHEET_SUMMARY
    first = 3
    cells: list[Cell] = []
    per_grid = SUMMARY_COLUMNS
    src = {
        "families": lambda gl: gl.totals[0],
        "pupils": lambda gl: gl.totals[1],
    }
    for i, gl in enumerate(grids):
        row = first + i
        cells.append(
            Cell(
                f"summary.grid{gl.number}.name",
                Ref(s, row, 0),
                "Grille",
                "text",
                f'IF({gl.name.ref.absolute}="","{gl.sheet}",{gl.name.ref.absolute})',
            )
        )
        for j, key in enumerate(per_grid, start=1):
            origin = src[key](gl) if key in src else gl.summary_cell(key)
            kind = origin.kind
            formula = (
                f'IF({origin.ref.absolute}="","",{origin.ref.absolute})' if kind != "count" else origin.ref.absolute
            )
            cells.append(Cell(f"summary.grid{gl.number}.{key}", Ref(s, row, j), SUMMARY_HEADERS[key], kind, formula))
    row = first + len(grids)
    col = {key: j for j, key in enumerate(per_grid, start=1)}

    def span(key: str) -> str:
        c = col[key]
        return f"{Ref(s, first, c).a1}:{Ref(s, row - 1, c).a1}"

    rev, tgt, old = Ref(s, row, col["revenue"]), Ref(s, row, col["budget_target"]), Ref(s, row, col["old_revenue"])
    cells += [
        Cell(
            "total.families",
            Ref(s, row, col["families"]),
            "Familles",
            "count",
            f'COUNTIF({fam_range("id")},"<>")',
            "TOTAL_FAMILLES",
        ),
        Cell("total.pupils", Ref(s, row, col["pupils"]), "Élèves", "count", f"SUM({span('pupils')})", "TOTAL_ELEVES"),
        Cell("total.revenue", rev, "Recettes", "money", f"SUM({span('revenue')})", "TOTAL_RECETTES"),
        Cell(
            "total.budget_target",
            tgt,
            "Objectif",
            "money",
            f'IF(COUNT({span("budget_target")})=0,"",SUM({span("budget_target")}))',
            "TOTAL_OBJECTIF",
        ),
        Cell(
            "total.gap",
            Ref(s, row, col["gap"]),
            "Écart",
            "money",
            f'IF({tgt.a1}="","",SUM({span("gap")}))',
            "TOTAL_ECART",
        ),
        Cell(
            "total.old_revenue",
            old,
            "Anciennes recettes",
            "money",
            f"SUM({span('old_revenue')})",
            "TOTAL_ANCIENNES_RECETTES",
        ),
        Cell(
            "total.change_pct",
            Ref(s, row, col["change_pct"]),
            "Évolution",
            "ratio",
            f'IF({old.a1}=0,"",{rev.a1}/{old.a1}-1)',
            "TOTAL_EVOLUTION",
        ),
    ]
    row += 2
    change = fam_range("change")
    for i, (key, label, crit, name) in enumerate(
        (
            ("families_pay_more", "Familles qui paient plus qu'avec l'ancien tarif", '">0"', "TOTAL_FAMILLES_PLUS"),
            ("families_unchanged", "Familles qui paient autant", "0", "TOTAL_FAMILLES_AUTANT"),
            ("families_pay_less", "Familles qui paient moins", '"<0"', "TOTAL_FAMILLES_MOINS"),
        )
    ):
        cells.append(Cell(f"total.{key}", Ref(s, row + i, 2), label, "count", f"COUNTIF({change},{crit})", name))
    if version >= 3:
        cells += _summary_previous(grids, fam_range, Ref(s, row + 4, 2), rev)
    return tuple(cells)


def _summary_previous(
    grids: tuple[GridLayout, ...], fam_range: Callable[[str], str], at: Ref, revenue: Ref
) -> list[Cell]:
    """Synthèse (version 3): the structure against last year's brackets,
    blank when no grid has them."""
    s, row, col = at.sheet, at.row, at.col
    prev_revs = ",".join(gl.summary_cell("previous_revenue").ref.absolute for gl in grids)
    prev = Ref(s, row, col).a1
    vs = fam_range("change_vs_previous")
    cells = [
        Cell(
            "total.previous_revenue",
            Ref(s, row, col),
            "Recettes avec le barème de l'an dernier",
            "money",
            f'IF(COUNT({prev_revs})=0,"",SUM({prev_revs}))',
            "TOTAL_RECETTES_PRECEDENTES",
        ),
        Cell(
            "total.change_vs_previous",
            Ref(s, row + 1, col),
            "Évolution par rapport à l'an dernier",
            "money",
            f'IF({prev}="","",{revenue.a1}-{prev})',
            "TOTAL_EVOLUTION_PRECEDENTE",
        ),
    ]
    for i, (key, label, crit, name) in enumerate(
        (
            ("families_more_than_previous", "Familles qui paient plus que l'an dernier", '">0"', "PLUS"),
            ("families_same_as_previous", "Familles qui paient autant que l'an dernier", "0", "AUTANT"),
            ("families_less_than_previous", "Familles qui paient moins que l'an dernier", '"<0"', "MOINS"),
        ),
        start=2,
    ):
        cells.append(
            Cell(
                f"total.{key}",
                Ref(s, row + i, col),
                label,
                "count",
                f'IF({prev}="","",COUNTIF({vs},{crit}))',
                f"TOTAL_FAMILLES_{name}_AN_DERNIER",
            )
        )
    return cells


SUMMARY_COLUMNS = (
    "families",
    "pupils",
    "revenue",
    "budget_target",
    "gap",
    "old_revenue",
    "change_pct",
    "amplitude",
    "top_share",
    "families_without_notice",
)
SUMMARY_HEADERS = {
    "families": "Familles",
    "pupils": "Élèves",
    "revenue": "Recettes",
    "budget_target": "Objectif",
    "gap": "Écart",
    "old_revenue": "Anciennes recettes",
    "change_pct": "Évolution",
    "amplitude": "Amplitude",
    "top_share": "Part tranche haute",
    "families_without_notice": "Familles sans avis",
}


def _scale_cells(grids: tuple[GridLayout, ...], params: dict[str, Cell], version: int) -> tuple[Cell, ...]:
    """Barème: the printable bracket table of each grid, for the financial rules."""
    s = SHEET_SCALE
    cells: list[Cell] = []
    ind = params["indicator"].ref.absolute
    rfr_text, qf_text = (SCALE_INDICATOR_TEXT[k].replace('"', '""') for k in ("rfr", "qf"))
    cells.append(
        Cell(
            "scale.indicator",
            Ref(s, 2, 0),
            "Indicateur",
            "text",
            f'IF({is_choice(ind, INDICATOR_TEXT["rfr"], version)},"{rfr_text}","{qf_text}")',
            "BAREME_INDICATEUR",
        )
    )
    table: tuple[tuple[str, Kind], ...] = (
        ("label", "label"),
        ("lower", "money"),
        ("upper", "money"),
        ("amount", "money"),
    )
    row = 4
    for gl in grids:
        nm = gl.name.ref.absolute
        cells.append(
            Cell(
                f"scale.grid{gl.number}.title",
                Ref(s, row, 0),
                "Grille",
                "text",
                f'IF({nm}="","{gl.sheet}",{nm})',
                f"BAREME_TITRE_G{gl.number}",
            )
        )
        row += 2  # title, then the header line
        for slot in gl.slots:
            for col, (attr, kind) in enumerate(table):
                src = getattr(slot, attr).ref.absolute
                cells.append(
                    Cell(
                        f"scale.grid{gl.number}.slot{slot.number}.{attr}",
                        Ref(s, row, col),
                        attr,
                        kind,
                        f'IF({src}="","",{src})',
                    )
                )
            row += 1
        row += 1
    return tuple(cells)


# -- Barème, version 3: the page of the school's financial rules ---------------

NBSP = "\u00a0"  # groups thousands in the Barème's figures, and never breaks a line there
EXAMPLE_RFR = 35000  # the federation's worked example: RFR 35 000 €, two parents, three children
EXAMPLE_FISCAL_PARTS = 4  # the parts of that household's tax notice
SCALE_WIDE = ("scale.structure", "scale.year", "scale.income", "scale.indicator", "scale.parts", "scale.ranking")
SCALE_TEXT = {
    "title": "Barème des contributions des familles",
    "method": "Calcul de la contribution",
    "brackets": "Montant annuel par élève selon la tranche",
    "siblings": "Réductions pour les frères et sœurs",
    "no_notice": "Familles sans avis d'imposition",
    "no_notice_rule": "Une famille qui ne fournit pas son avis d'imposition paie la tranche la plus haute "
    "de chaque grille.",
    "example": "Exemple",
    "example_household": "Deux parents et trois enfants, revenu fiscal de référence de 35\u00a0000 €.",
}
SCALE_INCOME_TEXT = (
    "Revenu retenu : le revenu fiscal de référence (RFR) de l'avis d'imposition (les deux RFR si les "
    "parents déclarent séparément)"
)
SCALE_CAF_TEXT = ", augmenté de l'aide annuelle de la CAF."
SCALE_INDICATOR_TEXT_V3: dict[Indicator, str] = {
    "qf": "Indicateur : le quotient familial (QF) = revenu retenu / nombre de parts.",
    "rfr": "Indicateur : le revenu retenu lui-même.",
}
SCALE_RANKING_TEXT = (
    "Les enfants d'une famille sont classés du tarif le plus élevé au moins élevé : le 1er paie le plein "
    "tarif, les suivants ont la réduction de leur rang."
)
SCALE_NETWORK_TEXT = " Les enfants scolarisés dans d'autres établissements catholiques prennent les premiers rangs."
SCALE_PARTS_FISCAL = "Nombre de parts : celui de l'avis d'imposition."
# The parts rule "calculées" in words: (parameter, words after its number).
SCALE_PARTS_CUSTOM = (
    ("cp_adult", " par adulte, "),
    ("cp_child_1", " pour le 1er enfant, "),
    ("cp_child_2", " pour le 2e, "),
    ("cp_child_3_plus", " par enfant à partir du 3e, "),
    ("cp_single_parent_bonus", " de plus pour un parent seul, "),
    ("cp_other_dependent", " par autre personne à charge."),
)
SCALE_PARTS_CUSTOM_HEAD = "Nombre de parts calculé par l'établissement : "


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _pad(expr: str, digits: int) -> str:
    """A whole number 0 <= expr < 10**digits written on ``digits`` figures."""
    zeros = f'IF({expr}<10,"{"0" * (digits - 1)}",' + (f'IF({expr}<100,"0",""))' if digits == 3 else '"")')
    return f"{zeros}&{expr}"


def number_text(x: str, trim: bool = False) -> str:
    """A formula writing the number ``x`` (>= 0, a reference) in French as
    text, whatever the spreadsheet's language: thousands grouped by a
    no-break space, a decimal comma, no ",00" when it is whole (``trim``: no
    trailing zero either, for small numbers such as parts: 0,5). Built from INT and ROUND only: TEXT's format
    codes change meaning with the spreadsheet's language, and "&" writes a
    whole number the same in every language."""
    cents = f"ROUND(({x}-INT({x}))*100,0)"
    units = f"(INT({x})-1000*INT({x}/1000))"
    thousands = f"(INT({x}/1000)-1000*INT({x}/1000000))"
    whole = (
        f'IF({x}>=1000000,INT({x}/1000000)&"{NBSP}"&{_pad(thousands, 3)}&"{NBSP}"&{_pad(units, 3)},'
        f'IF({x}>=1000,INT({x}/1000)&"{NBSP}"&{_pad(units, 3)},INT({x})&""))'
    )
    if trim:  # a small number (parts): no thousands
        whole = f'INT({x})&""'
        tenth = f"INT({cents}/10)"
        decimals = f'IF({cents}-10*{tenth}=0,{tenth}&"",{_pad(cents, 2)})'
    else:
        decimals = _pad(cents, 2)
    return f'{whole}&IF({cents}=0,"",","&{decimals})'


def scale_columns(n_grids: int) -> tuple[int, int]:
    """Barème (version 3): grid tables per band of the page (1, or 2 side by
    side from 4 grids on, so that seven grids still fit one A4 page) and
    the last column the page uses."""
    per_row = 1 if n_grids <= 3 else 2
    return per_row, 2 if per_row == 1 else 6


def _scale_cells_v3(
    grids: tuple[GridLayout, ...], params: dict[str, Cell]
) -> tuple[tuple[Cell, ...], tuple[ScaleText, ...]]:
    """Barème as the page of the financial rules: who and when, how the
    indicator is computed, the brackets of each grid ("de 6 000 € à moins de
    9 000 €", "18 000 € et plus") with the yearly amount per pupil, the
    sibling reductions, the rule without a tax notice and the worked example,
    all live. Unused tranche lines show nothing."""
    s = SHEET_SCALE
    per_row, last_col = scale_columns(len(grids))
    cells: list[Cell] = []
    texts: list[ScaleText] = []
    p = {k: c.ref.absolute for k, c in params.items()}
    is_rfr = is_choice(p["indicator"], INDICATOR_TEXT["rfr"])
    is_fiscal = is_choice(p["parts_policy"], PARTS_POLICY_TEXT["fiscal"])

    def text(row: int, key: str, style: Literal["title", "subtitle", "header", "text"], col: int = 0) -> None:
        texts.append(ScaleText(Ref(s, row, col), SCALE_TEXT[key], style, last_col if style == "text" else None))

    def cell(key: str, row: int, col: int, kind: Kind, formula: str, name: str | None = None) -> None:
        cells.append(Cell(key, Ref(s, row, col), key, kind, formula, name))

    text(0, "title", "title")
    cell("scale.structure", 1, 0, "text", f'IF({p["structure"]}="","",{p["structure"]}&"")', "BAREME_STRUCTURE")
    cell("scale.year", 2, 0, "text", f'IF({p["year"]}="","","Année scolaire "&{p["year"]})', "BAREME_ANNEE")
    text(4, "method", "subtitle")
    caf = is_choice(p["include_caf_aid"], YES)
    cell(
        "scale.income",
        5,
        0,
        "text",
        f'{_q(SCALE_INCOME_TEXT)}&IF({caf},{_q(SCALE_CAF_TEXT)},".")',
        "BAREME_REVENU",
    )
    qf, rfr = (_q(SCALE_INDICATOR_TEXT_V3[k]) for k in ("qf", "rfr"))
    cell("scale.indicator", 6, 0, "text", f"IF({is_rfr},{rfr},{qf})", "BAREME_INDICATEUR")
    custom = _q(SCALE_PARTS_CUSTOM_HEAD) + "".join(
        f"&{number_text(p[key], trim=True)}&{_q(words)}" for key, words in SCALE_PARTS_CUSTOM
    )
    cell(
        "scale.parts",
        7,
        0,
        "text",
        f'IF({is_rfr},"",IF({is_fiscal},{_q(SCALE_PARTS_FISCAL)},{custom}))',
        "BAREME_PARTS",
    )
    text(8, "no_notice_rule", "text")

    # The brackets: one table per grid, one or two tables per band.
    text(10, "brackets", "subtitle")
    # A band: the grid title, the header, the tranche lines.
    heights = [max(len(g.slots) for g in grids[b : b + per_row]) + 2 for b in range(0, len(grids), per_row)]
    tops = [11 + sum(heights[:b]) for b in range(len(heights))]
    for i, gl in enumerate(grids):
        band, side = divmod(i, per_row)
        row0, c0 = tops[band], 4 * side
        nm = gl.name.ref.absolute
        cell(
            f"scale.grid{gl.number}.title",
            row0,
            c0,
            "text",
            f'IF({nm}="","{gl.sheet}",{nm})',
            f"BAREME_TITRE_G{gl.number}",
        )
        cell(
            f"scale.grid{gl.number}.head",
            row0 + 1,
            c0 + 1,
            "text",
            f'IF({is_rfr},"Revenu retenu","Quotient familial")',
        )
        texts.append(ScaleText(Ref(s, row0 + 1, c0), "Tranche", "header"))
        texts.append(ScaleText(Ref(s, row0 + 1, c0 + 2), "Montant annuel par élève", "header"))
        for slot in gl.slots:
            row = row0 + 2 + slot.number - 1
            low, up = slot.lower.ref.absolute, slot.upper.ref.absolute
            key = f"scale.grid{gl.number}.slot{slot.number}"
            cell(f"{key}.label", row, c0, "label", f'IF({low}="","",{slot.label.ref.absolute}&"")')
            cell(
                f"{key}.range",
                row,
                c0 + 1,
                "text",
                f'IF({low}="","",IF({up}="",{number_text(low)}&" € et plus",'
                f'"de "&{number_text(low)}&" € à moins de "&{number_text(up)}&" €"))',
            )
            cell(f"{key}.amount", row, c0 + 2, "money", f'IF({low}="","",{slot.amount.ref.absolute})')
    row = tops[-1] + heights[-1]

    # Sibling reductions.
    text(row, "siblings", "subtitle")
    for i, (key, label) in enumerate(
        (("rate_2", "2e enfant"), ("rate_3", "3e enfant"), ("rate_4", "4e enfant et suivants")), start=1
    ):
        texts.append(ScaleText(Ref(s, row + i, 0), label, "text"))
        cell(f"scale.{key}", row + i, 1, "rate", f"N({p[key]})", f"BAREME_REDUCTION_{key[-1]}")
    network = is_choice(p["sibling_scope"], SCOPE_TEXT["network"])
    cell(
        "scale.ranking",
        row + 4,
        0,
        "text",
        f'{_q(SCALE_RANKING_TEXT)}&IF({network},{_q(SCALE_NETWORK_TEXT)},"")',
        "BAREME_RANG",
    )

    # The worked example, computed with the workbook's own rule.
    row += 6
    text(row, "example", "subtitle")
    text(row + 1, "example_household", "text")
    a, c1, c2, c3 = (p[k] for k in ("cp_adult", "cp_child_1", "cp_child_2", "cp_child_3_plus"))
    parts = Ref(s, row + 2, 1)
    texts.append(ScaleText(Ref(s, row + 2, 0), "Nombre de parts", "text"))
    cell(
        "scale.example_parts",
        row + 2,
        1,
        "parts",
        f"IF({is_fiscal},{EXAMPLE_FISCAL_PARTS},2*{a}+{c1}+{c2}+{c3})",
        "BAREME_EXEMPLE_PARTS",
    )
    value = Ref(s, row + 3, 1)
    cell(
        "scale.example_label",
        row + 3,
        0,
        "text",
        f'IF({is_rfr},"Revenu retenu","Quotient familial")',
    )
    cell(
        "scale.example_indicator",
        row + 3,
        1,
        "money",
        f'IF({is_rfr},{EXAMPLE_RFR},IF(N({parts.a1})>0,ROUND({EXAMPLE_RFR}/{parts.a1},2),""))',
        "BAREME_EXEMPLE_INDICATEUR",
    )
    row += 4
    texts.append(ScaleText(Ref(s, row, 0), "Grille", "header"))
    texts.append(ScaleText(Ref(s, row, 1), "Tranche", "header"))
    texts.append(ScaleText(Ref(s, row, 2), "Montant annuel par élève", "header"))
    for gl in grids:
        row += 1
        g = gl.number
        lowers, count = gl.column_range("lower"), gl.summary_cell("tranche_count").ref.absolute
        first = gl.slots[0].lower.ref.absolute
        found = f"MATCH({value.a1},{lowers},1)"
        guard = f'IF(OR({value.a1}="",{count}=0,N({value.a1})<N({first})),"",'
        nm = gl.name.ref.absolute
        cell(f"scale.example.grid{g}.name", row, 0, "text", f'IF({nm}="","{gl.sheet}",{nm})')
        cell(
            f"scale.example.grid{g}.tranche",
            row,
            1,
            "label",
            guard + f'INDEX({gl.column_range("label")},{found})&"")',
            f"BAREME_EXEMPLE_TRANCHE_G{g}",
        )
        cell(
            f"scale.example.grid{g}.amount",
            row,
            2,
            "money",
            guard + f"INDEX({gl.column_range('amount')},{found}))",
            f"BAREME_EXEMPLE_MONTANT_G{g}",
        )
    return tuple(cells), tuple(texts)


def scale_rows(layout: Layout) -> dict[int, tuple[int, int]]:
    """Barème: grid number -> (title row, header row), for the writer's labels."""
    out = {}
    for c in layout.scale:
        if c.key.endswith(".title") and c.key.startswith("scale.grid"):
            g = int(c.key.split(".")[1][4:])
            out[g] = (c.ref.row, c.ref.row + 1)
    return out


def build_layout(
    n_grids: int,
    n_slots: int | tuple[int, ...] = DEFAULT_SLOTS,
    capacity: int = DEFAULT_CAPACITY,
    version: int = LAYOUT_VERSION,
) -> Layout:
    """Describe the workbook of ``n_grids`` grids, ``n_slots`` tranche lines per
    grid (one number, or one per grid) and room for ``capacity`` families,
    as layout ``version`` writes it (the current one, or an earlier one to
    read and check a workbook it wrote)."""
    if n_grids < 1:
        raise ValueError("a workbook has at least one grid")
    slots = (n_slots,) * n_grids if isinstance(n_slots, int) else tuple(n_slots)
    if len(slots) != n_grids or min(slots) < 1 or capacity < 1:
        raise ValueError("a workbook needs at least one tranche line per grid and one family row")
    params = _param_cells()
    pmap = {c.key: c for c in params}
    first_row = 3

    # Grid sheets need the family ranges before the family formulas (which
    # need the grid ranges) can be rendered: the column order comes first.
    specs = _column_specs(n_grids, version)
    index = {spec[0]: i for i, spec in enumerate(specs)}

    def fam_range(key: str) -> str:
        letter = xl_col_to_name(index[key])
        return f"{quote_sheetname(SHEET_FAMILIES)}!${letter}${first_row + 1}:${letter}${first_row + capacity}"

    grids = tuple(_grid_layout(g, slots[g - 1], fam_range, version) for g in range(1, n_grids + 1))
    refs = {f"P_{k}": c.ref.absolute for k, c in pmap.items()}
    for gl in grids:
        refs.update(_grid_refs(gl))
    columns = _family_columns(specs, refs)
    headers = tuple(
        Cell(
            f"families.header.grid{gl.number}",
            Ref(SHEET_FAMILIES, 1, next(c.col for c in columns if c.key == f"tranche_no_g{gl.number}")),
            "Grille",
            "text",
            f'IF({gl.name.ref.absolute}="","{gl.sheet}",{gl.name.ref.absolute})',
            f"FAM_ENTETE_G{gl.number}",
        )
        for gl in grids
    )
    if version >= 3:
        scale, scale_texts = _scale_cells_v3(grids, pmap)
    else:
        scale, scale_texts = _scale_cells(grids, pmap, version), ()
    return Layout(
        n_grids=n_grids,
        n_slots=max(slots),
        capacity=capacity,
        params=params,
        grids=grids,
        columns=columns,
        first_row=first_row,
        summary=_summary_cells(grids, fam_range, version),
        scale=scale,
        scale_texts=scale_texts,
        family_headers=headers,
        version=version,
    )
