"""The model against the SPEC: every expected value below is worked out by hand
from the SPEC's rules (the arithmetic is written next to it), never copied
from the model's output."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workbook_engine.model.domain import CustomParts, Family, Grid, Scenario, Tranche
from workbook_engine.model.money import excel_round
from workbook_engine.model.simulate import simulate
from workbook_engine.model.validation import validate

try:  # tests/ is on sys.path under pytest's default import mode
    from strategies import cents, scenarios
except ImportError:  # pragma: no cover - when tests is imported as a package
    from tests.strategies import cents, scenarios

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- helpers


def grid(name: str, *tranches: tuple[str, float, float], old=None, target=None) -> Grid:
    return Grid(name=name, tranches=tuple(Tranche(*t) for t in tranches), old_tariff=old, budget_target=target)


def fam(fid: str, rfr: float | None, parts: float | None, pupils, **kw) -> Family:
    return Family(id=fid, rfr_1=rfr, parts=parts, pupils=tuple(pupils), **kw)


def scen(grids, families, **kw) -> Scenario:
    s = Scenario(grids=tuple(grids), families=tuple(families), **kw)
    assert validate(s) == [], validate(s)  # the hand-made inputs are valid
    return s


def row(results, fid: str) -> pd.Series:
    rows = results.families[results.families["id"] == fid]
    assert len(rows) == 1
    return rows.iloc[0]


def fam_json(results, fid: str) -> dict:
    (out,) = [f for f in results.to_json()["families"] if f["id"] == fid]
    return out


def parts_of(x: pd.Series) -> float:
    """The parts used for the quotient (the column was renamed once)."""
    return x["parts_used"] if "parts_used" in x.index else x["parts"]


def dues(results, fid: str, n_grids: int) -> list[float]:
    r = row(results, fid)
    return [float(r[f"due_g{g}"]) for g in range(1, n_grids + 1)]


# The SPEC's example grid.
ECOLE = grid("École", ("A", 0, 400), ("B", 8000, 600), ("C", 15000, 900), old=600, target=150000)


# --------------------------------------------------------------------------- worked example


def test_spec_worked_example_fiscal_parts():
    # RFR 35 000, 4 fiscal parts -> QF = 35000 / 4 = 8750 -> tranche B (8000 <= 8750 < 15000).
    # Two pupils, rates 10/20/30 %: 600 * (1 + (1 - 0.1)) = 600 * 1.9 = 1140.
    f = fam("F0001", 35000, 4, [2], adults=2, children=3)
    s = scen([ECOLE], [f], sibling_rates=(0.1, 0.2, 0.3))
    r = simulate(s)
    x = row(r, "F0001")
    assert x["income"] == 35000
    assert parts_of(x) == 4
    assert x["indicator"] == 8750
    assert x["tranche_g1"] == "B"
    assert x["amount_g1"] == 600
    assert x["due_g1"] == 1140
    assert x["total_due"] == 1140
    # old tariff 600 with the same ranks: 600 * 1.9 = 1140 -> change 0
    assert x["old_due"] == 1140
    assert x["change"] == 0
    assert x["effort"] == pytest.approx(1140 / 35000)
    j = fam_json(r, "F0001")
    assert j == {
        "id": "F0001",
        "tranches": ["B"],
        "due": [1140.0],
        "total_due": 1140.0,
        "old_due": 1140.0,
        "change": 0.0,
        "effort": 0.032571,
    }  # 1140/35000 = 0.0325714...


def test_spec_worked_example_custom_parts_give_the_same_four_parts():
    # custom policy: 2 adults * 1 + 1st child 0.5 + 2nd child 0.5 + 3rd child 1 = 4
    # (the notice says 1 part here, which the custom policy must ignore)
    f = fam("F0001", 35000, 1, [1], adults=2, children=3)
    r = simulate(scen([ECOLE], [f], parts_policy="custom"))
    x = row(r, "F0001")
    assert parts_of(x) == 4
    assert x["indicator"] == 8750
    assert x["tranche_g1"] == "B"
    assert x["due_g1"] == 600


# --------------------------------------------------------------------------- tranche rule


@pytest.mark.parametrize(
    "income, expected",
    [
        (0, "A"),
        (7999.99, "A"),
        (8000, "B"),  # exactly on B's lower bound: B (lower inclusive)
        (8000.01, "B"),
        (14999.99, "B"),  # upper bound exclusive
        (15000, "C"),
        (1_000_000, "C"),
    ],
)
def test_lower_bound_inclusive_upper_exclusive_rfr(income, expected):
    s = scen([ECOLE], [fam("X", income, 1, [1])], indicator="rfr")
    assert row(simulate(s), "X")["tranche_g1"] == expected


@pytest.mark.parametrize(
    "rfr, parts, expected",
    [
        (16000, 2, "B"),  # QF 8000 exactly
        (24000, 3, "B"),  # QF 8000 exactly
        (22500, 1.5, "C"),  # QF 15000 exactly
        (15999, 2, "A"),  # QF 7999.5
    ],
)
def test_quotient_exactly_on_a_bound(rfr, parts, expected):
    s = scen([ECOLE], [fam("X", rfr, parts, [1])])
    assert row(simulate(s), "X")["tranche_g1"] == expected


def test_bounds_with_cents_and_a_single_tranche_grid():
    g1 = grid("G1", ("A", 0, 100), ("B", 617.35, 200), ("C", 617.36, 300))
    g2 = grid("G2", ("U", 0, 50))
    fs = [fam("a", 617.34, 1, [1, 1]), fam("b", 617.35, 1, [1, 1]), fam("c", 617.36, 1, [1, 1])]
    r = simulate(scen([g1, g2], fs, indicator="rfr"))
    assert [row(r, i)["tranche_g1"] for i in "abc"] == ["A", "B", "C"]
    assert [row(r, i)["tranche_g2"] for i in "abc"] == ["U", "U", "U"]


# --------------------------------------------------------------------------- missing notice


def test_missing_notice_gives_last_tranche_everywhere_and_blank_income():
    g2 = grid("Collège", ("A", 0, 700), ("B", 10000, 1000), ("C", 20000, 1300), ("D", 30000, 1500))
    fs = [
        # a tiny RFR on the form, but no notice: ignored
        fam("N1", 100, 1, [1, 2], notice=False),
        # nothing at all
        fam("N2", None, None, [0, 1], notice=False),
        fam("OK", 100, 1, [1, 0]),
    ]
    r = simulate(scen([ECOLE, g2], fs))
    for fid in ("N1", "N2"):
        x = row(r, fid)
        assert x["tranche_g1"] == "C" and x["tranche_g2"] == "D"
        assert math.isnan(x["income"]) and math.isnan(x["indicator"]) and math.isnan(x["effort"])
        j = fam_json(r, fid)
        assert j["tranches"] == ["C", "D"]
        assert j["effort"] is None
    # N1: 900 * 1 in grid 1, 1500 * 2 in grid 2 (no reductions)
    assert dues(r, "N1", 2) == [900, 3000]
    assert dues(r, "N2", 2) == [0, 1500]
    assert row(r, "OK")["tranche_g1"] == "A" and row(r, "OK")["tranche_g2"] == "A"
    # a blank is null in the results JSON, which must be strict JSON (no NaN)
    json.dumps(r.to_json(), allow_nan=False)


def test_missing_notice_with_custom_parts_and_rfr_indicator():
    fs = [fam("N", 0, None, [1], notice=False, adults=2, children=1)]
    for kw in ({"parts_policy": "custom"}, {"indicator": "rfr"}):
        x = row(simulate(scen([ECOLE], fs, **kw)), "N")
        assert x["tranche_g1"] == "C"
        assert math.isnan(x["income"]) and math.isnan(x["effort"])


# --------------------------------------------------------------------------- sibling ranking

# Three grids; with the RFR indicator a family below 10 000 pays the A amounts
# (300, 500, 400), at or above 10 000 the B amounts (500, 700, 500).
G3 = [
    grid("École", ("A", 0, 300), ("B", 10000, 500)),
    grid("Collège", ("A", 0, 500), ("B", 10000, 700)),
    grid("Lycée", ("A", 0, 400), ("B", 10000, 500)),
]
RATES = (0.1, 0.2, 0.3)  # r2, r3, r4+


@pytest.mark.parametrize(
    "rfr, pupils, expected",
    [
        # amounts 300 / 500 / 400: ranks Collège 1, Lycée 2, École 3
        # École 300 * 0.8 = 240, Collège 500, Lycée 400 * 0.9 = 360
        (5000, [1, 1, 1], [240, 500, 360]),
        # tie: amounts 500 / 700 / 500: Collège rank 1; École and Lycée tie at 500,
        # the lower grid number (École) first: École rank 2 (500 * 0.9 = 450),
        # Lycée rank 3 (500 * 0.8 = 400)
        (20000, [1, 1, 1], [450, 700, 400]),
        # tie with several children: École ranks 1, 2 -> 500 * (1 + 0.9) = 950;
        # Lycée ranks 3, 4, 5 -> 500 * (0.8 + 0.7 + 0.7) = 1100
        (20000, [2, 0, 3], [950, 0, 1100]),
        # five children in one grid: 500 * (1 + 0.9 + 0.8 + 0.7 + 0.7) = 500 * 4.1 = 2050
        (5000, [0, 5, 0], [0, 2050, 0]),
        # Collège rank 1 (500); Lycée ranks 2, 3: 400 * (0.9 + 0.8) = 680;
        # École ranks 4, 5: 300 * (0.7 + 0.7) = 420
        (5000, [2, 1, 2], [420, 500, 680]),
        # a single child anywhere pays in full
        (5000, [0, 0, 1], [0, 0, 400]),
        # no child in this structure: nothing due
        (5000, [0, 0, 0], [0, 0, 0]),
    ],
)
def test_sibling_ranking_by_amount_ties_to_lower_grid(rfr, pupils, expected):
    s = scen(G3, [fam("F", rfr, 1, pupils)], indicator="rfr", sibling_rates=RATES)
    r = simulate(s)
    assert dues(r, "F", 3) == expected
    assert row(r, "F")["total_due"] == sum(expected)


def test_sibling_rates_apply_per_rank_not_per_grid():
    # r2 = 0.25, r3 = 0.5, r4+ = 1 (fourth and later children free)
    # one grid at 800, four children: 800 * (1 + 0.75 + 0.5 + 0) = 1800
    s = scen([grid("G", ("A", 0, 800))], [fam("F", 1, 1, [4])], sibling_rates=(0.25, 0.5, 1.0))
    assert dues(simulate(s), "F", 1) == [1800]


def test_network_scope_other_schools_take_the_first_ranks():
    g = grid("G", ("A", 0, 600))
    two = [grid("G1", ("A", 0, 500)), grid("G2", ("A", 0, 300))]
    cases = [
        # (grids, pupils, other_enrolled, due with network, due with structure)
        # 1 child elsewhere: our only child is rank 2 -> 600 * 0.9 = 540
        ([g], [1], 1, [540], [600]),
        # 3 elsewhere: ours are ranks 4 and 5 -> 600 * (0.7 + 0.7) = 840;
        # structure scope: 600 * (1 + 0.9) = 1140
        ([g], [2], 3, [840], [1140]),
        # 2 elsewhere: G1 (500) rank 3 -> 400; G2 (300) rank 4 -> 210
        # structure: G1 rank 1 -> 500, G2 rank 2 -> 270
        (two, [1, 1], 2, [400, 210], [500, 270]),
        # none elsewhere: same as structure
        ([g], [2], 0, [1140], [1140]),
    ]
    for grids_, pupils, other, net, struct in cases:
        f = fam("F", 1, 1, pupils, other_enrolled=other)
        r_net = simulate(scen(grids_, [f], sibling_rates=RATES, sibling_scope="network"))
        r_str = simulate(scen(grids_, [f], sibling_rates=RATES, sibling_scope="structure"))
        assert dues(r_net, "F", len(grids_)) == net, (pupils, other)
        assert dues(r_str, "F", len(grids_)) == struct, (pupils, other)


# --------------------------------------------------------------------------- parts policies


@pytest.mark.parametrize(
    "adults, children, others, expected_parts",
    [
        (1, 1, 0, 2.0),  # 1 + 0.5 + single-parent bonus 0.5
        (1, 0, 0, 1.0),  # no child: no bonus
        (2, 0, 0, 2.0),
        (2, 1, 0, 2.5),
        (2, 2, 0, 3.0),  # 2 + 0.5 + 0.5
        (2, 4, 0, 5.0),  # 2 + 0.5 + 0.5 + 1 + 1
        (1, 3, 1, 4.0),  # 1 + 0.5 + 0.5 + 1 + bonus 0.5 + other 0.5
        (2, 5, 2, 7.0),  # 2 + 0.5 + 0.5 + 3 * 1 + 2 * 0.5
        (2, 0, 3, 3.5),  # 2 + 3 * 0.5
    ],
)
def test_custom_parts_default_coefficients(adults, children, others, expected_parts):
    f = fam("F", 42000, 1, [1], adults=adults, children=children, other_dependents=others)
    x = row(simulate(scen([ECOLE], [f], parts_policy="custom")), "F")
    assert parts_of(x) == expected_parts
    assert x["indicator"] == pytest.approx(42000 / expected_parts, rel=1e-15)


def test_custom_parts_with_own_coefficients():
    c = CustomParts(adult=1, child_1=0.25, child_2=0.75, child_3_plus=1.5, single_parent_bonus=1, other_dependent=0.3)
    # 1 adult, 4 children, 1 other: 1 + 0.25 + 0.75 + 2 * 1.5 + 1 + 0.3 = 6.3
    # 2 adults, 1 child: 2 + 0.25 = 2.25 (no bonus with two adults)
    fs = [
        fam("S", 63000, None, [1], adults=1, children=4, other_dependents=1),
        fam("T", 22500, None, [1], adults=2, children=1),
    ]
    r = simulate(scen([ECOLE], fs, parts_policy="custom", custom_parts=c))
    assert parts_of(row(r, "S")) == pytest.approx(6.3, rel=1e-15)
    assert row(r, "S")["indicator"] == pytest.approx(10000, rel=1e-12)  # 63000 / 6.3 -> B
    assert row(r, "S")["tranche_g1"] == "B"
    assert parts_of(row(r, "T")) == 2.25
    assert row(r, "T")["indicator"] == 10000
    assert row(r, "T")["tranche_g1"] == "B"


def test_single_parent_bonus_changes_the_tranche():
    # RFR 20 000, 1 adult + 1 child: custom parts 2 -> QF 10 000 -> B (600);
    # fiscal parts 1 (from the notice) -> QF 20 000 -> C (900)
    f = fam("F", 20000, 1, [1], adults=1, children=1)
    assert row(simulate(scen([ECOLE], [f], parts_policy="custom")), "F")["due_g1"] == 600
    assert row(simulate(scen([ECOLE], [f], parts_policy="fiscal")), "F")["due_g1"] == 900


# --------------------------------------------------------------------------- income: CAF, RFR 2, indicator


def test_caf_aid_included_or_not():
    fs = [
        fam("F1", 7000, 1, [1], caf_aid=1500),  # 7000 -> A ; 8500 -> B
        fam("F2", 5000, 1, [1], rfr_2=2000, caf_aid=1000),  # 7000 -> A ; 8000 exactly -> B
        fam("F3", 5000, 2, [1], rfr_2=2000.5, caf_aid=500),  # QF 3500.25 ; 3750.25: A both
    ]
    off = simulate(scen([ECOLE], fs, include_caf_aid=False))
    on = simulate(scen([ECOLE], fs, include_caf_aid=True))
    assert [row(off, i)["income"] for i in ("F1", "F2", "F3")] == [7000, 7000, 7000.5]
    assert [row(on, i)["income"] for i in ("F1", "F2", "F3")] == [8500, 8000, 7500.5]
    assert [row(off, i)["tranche_g1"] for i in ("F1", "F2", "F3")] == ["A", "A", "A"]
    assert [row(on, i)["tranche_g1"] for i in ("F1", "F2", "F3")] == ["B", "B", "A"]
    # effort = total due / income: 400 / 7000 without the aid, 600 / 8500 with it
    assert row(off, "F1")["effort"] == pytest.approx(400 / 7000)
    assert row(on, "F1")["effort"] == pytest.approx(600 / 8500)


def test_rfr_indicator_ignores_parts():
    f = fam("F", 35000, 4, [1], adults=2, children=3)
    qf = row(simulate(scen([ECOLE], [f], indicator="qf")), "F")
    rfr = row(simulate(scen([ECOLE], [f], indicator="rfr")), "F")
    assert qf["indicator"] == 8750 and qf["tranche_g1"] == "B"
    assert rfr["indicator"] == 35000 and rfr["tranche_g1"] == "C" and rfr["due_g1"] == 900
    # the RFR indicator is the whole income, RFR 2 included
    g = fam("G", 5000, 1, [1], rfr_2=3000)
    assert row(simulate(scen([ECOLE], [g], indicator="rfr")), "G")["tranche_g1"] == "B"


def test_zero_income_gives_blank_effort():
    x = row(simulate(scen([ECOLE], [fam("Z", 0, 1, [1])])), "Z")
    assert x["tranche_g1"] == "A" and x["due_g1"] == 400
    assert math.isnan(x["effort"])


# --------------------------------------------------------------------------- rounding of dues


def test_due_on_a_half_cent_from_the_amount():
    # 271.465 * 1 = 271.465 -> ROUND(., 2) = 271.47 (Python's round gives 271.46).
    # Validation refuses an amount with a fraction of a cent; the model, given one, still rounds so.
    s = Scenario(grids=(grid("G", ("A", 0, 271.465)),), families=(fam("F", 1, 1, [1]),))
    assert [p.field for p in validate(s)] == ["amount"]
    r = simulate(s)
    assert row(r, "F")["due_g1"] == 271.47
    assert fam_json(r, "F")["due"] == [271.47]


def test_due_on_a_half_cent_from_a_rate_one_grid():
    # two children at 100.05, r2 = 0.5: 100.05 * (1 + 0.5) = 150.075 -> 150.08
    s = scen([grid("G", ("A", 0, 100.05), old=100.05)], [fam("F", 1, 1, [2])], sibling_rates=(0.5, 0, 0))
    x = row(simulate(s), "F")
    assert x["due_g1"] == 150.08
    assert x["old_due"] == 150.08


def test_due_on_a_half_cent_from_a_rate_two_grids():
    # grid 1 at 200 is rank 1; grid 2 at 100.05 is rank 2 with r2 = 0.5:
    # 100.05 * 0.5 = 50.025 -> 50.03 (Python's round gives 50.02); total 250.03
    gs = [grid("G1", ("A", 0, 200)), grid("G2", ("A", 0, 100.05), old=100.05)]
    s = scen(gs, [fam("F", 1, 1, [1, 1]), fam("H", 1, 1, [1, 0])], sibling_rates=(0.5, 0, 0))
    r = simulate(s)
    assert dues(r, "F", 2) == [200, 50.03]
    assert row(r, "F")["total_due"] == 250.03
    assert row(r, "F")["old_due"] == 50.03  # old tariff only in grid 2, same rank 2
    assert dues(r, "H", 2) == [200, 0]


def test_due_on_a_half_cent_at_a_late_rank():
    # Seven children, rates 15 / 30 / 50 %. Grid 1 (1000) holds ranks 1..6:
    # 1000 * (1 + 0.85 + 0.7 + 0.5 * 3) = 4050. Grid 2 (199.99) holds rank 7:
    # 199.99 * 0.5 = 99.995 -> 100.00. Found by the independent-ranking property:
    # p - (D(b+p) - D(b)) in binary gave 0.49999999999999956 and 99.99.
    gs = [grid("G1", ("A", 0, 1000)), grid("G2", ("A", 0, 199.99))]
    r = simulate(scen(gs, [fam("F", 1, 1, [6, 1])], sibling_rates=(0.15, 0.3, 0.5)))
    assert dues(r, "F", 2) == [4050, 100]
    # the same rank 7 reached through other Catholic schools (network scope)
    r = simulate(
        scen(gs, [fam("N", 1, 1, [0, 1], other_enrolled=6)], sibling_rates=(0.15, 0.3, 0.5), sibling_scope="network")
    )
    assert dues(r, "N", 2) == [0, 100]


def test_old_due_on_a_half_cent_at_rank_five():
    # rates 12 / 16 / 69 %, four children elsewhere (network): ours is rank 5,
    # factor 1 - 0.69 = 0.31; old tariff 3087.50 * 0.31 = 957.125 -> 957.13
    # (the binary cumulative difference gave 0.30999999999999983 and 957.12).
    g = grid("G", ("A", 0, 0), old=3087.5)
    r = simulate(
        scen([g], [fam("F", 1, 1, [1], other_enrolled=4)], sibling_rates=(0.12, 0.16, 0.69), sibling_scope="network")
    )
    assert row(r, "F")["due_g1"] == 0
    assert row(r, "F")["old_due_g1"] == 957.13
    assert row(r, "F")["change"] == -957.13


# --------------------------------------------------------------------------- old due and change


def test_old_due_uses_the_same_ranks_and_rates():
    # Grid 1 old tariff 450 (new A amount 400), grid 2 no old tariff (new A 600).
    # New ranking by new amounts: grid 2 (600) rank 1, grid 1 ranks 2 and 3.
    # New: grid 2 600 ; grid 1 400 * (0.9 + 0.8) = 680 ; total 1280
    # Old: grid 1 450 * (0.9 + 0.8) = 765 ; grid 2 no old tariff = 0 ; total 765
    # change = 1280 - 765 = 515
    gs = [grid("G1", ("A", 0, 400), ("B", 10000, 800), old=450), grid("G2", ("A", 0, 600), ("B", 10000, 900))]
    fs = [
        fam("F", 5000, 1, [2, 1]),
        # B: grid 2 (900) rank 1 ... grid 1 (800) ranks 2: new 900 + 720 = 1620,
        # old 450 * 0.9 = 405 -> change 1215
        fam("G", 20000, 1, [1, 1]),
        # only grid 1, one child: new 400, old 450 -> change -50
        fam("H", 5000, 1, [1, 0]),
    ]
    r = simulate(scen(gs, fs, indicator="rfr", sibling_rates=RATES))
    f = row(r, "F")
    assert [f["due_g1"], f["due_g2"]] == [680, 600]
    assert [f["old_due_g1"], f["old_due_g2"]] == [765, 0]
    assert (f["total_due"], f["old_due"], f["change"]) == (1280, 765, 515)
    g = row(r, "G")
    assert (g["total_due"], g["old_due"], g["change"]) == (1620, 405, 1215)
    h = row(r, "H")
    assert (h["total_due"], h["old_due"], h["change"]) == (400, 450, -50)
    assert fam_json(r, "H")["change"] == -50.0
    grids = r.to_json()["grids"]
    assert grids[0]["old_revenue"] == 765 + 405 + 450
    assert grids[1]["old_revenue"] == 0


def test_no_old_tariff_anywhere():
    s = scen([grid("G", ("A", 0, 400))], [fam("F", 1, 1, [1])])
    r = simulate(s)
    assert row(r, "F")["old_due"] == 0 and row(r, "F")["change"] == 400
    j = r.to_json()
    assert j["grids"][0]["old_revenue"] == 0
    assert j["grids"][0]["change_pct"] is None
    assert j["grids"][0]["budget_target"] is None and j["grids"][0]["gap"] is None
    assert j["total"]["budget_target"] is None and j["total"]["gap"] is None


# --------------------------------------------------------------------------- summaries


def _summary_case():
    gs = [
        grid("École", ("A", 0, 400), ("B", 8000, 600), ("C", 15000, 900), old=600, target=5000),
        grid("Collège", ("A", 0, 700), ("B", 10000, 1000), old=800, target=4000),
    ]
    fs = [
        fam("F1", 5000, 1, [1, 0]),  # École A 400 ; old 600 ; change -200
        fam("F2", 9000, 1, [2, 1]),  # École B 2*600 = 1200, Collège A 700 ; old 1200 + 800 ; -100
        fam("F3", 20000, 1, [1, 1]),  # École C 900, Collège B 1000 ; old 600 + 800 ; +500
        fam("F4", None, None, [0, 2], notice=False),  # Collège B 2*1000 ; old 1600 ; +400
        fam("F5", 12000, 1, [1, 0]),  # École B 600 ; old 600 ; 0
    ]
    return simulate(scen(gs, fs, indicator="rfr"))


def test_summaries_per_tranche():
    r = _summary_case()
    j = r.to_json()
    # École: A = F1 (1 pupil, 400); B = F2, F5 (3 pupils, 1200 + 600);
    # C = F3 (F4 sits in C but has no pupil in École: not counted)
    assert j["grids"][0]["tranches"] == [
        {"label": "A", "families": 1, "pupils": 1, "revenue": 400.0},
        {"label": "B", "families": 2, "pupils": 3, "revenue": 1800.0},
        {"label": "C", "families": 1, "pupils": 1, "revenue": 900.0},
    ]
    # Collège: A = F2 (F1 sits in A with no pupil there); B = F3, F4 (F5 sits in B, no pupil)
    assert j["grids"][1]["tranches"] == [
        {"label": "A", "families": 1, "pupils": 1, "revenue": 700.0},
        {"label": "B", "families": 2, "pupils": 3, "revenue": 3000.0},
    ]


def test_summaries_per_grid():
    r = _summary_case()
    g1, g2 = r.to_json()["grids"]
    assert g1["name"] == "École"
    assert (g1["revenue"], g1["budget_target"], g1["gap"], g1["old_revenue"]) == (3100, 5000, -1900, 3000)
    assert g1["change_pct"] == 0.033333  # 3100 / 3000 - 1
    assert g1["amplitude"] == 2.25  # 900 / 400
    assert g1["top_share"] == 0.25  # 1 of 4 families in C
    assert (g1["families"], g1["pupils"], g1["families_without_notice"]) == (4, 5, 0)
    # Collège old revenue: F2 800 + F3 800 + F4 2 * 800 = 3200
    assert (g2["revenue"], g2["budget_target"], g2["gap"], g2["old_revenue"]) == (3700, 4000, -300, 3200)
    assert g2["change_pct"] == 0.15625  # 3700 / 3200 - 1
    assert g2["amplitude"] == 1.428571  # 1000 / 700
    assert g2["top_share"] == 0.666667  # 2 of 3
    assert (g2["families"], g2["pupils"], g2["families_without_notice"]) == (3, 4, 1)
    # the DataFrame holds the same, unrounded
    grids = r.grids
    assert grids.loc[0, "change_pct"] == pytest.approx(3100 / 3000 - 1)
    assert grids.loc[1, "amplitude"] == pytest.approx(1000 / 700)


def test_summaries_structure():
    r = _summary_case()
    t = r.to_json()["total"]
    assert (t["revenue"], t["budget_target"], t["gap"], t["old_revenue"]) == (6800, 9000, -2200, 6200)
    assert t["change_pct"] == 0.096774  # 6800 / 6200 - 1 = 0.0967741...
    assert t["families"] == 5
    # more: F3, F4 ; unchanged: F5 ; less: F1, F2
    assert (t["families_pay_more"], t["families_unchanged"], t["families_pay_less"]) == (2, 1, 2)


def test_amplitude_blank_when_first_amount_is_zero_and_empty_grid():
    g = grid("G", ("A", 0, 0), ("B", 1000, 300))
    r = simulate(scen([g], [fam("F", 10, 1, [0])]))
    j = r.to_json()["grids"][0]
    assert j["amplitude"] is None
    assert j["top_share"] is None  # no family in the grid
    assert j["families"] == 0 and j["revenue"] == 0


def test_results_json_shape_follows_the_spec():
    r = _summary_case()
    j = r.to_json()
    assert set(j) == {"families", "grids", "total"}
    assert [f["id"] for f in j["families"]] == ["F1", "F2", "F3", "F4", "F5"]
    for f in j["families"]:
        assert {"id", "tranches", "due", "total_due", "old_due", "change", "effort"} <= set(f)
        assert len(f["tranches"]) == 2 and len(f["due"]) == 2
    assert j["families"][3]["tranches"] == ["C", "B"]  # F4: a bracket in every grid, pupils or not
    assert j["families"][3]["effort"] is None
    for g in j["grids"]:
        assert {"name", "revenue", "budget_target", "gap", "old_revenue", "tranches"} <= set(g)
    assert {"revenue", "budget_target", "gap", "old_revenue"} <= set(j["total"])
    assert json.loads(json.dumps(j, allow_nan=False)) == j


def test_no_family_at_all():
    r = simulate(scen([ECOLE], []))
    j = r.to_json()
    assert j["families"] == []
    assert j["grids"][0]["revenue"] == 0 and j["grids"][0]["gap"] == -150000
    assert j["total"]["families"] == 0


# --------------------------------------------------------------------------- properties


def _cents(x: float) -> int:
    """A value that is a whole number of cents, as an exact integer."""
    c = round(x * 100)
    assert abs(x * 100 - c) < 1e-6, x
    return c


@PROPERTY
@given(scenarios(max_grids=12, max_families=15))
def test_up_to_twelve_grids_simulate(s):
    assert validate(s) == []
    r = simulate(s)
    assert len(r.families) == len(s.families)
    assert len(r.grids) == s.n_grids


@pytest.mark.slow
@PROPERTY
@given(scenarios())
def test_totals_add_up_to_the_cent(s):
    assert validate(s) == []  # the strategies only make valid scenarios
    r = simulate(s)
    j = r.to_json()
    fam = r.families
    due_cents = [[_cents(float(v)) for v in fam[f"due_g{g}"]] for g in range(1, s.n_grids + 1)]
    grid_cents = [sum(col) for col in due_cents]
    family_cents = [sum(col[i] for col in due_cents) for i in range(len(fam))]
    total_cents = sum(grid_cents)
    assert total_cents == sum(family_cents)
    # every figure of the results JSON, rounded to the cent, is exactly these sums
    assert [g["revenue"] for g in j["grids"]] == [c / 100 for c in grid_cents]
    assert [f["total_due"] for f in j["families"]] == [c / 100 for c in family_cents]
    assert j["total"]["revenue"] == total_cents / 100
    assert excel_round(float(fam["total_due"].sum()), 2) == total_cents / 100
    assert excel_round(float(r.grids["revenue"].sum()), 2) == total_cents / 100
    for gi, g in enumerate(j["grids"]):
        assert sum(_cents(t["revenue"]) for t in g["tranches"]) == grid_cents[gi]
        pupils = int(fam[f"pupils_g{gi + 1}"].sum())
        assert sum(t["pupils"] for t in g["tranches"]) == pupils
        assert sum(t["families"] for t in g["tranches"]) == int((fam[f"pupils_g{gi + 1}"] > 0).sum())
    t = j["total"]
    assert t["families_pay_more"] + t["families_unchanged"] + t["families_pay_less"] == len(s.families)


@pytest.mark.slow
@PROPERTY
@given(scenarios())
def test_every_due_is_a_whole_number_of_cents(s):
    r = simulate(s)
    for g in range(1, s.n_grids + 1):
        for col in (f"due_g{g}", f"old_due_g{g}"):
            for v in r.families[col]:
                assert excel_round(float(v), 2) == v
                assert v >= 0
    for v in r.families["change"]:
        assert excel_round(float(v), 2) == v


def _exact_round(x: Decimal) -> float:
    return float(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.mark.slow
@PROPERTY
@given(scenarios())
def test_zero_rates_due_is_amount_times_pupils(s):
    s = replace(s, sibling_rates=(0.0, 0.0, 0.0))
    r = simulate(s)
    for _, x in r.families.iterrows():
        for g, gr in enumerate(s.grids, start=1):
            tranche = gr.tranches[int(x[f"tranche_no_g{g}"]) - 1]
            assert x[f"amount_g{g}"] == tranche.amount
            assert x[f"tranche_g{g}"] == tranche.label
            expected = _exact_round(Decimal(repr(tranche.amount)) * int(x[f"pupils_g{g}"]))
            assert x[f"due_g{g}"] == expected


@PROPERTY
@given(scenarios(min_families=1, max_families=10), st.data())
def test_higher_income_never_gives_a_lower_tranche(s, data):
    f = data.draw(st.sampled_from(s.families))
    f = replace(f, id="LOW", notice=True, rfr_1=f.rfr_1 or 0.0, parts=f.parts or 1.0)
    higher = replace(f, id="HIGH", rfr_1=f.rfr_1 + data.draw(cents(0, 200_000)))
    s = replace(s, families=(f, higher))
    assert validate(s) == []
    r = simulate(s)
    lo, hi = row(r, "LOW"), row(r, "HIGH")
    assert hi["indicator"] >= lo["indicator"]
    for g in range(1, s.n_grids + 1):
        assert hi[f"tranche_no_g{g}"] >= lo[f"tranche_no_g{g}"]
    # and no notice is never better than any notice
    none = replace(f, id="NONE", notice=False)
    r2 = simulate(replace(s, families=(f, none)))
    for g in range(1, s.n_grids + 1):
        assert row(r2, "NONE")[f"tranche_no_g{g}"] == len(s.grids[g - 1].tranches)
        assert row(r2, "NONE")[f"tranche_no_g{g}"] >= row(r2, "LOW")[f"tranche_no_g{g}"]


@PROPERTY
@given(scenarios(min_families=1, max_families=10))
def test_tranche_rule_against_an_independent_lookup(s):
    r = simulate(s)
    for _, x in r.families.iterrows():
        for g, gr in enumerate(s.grids, start=1):
            if not x["notice"]:
                expected = len(gr.tranches)
            else:
                expected = max(i for i, t in enumerate(gr.tranches, start=1) if t.lower <= x["indicator"])
            assert x[f"tranche_no_g{g}"] == expected


_LATE_RANK = Scenario(
    grids=(Grid("G1", (Tranche("A", 0.0, 1000.0),)), Grid("G2", (Tranche("A", 0.0, 199.99),), old_tariff=3087.5)),
    families=(
        Family("F", (6, 1), rfr_1=1.0, parts=1.0),
        Family("N", (0, 1), rfr_1=1.0, parts=1.0, other_enrolled=6),
        Family("M", (0, 1), rfr_1=1.0, parts=1.0, other_enrolled=4),
    ),
    sibling_rates=(0.15, 0.3, 0.5),
    sibling_scope="network",
)


@PROPERTY
@given(scenarios(min_families=1, max_families=10))
@example(_LATE_RANK)
@example(replace(_LATE_RANK, sibling_rates=(0.12, 0.16, 0.69)))
def test_dues_against_an_independent_ranking(s):
    """Rank the children one by one (a plain loop, as a bursar would) and
    compare every due, computed exactly in Decimal, with the model's."""
    r = simulate(s)
    r2, r3, r4 = (Decimal(repr(x)) for x in s.sibling_rates)

    def rate(rank: int) -> Decimal:
        return Decimal(0) if rank == 1 else r2 if rank == 2 else r3 if rank == 3 else r4

    for f in s.families:
        x = row(r, f.id)
        amounts = [Decimal(repr(float(x[f"amount_g{g}"]))) for g in range(1, s.n_grids + 1)]
        children = sorted(
            ((g, a) for g, a in enumerate(amounts) for _ in range(f.pupils[g])),
            key=lambda ga: (-ga[1], ga[0]),
        )
        rank = f.other_enrolled if s.sibling_scope == "network" else 0
        factor = [Decimal(0)] * s.n_grids
        for g, _ in children:
            rank += 1
            factor[g] += 1 - rate(rank)
        for g in range(s.n_grids):
            assert x[f"due_g{g + 1}"] == _exact_round(amounts[g] * factor[g]), (f, g)
            old = s.grids[g].old_tariff
            old_exact = Decimal(0) if old is None else Decimal(repr(old)) * factor[g]
            assert x[f"old_due_g{g + 1}"] == _exact_round(old_exact), (f, g)
