"""Issue 21: generate and merge refuse, before writing, a workbook the
safety gate would refuse; the estimate they use is close to the real size."""

from __future__ import annotations

import zipfile

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import make_sample
from workbook_engine.model.limits import MAX_SHEET_PART_BYTES
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import build_layout
from workbook_engine.workbook.size import estimate


def test_the_estimate_is_the_families_sheet_give_or_take_fifteen_percent(tmp_path):
    scenario = make_sample(300)
    path = tmp_path / "w.xlsx"
    generate_workbook(scenario, path, capacity=300)
    with zipfile.ZipFile(path) as z:
        biggest = max(i.file_size for i in z.infolist())  # the families sheet
    guess = estimate(layout_for(scenario, capacity=300)).sheet_bytes
    assert biggest <= guess <= 1.15 * biggest, (biggest, guess)


def test_thirty_grids_fit_the_gate_up_to_fifteen_thousand_families():
    # Issue 21 asked for the merge of ten 3-grid schools of 2,000 families
    # (30 grids x 20,000). The rank formula no longer grows as grids², but
    # version 3's comparison with last year (three columns per grid) puts
    # that merge just over the part cap again: it is refused before writing
    # (next test), and 15,000 families at 30 grids fit.
    assert estimate(build_layout(30, capacity=15_000)).sheet_bytes < MAX_SHEET_PART_BYTES
    assert estimate(build_layout(30, capacity=20_000)).sheet_bytes > MAX_SHEET_PART_BYTES


def test_generate_refuses_a_workbook_too_large_to_read_back_before_writing(tmp_path, capsys):
    out = tmp_path / "grand.xlsx"
    assert main(["generate", "--grids", "30", "--capacity", "30000", "-o", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "grand.xlsx" in err and "trop grand pour être relu" in err and "30 grilles" in err


def test_merge_refuses_before_writing_what_the_gate_would_refuse(tmp_path, monkeypatch, capsys):
    import dataclasses

    from workbook_engine.workbook import size

    paths = []
    for i in range(2):
        s = make_sample(20, seed=i)
        s = dataclasses.replace(s, families=tuple(dataclasses.replace(f, id=f"E{i}-{f.id}") for f in s.families))
        paths.append(tmp_path / f"e{i}.xlsx")
        generate_workbook(s, paths[-1], capacity=20)
    monkeypatch.setattr(size, "MAX_SHEET_PART_BYTES", 100_000)  # a small cap: the merge exceeds it
    out = tmp_path / "fusion.xlsx"
    assert main(["merge", *map(str, paths), "-o", str(out)]) == 2
    assert not out.exists()
    assert "fusion.xlsx : classeur non écrit" in capsys.readouterr().err
