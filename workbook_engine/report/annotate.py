"""``check --annotate OUT.xlsx``: the bursar's workbook with each flagged
cell coloured (red: error, orange: warning, blue: information) and given a
French comment (what is wrong, what the model expects), and a first sheet
« Constats » listing every finding with a link to its cell.

The copy is made part by part (``ooxml``): the new sheet, a comments part
and its VML drawing per flagged sheet, and small edits of styles.xml (one
fill per severity, one cell format per style recoloured), of the flagged
sheets (the cells' style index, a ``legacyDrawing``), of workbook.xml (the
new first sheet; sheet-local names shift by one), its relationships,
[Content_Types].xml and docProps/app.xml. Every other part is copied as it
was, so formulas, cached values, charts, validations and protection stay.
The workbook opens on « Constats » (the sheet that was selected is no
longer). A sheet that already has comments keeps them: its flagged cells
are coloured and listed, not commented.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbook_engine.formats.files import atomic_output, refuse_overwrite
from workbook_engine.model.problems import UsageError
from workbook_engine.report import ooxml
from workbook_engine.report.causes import SEVERITY_WORDS, advice
from workbook_engine.report.ooxml import attr, text
from workbook_engine.safety.gate import inspect_workbook
from workbook_engine.workbook.check import CheckReport, Finding, FindingSeverity, show_figure

SHEET_TITLE = "Constats"
AUTHOR = "workbook-engine"
FILLS: dict[FindingSeverity, str] = {"error": "FFFFC7CE", "warning": "FFFFD8A8", "info": "FFDDEBF7"}
_RANK: dict[FindingSeverity, int] = {"error": 0, "warning": 1, "info": 2}
PART_WORDS = {"structure": "Structure", "numbers": "Calcul", "inputs": "Saisie", "review": "Conseil"}
HEADERS = ("Gravité", "Partie", "Cellule", "Famille", "Constat", "Attendu (modèle)", "Trouvé", "Que faire")
WIDTHS = (12, 11, 22, 12, 60, 28, 22, 60)


@dataclass(frozen=True)
class Flag:
    """A cell to colour and comment: the findings that name it."""

    sheet: str
    row: int
    col: int
    findings: tuple[Finding, ...]

    @property
    def severity(self) -> FindingSeverity:
        return min((f.severity for f in self.findings), key=_RANK.__getitem__)


def split_cell(name: str) -> tuple[str, int, int] | None:
    """'Familles!V11' -> ('Familles', 10, 21); None for anything else."""
    sheet, _, ref = name.rpartition("!")
    m = ooxml._A1.fullmatch(ref)
    if not sheet or m is None:
        return None
    return sheet.strip("'").replace("''", "'"), int(m.group(2)) - 1, ooxml.col_index(m.group(1))


def flags(findings: list[Finding], sheets: set[str]) -> list[Flag]:
    cells: dict[tuple[str, int, int], list[Finding]] = {}
    for f in findings:
        place = split_cell(f.cell) if f.cell else None
        if place is not None and place[0] in sheets:
            cells.setdefault(place, []).append(f)
    return [Flag(s, r, c, tuple(fs)) for (s, r, c), fs in cells.items()]


def comment_text(f: Finding) -> str:
    lines = [f"{SEVERITY_WORDS[f.severity]} : {f.message}"]
    if f.family:
        lines.append(f"Famille : {f.family}")
    if f.part == "inputs":
        if f.found is not None:
            lines.append(f"Valeur saisie : {show_figure(f.found, 'text')}")
    else:
        if f.expected is not None:
            lines.append(f"Le modèle attend : {show_figure(f.expected, f.unit)}")
        if f.found is not None:
            lines.append(f"Trouvé : {show_figure(f.found, f.unit)}")
    if f.count > 1:
        lines.append(f"De même pour {f.count - 1} autre(s) cellule(s) de la colonne (feuille « {SHEET_TITLE} »).")
    return "\n".join(lines)


def refuse_to_annotate(source: Path, out: Path) -> None:
    """What cannot be annotated, said before anything is done: an .ods (no
    package parts of this kind), a copy of another format than its source
    (an .xlsm's macros under an .xlsx name would not open), an output that
    is the input."""
    kind = source.suffix.lower()
    if kind == ".ods":
        raise UsageError(
            f"{source} : l'annotation n'existe que pour les classeurs .xlsx ; enregistrez-le au format "
            "Excel (.xlsx) puis relancez, ou utilisez --format html"
        )
    if out.suffix.lower() != kind:
        raise UsageError(f"{out} : la copie annotée garde le format du classeur ({kind}) : nommez-la …{kind}")
    refuse_overwrite(out, source)


def annotate_workbook(report: CheckReport, out: Path) -> int:
    """Write the annotated copy of ``report``'s workbook to ``out``; return
    the number of cells flagged. The original is only read."""
    source = report.path
    refuse_to_annotate(source, out)
    safe = inspect_workbook(source)  # the gate again: the copy is made only of parts that passed it
    if safe.encrypted:
        raise UsageError(
            f"{source} : classeur chiffré ; la copie annotée serait en clair : retirez le mot de passe "
            "vous-même si vous l'acceptez, ou utilisez --format html"
        )
    with safe.zip() as zf:
        infos = zf.infolist()
        parts = {i.filename: zf.read(i) for i in infos}
    sheet_parts = dict(safe.sheets)
    edited, new_parts = _annotate_parts(report, parts, sheet_parts)
    with atomic_output(out) as tmp, zipfile.ZipFile(tmp, "w") as dst:
        for info in infos:  # the original's order, compression and dates
            data = edited.get(info.filename, parts[info.filename])
            dst.writestr(info, data, compress_type=info.compress_type)
        for name, data in new_parts.items():
            dst.writestr(zipfile.ZipInfo(name, date_time=infos[0].date_time), data, zipfile.ZIP_DEFLATED)
    return len(flags(report.findings, set(sheet_parts)))


def _annotate_parts(
    report: CheckReport, parts: dict[str, bytes], sheet_parts: dict[str, str]
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(original parts edited, new parts) by name."""
    edited: dict[str, str] = {}
    new: dict[str, str] = {}

    def part(name: str) -> str:
        if name in edited:
            return edited[name]
        if name not in parts:
            raise UsageError(f"{report.path} : partie {name} introuvable : classeur impossible à annoter")
        return parts[name].decode("utf-8")

    try:
        workbook_name = _workbook_part(part("_rels/.rels"))
        styles_name = _styles_part(workbook_name, part(_rels_of(workbook_name)))
        styles = ooxml.Styles(part(styles_name))
        fills = {sev: styles.add_fill(argb) for sev, argb in FILLS.items()}
        marked = flags(report.findings, set(sheet_parts))
        by_sheet: dict[str, list[Flag]] = {}
        for flag in marked:
            by_sheet.setdefault(flag.sheet, []).append(flag)
        taken = set(parts)
        for n, (sheet, sheet_flags) in enumerate(by_sheet.items(), 1):
            name = sheet_parts[sheet]
            cells = {(f.row, f.col): _recolour(styles, fills[f.severity]) for f in sheet_flags}
            xml = ooxml.restyle_cells(part(name), cells)
            if not ooxml.has_legacy_drawing(xml):
                comments = _free(taken, "xl/comments{}.xml")
                vml = _free(taken, "xl/drawings/vmlDrawing{}.vml")
                rels_name = _rels_of(name)
                rels = part(rels_name) if rels_name in parts or rels_name in edited else None
                rels, _ = ooxml.add_relationship(rels, ooxml.REL_COMMENTS, _relative(name, comments))
                rels, vml_rid = ooxml.add_relationship(rels, ooxml.REL_VML, _relative(name, vml))
                edited[rels_name] = rels
                xml = ooxml.add_legacy_drawing(xml, vml_rid)
                new[comments] = _comments_xml(sheet_flags)
                new[vml] = _vml(sheet_flags, n)
            edited[name] = xml
        # The new first sheet.
        sheet_name = _free_sheet_name(list(sheet_parts))
        sheet_part = _free(taken, "xl/worksheets/sheet{}.xml")
        new[sheet_part] = _findings_sheet(report, styles, fills, sheet_parts)
        wb_rels, rid = ooxml.add_relationship(
            part(_rels_of(workbook_name)), ooxml.REL_WORKSHEET, _relative(workbook_name, sheet_part)
        )
        edited[_rels_of(workbook_name)] = wb_rels
        wb = part(workbook_name)
        edited[workbook_name] = ooxml.insert_first_sheet(wb, sheet_name, rid, ooxml.relationship_prefix(wb))
        for name in sheet_parts.values():  # the new sheet opens: no other may stay selected with it
            xml = part(name)
            unselected = ooxml.unselect_tab(xml)
            if unselected != xml:
                edited[name] = unselected
        edited[styles_name] = styles.result()
        overrides = {"/" + sheet_part: ooxml.CT_WORKSHEET}
        overrides |= {"/" + p: ooxml.CT_COMMENTS for p in new if p.startswith("xl/comments")}
        edited["[Content_Types].xml"] = ooxml.add_content_types(
            part("[Content_Types].xml"),
            overrides,
            {"vml": ooxml.CT_VML} if any(p.endswith(".vml") for p in new) else {},
        )
        if "docProps/app.xml" in parts:
            edited["docProps/app.xml"] = ooxml.add_app_title(part("docProps/app.xml"), sheet_name)
    except ooxml.PartShapeError as exc:
        raise UsageError(
            f"{report.path} : classeur d'une forme que l'annotation ne sait pas modifier ({exc}) ; "
            "utilisez --format html"
        ) from None
    new |= {k: v for k, v in edited.items() if k not in parts}  # a sheet's first relationships part
    encoded = {k: v.encode("utf-8") for k, v in edited.items() if k in parts and v.encode("utf-8") != parts[k]}
    return encoded, {k: v.encode("utf-8") for k, v in new.items()}


def _recolour(styles: ooxml.Styles, fill: int) -> Callable[[int], int]:
    return lambda style: styles.with_fill(style, fill)


def _workbook_part(rels: str) -> str:
    for kind, target in ooxml.relationships(rels).values():
        if kind.endswith("/officeDocument"):
            return target.lstrip("/")
    raise ooxml.PartShapeError("no workbook part")


def _styles_part(workbook: str, rels: str) -> str:
    for kind, target in ooxml.relationships(rels).values():
        if kind.endswith("/styles"):
            return _resolve(workbook, target)
    raise ooxml.PartShapeError("no styles part")


def _rels_of(name: str) -> str:
    folder, base = posixpath.split(name)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source))


