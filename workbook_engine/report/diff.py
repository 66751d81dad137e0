"""``workbook-engine diff OLD NEW``: what changed between two sendings of a
workbook, and what it does to the dues and the revenue.

Both files are read as ``read`` reads them (the layout found by name, so a
moved column or a renamed sheet is the same cell). Families are matched by
id: sorting the table or inserting rows changes nothing. Reported:

- parameters, and per grid its name, old tariff, target and tranches;
- families added, removed, and each input edited (per family, by cell);
- formula edits: every computed cell is compared with the layout's formula
  in each file; a cell that departs from it in one file and not in the
  other (or differently) is an edit, named by its cell, family-row cells by
  their family id (so sorting moves nothing);
- structural edits (a sheet renamed, a column deleted...) found in one file
  and not the other; harmless ones are information only;
- the effect, computed by the model from each file's inputs: revenue per
  grid and in total, and each family whose due changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from workbook_engine.formats.scenario_json import scenario_to_dict
from workbook_engine.model.problems import InputError
from workbook_engine.model.simulate import simulate_json
from workbook_engine.workbook.check import describe_edit, formula_differences, normalize_formula
from workbook_engine.workbook.layout import Layout
from workbook_engine.workbook.reader import WorkbookRead, cell_name, read_workbook

Section = Literal["parameters", "grids", "families", "formulas", "structure"]
SECTION_TITLES: dict[Section, str] = {
    "parameters": "Paramètres",
    "grids": "Grilles et tranches",
    "families": "Familles",
    "formulas": "Formules",
    "structure": "Disposition (feuilles, lignes, colonnes, noms)",
}
# scenario JSON key -> the layout's parameter cell key
_PARAM_CELLS = {
    "structure": "structure",
    "year": "year",
    "indicator": "indicator",
    "include_caf_aid": "include_caf_aid",
    "parts_policy": "parts_policy",
    "sibling_scope": "sibling_scope",
    "sibling_rates.0": "rate_2",
    "sibling_rates.1": "rate_3",
    "sibling_rates.2": "rate_4",
    **{f"custom_parts.{k}": f"cp_{k}" for k in ("adult", "child_1", "child_2", "child_3_plus")},
    "custom_parts.single_parent_bonus": "cp_single_parent_bonus",
    "custom_parts.other_dependent": "cp_other_dependent",
}
_FAMILY_FIELDS = (
    "rfr_1",
    "rfr_2",
    "caf_aid",
    "parts",
    "adults",
    "children",
    "other_dependents",
    "notice",
    "other_enrolled",
)


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

    @property
    def changed(self) -> bool:
        return any(c.counts for c in self.changes)


def diff_workbooks(old_path: str | Path, new_path: str | Path) -> WorkbookDiff:
    old, new = _read(Path(old_path)), _read(Path(new_path))
    diff = WorkbookDiff(old.path, new.path)
    diff.changes += _parameters(old, new)
    diff.changes += _grids(old, new)
    diff.changes += _families(old, new)
    diff.changes += _formulas(old, new)
    diff.changes += _structure(old, new)
    _effects(diff, old, new)
    return diff


def _read(path: Path) -> WorkbookRead:
    read = read_workbook(path)
    if read.scenario is None:
        raise InputError(read.errors)
    return read


def _flat(data: object, prefix: str = "") -> dict[str, object]:
    if isinstance(data, dict):
        out: dict[str, object] = {}
        for k, v in data.items():
            out |= _flat(v, f"{prefix}{k}.")
        return out
    if isinstance(data, list):
        out = {}
        for i, v in enumerate(data):
            out |= _flat(v, f"{prefix}{i}.")
        return out
    return {prefix.rstrip("."): data}


def _param_cell(read: WorkbookRead, key: str) -> tuple[str, str]:
    cell = read.layout.param.get(_PARAM_CELLS.get(key, ""))
    return (cell.label, cell_name(cell.ref)) if cell is not None else (key, "")


def _parameters(old: WorkbookRead, new: WorkbookRead) -> list[Change]:
    assert old.scenario is not None and new.scenario is not None
    a, b = scenario_to_dict(old.scenario), scenario_to_dict(new.scenario)
    for d in (a, b):
        d.pop("grids")  # type: ignore[misc]
        d.pop("families")  # type: ignore[misc]
    fa, fb = _flat(a), _flat(b)
    out = []
    for key in dict.fromkeys([*fa, *fb]):
        if fa.get(key) != fb.get(key):
            label, cell = _param_cell(new, key)
            out.append(Change("parameters", "Paramètres", label, fa.get(key), fb.get(key), cell))
    return out


def _grids(old: WorkbookRead, new: WorkbookRead) -> list[Change]:
    assert old.scenario is not None and new.scenario is not None
    out = []
    for g in range(max(old.scenario.n_grids, new.scenario.n_grids)):
        where = f"grille {g + 1}"
        if g >= new.scenario.n_grids:
            out.append(Change("grids", where, "grille supprimée", old.scenario.grids[g].name, None, grid=g + 1))
            continue
        if g >= old.scenario.n_grids:
            out.append(Change("grids", where, "grille ajoutée", None, new.scenario.grids[g].name, grid=g + 1))
            continue
        go, gn = old.scenario.grids[g], new.scenario.grids[g]
        gl = new.layout.grids[g]
        for attr_, cell in (("name", gl.name), ("old_tariff", gl.old_tariff), ("budget_target", gl.budget_target)):
            if getattr(go, attr_) != getattr(gn, attr_):
                out.append(
                    Change(
                        "grids",
                        where,
                        cell.label,
                        getattr(go, attr_),
                        getattr(gn, attr_),
                        cell_name(cell.ref),
                        grid=g + 1,
                    )
                )
        for t in range(max(len(go.tranches), len(gn.tranches))):
            slot = gl.slots[t] if t < len(gl.slots) else None
            if t >= len(gn.tranches):
                out.append(
                    Change(
                        "grids",
                        where,
                        f"tranche {go.tranches[t].label} supprimée",
                        go.tranches[t].label,
                        None,
                        grid=g + 1,
                    )
                )
                continue
            if t >= len(go.tranches):
                tn = gn.tranches[t]
                out.append(
                    Change(
                        "grids",
                        where,
                        f"tranche {tn.label} ajoutée",
                        None,
                        f"{tn.label} : à partir de {tn.lower:g}, {tn.amount:g} €",
                        cell_name(slot.label.ref) if slot else "",
                        grid=g + 1,
                    )
                )
                continue
            to, tn = go.tranches[t], gn.tranches[t]
            for attr_, label in (("label", "libellé"), ("lower", "borne basse"), ("amount", "montant par élève")):
                if getattr(to, attr_) != getattr(tn, attr_):
                    slot_cell = getattr(slot, attr_) if slot else None
                    out.append(
                        Change(
                            "grids",
                            where,
                            f"tranche {tn.label} ({t + 1}e ligne) : {label}",
                            getattr(to, attr_),
                            getattr(tn, attr_),
                            cell_name(slot_cell.ref) if slot_cell else "",
                            grid=g + 1,
                        )
                    )
    return out


def _family_cell(read: WorkbookRead, fid: str, key: str) -> str:
    row = read.family_rows.get(fid)
    column = read.layout.column.get(key)
    if row is None or column is None or column.col < 0:
        return ""
    return cell_name(read.layout.family_ref(row, key))


def _families(old: WorkbookRead, new: WorkbookRead) -> list[Change]:
    assert old.scenario is not None and new.scenario is not None
    fo = {f.id: f for f in old.scenario.families}
    fn = {f.id: f for f in new.scenario.families}
    headers = {c.key: c.header for c in new.layout.input_columns}
    out = []
    for fid in fo.keys() - fn.keys():
        out.append(
            Change("families", f"famille {fid}", "famille retirée", fid, None, _family_cell(old, fid, "id"), fid)
        )
    for fid in fn.keys() - fo.keys():
        out.append(
            Change("families", f"famille {fid}", "famille ajoutée", None, fid, _family_cell(new, fid, "id"), fid)
        )
    for fid in fn.keys() & fo.keys():
        a, b = fo[fid], fn[fid]
        for key in _FAMILY_FIELDS:
            if getattr(a, key) != getattr(b, key):
                out.append(
                    Change(
                        "families",
                        f"famille {fid}",
                        headers.get(key, key),
                        getattr(a, key),
                        getattr(b, key),
                        _family_cell(new, fid, key),
                        fid,
                    )
                )
        for g in range(max(len(a.pupils), len(b.pupils))):
            pa = a.pupils[g] if g < len(a.pupils) else None
            pb = b.pupils[g] if g < len(b.pupils) else None
            if pa != pb:
                key = f"pupils_g{g + 1}"
                out.append(
                    Change(
                        "families",
                        f"famille {fid}",
                        headers.get(key, key),
                        pa,
                        pb,
                        _family_cell(new, fid, key),
                        fid,
                        g + 1,
                    )
                )
    order = {fid: i for i, fid in enumerate([*fn, *(k for k in fo if k not in fn)])}
    return sorted(out, key=lambda c: order[c.family or ""])


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


def _effects(diff: WorkbookDiff, old: WorkbookRead, new: WorkbookRead) -> None:
    assert old.scenario is not None and new.scenario is not None
    ro, rn = simulate_json(old.scenario), simulate_json(new.scenario)
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
