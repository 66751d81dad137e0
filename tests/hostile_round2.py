"""Generators of the second round of hostile inputs (issue 20), built at test
time: workbooks with one edited member, and the files that are not
workbooks (families CSV, scenario JSON, schools CSV). Each function writes
one file and returns its path.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from hostile_files import rewrite, sheet_part, write

SECRET = "DUPONT-Jean-revenu-35000"
"""Text planted in a family row: it must never reach collect's outputs."""


def _workbook_xml(base: Path) -> str:
    with zipfile.ZipFile(base) as z:
        return z.read("xl/workbook.xml").decode()


def _member(base: Path, name: str) -> bytes:
    with zipfile.ZipFile(base) as z:
        return z.read(name)


def with_name(base: Path, path: Path, name: str, target: str) -> Path:
    """The defined name ``name`` pointed at ``target``."""
    wb = re.sub(rf'(<definedName name="{name}"[^>]*>)[^<]*', lambda m: m.group(1) + target, _workbook_xml(base))
    return rewrite(base, path, replace={"xl/workbook.xml": wb})


def without_stamp(base: Path, path: Path, name: str = "", target: str = "") -> Path:
    """A first-release file (no stamp), one name optionally moved."""
    wb = re.sub(r'<definedName name="WE_MODELE"[^>]*>[^<]*</definedName>', "", _workbook_xml(base))
    if name:
        wb = re.sub(rf'(<definedName name="{name}"[^>]*>)[^<]*', lambda m: m.group(1) + target, wb)
    return rewrite(base, path, replace={"xl/workbook.xml": wb})


def with_stamp(base: Path, path: Path, stamp: str) -> Path:
    """The stamp claiming another size than the file holds."""
    wb = re.sub(r'(<definedName name="WE_MODELE"[^>]*>)[^<]*', lambda m: m.group(1) + stamp, _workbook_xml(base))
    return rewrite(base, path, replace={"xl/workbook.xml": wb})


def long_defined_name(base: Path, path: Path, n: int = 100_000) -> Path:
    """A defined name of ``n`` letters pointing at a cell (Excel caps names at 255)."""
    wb = _workbook_xml(base).replace(
        "<definedNames>", f'<definedNames><definedName name="{"A" * n}">Familles!$A$1</definedName>', 1
    )
    return rewrite(base, path, replace={"xl/workbook.xml": wb})


def long_name_target(base: Path, path: Path, n: int = 100_000) -> Path:
    """A defined name whose target is a run of ``n`` letters (the range pattern's worst case)."""
    return with_name(base, path, "ID_FAMILLE", "Familles!$" + "A" * n)


def long_number_format(base: Path, path: Path, n: int = 100_000, styles: int = 30, char: str = "[") -> Path:
    """A number format of ``n`` characters (Excel caps them at 255) used by ``styles`` cell styles."""
    styles_xml = _member(base, "xl/styles.xml").decode()
    code = char * n
    styles_xml = re.sub(
        r'<numFmts count="(\d+)">',
        lambda m: (
            f'<numFmts count="{int(m.group(1)) + styles}">'
            + "".join(f'<numFmt numFmtId="{300 + i}" formatCode="{code}{i}"/>' for i in range(styles))
        ),
        styles_xml,
        count=1,
    )
    xfs = "".join(
        f'<xf numFmtId="{300 + i}" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>' for i in range(styles)
    )
    m = re.search(r'<cellXfs count="(\d+)">', styles_xml)
    assert m is not None
    first = int(m.group(1))
    styles_xml = styles_xml.replace(m.group(0), f'<cellXfs count="{first + styles}">', 1)
    styles_xml = styles_xml.replace("</cellXfs>", xfs + "</cellXfs>", 1)
    part = sheet_part(base, "Paramètres")
    sheet = _member(base, part).decode()
    # Each style used by a cell (openpyxl tests each cell's format for a date).
    cells = "".join(f'<c r="{_column(7 + i)}900" s="{first + i}"><v>1</v></c>' for i in range(styles))
    sheet = sheet.replace("</sheetData>", f'<row r="900">{cells}</row></sheetData>', 1)
    return rewrite(base, path, replace={"xl/styles.xml": styles_xml, part: sheet})


def _column(n: int) -> str:
    """The letters of 0-based column ``n``."""
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def family_cell(base: Path, path: Path, cell: str, xml: str) -> Path:
    """The Familles cell ``cell`` replaced by ``xml`` (a whole ``<c>`` element)."""
    part = sheet_part(base, "Familles")
    sheet = _member(base, part).decode()
    sheet, n = re.subn(rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)', xml, sheet, count=1)
    assert n == 1, cell
    return rewrite(base, path, replace={part: sheet})


