"""Fuzzing: generated workbooks mutated at random (bytes of the zip, XML
values and attributes of its parts, cell types, truncation, cells typed as a
bursar would), read and checked by the command line. The engine may only
answer with a result or a clean error (exit 0, 1 or 2), in bounded time:
never exit 3 (internal error) nor an exception.

Crashes found are reported to the lead with their input and traceback; the
regression examples at the end reproduce each one.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import tempfile
import time
import traceback
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from hostile_files import rewrite, sheet_part
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.workbook.generate import generate_workbook

TIME_BOUND = 20.0  # seconds per command on a mutated 12-family workbook (a clean one takes ~0.3 s)
EXAMPLES = int(os.environ.get("WORKBOOK_FUZZ_EXAMPLES", "40"))  # raise it for a long hunt
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    s = load_sample()
    s = replace(s, families=s.families[:12])
    path = tmp_path_factory.mktemp("fuzz") / "base.xlsx"
    generate_workbook(s, path, capacity=15)
    return path


def run(argv: list[str]) -> tuple[int, str, float]:
    out, err = io.StringIO(), io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue() + err.getvalue(), time.perf_counter() - t


# Crashes found by this fuzzing, reported to the lead (outside the safety
# gate: check.py / results.py / money.py). While unfixed, an example that
# hits one of them (same exception, raised in the same function) ends the
# test as XFAIL naming the bug; any other exit 3 fails. Once a bug is fixed
# its signature never shows again and nothing is xfailed.
BUG_A = (
    "bug A (lead): check crashes (exit 3) when a computed cell holds an Excel error (#DIV/0!, #REF!, #N/A, "
    "#NAME?) or text (a bursar typed 'gratuit' over a due formula): results.money/ratio/count call "
    "float()/int() on it, via check.check_numbers -> workbook_results.results_json_from_cells"
)
BUG_B = (
    "bug B (lead): money.excel_round raises decimal.InvalidOperation for amounts over ~1e26 (e.g. an old "
    "tariff of 3.4e38), which validation accepts: simulate, generate and check exit 3"
)
KNOWN_CRASHES = {  # (exception, file, function) -> bug
    ("ValueError", "results.py", "money"): BUG_A,
    ("ValueError", "results.py", "ratio"): BUG_A,
    ("ValueError", "results.py", "count"): BUG_A,
    ("TypeError", "results.py", "money"): BUG_A,
    ("TypeError", "results.py", "ratio"): BUG_A,
    ("TypeError", "results.py", "count"): BUG_A,
    ("InvalidOperation", "money.py", "excel_round"): BUG_B,
}


def crash_signature(command: str, path: Path) -> tuple[str, str, str] | None:
    """Where the library raises for ``command`` on ``path`` (None: it does not)."""
    from workbook_engine.model.problems import InputError
    from workbook_engine.workbook.check import check_workbook
    from workbook_engine.workbook.reader import read_workbook

    try:
        (read_workbook if command == "read" else check_workbook)(path)
    except InputError:
        return None
    except Exception as exc:  # noqa: BLE001 - what we are looking for
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return type(exc).__name__, Path(frame.filename).name, frame.name
    return None


def assert_clean_answers(path: Path) -> None:
    for command in ("read", "check"):
        code, text, seconds = run([command, str(path)])
        if code == 3:
            bug = KNOWN_CRASHES.get(crash_signature(command, path))
            if bug:
                pytest.xfail(bug)
        assert code in (0, 1, 2), f"{command} {path.name}: exit {code}\n{text}"
        assert "Traceback" not in text
        assert seconds < TIME_BOUND, f"{command} took {seconds:.1f} s"


def mutated_copy(base: Path, mutate) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path = folder / "mutated.xlsx"
    mutate(base, path)
    return path


# ---------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------

CELL_TYPES = ("s", "n", "b", "e", "str", "inlineStr", "d", "x", "")
ODD_VALUES = (
    "",
    "-1",
    "0",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "99999999999999999999",
    "1.5",
    "abc",
    "#REF!",
    "TRUE",
    "2024-02-30T00:00:00",
    "A1",
    "XFD1048577",
    "$A$1:$A$0",
    "Familles!$A$99999:$A$1",
    "'",
    "&amp;",
    " ",
    "\u00e9",
    "1048577",
    "16385",
    "-5",
    "0x10",
)
_ATTR = re.compile(rb'(\s[\w:]+=")([^"]*)(")')
_TEXT = re.compile(rb">([^<]+)<")
_CELL_TYPE = re.compile(rb'(<c [^>]*?)(?: t="[^"]*")?([^>]*>)')
_CELL = re.compile(rb"<c [^>]*?(?:/>|>.*?</c>)", re.DOTALL)


def pick(draw, matches: list, label: str):
    return matches[draw(st.integers(0, len(matches) - 1), label=label)] if matches else None


@st.composite
def xml_mutations(draw):
    """(member kind, list of edits) to apply to one XML part."""
    member = draw(
        st.sampled_from(
            [
                "Familles",
                "Paramètres",
                "Grille 1",
                "xl/sharedStrings.xml",
                "xl/workbook.xml",
                "xl/styles.xml",
                "[Content_Types].xml",
                "xl/_rels/workbook.xml.rels",
            ]
        )
    )
    edits = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["attr", "text", "type", "drop-cell", "dup-cell"]),
                st.integers(0, 10_000),
                st.sampled_from(ODD_VALUES + CELL_TYPES),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return member, edits


def apply_xml_edits(xml: bytes, edits) -> bytes:
    for kind, where, value in edits:
        v = value.encode()
        if kind == "attr":
            found = list(_ATTR.finditer(xml))
            if found:
                m = found[where % len(found)]
                xml = xml[: m.start(2)] + v + xml[m.end(2) :]
        elif kind == "text":
            found = list(_TEXT.finditer(xml))
            if found:
                m = found[where % len(found)]
                xml = xml[: m.start(1)] + v.replace(b"<", b"") + xml[m.end(1) :]
        elif kind == "type":
            found = list(_CELL_TYPE.finditer(xml))
            if found:
                m = found[where % len(found)]
                xml = xml[: m.start()] + m.group(1) + (b' t="' + v + b'"' if v else b"") + m.group(2) + xml[m.end() :]
        else:
            found = list(_CELL.finditer(xml))
            if found:
                m = found[where % len(found)]
                xml = xml[: m.start()] + (m.group() * 2 if kind == "dup-cell" else b"") + xml[m.end() :]
    return xml


def mutate_xml(member_kind: str, edits):
    def mutate(base: Path, path: Path) -> None:
        member = member_kind if "/" in member_kind or member_kind.startswith("[") else sheet_part(base, member_kind)
        with zipfile.ZipFile(base) as z:
            xml = z.read(member)
        rewrite(base, path, replace={member: apply_xml_edits(xml, edits)})

    return mutate


def mutate_bytes(flips: list[tuple[int, int]], cut: int | None):
    def mutate(base: Path, path: Path) -> None:
        data = bytearray(base.read_bytes())
        for at, byte in flips:
            data[at % len(data)] = byte
        if cut is not None:
            data = data[: cut % len(data)]
        path.write_bytes(bytes(data))

    return mutate


BURSAR_VALUES = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.sampled_from(
        ["=1/0", "=A1", "=Familles!ZZ9", "=NA()", "=#REF!", "35 000,50 €", "oui", "N", "x", "-", "@", "+33"]
    ),
    st.datetimes(),
    st.dates(),
)


@st.composite
def bursar_edits(draw):
    """Cells overwritten with any value, as a bursar (or a script) would."""
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(["Paramètres", "Grille 1", "Familles", "Synthèse"]),
                st.integers(1, 40),
                st.integers(1, 30),
                BURSAR_VALUES,
            ),
            min_size=1,
            max_size=8,
        )
    )


def mutate_cells(edits):
    def mutate(base: Path, path: Path) -> None:
        wb = openpyxl.load_workbook(base)
        for sheet, row, col, value in edits:
            with contextlib.suppress(Exception):  # openpyxl refuses control characters...: not our test
                wb[sheet].cell(row, col).value = value
        wb.save(path)

    return mutate


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@pytest.mark.slow
@FUZZ
@given(mutation=xml_mutations())
def test_xml_mutations_get_a_clean_answer(base, mutation):
    assert_clean_answers(mutated_copy(base, mutate_xml(*mutation)))


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(0, 10**7),
)
def test_byte_mutations_and_truncation_get_a_clean_answer(base, flips, cut):
    assert_clean_answers(mutated_copy(base, mutate_bytes(flips, cut)))


@pytest.mark.slow
@settings(max_examples=max(EXAMPLES // 2, 1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=bursar_edits())
def test_cells_typed_anyhow_get_a_clean_answer(base, edits):
    assert_clean_answers(mutated_copy(base, mutate_cells(edits)))


def test_many_random_byte_flips_get_a_clean_answer(base):
    """A plain seeded loop, for volume beyond hypothesis's examples."""
    rng = random.Random(20260101)
    for _ in range(30):
        flips = [(rng.randrange(base.stat().st_size), rng.randrange(256)) for _ in range(rng.randint(1, 4))]
        assert_clean_answers(mutated_copy(base, mutate_bytes(flips, None)))


