"""Read a filled workbook back into a scenario, tolerant of real input.

Bursars type numbers as text ("35 000", "35 000,50 €"), answer "O" or "x"
for yes, leave stray spaces and blank rows, type families below the last
formula row, re-save with Excel or LibreOffice. Each tolerated oddity becomes
a warning naming the cell; what cannot be understood is an error naming the
cell. The layout is inferred from the file (grid sheets, defined names) and
the cells come from ``layout.py`` like everywhere else.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Literal, TypeVar, cast, overload

from workbook_engine.evaluator.functions import spreadsheet_trim
from workbook_engine.evaluator.values import text_to_number
from workbook_engine.formats.ids import id_key, id_problem
from workbook_engine.formats.scenario_json import merge_problems
from workbook_engine.model.domain import CustomParts, Family, Grid, Scenario, Tranche
from workbook_engine.model.french import eur, share
from workbook_engine.model.problems import InputError, Problem, Severity, show_value
from workbook_engine.model.validation import validate
from workbook_engine.workbook.file import WorkbookFile, open_workbook_file
from workbook_engine.workbook.layout import (
    BOOL_TEXT,
    INDICATOR_TEXT,
    PARTS_POLICY_TEXT,
    SCOPE_TEXT,
    Cell,
    GridLayout,
    Layout,
    Ref,
    Slot,
)
from workbook_engine.workbook.placement import NotOurWorkbook, Placement, StructureEdit, place_layout

MAX_CELL_NUMBER = 1e12  # no income, amount or count is this large: a typing accident
# A number typed as text is converted in arithmetic (by the rules of the
# spreadsheet's language), so the reader reads it so, with a warning. These
# fields are also counted, summed or looked up (COUNTIFS, SUMIFS, MATCH,
# COUNT), which skip text: the warning says the workbook's counts miss it.
_COUNTED_FIELDS = {"lower", "adults", "children", "other_dependents", "other_enrolled"}

M = TypeVar("M")  # what a choice cell means (a scenario code, or a flag)
D = TypeVar("D")  # a default for a blank cell


@dataclass
class WorkbookRead:
    """What the reader found: the scenario (None when errors prevent it), every
    problem, where the layout is in the file, and where each family sits."""

    path: Path
    placement: Placement
    cells: WorkbookFile
    scenario: Scenario | None
    problems: list[Problem] = field(default_factory=list)
    family_rows: dict[str, int] = field(default_factory=dict)  # id -> 0-based row

    @property
    def layout(self) -> Layout:
        """The layout where the file has it now (see ``placement``)."""
        return self.placement.layout

    @property
    def edits(self) -> list[StructureEdit]:
        return self.placement.edits

    @property
    def defined_names(self) -> dict[str, str]:
        return self.cells.defined_names

    @property
    def sheet_names(self) -> list[str]:
        return self.cells.sheet_names

    @property
    def notes(self) -> list[str]:
        """Macros, links to other workbooks...: found, never run nor followed."""
        return self.cells.safe.notes()

    @cached_property
    def row_families(self) -> dict[int, str]:
        """0-based row -> the family id typed there."""
        return {row: fid for fid, row in self.family_rows.items()}

    @property
    def below_formulas(self) -> dict[str, int]:
        """Families typed below the last formula row: read, but the workbook
        does not compute their tariff (regenerate from the read scenario)."""
        return {fid: row for fid, row in self.family_rows.items() if row > self.layout.last_row}

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def unusable(path: Path, message: str) -> InputError:
    return InputError([Problem("", "", None, message, source=str(path))])


def read_workbook(source: str | Path | WorkbookFile) -> WorkbookRead:
    """Read a workbook's inputs (a path, or a file already opened with
    ``open_workbook_file``). Raises InputError only when the file is no
    usable workbook; problems with its contents are in ``.problems``."""
    values = source if isinstance(source, WorkbookFile) else open_workbook_file(source)
    path = values.path
    try:
        placement = place_layout(
            values.defined_names, values.sheet_names, values.formula_at, values.value_at, values.rows_held
        )
    except NotOurWorkbook as exc:
        raise unusable(path, str(exc)) from None
    reader = _Reader(path, placement.layout, values)
    scenario = reader.scenario()
    read = WorkbookRead(path, placement, values, None, reader.problems, reader.family_rows)
    # A rule broken only because a cell was unreadable ("RFR manquant" after
    # "texte illisible") is that cell's problem, already told.
    rules = [q for q in (reader.locate(p) for p in validate(scenario)) if not (q.cell and q.cell in reader.error_cells)]
    read.problems = merge_problems(read.problems, rules)
    if not read.errors:
        read.scenario = scenario
    read.problems = [p.with_source(str(path)) for p in read.problems]
    return read


def load_workbook_scenario(path: str | Path) -> Scenario:
    """The scenario of a filled workbook; InputError lists every error."""
    read = read_workbook(path)
    if read.scenario is None:
        raise InputError(read.problems)
    return read.scenario


def cell_name(ref: Ref) -> str:
    return f"{ref.sheet}!{ref.a1}"


def cell_text(value: object) -> str:
    """What a formula compares when it compares a cell with a word."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Reader:
    def __init__(self, path: Path, layout: Layout, values: WorkbookFile):
        self.path = path
        self.layout = layout
        self.values = values
        self.problems: list[Problem] = []
        self.error_cells: set[str] = set()  # cells already told to be wrong: no second problem for them
        self.family_rows: dict[str, int] = {}
        self._tranche_lines: dict[tuple[int, int], int] = {}  # (grid, tranche read) -> slot index
        self._previous_lines: dict[tuple[int, int], int] = {}  # the same for last year's brackets

    # -- problems ------------------------------------------------------------
    def say(
        self,
        severity: Severity,
        ref: Ref,
        label: str,
        value: object,
        message: str,
        family: str | None = None,
        field_: str = "",
    ) -> None:
        who = ", ".join(x for x in (f"famille {family}" if family else "", label) if x)
        where = cell_name(ref) + (f" ({who})" if who else "")
        if severity == "error":
            self.error_cells.add(cell_name(ref))
        self.problems.append(
            Problem(where, field_, value, message, severity, family=family, cell=cell_name(ref), label=label)
        )

    def locate(self, p: Problem) -> Problem:
        """Give a rule problem (validation) the cell it is about, from the
        place it carries as data."""
        cell: Cell | None = None
        label = ""
        ref = None
        if p.family is not None and p.family in self.family_rows:
            key = f"pupils_g{p.grid}" if p.field.startswith("pupils") and p.grid is not None else p.field
            column = self.layout.column.get(key)
            if column is not None and column.col >= 0:
                ref, label = Ref(self.layout.families_sheet, self.family_rows[p.family], column.col), column.header
        elif p.param is not None:
            cell = self.layout.param.get(p.param)
        elif p.grid is not None and p.grid <= len(self.layout.grids):
            gl = self.layout.grids[p.grid - 1]
            if p.tranche is not None:
                slot_index = self._tranche_lines.get((p.grid, p.tranche))
                if slot_index is not None and p.field in ("label", "lower", "amount"):
                    cell = getattr(gl.slots[slot_index], p.field)
                line = self._previous_lines.get((p.grid, p.tranche))
                attr = p.field.removeprefix("previous_")
                if line is not None and p.field.startswith("previous_") and attr in ("label", "lower", "amount"):
                    cell = getattr(gl.previous[line], attr)
            elif p.field in ("old_tariff", "budget_target"):
                cell = getattr(gl, p.field)
        if cell is not None and cell.ref.row >= 0:
            ref, label = cell.ref, cell.label
        if ref is None:
            return p
        who = ", ".join(x for x in (f"famille {p.family}" if p.family else "", label) if x)
        return replace(p, where=f"{cell_name(ref)} ({who})", cell=cell_name(ref), label=label)

    # -- values --------------------------------------------------------------
    def raw(self, ref: Ref, label: str, family: str | None = None) -> object:
        v = self.values(ref)
        if self.values.is_formula(ref):
            self.say(
                "warning",
                ref,
                label,
                v,
                "formule dans une cellule de saisie : la valeur qu'elle calcule est utilisée",
                family,
            )
            return self.values.computed(ref)
        return v

    def text(self, ref: Ref, label: str) -> str:
        v = self.raw(ref, label)
        text = cell_text(v)
        if text != text.strip():
            self.say("info", ref, label, text, "espaces en trop supprimés")
        return text.strip()

    @overload
    def number(
        self, ref: Ref, key: str, label: str, family: str | None = None, *, integer: Literal[False] = False
    ) -> float | None: ...

    @overload
    def number(
        self, ref: Ref, key: str, label: str, family: str | None = None, *, integer: Literal[True]
    ) -> int | None: ...

    def number(
        self, ref: Ref, key: str, label: str, family: str | None = None, *, integer: bool = False
    ) -> float | None:
        """A number, or None for a blank cell. Text is read as the workbook's
        own formulas read it (the spreadsheet's language: ``--locale``)."""
        v = self.raw(ref, label, family)
        if v is None or (isinstance(v, str) and not v.strip(" ")):
            return None
        if isinstance(v, bool) or isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
            self.say(
                "error", ref, label, str(v), "un nombre est attendu (la cellule contient une date ou VRAI/FAUX)", family
            )
            return None
        if isinstance(v, str):
            number = text_to_number(v)
            if number is None:
                self.say(
                    "error",
                    ref,
                    label,
                    v,
                    "texte que le tableur ne lit pas comme un nombre (les calculs "
                    "qui s'en servent affichent #VALEUR !) ; tapez par exemple 35000 "
                    "ou 1234,56",
                    family,
                )
                return None
            counted = key in _COUNTED_FIELDS or key.startswith("pupils_g")
            self.say(
                "warning",
                ref,
                label,
                v,
                "nombre saisi comme texte, lu comme le tableur le lit : "
                + _as_shown(key, number)
                + (
                    " ; mais les comptes du classeur (NB.SI.ENS, SOMME.SI.ENS, EQUIV) "
                    "ignorent un texte : retapez-le comme un nombre"
                    if counted
                    else ""
                ),
                family,
            )
            v = number
        assert isinstance(v, (int, float)), v  # what is left of a cell value: a number
        if not abs(v) < MAX_CELL_NUMBER:  # also NaN and infinities
            self.say("error", ref, label, v, "valeur démesurée : vérifiez la saisie", family)
            return None
        if integer and v != int(v):
            self.say("error", ref, label, v, "un nombre entier est attendu", family)
            return None
        return int(v) if integer else float(v)

    def choice(
        self, ref: Ref, label: str, words: Mapping[M, str], matched: M, otherwise: M, family: str | None = None
    ) -> M:
        """A choice cell read as the workbook's formulas read it: they test
        one word (ignoring case and, with TRIM, stray spaces); anything else
        takes the other meaning. ``words``: every answer the layout offers
        (meaning -> word); the word tested is ``words[matched]``."""
        v = self.raw(ref, label, family)
        text = cell_text(v)
        trimmed = spreadsheet_trim(text) if self.layout.version >= 2 else text
        meaning = matched if trimmed.casefold() == str(words[matched]).casefold() else otherwise
        if not text:
            return meaning
        offered = {str(w).casefold() for w in words.values()}
        if trimmed.casefold() not in offered:
            self.say(
                "warning",
                ref,
                label,
                v,
                f"réponse que les formules du classeur ne connaissent pas : elles la "
                f"comptent comme « {words[meaning]} » ; écrivez " + " ou ".join(f"« {w} »" for w in words.values()),
                family,
            )
        elif trimmed != text:
            self.say("info", ref, label, v, f"espaces en trop, sans effet : lu « {words[meaning]} »", family)
        return meaning

    # -- the scenario --------------------------------------------------------
    def scenario(self) -> Scenario:
        p = self.layout.param
        defaults = CustomParts()

        def num(key: str, default: float) -> float:
            v = self.number(p[key].ref, key, p[key].label)
            return default if v is None else v

        def choice(key: str, words: Mapping[M, str], matched: M, otherwise: M) -> M:
            return self.choice(p[key].ref, p[key].label, words, matched, otherwise)

        rates = (num("rate_2", 0.0), num("rate_3", 0.0), num("rate_4", 0.0))
        custom = CustomParts(**{attr: num(f"cp_{attr}", getattr(defaults, attr)) for attr in vars(defaults)})
        # Each choice means what the formulas make of it (layout: is_choice).
        return Scenario(
            structure=self.text(p["structure"].ref, p["structure"].label),
            year=self.text(p["year"].ref, p["year"].label),
            indicator=choice("indicator", INDICATOR_TEXT, "rfr", "qf"),
            include_caf_aid=choice("include_caf_aid", BOOL_TEXT, True, False),
            parts_policy=choice("parts_policy", PARTS_POLICY_TEXT, "fiscal", "custom"),
            custom_parts=custom,
            sibling_rates=rates,
            sibling_scope=choice("sibling_scope", SCOPE_TEXT, "network", "structure"),
            grids=tuple(self.grid(gl) for gl in self.layout.grids),
            families=self.families(),
        )

    def grid(self, gl: GridLayout) -> Grid:
        tranches: list[Tranche] = []
        gap_at: Slot | None = None
        for index, slot in enumerate(gl.slots):
            cells = (slot.label.ref, slot.lower.ref, slot.amount.ref)
            if all(self.values(r) in (None, "") for r in cells):
                gap_at = gap_at or slot
                continue
            if gap_at is not None and tranches:
                self.say(
                    "info",
                    gap_at.label.ref,
                    f"grille {gl.number}",
                    None,
                    "ligne de tranche vide au milieu du tableau : ignorée",
                )
            gap_at = None
            label = self.text(slot.label.ref, slot.label.label)
            lower = self.number(slot.lower.ref, "lower", f"{slot.lower.label}, grille {gl.number}")
            amount = self.number(slot.amount.ref, "amount", f"{slot.amount.label}, grille {gl.number}")
            if not label:
                self.say("error", slot.label.ref, f"grille {gl.number}", None, "tranche sans nom (A, B, C...)")
            if lower is None and cell_name(slot.lower.ref) not in self.error_cells:
                self.say("error", slot.lower.ref, f"grille {gl.number}", None, "borne inférieure manquante")
            if amount is None and cell_name(slot.amount.ref) not in self.error_cells:
                self.say("error", slot.amount.ref, f"grille {gl.number}", None, "montant manquant")
            self._tranche_lines[(gl.number, len(tranches) + 1)] = index
            tranches.append(Tranche(label, 0.0 if lower is None else lower, 0.0 if amount is None else amount))
        return Grid(
            name=self.text(gl.name.ref, gl.name.label),
            old_tariff=self.number(gl.old_tariff.ref, "old_tariff", gl.old_tariff.label),
            budget_target=self.number(gl.budget_target.ref, "budget_target", gl.budget_target.label),
            tranches=tuple(tranches),
            previous=self.previous(gl),
        )

    def previous(self, gl: GridLayout) -> tuple[Tranche, ...] | None:
        """Last year's brackets (layout version 3), None when none is typed.
        Blank lines are skipped: the formulas look at the filled ones only
        through MATCH, and validation tells a gap by its bounds."""
        tranches: list[Tranche] = []
        where = f"barème de l'an dernier, grille {gl.number}"
        for index, line in enumerate(gl.previous):
            cells = (line.label.ref, line.lower.ref, line.amount.ref)
            if all(self.values(r) in (None, "") for r in cells):
                continue
            label = self.text(line.label.ref, line.label.label)
            lower = self.number(line.lower.ref, "previous_lower", f"{line.lower.label}, {where}")
            amount = self.number(line.amount.ref, "previous_amount", f"{line.amount.label}, {where}")
            if not label:
                self.say("error", line.label.ref, where, None, "tranche sans nom (A, B, C...)")
            if lower is None and cell_name(line.lower.ref) not in self.error_cells:
                self.say("error", line.lower.ref, where, None, "borne inférieure manquante")
            if amount is None and cell_name(line.amount.ref) not in self.error_cells:
                self.say("error", line.amount.ref, where, None, "montant manquant")
            self._previous_lines[(gl.number, len(tranches) + 1)] = index
            tranches.append(Tranche(label, 0.0 if lower is None else lower, 0.0 if amount is None else amount))
        return tuple(tranches) if tranches else None

    def families(self) -> tuple[Family, ...]:
        layout = self.layout
        sheet = layout.families_sheet
        inputs = layout.input_columns
        cols = {c.key: c.col for c in inputs}
        families: list[Family] = []
        seen_keys: dict[str, int] = {}  # id as it shows -> its row
        blank_run: list[int] = []
        id_col = cols["id"]
        rows = range(layout.first_row, self.values.last_row(sheet, list(cols.values())) + 1)
        # The inputs read column by column; a row holding only plain values
        # (no formula, no text to read as a number...) makes its family at
        # once (``_plain_family``), any other goes cell by cell with its findings.
        columns = {k: self.values.column_values(sheet, c, rows.start, rows.stop - 1) for k, c in cols.items()}
        with_formulas = self.values.formula_rows(sheet, list(cols.values()), rows.start, rows.stop - 1)
        keys = list(columns)
        for row, values in zip(rows, zip(*columns.values())):
            if all(v is None or v == "" for v in values):
                blank_run.append(row)
                continue
            here = dict(zip(keys, values))
            id_ref = Ref(sheet, row, id_col)
            if blank_run and families:
                self.say(
                    "info",
                    Ref(sheet, blank_run[0], max(id_col, 0)),
                    "",
                    None,
                    f"{len(blank_run)} ligne(s) vide(s) entre des familles : ignorée(s)",
                )
            blank_run = []
            id_header = layout.column["id"].header
            plain_id = here["id"]  # a plain text id, as ``text`` would read it without a word
            plain_row = row not in with_formulas and type(plain_id) is str and plain_id == plain_id.strip()
            fid = cast(str, plain_id) if plain_row else self.text(id_ref, id_header)
            if not fid:
                self.say("error", id_ref, id_header, None, "ligne remplie sans identifiant de famille")
                continue
            if problem := id_problem(fid):
                self.say("error", id_ref, id_header, fid[:40], problem)
                continue
            # Ids a person cannot tell apart (fullwidth, another Unicode form) are one (formats.ids).
            key = id_key(fid)
            twin = self.family_rows.get(fid, seen_keys.get(key))
            if twin is not None:
                other = Ref(sheet, twin, id_col).a1
                self.say("error", id_ref, id_header, fid, f"identifiant déjà utilisé en {other}")
                continue
            self.family_rows[fid] = seen_keys[key] = row
            plain = self._plain_family(fid, here) if plain_row else None
            families.append(plain or self.family(fid, {k: Ref(sheet, row, c) for k, c in cols.items()}))
        return tuple(families)

    def _plain_family(self, fid: str, values: dict[str, object]) -> Family | None:
        """The family of a row of plain values, which :meth:`family` reads
        without a word to say: numbers (whole where counts are expected,
        below ``MAX_CELL_NUMBER``), blanks, the exact answer words. None for
        anything else: the row is then read cell by cell."""
        for key, v in values.items():
            if v is None or key == "id" or key == "notice":
                continue
            if type(v) is not float or not abs(v) < MAX_CELL_NUMBER:
                return None
            if key not in _DECIMAL_FIELDS and not v.is_integer():
                return None
        notice = values.get("notice")
        if notice is not None and notice not in _NOTICE_WORDS:
            return None

        return _family(
            fid,
            self.layout.n_grids,
            lambda key: cast("float | None", values.get(key)),
            lambda key: None if (v := values.get(key)) is None else int(cast(float, v)),
            lambda: notice != BOOL_TEXT[False],  # the formulas test "non": blank or "oui" is a notice
        )

    def family(self, fid: str, refs: dict[str, Ref]) -> Family:
        column = self.layout.column
        notice = column["notice"]
        return _family(
            fid,
            self.layout.n_grids,
            lambda key: self.number(refs[key], key, column[key].header, fid),
            lambda key: self.number(refs[key], key, column[key].header, fid, integer=True),
            # The formulas test "non": anything else is a notice given.
            lambda: self.choice(refs["notice"], notice.header, BOOL_TEXT, False, True, fid),
        )


