"""Collect the workbooks bursars send back: aggregates only, no family data.

``collect(paths)`` reads and checks every workbook (``check.check_workbook``),
takes its numbers from the workbook's own formulas as the check evaluated
them (headlessly: files re-saved by other tools may hold no cached value;
each file is parsed and evaluated once), and returns one row per workbook.
``collect_network(paths)`` also gives the per-grid and per-tranche tables,
the network's distribution of families by tranche label and the network
totals.

Privacy: family ids, incomes and every other family input stay inside the
worker that reads a workbook; only counts and sums leave it. A finding about
a family row is reduced to its cell and kind (see :func:`safe_finding`),
since a check message may quote a family id or a typed income.

A file that is no workbook of ours (empty, text, a workbook from elsewhere)
or that cannot be computed is one row with status ``unusable`` and the French
reason; the run goes on. Workbooks are read on all cores; results keep the
order of ``paths``.

Row figures beyond the SPEC's structure totals:

- ``pupils``: sum over grids; ``families_without_notice``: family rows the
  workbook treats as without a notice (its income is blank), each family
  once, even with pupils in several grids;
- ``amplitude_max`` and ``top_share_max``: the largest over the grids (the
  grid to look at first when brackets need splitting);
- ``layout_version``: the layout version the workbook says it is (its stamp;
  "1 (sans tampon)" for a workbook of the first release), as ``check`` says.

Notes (``Network.notes``, French): a school whose year is not the network's
(the year most usable workbooks have; on a tie, the latest), a school that
typed no year, and the workbooks of another layout version than the
current one (``workbook-engine upgrade``). Notes name files and years only.

Network totals sum the usable workbooks (status ``ok`` or ``findings``);
the target and the gap sum the workbooks that have a target; change % is
revenue / old revenue - 1, as for one structure.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

from workbook_engine.evaluator.locale_numbers import current_locale, number_locale
from workbook_engine.federation.parallel import run_parallel
from workbook_engine.model.results import money, ratio
from workbook_engine.safety.gate import current_password, workbook_password
from workbook_engine.workbook.check import CheckReport, Evaluate, Finding, check_workbook
from workbook_engine.workbook.layout import LAYOUT_VERSION, SHEET_FAMILIES, SUMMARY_COLUMNS, Layout, Ref
from workbook_engine.workbook.results import family_columns, has_previous, summary_json_from_cells, used_slots

if TYPE_CHECKING:  # pandas is imported where the tables are built: the worker processes do without it
    import pandas as pd

__all__ = [
    "DISTRIBUTION_COLUMNS",
    "GRID_COLUMNS",
    "TOTAL_LABELS",
    "TRANCHE_COLUMNS",
    "WORKBOOK_COLUMNS",
    "Network",
    "WorkbookSummary",
    "collect",
    "collect_network",
    "network_notes",
    "safe_finding",
    "summarize_workbook",
]

Kind = Literal["text", "count", "eur", "pct", "ratio"]
Status = Literal["ok", "findings", "unusable"]
# Figures as the results JSON has them (numbers, text, None), by key: a
# workbook's totals, one grid's or one tranche's line.
Record = dict[str, Any]

# (key, French label, kind): one description drives the DataFrames, the CSV
# and the report workbook.
Column = tuple[str, str, Kind]
_FILE: Column = ("file", "Fichier", "text")
_STRUCTURE: Column = ("structure", "Structure", "text")
_GRID: tuple[Column, ...] = (("grid", "N° grille", "count"), ("grid_name", "Grille", "text"))
_PEOPLE: tuple[Column, ...] = (("families", "Familles", "count"), ("pupils", "Élèves", "count"))
_FIGURES: tuple[Column, ...] = (
    ("revenue", "Recettes", "eur"),
    ("budget_target", "Objectif", "eur"),
    ("gap", "Écart à l'objectif", "eur"),
    ("old_revenue", "Anciennes recettes", "eur"),
    ("change_pct", "Évolution des recettes", "pct"),
)
_CHANGE: tuple[Column, ...] = (
    ("families_pay_more", "Familles payant plus", "count"),
    ("families_unchanged", "Familles payant autant", "count"),
    ("families_pay_less", "Familles payant moins", "count"),
)
_WITHOUT_NOTICE: Column = ("families_without_notice", "Familles sans avis", "count")
WORKBOOK_COLUMNS: tuple[tuple[str, str, Kind], ...] = (
    _FILE,
    ("status", "État", "text"),
    ("findings", "Constats", "count"),
    ("first_finding", "Premier constat", "text"),
    _STRUCTURE,
    ("year", "Année", "text"),
    ("layout_version", "Version du modèle", "text"),
    ("grids", "Grilles", "text"),
    *_PEOPLE,
    *_FIGURES,
    ("amplitude_max", "Amplitude max. (haut / bas)", "ratio"),
    ("top_share_max", "Part max. en tranche haute", "pct"),
    _WITHOUT_NOTICE,
    *_CHANGE,
)
GRID_COLUMNS: tuple[tuple[str, str, Kind], ...] = (
    _FILE,
    _STRUCTURE,
    *_GRID,
    *_PEOPLE,
    *_FIGURES,
    ("amplitude", "Amplitude (haut / bas)", "ratio"),
    ("top_share", "Part en tranche haute", "pct"),
    _WITHOUT_NOTICE,
)
TRANCHE_COLUMNS: tuple[tuple[str, str, Kind], ...] = (
    _FILE,
    _STRUCTURE,
    *_GRID,
    ("tranche", "N° tranche", "count"),
    ("label", "Tranche", "text"),
    ("lower", "Borne inférieure", "eur"),
    ("amount", "Montant par élève", "eur"),
    *_PEOPLE,
    ("revenue", "Recettes", "eur"),
)
DISTRIBUTION_COLUMNS: tuple[tuple[str, str, Kind], ...] = (
    ("label", "Tranche", "text"),
    ("families", "Familles", "count"),
    ("pupils", "Élèves", "count"),
    ("revenue", "Recettes", "eur"),
)
TOTAL_LABELS: tuple[tuple[str, str, Kind], ...] = (
    ("workbooks", "Classeurs collectés", "count"),
    ("workbooks_ok", "Classeurs cohérents", "count"),
    ("workbooks_findings", "Classeurs avec constats", "count"),
    ("workbooks_unusable", "Classeurs inutilisables", "count"),
    *_PEOPLE,
    ("revenue", "Recettes", "eur"),
    ("budget_target", "Objectifs (classeurs qui en ont un)", "eur"),
    ("gap", "Écarts à l'objectif (mêmes classeurs)", "eur"),
    ("old_revenue", "Anciennes recettes", "eur"),
    ("change_pct", "Évolution des recettes", "pct"),
    _WITHOUT_NOTICE,
    *_CHANGE,
)
STATUS_TEXT = {"ok": "cohérent", "findings": "constats", "unusable": "inutilisable"}
_FAMILY_WORDS = re.compile(r"famille|Familles!", re.IGNORECASE)
_EXCEL_ERROR = re.compile(r"#(?:N/A|VALUE!|REF!|DIV/0!|NAME\?|NUM!|NULL!)")
MAX_NOTED = 20  # workbooks named in the note on layout versions before "et N autre(s)"
_CELL = re.compile(r"^'?[^'!(]+'?!\$?[A-Z]+\$?\d+")


@dataclass(frozen=True)
class WorkbookSummary:
    """What leaves the worker for one workbook: aggregates, never a family."""

    file: str
    status: Status
    findings: int = 0
    first_finding: str = ""
    structure: str = ""
    year: str = ""
    layout_version: str = ""
    total: Record = field(default_factory=dict)  # the results JSON's total, plus pupils and without notice
    grids: tuple[Record, ...] = ()
    tranches: tuple[Record, ...] = ()


@dataclass(frozen=True)
class Network:
    """Everything ``collect`` found, as tables (columns: the ``*_COLUMNS`` keys)."""

    workbooks: pd.DataFrame
    grids: pd.DataFrame
    tranches: pd.DataFrame
    distribution: pd.DataFrame
    totals: Record
    notes: tuple[str, ...] = ()  # French lines for the federation (module docstring)


# ---------------------------------------------------------------------------
# One workbook (runs in a worker process)
# ---------------------------------------------------------------------------


def safe_finding(finding: Finding) -> str:
    """A finding as the federation may see it. About a family row, only the
    cell and the kind of problem: check messages may quote a family id or
    a typed income, which the federation must not collect."""
    if finding.part == "review":
        return str(finding)  # the method's advice about a grid: shares and the sheet's name, never a family
    if finding.family is None and not (_FAMILY_WORDS.search(finding.where) or _FAMILY_WORDS.search(finding.message)):
        return str(finding)
    cell = finding.cell or (m[0] if (m := _CELL.match(finding.where)) else f"feuille {SHEET_FAMILIES}")
    kind = {
        "structure": "formule d'une ligne de famille modifiée, ou famille hors du tableau",
        "numbers": "résultat d'une famille différent du modèle",
        "inputs": "saisie d'une famille à corriger"
        if finding.severity == "error"
        else "saisie d'une famille à vérifier",
    }[finding.part]
    return f"{cell} : {kind} (détail : workbook-engine check sur le classeur)"


# A parenthesised detail, or a Python repr of text ('...', b'...', "..."),
# not a French apostrophe (l'entrée: a letter before it).
_DETAIL = re.compile(r"\([^()]*\)|(?:(?<=[\s:=\[(])|^)[bu]?'[^']*'|\"[^\"]*\"")
_QUOTED = re.compile(r"«\s*([^«»]*?)\s*»")
_SAFE_NAMES = re.compile(r"Mode d'emploi|Paramètres|Grille \d{1,3}|Familles|Synthèse|Barème|WE_MODELE")
MAX_REASON = 200


def safe_reason(text: str) -> str:
    """Why a file is unusable, as the federation may see it: our own words
    only. A reader's reason may quote what a cell held (a Python exception
    about a family's income typed as text: ``could not convert string to
    float: 'DUPONT...'``), so every parenthesised detail and quoted text is
    dropped; a quoted name stays only when it is one of the layout's sheets
    or the stamp; one line, bounded. The bursar sees the whole reason
    with ``check`` on the file."""
    kept = text.replace("\n", " ").replace("\r", " ")
    for _ in range(10):  # nested parentheses, innermost first
        kept, n = _DETAIL.subn("", kept)
        if not n:
            break
    kept = kept.split("(", 1)[0]  # what an unbalanced or deeper parenthesis would still quote
    kept = _QUOTED.sub(lambda m: m.group(0) if _SAFE_NAMES.fullmatch(m.group(1)) else "«…»", kept)
    kept = " ".join(kept.split())[:MAX_REASON].rstrip(" :;,")
    detail = "détail : workbook-engine check sur le classeur"
    return f"{kept} ({detail})" if kept else detail


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _aggregates(layout: Layout, value: Callable[[Ref], object]) -> dict[str, Any]:
    """The workbook's own figures: structure, year, per-grid, per-tranche, totals."""
    results = summary_json_from_cells(layout, value, has_previous(layout, value))  # no family is listed
    # A figure that is text is an error code the formulas show (#VALUE!...):
    # no aggregate can be made of it.
    shown = [v for g in results["grids"] for v in g.values() if isinstance(v, str) and v.startswith("#")]
    shown += [v for v in results["total"].values() if isinstance(v, str)]
    if shown:
        raise ValueError(f"formula error {shown[0]}")
    _rows, columns = family_columns(layout, value, ("income",))
    blank_income = sum(1 for v in columns["income"] if v is None or v == "")
    grids, tranches = [], []
    for gl, grid in zip(layout.grids, results["grids"]):
        grids.append(
            {"grid": gl.number, "grid_name": grid["name"]}
            | {k: grid[k] for k in SUMMARY_COLUMNS}  # the figures of Synthèse's grid lines, in its order
        )
        for number, (slot, t) in enumerate(zip(used_slots(gl, value), grid["tranches"]), start=1):
            tranches.append(
                {
                    "grid": gl.number,
                    "grid_name": grid["name"],
                    "tranche": number,
                    "label": t["label"],
                    "lower": money(_number(value(slot.lower.ref))),
                    "amount": money(_number(value(slot.amount.ref))),
                    "families": t["families"],
                    "pupils": t["pupils"],
                    "revenue": t["revenue"],
                }
            )
    total = dict(
        results["total"], pupils=sum(g["pupils"] for g in results["grids"]), families_without_notice=blank_income
    )
    return {
        "structure": _text(value(layout.param["structure"].ref)),
        "year": _text(value(layout.param["year"].ref)),
        "total": total,
        "grids": tuple(grids),
        "tranches": tuple(tranches),
    }


