"""Each family's figures for its notice, taken from the model
(``model.simulate.family_table``): nothing here computes a tariff.

The only arithmetic is the split of a grid's due among its children for
the notice's lines: child by child, the amount after its sibling reduction
(``amount x (1 - rate)``, rounded to the cent). The due of the grid stays
the model's (rounded once over the grid's children, as the SPEC says).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workbook_engine.model.domain import Family, Scenario
from workbook_engine.model.money import excel_round
from workbook_engine.model.simulate import family_table


@dataclass(frozen=True)
class Child:
    """One enrolled child, by sibling rank (1 = full tariff)."""

    rank: int
    grid: int  # 1-based
    amount: float  # the tranche's amount per pupil
    rate: float  # sibling reduction rate
    after: float  # amount after reduction, to the cent


@dataclass(frozen=True)
class GridLine:
    """The family in one grid."""

    grid: int  # 1-based
    name: str
    pupils: int
    tranche: str
    tranche_no: int
    amount: float
    due: float
    old_due: float
    children: tuple[Child, ...]


@dataclass(frozen=True)
class Statement:
    """One family's figures. ``income``, ``parts``, ``indicator`` and
    ``effort`` are None without a tax notice (or when the model leaves
    them blank)."""

    id: str
    notice: bool
    income: float | None
    parts: float | None
    indicator: float | None
    grids: tuple[GridLine, ...]  # every grid (a family has a bracket in each)
    total_due: float
    old_due: float
    change: float
    effort: float | None
    ranked_elsewhere: int  # children in other Catholic schools ranked first (scope network)

    @property
    def enrolled(self) -> tuple[GridLine, ...]:
        """The grids where the family has pupils."""
        return tuple(g for g in self.grids if g.pupils > 0)


def sibling_rate(scenario: Scenario, rank: int) -> float:
    """The reduction of the child of this rank (rank 1 pays in full)."""
    r2, r3, r4 = scenario.sibling_rates
    return 0.0 if rank <= 1 else r2 if rank == 2 else r3 if rank == 3 else r4


def _blank(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def statements(scenario: Scenario) -> list[Statement]:
    """One statement per family, in the scenario's order."""
    t = family_table(scenario)

    def col(name: str) -> np.ndarray:
        return np.asarray(t[name])

    out: list[Statement] = []
    for i, fam in enumerate(scenario.families):
        lines = []
        for g, grid in enumerate(scenario.grids, start=1):
            pupils = int(col(f"pupils_g{g}")[i])
            before = int(col(f"ranked_before_g{g}")[i])
            amount = float(col(f"amount_g{g}")[i])
            kids = []
            for rank in range(before + 1, before + pupils + 1):
                r = sibling_rate(scenario, rank)
                kids.append(Child(rank, g, amount, r, excel_round(amount * (1 - r), 2)))
            lines.append(
                GridLine(
                    grid=g,
                    name=grid.name or f"Grille {g}",
                    pupils=pupils,
                    tranche=str(col(f"tranche_g{g}")[i]),
                    tranche_no=int(col(f"tranche_no_g{g}")[i]),
                    amount=amount,
                    due=float(col(f"due_g{g}")[i]),
                    old_due=float(col(f"old_due_g{g}")[i]),
                    children=tuple(kids),
                )
            )
        notice = bool(col("notice")[i])
        out.append(
            Statement(
                id=fam.id,
                notice=notice,
                income=_blank(col("income")[i]) if notice else None,
                parts=_blank(col("parts_used")[i]) if notice else None,
                indicator=_blank(col("indicator")[i]) if notice else None,
                grids=tuple(lines),
                total_due=float(col("total_due")[i]),
                old_due=float(col("old_due")[i]),
                change=float(col("change")[i]),
                effort=_blank(col("effort")[i]),
                ranked_elsewhere=fam.other_enrolled if scenario.sibling_scope == "network" else 0,
            )
        )
    return out


# The method's worked example: RFR 35 000 €, two parents, three dependent children.
EXAMPLE_RFR = 35000.0
EXAMPLE_ADULTS = 2
EXAMPLE_CHILDREN = 3
EXAMPLE_ID = "EXEMPLE"


@dataclass(frozen=True)
class WorkedExample:
    """The method's family computed by the model with the scenario's rules:
    ``per_grid`` is its statement with one pupil in every grid (tranche and
    amount per pupil); ``siblings``, when sibling rates are set, its
    statement with its three children in the first grid."""

    rfr: float
    parts: float
    indicator: float
    per_grid: Statement
    siblings: Statement | None


def worked_example(scenario: Scenario) -> WorkedExample:
    """The example family under the scenario's indicator, parts rule and
    grids. Under the ``fiscal`` policy its notice reads the French tax
    rule's 4 parts (2 + 0,5 + 0,5 + 1); under ``custom`` the school's own
    coefficients compute them."""
    from dataclasses import replace

    parts = float(EXAMPLE_ADULTS + 0.5 + 0.5 + (EXAMPLE_CHILDREN - 2))  # fiscal: 1 per adult, ½ ½ then 1
    base = Family(
        id=EXAMPLE_ID,
        pupils=(1,) * scenario.n_grids,
        rfr_1=EXAMPLE_RFR,
        parts=parts,
        adults=EXAMPLE_ADULTS,
        children=EXAMPLE_CHILDREN,
    )
    one = replace(scenario, families=(base,), sibling_scope="structure")
    per_grid = statements(one)[0]
    siblings = None
    if any(scenario.sibling_rates):
        three = replace(base, pupils=(EXAMPLE_CHILDREN,) + (0,) * (scenario.n_grids - 1))
        siblings = statements(replace(one, families=(three,)))[0]
    assert per_grid.parts is not None and per_grid.indicator is not None
    return WorkedExample(EXAMPLE_RFR, per_grid.parts, per_grid.indicator, per_grid, siblings)
