"""Prepare one workbook per school for a federation: ``batch(SCHOOLS.csv)``.

A departmental federation sends each OGEC a workbook with its own grids,
old tariffs, targets and starting brackets; bursars fill in the families.

SCHOOLS.csv: one row per school, read with the same tolerance as the
families CSV (``;``, ``,`` or tab separators, UTF-8 with or without BOM,
UTF-16, Windows-1252, French numbers such as ``12 000,50 €``). Header names
in any case; columns:

=================== ======================================================
``structure``       name of the structure (required, not blank)
``year``            school year, e.g. ``2026-2027`` (blank: the base's)
``grid_K``          name of grid K (``grid_1``, ``grid_2``... in order, no
                    gap): as many grids as named columns filled in the row
``old_tariff_K``    old single tariff of grid K, EUR/year/pupil (optional)
``budget_target_K`` budget target of grid K, EUR/year (optional)
``tranches_K``      starting brackets of grid K as ``label:lower:amount``
                    separated by ``|``: ``A:0:420|B:6000:560|C:9000:650``
``rate_2``          sibling reduction of the 2nd child: ``0,1`` or ``10 %``
``rate_3``          ... of the 3rd child
``rate_4``          ... of the 4th child and later
=================== ======================================================

Only ``structure`` is required; any other column may be absent.

Defaults come from the base scenario JSON (``--base``), else the SPEC's:

- structure-wide parameters (indicator, CAF aid, parts policy and
  coefficients, sibling scope, rates) are the base's; ``rate_K`` and
  ``year`` cells override them for their row;
- a row naming no grid gets the base's grids (names and brackets);
- a grid whose ``tranches_K`` is blank takes the brackets of the base grid
  with the same name (case and accents ignored), else no bracket: the
  workbook then has blank tranche lines for the bursar to fill;
- old tariffs and budget targets are each school's own: never inherited;
- the base's families are never copied (they belong to another structure).

Files: ``<structure>_<year>.xlsx`` as an ASCII slug (lower case, letters,
digits and ``-``; no path, no leading dot, at most 60 + 20 characters), with
``-2``, ``-3``... when two rows give the same name (case ignored), so names
depend only on the CSV. An existing file is never replaced (it may already
be filled): its row is ``kept``, which makes a lot resumable (a workbook is
renamed into place only once complete, so a file there is whole): run an
interrupted lot again and only the missing workbooks are written.
``index.csv`` (same conventions as the network CSV, see
``network_report.write_csv``) lists every row: line, structure, year,
grids, file, status ``written``, ``kept`` or ``error``, message; it is
written even when the run is interrupted (Ctrl-C, SIGTERM).

Outcome: a row that cannot be used is reported with its line and column,
and the other rows are still written (``exit_code`` 1). A file that cannot
be used at all (unreadable, no ``structure`` column, unknown or repeated
column, no row) raises :class:`InputError` before anything is written
(exit code 2 on the command line). 0 means every row was written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from workbook_engine.federation.network_report import write_csv
from workbook_engine.federation.parallel import run_parallel
from workbook_engine.formats.csv_text import CsvUnreadable, read_csv_rows
from workbook_engine.formats.files import refuse_overwrite
from workbook_engine.formats.scenario_json import load_scenario_json
from workbook_engine.formats.textnum import parse_number
from workbook_engine.model.domain import Grid, Scenario, Tranche
from workbook_engine.model.limits import MAX_CELL_TEXT
from workbook_engine.model.problems import InputError, Problem, UsageError
from workbook_engine.model.validation import validate_grids, validate_parameters
from workbook_engine.workbook.generate import generate_workbook

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["INDEX_NAME", "SCHOOL_COLUMNS", "BatchResult", "BatchRow", "batch", "batch_from", "safe_stem"]

SCHOOL_COLUMNS = ("structure", "year", "rate_2", "rate_3", "rate_4")
_GRID_COLUMN = re.compile(r"(grid|old_tariff|budget_target|tranches)_([1-9][0-9]*)")
_RATES = ("rate_2", "rate_3", "rate_4")
INDEX_NAME = "index.csv"
MAX_STEM = 60
MAX_YEAR = 20
# Names Windows refuses for a file, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}
_TRANCHES_EXAMPLE = "A:0:420|B:6000:560"


@dataclass(frozen=True)
class BatchRow:
    """One row of SCHOOLS.csv and what became of it."""

    line: int
    structure: str
    year: str = ""
    grids: tuple[str, ...] = ()
    file: Path | None = None
    problems: tuple[Problem, ...] = ()
    kept: bool = False  # its file was there already (a run resumed): left as it is

    @property
    def written(self) -> bool:
        return self.file is not None and not self.problems and not self.kept


@dataclass(frozen=True)
class BatchResult:
    rows: tuple[BatchRow, ...]
    out_dir: Path
    index: Path
    notes: tuple[str, ...] = ()  # French remarks for the user, not errors

    @property
    def written(self) -> list[BatchRow]:
        return [r for r in self.rows if r.written]

    @property
    def failed(self) -> list[BatchRow]:
        return [r for r in self.rows if not r.written and not r.kept]

    @property
    def kept(self) -> list[BatchRow]:
        return [r for r in self.rows if r.kept]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


# ---------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------


def safe_stem(text: str, max_length: int = MAX_STEM, default: str = "etablissement") -> str:
    """An ASCII slug fit for a file name on any system: ``Saint-Jean /
    Collège`` -> ``saint-jean-college``; ``../../etc`` -> ``etc``."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE").replace("ß", "ss")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_length].rstrip("-") or default
    return f"{slug}-{default}" if slug in _RESERVED else slug


