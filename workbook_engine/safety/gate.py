"""The safety gate: what every command runs before it opens a workbook.

Federations receive workbooks from hundreds of schools by e-mail: re-saved by
every version of Excel and LibreOffice, sometimes broken, sometimes not
workbooks at all, sometimes hostile. ``inspect_workbook`` looks at a file in
bounded time and memory and either returns a ``SafeWorkbook`` (where to read
it, what it holds that is never run or followed) or raises an ``InputError``
with one French line naming the file and the problem. It never runs a macro,
never opens an external link and never expands an XML entity.

Caps. A legitimate workbook is at most 50,000 families in up to 10 grids, as
this engine writes it (or re-saved by Excel / LibreOffice, which only shrink
it with shared formulas). Measured: per family row 18 + 8 x grids cells and
about 0.9 + 1.15 x grids kB of sheet XML, so 50,000 families x 3 grids is a
212 MB sheet of 2.05 M cells (read in ~15 s, ~330 MB), x 10 grids about
620 MB and 4.9 M cells. Every cap leaves at least that room:

=====================  ===========  ==============================================
cap                    value        why
=====================  ===========  ==============================================
file on disk           256 MiB      50,000 families x 10 grids is ~80 MB zipped
parts in the zip       1,000        10 grids is 78 parts; Excel adds a dozen
sheets                 250          10 grids is 15 sheets
worksheet part         768 MiB      the 10-grid families sheet is ~620 MB (streamed)
any other part         64 MiB       read whole into memory (styles, strings...);
                                    50,000 families need ~1.2 MB of strings
all parts              1 GiB        uncompressed, summed
rows per sheet         100,000      50,000 families plus headers, twice over
cells per row          16,384       Excel's own column limit
cells in all sheets    6,000,000    10 grids x 50,000 families is 4.9 M
shared strings         1,000,000    one id per family plus labels: ~50,000
text between tags      1 MiB        Excel's cell limit is 32,767 characters
columns read           256          the families sheet of 29 grids; more is ignored
password spin count    1,000,000    Excel uses 100,000; each is a SHA-512 round
=====================  ===========  ==============================================

Sizes are refused from the zip's central directory *before* anything is
inflated, and enforced again while reading (in case the directory lies:
``zipfile`` also stops at the declared size and checks the CRC). Counts of
rows and cells come from one streamed pass over each worksheet part (C-speed
byte counting: ~2.5 s for the 212 MB sheet, which openpyxl reads in ~15 s).

XML. A DOCTYPE is where entities ("billion laughs") and external entities
(XXE: a file of the machine copied into a cell) are declared; it can only
stand in an XML document's prolog. The gate reads the prolog of every XML
part and refuses a DOCTYPE, or an encoding other than the Unicode / Latin
ones Office uses, before any parser sees the part. Behind it, openpyxl parses
through ``defusedxml`` (a dependency: ``openpyxl.xml.DEFUSEDXML`` is True when
it is installed), which forbids entities too. Code of ours that parses XML
itself must use ``parse_xml`` / ``iterparse_xml`` (``safe_xml``, re-exported
here: defusedxml with DTDs forbidden), after ``inspect_workbook``, reading
parts with ``SafeWorkbook.open_part`` (size-capped).

Encrypted workbooks (OLE2 with an EncryptionInfo stream, see ``encrypted``)
are decrypted in memory with msoffcrypto-tool when a password is given (``password=`` or the
``workbook_password`` context the command line sets from ``--password``):
the plain workbook never touches the disk.
"""

from __future__ import annotations

import contextvars
import io
import os
import posixpath
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol
from xml.etree.ElementTree import Element

