"""The SPEC's input rules, checked on a whole scenario at once.

``validate`` returns every problem (French messages naming the grid or the
family id and the field); an empty list means the scenario can be simulated.
"""

from __future__ import annotations

from collections import Counter

from workbook_engine.model.domain import Scenario
from workbook_engine.model.problems import Problem, family_where


def validate(s: Scenario) -> list[Problem]:
    return validate_parameters(s) + validate_grids(s) + validate_families(s)


def validate_parameters(s: Scenario) -> list[Problem]:
    out = []
    for i, rate in enumerate(s.sibling_rates):
        if rate is not None and not 0 <= rate <= 1:
            out.append(
                Problem(
                    "scénario",
                    f"sibling_rates[{i}]",
                    rate,
                    "un taux de réduction doit être compris entre 0 % et 100 %",
                    param=f"rate_{i + 2}",
                )
            )
    for name, value in vars(s.custom_parts).items():
        if value is not None and value < 0:
            out.append(
                Problem(
                    "custom_parts", name, value, "un coefficient de parts ne peut pas être négatif", param=f"cp_{name}"
                )
            )
    if s.parts_policy == "custom" and s.custom_parts.adult <= 0:
        # Every family has an adult: a positive coefficient keeps every quotient finite.
        out.append(
            Problem(
                "custom_parts",
                "adult",
                s.custom_parts.adult,
                "les parts par adulte doivent être positives quand les parts sont calculées",
                param="cp_adult",
            )
        )
    if not s.grids:
        out.append(Problem("scénario", "grids", [], "au moins une grille tarifaire est nécessaire"))
    return out


def validate_grids(s: Scenario) -> list[Problem]:
    out = []
    for gi, g in enumerate(s.grids, start=1):
        where = f"grille {gi} ({g.name})" if g.name else f"grille {gi}"
        for key in ("old_tariff", "budget_target"):
            value = getattr(g, key)
            if value is not None and value < 0:
                out.append(Problem(where, key, value, "ne peut pas être négatif", grid=gi))
        if not g.tranches:
            out.append(Problem(where, "tranches", [], "la grille n'a aucune tranche", grid=gi))
            continue
        if g.tranches[0].lower != 0:
            out.append(
                Problem(
                    f"{where}, tranche {g.tranches[0].label}",
                    "lower",
                    g.tranches[0].lower,
                    "la borne inférieure de la première tranche doit être 0",
                    grid=gi,
                    tranche=1,
                )
            )
        for ti, (prev, t) in enumerate(zip(g.tranches, g.tranches[1:]), start=2):
            if t.lower is not None and prev.lower is not None and not t.lower > prev.lower:
                out.append(
                    Problem(
                        f"{where}, tranche {t.label}",
                        "lower",
                        t.lower,
                        f"les bornes doivent être strictement croissantes (tranche précédente : {prev.lower:g})",
                        grid=gi,
                        tranche=ti,
                    )
                )
        labels = Counter(t.label for t in g.tranches)
        for ti, t in enumerate(g.tranches, start=1):
            twhere = f"{where}, tranche {t.label or ti}"
            if not t.label.strip():
                out.append(
                    Problem(
                        twhere, "label", t.label, "chaque tranche doit avoir un nom (A, B, C...)", grid=gi, tranche=ti
                    )
                )
            elif labels[t.label] > 1:
                out.append(
                    Problem(twhere, "label", t.label, "nom de tranche en double dans la grille", grid=gi, tranche=ti)
                )
            if t.amount is not None and t.amount < 0:
                out.append(
                    Problem(twhere, "amount", t.amount, "un montant ne peut pas être négatif", grid=gi, tranche=ti)
                )
    return out


def validate_families(s: Scenario) -> list[Problem]:
    out = []
    ids = Counter(f.id for f in s.families)
    for fi, f in enumerate(s.families, start=1):
        where = family_where(f.id, fi, ids[f.id])

        def bad(
            field: str, value: object, message: str, grid: int | None = None, where: str = where, fid: str = f.id
        ) -> None:
            out.append(Problem(where, field, value, message, family=fid, grid=grid))

        if not f.id.strip():
            bad("id", f.id, "identifiant de famille manquant")
        elif ids[f.id] > 1:
            bad("id", f.id, f"identifiant présent {ids[f.id]} fois : chaque famille doit avoir un identifiant unique")
        if len(f.pupils) != s.n_grids:
            bad("pupils", list(f.pupils), f"{len(f.pupils)} valeur(s) pour {s.n_grids} grille(s)")
        for gi, p in enumerate(f.pupils):
            if p is not None and p < 0:
                bad(f"pupils[{gi}]", p, "un nombre d'élèves ne peut pas être négatif", grid=gi + 1)
        for field in ("rfr_1", "rfr_2", "caf_aid"):
            value = getattr(f, field)
            if value is not None and value < 0:
                bad(field, value, "un revenu ne peut pas être négatif")
        for field in ("other_dependents", "other_enrolled", "children"):
            value = getattr(f, field)
            if value is not None and value < 0:
                bad(field, value, "ne peut pas être négatif")
        if f.notice:
            if f.rfr_1 is None:
                bad("rfr_1", None, "revenu fiscal de référence manquant alors que l'avis est fourni")
            if s.parts_policy == "fiscal" and (f.parts is None or f.parts <= 0):
                bad("parts", f.parts, "nombre de parts fiscales manquant ou nul alors que l'avis est fourni")
            if s.parts_policy == "custom" and f.adults not in (1, 2):
                bad("adults", f.adults, "1 ou 2 adultes attendus (parts calculées par l'établissement)")
        if f.parts is not None and f.parts < 0:
            bad("parts", f.parts, "un nombre de parts ne peut pas être négatif")
    return out
