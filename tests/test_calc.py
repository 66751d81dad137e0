"""``workbook-engine calc`` and ``workbook_engine.evaluate_workbook``: any
workbook's cells by their Excel names; deep formulas never crash a command
(issue 20, point 4); the fallback's cells are a finding of ``check``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hostile_files import rewrite, sheet_part

import workbook_engine
from workbook_engine.cli.main import main
from workbook_engine.evaluator import ExcelError
from workbook_engine.formats.sample import make_sample
from workbook_engine.model.problems import InputError
from workbook_engine.workbook.generate import generate_workbook
from workbook_engine.workbook.layout import SHEET_FAMILIES


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """A workbook no layout wrote: a quoted sheet name, errors, text."""
    path = tmp_path_factory.mktemp("calc") / "budget.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Budget 2026")
    for r, (label, amount) in enumerate([("Loyer", 1200), ("Cantine", 350.5), ("Sorties", 0)]):
        ws.write_string(r, 0, label)
        ws.write_number(r, 1, amount)
    ws.write_formula("B4", "=SUM(B1:B3)")
    ws.write_formula("B5", "=B1/B3")
    ws.write_formula("B6", "=SUMPRODUCT(--(B1:B3>100))")
    ws.write_formula("B7", '=TEXT(B4,"0.00")')
    other = wb.add_worksheet("Synthese")
    other.write_formula("A1", "='Budget 2026'!B4*2")
    other.write_formula("A2", "=A1>3000")
    wb.close()
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_formula_cell_by_its_excel_name(plain, capsys):
    code, out, err = run(capsys, "calc", str(plain))
    assert code == 0, err
    lines = [line.rsplit(None, 1) for line in out.splitlines()]
    assert [line[0] for line in lines] == [
        "'Budget 2026'!B4",
        "'Budget 2026'!B5",
        "'Budget 2026'!B6",
        "'Budget 2026'!B7",
        "Synthese!A1",
        "Synthese!A2",
    ]
    assert lines[0][1:] == ["1550.5"] and lines[1][1:] == ["#DIV/0!"] and lines[2][1:] == ["2"]
    assert lines[3][1:] == ["1550,50"]  # TEXT in the French locale (the default)
    assert lines[4][1:] == ["3101"] and lines[5][1:] == ["TRUE"]


def test_chosen_cells_json_csv_and_locale(plain, capsys):
    code, out, _ = run(capsys, "calc", str(plain), "--cells", "'Budget 2026'!A1:B2", "--cells", "Synthese!A1", "--json")
    assert code == 0
    data = json.loads(out)
    assert [d["cell"] for d in data] == [
        "'Budget 2026'!A1",
        "'Budget 2026'!B1",
        "'Budget 2026'!A2",
        "'Budget 2026'!B2",
        "Synthese!A1",
    ]
    assert data[0] == {"cell": "'Budget 2026'!A1", "type": "text", "value": "Loyer"}
    assert data[4]["value"] == 3101.0
    code, out, _ = run(capsys, "calc", str(plain), "--cells", "Budget 2026!B5:B7", "--csv", "--locale", "en")
    assert out.splitlines() == [
        "cell,type,value",
        "'Budget 2026'!B5,error,#DIV/0!",
        "'Budget 2026'!B6,number,2",
        "'Budget 2026'!B7,text,1550.50",
    ]


def test_bad_cells_and_bad_files_are_clear_errors(plain, tmp_path, capsys):
    code, _, err = run(capsys, "calc", str(plain), "--cells", "Nulle part!A1")
    assert code == 2 and "pas de feuille « Nulle part »" in err
    code, _, err = run(capsys, "calc", str(plain), "--cells", "pas une cellule")
    assert code == 2 and "n'est pas une cellule" in err
    text = tmp_path / "notes.xlsx"
    text.write_text("ceci n'est pas un classeur\n", encoding="utf-8")
    code, _, err = run(capsys, "calc", str(text))
    assert code == 2 and "Traceback" not in err and str(text) in err


def test_python_api(plain):
    calc = workbook_engine.evaluate_workbook(plain)
    assert calc["Budget 2026!B4"] == calc["'Budget 2026'!B4"] == 1550.5
    assert calc["'Budget 2026'!B5"] == ExcelError("#DIV/0!") and isinstance(calc["'Budget 2026'!B5"], ExcelError)
    assert calc["'Budget 2026'!A9"] is None
    assert "Synthese!A2" in calc and "Synthese!B2" not in calc
    assert len(calc) == 6 and list(calc)[0] == "'Budget 2026'!B4"
    assert calc.cells("Synthese!A1:A2") == [("Synthese!A1", 3101.0), ("Synthese!A2", True)]
    assert workbook_engine.evaluate_workbook(plain, locale="en")["'Budget 2026'!B7"] == "1550.50"
    with pytest.raises(InputError):
        workbook_engine.evaluate_workbook(Path(__file__))


def test_import_workbook_engine_stays_light():
    code = (
        "import sys, workbook_engine; workbook_engine.evaluate_workbook;"
        "print(sorted(m for m in ('numpy', 'openpyxl', 'pandas') if m in sys.modules))"
    )
    got = subprocess.run(
        [sys.executable, "-c", code.replace("workbook_engine.evaluate_workbook;", "")], capture_output=True, text=True
    )
    assert got.stdout.strip() == "[]", got.stderr


# ---------------------------------------------------------------------------
# Deep formulas (issue 20, point 4) and unverified cells in check
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("deep") / "classeur.xlsx"
    generate_workbook(make_sample(12, seed=5), path, capacity=20)
    return path


def with_formula(base: Path, out: Path, cells: dict[str, str]) -> Path:
    """A copy of a generated workbook with formulas replaced on Familles."""
    part = sheet_part(base, SHEET_FAMILIES)
    xml = zipfile.ZipFile(base).read(part).decode()
    for addr, formula in cells.items():
        new = re.sub(
            rf'(<c r="{addr}"[^>]*>)<f>[^<]*</f>', lambda m, f=formula: m.group(1) + "<f>" + f + "</f>", xml, count=1
        )
        assert new != xml, addr
        xml = new
    return rewrite(base, out, replace={part: xml})


DEEP = {
    "chain_2000": "+".join(["1"] * 2000),
    "chain_490": "+".join(["1"] * 490),
    "parentheses_20000": "(" * 20000 + "1" + ")" * 20000,
    "signs_5000": "-" * 5000 + "1",
    "functions_300": "ABS(" * 300 + "1" + ")" * 300,
}


@pytest.mark.parametrize("case", sorted(DEEP))
@pytest.mark.parametrize("command", ["read", "check", "evaluate", "calc"])
def test_deep_formulas_never_crash_a_command(generated, tmp_path, capsys, case, command):
    path = with_formula(generated, tmp_path / f"{case}.xlsx", {"N5": DEEP[case]})
    code, out, err = run(capsys, command, str(path))
    assert code in (0, 1), err
    assert "interne" not in err and "Recursion" not in err + out


def test_chains_are_computed_and_nesting_is_a_cell_error(generated, tmp_path):
    path = with_formula(
        generated,
        tmp_path / "deep.xlsx",
        {"N5": DEEP["chain_2000"], "N6": DEEP["parentheses_20000"], "N7": DEEP["signs_5000"]},
    )
    calc = workbook_engine.evaluate_workbook(path)
    assert calc["Familles!N5"] == 2000.0
    assert calc["Familles!N6"] == ExcelError("#VALUE!")
    assert calc["Familles!N7"] == 1.0  # an even number of minus signs
    assert calc.unverified == {"formule trop imbriquée": ["Familles!N6"]}


def test_check_flags_cells_it_cannot_vouch_for(generated, tmp_path, capsys):
    cells = {f"AO{r}": f'IF(A{r}="","",LN(N{r}+1))' for r in range(4, 12)}
    cells["N13"] = DEEP["parentheses_20000"]
    path = with_formula(generated, tmp_path / "unverified.xlsx", cells)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    fallback = [line for line in out.splitlines() if "moteur de secours" in line]
    assert len(fallback) == 1, out  # one line for the cause, naming the first cells and counting the rest
    assert "Familles!AO4, Familles!AO5, Familles!AO6 et 5 autre(s)" in fallback[0]
    assert "LN" in fallback[0] and "non vérifiée" in fallback[0]
    assert any("Familles!N13" in line and "trop imbriquée" in line for line in out.splitlines())
    code, out, _ = run(capsys, "check", str(path), "--json")
    findings = json.loads(out)["findings"]
    unverified = [f for f in findings if "non vérifiée" in f["message"]]
    assert {f["severity"] for f in unverified} == {"warning"}
    assert sum(f["count"] for f in unverified) == 9


def test_an_ods_file(tmp_path, capsys):
    from ods_files import formula, num, row, simple_ods, table

    path = simple_ods(
        tmp_path / "budget.ods",
        [
            table(
                "Feuille 1",
                [row(num(2), num(3)), row(formula("of:=SUMPRODUCT([.A1:.B1];[.A1:.B1])"), formula("of:=[.A1]/0"))],
            )
        ],
    )
    code, out, err = run(capsys, "calc", str(path), "--csv")
    assert code == 0, err
    assert out.splitlines()[1:] == ["'Feuille 1'!A2,number,13", "'Feuille 1'!B2,error,#DIV/0!"]


def test_a_bursars_sumproduct_over_family_columns(generated, tmp_path):
    """The issue's example: SUMPRODUCT(--(K>0), V) over the family rows,
    which the fallback computed as 0, equals column V added over the rows
    where column K is positive (read cell by cell)."""
    import openpyxl

    wb = openpyxl.load_workbook(generated)
    ws = wb[SHEET_FAMILIES]
    ws["CZ1"] = "=SUMPRODUCT(--(Familles!K4:K23>0),Familles!V4:V23)"
    ws["CZ2"] = "=SUMPRODUCT((Familles!K4:K23>0)*1)"
    ws["CZ3"] = '=SUMIFS(Familles!V4:V23,Familles!K4:K23,">0")'
    path = tmp_path / "sumproduct.xlsx"
    wb.save(path)
    calc = workbook_engine.evaluate_workbook(path)
    rows = [r for r in range(4, 24) if isinstance(calc[f"Familles!K{r}"], float) and calc[f"Familles!K{r}"] > 0]
    dues = [calc[f"Familles!V{r}"] for r in rows]
    assert rows and all(isinstance(d, float) for d in dues)
    assert calc["Familles!CZ1"] == pytest.approx(sum(dues), abs=1e-9) and calc["Familles!CZ1"] > 0
    assert calc["Familles!CZ2"] == len(rows)
    assert calc["Familles!CZ3"] == calc["Familles!CZ1"]
    assert not calc.unverified


def test_defined_names_nested_through_each_other(tmp_path):
    """A name's own nesting counts on top of the formula using it: a chain
    of names each nested 30 deep is a cell error, not a RecursionError;
    a short chain computes."""

    def name(i: int) -> str:
        return "TAUX_" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]

    path = tmp_path / "noms.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("S")
    for i in range(20):
        inner = name(i + 1) if i < 19 else "1"
        wb.define_name(name(i), "=" + "(" * 30 + inner + "+1" + ")" * 30)
    wb.define_name("COURT", f"={name(18)}+{name(19)}")
    ws.write_formula("A1", f"={name(0)}")
    ws.write_formula("A2", "=COURT*2")
    wb.close()
    calc = workbook_engine.evaluate_workbook(path)
    assert calc["S!A1"] == ExcelError("#VALUE!")
    assert calc["S!A2"] == 10.0  # (3 + 2) * 2
    assert calc.unverified == {"formule trop imbriquée": ["S!A1"]}


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("+".join(["1"] * 3000), 3000.0),  # 6,000 characters: under the bound, though its digits are many
        ("(" * 5000 + "1" + ")" * 5000, ExcelError("#VALUE!")),
        ("-" * 3000 + "1", 1.0),
        ("ABS(" * 300 + "1" + ")" * 300, ExcelError("#VALUE!")),
    ],
)
def test_deep_formulas_in_an_ods_file(tmp_path, formula, expected):
    from ods_files import formula as ods_formula
    from ods_files import num, row, simple_ods, table

    path = simple_ods(tmp_path / "profond.ods", [table("F", [row(num(2), ods_formula("of:=" + formula))])])
    assert workbook_engine.evaluate_workbook(path)["F!B1"] == expected


def test_control_characters_never_reach_the_terminal(tmp_path, capsys):
    path = tmp_path / "controles.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("S")
    ws.write_formula("A1", '="titre"&CHAR(27)&"]0;pirate"&CHAR(7)')
    ws.write_string("B1", "ligne 1\nligne 2\x1b[2J")
    ws.write_formula("C1", "=B1")
    wb.close()
    for fmt in ([], ["--csv"], ["--json"]):
        code, out, _ = run(capsys, "calc", str(path), "--cells", "S!A1:C1", *fmt)
        assert code == 0 and "\x1b" not in out and "\x07" not in out
        if fmt == ["--json"]:
            assert json.loads(out)[2]["value"] == "ligne 1\nligne 2\x1b[2J"  # the data, escaped only
        if not fmt:
            assert len(out.splitlines()) == 3 and "ligne 1\\u000aligne 2\\u001b[2J" in out
