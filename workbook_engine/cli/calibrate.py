"""The ``calibrate`` command. ``register(subparsers)`` adds it to the
``workbook-engine`` parser; its handler returns the exit code: 0 every target
met, 1 a target out of reach with these constraints (a finding: the output
is still written, with the closest grid and the binding constraints), 2
unusable input.

    workbook-engine calibrate classeur.xlsx --step 5 --max-ratio 3 --keep-old-tariff B -o propose.xlsx
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbook_engine.cli.common import EXIT_FINDINGS, EXIT_OK, parse_grid_list, print_json
from workbook_engine.formats.textnum import parse_int, parse_number
from workbook_engine.model.problems import UsageError


def _number(text: str) -> float:
    """A number as a bursar types it (0,3 or 0.3)."""
    try:
        return parse_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"« {text} » : {exc}") from None


def _whole(text: str) -> int:
    try:
        return parse_int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"« {text} » : {exc}") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``calibrate`` to the command line's subparsers."""
    p = subparsers.add_parser(
        "calibrate",
        help="proposer des montants (et des tranches) qui atteignent l'objectif de recettes "
        "en demandant un effort comparable à chaque famille",
    )
    p.add_argument("source", help="classeur .xlsx rempli ou scénario .json")
    p.add_argument("--families", help="familles en CSV (avec un scénario JSON)")
    p.add_argument("-o", "--output", required=True, help="classeur .xlsx proposé à écrire")
    p.add_argument("--step", type=_number, default=5.0, help="arrondi des montants, en euros (défaut 5)")
    p.add_argument(
        "--max-ratio",
        type=_number,
        metavar="R",
        help="rapport maximal entre le montant le plus haut et le plus bas (ex. 3 pour 1 : 3)",
    )
    p.add_argument("--floor", type=_number, help="montant minimal par élève")
    p.add_argument("--ceiling", type=_number, help="montant maximal par élève")
    p.add_argument(
        "--keep-old-tariff", metavar="TRANCHE", help="tranche dont le montant reste l'ancien tarif unique (ex. B)"
    )
    p.add_argument(
        "--brackets", type=_whole, metavar="N", help="recalculer les bornes : N tranches de familles en nombre voisin"
    )
    p.add_argument("--bound-step", type=_number, default=500.0, help="arrondi des bornes (défaut 500)")
    p.add_argument(
        "--split-top-share",
        type=_number,
        metavar="PART",
        help="scinder la tranche la plus haute quand plus de cette part des familles y est (ex. 0,3)",
    )
    p.add_argument("--grids", help="grilles à calibrer, ex. 1,3 (défaut : toutes)")
    p.add_argument("--json", action="store_true", help="rapport au format JSON")
    p.set_defaults(run=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from workbook_engine.calibrate.constraints import GridConstraints
    from workbook_engine.calibrate.core import CalibrationOptions, calibrate
    from workbook_engine.calibrate.report import calibration_json, calibration_sheets, format_calibration
    from workbook_engine.formats.families_csv import load_scenario
    from workbook_engine.formats.files import refuse_overwrite
    from workbook_engine.workbook.generate import generate_workbook
    from workbook_engine.workbook.reader import load_workbook_scenario

    source, out = Path(args.source), Path(args.output)
    families = Path(args.families) if args.families else None
    suffix = source.suffix.lower()
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"{out} : le classeur proposé doit être un fichier .xlsx")
    refuse_overwrite(out, source, families)
    if suffix in (".xlsx", ".xlsm", ".ods"):
        if families is not None:
            raise UsageError("--families s'emploie avec un scénario JSON, pas avec un classeur")
        scenario = load_workbook_scenario(source)
    elif suffix == ".json":
        scenario = load_scenario(source, families)
    else:
        raise UsageError(f"{source} : un classeur .xlsx ou un scénario .json est attendu")
    grids = tuple(parse_grid_list(args.grids, scenario.n_grids)) if args.grids else None
    options = CalibrationOptions(
        constraints=GridConstraints(
            step=args.step,
            max_ratio=args.max_ratio,
            floor=args.floor,
            ceiling=args.ceiling,
            keep_old_tariff=args.keep_old_tariff,
        ),
        grids=grids,
        brackets=args.brackets,
        bound_step=args.bound_step,
        split_top_share=args.split_top_share,
    )
    cal = calibrate(scenario, options)  # InputError (exit 2) for options that make no sense
    generate_workbook(cal.proposed, out, reports=calibration_sheets(cal))
    if args.json:
        print_json(calibration_json(cal) | {"output": str(out)})
    else:
        sys.stdout.write(format_calibration(cal))
        print(f"\nClasseur proposé écrit : {out} (feuilles « Calibrage » et « Calibrage tranches » : avant / après)")
    return EXIT_OK if cal.feasible else EXIT_FINDINGS
