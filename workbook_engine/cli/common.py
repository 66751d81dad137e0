"""What every command shares: the exit codes, JSON output, grid lists.

Exit codes: 0 ok, 1 findings (a check found inconsistencies, a reader
warned), 2 unusable input, 3 internal error (a bug: please report it). The
mapping of exceptions to them is ``main.main``'s, in one place.
"""

from __future__ import annotations

import json
import sys

from workbook_engine.model.problems import UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3


def print_json(data: object) -> None:
    # Never NaN or Infinity: they are not JSON (inputs are bounded; a bug then fails loudly).
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def parse_grid_list(text: str, n_grids: int) -> list[int]:
    try:
        grids = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--grids {text} : numéros de grilles séparés par des virgules attendus (ex. 1,2)") from None
    bad = [g for g in grids if not 1 <= g <= n_grids]
    if not grids or bad:
        raise UsageError(f"--grids {text} : le classeur a {n_grids} grille(s), numérotées de 1 à {n_grids}")
    return grids