from workbook_engine.model.limits import (  # noqa: F401 - the caps, re-exported for the gate's users
    CHUNK,
    GIB,
    KIB,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_DIRECTORY_BYTES,
    MAX_FILE_BYTES,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_PROLOG,
    MAX_ROW_CELLS,
    MAX_ROWS,
    MAX_SHARED_STRINGS,
    MAX_SHEET_PART_BYTES,
    MAX_SHEETS,
    MAX_TEXT_RUN,
    MAX_TOTAL_BYTES,
    MIB,
    count_text,
    size_text,
)
from workbook_engine.model.package import OFFICE_DOCUMENT, WORKBOOK_TYPES, PackageMismatch
from workbook_engine.model.package import workbook_part as package_workbook_part
from workbook_engine.model.problems import InputError
from workbook_engine.safety.encrypted import Unreadable, decrypt_ole, one_line
from workbook_engine.safety.ods import inspect_ods, is_odf_package
from workbook_engine.safety.safe_workbook import SafeWorkbook, TagCutter, refuse  # noqa: F401 - re-exported
from workbook_engine.safety.safe_xml import iterparse_xml, looks_xml, parse_xml, xml_prolog_problem  # noqa: F401 - re-exported

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSB_TYPE = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"

# Packages up to this size (uncompressed, summed) may keep their parts in
# memory after the gate (``keep_parts``): a 2,000-family workbook is 11 MB;
# 100,000 families (~500 MB) are inflated twice rather than held.
KEEP_PARTS_BYTES = 64 * MIB

_password: contextvars.ContextVar[str | None] = contextvars.ContextVar("workbook_password", default=None)


@contextmanager
def workbook_password(password: str | None) -> Iterator[None]:
    """Within this block, encrypted workbooks are opened with ``password``
    (the command line wraps a command in it for ``--password``)."""
    token = _password.set(password)
    try:
        yield
    finally:
        _password.reset(token)


def current_password() -> str | None:
    """The password of the ``workbook_password`` context (for worker processes)."""
    return _password.get()


# ---------------------------------------------------------------------------
# What the gate returns
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# The gate
# ---------------------------------------------------------------------------


def inspect_workbook(path: str | Path, password: str | None = None, *, keep_parts: bool = False) -> SafeWorkbook:
    """Check ``path`` is a workbook that can be read safely; raise InputError
    (one French line naming the file) otherwise. ``password`` (default: the
    ``workbook_password`` context) decrypts an encrypted workbook in memory.
    ``keep_parts``: keep the decompressed parts of an xlsx package of at most
    ``KEEP_PARTS_BYTES`` (``SafeWorkbook.contents``), for the caller to parse
    them without inflating them again."""
    path = Path(path)
    if password is None:
        password = _password.get()
    try:
        return _inspect_path(path, password, keep_parts)
    except OSError as exc:  # unreadable (rights, a disk gone): this file's problem, the run goes on
        raise refuse(path, f"fichier illisible ({exc.strerror or type(exc).__name__})") from None


def _inspect_path(path: Path, password: str | None, keep_parts: bool) -> SafeWorkbook:
    if not path.exists():
        raise refuse(path, "fichier introuvable")
    if path.is_dir():
        try:
            os.scandir(path).close()
        except OSError:  # listed by workbook_paths when its files cannot be listed
            raise refuse(
                path, "dossier illisible (accès refusé ?) : les classeurs qu'il contient ne sont pas lus"
            ) from None
    if not path.is_file():
        raise refuse(path, "ce n'est pas un fichier ordinaire (dossier, périphérique ou tube)")
    size = path.stat().st_size
    if size == 0:
        raise refuse(path, "fichier vide (0 octet) : ce n'est pas un classeur Excel")
    if size > MAX_FILE_BYTES:
        raise refuse(
            path,
            f"fichier trop volumineux ({size_text(size)} ; un classeur de 50 000 familles en fait "
            f"moins de 100 Mo, au plus {size_text(MAX_FILE_BYTES)} acceptés)",
        )
    with open(path, "rb") as fh:
        head = fh.read(8 * KIB)
        if head.startswith(b"PK"):
            return _inspect_zip(path, fh, size, None, keep_parts)
        if not head.startswith(OLE_MAGIC):
            raise refuse(path, _not_a_workbook(head))
        try:
            data = decrypt_ole(fh, password)
        except Unreadable as exc:
            raise refuse(path, str(exc)) from None
    with io.BytesIO(data) as plain:
        return _inspect_zip(path, plain, len(data), data, keep_parts)


