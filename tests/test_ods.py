"""OpenDocument spreadsheets (.ods): read without LibreOffice, gated like xlsx.

Two sources of files, both built at test time: ``ods_files`` writes
content.xml by hand (the odd shapes of real files, and hostile ones), and
LibreOffice converts a workbook the engine generated (``soffice --convert-to
ods``, once per module), which must then evaluate exactly as the xlsx it came
from, and as the model.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from hostile_files import LAUGHS, zip_with_raw_members
from libreoffice_recalc import recalculate
from ods_files import (
    MIME,
    boolean,
    cell,
    content_xml,
    date,
    empty,
    error_cell,
    formula,
    manifest_xml,
    named_expression,
    named_range,
    num,
    row,
    simple_ods,
    table,
    text,
    time_,
    write_ods,
)

from workbook_engine.cli.main import main
from workbook_engine.evaluator import UnreadableWorkbook, evaluate_workbook, parse_workbook
from workbook_engine.evaluator.ods_reader import is_ods
from workbook_engine.evaluator.values import ExcelError
from workbook_engine.safety.gate import MAX_ROWS, inspect_workbook
from workbook_engine.workbook.file import open_workbook_file
from workbook_engine.workbook.layout import Ref

TIME_BOUND = 10.0  # seconds, generous: hostile files are refused in milliseconds
MEMORY_BOUND = 256  # MiB of Python allocations


def cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def values(path: Path, sheet: str = "S") -> dict[tuple[int, int], object]:
    """Every stored value of a sheet after evaluation: (row, col) -> value."""
    ev = evaluate_workbook(path)
    s = ev.book.find(sheet)
    return {
        (r, c): s.value(r, c)
        for c, column in s.columns.items()
        for r in range(len(column))
        if s.value(r, c) is not None
    }


# ---------------------------------------------------------------------------
# Constants, repeats, merged cells
# ---------------------------------------------------------------------------


def test_constants_of_every_type(tmp_path):
    path = simple_ods(
        tmp_path / "types.ods",
        [
            table(
                "S",
                [
                    row(
                        num(45250),
                        num("0.05", kind="percentage"),
                        num("1200.5", kind="currency", office__currency="EUR"),
                    ),
                    row(date("2024-01-15"), date("2024-01-15T12:00:00"), time_("PT01H30M00S"), time_("PT36H00M00S")),
                    row(boolean(True), boolean(False), error_cell("#N/A"), text()),
                    row(
                        text("ligne1", "ligne2"),
                        cell(
                            raw_text='<text:p>a <text:s text:c="2"/>b<text:tab/>c<text:line-break/>d</text:p>',
                            office__value_type="string",
                        ),
                        cell("sans type"),
                        cell("affiché", office__value_type="string", office__string_value="valeur"),
                    ),
                    row(
                        cell(
                            raw_text="<office:annotation><text:p>une note</text:p></office:annotation><text:p>F001</text:p>",
                            office__value_type="string",
                        ),
                        cell(raw_text="<text:p><text:span>É</text:span>cole</text:p>", office__value_type="string"),
                        cell(office__value_type="void"),
                        cell(raw_text="<text:p/>"),
                    ),
                ],
            )
        ],
    )
    got = values(path)
    assert got[(0, 0)] == 45250.0 and got[(0, 1)] == 0.05 and got[(0, 2)] == 1200.5
    assert got[(1, 0)] == 45306.0 and got[(1, 1)] == 45306.5
    assert got[(1, 2)] == pytest.approx(0.0625) and got[(1, 3)] == pytest.approx(1.5)
    assert got[(2, 0)] is True and got[(2, 1)] is False
    assert got[(2, 2)] == ExcelError("#N/A") and got[(2, 3)] == ""
    assert got[(3, 0)] == "ligne1\nligne2"
    assert got[(3, 1)] == "a   b\tc\nd"
    assert got[(3, 2)] == "sans type" and got[(3, 3)] == "valeur"
    assert got[(4, 0)] == "F001" and got[(4, 1)] == "École"
    assert (4, 2) not in got and (4, 3) not in got
    wf = open_workbook_file(path)  # numbers shown as dates read as dates, as for xlsx
    assert wf(Ref("S", 1, 0)) == dt.datetime(2024, 1, 15)
    assert wf(Ref("S", 0, 0)) == 45250.0


def test_null_date_1904(tmp_path):
    settings = (
        '<table:calculation-settings><table:null-date table:date-value="1904-01-01"/></table:calculation-settings>'
    )
    path = write_ods(tmp_path / "mac.ods", content_xml([table("S", [row(date("1904-01-02"))])], settings=settings))
    parsed = parse_workbook(path)
    assert parsed.meta.date1904 and parsed.book[0].value(0, 0) == 1.0
    assert open_workbook_file(path)(Ref("S", 0, 0)) == dt.datetime(1904, 1, 2)


def test_repeated_cells_and_rows(tmp_path):
    path = simple_ods(
        tmp_path / "repeats.ods",
        [
            table(
                "S",
                [
                    row(num(7, repeat=3), empty(repeat=2), text("x", repeat=2), empty(repeat=16375)),
                    row(num(1), empty(), num(2), repeat=3),
                    row(empty(repeat=16384), repeat=4),
                    row(text("fin"), empty(repeat=16383)),
                    row(empty(repeat=16384), repeat=1048568),  # LibreOffice's blank rows down to the last one
                ],
            )
        ],
    )
    t = time.perf_counter()
    got = values(path)
    assert time.perf_counter() - t < 2.0  # blank repeats are never materialised
    assert {k: v for k, v in got.items() if k[0] == 0} == {
        (0, 0): 7.0,
        (0, 1): 7.0,
        (0, 2): 7.0,
        (0, 5): "x",
        (0, 6): "x",
    }
    for r in (1, 2, 3):
        assert got[(r, 0)] == 1.0 and got[(r, 2)] == 2.0 and (r, 1) not in got
    assert got[(8, 0)] == "fin" and max(r for r, _c in got) == 8
    assert parse_workbook(path).book[0].nrows == 9


def test_formula_cells_are_never_repeated_as_in_libreoffice(tmp_path):
    """LibreOffice reads a repeated formula cell as one cell, and a repeated
    row's formulas on its first row only (checked against LibreOffice 7.4)."""
    path = simple_ods(
        tmp_path / "formulas.ods",
        [
            table(
                "S",
                [
                    row(num(1), num(2)),
                    row(
                        num(7, repeat=2), formula("of:=[.A1]*2", repeat=3), text("x", repeat=2), formula("of:=[.A1]*3")
                    ),
                    row(num(8), formula("of:=[.B1]+100"), repeat=3),
                ],
            )
        ],
    )
    got = values(path)
    assert got[(1, 2)] == 2.0 and got[(1, 3)] == "x" and got[(1, 4)] == "x" and got[(1, 5)] == 3.0
    assert (1, 6) not in got
    assert got[(2, 0)] == got[(3, 0)] == got[(4, 0)] == 8.0
    assert got[(2, 1)] == 102.0 and (3, 1) not in got and (4, 1) not in got


