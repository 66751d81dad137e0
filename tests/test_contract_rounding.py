"""The two places where the workbook and the SPEC parted ways (issue 16).

1. Paying factor: inputs the SPEC's exact due cannot be computed from in a
   spreadsheet (amounts with fractions of a cent, rates finer than 0,01 %)
   are refused with a French message that says where; over every accepted
   input the model's dues are the SPEC's, computed exactly (fractions).
2. Indicator: rounded to the cent, so a quotient or sum that is a bracket
   bound in decimal lands on the bound; layout version 3 writes the ROUND,
   version 2 keeps its formulas and its checks.

Expected values come from ``contract_cases.spec_json`` (exact rational
arithmetic, written apart from the model) or are worked out by hand.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from contract_cases import edge_scenario, evaluate_json, spec_json
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workbook_engine.formats.families_csv import load_scenario
from workbook_engine.formats.scenario_json import load_scenario_json, scenario_to_dict
from workbook_engine.model.domain import CustomParts, Family, Grid, Scenario, Tranche
from workbook_engine.model.money import decimal_places
from workbook_engine.model.problems import InputError
from workbook_engine.model.simulate import family_table, simulate_json, tranches_moved_by_rounding
from workbook_engine.model.validation import MAX_AMOUNT, MAX_CHILDREN, validate
from workbook_engine.workbook.check import check_workbook
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import build_layout
from workbook_engine.workbook.reader import read_workbook
from workbook_engine.workbook.writer import write_workbook

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- 1. what is refused

ISSUE = Scenario(
    grids=(Grid("École", (Tranche("A", 0.0, 1389.915),)),),
    families=(Family("F1", (3,), rfr_1=30_000.0, parts=2.0),),
    sibling_rates=(1 / 3, 1 / 3, 1 / 3),
)


def test_the_issue_case_is_refused_naming_each_input():
    """Rate 1/3, amount 1 389,915 EUR, 3 pupils: 3 243,13 EUR with the
    rounded factor, 3 243,14 EUR exactly. Both inputs are refused, each
    with its place as data (the reader turns it into the cell)."""
    problems = validate(ISSUE)
    assert [(p.field, p.param, p.grid, p.tranche) for p in problems] == [
        ("sibling_rates[0]", "rate_2", None, None),
        ("sibling_rates[1]", "rate_3", None, None),
        ("sibling_rates[2]", "rate_4", None, None),
        ("amount", None, 1, 1),
    ]
    assert all(p.severity == "error" for p in problems)
    assert "deux décimales en pourcentage" in problems[0].message
    assert "euros et centimes" in problems[3].message
    assert str(problems[3]).startswith("grille 1 (École), tranche A : amount = 1\u202f389,915 :")


def test_the_issue_case_with_accepted_inputs_gives_the_exact_due():
    """33,33 %, 3 pupils: factor 1 + 0.6667 + 0.6667 = 2.3334. At 1 389,92 EUR:
    3 243,239328 -> 3 243,24; at 1 375 EUR: 3 208,425 exactly, half a cent
    -> 3 208,43 (away from zero)."""
    dues = []
    for amount in (1389.92, 1375.0):
        s = replace(ISSUE, grids=(Grid("École", (Tranche("A", 0.0, amount),)),), sibling_rates=(0.3333, 0.3333, 0.3333))
        assert validate(s) == []
        dues += simulate_json(s)["families"][0]["due"]
    assert dues == [3243.24, 3208.43]


@pytest.mark.parametrize(
    "rate, accepted",
    [(0.3333, True), (0.0001, True), (1.0, True), (0.0, True), (1.1 / 100, True), (0.33333, False), (1 / 3, False)],
)
def test_rates_are_hundredths_of_a_percent(rate, accepted):
    s = replace(ISSUE, grids=(Grid("École", (Tranche("A", 0.0, 100.0),)),), sibling_rates=(rate, 0.0, 0.0))
    assert (validate(s) == []) is accepted


@pytest.mark.parametrize(
    "amount, accepted",
    [
        (617.35, True),
        (0.01, True),
        (MAX_AMOUNT, True),
        (999_999.99, True),
        (1389.915, False),
        (0.001, False),
        (MAX_AMOUNT + 0.01, False),
        (float("nan"), False),
        (float("inf"), False),
    ],
)
def test_amounts_and_old_tariffs_are_whole_cents_up_to_a_million(amount, accepted):
    as_amount = Scenario(grids=(Grid("G", (Tranche("A", 0.0, amount),)),))
    as_old = Scenario(grids=(Grid("G", (Tranche("A", 0.0, 1.0),), old_tariff=amount),))
    assert (validate(as_amount) == []) is accepted
    assert (validate(as_old) == []) is accepted
    if not accepted:
        assert [p.field for p in validate(as_old)] == ["old_tariff"]


def test_pupils_and_children_elsewhere_at_most_a_hundred():
    base = Scenario(grids=(Grid("G", (Tranche("A", 0.0, 1.0),)),))
    ok = replace(base, families=(Family("F", (MAX_CHILDREN,), rfr_1=1.0, parts=1.0, other_enrolled=MAX_CHILDREN),))
    assert validate(ok) == []
    too_many = replace(
        base, families=(Family("F", (MAX_CHILDREN + 1,), rfr_1=1.0, parts=1.0, other_enrolled=MAX_CHILDREN + 1),)
    )
    assert [(p.field, p.family, p.grid) for p in validate(too_many)] == [
        ("pupils[0]", "F", 1),
        ("other_enrolled", "F", None),
    ]


def test_decimal_places_reads_a_double_as_a_spreadsheet_does():
    values = (617.35, 0.1234, 1.1 / 100, 1389.915, 100.0, 2700 / 2.7, 0.1 + 0.2)
    assert [decimal_places(x) for x in values] == [2, 4, 3, 3, 0, 0, 1]
    assert 1.1 / 100 != 0.011  # the premise: binary noise, forgiven at 15 significant digits


def test_the_readers_refuse_them_and_say_where(tmp_path):
    """Scenario JSON (file, grid, tranche), families CSV (line, column) and
    workbook (sheet and cell, with its French label)."""
    valid = Scenario(
        grids=(Grid("École", (Tranche("A", 0.0, 400.0), Tranche("B", 8000.0, 600.0))),),
        families=(Family("F1", (1,), rfr_1=30_000.0, parts=2.0),),
    )
    doc = scenario_to_dict(valid)
    doc["sibling_rates"] = [0.33333, 0.2, 0.3]
    doc["grids"][0]["tranches"][1]["amount"] = 600.005
    src = tmp_path / "scenario.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario_json(src)
    assert [(p.source, p.field, p.param, p.grid, p.tranche) for p in caught.value.problems] == [
        (str(src), "sibling_rates[0]", "rate_2", None, None),
        (str(src), "amount", None, 1, 2),
    ]

    src.write_text(json.dumps(scenario_to_dict(valid)), encoding="utf-8")
    csv = tmp_path / "familles.csv"
    csv.write_text("id;rfr_1;parts;pupils_g1\nF1;30000;2;1\nF2;20000;2;101\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(src, families_csv=csv)
    [problem] = caught.value.problems
    assert (problem.source, problem.line, problem.family, problem.grid) == (str(csv), 3, "F2", 1)

    book = tmp_path / "classeur.xlsx"
    layout = generate_workbook(valid, book, capacity=5)
    wb = openpyxl.load_workbook(book)
    rate = layout.param["rate_3"].ref
    amount = layout.grids[0].slots[0].amount.ref
    wb[rate.sheet].cell(rate.row + 1, rate.col + 1).value = 1 / 3
    wb[amount.sheet].cell(amount.row + 1, amount.col + 1).value = 1389.915
    wb.save(book)
    read = read_workbook(book)
    assert read.scenario is None
    assert [(p.cell, p.field) for p in read.errors] == [
        (f"{rate.sheet}!{rate.a1}", "sibling_rates[1]"),
        (f"{amount.sheet}!{amount.a1}", "amount"),
    ]
    assert all(p.label for p in read.errors)  # the cell's French label, shown instead of the field


# --------------------------------------------------------------------------- 1. exact over the accepted domain

_CENTS = st.one_of(st.integers(0, 100_000), st.integers(0, round(MAX_AMOUNT * 100)))
_RATE = st.one_of(st.integers(0, 10_000), st.sampled_from((3333, 6667, 1, 9999, 5000, 1250)))
_PUPILS = st.one_of(st.integers(0, 4), st.integers(0, MAX_CHILDREN))


@st.composite
def accepted_scenarios(draw) -> Scenario:
    """Any scenario the validation accepts, around what rounds: amounts and
    old tariffs in whole cents up to the cap, rates in ten-thousandths, up to
    100 pupils per grid and 100 children elsewhere."""
    n_grids = draw(st.integers(1, 3))
    grids = []
    for g in range(n_grids):
        n = draw(st.integers(1, 3))
        lowers = sorted(set(draw(st.lists(st.integers(1, 10_000_000), min_size=n - 1, max_size=n - 1))))
        bounds = [0] + lowers
        tranches = tuple(Tranche(chr(65 + i), b / 100, draw(_CENTS) / 100) for i, b in enumerate(bounds))
        old = draw(st.one_of(st.none(), _CENTS.map(lambda c: c / 100)))
        grids.append(Grid(f"G{g + 1}", tranches, old_tariff=old))
    families = []
    for i in range(draw(st.integers(1, 4))):
        families.append(
            Family(
                f"F{i}",
                tuple(draw(_PUPILS) for _ in range(n_grids)),
                rfr_1=draw(st.integers(0, 20_000_000)) / 100,
                rfr_2=draw(st.integers(0, 5_000_000)) / 100,
                parts=draw(st.sampled_from((1.0, 1.25, 1.5, 2.0, 2.5, 2.7, 3.3, 4.75))),
                notice=draw(st.integers(0, 5)) > 0,
                other_enrolled=draw(_PUPILS),
            )
        )
    return Scenario(
        grids=tuple(grids),
        families=tuple(families),
        indicator=draw(st.sampled_from(("qf", "rfr"))),
        sibling_rates=tuple(draw(_RATE) / 10_000 for _ in range(3)),
        sibling_scope=draw(st.sampled_from(("structure", "network"))),
    )


def _model_vs_spec(s: Scenario) -> None:
    assert validate(s) == [], validate(s)
    table = family_table(s)
    for i, expected in enumerate(spec_json(s)):
        for g in range(s.n_grids):
            k = g + 1
            assert table[f"tranche_g{k}"][i] == expected["tranches"][g], (i, g)
            assert table[f"due_g{k}"][i] == expected["due"][g], (i, g)
            assert table[f"old_due_g{k}"][i] == expected["old_due"][g], (i, g)


@PROPERTY
@given(accepted_scenarios())
@example(edge_scenario("rfr", (3333, 3333, 3333), "network", seed=1, n=12))
@example(edge_scenario("qf", (1, 9999, 6667), "structure", seed=2, n=12))
def test_every_accepted_input_gives_the_spec_due_exactly(s):
    _model_vs_spec(s)


@st.composite
def quotients_near_bounds(draw) -> Scenario:
    """Families whose income / parts (or income) is a bound, half a cent
    from one, or a cent away, in decimal; parts fiscal or computed."""
    policy = draw(st.sampled_from(("fiscal", "custom")))
    coef = st.integers(0, 40).map(lambda k: k / 20)
    custom = CustomParts(draw(st.integers(10, 40).map(lambda k: k / 20)), *(draw(coef) for _ in range(5)))
    families, bounds = [], set()
    for i in range(draw(st.integers(1, 6))):
        f = Family(
            f"F{i}",
            (1,),
            rfr_1=draw(st.integers(0, 20_000_000)) / 100,
            rfr_2=draw(st.integers(0, 5_000_000)) / 100,
            caf_aid=draw(st.integers(0, 1_000_000)) / 100,
            parts=draw(st.sampled_from((1.0, 1.25, 1.5, 2.0, 2.5, 2.7, 3.3, 4.75, 1.1, 2.9))),
            adults=draw(st.integers(1, 2)),
            children=draw(st.integers(0, 6)),
            other_dependents=draw(st.integers(0, 2)),
        )
        families.append(f)
    s = Scenario(
        grids=(Grid("G", (Tranche("A", 0.0, 100.0),)),),
        families=tuple(families),
        indicator=draw(st.sampled_from(("qf", "rfr"))),
        include_caf_aid=draw(st.booleans()),
        parts_policy=policy,
        custom_parts=custom,
    )
    from contract_cases import exact, spec_parts

    for f in families:
        income = exact(f.rfr_1) + exact(f.rfr_2) + (exact(f.caf_aid) if s.include_caf_aid else 0)
        raw = income if s.indicator == "rfr" else income / spec_parts(s, f)
        cents = int(raw * 100)  # the cent at or below: bounds there, half a cent and a cent around
        bounds.update(c for c in (cents - 1, cents, cents + 1, cents + 2) if c > 0)
    lowers = [0] + sorted(bounds)
    tranches = tuple(Tranche(f"T{i}", c / 100, 100.0) for i, c in enumerate(lowers))
    return replace(s, grids=(Grid("G", tranches),))


@PROPERTY
@given(quotients_near_bounds())
@example(
    Scenario(
        grids=(Grid("G", (Tranche("A", 0.0, 1.0), Tranche("B", 1000.0, 2.0), Tranche("C", 8000.1, 3.0))),),
        families=(
            Family("Q", (1,), rfr_1=2700.0, parts=2.7),  # 999.9999999999999 in binary
            Family("R", (1,), rfr_1=7999.7, rfr_2=0.4, parts=1.0),  # 8000.099999999999
        ),
    )
)
def test_the_rounded_indicator_lands_where_decimal_arithmetic_says(s):
    _model_vs_spec(s)


def test_binary_noise_on_a_bound_by_hand():
    """2 700 / 2,7 = 1 000,00 and 7 999,70 + 0,40 = 8 000,10 exactly: the
    bound's bracket. Unrounded (layout version 2, Excel), the lower one."""
    assert 2700 / 2.7 < 1000 and 7999.7 + 0.4 < 8000.1  # the premise: binary falls short
    grid = Grid("G", (Tranche("A", 0.0, 1.0), Tranche("B", 1000.0, 2.0), Tranche("C", 8000.1, 3.0)))
    fams = (Family("Q", (1,), rfr_1=2700.0, parts=2.7), Family("R", (1,), rfr_1=7999.7, rfr_2=0.4, parts=1.0))
    qf = Scenario(grids=(grid,), families=fams)
    rfr = replace(qf, indicator="rfr")
    assert [f["tranches"] for f in simulate_json(qf)["families"]] == [["B"], ["C"]]
    assert [f["tranches"] for f in simulate_json(qf, round_indicator=False)["families"]] == [["A"], ["B"]]
    assert [f["tranches"] for f in simulate_json(rfr)["families"]] == [["B"], ["C"]]  # Q: 2 700 -> B
    assert [f["tranches"] for f in simulate_json(rfr, round_indicator=False)["families"]] == [["B"], ["B"]]
    assert family_table(qf)["indicator"].tolist() == [1000.0, 8000.1]
    assert tranches_moved_by_rounding(qf) == {"Q": [(1, "A", "B")], "R": [(1, "B", "C")]}
    assert tranches_moved_by_rounding(rfr) == {"R": [(1, "B", "C")]}


