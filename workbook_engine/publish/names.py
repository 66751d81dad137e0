"""The bursar's local names file (``--names``): ``id;name`` per line, a
header line allowed. The names are printed on the letters only: no message
of this module quotes a name (errors give the line and the id), and nothing
else the publication writes holds one.
"""

from __future__ import annotations

from pathlib import Path

from workbook_engine.formats.csv_text import CsvUnreadable, read_csv_rows
from workbook_engine.model.problems import InputError, Problem

HEADER_IDS = {"id", "famille", "identifiant", "code", "id_famille", "reference", "référence"}


def read_names(path: str | Path, ids: set[str]) -> tuple[dict[str, str], int]:
    """The names of the families of ``ids``; and how many lines name an id
    that is not one of them (left out)."""
    source = str(path)
    try:
        rows = read_csv_rows(path).rows
    except CsvUnreadable as exc:
        raise InputError([Problem(exc.where, "", None, exc.message, source=source, line=exc.line or None)]) from None
    problems: list[Problem] = []
    names: dict[str, str] = {}
    unknown = 0
    for n, (line, cells) in enumerate(rows):
        fid = cells[0].strip() if cells else ""
        if n == 0 and fid.lower() in HEADER_IDS and fid not in ids:
            continue
        name = cells[1].strip() if len(cells) > 1 else ""
        if len(cells) < 2 or not fid or not name:
            problems.append(
                Problem(
                    f"ligne {line}", "", None, "deux colonnes attendues : identifiant;nom", source=source, line=line
                )
            )
            continue
        if fid in names and names[fid] != name:
            problems.append(
                Problem(
                    f"ligne {line}",
                    "",
                    None,
                    f"la famille {fid} a déjà un autre nom plus haut dans le fichier",
                    source=source,
                    family=fid,
                    line=line,
                )
            )
            continue
        if fid in ids:
            names[fid] = name
        else:
            unknown += 1
    if problems:
        raise InputError(problems)
    return names, unknown
