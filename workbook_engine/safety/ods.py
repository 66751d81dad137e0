"""The safety gate for OpenDocument spreadsheets (.ods), called by ``safety``.

The same caps as for xlsx (``safety``'s table), applied to ODF's parts: the
zip's directory was already checked (parts, sizes, total, compression);
then, before anything is parsed:

* ``mimetype`` says what the package is: only a spreadsheet (or its
  template) goes on; a text document, a presentation... is refused by name;
* ``META-INF/manifest.xml`` (prolog checked, parsed by defusedxml): a part
  encrypted with a password (``manifest:encryption-data``) is refused, as
  the content of such a file is unreadable without LibreOffice;
* ``content.xml``, where every sheet is, is streamed once to its end (size
  and CRC) with C-speed byte counts, like an xlsx worksheet: its prolog (no
  DOCTYPE, so no entity), its rows and cells (per sheet, per row, in all),
  its longest text between two tags; the sheets' names; the files its
  formulas or linked sheets point to (never opened, reported);
* every other part (``styles.xml``, ``settings.xml``, ``meta.xml``, the
  charts' XML...) is streamed to its end with its prolog checked;
* macros (``Basic/``, ``Scripts/``) are reported, never run.

A repeated row or cell (``table:number-rows-repeated``...) counts once here:
LibreOffice writes blank space as a row repeated a million times, which
costs nothing. The reader expands repeats of rows or cells that hold
something, within the same caps, or refuses the file.
"""

from __future__ import annotations

import html
import posixpath
import re
from typing import TYPE_CHECKING

from workbook_engine.model.limits import (
    KIB,
    MAX_CELLS,
    MAX_PART_BYTES,
    MAX_PROLOG,
    MAX_ROW_CELLS,
    MAX_ROWS,
    MAX_SHEET_PART_BYTES,
    MAX_SHEETS,
    MAX_TEXT_RUN,
    count_text,
    size_text,
)
from workbook_engine.safety.safe_workbook import SafeWorkbook, TagCutter
from workbook_engine.safety.safe_xml import xml_prolog_problem

if TYPE_CHECKING:
    from workbook_engine.safety.gate import _Package

CONTENT = "content.xml"
MANIFEST = "META-INF/manifest.xml"
SPREADSHEET_TYPES = (
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet-template",
)
NS_TABLE = b"urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OTHER_DOCUMENTS = {
    "text": "document texte OpenDocument (.odt)",
    "presentation": "présentation OpenDocument (.odp)",
    "graphics": "dessin OpenDocument (.odg)",
    "chart": "graphique OpenDocument (.odc)",
    "formula": "formule OpenDocument (.odf)",
    "database": "base de données OpenDocument (.odb)",
    "image": "image OpenDocument (.odi)",
}
_NOT_A_SPREADSHEET = " : ouvrez le classeur dans LibreOffice ou Excel et enregistrez-le au format .ods ou .xlsx"
# Macros (Basic modules and dialogs, scripts) and LibreOffice's own user
# interface settings: XML that LibreOffice writes with a DOCTYPE (an external
# DTD, no entity); nothing of ours ever parses them, so their prolog is not
# held against the file. They are streamed to their end (size, CRC).
_MACROS = ("Basic/", "Dialogs/", "Scripts/")
_APPLICATION_DATA = _MACROS + ("Configurations2/",)
ENCRYPTED = "classeur .ods protégé par mot de passe : enregistrez-le sans mot de passe ou au format .xlsx"
_TABLE_PREFIX = re.compile(rb"""xmlns:([A-Za-z_][\w.\-]*)\s*=\s*["']""" + re.escape(NS_TABLE) + rb"""["']""")
# a file a formula points to: ['file:///x.ods'#$Feuille.A1] (quotes escaped or not)
_EXTERNAL = re.compile(rb"""\[(?:&apos;|')([^'&\]]{1,2000})(?:&apos;|')#""")


def is_odf_package(names: set[str]) -> bool:
    """An OpenDocument package (of any kind): a ``mimetype`` member and no
    OOXML content types."""
    return "mimetype" in names and "[Content_Types].xml" not in names


