"""``workbook-engine upgrade``: workbooks of every released layout version
(1, 2) moved into the current one with every input kept; what the bursar
added beside the layout (a column of their own) is named as not carried."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.domain import Scenario
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.check import check_workbook
from workbook_engine.workbook.generate import layout_for
from workbook_engine.workbook.layout import LAYOUT_VERSION, SHEET_FAMILIES, build_layout
from workbook_engine.workbook.placement import read_stamp
from workbook_engine.workbook.reader import read_workbook
from workbook_engine.workbook.writer import write_workbook

RELEASED = (1, 2)


def small_sample() -> Scenario:
    s = load_sample()
    return replace(s, families=s.families[:40])


def write_version(scenario: Scenario, version: int, path: Path) -> Path:
    current = layout_for(scenario, capacity=60)
    layout = build_layout(current.n_grids, current.n_slots, current.capacity, version=version)
    write_workbook(path, layout, scenario, simulate(scenario))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("released")
    scenario = small_sample()
    return {v: write_version(scenario, v, folder / f"v{v}.xlsx") for v in RELEASED}


@pytest.mark.parametrize("version", RELEASED)
def test_every_input_is_carried_into_the_current_layout(released, version, tmp_path, capsys):
    source = released[version]
    before = digest(source)
    out = tmp_path / "new.xlsx"
    assert main(["upgrade", str(source), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"version {version} → version {LAYOUT_VERSION}" in printed
    assert digest(source) == before  # the old file is never touched
    old, new = read_workbook(source), read_workbook(out)
    assert old.placement.generated.version == version
    assert new.scenario == old.scenario == small_sample()
    stamp = read_stamp(new.defined_names)
    assert stamp is not None and stamp.version == LAYOUT_VERSION
    # the new workbook has at least the old one's room, and its formulas are the current ones
    assert new.layout.capacity >= old.layout.capacity and new.layout.n_slots >= old.layout.n_slots
    report = check_workbook(out)
    assert report.exit_code == 0, [str(f) for f in report.findings]


def test_json_report_says_what_moved_where(released, tmp_path, capsys):
    out = tmp_path / "new.xlsx"
    assert main(["upgrade", str(released[1]), "-o", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "complete" and doc["from_version"] == 1 and doc["to_version"] == LAYOUT_VERSION
    assert doc["families"] == 40 and doc["not_carried"] == []
    rows = next(m for m in doc["moved"] if m["what"].startswith("familles :") and not m["family_column"])
    assert rows["old"] == rows["new"] == f"{SHEET_FAMILIES}!4:43"
    columns = [m for m in doc["moved"] if m["family_column"]]
    assert len(columns) == len(read_workbook(out).layout.input_columns)
    assert all(m["cells"] == 40 for m in columns)


def test_a_folder_is_upgraded_file_by_file(released, tmp_path, capsys):
    src = tmp_path / "schools"
    src.mkdir()
    for v, path in released.items():
        (src / f"ecole_{v}.xlsx").write_bytes(path.read_bytes())
    (src / "abimé.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "upgraded"
    assert main(["upgrade", str(src), "-o", str(out)]) == 2  # one unusable file, the others written
    captured = capsys.readouterr()
    assert "abimé.xlsx" in captured.err and "Traceback" not in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["ecole_1.xlsx", "ecole_2.xlsx"]
    for v in RELEASED:
        assert read_workbook(out / f"ecole_{v}.xlsx").scenario == small_sample()


def test_never_writes_over_an_input(released, tmp_path, capsys):
    copy = tmp_path / "v2.xlsx"
    copy.write_bytes(released[2].read_bytes())
    before = digest(copy)
    assert main(["upgrade", str(copy), "-o", str(copy)]) == 2
    assert "écraser" in capsys.readouterr().err
    assert digest(copy) == before


def test_a_bursars_own_column_is_named_as_not_carried(uno_office, released, tmp_path, capsys):
    """In real LibreOffice: a column « Nom (interne) » inserted in the family
    table of a version-2 workbook; the upgrade keeps every input and says
    that column is not carried (exit 1)."""
    from libreoffice_uno import edit_in_libreoffice

    layout = read_workbook(released[2]).layout
    edits = [
        {"op": "insert_columns", "sheet": SHEET_FAMILIES, "col": 1},
        {"op": "set_string", "sheet": SHEET_FAMILIES, "row": layout.first_row - 1, "col": 1, "value": "Nom (interne)"},
        {"op": "set_string", "sheet": SHEET_FAMILIES, "row": layout.first_row, "col": 1, "value": "DUPONT"},
    ]
    edited = edit_in_libreoffice(uno_office, released[2], edits, tmp_path / "edited")
    for source in (edited.xlsx, edited.ods):
        out = tmp_path / f"{source.suffix[1:]}.xlsx"
        assert main(["upgrade", str(source), "-o", str(out), "--json"]) == 1
        doc = json.loads(capsys.readouterr().out)
        assert doc["status"] == "incomplete"
        (column,) = doc["not_carried"]
        assert column["sheet"] == SHEET_FAMILIES and column["cell"] == "B"
        assert "Nom (interne)" in column["what"]
        assert read_workbook(out).scenario == small_sample()
        # the bursar's text is not in the new workbook, whatever the part
        with zipfile.ZipFile(out) as z:
            assert not any(b"DUPONT" in z.read(name) for name in z.namelist())
