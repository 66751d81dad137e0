"""The scenario: every input of one workbook, as typed, immutable objects.

These mirror the SPEC's scenario JSON one to one (see ``scenario_json``).
Nothing here computes or validates; ``validation`` checks the rules and
``model`` computes the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

Indicator = Literal["qf", "rfr"]
PartsPolicy = Literal["fiscal", "custom"]
SiblingScope = Literal["structure", "network"]

INDICATORS: tuple[Indicator, ...] = ("qf", "rfr")
PARTS_POLICIES: tuple[PartsPolicy, ...] = ("fiscal", "custom")
SIBLING_SCOPES: tuple[SiblingScope, ...] = ("structure", "network")


@dataclass(frozen=True)
class CustomParts:
    """Coefficients of the ``custom`` parts policy (SPEC defaults)."""

    adult: float = 1.0
    child_1: float = 0.5
    child_2: float = 0.5
    child_3_plus: float = 1.0
    single_parent_bonus: float = 0.5
    other_dependent: float = 0.5


@dataclass(frozen=True)
class Tranche:
    """One bracket: families whose indicator is >= ``lower`` (up to the next
    tranche's lower bound, exclusive) pay ``amount`` per pupil and year."""

    label: str
    lower: float
    amount: float


@dataclass(frozen=True)
class Grid:
    """One tariff grid (one school unit)."""

    name: str
    tranches: tuple[Tranche, ...]
    old_tariff: float | None = None
    budget_target: float | None = None
    # Last year's brackets of this grid (``rollover`` keeps them): the
    # comparison of the second and later years of a social tariff, where the
    # old single tariff no longer means anything. None: no comparison.
    previous: tuple[Tranche, ...] | None = None


@dataclass(frozen=True)
class Family:
    """One family row. ``None`` means the bursar left the cell blank."""

    id: str
    pupils: tuple[int, ...]
    rfr_1: float | None = None
    rfr_2: float = 0.0
    caf_aid: float = 0.0
    parts: float | None = None
    adults: int | None = None
    children: int | None = None
    other_dependents: int = 0
    notice: bool = True
    other_enrolled: int = 0


# A family's inputs other than its pupils (one per grid), in the order of the
# families CSV's columns and of the workbook's family table (pupils_g1,
# pupils_g2... follow them): the order of Family's fields.
FAMILY_INPUTS: tuple[str, ...] = tuple(f.name for f in fields(Family) if f.name != "pupils")


@dataclass(frozen=True)
class Scenario:
    """All inputs of one workbook: structure-wide parameters, grids, families."""

    grids: tuple[Grid, ...]
    families: tuple[Family, ...] = ()
    structure: str = ""
    year: str = ""
    indicator: Indicator = "qf"
    include_caf_aid: bool = False
    parts_policy: PartsPolicy = "fiscal"
    custom_parts: CustomParts = field(default_factory=CustomParts)
    sibling_rates: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sibling_scope: SiblingScope = "structure"

    @property
    def n_grids(self) -> int:
        return len(self.grids)