def test_merged_cells(tmp_path):
    """Covered cells take their place (and keep a value they hold)."""
    path = simple_ods(
        tmp_path / "merged.ods",
        [
            table(
                "S",
                [
                    row(
                        text("titre", table__number_columns_spanned=3, table__number_rows_spanned=2),
                        empty(covered=True, repeat=2),
                        num(1),
                    ),
                    row(empty(covered=True, repeat=2), num(5, covered=True), num(2)),
                    row(formula("of:=SUM([.D1:.D2])+[.C2]")),
                ],
            )
        ],
    )
    got = values(path)
    assert got[(0, 0)] == "titre" and got[(0, 3)] == 1.0 and got[(1, 3)] == 2.0 and got[(1, 2)] == 5.0
    assert got[(2, 0)] == 8.0


# ---------------------------------------------------------------------------
# Formulas, names, sheets
# ---------------------------------------------------------------------------


def test_formulas_are_translated_and_evaluated(tmp_path):
    path = simple_ods(
        tmp_path / "calc.ods",
        [
            table("Données", [row(num(10), text("oui")), row(num(20), text("non")), row(num(30), text("oui"))]),
            table("Grille 1", [row(empty(), num(3)), row(empty(), formula("of:=[.B1]*2"))]),
            table(
                "S",
                [
                    row(
                        formula("of:=SUM([$Données.A1:.A3])"),
                        formula('of:=COUNTIF([$Données.B1:.B3];"oui")'),
                        formula("of:=[$'Grille 1'.$B$2]+1"),
                        formula('of:=IF(TRUE();"a;b";"x""y")'),
                    ),
                    row(
                        formula("of:=SUM({1;2|3;4})"),
                        formula("of:=[#REF!]*2"),
                        formula("of:=1/0"),
                        formula("of:=SUM([$Données.A1:.A2]~[$Données.A3])"),
                    ),
                    row(
                        formula("of:=ROUND([.A1]/7;2)"),
                        formula("of:=IFERROR(1/0;-1)"),
                        formula("of:=[.A1]>50"),
                        formula('of:=[$Données.B1]&"-"&[$Données.A1]'),
                    ),
                ],
            ),
        ],
    )
    got = values(path)
    assert got[(0, 0)] == 60.0 and got[(0, 1)] == 2.0 and got[(0, 2)] == 7.0 and got[(0, 3)] == "a;b"
    assert got[(1, 0)] == 10.0 and got[(1, 1)] == ExcelError("#REF!") and got[(1, 2)] == ExcelError("#DIV/0!")
    assert got[(2, 0)] == 8.57 and got[(2, 1)] == -1.0 and got[(2, 2)] is True and got[(2, 3)] == "oui-10"
    ev = evaluate_workbook(path)
    assert ev.formulas[("S", 0, 2)] == "='Grille 1'!$B$2+1"
    assert ev.formulas[("S", 1, 1)] == "=#REF!*2"
    # a union, in parentheses as Excel needs it (the evaluator, as for xlsx, hands it to its fallback)
    assert ev.formulas[("S", 1, 3)] == "=SUM((Données!A1:A2,Données!A3))"


