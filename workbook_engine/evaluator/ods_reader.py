"""Read an OpenDocument spreadsheet (.ods): sheets, constants, formula text,
named ranges; the same contract as ``reader.read_workbook`` for xlsx.

Everything is in ``content.xml``, read twice as a stream (never as a DOM):

1. a byte scan (C speed, ~30 ms for 2,000 families) finds the sheets' names
   and the named expressions, which LibreOffice writes after the cells: a
   formula can only be parsed once every sheet and name is known;
2. expat reads the cells, row by row, as ``reader`` does for xlsx:
   constants into the column store, formulas translated from OpenFormula
   (``openformula``) to the Excel text the evaluator parses, then handed in
   row order to the sink, which groups a column's rows into runs.

Repetition. LibreOffice writes blank space as repeated cells and rows (a
last row repeated 1,048,553 times, cells repeated 16,384 times): blank
repeats only move the position. A repeated cell or row that holds something
is expanded, within the safety gate's caps (rows, cells, columns), or the
file is refused. Like LibreOffice, a formula cell is never repeated: it
fills one cell, in the first row of a repeated row.

Merged cells: the covered cells (``table:covered-table-cell``) take their
positions and may hold values, as the hidden cells of an xlsx merge do.

A DTD is refused (no entity is ever expanded or fetched), as in ``reader``.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast
from xml.parsers import expat

from workbook_engine.evaluator.openformula import FormulaError, FormulaTranslator, translate, translate_range_address
from workbook_engine.evaluator.reader import (
    FormulaSink,
    SheetInfo,
    Source,
    UnreadableWorkbook,
    WorkbookMeta,
    XlsxFile,
    _Constants,
    _parser,
)
from workbook_engine.evaluator.refs import MAX_COL, cell_name
from workbook_engine.evaluator.store import Book, Sheet
from workbook_engine.evaluator.values import BOOL, ERR, NUM, STR, error
from workbook_engine.model.limits import MAX_CELLS, MAX_PART_BYTES, MAX_ROWS, MAX_TEXT_RUN, count_text

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_MIMETYPES = (ODS_MIMETYPE, ODS_MIMETYPE + "-template")
CONTENT = "content.xml"
CHUNK = 1 << 20
MAX_TAG = 1 << 20  # a start tag (the root's namespace declarations, a sheet's attributes) longer is refused
MAX_NAMES_BYTES = MAX_PART_BYTES  # named expressions are read whole, as the gate lets a structural part be

NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
NS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
NS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
NS_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
NS_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"

_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)
_EPOCH_1904 = _dt.datetime(1904, 1, 1)
_NO_ATTRS: dict[str, str] = {}  # formula cells of an .ods have no xlsx <f> attributes (never mutated)


# ---------------------------------------------------------------------------
# Is it an .ods?
# ---------------------------------------------------------------------------


def is_ods(source: Source) -> bool:
    """True for an OpenDocument spreadsheet package (a zip whose
    ``mimetype`` member names one); a file object is left where it was."""
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    position = None if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__") else source.tell()
    try:
        with zipfile.ZipFile(source) as z:
            names = set(z.namelist())
            if "mimetype" not in names or "[Content_Types].xml" in names:
                return False
            info = z.getinfo("mimetype")
            if info.file_size > 4096:
                return False
            return z.read(info).strip().decode("ascii", "replace") in ODS_MIMETYPES
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError):
        return False
    finally:
        if position is not None:
            cast(BinaryIO, source).seek(position)  # a file object: only it has a position


# ---------------------------------------------------------------------------
# Pass 1: sheets and named expressions (byte scan)
# ---------------------------------------------------------------------------

# A start tag: its attributes may hold '>' inside quotes (alternatives start
# with different characters: no backtracking between them).
_START_TAG = re.compile(rb"""<[^\s/>!?]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
_SPACES = re.compile(rb"\s*")


class _Scan:
    """What pass 1 finds: the root element's start tag (its namespace
    declarations), the sheets' start tags, the named-expressions blocks
    (with the index of the sheet holding them, None for the workbook's)."""

    def __init__(self) -> None:
        self.decl = b""  # the XML declaration, if any
        self.root = b""
        self.root_name = b""
        self.prefixes: dict[str, str] = {}  # namespace URI -> prefix
        self.tables: list[bytes] = []
        self.names: list[tuple[bytes, int | None]] = []


