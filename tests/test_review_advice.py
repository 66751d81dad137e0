"""``check``'s review advice: a grid whose top tranche holds more than a
threshold share of its families (default 25 %, ``--top-share-threshold``)
gets an information on its top-share cell pointing to
``calibrate --split-top-share``; it never changes the exit code under the
default ``--fail-on warning``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.domain import Scenario, Tranche
from workbook_engine.model.simulate import simulate_json
from workbook_engine.report.causes import causes
from workbook_engine.workbook.check import TOP_SHARE_THRESHOLD, check_workbook
from workbook_engine.workbook.generate import blank_scenario, generate_workbook, layout_for
from workbook_engine.workbook.reader import cell_name


def small_sample() -> Scenario:
    return load_sample()  # 320 families: every grid's top tranche holds between 22 % and 25 % of them


def crowded(s: Scenario) -> Scenario:
    """Grid 1's top tranche starts low: most of its families sit in it."""
    g = s.grids[0]
    tranches = (Tranche("A", 0.0, 420.0), Tranche("B", 1000.0, 560.0))
    return replace(s, grids=(replace(g, tranches=tranches),) + s.grids[1:])


def top_cells(s: Scenario) -> list[str]:
    return [cell_name(gl.summary_cell("top_share").ref) for gl in layout_for(s).grids]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("advice")
    out = {
        "crowded": (crowded(small_sample()), folder / "crowded.xlsx"),
        "sample": (small_sample(), folder / "sample.xlsx"),
        "blank": (blank_scenario(2), folder / "blank.xlsx"),
        "no_families": (replace(small_sample(), families=()), folder / "no_families.xlsx"),
    }
    for scenario, path in out.values():
        generate_workbook(scenario, path)
    return {k: path for k, (_s, path) in out.items()}


def shares(s: Scenario) -> list[float | None]:
    return [g["top_share"] for g in simulate_json(s)["grids"]]


def advice(report) -> list:
    return [f for f in report.findings if f.part == "review"]


def test_the_sample_sits_below_the_default_and_the_crowded_grid_above():
    # what the other tests rely on, from the model
    assert TOP_SHARE_THRESHOLD == 0.25
    assert all(0.2 < v < TOP_SHARE_THRESHOLD for v in shares(small_sample()))
    assert shares(crowded(small_sample()))[0] > 0.5


def test_a_crowded_top_tranche_gets_the_advice_on_its_cell(workbooks, capsys):
    s = crowded(small_sample())
    report = check_workbook(workbooks["crowded"])
    found = advice(report)
    assert [f.cell for f in found] == [top_cells(s)[0]]
    f = found[0]
    assert f.severity == "info" and f.family is None
    share = f"{shares(s)[0] * 100:.1f}".replace(".", ",")
    assert f"{share} %" in f.message and "25,0 %" in f.message
    assert "--split-top-share 0,25" in f.message and "scinder" in f.message
    assert report.exit_code == 0  # information only
    code = main(["check", str(workbooks["crowded"])])
    text = capsys.readouterr().out
    assert code == 0
    assert "Révision annuelle de la grille" in text and f"i {f.cell} : " in text
    assert "Classeur cohérent" in text


def test_json_carries_the_cell_as_data(workbooks, capsys):
    assert main(["check", str(workbooks["crowded"]), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    review = [f for f in doc["findings"] if f["part"] == "review"]
    assert len(review) == 1
    assert review[0]["cell"] == top_cells(crowded(small_sample()))[0]
    assert review[0]["severity"] == "info" and doc["exit_code"] == 0 and doc["status"] == "ok"


def test_fail_on_info_makes_the_advice_count(workbooks, capsys):
    assert main(["check", str(workbooks["crowded"]), "--fail-on", "info"]) == 1
    capsys.readouterr()


def test_below_the_threshold_no_advice(workbooks):
    assert advice(check_workbook(workbooks["sample"])) == []


def test_a_blank_workbook_gets_no_advice(workbooks, capsys):
    assert advice(check_workbook(workbooks["blank"], top_share_threshold=0.01)) == []
    main(["check", str(workbooks["blank"]), "--top-share-threshold", "1 %"])  # exits 1: no tranche typed yet
    assert "Révision annuelle" not in capsys.readouterr().out


def test_grids_without_families_get_no_advice(workbooks, capsys):
    # tranches and amounts typed, no family yet: every top share is blank
    assert all(v is None for v in shares(replace(small_sample(), families=())))
    assert main(["check", str(workbooks["no_families"]), "--top-share-threshold", "1 %"]) == 0
    assert "Révision annuelle" not in capsys.readouterr().out


@pytest.mark.parametrize("typed", ["0.23", "0,23", "23 %", "23%"])
def test_the_option_moves_the_threshold(workbooks, capsys, typed):
    s = small_sample()
    values = shares(s)
    assert values[0] > 0.23 > max(values[1:])  # only the first grid is above 23 %
    assert main(["check", str(workbooks["sample"]), "--json", "--top-share-threshold", typed]) == 0
    doc = json.loads(capsys.readouterr().out)
    review = [f for f in doc["findings"] if f["part"] == "review"]
    assert [f["cell"] for f in review] == top_cells(s)[:1]
    assert "--split-top-share 0,23" in review[0]["message"]


def test_a_lower_threshold_advises_every_grid_above_it(workbooks):
    s = small_sample()
    report = check_workbook(workbooks["sample"], top_share_threshold=0.2)
    assert [f.cell for f in advice(report)] == top_cells(s)


@pytest.mark.parametrize("typed", ["abc", "0", "1", "30", "150 %", "-0,2", ""])
def test_a_bad_threshold_exits_2_with_a_french_line(workbooks, capsys, typed):
    assert main(["check", str(workbooks["sample"]), f"--top-share-threshold={typed}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--top-share-threshold" in err[0] and "une part entre 0 et 1" in err[0]


def test_html_and_junit_reports_give_the_advice_its_own_words(workbooks, tmp_path, capsys):
    report = check_workbook(workbooks["crowded"])
    (cause,) = [c for c in causes(report.findings) if c.part == "review"]
    assert "split-top-share" in cause.advice and "Rien à faire" not in cause.advice
    html = tmp_path / "r.html"
    assert main(["check", str(workbooks["crowded"]), "--format", "html", "-o", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert 'data-part="review"' in page and "Révision annuelle de la grille" in page
    capsys.readouterr()
