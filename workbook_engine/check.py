"""Check a workbook: structure, numbers, inputs.

1. structure: every computed cell still holds the layout's formula; sheets
   and defined names are where the layout puts them; no family sits where no
   formula covers it;
2. numbers: the workbook's own formulas, evaluated headlessly, against the
   model computed from the same inputs, per family and per summary figure,
   to the cent;
3. inputs: the reader's warnings and errors.

Findings are French (bursars read them) and name the sheet and cell, the
family id, what was expected and what was found.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Literal

from openpyxl.formula.tokenizer import Tokenizer

from .evaluator import Evaluation, UnreadableWorkbook, evaluate_workbook
from .layout import SHEET_FAMILIES, Layout, Ref
from .model import simulate
from .problems import InputError
from .reader import WorkbookRead, cell_name, read_workbook
from .report import eur
from .safety import inspect_workbook
from .workbook_file import WorkbookFile, open_workbook_file, unreadable
from .workbook_results import family_rows, results_json_from_cells

Part = Literal["structure", "numbers", "inputs"]
Unit = Literal["eur", "ratio", "count", "text"]
REPAIR = ("Pour réparer : lisez le scénario (workbook-engine read CLASSEUR -o scenario.json) puis régénérez "
          "le classeur (workbook-engine generate scenario.json -o nouveau.xlsx).")
MAX_LISTED = 5  # cells listed per finding before "and N others"
UNITS: dict[str, Unit] = defaultdict(lambda: "text", money="eur", ratio="ratio", count="count")
MAX_PRINTED = 25  # findings printed per part; --json has them all


@dataclass(frozen=True)
class Finding:
    part: Part
    severity: Literal["error", "warning"]
    where: str
    message: str
    expected: object = None
    found: object = None
    unit: Unit = "text"

    def as_dict(self) -> dict:
        return {"part": self.part, "severity": self.severity, "where": self.where, "message": self.message,
                "expected": self.expected, "found": self.found}

    def __str__(self) -> str:
        text = f"{self.where} : {self.message}"
        if self.part == "inputs":
            return text + (f" (valeur saisie : {_show(self.found, 'text')})" if self.found is not None else "")
        if self.expected is not None or self.found is not None:
            text += f" (attendu {_show(self.expected, self.unit)}, trouvé {_show(self.found, self.unit)})"
        return text


def _show(v, unit: Unit) -> str:
    if v is None:
        return "vide"
    if isinstance(v, str):
        return f"« {v} »"
    if unit == "eur":
        return eur(v)
    if unit == "ratio":
        return f"{v:.6g}".replace(".", ",")
    return str(v)


@dataclass
class CheckReport:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    fallback_cells: list[str] = field(default_factory=list)
    unusable: str | None = None
    families: int = 0
    engine: str = "native"
    notes: list[str] = field(default_factory=list)  # macros, links...: reported, not findings
    layout: Layout | None = field(default=None, repr=False)
    values: Callable[[Ref], object] | None = field(default=None, repr=False)  # the evaluated cells

    @property
    def exit_code(self) -> int:
        if self.unusable:
            return 2
        return 1 if self.findings else 0

    @property
    def status(self) -> str:
        return {0: "ok", 1: "findings", 2: "unusable"}[self.exit_code]

    def first_finding(self) -> str:
        if self.unusable:
            return self.unusable
        return str(self.findings[0]) if self.findings else ""

    def to_json(self) -> dict:
        return {"file": str(self.path), "status": self.status, "exit_code": self.exit_code,
                "unusable": self.unusable, "families": self.families, "engine": self.engine,
                "findings": [f.as_dict() for f in self.findings], "fallback_cells": self.fallback_cells,
                "notes": self.notes}

    def format(self) -> str:
        lines = [f"Contrôle de {self.path}"]
        if self.unusable:
            return f"{self.path} : {self.unusable}\n"
        if not self.findings:
            lines.append(f"  Classeur cohérent : formules intactes, résultats identiques au modèle au centime près "
                         f"({self.families} familles).")
        lines += [f"  Note : {n}" for n in self.notes]
        titles = {"structure": "Structure (formules, feuilles, noms)", "numbers": "Calculs (comparés au modèle)",
                  "inputs": "Saisies"}
        for part, title in titles.items():
            found = [f for f in self.findings if f.part == part]
            if found:
                lines.append(f"  {title} : {len(found)} constat(s)")
                lines += [f"    - {f}" for f in found[:MAX_PRINTED]]
                if len(found) > MAX_PRINTED:
                    lines.append(f"    ... et {len(found) - MAX_PRINTED} autre(s) (liste complète avec --json)")
        if self.fallback_cells:
            lines.append(f"  {len(self.fallback_cells)} cellule(s) calculée(s) par le moteur de secours : "
                         + ", ".join(self.fallback_cells[:MAX_LISTED]))
        if any(f.part in ("structure", "numbers") for f in self.findings):
            lines.append("  " + REPAIR)
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------

def normalize_formula(text: str) -> tuple:
    """A formula as a comparable token sequence: whitespace dropped, names and
    references upper-cased, text literals kept as typed."""
    try:
        tokens = Tokenizer(text).items
    except Exception:  # noqa: BLE001 - an unparsable formula compares as its text
        return (text,)
    out = []
    for t in tokens:
        if t.type == "WHITE-SPACE":
            continue
        value = t.value if (t.type == "OPERAND" and t.subtype == "TEXT") else t.value.upper().replace("_XLFN.", "")
        out.append((t.type, value))
    return tuple(out)


def check_structure(read: WorkbookRead) -> list[Finding]:
    layout = read.layout
    findings: list[Finding] = []
    expected_sheets = ["Mode d'emploi", "Paramètres"] + [g.sheet for g in layout.grids] + \
                      ["Familles", "Synthèse", "Barème"]
    for sheet in expected_sheets:
        if sheet not in read.sheet_names:
            findings.append(Finding("structure", "error", f"feuille « {sheet} »", "feuille absente ou renommée"))
    for name, ref in layout.defined_names.items():
        got = read.defined_names.get(name)
        if got is None:
            findings.append(Finding("structure", "error", f"nom {name}", "nom défini absent", ref, None))
        elif got.replace("'", "") != ref.replace("'", ""):
            findings.append(Finding("structure", "error", f"nom {name}", "nom défini déplacé", ref, got))

    # Group by (sheet, what the cell computes) so a column filled down with an
    # edited formula is one finding, not two thousand.
    groups: dict[tuple[str, str, str], list[tuple[Ref, str, object]]] = {}
    for ref, formula, label, got in _formula_differences(read):
        if read.cells.is_formula(ref):
            kind = "formule modifiée"
        elif got is None or got == "":
            kind = "formule effacée"
        else:
            kind = "formule remplacée par une valeur"
        groups.setdefault((ref.sheet, label, kind), []).append((ref, formula, got))
    for (sheet, label, kind), cells in groups.items():
        first_ref, formula, got = cells[0]
        names = ", ".join(cell_name(r) for r, _f, _g in cells[:MAX_LISTED])
        more = f" et {len(cells) - MAX_LISTED} autre(s)" if len(cells) > MAX_LISTED else ""
        who = _family_of(read, first_ref)
        findings.append(Finding("structure", "error", f"{names}{more}", f"{kind} ({label}{who})", formula, got))
    for fid, row in read.below_formulas.items():
        findings.append(Finding("structure", "error", f"{SHEET_FAMILIES}!A{row + 1} (famille {fid})",
                                "famille saisie sous la dernière ligne de formules : son tarif n'est pas "
                                "calculé dans le classeur"))
    return findings


def _formula_differences(read: WorkbookRead) -> Iterator[tuple[Ref, str, str, object]]:
    """(cell, expected formula, what it computes, what the file holds) for
    every computed cell that does not hold its layout formula."""
    layout, cells = read.layout, read.cells
    present = set(read.sheet_names)
    for c in layout.formula_cells():
        if c.ref.sheet not in present:
            continue
        got = cells(c.ref)
        if not (cells.is_formula(c.ref) and _same_formula(got, "=" + c.formula)):
            yield c.ref, "=" + c.formula, c.label, got
    if SHEET_FAMILIES not in present:
        return
    first, last = layout.first_row, layout.last_row
    for column in layout.formula_columns:
        # Family rows come as runs of one formula in R1C1 terms. Each row
        # reference of a run and of the layout template is either fixed or
        # moves with the row, so a run that matches at its first and last
        # rows matches at every row between: two comparisons per run, not
        # one per cell.
        covered = first
        for run in cells.formula_runs(SHEET_FAMILIES, column.col):
            r0, r1 = max(run.r0, first), min(run.r1, last)
            if r0 > r1:
                continue
            yield from _column_cells(read, column, covered, r0 - 1)  # not formulas
            covered = r1 + 1
            if _same_formula(run.text(r0), "=" + column.formula(r0 + 1)) and \
                    _same_formula(run.text(r1), "=" + column.formula(r1 + 1)):
                continue
            for row in range(r0, r1 + 1):
                if not _same_formula(run.text(row), "=" + column.formula(row + 1)):
                    yield Ref(SHEET_FAMILIES, row, column.col), "=" + column.formula(row + 1), column.header, \
                        run.text(row)
        yield from _column_cells(read, column, covered, last)


def _column_cells(read: WorkbookRead, column, r0: int, r1: int) -> Iterator[tuple[Ref, str, str, object]]:
    """Rows of a formula column that hold no formula at all."""
    for row in range(r0, r1 + 1):
        ref = Ref(SHEET_FAMILIES, row, column.col)
        yield ref, "=" + column.formula(row + 1), column.header, read.cells(ref)


def _same_formula(got: object, formula: str) -> bool:
    return isinstance(got, str) and got.startswith("=") and \
        (got == formula or normalize_formula(got) == normalize_formula(formula))


def _family_of(read: WorkbookRead, ref: Ref) -> str:
    if ref.sheet != SHEET_FAMILIES:
        return ""
    for fid, row in read.family_rows.items():
        if row == ref.row:
            return f", famille {fid}"
    return ""


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

def check_numbers(read: WorkbookRead, value: Callable[[Ref], object]) -> list[Finding]:
    """The workbook's evaluated results against the model of its inputs."""
    layout = read.layout
    expected = simulate(read.scenario).to_json()
    got = results_json_from_cells(layout, value)
    findings: list[Finding] = []
    col = layout.column
    rows = {fid: r for fid, r in zip((f["id"] for f in got["families"]), family_rows(layout, value))}

    def fam_cell(fid: str, key: str) -> str:
        row = rows.get(fid)
        return f"{SHEET_FAMILIES}!{Ref(SHEET_FAMILIES, row, col[key].col).a1}" if row is not None else ""

    got_fams = {f["id"]: f for f in got["families"]}
    for exp in expected["families"]:
        fid = exp["id"]
        found = got_fams.get(fid)
        if found is None:
            continue  # a family the formulas do not cover: reported by the structure part
        for g in range(layout.n_grids):
            for field_, key, label, unit in (("tranches", f"tranche_g{g + 1}", "tranche", "text"),
                                             ("due", f"due_g{g + 1}", "dû", "eur")):
                if exp[field_][g] != found[field_][g]:
                    findings.append(Finding("numbers", "error", f"{fam_cell(fid, key)} (famille {fid})",
                                            f"{label} grille {g + 1}", exp[field_][g], found[field_][g], unit))
        for key, label, unit in (("total_due", "total dû", "eur"), ("old_due", "ancien total", "eur"),
                                 ("change", "évolution", "eur"), ("effort", "taux d'effort", "ratio")):
            if exp[key] != found[key]:
                findings.append(Finding("numbers", "error", f"{fam_cell(fid, key)} (famille {fid})", label,
                                        exp[key], found[key], unit))
    for gl, exp, found in zip(layout.grids, expected["grids"], got["grids"]):
        for key in ("revenue", "budget_target", "gap", "old_revenue", "families_without_notice", "change_pct",
                    "amplitude", "top_share"):
            if exp[key] != found[key]:
                cell = gl.summary_cell(key)
                findings.append(Finding("numbers", "error", f"{cell_name(cell.ref)}", f"{cell.label} ({gl.sheet})",
                                        exp[key], found[key], UNITS[cell.kind]))
        for i, (te, tf) in enumerate(zip(exp["tranches"], found["tranches"])):
            slot = gl.slots[i]
            for key in ("families", "pupils", "revenue"):
                if te[key] != tf[key]:
                    cell = getattr(slot, key)
                    findings.append(Finding("numbers", "error", cell_name(cell.ref),
                                            f"{cell.label} de la tranche {te['label']} ({gl.sheet})", te[key],
                                            tf[key], UNITS[cell.kind]))
    for key, exp_v in expected["total"].items():
        if exp_v != got["total"][key]:
            cell = next(c for c in layout.summary if c.key == f"total.{key}")
            findings.append(Finding("numbers", "error", cell_name(cell.ref), cell.label, exp_v, got["total"][key],
                                    UNITS[cell.kind]))
    return findings