def _not_a_workbook(head: bytes) -> str:
    """Name what the file is instead, so the sender knows what to do."""
    convert = " : ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx"
    if head.startswith(b"%PDF"):
        return "document PDF, pas un classeur Excel .xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00").lower()
    if stripped.startswith((b"<", b"<\x00")):
        return "fichier HTML ou XML, pas un classeur Excel .xlsx" + convert
    text = head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) or b"\x00" not in head
    if text:
        return "fichier texte ou CSV, pas un classeur Excel .xlsx" + convert
    return "format inconnu, ce n'est pas un classeur Excel .xlsx"


# ---------------------------------------------------------------------------
# Zip packages
# ---------------------------------------------------------------------------


def _directory_counts(fh: BinaryIO, size: int) -> tuple[int, int] | None:
    """(entries, central directory bytes) from the end-of-central-directory
    record, read before ``zipfile`` indexes a possibly enormous directory."""
    tail_len = min(size, 22 + 65_535 + 20)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) - i < 22:
        return None
    entries, cd_size, cd_offset = struct.unpack("<6xHLL", tail[i + 4 : i + 20])
    if 0xFFFF in (entries,) or 0xFFFFFFFF in (cd_size, cd_offset):  # zip64
        loc = tail[i - 20 : i] if i >= 20 else b""
        if not loc.startswith(b"PK\x06\x07"):
            return None
        (offset,) = struct.unpack("<Q", loc[8:16])
        if offset + 56 > size:
            return None
        fh.seek(offset)
        rec = fh.read(56)
        if not rec.startswith(b"PK\x06\x06"):
            return None
        entries, cd_size = struct.unpack("<Q", rec[32:40])[0], struct.unpack("<Q", rec[40:48])[0]
    return entries, cd_size


_DAMAGED = (
    "fichier .xlsx tronqué ou endommagé (archive zip illisible) : demandez à l'expéditeur de le "
    "renvoyer ou ouvrez-le dans Excel pour le réparer"
)


def _inspect_zip(path: Path, fh: BinaryIO, size: int, data: bytes | None, keep_parts: bool) -> SafeWorkbook:
    counts = _directory_counts(fh, size)
    if counts is None:
        raise refuse(path, _DAMAGED)
    entries, cd_size = counts
    if entries > MAX_PARTS or cd_size > MAX_DIRECTORY_BYTES:
        raise refuse(
            path,
            f"archive anormale : {count_text(entries)} parties (au plus {count_text(MAX_PARTS)} "
            "pour un classeur) : refusée sans la lire",
        )
    fh.seek(0)
    try:
        zf = zipfile.ZipFile(fh)
        infos = zf.infolist()
    except Exception:  # noqa: BLE001 - BadZipFile, struct errors, bad names...
        raise refuse(path, _DAMAGED) from None
    with zf:
        _check_directory(path, infos)
        keep = keep_parts and sum(i.file_size for i in infos) <= KEEP_PARTS_BYTES  # what zipfile inflates at most
        return _Package(path, zf, infos, data, keep).inspect()


