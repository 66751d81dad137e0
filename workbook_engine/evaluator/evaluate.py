"""Evaluate a workbook file: read, order, compute; the Evaluation result."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from functools import cached_property

import numpy as np

from workbook_engine.evaluator.fallback import CellFallback
from workbook_engine.evaluator.graph import ASC, CYCLE, DESC, order
from workbook_engine.evaluator.nodes import Node
from workbook_engine.evaluator.ods_reader import is_ods, read_ods_workbook
from workbook_engine.evaluator.parser import TOO_DEEP, Resolver
from workbook_engine.evaluator.reader import Source, WorkbookMeta, read_workbook
from workbook_engine.evaluator.refs import Ref, address
from workbook_engine.evaluator.runs import Run, SheetRuns
from workbook_engine.evaluator.store import Book, Sheet
from workbook_engine.evaluator.values import REF, VALUE, V
from workbook_engine.evaluator.vector import Ctx, Engine, NotVectorizable


class Evaluation:
    """The values of a workbook after evaluating its own formulas.

    ``ev(ref)`` is the value of a cell (``Ref``: sheet name, 0-based row and
    column): float, str, bool, None for a blank cell, or ExcelError. A formula
    whose result is a reference to a blank cell shows 0, like a spreadsheet.
    """

    def __init__(
        self,
        book: Book,
        runs: list[Run],
        meta: WorkbookMeta,
        fallback_cells: list[str],
        circular_cells: list[str],
        unverified: dict[str, list[str]] | None = None,
    ):
        self.book = book
        self.runs = runs
        self.meta = meta
        self.fallback_cells = fallback_cells
        self.circular_cells = circular_cells
        # cause (French) -> cells: computed by the ``formulas`` fallback, or
        # not computed at all (nested too deep: #VALUE!); nothing checks them
        self.unverified: dict[str, list[str]] = unverified or {}
        self.defined_names: dict[str, str] = dict(meta.defined_names)

    def __call__(self, ref: Ref) -> object:
        sheet = self.book.find(ref.sheet)
        if sheet is None:
            raise KeyError(f"feuille « {ref.sheet} » absente du classeur")
        if ref.row < 0 or ref.col < 0:  # a cell that an edit deleted: blank (numpy would wrap around)
            return None
        return sheet.value(ref.row, ref.col)

    def value(self, sheet: str, row: int, col: int) -> object:
        return self(Ref(sheet, row, col))

    def column_values(self, sheet: str, col: int, r0: int, r1: int) -> list[object]:
        """The values of rows ``r0``..``r1`` of one column, as ``ev(ref)``
        gives them cell by cell, read in one slice (a family column)."""
        found = self.book.find(sheet)
        if found is None:
            raise KeyError(f"feuille « {sheet} » absente du classeur")
        if col < 0 or r0 < 0:
            return [self(Ref(sheet, r, col)) for r in range(r0, r1 + 1)]
        return found.values(col, r0, r1)

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    @cached_property
    def formulas(self) -> dict[tuple[str, int, int], str]:
        """(sheet, row, col) -> formula text with its leading '=', for every
        formula cell (rebuilt from each run's template: the exact text read)."""
        out: dict[tuple[str, int, int], str] = {}
        for run in sorted(self.runs, key=lambda r: (r.sheet, r.r0, r.col)):
            name = self.book[run.sheet].name
            for row in range(run.r0, run.r1 + 1):
                out[(name, row, run.col)] = run.text(row)
        return out


class ParsedWorkbook:
    """A workbook as read, before evaluation: its meta data (sheets, defined
    names), its constants (``book``) and its formula runs. Evaluating it
    (``evaluate_parsed``) writes the formula results into ``book``."""

    def __init__(self, meta: WorkbookMeta, book: Book, runs: list[Run]):
        self.meta = meta
        self.book = book
        self.runs = runs
        self.evaluation: Evaluation | None = None  # set once evaluated

    @cached_property
    def column_runs(self) -> dict[tuple[int, int], list[Run]]:
        """(sheet index, column) -> the column's runs, top to bottom."""
        out: dict[tuple[int, int], list[Run]] = {}
        for run in sorted(self.runs, key=lambda r: r.r0):
            out.setdefault((run.sheet, run.col), []).append(run)
        return out

    def run_at(self, sheet: int, row: int, col: int) -> Run | None:
        """The run holding the formula of a cell; None for a constant or a blank."""
        runs = self.column_runs.get((sheet, col))
        if not runs:
            return None
        i = bisect_right(runs, row, key=lambda r: r.r0) - 1
        return runs[i] if i >= 0 and runs[i].r1 >= row else None


def parse_workbook(path: Source, parts: Mapping[str, bytes] | None = None) -> ParsedWorkbook:
    """Read a workbook: its meta data, constant values and formula runs.
    ``parts``: the decompressed bytes of (some of) an xlsx package's parts,
    by zip member name, read from there rather than inflated again (an .ods
    file is read from ``path`` alone)."""
    runs: list[Run] = []
    state: dict[str, Resolver] = {}

    def make_sink(meta: WorkbookMeta, book: Book, index: int) -> SheetRuns:
        if "resolver" not in state:

            def sheet_index(name: str) -> int | None:
                s = book.find(name)
                return None if s is None else s.index

            # the sheet names decide what sheet_index answers: the layout
            # under which parsed forms are shared between workbooks
            state["resolver"] = Resolver(sheet_index, meta.names, tuple(s.name for s in book.sheets))
        return SheetRuns(index, state["resolver"], runs)

    if is_ods(path):  # OpenDocument, formulas translated
        meta, book = read_ods_workbook(path, make_sink)
    else:
        meta, book = read_workbook(path, make_sink, parts)
    for run in runs:  # room for the results
        book[run.sheet].column(run.col, run.r1 + 1)
    return ParsedWorkbook(meta, book, runs)


def evaluate_parsed(parsed: ParsedWorkbook) -> Evaluation:
    """Evaluate a parsed workbook's formulas (once: the results are written
    into its book, and kept as ``parsed.evaluation``)."""
    if parsed.evaluation is not None:
        return parsed.evaluation
    meta, book, runs = parsed.meta, parsed.book, parsed.runs
    steps = order(runs)
    engine = Engine(book)
    fallback = CellFallback(book, meta.names)
    fallback_cells: list[str] = []
    circular: list[str] = []
    unverified: dict[str, list[str]] = {}
    for step in steps:
        run, form = step.run, step.run.form
        sheet = book[run.sheet]
        if step.mode == CYCLE:
            sheet.write(run.col, run.r0, None, V.full(REF, run.size))
            circular.extend(address(sheet.name, r, run.col) for r in range(run.r0, run.r1 + 1))
            continue
        if form.too_deep:  # no engine evaluates it: #VALUE!, reported as unverified
            sheet.write(run.col, run.r0, None, V.full(VALUE, run.size))
            cells = [address(sheet.name, r, run.col) for r in range(run.r0, run.r1 + 1)]
            unverified.setdefault(TOO_DEEP, []).extend(cells)
            continue
        if form.tree is None:  # not native (see Form.native): the formulas package
            unverified.setdefault(_fallback_cause(form.reason), []).extend(
                address(sheet.name, r, run.col) for r in range(run.r0, run.r1 + 1)
            )
            for r in range(run.r0, run.r1 + 1):
                v = fallback.value(form, r, run.col, run.text(r))
                sheet.write(run.col, r, None, V.const(0.0 if v is None else v))
                fallback_cells.append(address(sheet.name, r, run.col))
            continue
        if step.mode in (ASC, DESC):
            rows = range(run.r0, run.r1 + 1) if step.mode == ASC else range(run.r1, run.r0 - 1, -1)
            engine.cache_ranges = False
            try:
                for r in rows:
                    _evaluate_rows(engine, form.tree, sheet, run.col, r, r)
            finally:
                engine.cache_ranges = True
            continue
        try:
            try:
                _evaluate_rows(engine, form.tree, sheet, run.col, run.r0, run.r1)
            except NotVectorizable:
                for r in range(run.r0, run.r1 + 1):
                    _evaluate_rows(engine, form.tree, sheet, run.col, r, r)
        except RecursionError:  # nested within MAX_NESTING, yet too deep for this stack
            sheet.write(run.col, run.r0, None, V.full(VALUE, run.size))
            unverified.setdefault(TOO_DEEP, []).extend(
                address(sheet.name, r, run.col) for r in range(run.r0, run.r1 + 1)
            )
    parsed.evaluation = Evaluation(book, runs, meta, fallback_cells, circular, unverified)
    return parsed.evaluation


def _fallback_cause(reason: str) -> str:
    """The cause of a fallback cell in the bursar's words (one line per cause)."""
    return f"calculée par le moteur de secours ({reason})" if reason else "calculée par le moteur de secours"


def _evaluate_rows(engine: Engine, tree: Node, sheet: Sheet, col: int, r0: int, r1: int) -> None:
    rows = np.arange(r0, r1 + 1)
    ctx = Ctx(sheet, col, rows, True)
    v = engine.root(tree, ctx)
    sheet.write(col, r0, None, v.broadcast(len(rows)) if len(v.t) != len(rows) else v)


def evaluate_workbook(path: Source) -> Evaluation:
    """Evaluate every formula of the workbook at ``path`` (a path, or the
    file's bytes, or a binary file object) from its own text: this package's
    vectorised engine, with the ``formulas`` package for the few formulas it
    does not handle (listed in ``fallback_cells``).

    Raises :class:`UnreadableWorkbook` (a ValueError) for a file that is not
    a readable workbook."""
    return evaluate_parsed(parse_workbook(path))
