"""Benchmark: the engine on the bursar's edits made by real LibreOffice (fr-FR).

    python3 bench/bench_bursar_edits.py [--out FILE.md]

For every case of the catalogue of ``tests/test_bursar_edits.py`` (``CASES``),
starts one LibreOffice through UNO with a private fr-FR profile
(``tests/libreoffice_uno.py``), applies the case's edits to the generated
sample workbook (as the ``sample`` and ``edited`` fixtures do), saves .xlsx
and .ods and dumps LibreOffice's own recalculated values. Then, for each
saved file, in process (``workbook_engine.cli.main``):

* evaluate = LibreOffice: whether ``evaluate FILE --json`` gives
  LibreOffice's TOTAL_RECETTES, RECETTES_Gn and every family's DU_FAMILLE
  (matched by ID_FAMILLE) to the cent ("oui"), else the number of
  differences (the test module's comparison helpers);
* read exit: the exit code of ``read FILE -o scenario.json``;
* check exit, check s, check says: the exit code of ``check FILE``, its wall
  time, and its finding lines ("    - " / "    i "; the temporary folder
  left out of a file name), joined with " / ", shortened to 160 characters.

Prints a Markdown table, also written to ``--out`` if given. Needs
LibreOffice and ``/usr/bin/python3`` with ``uno`` (python3-uno).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

import timing  # noqa: F401 - bench/ is on sys.path when a script here runs; puts this checkout first, tests/ next

import libreoffice_uno  # tests/libreoffice_uno.py

from workbook_engine.cli import main

SAYS_WIDTH = 160
COLUMNS = ("edit", "format", "evaluate = LibreOffice", "read exit", "check exit", "check s", "check says")


def run_cli(*argv: str) -> tuple[int, str, str, float]:
    """``main(argv)`` in process: exit code, stdout, stderr, wall seconds."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        start = time.perf_counter()
        try:
            code = main(list(argv))
        except SystemExit as e:  # an argparse error, should the CLI raise one
            code = e.code if isinstance(e.code, int) else 2
        except Exception as e:  # noqa: BLE001 - a crash is a row of the table, not the end of the run
            code = f"crash ({type(e).__name__})"
            err.write(traceback.format_exc())
        seconds = time.perf_counter() - start
    return code, out.getvalue(), err.getvalue(), seconds


def shorten(text: str, width: int = SAYS_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cell(text) -> str:
    """A Markdown table cell: no pipe or newline breaks the row."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def evaluate_vs_libreoffice(tbe, path: Path, lo: dict) -> str:
    """ "oui", or the number of differences with LibreOffice's values."""
    code, out, err, _ = run_cli("evaluate", str(path), "--json")
    if code != 0:
        first = err.strip().splitlines()[:1]
        return shorten(f"exit {code}" + (f": {first[0]}" if first else ""), 80)
    results = json.loads(out)
    everything = 10**9  # differences() cuts its list at `limit`: count them all
    diffs = tbe.differences(tbe.lo_figures(lo), tbe.json_figures(results), limit=everything)
    engine, twice = {}, set()
    for f in results["families"]:
        if f["id"] in engine:
            twice.add(f["id"])
        engine[f["id"]] = f["total_due"]
    diffs += tbe.differences(tbe.lo_families(lo), engine, limit=everything)
    n = len(diffs) + len(twice)
    if n == 0:
        return "oui"
    return f"{n}" + (f" (dont {len(twice)} id en double)" if twice else "")


def findings(out: str, path: Path) -> str:
    """The finding lines, the temporary folder left out of the file's name."""
    lines = [
        line.strip().replace(str(path), path.name) for line in out.splitlines() if line.startswith(("    - ", "    i "))
    ]
    return shorten(" / ".join(lines))


def table(rows: list[tuple]) -> str:
    head = "| " + " | ".join(COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    return "\n".join([head, rule] + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]) + "\n"


def run(tbe, work: Path) -> list[tuple]:
    # The `sample` fixture, through the functions it calls (from the test module).
    scenario = tbe.load_sample()
    sample_path = work / "sample.xlsx"
    layout = tbe.generate_workbook(scenario, sample_path, capacity=tbe.CAPACITY)
    if len(scenario.families) != 320 or scenario.n_grids != tbe.GRIDS:
        sys.exit(f"unexpected sample: {len(scenario.families)} families, {scenario.n_grids} grids")

    # The `edited` fixture: every case in one driver call.
    out_dir = work / "lo_edits"
    jobs = [
        libreoffice_uno.EditJob(
            sample_path,
            c.edits(layout),
            out_dir,
            stem=c.id,
            formats=tbe.FORMATS,
            dump_names=tbe.NAMES,
            dump_ranges=c.ranges(layout),
            reload=True,
        )
        for c in tbe.CASES
    ]
    print("Starting LibreOffice (fr-FR profile)...", file=sys.stderr)
    office = libreoffice_uno.start_office()
    try:
        start = time.perf_counter()
        pending = libreoffice_uno.edit_many(office, jobs)
        print(f"LibreOffice: {len(jobs)} edit jobs in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    finally:
        office.stop()

    rows = []
    for case, job in zip(tbe.CASES, pending):
        try:
            result = job.get()
        except libreoffice_uno.UnoEditError as e:
            for fmt in tbe.FORMATS:
                rows.append((case.id, fmt, shorten(f"LibreOffice failed: {e}", 80), "", "", "", ""))
            continue
        for fmt in tbe.FORMATS:
            path = result.path(fmt)
            lo = result.reloaded[fmt]["names"]  # tbe.reference(): the saved file reopened and recalculated
            print(f"  {case.id}.{fmt}", file=sys.stderr)
            try:
                evaluated = evaluate_vs_libreoffice(tbe, path, lo)
            except Exception as e:  # noqa: BLE001 - a row of the table, not a crash of the whole run
                evaluated = shorten(f"error: {type(e).__name__}: {e}", 80)
                traceback.print_exc()
            read_code, *_ = run_cli("read", str(path), "-o", str(work / f"{case.id}.{fmt}.json"))
            check_code, out, _err, seconds = run_cli("check", str(path))
            rows.append((case.id, fmt, evaluated, read_code, check_code, f"{seconds:.2f}", findings(out, path)))
    return rows


def main_bench(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="also write the Markdown table to this file")
    args = p.parse_args(argv)

    why = libreoffice_uno.missing_requirements()
    if why:
        sys.exit(f"bench_bursar_edits: cannot run: {why}")
    try:
        import test_bursar_edits as tbe  # tests/test_bursar_edits.py: the catalogue and its helpers
    except ImportError as e:
        sys.exit(
            f"bench_bursar_edits: cannot import tests/test_bursar_edits.py ({e}); "
            "if the package is being restructured, retry in a minute"
        )

    with tempfile.TemporaryDirectory(prefix="bench_bursar_") as tmp:
        rows = run(tbe, Path(tmp))
    text = table(rows)
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())
