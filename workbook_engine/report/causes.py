"""Findings grouped by cause, as ``check`` prints them, with what to do.

A cause is the findings of one part, severity and message; its advice
depends on what the findings hold (a formula expected, a family typed below
the table...), never on their French text.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbook_engine.workbook.check import (
    REPAIR,
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


def advice(f: Finding) -> str:
    """What the bursar should do about a finding, in French."""
    expects_formula = isinstance(f.expected, str) and f.expected.startswith("=")
    if f.severity == "info":
        return "Rien à faire : cette modification ne change aucun calcul."
    if f.part == "structure":
        if expects_formula:
            return f"Rétablissez la formule attendue (recopiez-la depuis une ligne voisine intacte). {REPAIR}"
        if f.family is not None:
            return (
                "Saisissez cette famille dans une ligne vide du tableau des familles (au-dessus de la dernière "
                f"ligne de formules), puis effacez cette ligne. {REPAIR}"
            )
        return f"Rétablissez la feuille, la ligne ou le nom défini d'origine. {REPAIR}"
    if f.part == "numbers":
        if f.expected is None and f.found is None:
            return "Corrigez d'abord les saisies signalées : le contrôle des calculs pourra alors se faire."
        return (
            "Ce résultat diffère de celui du modèle : corrigez d'abord les formules et les saisies signalées ; "
            f"s'il reste faux, régénérez le classeur. {REPAIR}"
        )
    if f.severity == "error":
        return "Corrigez la saisie de cette cellule : le classeur ne peut pas la calculer comme prévu."
    return (
        "Vérifiez la saisie : le tableur la comprend comme indiqué. Retapez-la comme un nombre (ou un choix "
        "de la liste) pour lever le doute."
    )
