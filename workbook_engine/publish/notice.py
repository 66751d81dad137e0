"""One family's notice: what it will pay and why, with no other family's
data. The figures are its statement's (the model's); the text says which
income and indicator were retained (or that no tax notice was given), the
tranche and amount per pupil in each grid where it has pupils, each child's
sibling reduction, the due per grid and in total, the comparison with the
old single tariff, its effort rate and the school's contact.
"""

from __future__ import annotations

from workbook_engine.model.domain import Scenario
from workbook_engine.publish.article import Options, contact_span, deadline_span, structure_name
from workbook_engine.publish.blocks import Block, Bullets, Document, Heading, Paragraph, Table, strong
from workbook_engine.publish.statements import Statement
from workbook_engine.publish.typography import effort, money, number, ordinal, rate

NO_NOTICE = "avis non fourni"


def income_blocks(scenario: Scenario, st: Statement) -> list[Block]:
    if not st.notice or st.income is None:
        return [
            Paragraph.of(
                "Avis d'imposition : ",
                strong(NO_NOTICE),
                ". La tranche la plus haute de chaque unité s'applique.",
            )
        ]
    what = "revenu fiscal de référence" + (" + aides annuelles de la CAF" if scenario.include_caf_aid else "")
    items: list[str] = [f"Revenu retenu : {money(st.income)} ({what})"]
    if scenario.indicator == "qf":
        parts = "nombre de parts de l'avis" if scenario.parts_policy == "fiscal" else "nombre de parts calculé"
        items.append(f"{parts[0].upper()}{parts[1:]} : {number(st.parts or 0)}")
        items.append(f"Quotient familial retenu : {money(st.indicator or 0)}")
    else:
        items.append(f"Indicateur retenu (revenu) : {money(st.indicator or 0)}")
    return [Bullets.of(*items)]


def tariff_table(st: Statement) -> Table:
    rows = [(g.name, g.tranche, money(g.amount), str(g.pupils), money(g.due)) for g in st.enrolled]
    rows.append(("Total annuel", "", "", str(sum(g.pupils for g in st.enrolled)), money(st.total_due)))
    return Table(
        header=("Unité", "Tranche", "Montant par élève", "Élèves", "Montant dû"),
        rows=tuple(rows),
        widths=(3.0, 1.4, 2.4, 1.2, 2.4),
        align=("L", "C", "R", "C", "R"),
        strong_last=True,
    )


def children_table(st: Statement) -> Table:
    names = {g.grid: g.name for g in st.grids}
    rows = []
    for k in sorted((k for g in st.enrolled for k in g.children), key=lambda k: k.rank):
        reduction = f"{rate(k.rate)}" if k.rate else "aucune"
        rows.append((f"{ordinal(k.rank)} enfant", names[k.grid], money(k.amount), reduction, money(k.after)))
    return Table(
        header=("Rang", "Unité", "Montant par élève", "Réduction", "Après réduction"),
        rows=tuple(rows),
        widths=(1.8, 3.0, 2.4, 1.6, 2.4),
        align=("L", "L", "R", "C", "R"),
    )


def comparison_blocks(scenario: Scenario, st: Statement) -> list[Block]:
    olds = [(g.name or f"grille {k}", g.old_tariff) for k, g in enumerate(scenario.grids, 1)]
    if all(o is None for _, o in olds):
        return []
    tariffs = ", ".join(f"{n} {money(o)}" for n, o in olds if o is not None)
    if st.change > 0:
        verdict = f"soit {money(st.change)} de plus"
    elif st.change < 0:
        verdict = f"soit {money(-st.change)} de moins"
    else:
        verdict = "soit le même montant"
    missing = " (les unités sans ancien tarif comptent 0 €)" if any(o is None for _, o in olds) else ""
    return [
        Heading("Comparaison avec l'ancien tarif", 2),
        Paragraph.of(
            f"Avec l'ancien tarif unique par élève ({tariffs}) et les mêmes réductions pour frères et sœurs, "
            f"votre contribution aurait été de {money(st.old_due)}{missing} : ",
            strong(verdict),
            " avec le nouveau barème.",
        ),
    ]


def notice(scenario: Scenario, st: Statement, options: Options, name: str | None = None) -> Document:
    """The notice of one family. ``name`` (from the bursar's local file)
    is printed as the addressee and nowhere else."""
    year = f" {scenario.year}" if scenario.year else ""
    blocks: list[Block] = [
        Paragraph.of(strong(structure_name(scenario))),
        Heading(f"Votre contribution pour l'année scolaire{year}", 0),
    ]
    if name:
        blocks.append(Paragraph.of("Famille : ", strong(name)))
    blocks.append(Paragraph.of("Référence de la famille : ", strong(st.id)))
    blocks += [
        Paragraph.of(
            f"Voici le calcul de votre contribution selon le barème de tarification sociale adopté par "
            f"{structure_name(scenario)} (règlement financier, article « Contribution des familles »)."
        ),
        Heading("Vos revenus", 2),
        *income_blocks(scenario, st),
        Heading("Votre tarif", 2),
        tariff_table(st),
    ]
    if st.ranked_elsewhere:
        who = (
            "Votre enfant scolarisé dans un autre établissement de l'Enseignement catholique compte"
            if st.ranked_elsewhere == 1
            else f"Vos {st.ranked_elsewhere} enfants scolarisés dans un autre établissement de l'Enseignement "
            "catholique comptent"
        )
        blocks.append(Paragraph.of(f"{who} en premier pour les réductions (rangs 1 à {st.ranked_elsewhere})."))
    if any(k.rate for g in st.enrolled for k in g.children) or sum(g.pupils for g in st.enrolled) > 1:
        blocks += [Heading("Réductions pour frères et sœurs", 2), children_table(st)]
        if any(abs(sum(k.after for k in g.children) - g.due) >= 0.005 for g in st.enrolled):
            # The due is rounded once over the unit's children (the SPEC), each line on its own.
            blocks.append(
                Paragraph.of(
                    "Les montants par enfant sont arrondis au centime ; le montant dû de chaque unité est "
                    "calculé sur l'ensemble de ses enfants, d'où un écart possible d'un centime."
                )
            )
    blocks += comparison_blocks(scenario, st)
    if st.effort is not None:
        blocks.append(
            Paragraph.of(
                "Taux d'effort : votre contribution représente ",
                strong(effort(st.effort)),
                " de votre revenu retenu.",
            )
        )
    if not st.notice:
        blocks.append(
            Paragraph.of(
                "Vous pouvez encore remettre votre avis d'imposition au secrétariat, au plus tard le ",
                deadline_span(options),
                " : votre contribution sera alors recalculée.",
            )
        )
    blocks += [
        Heading("Contact", 2),
        Paragraph.of("Pour toute question : ", contact_span(options), "."),
    ]
    return Document(tuple(blocks), footer=f"Document personnel de la famille {st.id} – ne pas diffuser")
