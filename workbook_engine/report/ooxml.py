"""Small, exact edits of SpreadsheetML parts, as text.

The annotated copy must keep everything the bursar's workbook holds
(charts, validations, protection, cached values, extensions this code does
not know), so parts are never parsed into a tree and written back: each
function finds the few bytes it changes and leaves the rest as it was.
Parts are the ``str`` of their UTF-8 bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from workbook_engine.evaluator.refs import col_letters
from workbook_engine.report.text import xml_safe

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_WORKSHEET = REL_NS + "/worksheet"
REL_COMMENTS = REL_NS + "/comments"
REL_VML = REL_NS + "/vmlDrawing"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class PartShapeError(ValueError):
    """A part is not of the shape these edits understand (it is then left alone)."""


def text(value: object) -> str:
    return escape(xml_safe(value))


def attr(value: object) -> str:
    return quoteattr(xml_safe(value))


def _attr_of(tag: str, name: str) -> str | None:
    m = re.search(rf'\s{name}="([^"]*)"', tag)
    return m.group(1) if m else None


def _set_attr(tag: str, name: str, value: str) -> str:
    """A start tag with attribute ``name`` set (replaced or added before the end)."""
    if re.search(rf'\s{name}="[^"]*"', tag):
        return re.sub(rf'(\s{name}=")[^"]*(")', lambda m: m.group(1) + value + m.group(2), tag, count=1)
    end = -2 if tag.endswith("/>") else -1
    return f'{tag[:end]} {name}="{value}"{tag[end:]}'


def _count_up(xml: str, element: str, added: int) -> str:
    """``<element count="n">`` becomes n + added."""
    m = re.search(rf"<{element}\b[^>]*>", xml)
    if m is None:
        raise PartShapeError(f"<{element}> missing")
    tag = m.group(0)
    n = int(_attr_of(tag, "count") or 0)
    return xml[: m.start()] + _set_attr(tag, "count", str(n + added)) + xml[m.end() :]


def _children(xml: str, element: str, child: str) -> tuple[int, int, list[str]]:
    """(start, end) of the content of ``<element>`` and its ``<child>`` elements."""
    m = re.search(rf"<{element}\b[^>]*?(/?)>", xml)
    if m is None:
        raise PartShapeError(f"<{element}> missing")
    if m.group(1):
        raise PartShapeError(f"<{element}/> is empty")
    close = xml.index(f"</{element}>", m.end())
    body = xml[m.end() : close]
    items = re.findall(rf"<{child}\b[^>]*/>|<{child}\b[^>]*[^/]>.*?</{child}>|<{child}>.*?</{child}>", body, re.S)
    return m.end(), close, items


# ---------------------------------------------------------------------------
# styles.xml
# ---------------------------------------------------------------------------


@dataclass
class Styles:
    """styles.xml with fills, fonts and cell formats appended."""

    xml: str

    def __post_init__(self) -> None:
        self._fills = len(_children(self.xml, "fills", "fill")[2])
        self._fonts = len(_children(self.xml, "fonts", "font")[2])
        self._xfs = _children(self.xml, "cellXfs", "xf")[2]
        self._new_xfs: list[str] = []
        self._new_fills: list[str] = []
        self._new_fonts: list[str] = []
        self._clones: dict[tuple[int, int], int] = {}

    def add_fill(self, argb: str) -> int:
        self._new_fills.append(
            '<fill><patternFill patternType="solid">'
            f'<fgColor rgb="{argb}"/><bgColor indexed="64"/></patternFill></fill>'
        )
        return self._fills + len(self._new_fills) - 1

    def add_font(self, inner: str) -> int:
        self._new_fonts.append(f"<font>{inner}</font>")
        return self._fonts + len(self._new_fonts) - 1

    def add_xf(self, xf: str) -> int:
        self._new_xfs.append(xf)
        return len(self._xfs) + len(self._new_xfs) - 1

    def with_fill(self, style: int, fill: int) -> int:
        """The cell format ``style`` (number format, font, border, protection
        kept) with its background replaced by ``fill``; made once per pair."""
        key = (style, fill)
        if key not in self._clones:
            base = self._xfs[style] if 0 <= style < len(self._xfs) else self._xfs[0]
            start = re.match(r"<xf\b[^>]*?/?>", base)
            assert start is not None
            tag = _set_attr(_set_attr(start.group(0), "fillId", str(fill)), "applyFill", "1")
            self._clones[key] = self.add_xf(tag + base[start.end() :])
        return self._clones[key]

    def result(self) -> str:
        xml = self.xml
        for element, new in (("fills", self._new_fills), ("fonts", self._new_fonts), ("cellXfs", self._new_xfs)):
            if not new:
                continue
            _start, close, _items = _children(xml, element, "x")
            xml = xml[:close] + "".join(new) + xml[close:]
            xml = _count_up(xml, element, len(new))
        return xml


# ---------------------------------------------------------------------------
# Worksheets
# ---------------------------------------------------------------------------

_ROW = re.compile(r"<row\b[^>]*?(/?)>")
_CELL = re.compile(r"<c\b[^>]*?/>|<c\b[^>]*?>.*?</c>", re.S)
_A1 = re.compile(r"([A-Z]+)([0-9]+)")


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def a1(row: int, col: int) -> str:
    return f"{col_letters(col)}{row + 1}"


def restyle_cells(xml: str, cells: dict[tuple[int, int], Callable[[int], int]]) -> str:
    """The sheet with each (row, col) (0-based) given the style its function
    returns for the cell's current style (0 when the cell has none); a cell
    or row the sheet does not hold is added, empty, in its place."""
    data = re.search(r"<sheetData\b[^>]*?(/?)>", xml)
    if data is None:
        raise PartShapeError("<sheetData> missing")
    if data.group(1):  # <sheetData/>: no row at all
        xml = xml[: data.start()] + "<sheetData></sheetData>" + xml[data.end() :]
        data = re.search(r"<sheetData\b[^>]*>", xml)
        assert data is not None
    end_data = xml.index("</sheetData>", data.end())
    by_row: dict[int, dict[int, Callable[[int], int]]] = {}
    for (r, c), fn in cells.items():
        by_row.setdefault(r, {})[c] = fn
    rows: list[tuple[int, int, int]] = []  # (row, start, end) of each <row> element
    pos, last = data.end(), -1
    while True:
        m = _ROW.search(xml, pos, end_data)
        if m is None:
            break
        r_attr = _attr_of(m.group(0), "r")
        number = int(r_attr) - 1 if r_attr else last + 1
        end = m.end() if m.group(1) else xml.index("</row>", m.end()) + len("</row>")
        rows.append((number, m.start(), end))
        last, pos = number, end
    out, cursor = [], 0
    pending = sorted(by_row)
    for number, start, end in rows:
        while pending and pending[0] < number:  # rows the sheet does not hold, before this one
            r = pending.pop(0)
            out += [xml[cursor:start], _new_row(r, by_row[r])]
            cursor = start
        if pending and pending[0] == number:
            pending.pop(0)
            out += [xml[cursor:start], _restyle_row(xml[start:end], number, by_row[number])]
            cursor = end
    for r in pending:
        out += [xml[cursor:end_data], _new_row(r, by_row[r])]
        cursor = end_data
    out.append(xml[cursor:])
    return "".join(out)


def _new_row(row: int, cells: dict[int, Callable[[int], int]]) -> str:
    return (
        f'<row r="{row + 1}">' + "".join(f'<c r="{a1(row, c)}" s="{cells[c](0)}"/>' for c in sorted(cells)) + "</row>"
    )


def _restyle_row(element: str, row: int, cells: dict[int, Callable[[int], int]]) -> str:
    start = _ROW.match(element)
    assert start is not None
    if start.group(1):  # <row .../>: no cell
        return (
            start.group(0)[:-2]
            + ">"
            + "".join(f'<c r="{a1(row, c)}" s="{cells[c](0)}"/>' for c in sorted(cells))
            + "</row>"
        )
    body_start, body_end = start.end(), len(element) - len("</row>")
    out, cursor, col = [element[:body_start]], body_start, -1
    pending = sorted(cells)
    for m in _CELL.finditer(element, body_start, body_end):
        tag_end = m.group(0).index(">") + 1
        tag = m.group(0)[:tag_end]
        ref = _attr_of(tag, "r")
        parsed = _A1.fullmatch(ref) if ref else None
        col = col_index(parsed.group(1)) if parsed else col + 1
        while pending and pending[0] < col:
            c = pending.pop(0)
            out += [element[cursor : m.start()], f'<c r="{a1(row, c)}" s="{cells[c](0)}"/>']
            cursor = m.start()
        if pending and pending[0] == col:
            c = pending.pop(0)
            style = int(_attr_of(tag, "s") or 0)
            out += [element[cursor : m.start()], _set_attr(tag, "s", str(cells[c](style))), m.group(0)[tag_end:]]
            cursor = m.end()
    for c in pending:
        out += [element[cursor:body_end], f'<c r="{a1(row, c)}" s="{cells[c](0)}"/>']
        cursor = body_end
    out.append(element[cursor:])
    return "".join(out)


# Children of <worksheet> that come after <legacyDrawing> (CT_Worksheet's order).
_AFTER_LEGACY = (
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)


def has_legacy_drawing(xml: str) -> bool:
    return re.search(r"<legacyDrawing\b", xml) is not None


def add_legacy_drawing(xml: str, rid: str) -> str:
    """The sheet pointing at its comments' VML drawing."""
    root = re.search(r"<worksheet\b[^>]*>", xml)
    if root is None:
        raise PartShapeError("<worksheet> missing")
    prefix = "r"
    if f'"{REL_NS}"' not in root.group(0):
        xml = xml[: root.end() - 1] + f' xmlns:r="{REL_NS}"' + xml[root.end() - 1 :]
    else:
        m = re.search(rf'xmlns:(\w+)="{re.escape(REL_NS)}"', root.group(0))
        prefix = m.group(1) if m else "r"
    element = f'<legacyDrawing {prefix}:id="{rid}"/>'
    for name in _AFTER_LEGACY:
        m = re.search(rf"<{name}\b", xml)
        if m:
            return xml[: m.start()] + element + xml[m.start() :]
    close = xml.rindex("</worksheet>")
    return xml[:close] + element + xml[close:]


