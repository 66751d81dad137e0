"""The ``publish`` command: the article of the règlement financier and one
notice per family. ``register(subparsers)`` adds it to the parser; exit 0
published, 1 a workbook that ``check`` does not find coherent (nothing
written), 2 unusable input.

    workbook-engine publish classeur.xlsx -o publication/ --deadline 15/09/2027 --contact "Secrétariat, 01 23 45 67 89"
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from workbook_engine.cli.common import EXIT_FINDINGS, EXIT_OK


def _date(text: str) -> dt.date:
    from workbook_engine.publish.typography import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"« {text} » : {exc}") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``publish`` to the command line's subparsers; returns its parser."""
    p = subparsers.add_parser(
        "publish",
        help="informer les parents : article du règlement financier (.docx, PDF) et un avis par famille",
    )
    p.add_argument("source", help="classeur .xlsx ou .ods contrôlé, ou scénario .json")
    p.add_argument("-o", "--output", required=True, help="dossier de sortie (nouveau, vide ou d'une publication)")
    p.add_argument("--families", help="familles en CSV (avec un scénario JSON)")
    p.add_argument("--deadline", type=_date, help="date limite de remise des avis d'imposition (ex. 15/09/2027)")
    p.add_argument("--contact", help="contact de l'établissement, imprimé dans l'article et les avis")
    p.add_argument(
        "--names",
        help="fichier local identifiant;nom : les noms sont imprimés sur les avis seulement, nulle part ailleurs",
    )
    p.set_defaults(run=cmd_publish)
    return p


def cmd_publish(args: argparse.Namespace) -> int:
    from workbook_engine.publish.article import Options
    from workbook_engine.publish.core import publish
    from workbook_engine.publish.names import read_names
    from workbook_engine.publish.outdir import NOTICES_DIR
    from workbook_engine.publish.source import NotCoherent, load_source

    try:
        source = load_source(Path(args.source), Path(args.families) if args.families else None)
    except NotCoherent as exc:
        print(f"workbook-engine : {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    scenario = source.scenario
    inputs = list(source.inputs)
    names: dict[str, str] = {}
    if args.names:
        inputs.append(Path(args.names))
        names, unknown = read_names(args.names, {f.id for f in scenario.families})
        if unknown:
            print(f"  note : {args.names} : {unknown} ligne(s) pour des familles absentes (ignorées)", file=sys.stderr)
    out = Path(args.output)
    pub = publish(scenario, out, Options(args.deadline, args.contact), names=names, inputs=inputs)
    print(f"Publication écrite dans {out}/ :")
    print(f"  article du règlement financier : {', '.join(pub.article)}")
    if pub.notices:
        print(f"  {len(pub.notices)} avis : {NOTICES_DIR}/ (un PDF par famille), {pub.merged} (tous, à imprimer)")
    print(f"  publipostage : {pub.mailmerge}")
    if names:
        print(f"  {pub.named} avis adressé(s) au nom de la famille (noms imprimés sur les avis seulement)")
    if pub.removed:
        print(f"  {len(pub.removed)} fichier(s) de la publication précédente retiré(s) (familles absentes)")
    todo = [
        w
        for w, given in (("la date limite (--deadline)", args.deadline), ("le contact (--contact)", args.contact))
        if not given
    ]
    if todo:
        print(f"  À compléter dans l'article et les avis : {' et '.join(todo)}, marqués entre crochets.")
    return EXIT_OK
