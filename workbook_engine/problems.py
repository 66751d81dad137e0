"""Problems found in input, and the one exception that carries them.

Every reader and validator collects *all* problems before failing, so a bursar
fixes a file in one pass. Messages are French: they are shown to bursars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or merely odd) in an input.

    ``where`` locates it for a human: a family id, a grid, a CSV line and
    column or a workbook cell. ``source`` is the file, when there is one.
    """

    where: str
    field: str
    value: object
    message: str
    severity: Severity = "error"
    source: str = ""

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        head = " : ".join(parts)
        what = f"{self.field} = {self.value!r}" if self.field else ""
        body = " : ".join(p for p in (what, self.message) if p)
        return f"{head} : {body}" if head else body

    def with_source(self, source: str) -> "Problem":
        return Problem(self.where, self.field, self.value, self.message, self.severity, source)

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "source": self.source,
            "where": self.where,
            "field": self.field,
            "value": self.value if isinstance(self.value, (str, int, float, bool, type(None))) else repr(self.value),
            "message": self.message,
        }


class InputError(Exception):
    """Raised when an input cannot be used; holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(Exception):
    """A command that cannot be carried out as asked (message in French)."""


def family_where(family_id: str, number: int, id_count: int) -> str:
    """How a problem names a family: by id, and by its position too when the
    id is blank or shared by several families (so no two are confused)."""
    if not family_id:
        return f"famille n°{number}"
    return f"famille {family_id}" if id_count <= 1 else f"famille {family_id} (n°{number})"


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