def _free(taken: set[str], pattern: str) -> str:
    n = 1
    while pattern.format(n) in taken:
        n += 1
    taken.add(pattern.format(n))
    return pattern.format(n)


def _free_sheet_name(names: list[str]) -> str:
    lower = {n.lower() for n in names}
    name, n = SHEET_TITLE, 1
    while name.lower() in lower:
        n += 1
        name = f"{SHEET_TITLE} ({n})"
    return name


# ---------------------------------------------------------------------------
# New parts
# ---------------------------------------------------------------------------


def _comments_xml(sheet_flags: list[Flag]) -> str:
    items = []
    for flag in sorted(sheet_flags, key=lambda f: (f.row, f.col)):
        body = "\n\n".join(comment_text(f) for f in flag.findings)
        items.append(
            f'<comment ref="{ooxml.a1(flag.row, flag.col)}" authorId="0"><text>'
            f'<r><rPr><b/><sz val="9"/><rFont val="Tahoma"/></rPr><t>{AUTHOR} :</t></r>'
            f'<r><rPr><sz val="9"/><rFont val="Tahoma"/></rPr><t xml:space="preserve">\n{text(body)}</t></r>'
            "</text></comment>"
        )
    return (
        f'{ooxml.PROLOG}<comments xmlns="{ooxml.MAIN_NS}"><authors><author>{AUTHOR}</author></authors>'
        f"<commentList>{''.join(items)}</commentList></comments>"
    )


