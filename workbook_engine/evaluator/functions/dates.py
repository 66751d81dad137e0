"""Dates: DATE, YEAR, MONTH, DAY, TODAY (serial numbers of the 1900 system)."""

from __future__ import annotations
