"""Check a workbook: structure, numbers, inputs.

1. structure: every computed cell still holds the layout's formula; sheets
   and defined names are where the layout puts them; no family sits where no
   formula covers it;
2. numbers: the workbook's own formulas, evaluated headlessly, against the
   model computed from the same inputs, per family and per summary figure,
   to the cent;
3. inputs: the reader's warnings and errors;
4. review: the method's yearly advice (information only): a grid whose top
   tranche holds more than a threshold share of its families should have
   that tranche split (``calibrate --split-top-share``).

Findings are French (bursars read them) and name the sheet and cell, the
family id, what was expected and what was found.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, cast

import numpy as np

from workbook_engine.evaluator.refs import col_letters
from workbook_engine.evaluator.tokenizer import OPERANDS, TEXT, WSPACE, tokenize
from workbook_engine.model.domain import Scenario
from workbook_engine.model.problems import InputError, show_value
from workbook_engine.model.results import has_previous as model_has_previous
from workbook_engine.model.results import summary_json
from workbook_engine.model.simulate import family_table, tranches_moved_by_rounding
from workbook_engine.workbook import compare
from workbook_engine.workbook.compare import Convert, same_figures
from workbook_engine.workbook.file import open_workbook_file
from workbook_engine.workbook.layout import Column, Layout, Ref
from workbook_engine.workbook.placement import StructureEdit
from workbook_engine.workbook.reader import WorkbookRead, cell_name, read_workbook
from workbook_engine.workbook.results import (
    SheetsPresent,
    family_columns,
    family_keys,
    has_previous,
    summary_json_from_cells,
    used_slots,
)

Part = Literal["structure", "numbers", "inputs", "review"]
Unit = Literal["eur", "ratio", "factor", "count", "text"]  # factor: a ratio shown as 2,25 (amplitude)
FindingSeverity = Literal["error", "warning", "info"]
CheckStatus = Literal["ok", "findings", "unusable"]
REPAIR = (
    "Pour réparer : lisez le scénario (workbook-engine read CLASSEUR -o scenario.json) puis régénérez "
    "le classeur (workbook-engine generate scenario.json -o nouveau.xlsx)."
)

MAX_LISTED = 3  # cells named per line before "et N autres"
UNITS: dict[str, Unit] = defaultdict(lambda: "text", money="eur", ratio="ratio", count="count")
MAX_PRINTED = 25  # lines printed per part; --json has them all
# The method says "when many families sit in the top tranche, split it" and
# gives no figure; calibrate has no default either. A quarter of a grid's
# families in its top tranche is our default (``check --top-share-threshold``).
TOP_SHARE_THRESHOLD = 0.25


@dataclass(frozen=True)
class Finding:
    """One thing found. ``where`` names the cell for a human; ``cell`` and
    ``family`` keep the place as data; findings of one cause share
    ``message`` (what is wrong, in French) and print as one line."""

    part: Part
    severity: FindingSeverity
    where: str
    message: str
    expected: object = None
    found: object = None
    unit: Unit = "text"
    cell: str = ""
    family: str | None = None
    count: int = 1  # cells this finding stands for (a column edited all the way down is one finding)
    harmless_if_numbers_hold: bool = False  # a structural edit that is only information when nothing broke

    def as_dict(self) -> dict[str, object]:
        return {
            "part": self.part,
            "severity": self.severity,
            "where": self.where,
            "cell": self.cell,
            "family": self.family,
            "count": self.count,
            "message": self.message,
            "expected": _json_value(self.expected),
            "found": _json_value(self.found),
        }

    def __str__(self) -> str:
        return _line([self])


def _json_value(v: object) -> object:
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)


def _show(v: object, unit: Unit, digits: int = 2) -> str:
    """A figure as the workbook shows it: 1 234,56 €, 12,34 % (a ratio),
    2,25 (a factor such as the amplitude); ``digits`` decimals."""
    if v is None or v == "":
        return "vide"
    if isinstance(v, str):
        return show_value(v)
    if isinstance(v, bool):
        return show_value(v)
    if isinstance(v, (int, float)) and unit in ("eur", "ratio", "factor"):
        x, suffix = (v * 100, " %") if unit == "ratio" else (v, " €" if unit == "eur" else "")
        return f"{x:,.{digits}f}{suffix}".replace(",", "\u202f").replace(".", ",")
    if isinstance(v, (int, float)):
        return show_value(float(v) if isinstance(v, float) else v)
    return show_value(str(v))


def _shown_pair(expected: object, found: object, unit: Unit) -> tuple[str, str]:
    """Expected and found as the workbook shows them, with more decimals only
    when the workbook's would show two different figures alike."""
    for digits in (2, 4, 6):
        pair = _show(expected, unit, digits), _show(found, unit, digits)
        if pair[0] != pair[1]:
            return pair
    return pair


