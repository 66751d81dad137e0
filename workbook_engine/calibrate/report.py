"""A calibration, told three ways: French text for the terminal, report
sheets of plain values for the output workbook, and JSON for scripts.

Every figure comes from ``model.simulate`` on the scenario before and on the
proposed one (``Calibration.before`` / ``.after``), so the text, the sheets
and the workbook's own formulas state the same numbers.
"""

from __future__ import annotations

import math

from workbook_engine.calibrate.constraints import CONSTRAINT_NAMES, GridConstraints
from workbook_engine.calibrate.core import BracketFigures, Calibration, GridCalibration
from workbook_engine.model.french import eur
from workbook_engine.model.results import money, ratio
from workbook_engine.workbook.writer import ReportSheet

SUMMARY_SHEET = "Calibrage"
BRACKETS_SHEET = "Calibrage tranches"
STATUS_TEXT = {
    "ok": "objectif atteint",
    "unreachable": "OBJECTIF HORS D'ATTEINTE avec ces contraintes",
    "not_found": "OBJECTIF NON ATTEINT (aucune grille trouvée)",
    "incompatible": "CONTRAINTES INCOMPATIBLES",
    "unchanged": "inchangée",
}
CHOSEN_TEXT = {
    "effort": "effort égalisé",
    "start_shape": "profil de la grille de départ",
    "start": "grille de départ",
    "least": "montants les plus bas permis",
    "greatest": "montants les plus hauts permis",
    "unchanged": "",
    "current": "",
}


def _num(x: float) -> str:
    """A bound or amount without trailing zeros: 6 000, 12 500,5."""
    text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",")


def pct_effort(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.2f} %".replace(".", ",")


def spread_text(x: float) -> str:
    return "infinie" if math.isinf(x) else f"{x * 100:.1f} %".replace(".", ",")


def amplitude_text(rows: tuple[BracketFigures, ...]) -> str:
    if not rows or rows[0].amount <= 0:
        return "-"
    return f"1 : {rows[-1].amount / rows[0].amount:.2f}".replace(".", ",")


def amplitude_value(rows: tuple[BracketFigures, ...]) -> float | None:
    return rows[-1].amount / rows[0].amount if rows and rows[0].amount > 0 else None


def describe_constraints(c: GridConstraints) -> str:
    parts = [f"pas de {eur(c.step)}"]
    if c.max_ratio is not None:
        parts.append(f"rapport maximal 1 : {_num(c.max_ratio)}")
    if c.floor is not None:
        parts.append(f"montant minimal {eur(c.floor)}")
    if c.ceiling is not None:
        parts.append(f"montant maximal {eur(c.ceiling)}")
    if c.keep_old_tariff is not None:
        parts.append(f"ancien tarif conservé en tranche {c.keep_old_tariff}")
    parts.append("montants croissants avec le revenu")
    return ", ".join(parts)


def binding_text(codes: tuple[str, ...]) -> str:
    return ", ".join(CONSTRAINT_NAMES[c] for c in codes) if codes else "aucune"


def _versus(v: tuple[int, int, int] | None) -> str:
    if v is None:
        return "-"
    return f"{v[0]} paient plus, {v[1]} autant, {v[2]} moins"


