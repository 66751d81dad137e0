"""The CSV for mail merge: one row per family, its figures from its
statement (the model's), never its name.

Excel opens it by a double click: ``;`` separated, UTF-8 with a BOM, CRLF
lines. Every figure comes twice: as a number with a decimal comma and no
unit nor thousands separator (``1234,50``: a French Excel reads it as a
number, to sum or sort), and as the letter prints it (``…_texte``:
``1 234,50 €``), the column a mail merge field should use.
"""

from __future__ import annotations

import csv
import io

from workbook_engine.model.domain import Scenario
from workbook_engine.model.money import excel_round
from workbook_engine.publish.article import Options
from workbook_engine.publish.statements import Statement
from workbook_engine.publish.typography import effort, french_date, money, printable


def decimal(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{excel_round(x, digits):.{digits}f}".replace(".", ",")


def header(scenario: Scenario) -> list[str]:
    cols = ["famille", "avis_fourni", "revenu", "revenu_texte", "parts", "indicateur", "indicateur_texte"]
    for g in range(1, scenario.n_grids + 1):
        cols += [f"g{g}_unite", f"g{g}_eleves", f"g{g}_tranche", f"g{g}_montant", f"g{g}_montant_texte"]
        cols += [f"g{g}_du", f"g{g}_du_texte"]
    cols += ["total_du", "total_du_texte", "ancien_du", "ancien_du_texte", "ecart", "ecart_texte"]
    cols += ["taux_effort", "taux_effort_texte", "fichier_avis", "date_limite", "contact"]
    return cols


def row(st: Statement, pdf_name: str, options: Options) -> list[str]:
    def both(x: float | None) -> list[str]:
        return [decimal(x), "" if x is None else money(x)]

    cells = [st.id, "oui" if st.notice else "non", *both(st.income)]
    cells += [decimal(st.parts).rstrip("0").rstrip(",") if st.parts is not None else "", *both(st.indicator)]
    for g in st.grids:
        cells += [g.name, str(g.pupils), g.tranche, *both(g.amount), *both(g.due)]
    cells += [*both(st.total_due), *both(st.old_due), *both(st.change)]
    cells += [decimal(st.effort, 6), "" if st.effort is None else effort(st.effort), pdf_name]
    cells += [french_date(options.deadline) if options.deadline else "", options.contact or ""]
    return cells


def mailmerge_csv(scenario: Scenario, statements: list[Statement], pdf_names: list[str], options: Options) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(header(scenario))
    for st, name in zip(statements, pdf_names):
        w.writerow([printable(cell) for cell in row(st, name, options)])
    return out.getvalue().encode("utf-8-sig")