def unselect_tab(xml: str) -> str:
    """The sheet no longer selected (another sheet opens first)."""
    return re.sub(r'(<sheetView\b[^>]*?)\stabSelected="(?:1|true)"', r"\1", xml, count=1)


# ---------------------------------------------------------------------------
# Relationships, content types, workbook, app properties
# ---------------------------------------------------------------------------


def relationships(xml: str) -> dict[str, tuple[str, str]]:
    """rId -> (type, target)."""
    out = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", xml):
        rid, kind, target = _attr_of(tag, "Id"), _attr_of(tag, "Type"), _attr_of(tag, "Target")
        if rid and kind and target:
            out[rid] = (kind, target)
    return out


def add_relationship(xml: str | None, kind: str, target: str) -> tuple[str, str]:
    """(the rels part with one more relationship, its new rId)."""
    if xml is None:
        xml = f'{PROLOG}<Relationships xmlns="{PKG_REL_NS}"></Relationships>'
    taken = {int(m) for m in re.findall(r'\sId="rId(\d+)"', xml)}
    rid = f"rId{max(taken, default=0) + 1}"
    element = f'<Relationship Id="{rid}" Type="{kind}" Target={attr(target)}/>'
    if re.search(r"<Relationships\b[^>]*/>", xml):
        xml = re.sub(
            r"<Relationships\b([^>]*)/>", lambda m: f"<Relationships{m.group(1)}>{element}</Relationships>", xml
        )
    else:
        close = xml.rindex("</Relationships>")
        xml = xml[:close] + element + xml[close:]
    return xml, rid


