"""The fast formula parser gives exactly what the parser before it gave.

``evaluator.tokenizer`` re-implements openpyxl's Tokenizer and ``parser``
builds trees and templates from its tokens; ``reference_parser`` is the
parser as it was (openpyxl's tokenizer, its own builder). On every formula
we know of (the conformance suite, the generated templates, blank workbooks
of layout versions 1, 2, 3 with 1, 3 and 7 grids) and on generated and
mutated formula texts: the same tokens (or the same error, message
included), and the same forms (tree, dependencies, template, reason,
flags), parsed in the same order with the same defined names.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import random
from pathlib import Path
from typing import Any

import pytest
import reference_parser as old
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.formula.tokenizer import Tokenizer

import workbook_engine.evaluator.runs as runs_module
from workbook_engine.evaluator import nodes
from workbook_engine.evaluator import parser as new
from workbook_engine.evaluator.evaluate import parse_workbook
from workbook_engine.evaluator.tokenizer import OPENPYXL_KIND, tokenize
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import blank_scenario
from workbook_engine.workbook.layout import build_layout
from workbook_engine.workbook.writer import write_workbook

ROOT = Path(__file__).resolve().parent.parent
Call = tuple[str, int, int, int]  # formula text (with '='), sheet, row, col


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------


def openpyxl_tokens(text: str) -> list[tuple[str, str, str]] | tuple[str, str]:
    try:
        return [(t.value, t.type, t.subtype) for t in Tokenizer(text).items]
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return (type(exc).__name__, str(exc))


def our_tokens(text: str) -> list[tuple[str, str, str]] | tuple[str, str]:
    try:
        return [(value, *OPENPYXL_KIND[kind]) for kind, value in tokenize(text)]
    except Exception as exc:  # noqa: BLE001
        return (type(exc).__name__, str(exc))


def tree(node: object) -> object:
    """A tree as plain data (nodes compare by identity)."""
    if node is None:
        return None
    name = type(node).__name__
    if isinstance(node, nodes.Const):
        v = node.value
        return (name, type(v).__name__, "nan" if isinstance(v, float) and math.isnan(v) else repr(v))
    if isinstance(node, nodes.Call):
        return (name, node.name, id(node.fn), tuple(tree(a) for a in node.args))
    if isinstance(node, nodes.ArrayConst):
        return (name, repr(node.rows))
    if isinstance(node, nodes.Unary):
        return (name, node.op, tree(node.x))
    if isinstance(node, nodes.Binary):
        return (name, node.op, tree(node.a), tree(node.b))
    return (name, *(getattr(node, s) for s in type(node).__slots__))


def form_data(f: Any) -> tuple[object, ...]:
    """Every field of a Form (either parser's), as plain data."""
    tpl = f.template
    return (
        f.text,
        f.sheet,
        f.row,
        f.col,
        tree(f.tree),
        [dataclasses.astuple(d) for d in f.deps],
        None if tpl is None else (tpl.pieces, tpl.anchor_col),
        f.reason,
        f.dynamic,
        f.too_deep,
        f.height,
    )


def resolvers(sheets: list[str], names: dict) -> tuple[old.Resolver, new.Resolver]:
    index = {s.lower(): i for i, s in enumerate(sheets)}

    def sheet_index(name: str) -> int | None:
        return index.get(name.lower())

    return old.Resolver(sheet_index, names), new.Resolver(sheet_index, names)


def assert_same_parses(calls: list[Call], sheets: list[str], names: dict) -> None:
    """Both parsers, each with one resolver over the whole list (defined
    names are parsed once, at first use: the order matters)."""
    r_old, r_new = resolvers(sheets, names)
    for text, sheet, row, col in calls:
        expected = form_data(old.parse_formula(text, sheet, row, col, r_old))
        assert form_data(new.parse_formula(text, sheet, row, col, r_new)) == expected, (text, sheet, row, col)


# ---------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------


def workbook_calls(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Call], list[str], dict]:
    """The formulas the reader parses in a workbook (each distinct R1C1
    formula once, in reading order), its sheets and defined names."""
    calls: list[Call] = []
    seen: dict[str, new.Resolver] = {}
    real = runs_module.parse_cell_formula

    def spy(text: str, sheet: int, row: int, col: int, resolver: new.Resolver) -> new.Form:
        calls.append((text, sheet, row, col))
        seen["resolver"] = resolver
        return real(text, sheet, row, col, resolver)

    with monkeypatch.context() as m:
        m.setattr(runs_module, "parse_cell_formula", spy)
        parsed = parse_workbook(path)
    return calls, [s.name for s in parsed.book.sheets], dict(parsed.meta.names)


