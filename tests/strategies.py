"""Hypothesis strategies for *valid* scenarios (they pass ``validation.validate``).

Reused by every property-based test. Money is generated in whole cents
(``617.35``: the double nearest to the decimal, exactly as a bursar would type
it); sibling rates with two decimals; fiscal parts among the usual values.

Import from a test module with::

    from strategies import scenarios          # tests/ is on sys.path under pytest
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from workbook_engine.domain import (
    INDICATORS,
    PARTS_POLICIES,
    SIBLING_SCOPES,
    CustomParts,
    Family,
    Grid,
    Scenario,
    Tranche,
)

FISCAL_PARTS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
GRID_NAMES = ("École", "Collège", "Lycée", "Maternelle", "LP", "BTS", "Internat", "Cantine")
LABELS = string.ascii_uppercase


def cents(min_eur: float, max_eur: float) -> st.SearchStrategy[float]:
    """A euro amount with cents (``617.35``), uniformly over whole cents."""
    return st.integers(round(min_eur * 100), round(max_eur * 100)).map(lambda c: c / 100)


def whole_or_cents(min_eur: int, max_eur: int) -> st.SearchStrategy[float]:
    """Mostly whole euros (as bursars type them), sometimes with cents."""
    return st.one_of(st.integers(min_eur, max_eur).map(float), cents(min_eur, max_eur))


rates = st.integers(0, 100).map(lambda k: k / 100)
"""A sibling reduction rate in [0, 1] with two decimals."""


@st.composite
def tranches(draw, max_tranches: int = 8) -> tuple[Tranche, ...]:
    """1..max_tranches tranches: lower bounds 0 then strictly increasing,
    amounts >= 0 with cents (not necessarily increasing)."""
    n = draw(st.integers(1, max_tranches))
    lowers = [0.0]
    lower_cents = 0
    for _ in range(n - 1):
        # mostly realistic steps of whole euros, sometimes tiny or with cents
        step = draw(st.one_of(st.integers(1, 20_000).map(lambda e: e * 100), st.integers(1, 2_000_000)))
        lower_cents += step
        lowers.append(lower_cents / 100)
    amounts = draw(st.lists(cents(0, 5_000), min_size=n, max_size=n))
    return tuple(Tranche(label=LABELS[i], lower=lowers[i], amount=amounts[i]) for i in range(n))


@st.composite
def grids(draw, index: int = 0, max_tranches: int = 8) -> Grid:
    name = draw(st.sampled_from(GRID_NAMES + (f"Grille {index + 1}", "")))
    return Grid(
        name=name,
        tranches=draw(tranches(max_tranches)),
        old_tariff=draw(st.none() | cents(0, 5_000)),
        budget_target=draw(st.none() | whole_or_cents(0, 2_000_000)),
    )


@st.composite
def custom_parts(draw) -> CustomParts:
    """Either the SPEC defaults or other non-negative coefficients (the adult
    coefficient stays > 0 so that every family has parts > 0)."""
    if draw(st.booleans()):
        return CustomParts()
    coef = st.integers(0, 40).map(lambda k: k / 20)  # 0, 0.05, ..., 2
    return CustomParts(
        adult=draw(st.integers(10, 40).map(lambda k: k / 20)),
        child_1=draw(coef),
        child_2=draw(coef),
        child_3_plus=draw(coef),
        single_parent_bonus=draw(coef),
        other_dependent=draw(coef),
    )


family_ids = st.from_regex(r"[A-Z]{1,2}[0-9]{1,5}", fullmatch=True)


@st.composite
def families(draw, fid: str, n_grids: int) -> Family:
    """One family. About one in six gives no tax notice; those sometimes have
    no RFR or parts at all."""
    notice = draw(st.integers(0, 5)) > 0
    blank_when_no_notice = not notice and draw(st.booleans())
    rfr_1 = None if blank_when_no_notice else draw(whole_or_cents(0, 150_000))
    parts = None if blank_when_no_notice else draw(st.sampled_from(FISCAL_PARTS))
    return Family(
        id=fid,
        pupils=tuple(draw(st.lists(st.integers(0, 4), min_size=n_grids, max_size=n_grids))),
        rfr_1=rfr_1,
        rfr_2=draw(st.just(0.0) | whole_or_cents(0, 80_000)),
        caf_aid=draw(st.just(0.0) | cents(0, 15_000)),
        parts=parts,
        adults=draw(st.sampled_from((1, 2))),
        children=draw(st.integers(0, 6)),
        other_dependents=draw(st.integers(0, 2)),
        notice=notice,
        other_enrolled=draw(st.integers(0, 3)),
    )


@st.composite
def scenarios(draw, max_grids: int = 5, max_families: int = 40, max_tranches: int = 8,
              min_families: int = 0) -> Scenario:
    """A valid scenario: 1..max_grids grids (up to 12 is supported),
    min_families..max_families families with unique ids, every parameter
    drawn among its allowed values."""
    n_grids = draw(st.integers(1, max_grids))
    gs = tuple(draw(grids(i, max_tranches)) for i in range(n_grids))
    ids = draw(st.lists(family_ids, min_size=min_families, max_size=max_families, unique=True))
    fams = tuple(draw(families(fid, n_grids)) for fid in ids)
    return Scenario(
        grids=gs,
        families=fams,
        structure=draw(st.sampled_from(("", "OGEC Saint-Joseph", "OGEC Notre-Dame de l'Assomption"))),
        year=draw(st.sampled_from(("", "2025-2026", "2026-2027"))),
        indicator=draw(st.sampled_from(INDICATORS)),
        include_caf_aid=draw(st.booleans()),
        parts_policy=draw(st.sampled_from(PARTS_POLICIES)),
        custom_parts=draw(custom_parts()),
        sibling_rates=(draw(rates), draw(rates), draw(rates)),
        sibling_scope=draw(st.sampled_from(SIBLING_SCOPES)),
    )
