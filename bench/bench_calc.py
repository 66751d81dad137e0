"""Benchmark: ``calc`` (every formula cell of a workbook, printed) against
``check`` on the same file, with IronCalc and formualizer side by side.

    python bench/bench_calc.py [--families 2000] [--repeat 5]

Generates a 3-grid workbook of ``--families`` families
(``generate_workbook(make_sample(n), path, capacity=n)``) in a temporary
folder, then times in this process, best of ``--repeat``, file reading
included:

* ``workbook-engine check FILE`` and ``workbook-engine calc FILE`` (the
  command line's ``main``, output to memory): the target is calc within
  1.2x check;
* ``evaluate_workbook(path)`` (the Python API, no printing) and the
  evaluator alone (``workbook_engine.evaluator.evaluate_workbook``);
* IronCalc (``load_from_xlsx`` + ``evaluate``) and formualizer
  (``load_workbook`` + ``evaluate_all``) when installed: load and evaluate
  only, none of them prints its cells.

Prints a Markdown table: seconds and the ratio to ``check``. Every run's
values are not compared here (``bench_evaluator.py`` does that).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import sys
import tempfile
import time
from pathlib import Path

from timing import best_of  # bench/ is on sys.path when a script here runs; first: this checkout

from workbook_engine.cli.main import main as cli
from workbook_engine.formats.sample import make_sample
from workbook_engine.workbook.generate import generate_workbook


def quiet(argv: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli(argv)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)}: exit {code}")


def best_cpu(fn, repeat: int) -> float:
    """The least CPU time of ``repeat`` runs (steadier than wall time on a
    shared machine)."""
    out = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return min(out)


def measures(path: Path) -> dict[str, object]:
    """name -> a function running it once."""
    from workbook_engine import evaluate_workbook
    from workbook_engine.evaluator import evaluate_workbook as evaluator_only

    out: dict[str, object] = {
        "check (command)": lambda: quiet(["check", str(path)]),
        "calc (command, every formula cell)": lambda: quiet(["calc", str(path)]),
        "calc --json": lambda: quiet(["calc", str(path), "--json"]),
        "evaluate_workbook (API, gate + parse + evaluate)": lambda: evaluate_workbook(path),
        "evaluator alone": lambda: evaluator_only(path),
    }
    if importlib.util.find_spec("ironcalc"):
        import ironcalc

        def iron() -> None:
            ironcalc.load_from_xlsx(str(path)).evaluate()

        out["IronCalc (load + evaluate)"] = iron
    if importlib.util.find_spec("formualizer"):
        import formualizer

        def formu() -> None:
            formualizer.load_workbook(str(path)).evaluate_all()

        out["formualizer (load + evaluate)"] = formu
    return out


def run(families: int, repeat: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-calc-") as tmp:
        path = Path(tmp) / f"classeur_{families}.xlsx"
        generate_workbook(make_sample(families), path, capacity=families)
        runs = measures(path)
        times = {name: best_of(fn, repeat) for name, fn in runs.items()}
        cpu = {name: best_cpu(fn, repeat) for name, fn in runs.items()}
    base, base_cpu = times["check (command)"], cpu["check (command)"]
    print(f"3 grids x {families:,} families, best of {repeat} (wall and CPU seconds; ratios to check)\n")
    print("| run | seconds | x check | CPU seconds | x check (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for name, secs in times.items():
        print(f"| {name} | {secs:.3f} | {secs / base:.2f} | {cpu[name]:.3f} | {cpu[name] / base_cpu:.2f} |")
    ratio = times["calc (command, every formula cell)"] / base
    print(f"\ncalc / check = {ratio:.2f} (target <= 1.2)")
    return 0 if ratio <= 1.2 else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    return run(args.families, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
