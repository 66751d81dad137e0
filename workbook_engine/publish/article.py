"""The article of the school's règlement financier on the families'
contribution, in the federation's method's order: why a social tariff, the
indicator and its parts rule, the bracket table of each grid, how to compute
one's quotient familial (the method's worked example, computed by the
model), the documents to send and by when, the rule without a tax notice,
the cases that excuse a missing notice and the exceptional reductions
(generic text, marked to adapt), the sibling reductions, the contact.

What the scenario cannot know (the deadline, the contact) is left as a
visible placeholder unless given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workbook_engine.model.domain import Grid, Scenario
from workbook_engine.publish.blocks import (
    Block,
    Bullets,
    Document,
    Heading,
    Paragraph,
    Span,
    Table,
    placeholder,
    strong,
)
from workbook_engine.publish.statements import WorkedExample, sibling_rate
from workbook_engine.publish.typography import french_date, money_short, number, ordinal, rate

DEADLINE_PLACEHOLDER = "[date limite à compléter]"
CONTACT_PLACEHOLDER = "[contact à compléter : nom, téléphone, adresse électronique]"
ADAPT = "[texte générique, à adapter par l'établissement]"


@dataclass(frozen=True)
class Options:
    """What the bursar adds on the command line."""

    deadline: dt.date | None = None
    contact: str | None = None


def deadline_span(options: Options) -> Span:
    return strong(french_date(options.deadline)) if options.deadline else placeholder(DEADLINE_PLACEHOLDER)


def contact_span(options: Options) -> Span:
    return Span(options.contact) if options.contact else placeholder(CONTACT_PLACEHOLDER)


def structure_name(scenario: Scenario) -> str:
    return scenario.structure or "l'établissement"


def indicator_name(scenario: Scenario) -> str:
    return "revenu fiscal de référence" if scenario.indicator == "rfr" else "quotient familial"


def income_words(scenario: Scenario) -> str:
    """What the income is, in the bursar's words."""
    words = "le revenu fiscal de référence (RFR) du foyer"
    if scenario.include_caf_aid:
        words += ", augmenté des aides annuelles versées par la CAF"
    return words


def bound_label(grid: Grid, index: int) -> str:
    """ "de 6 000 € à moins de 9 000 €"; "18 000 € et plus" for the last."""
    tr = grid.tranches
    if index == len(tr) - 1:
        return f"{money_short(tr[index].lower)} et plus"
    return f"de {money_short(tr[index].lower)} à moins de {money_short(tr[index + 1].lower)}"


def bracket_table(scenario: Scenario, grid: Grid) -> Table:
    ind = "Revenu fiscal de référence" if scenario.indicator == "rfr" else "Quotient familial"
    return Table(
        header=("Tranche", ind, "Montant annuel par élève"),
        rows=tuple((t.label, bound_label(grid, i), money_short(t.amount)) for i, t in enumerate(grid.tranches)),
        widths=(1.2, 4.0, 2.4),
        align=("C", "L", "R"),
    )


def parts_rule(scenario: Scenario) -> list[Block]:
    if scenario.indicator == "rfr":
        return [
            Paragraph.of(
                "L'indicateur retenu est ",
                strong("le revenu du foyer lui-même"),
                f" : {income_words(scenario)}, sans division par le nombre de parts. Lorsque les parents sont "
                "imposés séparément, leurs revenus fiscaux de référence sont additionnés.",
            )
        ]
    blocks: list[Block] = [
        Paragraph.of(
            "L'indicateur retenu est le ",
            strong("quotient familial (QF)"),
            f" : {income_words(scenario)}, divisé par le nombre de parts du foyer. Lorsque les parents sont "
            "imposés séparément, leurs revenus fiscaux de référence sont additionnés.",
        )
    ]
    if scenario.parts_policy == "fiscal":
        blocks.append(
            Paragraph.of(
                "Le nombre de parts est ",
                strong("celui qui figure sur l'avis d'imposition"),
                " : il compte déjà, selon les règles fiscales, la demi-part supplémentaire du parent isolé "
                "et les personnes à charge du foyer.",
            )
        )
    else:
        c = scenario.custom_parts
        blocks += [
            Paragraph.of("Le nombre de parts est ", strong("calculé par l'établissement"), " selon sa propre règle :"),
            Bullets.of(
                f"{number(c.adult)} part par adulte du foyer ;",
                f"{number(c.child_1)} part pour le premier enfant à charge, {number(c.child_2)} pour le deuxième, "
                f"{number(c.child_3_plus)} pour chaque enfant à partir du troisième ;",
                f"{number(c.single_parent_bonus)} part de plus pour un parent isolé (un seul adulte avec au moins "
                "un enfant à charge) ;",
                f"{number(c.other_dependent)} part par autre personne à charge.",
            ),
        ]
    return blocks


