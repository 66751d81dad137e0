#!/usr/bin/python3
"""Make a bursar's edits in real LibreOffice, through UNO; recalculate, save, dump.

Run by the *system* Python (``/usr/bin/python3``, which has Debian's
``python3-uno``), never by the test interpreter: the pytest side
(``tests/libreoffice_uno.py``) starts one ``soffice`` per session and calls
this script in a subprocess. It starts nothing itself: it connects to a
running ``soffice --accept=...`` (``--connect`` or the job's ``"connect"``,
default ``uno:pipe,name=workbook_engine;urp;StarOffice.ComponentContext``;
it retries for ``--wait`` seconds while soffice starts).

Usage::

    /usr/bin/python3 tests/uno_driver.py [--connect URL] [--wait S] [JOB.json]   # or the job on stdin
    /usr/bin/python3 tests/uno_driver.py --connect URL --probe      # locale check, prints JSON
    /usr/bin/python3 tests/uno_driver.py --connect URL --terminate  # asks soffice to quit

The job (JSON): one job object, or ``{"jobs": [job, ...]}`` to batch several
documents in one call (one connection, one process start)::

    {"source": "/abs/in.xlsx",
     "edits": [{"op": "delete_rows", "sheet": "Familles", "row": 5}, ...],
     "outputs": {"xlsx": "/abs/out.xlsx", "ods": "/abs/out.ods"},      # either or both
     "dump": {"names": ["TOTAL_RECETTES", "ID_FAMILLE", ...],           # defined names
              "ranges": ["Familles!A4:A10", ...]},                       # sheet!range (A1)
     "reload": true}    # also reopen every saved file, recalculate, dump again

Output (stdout, JSON): ``{"results": [result, ...]}`` in job order, each::

    {"names": {NAME: value}, "ranges": {RANGE: value}, "name_refs": {NAME: "$Familles.$A$4:$A$402"},
     "sheets": [sheet names in order], "unprotected": [sheets], "outputs": {"xlsx": path, ...},
     "reloaded": {"xlsx": {"names": ..., "ranges": ...}, "ods": {...}}, "seconds": 1.2,
     "error": null}

A value is a scalar for a one-cell reference, else a list of rows' values
flattened (one column -> one value per row; several columns -> a list per
row). Numbers are floats, text is a str, a blank cell (or a formula giving "")
is null, an error is ``{"error": "#VALUE!", "shown": "#VALEUR !", "code": 519}``
(``error``: the Excel code LibreOffice writes to an .xlsx; ``shown``: what
the French LibreOffice displays; ``code``: LibreOffice's error number). A name
that no longer refers to cells (its range deleted) gives
``{"invalid": "<content>"}`` (e.g. ``"$Familles.$#REF!$4:$#REF!$403"``), a
name holding a constant or formula ``{"expression": "<content>"}``
(``"\"workbook_engine/2/3/10/400\""``); a missing name gives ``{"missing": true}``.
``name_refs`` has each name's content as LibreOffice shows it (its own
syntax: ``$Familles.$A$4:$A$403``, ``$'Grille 1'.$B$20``).

Exit status: 0 when every job succeeded; 1 when a job failed (its result has
``"error"``: the op number, the op and the UNO exception; the other jobs still
run; the message is also printed on stderr); 2 for a bad command line or job
file, or no connection to soffice.

Edit ops (applied in order; rows and columns 0-based, as in
``workbook_engine.workbook.layout``; ``sheet`` is a name or a 0-based index; a cell is
``"cell": "B5"`` or ``"row": r, "col": c``). Structural ops first unprotect
their sheet (sheet protection without a password, as the bursar does with
« Ôter la protection »: LibreOffice refuses row/column changes on a protected
sheet) and leave it unprotected (``"reprotect": true`` in the job protects
again, with LibreOffice's default options, before saving). Cell contents
are set whatever the protection (UNO does not enforce it for contents).

``delete_rows`` {sheet, row, count=1}
    ``Rows.removeByIndex``: the rows go, the rows below move up. LibreOffice
    adjusts every reference: a range spanning the deleted rows shrinks
    (``$A$4:$A$403`` -> ``$A$4:$A$402``, defined names included); a single
    cell reference to a deleted row becomes ``#REF!`` (e.g. the upper bound
    of the tranche line above a deleted tranche line:
    ``IF(OR(B9="",#REF!=""),"",#REF!)``, showing ``#REF!``).
``insert_rows`` {sheet, row, count=1}
    ``Rows.insertByIndex``: empty rows before ``row``. A range whose inside
    (not its first row) receives them grows (insert at the first row of a
    range moves the range down instead, as in Excel).
``delete_columns`` / ``insert_columns`` {sheet, col, count=1}
    ``Columns.removeByIndex`` / ``insertByIndex``: the same for columns. A
    name or formula referring only to a deleted column becomes ``#REF!``.
``fill_down`` {sheet, from_row, to_row, count=1, first_col=0, last_col=last used, method="copy"}
    Copy row ``from_row`` onto rows ``to_row``.. (``count`` rows), as Ctrl+D
    (select the row above and the new rows, Édition › Remplir › Vers le bas)
    does: ``copyRange``, so relative references move with the row (``A5``
    -> ``A6``), absolute ones stay; formats, validation and input values too
    (type over the inputs afterwards). ``method: "auto"`` uses
    ``XCellSeries.fillAuto`` instead (the fill handle: numbers and "F0012"
    style texts are incremented).
``rename_sheet`` {sheet, name}
    ``XNamed.setName``: every formula and defined name that refers to the
    sheet now names the new one (``$'Grille 1'.$B$20`` -> ``$École.$B$20``;
    in the saved .xlsx ``'Grille 1'!$B$20`` -> ``École!$B$20``). Text literals
    in formulas ("Grille 1") are of course unchanged.
``move_sheet`` {sheet, to}
    ``XSpreadsheets.moveByName``: the sheet is put before position ``to``.
``sort_rows`` {sheet, first_row, last_row, first_col, last_col, key_col, ascending=true, header=false}
    ``XSortable.sort`` of that block by column ``key_col`` (absolute column
    index): Données › Trier on a selection. Whole rows of the block move;
    formulas move with their row and keep their relative references (the
    default, "update references when sorting" off), so a family row's
    formulas still read their own row.
``move_column`` {sheet, col, to}
    Move column ``col`` to before column ``to`` (original indices; ``to`` may
    be one past the last column, "after the last column"), as a bursar does
    with « insérer une colonne, couper, coller, supprimer l'ancienne »:
    ``insertByIndex`` an empty column at ``to``, ``moveRange`` the whole
    column into it (a cut and paste: references *to* the moved cells follow
    them, relative references *in* them keep pointing at the same cells),
    then ``removeByIndex`` the emptied column.
``set_string`` {sheet, cell, value}
    ``setString``: the cell holds that text as text (a pasted "35 000" stays
    text; LibreOffice converts such text in arithmetic with the locale:
    fr-FR reads "35 000", "2,5", "1 020,00 €", "25 %" but not "35000.50",
    which gives #VALEUR! / #VALUE!). Comparisons (``I5="non"``) compare the
    text exactly, trailing spaces included; case is ignored in a document
    loaded from .xlsx (LibreOffice sets "case insensitive" for OOXML; a new
    LibreOffice document compares case-sensitively).
``set_value`` {sheet, cell, value}
    ``setValue``: a number.
``set_formula`` {sheet, cell, formula, local=false}
    ``setFormula``: the formula in the API grammar: English function names,
    ``;`` separators (a ``,`` gives #NAME?: ``=SUM(1,2)`` -> #NOM ?),
    ``$Sheet.A1`` references; ``local: true`` sets ``FormulaLocal``
    (French: ``=SOMME(A1;A2)``).
``clear`` {sheet, range}
    Clear the contents (values, texts, formulas) of a range, keeping formats.
``unprotect_sheet`` / ``protect_sheet`` {sheet}
    Explicitly, with an empty password.

After the edits: ``calculateAll()``, then ``storeToURL`` with the filter
"Calc MS Excel 2007 XML" (.xlsx) or "calc8" (.ods), then the dump.

What LibreOffice 7.4 writes to the .xlsx (seen by unzipping saved files):

- Every formula cell in full, never shared: ``<c r="N4" s="12" t="n"><f
  aca="false">IF(OR(A4=&quot;&quot;,...</f><v>45250</v></c>``; a text
  result ``t="str"``, an empty-string result ``t="str"`` with ``<v></v>``,
  an error ``t="e"`` with ``<v>#VALUE!</v>``; blank styled inputs ``<c
  r="A340" s="4"/>``; every string is a shared string with
  ``xml:space="preserve"`` (a trailing space is kept).
- After a row deletion, the sheet where rows were deleted gets an empty last
  row and a dimension to match: ``<dimension ref="A1:AO1048576"/>`` ...
  ``<row r="1048576" customFormat="false" ht="12.8" hidden="false"
  customHeight="false" outlineLevel="0" collapsed="false"></row>``. After a
  column deletion, a column XFD in ``<cols>``: ``<col collapsed="false"
  customWidth="true" hidden="false" outlineLevel="0" max="16384" min="16384"
  style="0" width="9.14"/>``.
- A defined name whose only column was deleted is written ``<definedName
  function="false" hidden="false" name="FAM_AIDE_CAF"
  vbProcedure="false">#REF!</definedName>`` (no sheet left; in memory it
  was ``$Familles.$#REF!$4:$#REF!$403``); a formula reference to it becomes
  ``#REF!`` in place: ``IF(TRIM(Paramètres!$B$6)=&quot;oui&quot;,#REF!,0)``.
- A renamed sheet: ``École!$B$20`` in names and formulas (quotes only when
  needed), ``<sheet name="École" sheetId="3" .../>``.
- Names keep their ``'Grille 1'!$B$20`` form otherwise; a constant name is
  kept (``&quot;workbook_engine/2/3/10/400&quot;``); the custom document
  property (docProps/custom.xml) is kept; ``_xlnm._FilterDatabase`` and
  ``_xlnm.Print_Titles`` are written with ``localSheetId``; the autofilter
  range follows inserts/deletes but not a column moved beyond it.
- A sheet unprotected for an edit has no ``<sheetProtection>`` any more.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

import uno  # Debian's python3-uno: this script only runs under /usr/bin/python3
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.sheet.FormulaResult import ERROR as FORMULA_ERROR
from com.sun.star.table import CellAddress, CellRangeAddress, TableSortField

DEFAULT_CONNECT = "uno:pipe,name=workbook_engine;urp;StarOffice.ComponentContext"
FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "ods": "calc8"}
MAX_COL = 16383  # XFD; whole-column moves

# LibreOffice error numbers (FormulaError) -> the Excel code its OOXML export writes.
EXCEL_ERRORS = {
    519: "#VALUE!",  # NoValue
    532: "#DIV/0!",  # DivisionByZero
    32767: "#N/A",  # NotAvailable
    524: "#REF!",  # NoRef
    525: "#NAME?",  # NoName
    503: "#NUM!",  # IllegalFPOperation
    533: "#NULL!",  # NoCode
}


class JobError(Exception):
    pass


def prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def connect(url: str, wait: float):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + wait
    while True:
        try:
            ctx = resolver.resolve(url)
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
    smgr = ctx.ServiceManager
    return ctx, smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)


def file_url(path: str) -> str:
    return uno.systemPathToFileUrl(os.path.abspath(path))


# ---------------------------------------------------------------------------
# Addressing
# ---------------------------------------------------------------------------


def get_sheet(doc, ref):
    sheets = doc.Sheets
    if isinstance(ref, int):
        if not 0 <= ref < sheets.getCount():
            raise JobError(f"no sheet at index {ref} (the document has {sheets.getCount()})")
        return sheets.getByIndex(ref)
    if not sheets.hasByName(ref):
        raise JobError(f"no sheet named {ref!r} (sheets: {list(sheets.ElementNames)})")
    return sheets.getByName(ref)


def sheet_index(doc, sheet) -> int:
    return sheet.getRangeAddress().Sheet


def get_cell(sheet, op: dict):
    if "cell" in op:
        return sheet.getCellRangeByName(op["cell"])
    return sheet.getCellByPosition(int(op["col"]), int(op["row"]))


def last_used_col(sheet) -> int:
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    return cursor.getRangeAddress().EndColumn


def range_address(idx: int, c1: int, r1: int, c2: int, r2: int) -> CellRangeAddress:
    a = CellRangeAddress()
    a.Sheet, a.StartColumn, a.StartRow, a.EndColumn, a.EndRow = idx, c1, r1, c2, r2
    return a


def cell_address(idx: int, col: int, row: int) -> CellAddress:
    a = CellAddress()
    a.Sheet, a.Column, a.Row = idx, col, row
    return a


# ---------------------------------------------------------------------------
# Edit ops
# ---------------------------------------------------------------------------


class Editor:
    def __init__(self, doc):
        self.doc = doc
        self.unprotected: list[str] = []

    def structural(self, op: dict):
        """The op's sheet, unprotected (a bursar's « Ôter la protection »)."""
        sheet = get_sheet(self.doc, op["sheet"])
        if sheet.isProtected():
            sheet.unprotect("")
            if sheet.isProtected():
                raise JobError(f"sheet {sheet.getName()!r} is protected with a password")
            self.unprotected.append(sheet.getName())
        return sheet

    def apply(self, op: dict) -> None:
        name = op.get("op")
        fn = getattr(self, "op_" + str(name), None)
        if fn is None:
            raise JobError(f"unknown op {name!r}")
        fn(op)

    def op_delete_rows(self, op):
        self.structural(op).Rows.removeByIndex(int(op["row"]), int(op.get("count", 1)))

    def op_insert_rows(self, op):
        self.structural(op).Rows.insertByIndex(int(op["row"]), int(op.get("count", 1)))

    def op_delete_columns(self, op):
        self.structural(op).Columns.removeByIndex(int(op["col"]), int(op.get("count", 1)))

    def op_insert_columns(self, op):
        self.structural(op).Columns.insertByIndex(int(op["col"]), int(op.get("count", 1)))

    def op_fill_down(self, op):
        sheet = self.structural(op)
        idx = sheet_index(self.doc, sheet)
        src, dst, count = int(op["from_row"]), int(op["to_row"]), int(op.get("count", 1))
        c1 = int(op.get("first_col", 0))
        c2 = int(op.get("last_col", last_used_col(sheet)))
        method = op.get("method", "copy")
        if method == "copy":
            for r in range(dst, dst + count):
                sheet.copyRange(cell_address(idx, c1, r), range_address(idx, c1, src, c2, src))
        elif method == "auto":
            if dst != src + 1:
                raise JobError("fill_down method 'auto' needs to_row = from_row + 1")
            from com.sun.star.sheet.FillDirection import TO_BOTTOM

            sheet.getCellRangeByPosition(c1, src, c2, dst + count - 1).fillAuto(TO_BOTTOM, 1)
        else:
            raise JobError(f"fill_down: unknown method {method!r}")

    def op_rename_sheet(self, op):
        get_sheet(self.doc, op["sheet"]).setName(op["name"])

    def op_move_sheet(self, op):
        sheet = get_sheet(self.doc, op["sheet"])
        self.doc.Sheets.moveByName(sheet.getName(), int(op["to"]))

    def op_sort_rows(self, op):
        sheet = self.structural(op)
        c1, c2 = int(op["first_col"]), int(op["last_col"])
        key = int(op["key_col"])
        if not c1 <= key <= c2:
            raise JobError(f"sort_rows: key_col {key} outside columns {c1}..{c2}")
        rng = sheet.getCellRangeByPosition(c1, int(op["first_row"]), c2, int(op["last_row"]))
        field = TableSortField()
        field.Field = key - c1
        field.IsAscending = bool(op.get("ascending", True))
        field.IsCaseSensitive = False
        desc = list(rng.createSortDescriptor())
        for p in desc:
            if p.Name == "SortFields":
                p.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
            elif p.Name == "ContainsHeader":
                p.Value = bool(op.get("header", False))
        uno.invoke(rng, "sort", (tuple(desc),))

    def op_move_column(self, op):
        sheet = self.structural(op)
        idx = sheet_index(self.doc, sheet)
        col, to = int(op["col"]), int(op["to"])
        if to in (col, col + 1):
            return  # already there
        sheet.Columns.insertByIndex(to, 1)
        src = col + 1 if to <= col else col
        sheet.moveRange(cell_address(idx, to, 0), range_address(idx, src, 0, src, sheet.Rows.getCount() - 1))
        sheet.Columns.removeByIndex(src, 1)

    def op_set_string(self, op):
        get_cell(get_sheet(self.doc, op["sheet"]), op).setString(str(op["value"]))

    def op_set_value(self, op):
        get_cell(get_sheet(self.doc, op["sheet"]), op).setValue(float(op["value"]))

    def op_set_formula(self, op):
        cell = get_cell(get_sheet(self.doc, op["sheet"]), op)
        if op.get("local"):
            cell.setPropertyValue("FormulaLocal", op["formula"])
        else:
            cell.setFormula(op["formula"])

    def op_clear(self, op):
        from com.sun.star.sheet.CellFlags import DATETIME, FORMULA, STRING, VALUE

        get_sheet(self.doc, op["sheet"]).getCellRangeByName(op["range"]).clearContents(
            VALUE | DATETIME | STRING | FORMULA
        )

    def op_unprotect_sheet(self, op):
        self.structural(op)

    def op_protect_sheet(self, op):
        get_sheet(self.doc, op["sheet"]).protect("")


# ---------------------------------------------------------------------------
# Dump
# ---------------------------------------------------------------------------


def cell_value(cell):
    """One cell as JSON (the cell is the one at that place, after recalculation)."""
    err = cell.getError()
    if err:
        return {"error": EXCEL_ERRORS.get(err, f"Err:{err}"), "shown": cell.getString(), "code": err}
    return None


def range_values(rng):
    """Values of a cell range: scalar for one cell, flat list for one column,
    list of rows otherwise."""
    data = [list(row) for row in rng.getDataArray()]
    addr = rng.getRangeAddress()
    # Errors read as None (void) in the data array: ask those cells.
    errors = rng.queryFormulaCells(FORMULA_ERROR)
    for a in errors.getRangeAddresses():
        for r in range(a.StartRow, a.EndRow + 1):
            for c in range(a.StartColumn, a.EndColumn + 1):
                data[r - addr.StartRow][c - addr.StartColumn] = cell_value(
                    rng.getCellByPosition(c - addr.StartColumn, r - addr.StartRow)
                )
    out = [[None if v == "" else v for v in row] for row in data]
    if len(out) == 1 and len(out[0]) == 1:
        return out[0][0]
    if all(len(row) == 1 for row in out):
        return [row[0] for row in out]
    return out


def dump(doc, spec: dict) -> dict:
    names, ranges, refs = {}, {}, {}
    nr = doc.NamedRanges
    for name in spec.get("names", []):
        if not nr.hasByName(name):
            names[name] = {"missing": True}
            continue
        named = nr.getByName(name)
        content = refs[name] = named.getContent()
        # A reference to deleted cells reads "$Familles.$#REF!$4:$#REF!$403", yet
        # getReferredCells() still answers with some range (the column now at that
        # place): never read through a #REF!.
        cells = None if "#REF!" in content else named.getReferredCells()
        if "#REF!" in content:
            names[name] = {"invalid": content}
        elif cells is None:
            names[name] = {"expression": content}  # a constant or formula, no cells
        else:
            names[name] = range_values(cells)
    for text in spec.get("ranges", []):
        sheet_name, _, addr = text.rpartition("!")
        sheet = get_sheet(doc, sheet_name.strip("'"))
        ranges[text] = range_values(sheet.getCellRangeByName(addr))
    return {"names": names, "ranges": ranges, "name_refs": refs}


# ---------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------


def load(desktop, path: str):
    if not os.path.exists(path):
        raise JobError(f"no such file: {path}")
    doc = desktop.loadComponentFromURL(file_url(path), "_blank", 0, (prop("Hidden", True),))
    if doc is None or not hasattr(doc, "Sheets"):
        raise JobError(f"LibreOffice could not open {path} as a spreadsheet")
    return doc


def close(doc) -> None:
    try:
        doc.close(True)
    except Exception:  # noqa: BLE001 - already closing
        doc.dispose()


def run_job(desktop, job: dict) -> dict:
    start = time.monotonic()
    result = {
        "names": {},
        "ranges": {},
        "name_refs": {},
        "sheets": [],
        "unprotected": [],
        "outputs": {},
        "reloaded": {},
        "seconds": None,
        "error": None,
    }
    doc = load(desktop, job["source"])
    try:
        editor = Editor(doc)
        for i, op in enumerate(job.get("edits", [])):
            try:
                editor.apply(op)
            except JobError as exc:
                raise JobError(f"edit {i} {json.dumps(op, ensure_ascii=False)}: {exc}") from None
            except Exception as exc:  # noqa: BLE001 - UNO exceptions carry little text: name them
                raise JobError(
                    f"edit {i} {json.dumps(op, ensure_ascii=False)}: "
                    f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"
                ) from None
        if job.get("reprotect"):
            for name in editor.unprotected:
                doc.Sheets.getByName(name).protect("")
        doc.calculateAll()
        for fmt, path in job.get("outputs", {}).items():
            if fmt not in FILTERS:
                raise JobError(f"unknown output format {fmt!r} (known: {sorted(FILTERS)})")
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            doc.storeToURL(file_url(path), (prop("FilterName", FILTERS[fmt]), prop("Overwrite", True)))
            result["outputs"][fmt] = path
        result.update(dump(doc, job.get("dump", {})))
        result["sheets"] = list(doc.Sheets.ElementNames)
        result["unprotected"] = editor.unprotected
    finally:
        close(doc)
    if job.get("reload"):
        for fmt, path in result["outputs"].items():
            again = load(desktop, path)
            try:
                again.calculateAll()
                d = dump(again, job.get("dump", {}))
                result["reloaded"][fmt] = {
                    "names": d["names"],
                    "ranges": d["ranges"],
                    "name_refs": d["name_refs"],
                    "sheets": list(again.Sheets.ElementNames),
                }
            finally:
                close(again)
    result["seconds"] = round(time.monotonic() - start, 3)
    return result


def probe(desktop) -> dict:
    """What the running office's locale does: a fresh spreadsheet, =1/2 shown
    with the default format, and the text "2,5" used in arithmetic."""
    doc = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
    try:
        sheet = doc.Sheets.getByIndex(0)
        sheet.getCellRangeByName("A1").setFormula("=1/2")
        sheet.getCellRangeByName("A2").setString("2,5")
        sheet.getCellRangeByName("A3").setFormula("=A2*2")
        sheet.getCellRangeByName("A4").setString("35000.50")
        sheet.getCellRangeByName("A5").setFormula("=A4*2")
        doc.calculateAll()
        a5 = sheet.getCellRangeByName("A5")
        return {
            "half": sheet.getCellRangeByName("A1").getString(),
            "text_2_5_times_2": sheet.getCellRangeByName("A3").getValue(),
            "english_decimal_times_2": cell_value(a5) or a5.getValue(),
        }
    finally:
        close(doc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("job", nargs="?", help="job JSON file (default: stdin)")
    ap.add_argument("--connect", help=f"UNO connection string (default: the job's, else {DEFAULT_CONNECT})")
    ap.add_argument("--wait", type=float, default=60.0, help="seconds to wait for soffice to accept")
    ap.add_argument("--probe", action="store_true", help="print what the office's locale does, as JSON")
    ap.add_argument("--terminate", action="store_true", help="ask the office to quit")
    args = ap.parse_args(argv)

    spec: dict = {}
    if not (args.probe or args.terminate):
        try:
            if args.job:
                with open(args.job, encoding="utf-8") as f:
                    text = f.read()
            else:
                text = sys.stdin.read()
            spec = json.loads(text)
        except (OSError, ValueError) as exc:
            print(f"uno_driver: cannot read the job: {exc}", file=sys.stderr)
            return 2
        if not isinstance(spec, dict) or not ("jobs" in spec or "source" in spec):
            print("uno_driver: the job must be an object with 'source', or {'jobs': [...]}", file=sys.stderr)
            return 2
    url = args.connect or spec.get("connect") or DEFAULT_CONNECT
    try:
        _ctx, desktop = connect(url, args.wait)
    except Exception as exc:  # noqa: BLE001
        print(
            f"uno_driver: no connection to soffice at {url} after {args.wait:g} s: "
            f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}",
            file=sys.stderr,
        )
        return 2
    if args.terminate:
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001, S110 - the bridge dies with the office: nothing to report
            pass
        return 0
    if args.probe:
        json.dump(probe(desktop), sys.stdout)
        return 0

    jobs = spec.get("jobs", [spec])
    results, failed = [], 0
    for n, job in enumerate(jobs):
        try:
            results.append(run_job(desktop, job))
        except Exception as exc:  # noqa: BLE001 - one failed job must not hide the others
            failed += 1
            if isinstance(exc, JobError):
                message = str(exc)
            else:
                message = f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}\n" + traceback.format_exc()
            message = f"job {n} ({job.get('source')}): {message}"
            print(f"uno_driver: {message}", file=sys.stderr)
            results.append({"error": message})
    json.dump({"results": results}, sys.stdout, ensure_ascii=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
