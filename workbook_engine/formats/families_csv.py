"""Families imported from CSV, as bursars export them from school software or Excel.

One row per family, one column per SPEC family input: ``id``, ``rfr_1``,
``rfr_2``, ``caf_aid``, ``parts``, ``adults``, ``children``,
``other_dependents``, ``notice``, ``other_enrolled`` and ``pupils_g1``,
``pupils_g2``, ... (one per grid of the scenario).

Tolerated, because that is what real exports look like:

- ``;``, ``,`` or tab separators and the encodings of real exports, as
  :mod:`csv_text` reads them (the rule SCHOOLS.csv shares);
- quoted fields, blank lines and all-empty rows (``;;;;``), trailing empty
  cells, header names in any case with surrounding spaces;
- French numbers (``35 000,50 €``), see :mod:`textnum`.

Decisions:

- Only ``id`` and the ``pupils_gK`` columns are required; any other missing
  column reads as blank cells. A blank cell takes the :class:`Family` default
  (``None`` for rfr_1, parts, adults, children; 0 for the others; notice yes).
- If the ``notice`` column marks yes with ``x`` (a ticked box), a blank cell
  there probably means *no*: it is reported instead of silently read as yes.
- A file with a header but no family is an error: it is surely the wrong file.
- Every problem is collected (line numbers as a text editor shows them) before
  failing, so the bursar fixes the file in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, TypedDict

from workbook_engine.formats.csv_text import CsvUnreadable, read_csv_rows
from workbook_engine.formats.ids import id_key, id_problem
from workbook_engine.formats.scenario_json import load_scenario_json, merge_problems, read_scenario_json
from workbook_engine.formats.textnum import parse_int, parse_number, parse_yes_no
from workbook_engine.model.domain import FAMILY_INPUTS, Family, Scenario
from workbook_engine.model.problems import InputError, Problem, Severity, errors_only
from workbook_engine.model.validation import validate, validate_families

__all__ = ["read_families_csv", "load_scenario", "FAMILY_COLUMNS"]

FAMILY_COLUMNS = FAMILY_INPUTS
NumberColumn = Literal["rfr_1", "rfr_2", "caf_aid", "parts"]
IntColumn = Literal["adults", "children", "other_dependents", "other_enrolled"]
_NUMBER_COLUMNS: tuple[NumberColumn, ...] = ("rfr_1", "rfr_2", "caf_aid", "parts")
_INT_COLUMNS: tuple[IntColumn, ...] = ("adults", "children", "other_dependents", "other_enrolled")
_PUPILS = re.compile(r"pupils_g([1-9][0-9]*)")
# Marks a row longer than the header: its fields follow the mark.
_BAD_ROW = "\x00bad-row\x00"


class _FamilyInputs(TypedDict, total=False):
    """The inputs read from one row; a blank cell is absent (the :class:`Family` default)."""

    rfr_1: float
    rfr_2: float
    caf_aid: float
    parts: float
    adults: int
    children: int
    other_dependents: int
    notice: bool
    other_enrolled: int


@dataclass
class _CsvRead:
    """What was read from one CSV: families (bad values replaced by their
    default), the line and raw cells of each, and every problem found."""

    source: str
    families: list[Family] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    cells: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical -> as written
    problems: list[Problem] = field(default_factory=list)
    encoding: str = "utf-8"

    def fail(
        self, line: int, column: str, field_: str, value: object, message: str, severity: Severity = "error"
    ) -> None:
        """A problem at ``line`` (0: the whole file) and ``column`` (as written; "": the whole line)."""
        self.problems.append(
            Problem(_at(line, column), field_, value, message, severity, self.source, line=line or None)
        )


def _at(line: int, column: str = "") -> str:
    """Where a CSV problem is, for a human: "ligne L, colonne C"."""
    if not line:
        return ""
    return f"ligne {line}, colonne {column}" if column else f"ligne {line}"


def read_families_csv(path: str | Path, n_grids: int) -> list[Family]:
    """Read the families of a scenario with ``n_grids`` grids from a CSV file.

    Raises :class:`InputError` listing every problem, each located as
    ``"ligne L, colonne C"``. Only reading problems are checked here (plus
    blank and repeated ids); the SPEC's rules need the scenario, see
    :func:`load_scenario`.
    """
    read = _read_families(path, n_grids)
    if errors_only(read.problems):
        raise InputError(sorted(read.problems, key=_line_of) + _encoding_note(read, read.problems))
    return read.families


def load_scenario(path: str | Path, families_csv: str | Path | None = None) -> Scenario:
    """Load a scenario JSON, its families replaced by those of ``families_csv``
    when given, and validate it.

    Raises one :class:`InputError` listing every problem of both files, each
    with its own source; rule violations of a CSV family are located at its
    line and column. The JSON's own families are still read (a malformed
    entry is reported) but, being replaced, not validated.
    """
    if families_csv is None:
        return load_scenario_json(path)
    json_source = str(path)
    scenario, json_problems = read_scenario_json(path)
    # Without the JSON, the grid count is unknown: still read the CSV, taking
    # its pupils columns as they come, so that both files are reported at once.
    read = _read_families(families_csv, scenario.n_grids if scenario is not None else None)
    csv_problems = read.problems
    if scenario is not None:
        scenario = replace(scenario, families=tuple(read.families))
        family_rules = validate_families(scenario)
        others = [p for p in validate(scenario) if p not in family_rules]
        json_problems = merge_problems(json_problems, [p.with_source(json_source) for p in others])
        csv_problems = merge_problems(csv_problems, _family_rules_by_line(scenario, read))
    problems = json_problems + sorted(csv_problems, key=_line_of)
    if errors_only(problems) or scenario is None:
        raise InputError(problems + _encoding_note(read, csv_problems))
    return scenario


def _family_rules_by_line(scenario: Scenario, read: _CsvRead) -> list[Problem]:
    """The SPEC's family rules, checked one family at a time so that each
    problem points at the family's CSV line (repeated ids are already
    reported, with their lines, by the reader)."""
    out = []
    for family, line, cells in zip(scenario.families, read.lines, read.cells):
        for p in validate_families(replace(scenario, families=(family,))):
            column = _column_of(p)
            if column is None:
                where, name, value = _at(line), p.field, p.value
            else:
                name = read.headers.get(column, column)
                where, value = _at(line, name), cells.get(column, p.value)
            out.append(
                Problem(where, name, value, p.message, p.severity, read.source, family=p.family, grid=p.grid, line=line)
            )
    return out


def _line_of(p: Problem) -> int:
    """Sort key: a CSV problem's line (file-wide problems first)."""
    return p.line or 0


