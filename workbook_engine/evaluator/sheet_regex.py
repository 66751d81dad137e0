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
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, cast
from xml.parsers import expat

from workbook_engine.evaluator.refs import MAX_COL, MAX_ROW, col_index

if TYPE_CHECKING:  # reader imports this module
    from workbook_engine.evaluator.reader import FormulaSink

# add_constant(row, col, type, value, is_date): the value is the text of the
# cell's <v> (bytes for numbers and shared strings, else str), None if absent.
AddConstant = Callable[[int, int, str, bytes | str | None, bool], None]
# add_constants(row, cols, styles, types, elements): the constant cells of a
# repeated row at once, in column order: their s and t attributes and their
# <v> elements as written (each None when absent); see ``constant_value``.
AddConstants = Callable[
    [int, Sequence[int], Sequence[bytes | None], Sequence[bytes | None], Sequence[bytes | None]], None
]

CHUNK = 1 << 22  # bytes of sheet XML handled at a time (cut after a </row>)

_ATTR = rb' [A-Za-z][A-Za-z0-9:_-]{0,40}="[^"<&]*"'
_CELL = (
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]{1,9})")?(?: t="([a-zA-Z]{1,9})")?'
    rb'(?: (?:cm|vm|ph)="[0-9a-z]{0,9}")*'
    rb"(?:/>|>(<f(?:" + _ATTR + rb")*(?:/>|>[^<]*</f>))?(<v(?:>[^<]*</v>|/>))?</c>)"
)
CELLS = re.compile(_CELL)
# A row's constant cells: column letters, row digits, style, type, <v> element.
# (Possessive: a formula cell is given up at its "<f" without backtracking.)
CONSTANT_CELL = re.compile(
    rb'<c r="([A-Z]{1,3}+)([0-9]{1,7}+)"(?: s="([0-9]{1,9}+)")?+(?: t="([a-zA-Z]{1,9}+)")?+'
    rb'(?: (?:cm|vm|ph)="[0-9a-z]{0,9}+")*+(?:/>|>(<v(?:>[^<]*+</v>|/>))?+</c>)'
)
GROUPS = 1 + CONSTANT_CELL.groups  # CONSTANT_CELL.split(row) gives text between, then the groups, in turn
# What the reader ignores in a formula cell: its cached value and the type of that value.
CACHED_VALUE = re.compile(rb"</f><v(?:>[^<]*</v>|/>)")
CACHED_TYPE = re.compile(rb' t="[a-zA-Z]{1,9}"(?=(?: (?:cm|vm|ph)="[0-9a-z]{0,9}")*><f)')
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
    add_constants: AddConstants,
    date_styles: frozenset[bytes],
) -> None:
    """Read ``<sheetData>`` from the sheet XML stream ``fh``.

    ``check_prolog(bytes)`` checks what precedes it; ``out_of_sheet(A1)``
    is the error raised for a cell address beyond a sheet's limits; the
    formula cells go to ``sink`` (``runs.SheetRuns``), the constants to
    ``add_constant(row, col, type, value, is_date)``, in order (those of a
    repeated row to ``add_constants``, at once). Raises GiveUp."""
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
    rows = _Rows(out_of_sheet, sink, add_constant, add_constants, date_styles)
    buf = head[at + len(b"<sheetData>") :]
    while True:
        end = buf.find(b"</sheetData>")
        if end >= 0:
            rows.read(buf[:end])
            rows.flush()
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

    __slots__ = (
        "number",
        "digits",
        "cells",
        "whole",
        "formulas",
        "count",
        "skeleton",
        "pieces",
        "whole_pieces",
        "letters",
        "cols",
        "formula_count",
        "repeats",
        "template",
    )

    def __init__(self, number: int, digits: bytes, cells: bytes, whole: bool, formulas: list[int], slots: int):
        self.number = number  # 1-based, as in the file
        self.digits = digits  # the same, as written
        self.cells = cells  # the row's cells, as written
        self.whole = whole  # no constant has a value, the number occurs ``count`` times in ``cells``
        self.formulas = formulas  # columns of its formulas
        # occurrences of its number: one per cell address and relative reference
        self.count = cells.count(b"<c ") + slots
        self.formula_count = len(formulas) + slots  # the same in the skeleton: no constant there
        self.skeleton = b""  # see ``skeleton``, with ``pieces``
        # ``skeleton(cells)`` and ``cells`` split at the number, once needed:
        # the same for every row of a stretch that repeats (each number moved down)
        self.pieces: list[bytes] | None = None
        self.whole_pieces: list[bytes] | None = None
        self.letters: list[bytes] = []  # the constants' columns, with the skeleton
        self.cols: list[int] = []  # the same, as indexes
        self.repeats = 0  # rows that repeated it through their skeleton
        self.template: re.Pattern[bytes] | None = None  # see ``template``, after TEMPLATE_AFTER repeats


