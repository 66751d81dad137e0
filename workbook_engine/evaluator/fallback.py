"""The ``formulas`` package: fallback for single cells, and the whole-file
``engine="formulas"`` path (slow, kept for comparison).

Its ROUND/ROUNDUP/ROUNDDOWN multiply in binary before rounding
(ROUND(1.005, 2) = 1.0 there); while this module uses the package they are
replaced by the spreadsheet's (15 significant digits, then half away from
zero / away / toward zero).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Iterator
from decimal import ROUND_DOWN, ROUND_UP
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from workbook_engine.evaluator.refs import parse_area, split_sheet
from workbook_engine.evaluator.store import Book
from workbook_engine.evaluator.values import ExcelError, Value, error
from workbook_engine.model.money import excel_round

if TYPE_CHECKING:
    from workbook_engine.evaluator.parser import Form

_LOCK = threading.RLock()


class _Compiled(Protocol):
    """A formula compiled by the ``formulas`` package (a schedula
    DispatchPipe; the package ships no type information): called with the
    values of its inputs, named in order by ``inputs``."""

    @property
    def inputs(self) -> Iterable[str]: ...

    def __call__(self, *inputs: object) -> object: ...


def _excel_roundup(x: float, digits: float) -> float:
    from workbook_engine.evaluator.functions.math import _roundup_one

    return _roundup_one(float(x), int(digits), ROUND_UP)


def _excel_rounddown(x: float, digits: float) -> float:
    from workbook_engine.evaluator.functions.math import _roundup_one

    return _roundup_one(float(x), int(digits), ROUND_DOWN)


@contextlib.contextmanager
def spreadsheet_rounding() -> Iterator[None]:
    """Within the block, the ``formulas`` package rounds like a spreadsheet."""
    import formulas
    from formulas.functions import wrap_ufunc

    table = formulas.get_functions()
    with _LOCK:
        saved = {k: table.get(k) for k in ("ROUND", "ROUNDUP", "ROUNDDOWN")}
        table["ROUND"] = wrap_ufunc(lambda x, d=0: excel_round(float(x), int(d)))
        table["ROUNDUP"] = wrap_ufunc(_excel_roundup)
        table["ROUNDDOWN"] = wrap_ufunc(_excel_rounddown)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    table.pop(k, None)
                else:
                    table[k] = v


def _unlogged(dispatcher: Any) -> None:  # a schedula Dispatcher (no type information)
    """Compiling a formula, ``formulas`` computes its constant parts with a
    schedula dispatcher that neither raises nor hides some failures (a function
    it does not implement, called on constants): schedula logs each at ERROR
    with its traceback, which Python prints on stderr when the application
    configured no logging. The failure comes back anyway when the compiled
    formula runs (``_call``: #NAME?, #VALUE!), so this dispatcher is told to
    neither raise nor log it (``raises`` "", in schedula's terms), the
    package's own decision to raise kept. Nobody's logger is touched."""
    decide = dispatcher.raises
    if callable(decide):
        dispatcher.raises = lambda exc: decide(exc) or ""
    elif not decide:
        dispatcher.raises = ""


def to_python(x: object) -> Value:
    """A ``formulas`` result as float | str | bool | None | ExcelError."""
    import schedula as sh
    from formulas.tokens.operand import XlError

    while isinstance(x, np.ndarray):
        if x.size == 0:
            return None
        x = x.ravel()[0]
    if x is sh.EMPTY or x is None:
        return None
    if isinstance(x, XlError):
        return error(str(x))
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    if isinstance(x, str):
        return x
    return error("#VALUE!")


def _from_python(v: Value) -> object:
    import schedula as sh
    from formulas.tokens.operand import Error

    if v is None:
        return sh.EMPTY
    if isinstance(v, ExcelError):
        return Error.errors.get(str(v), Error.errors["#VALUE!"])
    return v


_POSITIONAL = re.compile(r"\b(ROW|COLUMN|ROWS|COLUMNS|INDIRECT|OFFSET|CELL)\s*\(", re.I)


class CellFallback:
    """Evaluates formulas the native engine does not handle with the
    ``formulas`` package, reading their inputs from the native engine's
    values. A formula is compiled once per distinct R1C1 form (compiling
    costs ~40 ms, a call ~1 ms): the other cells of its run call the same
    function with their own, shifted, inputs."""

    def __init__(self, book: Book, names: dict[tuple[str, int | None], str]):
        self.book = book
        self.names = names
        self._compiled: dict[int, tuple[Form, _Compiled | ExcelError, tuple[int, int]]] = {}

    def value(self, form: Form, row: int, col: int, text: str) -> Value:
        """The value of ``form`` (a :class:`~.parser.Form`) at (row, col),
        whose own text there is ``text``."""
        with _LOCK, spreadsheet_rounding():
            reusable = not form.dynamic and not _POSITIONAL.search(form.text)
            entry = self._compiled.get(id(form)) if reusable else None
            if entry is None:
                source, anchor = (form.text, (form.row, form.col)) if reusable else (text, (row, col))
                entry = (form, self._compile(source), anchor)
                if reusable:
                    self._compiled[id(form)] = entry
            _, func, (arow, acol) = entry
            if isinstance(func, ExcelError):
                return func
            try:
                inputs = [self._input(name, form.sheet, row - arow, col - acol) for name in func.inputs]
            except KeyError:
                return error("#REF!")
            return self._call(func, inputs)

    @staticmethod
    def _compile(text: str) -> _Compiled | ExcelError:
        import formulas

        try:
            builder = formulas.Parser().ast(text)[1]
            _unlogged(builder.dsp)
            compiled: _Compiled = builder.compile()
            return compiled
        except Exception:  # the package's parse errors are of many kinds
            return error("#NAME?")

    @staticmethod
    def _call(func: _Compiled, inputs: list[object]) -> Value:
        from schedula.utils.exc import DispatcherError

        try:
            return to_python(func(*inputs))
        except DispatcherError as exc:
            cause = exc.args[2] if len(exc.args) > 2 else None
            return error("#NAME?" if isinstance(cause, NotImplementedError) else "#VALUE!")
        except Exception:
            return error("#VALUE!")

    def _input(self, name: str, sheet: int, drow: int, dcol: int) -> object:
        area = parse_area(name)
        target = sheet
        if area is None:
            sheet_name, rest = split_sheet(name) if "!" in name else (None, name)
            text = self.names.get((rest.upper(), sheet)) or self.names.get((rest.upper(), None))
            if text is None:
                raise KeyError(name)
            area = parse_area(text)
            if area is None:
                raise KeyError(name)
            drow = dcol = 0  # a defined name does not move with the cell
        if area.sheet is not None:
            s = self.book.find(area.sheet)
            if s is None:
                raise KeyError(name)
            target = s.index
        r0 = area.r0 if area.r0_abs else area.r0 + drow
        r1 = area.r1 if area.r1_abs else area.r1 + drow
        c0 = area.c0 if area.c0_abs else area.c0 + dcol
        c1 = area.c1 if area.c1_abs else area.c1 + dcol
        r0, r1 = min(r0, r1), max(r0, r1)
        c0, c1 = min(c0, c1), max(c0, c1)
        if r0 < 0 or c0 < 0:
            raise KeyError(name)
        sh_ = self.book[target]
        if r0 == r1 and c0 == c1 and area.is_cell:
            return _from_python(sh_.value(r0, c0))
        r1 = min(r1, max(sh_.nrows - 1, r0))
        out = np.empty((r1 - r0 + 1, c1 - c0 + 1), dtype=object)
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = _from_python(sh_.value(r0 + i, c0 + j))
        return out


__all__ = ["CellFallback", "spreadsheet_rounding", "to_python"]
