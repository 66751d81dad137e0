"""``diff --format html``: the changes between two sendings and their effect
on the revenue and the dues, as one standalone French page."""

from __future__ import annotations

import datetime as _dt

from workbook_engine.model.french import eur
from workbook_engine.report.diff import SECTION_TITLES, WorkbookDiff
from workbook_engine.report.diff_text import shown
from workbook_engine.report.html_page import esc, page, table

MAX_ROWS = 1000


def diff_html(diff: WorkbookDiff, now: _dt.datetime | None = None) -> str:
    when = (now or _dt.datetime.now()).strftime("%d/%m/%Y à %H:%M")
    body = [
        '<section aria-labelledby="resume">\n<h2 id="resume">Résumé</h2>\n',
        f"<p>Envoi précédent : <code>{esc(diff.old)}</code><br>Nouvel envoi : <code>{esc(diff.new)}</code></p>\n",
        f'<p class="verdict" data-changed="{str(diff.changed).lower()}">'
        + (
            f"{sum(c.counts for c in diff.changes)} changement(s) ; {len(diff.dues)} famille(s) dont le dû change."
            if diff.changed
            else "Aucune différence : mêmes paramètres, mêmes grilles, mêmes familles, mêmes formules."
        )
        + "</p>\n</section>\n",
    ]
    for section, title in SECTION_TITLES.items():
        mine = [c for c in diff.changes if c.section == section]
        if not mine:
            continue
        rows = [
            f'<tr class="change" data-section="{section}" data-cell="{esc(c.cell)}" '
            f'data-family="{esc(c.family or "")}">'
            f'<th scope="row">{esc(c.where)}</th><td><code>{esc(c.cell or "-")}</code></td><td>{esc(c.what)}</td>'
            f"<td>{esc(shown(c.old))}</td><td>{esc(shown(c.new))}</td></tr>"
            for c in mine[:MAX_ROWS]
        ]
        body.append(f'<section aria-labelledby="s-{section}">\n<h2 id="s-{section}">{esc(title)}</h2>\n')
        body.append(table(f"{title} : {len(mine)} changement(s)", ["Où", "Cellule", "Quoi", "Avant", "Après"], rows))
        body.append("</section>\n")
    rev = [
        f'<tr><th scope="row">{esc(r.name)}</th><td class="num">{esc(eur(r.old))}</td>'
        f'<td class="num">{esc(eur(r.new))}</td><td class="num">{esc(eur(r.delta))}</td></tr>'
        for r in diff.revenue
    ]
    body.append('<section aria-labelledby="effet">\n<h2 id="effet">Effet sur les recettes et les dus</h2>\n')
    if diff.unreadable:
        body.append(
            "<p>Effet non calculé : les saisies de "
            + ", ".join(f"<code>{esc(u)}</code>" for u in diff.unreadable)
            + " contiennent des erreurs (le contrôle les nomme).</p>\n"
        )
    if rev:
        body.append(table("Recettes par grille, calculées par le modèle", ["Grille", "Avant", "Après", "Écart"], rev))
    dues = [
        f'<tr class="due" data-family="{esc(d.family)}"><th scope="row">{esc(d.family)}</th>'
        f'<td class="num">{esc(eur(d.old))}</td><td class="num">{esc(eur(d.new))}</td>'
        f'<td class="num">{esc(eur(d.delta))}</td></tr>'
        for d in diff.dues[:MAX_ROWS]
    ]
    if dues:
        body.append(
            table(f"Familles dont le dû total change : {len(diff.dues)}", ["Famille", "Avant", "Après", "Écart"], dues)
        )
    body.append("</section>\n")
    return page(
        "Différences entre deux envois d'un classeur", "".join(body), f"Rapport produit le {when} par workbook-engine."
    )
