"""``workbook-engine diff OLD NEW``: what changed between two sendings of a
workbook, and what it does to the dues and the revenue.

Both files are read as ``read`` reads them (the layout found by name, so a
moved column or a renamed sheet is the same cell). Families are matched by
id: sorting the table or inserting rows changes nothing. Reported:

- parameters, and per grid its name, old tariff, target and tranches (by
  line);
- families added, removed, and each input edited (per family, by cell).
  Inputs are compared as typed, cell by cell: "35 000" typed as text over
  35000 is a change, and a file whose inputs hold errors still shows what
  changed;
- formula edits: every computed cell is compared with the layout's formula
  in each file; a cell that departs from it in one file and not in the
  other (or differently) is an edit, named by its cell, family-row cells by
  their family id (so sorting moves nothing);
- structural edits (a sheet renamed, a column deleted...) found in one file
  and not the other; harmless ones are information only;
- the effect, computed by the model from each file's inputs: revenue per
  grid and in total, and each family whose due changed (when both files'
  inputs make a scenario; otherwise the files whose inputs do not are
  named, and ``check`` says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from workbook_engine.model.domain import Scenario
from workbook_engine.model.simulate import simulate_json
from workbook_engine.workbook.check import describe_edit, formula_differences, normalize_formula
from workbook_engine.workbook.layout import Layout, Ref
from workbook_engine.workbook.reader import WorkbookRead, cell_name, read_workbook

Section = Literal["parameters", "grids", "families", "formulas", "structure"]
SECTION_TITLES: dict[Section, str] = {
    "parameters": "Paramètres",
    "grids": "Grilles et tranches",
    "families": "Familles",
    "formulas": "Formules",
    "structure": "Disposition (feuilles, lignes, colonnes, noms)",
}


@dataclass(frozen=True)
class Change:
    """One difference. ``cell`` is the NEW file's cell (the OLD file's for
    what was removed); ``counts`` is False for information only."""

    section: Section
    where: str  # the place in the bursar's words: "Paramètres", "grille 1", "famille F0008"
    what: str  # the field, in French
    old: object
    new: object
    cell: str = ""
    family: str | None = None
    grid: int | None = None
    counts: bool = True

    def as_dict(self) -> dict[str, object]:
        return {
            "section": self.section,
            "where": self.where,
            "what": self.what,
            "old": self.old,
            "new": self.new,
            "cell": self.cell,
            "family": self.family,
            "grid": self.grid,
            "counts": self.counts,
        }


@dataclass(frozen=True)
class RevenueEffect:
    grid: int | None  # None: the structure's total
    name: str
    old: float
    new: float

    @property
    def delta(self) -> float:
        return round(self.new - self.old, 2)


@dataclass(frozen=True)
class DueEffect:
    family: str
    old: float | None  # None: a family added
    new: float | None  # None: a family removed
    old_by_grid: tuple[float | None, ...]
    new_by_grid: tuple[float | None, ...]

    @property
    def delta(self) -> float:
        return round((self.new or 0.0) - (self.old or 0.0), 2)


@dataclass
class WorkbookDiff:
    old: Path
    new: Path
    changes: list[Change] = field(default_factory=list)
    revenue: list[RevenueEffect] = field(default_factory=list)  # per grid, then the total
    dues: list[DueEffect] = field(default_factory=list)  # families whose due changed
    unreadable: list[str] = field(default_factory=list)  # files whose inputs make no scenario: no effect computed

    @property
    def changed(self) -> bool:
        return any(c.counts for c in self.changes)


def diff_workbooks(old_path: str | Path, new_path: str | Path) -> WorkbookDiff:
    """The differences from ``old_path`` to ``new_path``. Inputs are compared
    cell by cell as typed (so a file whose inputs hold errors still shows
    what changed); the effect needs both files' inputs to make a scenario."""
    old, new = read_workbook(Path(old_path)), read_workbook(Path(new_path))
    diff = WorkbookDiff(old.path, new.path)
    diff.changes += _parameters(old, new)
    diff.changes += _grids(old, new)
    diff.changes += _families(old, new)
    diff.changes += _formulas(old, new)
    diff.changes += _structure(old, new)
    if old.scenario is not None and new.scenario is not None:
        _effects(diff, old.scenario, new.scenario)
    else:
        diff.unreadable = [str(r.path) for r in (old, new) if r.scenario is None]
    return diff


