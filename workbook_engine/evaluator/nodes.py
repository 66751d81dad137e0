"""The syntax tree of a formula, in relative (R1C1) terms.

Plain data: :mod:`.parser` builds it, :mod:`.vector` evaluates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbook_engine.evaluator.values import V, Value

if TYPE_CHECKING:  # functions imports this module
    from workbook_engine.evaluator.functions.base import Fn


class Node:
    __slots__ = ()


class Const(Node):
    """A constant; ``v``: its value vector, made from ``value`` unless given
    (the parser shares one read-only vector among the constants of one text)."""

    __slots__ = ("value", "v")

    def __init__(self, value: Value, v: V | None = None) -> None:
        self.value = value
        self.v = V.const(value) if v is None else v

    def __repr__(self) -> str:
        return f"Const({self.value!r})"


class Missing(Node):
    """An omitted argument: IF(A1,,2)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Missing()"


class Cell(Node):
    """One cell. ``row``/``col``: the absolute index when ``*_abs``, else the
    offset from the anchor."""

    __slots__ = ("sheet", "row", "col", "row_abs", "col_abs")

    def __init__(self, sheet: int, row: int, col: int, row_abs: bool, col_abs: bool):
        self.sheet, self.row, self.col, self.row_abs, self.col_abs = sheet, row, col, row_abs, col_abs

    def __repr__(self) -> str:
        return f"Cell({self.sheet}, {self.row}{'$' if self.row_abs else ''}, {self.col}{'$' if self.col_abs else ''})"


class Range(Node):
    """A rectangle, each end absolute or relative like :class:`Cell`."""

    __slots__ = ("sheet", "r0", "c0", "r1", "c1", "r0_abs", "c0_abs", "r1_abs", "c1_abs")

    def __init__(
        self, sheet: int, r0: int, c0: int, r1: int, c1: int, r0_abs: bool, c0_abs: bool, r1_abs: bool, c1_abs: bool
    ):
        self.sheet, self.r0, self.c0, self.r1, self.c1 = sheet, r0, c0, r1, c1
        self.r0_abs, self.c0_abs, self.r1_abs, self.c1_abs = r0_abs, c0_abs, r1_abs, c1_abs

    @property
    def rows_fixed(self) -> bool:
        return self.r0_abs and self.r1_abs

    def __repr__(self) -> str:
        return f"Range({self.sheet}, {self.r0},{self.c0}:{self.r1},{self.c1})"


class ArrayConst(Node):
    """{1,2;3,4}: rows of constants."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[list[Value]]) -> None:
        self.rows = rows


class Unary(Node):
    __slots__ = ("op", "x")

    def __init__(self, op: str, x: Node):
        self.op, self.x = op, x

    def __repr__(self) -> str:
        return f"Unary({self.op!r}, {self.x!r})"


class Binary(Node):
    __slots__ = ("op", "a", "b")

    def __init__(self, op: str, a: Node, b: Node):
        self.op, self.a, self.b = op, a, b

    def __repr__(self) -> str:
        return f"Binary({self.op!r}, {self.a!r}, {self.b!r})"


class Call(Node):
    __slots__ = ("name", "args", "fn")

    def __init__(self, name: str, args: list[Node], fn: Fn) -> None:
        self.name, self.args, self.fn = name, args, fn

    def __repr__(self) -> str:
        return f"Call({self.name}, {self.args!r})"
