"""TEXT(value, format): the common number and date format codes, English
and French.

A format code inside a formula is a plain string: Excel stores it as the
bursar typed it, so a French workbook holds ``"# ##0,00"`` and
``"jj/mm/aaaa"`` where an English one holds ``"#,##0.00"`` and
``"dd/mm/yyyy"``. The locale (``--locale``) decides the decimal separator
and the thousands separator read in the code and written in the result
(fr: "," and a space, written U+202F as French Windows and Excel since 2019;
en: "." and ","), the day and month names, and the date letters (fr: j, a
for day and year; d and y are read too). A French code holding a "." was
written the English way ("0.00", "#,##0.00": a workbook from an English
Excel) and is read so, the result written the French way.

Supported: sections ``pos;neg;zero;text``, ``0 # ?`` placeholders, decimals,
thousands grouping, ``%``, ``E+00`` exponents, quoted text, ``\\x`` escapes,
``_x`` spaces, ``*x`` fills (dropped), ``[Red]``-style colours and
``[$€-40C]`` currency tags (the symbol kept), ``@``; dates and times ``d dd
ddd dddd m mm mmm mmmm yy yyyy h hh m mm s ss AM/PM``, ``[h]``. Rounding is
half away from zero on the value read at 15 significant digits (TEXT(2.675,
"0.00") is "2.68", as in Excel). Codes beyond 255 characters are #VALUE!
(Excel's own limit).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from workbook_engine.evaluator.values import VALUE, ExcelError, number_to_text

MAX_FORMAT = 255
_GROUP_OUT = {"fr": "\u202f", "en": ","}
_DECIMAL = {"fr": ",", "en": "."}
_MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
}
_MONTHS_SHORT = {
    "en": [m[:3] for m in _MONTHS["en"]],
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(),
}
_DAYS = {  # Monday first (datetime.weekday)
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
}
_DAYS_SHORT = {"en": [d[:3] for d in _DAYS["en"]], "fr": "lun. mar. mer. jeu. ven. sam. dim.".split()}


def _sections(code: str) -> list[str]:
    out, cur, i, quoted = [], [], 0, False
    while i < len(code):
        ch = code[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and not quoted and i + 1 < len(code):
            cur.append(code[i : i + 2])
            i += 2
            continue
        elif ch == ";" and not quoted:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _tokens(section: str) -> list[tuple[str, str]]:
    """(kind, text): "lit" literal text, "ph" a placeholder or code letter run."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = len(section) if j < 0 else j
            out.append(("lit", section[i + 1 : j]))
            i = j + 1
        elif ch == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
        elif ch == "_" and i + 1 < len(section):
            out.append(("lit", " "))
            i += 2
        elif ch == "*" and i + 1 < len(section):
            i += 2
        elif section[i : i + 5].upper() == "AM/PM":
            out.append(("ampm", section[i : i + 5]))
            i += 5
        elif ch == "[":
            j = section.find("]", i)
            j = len(section) if j < 0 else j
            tag = section[i + 1 : j]
            if tag.startswith("$"):
                out.append(("lit", tag[1:].split("-")[0]))
            elif tag.lower() in ("h", "hh", "m", "mm", "s", "ss"):
                out.append(("elapsed", tag.lower()))
            i = j + 1
        else:
            out.append(("ph", ch))
            i += 1
    return out


_DATE_LETTERS = set("dmyhsjaDMYHSJA")


def _is_date(tokens: list[tuple[str, str]]) -> bool:
    return any(k in ("elapsed", "ampm") or (k == "ph" and t in _DATE_LETTERS) for k, t in tokens)


