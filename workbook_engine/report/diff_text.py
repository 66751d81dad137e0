"""``diff``'s text (French, one line per change) and JSON (every change and
effect as data)."""

from __future__ import annotations

from workbook_engine.model.french import eur
from workbook_engine.model.problems import show_value
from workbook_engine.report.diff import SECTION_TITLES, Change, WorkbookDiff

MAX_LINES = 40  # lines per section in the text; the JSON has them all


def shown(value: object) -> str:
    if value is None:
        return "vide"
    if isinstance(value, str) and value == "formule du modèle":
        return value
    return show_value(value)


def change_line(c: Change) -> str:
    if c.section == "structure":
        return f"{'' if c.counts else 'i '}{c.where} : {c.what}" + (" (annulé)" if c.new == "annulé" else "")
    place = f" ({c.cell})" if c.cell and c.cell != c.where else ""
    head = f"{c.where}{place} : {c.what}"
    if c.what.endswith(("ajoutée", "retirée", "supprimée")):
        return head + (f" ({c.new})" if isinstance(c.new, str) and c.section == "grids" else "")
    return f"{head} : {shown(c.old)} → {shown(c.new)}"


def diff_text(diff: WorkbookDiff) -> str:
    lines = [f"Différences de {diff.old} à {diff.new}"]
    if not diff.changed:
        lines.append("  Aucune différence : mêmes paramètres, mêmes grilles, mêmes familles, mêmes formules.")
    for section, title in SECTION_TITLES.items():
        mine = [c for c in diff.changes if c.section == section]
        if not mine:
            continue
        lines.append(f"  {title} : {len(mine)} changement(s)")
        lines += [f"    - {change_line(c)}" for c in mine[:MAX_LINES]]
        if len(mine) > MAX_LINES:
            lines.append(f"    ... et {len(mine) - MAX_LINES} autre(s) (liste complète avec --format json)")
    if diff.unreadable:
        lines.append(
            "  Effet sur les recettes non calculé : les saisies de "
            + ", ".join(diff.unreadable)
            + " contiennent des erreurs (workbook-engine check les nomme)."
        )
    moved = [r for r in diff.revenue if r.delta]
    if moved or diff.dues:
        lines.append("  Effet sur les recettes (calculées par le modèle) :")
        lines += [
            f"    - {r.name} : {eur(r.old)} → {eur(r.new)} ({'+' if r.delta > 0 else ''}{eur(r.delta)})"
            for r in diff.revenue
            if r.delta or r.grid is None
        ]
        lines.append(f"  Familles dont le dû change : {len(diff.dues)}")
        for d in diff.dues[:MAX_LINES]:
            lines.append(f"    - famille {d.family} : {eur(d.old)} → {eur(d.new)}")
        if len(diff.dues) > MAX_LINES:
            lines.append(f"    ... et {len(diff.dues) - MAX_LINES} autre(s)")
    return "\n".join(lines) + "\n"


def diff_json(diff: WorkbookDiff) -> dict[str, object]:
    return {
        "old": str(diff.old),
        "new": str(diff.new),
        "changed": diff.changed,
        "changes": [c.as_dict() for c in diff.changes],
        "unreadable": diff.unreadable,
        "revenue": [
            {"grid": r.grid, "name": r.name, "old": r.old, "new": r.new, "delta": r.delta} for r in diff.revenue
        ],
        "dues": [
            {
                "family": d.family,
                "old": d.old,
                "new": d.new,
                "delta": d.delta,
                "old_by_grid": list(d.old_by_grid),
                "new_by_grid": list(d.new_by_grid),
            }
            for d in diff.dues
        ],
    }
