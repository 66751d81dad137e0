"""The regular-expression sheet reader (``evaluator.sheet_regex``) against
expat: on every sheet, both give the same constants, the same formula runs
and the same formula texts; repeated rows are skipped only when that is
exact; any other shape is handed to expat."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hostile_files import rewrite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libreoffice_recalc import recalculate

import workbook_engine.evaluator.reader as sheet_reader
from workbook_engine.evaluator import parse_workbook, sheet_regex
from workbook_engine.evaluator.reader import UnreadableWorkbook
from workbook_engine.evaluator.runs import SheetRuns
from workbook_engine.evaluator.sheet_regex import TEMPLATE_AFTER, GiveUp
from workbook_engine.evaluator.values import BLANK
from workbook_engine.formats.sample import make_sample
from workbook_engine.workbook.generate import generate_workbook


def snapshot(path: Path) -> tuple:
    """Everything a parse gives: runs (with each cell's formula text) and
    every column of every sheet."""
    parsed = parse_workbook(path)
    runs = sorted(
        (r.sheet, r.col, r.r0, r.r1, r.form.text, tuple(r.text(x) for x in range(r.r0, r.r1 + 1))) for r in parsed.runs
    )
    cells = {}
    for sheet in parsed.book.sheets:
        cells[sheet.name] = (sheet.nrows, sorted(sheet.dates))
        for c, col in sheet.columns.items():
            cells[(sheet.name, c)] = (col.t.tobytes(), col.n.tobytes(), None if col.o is None else list(col.o))
    return runs, cells


def with_expat_only(monkeypatch, path: Path) -> tuple:
    def give_up(*_args, **_kwargs):
        raise GiveUp

    with monkeypatch.context() as m:
        m.setattr(sheet_reader, "read_sheet_data", give_up)
        return snapshot(path)


def outcome(path: Path) -> tuple:
    """The snapshot, or the message of the refusal."""
    try:
        return snapshot(path)
    except UnreadableWorkbook as exc:
        return ("refused", str(exc))


def outcome_with_expat_only(monkeypatch, path: Path) -> tuple:
    try:
        return with_expat_only(monkeypatch, path)
    except UnreadableWorkbook as exc:
        return ("refused", str(exc))


def count_adds(monkeypatch, path: Path) -> int:
    """Formula cells the run builder was handed one by one."""
    calls = []
    real = SheetRuns.add
    with monkeypatch.context() as m:
        m.setattr(SheetRuns, "add", lambda self, *a: calls.append(1) or real(self, *a))
        parse_workbook(path)
    return len(calls)


@pytest.fixture(scope="module")
def workbook_300(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("regex") / "ecole.xlsx"
    generate_workbook(make_sample(60, seed=4), path, capacity=300)
    return path


def test_generated_workbook_reads_the_same_and_skips_the_empty_family_rows(workbook_300, monkeypatch):
    assert snapshot(workbook_300) == with_expat_only(monkeypatch, workbook_300)
    fast, slow = count_adds(monkeypatch, workbook_300), None
    with monkeypatch.context() as m:
        m.setattr(sheet_reader, "read_sheet_data", lambda *a, **k: (_ for _ in ()).throw(GiveUp))
        slow = count_adds(monkeypatch, workbook_300)
    # 240 of the 300 family rows hold no family: their formulas are not handed over one by one
    assert slow - fast > 200 * 20, (fast, slow)


def test_libreoffice_resaved_workbook_reads_the_same(libreoffice, workbook_300, tmp_path, monkeypatch):
    (resaved,) = recalculate([workbook_300], tmp_path)
    assert snapshot(resaved) == with_expat_only(monkeypatch, resaved)


def test_openpyxl_saved_workbook_with_edits_reads_the_same(workbook_300, tmp_path, monkeypatch):
    wb = openpyxl.load_workbook(workbook_300)
    fam = wb["Familles"]
    fam["V150"] = "=V149+1"  # a reference to the row above, in the empty rows
    fam["V151"] = "=V150+1"
    fam["W200"] = 12.5  # a constant over a formula
    fam["A250"] = "=A12"  # a formula where an id goes
    fam["X260"] = "=$A$260+260"  # the row number elsewhere than in relative references
    wb.save(tmp_path / "edited.xlsx")
    assert snapshot(tmp_path / "edited.xlsx") == with_expat_only(monkeypatch, tmp_path / "edited.xlsx")


# Family rows: constants (an id, a number) around formulas whose cached
# values and types change from row to row, as in a filled family sheet.
FILLED = (
    '<c r="A{n}" t="str"><v>F{n}</v></c>'
    '<c r="B{n}"><f>IF(A{n}="","",D{n}*2)</f><v>{n}</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v>{n}x</v></c>'
    '<c r="D{n}" s="1"><v>{n}</v></c>'
)
FILLED_KINDS = {
    "same": FILLED,
    "other_values": '<c r="A{n}" t="str"><v>Dupont &amp; fils &lt;{m}&gt;</v></c>'
    '<c r="B{n}" t="e"><f>IF(A{n}="","",D{n}*2)</f><v>#VALUE!</v></c>'
    '<c r="C{n}"><f>B{n}&amp;"x"</f><v/></c>'
    '<c r="D{n}" t="b"><v>1</v></c>',
    "empty_values": '<c r="A{n}" s="1"/>'
    '<c r="B{n}" t="str"><f>IF(A{n}="","",D{n}*2)</f><v></v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>'
    '<c r="D{n}" s="1"/>',
    "twelve": FILLED.replace("<v>{n}</v></c>", "<v>12</v></c>").replace("F{n}", "F12"),
    "edited": FILLED.replace("D{n}*2", "D{n}*3"),
    "pasted": FILLED.replace('<f>IF(A{n}="","",D{n}*2)</f><v>{n}</v>', "<v>12.5</v>"),
    "formula_over_constant": FILLED.replace(' s="1"><v>{n}</v>', "><f>B{n}+1</f><v>{n}</v>"),
    "other_column": FILLED.replace('"D{n}"', '"E{n}"'),
    "disordered": '<c r="A{n}" t="str"><v>F{n}</v></c><c r="D{n}" s="1"><v>{n}</v></c>'
    '<c r="B{n}"><f>IF(A{n}="","",D{n}*2)</f><v>{n}</v></c><c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v>{n}x</v></c>',
    "twice": FILLED + '<c r="D{n}"><v>2</v></c>',
    "misplaced": FILLED.replace('"A{n}"', '"A3"'),
    "repeated_column": FILLED.replace('"D{n}"', '"A{n}"'),
    "times_12": FILLED.replace("D{n}*2", "D{n}*12"),
    "times_n": FILLED.replace("D{n}*2", "D{n}*{n}"),
    "absolute": FILLED.replace("D{n}*2", "$D${n}*2"),
    "above": FILLED.replace("D{n}*2", "D{m}*2"),
    "empty_formula": FILLED.replace('<f>IF(A{n}="","",D{n}*2)</f>', "<f></f>"),
    "libreoffice": FILLED.replace("<f>", '<f aca="false">'),
    "shared": FILLED.replace("<f>B{n}", '<f t="shared" ref="C{n}" si="0">B{n}'),
}

# Rows of a small sheet, each a list of cells; {n} is the row's own number.
ROW_KINDS = {
    "repeat": '<c r="A{n}" s="1"/><c r="B{n}"><f>IF(A{n}="","",A{n}*2)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "above": '<c r="A{n}" s="1"/><c r="B{n}"><f>IF(A{m}="","",A{m}*2)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "frozen": '<c r="A{n}" s="1"/><c r="B{n}"><f>IF(A7="","",A7*2)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "frozen_times_n": '<c r="A{n}" s="1"/><c r="B{n}"><f>A7*{n}</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "absolute": '<c r="A{n}" s="1"/><c r="B{n}"><f>IF(A{n}="","",$A${n}*2)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "digits": '<c r="A{n}" s="1"/><c r="B{n}"><f>IF(A{n}="","",A{n}*1{n})</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "constant": '<c r="A{n}"><v>{n}</v></c><c r="B{n}"><f>IF(A{n}="","",A{n}*2)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "fixed_constant": '<c r="A{n}"><v>5</v></c><c r="B{n}"><f>IF(A{n}="","",A{n}*2)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "text": '<c r="A{n}" t="str"><v>A{n}</v></c><c r="B{n}"><f>IF(A{n}="","",A{n}*2)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "edited": '<c r="A{n}" s="1"/><c r="B{n}"><f>IF(A{n}="","",A{n}*3)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',
    "misplaced": '<c r="A3" s="1"/><c r="B{n}"><f>A{n}*{n}</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f>B{n}&amp;"x"</f><v></v></c>',  # a cell addressed in another row
    "short": '<c r="A{n}" s="1"/><c r="B{n}"><f>IF(A{n}="","",A{n}*2)</f><v>0</v></c>',
    "empty": "",
    "libreoffice": '<c r="A{n}" s="1"/><c r="B{n}"><f aca="false">IF(A{n}="","",A{n}*2)</f><v>0</v></c>'
    '<c r="C{n}" t="str"><f aca="false">B{n}&amp;"x"</f><v></v></c>',
    "pretty": '\n  <c r="A{n}" s="1"/>',  # whitespace inside a row: not the usual shape, expat reads the sheet
    **{f"filled_{k}": v for k, v in FILLED_KINDS.items()},
}


def sheet_xml(kinds: list[str], first: int, gap: int) -> bytes:
    rows = []
    for i, kind in enumerate(kinds):
        n = first + i + (gap if i >= len(kinds) // 2 else 0)
        cells = ROW_KINDS[kind].format(n=n, m=n - 1)
        rows.append(f'<row r="{n}"/>' if kind == "empty" else f'<row r="{n}" spans="1:3">{cells}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    ).encode()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Familles"
    wb.active["A1"] = 1
    wb.save(path)
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(
        st.sampled_from(sorted(ROW_KINDS)) | st.just("repeat") | st.just("filled_same"), min_size=1, max_size=30
    ),
    first=st.sampled_from([1, 2, 8, 9, 10, 11, 95, 98, 99, 100, 997]),
    gap=st.sampled_from([0, 0, 1, 3]),
)
def test_random_rows_read_the_same_both_ways(tiny, tmp_path_factory, monkeypatch, kinds, first, gap):
    path = tmp_path_factory.mktemp("rows") / "rows.xlsx"
    rewrite(tiny, path, replace={"xl/worksheets/sheet1.xml": sheet_xml(kinds, first, gap)})  # openpyxl's name
    assert outcome(path) == outcome_with_expat_only(monkeypatch, path)


def read_rows(tiny: Path, tmp_path: Path, monkeypatch, kinds: list[str], first: int = 10) -> tuple[tuple, int]:
    """The outcome of reading rows of ``kinds`` from row ``first`` on
    (checked the same as expat's) and how many formula cells were handed
    over one by one (-1 when the file is refused)."""
    path = tmp_path / "rows.xlsx"
    rewrite(tiny, path, replace={"xl/worksheets/sheet1.xml": sheet_xml(kinds, first, 0)})
    got = outcome(path)
    assert got == outcome_with_expat_only(monkeypatch, path)
    return got, -1 if got[0] == "refused" else count_adds(monkeypatch, path)


def spans(got: tuple) -> list[tuple[int, int, int]]:
    """(column, first row, last row) of each formula run, 0-based."""
    return sorted((col, r0, r1) for _sheet, col, r0, r1, *_ in got[0])


def column(got: tuple, col: int) -> list:
    """The values of a column, 0-based rows (None where empty)."""
    types, numbers, objects = got[1][("Familles", col)]
    numbers = np.frombuffer(numbers)
    return [
        None if t == BLANK else objects[i] if objects is not None and objects[i] is not None else float(numbers[i])
        for i, t in enumerate(np.frombuffer(types, dtype=np.int8))
    ]


def test_filled_rows_that_differ_in_their_constants_repeat(tiny, tmp_path, monkeypatch):
    got, adds = read_rows(tiny, tmp_path, monkeypatch, ["filled_same"] * 6 + ["filled_other_values"] * 6)
    assert adds == 2  # the first row's formulas only: cached values and their types are not formulas
    assert spans(got) == [(1, 9, 20), (2, 9, 20)]
    # every row's constants are read, the row number among them ("F12" in row 12)
    assert column(got, 0)[9:] == [f"F{n}" for n in range(10, 16)] + [f"Dupont & fils <{n - 1}>" for n in range(16, 22)]
    assert column(got, 3)[9:] == [float(n) for n in range(10, 16)] + [1.0] * 6


def test_an_edited_formula_splits_its_run(tiny, tmp_path, monkeypatch):
    got, adds = read_rows(tiny, tmp_path, monkeypatch, ["filled_same"] * 4 + ["filled_edited"] + ["filled_same"] * 4)
    assert spans(got) == [(1, 9, 12), (1, 13, 13), (1, 14, 17), (2, 9, 17)]
    assert adds == 2 + 2 + 2  # the first row, the edited row, the row after it


def test_a_constant_pasted_over_a_formula_splits_its_run(tiny, tmp_path, monkeypatch):
    got, adds = read_rows(tiny, tmp_path, monkeypatch, ["filled_same"] * 3 + ["filled_pasted"] + ["filled_same"] * 3)
    assert spans(got) == [(1, 9, 11), (1, 13, 15), (2, 9, 15)]
    assert column(got, 1)[12] == 12.5
    assert adds == 2 + 1 + 2


def test_a_formula_typed_over_a_constant_is_read(tiny, tmp_path, monkeypatch):
    kinds = ["filled_same"] * 3 + ["filled_formula_over_constant"] * 2 + ["filled_same"] * 2
    got, adds = read_rows(tiny, tmp_path, monkeypatch, kinds)
    assert spans(got) == [(1, 9, 15), (2, 9, 15), (3, 12, 13)]
    assert adds == 2 + 3 + 2


@pytest.mark.parametrize("first", [9, 10, 99, 12])
def test_the_row_number_in_a_constant_or_a_cached_value_changes_nothing(tiny, tmp_path, monkeypatch, first):
    got, adds = read_rows(tiny, tmp_path, monkeypatch, ["filled_twelve"] * 8, first)
    assert adds == 2
    assert column(got, 0)[first - 1 :] == ["F12"] * 8 and column(got, 3)[first - 1 :] == [12.0] * 8


def test_a_row_that_repeats_but_holds_its_number_once_more_is_no_model_for_the_next(tiny, tmp_path, monkeypatch):
    # row 12 is row 11 moved down (D11*12, D12*12), but it holds "12" once more than
    # its references: row 13 (D13*13) is not row 12 moved down (D13*12)
    got, adds = read_rows(tiny, tmp_path, monkeypatch, ["filled_times_12"] * 2 + ["filled_times_n"] * 2, 11)
    assert spans(got) == [(1, 10, 11), (1, 12, 12), (1, 13, 13), (2, 10, 13)]
    assert adds == 2 + 2 + 2


@pytest.mark.parametrize("odd", ["absolute", "above", "misplaced", "other_column", "libreoffice", "shared"])
def test_rows_that_cannot_repeat_are_read_cell_by_cell(tiny, tmp_path, monkeypatch, odd):
    got, adds = read_rows(
        tiny, tmp_path, monkeypatch, ["filled_same"] * 3 + [f"filled_{odd}"] * 3 + ["filled_same"] * 3
    )
    assert got[0] != "refused" and adds >= 2 + 2 + 2


@pytest.mark.parametrize("odd", ["disordered", "twice", "repeated_column"])
def test_cells_out_of_order_are_refused_as_expat_refuses_them(tiny, tmp_path, monkeypatch, odd):
    got, _ = read_rows(tiny, tmp_path, monkeypatch, ["filled_same"] * 3 + [f"filled_{odd}"] + ["filled_same"] * 2)
    assert got[0] == "refused" and "écrite deux fois ou dans le désordre" in got[1]


@pytest.fixture(scope="module")
def typed(tmp_path_factory) -> tuple[Path, str]:
    """A workbook with shared strings and a date style; the style's index."""
    import datetime
    import zipfile

    import xlsxwriter

    path = tmp_path_factory.mktemp("typed") / "typed.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Familles")
    ws.write_string("A1", "zéro")
    ws.write_string("B1", "un & deux")
    ws.write_datetime("C1", datetime.datetime(2024, 1, 2), wb.add_format({"num_format": "dd/mm/yyyy"}))
    wb.close()
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    date_style = sheet.split('r="C1"')[1].split('s="')[1].split('"')[0]
    return path, date_style


# A repeated row's constants of every type, as ``add_constants`` receives them.
TYPED = (
    '<c r="A{n}" t="s"><v>{k}</v></c>'
    '<c r="B{n}"><f>IF(A{n}="","",D{n}*2)</f><v>{n}</v></c>'
    '<c r="C{n}" s="{date}"><v>4{n}</v></c>'
    '<c r="D{n}"><v>{n}.25</v></c>'
    '<c r="E{n}" t="n"><v>-{n}e-3</v></c>'
    '<c r="F{n}" t="e"><v>#DIV/0!</v></c>'
    '<c r="G{n}" t="b"><v>{k}</v></c>'
    '<c r="H{n}" t="d"><v>2024-02-1{k}T12:00:00</v></c>'
    '<c r="I{n}" t="str"><v/></c>'
    '<c r="J{n}" t="str"><v>a &lt; b</v></c>'
    '<c r="K{n}" t="inlineStr"><v>x{n}</v></c>'
    '<c r="L{n}" s="{date}"/>'
    '<c r="M{n}"><v></v></c>'
    '<c r="N{n}" t="s"><v/></c>'
    '<c r="O{n}" t="e"/>'
)


def test_repeated_rows_store_constants_of_every_type_as_expat_does(typed, tmp_path, monkeypatch):
    path, date_style = typed
    rows = "".join(f'<row r="{n}">{TYPED.format(n=n, k=n % 2, date=date_style)}</row>' for n in range(5, 15))
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()
    rewrite(path, tmp_path / "t.xlsx", replace={"xl/worksheets/sheet1.xml": xml})
    got = outcome(tmp_path / "t.xlsx")
    assert got[0] != "refused", got
    assert got == outcome_with_expat_only(monkeypatch, tmp_path / "t.xlsx")
    assert count_adds(monkeypatch, tmp_path / "t.xlsx") == 1  # rows 6 to 14 repeated row 5
    assert sorted(got[1]["Familles"][1]) == [(n - 1, 2) for n in range(5, 15)]  # the dated column


@pytest.mark.parametrize("odd", sorted(FILLED_KINDS))
def test_a_long_stretch_then_any_other_row_reads_the_same_both_ways(tiny, tmp_path, monkeypatch, odd):
    """Past TEMPLATE_AFTER repeats a stretch is matched against its template:
    a row of any other kind after it, then the stretch again."""
    kinds = ["filled_same"] * (TEMPLATE_AFTER + 4) + [f"filled_{odd}"] * 2 + ["filled_same"] * (TEMPLATE_AFTER + 3)
    got, adds = read_rows(tiny, tmp_path, monkeypatch, kinds)
    if odd in ("same", "other_values", "empty_values", "twelve"):  # these repeat the stretch
        assert adds == 2  # no formula read one by one but the first row's


def test_a_long_stretch_takes_the_skeleton_of_its_first_rows_only(tiny, tmp_path, monkeypatch):
    calls = []
    real = sheet_regex.skeleton
    monkeypatch.setattr(sheet_regex, "skeleton", lambda cells: calls.append(1) or real(cells))
    rows = 4 * TEMPLATE_AFTER
    got, adds = read_rows(tiny, tmp_path, monkeypatch, ["filled_same", "filled_other_values"] * (rows // 2))
    assert adds == 2 and spans(got) == [(1, 9, 9 + rows - 1), (2, 9, 9 + rows - 1)]
    # two reads (ours, then the count of adds; expat's takes none): the first rows of each
    assert 0 < len(calls) <= 2 * (TEMPLATE_AFTER + 2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    blocks=st.lists(
        st.tuples(st.sampled_from(sorted(ROW_KINDS)), st.integers(1, 2 * TEMPLATE_AFTER)), min_size=1, max_size=5
    ),
    first=st.sampled_from([1, 8, 95, 990, 9990]),
)
def test_random_stretches_read_the_same_both_ways(tiny, tmp_path_factory, monkeypatch, blocks, first):
    kinds = [kind for kind, n in blocks for _ in range(n)]
    path = tmp_path_factory.mktemp("stretches") / "rows.xlsx"
    rewrite(tiny, path, replace={"xl/worksheets/sheet1.xml": sheet_xml(kinds, first, 0)})
    assert outcome(path) == outcome_with_expat_only(monkeypatch, path)