def _chunks(xf: XlsxFile) -> Iterator[bytes]:
    with xf.open(CONTENT) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _scan(xf: XlsxFile) -> _Scan:
    """Pass 1 over content.xml in 1 MiB chunks: regular expressions find the
    markers (comments, CDATA and processing instructions skipped, as they
    hide no element); only what they find is kept."""
    scan = _Scan()
    chunks = _chunks(xf)
    buf = b""

    def more() -> bool:
        nonlocal buf
        chunk = next(chunks, None)
        if chunk is None:
            return False
        buf += chunk
        return True

    # the prolog (declaration, comments, spaces), then the root element's start tag
    more()
    if buf[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in buf[:2]:
        raise UnreadableWorkbook(
            "content.xml en UTF-16 : non pris en charge ; enregistrez de nouveau le classeur avec LibreOffice"
        )
    pos = 3 if buf.startswith(b"\xef\xbb\xbf") else 0
    while True:
        pos = cast("re.Match[bytes]", _SPACES.match(buf, pos)).end()  # \s* always matches
        if buf.startswith((b"<?", b"<!--"), pos):
            close = b"?>" if buf.startswith(b"<?", pos) else b"-->"
            end = buf.find(close, pos)
            if end >= 0:
                if buf.startswith(b"<?xml", pos):
                    scan.decl = buf[pos : end + 2]  # its encoding, for the pieces parsed apart
                pos = end + len(close)
                continue
        elif buf.startswith(b"<!", pos):
            raise UnreadableWorkbook("XML refusé : les déclarations DTD ne sont pas admises dans un classeur")
        elif buf.startswith(b"<", pos):
            root = _START_TAG.match(buf, pos)
            if root:
                break
        elif pos < len(buf):
            raise UnreadableWorkbook("content.xml : contenu inattendu au début du document")
        if len(buf) - pos > MAX_TAG or not more():
            raise UnreadableWorkbook("content.xml : début du document illisible")
    scan.root = root.group(0)
    scan.root_name = cast("re.Match[bytes]", re.match(rb"<([^\s/>]+)", scan.root)).group(1)  # a start tag
    scan.prefixes = _namespaces(scan.decl + scan.root)
    table = scan.prefixes.get(NS_TABLE)
    if not table:
        raise UnreadableWorkbook(
            "content.xml : espace de noms des tableaux OpenDocument non déclaré en tête du document"
        )
    t = re.escape(table.encode())
    marks = re.compile(rb"<!--|<!\[CDATA\[|<\?|<(/?)" + t + rb":(table|named-expressions)(?=[\s/>])")
    ends = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
    names_end = b"</" + table.encode() + b":named-expressions>"
    buf, pos = buf[root.end() :], 0
    open_tables, names_bytes = 0, 0
    while True:
        m = marks.search(buf, pos)
        if m is None:
            buf, pos = buf[max(pos, len(buf) - 64) :], 0  # a mark may straddle two chunks
            if not more():
                break
            continue
        start = m.start()
        token = m.group(0)
        if token in ends:  # comments, CDATA, processing instructions hide no element
            stop = buf.find(ends[token], m.end())
            if stop < 0:
                buf, pos = buf[start:], 0
                if len(buf) > MAX_TEXT_RUN or not more():
                    raise UnreadableWorkbook("content.xml : commentaire ou section CDATA anormalement long")
                continue
            pos = stop + len(ends[token])
            continue
        closing, what = m.group(1), m.group(2)
        if closing:
            open_tables -= what == b"table"
            pos = m.end()
            continue
        tag = _START_TAG.match(buf, start)
        if tag is None:
            buf, pos = buf[start:], 0
            if len(buf) > MAX_TAG or not more():
                raise UnreadableWorkbook("content.xml : balise illisible")
            continue
        self_closing = tag.group(0).endswith(b"/>")
        if what == b"table":
            scan.tables.append(tag.group(0))
            open_tables += not self_closing
            pos = tag.end()
            continue
        if self_closing:
            pos = tag.end()
            continue
        stop = buf.find(names_end, tag.end())
        if stop < 0:
            buf, pos = buf[start:], 0
            if len(buf) + names_bytes > MAX_NAMES_BYTES or not more():
                raise UnreadableWorkbook("content.xml : noms définis illisibles ou trop volumineux")
            continue
        block = buf[start : stop + len(names_end)]
        names_bytes += len(block)
        scan.names.append((block, len(scan.tables) - 1 if open_tables > 0 else None))
        pos = stop + len(names_end)
    return scan


def _namespaces(root_tag: bytes) -> dict[str, str]:
    """Namespace URI -> prefix, from the root element's declarations."""
    out: dict[str, str] = {}
    p = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        for key, value in attrs.items():
            if key.startswith("xmlns:"):
                out.setdefault(value, key[6:])

    p.StartElementHandler = start
    name = cast("re.Match[bytes]", re.search(rb"<([^\s/>?]+)", root_tag[root_tag.find(b"?>") + 1 :])).group(1)
    closed = root_tag if root_tag.endswith(b"/>") else root_tag + b"</" + name + b">"
    try:
        p.Parse(closed, True)
    except expat.ExpatError as exc:
        raise UnreadableWorkbook(f"content.xml : élément racine illisible ({exc})") from None
    return out


def _elements(scan: _Scan, xml: bytes, wanted: set[str]) -> list[tuple[str, dict[str, str]]]:
    """(name, attributes) of the wanted elements of a piece of content.xml,
    parsed inside the root element (its namespace declarations)."""
    out: list[tuple[str, dict[str, str]]] = []
    p = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        if name in wanted:
            out.append((name, attrs))

    p.StartElementHandler = start
    root = scan.root[:-2] + b">" if scan.root.endswith(b"/>") else scan.root
    try:
        p.Parse(scan.decl + root + xml + b"</" + scan.root_name + b">", True)
    except expat.ExpatError as exc:
        raise UnreadableWorkbook(f"content.xml : feuilles ou noms définis illisibles ({exc})") from None
    return out


def _meta(scan: _Scan) -> WorkbookMeta:
    """Sheets in order and the named ranges / expressions, as the xlsx reader
    gives them: (NAME, local sheet index or None) -> Excel text, and the
    displayed names ("NAME" or "Sheet!NAME")."""
    t = scan.prefixes[NS_TABLE] + ":"
    tables = b"".join(tag if tag.endswith(b"/>") else tag + b"</" + t.encode() + b"table>" for tag in scan.tables)
    sheets: list[SheetInfo] = []
    for _name, attrs in _elements(scan, tables, {t + "table"}):
        sheets.append(SheetInfo(attrs.get(t + "name") or f"Feuille{len(sheets) + 1}", CONTENT))
    if len(sheets) != len(scan.tables) or not sheets:
        raise UnreadableWorkbook(
            "le classeur OpenDocument ne contient aucune feuille" if not sheets else "content.xml : feuilles illisibles"
        )
    meta = WorkbookMeta(sheets)
    for block, local in scan.names:
        for name, attrs in _elements(scan, block, {t + "named-range", t + "named-expression"}):
            label = attrs.get(t + "name") or ""
            base = attrs.get(t + "base-cell-address")
            if name.endswith("named-range"):
                text = translate_range_address(attrs.get(t + "cell-range-address") or "", base)
            else:
                try:
                    text = translate(attrs.get(t + "expression") or "", base)[1:]
                except FormulaError as exc:
                    raise UnreadableWorkbook(f"nom défini « {label[:80]} » : {exc}") from None
            if not label:
                continue
            meta.names[(label.upper(), local)] = text
            meta.defined_names[label if local is None else f"{sheets[local].name}!{label}"] = text
    return meta


# ---------------------------------------------------------------------------
# Pass 2: the cells (expat)
# ---------------------------------------------------------------------------

_DURATION = re.compile(r"(-)?P(?:(\d+)D)?(?:T(?:(\d+(?:\.\d*)?)H)?(?:(\d+(?:\.\d*)?)M)?(?:(\d+(?:\.\d*)?)S)?)?")

# kinds of cell content
_FORMULA, _TEXT_LATER, _ERROR_LATER, _DATE = 10, 11, 12, 13  # beside values' BLANK..ERR

# A cell of a repeated row, expanded at the row's end: (column, kind, value,
# repeat, is a date, <f> attributes of an array formula).
_Held = tuple[int, int, object, int, bool, dict[str, str] | None]


def _duration_days(text: str) -> float | None:
    """ISO 8601 duration (office:time-value, "PT01H30M00S") -> days."""
    m = _DURATION.fullmatch(text.strip())
    if m is None or not any(m.groups()[1:]):
        return None
    sign, days, hours, minutes, seconds = m.groups()
    value = float(days or 0) + float(hours or 0) / 24 + float(minutes or 0) / 1440 + float(seconds or 0) / 86400
    return -value if sign else value


def _date_serial(text: str, epoch: _dt.datetime) -> float | None:
    try:
        d = _dt.datetime.fromisoformat(text.strip().rstrip("Z"))
    except ValueError:
        return None
    if d.tzinfo is not None:
        d = d.replace(tzinfo=None)
    delta = d - epoch
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


class _CellReader:
    """The expat handlers of pass 2 and their state (one sheet at a time)."""

    def __init__(
        self,
        xf: XlsxFile,
        scan: _Scan,
        meta: WorkbookMeta,
        book: Book,
        make_sink: Callable[[WorkbookMeta, Book, int], FormulaSink],
    ):
        self.xf, self.meta, self.book, self.make_sink = xf, meta, book, make_sink
        pre = {uri: prefix + ":" for uri, prefix in scan.prefixes.items()}
        self.t, self.o = pre[NS_TABLE], pre.get(NS_OFFICE, "office:")
        self.x, self.s = pre.get(NS_TEXT, "text:"), pre.get(NS_STYLE, "style:")
        self.calcext = pre.get(NS_CALCEXT, "calcext:")
        self.translator = FormulaTranslator()
        self.cells = 0
        self.sheet_index = -1
        self.hidden_styles: set[str] = set()
        self.epoch = _EXCEL_EPOCH

    # -- errors -------------------------------------------------------------------
    def _fail(self, sheet: Sheet | None, message: str) -> UnreadableWorkbook:
        # called while reading a table's cells: ``sheet`` is that table's
        return UnreadableWorkbook(f"feuille « {cast(Sheet, sheet).name} » : {message}")

    def read(self) -> None:
        p = _parser()
        p.buffer_size = 1 << 16
        p.StartElementHandler, p.EndElementHandler = self._handlers(p)
        try:
            with self.xf.open(CONTENT) as fh:
                p.ParseFile(fh)
        except expat.ExpatError as exc:
            raise UnreadableWorkbook(f"content.xml mal formé ({exc})") from None
        if self.sheet_index + 1 != len(self.meta.sheets):
            raise UnreadableWorkbook("content.xml : feuilles illisibles")

    def _handlers(
        self, parser: expat.XMLParserType
    ) -> tuple[Callable[[str, dict[str, str]], None], Callable[[str], None]]:
        t, o, x, s = self.t, self.o, self.x, self.s
        TABLE, ROW, CELL, COVERED = t + "table", t + "table-row", t + "table-cell", t + "covered-table-cell"
        P, SPACE, TAB, BREAK = x + "p", x + "s", x + "tab", x + "line-break"
        STYLE, TABLE_PROPS, NULL_DATE = s + "style", s + "table-properties", t + "null-date"
        A_VTYPE, A_VALUE, A_STRING, A_BOOL = o + "value-type", o + "value", o + "string-value", o + "boolean-value"
        A_DATE, A_TIME, A_FORMULA = o + "date-value", o + "time-value", t + "formula"
        A_COLS, A_ROWS, A_COUNT = t + "number-columns-repeated", t + "number-rows-repeated", x + "c"
        A_MATRIX_C, A_MATRIX_R = t + "number-matrix-columns-spanned", t + "number-matrix-rows-spanned"
        A_CALC_TYPE, A_STYLE_NAME = self.calcext + "value-type", t + "style-name"
        A_FAMILY, A_S_NAME, A_DISPLAY, A_DATE_VALUE = s + "family", s + "name", t + "display", t + "date-value"
        NUMBERS = ("float", "percentage", "currency")

        reader = self
        translate_formula = self.translator
        make_sink, meta, book = self.make_sink, self.meta, self.book

        # sheet state
        sheet: Sheet | None = None
        sink: FormulaSink | None = None
        consts = _Constants()
        # consts' appends, bound at each table's start (None before the first
        # table: typed as they are while cells are read)
        num_r: Callable[[int], None] = cast("Callable[[int], None]", None)
        num_c: Callable[[int], None] = cast("Callable[[int], None]", None)
        num_v: Callable[[float], None] = cast("Callable[[float], None]", None)
        row = 0  # 0-based index of the current row
        row_repeat = 1
        held: list[_Held] | None = None  # cells of a repeated row, expanded at its end
        col = 0
        # cell state
        in_cell = False
        kind = 0
        value: object = None
        repeat = 1
        depth = 0  # elements open inside the cell
        paragraphs = 0
        collecting = False
        parts: list[str] = []
        size = 0
        matrix: dict[str, str] | None = None
        style_name: str | None = None

        def count(n: int) -> None:
            reader.cells += n
            if reader.cells > MAX_CELLS:
                raise UnreadableWorkbook(
                    f"trop de cellules (plus de {count_text(MAX_CELLS)} ; un classeur de "
                    "50 000 familles en a bien moins) : refusé"
                )

        def check_place(r: int, c: int, n: int) -> None:
            """``n`` filled cells from (r, c) along the row: within the caps."""
            if c + n > MAX_COL:
                raise reader._fail(
                    sheet,
                    f"cellule {cell_name(r, min(c, MAX_COL - 1))} répétée {count_text(n)} "
                    "fois, au-delà de la dernière colonne : hors des limites d'une feuille "
                    "de calcul",
                )
            if r >= MAX_ROWS:
                raise reader._fail(
                    sheet,
                    f"cellule remplie au-delà de la ligne {count_text(MAX_ROWS)} (ligne "
                    f"{count_text(r + 1)}) ; un classeur de 50 000 familles n'en a pas "
                    "besoin : videz ces lignes",
                )

        def put(r: int, c: int, k: int, v: object, n: int) -> None:
            """``n`` copies of a cell along row ``r`` from column ``c``."""
            check_place(r, c, n)
            count(n)
            # ``v`` goes with the kind: a float for NUM and BOOL, the formula
            # text for _FORMULA, a str (or ExcelError) for STR and ERR
            if k == NUM:
                x = cast(float, v)
                for cc in range(c, c + n):
                    num_r(r)
                    num_c(cc)
                    num_v(x)
            elif k == _FORMULA:
                cast(FormulaSink, sink).add(r, c, cast(str, v), matrix or _NO_ATTRS)  # in a table
            elif k == BOOL:
                b = cast(float, v)
                for cc in range(c, c + n):
                    consts.bool_r.append(r)
                    consts.bool_c.append(cc)
                    consts.bool_v.append(b)
            else:  # STR, ERR
                s = cast(str, v)
                for cc in range(c, c + n):
                    consts.obj_r.append(r)
                    consts.obj_c.append(cc)
                    consts.obj_t.append(k)
                    consts.obj_v.append(s)

        def put_date(r: int, c: int, v: float, n: int) -> None:
            put(r, c, NUM, v, n)
            cast(Sheet, sheet).dates.update((r, cc) for cc in range(c, c + n))  # in a table

        def place(k: int, v: object, n: int, is_date: bool) -> None:
            """The finished cell at (row, col), ``n`` columns wide."""
            if held is not None:
                held.append((col, k, v, n, is_date, matrix))
            elif is_date:
                put_date(row, col, cast(float, v), n)  # a date's value: its serial
            else:
                put(row, col, k, v, n)

        def formula_text(text: str) -> str:
            try:
                return translate_formula(text)[1:]
            except FormulaError as exc:
                raise reader._fail(sheet, f"cellule {cell_name(row, col)} : {exc}") from None

        def number(text: str | None) -> float:
            try:
                return float(cast(str, text))  # None (no value) raises TypeError: refused below
            except (TypeError, ValueError):
                raise reader._fail(
                    sheet, f"cellule {cell_name(row, col)} : valeur numérique illisible ({str(text)[:40]!r})"
                ) from None

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal in_cell, kind, value, repeat, depth, paragraphs, collecting, size, matrix
            nonlocal sheet, sink, consts, num_r, num_c, num_v, row, row_repeat, held, col, style_name
            if name == CELL or name == COVERED:
                in_cell = True
                depth = paragraphs = size = 0
                collecting = False
                matrix = None
                n = attrs.get(A_COLS)
                repeat = int(n) if n else 1
                repeat = max(repeat, 1)
                f = attrs.get(A_FORMULA)
                if f is not None:
                    kind, value, repeat = _FORMULA, formula_text(f), 1  # never repeated (as LibreOffice)
                    if A_MATRIX_C in attrs or A_MATRIX_R in attrs:
                        matrix = {"t": "array"}
                    return
                vt = attrs.get(A_VTYPE)
                if vt in NUMBERS:
                    kind, value = NUM, number(attrs.get(A_VALUE))
                elif vt == "string" or vt is None:
                    if attrs.get(A_CALC_TYPE) == "error":
                        kind, value = _ERROR_LATER, None
                    elif vt is not None and A_STRING in attrs:
                        kind, value = STR, attrs[A_STRING]
                    else:
                        kind, value = _TEXT_LATER, vt
                    parts.clear()
                elif vt == "date":
                    v = _date_serial(attrs.get(A_DATE) or "", reader.epoch)
                    if v is None:
                        kind, value = _TEXT_LATER, "string"
                        parts.clear()
                    else:
                        kind, value = _DATE, v
                elif vt == "time":
                    v = _duration_days(attrs.get(A_TIME) or "")
                    if v is None:
                        kind, value = _TEXT_LATER, "string"
                        parts.clear()
                    else:
                        kind, value = _DATE, v
                elif vt == "boolean":
                    kind, value = BOOL, 1.0 if (attrs.get(A_BOOL) or "").strip().lower() in ("true", "1") else 0.0
                else:  # "void" or unknown: blank
                    kind, value = 0, None
                return
            if in_cell:
                depth += 1
                # only the cell's own paragraphs: not those of a note or a shape in it
                if name == P and depth == 1:
                    if kind == _TEXT_LATER or kind == _ERROR_LATER:
                        if paragraphs:
                            parts.append("\n")
                        paragraphs += 1
                        collecting = True
                        # text is wanted from this cell only: expat calls no
                        # handler for the display text of numbers and formulas
                        parser.CharacterDataHandler = chars
                elif collecting:
                    if name == SPACE:
                        n = attrs.get(A_COUNT)
                        k = int(n) if n and n.isdigit() and len(n) < 8 else 1
                        parts.append(" " * min(k, MAX_TEXT_RUN))
                        size += k
                    elif name == TAB:
                        parts.append("\t")
                    elif name == BREAK:
                        parts.append("\n")
                return
            if name == ROW:
                n = attrs.get(A_ROWS)
                row_repeat = int(n) if n else 1
                row_repeat = max(row_repeat, 1)
                col = 0
                held = [] if row_repeat > 1 else None
            elif name == TABLE:
                if sheet is not None:
                    raise UnreadableWorkbook(
                        f"feuille « {sheet.name} » : tableau imbriqué dans une feuille, structure non prise en charge"
                    )
                reader.sheet_index += 1
                index = reader.sheet_index
                if index >= len(meta.sheets):
                    raise UnreadableWorkbook("content.xml : feuilles illisibles")
                if attrs.get(A_STYLE_NAME) in reader.hidden_styles:
                    meta.sheets[index].state = "hidden"
                sheet = book[index]
                consts = _Constants()
                num_r, num_c, num_v = consts.num_r.append, consts.num_c.append, consts.num_v.append
                sink = make_sink(meta, book, index)
                row, col = 0, 0
            elif name == STYLE:
                style_name = attrs.get(A_S_NAME) if attrs.get(A_FAMILY) == "table" else None
            elif name == TABLE_PROPS:
                if style_name and attrs.get(A_DISPLAY) == "false":
                    reader.hidden_styles.add(style_name)
            elif name == NULL_DATE and (attrs.get(A_DATE_VALUE) or "").startswith("1904-01-01"):
                reader.epoch = _EPOCH_1904  # a workbook from a Mac (Excel's 1904 date system)
                meta.date1904 = True

        def end(name: str) -> None:
            nonlocal in_cell, depth, collecting, col, row, held, sheet, sink
            if in_cell:
                if depth:
                    if name == P and depth == 1:
                        collecting = False
                    depth -= 1
                    return
                in_cell = False
                if paragraphs:
                    parser.CharacterDataHandler = None
                collecting = False
                k = kind
                if k:
                    if k == NUM:
                        if held is None and repeat == 1:  # the common case, inline
                            if row >= MAX_ROWS or col >= MAX_COL:
                                check_place(row, col, 1)
                            reader.cells += 1
                            num_r(row)
                            num_c(col)
                            num_v(cast(float, value))  # kind NUM: a float
                        else:
                            place(NUM, value, repeat, False)
                    elif k == _FORMULA:
                        if held is None and row < MAX_ROWS and col < MAX_COL:  # the common case, inline
                            reader.cells += 1
                            # in a table, kind _FORMULA: the formula's text
                            cast(FormulaSink, sink).add(row, col, cast(str, value), matrix or _NO_ATTRS)
                        else:
                            place(_FORMULA, value, 1, False)
                    elif k == _DATE:
                        place(NUM, value, repeat, True)
                    elif k == _TEXT_LATER:
                        text = "".join(parts)
                        if text or value == "string":  # no value type: text makes it a string
                            place(STR, text, repeat, False)
                    elif k == _ERROR_LATER:  # an error without formula: its code is its text
                        code = "".join(parts).strip().upper()
                        place(ERR, error(code if code.startswith("#") else "#VALUE!"), repeat, False)
                    else:
                        place(k, value, repeat, False)
                    if reader.cells > MAX_CELLS:
                        count(0)
                col += repeat
                return
            if name == ROW:
                if held:
                    expand_row(held)
                held = None
                row += row_repeat
            elif name == TABLE:
                consts.store(cast(Sheet, sheet))  # the end of the table started
                cast(FormulaSink, sink).finish()
                sheet = sink = None

        def expand_row(held: list[_Held]) -> None:
            """A repeated row holding something: its cells on every row (its
            formulas on the first one only, as LibreOffice reads them)."""
            last = row + row_repeat - 1
            if last >= MAX_ROWS:
                raise reader._fail(
                    sheet,
                    f"ligne {count_text(row + 1)} répétée {count_text(row_repeat)} fois "
                    f"jusqu'à la ligne {count_text(last + 1)}, au-delà de la ligne "
                    f"{count_text(MAX_ROWS)} ; un classeur de 50 000 familles n'en a pas "
                    "besoin : refusé",
                )
            width = sum(item[3] for item in held if item[1] != _FORMULA)
            if reader.cells + width * row_repeat > MAX_CELLS:
                count(width * row_repeat)  # refused
            for r in range(row, row + row_repeat):
                for c, k, v, n, is_date, array in held:
                    if k == _FORMULA:
                        if r == row:
                            count(1)
                            cast(FormulaSink, sink).add(r, c, cast(str, v), array or _NO_ATTRS)  # in a table
                    elif is_date:
                        put_date(r, c, cast(float, v), n)
                    else:
                        put(r, c, k, v, n)

        def chars(data: str) -> None:
            nonlocal size
            if collecting:
                parts.append(data)
                size += len(data)
                if size > MAX_TEXT_RUN:
                    raise reader._fail(
                        sheet,
                        f"cellule {cell_name(row, col)} : texte de plus de "
                        f"{count_text(MAX_TEXT_RUN)} caractères : refusé",
                    )

        return start, end


# ---------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------


def read_ods_workbook(
    source: Source, make_sink: Callable[[WorkbookMeta, Book, int], FormulaSink]
) -> tuple[WorkbookMeta, Book]:
    """Read every sheet of an .ods; ``make_sink(meta, book, sheet_index)``
    gives the object that receives that sheet's formula cells (see
    ``reader.read_workbook``). Raises UnreadableWorkbook (French, naming the
    file) when the file is not a readable OpenDocument spreadsheet."""
    xf = XlsxFile(source)
    try:
        if not xf.has(CONTENT):
            raise UnreadableWorkbook("classeur OpenDocument sans partie content.xml : fichier incomplet")
        scan = _scan(xf)
        meta = _meta(scan)
        book = Book([s.name for s in meta.sheets])
        _CellReader(xf, scan, meta, book, make_sink).read()
        return meta, book
    except UnreadableWorkbook as exc:
        if str(xf.path) in str(exc):
            raise
        raise UnreadableWorkbook(f"{xf.path} : {exc}") from None
    except (
        expat.ExpatError,
        zipfile.BadZipFile,
        OSError,
        EOFError,
        UnicodeDecodeError,
        ValueError,
        OverflowError,
        IndexError,
    ) as exc:
        raise UnreadableWorkbook(f"{xf.path} : classeur OpenDocument mal formé ({exc})") from None
    finally:
        xf.close()


__all__ = ["ODS_MIMETYPE", "is_ods", "read_ods_workbook"]
