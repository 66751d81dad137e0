"""OpenFormula (ODF 1.2, ``of:=``) -> Excel A1 formula text.

An .ods file stores ``of:=IF([.A4]="";"";ROUND([.S4]*[$'Grille 1'.$B$3];2))``
where an .xlsx stores ``IF(A4="","",ROUND(S4*'Grille 1'!$B$3,2))``; the
evaluator parses the latter, so the .ods reader translates each formula:

* references in brackets: ``[.A1]`` -> ``A1``, ``[.A1:.B2]`` -> ``A1:B2``,
  ``[$Feuille.$A$1]`` -> ``Feuille!$A$1``, ``[$'Grille 1'.B3:.B12]`` ->
  ``'Grille 1'!B3:B12``, whole columns ``[.A:.A]`` and rows ``[.$2:.$3]``,
  3-D ``[$S1.A1:$S2.B2]`` -> ``S1:S2!A1:B2``; a reference to deleted cells
  (LibreOffice writes ``[#REF!]``, ``[.#REF!]``, ``[$#REF!.A1]``) and a
  reference into another file (``['file:///x.ods'#$S.A1]``: links are never
  followed) -> ``#REF!``;
* ``;`` separates arguments -> ``,``; inline arrays ``{1;2|3;4}`` (columns
  ``;``, rows ``|``) -> ``{1,2;3,4}``;
* ``~`` (union) -> ``,`` inside parentheses (Excel's union needs them in an
  argument list); ``!`` (intersection) -> a space;
* ``TRUE()`` / ``FALSE()`` -> ``TRUE`` / ``FALSE``; functions Excel knows
  under another name: ``COM.MICROSOFT.IFS`` -> ``_xlfn.IFS`` (the parser
  drops the ``_xlfn.`` prefix), ``LEGACY.NORMSDIST`` -> ``NORMSDIST``,
  ODF names of functions newer than Excel 2007 -> their ``_xlfn.`` names;
  other names (``ORG.OPENOFFICE.*``: LibreOffice's own) are kept, and the
  evaluator reports them as unsupported;
* string literals are kept verbatim (``""`` escapes included), and so is
  everything else (numbers, operators, names, error literals).

``msoxl:=`` formulas are already Excel text; ``oooc:=`` (OpenOffice 2) has
the bracket syntax of ``of:=``. A small tokenizer (one regular expression
whose alternatives cannot backtrack on each other) splits the text; the
formula length is bounded.

``FormulaTranslator`` caches translations by the formula's shape (its text
with each run of digits replaced): the 2,000 rows of a family column differ
only in their row numbers, so a column costs one translation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import cast

from workbook_engine.evaluator.refs import quote_sheet

MAX_FORMULA_CHARS = 16_384  # Excel's own limit is 8,192 characters


class FormulaError(ValueError):
    """An OpenFormula text this module refuses (message in French)."""


# One token per match; every alternative starts with a different character
# class (or is the single-character catch-all), so matching is linear.
_TOKEN = re.compile(
    r"""
      "[^"]*(?:""[^"]*)*"?                      # string literal ("" escapes; unterminated: to the end)
    | \[(?:[^\]']|'[^']*(?:''[^']*)*'?)*\]?      # reference in brackets (quoted names may hold ']')
    | [^\W\d][\w.]*                             # function or defined name (COM.MICROSOFT.IFS, DU_FAMILLE)
    | \d+(?:\.\d*)?(?:[eE][+-]?\d+)? | \.\d+(?:[eE][+-]?\d+)?   # number
    | \#[A-Za-z0-9/_]*[!?]?                     # error literal (#N/A, #DIV/0!, #REF!)
    | \s+                                       # spaces
    | <> | <= | >=                              # two-character operators
    | .                                         # anything else, one character
""",
    re.VERBOSE | re.DOTALL,
)

# Function names (upper case, as LibreOffice writes them) whose Excel name
# differs. Excel 2010+ functions carry "_xlfn." in a file, as Excel writes them.
_XLFN = (
    "IFNA",
    "XOR",
    "DAYS",
    "ISOWEEKNUM",
    "SHEET",
    "SHEETS",
    "ARABIC",
    "BASE",
    "DECIMAL",
    "COMBINA",
    "PERMUTATIONA",
    "GAMMA",
    "GAUSS",
    "PHI",
    "RRI",
    "PDURATION",
    "BITAND",
    "BITOR",
    "BITXOR",
    "BITLSHIFT",
    "BITRSHIFT",
    "UNICHAR",
    "UNICODE",
    "NUMBERVALUE",
    "ISFORMULA",
    "ERFC.PRECISE",
    "ERF.PRECISE",
    "ACOT",
    "ACOTH",
    "COT",
    "COTH",
    "CSC",
    "CSCH",
    "SEC",
    "SECH",
    "IMCOT",
    "IMCSC",
    "IMCSCH",
    "IMSEC",
    "IMSECH",
    "IMSINH",
    "IMCOSH",
    "IMTAN",
)
FUNCTION_NAMES: dict[str, str] = {name: "_xlfn." + name for name in _XLFN}
FUNCTION_NAMES.update(
    {
        "FORMULA": "_xlfn.FORMULATEXT",
        "SKEWP": "_xlfn.SKEW.P",
        "COM.MICROSOFT.CEILING": "CEILING",  # Excel's own CEILING / FLOOR (Excel 2007)
        "COM.MICROSOFT.FLOOR": "FLOOR",
    }
)
_PREFIX_RULES = (
    ("COM.MICROSOFT.", "_xlfn."),  # functions Excel added after 2007: IFS, MAXIFS, CONCAT...
    ("LEGACY.", ""),  # Excel 2007 names of functions ODF renamed: LEGACY.NORMSDIST...
    ("COM.SUN.STAR.SHEET.ADDIN.ANALYSIS.GET", ""),
)  # OpenOffice's Analysis add-in: ...GETEDATE


def function_name(odf_name: str) -> str:
    """The Excel name of an OpenFormula function (upper case)."""
    name = odf_name.upper()
    mapped = FUNCTION_NAMES.get(name)
    if mapped is not None:
        return mapped
    for prefix, replacement in _PREFIX_RULES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return replacement + name[len(prefix) :]
    return name


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------

_COLUMN_ROW = re.compile(r"(\$?)([A-Za-z]{0,3})(\$?)(\d{0,7})")


def _split_unquoted(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` outside single-quoted names ('' escapes)."""
    parts, start, quoted = [], 0, False
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted  # '' toggles twice: an escaped quote stays inside
        elif ch == sep and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _unquote(name: str) -> str | None:
    """A sheet name as written in a reference ($ dropped, quotes removed)."""
    name = name.removeprefix("$")
    if name.startswith("'"):
        if len(name) < 2 or not name.endswith("'"):
            return None
        return name[1:-1].replace("''", "'")
    return name


def _point(text: str, shift: tuple[int, int] | None) -> tuple[str | None, str] | None:
    """One end of a reference, "[$Sheet].$A$1" (or a column / row alone):
    (sheet or None, Excel address). None when it is not a reference."""
    parts = _split_unquoted(text, ".")
    if len(parts) < 2:
        return None
    sheet_text, address = ".".join(parts[:-1]), parts[-1]
    sheet = _unquote(sheet_text) if sheet_text else None
    if sheet_text and not sheet:
        return None
    m = _COLUMN_ROW.fullmatch(address)
    if m is None or not (m.group(2) or m.group(4)) or (m.group(3) and not m.group(4)):
        return None
    col_abs, letters, row_abs, digits = m.groups()
    letters = letters.upper()
    if shift is not None:  # a relative part of a defined name: relative to the name's base cell
        letters, digits = _shifted(letters, col_abs, digits, row_abs, shift)
    return sheet, f"{col_abs}{letters}{row_abs}{digits}"


def _shifted(letters: str, col_abs: str, digits: str, row_abs: str, shift: tuple[int, int]) -> tuple[str, str]:
    """Move the relative parts of an address by ``-shift`` (base row, base
    column), wrapping round the sheet as Excel does for defined names."""
    from workbook_engine.evaluator.refs import MAX_COL, MAX_ROW, col_index, col_letters

    base_row, base_col = shift
    if digits and not row_abs and base_row:
        digits = str((int(digits) - 1 - base_row) % MAX_ROW + 1)
    if letters and not col_abs and base_col:
        letters = col_letters((col_index(letters) - base_col) % MAX_COL)
    return letters, digits


def translate_reference(inner: str, shift: tuple[int, int] | None = None) -> str:
    """The inside of an OpenFormula reference (or a named range's
    ``cell-range-address``) as Excel text; ``#REF!`` when it points at
    deleted cells or into another file."""
    if "#" in inner:  # "#REF!" (deleted cells) or 'file'#$Sheet.A1 (another file)
        return "#REF!"
    ends = _split_unquoted(inner.strip(), ":")
    if len(ends) > 2:
        return "#REF!"
    points = [_point(end, shift) for end in ends]
    if any(p is None for p in points):
        return "#REF!"
    (sheet, first), *rest = cast("list[tuple[str | None, str]]", points)  # none is None
    if not rest:
        return first if sheet is None else f"{quote_sheet(sheet)}!{first}"
    sheet2, second = rest[0]
    if sheet2 is None or sheet2 == sheet or sheet is None:
        prefix = "" if sheet is None else quote_sheet(sheet) + "!"
        return f"{prefix}{first}:{second}"
    both = f"{sheet}:{sheet2}"  # 3-D reference: Sheet1:Sheet3!A1:B2
    plain = quote_sheet(sheet) == sheet and quote_sheet(sheet2) == sheet2
    return f"{both if plain else quote_sheet(both)}!{first}:{second}"


def translate_range_address(address: str, base: str | None = None) -> str:
    """A named range's ``table:cell-range-address`` ("$Familles.$A$4:.$A$2003")
    as a defined name's text ("Familles!$A$4:$A$2003"); relative parts are
    taken relative to ``base`` (``table:base-cell-address``) as Excel takes
    them relative to A1."""
    address = address.strip()
    if not address or "#" in address:
        return "#REF!"
    return translate_reference(address, _base_shift(base))


def _base_shift(base: str | None) -> tuple[int, int] | None:
    """(row, column) of a base cell address ("$Feuille.$B$3"), None for A1."""
    if not base:
        return None
    point = _point(base.strip(), None)
    if point is None:
        return None
    m = _COLUMN_ROW.fullmatch(point[1])
    if m is None or not m.group(2) or not m.group(4):
        return None
    from workbook_engine.evaluator.refs import col_index

    row, col = int(m.group(4)) - 1, col_index(m.group(2).upper())
    return None if (row, col) == (0, 0) else (row, col)


# ---------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------


def split_namespace(formula: str) -> tuple[str, str]:
    """("of", "=SUM(...)") from "of:=SUM(...)"; ("", text) without prefix."""
    head, colon, rest = formula.partition(":")
    if (
        colon
        and head
        and head.replace("-", "").replace("_", "").replace(".", "").isalnum()
        and not head.startswith("=")
        and rest.lstrip().startswith("=")
    ):
        return head.lower(), rest
    return "", formula


def translate(formula: str, base: str | None = None) -> str:
    """An OpenFormula formula ("of:=SUM([.A1:.B2];1)") as Excel text with
    its "=" ("=SUM(A1:B2,1)"). ``base``: the base cell of a named
    expression (its relative references are relative to it). Raises
    :class:`FormulaError` for a formula longer than MAX_FORMULA_CHARS."""
    if len(formula) > MAX_FORMULA_CHARS:
        raise FormulaError(f"formule de plus de {MAX_FORMULA_CHARS:,} caractères".replace(",", " "))
    namespace, body = split_namespace(formula)
    body = body.lstrip()
    body = body.removeprefix("=")
    if namespace == "msoxl":  # Excel's own syntax (Excel 2007 SP2 writing ODF)
        return "=" + body
    return "=" + _translate_body(body, _base_shift(base))


def _translate_body(body: str, shift: tuple[int, int] | None) -> str:
    tokens = _TOKEN.findall(body)
    out: list[str] = []
    kinds: list[str] = []  # per output token: "ref", "name", "func", "(", ")", "~", "!", ":", "sep", " ", ""
    array_depth = 0
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        first = tok[0]
        i += 1
        if first == "[":
            out.append(translate_reference(tok[1:-1] if tok.endswith("]") else tok[1:], shift))
            kinds.append("ref")
        elif first == '"' or first == "#" or first.isdigit() or (first == "." and len(tok) > 1):
            out.append(tok.upper() if first == "#" else tok)
            kinds.append("")
        elif first == ";":
            out.append(",")
            kinds.append("sep")
        elif first == "|" and array_depth:
            out.append(";")
            kinds.append("sep")
        elif first == "{":
            array_depth += 1
            out.append(tok)
            kinds.append("")
        elif first == "}":
            array_depth = max(0, array_depth - 1)
            out.append(tok)
            kinds.append("")
        elif first.isalpha() or first == "_":
            if i < n and tokens[i] == "(":
                name = tok.upper()
                if name in ("TRUE", "FALSE") and i + 1 < n and tokens[i + 1] == ")":
                    out.append(name)  # TRUE() -> the logical constant
                    kinds.append("")
                    i += 2
                    continue
                out.append(function_name(tok))
                kinds.append("func")
            else:
                out.append(tok)
                kinds.append("name")
        elif first in "()~!:":
            out.append(" " if first == "!" else tok)
            kinds.append(first)
        elif first.isspace():
            out.append(tok)
            kinds.append(" ")
        else:
            out.append(tok)
            kinds.append("")
    if "~" in kinds:
        _unions(out, kinds)
    return "".join(out)


# -- unions --------------------------------------------------------------------


def _unions(out: list[str], kinds: list[str]) -> None:
    """``A~B~C`` -> ``(A,B,C)``: Excel's union is a comma, so it must stand in
    its own parentheses (unless it already does) to stay out of an argument
    list. An operand is a reference expression: references, names,
    parenthesised groups and function calls joined by ':' or '!'."""
    i = 0
    while i < len(kinds):
        if kinds[i] != "~":
            i += 1
            continue
        start = _operand_start(kinds, i - 1)
        end = i
        while end < len(kinds) and kinds[end] == "~":
            out[end] = ","
            end = _operand_end(kinds, end + 1)  # index just past the operand
        before = _skip_spaces(kinds, start - 1, -1)
        after = _skip_spaces(kinds, end, 1)
        enclosed = (
            before >= 0
            and kinds[before] == "("
            and (before == 0 or kinds[before - 1] != "func")
            and after < len(kinds)
            and kinds[after] == ")"
        )
        if not enclosed and start >= 0:
            out.insert(end, ")")
            kinds.insert(end, ")")
            out.insert(start, "(")
            kinds.insert(start, "(")
            end += 2
        i = end


def _skip_spaces(kinds: list[str], i: int, step: int) -> int:
    while 0 <= i < len(kinds) and kinds[i] == " ":
        i += step
    return i


def _operand_start(kinds: list[str], i: int) -> int:
    """Index of the first token of the reference expression ending at ``i``."""
    while True:
        i = _skip_spaces(kinds, i, -1)
        if i < 0:
            return 0
        if kinds[i] == ")":
            depth = 0
            while i >= 0:
                depth += kinds[i] == ")"
                depth -= kinds[i] == "("
                if depth == 0:
                    break
                i -= 1
            if i > 0 and kinds[i - 1] == "func":
                i -= 1
        elif kinds[i] not in ("ref", "name", ""):
            return i + 1
        j = _skip_spaces(kinds, i - 1, -1)
        if j >= 0 and kinds[j] in (":", "!"):
            i = j - 1
            continue
        return i


def _operand_end(kinds: list[str], i: int) -> int:
    """Index just past the reference expression starting at ``i``."""
    n = len(kinds)
    while True:
        i = _skip_spaces(kinds, i, 1)
        if i >= n:
            return n
        if kinds[i] == "func":
            i += 1
        if i < n and kinds[i] == "(":
            depth = 0
            while i < n:
                depth += kinds[i] == "("
                depth -= kinds[i] == ")"
                if depth == 0:
                    break
                i += 1
        elif i < n and kinds[i] not in ("ref", "name", ""):
            return i
        j = _skip_spaces(kinds, i + 1, 1)
        if j < n and kinds[j] in (":", "!"):
            i = j + 1
            continue
        return min(i + 1, n)


# ---------------------------------------------------------------------------
# Translation by shape (the speed of a column of 2,000 formulas)
# ---------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
_DIGITS_TO_ONES = bytes.maketrans(b"0123456789", b"1111111111")
_MARK = 1_000_000  # digit run i of a shape is translated as the number _MARK + i
_CACHE_SIZE = 4096

# A shape's digit runs, picked from a formula of that shape (None: no slot).
_Pick = Callable[[str], tuple[str, ...]]


class FormulaTranslator:
    """``translator(formula)`` = ``translate(formula)``, cached by shape.

    A formula's shape is its text with every digit made a "1" (computed in C:
    the rows of a column share a few shapes). The first formula of a shape
    is translated with its runs of digits numbered (1000000, 1000001...);
    when they come out in the same order, none dropped or merged, the
    translation is a template whose slots take each cell's own runs of
    digits, picked at their fixed positions. Translation never looks at the
    value of digits, only at where they stand, so this is exact; a shape
    whose runs do not come out in order (a reference to deleted cells drops
    its row number, a 3-D reference moves its sheet's digits) is translated
    directly, cell by cell."""

    def __init__(self) -> None:
        self._shapes: dict[bytes, tuple[str | None, _Pick | None]] = {}

    def __call__(self, formula: str) -> str:
        entry = self._shapes.get(key := formula.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ONES))
        if entry is None:
            entry = self._learn(key, formula)
        fmt, pick = entry
        if fmt is None:
            return translate(formula)
        return fmt if pick is None else fmt.format(*pick(formula))

    def _learn(self, key: bytes, formula: str) -> tuple[str | None, _Pick | None]:
        if len(self._shapes) >= _CACHE_SIZE:
            self._shapes.clear()
        spans = [m.span() for m in _DIGITS.finditer(formula)]
        pieces, last = [], 0
        for i, (start, end) in enumerate(spans):
            pieces.append(formula[last:start] + str(_MARK + i))
            last = end
        entry: tuple[str | None, _Pick | None] = (None, None)
        try:
            out = translate("".join(pieces) + formula[last:])
        except FormulaError:  # the marks lengthen the text past the bound: translate each cell directly
            self._shapes[key] = entry
            return entry
        if _DIGITS.findall(out) == [str(_MARK + i) for i in range(len(spans))]:
            fmt = "{}".join(p.replace("{", "{{").replace("}", "}}") for p in _DIGITS.split(out))
            if not spans:
                entry = (out, None)
            elif len(spans) == 1:
                ((start, end),) = spans
                entry = (fmt, lambda f: (f[start:end],))
            else:
                entry = (fmt, itemgetter(*(slice(a, b) for a, b in spans)))
        self._shapes[key] = entry
        return entry
