"""The headless evaluator on generated workbooks: from the formula text
alone it finds the model's numbers; bursars' edits, re-saved files (shared
formulas, no cached values, LibreOffice) and unreadable files."""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from cached_cells import cached_values
from hypothesis import HealthCheck, given, settings
from libreoffice_recalc import recalculate
from strategies import scenarios
from xlsxwriter.utility import xl_rowcol_to_cell

from workbook_engine.evaluator import ExcelError, UnreadableWorkbook, evaluate_workbook
from workbook_engine.evaluator.refs import cell_name
from workbook_engine.formats.sample import load_sample, make_sample
from workbook_engine.model.domain import Tranche
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import generate_workbook
from workbook_engine.workbook.layout import SHEET_FAMILIES, Ref
from workbook_engine.workbook.results import results_json_from_cells

CAPACITY = 24


def model_json(scenario):
    return simulate(scenario).to_json()


def formula_values(ev) -> dict:
    return {k: ev(Ref(*k)) for k in ev.formulas}


# ---------------------------------------------------------------------------
# Generated workbooks equal the model
# ---------------------------------------------------------------------------


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(scenarios(max_grids=5, max_families=CAPACITY))
def test_generated_workbooks_evaluate_to_the_model(tmp_path_factory, scenario):
    path = tmp_path_factory.mktemp("gen") / "s.xlsx"
    layout = generate_workbook(scenario, path, capacity=CAPACITY)
    ev = evaluate_workbook(path)
    assert results_json_from_cells(layout, ev) == model_json(scenario)
    assert ev.fallback_cells == [] and ev.circular_cells == []


@pytest.mark.slow
def test_full_sample_2000_rows_every_formula_cell(tmp_path, monkeypatch):
    """The 3-grid sample in a 2,000-row workbook: the results JSON, and every
    one of the ~56,000 formula cells equals the value the writer cached from
    the model; each family column is one vectorised run, each distinct
    formula parsed once."""
    import workbook_engine.evaluator.runs as runs_module

    parsed = []
    real_parse = runs_module.parse_cell_formula
    monkeypatch.setattr(runs_module, "parse_cell_formula", lambda *a: parsed.append(a[0]) or real_parse(*a))
    s = load_sample()
    path = tmp_path / "sample.xlsx"
    layout = generate_workbook(s, path, capacity=2000)
    ev = evaluate_workbook(path)
    assert len(parsed) == len({id(r.form) for r in ev.runs}) < 400
    assert results_json_from_cells(layout, ev) == model_json(s)
    cached = cached_values(path)
    got = formula_values(ev)
    assert len(got) > 55_000
    mismatches = {
        k: (v, cached(Ref(*k)))
        for k, v in got.items()
        if v != ("" if (c := cached(Ref(*k))) is None else (float(c) if type(c) is int else c))
    }
    assert mismatches == {}
    family_runs = [r for r in ev.runs if ev.book[r.sheet].name == SHEET_FAMILIES and r.size > 1]
    assert len(family_runs) == len(layout.formula_columns)
    assert all(r.size == 2000 for r in family_runs)


@pytest.mark.parametrize(
    "indicator, policy, scope, caf", [("rfr", "custom", "network", True), ("qf", "custom", "structure", False)]
)
def test_other_parameters(tmp_path, indicator, policy, scope, caf):
    s = replace(
        make_sample(60, seed=11),
        indicator=indicator,
        parts_policy=policy,
        sibling_scope=scope,
        include_caf_aid=caf,
        sibling_rates=(0.25, 0.35, 0.5),
    )
    layout = generate_workbook(s, tmp_path / "p.xlsx", capacity=80)
    ev = evaluate_workbook(tmp_path / "p.xlsx")
    assert results_json_from_cells(layout, ev) == model_json(s)


def test_dues_on_half_cents(tmp_path):
    s = load_sample()
    grid = replace(
        s.grids[0], tranches=(Tranche("A", 0.0, 271.465), Tranche("B", 8000.0, 100.05), Tranche("C", 15000.0, 2.675))
    )
    s = replace(s, grids=(grid,) + s.grids[1:], sibling_rates=(0.5, 0.35, 0.15))
    layout = generate_workbook(s, tmp_path / "h.xlsx", capacity=len(s.families))
    ev = evaluate_workbook(tmp_path / "h.xlsx")
    assert results_json_from_cells(layout, ev) == model_json(s)