def test_column_of_formulas_is_one_run(tmp_path):
    rows = [row(num(r), formula(f'of:=IF([.A{r + 1}]>10;[.A{r + 1}]*2;"")')) for r in range(500)]
    path = simple_ods(tmp_path / "run.ods", [table("S", rows)])
    parsed = parse_workbook(path)
    assert [(r.col, r.r0, r.r1) for r in parsed.runs] == [(1, 0, 499)]
    got = values(path)
    assert got[(11, 1)] == 22.0 and got[(3, 1)] == ""


def test_named_ranges_and_expressions(tmp_path):
    path = simple_ods(
        tmp_path / "noms.ods",
        [
            table(
                "Data",
                [row(num(10)), row(num(20)), row(num(30))],
                names=[named_range("LOCAL", "$Data.$A$2", "$Data.$A$1")],
            ),
            table("Grille 1", [row(empty(), empty()), row(empty(), empty()), row(empty(), num(4))]),
            table(
                "S",
                [
                    row(
                        formula("of:=SUM(RNG)"),
                        formula("of:=TAUX*2"),
                        formula("of:=EXPR+1"),
                        formula("of:=GONE"),
                        formula("of:=RELNAME"),
                    )
                ],
            ),
        ],
        names=[
            named_range("RNG", "$Data.$A$1:.$A$3", "$Data.$A$1"),
            named_range("TAUX", "$'Grille 1'.$B$3", "$Data.$A$1"),
            named_expression("EXPR", "[$Data.$A$1]*3", "$Data.$A$1"),
            named_range("GONE", "#REF!", "$Data.$A$1"),
            named_range("RELNAME", "Data.A1", "$Data.$A$1"),
        ],
    )
    parsed = parse_workbook(path)
    assert parsed.meta.names == {
        ("LOCAL", 0): "Data!$A$2",
        ("RNG", None): "Data!$A$1:$A$3",
        ("TAUX", None): "'Grille 1'!$B$3",
        ("EXPR", None): "Data!$A$1*3",
        ("GONE", None): "#REF!",
        ("RELNAME", None): "Data!A1",
    }
    assert parsed.meta.defined_names["Data!LOCAL"] == "Data!$A$2"
    assert parsed.meta.defined_names["TAUX"] == "'Grille 1'!$B$3"
    got = values(path)
    assert got[(0, 0)] == 60.0 and got[(0, 1)] == 8.0 and got[(0, 2)] == 31.0
    assert got[(0, 3)] == ExcelError("#REF!")
    assert open_workbook_file(path).defined_names["RNG"] == "Data!$A$1:$A$3"  # workbook-level names only


