"""The ``formulas`` package as a peer in the benchmarks: the whole workbook
computed by ``formulas.ExcelModel`` (slow), read back as an Evaluation.

Benchmark code only: the engine itself uses ``formulas`` for the few
formulas its evaluator does not handle (``evaluator.fallback``).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

from workbook_engine.evaluator.evaluate import Evaluation, parse_workbook
from workbook_engine.evaluator.fallback import _LOCK, spreadsheet_rounding, to_python
from workbook_engine.evaluator.refs import parse_area
from workbook_engine.evaluator.values import V


@contextlib.contextmanager
def _quiet():
    """``ExcelModel`` draws a progress bar and logs each reference it cannot
    load, both on stderr (its logs through Python's last-resort handler: a
    benchmark configures no logging); the benchmark's output shows neither."""
    with contextlib.redirect_stderr(io.StringIO()):
        yield


def evaluate_with_formulas(path: str | Path):
    """The whole workbook computed by ``formulas.ExcelModel`` (slow), as an
    :class:`~workbook_engine.evaluator.Evaluation`. Constants and formula
    texts are read by this package's reader; formula values are the
    package's (with spreadsheet rounding)."""
    import formulas

    parsed = parse_workbook(path)
    meta, book, runs = parsed.meta, parsed.book, parsed.runs
    with contextlib.ExitStack() as stack:
        if not isinstance(path, (str, Path)):  # the package reads files only
            data = path if isinstance(path, (bytes, bytearray)) else (path.seek(0), path.read())[1]
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "classeur.xlsx"
            tmp.write_bytes(data)
            path = tmp
        with _LOCK, spreadsheet_rounding(), _quiet():
            model = formulas.ExcelModel().loads(str(path)).finish()
            solution = model.calculate()
    by_upper = {s.name.upper(): s for s in book.sheets}
    formula_cells = {(r.sheet, r.col, row) for r in runs for row in range(r.r0, r.r1 + 1)}
    for key, value in solution.items():
        ref = str(key)
        if "]" not in ref or "!" not in ref:
            continue
        sheet_part, _, addr = ref.rpartition("!")
        sheet_name = sheet_part.strip("'").split("]", 1)[1].replace("''", "'")
        sheet = by_upper.get(sheet_name.upper())
        area = parse_area(addr)
        if sheet is None or area is None or not area.is_cell:
            continue
        if (sheet.index, area.c0, area.r0) not in formula_cells:
            continue
        v = to_python(getattr(value, "value", value))
        _store(sheet, area.r0, area.c0, 0.0 if v is None else v)
    return Evaluation(book, runs, meta, fallback_cells=[], circular_cells=[])


def _store(sheet, row: int, col: int, v) -> None:
    sheet.write(col, row, None, V.const(v))