def _value(read: WorkbookRead, ref: Ref) -> object:
    """An input as typed (a blank is None; a formula is its text)."""
    v = read.cells(ref) if ref.row >= 0 and ref.col >= 0 else None
    return None if v == "" else v


def _parameters(old: WorkbookRead, new: WorkbookRead) -> list[Change]:
    out = []
    old_cells = old.layout.param
    for key, cell in new.layout.param.items():
        before = _value(old, old_cells[key].ref) if key in old_cells else None
        after = _value(new, cell.ref)
        if before != after:
            out.append(Change("parameters", "Paramètres", cell.label, before, after, cell_name(cell.ref)))
    return out


def _grids(old: WorkbookRead, new: WorkbookRead) -> list[Change]:
    out = []
    n_old, n_new = old.layout.n_grids, new.layout.n_grids
    for g in range(max(n_old, n_new)):
        where = f"grille {g + 1}"
        if g >= n_new:
            name = _value(old, old.layout.grids[g].name.ref)
            out.append(Change("grids", where, "grille supprimée", name, None, grid=g + 1))
            continue
        gn = new.layout.grids[g]
        if g >= n_old:
            out.append(Change("grids", where, "grille ajoutée", None, _value(new, gn.name.ref), grid=g + 1))
            continue
        go = old.layout.grids[g]
        for a, b in ((go.name, gn.name), (go.old_tariff, gn.old_tariff), (go.budget_target, gn.budget_target)):
            before, after = _value(old, a.ref), _value(new, b.ref)
            if before != after:
                out.append(Change("grids", where, b.label, before, after, cell_name(b.ref), grid=g + 1))
        for t in range(max(len(go.slots), len(gn.slots))):
            so = go.slots[t] if t < len(go.slots) else None
            sn = gn.slots[t] if t < len(gn.slots) else None
            label = _value(new, sn.label.ref) if sn else _value(old, so.label.ref) if so else None
            line = f"tranche {label} ({t + 1}e ligne)" if label not in (None, "") else f"{t + 1}e ligne de tranche"
            for attr_, word in (("label", "libellé"), ("lower", "borne basse"), ("amount", "montant par élève")):
                before = _value(old, getattr(so, attr_).ref) if so else None
                after = _value(new, getattr(sn, attr_).ref) if sn else None
                if before != after:
                    cell = cell_name(getattr(sn, attr_).ref) if sn else ""
                    out.append(Change("grids", where, f"{line} : {word}", before, after, cell, grid=g + 1))
    return out


def _family_cell(read: WorkbookRead, fid: str, key: str) -> str:
    row = read.family_rows.get(fid)
    column = read.layout.column.get(key)
    if row is None or column is None or column.col < 0:
        return ""
    return cell_name(read.layout.family_ref(row, key))


def _family_value(read: WorkbookRead, fid: str, key: str) -> object:
    row = read.family_rows[fid]
    column = read.layout.column.get(key)
    return _value(read, read.layout.family_ref(row, key)) if column is not None and column.col >= 0 else None


def _families(old: WorkbookRead, new: WorkbookRead) -> list[Change]:
    fo, fn = old.family_rows, new.family_rows
    keys = [c.key for c in new.layout.input_columns if c.key != "id"]
    keys += [c.key for c in old.layout.input_columns if c.key != "id" and c.key not in keys]
    headers = {c.key: c.header for c in (*old.layout.input_columns, *new.layout.input_columns)}
    out = []
    for fid in sorted(fo, key=fo.__getitem__):
        if fid not in fn:
            out.append(
                Change("families", f"famille {fid}", "famille retirée", fid, None, _family_cell(old, fid, "id"), fid)
            )
    for fid in sorted(fn, key=fn.__getitem__):
        if fid not in fo:
            out.append(
                Change("families", f"famille {fid}", "famille ajoutée", None, fid, _family_cell(new, fid, "id"), fid)
            )
            continue
        for key in keys:
            before, after = _family_value(old, fid, key), _family_value(new, fid, key)
            if before != after:
                grid = int(key[8:]) if key.startswith("pupils_g") else None
                out.append(
                    Change(
                        "families",
                        f"famille {fid}",
                        headers[key],
                        before,
                        after,
                        _family_cell(new, fid, key),
                        fid,
                        grid,
                    )
                )
    return out


