"""Hostile and faulty input, second round (issue 20): one test per kind of
defect, each building its input at test time; and the whole corpus
(``hostile_corpus``) run command by command in child processes, with time
and memory asserted per case (slow tier).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import hostile_corpus
import hostile_round2 as h
import pytest

from workbook_engine.cli.main import main
from workbook_engine.evaluator import UnreadableWorkbook, parse_workbook
from workbook_engine.federation import collect as collect_module
from workbook_engine.federation.collect import safe_reason, summarize_workbook
from workbook_engine.formats.csv_text import CsvUnreadable, read_csv_rows
from workbook_engine.formats.files import UnreadableInput, read_input
from workbook_engine.formats.sample import load_sample
from workbook_engine.formats.scenario_json import read_scenario_json
from workbook_engine.model.limits import MAX_CAPACITY, MAX_GRIDS, MAX_SLOTS
from workbook_engine.model.package import PackageMismatch, workbook_part
from workbook_engine.model.problems import InputError
from workbook_engine.safety.gate import inspect_workbook
from workbook_engine.workbook.generate import generate_workbook
from workbook_engine.workbook.reader import read_workbook


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A small genuine filled workbook (12 families, room for 15, 3 grids)."""
    s = load_sample()
    path = tmp_path_factory.mktemp("round2") / "base.xlsx"
    generate_workbook(replace(s, families=s.families[:12]), path, capacity=15)
    return path


@pytest.fixture(scope="module")
def sample() -> dict:
    from importlib import resources

    from workbook_engine.formats.sample import SAMPLE_FILE

    text = (resources.files("workbook_engine.formats") / "data" / SAMPLE_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    data["families"] = data["families"][:12]
    return data


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------
# 1. Sizes from defined names are capped by what the file holds
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "target"),
    [("ID_FAMILLE", "Familles!$A$4:$A$1048576"), ("FAMILLES_TRANCHE_G1", "'Grille 1'!$E$8:$E$1000000")],
)
def test_a_stretched_name_in_an_unstamped_file_is_capped_by_the_rows_held(base, tmp_path, name, target):
    read = read_workbook(h.without_stamp(base, tmp_path / "old.xlsx", name, target))
    # The family table holds 15 rows, the grid sheet 28 (tranche lines from row 8): the layout is no larger.
    assert read.placement.generated.capacity <= 15
    assert read.placement.generated.n_slots <= read.cells.rows_held("Grille 1") - 7 < 30
    assert len(read.scenario.families) == 12


def test_a_stamp_claiming_far_more_than_the_file_holds_is_held_to_the_file(base, tmp_path):
    path = h.with_stamp(base, tmp_path / "x.xlsx", '"workbook_engine/2/100/1000/100000"')
    start = time.perf_counter()
    with pytest.raises(InputError):  # 97 grid sheets missing: no workbook of ours
        read_workbook(path)
    assert time.perf_counter() - start < 5  # it built 100 grids x 1,000 lines x 100,000 rows
    read = read_workbook(h.with_stamp(base, tmp_path / "y.xlsx", '"workbook_engine/2/3/10/100000"'))
    assert read.placement.generated.capacity < 100 and len(read.scenario.families) == 12


def test_a_stretched_name_in_a_stamped_file_is_one_finding(base, tmp_path, capsys):
    path = h.with_name(base, tmp_path / "stretched.xlsx", "ID_FAMILLE", "Familles!$A$4:$A$1048576")
    code, out, _ = cli(["check", str(path)], capsys)
    assert code == 1
    assert sum("ID_FAMILLE" in line for line in out.splitlines()) == 1


# ---------------------------------------------------------------------------
# 2. No pattern backtracks on what a file holds
# ---------------------------------------------------------------------------


def test_a_number_format_longer_than_excel_allows_is_no_date_and_costs_nothing():
    from workbook_engine.evaluator.reader import _date_styles

    code = "[" * 100_000
    xfs = "".join(f'<xf numFmtId="{300 + i % 2}"/>' for i in range(30))
    styles = (
        f'<styleSheet><numFmts><numFmt numFmtId="300" formatCode="{code}"/><numFmt numFmtId="301" formatCode="dd/mm/yyyy"/>'
        f"</numFmts><cellXfs>{xfs}</cellXfs></styleSheet>"
    ).encode()
    start = time.perf_counter()
    dated = _date_styles(styles)
    assert time.perf_counter() - start < 2.0  # 30 tests of openpyxl's pattern took 7.7 s each
    assert dated == frozenset(str(i) for i in range(1, 30, 2))  # the real date format is still one


