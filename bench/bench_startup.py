"""Benchmark: start-up of the command line, in fresh processes.

    python bench/bench_startup.py [--repeat 5] [--save FILE.json] [--before FILE.json]

Times, best of ``--repeat`` wall times, each in a new interpreter (what a
bursar waits for):

* ``workbook-engine --help`` (target: under 0.3 s);
* ``workbook-engine check`` of a 3-grid workbook of 200 families (target:
  under 0.5 s) and of 2,000 families, both generated afresh in a temporary
  folder (``generate_workbook(make_sample(n), path, capacity=n)``);
* ``python -c pass``, the interpreter alone, for scale.

The command runs as its console script does (``from workbook_engine.cli
import entrypoint; entrypoint()``), on this checkout (``PYTHONPATH``).
Then ``python -X importtime``: the import time of ``import workbook_engine``,
of ``import workbook_engine.cli``, of ``--help`` and of a whole ``check``
(the sum of the top-level imports, interpreter start-up excluded), and which
heavy libraries each loads.

``--save`` writes the numbers as JSON; ``--before`` reads such a file (made
on an earlier state of the code) and prints the two side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import CHECKOUT  # bench/ is on sys.path when a script here runs; first: this checkout

from workbook_engine.formats.sample import make_sample
from workbook_engine.workbook.generate import generate_workbook

TARGETS = {"help": 0.3, "check_200": 0.5}
HEAVY = ("pandas", "numpy", "openpyxl", "xlsxwriter", "formulas", "schedula", "tqdm")
# What the console script ``workbook-engine`` runs.
ENTRY = "import sys; from workbook_engine.cli import entrypoint; sys.argv[0] = 'workbook-engine'; entrypoint()"
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(CHECKOUT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def wall(argv: list[str], repeat: int) -> float:
    """Best wall time of ``repeat`` runs of ``argv``, in seconds (outputs discarded)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        done = subprocess.run(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        best = min(best, time.perf_counter() - t)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv[-3:])} : exit {done.returncode}\n{done.stderr.decode()[-2000:]}")
    return best


def import_profile(code: str, *args: str) -> tuple[float, list[str]]:
    """Milliseconds spent importing by ``python -c code args`` beyond the
    interpreter's own start-up, and the heavy libraries it loaded."""

    def top_level(argv: list[str]) -> dict[str, int]:
        done = subprocess.run(
            [sys.executable, "-X", "importtime", *argv],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        out = {}
        for m in map(_IMPORT_LINE.match, done.stderr.splitlines()):
            if m and len(m.group(3)) == 1:  # one space: imported by the script itself
                out[m.group(4)] = out.get(m.group(4), 0) + int(m.group(2))
        return out

    start = top_level(["-c", "pass"])
    mods = top_level(["-c", code, *args])
    total_us = sum(us for name, us in mods.items() if name not in start)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.__stderr__)",
            *args,
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    loaded = done.stderr.strip().splitlines()[-1].split() if done.stderr.strip() else []
    return total_us / 1000, loaded


def measure(repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        books = {}
        for n in (200, 2000):
            books[n] = Path(tmp) / f"classeur_{n}.xlsx"
            generate_workbook(make_sample(n), books[n], capacity=n)
        cli = [sys.executable, "-c", ENTRY]
        times = {
            "python": wall([sys.executable, "-c", "pass"], repeat),
            "help": wall([*cli, "--help"], repeat),
            "check_200": wall([*cli, "check", str(books[200])], repeat),
            "check_2000": wall([*cli, "check", str(books[2000])], repeat),
        }
        imports = {
            "import workbook_engine": import_profile("import workbook_engine"),
            "import workbook_engine.cli": import_profile("import workbook_engine.cli"),
            "--help": import_profile(
                ENTRY.replace("entrypoint()", "\ntry: entrypoint()\nexcept SystemExit: pass"), "--help"
            ),
            "check, 200 families": import_profile(
                ENTRY.replace("entrypoint()", "\ntry: entrypoint()\nexcept SystemExit: pass"), "check", str(books[200])
            ),
        }
    return {
        "repeat": repeat,
        "times": times,
        "imports": {k: {"ms": ms, "loaded": loaded} for k, (ms, loaded) in imports.items()},
    }


def report(now: dict, before: dict | None) -> None:
    labels = {
        "help": "workbook-engine --help",
        "check_200": "workbook-engine check, 200 families",
        "check_2000": "workbook-engine check, 2,000 families",
        "python": "python -c pass (interpreter alone)",
    }
    print(f"Start-up, fresh processes, best of {now['repeat']} wall times (seconds)")
    head = f"{'':40}" + (f"{'before':>9}" if before else "") + f"{'now':>9}{'target':>9}"
    print(head)
    for key, label in labels.items():
        target = TARGETS.get(key)
        verdict = "" if target is None else ("  ok" if now["times"][key] < target else "  MISSED")
        old = f"{before['times'][key]:>9.3f}" if before else ""
        print(f"{label:40}{old}{now['times'][key]:>9.3f}{target if target else '':>9}{verdict}")
    print("\nImports (python -X importtime, ms beyond the interpreter's start-up; heavy libraries loaded)")
    for key, value in now["imports"].items():
        old = before["imports"].get(key) if before else None
        was = f"{old['ms']:7.0f} ms {'+'.join(old['loaded']) or '-':40}  ->  " if old else ""
        print(f"  {key:28}{was}{value['ms']:7.0f} ms {'+'.join(value['loaded']) or '-'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--save", type=Path, help="write the numbers to this JSON file")
    p.add_argument("--before", type=Path, help="numbers of an earlier run (--save), printed beside")
    args = p.parse_args(argv)
    now = measure(args.repeat)
    if args.save:
        args.save.write_text(json.dumps(now, indent=2) + "\n", encoding="utf-8")
    report(now, json.loads(args.before.read_text(encoding="utf-8")) if args.before else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
