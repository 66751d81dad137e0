"""The reader makes a family of plain values at once (``_plain_family``):
reading a workbook with that shortcut or without it (every row cell by cell,
with its findings) gives the same scenario and the same problems, whatever
the bursar typed in the family rows."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import openpyxl
import pytest

from workbook_engine.formats.sample import make_sample
from workbook_engine.model.problems import InputError
from workbook_engine.workbook import reader as reader_module
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.reader import read_workbook

TYPED = [
    None,
    "",
    " ",
    0,
    1,
    2,
    3,
    -1,
    -0.0,
    0.5,
    1.5,
    2.25,
    35000,
    35000.5,
    1e12,
    1e13,
    "12",
    "12,5",
    " 3 ",
    "abc",
    "oui",
    "non",
    "Oui",
    "NON",
    " non",
    "peut-être",
    True,
    False,
    dt.date(2026, 9, 1),
    "=1+1",
    "=A1",
]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reader") / "source.xlsx"
    generate_workbook(make_sample(40, seed=3), path, capacity=60)
    return path


def read_both(path: Path, monkeypatch) -> tuple[object, object]:
    def outcome() -> object:
        try:
            read = read_workbook(path)
        except InputError as exc:
            return ("refused", [p.message for p in exc.problems])
        return (read.scenario, read.problems, read.family_rows)

    fast = outcome()
    with monkeypatch.context() as m:
        m.setattr(reader_module._Reader, "_plain_family", lambda self, fid, values: None)
        slow = outcome()
    return fast, slow


@pytest.mark.parametrize("seed", range(12))
def test_plain_rows_read_as_cell_by_cell(source, tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    layout = layout_for(make_sample(40, seed=3), capacity=60)
    wb = openpyxl.load_workbook(source)
    ws = wb[layout.families_sheet]
    keys = [c.key for c in layout.input_columns if c.key != "id"]
    for _ in range(0 if seed == 0 else 2 + seed % 5):  # few edits: most reads still make a scenario
        row = layout.first_row + rng.randrange(45)  # a few past the last family: new rows
        key = rng.choice(keys)
        cell = ws.cell(row=row + 1, column=layout.column[key].col + 1)
        cell.value = rng.choice(TYPED)
        if row >= layout.first_row + 40 and ws.cell(row=row + 1, column=layout.column["id"].col + 1).value is None:
            ws.cell(row=row + 1, column=layout.column["id"].col + 1).value = f"N{row}"
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    fast, slow = read_both(path, monkeypatch)
    assert fast == slow
    if seed == 0:
        assert fast[0] is not None and fast[1] == []


def test_the_shortcut_is_taken(source, monkeypatch):
    """The rows of a clean workbook are plain: none is read cell by cell."""
    calls: list[str] = []
    original = reader_module._Reader.family
    monkeypatch.setattr(
        reader_module._Reader, "family", lambda self, fid, refs: calls.append(fid) or original(self, fid, refs)
    )
    assert read_workbook(source).scenario is not None
    assert calls == []