def _column_of(p: Problem) -> str | None:
    """The CSV column of a family rule's problem, if it has one."""
    if p.field.startswith("pupils") and p.grid is not None:
        return f"pupils_g{p.grid}"
    return p.field if p.field in FAMILY_COLUMNS else None


def _encoding_note(read: _CsvRead, problems: list[Problem]) -> list[Problem]:
    """Say the file was read as Windows-1252 only when it may explain a
    reported problem: one about text with accents or other non-ASCII signs."""
    if read.encoding != "cp1252":
        return []
    if not any(p.source == read.source and not f"{p.field}{p.value}".isascii() for p in errors_only(problems)):
        return []
    return [
        Problem(
            "",
            "",
            None,
            "fichier lu en Windows-1252 (ancien export Excel) car il n'est pas en UTF-8 : "
            "si des accents paraissent faux, enregistrez-le en « CSV UTF-8 »",
            "warning",
            read.source,
        )
    ]


def _read_families(path: str | Path, n_grids: int | None) -> _CsvRead:
    """Read every family of the file, collecting problems instead of raising.
    ``n_grids=None`` accepts pupils_g1..pupils_gK for any K (grid count unknown)."""
    read = _CsvRead(source=str(path))
    try:
        csv_rows = read_csv_rows(path)
    except CsvUnreadable as exc:
        read.fail(exc.line, "", "", None, exc.message)
        return read
    read.encoding, sep = csv_rows.encoding, csv_rows.sep
    # Every row as wide as the header: shorter ones padded with blank cells,
    # trailing empty cells beyond it ("F1;2;3;;") harmless; a row with more
    # values is marked, and reported once the header is read.
    width = len(csv_rows.rows[0][1])
    rows = [
        (line, [_BAD_ROW] + cells)
        if any(c.strip() for c in cells[width:])
        else (line, cells[:width] + [""] * (width - len(cells)))
        for line, cells in csv_rows.rows
    ]
    header_line, header = rows[0]
    data_rows = rows[1:]

    columns = _read_header(read, header_line, header, data_rows, n_grids)
    if n_grids is None:
        n_grids = max((int(m[1]) for c in columns.values() if (m := _PUPILS.fullmatch(c))), default=0)
    if not data_rows:
        read.fail(header_line, "", "", None, "aucune famille : le fichier n'a que la ligne d'en-tête")
        return read

    notice_at = next((j for j, c in columns.items() if c == "notice"), None)
    notice_ticks = notice_at is not None and any(
        cells[0] != _BAD_ROW and notice_at < len(cells) and cells[notice_at].strip().lower() == "x"
        for _, cells in data_rows
    )
    first_line_of: dict[str, int] = {}
    for line, cells in data_rows:
        if cells[0] == _BAD_ROW:
            hint = (
                (
                    " ; avec le séparateur « , », une virgule décimale doit être entre guillemets "
                    '("35000,50") : préférez le séparateur « ; »'
                )
                if sep == ","
                else ""
            )
            read.fail(line, "", "", sep.join(cells[1:]), f"{len(cells) - 1} valeurs pour {len(header)} colonnes{hint}")
            continue
        _read_row(read, line, cells, columns, n_grids, notice_ticks, first_line_of)
    return read


