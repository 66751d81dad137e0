"""The ``workbook-engine`` command line. Wiring only: each command calls the
library and prints; ``main(argv)`` returns the exit code so tests can run it
in-process.

Exit codes: 0 ok, 1 findings (a check found inconsistencies), 2 unusable
input, 3 internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .families_csv import load_scenario
from .generate import blank_scenario, generate_workbook
from .layout import DEFAULT_CAPACITY, DEFAULT_SLOTS
from .model import simulate
from .problems import InputError, Problem
from .report import format_summary
from .sample import load_sample
from .scenario_json import dumps_scenario
from .templates import write_templates

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """A command line that cannot be carried out (message in French)."""


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def refuse_overwrite(output: Path, *inputs: Path | None) -> None:
    """Never write over an input file."""
    for source in inputs:
        if source is not None and output.exists() and source.exists() and output.samefile(source):
            raise UsageError(f"{output} : refus d'écraser un fichier d'entrée ; choisissez un autre nom de sortie")


def cmd_simulate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.families)
    results = simulate(scenario)
    if args.json:
        print_json(results.to_json())
    else:
        sys.stdout.write(format_summary(results, scenario.structure))
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if args.scenario is None and args.grids is None:
        raise UsageError("indiquez un scénario JSON (classeur rempli) ou --grids N (classeur vierge)")
    if args.scenario is not None and args.grids is not None:
        raise UsageError("--grids sert aux classeurs vierges : ne le donnez pas avec un scénario")
    if args.grids is not None:
        if args.grids < 1:
            raise UsageError("--grids doit valoir au moins 1")
        scenario = blank_scenario(args.grids)
    else:
        scenario = load_scenario(args.scenario, args.families)
    refuse_overwrite(out, args.scenario and Path(args.scenario), args.families and Path(args.families))
    generate_workbook(scenario, out, slots=args.slots, capacity=args.capacity)
    print(f"Classeur écrit : {out} ({scenario.n_grids} grille(s), {len(scenario.families)} famille(s))")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    scenario = load_sample()
    results = simulate(scenario)
    sys.stdout.write(format_summary(results, scenario.structure))
    (out / "exemple_scenario.json").write_text(dumps_scenario(scenario), encoding="utf-8")
    (out / "exemple_resultats.json").write_text(
        json.dumps(results.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    generate_workbook(scenario, out / "exemple_3UP.xlsx")
    for n in (1, 2, 3):
        generate_workbook(blank_scenario(n), out / f"vierge_{n}UP.xlsx")
    print(f"\nFichiers écrits dans {out}/ : exemple_scenario.json, exemple_resultats.json, "
          "exemple_3UP.xlsx, vierge_1UP.xlsx, vierge_2UP.xlsx, vierge_3UP.xlsx")
    return EXIT_OK


def cmd_templates(args: argparse.Namespace) -> int:
    for path in write_templates(args.output):
        print(f"écrit : {path}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbook-engine",
                                description="Tarification sociale des OGEC : modèle Python et classeurs Excel.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", help="calculer les résultats d'un scénario")
    s.add_argument("scenario", help="scénario JSON")
    s.add_argument("--families", help="familles en CSV (remplacent celles du scénario)")
    s.add_argument("--json", action="store_true", help="résultats au format JSON")
    s.set_defaults(run=cmd_simulate)

    g = sub.add_parser("generate", help="écrire un classeur (rempli d'après un scénario, ou vierge)")
    g.add_argument("scenario", nargs="?", help="scénario JSON")
    g.add_argument("--grids", type=int, help="nombre de grilles d'un classeur vierge")
    g.add_argument("--families", help="familles en CSV (remplacent celles du scénario)")
    g.add_argument("-o", "--output", required=True, help="classeur .xlsx à écrire")
    g.add_argument("--capacity", type=int, default=DEFAULT_CAPACITY, help="lignes de familles (défaut 2000)")
    g.add_argument("--slots", type=int, default=DEFAULT_SLOTS, help="lignes de tranches par grille (défaut 10)")
    g.set_defaults(run=cmd_generate)

    d = sub.add_parser("demo", help="exemple complet sur les données fournies avec le paquet")
    d.add_argument("-o", "--output", default="workbook-engine-demo", help="dossier de sortie")
    d.set_defaults(run=cmd_demo)

    t = sub.add_parser("templates", help="régénérer les modèles 1UP, 2UP, 3UP (vierges et exemples)")
    t.add_argument("-o", "--output", default="templates", help="dossier des modèles (défaut templates)")
    t.set_defaults(run=cmd_templates)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its message
        return EXIT_OK if exc.code == 0 else EXIT_UNUSABLE
    try:
        return args.run(args)
    except InputError as exc:
        report_problems(exc.problems)
        return EXIT_UNUSABLE
    except UsageError as exc:
        print(f"workbook-engine : {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except OSError as exc:
        print(f"workbook-engine : {exc.filename or ''} : {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:  # noqa: BLE001 - a bug must not show a bursar a traceback
        print(f"workbook-engine : erreur interne ({type(exc).__name__} : {exc}) ; merci de la signaler",
              file=sys.stderr)
        return EXIT_INTERNAL


def report_problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    print(f"workbook-engine : {len(errors)} problème(s) empêchent le calcul :", file=sys.stderr)
    for p in problems:
        print(f"  - {p}", file=sys.stderr)


def entrypoint() -> None:
    sys.exit(main())
