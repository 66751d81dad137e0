"""``collect``: the federation's network report from the workbooks bursars
filled, with aggregates only.

The scene: ``batch`` prepares four schools' workbooks, bursars fill them as
they would (openpyxl writes the family rows, which drops every cached value;
some files are then re-saved by LibreOffice), and a few stray files land in
the folder. ``collect`` must give, per workbook, the numbers of the
workbook's own formulas, which must equal the model of its inputs.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from federation_support import run_cli
from libreoffice_recalc import recalculate, soffice

from workbook_engine.evaluator import evaluate_workbook
from workbook_engine.federation.batch import batch
from workbook_engine.federation.collect import collect, collect_network, safe_finding
from workbook_engine.federation.network_report import write_network_report
from workbook_engine.federation.parallel import progress_bar, run_parallel, show_progress
from workbook_engine.formats.sample import make_sample
from workbook_engine.formats.scenario_json import dumps_scenario
from workbook_engine.model.results import money
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.binding import family_row
from workbook_engine.workbook.check import Finding
from workbook_engine.workbook.layout import SHEET_FAMILIES
from workbook_engine.workbook.reader import read_workbook

ODD_INCOME = "123457,89"  # an income typed as text (decimal comma): the reader warns, quoting it; formulas read it


SCHOOLS = """\
structure;year;grid_1;old_tariff_1;budget_target_1;tranches_1;grid_2;old_tariff_2;budget_target_2;grid_3;old_tariff_3;rate_2
OGEC Saint-Joseph;2026-2027;École;650;60000;;Collège;850;50000;Lycée;1000;
OGEC Sainte-Marie;2026-2027;École;600;;A:0:380|B:7000:600|C:11000:820|D:16000:990;Collège;800;;;;5 %
OGEC Saint-Pierre;2026-2027;École;700;20000;A:0:500|B:9000:700;;;;;;0
OGEC Sainte-Claire;2026-2027;Primaire;640;;A:0:450|B:8000:640|C:14000:800;;;;;;
"""
SIZES = (30, 40, 15, 25)


@dataclass
class Scene:
    folder: Path
    schools: list[Path]  # the four filled workbooks, in file-name order
    stray: dict[str, Path]  # name -> broken or foreign file
    family_ids: list[str]


def fill(path: Path, families, odd_income: bool = False) -> None:
    """Type families into a workbook as a bursar would (openpyxl: no cached values left)."""
    layout = read_workbook(path).layout
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_FAMILIES]
    for i, f in enumerate(families):
        values = family_row(f)  # the writer's own binding of a family to its cells
        if odd_income and i == 0:
            values["rfr_1"] = ODD_INCOME
        for key, value in values.items():
            ws.cell(row=layout.first_row + i + 1, column=layout.column[key].col + 1, value=value)
    wb.save(path)


def families_for(k: int, n_grids: int):
    """The sample's families, with ids of this school and pupils in its grids only."""
    from dataclasses import replace

    out = []
    for i, f in enumerate(make_sample(SIZES[k], seed=100 + k).families):
        pupils = f.pupils[:n_grids]
        if sum(pupils) == 0:
            pupils = (1,) + pupils[1:]
        # Every school has at least one family without a tax notice.
        out.append(replace(f, id=f"ZQ{k}X{f.id[1:]}", pupils=pupils, notice=f.notice and i != 2))
    return out


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Scene:
    root = tmp_path_factory.mktemp("federation")
    (root / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    base = make_sample(1)
    (root / "base.json").write_text(dumps_scenario(base), encoding="utf-8")
    folder = root / "retours"
    result = batch(root / "schools.csv", root / "base.json", folder)
    assert result.exit_code == 0
    schools = [r.file for r in result.written]
    ids = []
    for k, path in enumerate(schools):
        fams = families_for(k, read_workbook(path).layout.n_grids)
        fill(path, fams, odd_income=k == 1)
        ids += [f.id for f in fams]
    # Some bursars open and save in LibreOffice; the others' files hold no computed value.
    if soffice() is not None:
        for out in recalculate(schools[::2], root / "lo"):
            shutil.copyfile(out, folder / out.name)

    stray = {
        "vide.xlsx": folder / "vide.xlsx",
        "notes.xlsx": folder / "notes.xlsx",
        "autre.xlsx": folder / "autre.xlsx",
    }
    stray["vide.xlsx"].write_bytes(b"")
    stray["notes.xlsx"].write_text("ceci n'est pas un classeur\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    wb.active.append(["Poste", "Montant"])
    wb.active.append(["Chauffage", 12000])
    wb.save(stray["autre.xlsx"])
    return Scene(folder, schools, stray, ids)


@pytest.fixture(scope="module")
def network(scene):
    paths = sorted(scene.folder.glob("*.xlsx"))
    return collect_network(paths, workers=2, root=scene.folder)


@pytest.mark.slow
def test_each_row_is_the_workbooks_own_results_and_equals_the_model(scene, network):
    rows = network.workbooks.set_index("file")
    for path in scene.schools:
        read = read_workbook(path)
        expected = simulate(read.scenario).to_json()
        row = rows.loc[path.name]
        t = expected["total"]
        assert row["status"] in ("ok", "findings"), row["first_finding"]
        assert (row["structure"], row["year"]) == (read.scenario.structure, read.scenario.year)
        assert row["grids"] == " | ".join(g.name for g in read.scenario.grids)
        for key in (
            "revenue",
            "old_revenue",
            "families",
            "families_pay_more",
            "families_unchanged",
            "families_pay_less",
        ):
            assert row[key] == t[key], (path.name, key)
        for key in ("budget_target", "gap", "change_pct"):
            assert (pd.isna(row[key]) and t[key] is None) or row[key] == t[key], (path.name, key)
        assert row["pupils"] == sum(g["pupils"] for g in expected["grids"])
        assert row["families_without_notice"] == sum(not f.notice for f in read.scenario.families) > 0
        amplitudes = [g["amplitude"] for g in expected["grids"] if g["amplitude"] is not None]
        assert row["amplitude_max"] == max(amplitudes)
        assert row["top_share_max"] == max(g["top_share"] for g in expected["grids"])

        grids = network.grids[network.grids["file"] == path.name]
        assert list(grids["grid_name"]) == [g["name"] for g in expected["grids"]]
        assert list(grids["revenue"]) == [g["revenue"] for g in expected["grids"]]
        assert list(grids["families_without_notice"]) == [g["families_without_notice"] for g in expected["grids"]]
        tranches = network.tranches[network.tranches["file"] == path.name]
        assert [(r.grid, r.label, r.families, r.pupils, r.revenue) for r in tranches.itertuples()] == [
            (g, t["label"], t["families"], t["pupils"], t["revenue"])
            for g, grid in enumerate(expected["grids"], start=1)
            for t in grid["tranches"]
        ]
        assert [(r.lower, r.amount) for r in tranches.itertuples()] == [
            (t.lower, t.amount) for grid in read.scenario.grids for t in grid.tranches
        ]


def test_network_totals_are_the_sums_of_the_workbooks(scene, network):
    expected = [simulate(read_workbook(p).scenario).to_json() for p in scene.schools]
    totals = network.totals
    assert totals["workbooks"] == 7 and totals["workbooks_unusable"] == 3
    assert totals["workbooks_ok"] + totals["workbooks_findings"] == 4
    assert totals["revenue"] == money(sum(e["total"]["revenue"] for e in expected))
    assert totals["old_revenue"] == money(sum(e["total"]["old_revenue"] for e in expected))
    with_target = [e["total"] for e in expected if e["total"]["budget_target"] is not None]
    assert len(with_target) == 2
    assert totals["budget_target"] == money(sum(t["budget_target"] for t in with_target))
    assert totals["gap"] == money(sum(t["gap"] for t in with_target))
    assert totals["families"] == sum(SIZES)
    assert totals["pupils"] == sum(g["pupils"] for e in expected for g in e["grids"])
    assert totals["families_pay_more"] + totals["families_unchanged"] + totals["families_pay_less"] == sum(SIZES)
    assert totals["change_pct"] == pytest.approx(totals["revenue"] / totals["old_revenue"] - 1, abs=1e-6)

    dist = network.distribution.set_index("label")
    assert list(dist.index[:3]) == ["A", "B", "C"]
    for label in dist.index:
        here = [t for e in expected for g in e["grids"] for t in g["tranches"] if t["label"] == label]
        assert dist.loc[label, "families"] == sum(t["families"] for t in here)
        assert dist.loc[label, "revenue"] == money(sum(t["revenue"] for t in here))


def test_broken_and_foreign_files_are_rows_not_failures(network):
    rows = network.workbooks.set_index("file")
    assert list(network.workbooks["file"]) == sorted(network.workbooks["file"])
    for name in ("vide.xlsx", "notes.xlsx", "autre.xlsx"):
        assert rows.loc[name, "status"] == "unusable"
        assert pd.isna(rows.loc[name, "revenue"]) and rows.loc[name, "structure"] == ""
    # The reader's own French reasons (their wording is the reader's business).
    assert "classeur Excel" in rows.loc["vide.xlsx", "first_finding"]
    assert "classeur Excel" in rows.loc["notes.xlsx", "first_finding"]
    assert "ne vient pas de workbook_engine" in rows.loc["autre.xlsx", "first_finding"]


def test_a_finding_about_a_family_is_reported_without_the_family(scene, network):
    row = network.workbooks.set_index("file").loc[scene.schools[1].name]
    assert row["status"] == "findings" and row["findings"] >= 1
    assert row["first_finding"].startswith(f"{SHEET_FAMILIES}!")
    assert "saisie d'une famille à vérifier" in row["first_finding"]
    assert "ZQ1X" not in row["first_finding"] and "123" not in row["first_finding"]


def test_safe_finding_keeps_grid_findings_and_hides_families():
    family = Finding(
        "inputs",
        "warning",
        "Familles!B5 (famille ZZ-7)",
        "rfr_1 : nombre saisi comme texte, lu comme 35000",
        None,
        "35 000",
    )
    assert safe_finding(family) == (
        "Familles!B5 : saisie d'une famille à vérifier (détail : workbook-engine check sur le classeur)"
    )
    moved = Finding("structure", "error", "Familles!U4, Familles!U5", "formule modifiée (Dû G1, famille ZZ-7)")
    assert "ZZ-7" not in safe_finding(moved) and safe_finding(moved).startswith("Familles!U4 :")
    grid = Finding("numbers", "error", "Grille 1!F5", "recettes (Grille 1)", 100.0, 90.0, "eur")
    assert safe_finding(grid) == str(grid)


def _every_text(path: Path) -> str:
    """All the text of a file; of every part for a workbook (a zip of XML)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_bytes().decode("utf-8-sig")


def test_cli_writes_the_report_and_the_csv_without_any_family_data(scene, network, tmp_path, capsys):
    report, table = tmp_path / "reseau.xlsx", tmp_path / "reseau.csv"
    code = run_cli(["collect", str(scene.folder), "-o", str(report), "--csv", str(table), "--jobs", "2"])
    out, err = capsys.readouterr()
    assert code == 1  # stray files are listed: findings, not a failure
    assert "7 classeur(s)" in out and "vide.xlsx : inutilisable" in out and "Rapport de réseau écrit" in out
    assert "\r" not in err

    for path in (report, table):
        text = _every_text(path)
        leaked = [fid for fid in scene.family_ids if fid in text]
        assert leaked == [], f"{path.name} holds family ids {leaked[:5]}"
        assert "123457" not in text and "457,89" not in text and "457.89" not in text

    frame = pd.read_csv(table, sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(frame["file"]) == sorted(p.name for p in scene.folder.glob("*.xlsx"))
    assert frame["revenue"].sum() == pytest.approx(network.totals["revenue"])

    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == ["Réseau", "Établissements", "Grilles", "Tranches"]
    ws = wb["Établissements"]
    assert ws.freeze_panes == "B2"
    assert [c.value for c in ws[1]][:4] == ["Fichier", "État", "Constats", "Premier constat"]
    revenue = [c.value for c in ws[1]].index("Recettes") + 1
    assert ws.cell(row=2, column=revenue).number_format == '#,##0.00 "€"'
    assert {ws.cell(row=r, column=2).value for r in range(2, 9)} == {"cohérent", "constats", "inutilisable"}
    with zipfile.ZipFile(report) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2
        xml = "".join(z.read(c).decode() for c in charts)
    assert "Évolution des recettes par établissement" in xml and "Répartition des familles par tranche" in xml


def test_the_report_is_deterministic(network, tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_network_report(network, first)
    write_network_report(network, second)
    assert first.read_bytes() == second.read_bytes()


def test_parallel_and_sequential_give_the_same_tables(scene, network):
    paths = sorted(scene.folder.glob("*.xlsx"))
    alone = collect_network(paths, workers=1, root=scene.folder)
    pd.testing.assert_frame_equal(alone.workbooks, network.workbooks)
    pd.testing.assert_frame_equal(alone.tranches, network.tranches)
    assert alone.totals == network.totals
    assert list(collect(paths, workers=2)["file"]) == [str(p) for p in paths]


CALLS: list[Path] = []


def counting_evaluation(path: Path):
    CALLS.append(path)
    ev = evaluate_workbook(path)
    return ev, list(ev.fallback_cells)


def test_each_workbook_is_evaluated_once(scene):
    CALLS.clear()
    collect_network(scene.schools + [scene.stray["autre.xlsx"]], evaluate=counting_evaluation, workers=1)
    assert CALLS == scene.schools  # once each, and never for a file that is no workbook of ours


def test_a_failing_evaluation_makes_one_unusable_row(scene):
    rows = collect(scene.schools[:2], evaluate=failing_evaluation, workers=1)
    assert list(rows["status"]) == ["unusable", "unusable"]
    assert rows.loc[0, "first_finding"] == (
        "calcul impossible (ZeroDivisionError) : lancez workbook-engine check sur le classeur"
    )


def test_a_workbook_whose_formulas_show_errors_is_one_unusable_row(scene, tmp_path):
    """ "123457.89" typed as text: a French spreadsheet's formulas (and the
    evaluator's, French by default) show #VALUE!: no figure can be collected."""
    broken = tmp_path / "erreur.xlsx"
    shutil.copyfile(scene.schools[3], broken)
    wb = openpyxl.load_workbook(broken)
    layout = read_workbook(broken).layout
    wb[SHEET_FAMILIES].cell(row=layout.first_row + 1, column=layout.column["rfr_1"].col + 1, value="123457.89")
    wb.save(broken)
    rows = collect([broken, scene.schools[2]], workers=1)
    assert list(rows["status"]) == ["unusable", "ok"]
    assert rows.loc[0, "first_finding"].startswith("le classeur affiche l'erreur #VALUE! dans ses résultats")
    assert "457" not in rows.loc[0, "first_finding"]


def failing_evaluation(path: Path):
    return 1 / 0


def test_the_report_is_refused_inside_the_collected_folder(scene, capsys):
    assert run_cli(["collect", str(scene.folder), "-o", str(scene.folder / "reseau.xlsx")]) == 2
    assert "hors du dossier collecté" in capsys.readouterr().err
    assert not (scene.folder / "reseau.xlsx").exists()
    assert run_cli(["collect", str(scene.schools[0]), "--csv", str(scene.schools[0])]) == 2
    assert "refus d'écraser" in capsys.readouterr().err


def test_nothing_to_collect(tmp_path, capsys):
    assert run_cli(["collect", str(tmp_path)]) == 2
    assert "aucun classeur" in capsys.readouterr().err


def test_progress_only_when_asked(capsys):
    stream = io.StringIO()
    with progress_bar("Classeurs lus", 3, True, stream) as bar:
        for _ in range(3):
            bar.update()
    shown = stream.getvalue()
    assert shown.startswith("\rClasseurs lus : 0/3 (0 %)") and shown.endswith("\n")
    assert "\rClasseurs lus : 3/3 (100 %)" in shown
    quiet = io.StringIO()
    with progress_bar("x", 3, False, quiet) as bar:
        bar.update()
    assert quiet.getvalue() == ""
    # --quiet, or stderr not a terminal (here: captured), means no bar at all.
    assert not show_progress(True) and not show_progress(False)
    assert run_parallel(abs, [-1, -2, 3], workers=1, label="x", progress=show_progress(False)) == [1, 2, 3]
    assert capsys.readouterr().err == ""


def test_an_encrypted_workbook_is_collected_with_its_password(scene, tmp_path):
    """--password reaches the worker processes (they do not share the
    command's context)."""
    from hostile_files import encrypted

    folder = tmp_path / "chiffres"
    folder.mkdir()
    encrypted(scene.schools[0], folder / "a_chiffre.xlsx", "secret")
    shutil.copyfile(scene.schools[1], folder / "b_clair.xlsx")
    plain = list(collect(scene.schools[:2], workers=1)["status"])
    for password, statuses in (("secret", plain), (None, ["unusable", plain[1]])):
        table = tmp_path / f"reseau_{password}.csv"
        code = run_cli(
            ["collect", str(folder), "--csv", str(table), "--jobs", "2", "--quiet"]
            + (["--password", password] if password else [])
        )
        frame = pd.read_csv(table, sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False, na_values=[""])
        assert list(frame["status"]) == statuses, frame["first_finding"].tolist()
        assert code == (0 if statuses == ["ok", "ok"] else 1)
    expected = simulate(read_workbook(scene.schools[0]).scenario).to_json()["total"]["revenue"]
    frame = pd.read_csv(tmp_path / "reseau_secret.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert frame.loc[0, "revenue"] == expected
