"""The ``workbook-engine`` command line. Wiring only: each command calls the
library and prints; ``main(argv)`` returns the exit code so tests can run it
in-process.

Exit codes: 0 ok, 1 findings (a check found inconsistencies), 2 unusable
input, 3 internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from workbook_engine import __version__
from workbook_engine.cli import anonymize, federation, report
from workbook_engine.cli import calc as calc_command
from workbook_engine.cli import calibrate as calibrate_command
from workbook_engine.cli import publish as publish_command
from workbook_engine.cli import rollover as rollover_command
from workbook_engine.cli import upgrade as upgrade_command
from workbook_engine.cli.common import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_UNUSABLE,
    Terminated,
    control_free_output,
    parse_grid_list,
    print_json,
    terminate_cleanly,
)
from workbook_engine.evaluator.locale_numbers import DEFAULT_LOCALE, LOCALES, number_locale
from workbook_engine.model.problems import InputError, Problem, UsageError, show_value

# Each command imports the library modules it needs when it runs: building the
# parser (``--help``, or any command's start) must not load numpy, pandas or openpyxl.

MAX_SHOWN = 10  # lines of a kind printed before "et N autres"


def cmd_simulate(args: argparse.Namespace) -> int:
    from workbook_engine.formats.families_csv import load_scenario
    from workbook_engine.formats.summary import format_summary
    from workbook_engine.model.simulate import simulate

    scenario = load_scenario(args.scenario, args.families)
    results = simulate(scenario)
    if args.json:
        print_json(results.to_json())
    else:
        sys.stdout.write(format_summary(results, scenario.structure))
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from workbook_engine.formats.families_csv import load_scenario
    from workbook_engine.formats.files import refuse_overwrite
    from workbook_engine.model.limits import workbook_size_problem
    from workbook_engine.workbook.generate import blank_scenario, generate_workbook
    from workbook_engine.workbook.layout import DEFAULT_CAPACITY, DEFAULT_SLOTS

    out = Path(args.output)
    if args.scenario is None and args.grids is None:
        raise UsageError("indiquez un scénario JSON (classeur rempli) ou --grids N (classeur vierge)")
    if args.scenario is not None and args.grids is not None:
        raise UsageError("--grids sert aux classeurs vierges : ne le donnez pas avec un scénario")
    slots = DEFAULT_SLOTS if args.slots is None else args.slots
    capacity = DEFAULT_CAPACITY if args.capacity is None else args.capacity
    # The writer's limits, before anything is built (README, "Limits").
    if problem := workbook_size_problem(1 if args.grids is None else args.grids, slots, capacity):
        raise UsageError(problem)
    if args.grids is not None:
        scenario = blank_scenario(args.grids)
    else:
        scenario = load_scenario(args.scenario, args.families)
    refuse_overwrite(out, args.scenario and Path(args.scenario), args.families and Path(args.families))
    generate_workbook(scenario, out, slots=slots, capacity=capacity)
    print(f"Classeur écrit : {out} ({scenario.n_grids} grille(s), {len(scenario.families)} famille(s))")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from workbook_engine.formats.files import write_text_atomic
    from workbook_engine.formats.sample import load_sample
    from workbook_engine.formats.scenario_json import dumps_scenario
    from workbook_engine.formats.summary import format_summary
    from workbook_engine.model.simulate import simulate
    from workbook_engine.workbook.check import check_workbook
    from workbook_engine.workbook.generate import blank_scenario, generate_workbook

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    scenario = load_sample()
    results = simulate(scenario)
    sys.stdout.write(format_summary(results, scenario.structure))
    write_text_atomic(out / "exemple_scenario.json", dumps_scenario(scenario))  # disk full: one line naming it
    write_text_atomic(
        out / "exemple_resultats.json", json.dumps(results.to_json(), ensure_ascii=False, indent=2) + "\n"
    )
    generate_workbook(scenario, out / "exemple_3UP.xlsx")
    for n in (1, 2, 3):
        generate_workbook(blank_scenario(n), out / f"vierge_{n}UP.xlsx")
    print(
        f"\nFichiers écrits dans {out}/ : exemple_scenario.json, exemple_resultats.json, "
        "exemple_3UP.xlsx, vierge_1UP.xlsx, vierge_2UP.xlsx, vierge_3UP.xlsx\n"
    )
    # Close the loop: the workbook's own formulas, evaluated headlessly, against the model.
    report = check_workbook(out / "exemple_3UP.xlsx")
    sys.stdout.write(report.format())
    return report.exit_code


def cmd_read(args: argparse.Namespace) -> int:
    from workbook_engine.formats.files import refuse_overwrite, write_text_atomic
    from workbook_engine.formats.scenario_json import dumps_scenario
    from workbook_engine.workbook.reader import read_workbook

    read = read_workbook(args.workbook)
    for note in read.notes:
        print(f"  note : {args.workbook} : {note}", file=sys.stderr)
    for p in read.warnings:
        print(f"  attention : {p}", file=sys.stderr)
    for p in read.problems:
        if p.severity == "info":
            print(f"  pour information : {p}", file=sys.stderr)
    for fid, row in read.below_formulas.items():
        print(
            f"  attention : {args.workbook} : famille {fid} saisie ligne {row + 1}, sous la dernière ligne de "
            "formules : elle est lue, mais le classeur ne calcule pas son tarif (régénérez-le)",
            file=sys.stderr,
        )
    if read.scenario is None:
        raise InputError(read.errors)  # the warnings are printed above
    text = dumps_scenario(read.scenario)
    if args.output:
        out = Path(args.output)
        refuse_overwrite(out, Path(args.workbook))
        write_text_atomic(out, text)
        print(f"Scénario écrit : {out} ({read.scenario.n_grids} grille(s), {len(read.scenario.families)} famille(s))")
    else:
        sys.stdout.write(text)
    return EXIT_FINDINGS if read.warnings else EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from workbook_engine.formats.summary import format_results_json
    from workbook_engine.workbook.file import open_workbook_file
    from workbook_engine.workbook.reader import cell_name, read_workbook
    from workbook_engine.workbook.results import figures_not_numbers, results_json_from_cells

    wf = open_workbook_file(args.workbook)  # parsed once, for the reader and the evaluation
    read = read_workbook(wf)
    ev = wf.evaluation()
    results = results_json_from_cells(read.layout, ev)
    if args.json:
        print_json(results)
    else:
        sys.stdout.write(format_results_json(results, read.scenario.structure if read.scenario else ""))
        shown = figures_not_numbers(read.layout, ev)
        if shown:
            print(f"\n{len(shown)} résultat(s) du classeur ne sont pas des nombres :")
            for cell, v in shown[:MAX_SHOWN]:
                print(f"  {cell_name(cell.ref)} ({cell.label}) affiche {show_value(v)}")
            causes = [p for p in read.problems if p.severity != "info"]
            if causes:
                print("Saisies à vérifier (elles en sont souvent la cause) :")
                for p in causes[:MAX_SHOWN]:
                    print(f"  {p}")
                if len(causes) > MAX_SHOWN:
                    print(f"  ... et {len(causes) - MAX_SHOWN} autre(s) (workbook-engine read CLASSEUR)")
    if ev.fallback_cells:
        print(
            f"  {len(ev.fallback_cells)} cellule(s) calculée(s) par le moteur de secours (formulas) : "
            + ", ".join(ev.fallback_cells[:10]),
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    return report.run_check(args)  # formats, gate and annotated copy: cli/report.py


def cmd_merge(args: argparse.Namespace) -> int:
    from workbook_engine.formats.files import refuse_overwrite
    from workbook_engine.model.restructure import merge_scenarios
    from workbook_engine.workbook.generate import generate_workbook
    from workbook_engine.workbook.reader import load_workbook_scenario

    out = Path(args.output)
    sources = [Path(p) for p in args.workbooks]
    refuse_overwrite(out, *sources)
    problems, inputs = [], []
    for path in sources:
        try:
            inputs.append((str(path), load_workbook_scenario(path)))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    scenario, report = merge_scenarios(inputs)
    generate_workbook(scenario, out)
    if args.json:
        print_json(
            report.to_json()
            | {"output": str(out), "grid_count": scenario.n_grids, "family_count": len(scenario.families)}
        )
    else:
        sys.stdout.write(report.format())
        print(f"Classeur fusionné écrit : {out} ({scenario.n_grids} grilles, {len(scenario.families)} familles)")
    return EXIT_OK


def cmd_split(args: argparse.Namespace) -> int:
    from workbook_engine.formats.files import refuse_overwrite
    from workbook_engine.model.restructure import select_grids
    from workbook_engine.workbook.generate import generate_workbook
    from workbook_engine.workbook.reader import load_workbook_scenario

    source = Path(args.workbook)
    scenario = load_workbook_scenario(source)
    parts = [parse_grid_list(text, scenario.n_grids) for text in args.grids]
    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    for grids in parts:
        part, dropped = select_grids(scenario, grids)
        out = out_dir / f"{source.stem}_grilles_{'-'.join(map(str, grids))}.xlsx"
        refuse_overwrite(out, source)
        generate_workbook(part, out)
        print(
            f"{out} : grille(s) {', '.join(g.name or str(i) for i, g in zip(grids, part.grids))}, "
            f"{len(part.families)} famille(s) ; {dropped} famille(s) sans élève dans ces grilles retirée(s)"
        )
    return EXIT_OK


def cmd_templates(args: argparse.Namespace) -> int:
    from workbook_engine.workbook.templates import write_templates

    for path in write_templates(args.output):
        print(f"écrit : {path}")
    return EXIT_OK


def add_workbook_options(parser: argparse.ArgumentParser) -> None:
    """Options of every command that reads workbooks."""
    parser.add_argument(
        "--password",
        help="mot de passe d'un classeur chiffré (ou variable "
        "WORKBOOK_ENGINE_PASSWORD, qui n'apparaît pas dans l'historique)",
    )
    parser.add_argument(
        "--locale",
        choices=LOCALES,
        default=DEFAULT_LOCALE,
        help="langue du tableur des classeurs, pour lire les nombres saisis comme texte "
        "(fr : « 35 000 », « 2,5 » ; en : « 35,000 », « 2.5 » ; défaut fr)",
    )


def add_evaluation_options(parser: argparse.ArgumentParser, json_help: str) -> None:
    """Options of the commands that evaluate a workbook's formulas."""
    parser.add_argument("--json", action="store_true", help=json_help)
    add_workbook_options(parser)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="workbook-engine", description="Tarification sociale des OGEC : modèle Python et classeurs Excel."
    )
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
    g.add_argument("--capacity", type=int, help="lignes de familles (défaut 2000)")
    g.add_argument("--slots", type=int, help="lignes de tranches par grille (défaut 10)")
    g.set_defaults(run=cmd_generate)

    d = sub.add_parser("demo", help="exemple complet sur les données fournies avec le paquet")
    d.add_argument("-o", "--output", default="workbook-engine-demo", help="dossier de sortie")
    d.set_defaults(run=cmd_demo)

    r = sub.add_parser("read", help="lire les saisies d'un classeur rempli (scénario JSON)")
    r.add_argument("workbook", help="classeur .xlsx")
    r.add_argument("-o", "--output", help="scénario JSON à écrire (sinon affiché)")
    add_workbook_options(r)
    r.set_defaults(run=cmd_read)

    e = sub.add_parser("evaluate", help="calculer les résultats d'après les formules du classeur, sans tableur")
    e.add_argument("workbook", help="classeur .xlsx")
    add_evaluation_options(e, "résultats au format JSON")
    e.set_defaults(run=cmd_evaluate)

    c = sub.add_parser("check", help="contrôler des classeurs : formules, calculs, saisies")
    c.add_argument("workbooks", nargs="+", help="classeurs .xlsx ou dossiers")
    add_evaluation_options(c, "rapport au format JSON (comme --format json)")
    report.add_check_options(c)
    c.set_defaults(run=cmd_check)

    m = sub.add_parser("merge", help="fusionner des classeurs d'une même structure en un classeur de N grilles")
    m.add_argument("workbooks", nargs="+", help="classeurs .xlsx, dans l'ordre des grilles")
    m.add_argument("-o", "--output", required=True, help="classeur fusionné à écrire")
    m.add_argument("--json", action="store_true", help="rapport de fusion au format JSON")
    add_workbook_options(m)
    m.set_defaults(run=cmd_merge)

    sp = sub.add_parser("split", help="répartir les grilles d'un classeur dans plusieurs classeurs")
    sp.add_argument("workbook", help="classeur .xlsx")
    sp.add_argument(
        "--grids",
        action="append",
        required=True,
        help="grilles d'un classeur à écrire, ex. 1,2 (répétez --grids pour chaque classeur)",
    )
    sp.add_argument("-o", "--output", required=True, help="dossier de sortie")
    add_workbook_options(sp)
    sp.set_defaults(run=cmd_split)

    add_workbook_options(calc_command.register(sub))
    add_workbook_options(federation.register(sub))
    calibrate_command.register(sub)
    add_workbook_options(anonymize.register(sub))
    add_workbook_options(report.register_diff(sub))
    add_workbook_options(publish_command.register(sub))
    add_workbook_options(upgrade_command.register(sub))
    add_workbook_options(rollover_command.register(sub))

    t = sub.add_parser("templates", help="régénérer les modèles 1UP, 2UP, 3UP (vierges et exemples)")
    t.add_argument("-o", "--output", default="templates", help="dossier des modèles (défaut templates)")
    t.set_defaults(run=cmd_templates)
    return p