def same_brackets(g: GridCalibration) -> bool:
    return [(b.label, b.lower) for b in g.before] == [(b.label, b.lower) for b in g.after]


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def format_calibration(cal: Calibration) -> str:
    s, o = cal.scenario, cal.options
    title = "Calibrage des grilles" + (f" : {s.structure}" if s.structure else "")
    out = [
        title,
        "=" * len(title),
        f"Contraintes : {describe_constraints(o.constraints)}.",
        "Effort moyen d'une tranche : ce que paient ses familles (avec avis d'imposition et revenu) divisé par "
        "leurs revenus. Dispersion : écart type des logarithmes de ces efforts entre tranches, pondéré par "
        "le nombre de familles (0 % : même effort partout).",
        "",
    ]
    for g in cal.grids:
        out += _grid_text(g, cal)
        out.append("")
    t0, t1 = cal.before.total, cal.after.total
    out.append("Structure")
    out.append(f"  Recettes : {eur(t0['revenue'])} → {eur(t1['revenue'])}")
    if t1["budget_target"] is not None:
        out.append(f"  Objectif : {eur(t1['budget_target'])}, écart {eur(t1['gap'])}")
    out.append(
        f"  Par rapport à l'ancien tarif : avant, {t0['families_pay_more']} familles paient plus, "
        f"{t0['families_unchanged']} autant, {t0['families_pay_less']} moins ; après, "
        f"{t1['families_pay_more']} paient plus, {t1['families_unchanged']} autant, "
        f"{t1['families_pay_less']} moins"
    )
    missed = [g for g in cal.grids if not g.ok]
    if missed:
        out.append(
            f"  Attention : {len(missed)} grille(s) n'atteignent pas leur objectif avec ces contraintes : "
            + ", ".join(f"{g.grid} ({g.name or 'sans nom'})" for g in missed)
            + ". Relâchez les contraintes indiquées."
        )
    else:
        out.append("  Toutes les grilles calibrées atteignent leur objectif dans les contraintes.")
    return "\n".join(out) + "\n"


def _grid_text(g: GridCalibration, cal: Calibration) -> list[str]:
    o = cal.options
    out = [f"Grille {g.grid} : {g.name or '(sans nom)'} : {STATUS_TEXT[g.status]}"]
    if g.grid in o.per_grid:
        out.append(f"  Contraintes propres : {describe_constraints(o.for_grid(g.grid))}")
    if g.target is not None:
        source = "objectif de recettes" if g.target_source == "budget" else "recettes actuelles (pas d'objectif)"
        out.append(f"  Objectif : {eur(g.target)} ({source}) ; tolérance ± {eur(g.tolerance)} (un pas par élève)")
        out.append(f"  Recettes : {eur(g.revenue_before)} → {eur(g.revenue_after)} (écart {eur(g.gap)})")
        if g.reachable is not None and g.status != "ok":
            hi = "sans limite" if math.isinf(g.reachable[1]) else eur(g.reachable[1])
            out.append(f"  Recettes possibles avec ces contraintes : de {eur(g.reachable[0])} à {hi}")
    else:
        row = cal.after.grids.iloc[g.grid - 1]
        if row["budget_target"] is not None and row["budget_target"] == row["budget_target"]:
            out.append(f"  Objectif : {eur(row['budget_target'])} (non calibré)")
        out.append(
            f"  Recettes : {eur(g.revenue_before)} → {eur(g.revenue_after)}"
            + (f" (écart {eur(row['gap'])})" if row["gap"] is not None and row["gap"] == row["gap"] else "")
        )
        if money(g.revenue_before) != money(g.revenue_after):
            out.append(
                "  Ses montants ne changent pas, mais ses recettes suivent les montants des autres grilles "
                "(les réductions fratrie classent les enfants d'une famille sur toutes les grilles)"
            )
    header = f"  {'Tranche':<9}{'Borne inf.':>12}{'Montant':>14}{'Familles':>10}{'Recettes':>16}{'Effort moyen':>14}"
    if same_brackets(g):
        out.append(
            f"  {'Tranche':<9}{'Borne inf.':>12}{'Avant':>14}{'Après':>14}{'Familles':>10}"
            f"{'Recettes après':>18}{'Effort avant':>14}{'Effort après':>14}"
        )
        for b0, b1 in zip(g.before, g.after):
            out.append(
                f"  {b1.label:<9}{_num(b1.lower):>12}{eur(b0.amount):>14}{eur(b1.amount):>14}"
                f"{b1.families:>10}{eur(b1.revenue):>18}{pct_effort(b0.effort):>14}{pct_effort(b1.effort):>14}"
            )
    else:
        for name, rows in (("Avant", g.before), ("Après", g.after)):
            out.append(f"  {name}")
            out.append(header)
            for b in rows:
                out.append(
                    f"  {b.label:<9}{_num(b.lower):>12}{eur(b.amount):>14}{b.families:>10}"
                    f"{eur(b.revenue):>16}{pct_effort(b.effort):>14}"
                )
    out.append(
        f"  Dispersion de l'effort entre tranches : {spread_text(g.spread_before)} → "
        f"{spread_text(g.spread_after)} ; amplitude {amplitude_text(g.before)} → {amplitude_text(g.after)}"
    )
    labels = {
        "ok": "Contraintes qui limitent l'égalité d'effort",
        "unreachable": "Contraintes qui empêchent d'atteindre l'objectif",
        "incompatible": "Contraintes en conflit",
    }
    if g.status in labels:
        out.append(f"  {labels[g.status]} : {binding_text(g.binding)}")
    if g.status == "ok":
        out.append(f"  Grille retenue : {CHOSEN_TEXT[g.chosen]}")
    if g.old_tariff is not None:
        out.append(
            f"  Par rapport à l'ancien tarif ({eur(g.old_tariff)}) : avant, {_versus(g.vs_old_before)} ; "
            f"après, {_versus(g.vs_old_after)}"
        )
    out += [f"  Remarque : {n}" for n in g.notes]
    return out


