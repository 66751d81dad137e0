"""OpenFormula (ODF 1.2, as LibreOffice writes it in an .ods) -> the Excel A1
text the evaluator parses: one row per formula."""

from __future__ import annotations

import pytest
from openpyxl.formula.tokenizer import Tokenizer

from workbook_engine.evaluator.openformula import (
    FUNCTION_NAMES,
    MAX_FORMULA_CHARS,
    FormulaError,
    FormulaTranslator,
    translate,
    translate_range_address,
)

CASES = [
    # references
    ("of:=[.A1]", "=A1"),
    ("of:=[.$A$1]+[.A$1]+[.$A1]", "=$A$1+A$1+$A1"),
    ("of:=SUM([.A1:.B2])", "=SUM(A1:B2)"),
    ("of:=[$Familles.$A$4]", "=Familles!$A$4"),
    ("of:=[Familles.A4]", "=Familles!A4"),
    ("of:=COUNT([$Familles.$A$4:.$A$2003])", "=COUNT(Familles!$A$4:$A$2003)"),
    ("of:=[$Feuille.A1:$Feuille.B2]", "=Feuille!A1:B2"),
    ("of:=[$'Grille 1'.$B$3]", "='Grille 1'!$B$3"),
    ("of:=SUM([$'Grille 1'.$B$3:.$B$12])", "=SUM('Grille 1'!$B$3:$B$12)"),
    ("of:=[$'Mode d''emploi'.$A$1]", "='Mode d''emploi'!$A$1"),
    ("of:=[$Paramètres.$B$6]", "=Paramètres!$B$6"),
    ("of:=[$Sheet1.A1]+[$Sheet1.$A$10]", "=Sheet1!A1+Sheet1!$A$10"),
    ("of:=[$A1.B2]", "='A1'!B2"),  # a sheet named like a cell is quoted
    ("of:=SUM([.C:.C])", "=SUM(C:C)"),
    ("of:=SUM([$Familles.$A:.$B])", "=SUM(Familles!$A:$B)"),
    ("of:=SUM([.3:.3])", "=SUM(3:3)"),
    ("of:=SUM([.$2:.$3])", "=SUM($2:$3)"),
    ("of:=SUM([$S1.A1:$S2.B2])", "=SUM('S1:S2'!A1:B2)"),  # 3-D
    ("of:=SUM([$Jan.A1:$Fev.B2])", "=SUM(Jan:Fev!A1:B2)"),
    ("of:=sum([.a1:.b2])", "=SUM(A1:B2)"),
    # references to deleted cells, to another file
    ("of:=[#REF!]*2", "=#REF!*2"),
    ("of:=SUM([#REF!])", "=SUM(#REF!)"),
    ("of:=[.#REF!]+1", "=#REF!+1"),
    ("of:=[$#REF!.A1]+1", "=#REF!+1"),
    ("of:=SUM([.A1:.#REF!])", "=SUM(#REF!)"),
    ("of:=[$Feuille.#REF!]", "=#REF!"),
    ("of:=['file:///tmp/autre.ods'#$Feuil1.A1]*2", "=#REF!*2"),
    # separators, strings, arrays
    ('of:=IF(OR([.A4]="";[.I4]="non");"";[.B4]+[.C4])', '=IF(OR(A4="",I4="non"),"",B4+C4)'),
    ('of:=IF([.A1]="a;b[c]|d~e!{";1;0)', '=IF(A1="a;b[c]|d~e!{",1,0)'),
    ('of:=IF(TRUE();"a;b";"x""y")', '=IF(TRUE,"a;b","x""y")'),
    ("of:=SUM({1;2|3;4})", "=SUM({1,2;3,4})"),
    ('of:={"a";"b"}', '={"a","b"}'),
    ("of:={1|2}", "={1;2}"),
    ("of:=INDEX({1;2;3};2)", "=INDEX({1,2,3},2)"),
    # union and intersection
    ("of:=SUM([.A1:.A2]~[.A4])", "=SUM((A1:A2,A4))"),
    ("of:=SUM(([.A1:.A2]~[.A4]))", "=SUM((A1:A2,A4))"),
    ("of:=SUM([.A1]~[.A2]~[.A3])", "=SUM((A1,A2,A3))"),
    ("of:=[.A1]~[.B1]", "=(A1,B1)"),
    ("of:=SUM([.A1]~INDEX([.B1:.B3];2);1)", "=SUM((A1,INDEX(B1:B3,2)),1)"),
    ("of:=INDEX(([.A1:.A3]~[.B1:.B3]);1;1;2)", "=INDEX((A1:A3,B1:B3),1,1,2)"),
    ("of:=SUM([.A1:.A4]![.A2:.A3])", "=SUM(A1:A4 A2:A3)"),
    ("of:=SUM([.A1:.B2]![.B1:.C2]~[.D1])", "=SUM((A1:B2 B1:C2,D1))"),
    # functions and constants
    ("of:=IF(FALSE();1;0)", "=IF(FALSE,1,0)"),
    ("of:=TRUE()", "=TRUE"),
    ("of:=COM.MICROSOFT.IFS([.A1]>5;1;TRUE();2)", "=_xlfn.IFS(A1>5,1,TRUE,2)"),
    ('of:=COM.MICROSOFT.MAXIFS([.A1:.A4];[.A1:.A4];">1")', '=_xlfn.MAXIFS(A1:A4,A1:A4,">1")'),
    ("of:=COM.MICROSOFT.CONCAT([.A1];[.B1])", "=_xlfn.CONCAT(A1,B1)"),
    ("of:=COM.MICROSOFT.CEILING([.A1];3)", "=CEILING(A1,3)"),
    ("of:=LEGACY.NORMSDIST(1)", "=NORMSDIST(1)"),
    ("of:=IFNA([.A1];0)", "=_xlfn.IFNA(A1,0)"),
    ("of:=ORG.OPENOFFICE.ROUNDSIG([.A1];2)", "=ORG.OPENOFFICE.ROUNDSIG(A1,2)"),  # no Excel name: kept
    ("of:=ROUND([.S4]*[.U4];2)", "=ROUND(S4*U4,2)"),
    ("of:=IFERROR(1/0;NA())", "=IFERROR(1/0,NA())"),
    ("of:=LOG10(100)", "=LOG10(100)"),
    # names, errors, numbers, operators, spaces
    ("of:=MYNAME*2", "=MYNAME*2"),
    ("of:=SUM(DU_FAMILLE_G1)", "=SUM(DU_FAMILLE_G1)"),
    ("of:=1/0+#DIV/0!", "=1/0+#DIV/0!"),
    ("of:=#N/A", "=#N/A"),
    ("of:=1.5E+3+.5+50%", "=1.5E+3+.5+50%"),
    ("of:=-[.A1]^2", "=-A1^2"),
    ('of:=[.A1]<>[.B1]&"x"', '=A1<>B1&"x"'),
    ("of:=([.G4]>=2)*[$Paramètres.$B$16]", "=(G4>=2)*Paramètres!$B$16"),
    ("of:= SUM( [.A1] ; [.B1] )", "= SUM( A1 , B1 )"),
    # namespaces
    ("=[.A1]+5", "=A1+5"),
    ("oooc:=[.A1]+6", "=A1+6"),
    ("msoxl:=A1+7", "=A1+7"),
    ('"workbook_engine/2/3/10/400"', '="workbook_engine/2/3/10/400"'),  # a named expression's text
    ("[$Data.$A$1]*3", "=Data!$A$1*3"),
    # damaged: kept as far as it goes (the evaluator then reports it)
    ('of:="abc', '="abc'),
    ("of:=[.A1", "=A1"),
]