@pytest.mark.parametrize("run", ["A", "'", "A.", "$A"])
def test_a_formula_of_one_repeated_piece_is_shaped_in_linear_time(run):
    from workbook_engine.workbook.placement import _shape

    start = time.perf_counter()
    _shape("=" + run * 1000 + "+" + run * 1000)
    assert time.perf_counter() - start < 0.05  # 0.28 s each before: 4,000 tranche formulas made minutes
    assert _shape("=SUM('Grille 1'!$B$8:$B$17)+Familles!A4") == "SUM(@)+@"


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("*a*a*a*a*a*b", "a" * 20_000, False),
        ("*a*a*a*a*a*", "a" * 20_000, True),
        ("x*y*z", "xzyz", True),
        ("x*y*z", "xzy", False),
        ("a?c", "abbc", False),
        ("~*a*", "*ab", True),
    ],
)
def test_a_countif_wildcard_never_backtracks(pattern, text, matches):
    from workbook_engine.evaluator.criteria import _wildcard

    compiled = _wildcard(pattern)
    assert compiled is not None
    start = time.perf_counter()
    assert compiled.fullmatch(text) is matches
    assert time.perf_counter() - start < 0.1  # minutes before, on 2,000 characters


# ---------------------------------------------------------------------------
# 3. Privacy: no family text leaves a workbook through collect
# ---------------------------------------------------------------------------

SECRET_PATHS = [
    h.text_in_family_number,
    h.secret_family_id,
    h.secret_in_bool_cell,
    h.secret_in_error_cell,
    h.secret_over_formula,
    h.secret_below_table,
]