# ---------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------


def _m(x: float | None) -> float | str | None:
    return None if x is None or (isinstance(x, float) and math.isinf(x)) else money(x)


def _r(x: float | None) -> float | str | None:
    return None if x is None or (isinstance(x, float) and math.isinf(x)) else ratio(x)


def calibration_sheets(cal: Calibration) -> tuple[ReportSheet, ...]:
    """The before / after comparison as two sheets of plain values: one row
    per grid (and the structure), one row per grid and bracket."""
    summary: list[tuple[object, ...]]  # one row per grid, then the total, under a header
    summary = [
        (
            "Grille",
            "Nom",
            "Statut",
            "Objectif",
            "Recettes avant",
            "Recettes après",
            "Écart après",
            "Tolérance",
            "Anciennes recettes (ancien tarif)",
            "Amplitude avant",
            "Amplitude après",
            "Dispersion de l'effort avant",
            "Dispersion de l'effort après",
            "Familles qui paient plus qu'avec l'ancien tarif (avant)",
            "… autant (avant)",
            "… moins (avant)",
            "… plus (après)",
            "… autant (après)",
            "… moins (après)",
            "Contraintes qui limitent",
            "Remarques",
        )
    ]
    for g in cal.grids:
        old_rev = float(cal.after.grids["old_revenue"][g.grid - 1])
        vb, va = g.vs_old_before or (None,) * 3, g.vs_old_after or (None,) * 3
        summary.append(
            (
                g.grid,
                g.name,
                STATUS_TEXT[g.status],
                _m(g.target),
                _m(g.revenue_before),
                _m(g.revenue_after),
                _m(g.gap),
                _m(g.tolerance),
                _m(old_rev),
                _r(amplitude_value(g.before)),
                _r(amplitude_value(g.after)),
                _r(g.spread_before),
                _r(g.spread_after),
                *vb,
                *va,
                binding_text(g.binding) if g.status != "unchanged" else "",
                " ; ".join(g.notes),
            )
        )
    t0, t1 = cal.before.total, cal.after.total
    summary.append(
        (
            "Total",
            cal.scenario.structure,
            "réalisable" if cal.feasible else "objectif(s) hors d'atteinte",
            _m(t1["budget_target"]),
            _m(t0["revenue"]),
            _m(t1["revenue"]),
            _m(t1["gap"]),
            None,
            _m(t1["old_revenue"]),
            None,
            None,
            None,
            None,
            t0["families_pay_more"],
            t0["families_unchanged"],
            t0["families_pay_less"],
            t1["families_pay_more"],
            t1["families_unchanged"],
            t1["families_pay_less"],
            "",
            "",
        )
    )
    rows: list[tuple[object, ...]]  # one row per grid and bracket, under a header
    rows = [
        (
            "Grille",
            "Nom",
            "Position",
            "Tranche avant",
            "Borne inf. avant",
            "Montant avant",
            "Familles avant",
            "Élèves avant",
            "Recettes avant",
            "Effort moyen avant",
            "Tranche après",
            "Borne inf. après",
            "Montant après",
            "Familles après",
            "Élèves après",
            "Recettes après",
            "Effort moyen après",
        )
    ]
    for g in cal.grids:
        for i in range(max(len(g.before), len(g.after))):
            b0 = _bracket_cells(g.before[i] if i < len(g.before) else None)
            b1 = _bracket_cells(g.after[i] if i < len(g.after) else None)
            rows.append((g.grid, g.name, i + 1, *b0, *b1))
    return (
        ReportSheet(SUMMARY_SHEET, "Calibrage des grilles : avant / après", tuple(summary)),
        ReportSheet(BRACKETS_SHEET, "Calibrage : tranches avant / après", tuple(rows)),
    )


