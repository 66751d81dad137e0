"""The form cache (``parser.parse_cell_formula``): the 2nd..nth workbook of
a layout reparses nothing, and a cached form is exactly what parsing would
give: workbooks whose defined names or sheets differ share nothing, and the
order in which names are first parsed (a name of the whole workbook takes
the sheet of its first use; cycles and chains of names) is honoured."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_parser_exact import TEMPLATES, form_data

import workbook_engine.evaluator.parser as parser
import workbook_engine.evaluator.runs as runs_module
from workbook_engine.evaluator.evaluate import evaluate_parsed, parse_workbook
from workbook_engine.evaluator.parser import Resolver, clear_form_cache, parse_cell_formula, parse_formula
from workbook_engine.evaluator.runs import SheetRuns

SHEETS = ("Feuil1", "Feuil2", "Grille 1")


def resolver(names: dict, sheets: tuple[str, ...] = SHEETS, layout: bool = True) -> Resolver:
    index = {s.lower(): i for i, s in enumerate(sheets)}
    return Resolver(lambda name: index.get(name.lower()), names, sheets if layout else None)


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_form_cache()
    yield
    clear_form_cache()


def run_forms(parsed) -> list[tuple[object, ...]]:
    return sorted(((r.sheet, r.col, r.r0, r.r1), form_data(r.form)) for r in parsed.runs)


@pytest.mark.parametrize("path", TEMPLATES[:3], ids=lambda p: p.name)
def test_a_second_workbook_of_the_layout_reparses_nothing(path, monkeypatch):
    """Same forms with and without the cache; the second reading parses no
    formula (every form comes from the cache) and evaluates to the same
    values."""
    parses: list[str] = []
    real = parser.parse_formula
    monkeypatch.setattr(parser, "parse_formula", lambda *a: parses.append(a[0]) or real(*a))
    first = parse_workbook(path)
    assert parses  # the cold cache parsed every formula
    parses.clear()
    second = parse_workbook(path)
    assert parses == []
    assert run_forms(second) == run_forms(first)
    assert {id(r.form) for r in second.runs} == {id(r.form) for r in first.runs}
    books = [evaluate_parsed(p).book for p in (first, second)]
    runs = sorted(first.runs, key=lambda r: (r.sheet, r.col, r.r0))
    values = [[repr(book[r.sheet].value(row, r.col)) for r in runs for row in range(r.r0, r.r1 + 1)] for book in books]
    assert len(values[0]) > 1000 and values[0] == values[1]


def write_named(path: Path, names: dict[str, str], sheets: tuple[str, ...] = ("Feuil1", "Feuil2")) -> Path:
    wb = xlsxwriter.Workbook(path)
    for name in sheets:
        ws = wb.add_worksheet(name)
        for r in range(4):
            ws.write_number(r, 0, r + 1)
            ws.write_number(r, 1, 10 * (r + 1))
    wb.get_worksheet_by_name(sheets[0]).write_formula("C1", "=TAUX*2+Feuil2!A1")
    for name, ref in names.items():
        wb.define_name(name, ref)
    wb.close()
    return path


def test_workbooks_with_other_defined_names_share_no_parse(tmp_path):
    """The same formula text at the same cell, TAUX pointing elsewhere: each
    workbook gets its own form, and its own value."""
    a = parse_workbook(write_named(tmp_path / "a.xlsx", {"TAUX": "=Feuil1!$A$2"}))
    b = parse_workbook(write_named(tmp_path / "b.xlsx", {"TAUX": "=Feuil1!$B$4"}))
    (fa,) = [r.form for r in a.runs]
    (fb,) = [r.form for r in b.runs]
    assert fa.text == fb.text and fa is not fb
    assert form_data(fa) != form_data(fb)
    assert evaluate_parsed(a).book[0].value(0, 2) == 2 * 2 + 1
    assert evaluate_parsed(b).book[0].value(0, 2) == 40 * 2 + 1


def test_workbooks_with_other_sheets_share_no_parse(tmp_path):
    """Feuil2 second in one workbook, first in the other: another layout."""
    a = parse_workbook(write_named(tmp_path / "a.xlsx", {"TAUX": "=Feuil1!$A$2"}))
    b = parse_workbook(write_named(tmp_path / "b.xlsx", {"TAUX": "=Feuil1!$A$2"}, ("Feuil2", "Feuil1")))
    (fa,) = [r.form for r in a.runs]
    (fb,) = [r.form for r in b.runs]
    assert fa is not fb and form_data(fa) != form_data(fb)


def test_a_form_is_kept_per_layout_and_names():
    names = {("TAUX", None): "Feuil1!$B$2"}
    first = parse_cell_formula("=TAUX*2", 0, 3, 1, resolver(names))
    assert parse_cell_formula("=TAUX*2", 0, 3, 1, resolver(dict(names))) is first
    other = parse_cell_formula("=TAUX*2", 0, 3, 1, resolver({("TAUX", None): "Feuil2!$B$2"}))
    assert other is not first and form_data(other) != form_data(first)
    swapped = parse_cell_formula("=TAUX*2", 0, 3, 1, resolver(names, ("Feuil2", "Feuil1", "Grille 1")))
    assert swapped is not first and form_data(swapped) != form_data(first)
    assert parse_cell_formula("=TAUX*2", 0, 4, 1, resolver(names)) is not first  # another cell
    assert parse_cell_formula("=TAUX*2", 0, 3, 1, resolver(names, layout=False)) is not first  # no layout: no cache


def test_an_array_formula_leaves_the_cached_form_alone():
    """The reader turns an array formula's form into a fallback one: on a
    copy, the cached form keeps its tree."""
    r = resolver({})
    runs: list = []
    sink = SheetRuns(0, r, runs)
    sink.add(0, 2, "SUM(A1:A3*B1:B3)", {"t": "array", "ref": "C1:C3"})
    (run,) = runs
    assert run.form.tree is None and run.form.reason == "formule matricielle"
    cached = parse_cell_formula("=SUM(A1:A3*B1:B3)", 0, 0, 2, resolver({}))
    assert cached is not run.form and cached.tree is not None and cached.reason == ""


def test_the_cache_is_bounded():
    cache = parser._FormCache(max_chars=100, max_layouts=2)
    forms_a = cache.layout("a")
    f = parse_formula("=1", 0, 0, 0, resolver({}))
    for i in range(30):
        cache.add("a", ("=" + "1" * 9, 0, i, 0), parser._Entry(f, (), ()))
    assert len(forms_a) == 10  # 10 texts of 10 characters
    cache.layout("b")
    cache.add("b", ("=" + "2" * 9, 0, 0, 0), parser._Entry(f, (), ()))
    assert len(cache.layout("b")) == 1 and "a" not in cache._layouts  # the older layout made room
    cache.layout("c")
    cache.layout("d")
    assert list(cache._layouts) == ["c", "d"]


# ---------------------------------------------------------------------------
# Exactness under any order of first uses
# ---------------------------------------------------------------------------

NAMES = {
    ("TAUX", None): "Feuil1!$B$2",
    ("RELATIF", None): "A1+1",  # a name of the whole workbook: the sheet of its first use
    ("LOCAL", 1): "$C$3",
    ("DOUBLE", None): "TAUX*2+RELATIF",  # a chain of names
    ("BOUCLE", None): "BOUCLE2+1",  # a cycle
    ("BOUCLE2", None): "BOUCLE*2+RELATIF",
    ("LONG0", None): "LONG1",
    ("NIVEAU", None): "ABS(1)+A1",  # one level of nesting inside
}
for k in range(1, 30):  # beyond the bound on names through names
    NAMES[(f"LONG{k}", None)] = f"LONG{k + 1}+1"
NAMES[("LONG30", None)] = "TAUX"
DEEP = "=" + "(" * 100 + "NIVEAU+B2" + ")" * 100  # too deep: what it reads depends on NIVEAU parsed before
FORMULAS = [
    "=TAUX*2",
    "=RELATIF",
    "=RELATIF+Feuil2!LOCAL",
    "=LOCAL",
    "=DOUBLE",
    "=BOUCLE",
    "=BOUCLE2",
    "=LONG0",
    "=LONG12",
    "=LONG29",
    "=" + "(" * 97 + "RELATIF" + ")" * 97,
    "=NIVEAU",
    DEEP,
    "=A1+TAUX",
    "=NOPE",
]
cells = st.tuples(st.sampled_from(FORMULAS), st.integers(0, 2), st.integers(0, 1))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example([("=NIVEAU", 0, 1), (DEEP, 0, 1)], [(DEEP, 0, 1)])
@example([("=RELATIF", 0, 1)], [("=A1+RELATIF", 1, 1), ("=RELATIF", 0, 1)])
@example([("=DOUBLE", 0, 0), ("=BOUCLE", 0, 0)], [("=BOUCLE2", 0, 0), ("=BOUCLE", 0, 0)])
@given(st.lists(cells, max_size=10), st.lists(cells, max_size=10))
def test_cached_forms_equal_parsing_in_any_order(first_book, second_book):
    """Workbook 1 fills the cache; workbook 2 (same layout and names, its
    formulas in another order) gets forms equal to parsing it alone."""
    clear_form_cache()
    r1 = resolver(NAMES)
    for text, sheet, row in first_book:
        parse_cell_formula(text, sheet, row, 0, r1)
    cached, alone = resolver(NAMES), resolver(NAMES, layout=False)
    for text, sheet, row in second_book:
        got = parse_cell_formula(text, sheet, row, 0, cached)
        assert form_data(got) == form_data(parse_formula(text, sheet, row, 0, alone)), (text, sheet, row)


def test_names_through_names_and_cycles_are_parsed_each_time():
    """Only forms whose names name no other name are kept (cycles, chains);
    a name of the whole workbook first used on another sheet misses."""
    r1 = resolver(NAMES)
    for text in ("=TAUX*2", "=DOUBLE", "=BOUCLE", "=LONG0", "=RELATIF"):
        parse_cell_formula(text, 0, 1, 0, r1)
    r2 = resolver(NAMES)
    assert parse_cell_formula("=TAUX*2", 0, 1, 0, r2) is parse_cell_formula("=TAUX*2", 0, 1, 0, resolver(NAMES))
    for text in ("=DOUBLE", "=BOUCLE", "=LONG0"):
        assert parse_cell_formula(text, 0, 1, 0, r2) is not parse_cell_formula(text, 0, 1, 0, resolver(NAMES))
    # RELATIF (a name of the whole workbook) takes the sheet of its first use
    parse_cell_formula("=RELATIF", 0, 1, 0, resolver(NAMES))  # cached: RELATIF first used on Feuil1
    r3, alone = resolver(NAMES), resolver(NAMES, layout=False)
    for r in (r3, alone):  # here first used on Feuil2
        (parse_cell_formula if r is r3 else parse_formula)("=A1+RELATIF", 1, 1, 0, r)
    again = parse_cell_formula("=RELATIF", 0, 1, 0, r3)
    assert form_data(again) == form_data(parse_formula("=RELATIF", 0, 1, 0, alone))
    assert again.deps[0].sheet == 1  # Feuil2's A1, as without the cache


def test_the_reader_uses_the_cache(monkeypatch, tmp_path):
    """``SheetRuns`` parses through ``parse_cell_formula`` (the entry point
    the cache sits in)."""
    seen: list[str] = []
    real = runs_module.parse_cell_formula
    monkeypatch.setattr(runs_module, "parse_cell_formula", lambda *a: seen.append(a[0]) or real(*a))
    parse_workbook(write_named(tmp_path / "a.xlsx", {"TAUX": "=Feuil1!$A$2"}))
    assert seen == ["=TAUX*2+Feuil2!A1"]


def test_the_parsers_memos_are_bounded():
    """Short texts are remembered, long ones not; a full memo starts over."""
    from workbook_engine.evaluator import tokenizer

    long_text = '"' + "x" * 500 + '"'
    parse_formula(f'=LEN({long_text})&"court"', 0, 0, 0, resolver({}))
    assert ("TEXT", '"court"') in parser._CONSTANTS and ("TEXT", long_text) not in parser._CONSTANTS
    memo: dict[str, int] = {}
    for k in range(tokenizer.MEMO_SIZE + 5):
        tokenizer.remember(memo, str(k), k, str(k))
    assert len(memo) == 5