def _check_directory(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse from the central directory alone, before inflating anything."""
    if len(infos) > MAX_PARTS:
        raise refuse(path, f"archive anormale : {count_text(len(infos))} parties (au plus {count_text(MAX_PARTS)})")
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:
            raise refuse(path, f"archive anormale : partie « {info.filename[:80]} » en double")
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise refuse(
                path,
                "archive zip chiffrée : ce n'est pas un classeur Excel (un classeur protégé par mot "
                "de passe n'est pas une archive zip)",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(path, f"archive anormale : méthode de compression {info.compress_type} inconnue d'Excel")
        if info.file_size > MAX_SHEET_PART_BYTES:
            raise refuse(
                path,
                f"archive anormale : la partie « {info.filename[:80]} » se décompresserait en "
                f"{size_text(info.file_size)} (au plus {size_text(MAX_SHEET_PART_BYTES)}) : fichier "
                "piégé ou corrompu, refusé sans le décompresser",
            )
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise refuse(
            path,
            f"archive anormale : ses parties se décompresseraient en {size_text(total)} (au plus "
            f"{size_text(MAX_TOTAL_BYTES)}) : fichier piégé ou corrompu, refusé sans le décompresser",
        )


_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
_ROW = re.compile(rb"<" + _PREFIX + rb"row[\s/>]")
_CELL = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_SI = re.compile(rb"<" + _PREFIX + rb"si[\s/>]")
_ROW_NUMBER = re.compile(rb"""^<row[^>]*?\sr\s*=\s*["'](\d{1,12})["']""")


_PREFIXED = re.compile(rb":(?:c|row)")  # found iff b":c" in data or b":row" in data, in one pass
_CELL_ENDS = frozenset(b" >/\n\t\r")  # what follows "<c" in a cell's tag


def _last_cell(data: bytes) -> int:
    """Where the last "<c" followed by one of ``_CELL_ENDS`` starts (-1:
    none): the last "<c" of a sheet's chunk is a cell's, almost always, so
    a few backward steps replace six backward scans of the whole chunk (five
    of which find nothing); after 64 other "<c" (<col>, <cfRule>...), the
    six scans."""
    at, size = len(data), len(data)
    for _ in range(64):
        at = data.rfind(b"<c", 0, at)
        if at < 0:
            return -1
        if at + 2 < size and data[at + 2] in _CELL_ENDS:
            return at
    return max(data.rfind(b"<c" + end) for end in (b" ", b">", b"/", b"\n", b"\t", b"\r"))


def _last_rows(data: bytes, open_row: bytes, filled_row: bytes) -> tuple[bytes, bytes]:
    """The last <row> tag of the sheet so far, and the last one holding a
    cell, given the same for the sheet before ``data``."""
    cell = _last_cell(data)
    if cell < 0 and b":c" in data:  # prefixed tags (rare): the slow way
        for m in _CELL.finditer(data):
            cell = m.start()
    if cell >= 0:
        at = data.rfind(b"<row", 0, cell)
        filled_row = data[at : at + 256] if at >= 0 else open_row
    at = data.rfind(b"<row")
    return (data[at : at + 256] if at >= 0 else open_row), filled_row


def _local(tag: object) -> str:
    """An element's name without its namespace (transitional or strict OOXML)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Package:
    """One pass over a zip package's parts."""

    def __init__(
        self, path: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], data: bytes | None, keep: bool = False
    ):
        self.path, self.zf, self.data = path, zf, data
        self.infos = {i.filename: i for i in infos}
        self.read_cache: dict[str, bytes] = {}
        self.kept: dict[str, bytes] | None = {} if keep else None  # parts streamed whole, when kept
        self.rows = self.cells = 0

    def fail(self, message: str) -> InputError:
        return refuse(self.path, message)

    # -- reading parts -----------------------------------------------------------
    def stream(self, name: str, cap: int) -> Iterator[bytes]:
        """The part's bytes in chunks (the first one MAX_PROLOG long), never
        more than ``cap`` nor than the directory said (zipfile stops there and
        checks the CRC)."""
        seen = 0
        try:
            with self.zf.open(self.infos[name]) as f:
                while chunk := f.read(CHUNK if seen else MAX_PROLOG):
                    seen += len(chunk)
                    if seen > cap:
                        raise self.fail(
                            f"archive anormale : la partie « {name[:80]} » dépasse "
                            f"{size_text(cap)} : fichier piégé ou corrompu"
                        )
                    yield chunk
        except InputError:
            raise
        except Exception:  # noqa: BLE001 - bad CRC, truncated data, invalid deflate stream
            raise self.fail(
                f"partie « {name[:80]} » endommagée (données compressées illisibles ou somme de "
                "contrôle incorrecte) : fichier tronqué ou corrompu"
            ) from None

    def read(self, name: str, cap: int = MAX_PART_BYTES) -> bytes:
        if name not in self.read_cache:
            self.read_cache[name] = b"".join(self.stream(name, cap))
        return self.read_cache[name]

    def xml(self, name: str) -> Element:
        """A structural part, prolog-checked then parsed with defusedxml."""
        data = self.read(name)
        problem = xml_prolog_problem(data[:MAX_PROLOG], len(data) <= MAX_PROLOG)
        if problem:
            raise self.fail(f"partie « {name[:80]} » : {problem}")
        try:
            return parse_xml(data)
        except Exception as exc:  # noqa: BLE001 - malformed XML or a forbidden construct
            raise self.fail(f"partie « {name[:80]} » : XML invalide ({one_line(exc)})") from None

    # -- the whole package ---------------------------------------------------------
    def inspect(self) -> SafeWorkbook:

        if is_odf_package(set(self.infos)):  # OpenDocument (.ods): its own parts, same caps
            return inspect_ods(self)
        workbook = self.workbook_part()
        sheets, shared, links, connections = self.workbook_links(workbook)
        sheet_of = {part: name for name, part in sheets}
        structural = set(self.read_cache)  # already read whole, checked and parsed
        for name, info in self.infos.items():
            if name in structural:
                continue
            cap = MAX_SHEET_PART_BYTES if name in sheet_of else MAX_PART_BYTES
            if info.file_size > cap:
                raise self.fail(
                    f"archive anormale : la partie « {name[:80]} » se décompresserait en "
                    f"{size_text(info.file_size)} (au plus {size_text(cap)}) : fichier piégé ou "
                    "corrompu, refusé sans le décompresser"
                )
            self.scan(name, cap, sheet_of.get(name), strings=name == shared)
        names = set(self.infos)
        macros = sorted(
            n
            for n in names
            if n.lower().endswith("vbaproject.bin") or n.startswith(("xl/macrosheets/", "xl/dialogsheets/"))
        )
        return SafeWorkbook(
            self.path,
            self.data,
            self.data is not None,
            tuple(sheets),
            len(names),
            sum(i.file_size for i in self.infos.values()),
            self.cells,
            self.rows,
            tuple(macros),
            tuple(links),
            connections or "xl/connections.xml" in names,
            None if self.kept is None else {**self.read_cache, **self.kept},
        )

    def workbook_part(self) -> str:
        """The workbook part, by the rule every reader follows
        (``model.package``): the root relationships and the content types
        must name the same part."""
        names = set(self.infos)
        if "[Content_Types].xml" not in names:  # (OpenDocument packages go to safety_ods)
            raise self.fail("archive zip qui n'est pas un classeur Excel .xlsx")
        typed: list[tuple[str, str]] = []
        for o in self.xml("[Content_Types].xml").iter():
            ctype = (o.get("ContentType") or "").strip()
            if _local(o.tag) == "Override":
                typed.append(((o.get("PartName") or "").lstrip("/"), ctype))
            if ctype.startswith(XLSB_TYPE):
                raise self.fail("classeur binaire Excel (.xlsb), non pris en charge : enregistrez-le au format .xlsx")
        if not any(ctype in WORKBOOK_TYPES for _p, ctype in typed) and "xl/workbook.xml" not in names:
            if "word/document.xml" in names or "ppt/presentation.xml" in names:
                raise self.fail("document Word ou PowerPoint, pas un classeur Excel .xlsx")
            raise self.fail("archive zip qui n'est pas un classeur Excel .xlsx (aucune partie classeur)")
        office = [target for typ, target, _mode in self.rels("").values() if typ.endswith(OFFICE_DOCUMENT)]
        try:
            return package_workbook_part(office, typed, names)
        except PackageMismatch as exc:
            raise self.fail(str(exc)) from None

    def workbook_links(self, workbook: str) -> tuple[list[tuple[str, str]], str | None, list[str], bool]:
        """Sheets (name, part), the shared strings part, the external
        workbooks linked to, whether there are data connections."""
        declared = [
            (e.get("name") or "", next((v for k, v in e.attrib.items() if _local(k) == "id"), ""))
            for e in self.xml(workbook).iter()
            if _local(e.tag) == "sheet"
        ]
        if len(declared) > MAX_SHEETS:
            raise self.fail(f"trop de feuilles : {count_text(len(declared))} (au plus {MAX_SHEETS}) : refusé")
        rels = self.rels(workbook)
        sheets: list[tuple[str, str]] = []
        for name, rid in declared:
            target = rels.get(rid, ("", "", ""))[1]
            if not target:
                continue
            if target in {p for _n, p in sheets}:
                raise self.fail(f"structure anormale : plusieurs feuilles lisent la même partie « {target[:80]} »")
            if target not in self.infos:
                raise self.fail(f"feuille « {name[:80]} » : partie « {target[:80]} » absente : fichier incomplet")
            sheets.append((name, target))
        shared = next((t for typ, t, _m in rels.values() if typ.endswith("/sharedStrings")), None)
        links: list[str] = []
        for typ, target, _mode in rels.values():
            if typ.endswith("/externalLink") and target in self.infos:
                outside = [t for _ty, t, mode in self.rels(target).values() if mode == "External"]
                links += [posixpath.basename(t.replace("\\", "/")) or t for t in outside] or [target]
        connections = any(typ.endswith("/connections") for typ, _t, _m in rels.values())
        return sheets, shared, sorted(set(links)), connections

    def rels(self, part: str) -> dict[str, tuple[str, str, str]]:
        """Relationship id -> (type, target part or external target, mode)."""
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        if name not in self.infos:
            return {}
        out = {}
        for r in self.xml(name).iter():
            if _local(r.tag) != "Relationship":
                continue
            mode, target = r.get("TargetMode") or "", r.get("Target") or ""
            if mode != "External":
                target = (
                    target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                )
            out[r.get("Id") or ""] = (r.get("Type") or "", target, mode)
        return out

    def scan(self, name: str, cap: int, sheet: str | None, *, strings: bool) -> None:
        """Stream one part to its end (size and CRC): the prolog of an XML
        part; the rows and cells of a worksheet, the strings of the shared
        strings, and their longest text between two tags."""
        what = f"feuille « {sheet[:80]} »" if sheet is not None else f"partie « {name[:80]} »"
        count = sheet is not None or strings
        first = True
        cutter = TagCutter(
            lambda: self.fail(
                f"{what} : texte de plus de {size_text(MAX_TEXT_RUN)} d'un seul tenant (une "
                "cellule Excel contient au plus 32 767 caractères) : refusé"
            )
        )
        rows_before, row_cells, n_strings = self.rows, 0, 0
        open_row, filled_row = b"", b""  # the last <row> tag seen; the last one holding a cell
        kept: list[bytes] | None = None if self.kept is None else []
        for chunk in self.stream(name, cap):
            if kept is not None:
                kept.append(chunk)
            if first:
                first = False
                if looks_xml(name, chunk):
                    problem = xml_prolog_problem(chunk, len(chunk) < MAX_PROLOG)
                    if problem:
                        raise self.fail(f"{what} : {problem}")
            if not count:
                continue
            data = cutter.feed(chunk)
            if strings:
                n_strings += len(_SI.findall(data)) if b":si" in data else data.count(b"<si")
                if n_strings > MAX_SHARED_STRINGS:
                    raise self.fail(f"trop de textes partagés (plus de {count_text(MAX_SHARED_STRINGS)}) : refusé")
            if sheet is not None:
                row_cells = self.count_cells(what, data, row_cells, rows_before)
                open_row, filled_row = _last_rows(data, open_row, filled_row)
        if kept is not None and self.kept is not None:
            self.kept[name] = b"".join(kept)
        if sheet is not None and cutter.tail:
            self.count_cells(what, cutter.tail, row_cells, rows_before)
            open_row, filled_row = _last_rows(cutter.tail, open_row, filled_row)
        # Rows come in order: the last one holding a cell gives the sheet's
        # height. A far cell (row 1048576) would make a reader fill every row
        # above it; an empty far <row> (LibreOffice writes one after a row is
        # deleted) holds nothing and costs nothing.
        m = _ROW_NUMBER.search(filled_row) if sheet is not None else None
        if m and int(m.group(1)) > MAX_ROWS:
            raise self.fail(
                f"{what} : cellule remplie au-delà de la ligne {count_text(MAX_ROWS)} (ligne "
                f"{count_text(int(m.group(1)))}) ; un classeur de 50 000 familles n'en a pas besoin : "
                "videz ces lignes"
            )

    def count_cells(self, what: str, data: bytes, row_cells: int, rows_before: int) -> int:
        """Count rows and cells in ``data``; return the cells of the row still
        open at its end. Plain byte counts (C speed) unless tags carry a
        namespace prefix; "<c" also counts <col>, <cfRule>...: an overcount
        errs on the safe side."""
        prefixed = _PREFIXED.search(data) is not None
        cells = 0 if prefixed else data.count(b"<c")
        if prefixed or row_cells + cells > MAX_ROW_CELLS:  # look row by row
            for i, piece in enumerate(_ROW.split(data) if prefixed else data.split(b"<row")):
                if i:
                    self.rows += 1
                    row_cells = 0
                n = len(_CELL.findall(piece)) if prefixed else piece.count(b"<c")
                row_cells += n
                self.cells += n
                if row_cells > MAX_ROW_CELLS:
                    raise self.fail(f"{what} : une ligne de plus de {count_text(MAX_ROW_CELLS)} cellules : refusé")
        else:  # no row of this chunk can exceed the cap: count the chunk at once
            rows = data.count(b"<row")
            self.rows += rows
            self.cells += cells
            row_cells = row_cells + cells if rows == 0 else data[data.rfind(b"<row") :].count(b"<c")
        if self.rows - rows_before > MAX_ROWS:
            raise self.fail(
                f"{what} : plus de {count_text(MAX_ROWS)} lignes ; un classeur de 50 000 familles en a "
                "bien moins : refusé"
            )
        if self.cells > MAX_CELLS:
            raise self.fail(
                f"trop de cellules (plus de {count_text(MAX_CELLS)} ; un classeur de 50 000 familles "
                "en a bien moins) : refusé"
            )
        return row_cells


# ---------------------------------------------------------------------------
# Reading the cells, with caps (openpyxl, read-only, links never kept)
# ---------------------------------------------------------------------------


def read_cached_values(safe: SafeWorkbook) -> dict[str, list[CellRow]]:
    """Every sheet's rows of the values stored with the formulas (openpyxl,
    read-only: external links not kept, never opened; VBA not kept, never
    run); any failure of openpyxl on the file is an InputError."""
    import openpyxl

    with unreadable_as_input_error(safe.path), safe.open() as fh:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False, keep_vba=False)
        try:
            return sheet_rows(wb, safe.path)
        finally:
            wb.close()