def _number(v: object) -> float | None:
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def summarize_workbook(path: str | Path, evaluate: Evaluate | None = None, name: str | None = None) -> WorkbookSummary:
    """Check one workbook and aggregate its own results (the check's
    evaluation: the file is read and evaluated once). Never raises: a file
    that cannot be used is a summary with status ``unusable``."""
    path = Path(path)
    name = name or str(path)
    try:
        report: CheckReport = check_workbook(path, evaluate=evaluate)
        if report.unusable:
            return WorkbookSummary(name, "unusable", first_finding=safe_reason(report.unusable))
        assert report.layout is not None and report.values is not None  # set for every usable workbook
        figures = _aggregates(report.layout, report.values)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a network's collection
        return WorkbookSummary(name, "unusable", first_finding=_failure(exc))
    first = safe_finding(report.findings[0]) if report.findings else ""
    return WorkbookSummary(name, report.status, len(report.findings), first, layout_version=report.version, **figures)


def _failure(exc: Exception) -> str:
    """Why a workbook gave no figures, in French. The exception's own text is
    not shown (it might quote a cell a family typed), only an error code the
    formulas displayed, or the exception's kind."""
    code = _EXCEL_ERROR.search(str(exc))
    if code:
        return (
            f"le classeur affiche l'erreur {code[0]} dans ses résultats (saisie ou tranche à corriger) : "
            "lancez workbook-engine check sur le classeur"
        )
    return f"calcul impossible ({type(exc).__name__}) : lancez workbook-engine check sur le classeur"


