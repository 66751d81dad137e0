"""The hostile corpus, second round (issue 20): every case is one command on
one input built at run time, run in a child process whose wall time and peak
resident memory are measured (``os.wait4``) and whose address space is
capped (``RLIMIT_AS``), so a case that hangs or balloons is stopped and
reported, not waited for.

Every case must end within ``TIME_BOUND`` seconds and ``MEMORY_BOUND`` MiB,
with exit 0, 1 or 2 (never 3: a bug), no traceback, and a bounded amount of
output; ``expect`` narrows the exit codes where the issue decides them.

Run as a script, it prints the table of cases (exit, time, peak memory) as
Markdown::

    PYTHONPATH=. python3 tests/hostile_corpus.py [--only WORD]
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import hostile_round2 as h  # noqa: E402

TIME_BOUND = 10.0  # seconds, per case
MEMORY_BOUND = 500  # MiB of peak resident memory, per case
ADDRESS_SPACE = 2 << 30  # bytes: a runaway child fails on allocation instead of taking the machine
OUTPUT_BOUND = 200_000  # characters of stdout + stderr: no flood of messages

ENTRY = "import sys; from workbook_engine.cli.main import entrypoint; sys.argv[0] = 'workbook-engine'; entrypoint()"


@dataclass(frozen=True)
class Ctx:
    """What the cases build on: a small genuine workbook and the sample scenario."""

    folder: Path
    base: Path
    unstamped: Path
    sample: dict

    def path(self, name: str) -> Path:
        return self.folder / name


Build = Callable[[Ctx], list[str]]


@dataclass(frozen=True)
class Case:
    name: str
    kind: int  # the point
    build: Build
    expect: tuple[int, ...] = (0, 1, 2)
    must_not_print: tuple[str, ...] = ()  # text that must appear in no output (stdout, stderr, written files)


@dataclass
class Outcome:
    case: Case
    code: int | None  # None: killed at the time bound
    seconds: float
    peak_mib: float
    out: str
    err: str
    leaked: list[str]

    def failures(self) -> list[str]:
        why = []
        if self.code is None:
            why.append(f"still running after {TIME_BOUND:.0f} s")
        elif self.code not in self.case.expect:
            why.append(f"exit {self.code}, expected {self.case.expect}")
        if self.peak_mib > MEMORY_BOUND:
            why.append(f"{self.peak_mib:.0f} MiB > {MEMORY_BOUND}")
        text = self.out + self.err
        if "Traceback" in text or "Exception ignored" in text:
            why.append("traceback printed")
        if len(text) > OUTPUT_BOUND:
            why.append(f"{len(text)} characters of output")
        if self.code == 2 and not text.strip():
            why.append("exit 2 without a message")
        why += [f"leaked {s!r}" for s in self.leaked]
        return why


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    os.setsid()


def run_case(case: Case, ctx: Ctx) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix="case-", dir=ctx.folder))
    argv = case.build(replace(ctx, folder=work))
    # The checkout under test, whatever the child's folder.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, PYTHONPATH=path, PYTHONWARNINGS="ignore")
    start = time.perf_counter()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        child = subprocess.Popen(
            [sys.executable, "-c", ENTRY, *argv],
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            preexec_fn=_limit_child,  # noqa: PLW1509 - the child sets its own limit before exec
        )
        code: int | None = None
        usage = None
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                child.returncode = code
                break
            if time.perf_counter() - start > TIME_BOUND:
                os.killpg(child.pid, signal.SIGKILL)
                _, status, usage = os.wait4(child.pid, 0)
                child.returncode = -9
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read(OUTPUT_BOUND * 4).decode("utf-8", "replace")
        stderr = err.read(OUTPUT_BOUND * 4).decode("utf-8", "replace")
    leaked = []
    for secret in case.must_not_print:
        if secret in stdout or secret in stderr:
            leaked.append(secret)
        for f in work.rglob("*"):
            if f.is_file() and f.suffix in (".csv", ".xlsx", ".json") and _holds(f, secret):
                leaked.append(f"{secret} in {f.name}")
    return Outcome(case, code, seconds, usage.ru_maxrss / 1024, stdout, stderr, leaked)


def _holds(path: Path, secret: str) -> bool:
    """Whether a written file holds ``secret`` (in any member of a workbook)."""
    if path.suffix == ".xlsx" and path.name.startswith(("reseau", "network")):
        import zipfile

        with zipfile.ZipFile(path) as z:
            return any(secret.encode() in z.read(n) for n in z.namelist())
    if path.suffix == ".xlsx":
        return False  # the inputs themselves hold the secret
    return secret in path.read_text(encoding="utf-8", errors="replace")


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------


def _wb(make: Callable[..., Path], *args: object, unstamped: bool = False) -> Callable[[Ctx], Path]:
    def build(ctx: Ctx) -> Path:
        return make(ctx.unstamped if unstamped else ctx.base, ctx.path("classeur.xlsx"), *args)

    return build


def _on_workbook(make: Callable[[Ctx], Path], command: str, *extra: str) -> Build:
    def build(ctx: Ctx) -> list[str]:
        path = make(ctx)
        if command in WRITERS:
            return [command, str(path), *WRITERS[command]]
        if command == "collect":
            folder = ctx.path("retours")
            folder.mkdir()
            path.rename(folder / path.name)
            return ["collect", str(folder), "-o", "reseau.xlsx", "--csv", "reseau.csv"]
        if command == "diff":  # the file against itself
            return ["diff", str(path), str(path)]
        return [command, str(path), *extra]

    return build


# The commands that write from a workbook, and their arguments after it.
WRITERS = {
    "merge": ["-o", "fusion.xlsx"],
    "split": ["--grids", "1", "-o", "parts"],
    "anonymize": ["-o", "partage.xlsx", "--key", "cle-de-la-federation-2026"],
    "calibrate": ["-o", "propose.xlsx"],
    "upgrade": ["-o", "nouveau.xlsx"],
    "rollover": ["--year", "2027-2028", "-o", "suivant.xlsx"],
    "publish": ["-o", "publication"],
}


def _workbook_cases(
    kind: int, name: str, make: Callable[[Ctx], Path], commands: tuple[str, ...], **kw: object
) -> list[Case]:
    cases = []
    for c in commands:
        options = dict(kw)
        if c == "collect" and options.get("expect") == (2,):
            options["expect"] = (1, 2)  # collect reports an unusable file in its table, exit 1
        cases.append(Case(f"{name} / {c}", kind, _on_workbook(make, c), **options))  # type: ignore[arg-type]
    return cases


def _families(make: Callable[[Path], Path], command: str = "simulate") -> Build:
    def build(ctx: Ctx) -> list[str]:
        scenario = h.scenario(ctx.sample, ctx.path("scenario.json"))
        families = make(ctx.path("familles.csv"))
        if command == "generate":
            return ["generate", str(scenario), "--families", str(families), "-o", "out.xlsx"]
        return ["simulate", str(scenario), "--families", str(families), "--json"]

    return build


def _scenario(make: Callable[[Ctx], Path], command: str = "simulate") -> Build:
    def build(ctx: Ctx) -> list[str]:
        path = make(ctx)
        return ["simulate", str(path)] if command == "simulate" else ["generate", str(path), "-o", "out.xlsx"]

    return build


def _argv(*argv: str) -> Build:
    return lambda ctx: list(argv)


def _special_families(target: str) -> Build:
    def build(ctx: Ctx) -> list[str]:
        scenario = h.scenario(ctx.sample, ctx.path("scenario.json"))
        if target == "fifo":
            os.mkfifo(ctx.path("familles.csv"))
            return ["simulate", str(scenario), "--families", str(ctx.path("familles.csv"))]
        return ["simulate", str(scenario), "--families", target]

    return build


def _big_grids(n_grids: int, n_tranches: int) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        grid = ctx.sample["grids"][0]
        tranches = [{"label": f"T{i}", "lower": i * 10, "amount": 100 + i} for i in range(n_tranches)]
        grids = [dict(grid, name=f"G{i}", tranches=tranches or grid["tranches"]) for i in range(n_grids)]
        return h.scenario(ctx.sample, ctx.path("scenario.json"), grids=grids)

    return make


def _number_in_json(digits: int) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        text = json.dumps(ctx.sample).replace('"old_tariff": 650', '"old_tariff": ' + "9" * digits, 1)
        return h.scenario_text(ctx.path("scenario.json"), text)

    return make


def _number_in_json_float(text: str) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        data = json.dumps(ctx.sample)
        return h.scenario_text(ctx.path("scenario.json"), data.replace('"old_tariff": 650', '"old_tariff": ' + text, 1))

    return make


def _schools(text: str, base: bool = False) -> Build:
    def build(ctx: Ctx) -> list[str]:
        schools = ctx.path("ecoles.csv")
        schools.write_text(text, encoding="utf-8")
        argv = ["batch", str(schools), "-o", "sortie"]
        if base:
            argv += ["--base", str(h.scenario(ctx.sample, ctx.path("scenario.json")))]
        return argv

    return build


NAME_MILLION = "Familles!$A$4:$A$1048576"
SLOTS_MILLION = "'Grille 1'!$E$8:$E$1000000"
# The commands that read one workbook, run on every workbook case: the first
# round's readers and this session's (calc, diff, upgrade, rollover, publish).
READERS = ("read", "check", "evaluate", "calc", "diff", "upgrade", "rollover", "publish")

CASES: list[Case] = [
    # 1. Sizes from defined names
    *_workbook_cases(1, "ID_FAMILLE étiré", _wb(h.with_name, "ID_FAMILLE", NAME_MILLION), (*READERS, "collect")),
    *_workbook_cases(1, "FAMILLES_TRANCHE_G1 étiré", _wb(h.with_name, "FAMILLES_TRANCHE_G1", SLOTS_MILLION), READERS),
    *_workbook_cases(
        1, "sans tampon, ID_FAMILLE étiré", _wb(h.without_stamp, "ID_FAMILLE", NAME_MILLION), (*READERS, "collect")
    ),
    *_workbook_cases(
        1, "sans tampon, tranches étirées", _wb(h.without_stamp, "FAMILLES_TRANCHE_G1", SLOTS_MILLION), READERS
    ),
    *_workbook_cases(1, "tampon de 100 000 familles", _wb(h.with_stamp, '"workbook_engine/2/3/10/100000"'), READERS),
    *_workbook_cases(1, "tampon de 1 000 tranches", _wb(h.with_stamp, '"workbook_engine/2/3/1000/15"'), READERS),
    *_workbook_cases(
        1,
        "tampon au maximum (100 grilles, 1 000 tranches, 100 000 familles)",
        _wb(h.with_stamp, '"workbook_engine/2/100/1000/100000"'),
        (*READERS, "collect"),
    ),
    *_workbook_cases(1, "tampon hors limites", _wb(h.with_stamp, '"workbook_engine/2/3/10/99999999"'), READERS),
    *_workbook_cases(
        1,
        "tampon au maximum, commandes d'écriture",
        _wb(h.with_stamp, '"workbook_engine/2/100/1000/100000"'),
        tuple(WRITERS),
    ),
    *_workbook_cases(
        1,
        "sans tampon, ID_FAMILLE étiré, commandes d'écriture",
        _wb(h.without_stamp, "ID_FAMILLE", NAME_MILLION),
        tuple(WRITERS),
    ),
    # 2. Backtracking regular expressions
    *_workbook_cases(2, "nom défini de 100 000 lettres", _wb(h.long_defined_name), READERS),
    *_workbook_cases(2, "cible de nom de 100 000 lettres", _wb(h.long_name_target), READERS),
    *_workbook_cases(2, "format de 100 000 [ (30 styles)", _wb(h.long_number_format), READERS),
    *_workbook_cases(
        2, "format de 100 000 [ (30 styles), commandes d'écriture", _wb(h.long_number_format), tuple(WRITERS)
    ),
    *_workbook_cases(2, 'format de 100 000 " (30 styles)', _wb(h.long_number_format, 100_000, 30, "\\"), READERS),
    # 3. Privacy through collect
    *[
        Case(f"secret : {label} / collect", 3, _on_workbook(_wb(make), "collect"), must_not_print=(h.SECRET,))
        for label, make in (
            ("texte dans un revenu", h.text_in_family_number),
            ("identifiant fautif", h.secret_family_id),
            ("booléen", h.secret_in_bool_cell),
            ("date", h.secret_in_date_cell),
            ("erreur", h.secret_in_error_cell),
            ("formule remplacée", h.secret_over_formula),
            ("famille sous le tableau", h.secret_below_table),
        )
    ],
    # 5. One resolution of the package
    *_workbook_cases(
        5, "classeur leurre (1 000 000 lignes)", _wb(h.decoy_workbook), (*READERS, "collect"), expect=(2,)
    ),
    *_workbook_cases(5, "classeur leurre, commandes d'écriture", _wb(h.decoy_workbook), tuple(WRITERS), expect=(2,)),
    *_workbook_cases(5, "deux officeDocument", _wb(h.two_office_documents), READERS, expect=(2,)),
    *_workbook_cases(5, "type de contenu ailleurs", _wb(h.content_type_elsewhere), READERS, expect=(2,)),
    # 7. Bounds on what is not a workbook
    Case("CSV d'un million de familles", 7, _families(lambda p: h.csv_rows(p, 1_000_000)), expect=(2,)),
    Case("--families /dev/zero", 7, _special_families("/dev/zero"), expect=(2,)),
    Case("--families FIFO", 7, _special_families("fifo"), expect=(2,)),
    Case("scénario de 10 000 grilles", 7, _scenario(_big_grids(10_000, 0)), expect=(2,)),
    Case("scénario de 100 000 tranches", 7, _scenario(_big_grids(1, 100_000)), expect=(2,)),
    Case("generate --grids 100000", 7, _argv("generate", "--grids", "100000", "-o", "out.xlsx"), expect=(2,)),
    Case(
        "generate --capacity 10000000",
        7,
        _argv("generate", "--grids", "1", "--capacity", "10000000", "-o", "o.xlsx"),
        expect=(2,),
    ),
    Case(
        "generate --slots 1000000",
        7,
        _argv("generate", "--grids", "1", "--slots", "1000000", "-o", "o.xlsx"),
        expect=(2,),
    ),
    Case(
        "generate --capacity -5", 7, _argv("generate", "--grids", "1", "--capacity", "-5", "-o", "o.xlsx"), expect=(2,)
    ),
    # 9. Plain mistakes
    Case("batch sans --base ni grille", 9, _schools("structure\nEcole A\n"), expect=(1, 2)),
    Case(
        "batch : établissement de 40 000 caractères",
        7,
        _schools("structure;grid_1;tranches_1\n" + "E" * 40_000 + ";École;A:0:100\n"),
        expect=(1, 2),
    ),
    Case("batch : grille sans nom", 9, _schools("structure;grid_2\nEcole A;Lycée\n"), expect=(1, 2)),
    Case("entier de 400 chiffres", 9, _scenario(_number_in_json(400)), expect=(2,)),
    Case("entier de 5 001 chiffres", 9, _scenario(_number_in_json(5001)), expect=(2,)),
    Case("JSON imbriqué 100 000 fois", 9, _scenario(lambda c: h.deep_json(c.path("scenario.json"))), expect=(2,)),
    # 8. Silent data changes
    Case("champ CSV de 140 000 caractères", 8, _families(h.csv_long_field), expect=(2,)),
    Case("octet Windows-1252 dans de l'UTF-8", 8, _families(h.csv_cp1252_byte), expect=(2,)),
    Case("BOM en début de ligne du CSV (retiré)", 8, _families(h.csv_inner_bom), expect=(0,)),
    Case("BOM dans un identifiant", 8, _families(lambda p: h.csv_inner_bom(p, inside_id=True)), expect=(2,)),
    Case("ids jumeaux : espace de largeur nulle", 8, _families(lambda p: h.csv_twin_ids(p, "F\u200b1")), expect=(2,)),
    Case("ids jumeaux : pleine chasse", 8, _families(lambda p: h.csv_twin_ids(p, "\uff26\uff11")), expect=(2,)),
    Case("ids de 40 000 caractères", 8, _families(h.csv_long_id), expect=(2,)),
    Case("revenu de 10^307 en chiffres (--json)", 8, _families(h.csv_huge_value), expect=(2,)),
    Case(
        "revenu de 10^400 en chiffres (--json)",
        8,
        _families(lambda p: h.csv_huge_value(p, "1" + "0" * 400)),
        expect=(2,),
    ),
    Case("revenu 1e307 dans le scénario", 8, _scenario(_number_in_json_float("1e307")), expect=(2,)),
    Case(
        "clé JSON en double",
        8,
        _scenario(lambda c: h.duplicate_key_json(c.sample, c.path("scenario.json"))),
        expect=(2,),
    ),
    *_workbook_cases(
        8,
        "identifiant de 40 000 caractères dans le classeur",
        _wb(h.long_family_id),
        ("read", "check", "collect"),
        expect=(1, 2),
    ),
    *_workbook_cases(
        8, "trois cellules à la même adresse", _wb(h.three_cells_at_one_address), ("read", "check"), expect=(2,)
    ),
    *_workbook_cases(
        8,
        "trois cellules à la même adresse (XML)",
        _wb(h.three_cells_at_one_address, True),
        ("read", "check"),
        expect=(2,),
    ),
    # 11. Terminal
    *_workbook_cases(
        11,
        "caractères de contrôle dans un identifiant",
        _wb(h.control_characters),
        ("check", "read", "collect"),
        must_not_print=("\x1b", "\x07"),
    ),
    *_workbook_cases(
        11,
        "caractères de contrôle dans les noms",
        _wb(h.control_in_names),
        ("check", "read", "evaluate", "collect"),
        must_not_print=("\x1b", "\x07", "\x9b"),
    ),
    *_workbook_cases(
        11, "caractères de contrôle dans les noms, commandes d'écriture", _wb(h.control_in_names), tuple(WRITERS)
    ),
    *_workbook_cases(
        8,
        "trois cellules à la même adresse, commandes d'écriture",
        _wb(h.three_cells_at_one_address),
        tuple(WRITERS),
        expect=(2,),
    ),
]


def make_context(folder: Path) -> Ctx:
    from workbook_engine.formats.sample import SAMPLE_FILE, load_sample
    from workbook_engine.workbook.generate import generate_workbook

    s = load_sample()
    base = folder / "base.xlsx"
    generate_workbook(replace(s, families=s.families[:12]), base, capacity=15)
    from importlib import resources

    sample = json.loads((resources.files("workbook_engine.formats") / "data" / SAMPLE_FILE).read_text(encoding="utf-8"))
    sample["families"] = sample["families"][:12]
    unstamped = h.without_stamp(base, folder / "unstamped.xlsx")
    return Ctx(folder, base, unstamped, sample)


def markdown(outcomes: list[Outcome]) -> str:
    lines = [
        "| # | case | exit | time (s) | peak (MiB) | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        why = "; ".join(o.failures()) or "ok"
        code = "killed" if o.code is None else str(o.code)
        lines.append(f"| {o.case.kind} | {o.case.name} | {code} | {o.seconds:.2f} | {o.peak_mib:.0f} | {why} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    only = argv[argv.index("--only") + 1] if "--only" in argv else ""
    with tempfile.TemporaryDirectory(prefix="hostile-corpus-") as tmp:
        ctx = make_context(Path(tmp))
        outcomes = []
        for case in CASES:
            if only and only not in case.name and only != str(case.kind):
                continue
            outcomes.append(o := run_case(case, ctx))
            if "-v" in argv:
                print(
                    f"{o.case.name}: {o.code} {o.seconds:.2f}s {o.peak_mib:.0f}MiB {o.err.strip()[:300]!r}",
                    file=sys.stderr,
                )
    print(markdown(outcomes))
    return 1 if any(o.failures() for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
