"""The exit code of ``check`` under a ``--fail-on`` threshold.

``error``: only errors fail; ``warning`` (the default, ``check``'s behaviour
without the option): errors and warnings; ``info``: any finding. An unusable
workbook always exits 2, whatever the threshold.
"""

from __future__ import annotations

from typing import Literal

from workbook_engine.workbook.check import CheckReport, Finding, FindingSeverity

FailOn = Literal["error", "warning", "info"]
FAIL_ON: tuple[FailOn, ...] = ("error", "warning", "info")
DEFAULT_FAIL_ON: FailOn = "warning"
_RANK: dict[FindingSeverity, int] = {"error": 2, "warning": 1, "info": 0}


def fails(finding: Finding, fail_on: FailOn) -> bool:
    """Whether this finding alone makes the check fail."""
    return _RANK[finding.severity] >= _RANK[fail_on]


def exit_code(report: CheckReport, fail_on: FailOn = DEFAULT_FAIL_ON) -> int:
    if report.unusable:
        return 2
    return 1 if any(fails(f, fail_on) for f in report.findings) else 0


def overall_exit_code(reports: list[CheckReport], fail_on: FailOn = DEFAULT_FAIL_ON) -> int:
    return max((exit_code(r, fail_on) for r in reports), default=0)