def inspect_ods(pkg: _Package) -> SafeWorkbook:
    """Check an OpenDocument package read by ``safety._Package``; refuse
    (InputError, one French line naming the file) what is not a readable
    spreadsheet."""
    mime = pkg.read("mimetype", 4 * KIB).strip().decode("ascii", "replace")
    if mime not in SPREADSHEET_TYPES:
        kind = (
            mime.rsplit(".", 1)[-1].removesuffix("-template")
            if mime.startswith("application/vnd.oasis.opendocument.")
            else ""
        )
        what = _OTHER_DOCUMENTS.get(kind)
        if what:
            raise pkg.fail(f"{what}, pas un classeur" + _NOT_A_SPREADSHEET)
        raise pkg.fail("archive zip qui n'est ni un classeur Excel .xlsx ni un classeur OpenDocument .ods")
    if MANIFEST in pkg.infos:
        for element in pkg.xml(MANIFEST).iter():
            if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] == "encryption-data":
                raise pkg.fail(ENCRYPTED)
    if CONTENT not in pkg.infos:
        raise pkg.fail(
            "classeur OpenDocument (.ods) incomplet : partie content.xml absente (fichier tronqué ou endommagé)"
        )
    content = _Content(pkg)
    content.scan()
    structural = set(pkg.read_cache)  # mimetype, manifest: read whole, checked
    for name, info in pkg.infos.items():
        if name in structural or name == CONTENT or name.endswith("/"):
            continue
        if info.file_size > MAX_PART_BYTES:
            raise pkg.fail(
                f"archive anormale : la partie « {name[:80]} » se décompresserait en "
                f"{size_text(info.file_size)} (au plus {size_text(MAX_PART_BYTES)}) : fichier piégé ou "
                "corrompu, refusé sans le décompresser"
            )
        if name.startswith(_APPLICATION_DATA):
            for _chunk in pkg.stream(name, MAX_PART_BYTES):  # size and CRC only: never parsed
                pass
        else:
            pkg.scan(name, MAX_PART_BYTES, None, strings=False)
    names = set(pkg.infos)
    macros = sorted(n for n in names if n.startswith(_MACROS) and not n.endswith("/"))
    return SafeWorkbook(
        pkg.path,
        pkg.data,
        pkg.data is not None,
        tuple((s, CONTENT) for s in content.sheets),
        len(names),
        sum(i.file_size for i in pkg.infos.values()),
        pkg.cells,
        pkg.rows,
        tuple(macros),
        tuple(sorted(content.links)),
        content.connections,
    )