def example_blocks(scenario: Scenario, ex: WorkedExample) -> list[Block]:
    """How to compute one's indicator, with the method's family."""
    blocks: list[Block] = []
    rfr = money_short(ex.rfr)
    if scenario.indicator == "rfr":
        blocks.append(
            Paragraph.of(
                "Votre indicateur est le revenu fiscal de référence inscrit sur votre avis d'imposition"
                + (" (augmenté des aides annuelles de la CAF)" if scenario.include_caf_aid else "")
                + " ; reportez-le dans le barème de chaque unité où vous inscrivez un enfant."
            )
        )
        intro = f"Exemple : une famille de deux parents et trois enfants à charge dont le RFR est de {rfr} "
        intro += f"a pour indicateur {money_short(ex.indicator)}."
    else:
        blocks.append(
            Paragraph.of(
                "Divisez le revenu fiscal de référence de votre foyer (ligne « Revenu fiscal de référence » de "
                "l'avis d'imposition"
                + (", augmenté des aides annuelles de la CAF" if scenario.include_caf_aid else "")
                + ") par votre nombre de parts, puis reportez le résultat dans le barème de chaque unité."
            )
        )
        if scenario.parts_policy == "fiscal":
            how = "2 + 0,5 + 0,5 + 1"
        else:
            c = scenario.custom_parts
            how = f"2 × {number(c.adult)} + {number(c.child_1)} + {number(c.child_2)} + {number(c.child_3_plus)}"
        intro = (
            f"Exemple : une famille dont le RFR est de {rfr}, composée de deux parents et de trois enfants à "
            f"charge, compte {how} = {number(ex.parts)} parts ; son quotient familial est de {rfr} / "
            f"{number(ex.parts)} = {money_short(ex.indicator)}."
        )
    blocks.append(Paragraph.of(strong(intro)))
    lines = [
        f"{g.name} : tranche {g.tranche}, soit {money_short(g.amount)} par élève et par an" for g in ex.per_grid.grids
    ]
    blocks.append(Bullets.of(*(f"{t} ;" for t in lines[:-1]), f"{lines[-1]}."))
    if ex.siblings is not None:
        line = ex.siblings.grids[0]
        kids = ", ".join(
            f"{money_short(k.after)} pour le {ordinal(k.rank)}" + (f" (réduction de {rate(k.rate)})" if k.rate else "")
            for k in line.children
        )
        blocks.append(
            Paragraph.of(
                f"Si ses trois enfants sont inscrits dans l'unité « {line.name} », elle paie {kids}, soit ",
                strong(f"{money_short(line.due)} par an"),
                ".",
            )
        )
    return blocks


def sibling_blocks(scenario: Scenario) -> list[Block]:
    if not any(scenario.sibling_rates):
        return [Paragraph.of("Aucune réduction n'est appliquée pour les frères et sœurs.")]
    names = ", ".join(g.name for g in scenario.grids if g.name)
    order = " (à montant égal, dans l'ordre des unités : " + names + ")" if scenario.n_grids > 1 and names else ""
    blocks: list[Block] = [
        Paragraph.of(
            f"Les enfants d'une même famille inscrits dans {structure_name(scenario)} sont classés du montant le "
            f"plus élevé au moins élevé{order}. Le premier paie le montant de sa tranche ; les suivants "
            "bénéficient d'une réduction sur ce montant :"
        ),
        Bullets.of(
            f"2e enfant : {rate(sibling_rate(scenario, 2))} de réduction ;",
            f"3e enfant : {rate(sibling_rate(scenario, 3))} de réduction ;",
            f"4e enfant et suivants : {rate(sibling_rate(scenario, 4))} de réduction chacun.",
        ),
    ]
    if scenario.sibling_scope == "network":
        blocks.append(
            Paragraph.of(
                "Les enfants de la famille scolarisés dans un autre établissement de l'Enseignement catholique "
                "comptent en premier (sur présentation d'un certificat de scolarité) : les enfants inscrits chez "
                "nous prennent les rangs suivants."
            )
        )
    else:
        blocks.append(
            Paragraph.of(f"Seuls les enfants inscrits dans {structure_name(scenario)} sont comptés pour ce classement.")
        )
    return blocks


