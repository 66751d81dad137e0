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
import re
from dataclasses import dataclass, field
from pathlib import Path

from .domain import CustomParts, Family, Grid, Scenario, Tranche
from .layout import (
    BOOL_TEXT,
    DEFAULT_CAPACITY,
    DEFAULT_SLOTS,
    SHEET_FAMILIES,
    SHEET_PARAMS,
    Cell,
    Layout,
    Ref,
    build_layout,
    grid_sheet,
)
from .problems import InputError, Problem
from .scenario_json import merge_problems
from .textnum import needed_tolerance, parse_int, parse_number, parse_yes_no
from .validation import validate
from .workbook_file import WorkbookFile, open_workbook_file

# Words a bursar may type for each choice, beyond the workbook's own.
_CHOICE_WORDS = {
    "indicator": {"qf": "qf", "quotient familial": "qf", "quotient": "qf", "rfr": "rfr",
                  "revenu fiscal de référence": "rfr", "revenu": "rfr"},
    "parts_policy": {"fiscales": "fiscal", "fiscale": "fiscal", "fiscal": "fiscal", "calculées": "custom",
                     "calculees": "custom", "calculée": "custom", "calculee": "custom", "custom": "custom"},
    "sibling_scope": {"structure": "structure", "réseau": "network", "reseau": "network", "network": "network"},
}
MAX_CELL_NUMBER = 1e12  # no income, amount or count is this large: a typing accident
_RANGE = re.compile(r"\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$")


@dataclass
class WorkbookRead:
    """What the reader found: the scenario (None when errors prevent it), every
    problem, the inferred layout, and where each family sits."""

    path: Path
    layout: Layout
    cells: WorkbookFile
    scenario: Scenario | None
    problems: list[Problem] = field(default_factory=list)
    family_rows: dict[str, int] = field(default_factory=dict)  # id -> 0-based row
    defined_names: dict[str, str] = field(default_factory=dict)
    sheet_names: list[str] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """Macros, links to other workbooks...: found, never run nor followed."""
        return self.cells.safe.notes()

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


def infer_layout(path: Path, values: WorkbookFile, names: dict[str, str], sheet_names: list[str]) -> Layout:
    """The layout this file was generated with: grids from its sheets, tranche
    lines and family rows from its defined names (or the sheets, when a name
    was deleted)."""
    n_grids = 0
    while grid_sheet(n_grids + 1) in sheet_names:
        n_grids += 1
    missing = [s for s in (SHEET_PARAMS, SHEET_FAMILIES) if s not in sheet_names]
    if n_grids == 0:
        missing.append(grid_sheet(1))
    if missing:
        raise unusable(path, "ce classeur ne vient pas de workbook_engine ou a été modifié : feuille(s) "
                             + ", ".join(f"« {s} »" for s in missing) + " absente(s)")
    slots = _range_length(names.get("FAMILLES_TRANCHE_G1")) or _slots_from_sheet(values, DEFAULT_SLOTS)
    probe = build_layout(n_grids, slots, 1)
    capacity = _range_length(names.get("ID_FAMILLE")) or _capacity_from_sheet(values, probe)
    return build_layout(n_grids, slots, capacity)


def _range_length(ref: str | None) -> int | None:
    if not ref:
        return None
    m = _RANGE.search(ref.split("!")[-1])
    return int(m.group(4)) - int(m.group(2)) + 1 if m else None


def _slots_from_sheet(values: WorkbookFile, default: int) -> int:
    """Tranche lines = rows between the header and the "Total" line."""
    probe = build_layout(1, default, 1).grids[0]
    first = probe.slots[0].label.ref.row
    for row in range(first, first + 200):
        if values(Ref(probe.sheet, row, 0)) == "Total":
            return max(row - first, 1)
    return default


def _capacity_from_sheet(values: WorkbookFile, probe: Layout) -> int:
    """Family rows = consecutive formula rows of the total column (the
    ID_FAMILLE name was deleted)."""
    last = probe.first_row - 1
    for run in values.formula_runs(SHEET_FAMILIES, probe.column["total_due"].col):
        if run.r0 <= last + 1 <= run.r1:
            last = run.r1
    return last - probe.first_row + 1 if last >= probe.first_row else DEFAULT_CAPACITY


def read_workbook(source: str | Path | WorkbookFile) -> WorkbookRead:
    """Read a workbook's inputs (a path, or a file already opened with
    ``open_workbook_file``). Raises InputError only when the file is no
    usable workbook; problems with its contents are in ``.problems``."""
    values = source if isinstance(source, WorkbookFile) else open_workbook_file(source)
    path = values.path
    names, sheet_names = values.defined_names, values.sheet_names
    layout = infer_layout(path, values, names, sheet_names)
    reader = _Reader(path, layout, values)
    scenario = reader.scenario()
    read = WorkbookRead(path, layout, values, None, reader.problems, reader.family_rows, names, sheet_names)
    read.problems = merge_problems(read.problems, [reader.locate(p) for p in validate(scenario)])
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


