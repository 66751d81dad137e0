"""Benchmark: this engine's `check` and `evaluate` against `formulas`,
LibreOffice, IronCalc and formualizer, on 3-grid workbooks of 200, 2,000 and
20,000 families.

    python bench/bench_evaluator.py [--slow] [--batch 10] [--repeat 3] [--no-20k]

Generates its workbooks in a temporary folder (``generate_workbook(
make_sample(n), path, capacity=n)``), then times:

* this engine in-process, ``evaluate_workbook`` and ``check_workbook`` (best
  of ``--repeat``, file reading included), with their tracemalloc peaks;
* a batch of ``--batch`` files of 2,000 families in one fresh process: this
  engine's check, this engine's evaluation, IronCalc and formualizer (load +
  evaluate; skipped with a note when not installed); peak = the process's
  peak RSS (VmHWM), with its value right after the imports;
* one check of 2,000 families in a fresh process (the peak RSS of a
  single-file check, imports included);
* ``formulas`` (``ExcelModel().loads().finish().calculate()``) on 200
  families, and 2,000 with ``--slow`` (minutes), in a fresh process;
* LibreOffice headless recalculation (``tests/libreoffice_recalc.recalculate``), max RSS of
  its processes (RUSAGE_CHILDREN of a small launcher process).

Every engine's values are read back through ``results_json_from_cells`` and
compared with the model (``agrees``; for the check: its status is ``ok``
too). Ratios are to this engine's check (``x check``) and evaluation (``x
evaluate``) at the same size and in the same mode (one file, or the batch).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from pathlib import Path

from timing import CHECKOUT  # bench/ is on sys.path when a script here runs; first: this checkout

from workbook_engine.formats.sample import make_sample
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import generate_workbook

# Code run in a fresh interpreter: prints one JSON line.
CHILD = textwrap.dedent('''
    import json, resource, sys, time
    from pathlib import Path
    engine, path, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    expected_path, families = sys.argv[4], int(sys.argv[5])

    def rss():
        """Peak RSS in MB: this process's (VmHWM, fresh since exec: ru_maxrss
        would include the parent's RSS at fork), or for LibreOffice its
        processes' (RUSAGE_CHILDREN; this process stays small before it)."""
        if engine == "libreoffice":
            return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def timed(fn):
        base = rss()
        t, c = time.perf_counter(), time.process_time()
        if engine == "libreoffice":
            ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = fn()
        secs, cpu = time.perf_counter() - t, time.process_time() - c
        if engine == "libreoffice":
            ch2 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (ch2.ru_utime + ch2.ru_stime) - (ch.ru_utime + ch.ru_stime)
        return secs, cpu, base, rss(), out

    if engine == "native":
        from workbook_engine.evaluator import evaluate_workbook
        secs, cpu, base, peak, values = timed(lambda: [evaluate_workbook(path) for _ in range(batch)][-1])
    elif engine == "check":
        from workbook_engine.workbook.check import check_workbook
        secs, cpu, base, peak, report = timed(lambda: [check_workbook(path) for _ in range(batch)][-1])
        values = report.values
    elif engine == "formulas":
        from formulas_peer import evaluate_with_formulas
        secs, cpu, base, peak, values = timed(lambda: evaluate_with_formulas(path))
    elif engine == "ironcalc":
        import ironcalc
        def run():
            for _ in range(batch):
                m = ironcalc.load_from_xlsx(path)
                m.evaluate()
            return m
        secs, cpu, base, peak, m = timed(run)
        names = [p["name"] for p in m.get_worksheets_properties()]
        values = lambda ref: m.get_cell_value(names.index(ref.sheet), ref.row + 1, ref.col + 1)
    elif engine == "formualizer":
        import formualizer
        def run():
            for _ in range(batch):
                wb = formualizer.load_workbook(path)
                wb.evaluate_all()
            return wb
        secs, cpu, base, peak, wb = timed(run)
        values = lambda ref: wb.get_value(ref.sheet, ref.row + 1, ref.col + 1)
    else:  # libreoffice, loaded alone: importing the package (pandas) first would grow soffice's RSS
        import importlib.util
        import tempfile
        spec = importlib.util.spec_from_file_location("lo", sys.argv[6])
        lo = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(lo)
        recalculate = lo.recalculate
        out = tempfile.mkdtemp()
        secs, cpu, base, peak, got = timed(lambda: recalculate([Path(path)], Path(out))[0])
        from cached_cells import cached_values
        values = cached_values(got)

    # check the values against the model (imports pandas: after the measures)
    from workbook_engine.workbook.generate import layout_for
    from workbook_engine.formats.sample import make_sample
    from workbook_engine.workbook.results import results_json_from_cells
    layout = layout_for(make_sample(families), capacity=families)
    expected = json.loads(Path(expected_path).read_text())
    try:
        got = results_json_from_cells(layout, values)
        bad = sum(a != b for a, b in zip(got["families"], expected["families"]))
        agrees = "yes" if got == expected else (
            f"no: {bad} families differ" if bad else "no: totals differ")
        if engine == "check" and report.status != "ok":
            agrees = f"no: check {report.status}: {report.first_finding()[:60]}"
    except Exception as exc:  # an engine returning odd values
        agrees = f"no ({type(exc).__name__})"
    print(json.dumps({"seconds": secs, "cpu": cpu, "maxrss_mb": peak, "base_mb": base, "agrees": agrees}))
