"""Issue 21, start-up: a check loads neither pandas, openpyxl nor the
XlsxWriter writer (the openpyxl modules and XlsxWriter's ``utility`` it
uses are loaded alone, the number formats copied)."""

from __future__ import annotations

import pytest
from openpyxl.styles import numbers
from test_startup import CLI, loaded_by

from workbook_engine.evaluator import builtin_formats
from workbook_engine.formats.sample import make_sample
from workbook_engine.workbook.generate import generate_workbook


def test_a_check_does_not_load_openpyxl(tmp_path):
    path = tmp_path / "classeur.xlsx"
    generate_workbook(make_sample(30), path, capacity=40)
    heavy, done = loaded_by(CLI, "check", str(path))
    assert done.stdout.strip().endswith("0"), done.stdout + done.stderr
    assert "openpyxl" not in heavy and "pandas" not in heavy and "xlsxwriter" not in heavy, heavy


def test_the_utility_loaded_alone_is_xlsxwriters():
    """In a fresh interpreter, the layout's helpers (XlsxWriter's ``utility``
    loaded alone) answer as the library's own, imported afterwards."""
    import json
    import subprocess
    import sys

    names = ["Familles", "Grille 1", "A1", "R1C1", "RC", "C5x", "1ère", "l'École", "XFD1048576", "😀", ".x"]
    code = (
        "import json, sys\n"
        "from workbook_engine.workbook import layout\n"
        "assert 'xlsxwriter' not in sys.modules\n"
        "names = json.loads(sys.argv[1])\n"
        "alone = [[layout.quote_sheetname(n) for n in names], layout.xl_rowcol_to_cell(12, 700, True, False),"
        " layout.xl_col_to_name(16383, True)]\n"
        "from xlsxwriter import utility as u\n"
        "real = [[u.quote_sheetname(n) for n in names], u.xl_rowcol_to_cell(12, 700, True, False),"
        " u.xl_col_to_name(16383, True)]\n"
        "print(json.dumps([alone, real]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(names)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    alone, real = json.loads(done.stdout)
    assert alone == real and "'Grille 1'" in alone[0]


def test_the_copied_number_formats_are_openpyxls():
    assert builtin_formats.BUILTIN_FORMATS == numbers.BUILTIN_FORMATS
    assert builtin_formats.STRIP_RE.pattern == numbers.STRIP_RE.pattern


@pytest.mark.parametrize(
    "code",
    ["General", "0.00", "dd/mm/yyyy", '"jour" 0', "[Red]0.00", "[h]:mm", "mm:ss", '#,##0 "€"', "yyyy;0", "\\d0", "_d0"],
)
def test_the_date_format_test_is_openpyxls(code):
    assert builtin_formats.is_date_format(code) == numbers.is_date_format(code)


def test_the_tokenizer_loaded_alone_tokenizes_as_openpyxls():
    from openpyxl.formula.tokenizer import Tokenizer

    text = '=IF(A1>=2,SUMPRODUCT((B1:C1>A1)*D1:E1),"x")'
    code = (
        "from workbook_engine.evaluator.openpyxl_parts import openpyxl_part\n"
        f"print([(t.value, t.type, t.subtype) for t in openpyxl_part('formula.tokenizer').Tokenizer({text!r}).items])"
    )
    heavy, done = loaded_by(code)
    assert "openpyxl" not in heavy, heavy  # loaded alone, in a fresh interpreter
    assert done.stdout.strip() == str([(t.value, t.type, t.subtype) for t in Tokenizer(text).items])
