"""The gate hands the parts it inflated to the parser (``keep_parts``): the
parse reads them instead of inflating the package a second time, gives the
same workbook and the same errors, and the bytes are not kept beyond it."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from hostile_files import cell_beyond_the_sheet, encrypted, malformed_sheet, text_in_number_cell
from test_sheet_regex import snapshot

import workbook_engine.safety.gate as gate
from workbook_engine.evaluator import UnreadableWorkbook, parse_workbook
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.problems import InputError
from workbook_engine.safety.gate import inspect_workbook
from workbook_engine.workbook.file import open_workbook_file
from workbook_engine.workbook.generate import generate_workbook

PASSWORD = "mot de passe"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    s = load_sample()
    path = tmp_path_factory.mktemp("parts") / "ecole.xlsx"
    generate_workbook(replace(s, families=s.families[:12]), path, capacity=40)
    return path


@pytest.fixture
def inflated(monkeypatch) -> list[str]:
    """The zip members opened (to be inflated) from now on."""
    names: list[str] = []
    real = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        names.append(name if isinstance(name, str) else name.filename)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def test_the_gate_keeps_every_part_only_when_asked_and_small_enough(base, monkeypatch):
    assert inspect_workbook(base, keep_parts=True).contents == members(base)
    assert inspect_workbook(base).contents is None
    monkeypatch.setattr(gate, "KEEP_PARTS_BYTES", sum(map(len, members(base).values())) - 1)
    assert inspect_workbook(base, keep_parts=True).contents is None  # inflated twice, not held


def test_parsing_the_kept_parts_inflates_nothing_and_gives_the_same_workbook(base, inflated, monkeypatch):
    safe = inspect_workbook(base, keep_parts=True)
    inflated.clear()
    with monkeypatch.context() as m:
        m.setattr("test_sheet_regex.parse_workbook", lambda path: parse_workbook(path, safe.contents))
        from_parts = snapshot(base)
    assert inflated == []
    assert from_parts == snapshot(base)
    assert any(name.startswith("xl/worksheets/") for name in inflated)  # the plain parse inflates the sheets


def test_open_workbook_file_inflates_each_part_once_and_keeps_no_bytes(base, inflated):
    wf = open_workbook_file(base)
    assert sorted(inflated) == sorted(members(base))
    assert wf.safe.contents is None
    assert wf.value_at("Familles", 3, 0) == parse_workbook(base).book[wf._index["Familles"]].value(3, 0)


def test_an_encrypted_workbook_is_parsed_from_its_kept_parts(base, tmp_path, inflated):
    path = encrypted(base, tmp_path / "chiffre.xlsx", PASSWORD)
    inflated.clear()
    wf = open_workbook_file(path, PASSWORD)
    assert sorted(inflated) == sorted(members(base))  # each once, by the gate
    assert wf.sheet_names == open_workbook_file(base).sheet_names


@pytest.mark.parametrize("bad", [malformed_sheet, text_in_number_cell, cell_beyond_the_sheet])
def test_the_reader_refuses_the_kept_parts_with_the_same_message(base, tmp_path, bad):
    path = bad(base, tmp_path / "abime.xlsx")
    safe = inspect_workbook(path, keep_parts=True)
    assert safe.contents is not None
    with pytest.raises(UnreadableWorkbook) as from_file:
        parse_workbook(path)
    with pytest.raises(UnreadableWorkbook) as from_parts, safe.open() as fh:
        parse_workbook(fh, safe.contents)
    assert str(from_parts.value) == str(from_file.value)
    with pytest.raises(InputError):
        open_workbook_file(path)
