"""Start-up and manners: a command loads only the libraries it needs (pandas
never for a check), the model's results JSON is the same with or without
pandas, and evaluating formulas the ``formulas`` package computes prints
nothing and leaves other libraries' loggers alone. Times are measured by
``bench/bench_startup.py``, not here."""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from strategies import scenarios

from workbook_engine.evaluator import evaluate_workbook
from workbook_engine.formats.sample import make_sample
from workbook_engine.model.restructure import select_grids
from workbook_engine.model.simulate import simulate, simulate_json
from workbook_engine.workbook.generate import generate_workbook
from workbook_engine.workbook.layout import Ref

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "openpyxl", "xlsxwriter", "formulas", "schedula", "tqdm")


def loaded_by(code: str, *args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """The heavy libraries a fresh interpreter has loaded after ``code``."""
    report = f"\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.__stderr__)"
    done = subprocess.run(
        [sys.executable, "-c", code + report, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    return set(done.stderr.strip().splitlines()[-1].split()) if done.stderr.strip() else set(), done


CLI = "import sys\nfrom workbook_engine.cli import main\ncode = main(sys.argv[1:])\nprint(code)"


def test_the_package_and_the_parser_load_no_heavy_library():
    assert loaded_by("import workbook_engine")[0] == set()
    assert loaded_by("from workbook_engine.cli.main import build_parser\nbuild_parser()")[0] == set()
    heavy, done = loaded_by(CLI, "--help")
    assert heavy == set() and "check" in done.stdout


def test_the_public_names_are_there_when_used():
    import workbook_engine as we

    assert set(we.__all__) <= set(dir(we))
    for name in we.__all__:
        assert getattr(we, name) is not None
    assert we.simulate is simulate
    with pytest.raises(AttributeError):
        we.no_such_name  # noqa: B018


def test_a_check_does_not_load_pandas(tmp_path):
    path = tmp_path / "classeur.xlsx"
    generate_workbook(make_sample(30), path, capacity=40)
    heavy, done = loaded_by(CLI, "check", str(path))
    assert done.stdout.strip().endswith("0"), done.stdout + done.stderr
    assert "pandas" not in heavy and "formulas" not in heavy


def _same_json(s) -> None:
    assert json.dumps(simulate_json(s)) == json.dumps(simulate(s).to_json())


def test_the_results_json_without_pandas_is_the_same_to_the_bit():
    for n, seed in ((1, 1), (200, 7), (9000, 5)):  # > 8192 rows: numpy sums long columns by blocks
        s = make_sample(n, seed=seed)
        _same_json(s)
        _same_json(select_grids(s, [3, 1])[0])


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_results_json_without_pandas_is_the_same_for_any_scenario(s):
    _same_json(s)


def _fallback_book(path: Path) -> Path:
    """Formulas for the ``formulas`` package, among them functions it does
    not implement called on constants (which it logs while compiling)."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Feuil1")
    ws.write_number(0, 0, 4)
    for row, formula in enumerate(
        ['=WEBSERVICE("x")', '=INFO("osversion")', "=LN(A1)", "=LN(-1)", "=CUBEMEMBER(1,2)+A1"]
    ):
        ws.write_formula(row, 1, formula)
    wb.close()
    return path


def test_the_fallback_prints_nothing_and_leaves_other_loggers_alone(tmp_path):
    path = _fallback_book(tmp_path / "secours.xlsx")
    # A fresh process without any logging configured, as a bursar's command runs.
    code = (
        "import sys\nfrom workbook_engine.evaluator import evaluate_workbook\n"
        "ev = evaluate_workbook(sys.argv[1])\nprint(len(ev.fallback_cells))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "5" and done.stderr == ""

    loggers = [logging.getLogger(name) for name in ("schedula", "schedula.utils.sol", "formulas")]
    before = [(lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers]
    ev = evaluate_workbook(path)
    assert [(lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers] == before
    values = [ev(Ref("Feuil1", row, 1)) for row in range(5)]
    assert [str(v) for v in values[:2]] == ["#NAME?", "#NAME?"] and values[2] == pytest.approx(math.log(4))
    assert str(values[3]) == "#NUM!" and str(values[4]) == "#NAME?"


def test_the_fallback_logs_nothing_even_to_a_configured_application(tmp_path, caplog):
    """Nothing to log: the failure is the cell's value (#NAME?)."""
    path = _fallback_book(tmp_path / "secours.xlsx")
    with caplog.at_level(logging.DEBUG):
        evaluate_workbook(path)
    assert [r for r in caplog.records if r.name.split(".")[0] in ("schedula", "formulas")] == []