# ---------------------------------------------------------------------------
# A bursar's edits
# ---------------------------------------------------------------------------


@pytest.fixture()
def small(tmp_path):
    s = make_sample(12, seed=5)
    path = tmp_path / "small.xlsx"
    layout = generate_workbook(s, path, capacity=20)
    return s, layout, path


def _edit(path: Path, out: Path, changes: dict[str, object]) -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_FAMILIES]
    for addr, value in changes.items():
        ws[addr] = value
    wb.save(out)
    return out


def test_an_edited_formula_changes_exactly_that_cell(small, tmp_path):
    s, layout, path = small
    due = layout.column["due_g3"]
    row = layout.first_row + 4
    addr = xl_rowcol_to_cell(row, due.col)
    old_text = due.formula(row + 1)
    assert old_text.endswith("))")
    new_text = "=" + old_text[:-1] + "+1)"  # IF(A8="","",ROUND(AG8*AI8,2)+1)
    edited = _edit(path, tmp_path / "edited.xlsx", {addr: new_text})

    before, after = evaluate_workbook(path), evaluate_workbook(edited)
    assert after.formulas[(SHEET_FAMILIES, row, due.col)] == new_text
    b, a = formula_values(before), formula_values(after)
    changed = {k for k in b if a[k] != b[k]}
    total = layout.column["total_due"].col
    change = layout.column["change"].col
    effort = layout.column["effort"].col
    assert (SHEET_FAMILIES, row, due.col) in changed
    assert a[(SHEET_FAMILIES, row, due.col)] == b[(SHEET_FAMILIES, row, due.col)] + 1
    assert a[(SHEET_FAMILIES, row, total)] == b[(SHEET_FAMILIES, row, total)] + 1
    # only this family's row and the grid/structure totals move
    family_cells = {k for k in changed if k[0] == SHEET_FAMILIES}
    assert family_cells <= {(SHEET_FAMILIES, row, c) for c in (due.col, total, change, effort)}
    assert all(k[0] != SHEET_FAMILIES for k in changed - family_cells)
    # the column is now three runs: rows above, the edited cell, rows below
    runs = sorted((r.r0, r.r1) for r in after.runs if r.col == due.col and after.book[r.sheet].name == SHEET_FAMILIES)
    assert runs == [(layout.first_row, row - 1), (row, row), (row + 1, layout.last_row)]


def test_a_constant_pasted_over_a_formula_is_used(small, tmp_path):
    s, layout, path = small
    due = layout.column["due_g1"].col
    row = layout.first_row + 2
    edited = _edit(path, tmp_path / "pasted.xlsx", {xl_rowcol_to_cell(row, due): 1234.56})
    before, after = evaluate_workbook(path), evaluate_workbook(edited)
    assert after(Ref(SHEET_FAMILIES, row, due)) == 1234.56
    assert (SHEET_FAMILIES, row, due) not in after.formulas
    total = layout.column["total_due"].col
    others = sum(before(Ref(SHEET_FAMILIES, row, layout.column[f"due_g{g}"].col)) for g in (2, 3))
    assert after(Ref(SHEET_FAMILIES, row, total)) == pytest.approx(1234.56 + others, abs=1e-9)
    rev = layout.grids[0].summary_cell("revenue").ref
    old = before(Ref(SHEET_FAMILIES, row, due))
    assert after(rev) == pytest.approx(before(rev) - old + 1234.56, abs=1e-6)


def test_an_unsupported_function_in_a_family_row(small, tmp_path):
    s, layout, path = small
    col = layout.column["effort"].col
    row = layout.first_row + 1
    income = xl_rowcol_to_cell(row, layout.column["income"].col)
    edited = _edit(path, tmp_path / "sqrt.xlsx", {xl_rowcol_to_cell(row, col): f"=LN({income}+1)"})
    ev = evaluate_workbook(edited)
    assert ev.fallback_cells == [f"{SHEET_FAMILIES}!{cell_name(row, col)}"]
    income_value = ev(Ref(SHEET_FAMILIES, row, layout.column["income"].col))
    assert ev(Ref(SHEET_FAMILIES, row, col)) == pytest.approx(math.log(income_value + 1))


# ---------------------------------------------------------------------------
# Re-saved files
# ---------------------------------------------------------------------------


