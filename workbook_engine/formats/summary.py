"""A readable summary of results, in French, for the terminal.

It formats the SPEC's results JSON, so the model's results (``simulate``) and
a workbook's own (``evaluate``) print the same way.
"""

from __future__ import annotations

from workbook_engine.model.french import eur, pct, ratio, share
from workbook_engine.model.results import JSONObject, Results


def format_results_json(results: JSONObject, title: str = "") -> str:
    out: list[str] = []
    if title:
        out += [title, "=" * len(title), ""]
    for g, grid in enumerate(results["grids"], start=1):
        out.append(f"Grille {g} : {grid['name'] or '(sans nom)'}")
        out.append(f"  {'Tranche':<10}{'Familles':>10}{'Élèves':>10}{'Recettes':>18}")
        for t in grid["tranches"]:
            out.append(f"  {t['label']:<10}{t['families']:>10}{t['pupils']:>10}{eur(t['revenue']):>18}")
        out.append(f"  {'Total':<10}{grid['families']:>10}{grid['pupils']:>10}{eur(grid['revenue']):>18}")
        if grid["budget_target"] is not None:
            out.append(f"  Objectif : {eur(grid['budget_target'])}, écart {eur(grid['gap'])}")
        out.append(f"  Ancien tarif : {eur(grid['old_revenue'])} de recettes, évolution {pct(grid['change_pct'])}")
        if grid.get("previous_revenue") is not None:
            out.append(
                f"  Barème de l'an dernier : {eur(grid['previous_revenue'])} de recettes, "
                f"évolution {eur(grid['change_vs_previous'])}"
            )
        out.append(
            f"  Amplitude des tarifs : {ratio(grid['amplitude'])} ; "
            f"familles dans la tranche la plus haute : {share(grid['top_share'])} ; "
            f"familles sans avis d'imposition : {grid['families_without_notice']}"
        )
        out.append("")
    t = results["total"]
    out.append("Structure")
    out.append(f"  Recettes : {eur(t['revenue'])}")
    if t["budget_target"] is not None:
        out.append(f"  Objectif : {eur(t['budget_target'])}, écart {eur(t['gap'])}")
    out.append(f"  Ancien tarif : {eur(t['old_revenue'])}, évolution {pct(t['change_pct'])}")
    out.append(
        f"  Familles : {t['families']} ; paient plus : {t['families_pay_more']}, autant : "
        f"{t['families_unchanged']}, moins : {t['families_pay_less']}"
    )
    if t.get("previous_revenue") is not None:
        out.append(
            f"  Barème de l'an dernier : {eur(t['previous_revenue'])}, évolution {eur(t['change_vs_previous'])} ; "
            f"familles qui paient plus que l'an dernier : {t['families_more_than_previous']}, autant : "
            f"{t['families_same_as_previous']}, moins : {t['families_less_than_previous']}"
        )
    return "\n".join(out) + "\n"


def format_summary(r: Results, title: str = "") -> str:
    return format_results_json(r.to_json(), title)
