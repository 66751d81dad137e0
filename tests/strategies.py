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

from workbook_engine.model.domain import (
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


def _money(c: int) -> float:
    """Whole cents ``c`` as euros: three times in four cut to whole euros (as
    bursars mostly type them), otherwise with their cents. Derived from one
    drawn integer, because Hypothesis pays per draw and a scenario holds
    hundreds of values."""
    return c / 100 if c % 4 == 0 else float(c // 100)


def money(min_eur: int, max_eur: int) -> st.SearchStrategy[float]:
    """Mostly whole euros, sometimes with cents, in [min_eur, max_eur]."""
    return st.integers(min_eur * 100, max_eur * 100).map(_money)


def optional_money(max_eur: int, *, blank=None) -> st.SearchStrategy[float | None]:
    """``blank`` about half of the time (it is also what shrinking reaches),
    otherwise money in [0, max_eur]."""
    return st.integers(-max_eur * 100, max_eur * 100).map(lambda c: blank if c <= 0 else _money(c))


rates = st.integers(0, 100).map(lambda k: k / 100)
"""A sibling reduction rate in [0, 1] with two decimals."""


_STEP = st.integers(1, 2_000_000)
_AMOUNT = st.integers(0, 500_000)
_OLD_TARIFF = st.integers(-500_000, 500_000).map(lambda c: None if c < 0 else c / 100)
_BUDGET = optional_money(2_000_000)


@st.composite
def tranches(draw, max_tranches: int = 8) -> tuple[Tranche, ...]:
    """1..max_tranches tranches: lower bounds 0 then strictly increasing,
    amounts >= 0 with cents (not necessarily increasing)."""
    n = draw(st.integers(1, max_tranches))
    lowers = [0.0]
    lower_cents = 0
    for _ in range(n - 1):
        # mostly steps of whole euros, sometimes tiny or with cents
        step = draw(_STEP)
        lower_cents += step if step % 4 == 0 else max(100, step // 100 * 100)
        lowers.append(lower_cents / 100)
    amounts = [draw(_AMOUNT) / 100 for _ in range(n)]
    return tuple(Tranche(label=LABELS[i], lower=lowers[i], amount=amounts[i]) for i in range(n))


@st.composite
def grids(draw, index: int = 0, max_tranches: int = 8) -> Grid:
    name = draw(st.sampled_from(GRID_NAMES + (f"Grille {index + 1}", "")))
    return Grid(
        name=name,
        tranches=draw(tranches(max_tranches)),
        old_tariff=draw(_OLD_TARIFF),
        budget_target=draw(_BUDGET),
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


PUPIL_DIGITS = (0, 0, 0, 1, 1, 2, 3, 4)  # one base-8 digit per grid, skewed to few pupils

# Strategies built once: building (and validating) them anew for every family
# would cost more than drawing from them.
_KIND = st.integers(0, 11)
_RFR = money(0, 150_000)
_PARTS = st.sampled_from(FISCAL_PARTS)
_COMPOSITION = st.integers(0, 2 * 7 * 3 * 4 - 1)
_RFR_2 = optional_money(80_000, blank=0.0)
_CAF = optional_money(15_000, blank=0.0)
_PUPIL_CODES = [st.integers(0, 8**n - 1) for n in range(13)]


def draw_family(draw, fid: str, n_grids: int) -> Family:
    """One family (``draw`` from inside a composite strategy). About one in
    six gives no tax notice; half of those have no RFR and no parts at all.
    Composition and pupils are each packed in one drawn integer (fast to
    generate; shrinking still heads for 0 pupils, 1 adult, no children)."""
    kind = draw(_KIND)
    notice, blank = kind >= 2, kind == 0
    rfr_1 = None if blank else draw(_RFR)
    parts = None if blank else draw(_PARTS)
    comp = draw(_COMPOSITION)
    adults, comp = 1 + comp % 2, comp // 2
    children, comp = comp % 7, comp // 7
    other_dependents, other_enrolled = comp % 3, comp // 3
    codes = _PUPIL_CODES[n_grids] if n_grids < len(_PUPIL_CODES) else st.integers(0, 8**n_grids - 1)
    code = draw(codes)
    pupils = tuple(PUPIL_DIGITS[(code >> (3 * g)) & 7] for g in range(n_grids))
    return Family(
        id=fid,
        pupils=pupils,
        rfr_1=rfr_1,
        rfr_2=draw(_RFR_2),
        caf_aid=draw(_CAF),
        parts=parts,
        adults=adults,
        children=children,
        other_dependents=other_dependents,
        notice=notice,
        other_enrolled=other_enrolled,
    )


@st.composite
def families(draw, fid: str, n_grids: int) -> Family:
    """One valid family with ``n_grids`` pupil counts (see :func:`draw_family`)."""
    return draw_family(draw, fid, n_grids)


@st.composite
def family_ids(draw, n: int) -> list[str]:
    """``n`` unique pseudonymous ids (``F0042``, ``É-7``...)."""
    prefix = draw(st.sampled_from(("F", "FAM-", "É-", "")))
    start, step = draw(st.integers(0, 9_999)), draw(st.integers(1, 3))
    return [f"{prefix}{start + i * step:04d}" for i in range(n)]


@st.composite
def scenarios(
    draw, max_grids: int = 5, max_families: int = 40, max_tranches: int = 8, min_families: int = 0
) -> Scenario:
    """A valid scenario: 1..max_grids grids (up to 12 is supported),
    min_families..max_families families with unique ids, every parameter
    drawn among its allowed values."""
    n_grids = draw(st.integers(1, max_grids))
    gs = tuple(draw(grids(i, max_tranches)) for i in range(n_grids))
    ids = draw(family_ids(draw(st.integers(min_families, max_families))))
    fams = tuple(draw_family(draw, fid, n_grids) for fid in ids)
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