def _vml(sheet_flags: list[Flag], block: int) -> str:
    shapes = []
    for k, flag in enumerate(sorted(sheet_flags, key=lambda f: (f.row, f.col))):
        r, c = flag.row, flag.col
        shapes.append(
            f'<v:shape id="_x0000_s{block * 1024 + k + 1}" type="#_x0000_t202" '
            'style="position:absolute;margin-left:80pt;margin-top:2pt;width:240pt;height:110pt;z-index:'
            f'{k + 1};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{c + 1}, 15, {max(r - 1, 0)}, 10, {c + 5}, 15, {max(r - 1, 0) + 7}, 4</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{r}</x:Row><x:Column>{c}</x:Column></x:ClientData></v:shape>"
        )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    )


def _lines(value: str, width: int) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide
    (spreadsheets do not size rows written without a height)."""
    return sum(max(1, -(-len(part) // max(width - 2, 1))) for part in value.split("\n"))


def _findings_sheet(
    report: CheckReport, styles: ooxml.Styles, fills: dict[FindingSeverity, int], sheet_parts: dict[str, str]
) -> str:
    bold = styles.add_font('<b/><sz val="11"/><name val="Calibri"/><family val="2"/>')
    title_font = styles.add_font('<b/><sz val="14"/><name val="Calibri"/><family val="2"/>')
    link_font = styles.add_font('<u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/><family val="2"/>')
    header_fill = styles.add_fill("FFD9E1F2")
    wrap = '<alignment vertical="top" wrapText="1"/>'
    title_xf = styles.add_xf(f'<xf numFmtId="0" fontId="{title_font}" fillId="0" borderId="0" xfId="0" applyFont="1"/>')
    header_xf = styles.add_xf(
        f'<xf numFmtId="0" fontId="{bold}" fillId="{header_fill}" borderId="0" xfId="0" applyFont="1" '
        f'applyFill="1" applyAlignment="1">{wrap}</xf>'
    )
    text_xf = styles.add_xf(
        f'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">{wrap}</xf>'
    )
    link_xf = styles.add_xf(
        f'<xf numFmtId="0" fontId="{link_font}" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
        f"{wrap}</xf>"
    )
    severity_xf = {
        sev: styles.add_xf(
            f'<xf numFmtId="0" fontId="{bold}" fillId="{fill}" borderId="0" xfId="0" applyFont="1" applyFill="1" '
            f'applyAlignment="1">{wrap}</xf>'
        )
        for sev, fill in fills.items()
    }

    def cell(row: int, col: int, value: object, style: int) -> str:
        return (
            f'<c r="{ooxml.a1(row, col)}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text(value)}</t>'
            "</is></c>"
        )

    findings = sorted(report.findings, key=lambda f: _RANK[f.severity])
    n_errors = sum(f.severity == "error" for f in findings)
    rows = [
        f'<row r="1">{cell(0, 0, f"Constats du contrôle de {report.path.name}", title_xf)}</row>',
        '<row r="2" ht="30" customHeight="1">'
        + cell(
            1,
            0,
            f"{len(findings)} constat(s), dont {n_errors} erreur(s). Les cellules signalées sont colorées (rouge : "
            "erreur, orange : attention, bleu : information) et portent un commentaire ; cliquez sur une cellule "
            "de la colonne « Cellule » pour y aller.",
            text_xf,
        )
        + "</row>",
        '<row r="4">' + "".join(cell(3, c, h, header_xf) for c, h in enumerate(HEADERS)) + "</row>",
    ]
    links = []
    sheets = set(sheet_parts)
    for i, f in enumerate(findings):
        r = 4 + i
        place = split_cell(f.cell) if f.cell else None
        linked = place is not None and place[0] in sheets
        where = f.cell or f.where
        if f.count > 1:
            where += f" (+{f.count - 1})"
        expected = show_figure(f.expected, f.unit) if f.expected is not None and f.part != "inputs" else ""
        found = show_figure(f.found, f.unit if f.part != "inputs" else "text") if f.found is not None else ""
        values = (SEVERITY_WORDS[f.severity], PART_WORDS[f.part], where, f.family or "", f.message, expected, found)
        styles_of = (
            severity_xf[f.severity],
            text_xf,
            link_xf if linked else text_xf,
            text_xf,
            text_xf,
            text_xf,
            text_xf,
        )
        row = "".join(cell(r, c, v, s) for c, (v, s) in enumerate(zip(values, styles_of)))
        row += cell(r, 7, advice(f), text_xf)
        lines = max(_lines(str(v), w) for v, w in zip((*values, advice(f)), WIDTHS))
        rows.append(f'<row r="{r + 1}" ht="{15 * lines}" customHeight="1">{row}</row>')
        if linked and place is not None:
            sheet, pr, pc = place
            location = "'" + sheet.replace("'", "''") + "'!" + ooxml.a1(pr, pc)
            links.append(f'<hyperlink ref="{ooxml.a1(r, 2)}" location={attr(location)} display={attr(f.cell)}/>')
    if not findings:
        rows.append(f'<row r="5">{cell(4, 0, "Aucun constat : le classeur est cohérent.", text_xf)}</row>')
    last = max(5, 4 + len(findings))
    cols = "".join(f'<col min="{c + 1}" max="{c + 1}" width="{w}" customWidth="1"/>' for c, w in enumerate(WIDTHS))
    return (
        f'{ooxml.PROLOG}<worksheet xmlns="{ooxml.MAIN_NS}" xmlns:r="{ooxml.REL_NS}">'
        '<sheetPr><tabColor rgb="FFC00000"/><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:H{last}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="4" topLeftCell="A5" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="C5" sqref="C5"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols><sheetData>{''.join(rows)}</sheetData>"
        + '<mergeCells count="1"><mergeCell ref="A2:H2"/></mergeCells>'
        + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
        + '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToHeight="0"/></worksheet>'
    )
