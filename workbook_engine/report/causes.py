"""Findings grouped by cause, as ``check`` prints them, with what to do.

A cause is the findings of one part, severity and message; its advice
depends on what the findings hold (a formula expected, a family typed below
the table...), never on their French text.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbook_engine.workbook.check import (
    Finding,
    FindingSeverity,
    Part,
    cause_line,
    group_findings,
)

PART_TITLES: dict[Part, str] = {
    "structure": "Structure (formules, feuilles, noms)",
    "numbers": "Calculs (comparés au modèle)",
    "inputs": "Saisies",
    "review": "Révision annuelle de la grille (conseil)",
}
SEVERITY_WORDS: dict[FindingSeverity, str] = {"error": "Erreur", "warning": "Attention", "info": "Information"}


@dataclass(frozen=True)
class Cause:
    findings: tuple[Finding, ...]

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def part(self) -> Part:
        return self.first.part

    @property
    def severity(self) -> FindingSeverity:
        return self.first.severity

    @property
    def message(self) -> str:
        return self.first.message

    @property
    def cells(self) -> int:
        """Cells the cause stands for (a column edited all the way down counts each cell)."""
        return sum(f.count for f in self.findings)

    @property
    def line(self) -> str:
        """The line ``check`` prints for this cause."""
        return cause_line(list(self.findings))

    @property
    def advice(self) -> str:
        return advice(self.first)


def causes(findings: list[Finding]) -> list[Cause]:
    """Causes in the order ``check`` prints them: by part, then as they first appear."""
    order = list(PART_TITLES)
    groups = group_findings(sorted(findings, key=lambda f: order.index(f.part)))
    return [Cause(tuple(g)) for g in groups]


REGENERATE = (
    "Si beaucoup de cellules sont touchées, faites régénérer le classeur à partir de vos saisies "
    "(workbook-engine read, puis generate)."
)


def advice(f: Finding) -> str:
    """What the bursar should do about a finding, in French, in the
    spreadsheet's words (the bursar may never use the command line)."""
    expects_formula = isinstance(f.expected, str) and f.expected.startswith("=")
    if f.part == "review":
        return (
            "Conseil pour la révision annuelle de la grille : rien à corriger dans ce classeur. Pour l'année "
            "suivante, faites proposer une tranche de plus (workbook-engine calibrate avec --split-top-share)."
        )
    if f.severity == "info":
        return "Rien à faire : cette modification ne change aucun calcul."
    if f.part == "structure":
        if expects_formula:
            return (
                "Rétablissez la formule attendue : copiez la même cellule d'une ligne voisine intacte (ou "
                f"retapez la formule indiquée), sans rien saisir par-dessus. {REGENERATE}"
            )
        if f.family is not None:
            return (
                "Déplacez cette famille dans une ligne vide du tableau des familles, au-dessus de la dernière "
                "ligne de formules, puis videz cette ligne-ci."
            )
        return (
            "Rétablissez la feuille, la ligne ou le nom défini supprimé (Édition › Annuler, ou repartez du "
            f"classeur d'origine). {REGENERATE}"
        )
    if f.part == "numbers":
        if f.expected is None and f.found is None:
            return "Corrigez d'abord les saisies signalées : le contrôle des calculs pourra alors se faire."
        return (
            "Ce résultat diffère de celui du modèle. Corrigez d'abord les formules et les saisies signalées : "
            "il se recalcule alors. S'il reste faux, faites régénérer le classeur à partir de vos saisies "
            "(workbook-engine read, puis generate)."
        )
    if f.severity == "error":
        return (
            "Corrigez cette saisie : tapez un nombre (par exemple 35000 ou 1234,56) ou l'un des choix "
            "proposés ; le classeur ne peut pas la calculer telle quelle."
        )
    return (
        "Vérifiez la saisie : le tableur la comprend comme indiqué. Retapez-la comme un nombre (ou un choix "
        "de la liste) pour lever le doute."
    )