CellRow = tuple[object, ...]  # the values of one row of cells


class _ReadOnlySheet(Protocol):
    """What :func:`sheet_rows` reads of an openpyxl read-only worksheet."""

    @property
    def title(self) -> str: ...

    @property
    def max_column(self) -> int | None: ...

    def iter_rows(self, *, max_row: int, max_col: int, values_only: bool) -> Iterable[CellRow]: ...


class _ReadOnlyWorkbook(Protocol):
    """What :func:`sheet_rows` reads of an openpyxl read-only workbook."""

    @property
    def worksheets(self) -> Sequence[_ReadOnlySheet]: ...


def sheet_rows(wb: _ReadOnlyWorkbook, path: Path) -> dict[str, list[CellRow]]:
    """The rows of values of an open read-only workbook, trailing blanks
    trimmed: at most MAX_ROWS rows and MAX_COLUMNS columns (the layout needs
    far fewer), so a sheet claiming a million rows or columns stays small."""
    out: dict[str, list[CellRow]] = {}
    for ws in wb.worksheets:
        width = min(ws.max_column or MAX_COLUMNS, MAX_COLUMNS)
        rows = [_trim(r) for r in ws.iter_rows(max_row=MAX_ROWS + 1, max_col=width, values_only=True)]
        if len(rows) > MAX_ROWS:
            raise refuse(
                path,
                f"feuille « {ws.title} » : cellule remplie au-delà de la ligne "
                f"{count_text(MAX_ROWS)} ; un classeur de 50 000 familles n'en a pas besoin : videz "
                "ces lignes",
            )
        out[ws.title] = rows
    return out


@contextmanager
def unreadable_as_input_error(path: str | Path) -> Iterator[None]:
    """Whatever a parser trips on in a gated file is a damaged or
    non-conforming file (exit 2), not a bug of ours (exit 3)."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise refuse(path, f"classeur endommagé ou non conforme, illisible ({one_line(exc)})") from None


def _trim(row: CellRow) -> CellRow:
    k = len(row)
    while k and row[k - 1] is None:
        k -= 1
    return row if k == len(row) else row[:k]
