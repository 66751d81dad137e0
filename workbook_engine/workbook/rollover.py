"""Next school year's scenario from this year's (``workbook-engine rollover``).

Pure: a scenario in, the next year's scenario and a report out. Families
are carried (ids, composition, pupils, children in other schools), grids
and amounts are carried, and each grid's brackets become its previous grid
(last year's brackets), so that every family's "previous due" is what last
year's grid gives it with this year's ranking. Incomes are last year's
notices: kept and listed as to be updated, or cleared (``clear_incomes``):
then the family is "notice not provided" and pays the top tranche until
the bursar types its new notice (the SPEC's rule for a missing notice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from workbook_engine.model.domain import Family, Grid, Scenario
from workbook_engine.model.french import eur
from workbook_engine.model.results import JSONObject
from workbook_engine.model.simulate import simulate_json
from workbook_engine.workbook.check import TOP_SHARE_THRESHOLD, split_advice
from workbook_engine.workbook.writer import ReportSheet

YEAR = re.compile(r"(\d{4})-(\d{4})")
REPORT_SHEET = "Reconduction"


@dataclass(frozen=True)
class RolloverReport:
    """What ``rollover_scenario`` carried, and last year's figures."""

    last_year: str
    year: str
    structure: str
    families: int
    grids: tuple[str, ...]
    incomes_cleared: bool
    to_update: tuple[str, ...]  # ids of the families whose notice must be updated
    last_results: JSONObject  # last year's results JSON (the model's)
    advice: tuple[str, ...] = ()  # the yearly review: grids whose top tranche is crowded

    def lines(self) -> list[str]:
        """The report in French, for the terminal."""
        last = self.last_year or "l'an dernier"
        t = self.last_results["total"]
        out = [
            f"Reconduction {last} → {self.year}" + (f" ({self.structure})" if self.structure else ""),
            f"  {self.families} famille(s) reprise(s) : identifiants, composition, élèves par grille.",
            f"  {len(self.grids)} grille(s) reprise(s) avec leurs tranches et montants ; "
            "les tranches de cette année deviennent le barème de l'an dernier (la comparaison).",
        ]
        if self.incomes_cleared:
            out.append(
                f"  Revenus effacés : {len(self.to_update)} famille(s) marquée(s) « avis non fourni » "
                "(tranche la plus haute) jusqu'à la saisie du nouvel avis."
            )
        else:
            out.append(
                f"  Revenus de l'an dernier conservés : {len(self.to_update)} famille(s) à mettre à jour "
                "avec le nouvel avis d'imposition (liste dans la feuille « Reconduction »)."
            )
        out.append(f"  Bilan {last} :")
        for g in self.last_results["grids"]:
            out.append(
                f"    {g['name'] or 'grille'} : {g['families']} famille(s), recettes {eur(g['revenue'])}"
                + (f", objectif {eur(g['budget_target'])}" if g["budget_target"] is not None else "")
            )
        out.append(
            f"    Total : {t['families']} famille(s), recettes {eur(t['revenue'])}"
            + (f", objectif {eur(t['budget_target'])}" if t["budget_target"] is not None else "")
        )
        out += [f"  Conseil : {a}" for a in self.advice]
        return out

    def sheet(self) -> ReportSheet:
        """The report as a sheet of the new workbook: the families to update."""
        why = (
            "avis effacé : saisir le nouvel avis puis « oui »"
            if self.incomes_cleared
            else "revenus de l'an dernier : à mettre à jour avec le nouvel avis"
        )
        rows: tuple[tuple[object, ...], ...] = (("Famille", "À faire"),) + tuple((fid, why) for fid in self.to_update)
        return ReportSheet(
            REPORT_SHEET, f"Reconduction {self.last_year} → {self.year} : familles à mettre à jour", rows
        )


def year_problem(year: str, last_year: str) -> str | None:
    """Why ``year`` cannot be next year's school year, or None."""
    m = YEAR.fullmatch(year.strip())
    if m is None or int(m.group(2)) != int(m.group(1)) + 1:
        return f"année scolaire « {year} » : attendu par exemple 2027-2028"
    if year.strip() == last_year.strip():
        return f"le classeur est déjà celui de {year}"
    return None


def rollover_scenario(
    last: Scenario, year: str, *, clear_incomes: bool = False, top_share_threshold: float = TOP_SHARE_THRESHOLD
) -> tuple[Scenario, RolloverReport]:
    """Next year's scenario from a validated ``last`` one, and the report,
    with the method's review advice for each grid whose top tranche held
    more than ``top_share_threshold`` of its families this year."""
    grids = tuple(_carry_grid(g) for g in last.grids)
    families = tuple(_carry_family(f, clear_incomes) for f in last.families)
    following = replace(last, year=year.strip(), grids=grids, families=families)
    results = simulate_json(last)
    report = RolloverReport(
        last_year=last.year,
        year=year.strip(),
        structure=last.structure,
        families=len(families),
        grids=tuple(g.name for g in grids),
        incomes_cleared=clear_incomes,
        to_update=tuple(f.id for f in last.families),
        last_results=results,
        advice=tuple(
            split_advice(f"la grille « {g['name'] or f'Grille {i}'} »", g["top_share"], top_share_threshold)
            for i, g in enumerate(results["grids"], start=1)
            if isinstance(g["top_share"], float) and g["top_share"] > top_share_threshold
        ),
    )
    return following, report


def _carry_grid(g: Grid) -> Grid:
    # This year's brackets are next year's comparison; last year's own
    # comparison (two years back) is not kept.
    return replace(g, previous=g.tranches)


def _carry_family(f: Family, clear_incomes: bool) -> Family:
    if not clear_incomes:
        return f
    return replace(f, rfr_1=None, rfr_2=0.0, caf_aid=0.0, parts=None, notice=False)