def _line(group: list[Finding]) -> str:
    """One line for findings of one cause: the first places, how many
    others, what is wrong, and (for the first) what was expected and found."""
    first = group[0]
    places = ", ".join(f.where for f in group[:MAX_LISTED])
    if len(group) > MAX_LISTED:
        places += f" et {sum(f.count for f in group[MAX_LISTED:])} autre(s)"
    text = f"{places} : {first.message}"
    if first.part == "review":
        return text  # the figures are in the message
    if first.part == "inputs":
        return text + (f" (valeur saisie : {_show(first.found, 'text')})" if first.found is not None else "")
    if first.expected is not None or first.found is not None:
        shown_expected, shown_found = _shown_pair(first.expected, first.found, first.unit)
        text += f" (attendu {shown_expected}, trouvé {shown_found}"
        text += ", pour la première)" if len(group) > 1 else ")"
    return text


def cause_line(group: list[Finding]) -> str:
    """The line ``check`` prints for findings of one cause (reports reuse it)."""
    return _line(group)


def show_figure(value: object, unit: Unit) -> str:
    """A value as the findings show it (money in euros, ratios in %)."""
    return _show(value, unit)


def group_findings(findings: list[Finding]) -> list[list[Finding]]:
    """Findings of one cause together (same part, severity and message), in
    the order their causes first appear."""
    groups: dict[tuple[Part, FindingSeverity, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.part, f.severity, f.message), []).append(f)
    return list(groups.values())


@dataclass
class CheckReport:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    fallback_cells: list[str] = field(default_factory=list)
    unusable: str | None = None
    families: int = 0
    notes: list[str] = field(default_factory=list)  # macros, links...: reported, not findings
    layout: Layout | None = field(default=None, repr=False)
    values: Callable[[Ref], object] | None = field(default=None, repr=False)  # the evaluated cells
    version: str = ""  # the layout version the workbook says it is
    scenario: Scenario | None = field(default=None, repr=False)  # the inputs, when they make a scenario

    @property
    def exit_code(self) -> int:
        if self.unusable:
            return 2
        return 1 if any(f.severity != "info" for f in self.findings) else 0

    @property
    def status(self) -> CheckStatus:
        statuses: dict[int, CheckStatus] = {0: "ok", 1: "findings", 2: "unusable"}
        return statuses[self.exit_code]

    def first_finding(self) -> str:
        if self.unusable:
            return self.unusable
        serious = [f for f in self.findings if f.severity != "info"]
        return _line(group_findings(serious)[0]) if serious else ""

    def to_json(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "status": self.status,
            "exit_code": self.exit_code,
            "unusable": self.unusable,
            "families": self.families,
            "layout_version": self.version,
            "findings": [f.as_dict() for f in self.findings],
            "fallback_cells": self.fallback_cells,
            "notes": self.notes,
        }

    def format(self) -> str:
        lines = [f"Contrôle de {self.path}"]
        if self.unusable:
            return f"{self.path} : {self.unusable}\n"
        if not any(f.severity != "info" for f in self.findings):
            lines.append(
                f"  Classeur cohérent : formules intactes, résultats identiques au modèle au centime près "
                f"({self.families} familles)."
            )
        lines += [f"  Note : {n}" for n in self.notes]
        titles = {
            "structure": "Structure (formules, feuilles, noms)",
            "numbers": "Calculs (comparés au modèle)",
            "inputs": "Saisies",
            "review": "Révision annuelle de la grille (conseil)",
        }
        marks = {"error": "-", "warning": "-", "info": "i"}
        for part, title in titles.items():
            groups = group_findings([f for f in self.findings if f.part == part])
            if not groups:
                continue
            cells = sum(f.count for g in groups for f in g)
            count = f"{len(groups)} constat(s)" + (f" sur {cells} cellules" if cells > len(groups) else "")
            lines.append(f"  {title} : {count}")
            lines += [f"    {marks[g[0].severity]} {_line(g)}" for g in groups[:MAX_PRINTED]]
            if len(groups) > MAX_PRINTED:
                lines.append(f"    ... et {len(groups) - MAX_PRINTED} autre(s) constat(s) (liste complète avec --json)")
        if any(f.part in ("structure", "numbers") and f.severity == "error" for f in self.findings):
            lines.append("  " + REPAIR)
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------


