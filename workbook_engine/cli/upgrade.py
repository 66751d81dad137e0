"""``workbook-engine upgrade``: workbooks of earlier layout versions moved
into the current template, one file or whole folders."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from workbook_engine.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, print_json
from workbook_engine.model.problems import InputError, UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "upgrade",
        help="reprendre les saisies d'un classeur d'une version antérieure dans le modèle actuel",
    )
    p.add_argument("workbooks", nargs="+", help="classeur(s) .xlsx/.ods, ou dossier(s) de classeurs")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="classeur à écrire (un seul classeur en entrée), ou dossier (plusieurs classeurs ou un dossier)",
    )
    p.add_argument("--json", action="store_true", help="le compte rendu en JSON (ce qui a été repris, et où)")
    p.set_defaults(run=run_upgrade)
    return p


def _targets(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    from workbook_engine.formats.files import workbook_paths

    sources = workbook_paths(args.workbooks)
    out = Path(args.output)
    one_file = len(args.workbooks) == 1 and not Path(args.workbooks[0]).is_dir()
    if one_file:
        if out.is_dir():
            return [(sources[0], out / (sources[0].stem + ".xlsx"))]
        if out.suffix.lower() != ".xlsx":
            raise UsageError(f"{out} : le classeur mis à jour est un .xlsx (donnez un nom en .xlsx, ou un dossier)")
        return [(sources[0], out)]
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} : plusieurs classeurs en entrée : donnez un dossier de sortie")
    if not sources:
        raise UsageError(f"aucun classeur .xlsx ou .ods dans {', '.join(args.workbooks)}")
    stems = [s.stem for s in sources]
    if len(set(stems)) != len(stems):
        dup = sorted({s for s in stems if stems.count(s) > 1})
        raise UsageError(f"plusieurs classeurs s'appellent {', '.join(dup)} : mettez-les à jour dossier par dossier")
    return [(s, out / (s.stem + ".xlsx")) for s in sources]


def run_upgrade(args: argparse.Namespace) -> int:
    from workbook_engine.formats.files import atomic_output, refuse_overwrite
    from workbook_engine.workbook.reader import read_workbook
    from workbook_engine.workbook.upgrade import describe, plan_upgrade, write_upgrade

    targets = _targets(args)
    sources = [s for s, _ in targets]
    documents: list[dict[str, object]] = []
    worst = EXIT_OK
    for source, output in targets:
        refuse_overwrite(output, *sources)
        try:
            read = read_workbook(source)
            if read.scenario is None:
                raise InputError(read.errors)
        except InputError as exc:
            worst = max(worst, EXIT_UNUSABLE)
            for p in exc.problems:
                print(f"  erreur : {p}", file=sys.stderr)
            print(f"{source} : non mis à jour (saisies à corriger d'abord ; rien n'est écrit)", file=sys.stderr)
            documents.append({"source": str(source), "output": None, "status": "unusable"})
            continue
        plan = plan_upgrade(read)
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(output) as tmp:
            write_upgrade(plan, tmp)
        code = EXIT_OK if plan.complete else EXIT_FINDINGS
        worst = max(worst, code)
        for p in plan.problems:
            if p.severity != "info":
                print(f"  attention : {p}", file=sys.stderr)
        if args.json:
            documents.append(
                {
                    "source": str(source),
                    "output": str(output),
                    "status": "complete" if plan.complete else "incomplete",
                    "from_version": plan.from_version,
                    "to_version": plan.layout.version,
                    "families": len(plan.scenario.families),
                    "moved": [asdict(m) for m in plan.moved],
                    "not_carried": [asdict(n) for n in plan.not_carried],
                }
            )
        else:
            print("\n".join(describe(plan, output)))
    if args.json:
        print_json(documents if len(targets) > 1 else documents[0])
    return worst
