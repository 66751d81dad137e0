"""Scenario JSON (the SPEC's interchange contract) and input validation."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings

from workbook_engine.formats.scenario_json import (
    dumps_scenario,
    load_scenario_json,
    scenario_from_dict,
    scenario_to_dict,
)
from workbook_engine.model.domain import CustomParts, Family, Grid, Scenario, Tranche
from workbook_engine.model.problems import InputError, Problem
from workbook_engine.model.simulate import simulate
from workbook_engine.model.validation import validate

try:  # tests/ is on sys.path under pytest's default import mode
    from strategies import scenarios
except ImportError:  # pragma: no cover
    from tests.strategies import scenarios

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The example of the SPEC, verbatim.
SPEC_EXAMPLE = """
{
  "structure": "OGEC Saint-Joseph", "year": "2026-2027",
  "indicator": "qf", "include_caf_aid": false,
  "parts_policy": "fiscal",
  "custom_parts": {"adult": 1, "child_1": 0.5, "child_2": 0.5, "child_3_plus": 1,
                   "single_parent_bonus": 0.5, "other_dependent": 0.5},
  "sibling_rates": [0.1, 0.2, 0.3], "sibling_scope": "structure",
  "grids": [
    {"name": "École", "old_tariff": 600, "budget_target": 150000,
     "tranches": [{"label": "A", "lower": 0, "amount": 400},
                  {"label": "B", "lower": 8000, "amount": 600},
                  {"label": "C", "lower": 15000, "amount": 900}]}
  ],
  "families": [
    {"id": "F0001", "rfr_1": 35000, "rfr_2": 0, "caf_aid": 0, "parts": 4,
     "adults": 2, "children": 3, "other_dependents": 0, "notice": true,
     "pupils": [2], "other_enrolled": 0}
  ]
}
"""


# --------------------------------------------------------------------------- reading


def test_spec_example_reads_without_problem():
    s, problems = scenario_from_dict(json.loads(SPEC_EXAMPLE))
    assert problems == []
    assert validate(s) == []
    assert s == Scenario(
        structure="OGEC Saint-Joseph",
        year="2026-2027",
        indicator="qf",
        include_caf_aid=False,
        parts_policy="fiscal",
        custom_parts=CustomParts(),
        sibling_rates=(0.1, 0.2, 0.3),
        sibling_scope="structure",
        grids=(
            Grid(
                "École",
                (Tranche("A", 0, 400), Tranche("B", 8000, 600), Tranche("C", 15000, 900)),
                old_tariff=600,
                budget_target=150000,
            ),
        ),
        families=(
            Family(
                "F0001",
                (2,),
                rfr_1=35000,
                rfr_2=0,
                caf_aid=0,
                parts=4,
                adults=2,
                children=3,
                other_dependents=0,
                notice=True,
                other_enrolled=0,
            ),
        ),
    )


def test_spec_example_results():
    # QF 35000 / 4 = 8750 -> B (600); two pupils: 600 + 600 * 0.9 = 1140;
    # old 600 with the same ranks: 1140; revenue 1140, gap 1140 - 150000 = -148860
    s, _ = scenario_from_dict(json.loads(SPEC_EXAMPLE))
    j = simulate(s).to_json()
    assert j["families"] == [
        {
            "id": "F0001",
            "tranches": ["B"],
            "due": [1140.0],
            "total_due": 1140.0,
            "old_due": 1140.0,
            "change": 0.0,
            "effort": 0.032571,
        }
    ]
    g = j["grids"][0]
    assert (g["name"], g["revenue"], g["budget_target"], g["gap"], g["old_revenue"]) == (
        "École",
        1140,
        150000,
        -148860,
        1140,
    )
    assert g["tranches"] == [
        {"label": "A", "families": 0, "pupils": 0, "revenue": 0},
        {"label": "B", "families": 1, "pupils": 2, "revenue": 1140},
        {"label": "C", "families": 0, "pupils": 0, "revenue": 0},
    ]
    assert {k: j["total"][k] for k in ("revenue", "budget_target", "gap", "old_revenue")} == {
        "revenue": 1140,
        "budget_target": 150000,
        "gap": -148860,
        "old_revenue": 1140,
    }


def test_spec_example_dumps_back_identically():
    data = json.loads(SPEC_EXAMPLE)
    s, _ = scenario_from_dict(data)
    assert scenario_to_dict(s) == data
    assert list(scenario_to_dict(s)) == list(data)  # the SPEC's key order
    out, grid = scenario_to_dict(s), data["grids"][0]
    assert list(out["grids"][0]) == list(grid) and list(out["grids"][0]["tranches"][0]) == list(grid["tranches"][0])
    assert list(out["families"][0]) == list(data["families"][0])  # id, rfr_1, ..., notice, pupils, other_enrolled
    assert json.loads(dumps_scenario(s)) == data
    text = dumps_scenario(s)
    assert '"rfr_1": 35000,' in text and "35000.0" not in text  # whole numbers as integers
    assert "École" in text  # not \u00c9cole
    assert text.endswith("\n")


def test_optional_keys_take_the_spec_defaults():
    data = {
        "grids": [{"name": "G", "tranches": [{"label": "A", "lower": 0, "amount": 500}]}],
        "families": [{"id": "F1", "rfr_1": 20000, "parts": 2, "pupils": [1]}],
    }
    s, problems = scenario_from_dict(data)
    assert problems == []
    assert (s.structure, s.year, s.indicator, s.include_caf_aid, s.parts_policy, s.sibling_scope) == (
        "",
        "",
        "qf",
        False,
        "fiscal",
        "structure",
    )
    assert s.custom_parts == CustomParts(1, 0.5, 0.5, 1, 0.5, 0.5)
    assert s.sibling_rates == (0, 0, 0)
    assert s.grids[0].old_tariff is None and s.grids[0].budget_target is None
    f = s.families[0]
    assert (f.rfr_2, f.caf_aid, f.notice, f.other_enrolled, f.other_dependents) == (0, 0, True, 0, 0)
    assert f.adults is None and f.children is None
    # a scenario without families is allowed
    s2, problems2 = scenario_from_dict({"grids": data["grids"]})
    assert problems2 == [] and s2.families == ()


def test_reading_reports_every_type_problem():
    data = {
        "indicator": "median",
        "include_caf_aid": "yes",
        "parts_policy": "mixed",
        "sibling_scope": "world",
        "sibling_rates": [0.1, 0.2],
        "custom_parts": {"adult": "one", "grandparent": 1},
        "colour": "blue",
        "grids": [{"name": 3, "old_tariff": "600", "tranches": [{"label": "A", "lower": 0, "amount": "400"}]}],
        "families": [{"id": "F1", "rfr_1": 1, "parts": 1, "adults": 1.5, "notice": "oui", "pupils": [1.5]}],
    }
    _, problems = scenario_from_dict(data)
    got = {(p.where, p.field) for p in problems}
    expected = {
        ("scénario", "indicator"),
        ("scénario", "include_caf_aid"),
        ("scénario", "parts_policy"),
        ("scénario", "sibling_scope"),
        ("scénario", "sibling_rates"),
        ("scénario", "colour"),
        ("custom_parts", "adult"),
        ("custom_parts", "grandparent"),
        ("grille 1", "name"),
        ("grille 1", "old_tariff"),
        ("grille 1, tranche 1", "amount"),
        ("famille F1", "adults"),
        ("famille F1", "notice"),
        ("famille F1", "pupils[0]"),
    }
    assert expected <= got, expected - got
    assert all(p.severity == "error" and p.message for p in problems)


def test_not_an_object():
    _, problems = scenario_from_dict([1, 2, 3])
    assert problems and problems[0].where == "scénario"


# --------------------------------------------------------------------------- validation

MANY_PROBLEMS = {
    "structure": "OGEC à problèmes",
    "sibling_rates": [0.1, 1.5, -0.2],
    "grids": [
        {
            "name": "École",
            "tranches": [
                {"label": "A", "lower": 100, "amount": 400},  # first bound is not 0
                {"label": "B", "lower": 8000, "amount": -5},  # negative amount
                {"label": "C", "lower": 8000, "amount": 900},  # not strictly increasing
            ],
        },
        {
            "name": "Collège",
            "old_tariff": -1,
            "tranches": [
                {"label": "A", "lower": 0, "amount": 700},
                {"label": "B", "lower": 20000, "amount": 1000},
                {"label": "C", "lower": 15000, "amount": 1200},  # decreasing
            ],
        },
    ],
    "families": [
        {"id": "NEG", "rfr_1": -100, "parts": 1, "pupils": [1, 0]},
        {"id": "NEGTWO", "rfr_1": 1000, "rfr_2": -5, "caf_aid": -1, "parts": 1, "pupils": [1, 0]},
        {"id": "NOPARTS", "rfr_1": 20000, "pupils": [1, 0]},
        {"id": "ZEROPARTS", "rfr_1": 20000, "parts": 0, "pupils": [1, 0]},
        {"id": "SHORT", "rfr_1": 20000, "parts": 1, "pupils": [1]},
        {"id": "NEGPUPILS", "rfr_1": 20000, "parts": 1, "pupils": [-1, 0]},
        {"id": "DUP", "rfr_1": 1, "parts": 1, "pupils": [1, 0]},
        {"id": "DUP", "rfr_1": 2, "parts": 1, "pupils": [0, 1]},
        {"id": "TEXT", "rfr_1": "35 000", "parts": "deux", "pupils": [1, "2"]},
        {"id": "NORFR", "parts": 2, "pupils": [0, 1]},
        {"id": "TYPO", "rfr_1": 1, "rfr": 5, "parts": 1, "pupils": [0, 1]},
        # valid: no notice, hence no RFR and no parts needed
        {"id": "FINE", "notice": False, "pupils": [1, 1]},
    ],
}

# (words that must all appear in `where`, field)
EXPECTED = [
    (["scénario"], "sibling_rates[1]"),
    (["scénario"], "sibling_rates[2]"),
    (["grille 1", "tranche A"], "lower"),
    (["grille 1", "tranche B"], "amount"),
    (["grille 1", "tranche C"], "lower"),
    (["grille 2", "tranche C"], "lower"),
    (["grille 2"], "old_tariff"),
    (["NEG"], "rfr_1"),
    (["NEGTWO"], "rfr_2"),
    (["NEGTWO"], "caf_aid"),
    (["NOPARTS"], "parts"),
    (["ZEROPARTS"], "parts"),
    (["SHORT"], "pupils"),
    (["NEGPUPILS"], "pupils[0]"),
    (["DUP"], "id"),
    (["TEXT"], "rfr_1"),
    (["TEXT"], "parts"),
    (["TEXT"], "pupils[1]"),
    (["NORFR"], "rfr_1"),
    (["TYPO"], "rfr"),
]


def _matches(p: Problem, words: list[str], field: str) -> bool:
    return p.field == field and all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", p.where) for w in words)


def _check_all_reported(problems: list[Problem]) -> None:
    missing = [(w, f) for w, f in EXPECTED if not any(_matches(p, w, f) for p in problems)]
    assert missing == [], "\n".join(map(str, problems))
    # both duplicates are named
    assert sum(_matches(p, ["DUP"], "id") for p in problems) == 2
    # the valid family is not blamed
    assert not any("FINE" in p.where for p in problems)
    # every problem names its place and its field, with a message
    assert all(p.where and p.message for p in problems)


def test_validation_reports_every_problem_at_once():
    s, read_problems = scenario_from_dict(MANY_PROBLEMS)
    # the text values are caught while reading, not silently converted
    assert any(_matches(p, ["TEXT"], "rfr_1") and p.value == "35 000" for p in read_problems)
    assert any(_matches(p, ["TEXT"], "parts") and p.value == "deux" for p in read_problems)
    _check_all_reported(read_problems + validate(s))


def test_validation_on_scenario_objects():
    g = Grid("G", (Tranche("A", 0, 100), Tranche("B", 0, 200), Tranche("", 50, 300), Tranche("A", 60, 1)))
    fs = (
        Family("", (1,), rfr_1=1, parts=1),  # missing id
        Family("C1", (1,), rfr_1=1, adults=3),  # custom policy: adults 1 or 2
        Family("C2", (1,), rfr_1=1, adults=2, parts=-1),  # negative parts
        Family("C3", (1,), rfr_1=1, adults=1, children=-1, other_enrolled=-2),
    )
    s = Scenario(grids=(g,), families=fs, parts_policy="custom", custom_parts=CustomParts(child_1=-0.5))
    got = validate(s)
    expected = [
        (["tranche B"], "lower"),  # 0 after 0: not strictly increasing
        (["tranche 3"], "label"),  # blank label
        (["tranche A"], "label"),  # duplicate label
        (["custom_parts"], "child_1"),
        (["famille n°1"], "id"),
        (["C1"], "adults"),
        (["C2"], "parts"),
        (["C3"], "children"),
        (["C3"], "other_enrolled"),
    ]
    missing = [(w, f) for w, f in expected if not any(_matches(p, w, f) for p in got)]
    assert missing == [], "\n".join(map(str, got))
    assert validate(Scenario(grids=())) and validate(Scenario(grids=()))[0].field == "grids"


def test_load_scenario_json_raises_with_every_problem(tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(MANY_PROBLEMS, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_scenario_json(path)
    problems = exc.value.problems
    _check_all_reported(problems)
    assert all(p.source == str(path) for p in problems)
    # a value rejected while reading is not reported a second time as missing
    assert sum(_matches(p, ["TEXT"], "rfr_1") for p in problems) == 1
    # the message lists them all, one per line
    message = str(exc.value)
    assert len(message.splitlines()) == len(problems)
    for words, _ in EXPECTED:
        assert all(w in message for w in words)


def test_load_scenario_json_valid_file_with_bom(tmp_path):
    path = tmp_path / "ok.json"
    path.write_bytes("\ufeff".encode() + SPEC_EXAMPLE.encode("utf-8"))
    assert load_scenario_json(path) == scenario_from_dict(json.loads(SPEC_EXAMPLE))[0]


def test_load_scenario_json_bad_syntax_and_missing_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"grids": [\n  {"name": "G",}\n]}', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_scenario_json(path)
    (p,) = exc.value.problems
    assert "ligne 2" in p.where and p.source == str(path)
    with pytest.raises(InputError):
        load_scenario_json(tmp_path / "absent.json")


# --------------------------------------------------------------------------- round trip


@PROPERTY
@given(scenarios())
def test_json_round_trip_is_lossless(s):
    d = scenario_to_dict(s)
    assert scenario_from_dict(d) == (s, [])
    text = json.dumps(d, ensure_ascii=False, allow_nan=False)
    assert json.loads(text) == d
    assert json.dumps(json.loads(text), ensure_ascii=False, allow_nan=False) == text
    assert scenario_from_dict(json.loads(dumps_scenario(s))) == (s, [])


@PROPERTY
@given(scenarios(max_grids=12, max_families=10, max_tranches=8))
def test_json_round_trip_twelve_grids(s):
    assert scenario_from_dict(json.loads(dumps_scenario(s))) == (s, [])
