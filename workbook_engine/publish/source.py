"""What a publication starts from: a scenario JSON (with its families CSV),
or a workbook that ``check`` finds coherent. A workbook's figures are never
taken from its cells: its inputs are read, and the model computes; the check
first proves that the workbook's own formulas give the model's numbers, so
what the parents receive is what the workbook shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbook_engine.model.domain import Scenario
from workbook_engine.model.problems import UsageError
from workbook_engine.workbook.check import CheckReport

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")


class NotCoherent(Exception):
    """The workbook's check found errors or warnings: nothing is published."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        serious = [f for f in report.findings if f.severity != "info"]
        super().__init__(
            f"{report.path} : publication refusée, le classeur n'est pas cohérent "
            f"({len(serious)} constat(s) ; le premier : {report.first_finding()}). "
            f"Voyez le détail avec « workbook-engine check {report.path} », corrigez, puis publiez à nouveau."
        )


@dataclass(frozen=True)
class Source:
    scenario: Scenario
    inputs: list[Path]  # every file read (never written over)


def load_source(path: Path, families: Path | None = None) -> Source:
    """The scenario to publish. InputError / UsageError: unusable input
    (exit 2); NotCoherent: a workbook the check does not pass (exit 1)."""
    from workbook_engine.workbook.check import check_workbook
    from workbook_engine.workbook.reader import load_workbook_scenario

    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        if families is not None:
            raise UsageError("--families s'emploie avec un scénario JSON, pas avec un classeur")
        report = check_workbook(path)
        if report.unusable:
            raise UsageError(f"{path} : {report.unusable}")
        if report.exit_code != 0:
            raise NotCoherent(report)
        return Source(load_workbook_scenario(path), [path])
    if suffix == ".json":
        from workbook_engine.formats.families_csv import load_scenario

        return Source(load_scenario(path, families), [p for p in (path, families) if p is not None])
    raise UsageError(f"{path} : un classeur (.xlsx, .ods) ou un scénario .json est attendu")