def test_hidden_sheet_and_sheet_order(tmp_path):
    styles = (
        '<office:automatic-styles><style:style style:name="ta2" style:family="table">'
        '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
    )
    path = write_ods(
        tmp_path / "cachee.ods",
        content_xml(
            [table("Visible", [row(num(1))]), table("Cachée", [row(num(2))], table__style_name="ta2")],
            before_body=styles,
        ),
    )
    meta = parse_workbook(path).meta
    assert [(s.name, s.state) for s in meta.sheets] == [("Visible", "visible"), ("Cachée", "hidden")]


def test_is_ods(tmp_path):
    path = simple_ods(tmp_path / "a.ods", [table("S", [row(num(1))])])
    assert is_ods(path) and is_ods(path.read_bytes())
    with open(path, "rb") as fh:
        fh.seek(3)
        assert is_ods(fh) and fh.tell() == 3  # left where it was
    assert not is_ods(tmp_path / "absent.ods")
    odt = write_ods(tmp_path / "b.odt", "<x/>", mime="application/vnd.oasis.opendocument.text")
    assert not is_ods(odt)


# ---------------------------------------------------------------------------
# The gate
# ---------------------------------------------------------------------------


def test_gate_accepts_an_ods_and_counts_it(tmp_path):
    path = simple_ods(
        tmp_path / "ok.ods",
        [table("Un", [row(num(1), num(2)), row(num(3))]), table("Deux", [row(num(1), repeat=1000)])],
    )
    safe = inspect_workbook(path)
    assert [s for s, _part in safe.sheets] == ["Un", "Deux"]
    assert safe.rows == 3 and safe.cells == 4  # elements: a repeat counts once here
    assert safe.macros == () and safe.external_links == ()


def test_gate_reports_macros_and_links(tmp_path):
    module = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD '
        'OfficeDocument 1.0//EN" "module.dtd">\n<script:module xmlns:script="http://openoffice.org/2000/script" '
        'script:name="Module1" script:language="StarBasic">Sub Main\nEnd Sub</script:module>'
    )
    path = simple_ods(
        tmp_path / "macros.ods",
        [
            table(
                "S", [row(formula("of:=[&apos;file:///C:/Ecole/autre.ods&apos;#$Feuil1.A1]*2".replace("&apos;", "'")))]
            )
        ],
        extra={"Basic/Standard/Module1.xml": module, "Scripts/python/x.py": "print('never run')"},
    )
    safe = inspect_workbook(path)
    assert safe.macros == ("Basic/Standard/Module1.xml", "Scripts/python/x.py")
    assert safe.external_links == ("autre.ods",)
    assert any("jamais exécutées" in n for n in safe.notes())
    assert values(path)[(0, 0)] == ExcelError("#REF!")  # never followed