class _Content:
    """One streamed pass over content.xml: byte counts, as ``_Package.scan``
    does for an xlsx worksheet (an overcount errs on the safe side)."""

    def __init__(self, pkg: _Package):
        self.pkg = pkg
        self.sheets: list[str] = []
        self.links: set[str] = set()
        self.connections = False
        self.sheet_rows = 0
        self.row_cells = 0

    def what(self) -> str:
        return f"feuille « {self.sheets[-1][:80]} »" if self.sheets else "partie « content.xml »"

    def scan(self) -> None:
        pkg = self.pkg
        info = pkg.infos[CONTENT]
        if info.file_size > MAX_SHEET_PART_BYTES:
            raise pkg.fail(
                f"archive anormale : la partie « content.xml » se décompresserait en "
                f"{size_text(info.file_size)} (au plus {size_text(MAX_SHEET_PART_BYTES)}) : fichier "
                "piégé ou corrompu, refusé sans le décompresser"
            )
        first = True
        cutter = TagCutter(
            lambda: pkg.fail(
                f"{self.what()} : texte de plus de {size_text(MAX_TEXT_RUN)} d'un seul tenant (une "
                "cellule contient au plus 32 767 caractères) : refusé"
            )
        )
        for chunk in pkg.stream(CONTENT, MAX_SHEET_PART_BYTES):
            if first:
                first = False
                if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:2]:
                    raise pkg.fail(
                        "partie « content.xml » en UTF-16 : non prise en charge ; enregistrez de nouveau "
                        "le classeur avec LibreOffice"
                    )
                problem = xml_prolog_problem(chunk, len(chunk) < MAX_PROLOG)
                if problem:
                    raise pkg.fail(f"partie « content.xml » : {problem}")
                self.tags(chunk)
            self.count(cutter.feed(chunk))
        if cutter.tail:
            self.count(cutter.tail)
        if not self.sheets:
            raise pkg.fail(
                "classeur OpenDocument (.ods) sans aucune feuille de calcul : fichier incomplet ou endommagé"
            )

    def tags(self, head: bytes) -> None:
        """The markers of sheets, rows and cells, with the table namespace's
        prefix as the root element declares it (the reader requires it there)."""
        m = _TABLE_PREFIX.search(head)
        if m is None:
            raise self.pkg.fail(
                "classeur OpenDocument (.ods) sans feuille de calcul lisible (espace de noms des "
                "tableaux non déclaré) : fichier endommagé ou non conforme"
            )
        p = b"<" + m.group(1) + b":"
        self.table = re.compile(re.escape(p) + rb"table[\s/>]")
        self.row = p + b"table-row"  # also counts table-rows / table-row-group: an overcount
        self.cell, self.covered = p + b"table-cell", p + b"covered-table-cell"
        # the split at "<table:table " ate the space before the first attribute
        self.name = re.compile(
            rb"""(?<![\w.:\-])""" + re.escape(m.group(1)) + rb""":name\s*=\s*(?:"([^"]*)"|'([^']*)')"""
        )
        self.source = (p + b"table-source", p + b"cell-range-source")
        self.dde = p + b"dde-link"

    def count(self, data: bytes) -> None:
        """Sheets, rows and cells of a piece of content.xml holding whole tags."""
        if self.table.search(data) is None:
            self.count_rows(data)
        else:
            pieces = self.table.split(data)  # each sheet's part starts with the rest of its tag
            self.count_rows(pieces[0])
            for piece in pieces[1:]:
                self.start_sheet(piece)
                self.count_rows(piece)
        if b"#" in data and (b"'#" in data or b"&apos;#" in data):
            for m in _EXTERNAL.finditer(data):
                self.links.add(self.file_name(m.group(1)))
        for tag in self.source:
            at = data.find(tag)
            while at >= 0:
                end = data.find(b">", at)
                href = re.search(rb"""href\s*=\s*["']([^"']{1,2000})["']""", data[at : end if end > 0 else None])
                if href:
                    self.links.add(self.file_name(href.group(1)))
                at = data.find(tag, at + 1)
        if self.dde in data:
            self.connections = True

    def file_name(self, raw: bytes) -> str:
        target = html.unescape(raw.decode("utf-8", "replace"))
        return posixpath.basename(target.replace("\\", "/")) or target

    def start_sheet(self, piece: bytes) -> None:
        end = piece.find(b">")
        m = self.name.search(piece, 0, end if end >= 0 else len(piece))
        raw = (m.group(1) or m.group(2) or b"") if m else b""
        self.sheets.append(html.unescape(raw.decode("utf-8", "replace")) or f"Feuille{len(self.sheets) + 1}")
        if len(self.sheets) > MAX_SHEETS:
            raise self.pkg.fail(f"trop de feuilles : plus de {MAX_SHEETS} : refusé")
        self.sheet_rows = self.row_cells = 0

    def count_rows(self, data: bytes) -> None:
        """Rows and cells of a piece of one sheet (elements: a repeat counts once)."""
        pkg = self.pkg
        rows = data.count(self.row)
        cells = data.count(self.cell) + data.count(self.covered)
        if self.row_cells + cells > MAX_ROW_CELLS:  # look row by row
            for i, piece in enumerate(data.split(self.row)):
                if i:
                    self.row_cells = 0
                self.row_cells += piece.count(self.cell) + piece.count(self.covered)
                if self.row_cells > MAX_ROW_CELLS:
                    raise pkg.fail(
                        f"{self.what()} : une ligne de plus de {count_text(MAX_ROW_CELLS)} cellules : refusé"
                    )
        elif rows:
            last = data[data.rfind(self.row) :]
            self.row_cells = last.count(self.cell) + last.count(self.covered)
        else:
            self.row_cells += cells
        pkg.rows += rows
        pkg.cells += cells
        self.sheet_rows += rows
        if self.sheet_rows > MAX_ROWS:
            raise pkg.fail(
                f"{self.what()} : plus de {count_text(MAX_ROWS)} lignes ; un classeur de 50 000 familles "
                "en a bien moins : refusé"
            )
        if pkg.cells > MAX_CELLS:
            raise pkg.fail(
                f"trop de cellules (plus de {count_text(MAX_CELLS)} ; un classeur de 50 000 familles en a "
                "bien moins) : refusé"
            )


__all__ = ["ENCRYPTED", "SPREADSHEET_TYPES", "inspect_ods", "is_odf_package"]