def normalize_formula(text: str) -> tuple[str | tuple[str, str], ...]:
    """A formula as a comparable token sequence: whitespace dropped, names and
    references upper-cased, text literals kept as typed, any reference that
    lost its cells written #REF! (spreadsheets write it several ways)."""
    try:
        tokens = tokenize(text)  # openpyxl's tokens (evaluator.tokenizer)
    except Exception:  # noqa: BLE001 - TokenizerError, IndexError: an unparsable formula compares as its text
        return (text,)
    out: list[tuple[str, str]] = []
    for kind, value in tokens:
        if kind == WSPACE:
            continue
        if kind == TEXT:
            pass
        elif kind in OPERANDS and "#REF!" in value.upper():
            value = "#REF!"
        else:
            value = value.upper().replace("_XLFN.", "")
        out.append((kind, value))
    return tuple(out)


def _column_letter(col: int | None) -> str:
    return "?" if col is None or col < 0 else col_letters(col)


# How each structural edit reads, and how serious it is: harmless by nature
# ("info"), harmless when the numbers still hold ("soft": info then, else a
# warning), or always worth a look ("warning": a layout sheet or name gone).
def _edit_finding(e: StructureEdit, layout: Layout) -> Finding:
    where = f"feuille « {e.sheet} »"
    benign: bool | None = True  # None: always a warning
    lines = "ligne" if e.count == 1 else f"{e.count} lignes"
    gone, added = ("supprimée", "insérée") if e.count == 1 else ("supprimées", "insérées")
    if e.kind == "sheet_renamed":
        message = f"feuille « {e.old} » renommée « {e.sheet} » : formules et noms ont suivi"
    elif e.kind == "sheet_missing":
        message, benign = "feuille supprimée", None
    elif e.kind == "column_inserted":
        where = f"{e.sheet}!{_column_letter(e.col)}"
        message = (
            "colonne insérée"
            + (f" « {e.label} »" if e.label else "")
            + (f" avant « {e.old} »" if e.old else "")
            + " : le classeur l'ignore"
        )
    elif e.kind == "column_deleted":
        message, benign = f"colonne « {e.label} » supprimée", False
    elif e.kind == "column_moved":
        where = f"{e.sheet}!{_column_letter(e.col)}"
        message = f"colonne « {e.label} » déplacée ici"
    elif e.kind in ("rows_deleted", "rows_inserted"):
        verb = gone if e.kind == "rows_deleted" else added
        if e.label == "familles":
            message = f"{lines} du tableau des familles {verb} (il en compte {layout.capacity})"
        elif e.label.startswith("tranche") and e.label != "tranches":
            message, benign = f"ligne de la tranche n° {e.label[7:]} {verb}", False
        elif e.label == "tranches":
            message, benign = f"{lines} {verb} dans le tableau des tranches", False
        elif e.label:
            message, benign = f"ligne de la cellule nommée {e.label} {verb}", False
        else:
            message = f"{lines} {verb}" + (f" vers la ligne {e.row + 1}" if e.row else "")
    elif e.kind == "name_missing":
        message, benign = f"nom défini {e.label} supprimé", None
        where = f"nom {e.label}"
    elif e.kind == "name_broken":
        message, benign = f"nom défini {e.label} modifié : il ne désigne plus les cellules du modèle (ignoré)", None
        where = f"nom {e.label}"
    elif e.kind == "cells_shifted":
        message, benign = (
            (
                "des cellules ont été insérées ou supprimées sans la ligne ou la colonne entière : les "
                "noms ne s'accordent plus"
            ),
            None,
        )
    else:  # no_stamp
        message = (
            "classeur d'une version antérieure de workbook_engine (sans tampon) : lu d'après ses feuilles ; "
            "régénérez-le pour profiter des noms qui suivent les modifications"
        )
    severity: FindingSeverity = "info" if benign else "warning"
    return Finding("structure", severity, where, message, harmless_if_numbers_hold=benign is False)