def format_value(value: float | str, code: str, locale: str) -> str | ExcelError:
    """``value`` (a number, or text) shown with the format ``code``."""
    if len(code) > MAX_FORMAT:
        return VALUE
    if code.strip().lower() in ("general", "standard"):
        return value if isinstance(value, str) else number_to_text(value)
    sections = _sections(code)
    if isinstance(value, str):
        if len(sections) >= 4:
            return sections[3].replace('"', "").replace("@", value)
        if "@" in code and len(sections) == 1:
            return "".join(t if k == "lit" else (value if t == "@" else t) for k, t in _tokens(code))
        return value
    x = value
    section, negative_sign = sections[0], x < 0
    if len(sections) >= 2 and x < 0:
        section, negative_sign, x = sections[1], False, -x
    elif len(sections) >= 3 and x == 0:
        section = sections[2]
    tokens = _tokens(section)
    if _is_date(tokens):
        if x < 0:
            return VALUE
        return ("-" if negative_sign else "") + _format_date(x, tokens, locale)
    text = _format_number(abs(x) if negative_sign else x, tokens, locale)
    return ("-" if negative_sign else "") + text


def _format_number(x: float, tokens: list[tuple[str, str]], locale: str) -> str:
    phs = "".join(t if k == "ph" else "\x00" for k, t in tokens)
    # A French code with a "." was written the English way (a workbook from
    # an English Excel, "0.00", "#,##0.00"): read it so, write French.
    reading = "en" if locale == "fr" and "." in phs else locale
    decimal_in = _DECIMAL[reading]
    group_in = {" ", "\u00a0", "\u202f"} if reading == "fr" else {","}
    percent = phs.count("%")
    x = x * 100**percent
    digit = set("0#?")
    first = next((i for i, (k, t) in enumerate(tokens) if k == "ph" and t in digit), None)
    if first is None:  # no placeholder: literal text only
        return "".join(t for _, t in tokens)
    last = max(i for i, (k, t) in enumerate(tokens) if k == "ph" and (t in digit))
    # the number's own run: from the first to the last placeholder
    run = tokens[first : last + 1]
    exp_at = next(
        (i for i, (k, t) in enumerate(run) if k == "ph" and t in "eE" and i + 1 < len(run) and run[i + 1][1] in "+-"),
        None,
    )
    mantissa = run if exp_at is None else run[:exp_at]
    int_ph: list[str] = []
    frac_ph: list[str] = []
    grouping = False
    seen_dot = False
    lits_int: list[tuple[int, str]] = []  # literals inside the integer part (rare): kept after
    for k, t in mantissa:
        if k == "ph" and t == decimal_in and not seen_dot:
            seen_dot = True
        elif k == "ph" and t in digit:
            (frac_ph if seen_dot else int_ph).append(t)
        elif k == "ph" and t in group_in and not seen_dot:
            grouping = True
        else:
            lits_int.append((len(int_ph), t))
    decimals = len(frac_ph)
    if exp_at is not None:
        exp_digits = sum(1 for k, t in run[exp_at + 2 :] if k == "ph" and t in digit)
        body = _scientific(x, len([p for p in int_ph if p == "0"]) or 1, decimals, exp_digits, run[exp_at + 1][1])
        body = body.replace(".", _DECIMAL[locale])
    else:
        q = Decimal(format(x, ".15g")).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        s = format(abs(q), "f")
        int_part, _, frac_part = s.partition(".")
        min_int = sum(1 for p in int_ph if p == "0")
        int_part = int_part.lstrip("0")
        int_part = int_part.rjust(min_int, "0")
        if grouping and int_part:
            rev = int_part[::-1]
            int_part = _GROUP_OUT[locale].join(rev[i : i + 3] for i in range(0, len(rev), 3))[::-1]
        # optional decimals (#) drop trailing zeros
        keep = len(frac_part)
        while keep > 0 and frac_ph[keep - 1] == "#" and frac_part[keep - 1] == "0":
            keep -= 1
        frac_part = frac_part[:keep]
        body = int_part + ((_DECIMAL[locale] + frac_part) if (frac_part or seen_dot and decimals == 0) else "")
        if seen_dot and not frac_part and decimals:
            body = int_part + _DECIMAL[locale]
        if q < 0:
            body = "-" + body
        for _pos, lit in lits_int:
            body += lit
    before = "".join(t for _, t in tokens[:first])
    after = "".join(t for _, t in tokens[last + 1 :])
    return before + body + after


