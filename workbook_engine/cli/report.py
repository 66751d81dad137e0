"""``check``'s reports and gate, and ``diff``, for the command line.

``workbook-engine check WORKBOOK|DIR ... [--format text|json|junit|html]
[-o REPORT] [--fail-on error|warning|info] [--annotate OUT.xlsx]
[--top-share-threshold PART]``
    the report goes to stdout, or to REPORT (then the usual text is printed
    too, for the CI log). ``--json`` is ``--format json``. ``--fail-on``
    decides which findings exit 1 (default ``warning``: errors and
    warnings); an unusable workbook exits 2. ``--annotate`` (one .xlsx)
    writes a copy of the workbook with each flagged cell coloured and
    commented and a first sheet listing the findings.
    ``--top-share-threshold`` (0,30 or 30 %; default 25 %): the share of a
    grid's families in its top tranche above which the review advice
    (information) suggests splitting that tranche.

``workbook-engine diff OLD NEW [--format text|json|html] [-o REPORT]``
    what changed between two sendings: exit 0 identical, 1 differences,
    2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from workbook_engine.cli.common import EXIT_OK
from workbook_engine.model.problems import UsageError

if TYPE_CHECKING:
    from workbook_engine.report.gate import FailOn
    from workbook_engine.workbook.check import CheckReport

FORMATS = ("text", "json", "junit", "html")
FAIL_ON = ("error", "warning", "info")


def add_check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="format du rapport : text (défaut), json, junit (XML pour la CI), html (page autonome en français)",
    )
    parser.add_argument("-o", "--output", help="fichier où écrire le rapport (sinon affiché)")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="warning",
        help="constats qui font sortir en code 1 : error, warning (défaut : erreurs et avertissements), info (tous)",
    )
    parser.add_argument(
        "--annotate",
        metavar="COPIE.xlsx",
        help="écrire une copie du classeur où chaque cellule signalée est colorée et commentée, "
        "précédée d'une feuille « Constats » (un seul classeur .xlsx)",
    )
    parser.add_argument(
        "--top-share-threshold",
        metavar="PART",
        help="part des familles d'une grille dans sa tranche la plus haute au-delà de laquelle le contrôle "
        "conseille de la scinder (ex. 0,30 ou 30 %% ; défaut 25 %%)",
    )


def top_share_threshold(text: str | None) -> float:
    """``--top-share-threshold`` as typed: a share (0,30 or 0.30) or a
    percentage (30 %), strictly between 0 and 1."""
    from workbook_engine.formats.textnum import parse_number
    from workbook_engine.workbook.check import TOP_SHARE_THRESHOLD

    if text is None:
        return TOP_SHARE_THRESHOLD
    body = text.strip()
    percent = body.endswith("%")
    try:
        value = parse_number(body.removesuffix("%")) / (100 if percent else 1)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:  # also NaN
        raise UsageError(
            f"--top-share-threshold « {text} » : une part entre 0 et 1 (ex. 0,30) ou un pourcentage (ex. 30 %) "
            "est attendu"
        )
    return value


def _format(args: argparse.Namespace) -> str:
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json et --format {args.format} se contredisent : choisissez l'un des deux")
    return "json" if args.json else args.format or "text"


def _text(reports: list[CheckReport], paths: list[Path], fail_on: FailOn) -> str:
    from workbook_engine.report.gate import exit_code

    if len(paths) == 1:
        return reports[0].format()
    lines = []
    counts = {0: 0, 1: 0, 2: 0}
    for r in reports:
        code = exit_code(r, fail_on)
        counts[code] += 1
        status = {0: "OK", 1: f"{len(r.findings)} constat(s)", 2: "INUTILISABLE"}[code]
        first = f" ; {r.first_finding()}" if code else ""
        lines.append(f"{r.path} : {status}{first}")
    lines.append(
        f"Total : {len(reports)} classeur(s), {counts[0]} cohérent(s), {counts[1]} avec "
        f"constats, {counts[2]} inutilisable(s)"
    )
    return "\n".join(lines) + "\n"


def _json(report: CheckReport, fail_on: FailOn) -> dict[str, object]:
    """check's JSON document, its status and exit code under the threshold."""
    from workbook_engine.report.gate import exit_code

    code = exit_code(report, fail_on)
    return report.to_json() | {
        "status": {0: "ok", 1: "findings", 2: "unusable"}[code],
        "exit_code": code,
        "fail_on": fail_on,
    }


