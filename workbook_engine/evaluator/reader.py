"""Read an xlsx file: sheets, constant cells, formula text, defined names.

The sheet XML is streamed (no openpyxl cell objects: nothing but the values
kept in memory): through ``sheet_regex`` when it has the usual shape, else
through expat. Constants go straight into the column store; formula cells are
handed, in row order, to a sink (the run builder) that parses each distinct
formula once. Whatever wrote the file (the engine, Excel, LibreOffice):
shared formulas, inline strings, prefixed XML, missing cell addresses and
absent cached values are all handled. Documents with a DTD are refused (no
entity expansion, no external entity is ever fetched).
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import posixpath
import re
import zipfile
from array import array
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, NoReturn, Protocol, cast
from xml.parsers import expat

import numpy as np

from workbook_engine.evaluator.refs import MAX_COL, MAX_ROW, col_index
from workbook_engine.evaluator.sheet_regex import (
    GiveUp,
    check_prolog_with,
    constant_value,
    read_sheet_data,
    twice_written,
)
from workbook_engine.evaluator.store import Book, Sheet
from workbook_engine.evaluator.values import BOOL, ERR, NUM, STR, error
from workbook_engine.model.limits import MAX_NUMBER_FORMAT
from workbook_engine.model.package import PackageMismatch
from workbook_engine.model.package import workbook_part as package_workbook_part

MAX_PART_BYTES = 2 << 30  # refuse (claimed) decompressed parts over 2 GiB
_REL_OFFICE_DOC = "/officeDocument"
_REL_WORKSHEET = "/worksheet"
_REL_SHARED_STRINGS = "/sharedStrings"
_REL_STYLES = "/styles"


class UnreadableWorkbook(ValueError):
    """The file is not a workbook this engine can read (message in French)."""


@dataclass
class SheetInfo:
    name: str
    part: str | None  # zip member of the worksheet XML; None: not a worksheet
    state: str = "visible"


@dataclass
class WorkbookMeta:
    sheets: list[SheetInfo]
    names: dict[tuple[str, int | None], str] = field(default_factory=dict)  # (NAME, local sheet) -> text
    defined_names: dict[str, str] = field(default_factory=dict)  # as displayed: name or "Sheet!name"
    date1904: bool = False


class FormulaSink(Protocol):
    def add(self, row: int, col: int, text: str | None, attrs: dict[str, str]) -> None:
        """A formula cell: its text (None for a shared formula's child) and
        the attributes of its <f> element (t, si, ref...)."""

    def finish(self) -> None: ...

    def same_row_slots(self, cols: list[int], row: int) -> int | None:
        """See ``runs.SheetRuns``: what lets a repeated row skip its cells."""

    def extend(self, cols: list[int], row: int, first: int | None = None) -> bool:
        """Extend the runs of ``cols`` over rows ``first`` (default ``row``) to ``row``."""

    def discard(self) -> None:
        """Forget every cell received (the sheet is read again another way)."""


# ---------------------------------------------------------------------------
# Small XML parts
# ---------------------------------------------------------------------------


def _parser() -> expat.XMLParserType:
    p = expat.ParserCreate()

    def no_dtd(*_args: object) -> NoReturn:
        raise UnreadableWorkbook("XML refusé : les déclarations DTD ne sont pas admises dans un classeur")

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    p.buffer_text = True
    return p


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _attr(attrs: dict[str, str], key: str) -> str | None:
    """An attribute, with or without a namespace prefix (r:id)."""
    if key in attrs:
        return attrs[key]
    for k, v in attrs.items():
        if _local(k) == key:
            return v
    return None


def _elements(
    data: bytes, wanted: set[str], text_of: AbstractSet[str] = frozenset()
) -> list[tuple[str, dict[str, str], str]]:
    """(local name, attributes, text) of the wanted elements of a small part."""
    out: list[tuple[str, dict[str, str], list[str]]] = []  # (local name, attributes, text pieces)
    stack: list[tuple[str, dict[str, str], list[str]] | None] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local in wanted:
            item: tuple[str, dict[str, str], list[str]] = (local, attrs, [])
            out.append(item)
            stack.append(item)
        else:
            stack.append(None)

    def end(name: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack and stack[-1] is not None and stack[-1][0] in text_of:
            stack[-1][2].append(data)

    p = _parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(data, True)
    return [(n, a, "".join(t)) for n, a, t in out]


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML escapes control characters as _xHHHH_."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _shared_strings(data: bytes) -> list[str]:
    strings: list[str] = []
    buf: list[str] = []
    depth_rph = 0
    in_t = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_t, depth_rph
        local = _local(name)
        if local == "si":
            buf.clear()
        elif local == "rPh":
            depth_rph += 1
        elif local == "t" and not depth_rph:
            in_t = True

    def end(name: str) -> None:
        nonlocal in_t, depth_rph
        local = _local(name)
        if local == "si":
            strings.append(_unescape("".join(buf)))
        elif local == "rPh":
            depth_rph -= 1
        elif local == "t":
            in_t = False

    def chars(d: str) -> None:
        if in_t:
            buf.append(d)

    p = _parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(data, True)
    return strings


# ---------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------

Source = str | Path | bytes | BinaryIO


class XlsxFile:
    """An open xlsx package: a path, the file's bytes, or a binary file object
    (e.g. a workbook decrypted in memory). ``parts``: the decompressed bytes
    of some of its parts, by zip member name (what the safety gate already
    decompressed and checked), read from there rather than inflated again."""

    def __init__(self, source: Source, parts: Mapping[str, bytes] | None = None):
        self.parts: Mapping[str, bytes] = parts or {}
        if isinstance(source, (str, Path)):
            self.path = Path(source)
            target: Path | BinaryIO = self.path
        else:
            self.path = Path(getattr(source, "name", None) or "<classeur>")
            target = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
        try:
            self.zip = zipfile.ZipFile(target)
        except FileNotFoundError:
            raise UnreadableWorkbook(f"{self.path} : fichier introuvable") from None
        except IsADirectoryError:
            raise UnreadableWorkbook(f"{self.path} : c'est un dossier, pas un classeur") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise UnreadableWorkbook(f"{self.path} : ce n'est pas un classeur xlsx lisible ({exc})") from None
        self.members = {info.filename: info for info in self.zip.infolist()}

    def close(self) -> None:
        self.zip.close()

    def info(self, name: str) -> zipfile.ZipInfo:
        info = self.members.get(name)
        if info is None:
            # some writers differ in case
            for k, v in self.members.items():
                if k.lower() == name.lower():
                    info = v
                    break
        if info is None:
            raise UnreadableWorkbook(f"{self.path} : partie {name} absente du classeur")
        if info.file_size > MAX_PART_BYTES:
            raise UnreadableWorkbook(f"{self.path} : partie {name} trop volumineuse ({info.file_size} octets)")
        return info

    def read(self, name: str) -> bytes:
        info = self.info(name)
        data = self.parts.get(info.filename)
        if data is not None:
            return data
        try:
            return self.zip.read(info)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UnreadableWorkbook(f"{self.path} : partie {name} illisible ({exc})") from None

    def has(self, name: str) -> bool:
        return name in self.members or any(k.lower() == name.lower() for k in self.members)

    def open(self, name: str) -> IO[bytes]:
        info = self.info(name)
        data = self.parts.get(info.filename)
        return self.zip.open(info) if data is None else io.BytesIO(data)


def _rels(xf: XlsxFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationships of a part: id -> (type, resolved target)."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if not xf.has(rels_name):
        return {}
    out: dict[str, tuple[str, str]] = {}
    for _, attrs, _ in _elements(xf.read(rels_name), {"Relationship"}):
        target = attrs.get("Target", "")
        if attrs.get("TargetMode") == "External":
            continue
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        out[attrs.get("Id", "")] = (attrs.get("Type", ""), resolved)
    return out


def _workbook_part(xf: XlsxFile) -> str:
    """The workbook part by the package rule the safety gate follows
    (``model.package``): root relationships and content types agree."""
    office = [t for typ, t in _rels(xf, "").values() if typ.endswith(_REL_OFFICE_DOC)]
    typed: list[tuple[str, str]] = []
    if xf.has("[Content_Types].xml"):
        try:
            overrides = _elements(xf.read("[Content_Types].xml"), {"Override"})
        except expat.ExpatError as exc:
            raise UnreadableWorkbook(f"{xf.path} : [Content_Types].xml mal formé ({exc})") from None
        typed = [(a.get("PartName", "").lstrip("/"), a.get("ContentType", "")) for _, a, _ in overrides]
    try:
        return package_workbook_part(office, typed, xf.members)
    except PackageMismatch as exc:
        raise UnreadableWorkbook(f"{xf.path} : {exc}") from None


def read_meta(xf: XlsxFile) -> tuple[WorkbookMeta, str, dict[str, tuple[str, str]]]:
    """Sheets (in order), defined names, date system; the workbook part and
    its relationships."""
    wb_part = _workbook_part(xf)
    try:
        items = _elements(xf.read(wb_part), {"sheet", "definedName", "workbookPr"}, {"definedName"})
    except expat.ExpatError as exc:
        raise UnreadableWorkbook(f"{xf.path} : {wb_part} mal formé ({exc})") from None
    rels = _rels(xf, wb_part)
    sheets: list[SheetInfo] = []
    raw_names: list[tuple[dict[str, str], str]] = []
    date1904 = False
    for local, attrs, text in items:
        if local == "sheet":
            rid = _attr(attrs, "id")
            typ, target = rels.get(rid, ("", None)) if rid is not None else ("", None)
            part = target if (target and typ.endswith(_REL_WORKSHEET)) else None
            sheets.append(SheetInfo(attrs.get("name", f"Sheet{len(sheets) + 1}"), part, attrs.get("state", "visible")))
        elif local == "definedName":
            raw_names.append((attrs, text))
        elif local == "workbookPr":
            date1904 = attrs.get("date1904", "0") in ("1", "true")
    if not sheets:
        raise UnreadableWorkbook(f"{xf.path} : le classeur ne contient aucune feuille")
    meta = WorkbookMeta(sheets, date1904=date1904)
    for attrs, text in raw_names:
        name = attrs.get("name", "")
        local_id = attrs.get("localSheetId")
        idx = int(local_id) if local_id is not None and local_id.isdigit() and int(local_id) < len(sheets) else None
        meta.names[(name.upper(), idx)] = text
        meta.defined_names[name if idx is None else f"{sheets[idx].name}!{name}"] = text
    return meta, wb_part, rels


# ---------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------


class _Stop(Exception):
    pass


_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)
_EPOCH_1904 = _dt.datetime(1904, 1, 1)


def _date_serial(text: str, date1904: bool) -> float | None:
    try:
        d = _dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return None
    delta = d - (_EPOCH_1904 if date1904 else _EXCEL_EPOCH)
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


class _Constants:
    """Constant cells of one sheet, collected compactly then stored."""

    def __init__(self) -> None:
        self.num_r, self.num_c, self.num_v = array("q"), array("q"), array("d")
        self.obj_r, self.obj_c, self.obj_t = array("q"), array("q"), array("b")
        self.obj_v: list[str] = []  # texts and errors (ExcelError)
        self.bool_r, self.bool_c, self.bool_v = array("q"), array("q"), array("d")

    def store(self, sheet: Sheet) -> None:
        nums = np.frombuffer(self.num_v, dtype=np.float64) if self.num_v else None
        _scatter(sheet, self.num_r, self.num_c, NUM, nums)
        _scatter(
            sheet, self.bool_r, self.bool_c, BOOL, np.frombuffer(self.bool_v, dtype=np.float64) if self.bool_v else None
        )
        if self.obj_v:
            o = np.empty(len(self.obj_v), dtype=object)
            o[:] = self.obj_v
            types = np.frombuffer(self.obj_t, dtype=np.int8)
            for code in (STR, ERR):
                sel = types == code
                if sel.any():
                    _scatter(
                        sheet,
                        np.frombuffer(self.obj_r, dtype=np.int64)[sel],
                        np.frombuffer(self.obj_c, dtype=np.int64)[sel],
                        code,
                        None,
                        o[sel],
                    )


def _scatter(
    sheet: Sheet,
    rows: np.ndarray | array[int],
    cols: np.ndarray | array[int],
    code: int,
    nums: np.ndarray | None,
    objs: np.ndarray | None = None,
) -> None:
    if len(rows) == 0:
        return
    rows = np.asarray(rows if isinstance(rows, np.ndarray) else np.frombuffer(rows, dtype=np.int64))
    cols = np.asarray(cols if isinstance(cols, np.ndarray) else np.frombuffer(cols, dtype=np.int64))
    if len(rows) == 0:
        return
    order = np.argsort(cols, kind="stable")
    cols_sorted = cols[order]
    bounds = np.flatnonzero(np.diff(cols_sorted)) + 1
    for chunk in np.split(order, bounds):
        c = int(cols[chunk[0]])
        sheet.set_constants(
            c, rows[chunk], code, None if nums is None else nums[chunk], None if objs is None else objs[chunk]
        )


def read_sheet(
    xf: XlsxFile,
    part: str,
    sheet: Sheet,
    sst: list[str],
    make_sink: Callable[[], FormulaSink],
    date1904: bool,
    date_styles: frozenset[str] = frozenset(),
) -> None:
    """Stream one worksheet: constants into ``sheet``, formulas to a sink
    from ``make_sink``; numbers shown as dates (``date_styles``: their style
    indexes) are noted in ``sheet.dates``. The usual shape of sheet XML is
    read by ``sheet_regex``; any other by expat."""
    try:
        sink = make_sink()
        try:
            _read_sheet(xf, part, sheet, sst, sink, date1904, date_styles, fast=True)
        except GiveUp:
            sink.discard()
            sheet.dates.clear()
            _read_sheet(xf, part, sheet, sst, make_sink(), date1904, date_styles, fast=False)
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError, IndexError, ValueError, OverflowError) as exc:
        if isinstance(exc, UnreadableWorkbook):
            raise
        raise UnreadableWorkbook(f"{xf.path} : feuille « {sheet.name} » illisible ({exc})") from None


def _read_sheet(
    xf: XlsxFile,
    part: str,
    sheet: Sheet,
    sst: list[str],
    sink: FormulaSink,
    date1904: bool,
    date_styles: frozenset[str],
    fast: bool,
) -> None:
    consts = _Constants()
    dates = sheet.dates
    num_r, num_c, num_v = consts.num_r.append, consts.num_c.append, consts.num_v.append
    obj_r, obj_c, obj_t, obj_v = consts.obj_r.append, consts.obj_c.append, consts.obj_t.append, consts.obj_v.append
    bool_r, bool_c, bool_v = consts.bool_r.append, consts.bool_c.append, consts.bool_v.append
    add_formula = sink.add

    def add_constant(
        row: int, col: int, typ: str, v_text: bytes | str | None, is_date: bool, is_parts: list[str] | None = None
    ) -> None:
        """A constant cell: ``v_text`` the text of its <v> (str, or bytes
        for numbers and shared strings; None when absent)."""
        # only numbers and shared strings may come as bytes: the casts below say so
        if typ == "n":
            if v_text:
                num_r(row)
                num_c(col)
                num_v(float(v_text))
                if is_date:
                    dates.add((row, col))
        elif typ == "s":
            if v_text:
                obj_r(row)
                obj_c(col)
                obj_t(STR)
                obj_v(sst[int(v_text)])
        elif typ == "inlineStr" or typ == "str":
            value = "".join(is_parts) if is_parts is not None else (cast("str | None", v_text) or "")
            if typ == "inlineStr" or v_text is not None:
                obj_r(row)
                obj_c(col)
                obj_t(STR)
                obj_v(_unescape(value))
        elif typ == "b":
            if v_text:
                bool_r(row)
                bool_c(col)
                bool_v(1.0 if cast(str, v_text).strip() in ("1", "true") else 0.0)
        elif typ == "e":
            if v_text:
                obj_r(row)
                obj_c(col)
                obj_t(ERR)
                obj_v(error(cast(str, v_text).strip()))
        elif typ == "d":
            if v_text:
                x = _date_serial(cast(str, v_text), date1904)
                if x is not None:
                    num_r(row)
                    num_c(col)
                    num_v(x)

    dated = frozenset(s.encode() for s in date_styles)

    def add_constants(
        row: int,
        cols: Sequence[int],
        styles: Sequence[bytes | None],
        types: Sequence[bytes | None],
        elements: Sequence[bytes | None],
    ) -> None:
        """A row of constant cells from ``sheet_regex``: numbers and shared
        strings (a family's inputs) stored here, any other type through
        ``add_constant``; what ``add_constant`` would store, in the same order."""
        for col, style, t, v in zip(cols, styles, types, elements, strict=True):
            # v: <v>text</v>, <v></v> or <v/> (or None); longer than 7 bytes: text not empty
            if t is None or t == b"n":
                if v is not None and len(v) > 7:
                    num_r(row)
                    num_c(col)
                    num_v(float(v[3:-4]))
                    if style is not None and style in dated:
                        dates.add((row, col))
            elif t == b"s":
                if v is not None and len(v) > 7:
                    obj_r(row)
                    obj_c(col)
                    obj_t(STR)
                    obj_v(sst[int(v[3:-4])])
            else:
                typ, value = constant_value(t, v)
                add_constant(row, col, typ, value, style is not None and style in dated)

    def out_of_sheet(ref: str | None) -> UnreadableWorkbook:
        return UnreadableWorkbook(
            f"feuille « {sheet.name} » : cellule {ref or '?'} hors des limites d'une feuille de calcul"
        )

    if fast:
        with xf.open(part) as fh:
            read_sheet_data(
                fh,
                check_prolog_with(_parser),
                out_of_sheet,
                sink,
                add_constant,
                add_constants,
                dated,
            )
        consts.store(sheet)
        sink.finish()
        return

    col_cache: dict[str, int] = {}
    digits = "0123456789"
    miss = -1

    # parser state
    row_no = -1
    row = col = 0
    typ = "n"
    style: str | None = None
    last_col = -1
    f_attrs: dict[str, str] | None = None
    f_text: str | None = None
    v_text: str | None = None
    text: str | None = None
    is_parts: list[str] | None = None

    # Element names are compared as strings (expat interns them, so these are
    # identity checks); a prefixed name (x:c) is handled by its local name.
    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_no, row, col, typ, style, last_col, f_attrs, f_text, v_text, text, is_parts
        if name == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip(digits)
                col = col_cache.get(letters, miss)
                if col == miss:
                    col = col_cache[letters] = col_index(letters)
                row = int(ref[len(letters) :]) - 1
            else:
                col, row = last_col + 1, row_no
            if not (0 <= row < MAX_ROW and 0 <= col < MAX_COL):
                raise out_of_sheet(ref)
            if ref and row == row_no and col <= last_col:
                raise ValueError(twice_written(ref))
            typ = attrs.get("t", "n")
            style = attrs.get("s")
            last_col = col
            f_attrs = f_text = v_text = is_parts = None
        elif name == "v":
            text = None
        elif name == "f":
            f_attrs = attrs
            text = None
        elif name == "row":
            r = attrs.get("r")
            row_no = int(r) - 1 if r else row_no + 1
            last_col = -1
        elif name == "is":
            is_parts = []
        elif name == "t":
            text = None
        elif ":" in name:
            start(_local(name), attrs)

    def chars(data: str) -> None:
        nonlocal text
        text = data if text is None else text + data

    def end(name: str) -> None:
        nonlocal f_text, v_text, text
        if name == "v":
            v_text = text or ""
            text = None
        elif name == "c":
            if f_attrs is not None:
                if f_text:
                    if not f_attrs or f_attrs.get("t") != "dataTable":
                        add_formula(row, col, f_text, f_attrs)
                        return
                elif f_attrs.get("t") == "shared":
                    add_formula(row, col, None, f_attrs)
                    return
            add_constant(row, col, typ, v_text, style in date_styles, is_parts)
        elif name == "f":
            f_text = text or ""
            text = None
        elif name == "t":
            if is_parts is not None:
                is_parts.append(text or "")
            text = None
        elif name == "sheetData":
            raise _Stop
        elif ":" in name:
            end(_local(name))

    p = _parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    try:
        with xf.open(part) as fh:
            p.ParseFile(fh)
    except _Stop:
        pass
    consts.store(sheet)
    sink.finish()


def read_workbook(
    path: Source,
    make_sink: Callable[[WorkbookMeta, Book, int], FormulaSink],
    parts: Mapping[str, bytes] | None = None,
) -> tuple[WorkbookMeta, Book]:
    """Read every sheet of ``path``; ``make_sink(meta, book, sheet_index)``
    gives the object that receives that sheet's formula cells; ``parts``
    (see ``XlsxFile``) spares inflating parts a second time."""
    xf = XlsxFile(path, parts)
    try:
        return _read_all(xf, make_sink)
    except UnreadableWorkbook as exc:
        if str(xf.path) in str(exc):
            raise
        raise UnreadableWorkbook(f"{xf.path} : {exc}") from None
    except (expat.ExpatError, zipfile.BadZipFile, EOFError, UnicodeDecodeError) as exc:
        raise UnreadableWorkbook(f"{xf.path} : classeur mal formé ({exc})") from None
    finally:
        xf.close()


def _read_all(xf: XlsxFile, make_sink: Callable[[WorkbookMeta, Book, int], FormulaSink]) -> tuple[WorkbookMeta, Book]:
    meta, wb_part, rels = read_meta(xf)
    book = Book([s.name for s in meta.sheets])
    sst: list[str] = []
    sst_part = next((t for typ, t in rels.values() if typ.endswith(_REL_SHARED_STRINGS)), None)
    if sst_part and xf.has(sst_part):
        try:
            sst = _shared_strings(xf.read(sst_part))
        except expat.ExpatError as exc:
            raise UnreadableWorkbook(f"{xf.path} : table des textes illisible ({exc})") from None
    styles_part = next((t for typ, t in rels.values() if typ.endswith(_REL_STYLES)), None)
    date_styles = _date_styles(xf.read(styles_part)) if styles_part and xf.has(styles_part) else frozenset()
    for i, info in enumerate(meta.sheets):
        if info.part is None or not xf.has(info.part):
            continue
        read_sheet(xf, info.part, book[i], sst, functools.partial(make_sink, meta, book, i), meta.date1904, date_styles)
    return meta, book


def _date_styles(data: bytes) -> frozenset[str]:
    """The cell style indexes (``s`` attributes) whose number format shows a
    date or a time: a number typed as a date is told apart from an amount.
    An unreadable styles part is no reason to refuse the file: no dates."""
    from workbook_engine.evaluator.builtin_formats import BUILTIN_FORMATS, is_date_format

    formats = {str(k): v for k, v in BUILTIN_FORMATS.items()}
    xf_formats: list[str] = []
    in_cell_xfs = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_cell_xfs
        local = _local(name)
        if local == "numFmt":
            formats[attrs.get("numFmtId", "")] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            in_cell_xfs = True
        elif local == "xf" and in_cell_xfs:
            xf_formats.append(attrs.get("numFmtId", "0"))

    def end(name: str) -> None:
        nonlocal in_cell_xfs
        if _local(name) == "cellXfs":
            in_cell_xfs = False

    p = _parser()
    p.StartElementHandler, p.EndElementHandler = start, end
    try:
        p.Parse(data, True)
    except expat.ExpatError:
        return frozenset()
    # One test per format (styles share formats), and none on a code longer
    # than Excel allows: openpyxl's pattern is quadratic on a run of "[".
    dated = {
        fmt_id: len(code) <= MAX_NUMBER_FORMAT and is_date_format(code)
        for fmt_id in set(xf_formats)
        for code in (formats.get(fmt_id) or "",)
    }
    return frozenset(str(i) for i, fmt_id in enumerate(xf_formats) if dated[fmt_id])