@pytest.mark.parametrize("formula,expected", CASES, ids=[c[0] for c in CASES])
def test_translate(formula, expected):
    assert translate(formula) == expected


@pytest.mark.parametrize("formula,expected", CASES, ids=[c[0] for c in CASES])
def test_translator_cache_gives_the_same_text(formula, expected):
    t = FormulaTranslator()
    assert t(formula) == expected
    assert t(formula) == expected  # from the cache


@pytest.mark.parametrize("formula,expected", [c for c in CASES if '"abc' not in c[0]], ids=lambda c: str(c))
def test_excel_tokenizer_reads_the_translation(formula, expected):
    """Whatever the translation gives is Excel text openpyxl's tokenizer
    (the evaluator's) reads back unchanged."""
    items = Tokenizer(expected).items
    assert "".join(t.value for t in items) == expected[1:].lstrip() or expected.startswith("= ")


def test_translator_puts_each_cell_digits_back():
    """Rows of a column share a shape: the template takes each row's digits."""
    t = FormulaTranslator()
    for row in (4, 5, 9, 10, 99, 100, 2003):
        odf = (
            f'of:=IF([.A{row}]="";"";IF([.I{row}]="non";[$\'Grille 1\'.$B$28];'
            f"MATCH([.P{row}];[$'Grille 1'.$B$8:.$B$17];1)))"
        )
        assert t(odf) == (
            f'=IF(A{row}="","",IF(I{row}="non",\'Grille 1\'!$B$28,MATCH(P{row},\'Grille 1\'!$B$8:$B$17,1)))'
        )


