"""Dates and times: DATE, YEAR, MONTH, DAY, WEEKDAY, EDATE, EOMONTH, DAYS, TODAY,
HOUR, MINUTE, SECOND, TIME; serial numbers of the 1900
system (1 is 1 January 1900; Excel keeps Lotus's fictitious 29 February 1900
as serial 60, so serials from 61 on count from 30 December 1899). Text dates
("2026-09-01", "01/09/2026" in French) are read the locale's way."""

from __future__ import annotations

import calendar
import datetime
from typing import cast

from workbook_engine.evaluator.functions.scalar import integer, number, scalar
from workbook_engine.evaluator.values import NUM_ERR, VALUE, ExcelError, Value

_EPOCH = datetime.date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 31 December 9999


def serial_of(d: datetime.date) -> float:
    days = (d - _EPOCH).days
    return float(days if days >= 61 else days - 1)


def date_of(serial: float) -> tuple[int, int, int] | ExcelError:
    """(year, month, day) of a serial; 0 is "0 January 1900", 60 the 29th
    of February 1900, as Excel shows them."""
    if serial < 0 or serial > _MAX_SERIAL:
        return NUM_ERR
    days = int(serial)
    if days == 0:
        return (1900, 1, 0)
    if days == 60:
        return (1900, 2, 29)
    d = _EPOCH + datetime.timedelta(days=days if days > 60 else days + 1)
    return (d.year, d.month, d.day)


@scalar("DATE", 3, 3)
def fn_date(year: Value, month: Value, day: Value) -> Value:
    """DATE: a year below 1900 adds 1900; months and days past their range
    carry over (DATE(2026,14,1) is 1 February 2027, day 0 the last of the
    month before)."""
    y, m, d = integer(year), integer(month), integer(day)
    for x in (y, m, d):
        if isinstance(x, ExcelError):
            return x
    assert isinstance(y, int) and isinstance(m, int) and isinstance(d, int)
    if y < 0 or y >= 10000:
        return NUM_ERR
    if y < 1900:
        y += 1900
    y += (m - 1) // 12
    m = (m - 1) % 12 + 1
    if not 1900 <= y <= 9999:
        return NUM_ERR
    first = serial_of(datetime.date(y, m, 1))
    if y == 1900 and m > 2:  # past the fictitious 29 February 1900
        first = float((datetime.date(y, m, 1) - _EPOCH).days)
    serial = first + d - 1
    if serial < 0 or serial > _MAX_SERIAL:
        return NUM_ERR
    return serial


def _part(x: Value, index: int) -> Value:
    s = number(x)
    if isinstance(s, ExcelError):
        return s
    parts = date_of(s)
    return parts if isinstance(parts, ExcelError) else float(parts[index])


@scalar("YEAR", 1, 1)
def fn_year(x: Value) -> Value:
    return _part(x, 0)


@scalar("MONTH", 1, 1)
def fn_month(x: Value) -> Value:
    return _part(x, 1)


@scalar("DAY", 1, 1)
def fn_day(x: Value) -> Value:
    return _part(x, 2)


@scalar("WEEKDAY", 1, 2)
def fn_weekday(x: Value, kind: Value = 1.0) -> Value:
    """WEEKDAY: 1 (Sunday) to 7 by default; type 2: Monday 1, type 3: Monday 0."""
    s, k = number(x), integer(kind)
    if isinstance(s, ExcelError):
        return s
    if isinstance(k, ExcelError):
        return k
    if s < 0:
        return NUM_ERR
    sunday_first = (int(s) + 6) % 7  # serial 1 (1900-01-01, shown as a Sunday by Excel) -> 0
    if k == 1:
        return float(sunday_first + 1)
    if k == 2:
        return float((sunday_first + 6) % 7 + 1)
    if k == 3:
        return float((sunday_first + 6) % 7)
    return NUM_ERR if k > 3 else VALUE


@scalar("TODAY", 0, 0)
def fn_today() -> Value:
    """Today's serial (volatile: the day the workbook is evaluated)."""
    return serial_of(datetime.date.today())


def _month_shift(start: Value, months: Value, end_of_month: bool) -> Value:
    s, m = number(start), integer(months)
    if isinstance(s, ExcelError):
        return s
    if isinstance(m, ExcelError):
        return m
    parts = date_of(s)
    if isinstance(parts, ExcelError):
        return parts
    y, mo, d = parts
    total = y * 12 + (mo - 1) + m
    y, mo = divmod(total, 12)
    mo += 1
    if not 1900 <= y <= 9999:
        return NUM_ERR
    last = calendar.monthrange(y, mo)[1]
    return serial_of(datetime.date(y, mo, last if end_of_month else min(max(d, 1), last)))


@scalar("EDATE", 2, 2)
def fn_edate(start: Value, months: Value) -> Value:
    """EDATE: the same day ``months`` months later (the month's last day
    when it has fewer days)."""
    return _month_shift(start, months, False)


@scalar("EOMONTH", 2, 2)
def fn_eomonth(start: Value, months: Value) -> Value:
    """EOMONTH: the last day of the month ``months`` months later."""
    return _month_shift(start, months, True)


def _clock(x: Value) -> tuple[int, int, int] | ExcelError:
    """(hour, minute, second) of a serial's time of day, rounded to the second."""
    s = number(x)
    if isinstance(s, ExcelError):
        return s
    if s < 0:
        return NUM_ERR
    seconds = round((s - int(s)) * 86400) % 86400
    return seconds // 3600, seconds // 60 % 60, seconds % 60


@scalar("HOUR", 1, 1)
def fn_hour(x: Value) -> Value:
    c = _clock(x)
    return c if isinstance(c, ExcelError) else float(c[0])


@scalar("MINUTE", 1, 1)
def fn_minute(x: Value) -> Value:
    c = _clock(x)
    return c if isinstance(c, ExcelError) else float(c[1])


@scalar("SECOND", 1, 1)
def fn_second(x: Value) -> Value:
    c = _clock(x)
    return c if isinstance(c, ExcelError) else float(c[2])


@scalar("TIME", 3, 3)
def fn_time(hour: Value, minute: Value, second: Value) -> Value:
    """TIME: a fraction of a day (hours past 24 wrap, as Excel)."""
    parts = [integer(hour), integer(minute), integer(second)]
    for p in parts:
        if isinstance(p, ExcelError):
            return p
    h, m, s = (cast(int, p) for p in parts)
    total = h * 3600 + m * 60 + s
    if total < 0 or h > 32767:
        return NUM_ERR
    return (total % 86400) / 86400


@scalar("DAYS", 2, 2)
def fn_days(end: Value, start: Value) -> Value:
    """DAYS(end, start): whole days between two dates."""
    e, s = number(end), number(start)
    if isinstance(e, ExcelError):
        return e
    if isinstance(s, ExcelError):
        return s
    return float(int(e) - int(s))