def _scientific(x: float, int_digits: int, decimals: int, exp_digits: int, sign: str) -> str:
    if x == 0:
        mant, exp = Decimal(0), 0
    else:
        d = Decimal(format(x, ".15g"))
        exp = d.adjusted() - (int_digits - 1)
        mant = d.scaleb(-exp)
    q = mant.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if abs(q) >= Decimal(10) ** int_digits:  # 9.99 rounded up to 10.0
        exp += 1
        q = (mant / 10).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    exp_sign = "-" if exp < 0 else ("+" if sign == "+" else "")
    return f"{format(q, 'f')}E{exp_sign}{str(abs(exp)).zfill(max(exp_digits, 1))}"


def _from_serial(x: float) -> tuple[datetime.date, float]:
    """The date of a 1900-system serial (60 is the fictitious 29 Feb 1900,
    shown as 28 Feb here) and the time of day as a fraction."""
    days = int(x)
    frac = x - days
    if days >= 61:
        d = datetime.date(1899, 12, 30) + datetime.timedelta(days=days)
    elif days >= 1:
        d = datetime.date(1899, 12, 31) + datetime.timedelta(days=days if days < 60 else 59)
    else:
        d = datetime.date(1900, 1, 1)
    return d, frac


def _format_date(x: float, tokens: list[tuple[str, str]], locale: str) -> str:
    # round to the second first, as Excel shows times
    seconds_total = round(x * 86400)
    days, secs = divmod(seconds_total, 86400)
    d, _ = _from_serial(float(days))
    day_of_month = 0 if days == 0 else (29 if days == 60 else d.day)
    hour, rem = divmod(secs, 3600)
    minute, second = divmod(rem, 60)
    # group letters into codes ("yyyy", "mm"...), fr letters mapped
    codes: list[tuple[str, str]] = []
    for k, t in tokens:
        if k == "ph" and t in _DATE_LETTERS:
            letter = {"j": "d", "a": "y"}.get(t.lower(), t.lower())
            if codes and codes[-1][0] == "code" and codes[-1][1][0] == letter:
                codes[-1] = ("code", codes[-1][1] + letter)
            else:
                codes.append(("code", letter))
        else:
            codes.append((k, t))
    ampm = any(k == "ampm" for k, _ in codes)
    out: list[str] = []
    for i, (k, t) in enumerate(codes):
        if k == "elapsed":  # [h]: hours past 24
            if t[0] == "h":
                out.append(str(days * 24 + hour).zfill(len(t)))
            elif t[0] == "m":
                out.append(str((days * 24 + hour) * 60 + minute).zfill(len(t)))
            else:
                out.append(str(seconds_total).zfill(len(t)))
            continue
        if k == "ampm":
            mark = "AM" if hour < 12 else "PM"
            out.append(mark if t[0].isupper() else mark.lower())
            continue
        if k != "code":
            out.append(t)
            continue
        c = t[0]
        if c == "y":
            out.append(str(d.year) if len(t) > 2 else str(d.year)[-2:])
        elif c == "d":
            if len(t) >= 4:
                out.append(_DAYS[locale][d.weekday()])
            elif len(t) == 3:
                out.append(_DAYS_SHORT[locale][d.weekday()])
            else:
                out.append(str(day_of_month).zfill(len(t)))
        elif c == "h":
            h = hour % 12 or 12 if ampm else hour
            out.append(str(h).zfill(min(len(t), 2)))
        elif c == "s":
            out.append(str(second).zfill(min(len(t), 2)))
        elif c == "m":
            if len(t) <= 2 and _is_minute(codes, i):
                out.append(str(minute).zfill(len(t)))
            elif len(t) >= 4:
                out.append(_MONTHS[locale][d.month - 1])
            elif len(t) == 3:
                out.append(_MONTHS_SHORT[locale][d.month - 1])
            else:
                out.append(str(d.month).zfill(len(t)))
    return "".join(out)


def _is_minute(codes: list[tuple[str, str]], i: int) -> bool:
    """An m right after an h code, or right before an s code, is minutes."""
    for j in range(i - 1, -1, -1):
        if codes[j][0] in ("code", "elapsed"):
            return codes[j][1][0] == "h"
    for j in range(i + 1, len(codes)):
        if codes[j][0] == "code":
            return codes[j][1][0] == "s"
    return False