def file_name(structure: str, year: str, taken: set[str]) -> str:
    """The workbook's file name, unique (case ignored) among ``taken``, which it joins."""
    stem = safe_stem(structure)
    if year.strip():
        stem += "_" + safe_stem(year, MAX_YEAR, "annee")
    name, n = stem, 2
    while name.casefold() in taken:
        name, n = f"{stem}-{n}", n + 1
    taken.add(name.casefold())
    return name + ".xlsx"


# ---------------------------------------------------------------------------
# Reading SCHOOLS.csv
# ---------------------------------------------------------------------------


def _fold(name: str) -> str:
    """A grid name compared case- and accent-insensitively."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.casefold().split())


def read_schools_csv(path: str | Path) -> list[tuple[int, dict[str, str]]]:
    """Each non-blank row: its first line and its cells by (canonical)
    column name. Raises InputError when the file is unusable."""
    source = str(path)

    def unusable(where: str, message: str, line: int = 0) -> InputError:
        return InputError([Problem(where, "", None, message, source=source, line=line or None)])

    try:
        records = read_csv_rows(path).rows
    except CsvUnreadable as exc:
        raise unusable(exc.where, exc.message, exc.line) from None

    header_line, header = records[0]
    problems: list[Problem] = []
    columns: list[str] = []
    for j, raw in enumerate(header):
        key = raw.strip().lower()
        where = f"ligne {header_line}, colonne {raw.strip() or f'n°{j + 1}'}"
        if not key:
            columns.append("")
            continue
        if key in columns:
            problems.append(Problem(where, raw, raw, "colonne en double", source=source, line=header_line))
        elif key not in SCHOOL_COLUMNS and not _GRID_COLUMN.fullmatch(key):
            problems.append(
                Problem(
                    where,
                    raw,
                    raw,
                    "colonne inconnue (colonnes reconnues : "
                    + ", ".join(SCHOOL_COLUMNS)
                    + ", grid_K, old_tariff_K, budget_target_K, "
                    "tranches_K pour la grille K)",
                    source=source,
                    line=header_line,
                )
            )
        columns.append(key)
    if "structure" not in columns:
        problems.append(
            Problem(
                f"ligne {header_line}",
                "structure",
                None,
                "colonne structure (nom de l'établissement) manquante",
                source=source,
                line=header_line,
            )
        )
    if len(records) < 2:
        problems.append(
            Problem(
                f"ligne {header_line}",
                "",
                None,
                "aucun établissement : le fichier n'a que la ligne d'en-tête",
                source=source,
                line=header_line,
            )
        )
    if problems:
        raise InputError(problems)

    rows = []
    for line, cells in records[1:]:
        extra = [c for c in cells[len(columns) :] if c.strip()]
        row = {key: cells[j] if j < len(cells) else "" for j, key in enumerate(columns) if key}
        if extra:  # kept so the row is reported, not silently cut
            row["\0extra"] = f"{len(cells)} valeurs pour {len(columns)} colonnes"
        rows.append((line, row))
    return rows


class _Row:
    """Builds one school's scenario from its cells, collecting problems."""

    def __init__(self, line: int, cells: dict[str, str], base: Scenario, source: str):
        self.line, self.cells, self.base, self.source = line, cells, base, source
        self.problems: list[Problem] = []

    def fail(self, column: str, value: object, message: str) -> None:
        where = f"ligne {self.line}, colonne {column}" if column else f"ligne {self.line}"
        self.problems.append(Problem(where, "", value, message, source=self.source, line=self.line))

    def text(self, key: str) -> str:
        text = self.cells.get(key, "").strip()
        if len(text) > MAX_CELL_TEXT:  # the workbook's cell would cut it
            self.fail(key, text[:40] + "…", f"texte de {len(text)} caractères : au plus {MAX_CELL_TEXT} (une cellule)")
            return text[:MAX_CELL_TEXT]
        return text

    def number(self, key: str, *, percent: bool = False) -> float | None:
        text = self.text(key)
        if not text:
            return None
        scale = 1.0
        if percent and text.endswith("%"):
            text, scale = text[:-1], 0.01
        try:
            return parse_number(text) * scale
        except ValueError as exc:
            self.fail(key, self.cells[key], f"nombre illisible : {exc}")
            return None

    def tranches(self, key: str) -> tuple[Tranche, ...]:
        out = []
        for item in (x.strip() for x in self.text(key).split("|")):
            if not item:
                continue
            parts = [p.strip() for p in item.split(":")]
            if len(parts) != 3:
                self.fail(key, item, f"tranche illisible : nom:borne:montant attendu (ex. {_TRANCHES_EXAMPLE})")
                continue
            try:
                out.append(Tranche(parts[0], parse_number(parts[1]), parse_number(parts[2])))
            except ValueError as exc:
                self.fail(key, item, f"tranche « {parts[0]} » : nombre illisible : {exc}")
        return tuple(out)

    def grids(self) -> tuple[Grid, ...]:
        base_grids = {_fold(g.name): g for g in self.base.grids if g.name}
        used = sorted({int(m[2]) for k, v in self.cells.items() if (m := _GRID_COLUMN.fullmatch(k)) and v.strip()})
        if not used:
            if not self.base.grids:
                self.fail(
                    "grid_1",
                    None,
                    "aucune grille : nommez les grilles (grid_1, grid_2...) ou donnez un scénario de base",
                )
            return tuple(replace(g, old_tariff=None, budget_target=None) for g in self.base.grids)
        grids = []
        for k in range(1, used[-1] + 1):
            name = self.text(f"grid_{k}")
            if not name:
                self.fail(
                    f"grid_{k}",
                    None,
                    f"nom de la grille {k} manquant : les grilles se suivent à partir de grid_1, sans trou",
                )
            tranches = self.tranches(f"tranches_{k}")
            if not self.text(f"tranches_{k}") and _fold(name) in base_grids:
                tranches = base_grids[_fold(name)].tranches
            grids.append(
                Grid(
                    name=name,
                    tranches=tranches,
                    old_tariff=self.number(f"old_tariff_{k}"),
                    budget_target=self.number(f"budget_target_{k}"),
                )
            )
        return tuple(grids)

    def scenario(self) -> Scenario | None:
        if "\0extra" in self.cells:
            self.fail(
                "",
                None,
                self.cells["\0extra"] + " (avec le séparateur « , », une virgule décimale doit "
                "être entre guillemets : préférez « ; »)",
            )
            return None
        structure = self.text("structure")
        if not structure:
            self.fail("structure", None, "nom de l'établissement manquant")
        rate_2, rate_3, rate_4 = (
            r if (r := self.number(key, percent=True)) is not None else self.base.sibling_rates[i]
            for i, key in enumerate(_RATES)
        )
        s = replace(
            self.base,
            structure=structure,
            year=self.text("year") or self.base.year,
            grids=self.grids(),
            sibling_rates=(rate_2, rate_3, rate_4),
            families=(),
        )
        for p in validate_parameters(s) + validate_grids(s):
            if p.field == "tranches" and not p.value:
                continue  # no bracket yet: blank tranche lines for the bursar
            self.fail(self._column_of(p), p.value, (f"{p.where} : " if p.tranche is not None else "") + p.message)
        return None if self.problems else s

    @staticmethod
    def _column_of(p: Problem) -> str:
        """The SCHOOLS.csv column of a rule's problem, from the place it carries as data."""
        if p.param in _RATES:
            return p.param
        if p.grid is not None:
            return f"tranches_{p.grid}" if p.tranche is not None or p.field == "tranches" else f"{p.field}_{p.grid}"
        return ""


