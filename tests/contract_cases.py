"""The SPEC computed exactly (fractions), and workbooks of edge cases for it.

``spec_json`` is an independent implementation of the SPEC's per-family
rules in exact rational arithmetic over the decimal values the bursar typed
(a double is read as its shortest decimal, 617.35 as 617.35): indicator
rounded to the cent, last tranche whose bound is <= it, children ranked one
by one, due = ROUND(amount x sum of (1 - rate), 2) half away from zero. The
contract tests hold the model, the workbook's formulas and LibreOffice to it.

``edge_scenario`` builds a valid scenario where every family sits exactly on
a bracket bound in decimal but not in binary (7999.70 + 0.40, 2700 / 2.7)
and where most dues land on half a cent, with the largest accepted amounts,
pupil counts and ranks.
"""

from __future__ import annotations

import io
import json
import math
import random
from contextlib import redirect_stdout
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from workbook_engine.cli.main import main
from workbook_engine.model.domain import Family, Grid, Scenario, Tranche
from workbook_engine.model.validation import MAX_AMOUNT, MAX_CHILDREN


def exact(x: float) -> Fraction:
    """The decimal a double stands for (its shortest representation)."""
    return Fraction(Decimal(repr(float(x))))


def round_half_away(x: Fraction, digits: int = 2) -> Fraction:
    scale = 10**digits
    n = math.floor(abs(x) * scale + Fraction(1, 2))
    return Fraction(n if x >= 0 else -n, scale)


def spec_parts(s: Scenario, f: Family) -> Fraction | None:
    if s.parts_policy == "fiscal":
        return None if f.parts is None else exact(f.parts)
    c = s.custom_parts
    adults, children, others = f.adults or 0, f.children or 0, f.other_dependents or 0
    return (
        adults * exact(c.adult)
        + min(children, 1) * exact(c.child_1)
        + (children >= 2) * exact(c.child_2)
        + max(children - 2, 0) * exact(c.child_3_plus)
        + (adults == 1 and children >= 1) * exact(c.single_parent_bonus)
        + others * exact(c.other_dependent)
    )


def spec_indicator(s: Scenario, f: Family) -> Fraction | None:
    """The indicator rounded to the cent, None without a notice."""
    if not f.notice:
        return None
    income = exact(f.rfr_1 or 0) + exact(f.rfr_2 or 0) + (exact(f.caf_aid or 0) if s.include_caf_aid else 0)
    raw = income if s.indicator == "rfr" else income / spec_parts(s, f)
    return round_half_away(raw)


def spec_family(s: Scenario, f: Family) -> tuple[list[str], list[float], list[float]]:
    """(tranche labels, dues, old dues) per grid, exactly by the SPEC."""
    indicator = spec_indicator(s, f)
    tranches = []
    for g in s.grids:
        if indicator is None:
            tranches.append(g.tranches[-1])
        else:
            tranches.append([t for t in g.tranches if exact(t.lower) <= indicator][-1])
    amounts = [exact(t.amount) for t in tranches]
    rates = [exact(r) for r in s.sibling_rates]

    def rate(rank: int) -> Fraction:
        return Fraction(0) if rank == 1 else rates[min(rank, 4) - 2]

    children = sorted(
        ((g, a) for g, a in enumerate(amounts) for _ in range(f.pupils[g])), key=lambda ga: (-ga[1], ga[0])
    )
    rank = f.other_enrolled if s.sibling_scope == "network" else 0
    factor = [Fraction(0)] * s.n_grids
    for g, _ in children:
        rank += 1
        factor[g] += 1 - rate(rank)
    dues = [float(round_half_away(a * k)) for a, k in zip(amounts, factor)]
    olds = [
        float(round_half_away((0 if g.old_tariff is None else exact(g.old_tariff)) * k))
        for g, k in zip(s.grids, factor)
    ]
    return [t.label for t in tranches], dues, olds


def spec_json(s: Scenario) -> list[dict[str, object]]:
    """Per family: id, tranches and due as the results JSON has them, and the old dues."""
    out = []
    for f in s.families:
        labels, dues, olds = spec_family(s, f)
        out.append({"id": f.id, "tranches": labels, "due": dues, "old_due": olds})
    return out


# --------------------------------------------------------------------------- edge workbooks

TOP = round(MAX_AMOUNT * 100) - 1  # cents: grid 2's amount, above every grid-1 amount
QUOTIENT_PARTS = (1.1, 1.3, 1.7, 2.3, 2.7, 2.9, 3.3, 3.7, 4.1, 4.3, 4.7, 5.9)