def documents_blocks(scenario: Scenario, options: Options) -> list[Block]:
    items = [
        "la copie intégrale du dernier avis d'imposition du foyer (toutes les pages) ; les deux avis lorsque "
        "les parents sont imposés séparément"
    ]
    if scenario.include_caf_aid:
        items.append("l'attestation annuelle des aides versées par la CAF")
    if scenario.indicator == "qf" and scenario.parts_policy == "custom":
        items.append("tout document attestant la composition du foyer (livret de famille, attestation de la CAF)")
    if scenario.sibling_scope == "network" and any(scenario.sibling_rates):
        items.append(
            "le certificat de scolarité des enfants inscrits dans un autre établissement de l'Enseignement catholique"
        )
    return [
        Paragraph.of("Chaque famille remet au secrétariat, au plus tard le ", deadline_span(options), " :"),
        Bullets.of(*(f"{t} ;" for t in items[:-1]), f"{items[-1]}."),
        Paragraph.of(
            "Ces documents servent au seul calcul de la contribution ; ils sont conservés de façon confidentielle "
            "et détruits en fin d'année scolaire."
        ),
    ]


def article(scenario: Scenario, ex: WorkedExample, options: Options) -> Document:
    """The article as blocks (rendered to .docx and PDF alike)."""
    name = structure_name(scenario)
    year = f" – année scolaire {scenario.year}" if scenario.year else ""
    tops = " ; ".join(
        f"{g.name or f'grille {k}'} : {money_short(g.tranches[-1].amount)}" for k, g in enumerate(scenario.grids, 1)
    )
    blocks: list[Block] = [
        Heading("Contribution des familles", 0),
        Paragraph.of(strong(scenario.structure), year) if scenario.structure else Paragraph.of(year[3:].capitalize()),
        Heading("1. Pourquoi une tarification sociale"),
        Paragraph.of(
            f"Pour que chaque famille qui le souhaite puisse confier ses enfants à {name}, la contribution des "
            "familles tient compte de leurs revenus : chacune participe selon ses moyens. Le barème ci-dessous "
            "a été adopté par le conseil d'administration de l'OGEC ; il est revu chaque année."
        ),
        Heading("2. L'indicateur retenu"),
        *parts_rule(scenario),
        Heading("3. Le barème"),
        Paragraph.of(
            f"Chaque famille relève, dans chaque unité, de la tranche où se situe son {indicator_name(scenario)} "
            "(borne basse comprise, borne haute exclue). Le montant est annuel, par élève, avant les réductions "
            "pour frères et sœurs."
        ),
    ]
    for k, grid in enumerate(scenario.grids, start=1):
        blocks += [Heading(grid.name or f"Grille {k}", 2), bracket_table(scenario, grid)]
    word = "votre revenu fiscal de référence" if scenario.indicator == "rfr" else "votre quotient familial"
    blocks += [
        Heading(f"4. Calculer {word}"),
        *example_blocks(scenario, ex),
        Heading("5. Documents à fournir"),
        *documents_blocks(scenario, options),
        Heading("6. Sans avis d'imposition"),
        Paragraph.of(
            "La famille qui ne remet pas son avis d'imposition à la date indiquée relève de ",
            strong("la tranche la plus haute"),
            f" de chaque unité ({tops}).",
        ),
        Heading("7. Cas particuliers et réductions exceptionnelles"),
        Paragraph.of(placeholder(ADAPT)),
        Paragraph.of(
            "Certaines situations peuvent justifier l'absence d'avis d'imposition ou un examen particulier : "
            "première déclaration de revenus en cours, arrivée récente en France, changement important de "
            "situation depuis l'année des revenus déclarés (perte d'emploi, séparation, décès, maladie)."
        ),
        Paragraph.of(
            "La famille concernée prend contact avec le chef d'établissement avant la date limite. Sur demande "
            "écrite et justifiée, une réduction exceptionnelle peut être accordée pour l'année scolaire ; elle est "
            "examinée en toute confidentialité."
        ),
        Heading("8. Réductions pour les frères et sœurs"),
        *sibling_blocks(scenario),
        Heading("9. Contact"),
        Paragraph.of("Pour toute question sur la contribution des familles : ", contact_span(options), "."),
    ]
    footer = f"{scenario.structure} – règlement financier{year}".strip(" –")
    return Document(tuple(blocks), footer=footer, page_numbers=True)