@pytest.mark.parametrize(
    "first,second,expected",
    [
        ("of:=[$S1.A1:$S2.B2]", "of:=[$S1.A2:$S3.B4]", "='S1:S3'!A2:B4"),  # a 3-D reference moves digits
        ("of:=[$#REF!.A1]+[.B1]", "of:=[$#REF!.A7]+[.B8]", "=#REF!+B8"),  # a deleted reference drops them
        ('of:="Grille 1"&[.A1]', 'of:="Grille 2"&[.A3]', '="Grille 2"&A3'),
    ],
)
def test_translator_is_exact_when_digits_move(first, second, expected):
    t = FormulaTranslator()
    t(first)
    assert t(second) == expected == translate(second)


def test_function_names_hold_no_digits():
    """The shape cache replaces digits: a name mapped by its digits would break it."""
    assert not any(ch.isdigit() for name in FUNCTION_NAMES for ch in name)


def test_formula_length_is_bounded():
    translate("of=" + "1+" * (MAX_FORMULA_CHARS // 2 - 4) + "1")
    with pytest.raises(FormulaError, match="caractères"):
        translate("of:=" + "1+" * MAX_FORMULA_CHARS + "1")


def test_tokenizer_is_linear_on_hostile_text():
    """No backtracking blow-up on unterminated strings, brackets or quotes."""
    import time

    for text in ('of:="' + 'a""' * 5000, "of:=[" + "'a''" * 4000, "of:=" + "[" * 16000, "of:=" + "'" * 16000):
        t = time.perf_counter()
        translate(text[:MAX_FORMULA_CHARS])
        assert time.perf_counter() - t < 1.0


@pytest.mark.parametrize(
    "address,base,expected",
    [
        ("$Familles.$A$4:.$A$2003", None, "Familles!$A$4:$A$2003"),
        ("$'Grille 1'.$B$3", None, "'Grille 1'!$B$3"),
        ("$'Grille 1'.$F$8:.$F$17", "$'Mode d''emploi'.$A$1", "'Grille 1'!$F$8:$F$17"),
        ("$Synthèse.$D$7", None, "Synthèse!$D$7"),
        ("$Familles.$2:.$3", None, "Familles!$2:$3"),
        ("#REF!", None, "#REF!"),
        ("$#REF!.$A$1", None, "#REF!"),
        ("Data.A1", "$Data.$A$1", "Data!A1"),
        ("Data.B2", "$Data.$B$2", "Data!A1"),  # relative to the base cell, as Excel's to A1
        ("Data.A1", "$Data.$B$2", "Data!XFD1048576"),  # wrapping round the sheet, as Excel does
    ],
)
def test_named_range_address(address, base, expected):
    assert translate_range_address(address, base) == expected


def test_named_expression_relative_to_its_base():
    assert translate("[.A1]*2", "$Data.$B$2") == "=XFD1048576*2"
    assert translate("of:=[.C3]+[.$C$3]", "$Data.$B$2") == "=B2+$C$3"
