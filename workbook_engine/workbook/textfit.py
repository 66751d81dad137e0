"""How much room a text takes in a cell, so the writer sets row heights and
column widths itself: spreadsheets do not grow a row for wrapped text they
did not lay out (LibreOffice keeps a generated file's heights, Excel
recomputes them only on edit), and a row too short prints its lines on top
of the next row's.

The workbook's font is Arial 10 (LibreOffice uses the metric-compatible
Liberation Sans): the widths below are Arial's (the Helvetica metrics, in
thousandths of the font size). Estimates err on the wide side.
"""

from __future__ import annotations

import math
import unicodedata

FONT_NAME = "Arial"
FONT_SIZE = 10
LINE_HEIGHT = 12.75  # points per line of Arial 10, as Excel spaces them (LibreOffice: less)
DEFAULT_ROW_PX = 17  # 12.75 points: the default row of Arial 10
_PADDING_PT = 7.0  # a cell's left and right margins, and a little slack

# Arial/Helvetica advance widths (per 1000 of the font size), regular and bold.
_REGULAR = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        (
            278,
            278,
            355,
            556,
            556,
            889,
            667,
            191,
            333,
            333,
            389,
            584,
            278,
            333,
            278,
            278,
            556,
            556,
            556,
            556,
            556,
            556,
            556,
            556,
            556,
            556,
            278,
            278,
            584,
            584,
            584,
            556,
            1015,
            667,
            667,
            722,
            722,
            667,
            611,
            778,
            722,
            278,
            500,
            667,
            556,
            833,
            722,
            778,
            667,
            778,
            722,
            667,
            611,
            722,
            667,
            944,
            667,
            667,
            611,
            278,
            278,
            278,
            469,
            556,
            333,
            556,
            556,
            500,
            556,
            556,
            278,
            556,
            556,
            222,
            222,
            500,
            222,
            833,
            556,
            556,
            556,
            556,
            333,
            500,
            278,
            556,
            500,
            722,
            500,
            500,
            500,
            334,
            260,
            334,
            584,
        ),  # fmt: skip
    )
)
_BOLD = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        (
            278,
            333,
            474,
            556,
            556,
            889,
            722,
            238,
            333,
            333,
            389,
            584,
            278,
            333,
            278,
            278,
            556,
            556,
            556,
            556,
            556,
            556,
            556,
            556,
            556,
            556,
            333,
            333,
            584,
            584,
            584,
            611,
            975,
            722,
            722,
            722,
            722,
            667,
            611,
            778,
            722,
            278,
            556,
            722,
            611,
            833,
            722,
            778,
            667,
            778,
            722,
            667,
            611,
            722,
            667,
            944,
            667,
            667,
            611,
            333,
            278,
            333,
            584,
            556,
            333,
            556,
            611,
            556,
            611,
            556,
            333,
            611,
            611,
            278,
            278,
            556,
            278,
            889,
            611,
            611,
            611,
            611,
            389,
            556,
            333,
            611,
            556,
            778,
            556,
            556,
            500,
            389,
            280,
            389,
            584,
        ),  # fmt: skip
    )
)
_OTHER = {"€": 556, "«": 556, "»": 556, "œ": 944, "Œ": 1000, "æ": 889, "°": 400, "’": 222, "…": 1000, "—": 1000}


def _char_width(ch: str, bold: bool) -> float:
    table = _BOLD if bold else _REGULAR
    if ch in table:
        return table[ch]
    if ch in _OTHER:
        return _OTHER[ch] * (1.05 if bold else 1.0)
    if ch in "\u00a0\u202f":
        return table[" "]
    base = unicodedata.normalize("NFD", ch)[:1]  # é -> e
    return table.get(base, 1000)


def text_points(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Width of one line of text, in points."""
    return sum(_char_width(ch, bold) for ch in text) * size / 1000 * 1.04


def column_points(width: float, widest: bool = False) -> float:
    """A column's width in points from its width in characters: Excel's
    (7 pixels a character plus 5 of padding, the narrower: the room text
    has), or with ``widest`` LibreOffice's (a digit of Arial 10 a character,
    measured: the room a column takes on paper)."""
    if widest:
        return width * 5.56 + 4.5
    return (int(width * 7 + 0.5) + 5) * 0.75


def width_for(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """The column width (characters) that holds ``text`` on one line."""
    points = text_points(text, size, bold) + _PADDING_PT
    # Half a character more than the text: ``lines`` then finds it one line.
    return math.ceil((points / 0.75 - 5) / 7 * 4) / 4 + 0.5


def lines(text: str, width: float, size: float = FONT_SIZE, bold: bool = False) -> int:
    """Lines a text takes once wrapped at word boundaries in a column of
    ``width`` characters (a word longer than the line breaks anywhere)."""
    room = column_points(width) - _PADDING_PT
    total = 0
    for paragraph in str(text).split("\n"):
        n, used = 1, 0.0
        for word in paragraph.split(" "):
            w = text_points(word, size, bold)
            gap = text_points(" ", size, bold) if used else 0.0
            if used and used + gap + w > room:
                n, used = n + 1, 0.0
                gap = 0.0
            while w > room:  # a word wider than the column
                n, w = n + 1, w - room
            used += gap + w
        total += n
    return total


def row_height(n_lines: int, size: float = FONT_SIZE) -> float:
    """Points for ``n_lines`` lines of text."""
    per_line = LINE_HEIGHT * size / FONT_SIZE
    return round(n_lines * per_line + (2.0 if n_lines > 1 else 0.0), 2)