@pytest.mark.parametrize("make", SECRET_PATHS, ids=lambda f: f.__name__)
def test_collect_never_copies_family_text(base, tmp_path, make, capsys):
    folder = tmp_path / "retours"
    folder.mkdir()
    make(base, folder / "ecole.xlsx")
    code, out, err = cli(
        ["collect", str(folder), "--csv", str(tmp_path / "r.csv"), "-o", str(tmp_path / "r.xlsx")], capsys
    )
    assert code in (0, 1)
    assert h.SECRET not in out + err
    assert h.SECRET not in (tmp_path / "r.csv").read_text(encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        assert not any(h.SECRET.encode() in z.read(n) for n in z.namelist())


def test_collect_hides_an_internal_error_text(base, tmp_path, monkeypatch):
    def crash(path, evaluate=None):
        raise ValueError(f"could not convert string to float: '{h.SECRET}'")

    monkeypatch.setattr(collect_module, "check_workbook", crash)
    summary = summarize_workbook(base)
    assert summary.status == "unusable"
    assert h.SECRET not in summary.first_finding
    assert "ValueError" in summary.first_finding


def test_an_unusable_reason_keeps_our_words_and_the_layout_sheets_only():
    reason = safe_reason(
        f"classeur endommagé : feuille « Familles » illisible (could not convert: b'{h.SECRET}') « {h.SECRET} » '{h.SECRET}'"
    )
    assert h.SECRET not in reason
    assert "« Familles »" in reason
    for nested in (f"a ((b) {h.SECRET}) c", f"a (((((((((((({h.SECRET}", f"x ({h.SECRET} (y)"):
        assert h.SECRET not in safe_reason(nested)
    assert "\n" not in safe_reason("a\nb\x1b[2J")


# ---------------------------------------------------------------------------
# 5. One resolution of the package, for the gate and every reader
# ---------------------------------------------------------------------------

DISAGREEMENTS = [h.decoy_workbook, h.two_office_documents, h.content_type_elsewhere]


@pytest.mark.parametrize("make", DISAGREEMENTS, ids=lambda f: f.__name__)
def test_the_gate_refuses_a_package_naming_two_workbooks(base, tmp_path, make):
    path = make(base, tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="structure anormale") as info:
        inspect_workbook(path)
    assert len(str(info.value.problems[0]).splitlines()) == 1


@pytest.mark.parametrize("make", DISAGREEMENTS, ids=lambda f: f.__name__)
def test_the_reader_without_the_gate_refuses_it_too(base, tmp_path, make):
    path = make(base, tmp_path / "x.xlsx")
    with path.open("rb") as fh, pytest.raises(UnreadableWorkbook, match="structure anormale"):
        parse_workbook(fh)


def test_the_package_rule():
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    members = {"xl/workbook.xml", "xl/b.xml"}
    assert workbook_part(["xl/workbook.xml"], [("xl/workbook.xml", main)], members) == "xl/workbook.xml"
    assert workbook_part([], [], members) == "xl/workbook.xml"  # a writer giving only defaults
    assert workbook_part(["xl/b.xml"], [], members) == "xl/b.xml"
    for office, typed in ((["xl/b.xml"], [("xl/workbook.xml", main)]), (["xl/workbook.xml", "xl/b.xml"], [])):
        with pytest.raises(PackageMismatch):
            workbook_part(office, typed, members)
    with pytest.raises(PackageMismatch, match="absente"):
        workbook_part(["xl/c.xml"], [], members)


# ---------------------------------------------------------------------------
# 7. Inputs that are not workbooks are bounded
# ---------------------------------------------------------------------------


def test_a_fifo_or_a_device_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "familles.csv"
    import os

    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        with pytest.raises(UnreadableInput, match="pas un fichier ordinaire"):
            read_input(path)


def test_an_input_over_the_limit_is_refused_reading_no_further(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2000)
    with pytest.raises(UnreadableInput, match="au plus"):
        read_input(path, limit=1000)
    assert read_input(path, limit=2000) == b"x" * 2000


def test_a_families_csv_of_more_rows_than_a_workbook_holds_is_refused(tmp_path):
    path = h.csv_rows(tmp_path / "f.csv", MAX_CAPACITY + 1)
    with pytest.raises(CsvUnreadable, match="au plus 100 000"):
        read_csv_rows(path)
    assert len(read_csv_rows(h.csv_rows(tmp_path / "g.csv", 10)).rows) == 11


@pytest.mark.parametrize(
    ("grids", "tranches", "families", "words"),
    [(MAX_GRIDS + 1, 1, 0, "grilles"), (1, MAX_SLOTS + 1, 0, "tranches"), (1, 1, MAX_CAPACITY + 1, "familles")],
)
def test_a_scenario_larger_than_a_workbook_is_refused(sample, tmp_path, grids, tranches, families, words):
    grid = dict(sample["grids"][0], tranches=[{"label": f"T{i}", "lower": i, "amount": 1} for i in range(tranches)])
    data = dict(sample, grids=[grid] * grids, families=[{"id": "F"}] * families or sample["families"])
    scenario, problems = read_scenario_json(h.scenario(data, tmp_path / "s.json"))
    assert scenario is None
    assert words in problems[0].message


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--grids", "100000"], "--grids"),
        (["--grids", "0"], "--grids"),
        (["--grids", "1", "--capacity", "10000000"], "--capacity"),
        (["--grids", "1", "--capacity", "-5"], "--capacity"),
        (["--grids", "1", "--slots", "1000000"], "--slots"),
    ],
)
def test_generate_refuses_sizes_beyond_the_writer_limits(tmp_path, capsys, argv, words):
    code, _, err = cli(["generate", *argv, "-o", str(tmp_path / "o.xlsx")], capsys)
    assert code == 2
    assert words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.xlsx").exists()


# ---------------------------------------------------------------------------
# 9. Plain mistakes in a scenario JSON or a schools CSV
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"structure": "A", "grids": [], "x": ' + "9" * 400 + "}", "400 chiffres"),
        ('{"structure": "A", "x": ' + "9" * 5001 + "}", "5001 chiffres"),
        ('{"grids": ' + "[" * 100_000 + "]" * 100_000 + "}", "imbriqué"),
        ('{"structure": "A", "x": NaN}', "NaN"),
        ('{"structure": "A", "x": 1e400}', "hors limites"),
        ('{"structure": "A", "structure": "B"}', "en double"),
    ],
)
def test_a_scenario_json_is_refused_with_a_reason_not_a_crash(tmp_path, text, words):
    scenario, problems = read_scenario_json(h.scenario_text(tmp_path / "s.json", text))
    assert scenario is None
    assert words in str(problems[0])