def _refused(path: Path, *words: str, commands=("read", "check")) -> None:
    """Every command: exit 2, one line naming the file, in bounded time and memory."""
    for command in commands:
        tracemalloc.start()
        t = time.perf_counter()
        try:
            code, out, err = cli([command, str(path)])
        finally:
            seconds = time.perf_counter() - t
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        print(f"\n[ods] {path.name:28s} {command:5s} exit {code}  {seconds:6.3f} s  {peak:7.1f} MiB")
        text = err if command == "read" else out
        assert code == 2, out + err
        assert "Traceback" not in err and "erreur interne" not in err
        lines = [line for line in text.splitlines() if str(path) in line]
        assert len(lines) == 1, text
        for word in words:
            assert word in lines[0], lines[0]
        assert seconds < TIME_BOUND and peak < MEMORY_BOUND


@pytest.mark.parametrize("part", ["content.xml", "styles.xml", "settings.xml", "meta.xml", "META-INF/manifest.xml"])
def test_dtd_in_any_part_is_refused(tmp_path, part):
    good = content_xml([table("S", [row(num(1))])])
    defaults = {"content.xml": good, "META-INF/manifest.xml": manifest_xml()}
    from ods_files import META, SETTINGS, STYLES

    defaults.update({"styles.xml": STYLES, "settings.xml": SETTINGS, "meta.xml": META})
    xml = defaults[part]
    decl, _, body = xml.partition("\n") if xml.startswith("<?xml") else ("", "", xml)
    bad = f"{decl}\n{LAUGHS}\n{body}" if decl else LAUGHS + body
    path = write_ods(tmp_path / "rire.ods", good, replace={part: bad})
    _refused(path, "DOCTYPE", part.rsplit("/", 1)[-1])


def test_dtd_in_content_is_refused_by_the_reader_too(tmp_path):
    """Without the gate (a file given straight to the evaluator)."""
    xml = content_xml([table("S", [row(num(1))])]).replace("?>\n", "?>\n" + LAUGHS, 1)
    path = write_ods(tmp_path / "rire.ods", xml)
    t = time.perf_counter()
    with pytest.raises(UnreadableWorkbook, match="DTD"):
        parse_workbook(path)
    assert time.perf_counter() - t < 1.0


def test_repeated_filled_row_of_ten_million_rows_is_refused(tmp_path):
    path = simple_ods(
        tmp_path / "dix_millions.ods",
        [table("Familles", [row(text("F001"), num(35000)), row(text("F002"), num(1), repeat=10_000_000)])],
    )
    assert inspect_workbook(path).rows == 2  # the gate sees two rows; the reader refuses the repeat
    _refused(path, "Familles", "répétée 10 000 000 fois", f"{MAX_ROWS:,}".replace(",", " "))
    with pytest.raises(UnreadableWorkbook, match="répétée"):
        parse_workbook(path)


def test_repeated_filled_cell_beyond_the_last_column_is_refused(tmp_path):
    path = simple_ods(tmp_path / "large.ods", [table("S", [row(num(1, repeat=1_000_000))])])
    _refused(path, "S", "hors des limites")


def test_filled_cell_after_a_million_blank_rows_is_refused(tmp_path):
    path = simple_ods(tmp_path / "loin.ods", [table("S", [row(empty(), repeat=1_048_000), row(num(1))])])
    _refused(path, "au-delà de la ligne 100 000", "1 048 001")


def test_repeats_within_caps_still_read(tmp_path):
    """Repeats that hold something are expanded up to the caps."""
    path = simple_ods(tmp_path / "ok.ods", [table("S", [row(num(1, repeat=100), repeat=1000)])])
    assert len(values(path)) == 100_000


def _claiming(good: Path, path: Path, declared: int) -> Path:
    """``good`` with content.xml's size given as ``declared`` bytes in the zip's directory."""
    members = []
    with zipfile.ZipFile(good) as z:
        for info in z.infolist():
            data = z.read(info)
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw = c.compress(data) + c.flush()
            size = declared if info.filename == "content.xml" else len(data)
            members.append((info.filename, raw, zlib.crc32(data), len(raw), size))
    return zip_with_raw_members(path, members)


