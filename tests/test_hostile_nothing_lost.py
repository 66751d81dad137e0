"""Nothing lost: no command writes over its input; every written file goes
through a temporary file and an atomic rename, so an interrupted run leaves
the previous output untouched and no temporary file behind; ``read`` then
``generate`` keeps every family, input and grid of a bursar-edited workbook,
including what the reader tolerates (blank rows between families, families
below the last formula row, numbers typed as text).
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter.workbook
from openpyxl.comments import Comment

from workbook_engine.cli.main import main
from workbook_engine.federation.anonymize import anonymize
from workbook_engine.formats.sample import load_sample
from workbook_engine.formats.scenario_json import dumps_scenario, load_scenario_json
from workbook_engine.model.domain import Family
from workbook_engine.model.problems import InputError, UsageError
from workbook_engine.workbook import writer
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import SHEET_FAMILIES
from workbook_engine.workbook.reader import read_workbook

KEY = b"cle-secrete-de-la-federation-2026"
CAPACITY = 400  # room for the 320 sample families and some more, quicker than 2,000


def quiet(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("lost")
    s = load_sample()
    small = replace(s, families=s.families[:30])
    (d / "s.json").write_text(dumps_scenario(small), encoding="utf-8")
    (d / "f.csv").write_text("id;rfr_1;parts;pupils_g1;pupils_g2;pupils_g3\nX1;30000;2;1;0;0\n", encoding="utf-8")
    generate_workbook(small, d / "a.xlsx", capacity=40)
    generate_workbook(small, d / "b.xlsx", capacity=40)
    return {"json": d / "s.json", "csv": d / "f.csv", "a": d / "a.xlsx", "b": d / "b.xlsx", "dir": d}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# ---------------------------------------------------------------------------
# Never over an input
# ---------------------------------------------------------------------------


def test_no_command_writes_over_its_input(files, tmp_path):
    d = files["dir"]
    before = snapshot(d)
    link = d / "lien.xlsx"
    link.symlink_to(files["a"])
    try:
        for argv in (
            ["generate", str(files["json"]), "-o", str(files["json"])],
            ["generate", str(files["json"]), "--families", str(files["csv"]), "-o", str(files["csv"])],
            ["read", str(files["a"]), "-o", str(files["a"])],
            ["read", str(files["a"]), "-o", str(link)],
            ["merge", str(files["a"]), str(files["b"]), "-o", str(files["b"])],
            ["merge", str(files["a"]), str(files["b"]), "-o", str(link)],
        ):
            assert quiet(argv) == 2, argv
        with pytest.raises(InputError):
            anonymize(files["a"], files["a"], KEY)
        with pytest.raises(InputError):
            anonymize(files["a"], link, KEY)
    finally:
        link.unlink()
    assert snapshot(d) == before
    assert not list(d.glob(".~*"))


# ---------------------------------------------------------------------------
# Interrupted writes
# ---------------------------------------------------------------------------


def _disk_full(self, *args, **kwargs):
    """xlsxwriter's close, failing after half a file is written."""
    Path(self.filename).write_bytes(b"PK\x03\x04 half a workbook")
    raise OSError(28, "No space left on device", str(self.filename))


def _ctrl_c(*args, **kwargs):
    raise KeyboardInterrupt


WRITES = {
    "generate": lambda f, out: ["generate", str(f["json"]), "-o", str(out)],
    "merge": lambda f, out: ["merge", str(f["a"]), str(f["b"]), "-o", str(out)],
    "anonymize": None,  # the library function (the CLI is wired by the lead)
}


@pytest.mark.slow
@pytest.mark.parametrize("interruption", ["disk full in xlsxwriter", "Ctrl-C while writing sheets"])
@pytest.mark.parametrize("command", list(WRITES))
def test_an_interrupted_write_leaves_the_previous_output_and_no_temporary_file(
    files, tmp_path, monkeypatch, command, interruption
):
    out = tmp_path / "resultat.xlsx"
    previous = b"the previous result, to keep"
    out.write_bytes(previous)
    if interruption.startswith("disk"):
        monkeypatch.setattr(xlsxwriter.workbook.Workbook, "close", _disk_full)
    else:
        monkeypatch.setattr(writer, "write_families", _ctrl_c)
    with contextlib.ExitStack() as stack:
        if WRITES[command] is None:  # the library: the interruption, or a disk full told in French
            stack.enter_context(pytest.raises(KeyboardInterrupt if interruption.startswith("Ctrl") else UsageError))
            anonymize(files["a"], out, KEY)
        else:  # the command line: one line, no traceback; exit 2 (disk full) or 130 (Ctrl-C)
            assert quiet(WRITES[command](files, out)) == (130 if interruption.startswith("Ctrl") else 2)
    assert out.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resultat.xlsx"]