def _family(
    fid: str,
    n_grids: int,
    number: Callable[[str], float | None],
    count: Callable[[str], int | None],
    notice: Callable[[], bool],
) -> Family:
    """A family from its inputs read one by one (in this order: the findings
    of a row come in it), blanks taking the SPEC's defaults."""

    def num(key: str, default: D) -> float | D:
        v = number(key)
        return default if v is None else v

    def whole(key: str, default: D) -> int | D:
        v = count(key)
        return default if v is None else v

    return Family(
        id=fid,
        rfr_1=num("rfr_1", None),
        rfr_2=num("rfr_2", 0.0),
        caf_aid=num("caf_aid", 0.0),
        parts=num("parts", None),
        adults=whole("adults", None),
        children=whole("children", None),
        other_dependents=whole("other_dependents", 0),
        notice=notice(),
        pupils=tuple(whole(f"pupils_g{g}", 0) for g in range(1, n_grids + 1)),
        other_enrolled=whole("other_enrolled", 0),
    )


# The family inputs read as decimal numbers (the others are counts, whole);
# and the answers to "avis d'imposition" a plain row may hold, as written.
_DECIMAL_FIELDS = frozenset({"rfr_1", "rfr_2", "caf_aid", "parts"})
_NOTICE_WORDS = frozenset(BOOL_TEXT.values())

# Number fields the workbook shows as money; rates (rate_2...) show as percentages.
_MONEY_FIELDS = frozenset({"lower", "amount", "old_tariff", "budget_target", "rfr_1", "rfr_2", "caf_aid"})


def _as_shown(key: str, number: float) -> str:
    """A number read from text, as the workbook's cell shows it: 25,0 %,
    1 020,00 €, 2,5."""
    if key.startswith("rate_"):
        return share(number)
    if key in _MONEY_FIELDS:
        return eur(number)
    return show_value(number)