def main(argv: list[str] | None = None) -> int:
    # Whatever text a file brought (messages, reports, errors), no control
    # character reaches the terminal as it is.
    with control_free_output():
        try:
            with terminate_cleanly():
                return _main(argv)
        except KeyboardInterrupt:  # Ctrl-C: one line, no traceback; outputs are whole or absent
            print("\nworkbook-engine : interrompu (Ctrl-C) ; aucun fichier n'est resté à moitié écrit", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Terminated:
            print("workbook-engine : arrêté (SIGTERM) ; aucun fichier n'est resté à moitié écrit", file=sys.stderr)
            return EXIT_TERMINATED


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its message
        return EXIT_OK if exc.code == 0 else EXIT_UNUSABLE
    # An encrypted workbook's password reaches every reader through the gate.
    password = getattr(args, "password", None) or os.environ.get("WORKBOOK_ENGINE_PASSWORD")
    if password:
        from workbook_engine.safety.gate import workbook_password
    try:
        with (
            workbook_password(password) if password else contextlib.nullcontext(),
            number_locale(getattr(args, "locale", DEFAULT_LOCALE)),
        ):
            code: int = args.run(args)  # the command's function (set_defaults)
            return code
    except InputError as exc:
        report_problems(exc.problems)
        return EXIT_UNUSABLE
    except UsageError as exc:
        print(f"workbook-engine : {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python quiet at exit
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename} : " if exc.filename else ""
        print(f"workbook-engine : {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:  # noqa: BLE001 - a bug must not show a bursar a traceback
        print(
            f"workbook-engine : erreur interne ({type(exc).__name__} : {exc}) ; merci de la signaler", file=sys.stderr
        )
        return EXIT_INTERNAL


def report_problems(problems: list[Problem]) -> None:
    """Errors first, counted; then the other remarks, counted apart."""
    errors = [p for p in problems if p.severity == "error"]
    others = [p for p in problems if p.severity != "error"]
    print(f"workbook-engine : {len(errors)} problème(s) rendent l'entrée inutilisable :", file=sys.stderr)
    for p in errors:
        print(f"  - {p}", file=sys.stderr)
    if others:
        print(f"et {len(others)} remarque(s) :", file=sys.stderr)
        for p in others:
            print(f"  - {p}", file=sys.stderr)


def entrypoint() -> None:
    sys.exit(main())