@pytest.fixture(scope="module")
def layout_workbooks(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Blank workbooks of layout versions 1, 2, 3 with 1, 3 and 7 grids."""
    folder = tmp_path_factory.mktemp("layouts")
    paths = []
    for version in (1, 2, 3):
        for grids in (1, 3, 7):
            scenario = blank_scenario(grids)
            path = folder / f"v{version}_{grids}.xlsx"
            write_workbook(path, build_layout(grids, 10, 20, version=version), scenario, simulate(scenario))
            paths.append(path)
    return paths


TEMPLATES = sorted((ROOT / "templates").glob("*/*.xlsx"))


@pytest.fixture(scope="module")
def corpus(layout_workbooks: list[Path]) -> list[tuple[str, list[Call], list[str], dict]]:
    """(label, formula calls, sheets, names) of every workbook of the corpus."""
    out = []
    with pytest.MonkeyPatch.context() as mp:
        for path in [*TEMPLATES, *layout_workbooks]:
            calls, sheets, names = workbook_calls(path, mp)
            out.append((path.name, calls, sheets, names))
    return out


def conformance_formulas() -> list[str]:
    with (ROOT / "tests" / "data" / "conformance.csv").open(encoding="utf-8", newline="") as f:
        return [row["formula"] for row in csv.DictReader(f)]


# names for the generated formulas: plain, through other names, a cycle,
# one of a sheet, a constant, an unsupported reference
NAMES = {
    ("TAUX", None): "Feuil1!$B$2",
    ("PLAGE", None): "Feuil2!$A$1:$A$9",
    ("DOUBLE", None): "TAUX*2",
    ("BOUCLE", None): "BOUCLE2+1",
    ("BOUCLE2", None): "BOUCLE*2",
    ("LOCAL", 1): "$C$3",
    ("CINQ", None): "5",
    ("RELATIF", None): "A1+1",
    ("EXTERNE", None): "[1]Feuil1!A1",
}
SHEETS = ["Feuil1", "Feuil2", "Grille 1"]


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------


def test_the_corpus_is_large_and_varied(corpus):
    """The corpus holds every workbook, with formulas in each (a corpus
    that lost its formulas would make the tests below vacuous)."""
    assert len(corpus) == len(TEMPLATES) + 9 and len(TEMPLATES) >= 6
    assert all(len(calls) > 20 for _, calls, _, _ in corpus)
    assert sum(len(calls) for _, calls, _, _ in corpus) > 2000
    assert all(names for _, _, _, names in corpus)


def test_tokens_of_every_known_formula(corpus):
    texts = {c[0] for _, calls, _, _ in corpus for c in calls} | set(conformance_formulas())
    for text in sorted(texts):
        assert our_tokens(text) == openpyxl_tokens(text), text


TRICKY = [
    "=1E+5-2e-3+1.5E+2",
    "=1E+",
    "=A1E+5",
    "='Grille 1'!$B$2+'O''Neil'!A1",
    "=Feuil1!#REF!+#REF!+#N/A+#DIV/0!",
    "=#BOGUS!",
    "=A1#REF!",
    "={1,2;3,4}",
    "=A1{1}",
    '=A1"x"',
    '=A1:"x"',
    "='abc'x'",
    "='abc",
    '="abc',
    '="a""b"&"c"""',
    "=SUM((A1,B1))",
    "=SUM(A1 B1)",
    "=  A1  +\n B1 \n",
    "=A1\nB1",
    "=1)",
    "=(1}",
    "={1)",
    "=[1]Feuil1!A1+Table1[[#This Row],[Col]]",
    "=[unclosed",
    "=+-+1%%",
    "=(-1)+-(+2)",
    "=A1>=B1<>C1<=D1",
    "=_xlfn.XLOOKUP(1,A:A,B:B)",
    "=1;2",
    "=nan+inf+1_0",
    "=TRUE+true+FALSE",
    "=",
    "",
    "A1+1",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tokens_of_tricky_texts(text):
    assert our_tokens(text) == openpyxl_tokens(text)


ALPHABET = "=+-*/^&<>%(){},;:\"'[]#!$. \n\tAaBEeFRTUL019_"
formula_texts = st.text(alphabet=ALPHABET, max_size=40).map(lambda s: "=" + s)
pieces = st.lists(
    st.sampled_from(
        ["A1", "$B$2", "'Grille 1'!", "Feuil2!", ":", "C3:D4", "SUM(", "IF(", "(", ")", ",", ";", "{", "}"]
        + ["+", "-", "*", "/", "^", "&", "=", "<>", ">=", "%", '"x"', '""', "1", "2.5", "1E", "TRUE", " ", "\n"]
        + ["#REF!", "#N/A", "[1]", "TAUX", "PLAGE", "DOUBLE", "BOUCLE", "LOCAL", "CINQ", "RELATIF", "EXTERNE"]
        + ["INDIRECT(", "OFFSET(", "NOPE(", "ROUND(", "-", "!", "'"]
    ),
    max_size=25,
).map(lambda xs: "=" + "".join(xs))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(formula_texts, pieces))
def test_tokens_of_generated_texts(text):
    assert our_tokens(text) == openpyxl_tokens(text)


