"""``workbook-engine calc FILE [--cells "Feuille!A1:C10" ...] [--json | --csv]``:
the values of any workbook's cells, computed headlessly from its formulas.

Without ``--cells``, every formula cell. Cells are named as Excel names them
(``'Grille 1'!B20``); errors are printed as Excel writes them (``#DIV/0!``).
Cells the engine cannot vouch for (computed by the ``formulas`` fallback,
or nested too deep) are listed on stderr, one line per cause.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys

from workbook_engine.cli.common import EXIT_OK
from workbook_engine.model.problems import UsageError

MAX_LISTED = 5  # cells named per cause on stderr

# Control and format characters a cell's text may hide (ESC that retitles or
# clears a terminal, bidirectional overrides, line separators): written as
# \uXXXX escapes, never raw (in JSON, escapes that decode to the same text).
_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def escaped(text: str, keep: str = "") -> str:
    """``text`` with its control characters (but those in ``keep``) written \\uXXXX."""
    return _CONTROLS.sub(lambda m: m.group() if m.group() in keep else f"\\u{ord(m.group()):04x}", text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("calc", help="valeurs des cellules de n'importe quel classeur, calculées sans tableur")
    p.add_argument("workbook", help="classeur .xlsx ou .ods")
    p.add_argument(
        "--cells",
        action="append",
        help='cellule ou plage, ex. "\'Grille 1\'!B20" ou "Familles!A4:C10" (répétable ; défaut : '
        "toutes les cellules de formule)",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="valeurs au format JSON")
    out.add_argument("--csv", action="store_true", help="valeurs au format CSV (cellule, type, valeur)")
    p.set_defaults(run=cmd_calc)
    return p


def kind(v: object) -> str:
    """number, text, bool, error or blank (an ExcelError is a str subclass)."""
    tp = type(v)
    if tp is float:
        return "number"
    if v is None:
        return "blank"
    if tp is bool:
        return "bool"
    if tp is str:
        return "text"
    return "error" if isinstance(v, str) else "number"


def shown(v: object) -> str:
    """A value as text: numbers without a useless ".0", logicals TRUE/FALSE,
    errors as Excel writes them, an empty cell as nothing."""
    if type(v) is float:
        return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
    if v is None:
        return ""
    if type(v) is bool:
        return "TRUE" if v else "FALSE"
    return str(v)


def _json_value(v: object) -> object:
    k = kind(v)
    if k in ("error",):
        return str(v)
    if k == "number" and not math.isfinite(float(v)):  # type: ignore[arg-type]
        return str(v)
    return v


def cmd_calc(args: argparse.Namespace) -> int:
    from workbook_engine.evaluator.cells import CellNameError
    from workbook_engine.workbook.calc import evaluate_workbook

    calc = evaluate_workbook(args.workbook)
    rows: list[tuple[str, object]] = []
    if args.cells:
        for spec in args.cells:
            try:
                rows += calc.cells(spec)
            except CellNameError as exc:
                raise UsageError(f"--cells {spec} : {exc}") from None
    else:
        rows = list(calc.formula_values())
    if args.json:
        # one cell a line: readable, and far quicker than an indented dump of 100,000 cells
        lines = (
            escaped(json.dumps({"cell": name, "type": kind(v), "value": _json_value(v)}, ensure_ascii=False))
            for name, v in rows
        )
        sys.stdout.write("[\n  " + ",\n  ".join(lines) + "\n]\n" if rows else "[]\n")
    elif args.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["cell", "type", "value"])
        for name, v in rows:  # CSV quotes tabs and line breaks: only the other controls are escaped
            w.writerow([escaped(name, "\t\n\r"), kind(v), escaped(shown(v), "\t\n\r")])
    else:
        width = max((len(name) for name, _ in rows), default=0)
        # one cell a line: a line break inside a cell is escaped like the other controls
        body = "".join(f"{name.ljust(width)}  {shown(v)}".replace("\n", "\\u000a") + "\n" for name, v in rows)
        sys.stdout.write(escaped(body, "\n"))
    for cause, cells in calc.unverified.items():
        more = f" et {len(cells) - MAX_LISTED} autre(s)" if len(cells) > MAX_LISTED else ""
        listed = ", ".join(cells[:MAX_LISTED])
        print(
            escaped(f"  attention : {len(cells)} cellule(s) non vérifiée(s), {cause} : {listed}{more}"), file=sys.stderr
        )
    return EXIT_OK