# ---------------------------------------------------------------------------
# The whole check
# ---------------------------------------------------------------------------

Evaluate = Callable[[Path], tuple[Callable[[Ref], object], list[str]]]


def evaluate_file(source: Path | WorkbookFile, engine: str = "native") -> Evaluation:
    """Evaluate a workbook's formulas. ``source``: a path (read through the
    safety gate: bounded, decrypted in memory when a password was given) or
    a file already opened. An unreadable file is an InputError."""
    if engine == "native":
        wf = source if isinstance(source, WorkbookFile) else open_workbook_file(source)
        return wf.evaluation()
    safe = source.safe if isinstance(source, WorkbookFile) else inspect_workbook(source)
    try:
        with safe.open() as fh:
            return evaluate_workbook(fh, engine=engine)
    except UnreadableWorkbook as exc:
        raise unreadable(safe.path, exc) from None


def check_workbook(path: str | Path, evaluate: Evaluate | None = None, engine: str = "native") -> CheckReport:
    """Check one workbook. The file is parsed once: the reader and the
    evaluator share that parse. ``evaluate`` replaces the evaluation (tests
    use cached values through it)."""
    path = Path(path)
    report = CheckReport(path, engine=engine)
    try:
        wf = open_workbook_file(path)
        read = read_workbook(wf)
    except InputError as exc:
        report.unusable = "; ".join(p.message for p in exc.problems)
        return report
    report.layout = read.layout
    report.families = len(read.family_rows)
    report.notes = read.notes
    report.findings += check_structure(read)
    for p in read.problems:
        report.findings.append(Finding("inputs", p.severity, p.where, f"{p.field + ' : ' if p.field else ''}"
                                       f"{p.message}", None, p.value if p.value not in (None, "") else None))
    try:
        if evaluate is None:
            ev = evaluate_file(wf, engine)
            value, report.fallback_cells = ev, list(ev.fallback_cells)
        else:
            value, report.fallback_cells = evaluate(path)
    except InputError as exc:
        report.unusable = "; ".join(p.message for p in exc.problems)
        return report
    present = set(read.sheet_names)
    # A deleted or renamed sheet is a structure finding; its cells read blank.
    report.values = lambda ref: value(ref) if ref.sheet in present else None
    if read.scenario is not None:
        report.findings += check_numbers(read, report.values)
    else:
        report.findings.append(Finding("numbers", "error", str(path), "calculs non vérifiés : les saisies "
                                       "ci-dessous empêchent de calculer le modèle"))
    return report


def reports_json(reports: list[CheckReport]) -> str:
    return json.dumps([r.to_json() for r in reports], ensure_ascii=False, indent=2, default=str) + "\n"
