"""Model and workbook compared column by column.

``check`` compares each family's figures as the SPEC's results JSON shows
them (``model.results``: money to the cent, ratios to 6 decimals, tranche
labels as text). Converting 2,000 families x 20 figures one value at a time
is most of a check's comparison time, and almost every figure is a plain
number on both sides. So a column is converted at once with numpy (the
same half-away-from-zero rounding, ``excel_round_array``), and only the
odd values (text, an error, a boolean, a huge or non-finite number, a
blank typed as "") go through the JSON converter one by one. The result is
exactly "``convert(expected) == convert(found)``" for every row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from workbook_engine.model.money import excel_round_array
from workbook_engine.model.results import MONEY_DIGITS, RATIO_DIGITS, label, money, ratio

Convert = Callable[[object], object]

# Beyond this, excel_round leaves a number as it is (15 significant digits
# hold no decimal): such values take the converter itself.
_ROUNDED_BELOW = 1e15
_DIGITS: dict[Convert, int] = {money: MONEY_DIGITS, ratio: RATIO_DIGITS}


def same_figures(expected: Sequence[object], found: Sequence[object], convert: Convert) -> np.ndarray:
    """Row by row, whether ``convert(expected[i]) == convert(found[i])``.

    ``convert`` is one of the results JSON's converters: ``money``,
    ``ratio`` (rounded with numpy, exactly as they round) or ``label``
    (compared one by one: labels are text)."""
    if len(expected) != len(found):
        raise ValueError("columns of different lengths")
    digits = _DIGITS.get(convert)
    if digits is None:  # labels: two texts compare as they are (``label`` keeps a text, "" is blank for both)
        return np.array(
            [
                e == f if type(e) is str and type(f) is str else convert(e) == convert(f)
                for e, f in zip(expected, found)
            ],
            dtype=bool,
        )
    e, e_odd = _numbers(expected)
    f, f_odd = _numbers(found)
    with np.errstate(invalid="ignore"):  # infinities: taken one by one below
        er, fr = excel_round_array(e, digits), excel_round_array(f, digits)
    same: np.ndarray = (er == fr) | (np.isnan(er) & np.isnan(fr))  # NaN: a blank on both sides
    for i in np.flatnonzero(e_odd | f_odd).tolist():
        same[i] = convert(expected[i]) == convert(found[i])
    return same


def _numbers(values: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """The values as floats (NaN for a blank or anything else) and the mask
    of those the vectorised rounding does not cover."""
    as_float = np.array([v if type(v) is float else np.nan for v in values], dtype=float)
    odd = np.array([v is not None and type(v) is not float for v in values], dtype=bool)
    odd |= ~(np.abs(as_float) < _ROUNDED_BELOW) & ~np.isnan(as_float)  # huge or infinite
    return as_float, odd


__all__ = ["same_figures", "label", "money", "ratio"]