def text_in_family_number(base: Path, path: Path) -> Path:
    """A family income typed as a number holding text (the issue's leak)."""
    return family_cell(base, path, "B5", f'<c r="B5"><v>{SECRET}</v></c>')


def secret_family_id(base: Path, path: Path) -> Path:
    """A family id that is the secret, typed inline, with an error in the row
    (a negative income) so that check has a finding about it."""
    p = family_cell(base, path.with_suffix(".tmp.xlsx"), "A6", f'<c r="A6" t="inlineStr"><is><t>{SECRET}</t></is></c>')
    out = family_cell(p, path, "B6", '<c r="B6"><v>-5</v></c>')
    p.unlink()
    return out


def long_family_id(base: Path, path: Path, n: int = 40_000) -> Path:
    """A family id longer than a spreadsheet cell holds (written by another tool)."""
    return family_cell(base, path, "A6", f'<c r="A6" t="inlineStr"><is><t>{"F" * n}</t></is></c>')


def secret_in_bool_cell(base: Path, path: Path) -> Path:
    """A boolean-typed family cell holding the secret."""
    return family_cell(base, path, "F5", f'<c r="F5" t="b"><v>{SECRET}</v></c>')


def secret_in_date_cell(base: Path, path: Path) -> Path:
    """A date-typed family cell holding the secret."""
    return family_cell(base, path, "G5", f'<c r="G5" t="d"><v>{SECRET}</v></c>')


def secret_in_error_cell(base: Path, path: Path) -> Path:
    """An error-typed family cell holding the secret."""
    return family_cell(base, path, "C5", f'<c r="C5" t="e"><v>{SECRET}</v></c>')


def secret_over_formula(base: Path, path: Path) -> Path:
    """A family row's formula (its income used) typed over with the secret."""
    return family_cell(base, path, "N5", f'<c r="N5" t="inlineStr"><is><t>{SECRET}</t></is></c>')


def secret_below_table(base: Path, path: Path) -> Path:
    """The secret typed in a row below the family table (a family outside it)."""
    part = sheet_part(base, "Familles")
    sheet = _member(base, part).decode()
    row = f'<row r="40"><c r="A40" t="inlineStr"><is><t>{SECRET}</t></is></c><c r="B40"><v>1e300</v></c></row>'
    return rewrite(base, path, replace={part: sheet.replace("</sheetData>", row + "</sheetData>", 1)})


def control_characters(base: Path, path: Path) -> Path:
    """A family id holding ESC, BEL, CR, LF (a terminal title and a clear screen)."""
    text = "F_x001B_]0;pwned_x0007__x001B_[2J&#13;&#10;X"
    p = family_cell(base, path.with_suffix(".tmp.xlsx"), "A6", f'<c r="A6" t="inlineStr"><is><t>{text}</t></is></c>')
    out = family_cell(p, path, "B6", '<c r="B6"><v>-5</v></c>')
    p.unlink()
    return out


def control_in_names(base: Path, path: Path) -> Path:
    """The structure and a grid named with ESC, BEL and a C1 CSI (shared
    strings, as a spreadsheet writes them)."""
    strings = _member(base, "xl/sharedStrings.xml").decode()
    strings = strings.replace("OGEC Saint-Joseph (exemple)", "OGEC _x001B_[2J_x001B_]0;pwned_x0007_ \u009b31m", 1)
    strings = strings.replace(">École<", ">É_x001B_[5mcole<", 1)
    return rewrite(base, path, replace={"xl/sharedStrings.xml": strings})


def three_cells_at_one_address(base: Path, path: Path, slow: bool = False) -> Path:
    """B5 written three times in its row: the last would win silently. With
    ``slow``, a character reference makes the reader take its XML parser
    instead of its patterns."""
    part = sheet_part(base, "Familles")
    sheet = _member(base, part).decode()
    last = '<c r="B5" t="inlineStr"><is><t>&#65;</t></is></c>' if slow else '<c r="B5"><v>999999</v></c>'
    sheet = re.sub(r'(<c r="B5"[^>]*>.*?</c>)', lambda m: m.group(1) + '<c r="B5"><v>1</v></c>' + last, sheet)
    return rewrite(base, path, replace={part: sheet})