def _as_shared_formulas(src: Path, dst: Path, ev) -> None:
    """Rewrite a generated file as Excel saves it: each column run becomes a
    shared formula (text on its first cell only), cached values dropped."""
    runs_by_sheet: dict[int, dict[tuple[int, int], tuple[int, str]]] = {}
    si = 0
    for run in ev.runs:
        if run.size < 2:
            continue
        cells = runs_by_sheet.setdefault(run.sheet, {})
        ref = f"{cell_name(run.r0, run.col)}:{cell_name(run.r1, run.col)}"
        for r in range(run.r0, run.r1 + 1):
            cells[(r, run.col)] = (si, ref if r == run.r0 else "")
        si += 1
    cell_re = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*)><f>(.*?)</f>(?:<v>.*?</v>)?</c>')
    from workbook_engine.evaluator.refs import col_index

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if m:
                cells = runs_by_sheet.get(int(m.group(1)) - 1, {})

                def sub(mm, cells=cells):
                    key = (int(mm.group(2)) - 1, col_index(mm.group(1)))
                    attrs = mm.group(3).replace(' t="str"', "")
                    head = f'<c r="{mm.group(1)}{mm.group(2)}"{attrs}>'
                    if key not in cells:
                        return f"{head}<f>{mm.group(4)}</f></c>"
                    k, ref = cells[key]
                    if ref:
                        return f'{head}<f t="shared" ref="{ref}" si="{k}">{mm.group(4)}</f></c>'
                    return f'{head}<f t="shared" si="{k}"/></c>'

                data = cell_re.sub(sub, data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)


def test_shared_formulas_without_cached_values(tmp_path):
    s = make_sample(30, seed=9)
    path = tmp_path / "plain.xlsx"
    layout = generate_workbook(s, path, capacity=40)
    ev = evaluate_workbook(path)
    shared = tmp_path / "shared.xlsx"
    _as_shared_formulas(path, shared, ev)
    assert b't="shared"' in zipfile.ZipFile(shared).read("xl/worksheets/sheet6.xml")
    ev2 = evaluate_workbook(shared)
    assert results_json_from_cells(layout, ev2) == model_json(s)
    assert formula_values(ev2) == formula_values(ev)
    # the formula text of every cell, as openpyxl expands shared formulas
    wb = openpyxl.load_workbook(shared)
    expanded = {
        (ws.title, c.row - 1, c.column - 1): c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    }
    assert ev2.formulas == expanded


def test_two_dimensional_shared_formula(tmp_path):
    """Excel shares one formula over a block of several columns too."""
    import xlsxwriter

    path = tmp_path / "block.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Bloc")
    for r in range(3):
        ws.write_number(r, 0, r + 1)
        ws.write_number(r, 1, 10 * (r + 1))
        ws.write_formula(r, 3, f"=A{r + 1}*2+$A$1")
        ws.write_formula(r, 4, f"=B{r + 1}*2+$A$1")
    wb.close()
    out = tmp_path / "block_shared.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(
                    r'<c r="D1"([^>]*)><f>[^<]*</f><v>[^<]*</v></c>',
                    r'<c r="D1"\1><f t="shared" ref="D1:E3" si="0">A1*2+$A$1</f></c>',
                    text,
                )
                text = re.sub(
                    r'<c r="([DE][123])"([^>]*)><f>[^<]*</f><v>[^<]*</v></c>',
                    r'<c r="\1"\2><f t="shared" si="0"/></c>',
                    text,
                )
                data = text.encode()
            zout.writestr(info, data)
    ev = evaluate_workbook(out)
    assert [[ev(Ref("Bloc", r, c)) for c in (3, 4)] for r in range(3)] == [[3.0, 21.0], [5.0, 41.0], [7.0, 61.0]]
    assert ev.formulas[("Bloc", 2, 4)] == "=B3*2+$A$1"
    wb2 = openpyxl.load_workbook(out)
    assert ev.formulas == {
        ("Bloc", c.row - 1, c.column - 1): c.value for row in wb2["Bloc"].iter_rows() for c in row if c.data_type == "f"
    }


def test_libreoffice_resaved_workbook_evaluates_identically(libreoffice, tmp_path):
    s = make_sample(40, seed=21)
    path = tmp_path / "orig.xlsx"
    layout = generate_workbook(s, path, capacity=60)
    resaved = recalculate([path], tmp_path / "lo")[0]
    ev, ev_lo = evaluate_workbook(path), evaluate_workbook(resaved)
    assert results_json_from_cells(layout, ev_lo) == model_json(s)
    assert formula_values(ev_lo) == formula_values(ev)
    assert ev_lo.fallback_cells == []
    # and it equals what LibreOffice itself computed
    lo_values = cached_values(resaved)
    assert results_json_from_cells(layout, lo_values) == results_json_from_cells(layout, ev_lo)


