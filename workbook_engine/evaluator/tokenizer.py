"""Formula text -> tokens, exactly as openpyxl's ``Tokenizer`` splits it.

openpyxl's tokenizer walks the formula one character at a time in Python
(about half of the parsing time of a workbook). This is the same state
machine, rule for rule (same tokens, same errors with the same messages),
except that a run of ordinary characters (those no rule looks at: letters,
digits, ``$``, ``!``, ``:``, ``.``...) is taken by one regular expression
match, and a token is a ``(kind, value)`` pair rather than an object.
``tests/test_tokenizer.py`` compares both on every formula we know of and on
generated strings.

Kinds (openpyxl's type and subtype in one string): ``NUMBER``, ``TEXT``,
``LOGICAL``, ``ERROR``, ``RANGE`` (operands; RANGE is also a defined name),
``FUNC(`` / ``FUNC)``, ``(`` / ``)``, ``{`` / ``}``, ``SEP,`` / ``SEP;``,
``PRE`` / ``IN`` / ``POST`` (operators), ``WS`` (white space, whose value is
its first character only, as in openpyxl) and ``LITERAL`` (a text without
the leading '=').
"""

from __future__ import annotations

import re
from typing import TypeVar

Tok = tuple[str, str]

NUMBER, TEXT, LOGICAL, ERROR, RANGE = "NUMBER", "TEXT", "LOGICAL", "ERROR", "RANGE"
FUNC_OPEN, FUNC_CLOSE = "FUNC(", "FUNC)"
PAREN_OPEN, PAREN_CLOSE = "(", ")"
ARRAY_OPEN, ARRAY_CLOSE = "{", "}"
SEP_ARG, SEP_ROW = "SEP,", "SEP;"
OP_PRE, OP_IN, OP_POST = "PRE", "IN", "POST"
WSPACE, LITERAL = "WS", "LITERAL"

OPERANDS = frozenset((NUMBER, TEXT, LOGICAL, ERROR, RANGE))
CLOSERS = frozenset((FUNC_CLOSE, PAREN_CLOSE, ARRAY_CLOSE))

# openpyxl's (type, subtype) of each kind, for comparing with its tokens
OPENPYXL_KIND: dict[str, tuple[str, str]] = {
    NUMBER: ("OPERAND", "NUMBER"),
    TEXT: ("OPERAND", "TEXT"),
    LOGICAL: ("OPERAND", "LOGICAL"),
    ERROR: ("OPERAND", "ERROR"),
    RANGE: ("OPERAND", "RANGE"),
    FUNC_OPEN: ("FUNC", "OPEN"),
    FUNC_CLOSE: ("FUNC", "CLOSE"),
    PAREN_OPEN: ("PAREN", "OPEN"),
    PAREN_CLOSE: ("PAREN", "CLOSE"),
    ARRAY_OPEN: ("ARRAY", "OPEN"),
    ARRAY_CLOSE: ("ARRAY", "CLOSE"),
    SEP_ARG: ("SEP", "ARG"),
    SEP_ROW: ("SEP", "ROW"),
    OP_PRE: ("OPERATOR-PREFIX", ""),
    OP_IN: ("OPERATOR-INFIX", ""),
    OP_POST: ("OPERATOR-POSTFIX", ""),
    WSPACE: ("WHITE-SPACE", ""),
    LITERAL: ("LITERAL", ""),
}


class TokenizerError(Exception):
    """The formula's text cannot be split (openpyxl's message)."""


_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
_SN = re.compile("^[1-9](\\.[0-9]+)?[Ee]$")  # a number in scientific notation, before its sign
_WSPACE = re.compile(r"[ \n]+")
_STRING = {'"': re.compile('"(?:[^"]*"")*[^"]*"(?!")'), "'": re.compile("'(?:[^']*'')*[^']*'(?!')")}
# characters no rule of the tokenizer looks at: they only extend the operand
_SPECIAL = "\"'[# \n+-*/^&=><%{}();,"
_PLAIN = re.compile(r"[^\"'\[# \n+\-*/^&=><%{}();,]+")
_TOKEN_ENDERS = ",;}) +-*/^&=><%"  # each ends the operand being read
_INFIX_AFTER = CLOSERS | OPERANDS | {OP_POST}  # '+'/'-' after these is infix


_K = TypeVar("_K")
_V = TypeVar("_V")
MEMO_SIZE = 20_000  # entries of each memo of the parser (emptied when full)
MEMO_TEXT = 100  # texts longer than this are not remembered


def remember(memo: dict[_K, _V], key: _K, value: _V, text: str) -> None:
    """Keep ``value`` in a bounded memo keyed by (a key made of) ``text``."""
    if len(text) <= MEMO_TEXT:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = value


_OPERANDS: dict[str, Tok] = {}  # operand text -> token (float() is slow to refuse)


def _operand(value: str) -> Tok:
    """openpyxl's ``Token.make_operand``."""
    tok = _OPERANDS.get(value)
    if tok is None:
        tok = _make_operand(value)
        remember(_OPERANDS, value, tok, value)
    return tok


