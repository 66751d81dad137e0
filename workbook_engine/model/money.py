"""Spreadsheet rounding: ROUND as Excel and LibreOffice do it.

A spreadsheet first reads a double at 15 significant digits, then rounds half
away from zero. So ROUND(1.005, 2) = 1.01 although the double 1.005 is
1.00499999999999989..., and ROUND(2.675, 2) = 2.68. Python's ``round`` is
half-to-even on the binary value and gives 1.0 and 2.67: never use it for money.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

FACTOR_DIGITS = 9  # decimals kept of the paying-pupil factor (model.paying_factor)


def excel_round(x: float, digits: int = 2) -> float:
    """ROUND(x, digits) with spreadsheet semantics, for one number."""
    if not np.isfinite(x) or abs(x) >= 1e15:
        return float(x)  # 15 significant digits leave no decimal to round
    d = Decimal(format(float(x), ".15g"))
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)) + 0.0  # never -0.0


def excel_round_array(x: np.ndarray, digits: int = 2) -> np.ndarray:
    """ROUND(x, digits) over an array, exact like :func:`excel_round`.

    The fast path rounds the scaled value; values that sit so close to a half
    that the 15-digit reading could decide (a tiny minority) are redone exactly
    with :func:`excel_round`. NaN stays NaN.
    """
    values = np.asarray(x, dtype=np.float64)  # (np.float64 is float: typed as such for the checker)
    shape = values.shape
    values = values.ravel()
    scale = 10.0**digits
    scaled = np.abs(values) * scale
    out = np.sign(values) * np.floor(scaled + 0.5) / scale
    frac = scaled - np.floor(scaled)
    # 15 significant digits of x move the scaled value by at most ~|scaled|*1e-15.
    ambiguous = np.abs(frac - 0.5) < np.maximum(1e-9, scaled * 1e-13)
    ambiguous &= np.isfinite(values)
    if ambiguous.any():
        idx = np.flatnonzero(ambiguous)
        out[idx] = [excel_round(v, digits) for v in values[idx]]
    out[np.isnan(values)] = np.nan
    # -0.0 would print as "-0.0" in JSON.
    return (out + 0.0).reshape(shape)