''')


def child(engine: str, path: Path, batch: int, expected: Path, families: int, timeout: float) -> dict | str:
    # The child imports this checkout, the bench peers (formulas_peer) and the
    # test helpers (cached_cells, libreoffice_recalc), as bench/timing.py does.
    search = os.pathsep.join(str(p) for p in (CHECKOUT, CHECKOUT / "bench", CHECKOUT / "tests"))
    env = dict(os.environ, PYTHONPATH=search + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        lo_module = CHECKOUT / "tests" / "libreoffice_recalc.py"
        done = subprocess.run(
            [sys.executable, "-c", CHILD, engine, str(path), str(batch), str(expected), str(families), str(lo_module)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"failed: {last[:90]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rss(r: dict) -> str:
    return f"{r['maxrss_mb']:.0f} (peak RSS; {r['base_mb']:.0f} after imports)"


def importable(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def in_process(fn, path: Path, repeat: int) -> tuple[float, float, float]:
    """Best wall time and CPU time of ``repeat`` runs of ``fn(path)``, and
    the tracemalloc peak of one."""
    fn(path)  # warm imports and caches
    times, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn(path)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    tracemalloc.start()
    fn(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), min(cpus), peak / 1e6


def main(argv: list[str] | None = None) -> int:
    from workbook_engine.evaluator import evaluate_workbook
    from workbook_engine.workbook.check import check_workbook

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--slow", action="store_true", help="also time `formulas` on 2,000 families (minutes)")
    p.add_argument("--batch", type=int, default=10, help="files per process in the batch runs")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-20k", action="store_true", help="skip the 20,000-family workbook")
    p.add_argument("--timeout", type=float, default=3600)
    args = p.parse_args(argv)

    sizes = [200, 2000] + ([] if args.no_20k else [20000])
    rows: list[tuple] = []  # (engine, families, mode key, seconds, cpu, peak text, agrees)
    notes: list[str] = []
    # this engine's times: ref[(what, mode...)] = (seconds, cpu); what: "check" or "evaluate"
    ref: dict[tuple, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-evaluator-") as tmp:
        tmp = Path(tmp)
        files, expected = {}, {}
        for n in sizes:
            t = time.perf_counter()
            s = make_sample(n)
            files[n] = tmp / f"3UP_{n}.xlsx"
            generate_workbook(s, files[n], capacity=n)
            expected[n] = tmp / f"expected_{n}.json"
            expected[n].write_text(json.dumps(simulate(s).to_json()))
            print(f"generated 3 grids x {n:,} families in {time.perf_counter() - t:.1f} s", file=sys.stderr)

        for n in sizes:
            for what, fn in (("check", check_workbook), ("evaluate", evaluate_workbook)):
                secs, cpu, mb = in_process(fn, files[n], args.repeat)
                ref[(what, "one", n)] = (secs, cpu)
                rows.append((f"this engine: {what}", f"{n:,}", ("one", n), secs, cpu, f"{mb:.1f} (tracemalloc)", "-"))
        print("in-process runs done", file=sys.stderr)

        for engine in ("check", "native", "ironcalc", "formualizer"):
            label = {
                "check": "this engine: check",
                "native": "this engine: evaluate",
                "ironcalc": "IronCalc",
                "formualizer": "formualizer",
            }[engine]
            if engine in ("ironcalc", "formualizer") and not importable(engine):
                notes.append(f"{label}: not installed (pip install {engine}), skipped")
                continue
            r = child(engine, files[2000], args.batch, expected[2000], 2000, args.timeout)
            if isinstance(r, str):
                notes.append(f"{label}: {r}")
                continue
            if engine in ("check", "native"):
                ref[(label.split(": ")[1], "batch")] = (r["seconds"], r["cpu"])
            rows.append((label, f"2,000 x{args.batch}", ("batch",), r["seconds"], r["cpu"], _rss(r), r["agrees"]))
            print(f"{label} batch done", file=sys.stderr)

        single = child("check", files[2000], 1, expected[2000], 2000, args.timeout)
        if isinstance(single, str):
            notes.append(f"single check: {single}")
        else:
            rows.append(
                (
                    "this engine: check",
                    "2,000 (own process)",
                    ("one", 2000),
                    single["seconds"],
                    single["cpu"],
                    _rss(single),
                    single["agrees"],
                )
            )

        for n in [200] + ([2000] if args.slow else []):
            r = child("formulas", files[n], 1, expected[n], n, args.timeout)
            if isinstance(r, str):
                notes.append(f"formulas on {n:,}: {r}")
                continue
            rows.append(("formulas", f"{n:,}", ("one", n), r["seconds"], r["cpu"], _rss(r), r["agrees"]))
            print(f"formulas {n} done", file=sys.stderr)

        from libreoffice_recalc import soffice

        if soffice() is None:
            notes.append("LibreOffice: soffice not installed, skipped")
        else:
            for n in sizes:
                r = child("libreoffice", files[n], 1, expected[n], n, args.timeout)
                if isinstance(r, str):
                    notes.append(f"LibreOffice on {n:,}: {r}")
                    continue
                rows.append(
                    (
                        "LibreOffice",
                        f"{n:,}",
                        ("one", n),
                        r["seconds"],
                        r["cpu"],
                        f"{r['maxrss_mb']:.0f} (max RSS, soffice)",
                        r["agrees"],
                    )
                )
                print(f"LibreOffice {n} done", file=sys.stderr)

    def ratio(what: str, key: tuple, secs: float, cpu: float) -> tuple[float | None, float | None]:
        base = ref.get((what, *key))
        return (None, None) if base is None else (secs / base[0], cpu / base[1])

    def show(x: float | None) -> str:
        return "-" if x is None else f"{x:,.2f}x" if x < 10 else f"{x:,.0f}x"

    print()
    print("x check / x evaluate: time over this engine's check / evaluation at the same size and in the same")
    print("mode (wall time; cpu: CPU time, steadier on a shared machine).")
    print()
    print(
        f"{'engine':<22}{'families':>20}{'seconds':>10}{'cpu s':>9}  {'peak MB':<34}{'x check':>9}"
        f"{'(cpu)':>9}{'x evaluate':>11}  agrees with model"
    )
    for name, fam, key, secs, cpu, mb, agrees in rows:
        cw, cc = ratio("check", key, secs, cpu)
        ew, _ec = ratio("evaluate", key, secs, cpu)
        print(
            f"{name:<22}{fam:>20}{secs:>10.3f}{cpu:>9.3f}  {mb:<34}{show(cw):>9}{show(cc):>9}{show(ew):>11}  {agrees}"
        )
    for note in notes:
        print(f"note: {note}")

    # the targets of the issue
    print()

    def row(name, fam):
        return next((r for r in rows if r[0] == name and r[1] == fam), None)

    f200, f2000 = row("formulas", "200"), row("formulas", "2,000")
    if f2000:
        rw, rc = ratio("check", *f2000[2:5])
        print(f"check >= 100x faster than formulas on 2,000 families: {rw:,.0f}x (wall), {rc:,.0f}x (cpu)")
    elif f200:
        rw, rc = ratio("check", *f200[2:5])
        one2k = ref[("check", "one", 2000)]
        print(
            f"check >= 100x faster than formulas: {rw:,.0f}x (wall), {rc:,.0f}x (cpu) on 200 families; "
            f"on 2,000 at least {10 * f200[3] / one2k[0]:,.0f}x (wall), {10 * f200[4] / one2k[1]:,.0f}x (cpu) "
            "(formulas is at least linear in families; --slow measures it)"
        )
    iron = next((r for r in rows if r[0] == "IronCalc"), None)
    if iron and ("check", "batch") in ref:
        rw, rc = ratio("check", *iron[2:5])
        print(
            f"check no slower than IronCalc (batch of {args.batch}): IronCalc takes {rw:.2f}x (wall), "
            f"{rc:.2f}x (cpu) the time of this engine's check"
        )
    if not isinstance(single, str):
        print(
            f"peak memory of a single-file check (2,000 families) < 150 MB: {single['maxrss_mb']:.0f} MB peak RSS "
            f"of its process, imports included ({single['base_mb']:.0f} MB after the imports)"
        )
    for what in ("check", "evaluate"):
        if (what, "one", 20000) in ref:
            a, b = ref[(what, "one", 20000)], ref[(what, "one", 2000)]
            print(
                f"{what} linear in families (20,000 within 12x of 2,000): {a[0] / b[0]:.1f}x (wall), "
                f"{a[1] / b[1]:.1f}x (cpu)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