def check_structure(read: WorkbookRead) -> list[Finding]:
    layout = read.layout
    findings = [_edit_finding(e, layout) for e in read.edits]

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
        ref, formula, got = cells[0]
        places = ", ".join(_place(read, r) for r, _f, _g in cells[:MAX_LISTED])
        if len(cells) > MAX_LISTED:
            places += f" et {len(cells) - MAX_LISTED} autre(s)"
        findings.append(
            Finding(
                "structure",
                "error",
                places,
                f"{kind} ({label}, feuille {sheet})",
                formula,
                got,
                cell=cell_name(ref),
                family=_family_of(read, ref),
                count=len(cells),
            )
        )
    for fid, row in read.below_formulas.items():
        ref = Ref(layout.families_sheet, row, max(layout.column["id"].col, 0))
        findings.append(
            Finding(
                "structure",
                "error",
                f"{cell_name(ref)} (famille {fid})",
                "famille saisie sous la dernière ligne de formules : son tarif n'est pas calculé dans le classeur",
                cell=cell_name(ref),
                family=fid,
            )
        )
    return findings


def _formula_differences(read: WorkbookRead) -> Iterator[tuple[Ref, str, str, object]]:
    """(cell, expected formula, what it computes, what the file holds) for
    every computed cell that does not hold its layout formula."""
    layout, cells = read.layout, read.cells
    present = set(read.sheet_names)
    for c in layout.formula_cells():
        if c.ref.sheet not in present or c.ref.row < 0 or c.formula is None:
            continue
        got = cells(c.ref)
        if not (cells.is_formula(c.ref) and _same_formula(got, "=" + c.formula)):
            yield c.ref, "=" + c.formula, c.label, got
    sheet = layout.families_sheet
    if sheet not in present:
        return
    first, last = layout.first_row, layout.last_row
    for column in layout.formula_columns:
        if column.col < 0:
            continue  # a deleted column: reported as such
        # Family rows come as runs of one formula in R1C1 terms. Each row
        # reference of a run and of the layout template is either fixed or
        # moves with the row, so a run that matches at its first and last
        # rows matches at every row between: two comparisons per run, not
        # one per cell.
        covered = first
        for run in cells.formula_runs(sheet, column.col):
            r0, r1 = max(run.r0, first), min(run.r1, last)
            if r0 > r1:
                continue
            yield from _column_cells(read, column, covered, r0 - 1)  # not formulas
            covered = r1 + 1
            if _same_formula(run.text(r0), "=" + column.formula(r0 + 1)) and _same_formula(
                run.text(r1), "=" + column.formula(r1 + 1)
            ):
                continue
            for row in range(r0, r1 + 1):
                if not _same_formula(run.text(row), "=" + column.formula(row + 1)):
                    yield Ref(sheet, row, column.col), "=" + column.formula(row + 1), column.header, run.text(row)
        yield from _column_cells(read, column, covered, last)


def _column_cells(read: WorkbookRead, column: Column, r0: int, r1: int) -> Iterator[tuple[Ref, str, str, object]]:
    """Rows of a formula column that hold no formula at all."""
    for row in range(r0, r1 + 1):
        ref = Ref(read.layout.families_sheet, row, column.col)
        yield ref, "=" + column.formula(row + 1), column.header, read.cells(ref)


def formula_differences(read: WorkbookRead) -> Iterator[tuple[Ref, str, str, object]]:
    """(cell, expected formula, what it computes, what the file holds) for
    every computed cell that does not hold its layout formula (``diff``
    compares two files' lists)."""
    return _formula_differences(read)


def describe_edit(edit: StructureEdit, layout: Layout) -> Finding:
    """A structural edit as check reports it (``diff`` says it the same way)."""
    return _edit_finding(edit, layout)


def _same_formula(got: object, formula: str) -> bool:
    return (
        isinstance(got, str)
        and got.startswith("=")
        and (got == formula or normalize_formula(got) == normalize_formula(formula))
    )


def _place(read: WorkbookRead, ref: Ref) -> str:
    who = _family_of(read, ref)
    return cell_name(ref) + (f" (famille {who})" if who else "")


def _family_of(read: WorkbookRead, ref: Ref) -> str | None:
    if ref.sheet != read.layout.families_sheet:
        return None
    return read.row_families.get(ref.row)


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------