def test_the_indicator_rounds_half_away_from_zero():
    """20 000,01 / 2 = 10 000,005 -> 10 000,01 (Python's round would give 10 000,0)."""
    grid = Grid("G", (Tranche("A", 0.0, 1.0), Tranche("B", 10_000.01, 2.0)))
    s = Scenario(grids=(grid,), families=(Family("H", (1,), rfr_1=20_000.01, parts=2.0),))
    assert simulate_json(s)["families"][0]["tranches"] == ["B"]
    assert simulate_json(s, round_indicator=False)["families"][0]["tranches"] == ["A"]


# --------------------------------------------------------------------------- 2. the workbook's formulas


def test_version_3_rounds_the_indicator_and_version_2_keeps_its_formula():
    v3 = build_layout(1, 3, 5).column["indicator"].formula(4)
    v2 = build_layout(1, 3, 5, version=2).column["indicator"].formula(4)
    assert v3.startswith('IF(OR(A4="",TRIM(') and ",ROUND(IF(" in v3 and v3.endswith(",2))")
    assert "ROUND" not in v2
    assert v3 == v2.replace('"",IF(', '"",ROUND(IF(', 1)[:-1] + ",2))"


@pytest.fixture(scope="module")
def edge_workbooks(tmp_path_factory) -> list[tuple[Scenario, Path]]:
    """Edge workbooks (layout version 3): both indicators, both scopes."""
    folder = tmp_path_factory.mktemp("edges")
    out = []
    for i, (indicator, rates, scope) in enumerate(
        [
            ("qf", (3333, 3333, 3333), "network"),
            ("rfr", (1, 6667, 9999), "structure"),
            ("qf", (1250, 5, 4999), "structure"),
        ]
    ):
        s = edge_scenario(indicator, rates, scope, seed=10 + i, n=30)
        out.append((s, folder / f"bords_{indicator}_{i}.xlsx"))
        generate_workbook(s, out[-1][1], capacity=40)
    return out