def test_claimed_two_gigabyte_part_is_refused_without_inflating(tmp_path):
    good = simple_ods(tmp_path / "good.ods", [table("S", [row(num(1))])])
    path = _claiming(good, tmp_path / "deux_go.ods", 2_000_000_000)
    _refused(path, "content.xml", "se décompresserait en 1,9 Go", "sans le décompresser")
    # Without the gate, the reader refuses a claim over 2 GiB before reading; a
    # smaller lie is harmless (zipfile stops where the data ends, CRC checked).
    with pytest.raises(UnreadableWorkbook, match="content.xml trop volumineuse"):
        parse_workbook(_claiming(good, tmp_path / "plus_de_2_gio.ods", (2 << 30) + 1))
    assert parse_workbook(path).book[0].value(0, 0) == 1.0


def test_too_many_rows_cells_or_sheets_are_refused(tmp_path):
    rows = simple_ods(tmp_path / "lignes.ods", [table("Familles", [row(num(1))] * (MAX_ROWS + 1))])
    _refused(rows, "Familles", "plus de 100 000 lignes", commands=("read",))
    wide = simple_ods(tmp_path / "large.ods", [table("S", [row(*[num(1)] * 16_385)])])
    _refused(wide, "plus de 16 384 cellules", commands=("read",))
    sheets = simple_ods(tmp_path / "feuilles.ods", [table(f"S{i}", [row(num(1))]) for i in range(260)])
    _refused(sheets, "trop de feuilles", commands=("read",))


def test_encrypted_ods_is_refused(tmp_path):
    encryption = (
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" '
        'manifest:size="2048"><manifest:encryption-data manifest:checksum-type="SHA1/1K" '
        'manifest:checksum="x"><manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
        'manifest:initialisation-vector="y"/></manifest:encryption-data></manifest:file-entry>'
    )
    path = write_ods(
        tmp_path / "secret.ods", b"\x8f\x13binary, encrypted" * 50, manifest=manifest_xml(extra=encryption)
    )
    _refused(path, "protégé par mot de passe", "enregistrez-le sans mot de passe ou au format .xlsx")


@pytest.mark.parametrize(
    "mime,words",
    [
        ("application/vnd.oasis.opendocument.text", ("document texte OpenDocument (.odt)", "pas un classeur")),
        ("application/vnd.oasis.opendocument.presentation", ("présentation OpenDocument (.odp)",)),
        ("application/zip", ("ni un classeur Excel .xlsx ni un classeur OpenDocument .ods",)),
    ],
)
def test_other_opendocument_files_are_refused_by_name(tmp_path, mime, words):
    path = write_ods(tmp_path / "lettre.ods", "<x/>", mime=mime)
    _refused(path, *words)