def check_numbers(read: WorkbookRead, value: Callable[[Ref], object]) -> list[Finding]:
    """The workbook's evaluated results against the model of its inputs."""
    layout = read.layout
    assert read.scenario is not None, "the numbers are checked only when the inputs make a scenario"
    # Layout versions 1 and 2 compare the unrounded indicator with the bounds:
    # their formulas are checked as they were written, and the families this
    # puts in another bracket than the rounded rule are told (below).
    rounded = layout.version >= 3
    table = family_table(read.scenario, round_indicator=rounded)  # the model's per-family columns
    expected = summary_json(read.scenario, table)
    prev = has_previous(layout, value)
    got = summary_json_from_cells(layout, value, prev)
    findings: list[Finding] = []
    col = layout.column
    got_rows, got_cols = family_columns(layout, value, family_keys(layout, prev))
    # A family id as the results JSON shows it (str of the cell); the last
    # row of an id wins, as in a dict (duplicates are the reader's finding).
    at = {str(fid): i for i, fid in enumerate(got_cols["id"])}

    def fam_cell(fid: str, key: str) -> str:
        i = at.get(fid)
        return cell_name(layout.family_ref(got_rows[i], key)) if i is not None and col[key].col >= 0 else ""

    if not rounded:
        for fid, moves in tranches_moved_by_rounding(read.scenario).items():
            g, unrounded, decimal = moves[0]
            findings.append(
                Finding(
                    "numbers",
                    "warning",
                    f"{fam_cell(fid, f'tranche_g{g}')} (famille {fid})",
                    "tranche différente selon que l'indicateur est arrondi au centime (règle actuelle : "
                    "« attendu ») ou non (formules de ce classeur d'une version antérieure : « trouvé ») ; "
                    "ex. 2 700 / 2,7, que le tableur calcule 999,9999999999999 : Excel la met sous la borne "
                    "de 1 000, LibreOffice sur la borne ; régénérez le classeur",
                    decimal,
                    unrounded,
                    "text",
                    fam_cell(fid, f"tranche_g{g}"),
                    fid,
                )
            )
    findings += _family_findings(read, table, got_cols, at, fam_cell)
    for gl, exp, found in zip(layout.grids, expected["grids"], got["grids"]):
        for key in (
            "revenue",
            "budget_target",
            "gap",
            "old_revenue",
            "families_without_notice",
            "change_pct",
            "amplitude",
            "top_share",
            *(("previous_revenue", "change_vs_previous") if "previous_revenue" in exp else ()),
        ):
            if exp[key] != found.get(key):
                cell = gl.summary_cell(key)
                findings.append(
                    Finding(
                        "numbers",
                        "error",
                        f"{cell_name(cell.ref)}",
                        f"{cell.label} ({gl.sheet})",
                        exp[key],
                        found.get(key),
                        "factor" if key == "amplitude" else UNITS[cell.kind],
                        cell_name(cell.ref),
                    )
                )
        for slot, te, tf in zip(used_slots(gl, value), exp["tranches"], found["tranches"]):
            for key in ("families", "pupils", "revenue"):
                if te[key] != tf[key]:
                    cell = getattr(slot, key)
                    findings.append(
                        Finding(
                            "numbers",
                            "error",
                            cell_name(cell.ref),
                            f"{cell.label} de la tranche {te['label']} ({gl.sheet})",
                            te[key],
                            tf[key],
                            UNITS[cell.kind],
                            cell_name(cell.ref),
                        )
                    )
    for key, exp_v in expected["total"].items():
        if exp_v != got["total"].get(key):
            cell = next(c for c in layout.summary if c.key == f"total.{key}")
            findings.append(
                Finding(
                    "numbers",
                    "error",
                    cell_name(cell.ref),
                    cell.label,
                    exp_v,
                    got["total"].get(key),  # last year's figures: absent when the workbook shows none
                    UNITS[cell.kind],
                    cell_name(cell.ref),
                )
            )
    return findings