def _read_header(
    read: _CsvRead, line: int, header: list[str], data_rows: list[tuple[int, list[str]]], n_grids: int | None
) -> dict[int, str]:
    """Map column positions to canonical names, reporting unknown, repeated,
    missing and extra columns."""
    columns: dict[int, str] = {}
    seen: dict[str, str] = {}
    pupils: list[int] = []
    for j, raw in enumerate(header):
        name = raw.strip()
        key = name.lower()
        if not key:
            if any(cells[0] != _BAD_ROW and j < len(cells) and cells[j].strip() for _, cells in data_rows):
                read.fail(line, f"n°{j + 1}", "", raw, "colonne sans nom alors qu'elle contient des valeurs")
            continue
        match = _PUPILS.fullmatch(key)
        if key in seen:
            read.fail(line, name, name, raw, f"colonne en double (déjà présente sous le nom « {seen[key]} »)")
            continue
        if match and n_grids is not None and int(match[1]) > n_grids:
            read.fail(line, name, name, raw, f"colonne en trop : le scénario n'a que {n_grids} grille(s)")
            continue
        if not match and key not in FAMILY_COLUMNS:
            pupils_names = "pupils_g1" if n_grids == 1 else f"pupils_g1 à pupils_g{n_grids or 'N'}"
            read.fail(
                line,
                name,
                name,
                raw,
                f"colonne inconnue (colonnes reconnues : {', '.join(FAMILY_COLUMNS)}, {pupils_names})",
            )
            continue
        seen[key] = name
        columns[j] = key
        read.headers[key] = name
        if match:
            pupils.append(int(match[1]))
    if "id" not in seen:
        read.fail(line, "", "id", None, "colonne id (identifiant de la famille) manquante")
    expected = n_grids if n_grids is not None else max(pupils, default=0)
    for g in range(1, expected + 1):
        if g not in pupils:
            read.fail(
                line,
                "",
                f"pupils_g{g}",
                None,
                f"colonne pupils_g{g} manquante : une colonne d'élèves par grille "
                f"({expected} grille(s) dans le scénario)"
                if n_grids is not None
                else f"colonne pupils_g{g} manquante : les colonnes d'élèves se suivent à partir de pupils_g1",
            )
    return columns


def shown(text: str, limit: int = 40) -> str:
    """A long value cut for a message."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} caractères)"


def _read_row(
    read: _CsvRead,
    line: int,
    cells: list[str],
    columns: dict[int, str],
    n_grids: int,
    notice_ticks: bool,
    first_line_of: dict[str, int],
) -> None:
    raw = {key: cells[j] if j < len(cells) else "" for j, key in columns.items()}
    values: _FamilyInputs = {}
    pupils = [0] * n_grids
    fid = ""

    for key, text in raw.items():
        name = read.headers[key]
        if not text.strip():
            if key == "notice" and notice_ticks:
                read.fail(line, name, name, text, "case vide dans une colonne cochée par « x » : écrivez oui ou non")
            continue
        try:
            if key == "id":
                fid = text.strip()
            elif key == "notice":
                values["notice"] = parse_yes_no(text)
            elif key in _NUMBER_COLUMNS:
                values[key] = parse_number(text)
            else:  # whole numbers: counts of people and pupils
                number = parse_int(text)
                if match := _PUPILS.fullmatch(key):
                    pupils[int(match[1]) - 1] = number
                elif key in _INT_COLUMNS:  # (the header kept no other column)
                    values[key] = number
        except ValueError as exc:
            read.fail(line, name, name, text, str(exc))
            continue

    if "id" in columns.values():
        name = read.headers["id"]
        key = id_key(fid)  # ids a person cannot tell apart are one (formats.ids)
        if not fid:
            read.fail(line, name, name, raw["id"], "identifiant de famille manquant")
        elif problem := id_problem(fid):
            read.fail(line, name, name, shown(raw["id"]), problem)
        elif key in first_line_of:
            read.fail(
                line,
                name,
                name,
                raw["id"],
                f"identifiant déjà utilisé ligne {first_line_of[key]} (comparé tel qu'il s'affiche) : "
                "chaque famille doit avoir un identifiant unique",
            )
        else:
            first_line_of[key] = line
    read.families.append(Family(id=fid, pupils=tuple(pupils), **values))
    read.lines.append(line)
    read.cells.append(raw)
