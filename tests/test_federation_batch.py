"""``batch``: one personalised workbook per row of SCHOOLS.csv."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from federation_support import run_cli

from workbook_engine.federation.batch import INDEX_NAME, batch, safe_stem
from workbook_engine.formats.sample import make_sample
from workbook_engine.formats.scenario_json import dumps_scenario
from workbook_engine.model.domain import Tranche
from workbook_engine.model.problems import InputError
from workbook_engine.workbook.reader import read_workbook


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def read_index(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / INDEX_NAME, sep=";", decimal=",", dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture
def base_json(tmp_path: Path) -> Path:
    """A federation's base: the sample's parameters and brackets, with its families
    (which must never reach the schools' workbooks)."""
    return write(tmp_path / "base.json", dumps_scenario(make_sample(5)))


SCHOOLS = """\
structure;year;grid_1;old_tariff_1;budget_target_1;tranches_1;grid_2;old_tariff_2;budget_target_2;tranches_2;rate_2
OGEC Saint-Paul;2026-2027;École;650;120 000 €;A:0:400|B:7 000:600|C:12000:850,50;Collège;850;;;10 %
OGEC Sainte-Anne;2026-2027;ecole;600;;;;;;;
OGEC Mauvais;2026-2027;École;600;;A:0:400|B:9000:600|C:8000:900;;;;;
OGEC Saint-Luc;;Lycée;1000;;;;;;;0,25
"""


@pytest.mark.slow
def test_a_bad_row_is_named_by_its_line_and_the_others_are_written(tmp_path, base_json):
    schools = write(tmp_path / "schools.csv", SCHOOLS)
    result = batch(schools, base_json, tmp_path / "out", workers=1)

    assert [r.line for r in result.written] == [2, 3, 5]
    [bad] = result.failed
    assert bad.line == 4 and bad.structure == "OGEC Mauvais" and bad.file is None
    text = " ".join(str(p) for p in bad.problems)
    assert "ligne 4, colonne tranches_1" in text and "strictement croissantes" in text
    assert result.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "out").glob("*.xlsx")) == [
        "ogec-saint-luc_2026-2027.xlsx",
        "ogec-saint-paul_2026-2027.xlsx",
        "ogec-sainte-anne_2026-2027.xlsx",
    ]

    index = read_index(tmp_path / "out")
    assert list(index["line"]) == ["2", "3", "4", "5"]
    assert list(index["status"]) == ["written", "written", "error", "written"]
    assert "ligne 4, colonne tranches_1" in index.loc[2, "message"]
    assert index.loc[0, "file"] == "ogec-saint-paul_2026-2027.xlsx"


@pytest.mark.slow
def test_each_workbook_holds_its_row_with_the_base_as_default(tmp_path, base_json):
    schools = write(tmp_path / "schools.csv", SCHOOLS)
    result = batch(schools, base_json, tmp_path / "out", workers=2)
    base = make_sample(5)
    by_line = {r.line: read_workbook(r.file) for r in result.written}

    paul = by_line[2].scenario
    assert paul is not None and paul.families == ()
    assert (paul.structure, paul.year, [g.name for g in paul.grids]) == (
        "OGEC Saint-Paul",
        "2026-2027",
        ["École", "Collège"],
    )
    assert paul.grids[0].tranches == (Tranche("A", 0, 400), Tranche("B", 7000, 600), Tranche("C", 12000, 850.5))
    assert (paul.grids[0].old_tariff, paul.grids[0].budget_target) == (650, 120000)
    # A blank tranches_2: the base grid of the same name gives the brackets; never its target.
    assert paul.grids[1].tranches == base.grids[1].tranches
    assert (paul.grids[1].old_tariff, paul.grids[1].budget_target) == (850, None)
    assert paul.sibling_rates == (0.1,) + base.sibling_rates[1:]
    assert paul.indicator == base.indicator

    # "ecole" matches the base's "École" (case and accents ignored), the name stays as typed.
    anne = by_line[3].scenario
    assert anne.grids[0].name == "ecole" and anne.grids[0].tranches == base.grids[0].tranches

    # No base grid named Lycée... in fact the sample has one: brackets come from it.
    luc = by_line[5].scenario
    assert luc.year == base.year and luc.sibling_rates[0] == 0.25
    assert luc.grids[0].tranches == base.grids[2].tranches