def _bracket_cells(b: BracketFigures | None) -> tuple[object, ...]:
    if b is None:
        return (None,) * 7
    return (b.label, b.lower, _m(b.amount), b.families, b.pupils, _m(b.revenue), _r(b.effort))


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def _constraints_json(c: GridConstraints) -> dict[str, float | str | None]:
    return {
        "step": c.step,
        "max_ratio": c.max_ratio,
        "floor": c.floor,
        "ceiling": c.ceiling,
        "keep_old_tariff": c.keep_old_tariff,
    }


def _brackets_json(rows: tuple[BracketFigures, ...]) -> list[dict[str, object]]:
    return [
        {
            "label": b.label,
            "lower": b.lower,
            "amount": _m(b.amount),
            "families": b.families,
            "pupils": b.pupils,
            "revenue": _m(b.revenue),
            "effort": _r(b.effort),
        }
        for b in rows
    ]


def _versus_json(v: tuple[int, int, int] | None) -> dict[str, int] | None:
    return None if v is None else {"pay_more": v[0], "pay_same": v[1], "pay_less": v[2]}


def calibration_json(cal: Calibration) -> dict[str, object]:
    o = cal.options
    grids = []
    for g in cal.grids:
        grids.append(
            {
                "grid": g.grid,
                "name": g.name,
                "status": g.status,
                "chosen": g.chosen,
                "target": _m(g.target),
                "target_source": g.target_source,
                "tolerance": _m(g.tolerance),
                "revenue_before": _m(g.revenue_before),
                "revenue_after": _m(g.revenue_after),
                "gap": _m(g.gap),
                "reachable": None if g.reachable is None else {"min": _m(g.reachable[0]), "max": _m(g.reachable[1])},
                "binding": list(g.binding),
                "spread_before": _r(g.spread_before),
                "spread_after": _r(g.spread_after),
                "amplitude_before": _r(amplitude_value(g.before)),
                "amplitude_after": _r(amplitude_value(g.after)),
                "old_tariff": _m(g.old_tariff),
                "versus_old_tariff": {"before": _versus_json(g.vs_old_before), "after": _versus_json(g.vs_old_after)},
                "tranches_before": _brackets_json(g.before),
                "tranches_after": _brackets_json(g.after),
                "notes": list(g.notes),
            }
        )
    t0, t1 = cal.before.total, cal.after.total
    return {
        "feasible": cal.feasible,
        "options": {
            "constraints": _constraints_json(o.constraints),
            "per_grid": {str(k): _constraints_json(v) for k, v in sorted(o.per_grid.items())},
            "grids": list(o.grids) if o.grids is not None else None,
            "brackets": o.brackets,
            "bound_step": o.bound_step,
            "split_top_share": o.split_top_share,
        },
        "grids": grids,
        "total": {
            "revenue_before": _m(t0["revenue"]),
            "revenue_after": _m(t1["revenue"]),
            "budget_target": _m(t1["budget_target"]),
            "gap": _m(t1["gap"]),
            "families_pay_more": [t0["families_pay_more"], t1["families_pay_more"]],
            "families_unchanged": [t0["families_unchanged"], t1["families_unchanged"]],
            "families_pay_less": [t0["families_pay_less"], t1["families_pay_less"]],
        },
    }