# ---------------------------------------------------------------------------
# The batch
# ---------------------------------------------------------------------------


def _write_one(job: tuple[Scenario, Path]) -> str:
    """Worker: write one workbook; the French reason on failure, else ""."""
    scenario, path = job
    try:
        generate_workbook(scenario, path)
    except UsageError as exc:  # disk full, folder gone: the row fails, the run goes on (and writes its index)
        return str(exc).removeprefix(f"{path} : ")
    except OSError as exc:
        return f"écriture impossible : {exc.strerror or exc}"
    return ""


def load_base(base: str | Path | Scenario | None) -> Scenario:
    if base is None:
        return Scenario(grids=())
    return base if isinstance(base, Scenario) else load_scenario_json(base)


def batch(
    schools_csv: str | Path,
    base_scenario: str | Path | Scenario | None,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    progress: bool = False,
) -> BatchResult:
    """Write one blank-family workbook per row of ``schools_csv`` into
    ``out_dir`` and the index of what was written (see the module docstring).
    Raises InputError, writing nothing, when the CSV or the base is unusable."""
    out_dir = Path(out_dir)
    source = str(schools_csv)
    base = load_base(base_scenario)
    records = read_schools_csv(schools_csv)
    index = out_dir / INDEX_NAME
    inputs = [Path(schools_csv)] + ([Path(base_scenario)] if isinstance(base_scenario, (str, Path)) else [])
    refuse_overwrite(index, *inputs, instead="un autre dossier de sortie", as_problem=True)

    rows: list[BatchRow] = []
    jobs: list[tuple[Scenario, Path]] = []
    taken: set[str] = set()
    for line, cells in records:
        reader = _Row(line, cells, base, source)
        scenario = reader.scenario()
        structure = cells.get("structure", "").strip()
        if scenario is None:
            # A rule broken twice is said once (a problem's value may be a list: compared as text).
            unique = tuple({str(p): p for p in reader.problems}.values())
            rows.append(BatchRow(line, structure, cells.get("year", "").strip(), problems=unique))
            continue
        path = out_dir / file_name(scenario.structure, scenario.year, taken)
        grids = tuple(g.name for g in scenario.grids)
        if path.exists():
            # Written whole by an earlier run (files are renamed into place
            # once complete), or already filled: never replaced. A lot
            # interrupted is finished by running it again.
            rows.append(BatchRow(line, structure, scenario.year, grids, path, kept=True))
            continue
        rows.append(BatchRow(line, structure, scenario.year, grids, path))
        jobs.append((scenario, path))

    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        failures = iter(run_parallel(_write_one, jobs, workers=workers, label="Classeurs écrits", progress=progress))
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM): the index still tells what is on disk,
        # and running the lot again writes only what is missing.
        done = [r if r.file is None or r.kept else _interrupted(r, source) for r in rows]
        write_csv(index_frame(done, out_dir), index)
        raise
    rows = [r if r.file is None or r.kept else _written(r, next(failures), source) for r in rows]
    write_csv(index_frame(rows, out_dir), index)
    ignored = (
        f"les {len(base.families)} famille(s) du scénario de base sont ignorées : les classeurs sont "
        "envoyés sans famille"
    )
    notes = (ignored,) if base.families else ()
    return BatchResult(tuple(rows), out_dir, index, notes)


