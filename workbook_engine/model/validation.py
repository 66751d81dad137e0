"""The SPEC's input rules, checked on a whole scenario at once.

``validate`` returns every problem (French messages naming the grid or the
family id and the field); an empty list means the scenario can be simulated.

Beyond the SPEC, the inputs a due is computed from are kept where the model,
the workbook's formulas and any spreadsheet give the SPEC's exact due (README,
"Inputs refused"): amounts and old tariffs in whole cents up to
:data:`MAX_AMOUNT`, rates in hundredths of a percent, at most
:data:`MAX_CHILDREN` pupils per grid and children in other schools. Then
every due is ROUND(c x k / 10**6, 2) with whole c (cents) and k (the factor
in ten-thousandths) and c x k <= 10**14: at most 15 significant digits,
which the spreadsheets' ROUND reads exactly from the double.
"""

from __future__ import annotations

from collections import Counter

from workbook_engine.model.domain import Scenario, Tranche
from workbook_engine.model.money import MONEY_DECIMALS, RATE_DECIMALS, decimal_places
from workbook_engine.model.problems import Problem, family_where

MAX_AMOUNT = 1_000_000.0  # EUR per pupil and year: an amount or old tariff above it is a typing accident
MAX_CHILDREN = 100  # pupils of one family in one grid, children in other schools


def amount_problem(value: float | None, negative: str = "un montant ne peut pas être négatif") -> str | None:
    """Why an amount or an old tariff (EUR per pupil) cannot be used, or None."""
    if value is None:
        return None
    if value < 0:
        return negative
    if not value <= MAX_AMOUNT:  # also NaN and infinities
        return "montant démesuré (plus de 1 000 000 € par élève) : vérifiez la saisie"
    if decimal_places(value) > MONEY_DECIMALS:
        return (
            "un montant se saisit en euros et centimes (1 389,92, pas 1 389,915) : au-delà, le dû "
            "arrondi au centime pourrait différer d'un tableur à l'autre"
        )
    return None


def rate_problem(value: float | None) -> str | None:
    """Why a sibling reduction rate cannot be used, or None."""
    if value is None:
        return None
    if not 0 <= value <= 1:
        return "un taux de réduction doit être compris entre 0 % et 100 %"
    if decimal_places(value) > RATE_DECIMALS:
        return (
            "un taux de réduction a au plus deux décimales en pourcentage (33,33 %, pas 33,333 % "
            "ni 1/3) : au-delà, le dû arrondi au centime pourrait différer d'un tableur à l'autre"
        )
    return None


def validate(s: Scenario) -> list[Problem]:
    return validate_parameters(s) + validate_grids(s) + validate_families(s)


def validate_parameters(s: Scenario) -> list[Problem]:
    out = []
    for i, rate in enumerate(s.sibling_rates):
        why = rate_problem(rate)
        if why is not None:
            out.append(Problem("scénario", f"sibling_rates[{i}]", rate, why, param=f"rate_{i + 2}"))
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
        if g.budget_target is not None and g.budget_target < 0:
            out.append(Problem(where, "budget_target", g.budget_target, "ne peut pas être négatif", grid=gi))
        why = amount_problem(g.old_tariff, "ne peut pas être négatif")
        if why is not None:
            out.append(Problem(where, "old_tariff", g.old_tariff, why, grid=gi))
        out += tranche_problems(g.tranches, where, gi)
        if g.previous is not None:
            # Last year's brackets obey this year's rules: the same MATCH finds a family's tranche.
            out += tranche_problems(g.previous, f"{where}, barème de l'an dernier", gi, "previous_")
    return out


def tranche_problems(tranches: tuple[Tranche, ...], where: str, gi: int, prefix: str = "") -> list[Problem]:
    """The SPEC's tranche rules on one bracket table (this year's, or last
    year's with ``prefix`` "previous_" on the fields)."""
    out: list[Problem] = []
    if not tranches:
        out.append(Problem(where, prefix + "tranches", [], "la grille n'a aucune tranche", grid=gi))
        return out
    if tranches[0].lower != 0:
        out.append(
            Problem(
                f"{where}, tranche {tranches[0].label}",
                prefix + "lower",
                tranches[0].lower,
                "la borne inférieure de la première tranche doit être 0",
                grid=gi,
                tranche=1,
            )
        )
    for ti, (prev, t) in enumerate(zip(tranches, tranches[1:]), start=2):
        if t.lower is not None and prev.lower is not None and not t.lower > prev.lower:
            out.append(
                Problem(
                    f"{where}, tranche {t.label}",
                    prefix + "lower",
                    t.lower,
                    f"les bornes doivent être strictement croissantes (tranche précédente : {prev.lower:g})",
                    grid=gi,
                    tranche=ti,
                )
            )
    labels = Counter(t.label for t in tranches)
    for ti, t in enumerate(tranches, start=1):
        twhere = f"{where}, tranche {t.label or ti}"
        if not t.label.strip():
            out.append(
                Problem(
                    twhere,
                    prefix + "label",
                    t.label,
                    "chaque tranche doit avoir un nom (A, B, C...)",
                    grid=gi,
                    tranche=ti,
                )
            )
        elif labels[t.label] > 1:
            out.append(
                Problem(
                    twhere, prefix + "label", t.label, "nom de tranche en double dans la grille", grid=gi, tranche=ti
                )
            )
        why = amount_problem(t.amount)
        if why is not None:
            out.append(Problem(twhere, prefix + "amount", t.amount, why, grid=gi, tranche=ti))
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
            elif p is not None and p > MAX_CHILDREN:
                bad(f"pupils[{gi}]", p, too_many_children(), grid=gi + 1)
        for field in ("rfr_1", "rfr_2", "caf_aid"):
            value = getattr(f, field)
            if value is not None and value < 0:
                bad(field, value, "un revenu ne peut pas être négatif")
        for field in ("other_dependents", "other_enrolled", "children"):
            value = getattr(f, field)
            if value is not None and value < 0:
                bad(field, value, "ne peut pas être négatif")
        if f.other_enrolled is not None and f.other_enrolled > MAX_CHILDREN:
            bad("other_enrolled", f.other_enrolled, too_many_children())
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


def too_many_children() -> str:
    return f"plus de {MAX_CHILDREN} enfants : vérifiez la saisie"