def test_without_base_a_grid_without_brackets_gets_blank_tranche_lines(tmp_path):
    schools = write(tmp_path / "s.csv", "structure,grid_1,grid_2\nOGEC Vierge,Primaire,Secondaire\n")
    result = batch(schools, None, tmp_path / "out", workers=1)
    assert result.exit_code == 0
    read = read_workbook(result.written[0].file)
    assert read.scenario is None  # the bursar still has to type the brackets
    assert {p.message for p in read.errors} == {"la grille n'a aucune tranche"}
    assert read.layout.n_grids == 2


@pytest.mark.slow
def test_unsafe_structure_names_give_safe_unique_file_names(tmp_path):
    names = [
        "../../etc",
        "Saint-Jean / Collège",
        "École Notre-Dame",
        "ÉCOLE NOTRE-DAME",
        "école notre-dame",
        ".cache",
        "..",
        "CON",
        "Œuvre de l'Enfance",
        "<>|*?",
        "C:\\Windows\\system32",
        "x" * 300,
        "Lycée\u00a0Saint-Exupéry\n(annexe)",
    ]
    lines = "structure;grid_1;tranches_1\n" + "".join(f'"{n}";École;A:0:100\n' for n in names)
    out = tmp_path / "deep" / "out"
    result = batch(write(tmp_path / "s.csv", lines), None, out, workers=1)

    assert result.exit_code == 0 and len(result.written) == len(names)
    files = [r.file for r in result.written]
    assert len({f.name.casefold() for f in files}) == len(files)
    for f in files:
        assert f.parent == out and f.resolve().parent == out.resolve()
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*\.xlsx", f.name), f.name
        assert len(f.name) <= 65 and f.exists()
    assert [f.name for f in files[:8]] == [
        "etc.xlsx",
        "saint-jean-college.xlsx",
        "ecole-notre-dame.xlsx",
        "ecole-notre-dame-2.xlsx",
        "ecole-notre-dame-3.xlsx",
        "cache.xlsx",
        "etablissement.xlsx",
        "con-etablissement.xlsx",
    ]
    assert files[8].name == "oeuvre-de-l-enfance.xlsx"
    assert not (tmp_path / "etc").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["deep", "s.csv"]


def test_safe_stem():
    assert safe_stem("Saint-Jean / Collège") == "saint-jean-college"
    assert safe_stem("../../etc") == "etc"
    assert safe_stem("...") == "etablissement"
    assert safe_stem("nul") == "nul-etablissement"
    assert len(safe_stem("a b " * 100)) <= 60 and not safe_stem("a b " * 100).endswith("-")


def test_an_existing_workbook_is_never_replaced(tmp_path):
    schools = write(tmp_path / "s.csv", "structure;grid_1;tranches_1\nOGEC A;École;A:0:100\nOGEC B;École;A:0:100\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "ogec-a.xlsx").write_bytes(b"deja rempli")
    result = batch(schools, None, out, workers=1)
    assert (out / "ogec-a.xlsx").read_bytes() == b"deja rempli"
    # Kept, not an error: running an interrupted lot again finishes it (issue 20).
    assert [r.line for r in result.kept] == [2] and not result.failed and result.exit_code == 0
    assert [r.file.name for r in result.written] == ["ogec-b.xlsx"]
    index = (out / "index.csv").read_text(encoding="utf-8-sig")
    assert "ogec-a.xlsx;kept" in index and "ogec-b.xlsx;written" in index


def test_french_exports_are_read(tmp_path):
    text = (
        "Structure\tYear\tGrid_1\tOld_Tariff_1\tBudget_Target_1\tTranches_1\tRate_2\r\n"
        'OGEC Été\t2026\tÉcole\t1 234,50 €\t"98 000"\tA : 0 : 300 | B : 10 000 : 700\t5 %\r\n'
    )
    schools = tmp_path / "s.csv"
    schools.write_bytes(text.encode("cp1252"))
    result = batch(schools, None, tmp_path / "out", workers=1)
    s = read_workbook(result.written[0].file).scenario
    assert (s.structure, s.grids[0].old_tariff, s.grids[0].budget_target) == ("OGEC Été", 1234.5, 98000)
    assert s.grids[0].tranches == (Tranche("A", 0, 300), Tranche("B", 10000, 700))
    assert s.sibling_rates[0] == pytest.approx(0.05)


@pytest.mark.parametrize(
    "cell, message",
    [
        ("A:0", "nom:borne:montant attendu"),
        ("A:0:abc", "nombre illisible"),
        ("A:100:300", "borne inférieure de la première tranche doit être 0"),
        ("A:0:-5", "montant ne peut pas être négatif"),
    ],
)
def test_bad_brackets_are_reported_with_line_and_column(tmp_path, cell, message):
    schools = write(tmp_path / "s.csv", f"structure;grid_1;tranches_1\nOK;École;A:0:1\nX;École;{cell}\n")
    result = batch(schools, None, tmp_path / "out", workers=1)
    [bad] = result.failed
    assert bad.line == 3 and any("ligne 3, colonne tranches_1" in str(p) and message in str(p) for p in bad.problems), (
        bad.problems
    )


def test_other_bad_rows(tmp_path):
    schools = write(
        tmp_path / "s.csv",
        "structure;grid_1;grid_2;rate_2;old_tariff_1\n"
        ";École;;;\n"  # no name
        "A;;Collège;;\n"  # a gap in the grids
        "B;École;;1,5;\n"  # rate above 1
        "C;École;;;-3\n"  # negative tariff
        "D;École;;;;extra\n",
    )  # a value beyond the header
    result = batch(schools, None, tmp_path / "out", workers=1)
    problems = {r.line: " ".join(str(p) for p in r.problems) for r in result.failed}
    assert "ligne 2, colonne structure" in problems[2]
    assert "ligne 3, colonne grid_1" in problems[3]
    assert "ligne 4, colonne rate_2" in problems[4]
    assert "ligne 5, colonne old_tariff_1" in problems[5]
    assert "6 valeurs pour 5 colonnes" in problems[6]
    assert result.written == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "fichier vide"),
        ("structure;grid_1\n", "aucun établissement"),
        ("name;grid_1\nA;École\n", "colonne structure"),
        ("structure;grid_1;tarif\nA;École;3\n", "colonne inconnue"),
        ("structure;Structure\nA;B\n", "colonne en double"),
    ],
)
def test_an_unusable_csv_writes_nothing(tmp_path, text, message):
    schools = write(tmp_path / "s.csv", text)
    with pytest.raises(InputError) as exc:
        batch(schools, None, tmp_path / "out", workers=1)
    assert message in str(exc.value)
    assert not (tmp_path / "out").exists()