def _formula_edits(read: WorkbookRead) -> dict[tuple[str, ...], tuple[str, str, object, str | None]]:
    """Each computed cell that departs from the layout: identity -> (cell,
    what it computes, what it holds, family). A family-row cell is
    identified by its column and family id (or its line when empty)."""
    layout: Layout = read.layout
    scalar = {c.ref: c.key for c in layout.scalar_cells()}
    columns = {c.col: c.key for c in layout.columns if c.col >= 0}
    out: dict[tuple[str, ...], tuple[str, str, object, str | None]] = {}
    for ref, _formula, label, got in formula_differences(read):
        family = None
        if ref in scalar:
            key: tuple[str, ...] = ("cell", scalar[ref])
        elif ref.sheet == layout.families_sheet and ref.col in columns:
            family = read.row_families.get(ref.row)
            key = ("column", columns[ref.col], family or f"ligne {ref.row - layout.first_row + 1}")
        else:
            key = ("ref", cell_name(ref))
        out[key] = (cell_name(ref), label, got, family)
    return out


def _same(a: object, b: object, ref_a: str, ref_b: str) -> bool:
    if isinstance(a, str) and isinstance(b, str) and a.startswith("=") and b.startswith("="):
        # A formula that moved with its family row reads other row numbers: compare in place.
        return ref_a == ref_b and normalize_formula(a) == normalize_formula(b)
    return a == b


def _formulas(old: WorkbookRead, new: WorkbookRead) -> list[Change]:
    eo, en = _formula_edits(old), _formula_edits(new)
    out = []
    for key, (cell, label, got, family) in en.items():
        before = eo.get(key)
        if before is None:
            out.append(Change("formulas", cell, f"formule modifiée ({label})", "formule du modèle", got, cell, family))
        elif not _same(before[2], got, before[0], cell):
            out.append(Change("formulas", cell, f"formule modifiée ({label})", before[2], got, cell, family))
    for key, (cell, label, got, family) in eo.items():
        if key not in en:
            out.append(Change("formulas", cell, f"formule rétablie ({label})", got, "formule du modèle", cell, family))
    return out


def _structure(old: WorkbookRead, new: WorkbookRead) -> list[Change]:
    out = []
    before, after = set(old.edits), set(new.edits)
    for e in new.edits:
        if e not in before:
            f = describe_edit(e, new.layout)
            out.append(Change("structure", f.where, f.message, None, "modifié", counts=f.severity != "info"))
    for e in old.edits:
        if e not in after:
            f = describe_edit(e, old.layout)
            out.append(Change("structure", f.where, f.message, "modifié", "annulé", counts=f.severity != "info"))
    return out


def _effects(diff: WorkbookDiff, old: Scenario, new: Scenario) -> None:
    ro, rn = simulate_json(old), simulate_json(new)
    for g in range(max(len(ro["grids"]), len(rn["grids"]))):
        go = ro["grids"][g] if g < len(ro["grids"]) else None
        gn = rn["grids"][g] if g < len(rn["grids"]) else None
        name = str((gn or go or {}).get("name") or f"Grille {g + 1}")
        diff.revenue.append(
            RevenueEffect(g + 1, name, float(go["revenue"]) if go else 0.0, float(gn["revenue"]) if gn else 0.0)
        )
    diff.revenue.append(RevenueEffect(None, "Total", float(ro["total"]["revenue"]), float(rn["total"]["revenue"])))
    fo = {f["id"]: f for f in ro["families"]}
    fn = {f["id"]: f for f in rn["families"]}
    for fid in [*fn, *(k for k in fo if k not in fn)]:
        a, b = fo.get(fid), fn.get(fid)
        if a is not None and b is not None and a["due"] == b["due"] and a["total_due"] == b["total_due"]:
            continue
        diff.dues.append(
            DueEffect(
                fid,
                a["total_due"] if a else None,
                b["total_due"] if b else None,
                tuple(a["due"]) if a else (),
                tuple(b["due"]) if b else (),
            )
        )


__all__ = ["Change", "DueEffect", "RevenueEffect", "SECTION_TITLES", "WorkbookDiff", "diff_workbooks"]