# (family column, what, unit, the results JSON's converter): per grid, then per family.
_PER_GRID: tuple[tuple[str, str, Unit, Convert], ...] = (
    ("tranche_g{g}", "tranche", "text", compare.label),
    ("due_g{g}", "dû", "eur", compare.money),
)
_PER_GRID_PREVIOUS: tuple[tuple[str, str, Unit, Convert], ...] = (
    ("previous_tranche_g{g}", "tranche de l'an dernier", "text", compare.label),
    ("previous_due_g{g}", "dû avec le barème de l'an dernier", "eur", compare.money),
)
_PER_FAMILY: tuple[tuple[str, str, Unit, Convert], ...] = (
    ("total_due", "total dû", "eur", compare.money),
    ("old_due", "ancien total", "eur", compare.money),
    ("change", "évolution", "eur", compare.money),
    ("effort", "taux d'effort", "ratio", compare.ratio),
)
_PER_FAMILY_PREVIOUS: tuple[tuple[str, str, Unit, Convert], ...] = (
    ("previous_total", "total avec le barème de l'an dernier", "eur", compare.money),
    ("change_vs_previous", "évolution par rapport à l'an dernier", "eur", compare.money),
)


def _family_findings(
    read: WorkbookRead,
    table: dict[str, object],
    got: dict[str, list[object]],
    at: dict[str, int],
    fam_cell: Callable[[str, str], str],
) -> list[Finding]:
    """Each family's figures, model against workbook, column by column
    (``compare``); a finding per differing figure, family by family in the
    scenario's order, grid by grid, as the results JSON lists them.

    A family of the scenario that no formula row shows is the structure
    part's finding, not one here. Last year's figures are compared when the
    scenario has last year's brackets; a workbook that shows none reads blank."""
    layout = read.layout
    scenario = read.scenario
    assert scenario is not None
    ids = [str(fid) for fid in cast(np.ndarray, table["id"]).tolist()]
    where = [at.get(fid) for fid in ids]
    present = [i for i, w in enumerate(where) if w is not None]
    rows = [w for w in where if w is not None]
    expected_previous = model_has_previous(scenario)
    per_grid = _PER_GRID + (_PER_GRID_PREVIOUS if expected_previous else ())
    per_family = _PER_FAMILY + (_PER_FAMILY_PREVIOUS if expected_previous else ())
    blank: list[object] = [None] * len(rows)

    def compared(key: str, convert: Convert) -> tuple[list[object], list[object], np.ndarray]:
        column = cast(np.ndarray, table[key]).tolist()
        exp = [column[i] for i in present]
        found = [got[key][r] for r in rows] if key in got else blank  # last year's: read when shown
        return exp, found, ~same_figures(exp, found, convert)

    # In the results JSON's order: a family's grids, then its totals.
    checks: list[tuple[str, str, Unit, Convert, list[object], list[object], np.ndarray]] = []
    for g in range(1, layout.n_grids + 1):
        for key, what, unit, convert in per_grid:
            checks.append((key.format(g=g), f"{what} grille {g}", unit, convert, *compared(key.format(g=g), convert)))
    for key, what, unit, convert in per_family:
        checks.append((key, what, unit, convert, *compared(key, convert)))
    findings: list[Finding] = []
    for k in np.flatnonzero(np.logical_or.reduce([c[-1] for c in checks])).tolist():
        fid = ids[present[k]]
        for key, what, unit, convert, exp, found, wrong in checks:
            if wrong[k]:
                cell = fam_cell(fid, key)
                where_ = f"{cell} (famille {fid})"
                findings.append(
                    Finding("numbers", "error", where_, what, convert(exp[k]), convert(found[k]), unit, cell, fid)
                )
    return findings


# ---------------------------------------------------------------------------
# The whole check
# ---------------------------------------------------------------------------

Evaluate = Callable[[Path], tuple[Callable[[Ref], object], list[str]]]


