"""Merging workbooks beyond three grids, and splitting them back."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from cached_cells import cached_values
from libreoffice_recalc import recalculate

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.problems import InputError
from workbook_engine.model.restructure import merge_scenarios, select_grids
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.reader import load_workbook_scenario
from workbook_engine.workbook.results import results_json_from_cells


def by_id(s):
    return replace(s, families=tuple(sorted(s.families, key=lambda f: f.id)))


@pytest.fixture(scope="module")
def three_and_two(tmp_path_factory) -> tuple[Path, Path, object, object]:
    """A 3UP and a 2UP of one structure that share families."""
    folder = tmp_path_factory.mktemp("merge")
    sample = load_sample()
    a, _ = select_grids(sample, [1, 2, 3])
    b, _ = select_grids(
        replace(
            sample,
            grids=(
                replace(sample.grids[0], name="Maternelle"),
                replace(sample.grids[1], name="Collège"),
                sample.grids[2],
            ),
        ),
        [1, 2],
    )
    b = replace(b, families=b.families[::3])  # some of the same families, in another order of magnitude
    pa, pb = folder / "a_3UP.xlsx", folder / "b_2UP.xlsx"
    generate_workbook(a, pa)
    generate_workbook(b, pb)
    return pa, pb, a, b


@pytest.mark.slow
def test_merge_joins_families_and_ranks_across_grids(three_and_two):
    pa, pb, a, b = three_and_two
    merged, report = merge_scenarios([("a", a), ("b", b)])
    assert merged.n_grids == 5
    assert [g.name for g in merged.grids] == ["École", "Collège", "Lycée", "Maternelle", "Collège (2)"]
    assert report.renamed == [("b", "Collège", "Collège (2)")]
    shared = set(f.id for f in a.families) & set(f.id for f in b.families)
    assert set(report.shared_families) == shared and shared
    family = {f.id: f for f in merged.families}
    some = next(iter(shared))
    fa, fb = next(f for f in a.families if f.id == some), next(f for f in b.families if f.id == some)
    assert family[some].pupils == fa.pupils + fb.pupils
    # Ranking across files lowers (never raises) what a family with children
    # in both files pays, and the report lists exactly those whose total moved.
    after = simulate(merged).families.set_index("id")["total_due"]
    apart = (
        simulate(a)
        .families.set_index("id")["total_due"]
        .add(simulate(b).families.set_index("id")["total_due"], fill_value=0)
    )
    moved = {fid for fid in after.index if round(after[fid] - apart[fid], 2) != 0}
    assert moved == {fid for fid, _b, _a in report.total_changes}
    assert all(after[fid] <= apart[fid] for fid in moved)


def test_merged_workbook_recalculates_to_the_model(libreoffice, three_and_two, tmp_path):
    pa, pb, a, b = three_and_two
    out = tmp_path / "merged.xlsx"
    assert main(["merge", str(pa), str(pb), "-o", str(out)]) == 0
    merged = load_workbook_scenario(out)
    assert merged.n_grids == 5
    expected, _ = merge_scenarios([(str(pa), a), (str(pb), b)])
    assert merged == expected
    recalculated = recalculate([out], tmp_path / "lo")[0]
    got = results_json_from_cells(layout_for(merged), cached_values(recalculated))
    assert got == simulate(merged).to_json()


def test_conflicts_exit_2_and_write_nothing(three_and_two, tmp_path, capsys):
    pa, pb, a, b = three_and_two
    shared = b.families[0]
    fams = (replace(shared, rfr_1=(shared.rfr_1 or 0) + 1000, notice=not shared.notice),) + b.families[1:]
    pc = tmp_path / "conflict.xlsx"
    generate_workbook(replace(b, families=fams, sibling_rates=(0.5, 0.5, 0.5)), pc)
    out = tmp_path / "never.xlsx"
    assert main(["merge", str(pa), str(pc), "-o", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert f"famille {shared.id}" in err and "rfr_1" in err and "notice" in err and "sibling_rates" in err
    assert str(pa) in err and str(pc) in err


@pytest.mark.slow
def test_split_then_merge_gives_back_the_scenario(tmp_path):
    sample = load_sample()
    src = tmp_path / "s.xlsx"
    generate_workbook(sample, src)
    assert main(["split", str(src), "--grids", "1,2", "--grids", "3", "-o", str(tmp_path / "parts")]) == 0
    parts = sorted((tmp_path / "parts").glob("*.xlsx"))
    assert [p.name for p in parts] == ["s_grilles_1-2.xlsx", "s_grilles_3.xlsx"]
    first = load_workbook_scenario(parts[0])
    assert first.n_grids == 2 and all(sum(f.pupils) > 0 for f in first.families)
    out = tmp_path / "back.xlsx"
    assert main(["merge", *map(str, parts), "-o", str(out), "--json"]) == 0
    assert by_id(load_workbook_scenario(out)) == by_id(sample)


@pytest.mark.slow
def test_split_reports_dropped_families(tmp_path, capsys):
    sample = load_sample()
    src = tmp_path / "s.xlsx"
    generate_workbook(sample, src)
    assert main(["split", str(src), "--grids", "3", "-o", str(tmp_path)]) == 0
    dropped = sum(1 for f in sample.families if f.pupils[2] == 0)
    assert f"{dropped} famille(s) sans élève" in capsys.readouterr().out
    assert main(["split", str(src), "--grids", "4", "-o", str(tmp_path)]) == 2


@pytest.mark.slow
def test_merge_report_json(three_and_two, tmp_path, capsys):
    pa, pb, _a, _b = three_and_two
    assert main(["merge", str(pa), str(pb), "-o", str(tmp_path / "m.xlsx"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["file"] for f in report["files"]] == [str(pa), str(pb)]
    assert len(report["grids"]) == 5 and report["grids"][4]["name"] == "Collège (2)"
    assert report["families_in_several_files"]


def test_merge_refuses_to_overwrite_an_input(three_and_two):
    pa, pb, _a, _b = three_and_two
    before = pa.read_bytes()
    assert main(["merge", str(pa), str(pb), "-o", str(pa)]) == 2
    assert pa.read_bytes() == before


def test_merge_needs_structure_parameters_to_agree():
    s = load_sample()
    with pytest.raises(InputError) as exc:
        merge_scenarios([("x", s), ("y", replace(s, indicator="rfr", sibling_scope="network"))])
    fields = {p.field for p in exc.value.problems}
    assert {"indicator", "sibling_scope"} <= fields