def test_an_interrupted_split_leaves_no_temporary_file(files, tmp_path, monkeypatch):
    out = tmp_path / "parts"
    out.mkdir()
    (out / "a_grilles_1.xlsx").write_bytes(b"previous")
    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "close", _disk_full)
    assert quiet(["split", str(files["a"]), "--grids", "1", "--grids", "2,3", "-o", str(out)]) == 2
    assert snapshot(out) == {"a_grilles_1.xlsx": b"previous"}


def test_an_interrupted_read_output_leaves_the_previous_json(files, tmp_path, monkeypatch):
    out = tmp_path / "s.json"
    out.write_text("{}", encoding="utf-8")
    real = pathlib.Path.write_text

    def half(self, text, *args, **kwargs):
        real(self, text[: len(text) // 2], *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(pathlib.Path, "write_text", half)
    assert main(["read", str(files["a"]), "-o", str(out)]) == 130  # one line, no traceback (issue 20)
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == "{}"
    assert sorted(os.listdir(tmp_path)) == ["s.json"]


# ---------------------------------------------------------------------------
# read then generate keeps everything of a bursar-edited workbook
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_read_then_generate_keeps_every_family_input_and_grid(tmp_path):
    s = load_sample()
    src = tmp_path / "classeur.xlsx"
    generate_workbook(s, src, capacity=CAPACITY)
    layout = layout_for(s, capacity=CAPACITY)
    col = {k: c.letter for k, c in layout.column.items()}
    inputs = [c.key for c in layout.input_columns]
    row = {f.id: layout.first_row + 1 + i for i, f in enumerate(s.families)}  # Excel rows
    last = layout.first_row + len(s.families)  # Excel row of the last family

    # Edited as a bursar would, with openpyxl (which keeps formulas, drops cached values).
    wb = openpyxl.load_workbook(src)
    ws = wb[SHEET_FAMILIES]
    moved = s.families[10]
    values = {k: ws[f"{col[k]}{row[moved.id]}"].value for k in inputs}
    for k in inputs:  # blank its row: a hole between families
        ws[f"{col[k]}{row[moved.id]}"] = None
    for k, v in values.items():  # typed again three rows below the last family: more blank rows
        ws[f"{col[k]}{last + 3}"] = v
    f3, f4 = s.families[3], s.families[4]
    ws[f"{col['rfr_1']}{row[f3.id]}"] = "35 000"  # a number typed as text
    ws[f"{col['rfr_2']}{row[f3.id]}"] = "1 200,50 €"
    ws[f"{col['notice']}{row[f4.id]}"] = "O"  # yes, the bursar's way
    ws[f"{col['pupils_g1']}{row[f4.id]}"] = "2"
    ws[f"{col['id']}{row[f4.id]}"].comment = Comment("Famille suivie par l'assistante sociale", "Économe")
    below = layout.last_row + 1 + 4  # Excel row under the last formula row
    new = {
        "id": "NOUVELLE-1",
        "rfr_1": "42 500,50",
        "parts": "2,5",
        "notice": "oui",
        "pupils_g1": 2,
        "pupils_g2": "1",
        "other_enrolled": 1,
    }
    for k, v in new.items():
        ws[f"{col[k]}{below}"] = v
    edited = tmp_path / "edite.xlsx"
    wb.save(edited)

    expected_families = (
        [
            replace(f3, rfr_1=35000.0, rfr_2=1200.5)
            if f is f3
            else replace(f4, notice=True, pupils=(2,) + f4.pupils[1:])
            if f is f4
            else f
            for f in s.families
            if f is not moved
        ]
        + [moved]
        + [Family(id="NOUVELLE-1", pupils=(2, 1, 0), rfr_1=42500.5, parts=2.5, notice=True, other_enrolled=1)]
    )
    expected = replace(s, families=tuple(expected_families))

    read = read_workbook(edited)
    assert read.errors == []
    assert read.below_formulas == {"NOUVELLE-1": below - 1}
    assert read.scenario == expected

    scenario_json, regenerated = tmp_path / "s.json", tmp_path / "regenere.xlsx"
    assert quiet(["read", str(edited), "-o", str(scenario_json)]) == 1  # written, with warnings (exit 1)
    assert load_scenario_json(scenario_json) == expected
    assert quiet(["generate", str(scenario_json), "-o", str(regenerated)]) == 0
    again = read_workbook(regenerated)
    assert again.problems == [] and again.below_formulas == {}
    assert again.scenario == expected  # every family, input, grid and parameter
    assert quiet(["check", str(regenerated)]) == 0