def test_batch_without_a_base_or_a_grid_reports_the_row(tmp_path, capsys):
    schools = tmp_path / "ecoles.csv"
    schools.write_text("structure\nEcole A\n", encoding="utf-8")
    code, out, err = cli(["batch", str(schools), "-o", str(tmp_path / "sortie")], capsys)
    assert code == 1
    assert "aucune grille" in out + err


# ---------------------------------------------------------------------------
# 8. No data changed or dropped silently
# ---------------------------------------------------------------------------


def families_of(path: Path):
    from workbook_engine.formats.families_csv import read_families_csv

    return read_families_csv(path, 3)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (h.csv_long_field, "au plus 32 767"),
        (h.csv_cp1252_byte, "encodages mélangés"),
        (lambda p: h.csv_inner_bom(p, inside_id=True), "U+FEFF"),
        (lambda p: h.csv_twin_ids(p, "F\u200b1"), "U+200B"),
        (lambda p: h.csv_twin_ids(p, "\uff26\uff11"), "déjà utilisé ligne 2"),
        (h.csv_long_id, "au plus 32 767"),
        (h.csv_huge_value, "trop grand"),
    ],
)
def test_a_families_csv_is_refused_rather_than_changed(tmp_path, make, words):
    path = make(tmp_path / "f.csv")
    with pytest.raises(InputError) as info:
        families_of(path)
    assert words in " ".join(str(p) for p in info.value.problems)


