"""The formula parser as it was before ``evaluator.tokenizer`` and the form
cache (commit 02e4ca0), kept unchanged as the oracle of the differential
tests (``test_parser_exact.py``): openpyxl's own Tokenizer, the recursive
descent one level per precedence rule, ``build_template`` on openpyxl
tokens. Do not "fix" it: it is the reference the production parser must
reproduce exactly, trees, templates and reasons.

Its original docstring:

Formula text -> syntax tree in relative (R1C1) terms, once per distinct formula.

Tokens come from openpyxl's ``Tokenizer``; this module only builds the tree
(precedence climbing, Excel's precedence: ``:`` then unary minus, ``%``,
``^``, ``* /``, ``+ -``, ``&``, comparisons). References are stored relative
to the formula's own cell (the anchor), like R1C1: ``A4`` written in ``N4`` is
"same row, 13 columns left", so the tree of ``N4`` serves ``N5``... unchanged.

A :class:`Template` rebuilds the formula text of the same R1C1 formula at
another row of the same column (``IF(A4=...`` -> ``IF(A5=...``): comparing a
cell's text with the template's is how the reader recognises the rows of a
column run without tokenizing each of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbook_engine.evaluator.functions import FUNCTIONS
from workbook_engine.evaluator.nodes import ArrayConst, Binary, Call, Cell, Const, Missing, Node, Range, Unary
from workbook_engine.evaluator.openpyxl_parts import openpyxl_part
from workbook_engine.evaluator.refs import MAX_COL, MAX_ROW, Area, col_index, col_letters, parse_area, split_sheet
from workbook_engine.evaluator.values import REF, Value, error

if TYPE_CHECKING:
    from openpyxl.formula.tokenizer import Token, Tokenizer
else:  # without openpyxl's package __init__ (start-up: see openpyxl_parts)
    _part = openpyxl_part("formula.tokenizer")
    Token, Tokenizer = _part.Token, _part.Tokenizer

# A piece of a template: literal text, ("row", offset) or ("col", offset).
Piece = str | tuple[str, int]


class Unsupported(Exception):
    """The formula uses something the native engine does not evaluate."""


class TooDeep(Unsupported):
    """Parentheses, function calls or defined names nested beyond
    ``MAX_NESTING``: no engine evaluates it (the cell gets #VALUE!)."""


# Excel nests functions 64 deep; parentheses and names count here too. The
# bound keeps parsing and evaluating (recursive over nesting, iterative over
# operator chains such as 1+1+...+1) far from Python's recursion limit.
MAX_NESTING = 100
TOO_DEEP = "formule trop imbriquée"


# ---------------------------------------------------------------------------
# Dependencies: what a formula reads, relative to its anchor
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dep:
    """A rectangle a formula reads; row/col ends absolute or anchor offsets."""

    sheet: int
    r0: int
    c0: int
    r1: int
    c1: int
    r0_abs: bool
    c0_abs: bool
    r1_abs: bool
    c1_abs: bool

    def rows_for(self, first: int, last: int) -> tuple[int, int]:
        """Rows read by the anchors ``first``..``last`` (bounding)."""
        a0 = self.r0 if self.r0_abs else first + self.r0
        a1 = self.r1 if self.r1_abs else last + self.r1
        b0 = self.r0 if self.r0_abs else last + self.r0
        b1 = self.r1 if self.r1_abs else first + self.r1
        return max(0, min(a0, a1, b0, b1)), min(MAX_ROW - 1, max(a0, a1, b0, b1))

    def cols_for(self, col: int) -> tuple[int, int]:
        x0 = self.c0 if self.c0_abs else col + self.c0
        x1 = self.c1 if self.c1_abs else col + self.c1
        return max(0, min(x0, x1)), min(MAX_COL - 1, max(x0, x1))


# ---------------------------------------------------------------------------
# Template: the formula text at another row of the same column
# ---------------------------------------------------------------------------


class Template:
    """Rebuilds the text of one R1C1 formula at any cell.

    ``pieces``: literal text, ("row", offset, ...) and ("col", offset) slots.
    ``same_column(row)`` is the fast path (a ``str.format`` call) used to
    recognise the rows of a column run."""

    __slots__ = ("pieces", "anchor_col", "_fmt", "same_column", "same_row_slots")

    def __init__(self, pieces: list[Piece], anchor_col: int) -> None:
        self.pieces = pieces
        self.anchor_col = anchor_col
        offsets: list[int] = []
        parts = []
        for p in pieces:
            if isinstance(p, str):
                parts.append(p.replace("{", "{{").replace("}", "}}"))
            elif p[0] == "row":
                if p[1] not in offsets:
                    offsets.append(p[1])
                parts.append(f"{{{offsets.index(p[1])}}}")
            else:  # a relative column, at the anchor's column
                parts.append(col_letters(anchor_col + p[1]))
        self._fmt = "".join(parts)
        # relative row references, when they all point at the formula's own row
        slots = [p for p in pieces if not isinstance(p, str) and p[0] == "row"]
        self.same_row_slots = len(slots) if all(p[1] == 0 for p in slots) else None
        # same_column(row): the text at 0-based ``row`` of the anchor's column
        # (no '='). No bounds check: a row out of the sheet renders as text no
        # real formula has ("A0", "A-1"), so it never matches.
        fmt = self._fmt.format
        self.same_column: Callable[[int], str]
        if not offsets:
            text = self._fmt.replace("{{", "{").replace("}}", "}")
            self.same_column = lambda row: text
        elif len(offsets) == 1:
            shift = offsets[0] + 1
            self.same_column = lambda row: fmt(row + shift)
        else:
            shifts = [o + 1 for o in offsets]
            self.same_column = lambda row: fmt(*[row + s for s in shifts])

    def render(self, row: int, col: int) -> str:
        """The text at any cell (no '=')."""
        out = []
        for p in self.pieces:
            if isinstance(p, str):
                out.append(p)
            elif p[0] == "row":
                out.append(str(row + 1 + p[1]))
            else:
                out.append(col_letters(col + p[1]))
        return "".join(out)


_PART = re.compile(r"(\$?)([A-Za-z]{0,3})(\$?)(\d*)$")


def _ref_pieces(text: str, row: int, col: int) -> list[Piece] | None:
    """Split a reference token into literal text and relative row/column slots."""
    _sheet, rest = split_sheet(text) if ("!" in text) else (None, text)
    prefix = text[: len(text) - len(rest)]
    pieces: list[Piece] = [prefix] if prefix else []
    for k, part in enumerate(rest.split(":")):
        if k:
            pieces.append(":")
        m = _PART.match(part)
        if m is None:
            return None
        col_dollar, letters, row_dollar, digits = m.groups()
        if letters:
            pieces.append(col_dollar + letters if col_dollar else ("col", col_index(letters) - col))
        elif col_dollar and not digits:
            return None
        if digits:
            if letters:
                dollar = row_dollar
            else:  # a whole row: "$3" or "3"
                dollar = col_dollar or row_dollar
            if dollar:
                pieces.append(dollar + digits)
            else:
                pieces.append(("row", int(digits) - 1 - row))
    return pieces


def build_template(items: list[Token], row: int, col: int) -> Template | None:
    pieces: list[Piece] = []
    for tok in items:
        if tok.type == Token.OPERAND and tok.subtype == Token.RANGE and parse_area(tok.value) is not None:
            ref = _ref_pieces(tok.value, row, col)
            if ref is None:
                return None
            pieces.extend(ref)
        else:
            pieces.append(tok.value)
    # merge adjacent literals
    merged: list[Piece] = []
    for p in pieces:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif p != "":
            merged.append(p)
    return Template(merged, col)


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


@dataclass
class Form:
    """One distinct formula in R1C1 terms: its tree (None when the native
    engine cannot evaluate it: ``reason`` says why), what it reads, and the
    template that rebuilds its text."""

    text: str  # with the leading '='
    sheet: int
    row: int
    col: int
    tree: Node | None
    deps: list[Dep] = field(default_factory=list)
    template: Template | None = None
    reason: str = ""
    dynamic: bool = False  # INDIRECT/OFFSET...: reads cells not named in its text
    too_deep: bool = False  # nested beyond MAX_NESTING: #VALUE!, evaluated by no engine
    height: int = 0  # the deepest nesting inside the formula (names used in it included)

    @property
    def native(self) -> bool:
        return self.tree is not None


class Resolver:
    """What the parser needs from the workbook: sheet indexes by name and the
    text of defined names."""

    def __init__(self, sheet_index: Callable[[str], int | None], names: dict[tuple[str, int | None], str]):
        self.sheet_index = sheet_index
        self.names = names  # (NAME upper, local sheet index or None) -> text
        # name -> (tree, deps, reason, height: the nesting inside the name)
        self._parsed: dict[tuple[str, int | None], tuple[Node | None, list[Dep], str, int]] = {}
        self._busy: set[tuple[str, int | None]] = set()

    def name(self, name: str, sheet: int, depth: int = 0) -> tuple[Node | None, list[Dep], str, int]:
        """(tree, deps, reason, height) of a defined name used on ``sheet``,
        at nesting ``depth`` of the formula using it (a name's own nesting
        counts on top of it: see ``MAX_NESTING``)."""
        key_u = name.upper()
        for key in ((key_u, sheet), (key_u, None)):
            if key in self.names:
                break
        else:
            return Const(error("#NAME?")), [], "", 0
        if key in self._parsed:
            return self._parsed[key]
        if key in self._busy:
            return Const(REF), [], "", 0
        if len(self._busy) >= MAX_NESTING // 4:  # names defined through names, far down
            return None, [], TOO_DEEP, 0
        self._busy.add(key)
        try:
            text = self.names[key]
            form = parse_formula("=" + text, sheet if key[1] is None else key[1], 0, 0, self, depth)
            out = (form.tree, form.deps, TOO_DEEP if form.too_deep else form.reason, form.height)
        finally:
            self._busy.discard(key)
        if not form.too_deep:  # too deep here may be fine nearer the surface
            self._parsed[key] = out
        return out


_DYNAMIC = {"INDIRECT", "OFFSET"}
_CMP = {"=", "<>", "<", ">", "<=", ">="}
_PREC = {
    **{op: 1 for op in _CMP},
    "&": 2,
    "+": 3,
    "-": 3,
    "*": 4,
    "/": 4,
    "^": 5,
}


def _function_name(value: str) -> str:
    name = value[:-1].upper()
    for prefix in ("_XLFN._XLWS.", "_XLFN.", "_XLWS."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name


def parse_formula(text: str, sheet: int, row: int, col: int, resolver: Resolver, depth: int = 0) -> Form:
    """Parse ``text`` (with its leading '=') written in cell (sheet, row, col);
    ``depth``: the nesting around it (a defined name inside a formula)."""
    form = Form(text, sheet, row, col, None)
    try:
        items = Tokenizer(text).items
    except Exception as exc:  # the tokenizer's own errors
        form.reason = f"syntaxe non reconnue ({exc})"
        return form
    if "".join(t.value for t in items) == text[1:]:
        form.template = build_template(items, row, col)
    toks = [t for t in items if t.type != Token.WSPACE]
    builder = _Builder(toks, sheet, row, col, resolver, form, depth)
    try:
        tree = builder.expression(0)
        form.height = builder.deepest - depth
        if builder.i != len(toks):
            raise Unsupported(f"syntaxe non reconnue près de {toks[builder.i].value!r}")
        if builder.unsupported == TOO_DEEP:
            raise TooDeep(TOO_DEEP)
        if builder.unsupported:
            raise Unsupported(builder.unsupported)
        form.tree = tree
    except (TooDeep, RecursionError):  # RecursionError: a last resort, never a crash
        form.reason, form.too_deep = TOO_DEEP, True
    except Unsupported as exc:
        form.reason = str(exc)
        form.too_deep = form.reason == TOO_DEEP  # a defined name nested too deep
    except (IndexError, ValueError) as exc:
        form.reason = f"syntaxe non reconnue ({exc})"
    return form


class _Builder:
    def __init__(
        self, toks: list[Token], sheet: int, row: int, col: int, resolver: Resolver, form: Form, depth: int = 0
    ):
        self.toks, self.sheet, self.row, self.col = toks, sheet, row, col
        self.resolver, self.form = resolver, form
        self.i = 0
        self.unsupported = ""  # keep parsing to collect every dependency
        self.depth = depth  # parentheses, calls and arrays open around the current token
        self.deepest = depth

    def enter(self) -> None:
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)
        if self.depth > MAX_NESTING:
            raise TooDeep(TOO_DEEP)

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, why: str) -> None:
        if not self.unsupported:
            self.unsupported = why

    # precedence climbing over binary operators
    def expression(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok is None or tok.type != Token.OP_IN or tok.value not in _PREC:
                if tok is not None and tok.type == Token.OP_IN and tok.value not in _PREC:
                    self.take()
                    self.fail(f"opérateur {tok.value!r} non pris en charge")
                    self.unary()
                    continue
                return left
            prec = _PREC[tok.value]
            if prec < min_prec:
                return left
            self.take()
            right = self.expression(prec + 1)  # all left-associative
            left = Binary(tok.value, left, right)

    def unary(self) -> Node:
        # prefix signs in a loop, not by recursion: "=------1" may be long
        signs: list[str] = []
        while (tok := self.peek()) is not None and tok.type == Token.OP_PRE:
            self.take()
            signs.append("-" if tok.value == "-" else "+")
        node = self.postfix()
        for sign in reversed(signs):
            node = Unary(sign, node)
        return node

    def postfix(self) -> Node:
        node = self.range_op()
        while (tok := self.peek()) is not None and tok.type == Token.OP_POST:
            self.take()
            node = Unary("%", node)
        return node

    def range_op(self) -> Node:
        node = self.primary()
        while (tok := self.peek()) is not None and tok.type == Token.OP_IN and tok.value == ":":
            self.take()
            other = self.primary()
            if isinstance(node, (Cell, Range)) and isinstance(other, (Cell, Range)) and node.sheet == other.sheet:
                node = _bounding(node, other)
            else:
                self.fail("opérateur de plage ':' dynamique")
        return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.type == Token.OPERAND:
            return self.operand(tok)
        if tok.type == Token.FUNC and tok.subtype == Token.OPEN:
            self.enter()
            call = self.call(tok)
            self.depth -= 1
            return call
        if tok.type == Token.PAREN and tok.subtype == Token.OPEN:
            self.enter()
            node = self.expression(0)
            close = self.take()
            if close.type != Token.PAREN:
                self.fail("union de plages")
                while (nxt := self.peek()) is not None and nxt.type != Token.PAREN:
                    self.take()
                self.take()
            self.depth -= 1
            return node
        if tok.type == Token.ARRAY and tok.subtype == Token.OPEN:
            return self.array()
        raise Unsupported(f"syntaxe non reconnue près de {tok.value!r}")

    def operand(self, tok: Token) -> Node:
        v = tok.value
        if tok.subtype == Token.NUMBER:
            return Const(float(v))
        if tok.subtype == Token.TEXT:
            return Const(v[1:-1].replace('""', '"'))
        if tok.subtype == Token.LOGICAL:
            return Const(v.upper() == "TRUE")
        if tok.subtype == Token.ERROR:
            return Const(error(v.upper()))
        # a reference or a defined name
        if "[" in v:
            self.fail(f"référence structurée ou externe {v}")
            return Const(None)
        area = parse_area(v)
        if area is None:
            if v.upper().endswith("#REF!"):
                return Const(REF)
            sheet_name, rest = split_sheet(v) if "!" in v else (None, v)
            scope = self.sheet
            if sheet_name is not None:
                idx = self.resolver.sheet_index(sheet_name)
                if idx is None:
                    return Const(REF)
                scope = idx
            tree, deps, reason, height = self.resolver.name(rest, scope, self.depth)
            if self.depth + height > MAX_NESTING:
                raise TooDeep(TOO_DEEP)
            self.deepest = max(self.deepest, self.depth + height)
            self.form.deps.extend(deps)
            if tree is None:
                self.fail(reason or f"nom {v} non pris en charge")
                return Const(None)
            return tree
        return self.reference(area)

    def reference(self, a: Area) -> Node:
        if a.sheet is None:
            sheet = self.sheet
        else:
            idx = self.resolver.sheet_index(a.sheet)
            if idx is None:
                return Const(REF)
            sheet = idx
        r0 = a.r0 if a.r0_abs else a.r0 - self.row
        r1 = a.r1 if a.r1_abs else a.r1 - self.row
        c0 = a.c0 if a.c0_abs else a.c0 - self.col
        c1 = a.c1 if a.c1_abs else a.c1 - self.col
        self.form.deps.append(Dep(sheet, r0, c0, r1, c1, a.r0_abs, a.c0_abs, a.r1_abs, a.c1_abs))
        if a.is_cell:
            return Cell(sheet, r0, c0, a.r0_abs, a.c0_abs)
        return Range(sheet, r0, c0, r1, c1, a.r0_abs, a.c0_abs, a.r1_abs, a.c1_abs)

    def call(self, tok: Token) -> Node:
        name = _function_name(tok.value)
        args: list[Node] = []
        if (first := self.peek()) is not None and first.type == Token.FUNC and first.subtype == Token.CLOSE:
            self.take()
        else:
            while True:
                nxt = self.peek()
                if nxt is not None and (
                    nxt.type == Token.SEP or (nxt.type == Token.FUNC and nxt.subtype == Token.CLOSE)
                ):
                    args.append(Missing())
                else:
                    args.append(self.expression(0))
                sep = self.take()
                if sep.type == Token.FUNC and sep.subtype == Token.CLOSE:
                    break
                if sep.type != Token.SEP or sep.subtype != Token.ARG:
                    raise Unsupported(f"syntaxe non reconnue près de {sep.value!r}")
        if name in _DYNAMIC:
            self.form.dynamic = True
        fn = FUNCTIONS.get(name)
        if fn is None:
            self.fail(f"fonction {name} non prise en charge")
            return Const(None)
        if not (fn.min_args <= len(args) <= fn.max_args):
            self.fail(f"{name} : nombre d'arguments incorrect")
            return Const(None)
        return Call(name, args, fn)

    def array(self) -> Node:
        rows: list[list[Value]] = [[]]
        while True:
            tok = self.take()
            if tok.type == Token.ARRAY and tok.subtype == Token.CLOSE:
                break
            if tok.type == Token.SEP:
                if tok.subtype == Token.ROW:
                    rows.append([])
                continue
            if tok.type == Token.OP_PRE and tok.value == "-":
                nxt = self.take()
                rows[-1].append(-float(nxt.value))
                continue
            node = self.operand(tok) if tok.type == Token.OPERAND else None
            if not isinstance(node, Const):
                raise Unsupported("tableau constant non reconnu")
            rows[-1].append(node.value)
        if len({len(r) for r in rows}) != 1:
            raise Unsupported("tableau constant irrégulier")
        return ArrayConst(rows)


def _bounding(a: Cell | Range, b: Cell | Range) -> Range:
    """A1:B2 built with the ':' operator from two references."""

    def ends(n: Cell | Range) -> list[tuple[int, bool, int, bool]]:
        if isinstance(n, Cell):
            return [(n.row, n.row_abs, n.col, n.col_abs)]
        return [(n.r0, n.r0_abs, n.c0, n.c0_abs), (n.r1, n.r1_abs, n.c1, n.c1_abs)]

    pts = ends(a) + ends(b)
    if len({p[1] for p in pts}) > 1 or len({p[3] for p in pts}) > 1:
        raise Unsupported("plage ':' mêlant références absolues et relatives")
    rows = [p[0] for p in pts]
    cols = [p[2] for p in pts]
    ra, ca = pts[0][1], pts[0][3]
    return Range(a.sheet, min(rows), min(cols), max(rows), max(cols), ra, ca, ra, ca)