def test_a_rule_problem_is_placed_by_its_data_not_by_its_text(tmp_path):
    """A grid named like a tranche ("..., tranche ...") does not send its old
    tariff's problem to the tranches column."""
    schools = write(tmp_path / "s.csv", "structure;grid_1;old_tariff_1\nOGEC A;Cycle 3, tranche unique;-600\n")
    [row] = batch(schools, None, tmp_path / "out", workers=1).failed
    assert [(p.where, p.message, p.line) for p in row.problems] == [
        ("ligne 2, colonne old_tariff_1", "ne peut pas être négatif", 2)
    ]


def test_the_index_never_writes_over_an_input(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    schools = write(out / INDEX_NAME, SCHOOLS)
    with pytest.raises(InputError) as exc:
        batch(schools, None, out, workers=1)
    assert "refus d'écraser un fichier d'entrée" in str(exc.value) and "autre dossier de sortie" in str(exc.value)
    assert schools.read_text(encoding="utf-8") == SCHOOLS and list(out.iterdir()) == [schools]


@pytest.mark.slow
def test_cli_exit_codes_and_messages(tmp_path, base_json, capsys):
    schools = write(tmp_path / "schools.csv", SCHOOLS)
    assert run_cli(["batch", str(schools), "--base", str(base_json), "-o", str(tmp_path / "out"), "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "3 classeur(s) écrit(s)" in out
    assert "ligne 4, colonne tranches_1" in err and "famille(s) du scénario de base sont ignorées" in err
    assert "\r" not in err  # no progress line: not a terminal

    good = write(tmp_path / "good.csv", "structure;grid_1;tranches_1\nA;École;A:0:1\n")
    assert run_cli(["batch", str(good), "-o", str(tmp_path / "out2")]) == 0

    bad = write(tmp_path / "bad.csv", "nom;grille\nA;B\n")
    assert run_cli(["batch", str(bad), "-o", str(tmp_path / "out3")]) == 2
    assert "colonne structure" in capsys.readouterr().err
    assert not (tmp_path / "out3").exists()


def test_base_families_are_not_copied(tmp_path, base_json):
    schools = write(tmp_path / "s.csv", "structure\nOGEC Base\n")
    result = batch(schools, base_json, tmp_path / "out", workers=1)
    read = read_workbook(result.written[0].file)
    assert read.family_rows == {}
    assert [g.name for g in read.scenario.grids] == [g.name for g in make_sample(5).grids]
    assert all(g.old_tariff is None and g.budget_target is None for g in read.scenario.grids)
    assert json.loads(base_json.read_text())["families"]  # the base itself is untouched
