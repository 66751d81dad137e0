"""``check --format html``: one standalone French page for the bursar or the
federation: a table of every workbook, then per workbook its verdict,
families, revenue per grid against the model, and its findings cause by
cause, each with its cells, families and what to do."""

from __future__ import annotations

import datetime as _dt

from workbook_engine.model.french import eur
from workbook_engine.report.causes import PART_TITLES, SEVERITY_WORDS, Cause
from workbook_engine.report.gate import DEFAULT_FAIL_ON, FailOn
from workbook_engine.report.html_page import esc, page, table
from workbook_engine.report.summary import GridRevenue, WorkbookSummary, summarize
from workbook_engine.workbook.check import CheckReport, show_figure

MAX_ROWS = 500  # cells listed per cause; the JSON report has them all
THRESHOLDS = {
    "error": "seules les erreurs font échouer le contrôle",
    "warning": "les erreurs et les avertissements font échouer le contrôle",
    "info": "tout constat fait échouer le contrôle",
}


def _money(x: object) -> str:
    if x is None:
        return "-"
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return esc(eur(float(x)))
    return f"<code>{esc(x)}</code>"


def _badge(css: str, word: str) -> str:
    return f'<span class="badge {css}">{esc(word)}</span>'


def _revenue_rows(grids: tuple[GridRevenue, ...], total: GridRevenue | None) -> list[str]:
    rows = []
    for g in (*grids, *([total] if total else [])):
        diff = g.difference
        shown = "-" if diff is None else esc(eur(diff)) if diff else "0,00 €"
        rows.append(
            f'<tr><th scope="row">{esc(g.name)}</th><td class="num">{_money(g.workbook)}</td>'
            f'<td class="num">{_money(g.model)}</td><td class="num">{shown}</td>'
            f'<td class="num">{_money(g.budget_target)}</td></tr>'
        )
    return rows


def _cause(cause: Cause, index: str) -> str:
    rows = []
    for f in cause.findings[:MAX_ROWS]:
        place = esc(f.cell or f.where)
        if f.count > 1:
            place += f" <span>(et {f.count - 1} autre(s) cellule(s) de la colonne)</span>"
        rows.append(
            f'<tr class="finding" data-cell="{esc(f.cell)}" data-family="{esc(f.family or "")}" '
            f'data-severity="{f.severity}"><th scope="row"><code>{place}</code></th>'
            f"<td>{esc(f.family or '-')}</td>"
            f"<td>{esc(show_figure(f.expected, f.unit)) if f.expected is not None else '-'}</td>"
            f"<td>{esc(show_figure(f.found, f.unit)) if f.found is not None else '-'}</td></tr>"
        )
    more = len(cause.findings) - MAX_ROWS
    note = f"<p>… et {more} autre(s) cellule(s) : liste complète avec --format json.</p>\n" if more > 0 else ""
    word = SEVERITY_WORDS[cause.severity]
    count = f"{cause.cells} cellule(s)" if cause.cells > 1 else "1 cellule"
    return (
        f'<section class="cause sev-{cause.severity}" id="{index}" data-part="{cause.part}" '
        f'data-severity="{cause.severity}" aria-labelledby="{index}-t">\n'
        f'<h4 id="{index}-t">{_badge(cause.severity, word)} <span class="message">{esc(cause.message)}</span> '
        f"({count})</h4>\n"
        f'<p class="advice"><strong>Que faire :</strong> {esc(cause.advice)}</p>\n'
        + table(
            f"Cellules concernées : {cause.message}",
            ["Cellule", "Famille", "Attendu (modèle)", "Trouvé dans le classeur"],
            rows,
            "findings",
        )
        + note
        + "</section>\n"
    )


def _workbook(s: WorkbookSummary, n: int) -> str:
    r = s.report
    out = [
        f'<section class="workbook" id="classeur-{n}" data-file="{esc(r.path)}" data-verdict="{s.verdict}" '
        f'aria-labelledby="classeur-{n}-t">\n',
        f'<h2 id="classeur-{n}-t">{esc(r.path.name)}</h2>\n',
        f'<p class="meta">Fichier : <code>{esc(r.path)}</code></p>\n',
        f'<p class="verdict">{_badge(s.verdict, s.verdict_text)}</p>\n',
    ]
    if r.unusable:
        out.append(f'<p class="unusable-reason">{esc(r.unusable)}</p>\n</section>\n')
        return "".join(out)
    out.append(
        f"<p>{r.families} famille(s) ; version du modèle de classeur : {esc(r.version)} ; "
        f"{s.count('error')} erreur(s), {s.count('warning')} avertissement(s), "
        f"{s.count('info')} information(s).</p>\n"
    )
    out += [f'<p class="note">Note : {esc(note)}</p>\n' for note in r.notes]
    if s.grids:
        out.append(f'<h3 id="classeur-{n}-recettes">Recettes par grille</h3>\n')
        out.append(
            table(
                "Recettes calculées par les formules du classeur et par le modèle",
                ["Grille", "Recettes du classeur", "Recettes du modèle", "Écart", "Objectif"],
                _revenue_rows(s.grids, s.total),
                "revenue",
            )
        )
    if not s.causes:
        out.append("<p>Aucun constat : formules intactes, résultats identiques au modèle au centime près.</p>\n")
    for part, title in PART_TITLES.items():
        mine = [c for c in s.causes if c.part == part]
        if not mine:
            continue
        out.append(f'<h3 id="classeur-{n}-{part}">{esc(title)} : {len(mine)} constat(s)</h3>\n')
        out += [_cause(c, f"classeur-{n}-{part}-{i + 1}") for i, c in enumerate(mine)]
    out.append("</section>\n")
    return "".join(out)


def check_html(reports: list[CheckReport], fail_on: FailOn = DEFAULT_FAIL_ON, now: _dt.datetime | None = None) -> str:
    summaries = [summarize(r, fail_on) for r in reports]
    when = (now or _dt.datetime.now()).strftime("%d/%m/%Y à %H:%M")
    generated = f"Rapport produit le {when} par workbook-engine ; seuil : {THRESHOLDS[fail_on]}."
    counts = {v: sum(1 for s in summaries if s.verdict == v) for v in ("ok", "accepted", "findings", "unusable")}
    rows = [
        f'<tr data-verdict="{s.verdict}"><th scope="row"><a href="#classeur-{n}">{esc(s.report.path.name)}</a></th>'
        f"<td>{_badge(s.verdict, s.verdict_text)}</td>"
        f'<td class="num">{s.report.families if not s.report.unusable else "-"}</td>'
        f'<td class="num">{s.count("error")}</td><td class="num">{s.count("warning")}</td>'
        f'<td class="num">{s.count("info")}</td></tr>'
        for n, s in enumerate(summaries, 1)
    ]
    body = (
        '<section aria-labelledby="synthese">\n<h2 id="synthese">Synthèse</h2>\n'
        f"<p>{len(summaries)} classeur(s) : {counts['ok'] + counts['accepted']} accepté(s), "
        f"{counts['findings']} avec des constats à corriger, {counts['unusable']} inutilisable(s).</p>\n"
        + table(
            "Verdict par classeur",
            ["Classeur", "Verdict", "Familles", "Erreurs", "Avertissements", "Informations"],
            rows,
            "overview",
        )
        + "</section>\n"
        + "".join(_workbook(s, n) for n, s in enumerate(summaries, 1))
    )
    return page("Contrôle des classeurs de tarification sociale", body, generated)
