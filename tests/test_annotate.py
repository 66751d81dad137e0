"""check --annotate: the copy differs from the original only where it must
(part by part), still checks with exactly the original's findings, and
LibreOffice opens it, keeps the comments and re-saves a file that checks the
same."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from libreoffice_recalc import recalculate
from report_workbooks import generate, sheet_parts, tampered

from workbook_engine.cli.main import main
from workbook_engine.workbook.check import check_workbook

# What may change in an annotated copy, and how it may change.
EDITED = {"xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "docProps/app.xml"}


def findings(path: Path) -> list[tuple]:
    """The findings as data, without the file's name (``where`` of a
    workbook-wide finding holds the path)."""
    return [
        (f.part, f.severity, f.message, f.cell, f.family, f.count, f.expected, f.found)
        for f in check_workbook(path).findings
    ]


@pytest.fixture(scope="module")
def annotated(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    d = tmp_path_factory.mktemp("annotate")
    original, cells = tampered(generate(d / "clean.xlsx"), d / "bursar.xlsx")
    out = d / "annotated.xlsx"
    before = original.read_bytes()
    assert main(["check", str(original), "--annotate", str(out)]) == 1
    assert original.read_bytes() == before  # the original is only read
    return original, out, cells


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_the_copy_checks_with_the_original_findings(annotated):
    original, out, cells = annotated
    found = findings(original)
    assert {f[3] for f in found} >= set(cells.values())
    assert findings(out) == found


def test_nothing_else_changed_part_by_part(annotated):
    original, out, _cells = annotated
    a, b = parts(original), parts(out)
    flagged_sheets = {sheet_parts(original)[f[3].split("!")[0]] for f in findings(original) if f[3]}
    assert len(flagged_sheets) == 3  # Familles, Grille 1, Synthèse
    selected = {
        n for n, data in a.items() if n.startswith("xl/worksheets/sheet") and b'tabSelected="1"' in data
    }  # no longer selected: the copy opens on its findings sheet
    rels = {n.replace("worksheets/", "worksheets/_rels/") + ".rels" for n in flagged_sheets}
    may_change = EDITED | flagged_sheets | selected | rels
    assert set(a) <= set(b)
    assert [n for n in b if n in a] == list(a)  # the original's parts in the original's order
    for name in rels & set(a):  # a sheet's relationships: the original ones kept, two added
        assert b[name].replace(b"</Relationships>", b"").startswith(a[name].replace(b"</Relationships>", b""))
    for name in a:
        if name not in may_change:
            assert a[name] == b[name], f"{name} changed"
    new = sorted(set(b) - set(a) - rels)
    assert len([n for n in new if n.startswith("xl/comments")]) == len(flagged_sheets)
    assert len([n for n in new if n.endswith(".vml")]) == len(flagged_sheets)
    assert len([n for n in new if n.startswith("xl/worksheets/sheet")]) == 1
    for name in flagged_sheets:  # only the flagged cells' style and the comments' drawing differ
        old, edited = a[name].decode(), b[name].decode()
        edited = re.sub(r"<legacyDrawing [^>]*/>", "", edited)
        strip = re.compile(r'(<c r="[A-Z]+\d+") s="\d+"')
        assert strip.sub(r"\1", old).replace(' tabSelected="1"', "") == strip.sub(r"\1", edited)
        changed = set(re.findall(r'<c r="([A-Z]+\d+)" s="(\d+)"', edited)) - set(
            re.findall(r'<c r="([A-Z]+\d+)" s="(\d+)"', old)
        )
        sheet = next(s for s, p in sheet_parts(original).items() if p == name)
        flagged = {c.split("!")[1] for c in (f[3] for f in findings(original)) if c.startswith(sheet + "!")}
        assert {ref for ref, _s in changed} == flagged
    # styles: every original fill and cell format kept, in place; new ones appended.
    for element in ("fills", "cellXfs", "fonts"):
        body = re.compile(rf"<{element}[^>]*>(.*?)</{element}>", re.S)
        old_body, new_body = body.search(a["xl/styles.xml"].decode())[1], body.search(b["xl/styles.xml"].decode())[1]
        assert new_body.startswith(old_body) and len(new_body) > len(old_body)
    # workbook.xml: one sheet more, first; sheet-local names shifted by one.
    wa, wb = a["xl/workbook.xml"].decode(), b["xl/workbook.xml"].decode()
    names_a = re.findall(r'<sheet [^>]*name="([^"]+)"', wa)
    names_b = re.findall(r'<sheet [^>]*name="([^"]+)"', wb)
    assert names_b == ["Constats", *names_a]
    local = [int(x) for x in re.findall(r'localSheetId="(\d+)"', wa)]
    assert [int(x) for x in re.findall(r'localSheetId="(\d+)"', wb)] == [x + 1 for x in local] and local
    assert re.sub(r'localSheetId="\d+"', "", re.sub(r"<sheet [^>]*/>", "", wa)).replace(
        'activeTab="1"', 'activeTab="0"'
    ) == re.sub(r'localSheetId="\d+"', "", re.sub(r"<sheet [^>]*/>", "", wb))


def test_comments_say_what_is_wrong_and_what_the_model_expects(annotated):
    _original, out, cells = annotated
    b = parts(out)
    comments = "".join(v.decode() for k, v in b.items() if k.startswith("xl/comments"))
    refs = set(re.findall(r'<comment ref="([A-Z]+\d+)"', comments))
    assert {c.split("!")[1] for c in cells.values()} <= refs
    assert "Le modèle attend" in comments and "Valeur saisie : « peut-être »" in comments
    sheet = next(
        v.decode() for k, v in b.items() if k.startswith("xl/worksheets/sheet") and "Constats du contr" in v.decode()
    )
    for cell in cells.values():
        name, ref = cell.split("!")
        assert f"location=\"'{name}'!{ref}\"" in sheet


def test_refusals(annotated, tmp_path, capsys):
    original, _out, _cells = annotated
    ods = tmp_path / "classeur.ods"
    ods.write_bytes(b"PK")
    assert main(["check", str(original), "--annotate", str(tmp_path / "copie.ods")]) == 2  # another format
    assert main(["check", str(original.parent), "--annotate", str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert ".xlsx" in err and "un seul classeur" in err


def test_ods_input_is_refused_with_a_clear_message(libreoffice, annotated, tmp_path, capsys):
    original, _out, _cells = annotated
    ods = recalculate([original], tmp_path, fmt="ods")[0]
    assert main(["check", str(ods), "--annotate", str(tmp_path / "copie.xlsx")]) == 2
    assert "enregistrez-le au format Excel (.xlsx)" in capsys.readouterr().err
    assert not (tmp_path / "copie.xlsx").exists()


def test_libreoffice_opens_the_copy_and_it_checks_the_same(libreoffice, annotated, tmp_path):
    """Re-saved by LibreOffice (which recalculates everything): the findings
    are the annotated ones, the comments and the findings sheet are kept."""
    original, out, cells = annotated
    resaved = recalculate([out], tmp_path / "lo")[0]
    assert findings(resaved) == findings(original)
    b = parts(resaved)
    comments = "".join(v.decode() for k, v in b.items() if "comments" in k and k.endswith(".xml"))
    assert {c.split("!")[1] for c in cells.values()} <= set(re.findall(r'<comment ref="([A-Z]+\d+)"', comments))
    names = list(sheet_parts(resaved))
    assert names[0] == "Constats" and names[1:] == list(sheet_parts(original))


def test_a_workbook_saved_by_libreoffice_is_annotated_too(libreoffice, annotated, tmp_path):
    """The bursar's file as LibreOffice writes it (its own XML shapes,
    tabSelected="true", every formula in full): annotated, it keeps every
    part it does not have to change and checks the same."""
    original, _out, cells = annotated
    saved = recalculate([original], tmp_path / "lo")[0]
    out = tmp_path / "annotated.xlsx"
    assert main(["check", str(saved), "--annotate", str(out)]) == 1
    assert findings(out) == findings(saved)
    a, b = parts(saved), parts(out)
    sheets = sheet_parts(saved)
    flagged = {sheets[f[3].split("!")[0]] for f in findings(saved) if f[3]}
    touched = EDITED | flagged | {n.replace("worksheets/", "worksheets/_rels/") + ".rels" for n in flagged}
    touched |= {n for n in sheets.values() if b'tabSelected="true"' in a[n] or b'tabSelected="1"' in a[n]}
    assert [n for n in a if n not in touched and a[n] != b[n]] == []
    selected = [n for n in b if n.startswith("xl/worksheets/") and re.search(rb'tabSelected="(1|true)"', b[n])]
    assert selected == [sheet_parts(out)["Constats"]]  # one sheet selected: the findings
    comments = "".join(v.decode() for k, v in b.items() if k.startswith("xl/comments"))
    assert {c.split("!")[1] for c in cells.values()} <= set(re.findall(r'<comment ref="([A-Z]+\d+)"', comments))


def test_an_annotated_copy_annotated_again(annotated, tmp_path):
    """Sheets that already hold comments keep them (the cells are still
    coloured and listed), and the second findings sheet takes a free name."""
    original, out, _cells = annotated
    again = tmp_path / "again.xlsx"
    assert main(["check", str(out), "--annotate", str(again)]) == 1
    assert findings(again) == findings(original)
    assert list(sheet_parts(again))[:2] == ["Constats (2)", "Constats"]
    a, b = parts(out), parts(again)
    assert {k: v for k, v in a.items() if k.startswith("xl/comments")} == {
        k: v for k, v in b.items() if k.startswith("xl/comments")
    }