def _interrupted(row: BatchRow, source: str) -> BatchRow:
    assert row.file is not None
    if row.file.exists():
        return row
    problem = Problem(f"ligne {row.line}", "", None, "interrompu avant d'être écrit : relancez le lot", source=source)
    return replace(row, file=None, problems=(problem,))


def _written(row: BatchRow, failure: str, source: str) -> BatchRow:
    if not failure:
        return row
    return replace(
        row, file=None, problems=(Problem(f"ligne {row.line}", "", None, failure, source=source, line=row.line),)
    )


def index_frame(rows: list[BatchRow], out_dir: Path) -> pd.DataFrame:
    """The index: one line per CSV row; files relative to ``out_dir``."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "line": r.line,
                "structure": r.structure,
                "year": r.year,
                "grids": " | ".join(r.grids),
                "file": r.file.relative_to(out_dir).as_posix() if (r.written or r.kept) and r.file is not None else "",
                "status": "kept" if r.kept else "written" if r.written else "error",
                "message": " ; ".join(f"{p.where} : {p.message}" for p in r.problems),
            }
            for r in rows
        ],
        columns=["line", "structure", "year", "grids", "file", "status", "message"],
    )


# ---------------------------------------------------------------------------
# Next year from last year's collected workbooks (``batch --from DIR``)
# ---------------------------------------------------------------------------


def _roll_one(job: tuple[Path, str, bool, Path]) -> tuple[tuple[str, str, tuple[str, ...]], str]:
    """Worker: read one school's workbook and write its next-year workbook.
    Returns (structure, year, grids) and the French reason on failure, else ""."""
    from workbook_engine.workbook.reader import read_workbook
    from workbook_engine.workbook.rollover import rollover_scenario

    source, year, clear_incomes, path = job
    try:
        read = read_workbook(source)
        if read.scenario is None:
            first = read.errors[0] if read.errors else None
            why = f"{len(read.errors)} erreur(s) de saisie à corriger d'abord" + (f" ({first})" if first else "")
            return ("", "", ()), why
        following, report = rollover_scenario(read.scenario, year, clear_incomes=clear_incomes)
        info = (following.structure, following.year, tuple(g.name for g in following.grids))
        generate_workbook(following, path, reports=(report.sheet(),))
    except InputError as exc:
        why = "; ".join(p.message for p in exc.problems[:1]) or "classeur illisible"
        return ("", "", ()), why.removeprefix(f"{source.name} : ")
    except UsageError as exc:
        return ("", "", ()), str(exc).removeprefix(f"{path} : ")
    except OSError as exc:
        return ("", "", ()), f"écriture impossible : {exc.strerror or exc}"
    return info, ""


def batch_from(
    folder: str | Path,
    year: str,
    out_dir: str | Path,
    *,
    clear_incomes: bool = False,
    workers: int | None = None,
    progress: bool = False,
) -> BatchResult:
    """One next-year workbook per workbook found under ``folder`` (last
    year's collected workbooks), each by ``rollover_scenario``, written
    under the same file name in ``out_dir``, with the index. A workbook
    with input errors is a failed row (named in the index); the others go
    on. An existing output is kept, as in :func:`batch`."""
    from workbook_engine.formats.files import workbook_paths
    from workbook_engine.workbook.rollover import year_problem

    why = year_problem(year, "")
    if why is not None:
        raise UsageError(why)
    out_dir = Path(out_dir)
    sources = workbook_paths([str(folder)])
    if not sources:
        raise UsageError(f"aucun classeur .xlsx ou .ods dans {folder}")
    index = out_dir / INDEX_NAME
    refuse_overwrite(index, *sources, instead="un autre dossier de sortie", as_problem=True)
    rows: list[BatchRow] = []
    jobs: list[tuple[Path, str, bool, Path]] = []
    taken: set[str] = set()
    for line, source in enumerate(sources, start=1):
        stem = safe_stem(source.stem)
        name, k = stem, 2
        while name.casefold() in taken:
            name, k = f"{stem}_{k}", k + 1
        taken.add(name.casefold())
        path = out_dir / f"{name}.xlsx"
        refuse_overwrite(path, *sources, instead="un autre dossier de sortie", as_problem=True)
        if path.exists():
            rows.append(BatchRow(line, source.name, year, (), path, kept=True))
            continue
        rows.append(BatchRow(line, source.name, year, (), path))
        jobs.append((source, year, clear_incomes, path))
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes = iter(run_parallel(_roll_one, jobs, workers=workers, label="Classeurs écrits", progress=progress))
    done: list[BatchRow] = []
    for row in rows:
        if row.kept:
            done.append(row)
            continue
        (structure, year_, grids), failure = next(outcomes)
        if failure:
            problem = Problem(row.structure, "", None, failure, source=str(sources[row.line - 1]), line=row.line)
            done.append(replace(row, file=None, problems=(problem,)))
        else:
            done.append(replace(row, structure=structure or row.structure, year=year_, grids=grids))
    write_csv(index_frame(done, out_dir), index)
    return BatchResult(tuple(done), out_dir, index)
