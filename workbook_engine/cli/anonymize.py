"""``workbook-engine anonymize``: keyed pseudonyms before a workbook is shared."""

from __future__ import annotations

import argparse
import os
import sys

from workbook_engine.federation.anonymize import KEY_ENV, anonymize
from workbook_engine.model.problems import InputError, Problem


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``anonymize IN.xlsx -o OUT.xlsx --key KEY`` to the CLI."""
    p = subparsers.add_parser(
        "anonymize",
        help="pseudonymiser un classeur avant de le partager (identifiants "
        "remplacés, nombres gardés, textes libres retirés)",
    )
    p.add_argument("workbook", help="classeur .xlsx rempli")
    p.add_argument("-o", "--output", required=True, help="classeur pseudonymisé à écrire")
    p.add_argument(
        "--key",
        help=f"clé secrète (sinon la variable d'environnement {KEY_ENV}) ; la même clé donne "
        "les mêmes pseudonymes d'un fichier et d'une année à l'autre",
    )
    p.set_defaults(run=cmd_anonymize)
    return p


def cmd_anonymize(args: argparse.Namespace) -> int:
    key = args.key if args.key is not None else os.environ.get(KEY_ENV)
    if not key:
        raise InputError(
            [
                Problem(
                    "",
                    "clé",
                    None,
                    f"clé absente : donnez --key CLÉ ou la variable d'environnement {KEY_ENV} (aucune clé par défaut)",
                )
            ]
        )
    n = anonymize(args.workbook, args.output, key.encode("utf-8"))
    print(
        f"Classeur pseudonymisé écrit : {args.output} ({n} famille(s) ; identifiants remplacés, nombres gardés, "
        "commentaires et textes libres retirés)",
        file=sys.stdout,
    )
    return 0