# A stretch of rows gets its template after this many skeleton repeats, at
# most MAX_TEMPLATES times per sheet: compiling one (~10 ms for a 3-grid
# family row; ``re`` caches it for the next workbook) saves ~15 us per row
# matched; rows of many short stretches are not worth it (and a crafted sheet
# cannot make the compiling cost more than MAX_TEMPLATES compilations).
TEMPLATE_AFTER = 32
MAX_TEMPLATES = 16
_START_TAG = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"(?: s="[0-9]{1,9}")?')  # where a cached type would stand
_TYPE_SLOT = rb'(?: t="[a-zA-Z]{1,9}+")?+'
_VALUE_SLOT = rb"(?:<v(?:>[^<]*+</v>|/>))?+"
_CONSTANT_TAIL = (  # CONSTANT_CELL after its row digits, with its style, type and <v> element
    rb'"(?: s="([0-9]{1,9}+)")?+(?: t="([a-zA-Z]{1,9}+)")?+'
    rb'(?: (?:cm|vm|ph)="[0-9a-z]{0,9}+")*+(?:/>|>(<v(?:>[^<]*+</v>|/>))?+</c>)'
)


def template(cells: bytes, digits: bytes) -> re.Pattern[bytes]:
    """What a row's cells are when its skeleton is that of ``cells`` (row
    ``digits``) with each occurrence of ``digits`` replaced by another
    number, and its constant cells are in the same columns, addressed in that
    row: a pattern matched against ``number + b"|" + cells`` (group 1 the
    number; then each constant's style, type and <v> element). For rows of
    the usual shape (SHAPE), matching it is the skeleton test of
    ``_Rows.repeat``: the cached types may stand only after r and s in a
    formula cell's tag, the cached values only after </f>, and the constants
    are CONSTANT_CELL with the columns and row fixed; so one pass replaces
    the split and the substitutions."""
    parts = CONSTANT_CELL.split(cells)
    out = [rb"([0-9]++)\|"]
    for i, piece in enumerate(parts[::GROUPS]):
        if i:
            out.append(b'<c r="' + re.escape(parts[1 + (i - 1) * GROUPS]) + rb"\1" + _CONSTANT_TAIL)
        k = CACHED_TYPE.sub(b"", CACHED_VALUE.sub(b"</f>", piece))
        slots = sorted(
            [(m.end(), _TYPE_SLOT) for m in _START_TAG.finditer(k)]
            + [(m.end(), _VALUE_SLOT) for m in re.finditer(rb"</f>", k)]
        )
        at = 0
        for end, slot in slots + [(len(k), b"")]:
            # (a slot follows '"' or '>': no occurrence of the number straddles it)
            out.append(rb"\1".join(re.escape(text) for text in k[at:end].split(digits)))
            out.append(slot)
            at = end
    return re.compile(b"".join(out))


def skeleton(cells: bytes) -> tuple[bytes, list[bytes]]:
    """A row's formula cells without what the reader ignores (cached values
    and their types), "<" where constant cells were; and the parts of
    ``CONSTANT_CELL.split``, in which each constant cell's groups follow the
    text before it."""
    parts = CONSTANT_CELL.split(cells)
    formulas = b"<".join(parts[::GROUPS])
    return CACHED_TYPE.sub(b"", CACHED_VALUE.sub(b"</f>", formulas)), parts


