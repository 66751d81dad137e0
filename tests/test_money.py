"""Spreadsheet ROUND: read the double at 15 significant digits, then round half
away from zero (SPEC: "Python's round() is half-to-even: do not use it")."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

import numpy as np
import pytest

from workbook_engine.model.money import excel_round, excel_round_array

# (x, digits, what ROUND(x, digits) shows in Excel / LibreOffice)
KNOWN = [
    (2.675, 2, 2.68),  # the double is 2.67499999999999982...
    (1.005, 2, 1.01),  # the double is 1.00499999999999989...
    (271.465, 2, 271.47),  # the double is 271.46499999999997...
    (-2.675, 2, -2.68),  # half away from zero, not towards +inf
    (-1.005, 2, -1.01),
    (0.125, 2, 0.13),  # an exact binary half: half-even would give 0.12
    (-0.125, 2, -0.13),
    (0.135, 2, 0.14),
    (50.025, 2, 50.03),
    (150.075, 2, 150.08),
    (1234.5, 0, 1235.0),
    (2.5, 0, 3.0),  # round() gives 2
    (-2.5, 0, -3.0),
    (0.0, 2, 0.0),
    (12.344999, 2, 12.34),
    (12.3450001, 2, 12.35),
    (1140.0, 2, 1140.0),
]


@pytest.mark.parametrize("x, digits, expected", KNOWN)
def test_excel_round_known_values(x, digits, expected):
    assert excel_round(x, digits) == expected


@pytest.mark.parametrize("x, digits, expected", KNOWN)
def test_excel_round_array_known_values(x, digits, expected):
    out = excel_round_array(np.array([x]), digits)
    assert out.tolist() == [expected]


def test_python_round_would_be_wrong_on_these():
    # Guards the guard: if Python's round agreed, the cases above would prove nothing.
    assert round(2.675, 2) == 2.67
    assert round(1.005, 2) == 1.0
    assert round(271.465, 2) == 271.46
    assert round(100.05 * 0.5, 2) == 50.02


def test_nan_and_infinity():
    assert math.isnan(excel_round(float("nan")))
    assert excel_round(float("inf")) == float("inf")
    out = excel_round_array(np.array([np.nan, 1.005, np.nan]))
    assert math.isnan(out[0]) and math.isnan(out[2]) and out[1] == 1.01


def test_array_never_returns_negative_zero():
    out = excel_round_array(np.array([-0.001, -0.004999, -0.0]))
    assert out.tolist() == [0.0, 0.0, 0.0]
    assert all(math.copysign(1.0, v) == 1.0 for v in out)


def test_array_keeps_shape_2d():
    x = np.array([[2.675, 1.005], [-2.675, 271.465]])
    assert excel_round_array(x).tolist() == [[2.68, 1.01], [-2.68, 271.47]]


_CTX15 = Context(prec=15, rounding=ROUND_HALF_EVEN)


def reference_round(x: float, digits: int = 2) -> float:
    """Independent reference: Decimal of repr(x), kept to 15 significant
    digits, then ROUND_HALF_UP (half away from zero for Decimal)."""
    d = _CTX15.plus(Decimal(repr(x)))
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def _cent_ish_values() -> np.ndarray:
    rng = np.random.default_rng(20262027)
    parts = [
        # exact half cents (every one a tie at 15 digits), both signs
        rng.integers(-(10**8), 10**8, 1500) / 1000.0,
        rng.integers(0, 10**6, 500) / 100.0 + 0.005,
        -(rng.integers(0, 10**6, 300) / 100.0 + 0.005),
        # what the model rounds: an amount in cents x a paying factor
        (rng.integers(0, 500_000, 1000) / 100.0) * (rng.integers(0, 5, 1000) - rng.integers(0, 101, 1000) / 100.0),
        # amounts with three decimals, times small integers
        (rng.integers(0, 10**7, 500) / 1000.0) * rng.integers(1, 6, 500),
        # arbitrary floats
        rng.uniform(-1e5, 1e5, 500),
        rng.uniform(-1, 1, 200),
    ]
    return np.concatenate(parts)


def test_scalar_and_array_agree_with_reference_on_thousands_of_values():
    xs = _cent_ish_values()
    assert len(xs) > 4000
    arr = excel_round_array(xs, 2)
    scalar = [excel_round(float(x), 2) for x in xs]
    ref = [reference_round(float(x), 2) for x in xs]
    mismatches_scalar = [(x, s, r) for x, s, r in zip(xs.tolist(), scalar, ref) if s != r]
    mismatches_array = [(x, a, r) for x, a, r in zip(xs.tolist(), arr.tolist(), ref) if a != r]
    assert mismatches_scalar == []
    assert mismatches_array == []


@pytest.mark.parametrize("digits", [0, 1, 3, 6])
def test_other_digit_counts_agree(digits):
    rng = np.random.default_rng(digits)
    xs = np.concatenate([rng.integers(-(10**7), 10**7, 500) / 10.0 ** (digits + 1), rng.uniform(-1e4, 1e4, 500)])
    arr = excel_round_array(xs, digits)
    assert arr.tolist() == [reference_round(float(x), digits) for x in xs]
    assert arr.tolist() == [excel_round(float(x), digits) for x in xs]
