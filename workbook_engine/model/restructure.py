"""Reshape scenarios: merge several workbooks of one structure into one of N
grids, or split one into workbooks holding chosen grids.

Merging (SPEC, "Merging beyond three grids"): every grid of every input, in
order; families with the same id become one family whose pupils span all
grids, so sibling ranks run across all of them. Conflicting inputs are errors
naming each file, family id, field and both values; nothing is chosen
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from workbook_engine.model.domain import FAMILY_INPUTS, Family, Grid, Scenario
from workbook_engine.model.french import Figure, eur
from workbook_engine.model.problems import InputError, Problem
from workbook_engine.model.simulate import simulate

# Parameters that must be equal in every merged file (the structure's rules).
STRUCTURE_PARAMETERS = (
    "indicator",
    "include_caf_aid",
    "parts_policy",
    "custom_parts",
    "sibling_rates",
    "sibling_scope",
)
# Family inputs that must agree when the same id is in several files: all
# but the id, the pupils (added up) and other_enrolled (reconciled apart).
FAMILY_FIELDS = tuple(k for k in FAMILY_INPUTS if k not in ("id", "other_enrolled"))


def select_grids(s: Scenario, grids: list[int]) -> tuple[Scenario, int]:
    """The scenario restricted to ``grids`` (1-based, in that order); each
    family keeps its pupils there, and families left with none are dropped.
    Children left in the other grids now study in another Catholic school of
    the network: they join ``other_enrolled`` (merging takes them back out).
    Returns the scenario and the number of families dropped."""
    idx = [g - 1 for g in grids]
    kept, dropped = [], 0
    for f in s.families:
        pupils = tuple(f.pupils[i] for i in idx)
        if sum(pupils) == 0:
            dropped += 1
            continue
        kept.append(replace(f, pupils=pupils, other_enrolled=f.other_enrolled + sum(f.pupils) - sum(pupils)))
    return replace(s, grids=tuple(s.grids[i] for i in idx), families=tuple(kept)), dropped


@dataclass
class MergeReport:
    """What a merge took from each file and what ranking across files changed."""

    sources: list[str]
    grids_from: dict[str, list[str]] = field(default_factory=dict)  # file -> merged grid names
    families_from: dict[str, int] = field(default_factory=dict)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (file, old name, new name)
    shared_families: dict[str, list[str]] = field(default_factory=dict)  # id -> files
    notes: list[str] = field(default_factory=list)
    # figures rounded to the cent (``results.money``)
    total_changes: list[tuple[str, Figure, Figure]] = field(default_factory=list)  # id, before, after
    grid_revenue: list[tuple[str, Figure, Figure]] = field(default_factory=list)  # grid, before, after

    def to_json(self) -> dict[str, object]:
        return {
            "files": [
                {"file": s, "grids": self.grids_from[s], "families": self.families_from[s]} for s in self.sources
            ],
            "renamed_grids": [{"file": f, "from": a, "to": b} for f, a, b in self.renamed],
            "families_in_several_files": [{"id": k, "files": v} for k, v in self.shared_families.items()],
            "notes": self.notes,
            "families_whose_total_changes": [{"id": i, "before": b, "after": a} for i, b, a in self.total_changes],
            "grids": [{"name": g, "revenue_before": b, "revenue_after": a} for g, b, a in self.grid_revenue],
        }

    def format(self) -> str:
        out = ["Fusion"]
        for s in self.sources:
            out.append(
                f"  {s} : {len(self.grids_from[s])} grille(s) ({', '.join(self.grids_from[s])}), "
                f"{self.families_from[s]} famille(s)"
            )
        for f, a, b in self.renamed:
            out.append(f"  grille « {a} » de {f} renommée « {b} » (nom déjà pris)")
        out += [f"  {n}" for n in self.notes]
        out.append(f"  Familles présentes dans plusieurs fichiers : {len(self.shared_families)}")
        out.append(
            f"  Familles dont le total change (rangs des enfants calculés sur toutes les grilles) : "
            f"{len(self.total_changes)}"
        )
        for fid, before, after in self.total_changes[:20]:
            out.append(f"    {fid} : {eur(before)} -> {eur(after)}")
        if len(self.total_changes) > 20:
            out.append(f"    ... et {len(self.total_changes) - 20} autre(s) (liste complète avec --json)")
        out.append("  Recettes par grille (fichiers séparés -> fusionnés) :")
        for name, before, after in self.grid_revenue:
            out.append(f"    {name} : {eur(before)} -> {eur(after)}")
        return "\n".join(out) + "\n"


def merge_scenarios(inputs: list[tuple[str, Scenario]]) -> tuple[Scenario, MergeReport]:
    """Merge scenarios (``(source name, scenario)`` in order). Raises
    InputError listing every conflict."""
    if not inputs:
        raise ValueError("nothing to merge")
    first_source, first = inputs[0]
    report = MergeReport([src for src, _s in inputs])
    problems: list[Problem] = []
    for src, s in inputs[1:]:
        for param in STRUCTURE_PARAMETERS:
            a, b = getattr(first, param), getattr(s, param)
            if a != b:
                problems.append(
                    Problem(
                        "paramètres de la structure",
                        param,
                        f"{a} ({first_source}) / {b} ({src})",
                        f"valeurs différentes dans {first_source} et {src}",
                        source=src,
                    )
                )
        for attr, label in (("structure", "nom de la structure"), ("year", "année scolaire")):
            if getattr(s, attr) != getattr(first, attr):
                report.notes.append(
                    f"{label} différent dans {src} (« {getattr(s, attr)} ») : celui de "
                    f"{first_source} est gardé (« {getattr(first, attr)} »)"
                )

    # Grids, in order, with unique names.
    grids: list[Grid] = []
    taken: set[str] = set()
    offsets: list[int] = []
    for src, s in inputs:
        offsets.append(len(grids))
        report.grids_from[src] = []
        for g in s.grids:
            name, k = g.name, 2
            while name in taken:
                name, k = f"{g.name} ({k})", k + 1
            if name != g.name:
                report.renamed.append((src, g.name, name))
            taken.add(name)
            grids.append(replace(g, name=name))
            report.grids_from[src].append(name)
    n = len(grids)

    # Families: one per id, pupils placed in the merged grids.
    merged: dict[str, Family] = {}
    seen_in: dict[str, list[tuple[str, Family, int]]] = {}
    for (src, s), offset in zip(inputs, offsets):
        report.families_from[src] = len(s.families)
        for f in s.families:
            seen_in.setdefault(f.id, []).append((src, f, offset))
    for fid, copies in seen_in.items():
        src0, f0, _ = copies[0]
        pupils = [0] * n
        for src, f, offset in copies:
            for i, p in enumerate(f.pupils):
                pupils[offset + i] += p
            for name in FAMILY_FIELDS:
                if getattr(f, name) != getattr(f0, name):
                    problems.append(
                        Problem(
                            f"famille {fid}",
                            name,
                            f"{getattr(f0, name)} ({src0}) / {getattr(f, name)} ({src})",
                            f"valeurs différentes dans {src0} et {src}",
                            source=src,
                        )
                    )
        # Children counted "in other Catholic schools" by one file may be the
        # ones another file enrols: they are no longer "other" once merged.
        others = {max(f.other_enrolled - (sum(pupils) - sum(f.pupils)), 0) for _src, f, _o in copies}
        if len(others) > 1:
            problems.append(
                Problem(
                    f"famille {fid}",
                    "other_enrolled",
                    " / ".join(f"{f.other_enrolled} ({src})" for src, f, _o in copies),
                    "enfants dans d'autres établissements incohérents entre les fichiers, une fois "
                    "retirés les enfants inscrits dans les autres fichiers fusionnés",
                )
            )
        merged[fid] = replace(f0, pupils=tuple(pupils), other_enrolled=min(others))
        if len(copies) > 1:
            report.shared_families[fid] = [src for src, _f, _o in copies]
    if problems:
        raise InputError(problems)

    scenario = replace(first, grids=tuple(grids), families=tuple(merged.values()))
    _effect_of_merging(report, inputs, scenario)
    return scenario, report


def _effect_of_merging(report: MergeReport, inputs: list[tuple[str, Scenario]], merged: Scenario) -> None:
    """Totals and revenues before (files apart) and after (merged)."""
    from workbook_engine.model.results import money

    before_total: dict[str, float] = {}
    before_revenue: list[float] = []
    for _src, s in inputs:
        r = simulate(s)
        for fid, total in zip(r.families["id"], r.families["total_due"]):
            before_total[fid] = before_total.get(fid, 0.0) + float(total)
        before_revenue += [float(x) for x in r.grids["revenue"]]
    after = simulate(merged)
    for fid, total in zip(after.families["id"], after.families["total_due"]):
        b, a = money(before_total[fid]), money(float(total))
        if a != b:
            report.total_changes.append((fid, b, a))
    report.grid_revenue = [
        (g.name, money(b), money(float(a))) for g, b, a in zip(merged.grids, before_revenue, after.grids["revenue"])
    ]