def check_workbook(
    path: str | Path, evaluate: Evaluate | None = None, top_share_threshold: float = TOP_SHARE_THRESHOLD
) -> CheckReport:
    """Check one workbook. The file is parsed once: the reader and the
    evaluator share that parse. ``evaluate`` replaces the evaluation (tests
    use cached values through it). ``top_share_threshold``: the share of a
    grid's families in its top tranche above which the review advice is given."""
    path = Path(path)
    report = CheckReport(path)
    try:
        wf = open_workbook_file(path)
        read = read_workbook(wf)
    except InputError as exc:
        report.unusable = "; ".join(p.message for p in exc.problems)
        return report
    report.layout = read.layout
    report.families = len(read.family_rows)
    report.notes = read.notes
    report.scenario = read.scenario
    stamp = read.placement.stamp
    report.version = f"{stamp.version}" if stamp else "1 (sans tampon)"
    report.findings += check_structure(read)
    for p in read.problems:
        report.findings.append(
            Finding(
                "inputs",
                p.severity,
                p.where,
                p.message,
                None,
                p.value if p.value not in (None, "") else None,
                cell=p.cell,
                family=p.family,
            )
        )
    value: Callable[[Ref], object]
    try:
        if evaluate is None:
            ev = wf.evaluation()
            value, report.fallback_cells = ev, list(ev.fallback_cells)
            unverified = ev.unverified
        else:
            value, report.fallback_cells = evaluate(path)
            unverified = {"calculée par le moteur de secours": report.fallback_cells} if report.fallback_cells else {}
    except InputError as exc:
        report.unusable = "; ".join(p.message for p in exc.problems)
        return report
    report.findings += unverified_findings(unverified)
    # A deleted or renamed sheet is a structure finding; its cells read blank.
    report.values = values = SheetsPresent(value, read.sheet_names)
    if read.scenario is not None:
        report.findings += check_numbers(read, values)
    else:
        report.findings.append(
            Finding(
                "numbers",
                "warning",
                str(path),
                "calculs non vérifiés : les saisies ci-dessous empêchent de calculer le modèle",
            )
        )
    if not any(f.severity == "error" and f.part in ("structure", "numbers") for f in report.findings):
        # Every formula and every number still holds: the soft edits were harmless.
        report.findings = [replace(f, severity="info") if f.harmless_if_numbers_hold else f for f in report.findings]
    report.findings += review_advice(read.layout, values, report.findings, top_share_threshold)
    return report


def review_advice(
    layout: Layout, value: Callable[[Ref], object], findings: list[Finding], threshold: float
) -> list[Finding]:
    """The method's yearly review, as information on each grid's top-share
    cell: more than ``threshold`` of the grid's families in its top tranche
    advise splitting it. The figure is the workbook's own; a grid without
    families (the cell is blank) or whose figure the check found wrong gets
    no advice."""
    wrong = {f.cell for f in findings if f.severity == "error"}
    out: list[Finding] = []
    for gl in layout.grids:
        cell = cell_name(gl.summary_cell("top_share").ref)
        share = value(gl.summary_cell("top_share").ref)
        if cell in wrong or isinstance(share, bool) or not isinstance(share, (int, float)) or share <= threshold:
            continue
        message = split_advice(f"la grille « {gl.sheet} »", share, threshold)
        out.append(Finding("review", "info", cell, message, cell=cell))
    return out


def split_advice(grid: str, share: float, threshold: float) -> str:
    """The method's advice for a crowded top tranche (``grid``: « la grille
    « École » »), shared by ``check`` and ``rollover``."""
    option = f"{threshold:g}".replace(".", ",")
    return (
        f"{_show(share, 'ratio', 1)} des familles de {grid} sont dans sa tranche la plus "
        f"haute (seuil : {_show(threshold, 'ratio', 1)}) : la méthode conseille de scinder cette tranche à la "
        f"révision annuelle ; workbook-engine calibrate CLASSEUR --split-top-share {option} -o PROPOSITION.xlsx "
        "propose une tranche de plus, coupée à la médiane des familles de la tranche"
    )


def unverified_findings(unverified: dict[str, list[str]]) -> list[Finding]:
    """A warning per cause for the cells no native formula computed (the
    ``formulas`` fallback, formulas nested too deep): their values are not
    vouched for. One line per cause names the first cells and counts the
    others (the last finding of a cause stands for the rest)."""
    out: list[Finding] = []
    for cause, cells in unverified.items():
        message = f"valeur non vérifiée : {cause} ; workbook-engine ne garantit pas ce résultat"
        shown = cells[:MAX_LISTED]
        for cell in shown:
            out.append(Finding("numbers", "warning", cell, message, cell=cell))
        if len(cells) > len(shown):
            rest = cells[len(shown)]
            out.append(Finding("numbers", "warning", rest, message, cell=rest, count=len(cells) - len(shown)))
    return out


def reports_json(reports: list[CheckReport]) -> str:
    return json.dumps([r.to_json() for r in reports], ensure_ascii=False, indent=2, default=str) + "\n"
