"""The federation's commands, ``batch`` and ``collect``, for the command line.

``register(subparsers)`` adds them to ``workbook-engine``'s parser (see
``cli.build_parser``); each handler returns the exit code. The work is done
by :mod:`batch`, :mod:`collect` and :mod:`network_report`:

``workbook-engine batch SCHOOLS.csv [--base SCENARIO.json] -o DIR/``
    one workbook per school (format of SCHOOLS.csv: ``batch`` module) and
    ``DIR/index.csv``. Exit 0: every row written; 1: some rows could not be
    (each named by its line, the others are written); 2: the CSV or the base
    scenario is unusable (nothing written).

``workbook-engine collect DIR/ [-o NETWORK.xlsx] [--csv NETWORK.csv] [--quiet]``
    reads and checks every workbook of the folders and files given, prints a
    French summary, writes the network report and the per-workbook CSV
    (aggregates only, never a family). Exit 0: every workbook is consistent;
    1: some have findings or are unusable (listed; the report is still
    written); 2: nothing to collect, or an output would overwrite an input.

Both use every core (``--jobs`` to change) and show a progress bar (tqdm)
when stderr is a terminal, unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbook_engine.model.french import eur, pct
from workbook_engine.model.problems import UsageError

# The federation's modules (pandas, the pool, the evaluator) are imported by the commands that use them.

if TYPE_CHECKING:
    from workbook_engine.federation.collect import Network

__all__ = ["cmd_batch", "cmd_collect", "register"]


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError("un nombre de processus >= 1 est attendu")
    return n


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``batch`` and ``collect`` to the subparsers of ``cli.build_parser``;
    return the one that reads workbooks (collect: it takes ``--password``)."""
    b = subparsers.add_parser("batch", help="préparer un classeur par établissement (fédération)")
    b.add_argument("schools", nargs="?", help="liste des établissements, CSV (format : voir la documentation)")
    b.add_argument(
        "--from",
        dest="from_dir",
        help="dossier des classeurs de l'an dernier : un classeur de l'année suivante par classeur (rollover)",
    )
    b.add_argument("--year", help="avec --from : année scolaire des nouveaux classeurs, ex. 2027-2028")
    b.add_argument("--clear-incomes", action="store_true", help="avec --from : effacer les revenus (voir rollover)")
    b.add_argument("--base", help="scénario JSON de base : paramètres et tranches par défaut")
    b.add_argument("-o", "--output", required=True, help="dossier où écrire les classeurs et index.csv")
    b.add_argument("--jobs", type=_jobs, help="processus en parallèle (défaut : tous les cœurs)")
    b.add_argument("--quiet", action="store_true", help="sans barre de progression")
    b.set_defaults(run=cmd_batch)

    c = subparsers.add_parser("collect", help="rassembler les classeurs remplis : rapport de réseau (fédération)")
    c.add_argument("workbooks", nargs="+", help="dossiers de classeurs (.xlsx) ou classeurs")
    c.add_argument("-o", "--output", help="rapport de réseau .xlsx à écrire")
    c.add_argument("--csv", help="tableau par classeur en CSV à écrire")
    c.add_argument("--jobs", type=_jobs, help="processus en parallèle (défaut : tous les cœurs)")
    c.add_argument("--quiet", action="store_true", help="sans barre de progression")
    c.set_defaults(run=cmd_collect)
    return c


def cmd_batch(args: argparse.Namespace) -> int:
    from workbook_engine.federation.batch import batch, batch_from
    from workbook_engine.federation.parallel import show_progress

    if (args.schools is None) == (args.from_dir is None):
        raise UsageError("donnez soit la liste des établissements (CSV), soit --from DOSSIER")
    if args.from_dir is not None:
        if not args.year:
            raise UsageError("--from demande --year (l'année scolaire des nouveaux classeurs, ex. 2027-2028)")
        result = batch_from(
            args.from_dir,
            args.year,
            args.output,
            clear_incomes=args.clear_incomes,
            workers=args.jobs,
            progress=show_progress(args.quiet),
        )
    else:
        result = batch(args.schools, args.base, args.output, workers=args.jobs, progress=show_progress(args.quiet))
    for note in result.notes:
        print(f"  note : {note}", file=sys.stderr)
    print(f"{len(result.written)} classeur(s) écrit(s) dans {result.out_dir} ; index : {result.index}")
    if result.kept:
        print(f"{len(result.kept)} classeur(s) déjà présent(s), gardé(s) tel(s) quel(s) (lot repris) :")
        for row in result.kept:
            print(f"  - ligne {row.line} : {row.file}")
    if result.failed:
        print(f"{len(result.failed)} ligne(s) de {args.schools or args.from_dir} non traitée(s) :", file=sys.stderr)
        for row in result.failed:
            for p in row.problems:
                print(f"  - {p}", file=sys.stderr)
    return result.exit_code


def cmd_collect(args: argparse.Namespace) -> int:
    from workbook_engine.federation.collect import collect_network
    from workbook_engine.federation.network_report import write_csv, write_network_report
    from workbook_engine.federation.parallel import show_progress
    from workbook_engine.formats.files import refuse_overwrite, workbook_paths

    paths = workbook_paths(args.workbooks)
    report = Path(args.output) if args.output else None
    if report is not None:
        for item in map(Path, args.workbooks):
            if item.is_dir() and report.resolve().is_relative_to(item.resolve()):
                raise UsageError(
                    f"{report} : écrivez le rapport hors du dossier collecté {item} (il y serait lu "
                    "comme un classeur à la prochaine collecte)"
                )
    for out in (report, args.csv and Path(args.csv)):
        if out is not None:
            refuse_overwrite(out, *paths)
    if not paths:
        raise UsageError("aucun classeur .xlsx à rassembler")
    dirs = [Path(p) for p in args.workbooks if Path(p).is_dir()]
    network = collect_network(
        paths, workers=args.jobs, progress=show_progress(args.quiet), root=dirs[0] if len(dirs) == 1 else None
    )
    _print_summary(network)
    if report is not None:
        write_network_report(network, report)
        print(f"Rapport de réseau écrit : {report}")
    if args.csv:
        write_csv(network.workbooks, args.csv)
        print(f"Tableau par classeur écrit : {args.csv}")
    return 0 if network.totals["workbooks_ok"] == network.totals["workbooks"] else 1


def _print_summary(network: Network) -> None:
    from workbook_engine.federation.collect import STATUS_TEXT

    t = network.totals
    print(
        f"{t['workbooks']} classeur(s) : {t['workbooks_ok']} cohérent(s), {t['workbooks_findings']} avec "
        f"constats, {t['workbooks_unusable']} inutilisable(s)"
    )
    for row in network.workbooks.itertuples(index=False):
        if row.status != "ok":
            count = f"{row.findings} constat(s) ; " if row.status == "findings" else ""
            print(f"  {row.file} : {STATUS_TEXT[row.status]} : {count}{row.first_finding}")
    for note in network.notes:
        print(f"  note : {note}")
    target = (
        f" ; objectifs {eur(t['budget_target'])}, écarts {eur(t['gap'])} (classeurs ayant un objectif)"
        if t["budget_target"] is not None
        else ""
    )
    print(
        f"Réseau : {t['families']} familles, {t['pupils']} élèves ; recettes {eur(t['revenue'])}, anciennes "
        f"recettes {eur(t['old_revenue'])}, évolution {pct(t['change_pct'])}{target}"
    )
