"""``workbook-engine rollover``: next school year's workbook from this
year's, with this year's brackets kept as the comparison."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbook_engine.cli.common import EXIT_OK, EXIT_UNUSABLE, print_json
from workbook_engine.model.problems import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "rollover",
        help="préparer le classeur de l'année suivante (familles, grilles, barème de l'an dernier pour comparer)",
    )
    p.add_argument("workbook", help="classeur .xlsx/.ods de l'année qui s'achève")
    p.add_argument("--year", required=True, help="année scolaire du nouveau classeur, ex. 2027-2028")
    p.add_argument("-o", "--output", required=True, help="nouveau classeur .xlsx")
    p.add_argument(
        "--clear-incomes",
        action="store_true",
        help="effacer les revenus (familles « avis non fourni » jusqu'à la saisie du nouvel avis)",
    )
    p.add_argument(
        "--top-share-threshold",
        metavar="PART",
        help="part des familles d'une grille dans sa tranche la plus haute au-delà de laquelle le compte rendu "
        "conseille de la scinder (ex. 0,30 ou 30 %% ; défaut 25 %%)",
    )
    p.add_argument("--json", action="store_true", help="le compte rendu en JSON")
    p.set_defaults(run=run_rollover)
    return p


def run_rollover(args: argparse.Namespace) -> int:
    from workbook_engine.formats.files import refuse_overwrite
    from workbook_engine.workbook.generate import generate_workbook
    from workbook_engine.workbook.reader import read_workbook
    from workbook_engine.workbook.rollover import rollover_scenario, year_problem

    source, output = Path(args.workbook), Path(args.output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output} : le nouveau classeur est un .xlsx")
    refuse_overwrite(output, source)
    read = read_workbook(source)
    if read.scenario is None:
        for p in read.errors:
            print(f"  erreur : {p}", file=sys.stderr)
        print(f"{source} : saisies à corriger d'abord ; rien n'est écrit", file=sys.stderr)
        return EXIT_UNUSABLE
    why = year_problem(args.year, read.scenario.year)
    if why is not None:
        raise UsageError(why)
    from workbook_engine.cli.report import top_share_threshold

    threshold = top_share_threshold(args.top_share_threshold)
    following, report = rollover_scenario(
        read.scenario, args.year, clear_incomes=args.clear_incomes, top_share_threshold=threshold
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    generate_workbook(following, output, reports=(report.sheet(),))
    if args.json:
        print_json(
            {
                "source": str(source),
                "output": str(output),
                "last_year": report.last_year,
                "year": report.year,
                "families": report.families,
                "grids": list(report.grids),
                "incomes_cleared": report.incomes_cleared,
                "to_update": list(report.to_update),
                "advice": list(report.advice),
                "last_year_results": {"grids": report.last_results["grids"], "total": report.last_results["total"]},
            }
        )
    else:
        print("\n".join(report.lines()))
        print(f"  Écrit : {output}")
    return EXIT_OK