def _noisy_sum(rng: random.Random, lo: int, hi: int) -> tuple[int, int, int] | None:
    """(bound in cents within [lo, hi) euros, two amounts in cents adding up to
    it) whose binary sum falls short of the bound."""
    for _ in range(2000):
        bound = rng.randrange(lo * 100, hi * 100)
        a = rng.randrange(1, bound)
        if a / 100 + (bound - a) / 100 < bound / 100:  # below: the unrounded rule picks the lower bracket
            return bound, a, bound - a
    return None


def _noisy_quotient(rng: random.Random, lo: int, hi: int) -> tuple[int, float, int] | None:
    """(bound in whole euros in [lo, hi), parts, income in cents): income / parts
    is the bound in decimal, and falls short of it in binary."""
    for _ in range(400):
        bound = rng.randrange(lo, hi)
        parts = rng.choice(QUOTIENT_PARTS)
        income_cents = bound * round(parts * 10) * 10  # bound x parts, in cents (parts has one decimal)
        if (income_cents / 100) / parts < float(bound):
            return bound * 100, parts, income_cents
    return None


def _factor(rates: tuple[int, int, int], before: int, pupils: int) -> int:
    """Sum of (1 - rate) over ranks before+1 .. before+pupils, in ten-thousandths."""
    total = 0
    for rank in range(before + 1, before + pupils + 1):
        total += 10_000 - (0 if rank == 1 else rates[min(rank, 4) - 2])
    return total


def _tie_amount(rng: random.Random, k: int, top: int) -> int:
    """Cents c <= top with c x k / 10**6 on half a cent (c x k = 5000 mod 10**4)
    when there is one, else any amount: the due rounds half away from zero."""
    g = math.gcd(k, 10_000)
    if k == 0 or 5000 % g:
        return rng.randrange(0, top)
    step = 10_000 // g
    c0 = (5000 // g) * pow(k // g, -1, step) % step
    scale = rng.choice((10**3, 10**5, 10**7, top))  # up to 10 EUR, 1,000 EUR, 100,000 EUR, the most
    return c0 + step * rng.randrange(0, min(scale, top - c0) // step + 1)


def edge_scenario(indicator: str, rates: tuple[int, int, int], scope: str, seed: int, n: int = 40) -> Scenario:
    """Family i sits on grid 1's bound i+1 through a binary-noisy sum (``rfr``)
    or quotient (``qf``); its amount puts its grid-1 due on half a cent.
    Grid 2 holds the largest accepted amount, so its children rank first.
    ``rates`` are in ten-thousandths (3333 is 33,33 %)."""
    rng = random.Random(seed)
    tranches = [Tranche("T0", 0.0, 0.0)]
    families = []
    for i in range(n):
        lo, hi = 1_000 * (i + 1), 1_000 * (i + 1) + 999  # whole euros: bounds strictly increase
        if indicator == "rfr":
            summed = _noisy_sum(rng, lo, hi)
            assert summed is not None
            bound, rfr_1, rfr_2, parts = summed[0], summed[1] / 100, summed[2] / 100, 1.0
        else:
            found = _noisy_quotient(rng, lo, hi)
            assert found is not None
            bound, parts, income = found
            rfr_1, rfr_2 = income / 100, 0.0
        pupils_1 = rng.choice((1, 1, 2, 3, 3, 5, 7, 12, MAX_CHILDREN))
        pupils_2 = rng.choice((0, 0, 1, 2))
        other = rng.choice((0, 0, 1, 3, 6, MAX_CHILDREN)) if scope == "network" else 0
        before_1 = other + pupils_2  # grid 2's amount is higher: its children rank first
        amount = _tie_amount(rng, _factor(rates, before_1, pupils_1), TOP - 1)
        tranches.append(Tranche(f"T{i + 1}", bound / 100, amount / 100))
        families.append(
            Family(
                f"F{i + 1:03d}",
                (pupils_1, pupils_2),
                rfr_1=rfr_1,
                rfr_2=rfr_2,
                parts=parts,
                adults=2,
                children=pupils_1 + pupils_2,
                other_enrolled=other,
            )
        )
    grids = (
        Grid("Bornes", tuple(tranches), old_tariff=3087.5),
        Grid("Haute", (Tranche("U", 0.0, TOP / 100),), old_tariff=TOP / 100),
    )
    return Scenario(
        grids=grids,
        families=tuple(families),
        structure="OGEC Cas limites",
        indicator=indicator,
        sibling_rates=(rates[0] / 10_000, rates[1] / 10_000, rates[2] / 10_000),
        sibling_scope=scope,
    )


def evaluate_json(path: Path) -> dict:
    """What ``workbook-engine evaluate --json`` prints for ``path``."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["evaluate", str(path), "--json"]) == 0
    return json.loads(out.getvalue())