# ---------------------------------------------------------------------------
# The crashes found, as plain regression tests (strict: fixing one turns its
# test into XPASS, a failure, so its mark is removed with the fix)
# ---------------------------------------------------------------------------


def test_check_reports_a_formula_cell_that_evaluates_to_an_error(base, tmp_path):
    from workbook_engine.workbook.generate import layout_for

    wb = openpyxl.load_workbook(base)
    layout = layout_for(load_sample(), capacity=15)
    wb["Familles"][f"{layout.column['due_g1'].letter}{layout.first_row + 1}"] = "=1/0"  # typed over a formula
    path = tmp_path / "div0.xlsx"
    wb.save(path)
    code, text, _ = run(["check", str(path)])
    assert code == 1, text  # a finding naming the cell, not an internal error
    wb["Familles"][f"{layout.column['due_g1'].letter}{layout.first_row + 1}"] = "gratuit"  # text over a formula
    wb.save(path)
    code, text, _ = run(["check", str(path)])
    assert code == 1, text


def test_a_huge_amount_is_refused_or_computed_not_a_crash(base, tmp_path):
    path = mutated_copy(base, mutate_cells([("Grille 1", 4, 2, 3.4e38)]))  # Grille 1!B4: the old tariff
    for command in ("read", "check"):
        code, text, _ = run([command, str(path)])
        assert code in (0, 1, 2), f"{command}: {text}"