def test_renamed_sheets_and_inline_strings(tmp_path):
    """A file written by another tool: other sheet names, inline strings,
    no shared strings table, prefixed XML, cells without addresses."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        '<x:row r="1"><x:c t="inlineStr"><x:is><x:t>oui</x:t></x:is></x:c><x:c><x:v>2.5</x:v></x:c>'
        '<x:c><x:f>IF(A1="OUI",B1*2,0)</x:f></x:c></x:row>'
        '<x:row><x:c t="b"><x:v>1</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c>'
        '<x:c><x:f>IFERROR(B2,A2*7)&amp;"€"</x:f></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="book/wb.xml"/></Relationships>',
        )
        z.writestr(
            "book/wb.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Ma feuille" sheetId="1" r:id="rId7"/></sheets></workbook>',
        )
        z.writestr(
            "book/_rels/wb.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="/book/s/one.xml"/></Relationships>',
        )
        z.writestr("book/s/one.xml", sheet)
    ev = evaluate_workbook(path)
    assert ev.sheet_names == ["Ma feuille"]
    assert ev(Ref("Ma feuille", 0, 2)) == 5.0
    assert ev(Ref("Ma feuille", 1, 0)) is True
    assert isinstance(ev(Ref("Ma feuille", 1, 1)), ExcelError)
    assert ev(Ref("Ma feuille", 1, 2)) == "7€"


# ---------------------------------------------------------------------------
# unreadable files
# ---------------------------------------------------------------------------


def write_tiny(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write_number(0, 0, 1)
    ws.write_formula(0, 1, "=A1+1")
    wb.close()


@pytest.mark.parametrize(
    "content", [None, b"not a zip", "dir", b"PK\x05\x06" + b"\0" * 18, "nobook", "dtd", "badrels", "badsheet"]
)
def test_unreadable_files_raise_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.xlsx"
    if content == "dir":
        path.mkdir()
    elif content == "nobook":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("hello.txt", "bonjour")
    elif content == "dtd":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(
                "xl/workbook.xml",
                '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>'
                '<workbook><sheets><sheet name="&lol;" r:id="rId1"/></sheets></workbook>',
            )
    elif content in ("badrels", "badsheet"):
        good = tmp_path / "good.xlsx"
        write_tiny(good)
        with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if content == "badrels" and info.filename == "xl/_rels/workbook.xml.rels":
                    data = data[: len(data) // 2]
                if content == "badsheet" and info.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"</sheetData>", b"<c>")
                zout.writestr(info, data)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(UnreadableWorkbook) as info:
        evaluate_workbook(path)
    assert isinstance(info.value, ValueError)
    assert str(path.name) in str(info.value)


def test_a_column_of_unsupported_formulas_is_compiled_once(small, tmp_path):
    """A whole family column edited with a function the native engine does not
    know: every cell goes to the fallback, with its own inputs."""
    s, layout, path = small
    col = layout.column["effort"].col
    income = layout.column["income"].col
    changes = {}
    for i in range(layout.capacity):
        row = layout.first_row + i
        x = xl_rowcol_to_cell(row, income)
        changes[xl_rowcol_to_cell(row, col)] = f'=IF({x}="","",LN({x}+1))'
    edited = _edit(path, tmp_path / "sqrt_column.xlsx", changes)
    ev = evaluate_workbook(edited)
    assert len(ev.fallback_cells) == layout.capacity
    for i in range(layout.capacity):
        row = layout.first_row + i
        x = ev(Ref(SHEET_FAMILIES, row, income))
        got = ev(Ref(SHEET_FAMILIES, row, col))
        assert got == ("" if x == "" else pytest.approx(math.log(x + 1)))


def test_a_workbook_given_as_bytes_or_file_object(small):
    """A workbook decrypted in memory never touches the disk."""
    import io

    s, layout, path = small
    data = path.read_bytes()
    expected = model_json(s)
    assert results_json_from_cells(layout, evaluate_workbook(data)) == expected
    assert results_json_from_cells(layout, evaluate_workbook(io.BytesIO(data))) == expected
    with pytest.raises(UnreadableWorkbook):
        evaluate_workbook(b"pas un classeur")
