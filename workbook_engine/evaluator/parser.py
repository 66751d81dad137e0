"""Formula text -> syntax tree in relative (R1C1) terms, once per distinct formula.

Tokens come from :mod:`.tokenizer` (openpyxl's rules, faster); this module
builds the tree (precedence climbing, Excel's precedence: ``:`` then unary
minus, ``%``, ``^``, ``* /``, ``+ -``, ``&``, comparisons). References are stored relative
to the formula's own cell (the anchor), like R1C1: ``A4`` written in ``N4`` is
"same row, 13 columns left", so the tree of ``N4`` serves ``N5``... unchanged.

A :class:`Template` rebuilds the formula text of the same R1C1 formula at
another row of the same column (``IF(A4=...`` -> ``IF(A5=...``): comparing a
cell's text with the template's is how the reader recognises the rows of a
column run without tokenizing each of them.

:func:`parse_cell_formula` is the entry point for the cells of a workbook: it
keeps the forms it parsed, per workbook layout (sheet names and defined
names), so that checking many workbooks of one layout in one process parses
each formula once (see ``_FormCache``).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from workbook_engine.evaluator.functions import FUNCTIONS
from workbook_engine.evaluator.nodes import ArrayConst, Binary, Call, Cell, Const, Missing, Node, Range, Unary
from workbook_engine.evaluator.refs import MAX_COL, MAX_ROW, Area, col_index, col_letters, parse_area, split_sheet
from workbook_engine.evaluator.tokenizer import (
    ARRAY_CLOSE,
    ARRAY_OPEN,
    ERROR,
    FUNC_CLOSE,
    FUNC_OPEN,
    LOGICAL,
    NUMBER,
    OP_IN,
    OP_POST,
    OP_PRE,
    OPERANDS,
    PAREN_CLOSE,
    PAREN_OPEN,
    RANGE,
    SEP_ARG,
    SEP_ROW,
    TEXT,
    WSPACE,
    Tok,
    remember,
    tokenize,
)
from workbook_engine.evaluator.values import REF, V, Value, error

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


# A reference operand's text -> (is it a reference, its template pieces at
# anchor (0, 0): slots holding absolute indexes; None when a template cannot
# render it). Formulas repeat their references: each is split once.
_REF_SHAPES: dict[str, tuple[bool, tuple[Piece, ...] | None]] = {}


def _ref_shape(text: str) -> tuple[bool, tuple[Piece, ...] | None]:
    shape = _REF_SHAPES.get(text)
    if shape is None:
        if parse_area(text) is None:
            shape = (False, None)
        else:
            pieces = _ref_pieces(text, 0, 0)
            shape = (True, None if pieces is None else tuple(pieces))
        remember(_REF_SHAPES, text, shape, text)
    return shape


def build_template(items: list[Tok], row: int, col: int) -> Template | None:
    """The template of a formula written at (row, col), from its tokens."""
    merged: list[Piece] = []  # adjacent literals merged, empty ones left out
    literal: list[str] = []
    for kind, value in items:
        if kind == RANGE:
            is_ref, shape = _ref_shape(value)
            if is_ref:
                if shape is None:
                    return None
                for p in shape:
                    if isinstance(p, str):
                        literal.append(p)
                        continue
                    if literal:
                        text = "".join(literal)
                        literal.clear()
                        if text:
                            merged.append(text)
                    merged.append((p[0], p[1] - (row if p[0] == "row" else col)))
                continue
        literal.append(value)
    if literal and (text := "".join(literal)):
        merged.append(text)
    return Template(merged, col)


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


@dataclass
class Form:
    """One distinct formula in R1C1 terms: its tree (None when the native
    engine cannot evaluate it: ``reason`` says why), what it reads, and the
    template that rebuilds its text.

    Never change a Form once parsed: :func:`parse_cell_formula` shares it
    between workbooks of one layout (make a changed copy with
    ``dataclasses.replace``)."""

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


NameKey = tuple[str, int | None]  # (NAME upper, local sheet index or None)
NameParse = tuple[Node | None, list[Dep], str, int]  # tree, deps, reason, height


class Resolver:
    """What the parser needs from the workbook: sheet indexes by name and the
    text of defined names.

    ``layout``: what ``sheet_index`` answers depend on (the sheet names, in
    order), so that :func:`parse_cell_formula` may reuse the forms parsed for
    another workbook of the same layout and defined names; None: it parses
    every formula."""

    def __init__(
        self,
        sheet_index: Callable[[str], int | None],
        names: dict[NameKey, str],
        layout: Hashable | None = None,
    ):
        self.sheet_index = sheet_index
        self.names = names  # (NAME upper, local sheet index or None) -> text
        self.layout = layout
        # name -> (tree, deps, reason, height: the nesting inside the name)
        self._parsed: dict[NameKey, NameParse] = {}
        self._busy: set[NameKey] = set()
        # for the form cache: the sheet each name was parsed on (a name of
        # the whole workbook is parsed on the sheet of its first use), the
        # names whose text uses no other defined name, how many names were
        # looked up, and the names a cell formula being parsed looks up
        self._scope: dict[NameKey, int] = {}
        self._leaves: set[NameKey] = set()
        self._lookups = 0
        self._direct: list[tuple[NameKey, int]] | None = None
        self._forms: dict[_CellKey, _Entry] | None = None
        self._cache_key: Hashable = None

    def name(self, name: str, sheet: int, depth: int = 0) -> NameParse:
        """(tree, deps, reason, height) of a defined name used on ``sheet``,
        at nesting ``depth`` of the formula using it (a name's own nesting
        counts on top of it: see ``MAX_NESTING``)."""
        key_u = name.upper()
        for key in ((key_u, sheet), (key_u, None)):
            if key in self.names:
                break
        else:
            return Const(error("#NAME?")), [], "", 0
        self._lookups += 1
        if self._direct is not None and not self._busy:
            self._direct.append((key, sheet))
        if key in self._parsed:
            return self._parsed[key]
        if key in self._busy:
            return Const(REF), [], "", 0
        if len(self._busy) >= MAX_NESTING // 4:  # names defined through names, far down
            return None, [], TOO_DEEP, 0
        self._busy.add(key)
        lookups = self._lookups
        scope = sheet if key[1] is None else key[1]
        try:
            text = self.names[key]
            form = parse_formula("=" + text, scope, 0, 0, self, depth)
            out = (form.tree, form.deps, TOO_DEEP if form.too_deep else form.reason, form.height)
        finally:
            self._busy.discard(key)
        if not form.too_deep:  # too deep here may be fine nearer the surface
            self._parsed[key] = out
            self._scope[key] = scope
            if self._lookups == lookups:
                self._leaves.add(key)
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
_FUNCTION_NAMES: dict[str, str] = {}


def _function_name(value: str) -> str:
    name = _FUNCTION_NAMES.get(value)
    if name is None:
        name = value[:-1].upper()
        for prefix in ("_XLFN._XLWS.", "_XLFN.", "_XLWS."):
            if name.startswith(prefix):
                name = name[len(prefix) :]
        remember(_FUNCTION_NAMES, value, name, value)
    return name


def parse_formula(text: str, sheet: int, row: int, col: int, resolver: Resolver, depth: int = 0) -> Form:
    """Parse ``text`` (with its leading '=') written in cell (sheet, row, col);
    ``depth``: the nesting around it (a defined name inside a formula)."""
    form = Form(text, sheet, row, col, None)
    try:
        items = tokenize(text)
    except Exception as exc:  # the tokenizer's own errors
        form.reason = f"syntaxe non reconnue ({exc})"
        return form
    values = [v for _, v in items]
    if "".join(values) == text[1:]:
        form.template = build_template(items, row, col)
    toks = [t for t in items if t[0] != WSPACE]
    toks.append(_END)
    builder = _Builder(toks, sheet, row, col, resolver, form, depth)
    try:
        tree = builder.expression(0)
        form.height = builder.deepest - depth
        if builder.i != len(toks) - 1:
            raise Unsupported(f"syntaxe non reconnue près de {toks[builder.i][1]!r}")
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


# The end of the tokens: matches no rule; taking it is running out of
# tokens, which reads as a list index out of range (the parser's message).
_END: Tok = ("END", "")
_PAREN = (PAREN_OPEN, PAREN_CLOSE)


def _past_end() -> IndexError:
    return IndexError("list index out of range")


class _Builder:
    """Recursive descent over the tokens (``toks`` ends with ``_END``):
    ``expression`` climbs binary operators by precedence, ``unary`` reads
    one operand with its prefix signs, ``:`` ranges and ``%`` suffixes."""

    __slots__ = ("toks", "sheet", "row", "col", "resolver", "form", "i", "unsupported", "depth", "deepest", "refs")

    def __init__(self, toks: list[Tok], sheet: int, row: int, col: int, resolver: Resolver, form: Form, depth: int = 0):
        self.toks, self.sheet, self.row, self.col = toks, sheet, row, col
        self.resolver, self.form = resolver, form
        self.i = 0
        self.unsupported = ""  # keep parsing to collect every dependency
        self.depth = depth  # parentheses, calls and arrays open around the current token
        self.deepest = depth
        self.refs: dict[str, tuple[Dep, bool]] = {}  # reference text -> what it reads, one cell or not

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.deepest:
            self.deepest = self.depth
        if self.depth > MAX_NESTING:
            raise TooDeep(TOO_DEEP)

    def fail(self, why: str) -> None:
        if not self.unsupported:
            self.unsupported = why

    # precedence climbing over binary operators
    def expression(self, min_prec: int) -> Node:
        left = self.unary()
        toks = self.toks
        while True:
            kind, value = toks[self.i]
            if kind != OP_IN:
                return left
            prec = _PREC.get(value)
            if prec is None:  # the union operator ','
                self.i += 1
                self.fail(f"opérateur {value!r} non pris en charge")
                self.unary()
                continue
            if prec < min_prec:
                return left
            self.i += 1
            # all left-associative: the right operand binds tighter
            kind, value2 = toks[self.i]
            if kind in OPERANDS:  # a lone operand, what expression(prec + 1) gives
                after, op = toks[self.i + 1]
                if after != OP_POST and (after != OP_IN or (op in _PREC and _PREC[op] <= prec)):
                    self.i += 1
                    left = Binary(value, left, self.operand(kind, value2))
                    continue
            left = Binary(value, left, self.expression(prec + 1))

    def unary(self) -> Node:
        toks = self.toks
        kind, value = toks[self.i]
        # prefix signs in a loop, not by recursion: "=------1" may be long
        signs: list[str] | None = None
        while kind == OP_PRE:
            if signs is None:
                signs = []
            signs.append("-" if value == "-" else "+")
            self.i += 1
            kind, value = toks[self.i]
        if kind in OPERANDS:  # primary(), for the most common case
            self.i += 1
            node = self.operand(kind, value)
        else:
            node = self.primary()
        kind, value = toks[self.i]
        while kind == OP_IN and value == ":":  # never from the tokenizer (':' stays in operands)
            self.i += 1
            other = self.primary()
            if isinstance(node, (Cell, Range)) and isinstance(other, (Cell, Range)) and node.sheet == other.sheet:
                node = _bounding(node, other)
            else:
                self.fail("opérateur de plage ':' dynamique")
            kind, value = toks[self.i]
        while kind == OP_POST:
            self.i += 1
            node = Unary("%", node)
            kind = toks[self.i][0]
        if signs is not None:
            for sign in reversed(signs):
                node = Unary(sign, node)
        return node

    def primary(self) -> Node:
        kind, value = self.toks[self.i]
        if kind == "END":
            raise _past_end()
        self.i += 1
        if kind in OPERANDS:
            return self.operand(kind, value)
        if kind == FUNC_OPEN:
            self.enter()
            call = self.call(value)
            self.depth -= 1
            return call
        if kind == PAREN_OPEN:
            self.enter()
            node = self.expression(0)
            toks = self.toks
            close = toks[self.i][0]
            if close == "END":
                raise _past_end()
            self.i += 1
            if close not in _PAREN:
                self.fail("union de plages")
                while (nxt := toks[self.i][0]) != "END" and nxt not in _PAREN:
                    self.i += 1
                if nxt == "END":
                    raise _past_end()
                self.i += 1
            self.depth -= 1
            return node
        if kind == ARRAY_OPEN:
            return self.array()
        raise Unsupported(f"syntaxe non reconnue près de {value!r}")

    def operand(self, kind: str, v: str) -> Node:
        if kind == NUMBER or kind == TEXT:
            known = _CONSTANTS.get((kind, v))
            if known is None:
                known = _constant(kind, v)
            return Const(*known)
        if kind == LOGICAL:
            return Const(v.upper() == "TRUE")
        if kind == ERROR:
            return Const(error(v.upper()))
        # a reference or a defined name
        seen = self.refs.get(v)
        if seen is not None:  # a reference this formula made before: the same
            dep, is_cell = seen
            self.form.deps.append(dep)
            if is_cell:
                return Cell(dep.sheet, dep.r0, dep.c0, dep.r0_abs, dep.c0_abs)
            return Range(dep.sheet, dep.r0, dep.c0, dep.r1, dep.c1, dep.r0_abs, dep.c0_abs, dep.r1_abs, dep.c1_abs)
        if "[" in v:
            self.fail(f"référence structurée ou externe {v}")
            return Const(None)
        area = _area(v)
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
        return self.reference(area, v)

    def reference(self, a: Area, text: str) -> Node:
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
        dep = Dep(sheet, r0, c0, r1, c1, a.r0_abs, a.c0_abs, a.r1_abs, a.c1_abs)
        self.form.deps.append(dep)
        self.refs[text] = (dep, a.is_cell)
        if a.is_cell:
            return Cell(sheet, r0, c0, a.r0_abs, a.c0_abs)
        return Range(sheet, r0, c0, r1, c1, a.r0_abs, a.c0_abs, a.r1_abs, a.c1_abs)

    def call(self, value: str) -> Node:
        name = _function_name(value)
        args: list[Node] = []
        toks = self.toks
        if toks[self.i][0] == FUNC_CLOSE:
            self.i += 1
        else:
            while True:
                kind, value = toks[self.i]
                if kind in _ARG_ENDS:
                    args.append(Missing())
                elif kind in OPERANDS and toks[self.i + 1][0] not in _AFTER_OPERAND:
                    self.i += 1  # a lone operand: what expression(0) gives
                    args.append(self.operand(kind, value))
                else:
                    args.append(self.expression(0))
                kind, sep = toks[self.i]
                if kind == "END":
                    raise _past_end()
                self.i += 1
                if kind == FUNC_CLOSE:
                    break
                if kind != SEP_ARG:
                    raise Unsupported(f"syntaxe non reconnue près de {sep!r}")
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
        toks = self.toks
        while True:
            kind, value = toks[self.i]
            if kind == "END":
                raise _past_end()
            self.i += 1
            if kind == ARRAY_CLOSE:
                break
            if kind == SEP_ARG or kind == SEP_ROW:
                if kind == SEP_ROW:
                    rows.append([])
                continue
            if kind == OP_PRE and value == "-":
                nkind, nvalue = toks[self.i]
                if nkind == "END":
                    raise _past_end()
                self.i += 1
                rows[-1].append(-float(nvalue))
                continue
            node = self.operand(kind, value) if kind in OPERANDS else None
            if not isinstance(node, Const):
                raise Unsupported("tableau constant non reconnu")
            rows[-1].append(node.value)
        if len({len(r) for r in rows}) != 1:
            raise Unsupported("tableau constant irrégulier")
        return ArrayConst(rows)


# (NUMBER or TEXT, token) -> its value and value vector, shared by every
# constant written so (a formula repeats "" and 1000 many times); read-only
_CONSTANTS: dict[Tok, tuple[Value, V]] = {}


def _constant(kind: str, text: str) -> tuple[Value, V]:
    value: Value = float(text) if kind == NUMBER else text[1:-1].replace('""', '"')
    v = V.const(value)
    v.n.flags.writeable = False
    if v.o is not None:
        v.o.flags.writeable = False
    remember(_CONSTANTS, (kind, text), (value, v), text)
    return value, v


_ARG_ENDS = (SEP_ARG, SEP_ROW, FUNC_CLOSE)  # an argument left empty: IF(A1,,2)
_AFTER_OPERAND = (OP_IN, OP_POST)  # tokens that make more of an operand than itself
_AREAS: dict[str, Area | None] = {}


def _area(text: str) -> Area | None:
    """``parse_area``, remembered (formulas repeat their references)."""
    try:
        return _AREAS[text]
    except KeyError:
        pass
    area = parse_area(text)
    remember(_AREAS, text, area, text)
    return area


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


# ---------------------------------------------------------------------------
# The form cache: one parse per formula for many workbooks of one layout
# ---------------------------------------------------------------------------

_CellKey = tuple[str, int, int, int]  # formula text, sheet, row, column


@dataclass(frozen=True)
class _Entry:
    """A cached form, with what its parse read from the resolver's memory
    of defined names (each name the formula uses, in order: the sheet it was
    looked up on and the sheet it had been parsed on) and what it left
    there (each name's parse and sheet)."""

    form: Form
    lookups: tuple[tuple[NameKey, int, int], ...]
    names: tuple[tuple[NameKey, NameParse, int], ...]

    def fits(self, resolver: Resolver) -> bool:
        """Would parsing the formula again with ``resolver`` give this form?
        Each name must be, or would now be, parsed on the same sheet (a name
        of the whole workbook is parsed on the sheet of its first use)."""
        would: dict[NameKey, int] = {}
        for key, looked_up_on, parsed_on in self.lookups:
            scope = resolver._scope.get(key) if key in resolver._parsed else would.setdefault(key, looked_up_on)
            if scope != parsed_on:
                return False
        return True

    def replay(self, resolver: Resolver) -> None:
        """Leave in the resolver what parsing the formula would have left."""
        for key, parse, scope in self.names:
            if key not in resolver._parsed:
                resolver._parsed[key] = parse
                resolver._scope[key] = scope
                resolver._leaves.add(key)


class _FormCache:
    """Forms parsed from workbook cells, per layout: (sheet names, defined
    names) -> (text, sheet, row, column) -> entry.

    A form is kept only when parsing it again in any workbook of the layout
    gives the same form: it does not nest too deep and uses only names whose
    text names no other name (what a name gives may depend on what was
    parsed before it, in name cycles and chains: those formulas are parsed
    each time). Bounded: the least recently used layouts go first when the
    formula text kept exceeds ``max_chars``."""

    def __init__(self, max_chars: int = 1_000_000, max_layouts: int = 16):
        self.max_chars = max_chars
        self.max_layouts = max_layouts
        self._layouts: OrderedDict[Hashable, dict[_CellKey, _Entry]] = OrderedDict()
        self._chars: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._layouts.clear()
            self._chars.clear()

    def layout(self, key: Hashable) -> dict[_CellKey, _Entry]:
        """The forms of one layout (made the most recently used)."""
        with self._lock:
            forms = self._layouts.get(key)
            if forms is None:
                forms = self._layouts[key] = {}
                self._chars[key] = 0
                while len(self._layouts) > self.max_layouts:
                    self._drop_oldest()
            else:
                self._layouts.move_to_end(key)
            return forms

    def add(self, key: Hashable, cell: _CellKey, entry: _Entry) -> None:
        size = len(cell[0])
        with self._lock:
            forms = self._layouts.get(key)
            if forms is None:  # dropped meanwhile: keep nothing
                return
            while sum(self._chars.values()) + size > self.max_chars and next(iter(self._layouts)) != key:
                self._drop_oldest()
            if sum(self._chars.values()) + size > self.max_chars:
                return  # this layout alone fills the cache
            if cell not in forms:
                forms[cell] = entry
                self._chars[key] += size

    def _drop_oldest(self) -> None:
        key, _ = self._layouts.popitem(last=False)
        del self._chars[key]


_CACHE = _FormCache()


def clear_form_cache() -> None:
    """Forget every cached form (tests, benchmarks of a first parse)."""
    _CACHE.clear()


def parse_cell_formula(text: str, sheet: int, row: int, col: int, resolver: Resolver) -> Form:
    """``parse_formula`` for a workbook cell: the same form, reused from an
    earlier workbook of the same layout and defined names when its parse
    could not differ (see ``_FormCache``). The form may be shared: never
    change it."""
    if resolver.layout is None:
        return parse_formula(text, sheet, row, col, resolver)
    if resolver._forms is None:
        resolver._cache_key = (resolver.layout, frozenset(resolver.names.items()))
        resolver._forms = _CACHE.layout(resolver._cache_key)
    cell = (text, sheet, row, col)
    entry = resolver._forms.get(cell)
    if entry is not None and entry.fits(resolver):
        entry.replay(resolver)
        return entry.form
    direct: list[tuple[NameKey, int]] = []
    resolver._direct = direct
    try:
        form = parse_formula(text, sheet, row, col, resolver)
    finally:
        resolver._direct = None
    if not form.too_deep and all(key in resolver._leaves for key, _ in direct):
        lookups = tuple((key, on, resolver._scope[key]) for key, on in direct)
        names = tuple((key, resolver._parsed[key], resolver._scope[key]) for key in dict.fromkeys(k for k, _ in direct))
        _CACHE.add(resolver._cache_key, cell, _Entry(form, lookups, names))
    return form