class _Reader:
    def __init__(self, path: Path, layout: Layout, values: WorkbookFile):
        self.path = path
        self.layout = layout
        self.values = values
        self.problems: list[Problem] = []
        self.family_rows: dict[str, int] = {}
        self._tranche_cells: dict[tuple[int, str], dict[str, Ref]] = {}

    # -- problems ------------------------------------------------------------
    def warn(self, ref: Ref, field_: str, value, message: str, who: str = "") -> None:
        where = cell_name(ref) + (f" ({who})" if who else "")
        self.problems.append(Problem(where, field_, value, message, "warning"))

    def error(self, ref: Ref, field_: str, value, message: str, who: str = "") -> None:
        where = cell_name(ref) + (f" ({who})" if who else "")
        self.problems.append(Problem(where, field_, value, message, "error"))

    def locate(self, p: Problem) -> Problem:
        """Add the cell to a rule problem ("famille F1" + "parts" -> its cell)."""
        ref = None
        if p.where.startswith("famille ") and p.where[8:] in self.family_rows:
            key = p.field.split("[")[0]
            if key == "pupils" and "[" in p.field:
                key = f"pupils_g{int(p.field[7:-1]) + 1}"
            if key in self.layout.column:
                ref = Ref(SHEET_FAMILIES, self.family_rows[p.where[8:]], self.layout.column[key].col)
        m = re.match(r"grille (\d+).*, tranche (.+)$", p.where)
        if m and (int(m.group(1)), m.group(2)) in self._tranche_cells:
            ref = self._tranche_cells[(int(m.group(1)), m.group(2))].get(p.field)
        if p.where.startswith("grille ") and p.field in ("old_tariff", "budget_target"):
            g = int(p.where.split()[1])
            ref = getattr(self.layout.grids[g - 1], p.field).ref
        if ref is None:
            return p
        return Problem(f"{cell_name(ref)} ({p.where})", p.field, p.value, p.message, p.severity)

    # -- values --------------------------------------------------------------
    def raw(self, ref: Ref):
        v = self.values(ref)
        if self.values.is_formula(ref):
            self.warn(ref, "", v, "formule dans une cellule de saisie : la valeur qu'elle calcule est utilisée")
            return self.values.computed(ref)
        return v

    def text(self, ref: Ref, field_: str, who: str = "") -> str:
        v = self.raw(ref)
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = str(v)
        if s != s.strip():
            self.warn(ref, field_, s, "espaces en trop supprimés", who)
        return s.strip()

    def number(self, ref: Ref, field_: str, who: str = "", *, integer: bool = False):
        """A number, or None for a blank cell; text is read with tolerance."""
        v = self.raw(ref)
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, bool) or isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
            self.error(ref, field_, str(v), "un nombre est attendu (la cellule contient une date ou VRAI/FAUX)", who)
            return None
        if isinstance(v, (int, float)):
            if not abs(v) < MAX_CELL_NUMBER:  # also NaN and infinities
                self.error(ref, field_, v, "valeur démesurée : vérifiez la saisie", who)
                return None
            if integer and v != int(v):
                self.error(ref, field_, v, "un nombre entier est attendu", who)
                return None
            return int(v) if integer else float(v)
        try:
            number = parse_int(v) if integer else parse_number(v)
        except ValueError as exc:
            reason = str(exc)
            self.error(ref, field_, v, reason if "illisible" in reason else f"nombre illisible : {reason}", who)
            return None
        if needed_tolerance(v) or v != v.strip():
            self.warn(ref, field_, v, f"nombre saisi comme texte, lu comme {number:g}", who)
        else:
            self.warn(ref, field_, v, "nombre saisi comme texte", who)
        return number

    def yes_no(self, ref: Ref, field_: str, default: bool, who: str = "") -> bool:
        v = self.raw(ref)
        if v is None or (isinstance(v, str) and not v.strip()):
            return default
        if isinstance(v, bool):
            return v
        text = str(v).strip()
        if text in (BOOL_TEXT[True], BOOL_TEXT[False]):
            return text == BOOL_TEXT[True]
        try:
            answer = parse_yes_no(text)
        except ValueError:
            self.error(ref, field_, v, "oui ou non attendu", who)
            return default
        self.warn(ref, field_, v, f"compris comme « {BOOL_TEXT[answer]} » ; écrivez « {BOOL_TEXT[answer]} », "
                                  "seule valeur que les formules du classeur reconnaissent", who)
        return answer

    def choice(self, cell: Cell, default: str) -> str:
        v = self.raw(cell.ref)
        if v is None or not str(v).strip():
            return default
        text = str(v).strip()
        exact = {w: code for code, w in (cell.choices or {}).items()}
        if text in exact:
            return exact[text]
        code = _CHOICE_WORDS.get(cell.key, {}).get(text.lower())
        if code is None:
            self.error(cell.ref, cell.key, v, "valeur attendue parmi : " + ", ".join(exact))
            return default
        self.warn(cell.ref, cell.key, v, f"compris comme « {cell.choices[code]} » ; écrivez exactement "
                                         f"« {cell.choices[code]} » pour que les formules la reconnaissent")
        return code

    # -- the scenario --------------------------------------------------------
    def scenario(self) -> Scenario:
        p = self.layout.param
        defaults = CustomParts()

        def num(key: str, default: float) -> float:
            v = self.number(p[key].ref, key)
            return default if v is None else v

        rates = tuple(num(k, 0.0) for k in ("rate_2", "rate_3", "rate_4"))
        custom = CustomParts(**{attr: num(f"cp_{attr}", getattr(defaults, attr)) for attr in vars(defaults)})
        caf = self.yes_no(p["include_caf_aid"].ref, "include_caf_aid", False)
        return Scenario(
            structure=self.text(p["structure"].ref, "structure"),
            year=self.text(p["year"].ref, "year"),
            indicator=self.choice(p["indicator"], "qf"),
            include_caf_aid=caf,
            parts_policy=self.choice(p["parts_policy"], "fiscal"),
            custom_parts=custom,
            sibling_rates=rates,
            sibling_scope=self.choice(p["sibling_scope"], "structure"),
            grids=tuple(self.grid(gl) for gl in self.layout.grids),
            families=self.families(),
        )

    def grid(self, gl) -> Grid:
        tranches = []
        gap_at = None
        for slot in gl.slots:
            cells = (slot.label.ref, slot.lower.ref, slot.amount.ref)
            if all(self.values(r) in (None, "") for r in cells):
                gap_at = gap_at or slot
                continue
            if gap_at is not None and tranches:
                self.warn(gap_at.label.ref, "tranches", None, "ligne de tranche vide au milieu du tableau : ignorée")
            gap_at = None
            label = self.text(slot.label.ref, "label")
            lower = self.number(slot.lower.ref, "lower", f"grille {gl.number}")
            amount = self.number(slot.amount.ref, "amount", f"grille {gl.number}")
            if not label:
                self.error(slot.label.ref, "label", None, "tranche sans nom (A, B, C...)")
            if lower is None:
                self.error(slot.lower.ref, "lower", None, "borne inférieure manquante")
            if amount is None:
                self.error(slot.amount.ref, "amount", None, "montant manquant")
            self._tranche_cells[(gl.number, label or str(slot.number))] = {
                "label": slot.label.ref, "lower": slot.lower.ref, "amount": slot.amount.ref}
            tranches.append(Tranche(label, 0.0 if lower is None else lower, 0.0 if amount is None else amount))
        return Grid(
            name=self.text(gl.name.ref, "name"),
            old_tariff=self.number(gl.old_tariff.ref, "old_tariff"),
            budget_target=self.number(gl.budget_target.ref, "budget_target"),
            tranches=tuple(tranches),
        )

    def families(self) -> tuple[Family, ...]:
        layout = self.layout
        inputs = layout.input_columns
        cols = {c.key: c.col for c in inputs}
        families = []
        blank_run: list[int] = []
        for row in range(layout.first_row, self.values.last_row(SHEET_FAMILIES, list(cols.values())) + 1):
            refs = {k: Ref(SHEET_FAMILIES, row, c) for k, c in cols.items()}
            if all(self.values(r) in (None, "") for r in refs.values()):
                blank_run.append(row)
                continue
            if blank_run and families:
                self.warn(Ref(SHEET_FAMILIES, blank_run[0], 0), "", None,
                          f"{len(blank_run)} ligne(s) vide(s) entre des familles : ignorée(s)")
            blank_run = []
            fid = self.text(refs["id"], "id")
            if not fid:
                self.error(refs["id"], "id", None, "ligne remplie sans identifiant de famille")
                continue
            if fid in self.family_rows:
                other = Ref(SHEET_FAMILIES, self.family_rows[fid], 0).a1
                self.error(refs["id"], "id", fid, f"identifiant déjà utilisé en {other}")
                continue
            self.family_rows[fid] = row
            families.append(self.family(fid, refs))
        return tuple(families)

    def family(self, fid: str, refs: dict[str, Ref]) -> Family:
        who = f"famille {fid}"

        def num(key: str, default, integer: bool = False):
            v = self.number(refs[key], key, who, integer=integer)
            return default if v is None else v

        return Family(
            id=fid,
            rfr_1=num("rfr_1", None),
            rfr_2=num("rfr_2", 0.0),
            caf_aid=num("caf_aid", 0.0),
            parts=num("parts", None),
            adults=num("adults", None, True),
            children=num("children", None, True),
            other_dependents=num("other_dependents", 0, True),
            notice=self.yes_no(refs["notice"], "notice", True, who),
            pupils=tuple(num(f"pupils_g{g}", 0, True) for g in range(1, self.layout.n_grids + 1)),
            other_enrolled=num("other_enrolled", 0, True),
        )