def decoy_workbook(base: Path, path: Path, rows: int = 1_000_000) -> Path:
    """Content types name a harmless workbook part, the root relationships
    another one whose Familles sheet holds a million rows."""
    types = _member(base, "[Content_Types].xml").decode()
    rels = _member(base, "_rels/.rels").decode()
    big = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, rows + 1))
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + big + b"</sheetData></worksheet>"
    )
    wb_rels = _member(base, "xl/_rels/workbook.xml.rels").decode()
    familles = sheet_part(base, "Familles").removeprefix("xl/")
    decoy_rels = wb_rels.replace(familles, "worksheets/decoy_sheet.xml")
    rels = rels.replace("xl/workbook.xml", "xl/decoy.xml")
    return rewrite(
        base,
        path,
        replace={"_rels/.rels": rels, "[Content_Types].xml": types},
        add={
            "xl/decoy.xml": _member(base, "xl/workbook.xml"),
            "xl/_rels/decoy.xml.rels": decoy_rels,
            "xl/worksheets/decoy_sheet.xml": sheet,
        },
    )


def two_office_documents(base: Path, path: Path) -> Path:
    """Two officeDocument relationships in the root: which one is the workbook?"""
    rels = _member(base, "_rels/.rels").decode()
    m = re.search(r"<Relationship [^>]*officeDocument[^>]*/>", rels)
    assert m is not None
    second = m.group(0).replace('Id="rId1"', 'Id="rId99"').replace("xl/workbook.xml", "xl/other.xml")
    rels = rels.replace(m.group(0), m.group(0) + second)
    return rewrite(base, path, replace={"_rels/.rels": rels}, add={"xl/other.xml": _member(base, "xl/workbook.xml")})


def content_type_elsewhere(base: Path, path: Path) -> Path:
    """The workbook content type given to another part than the one the
    relationships name (the relationships' part keeps no main type)."""
    types = _member(base, "[Content_Types].xml").decode()
    types = types.replace('PartName="/xl/workbook.xml"', 'PartName="/xl/shadow.xml"')
    return rewrite(
        base, path, replace={"[Content_Types].xml": types}, add={"xl/shadow.xml": _member(base, "xl/workbook.xml")}
    )


# ---------------------------------------------------------------------------
# Not workbooks
# ---------------------------------------------------------------------------

CSV_HEAD = "id;rfr_1;parts;pupils_g1;pupils_g2;pupils_g3\n"


def csv_rows(path: Path, n: int) -> Path:
    """A families CSV of ``n`` rows (a million: 20 MB)."""
    with path.open("w", encoding="utf-8") as f:
        f.write(CSV_HEAD)
        f.writelines(f"F{i};35000;2;1;0;0\n" for i in range(n))
    return path


def csv_long_field(path: Path, n: int = 140_000) -> Path:
    return write(
        path, (CSV_HEAD + "F1;35000;2;1;0;0\n" + "F2" + "x" * n + ";18000;1;1;0;0\nF3;20000;1;1;0;0\n").encode()
    )


def csv_cp1252_byte(path: Path) -> Path:
    """UTF-8 with one Windows-1252 byte (é as 0xE9) in the last row."""
    return write(path, (CSV_HEAD + "Zoé;35000;2;1;0;0\nF2;18000;1;1;0;0\n").encode() + b"Ren\xe9;20000;1;1;0;0\n")


def csv_inner_bom(path: Path, inside_id: bool = False) -> Path:
    """A BOM starting a line (two files put end to end), or inside an id."""
    row = "F\ufeff2" if inside_id else "\ufeffF2"
    return write(path, (CSV_HEAD + f"F1;35000;2;1;0;0\n{row};18000;1;1;0;0\n").encode())


def csv_twin_ids(path: Path, twin: str) -> Path:
    return write(path, (CSV_HEAD + "F1;35000;2;1;0;0\n" + twin + ";18000;1;1;0;0\n").encode())


def csv_long_id(path: Path, n: int = 40_000) -> Path:
    return write(path, (CSV_HEAD + "F" * n + "1;35000;2;1;0;0\n" + "F" * n + "2;18000;1;1;0;0\n").encode())


def csv_huge_value(path: Path, value: str = "1" + "0" * 307) -> Path:
    return write(path, (CSV_HEAD + f"F1;{value};2;1;0;0\nF2;18000;1;1;0;0\n").encode())


def scenario(sample: dict, path: Path, **changes: object) -> Path:
    path.write_text(json.dumps(sample | changes, ensure_ascii=False), encoding="utf-8")
    return path


def scenario_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def deep_json(path: Path, depth: int = 100_000) -> Path:
    return scenario_text(path, '{"grids": ' + "[" * depth + "]" * depth + "}")


def duplicate_key_json(sample: dict, path: Path) -> Path:
    text = json.dumps(sample, ensure_ascii=False)
    return scenario_text(path, text.replace('{"structure": ', '{"structure": "Autre", "structure": ', 1))
