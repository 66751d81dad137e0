"""Last year's brackets as the comparison, and ``workbook-engine rollover``:
next year's workbook carries the families and grids, and each family's
previous due is what last year's grid gives it, in the model, the
workbook's formulas (headless evaluator) and ``check``, to the cent."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from cached_cells import cached_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import scenarios

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.formats.scenario_json import dumps_scenario, scenario_from_dict, strict_json
from workbook_engine.model.domain import Scenario, Tranche
from workbook_engine.model.french import eur
from workbook_engine.model.money import excel_round
from workbook_engine.model.simulate import simulate, simulate_json
from workbook_engine.model.validation import validate
from workbook_engine.workbook.check import check_numbers, check_workbook
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import LAYOUT_VERSION, build_layout
from workbook_engine.workbook.reader import load_workbook_scenario, read_workbook
from workbook_engine.workbook.results import results_json_from_cells
from workbook_engine.workbook.rollover import rollover_scenario, year_problem
from workbook_engine.workbook.writer import write_workbook


def small_sample() -> Scenario:
    s = load_sample()
    return replace(s, families=s.families[:60])


def with_changes(s: Scenario) -> Scenario:
    """A second year that differs from the first: amounts raised, a top
    tranche split, some incomes changed: previous dues then differ from dues."""
    grids = []
    for g in s.grids:
        raised = tuple(replace(t, amount=t.amount + 30) for t in g.tranches)
        top = raised[-1]
        split = raised + (Tranche(top.label + "+", top.lower + 15_000, top.amount + 200),)
        grids.append(replace(g, tranches=split))
    fams = tuple(
        replace(f, rfr_1=f.rfr_1 + 2_500) if i % 3 == 0 and f.rfr_1 is not None else f for i, f in enumerate(s.families)
    )
    return replace(s, grids=tuple(grids), families=fams)


@pytest.fixture(scope="module")
def last_year(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rollover") / "2026.xlsx"
    generate_workbook(small_sample(), path, capacity=80)
    return path


@pytest.fixture(scope="module")
def rolled(last_year) -> Path:
    out = last_year.parent / "2027.xlsx"
    assert main(["rollover", str(last_year), "--year", "2027-2028", "-o", str(out)]) == 0
    return out


def test_rollover_carries_families_and_grids_and_keeps_this_years_brackets_as_the_comparison():
    last = small_sample()
    following, report = rollover_scenario(last, "2027-2028")
    assert following.year == "2027-2028" and following.structure == last.structure
    assert following.families == last.families  # incomes kept: to be updated
    assert report.to_update == tuple(f.id for f in last.families)
    for before, after in zip(last.grids, following.grids):
        assert after.tranches == before.tranches and after.previous == before.tranches
        assert (after.name, after.old_tariff, after.budget_target) == (
            before.name,
            before.old_tariff,
            before.budget_target,
        )
    assert validate(following) == []
    # Same families, same incomes, same grid: last year's due is this year's previous due.
    last_json, next_json = simulate_json(last), simulate_json(following)
    for a, b in zip(last_json["families"], next_json["families"]):
        assert b["previous_due"] == a["due"] and b["previous_tranches"] == a["tranches"]
        assert b["previous_total"] == a["total_due"] and b["change_vs_previous"] == 0
    assert [g["previous_revenue"] for g in next_json["grids"]] == [g["revenue"] for g in last_json["grids"]]
    assert next_json["total"]["families_same_as_previous"] == len(last.families)


def test_cleared_incomes_make_every_family_wait_for_its_new_notice():
    last = small_sample()
    following, report = rollover_scenario(last, "2027-2028", clear_incomes=True)
    assert report.incomes_cleared
    for before, after in zip(last.families, following.families):
        assert (after.id, after.pupils, after.adults, after.children) == (
            before.id,
            before.pupils,
            before.adults,
            before.children,
        )
        assert after.rfr_1 is None and after.parts is None and after.notice is False
    assert validate(following) == []


def test_previous_due_is_the_previous_tranche_amount_times_this_years_factor():
    """The "same ranking rule" reading: last year's amount for the family's
    bracket by last year's bounds, times this year's paying factor."""
    following, _ = rollover_scenario(small_sample(), "2027-2028")
    changed = with_changes(following)
    changed = replace(
        changed, grids=tuple(replace(g, previous=p.previous) for g, p in zip(changed.grids, following.grids))
    )
    fam = simulate(changed).families
    for g, grid in enumerate(changed.grids, start=1):
        lowers = [t.lower for t in grid.previous]
        for _, row in fam.iterrows():
            if row["notice"]:
                k = max(i for i, lo in enumerate(lowers) if lo <= row["indicator"])
            else:
                k = len(lowers) - 1
            assert row[f"previous_tranche_g{g}"] == grid.previous[k].label
            assert row[f"previous_due_g{g}"] == excel_round(grid.previous[k].amount * row[f"factor_g{g}"], 2)


def test_rolled_workbook_checks_clean_and_its_formulas_give_the_models_previous_dues(last_year, rolled):
    following, _ = rollover_scenario(small_sample(), "2027-2028")
    read = read_workbook(rolled)
    assert read.scenario == following
    report = check_workbook(rolled)
    assert report.exit_code == 0, [str(f) for f in report.findings]
    # the cached values the writer stored are the model's, field for field
    assert results_json_from_cells(layout_for(following), cached_values(rolled)) == simulate(following).to_json()


def test_previous_figures_are_checked_to_the_cent(tmp_path):
    """A workbook whose previous due differs from the model's is reported:
    the cached value of one family's previous due is tampered with."""
    following, _ = rollover_scenario(small_sample(), "2027-2028")
    changed = with_changes(following)
    changed = replace(
        changed, grids=tuple(replace(g, previous=p.previous) for g, p in zip(changed.grids, following.grids))
    )
    path = tmp_path / "next.xlsx"
    generate_workbook(changed, path, capacity=80)
    report = check_workbook(path)
    assert report.exit_code == 0, [str(f) for f in report.findings]
    expected = simulate(changed).to_json()
    assert any(f["change_vs_previous"] != 0 for f in expected["families"])  # the comparison says something
    layout = layout_for(changed)
    values = cached_values(path)
    got = results_json_from_cells(layout, values)
    assert got == expected
    # an evaluation that disagrees on one previous due is a finding naming that family's cell
    col, row = layout.column["previous_due_g1"].col, layout.first_row

    def value(ref):
        v = values(ref)
        if ref.sheet == layout.families_sheet and (ref.row, ref.col) == (row, col):
            return v + 0.01
        return v

    found = check_numbers(read_workbook(path), value)
    assert [(f.part, f.family) for f in found] == [("numbers", changed.families[0].id)]
    assert found[0].expected == expected["families"][0]["previous_due"][0]


