"""Pseudonymising a workbook before sharing it: stable keyed pseudonyms,
every number kept, free text dropped, the result still checks."""

from __future__ import annotations

import argparse
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from workbook_engine.cli.anonymize import register
from workbook_engine.federation.anonymize import (
    KEY_ENV,
    anonymize,
    pseudonym,
    pseudonymize,
)
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.problems import InputError
from workbook_engine.model.restructure import select_grids
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.check import check_workbook
from workbook_engine.workbook.generate import generate_workbook
from workbook_engine.workbook.layout import SHEET_FAMILIES
from workbook_engine.workbook.reader import load_workbook_scenario, read_workbook

KEY = b"cle-secrete-de-la-federation-2026"
CAPACITY = 400


def evaluation():
    """The checker's evaluator; the workbook's cached values when the
    evaluator package cannot be imported yet (then only the cached values,
    written by the engine, are compared with the model)."""
    try:
        import workbook_engine.evaluator  # noqa: F401

        return None
    except ImportError:
        from cached_cells import cached_values

        return lambda p: (cached_values(p), [])


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    """The sample workbook as a bursar left it: a comment, an author, a note
    typed beside the table."""
    d = tmp_path_factory.mktemp("anon")
    plain = d / "plain.xlsx"
    generate_workbook(load_sample(), plain, capacity=CAPACITY)
    wb = openpyxl.load_workbook(plain)
    ws = wb[SHEET_FAMILIES]
    ws["A5"].comment = Comment("Famille Martin : dossier de bourse en cours", "Mme Dupont")
    ws["ZZ5"] = "Martin, Jean : appeler le 06 00 00 00 00"  # a note beside the table
    wb.properties.creator = "Mme Dupont"
    wb.properties.lastModifiedBy = "Mme Dupont"
    path = d / "original.xlsx"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def anonymized(original, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("anon-out") / "anonyme.xlsx"
    assert anonymize(original, out, KEY) == len(load_sample().families)
    return out


def test_pseudonyms_are_stable_keyed_and_short():
    p = pseudonym("F0001", KEY)
    assert re.fullmatch(r"F-[A-Z2-7]{10}", p)
    assert pseudonym("F0001", KEY) == p
    assert pseudonym("F0002", KEY) != p
    assert pseudonym("F0001", b"une-autre-cle-tout-aussi-longue") != p
    assert pseudonym(" F0001", KEY) != p  # ids are taken exactly as read (the reader strips spaces)


def test_every_number_is_kept_and_every_id_replaced(anonymized):
    s = load_sample()
    got = load_workbook_scenario(anonymized)
    by_pseudonym = {pseudonym(f.id, KEY): f for f in s.families}
    assert {f.id for f in got.families} == set(by_pseudonym)
    for f in got.families:
        assert replace(f, id="") == replace(by_pseudonym[f.id], id="")
    assert [f.id for f in got.families] == sorted(f.id for f in got.families)  # the bursar's order is gone
    assert replace(got, families=()) == replace(s, families=())  # structure, year, grids, parameters
    assert simulate(got).to_json()["total"] == simulate(s).to_json()["total"]


def test_no_id_comment_author_or_note_is_left(anonymized):
    with zipfile.ZipFile(anonymized) as z:
        names = z.namelist()
        text = b"".join(z.read(n) for n in names).decode("utf-8", "replace")
    assert not [n for n in names if "comment" in n.lower() or "vml" in n.lower()]
    for word in ("Dupont", "Martin", "06 00 00 00 00"):
        assert word not in text
    assert not re.search(r"F0\d{3}", text)


def test_the_result_still_checks(anonymized):
    report = check_workbook(anonymized, evaluate=evaluation())
    assert report.exit_code == 0, report.format()


@pytest.mark.slow
def test_same_key_links_records_across_files_and_years(original, tmp_path):
    s = load_sample()
    next_year = replace(select_grids(s, [2, 3])[0], year="2027-2028")
    other = tmp_path / "autre.xlsx"
    generate_workbook(next_year, other)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    anonymize(original, a, KEY)
    anonymize(other, b, KEY)
    ids_a = {f.id for f in load_workbook_scenario(a).families}
    ids_b = {f.id for f in load_workbook_scenario(b).families}
    assert ids_b and ids_b <= ids_a
    c = tmp_path / "c.xlsx"
    anonymize(other, c, b"une-autre-cle-tout-aussi-longue")
    assert not ids_b & {f.id for f in load_workbook_scenario(c).families}


def test_keys_are_required_and_not_trivial(original, tmp_path):
    with pytest.raises(InputError) as exc:
        anonymize(original, tmp_path / "x.xlsx", b"1234")
    assert "clé trop courte" in str(exc.value)
    with pytest.raises(InputError):
        pseudonymize(load_sample(), b"")
    assert not (tmp_path / "x.xlsx").exists()


def test_a_workbook_with_errors_is_not_anonymized(tmp_path):
    path = tmp_path / "erreurs.xlsx"
    generate_workbook(load_sample(), path, capacity=CAPACITY)
    wb = openpyxl.load_workbook(path)
    wb[SHEET_FAMILIES]["B5"] = "trente mille"
    wb.save(path)
    assert read_workbook(path).errors
    with pytest.raises(InputError):
        anonymize(path, tmp_path / "out.xlsx", KEY)
    assert not (tmp_path / "out.xlsx").exists()


def cli(argv: list[str]) -> int:
    """The subcommand as cli.py will wire it (register + args.run)."""
    parser = argparse.ArgumentParser(prog="workbook-engine")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def test_command_line_key_from_option_or_environment(original, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(KEY_ENV, raising=False)
    out = tmp_path / "o.xlsx"
    with pytest.raises(InputError) as exc:
        cli(["anonymize", str(original), "-o", str(out)])
    assert "clé absente" in str(exc.value) and KEY_ENV in str(exc.value)
    assert cli(["anonymize", str(original), "-o", str(out), "--key", KEY.decode()]) == 0
    assert "Classeur pseudonymisé écrit" in capsys.readouterr().out
    first = out.read_bytes()
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    out2 = tmp_path / "o2.xlsx"
    assert cli(["anonymize", str(original), "-o", str(out2)]) == 0
    assert out2.read_bytes() == first  # same key, same file, byte for byte
