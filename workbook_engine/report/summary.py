"""One workbook's check at a glance: verdict, families, revenue per grid as
the workbook computes it and as the model computes it, findings per cause."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from workbook_engine.model.simulate import simulate_json
from workbook_engine.report.causes import Cause, causes
from workbook_engine.report.gate import DEFAULT_FAIL_ON, FailOn, exit_code
from workbook_engine.workbook.check import CheckReport
from workbook_engine.workbook.results import results_json_from_cells

Verdict = Literal["ok", "accepted", "findings", "unusable"]
VERDICT_WORDS: dict[Verdict, str] = {
    "ok": "Classeur cohérent",
    "accepted": "Accepté : des remarques restent, sous le seuil choisi",
    "findings": "Constats à corriger",
    "unusable": "Classeur inutilisable",
}


@dataclass(frozen=True)
class GridRevenue:
    name: str
    workbook: object  # a number, or the text the cell shows (#VALUE!), or None
    model: object  # None when the inputs make no scenario
    budget_target: object

    @property
    def difference(self) -> float | None:
        if isinstance(self.workbook, (int, float)) and isinstance(self.model, (int, float)):
            return round(float(self.workbook) - float(self.model), 2)
        return None


@dataclass(frozen=True)
class WorkbookSummary:
    report: CheckReport
    verdict: Verdict
    exit_code: int
    causes: tuple[Cause, ...]
    grids: tuple[GridRevenue, ...]
    total: GridRevenue | None

    @property
    def name(self) -> str:
        return str(self.report.path)

    @property
    def verdict_text(self) -> str:
        return VERDICT_WORDS[self.verdict]

    def count(self, severity: str) -> int:
        return sum(1 for c in self.causes if c.severity == severity)


def summarize(report: CheckReport, fail_on: FailOn = DEFAULT_FAIL_ON) -> WorkbookSummary:
    code = exit_code(report, fail_on)
    verdict: Verdict = "unusable" if code == 2 else "findings" if code == 1 else "ok"
    if verdict == "ok" and any(f.severity != "info" for f in report.findings):
        verdict = "accepted"
    grids: list[GridRevenue] = []
    total = None
    if report.layout is not None and report.values is not None:
        got = results_json_from_cells(report.layout, report.values)
        expected = simulate_json(report.scenario) if report.scenario is not None else None
        for g, found in enumerate(got["grids"]):
            exp = expected["grids"][g] if expected else None
            grids.append(
                GridRevenue(
                    str(found["name"] or f"Grille {g + 1}"),
                    found["revenue"],
                    exp["revenue"] if exp else None,
                    found["budget_target"],
                )
            )
        total = GridRevenue(
            "Total",
            got["total"]["revenue"],
            expected["total"]["revenue"] if expected else None,
            got["total"]["budget_target"],
        )
    return WorkbookSummary(report, verdict, code, tuple(causes(report.findings)), tuple(grids), total)