def test_scenario_json_round_trip_with_previous_grids():
    following, _ = rollover_scenario(small_sample(), "2027-2028")
    text = dumps_scenario(following)
    doc = json.loads(text)
    assert doc["grids"][0]["previous"]["tranches"][0] == {"label": "A", "lower": 0, "amount": 420}
    back, problems = scenario_from_dict(strict_json(text))
    assert problems == [] and back == following
    # without a previous grid the key is absent: scenarios read and print as before
    assert "previous" not in json.loads(dumps_scenario(small_sample()))["grids"][0]


def test_previous_grid_obeys_the_tranche_rules_with_its_place_as_data():
    following, _ = rollover_scenario(small_sample(), "2027-2028")
    g = following.grids[1]
    bad = replace(g, previous=(Tranche("A", 100, 300), Tranche("B", 50, -1)))
    problems = validate(replace(following, grids=(following.grids[0], bad, *following.grids[2:])))
    fields = {(p.field, p.grid, p.tranche) for p in problems}
    assert ("previous_lower", 2, 1) in fields and ("previous_lower", 2, 2) in fields
    assert ("previous_amount", 2, 2) in fields
    assert all("barème de l'an dernier" in p.where for p in problems)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(scenarios(max_grids=3, max_families=15), st.booleans())
def test_rollover_then_read_keeps_every_family_and_input(tmp_path, scenario, st_clear):
    following, report = rollover_scenario(scenario, "2030-2031", clear_incomes=st_clear)
    assert [f.id for f in following.families] == [f.id for f in scenario.families]
    assert [f.pupils for f in following.families] == [f.pupils for f in scenario.families]
    path = tmp_path / "next.xlsx"
    generate_workbook(following, path, capacity=15)
    assert load_workbook_scenario(path) == following
    if not st_clear:
        assert following.families == scenario.families


