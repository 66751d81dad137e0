"""French typography of the published documents.

Money is written as ``model.french.eur`` writes it (a narrow no-break space
U+202F between thousands, a decimal comma, "€" after the amount), with one
change for documents: the space before "€" or "%" is a no-break space
(U+00A0), so a line never starts with the unit. The article's bounds and
amounts drop ",00" when they are whole euros ("6 000 €"); the notices keep
the cents, the model's figures to the cent. Dates are written in French
("15 septembre 2027", "1er octobre 2027").
"""

from __future__ import annotations

import datetime as dt
import re

from workbook_engine.model.french import CONTROL_PICTURES, eur
from workbook_engine.model.money import excel_round

NBSP = "\u00a0"  # before € and %
NNBSP = "\u202f"  # between groups of thousands (as eur() writes them)

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


_BEFORE = re.compile(r" ([:;!?»])")
_AFTER = re.compile(r"« ")


# Control characters (C0 but tab and line feed, DEL, C1) a workbook's text
# may carry (« OGEC \x1b[2J… »): a document cannot hold them (python-docx
# refuses them, a PDF would show boxes), and they mean nothing on paper:
# dropped, not pictured.
_DROP_CONTROLS: dict[int, None] = {c: None for c in CONTROL_PICTURES if chr(c) not in "\t\n"}


def printable(text: str) -> str:
    """``text`` without control characters: every text a publication
    writes (documents and the mail-merge CSV) passes here."""
    return text.translate(_DROP_CONTROLS)


def french_spacing(text: str) -> str:
    """A document's text: printable, with no-break spaces where French
    typography wants them (before : ; ! ? » and after «, so a line never
    starts with the sign)."""
    return _AFTER.sub("«" + NBSP, _BEFORE.sub(NBSP + r"\1", printable(text)))


def money(x: float) -> str:
    """An amount to the cent: "1 234,50 €" (no-break spaces)."""
    return eur(excel_round(x, 2)).replace(" €", NBSP + "€")


def money_short(x: float) -> str:
    """An amount without ",00" when it is whole euros: "6 000 €", "562,50 €"."""
    text = money(x)
    return text.replace(",00" + NBSP + "€", NBSP + "€")


def number(x: float) -> str:
    """A count or a number of parts: "4", "2,5", "1 234,75"."""
    x = excel_round(x, 2)
    if x == int(x):
        return f"{int(x):,}".replace(",", NNBSP)
    return f"{x:,.2f}".rstrip("0").replace(",", NNBSP).replace(".", ",")


def rate(x: float) -> str:
    """A sibling rate or a share: 0.1 -> "10 %", 0.125 -> "12,5 %"."""
    return number(x * 100) + NBSP + "%"


def effort(x: float) -> str:
    """An effort rate to a tenth of a percent, as the workbook shows it: "4,2 %"."""
    return f"{excel_round(x * 100, 1):.1f}".replace(".", ",") + NBSP + "%"


def ordinal(n: int) -> str:
    """1er, 2e, 3e..."""
    return "1er" if n == 1 else f"{n}e"


def french_date(d: dt.date) -> str:
    """15 septembre 2027; 1er octobre 2027."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTHS[d.month - 1]} {d.year}"


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FRENCH = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_date(text: str) -> dt.date:
    """A date as a bursar types it: 2027-09-15, 15/09/2027, 15.09.2027 or
    15-09-2027. ValueError (French message) otherwise."""
    text = text.strip()
    if m := _ISO.fullmatch(text):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _FRENCH.fullmatch(text):
        d, mo, y = (int(g) for g in m.groups())
    else:
        raise ValueError("date attendue sous la forme 15/09/2027 ou 2027-09-15")
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise ValueError("cette date n'existe pas") from None