class _Rows:
    """Reads rows of cells; a row that repeats the one above it, moved down
    by one row, costs a few regular-expression passes instead of a Python
    step per cell.

    Row r repeats row r-1 when its formula cells are row r-1's, written the
    same except that each occurrence of the number r-1 became r, and its
    other cells are constants in the same columns as row r-1's, addressed in
    row r (their values may differ). That is safe when row r-1 held plain
    formulas and constants only, each addressed in row r-1, each formula in a
    run whose relative row references all point at its own row, and when the
    number r-1 occurs in the row's skeleton (its formula cells without what
    the reader ignores: their cached values and the types of these) exactly
    once per cell address and per such reference (counted: so no other
    number contains it, "112" or "$B$12" in row 12). Then row r holds, in
    every formula column, the next row of the same run: the runs are
    extended without reading the formula cells, and only the constants are
    read one by one, in row r-1's columns and order (so in column order, each
    once). A constant holding the row number ("F12" in row 12) is no
    occurrence: constants are not in the skeleton. A reference to another row
    ("A11" in row 12 stays "A11" in row 13: another R1C1 formula), an edited
    formula, a constant pasted over a formula or a formula over a constant
    make the row be read cell by cell (and be the model of the next one).
    Family rows without a family (most of a 2,000-row sheet when few are
    filled) repeat whole: one byte comparison, not even the skeleton."""

    def __init__(
        self,
        out_of_sheet: Callable[[str], Exception],
        sink: FormulaSink,
        add_constant: AddConstant,
        add_constants: AddConstants,
        date_styles: frozenset[bytes],
    ) -> None:
        self.out_of_sheet = out_of_sheet
        self.sink = sink
        self.add_constant = add_constant
        self.add_constants = add_constants
        self.date_styles = date_styles
        self.prev: _Repeat | None = None
        # [columns, last row told to the sink, last row repeated]: the runs of
        # repeated rows, extended in the sink once (see ``extend``)
        self.lag: list[Any] | None = None
        self.templates = 0  # compiled for this sheet (at most MAX_TEMPLATES)

    def read(self, body: bytes) -> None:
        if b"\r" in body or (b"&" in body and OTHER_ENTITY.search(body)) or SHAPE.fullmatch(body) is None:
            raise GiveUp
        # The chunk is rows (SHAPE): cut at each "</row>", a piece is
        # whitespace and empty rows, then the start of the row that ends there
        # and its cells (nothing after the last "</row>" but empty rows).
        for piece in body.split(b"</row>"):
            for m in ROW_START.finditer(piece):
                if m.group(2):  # <row .../>: no cells
                    self.prev = None
                    continue
                self.row(m.group(1), piece[m.end() :])
                break

    def row(self, attrs: bytes, cells: bytes) -> None:
        """Read one row: the attributes of its <row> tag, its cells."""
        number = ROW_NUMBER.search(attrs)
        if number is None:
            self.prev = None
            self.cells(cells)
            return
        digits = number.group(1)
        prev = self.prev
        if prev is not None and int(digits) == prev.number + 1 and self.repeat(prev, cells, digits):
            return
        formulas, valued, odd = self.cells(cells, int(digits) - 1)
        self.prev = None
        if not odd:
            slots = self.sink.same_row_slots(formulas, int(digits) - 1)
            if slots is not None:
                self.prev = base = _Repeat(int(digits), digits, cells, False, formulas, slots)
                base.whole = not valued and cells.count(digits) == base.count

    def repeat(self, prev: _Repeat, cells: bytes, digits: bytes) -> bool:
        """Whether row ``digits`` (``cells``) repeats ``prev``, the row
        above; if so, its formula runs are extended, its constants read, and
        ``prev`` becomes this row (or None if it cannot be repeated)."""
        # Row r's text (or skeleton) split at r's number is row r-1's split at
        # r-1's number: then it is row r-1's with each r-1 replaced by r, and r
        # occurs as often in it as r-1 did in row r-1 (no more: so the next row
        # may repeat it). One split and a list comparison per row; the
        # replacement is made only when they differ (r was there already, or
        # the row does not repeat).
        if prev.whole:
            if prev.whole_pieces is None:
                prev.whole_pieces = prev.cells.split(prev.digits)
            same = cells.split(digits) == prev.whole_pieces
            if same or cells == prev.cells.replace(prev.digits, digits):
                if not self.extend(prev):
                    return False
                prev.number, prev.digits, prev.cells, prev.pieces = prev.number + 1, digits, cells, None
                prev.template, prev.repeats = None, 0
                if not same:
                    self.prev = None  # the new number was there already
                return True
        if prev.template is not None:
            m = prev.template.fullmatch(digits + b"|" + cells)
            if m is None or not self.extend(prev):
                return False
            g = m.groups()
            self.add_constants(prev.number, prev.cols, g[1::3], g[2::3], g[3::3])
            prev.number, prev.digits, prev.cells = prev.number + 1, digits, cells
            return True
        pieces = prev.pieces
        if pieces is None:
            before, parts = skeleton(prev.cells)
            pieces = before.split(prev.digits)
            if len(pieces) != prev.formula_count + 1:
                return False
            prev.skeleton, prev.pieces, prev.letters = before, pieces, parts[1::GROUPS]
            prev.cols = [_COLUMNS[letters_] for letters_ in prev.letters]  # (read by ``cells``: all known)
        after, parts = skeleton(cells)
        letters, rows = parts[1::GROUPS], parts[2::GROUPS]
        same = after.split(digits) == pieces
        if (
            (not same and after != prev.skeleton.replace(prev.digits, digits))
            or letters != prev.letters
            or rows.count(digits) != len(rows)
            or not self.extend(prev)
        ):
            return False
        # the constants: in row r-1's columns (known, in column order), addressed in row r
        self.add_constants(prev.number, prev.cols, parts[3::GROUPS], parts[4::GROUPS], parts[5::GROUPS])
        prev.number, prev.digits, prev.cells, prev.skeleton, prev.whole = prev.number + 1, digits, cells, after, False
        if not same:
            self.prev = None  # the new number was there already
            return True
        prev.repeats += 1
        if prev.repeats == TEMPLATE_AFTER and self.templates < MAX_TEMPLATES:
            self.templates += 1
            prev.template = template(cells, digits)
        return True

    def extend(self, prev: _Repeat) -> bool:
        """Extend the runs of ``prev``'s formulas to the row below it (False,
        nothing done, when they do not end at ``prev``). Within rows that
        repeat one another nothing else touches these runs: the sink is told
        once, at the first row, and when the repeats end (``flush``)."""
        row, lag = prev.number, self.lag
        if lag is not None and lag[0] is prev.formulas and lag[2] == row - 1:
            lag[2] = row
            return True
        self.flush()
        if not self.sink.extend(prev.formulas, row):
            return False
        self.lag = [prev.formulas, row, row]
        return True

    def flush(self) -> None:
        """Tell the sink how far the runs of the last repeated rows go."""
        lag, self.lag = self.lag, None
        if lag is not None and lag[2] != lag[1] and not self.sink.extend(lag[0], lag[2], lag[1] + 1):
            raise GiveUp  # cannot be: nothing else touched these runs; expat will read the sheet

    def cells(self, body: bytes, row_of_element: int = -1) -> tuple[list[int], bool, bool]:
        """Read the cells of one row: (columns of its plain formulas, whether
        a constant cell had a value, whether anything was odd: other than
        plain formulas and constant cells, or a cell addressed in another row
        than ``row_of_element``)."""
        self.flush()
        out_of_sheet, add_formula, add_constant = self.out_of_sheet, self.sink.add, self.add_constant
        date_styles = self.date_styles
        col_of = _COLUMNS
        formulas: list[int] = []
        valued = odd = False
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
                odd = True
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
                            odd = True
                        else:
                            formulas.append(col)
                        continue
                elif attrs.get("t") == "shared":
                    add_formula(row, col, None, attrs)
                    odd = True
                    continue
                odd = True  # an empty formula or a data table: read as a constant
            typ, value = constant_value(t, v)
            valued = valued or bool(v)
            add_constant(row, col, typ, value, bool(style) and style in date_styles)
        return formulas, valued, odd


def constant_value(t: bytes | None, v: bytes | None) -> tuple[str, bytes | str | None]:
    """A constant cell's type and value as ``AddConstant`` takes them, from
    its t attribute and its <v> element as written (None when absent)."""
    typ = TYPES.get(t or b"")
    if typ is None:
        typ = cast(bytes, t).decode()
    value: bytes | str | None = None
    if v:
        raw = v[3:-4] if v.endswith(b"</v>") else b""
        value = raw if typ == "n" or typ == "s" else _text(raw)
    return typ, value


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
