"""Spreadsheet rounding: ROUND as Excel and LibreOffice do it.

A spreadsheet first reads a double at 15 significant digits, then rounds half
away from zero. So ROUND(1.005, 2) = 1.01 although the double 1.005 is
1.00499999999999989..., and ROUND(2.675, 2) = 2.68. Python's ``round`` is
half-to-even on the binary value and gives 1.0 and 2.67: never use it for money.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

# Decimals kept of the paying-pupil factor (simulate.paying_factor, the
# workbook's "Élèves payants" column). Rates have at most RATE_DECIMALS
# decimals (validation), so the exact factor has at most 4; summing rates in
# binary leaves noise around it (0.30999999999999983 for 0.31) far below
# 1e-9, which this rounding removes without touching the exact value.
FACTOR_DIGITS = 9
# Decimals of the indicator (QF or income), rounded to the cent from layout
# version 3 on: a quotient that is a bracket bound in decimal must be the
# bound in binary too (2700 / 2.7 gives 999.9999999999999).
INDICATOR_DIGITS = 2
MONEY_DECIMALS = 2  # amounts and old tariffs are whole cents (validation)
RATE_DECIMALS = 4  # sibling rates: a percentage with two decimals, 12,34 % (validation)


def excel_round(x: float, digits: int = 2) -> float:
    """ROUND(x, digits) with spreadsheet semantics, for one number."""
    if not np.isfinite(x) or abs(x) >= 1e15:
        return float(x)  # 15 significant digits leave no decimal to round
    d = Decimal(format(float(x), ".15g"))
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)) + 0.0  # never -0.0


def decimal_places(x: float) -> int:
    """How many decimals ``x`` has as a spreadsheet reads it (15 significant
    digits): 617.35 has 2, 0.1234 has 4, 1.1 / 100 (0.011000000000000001)
    has 3. 0 for whole numbers and for non-finite values."""
    if not np.isfinite(x):
        return 0
    exponent = Decimal(format(float(x), ".15g")).normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite: not 'n', 'N' nor 'F'
    return max(0, -exponent)


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
