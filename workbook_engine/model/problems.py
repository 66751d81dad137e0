"""Problems found in input, and the one exception that carries them.

Every reader and validator collects *all* problems before failing, so a bursar
fixes a file in one pass. Messages are French: they are shown to bursars.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Literal, TypedDict

# error: the input cannot be used as it is; warning: used, but the bursar
# should look (a number typed as text); info: harmless, said for the record
# (extra spaces in a choice, a blank row between families).
Severity = Literal["error", "warning", "info"]


class ProblemJSON(TypedDict):
    """A problem as JSON (:meth:`Problem.as_dict`)."""

    severity: Severity
    source: str
    where: str
    cell: str
    label: str
    family: str | None
    grid: int | None
    field: str
    value: str | int | float | bool | None
    message: str


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or merely odd) in an input.

    ``where`` locates it for a human: a family id, a grid, a CSV line and
    column or a workbook cell. ``source`` is the file, when there is one.
    The place is also kept as data, so that nothing parses ``where`` back:
    ``family`` (its id), ``grid`` (1-based), ``tranche`` (1-based line of the
    grid), ``param`` (a parameter's layout key), ``line`` (1-based line of a
    CSV file), and once a reader found the cell, ``cell`` ("Familles!B12")
    and ``label`` (the column header or the cell's French label, which
    replaces ``field`` in messages).
    """

    where: str
    field: str
    value: object
    message: str
    severity: Severity = "error"
    source: str = ""
    family: str | None = None
    grid: int | None = None
    tranche: int | None = None
    param: str | None = None
    line: int | None = None
    cell: str = ""
    label: str = ""

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        head = " : ".join(parts)
        if self.cell:
            what = f"valeur {show_value(self.value)}" if self.value not in (None, "") else ""
            body = " : ".join(p for p in (self.message, what) if p)
        else:
            what = f"{self.field} = {show_value(self.value)}" if self.field else ""
            body = " : ".join(p for p in (what, self.message) if p)
        return f"{head} : {body}" if head else body

    def with_source(self, source: str) -> Problem:
        return replace(self, source=source)

    def as_dict(self) -> ProblemJSON:
        return {
            "severity": self.severity,
            "source": self.source,
            "where": self.where,
            "cell": self.cell,
            "label": self.label,
            "family": self.family,
            "grid": self.grid,
            "field": self.field,
            "value": self.value if isinstance(self.value, (str, int, float, bool, type(None))) else repr(self.value),
            "message": self.message,
        }


class InputError(Exception):
    """Raised when an input cannot be used; holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(Exception):
    """A command that cannot be carried out as asked (message in French)."""


def family_where(family_id: str, number: int, id_count: int) -> str:
    """How a problem names a family: by id, and by its position too when the
    id is blank or shared by several families (so no two are confused)."""
    if not family_id:
        return f"famille n°{number}"
    return f"famille {family_id}" if id_count <= 1 else f"famille {family_id} (n°{number})"


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


# Characters a bursar cannot see or tell apart, named in words.
_CHAR_WORDS = {
    "\u00a0": "espace insécable",
    "\u202f": "espace fine insécable",
    "\u2009": "espace fine",
    "\u2007": "espace de chiffre",
    "\t": "tabulation",
    "\n": "retour à la ligne",
    "\r": "retour chariot",
    "\u200b": "espace sans chasse",
    "\ufeff": "marque d'ordre des octets",
    "\u2212": "signe moins typographique",
    "\u00ad": "trait d'union conditionnel",
}


def describe_text(text: str, limit: int = 80) -> str:
    """A text as a bursar can read it: « … », invisible or look-alike
    characters named in words after it, control characters never printed."""
    shown, odd = [], []
    for ch in text[:limit]:
        word = _CHAR_WORDS.get(ch)
        if word is None and (unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn")):
            word = f"caractère invisible U+{ord(ch):04X}"
        if word is not None:
            odd.append(word)
            shown.append(" " if "espace" in word or ch in "\t" else "?")
        else:
            shown.append(ch)
    out = "« " + "".join(shown) + ("…" if len(text) > limit else "") + " »"
    if text != text.strip(" ") and text.strip(" "):
        odd.append("espace en trop " + ("au début" if text.startswith(" ") else "à la fin"))
    if odd:
        out += " (" + ", ".join(dict.fromkeys(odd)) + ")"
    return out


def show_value(value: object) -> str:
    """A value in a message: text described in words, numbers as a French
    spreadsheet shows them (1 234,5), lists item by item; never a Python repr."""
    if isinstance(value, str):
        return describe_text(value)
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float):
        text = f"{value:,.10g}" if abs(value) < 1e15 else f"{value:.6g}"
        return text.replace(",", "\u202f").replace(".", ",")
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if isinstance(value, (list, tuple)):
        return "[" + " ; ".join(show_value(v) for v in value) + "]"
    if value is None:
        return "vide"
    return describe_text(str(value))