def mutations(texts: list[str], seed: int, count: int) -> list[str]:
    """Real formulas with characters inserted, deleted or replaced."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        text = list(rnd.choice(texts))
        for _ in range(rnd.randint(1, 3)):
            i = rnd.randrange(1, len(text) + 1)
            op = rnd.random()
            if op < 0.4:
                text.insert(i, rnd.choice(ALPHABET))
            elif op < 0.7 and i < len(text):
                del text[i]
            elif i < len(text):
                text[i] = rnd.choice(ALPHABET)
        out.append("".join(text))
    return out


def test_tokens_of_mutated_formulas(corpus):
    texts = sorted({c[0] for _, calls, _, _ in corpus for c in calls} | set(conformance_formulas()))
    for text in mutations(texts, seed=21, count=3000):
        assert our_tokens(text) == openpyxl_tokens(text), text


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------


def test_forms_of_every_workbook(corpus):
    for _label, calls, sheets, names in corpus:
        assert_same_parses(calls, sheets, names)


def test_forms_of_the_conformance_suite():
    calls = [(text, 0, 4, 2) for text in conformance_formulas()]
    assert_same_parses(calls, SHEETS, NAMES)


@pytest.mark.parametrize("text", [t for t in TRICKY if t.startswith("=")])  # a cell formula starts with '='
def test_forms_of_tricky_texts(text):
    assert_same_parses([(text, 0, 3, 1), (text, 1, 0, 0)], SHEETS, NAMES)


NESTED = [
    "=" + "(" * 99 + "1" + ")" * 99,
    "=" + "(" * 101 + "1" + ")" * 101,
    "=" + "ABS(" * 100 + "1" + ")" * 100,
    "=" + "(" * 98 + "DOUBLE" + ")" * 98,
    "=" + "-" * 500 + "1",
    "=" + "+".join(["1"] * 800),
    "=BOUCLE+DOUBLE+BOUCLE2",
    "=CINQ+RELATIF+Feuil2!LOCAL+Grille 1!TAUX",
    "={1,-2;CINQ,4}",
    "={1,2;3}",
    "={A1}",
    '=SUM(PLAGE)+INDIRECT("A1")+OFFSET(A1,1,1)',
    "=IF(A1,,2)+IF(,)+SUM()",
    "=ROUND(1)+NOPE(1)",
    "=(A1;B1)",
    "=(A1,B1)+1",
]


@pytest.mark.parametrize("text", NESTED)
def test_forms_of_nesting_names_and_arrays(text):
    assert_same_parses([(text, 0, 3, 1), (text, 2, 7, 4)], SHEETS, NAMES)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(formula_texts, pieces), st.integers(0, 2), st.integers(0, 30)), max_size=4))
def test_forms_of_generated_texts(cells):
    assert_same_parses([(text, sheet, row, row % 7) for text, sheet, row in cells], SHEETS, NAMES)


def test_forms_of_mutated_formulas(corpus):
    for _label, calls, sheets, names in corpus[:3] + corpus[-3:]:
        texts = sorted({c[0] for c in calls})
        mutated = mutations(texts, seed=len(texts), count=300)
        assert_same_parses([(t, 1, 5, 3) for t in mutated], sheets, names)
