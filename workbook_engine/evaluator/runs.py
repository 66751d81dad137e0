"""Column runs: consecutive rows of one column holding the same formula in
relative (R1C1) terms.

Formula cells arrive in row order. A cell extends the open run of its column
when its text is exactly what the run's template gives for that row (one
``str.format`` and a string comparison, no tokenizing); otherwise the run is
closed and the cell starts a new one, with a form found among the column's
recent forms or parsed anew. So an edited cell, or a constant pasted over a
formula, splits the run and is evaluated on its own. Shared formulas (Excel,
LibreOffice) join their master's run directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

from workbook_engine.evaluator.functions.arrays import needs_arrays
from workbook_engine.evaluator.parser import Form, Resolver, Template, parse_cell_formula
from workbook_engine.evaluator.refs import cell_name

RECENT_FORMS = 4


@dataclass
class Run:
    """Rows ``r0``..``r1`` of column ``col`` of sheet ``sheet`` hold ``form``."""

    sheet: int
    col: int
    r0: int
    r1: int
    form: Form

    def __post_init__(self) -> None:
        tpl = self.form.template
        # the text expected at the next rows of this column, or None
        self.match = tpl.same_column if tpl is not None and self.form.col == self.col else None

    @property
    def size(self) -> int:
        return self.r1 - self.r0 + 1

    def text(self, row: int) -> str:
        """The formula text of one of the run's cells (with '=')."""
        form = self.form
        if row == form.row and self.col == form.col:
            return form.text
        if form.template is not None:
            return "=" + form.template.render(row, self.col)
        from openpyxl.formula.translate import Translator

        from workbook_engine.evaluator.refs import cell_name

        text: str = Translator(form.text, origin=cell_name(form.row, form.col)).translate_formula(
            cell_name(row, self.col)
        )  # openpyxl ships no type information
        return text


class SheetRuns:
    """Receives one sheet's formula cells (a reader sink) and builds its runs."""

    def __init__(self, sheet: int, resolver: Resolver, runs: list[Run]):
        self.sheet = sheet
        self.resolver = resolver
        self.runs = runs
        self.open: dict[int, Run] = {}
        self.recent: dict[int, list[Form]] = {}
        self.shared: dict[str, Form] = {}
        self.pending: list[tuple[int, int, str]] = []  # shared children seen before their master
        self.parsed = 0
        self.first_run = len(runs)

    def _close(self, col: int) -> None:
        run = self.open.pop(col, None)
        if run is not None:
            self.runs.append(run)

    def _parse(self, text: str, row: int, col: int) -> Form:
        self.parsed += 1
        return parse_cell_formula("=" + text, self.sheet, row, col, self.resolver)

    def add(self, row: int, col: int, text: str | None, attrs: dict[str, str]) -> None:
        """One formula cell: its text (None for a shared formula's child) and
        the attributes of its <f> element."""
        run = self.open.get(col)
        kind = attrs.get("t")
        if kind is None and run is not None and row == run.r1 + 1:  # the common case, fast
            match = run.match
            if match is not None and match(row) == text:
                run.r1 = row
                return
        si = attrs.get("si")
        if text is None:  # a shared formula's child: the master's formula, moved
            form = self.shared.get(si or "")
            if form is None:
                self.pending.append((row, col, si or ""))
                return
            if run is not None and run.form is form and row == run.r1 + 1:
                run.r1 = row
                return
            self._close(col)
            self.open[col] = Run(self.sheet, col, row, row, form)
            return
        if kind == "array":
            # array (CSE / dynamic array) semantics: the formulas package,
            # unless the formula fills its own cell only and computes nothing
            # cell by cell (Excel 365 writes =XLOOKUP(...) so): then it is
            # an ordinary formula
            form = self._parse(text, row, col)
            if (
                form.tree is None
                or attrs.get("ref", cell_name(row, col)) != cell_name(row, col)
                or needs_arrays(form.tree)
            ):
                # a copy: the parsed form may be shared (parse_cell_formula)
                form = replace(form, tree=None, reason=form.reason or "formule matricielle")
            self._close(col)
            self.runs.append(Run(self.sheet, col, row, row, form))
            return
        if kind is not None and run is not None and row == run.r1 + 1:
            match = run.match
            if match is not None and match(row) == text:
                run.r1 = row
                if kind == "shared" and si is not None:
                    self.shared[si] = run.form
                return
        self._close(col)
        form = None
        recent = self.recent.setdefault(col, [])
        for f in recent:
            if f.template is not None and f.col == col and f.template.same_column(row) == text:
                form = f
                break
        if form is None:
            form = self._parse(text, row, col)
            recent.insert(0, form)
            del recent[RECENT_FORMS:]
        if kind == "shared" and si is not None:
            self.shared[si] = form
        self.open[col] = Run(self.sheet, col, row, row, form)

    def finish(self) -> None:
        for col in list(self.open):
            self._close(col)
        for row, col, si in self.pending:
            form = self.shared.get(si)
            if form is None:
                continue  # a child without master: nothing to evaluate
            self.runs.append(Run(self.sheet, col, row, row, form))
        self.pending.clear()

    def same_row_slots(self, cols: list[int], row: int) -> int | None:
        """How many relative row references the formulas of ``cols`` at
        ``row`` hold, when each is in an open run ending there whose relative
        row references all point at its own row; None otherwise."""
        total = 0
        for col in cols:
            run = self.open.get(col)
            if run is None or run.r1 != row or run.match is None:
                return None
            slots = cast(Template, run.form.template).same_row_slots  # ``match`` comes from the template
            if slots is None:
                return None
            total += slots
        return total

    def extend(self, cols: list[int], row: int, first: int | None = None) -> bool:
        """Extend the open runs of ``cols`` over rows ``first`` (default:
        ``row``, the next row of each) to ``row``; False, and nothing done,
        if one of them does not end just above ``first``."""
        open_runs = self.open
        above = (row if first is None else first) - 1
        for col in cols:
            run = open_runs.get(col)
            if run is None or run.r1 != above:
                return False
        for col in cols:
            open_runs[col].r1 = row
        return True

    def discard(self) -> None:
        """Forget this sheet's runs (the sheet is read again another way)."""
        del self.runs[self.first_run :]
        self.open.clear()
        self.pending.clear()
        self.shared.clear()