def test_cli_refuses_a_bad_year_and_never_writes_over_its_input(last_year, tmp_path, capsys):
    before = hashlib.sha256(last_year.read_bytes()).hexdigest()
    assert main(["rollover", str(last_year), "--year", "2027", "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "2027-2028" in capsys.readouterr().err
    assert main(["rollover", str(last_year), "--year", "2027-2028", "-o", str(last_year)]) == 2
    assert hashlib.sha256(last_year.read_bytes()).hexdigest() == before
    assert year_problem("2026-2027", "2026-2027") is not None


def test_cli_report_names_what_was_carried_and_last_years_summary(last_year, tmp_path, capsys):
    out = tmp_path / "next.xlsx"
    assert main(["rollover", str(last_year), "--year", "2027-2028", "-o", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    last = simulate_json(small_sample())
    assert doc["families"] == 60 and doc["year"] == "2027-2028" and len(doc["to_update"]) == 60
    assert doc["last_year_results"]["total"] == last["total"]
    # the workbook's own figures print the comparison: every family pays as last year
    assert main(["evaluate", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Barème de l'an dernier : {eur(last['total']['revenue'])}" in printed
    assert "paient plus que l'an dernier : 0, autant : 60, moins : 0" in printed


def test_layout_versions_1_and_2_are_built_as_before(tmp_path):
    """The comparison is version 3 only: earlier versions have none of its cells."""
    for version in (1, 2):
        layout = build_layout(3, 10, 50, version=version)
        assert not any("previous" in c.key for c in layout.columns)
        assert not any(gl.previous for gl in layout.grids)
        assert not any("previous" in c.key for c in layout.summary)
        assert not any("PRECEDENT" in n for n in layout.blocks)
    current = build_layout(3, 10, 50)
    assert current.version == LAYOUT_VERSION
    assert {"BORNE_PRECEDENTE_G1", "MONTANT_PRECEDENT_G1", "RECETTES_PRECEDENTES_G1"} <= set(current.blocks)
    # a version-2 workbook of a scenario (no previous grid) checks clean
    s = small_sample()
    layout = build_layout(3, 10, 80, version=2)
    path = tmp_path / "v2.xlsx"
    write_workbook(path, layout, s, simulate(s, round_indicator=False))
    report = check_workbook(path)
    assert report.exit_code == 0, [str(f) for f in report.findings]


def test_batch_from_last_years_workbooks_rolls_each_school_over(last_year, tmp_path, capsys):
    folder = tmp_path / "2026"
    folder.mkdir()
    (folder / "ecole.xlsx").write_bytes(last_year.read_bytes())
    (folder / "abime.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "2027"
    code = main(["batch", "--from", str(folder), "--year", "2027-2028", "-o", str(out), "--quiet", "--jobs", "1"])
    assert code == 1  # one unusable workbook: named, the other written
    captured = capsys.readouterr()
    assert "abime.xlsx" in captured.err and "Traceback" not in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["ecole.xlsx", "index.csv"]
    following, _ = rollover_scenario(small_sample(), "2027-2028")
    assert load_workbook_scenario(out / "ecole.xlsx") == following
    index = (out / "index.csv").read_text(encoding="utf-8-sig")
    assert "ecole.xlsx;written" in index and ";error;" in index
    assert main(["batch", "--from", str(folder), "-o", str(tmp_path / "x")]) == 2  # --year is needed


def test_calibrating_a_rolled_over_scenario_keeps_last_years_brackets():
    """Calibration proposes new amounts (and, split, new brackets) for this
    year; last year's brackets are the comparison and stay as they were."""
    from workbook_engine.calibrate import CalibrationOptions, GridConstraints, calibrate
    from workbook_engine.formats.sample import load_sample
    from workbook_engine.workbook.rollover import rollover_scenario

    rolled, _ = rollover_scenario(load_sample(), "2027-2028")
    for options in (
        CalibrationOptions(GridConstraints(step=5)),
        CalibrationOptions(GridConstraints(step=5), split_top_share=0.2),
    ):
        proposed = calibrate(rolled, options).proposed
        assert [g.previous for g in proposed.grids] == [g.previous for g in rolled.grids]
        assert all(g.previous for g in proposed.grids)


@pytest.mark.parametrize("threshold", [0.2, 0.25, 0.5])
def test_the_rollover_report_gives_the_review_advice_for_crowded_top_tranches(threshold):
    """The method's yearly review: a grid whose top tranche held more than
    the threshold of its families this year is named, with the calibrate
    command that splits it."""
    from workbook_engine.formats.sample import load_sample
    from workbook_engine.model.simulate import simulate_json
    from workbook_engine.workbook.rollover import rollover_scenario

    last = load_sample()
    crowded = [
        g["name"]
        for g in simulate_json(last)["grids"]
        if g["tranches"] and g["tranches"][-1]["families"] / sum(t["families"] for t in g["tranches"]) > threshold
    ]
    _, report = rollover_scenario(last, "2027-2028", top_share_threshold=threshold)
    assert len(report.advice) == len(crowded)
    for name, advice in zip(crowded, report.advice):
        assert f"« {name} »" in advice and "--split-top-share" in advice
    assert sum(line.startswith("  Conseil : ") for line in report.lines()) == len(crowded)
