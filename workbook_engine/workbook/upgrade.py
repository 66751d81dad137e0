"""Move a workbook of any released layout version into the current template.

The inputs are what ``read`` reads (parameters, grids with their tranches,
families), wherever the bursar's edits put them; the new workbook is the
current layout generated from them, with at least the old file's room
(tranche lines, family rows). What the reader does not read, the bursar's
own columns and sheets, cannot be carried: the plan says so, cell by cell,
and the command exits 1 then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workbook_engine.evaluator.refs import Ref
from workbook_engine.model.domain import Scenario
from workbook_engine.model.problems import Problem
from workbook_engine.workbook.generate import layout_for
from workbook_engine.workbook.layout import LAYOUT_VERSION, SHEET_HELP, Cell, GridLayout, Layout
from workbook_engine.workbook.placement import StructureEdit
from workbook_engine.workbook.reader import WorkbookRead, read_workbook
from workbook_engine.workbook.writer import write_workbook


@dataclass(frozen=True)
class Moved:
    """One block of inputs: where its cells were in the old file, where they
    are in the new one (``first:last`` of each, which may span moved rows
    or columns in the old file), and how many cells."""

    what: str
    old: str
    new: str
    cells: int
    family_column: bool = False  # one input column of the family rows
    column_moved: bool = False  # ... now at another letter: worth a line of its own


@dataclass(frozen=True)
class NotCarried:
    """Something the bursar typed that the new workbook does not hold."""

    what: str
    sheet: str
    cell: str = ""  # "B4" when the place is one cell; "" for a whole sheet


@dataclass
class UpgradePlan:
    source: Path
    from_version: int
    layout: Layout  # the new workbook's
    scenario: Scenario
    moved: list[Moved] = field(default_factory=list)
    not_carried: list[NotCarried] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the reader's warnings and information

    @property
    def complete(self) -> bool:
        return not self.not_carried


def plan_upgrade(read: WorkbookRead) -> UpgradePlan:
    """What an upgrade of this read workbook carries, and where to. The
    caller has made sure ``read.scenario`` is set (no input errors)."""
    assert read.scenario is not None
    old = read.layout
    generated = read.placement.generated
    new = layout_for(read.scenario, generated.n_slots, generated.capacity)
    plan = UpgradePlan(read.path, generated.version, new, read.scenario, problems=list(read.problems))
    plan.moved.append(_block("Paramètres", old.params, new.params))
    for g_old, g_new, grid in zip(old.grids, new.grids, read.scenario.grids, strict=True):
        used = len(grid.tranches)
        label = f"grille {g_new.number}" + (f" « {grid.name} »" if grid.name else "")
        plan.moved.append(_block(f"{label} : nom, ancien tarif, objectif", _grid_head(g_old), _grid_head(g_new)))
        if used:
            plan.moved.append(
                _block(
                    f"{label} : {used} tranche(s)",
                    [c for s in g_old.slots[:used] for c in (s.label, s.lower, s.amount)],
                    [c for s in g_new.slots[:used] for c in (s.label, s.lower, s.amount)],
                )
            )
    plan.moved += _family_blocks(read, new)
    plan.not_carried = _not_carried(read, old)
    return plan


def write_upgrade(plan: UpgradePlan, output: Path) -> None:
    """Write the new workbook of a plan (the current layout, live formulas)."""
    from workbook_engine.model.simulate import simulate

    write_workbook(output, plan.layout, plan.scenario, simulate(plan.scenario))


def upgrade_workbook(source: str | Path, output: str | Path) -> UpgradePlan:
    """Read ``source`` (any released version), write ``output`` in the
    current layout; raises InputError (from the reader) when the inputs
    have errors, so nothing is written."""
    from workbook_engine.model.problems import InputError

    read = read_workbook(source)
    if read.scenario is None:
        raise InputError(read.errors)
    plan = plan_upgrade(read)
    write_upgrade(plan, Path(output))
    return plan


def _grid_head(g: GridLayout) -> list[Cell]:
    return [g.name, g.old_tariff, g.budget_target]


def _span(refs: Iterable[Ref]) -> str:
    """``Sheet!A1:C9`` of the first and last cells (in reading order)."""
    ordered = sorted(refs, key=lambda r: (r.sheet, r.row, r.col))
    first, last = ordered[0], ordered[-1]
    text = f"{first.sheet}!{_a1(first)}"
    return text if first == last else f"{text}:{_a1(last)}"


def _a1(ref: Ref) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return str(xl_rowcol_to_cell(ref.row, ref.col))


def _block(what: str, old: Iterable[Cell], new: Iterable[Cell]) -> Moved:
    old_refs = [c.ref for c in old]
    new_refs = [c.ref for c in new]
    return Moved(what, _span(old_refs), _span(new_refs), len(new_refs))


def _family_blocks(read: WorkbookRead, new: Layout) -> list[Moved]:
    """The family rows, in the order the reader read them (which is the
    order the new workbook writes them), one block per input column."""
    rows = sorted(read.family_rows.values())
    if not rows:
        return []
    old = read.layout
    first_new, last_new = new.first_row, new.first_row + len(rows) - 1
    n = len(rows)
    out = [
        Moved(
            f"familles : {n} ligne(s)",
            f"{old.families_sheet}!{rows[0] + 1}:{rows[-1] + 1}",
            f"{new.families_sheet}!{first_new + 1}:{last_new + 1}",
            n * len(new.input_columns),
        )
    ]
    for c_new in new.input_columns:
        c_old = old.column.get(c_new.key)
        if c_old is None:  # a column this version did not have: nothing typed there
            continue
        out.append(
            Moved(
                f"familles : {c_new.header}",
                _span([Ref(old.families_sheet, rows[0], c_old.col), Ref(old.families_sheet, rows[-1], c_old.col)]),
                _span([Ref(new.families_sheet, first_new, c_new.col), Ref(new.families_sheet, last_new, c_new.col)]),
                n,
                family_column=True,
                column_moved=c_old.col != c_new.col,
            )
        )
    return out


def _not_carried(read: WorkbookRead, old: Layout) -> list[NotCarried]:
    """The bursar's own columns and sheets: the reader never reads them, so
    the new workbook cannot hold them."""
    out = [_inserted_column(e) for e in read.edits if e.kind == "column_inserted"]
    # The help sheet holds no cell the layout lists, yet it is the layout's.
    layout_sheets = {c.ref.sheet for c in old.scalar_cells()} | {old.families_sheet, SHEET_HELP}
    out += [NotCarried(f"feuille « {s} » ajoutée au classeur", s) for s in read.sheet_names if s not in layout_sheets]
    return out


def _inserted_column(e: StructureEdit) -> NotCarried:
    from xlsxwriter.utility import xl_col_to_name

    label = f" « {e.label} »" if e.label else ""
    cell = xl_col_to_name(e.col) if e.col is not None else ""
    return NotCarried(f"colonne{label} insérée par l'établissement", e.sheet, cell)


def describe(plan: UpgradePlan, output: Path) -> list[str]:
    """The French report, one line per block."""
    lines = [
        f"Classeur mis à jour : {output} (modèle version {plan.from_version} → version {LAYOUT_VERSION}, "
        f"{plan.scenario.n_grids} grille(s), {len(plan.scenario.families)} famille(s))"
    ]
    # Family columns that kept their letter go without saying (JSON lists them all).
    shown = [m for m in plan.moved if not m.family_column or m.column_moved]
    lines += [f"  repris : {m.what} : {m.old} → {m.new}" for m in shown]
    for n in plan.not_carried:
        where = f"{n.sheet}!{n.cell}" if n.cell else n.sheet
        lines.append(f"  non repris : {where} : {n.what} (à recopier à la main si besoin)")
    return lines