def add_content_types(xml: str, overrides: dict[str, str], defaults: dict[str, str]) -> str:
    new = ""
    for ext, kind in defaults.items():
        if not re.search(rf'<Default\b[^>]*Extension="{re.escape(ext)}"', xml, re.I):
            new += f'<Default Extension="{ext}" ContentType="{kind}"/>'
    for part, kind in overrides.items():
        new += f'<Override PartName={attr(part)} ContentType="{kind}"/>'
    close = xml.rindex("</Types>")
    return xml[:close] + new + xml[close:]


def insert_first_sheet(xml: str, name: str, rid: str, rel_prefix: str | None = "r") -> str:
    """workbook.xml with a new first sheet: sheet-local defined names
    (localSheetId) and the active tab shift by one; the new sheet opens."""
    m = re.search(r"<sheets>", xml)
    if m is None:
        raise PartShapeError("<sheets> missing")
    ids = [int(i) for i in re.findall(r'<sheet\b[^>]*\ssheetId="(\d+)"', xml)]
    declare = "" if rel_prefix else f' xmlns:r="{REL_NS}"'
    element = f'<sheet{declare} name={attr(name)} sheetId="{max(ids, default=0) + 1}" {rel_prefix or "r"}:id="{rid}"/>'
    xml = xml[: m.end()] + element + xml[m.end() :]
    xml = re.sub(r'(<definedName\b[^>]*\slocalSheetId=")(\d+)(")', lambda d: f"{d[1]}{int(d[2]) + 1}{d[3]}", xml)
    view = re.search(r"<workbookView\b[^>]*?/?>", xml)
    if view:
        tag = _set_attr(view.group(0), "activeTab", "0")
        if _attr_of(tag, "firstSheet") is not None:
            tag = _set_attr(tag, "firstSheet", "0")
        xml = xml[: view.start()] + tag + xml[view.end() :]
    return xml


def relationship_prefix(workbook_xml: str) -> str | None:
    """The prefix workbook.xml's root gives the relationships namespace, or
    None (openpyxl declares it on each ``<sheet>`` instead)."""
    root = re.search(r"<workbook\b[^>]*>", workbook_xml)
    m = re.search(rf'xmlns:(\w+)="{re.escape(REL_NS)}"', root.group(0) if root else "")
    return m.group(1) if m else None


def add_app_title(xml: str, title: str) -> str:
    """docProps/app.xml listing the new first sheet, when it lists sheets the
    way Excel and XlsxWriter do; otherwise unchanged."""
    count = re.search(
        r"(<vt:lpstr>(?:Worksheets|Feuilles de calcul)</vt:lpstr></vt:variant><vt:variant><vt:i4>)(\d+)(<)", xml
    )
    titles = re.search(r'(<TitlesOfParts><vt:vector size=")(\d+)("[^>]*>)', xml)
    if count is None or titles is None:
        return xml
    xml = xml[: count.start(2)] + str(int(count.group(2)) + 1) + xml[count.end(2) :]
    titles = re.search(r'(<TitlesOfParts><vt:vector size=")(\d+)("[^>]*>)', xml)
    assert titles is not None
    return (
        xml[: titles.start(2)]
        + str(int(titles.group(2)) + 1)
        + titles.group(3)
        + f"<vt:lpstr>{text(title)}</vt:lpstr>"
        + xml[titles.end() :]
    )