def _make_operand(value: str) -> Tok:
    if value.startswith('"'):
        return (TEXT, value)
    if value.startswith("#"):
        return (ERROR, value)
    if value in ("TRUE", "FALSE"):
        return (LOGICAL, value)
    try:
        float(value)
    except ValueError:
        return (RANGE, value)
    return (NUMBER, value)


def _unexpected(formula: str, token: str, at: int, can_follow: str) -> None:
    """openpyxl's ``assert_empty_token``: no operand being read, or one
    ending with a character of ``can_follow``. (openpyxl looks at the last
    piece of the operand, which is longer than one character only for a
    bracketed or quoted piece, ending with ']' or "'": never in can_follow.)"""
    if token and (not can_follow or token[-1] not in can_follow):
        raise TokenizerError(f"Unexpected character at position {at} in '{formula}'")


def tokenize(formula: str) -> list[Tok]:
    """The tokens of ``formula`` (with its leading '='), as openpyxl's
    ``Tokenizer(formula).items``; raises what it raises (TokenizerError
    with its message, IndexError for a ')' closing nothing)."""
    if not formula:
        return []
    if formula[0] != "=":
        return [(LITERAL, formula)]
    items: list[Tok] = []
    append = items.append
    stack: list[str] = []  # kinds of the open FUNC(, ( and {
    token = ""  # the operand being read
    offset = 1
    n = len(formula)
    plain = _PLAIN.match
    enders = _TOKEN_ENDERS

    while offset < n:
        ch = formula[offset]
        if ch not in _SPECIAL:  # a run of plain characters, then what ends it
            end = plain(formula, offset).end()  # type: ignore[union-attr]  # ch is plain
            token += formula[offset:end]
            if end == n:
                break
            offset = end
            ch = formula[offset]
        # the branches below, most frequent first, each take distinct characters
        if token:
            if ch in "+-" and _SN.match(token):  # 1E+5: the sign belongs to the number
                token += ch
                offset += 1
                continue
            if ch in enders:
                append(_OPERANDS.get(token) or _operand(token))
                token = ""
        if ch == ")" or ch == "}":
            opener = stack.pop()  # IndexError "pop from empty list", as openpyxl
            if opener == ARRAY_OPEN:
                closer: Tok = (ARRAY_CLOSE, "}")
            else:
                closer = (FUNC_CLOSE if opener == FUNC_OPEN else PAREN_CLOSE, ")")
            if closer[1] != ch:
                raise TokenizerError(f"Mismatched ( and {{ pair in '{formula}'")
            append(closer)
            offset += 1
        elif ch == "(" or ch == "{":
            if ch == "{":
                _unexpected(formula, token, offset, "")
                kind = ARRAY_OPEN
                append((kind, ch))
            elif token:
                kind = FUNC_OPEN
                append((kind, token + "("))
                token = ""
            else:
                kind = PAREN_OPEN
                append((kind, ch))
            stack.append(kind)
            offset += 1
        elif ch == "," or ch == ";":
            if ch == ";":
                append((SEP_ROW, ch))
            elif not stack or stack[-1] == PAREN_OPEN:
                append((OP_IN, ch))  # the union operator
            else:
                append((SEP_ARG, ch))
            offset += 1
        elif ch in "+-*/^&=><%":
            two = formula[offset : offset + 2]
            if two == ">=" or two == "<=" or two == "<>":
                append((OP_IN, two))
                offset += 2
                continue
            if ch == "%":
                append((OP_POST, ch))
            elif ch not in "+-":
                append((OP_IN, ch))
            else:
                prev = None
                for t in reversed(items):
                    if t[0] != WSPACE:
                        prev = t[0]
                        break
                append((OP_IN if prev in _INFIX_AFTER else OP_PRE, ch))
            offset += 1
        elif ch == '"' or ch == "'":
            _unexpected(formula, token, offset, ":")
            sm = _STRING[ch].match(formula, offset)
            if sm is None:
                what = "string" if ch == '"' else "link"
                raise TokenizerError(f"Reached end of formula while parsing {what} in {formula}")
            if ch == '"':
                append((TEXT, sm.group()))
            else:
                token += sm.group()
            offset = sm.end()
        elif ch == " " or ch == "\n":
            append((WSPACE, ch))
            offset = _WSPACE.match(formula, offset).end()  # type: ignore[union-attr]  # ch matches
        elif ch == "[":
            depth = 0
            for k in range(offset, n):
                c = formula[k]
                if c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                    if depth == 0:
                        token += formula[offset : k + 1]
                        offset = k + 1
                        break
            else:
                raise TokenizerError(f"Encountered unmatched '[' in {formula}")
        else:  # '#'
            _unexpected(formula, token, offset, "!")
            for err in _ERROR_CODES:
                if formula.startswith(err, offset):
                    append(_operand(token + err))
                    token = ""
                    offset += len(err)
                    break
            else:
                raise TokenizerError(f"Invalid error code at position {offset} in '{formula}'")
    if token:
        append(_operand(token))
    return items