def test_ids_in_two_unicode_forms_are_one_family(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(h.CSV_HEAD + "Zo\u00e9;35000;2;1;0;0\nZoe\u0301;18000;1;1;0;0\nZoe;1;1;1;0;0\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        families_of(path)
    (problem,) = info.value.problems  # "Zoe" without an accent is another family
    assert "ligne 3" in str(problem) and "déjà utilisé ligne 2" in str(problem)


def test_a_bom_starting_a_line_is_no_part_of_the_id(tmp_path):
    assert [f.id for f in families_of(h.csv_inner_bom(tmp_path / "f.csv"))] == ["F1", "F2"]


def test_a_windows_1252_file_still_reads(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes((h.CSV_HEAD + "Zoé;35000;2;1;0;0\n").encode("cp1252"))
    assert [f.id for f in families_of(path)] == ["Zoé"]


def test_ids_that_look_the_same_in_a_scenario_json_are_refused(sample, tmp_path):
    families = [dict(sample["families"][0], id="F1"), dict(sample["families"][1], id="\uff26\uff11")]
    scenario, problems = read_scenario_json(h.scenario(dict(sample, families=families), tmp_path / "s.json"))
    assert any("identique à l'écran" in p.message for p in problems)


def test_three_cells_at_one_address_make_the_workbook_unusable(base, tmp_path):
    for slow in (False, True):
        path = h.three_cells_at_one_address(base, tmp_path / f"x{slow}.xlsx", slow)
        with pytest.raises(InputError, match="B5 écrite deux fois"):
            read_workbook(path)


def test_json_output_is_never_infinity(capsys):
    from workbook_engine.cli.common import print_json

    with pytest.raises(ValueError):
        print_json({"x": float("inf")})
    assert "Infinity" not in capsys.readouterr().out


# ---------------------------------------------------------------------------
# 6. A full disk: one line naming the output, exit 2, nothing left behind
# ---------------------------------------------------------------------------


@pytest.fixture
def full_disk(tmp_path):
    """A real file system with no room left: a 64 kB tmpfs filled up."""
    import subprocess

    folder = tmp_path / "plein"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        with contextlib.suppress(OSError), (folder / "remplissage").open("wb", buffering=0) as fh:
            while True:
                fh.write(b"\0" * 4096)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def run_child(argv: list[str], cwd: Path) -> tuple[int, str]:
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(hostile_corpus.ROOT))
    done = subprocess.run(
        [sys.executable, "-c", hostile_corpus.ENTRY, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


DISK_FULL = {
    "generate": lambda b, s, out: ["generate", "--grids", "1", "-o", str(out / "o.xlsx")],
    "merge": lambda b, s, out: ["merge", str(b), "-o", str(out / "m.xlsx")],
    "anonymize": lambda b, s, out: [
        "anonymize",
        str(b),
        "-o",
        str(out / "a.xlsx"),
        "--key",
        "cle-de-la-federation-2026",
    ],
    "collect": lambda b, s, out: ["collect", str(b.parent), "-o", str(out / "n.xlsx")],
    "batch": lambda b, s, out: ["batch", str(s), "-o", str(out / "lot")],
    "demo": lambda b, s, out: ["demo", "-o", str(out / "demo")],
    "read": lambda b, s, out: ["read", str(b), "-o", str(out / "s.json")],
}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(DISK_FULL))
def test_a_full_disk_is_one_line_naming_the_output(base, full_disk, tmp_path, command):
    schools = tmp_path / "ecoles.csv"
    schools.write_text("structure;grid_1;tranches_1\nEcole A;École;A:0:500|B:9000:700\n", encoding="utf-8")
    code, text = run_child(DISK_FULL[command](base, schools, full_disk), tmp_path)
    assert code in (1, 2), text  # batch: the school's row fails (1) or its index cannot be written (2)
    assert "Traceback" not in text and "Exception ignored" not in text
    assert "écriture impossible (disque plein)" in text
    assert str(full_disk) in text
    assert not [p for p in full_disk.rglob(".~*")], "a temporary file was left behind"


def test_an_os_error_wrapped_by_a_writer_is_told_in_one_line(tmp_path):
    from xlsxwriter.exceptions import FileCreateError

    from workbook_engine.formats.files import atomic_output
    from workbook_engine.model.problems import UsageError

    out = tmp_path / "o.xlsx"
    with pytest.raises(UsageError, match="o.xlsx : écriture impossible \\(disque plein\\)"):
        with atomic_output(out):
            raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# 11. The terminal and interruptions
# ---------------------------------------------------------------------------

CONTROLS = ("\x1b", "\x07", "\x9b")


@pytest.mark.parametrize("command", ["check", "evaluate", "read"])
def test_control_characters_from_a_workbook_never_reach_the_terminal(base, tmp_path, capsys, command):
    path = h.control_in_names(base, tmp_path / "ctl.xlsx")
    code, out, err = cli([command, str(path)], capsys)
    assert code in (0, 1)
    assert not any(c in out + err for c in CONTROLS)
    if command == "evaluate":
        assert "\u241b" in out  # ESC shown as its picture: the name is still told


def test_control_characters_never_reach_the_network_report(base, tmp_path, capsys):
    folder = tmp_path / "retours"
    folder.mkdir()
    h.control_in_names(base, folder / "ctl.xlsx")
    code, out, err = cli(
        ["collect", str(folder), "--csv", str(tmp_path / "r.csv"), "-o", str(tmp_path / "r.xlsx")], capsys
    )
    assert code == 0
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "OGEC" in text and not any(c in text + out + err for c in CONTROLS)


def test_collect_reports_a_sub_folder_it_cannot_list(base, tmp_path, capsys, monkeypatch):
    import shutil

    for name in ("a", "b"):
        (tmp_path / "retours" / name).mkdir(parents=True)
        shutil.copy(base, tmp_path / "retours" / name / "ecole.xlsx")
    scandir = os.scandir

    def refusing(path="."):  # root reads every folder: the refusal is simulated
        if str(path).endswith("b"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    code, out, err = cli(["collect", str(tmp_path / "retours")], capsys)
    assert code == 1
    assert "2 classeur(s) : 1 cohérent(s), 0 avec constats, 1 inutilisable(s)" in out
    assert "dossier illisible" in out


def test_check_of_a_folder_goes_on_after_an_unreadable_file(base, tmp_path, capsys, monkeypatch):
    import builtins
    import shutil

    folder = tmp_path / "classeurs"
    folder.mkdir()
    for name in ("a.xlsx", "b.xlsx", "c.xlsx"):
        shutil.copy(base, folder / name)
    real_open = builtins.open

    def refusing(file, *args, **kwargs):
        if str(file).endswith("a.xlsx"):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing)
    code, out, _ = cli(["check", str(folder)], capsys)
    assert code == 2
    assert "a.xlsx : INUTILISABLE" in out and "fichier illisible (Permission denied)" in out
    assert "b.xlsx : OK" in out and "c.xlsx : OK" in out


SCHOOLS = "structure;grid_1;tranches_1\nOGEC A;École;A:0:100\nOGEC B;École;A:0:100\nOGEC C;Lycée;A:0:300\n"


def test_a_batch_run_again_writes_only_what_is_missing(tmp_path, capsys):
    schools = tmp_path / "ecoles.csv"
    schools.write_text(SCHOOLS, encoding="utf-8")
    out = tmp_path / "lot"
    assert cli(["batch", str(schools), "-o", str(out), "--jobs", "1"], capsys)[0] == 0
    (out / "ogec-b.xlsx").unlink()  # as if the first run had stopped before it
    before = (out / "ogec-a.xlsx").stat().st_mtime_ns
    code, text, _ = cli(["batch", str(schools), "-o", str(out), "--jobs", "1"], capsys)
    assert code == 0
    assert "1 classeur(s) écrit(s)" in text and "2 classeur(s) déjà présent(s)" in text
    assert (out / "ogec-b.xlsx").exists() and (out / "ogec-a.xlsx").stat().st_mtime_ns == before
    index = (out / "index.csv").read_text(encoding="utf-8-sig")
    assert index.count(";kept;") == 2 and index.count(";written;") == 1


def test_an_interrupted_batch_still_writes_its_index(tmp_path, capsys, monkeypatch):
    from workbook_engine.federation import batch as batch_module

    def interrupted(func, jobs, **kwargs):
        func(jobs[0])  # one workbook written, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(batch_module, "run_parallel", interrupted)
    schools = tmp_path / "ecoles.csv"
    schools.write_text(SCHOOLS, encoding="utf-8")
    code, _, err = cli(["batch", str(schools), "-o", str(tmp_path / "lot")], capsys)
    assert code == 130
    assert err.strip().splitlines() == [
        "workbook-engine : interrompu (Ctrl-C) ; aucun fichier n'est resté à moitié écrit"
    ]
    index = (tmp_path / "lot" / "index.csv").read_text(encoding="utf-8-sig")
    assert index.count(";written;") == 1 and index.count("interrompu avant d'être écrit") == 2


def wait_for(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_ctrl_c_stops_a_collection_at_once_in_one_line(base, tmp_path):
    import shutil
    import signal
    import subprocess
    import sys

    folder = tmp_path / "retours"
    folder.mkdir()
    # Enough work to be still running 3 s in: a collection of 40 files of one
    # layout ends sooner than that since parses are shared (issue 21).
    for i in range(400):
        shutil.copy(base, folder / f"ecole{i:03}.xlsx")
    env = dict(os.environ, PYTHONPATH=str(hostile_corpus.ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", hostile_corpus.ENTRY, "collect", str(folder), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    time.sleep(3)  # the workers are started and busy
    os.killpg(child.pid, signal.SIGINT)  # as a terminal sends it: to the whole group
    start = time.monotonic()
    _, err = child.communicate(timeout=30)
    assert time.monotonic() - start < 3  # it ran on for 17 s
    assert child.returncode == 130
    assert err.strip().splitlines() == [
        "workbook-engine : interrompu (Ctrl-C) ; aucun fichier n'est resté à moitié écrit"
    ]


@pytest.mark.slow
def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path):
    import signal
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(hostile_corpus.ROOT))
    argv = ["generate", "--grids", "3", "--capacity", "50000", "-o", str(tmp_path / "grand.xlsx")]
    child = subprocess.Popen(
        [sys.executable, "-c", hostile_corpus.ENTRY, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert wait_for(lambda: any(tmp_path.glob(".~*")), 60), "the workbook was never being written"
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 143
    assert "arrêté (SIGTERM)" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the output nor a temporary file


# ---------------------------------------------------------------------------
# The corpus: every command on every input, bounded in time and memory
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_context(tmp_path_factory) -> hostile_corpus.Ctx:
    return hostile_corpus.make_context(tmp_path_factory.mktemp("corpus"))


@pytest.mark.slow
@pytest.mark.parametrize("case", hostile_corpus.CASES, ids=lambda c: c.name)
def test_corpus_case_is_answered_in_bounded_time_and_memory(case, corpus_context):
    outcome = hostile_corpus.run_case(case, corpus_context)
    assert not outcome.failures(), (outcome.failures(), outcome.err[-2000:])
