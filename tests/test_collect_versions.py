"""``collect`` tells each school's layout version and school year (network
CSV, network workbook) and notes the schools whose year is not the
network's and the workbooks of an older layout version."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from federation_support import run_cli

from workbook_engine.federation.collect import collect_network
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.domain import Scenario
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import LAYOUT_VERSION, build_layout
from workbook_engine.workbook.placement import read_stamp
from workbook_engine.workbook.reader import read_workbook
from workbook_engine.workbook.writer import write_workbook

YEAR, OTHER_YEAR = "2026-2027", "2025-2026"


def school(name: str, year: str, families: slice) -> Scenario:
    s = load_sample()
    return replace(s, structure=name, year=year, families=s.families[families])


def write_version(scenario: Scenario, version: int, path: Path) -> Path:
    """A workbook as the release of that layout version wrote it (see test_upgrade)."""
    current = layout_for(scenario, capacity=60)
    layout = build_layout(current.n_grids, current.n_slots, current.capacity, version=version)
    write_workbook(path, layout, scenario, simulate(scenario))
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("versions") / "retours"
    root.mkdir()
    write_version(school("OGEC Ancien", YEAR, slice(0, 40)), 2, root / "a_ancien.xlsx")
    generate_workbook(school("OGEC Actuel", YEAR, slice(40, 80)), root / "b_actuel.xlsx")
    generate_workbook(school("OGEC En retard", OTHER_YEAR, slice(80, 120)), root / "c_retard.xlsx")
    return root


EXPECTED = {  # file -> (layout version, year)
    "a_ancien.xlsx": ("2", YEAR),
    "b_actuel.xlsx": (str(LAYOUT_VERSION), YEAR),
    "c_retard.xlsx": (str(LAYOUT_VERSION), OTHER_YEAR),
}


@pytest.fixture(scope="module")
def network(folder):
    return collect_network(sorted(folder.glob("*.xlsx")), workers=1, root=folder)


def test_the_fixture_holds_two_layout_versions(folder):
    assert LAYOUT_VERSION != 2
    for name, (version, year) in EXPECTED.items():
        read = read_workbook(folder / name)
        stamp = read_stamp(read.defined_names)
        assert stamp is not None and str(stamp.version) == version
        assert read.scenario is not None and read.scenario.year == year


def test_each_row_has_its_layout_version_and_year(network):
    rows = network.workbooks.set_index("file")
    assert {f: (rows.loc[f, "layout_version"], rows.loc[f, "year"]) for f in EXPECTED} == EXPECTED
    assert set(rows["status"]) == {"ok"}  # an old version is not a finding


def test_notes_name_the_other_year_and_the_old_version(network):
    notes = network.notes
    year_notes = [n for n in notes if "année scolaire" in n]
    assert len(year_notes) == 1
    assert year_notes[0].startswith("c_retard.xlsx : ") and OTHER_YEAR in year_notes[0] and YEAR in year_notes[0]
    version_notes = [n for n in notes if "version" in n and "upgrade" in n]
    assert len(version_notes) == 1
    assert "a_ancien.xlsx (version 2)" in version_notes[0] and "b_actuel" not in version_notes[0]


def test_csv_and_report_show_the_new_columns_and_notes(folder, tmp_path, capsys):
    report, table = tmp_path / "reseau.xlsx", tmp_path / "reseau.csv"
    assert run_cli(["collect", str(folder), "-o", str(report), "--csv", str(table), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"note : c_retard.xlsx : année scolaire {OTHER_YEAR}" in out

    frame = pd.read_csv(table, sep=";", decimal=",", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert {r["file"]: (r["layout_version"], r["year"]) for _, r in frame.iterrows()} == EXPECTED

    wb = openpyxl.load_workbook(report)
    ws = wb["Établissements"]
    header = [c.value for c in ws[1]]
    version, year = header.index("Version du modèle"), header.index("Année")
    shown = {r[0]: (r[version], r[year]) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert shown == EXPECTED
    texts = [c.value for row in wb["Réseau"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("c_retard.xlsx : année scolaire") for t in texts)
    assert any("a_ancien.xlsx (version 2)" in t for t in texts)


def test_one_year_and_the_current_version_give_no_note(folder):
    assert collect_network([folder / "b_actuel.xlsx"], workers=1, root=folder).notes == ()


def test_a_school_without_a_year_is_noted(folder, tmp_path):
    generate_workbook(school("OGEC Sans année", "", slice(0, 20)), tmp_path / "d_sans.xlsx")
    paths = [folder / "b_actuel.xlsx", tmp_path / "d_sans.xlsx"]
    notes = collect_network(paths, workers=1, root=tmp_path).notes
    assert any("d_sans.xlsx : année scolaire non saisie" in n and YEAR in n for n in notes)


def test_notes_hold_no_family_data(network):
    ids = [f.id for f in load_sample().families[:120]]
    text = "\n".join(network.notes)
    assert text and not [i for i in ids if i in text]
