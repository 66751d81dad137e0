"""The usual shape of a worksheet's cells, read with regular expressions.

Expat calls back into Python five or six times per cell (``c``, ``f``,
``v``, their text and ends); on a family sheet of 2,000 rows that is most of
the time spent reading a workbook. Sheets written by XlsxWriter, Excel and
LibreOffice have one regular shape inside ``<sheetData>``::

    <row r="5" spans="1:30"><c r="A5" s="3" t="s"><v>12</v></c><c r="V5" s="9"><f>ROUND(S5*U5,2)</f><v>0</v></c>...

This module reads that shape with regular expressions (C speed, one Python
step per cell), and gives up on anything else: inline strings, prefixed
tags, unusual attributes, whitespace inside a cell, character references,
carriage returns, another encoding. Giving up raises :class:`GiveUp`; the
caller then reads the sheet with expat from the start, so both ways give the
same cells and the same errors. What precedes ``<sheetData>`` is still
checked by expat (well-formed, no DTD).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, TYPE_CHECKING
from xml.parsers import expat

from workbook_engine.evaluator.refs import MAX_COL, MAX_ROW, col_index

if TYPE_CHECKING:  # reader imports this module
    from workbook_engine.evaluator.reader import FormulaSink

# add_constant(row, col, type, value, is_date): the value is the text of the
# cell's <v> (bytes for numbers and shared strings, else str), None if absent.
AddConstant = Callable[[int, int, str, bytes | str | None, bool], None]

CHUNK = 1 << 22  # bytes of sheet XML handled at a time (cut after a </row>)

_ATTR = rb' [A-Za-z][A-Za-z0-9:_-]{0,40}="[^"<&]*"'
_CELL = (
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]{1,9})")?(?: t="([a-zA-Z]{1,9})")?'
    rb'(?: (?:cm|vm|ph)="[0-9a-z]{0,9}")*'
    rb"(?:/>|>(<f(?:" + _ATTR + rb")*(?:/>|>[^<]*</f>))?(<v(?:>[^<]*</v>|/>))?</c>)"
)
CELLS = re.compile(_CELL)
# The whole of a chunk: rows of cells, whitespace between rows, nothing else.
# Possessive repeats: matching time stays linear whatever the input.
SHAPE = re.compile(rb"(?:\s++|<row(?:" + _ATTR + rb")*+\s*+(?:/>|>(?:" + _CELL + rb")*+</row>))*+")
OTHER_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")  # character references, undefined entities
ROW_START = re.compile(rb"<row((?:" + _ATTR + rb")*)\s*(/?)>")
ROW_NUMBER = re.compile(rb' r="([1-9][0-9]{0,6})"')
F_ATTRS = re.compile(rb' ([A-Za-z][A-Za-z0-9:_-]*)="([^"]*)"')
ENCODING = re.compile(rb'<\?xml[^>]*encoding=["\']([A-Za-z0-9_.-]+)["\']')
TYPES = {b"": "n", b"n": "n", b"s": "s", b"str": "str", b"b": "b", b"e": "e", b"d": "d"}
NO_ATTRS: dict[str, str] = {}
_COLUMNS: dict[bytes, int] = {}  # column letters -> index, shared by every sheet read


class GiveUp(Exception):
    """The sheet is not of the usual shape: read it with expat."""


def read_sheet_data(
    fh: IO[bytes],
    check_prolog: Callable[[bytes], None],
    out_of_sheet: Callable[[str], Exception],
    sink: FormulaSink,
    add_constant: AddConstant,
    date_styles: frozenset[bytes],
) -> None:
    """Read ``<sheetData>`` from the sheet XML stream ``fh``.

    ``check_prolog(bytes)`` checks what precedes it; ``out_of_sheet(A1)``
    is the error raised for a cell address beyond a sheet's limits; the
    formula cells go to ``sink`` (``runs.SheetRuns``), the constants to
    ``add_constant(row, col, type, value, is_date)``, in order. Raises GiveUp."""
    head = fh.read(CHUNK)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise GiveUp
    m = ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
        raise GiveUp
    at = head.find(b"<sheetData")
    while at < 0:
        more = fh.read(CHUNK)
        if not more or len(head) > 4 * CHUNK:
            raise GiveUp
        head += more
        at = head.find(b"<sheetData")
    check_prolog(head[:at])
    if head.startswith(b"<sheetData/>", at):
        return
    if not head.startswith(b"<sheetData>", at):
        raise GiveUp
    rows = _Rows(out_of_sheet, sink, add_constant, date_styles)
    buf = head[at + len(b"<sheetData>") :]
    while True:
        end = buf.find(b"</sheetData>")
        if end >= 0:
            rows.read(buf[:end])
            return
        cut = buf.rfind(b"</row>")
        if cut >= 0:
            cut += len(b"</row>")
            rows.read(buf[:cut])
            buf = buf[cut:]
        more = fh.read(CHUNK)
        if not more:
            raise GiveUp  # no </sheetData>: let expat say what is wrong
        buf += more


class _Repeat:
    """What row r-1 was, for telling whether row r repeats it."""

    __slots__ = ("number", "digits", "cells", "formulas", "count")

    def __init__(self, number: int, digits: bytes, cells: bytes, formulas: list[int], count: int):
        self.number = number  # 1-based, as in the file
        self.digits = digits  # the same, as written
        self.cells = cells  # the row's cells, as written
        self.formulas = formulas  # columns of its formulas
        self.count = count  # occurrences of its number: one per cell address and relative reference


class _Rows:
    """Reads rows of cells; a row that repeats the one above it, moved down
    by one row, costs a few byte comparisons instead of a pass over its cells.

    Row r repeats row r-1 when its cells are row r-1's, written the same
    except that each occurrence of the number r-1 became r. That is safe
    when row r-1 held plain formulas and empty cells only, each addressed
    in row r-1, each formula in
    a run whose relative row references all point at its own row, and when
    the number r-1 occurs in the row exactly once per cell address and per
    such reference (counted: so no other number contains it, "112" or
    "$B$12" in row 12). Then row r holds, in every formula column, the next
    row of the same run: the runs are extended without reading the cells.
    A reference to another row ("A11" in row 12 stays "A11" in row 13:
    another R1C1 formula) or any constant makes the rows be read cell by
    cell. Family rows without a family (most of a 2,000-row sheet) repeat."""

    def __init__(
        self,
        out_of_sheet: Callable[[str], Exception],
        sink: FormulaSink,
        add_constant: AddConstant,
        date_styles: frozenset[bytes],
    ) -> None:
        self.out_of_sheet = out_of_sheet
        self.sink = sink
        self.add_constant = add_constant
        self.date_styles = date_styles
        self.prev: _Repeat | None = None

    def read(self, body: bytes) -> None:
        if b"\r" in body or (b"&" in body and OTHER_ENTITY.search(body)) or SHAPE.fullmatch(body) is None:
            raise GiveUp
        for m in ROW_START.finditer(body):
            if m.group(2):  # <row .../>: no cells
                self.prev = None
                continue
            end = body.find(b"</row>", m.end())
            cells = body[m.end() : end]
            number = ROW_NUMBER.search(m.group(1))
            if number is None:
                self.prev = None
                self.cells(cells)
                continue
            digits = number.group(1)
            prev = self.prev
            if (
                prev is not None
                and int(digits) == prev.number + 1
                and cells == prev.cells.replace(prev.digits, digits)
                and self.sink.extend(prev.formulas, prev.number)
            ):
                prev.number, prev.digits, prev.cells = prev.number + 1, digits, cells
                if cells.count(digits) != prev.count:  # the new number was there already
                    self.prev = None
                continue
            formulas, other = self.cells(cells, int(digits) - 1)
            self.prev = None
            if not other:
                slots = self.sink.same_row_slots(formulas, int(digits) - 1)
                if slots is not None and cells.count(digits) == cells.count(b"<c ") + slots:
                    self.prev = _Repeat(int(digits), digits, cells, formulas, cells.count(digits))

    def cells(self, body: bytes, row_of_element: int = -1) -> tuple[list[int], bool]:
        """Read the cells of one row: (columns of its plain formulas, whether
        it held anything else than plain formulas and empty cells, or a cell
        addressed in another row than ``row_of_element``)."""
        out_of_sheet, add_formula, add_constant = self.out_of_sheet, self.sink.add, self.add_constant
        date_styles = self.date_styles
        col_of = _COLUMNS
        formulas: list[int] = []
        other = False
        last_col = -1
        for letters, digits, style, t, f, v in CELLS.findall(body):
            col = col_of.get(letters)
            if col is None:
                col = col_index(letters.decode())
                if col >= MAX_COL:
                    raise out_of_sheet((letters + digits).decode())
                col_of[letters] = col
            row = int(digits) - 1
            if row == row_of_element:
                if col <= last_col:  # cells of a row come in column order, each once
                    raise ValueError(twice_written((letters + digits).decode()))
                last_col = col
            else:
                other = True
                if not 0 <= row < MAX_ROW:
                    raise out_of_sheet((letters + digits).decode())
            if f:
                if f.startswith(b"<f>"):
                    text, attrs = f[3:-4], NO_ATTRS
                else:
                    head, _, rest = f.partition(b">")
                    text = b"" if head.endswith(b"/") else rest[:-4]
                    attrs = {k.decode(): _text(a) for k, a in F_ATTRS.findall(head)}
                if text:
                    if attrs.get("t") != "dataTable":
                        add_formula(row, col, _text(text), attrs)
                        if "t" in attrs:
                            other = True
                        else:
                            formulas.append(col)
                        continue
                elif attrs.get("t") == "shared":
                    add_formula(row, col, None, attrs)
                    other = True
                    continue
            typ = TYPES.get(t)
            if typ is None:
                typ = t.decode()
            if v:
                other = True
                value = v[3:-4] if v.endswith(b"</v>") else b""
                if typ != "n" and typ != "s":
                    value = _text(value)
            else:
                value = None
            add_constant(row, col, typ, value, bool(style) and style in date_styles)
        return formulas, other


def twice_written(ref: str) -> str:
    """Why a row whose cells are repeated or out of order is refused: the
    last one would win silently (Excel calls such a file corrupt)."""
    return f"cellule {ref[:20]} écrite deux fois ou dans le désordre : fichier corrompu ou fabriqué"


def _text(raw: bytes) -> str:
    """Element text: UTF-8, the five predefined entities replaced (a chunk
    with character references or other entities was given up)."""
    text = raw.decode()
    if "&" not in text:
        return text
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def check_prolog_with(parser_factory: Callable[[], expat.XMLParserType]) -> Callable[[bytes], None]:
    """A prolog check: expat parses it, unfinished (so DTDs are refused and
    malformed XML is found as in a full parse); any error means GiveUp."""

    def check(prolog: bytes) -> None:
        try:
            parser_factory().Parse(prolog, False)
        except Exception:  # noqa: BLE001 - expat will say what is wrong
            raise GiveUp from None

    return check