def _summarize_job(job: tuple[Path, str, Evaluate | None, str | None, str]) -> WorkbookSummary:
    path, name, evaluate, password, locale = job
    # Worker processes do not inherit the caller's context: password and locale travel with the job.
    with workbook_password(password), number_locale(locale):
        return summarize_workbook(path, evaluate, name)


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def _frame(rows: Sequence[Mapping[str, object]], columns: tuple[Column, ...]) -> pd.DataFrame:
    """A table with one dtype per kind: nullable integers for counts, floats
    (NaN for blank) for money and ratios, text for the rest."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=[key for key, _label, _kind in columns])
    for key, _label, kind in columns:
        if kind == "count":
            frame[key] = frame[key].astype("Int64")
        elif kind in ("eur", "pct", "ratio"):
            frame[key] = frame[key].astype("float64")
        else:
            frame[key] = frame[key].fillna("").astype(str)
    return frame


def _max(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _workbook_row(s: WorkbookSummary) -> dict[str, object]:
    t = s.total
    return {
        "file": s.file,
        "status": s.status,
        "findings": s.findings,
        "first_finding": s.first_finding,
        "structure": s.structure,
        "year": s.year,
        "layout_version": s.layout_version,
        "grids": " | ".join(g["grid_name"] for g in s.grids),
        "families": t.get("families"),
        "pupils": t.get("pupils"),
        "revenue": t.get("revenue"),
        "budget_target": t.get("budget_target"),
        "gap": t.get("gap"),
        "old_revenue": t.get("old_revenue"),
        "change_pct": t.get("change_pct"),
        "amplitude_max": _max(g["amplitude"] for g in s.grids),
        "top_share_max": _max(g["top_share"] for g in s.grids),
        "families_without_notice": t.get("families_without_notice"),
        "families_pay_more": t.get("families_pay_more"),
        "families_unchanged": t.get("families_unchanged"),
        "families_pay_less": t.get("families_pay_less"),
    }


def _sum_money(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    total = money(math.fsum(present)) if present else None
    return None if isinstance(total, str) else total  # never text: money() of a number is a number


def network_totals(summaries: list[WorkbookSummary]) -> Record:
    usable = [s.total for s in summaries if s.status != "unusable"]
    counts = {status: sum(1 for s in summaries if s.status == status) for status in ("ok", "findings", "unusable")}
    revenue = _sum_money(t["revenue"] for t in usable) or 0.0
    old = _sum_money(t["old_revenue"] for t in usable) or 0.0
    totals = {
        "workbooks": len(summaries),
        "workbooks_ok": counts["ok"],
        "workbooks_findings": counts["findings"],
        "workbooks_unusable": counts["unusable"],
        "revenue": revenue,
        "budget_target": _sum_money(t["budget_target"] for t in usable),
        "gap": _sum_money(t["gap"] for t in usable),
        "old_revenue": old,
        "change_pct": ratio(revenue / old - 1) if old else None,
    }
    for key in (
        "families",
        "pupils",
        "families_without_notice",
        "families_pay_more",
        "families_unchanged",
        "families_pay_less",
    ):
        totals[key] = sum(t[key] for t in usable)
    return {key: totals[key] for key, _label, _kind in TOTAL_LABELS}


def distribution(tranches: pd.DataFrame) -> pd.DataFrame:
    """Families, pupils and revenue by tranche label over the whole network,
    labels in bracket order (by their lowest position in a grid, then name)."""
    if tranches.empty:
        return _frame([], DISTRIBUTION_COLUMNS)
    grouped = tranches.groupby("label", sort=False).agg(
        position=("tranche", "min"),
        families=("families", "sum"),
        pupils=("pupils", "sum"),
        revenue=("revenue", lambda s: money(math.fsum(s.dropna()))),
    )
    grouped = grouped.reset_index().sort_values(["position", "label"], kind="stable")
    return _frame(grouped.drop(columns="position").to_dict("records"), DISTRIBUTION_COLUMNS)


def collect_network(
    paths: Iterable[str | Path],
    *,
    evaluate: Evaluate | None = None,
    workers: int | None = None,
    progress: bool = False,
    root: str | Path | None = None,
) -> Network:
    """Read, check and aggregate every workbook of ``paths`` (files), on
    ``workers`` processes (default: all cores). ``root``: files under it are
    named relative to it in the tables (so a report does not depend on where
    the folder sits). ``evaluate``: a module-level function in the shape of
    ``check.Evaluate``, for tests; the default is the headless evaluator."""
    files = [Path(p) for p in paths]
    password = current_password()
    jobs = [(p, _display_name(p, root), evaluate, password, current_locale()) for p in files]
    summaries = run_parallel(_summarize_job, jobs, workers=workers, label="Classeurs lus", progress=progress)
    workbooks = _frame([_workbook_row(s) for s in summaries], WORKBOOK_COLUMNS)
    grids = _frame([{"file": s.file, "structure": s.structure} | g for s in summaries for g in s.grids], GRID_COLUMNS)
    tranches = _frame(
        [{"file": s.file, "structure": s.structure} | t for s in summaries for t in s.tranches], TRANCHE_COLUMNS
    )
    return Network(
        workbooks, grids, tranches, distribution(tranches), network_totals(summaries), network_notes(summaries)
    )


def network_notes(summaries: Sequence[WorkbookSummary]) -> tuple[str, ...]:
    """What the federation should look at beyond the figures: years that are
    not the network's, workbooks of another layout version (module docstring)."""
    usable = [s for s in summaries if s.status != "unusable"]
    years = Counter(s.year for s in usable if s.year)
    notes: list[str] = []
    if years:
        # the most frequent year; on a tie the latest ("2026-2027" sorts after "2025-2026")
        network_year = max(years, key=lambda y: (years[y], y))
        for s in usable:
            if not s.year:
                notes.append(f"{s.file} : année scolaire non saisie (le réseau est en {network_year})")
            elif s.year != network_year:
                notes.append(
                    f"{s.file} : année scolaire {s.year}, différente de celle du réseau ({network_year}, "
                    f"{years[network_year]} classeur(s) sur {len(usable)})"
                )
    other = [s for s in usable if s.layout_version != str(LAYOUT_VERSION)]
    if other:
        listed = ", ".join(f"{s.file} (version {s.layout_version})" for s in other[:MAX_NOTED])
        more = f" et {len(other) - MAX_NOTED} autre(s)" if len(other) > MAX_NOTED else ""
        notes.append(
            f"{len(other)} classeur(s) d'une autre version du modèle que la version actuelle ({LAYOUT_VERSION}) : "
            f"{listed}{more} ; workbook-engine upgrade les passe à la version actuelle"
        )
    return tuple(notes)


class CollectOptions(TypedDict, total=False):
    """The keyword options of :func:`collect_network`."""

    evaluate: Evaluate | None
    workers: int | None
    progress: bool
    root: str | Path | None


def collect(paths: Iterable[str | Path], **options: Unpack[CollectOptions]) -> pd.DataFrame:
    """One row per workbook (columns: the keys of ``WORKBOOK_COLUMNS``);
    options as :func:`collect_network`."""
    return collect_network(paths, **options).workbooks


def _display_name(path: Path, root: str | Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)