def run_check(args: argparse.Namespace) -> int:
    from workbook_engine.formats.files import refuse_overwrite, workbook_paths, write_text_atomic
    from workbook_engine.report.gate import overall_exit_code
    from workbook_engine.workbook.check import check_workbook

    fmt = _format(args)
    fail_on = args.fail_on
    threshold = top_share_threshold(args.top_share_threshold)
    paths = workbook_paths(args.workbooks)
    if not paths:
        raise UsageError("aucun classeur .xlsx à contrôler")
    out = Path(args.output) if args.output else None
    annotate = Path(args.annotate) if args.annotate else None
    if annotate is not None:
        if len(paths) != 1:
            raise UsageError("--annotate annote un seul classeur : donnez un fichier, pas plusieurs ni un dossier")
        from workbook_engine.report.annotate import refuse_to_annotate

        refuse_to_annotate(paths[0], annotate)  # before the check: no report is written for nothing
    for target in (out, annotate):
        if target is not None:
            refuse_overwrite(target, *paths)
    if out is not None and annotate is not None and out.resolve() == annotate.resolve():
        raise UsageError(f"{out} : le rapport et la copie annotée doivent avoir des noms différents")
    reports, seconds = [], {}
    for p in paths:
        start = time.perf_counter()
        reports.append(check_workbook(p, top_share_threshold=threshold))
        seconds[p] = time.perf_counter() - start
    if fmt == "json":
        docs = [_json(r, fail_on) for r in reports]
        many = len(args.workbooks) > 1 or len(paths) > 1
        text = json.dumps(docs if many else docs[0], ensure_ascii=False, indent=2, default=str) + "\n"
    elif fmt == "junit":
        from workbook_engine.report.junit import junit_xml

        text = junit_xml(reports, fail_on, seconds)
    elif fmt == "html":
        from workbook_engine.report.html_check import check_html

        text = check_html(reports, fail_on)
    else:
        text = _text(reports, paths, fail_on)
    if out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(out, text)
        if fmt != "text":
            sys.stdout.write(_text(reports, paths, fail_on))
        print(f"Rapport écrit : {out}")
    if annotate is not None:
        from workbook_engine.report.annotate import annotate_workbook

        report = reports[0]
        if report.unusable:
            print(f"Pas de copie annotée : {report.path} est inutilisable.", file=sys.stderr)
        else:
            flagged = annotate_workbook(report, annotate)
            print(f"Copie annotée écrite : {annotate} ({flagged} cellule(s) signalée(s))")
    return overall_exit_code(reports, fail_on)


def register_diff(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    d = subparsers.add_parser("diff", help="ce qui a changé entre deux envois d'un classeur")
    d.add_argument("old", help="classeur de référence (envoi précédent)")
    d.add_argument("new", help="classeur à comparer (nouvel envoi)")
    d.add_argument("--format", choices=("text", "json", "html"), default="text", help="format du rapport")
    d.add_argument("-o", "--output", help="fichier où écrire le rapport (sinon affiché)")
    d.set_defaults(run=run_diff)
    return d


def run_diff(args: argparse.Namespace) -> int:
    from workbook_engine.formats.files import refuse_overwrite, write_text_atomic
    from workbook_engine.report.diff import diff_workbooks
    from workbook_engine.report.diff_text import diff_json, diff_text

    old, new = Path(args.old), Path(args.new)
    out = Path(args.output) if args.output else None
    if out is not None:
        refuse_overwrite(out, old, new)
    diff = diff_workbooks(old, new)
    if args.format == "json":
        text = json.dumps(diff_json(diff), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "html":
        from workbook_engine.report.html_diff import diff_html

        text = diff_html(diff)
    else:
        text = diff_text(diff)
    if out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(out, text)
        print(f"Rapport écrit : {out}")
    return 1 if diff.changed else EXIT_OK