@pytest.mark.parametrize(
    "name,content,words",
    [
        ("sans_contenu.ods", None, ("content.xml absente",)),
        (
            "utf16.ods",
            content_xml([table("S", [row(num(1))])]).replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
            ("UTF-16",),
        ),
        ("mal_forme.ods", content_xml([table("S", [row(num(1))])]).replace("</table:table-row>", ""), ("mal formé",)),
        ("sans_espace.ods", "<office:document-content/>", ("OpenDocument (.ods)", "sans feuille")),
        (
            "nombre.ods",
            content_xml([table("S", [row(cell(office__value_type="float", office__value="beaucoup"))])]),
            ("S", "A1", "valeur numérique illisible"),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.endswith(".ods") else "",
)
def test_damaged_ods_is_refused_cleanly(tmp_path, name, content, words):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("mimetype", MIME)
            z.writestr("styles.xml", "<x/>")
    else:
        write_ods(path, content)
    _refused(path, *words, commands=("read",))


# ---------------------------------------------------------------------------
# Real LibreOffice output: a generated workbook converted to .ods
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(libreoffice, tmp_path_factory):
    """(scenario, xlsx, ods): the sample structure's filled workbook and
    LibreOffice's .ods of it, converted once for the module."""
    from workbook_engine.formats.sample import load_sample
    from workbook_engine.workbook.generate import generate_workbook

    folder = tmp_path_factory.mktemp("ods")
    scenario = load_sample()
    xlsx = folder / "exemple_3UP.xlsx"
    generate_workbook(scenario, xlsx, capacity=400)
    (ods,) = recalculate([xlsx], folder, fmt="ods")
    return scenario, xlsx, ods


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_ods_evaluates_as_its_xlsx(converted):
    _scenario, xlsx, ods = converted
    a, b = evaluate_workbook(ods), evaluate_workbook(xlsx)
    assert a.formulas == b.formulas  # every formula translated back to the xlsx's own text
    assert len(a.formulas) > 10_000
    diffs = [(k, a(Ref(*k)), b(Ref(*k))) for k in b.formulas if a(Ref(*k)) != b(Ref(*k))]
    assert not diffs, diffs[:5]
    assert not a.fallback_cells and not a.circular_cells
    workbook_names = {k: v for k, v in b.defined_names.items() if "!" not in k}
    assert {k: v for k, v in a.defined_names.items() if "!" not in k} == workbook_names


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_ods_cli_evaluate_equals_xlsx_and_model(converted):
    from workbook_engine.model.simulate import simulate

    scenario, xlsx, ods = converted
    code_ods, out_ods, err_ods = cli(["evaluate", str(ods), "--json"])
    code_xlsx, out_xlsx, _ = cli(["evaluate", str(xlsx), "--json"])
    assert code_ods == code_xlsx == 0, err_ods
    assert json.loads(out_ods) == json.loads(out_xlsx)
    assert json.loads(out_ods) == json.loads(json.dumps(simulate(scenario).to_json()))


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_ods_read_check_collect_merge(converted, tmp_path):
    from workbook_engine.workbook.reader import load_workbook_scenario

    _scenario, xlsx, ods = converted
    assert load_workbook_scenario(ods) == load_workbook_scenario(xlsx)
    code, out, err = cli(["check", str(ods)])
    assert code == 0 and "Classeur cohérent" in out, out + err
    code, out, err = cli(["collect", str(ods), "-o", str(tmp_path / "reseau.xlsx")])
    assert code == 0 and "1 cohérent(s)" in out, out + err
    code, out, err = cli(["merge", str(ods), str(xlsx), "-o", str(tmp_path / "fusion.xlsx")])
    assert code == 0 and "6 grilles" in out, out + err  # the same families in both: one family each


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_ods_with_a_macro_is_read_and_reported(converted, tmp_path):
    _scenario, _xlsx, ods = converted
    path = tmp_path / "macros.ods"
    module = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD '
        'OfficeDocument 1.0//EN" "module.dtd">\n<script:module xmlns:script="http://openoffice.org/2000/'
        'script" script:name="Module1" script:language="StarBasic">Sub Main\nEnd Sub</script:module>'
    )
    with zipfile.ZipFile(ods) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr("Basic/Standard/Module1.xml", module)
    code, out, err = cli(["check", str(path)])
    assert code == 0 and "Classeur cohérent" in out, out + err
    assert "macros" in out + err and "jamais exécutées" in out + err


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_ods_parses_about_as_fast_as_xlsx(converted):
    """Timings printed (run with -s); the bound is loose: a shared machine."""
    _scenario, xlsx, ods = converted

    def best(path: Path) -> float:
        times = []
        for _ in range(3):
            t = time.process_time()
            parse_workbook(path)
            times.append(time.process_time() - t)
        return min(times)

    t_ods, t_xlsx = best(ods), best(xlsx)
    print(f"\n[ods] parse 320 families, capacity 400: .ods {t_ods:.3f} s, .xlsx {t_xlsx:.3f} s")
    assert t_ods < 5 * t_xlsx + 0.5