def test_the_formulas_give_the_spec_on_the_edge_workbooks(edge_workbooks):
    """`workbook-engine evaluate --json` (the workbook's own formulas) = the
    model = the SPEC computed exactly, to the cent and the tranche."""
    for s, path in edge_workbooks:
        got = evaluate_json(path)
        assert got == simulate_json(s)
        expected = spec_json(s)
        assert [(f["id"], f["tranches"], f["due"]) for f in got["families"]] == [
            (e["id"], e["tranches"], e["due"]) for e in expected
        ]
        # the review advice (these few families crowd a top tranche) is information, tested elsewhere
        assert [f for f in check_workbook(path).findings if f.part != "review"] == []


def test_a_version_2_workbook_checks_against_its_own_formulas_and_tells_the_edge_cases(tmp_path):
    """The same families in a version-2 workbook: its formulas (unrounded)
    are what check holds it to; every family the rounding would move is
    one warning naming its cell, with both brackets."""
    s = edge_scenario("qf", (3333, 3333, 3333), "network", seed=10, n=12)
    layout = build_layout(s.n_grids, layout_for(s).n_slots, 20, version=2)
    from workbook_engine.model.simulate import simulate

    path = tmp_path / "v2.xlsx"
    write_workbook(path, layout, s, simulate(s, round_indicator=False))
    got = evaluate_json(path)
    assert got == simulate_json(s, round_indicator=False)
    assert got != simulate_json(s)
    report = check_workbook(path)
    assert report.version == "2"
    findings = [f for f in report.findings if f.part != "review"]  # the review advice: information
    assert {f.severity for f in findings} == {"warning"}
    moved = tranches_moved_by_rounding(s)
    assert len(moved) == len(s.families)  # every family of the edge scenario sits just below its bound
    assert [(f.family, f.expected, f.found) for f in findings] == [(fid, m[0][2], m[0][1]) for fid, m in moved.items()]
    assert all(f.cell.startswith("Familles!") and "régénérez" in f.message for f in findings)


def test_a_version_2_workbook_of_the_sample_still_checks_clean(tmp_path):
    """Bursars' version-2 workbooks: formulas as version 2 wrote them, no
    family on a noisy bound, nothing to say."""
    from workbook_engine.formats.sample import load_sample
    from workbook_engine.model.simulate import simulate

    s = load_sample()
    assert tranches_moved_by_rounding(s) == {}
    layout = build_layout(s.n_grids, layout_for(s).n_slots, len(s.families), version=2)
    path = tmp_path / "v2.xlsx"
    write_workbook(path, layout, s, simulate(s, round_indicator=False))
    report = check_workbook(path)
    assert (report.version, report.findings) == ("2", [])
    assert "ROUND" not in layout.column["indicator"].formula(5)
