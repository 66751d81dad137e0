"""The bursar's ordinary edits, made by real LibreOffice (fr-FR), and what the
engine makes of the edited files.

Each case of the catalogue is a list of edits (tests/uno_driver.py) applied
by LibreOffice through UNO to the sample workbook (320 families, 3 grids,
room for 400 families), recalculated, saved as .xlsx and as .ods, then
reopened and recalculated by LibreOffice once more, whose values of
TOTAL_RECETTES, RECETTES_Gn, ID_FAMILLE and DU_FAMILLE are the reference.
For each saved file:

1. ``evaluate --json`` gives LibreOffice's values, to the cent (exact
   equality after rounding both sides half away from zero to 2 decimals);
   every family matched by its id. Where LibreOffice shows an error, the
   engine's JSON must carry the error's Excel code as a string ("#VALUE!"
   where the French LibreOffice shows "#VALEUR !"): that is what ``evaluate
   --json`` writes for an error cell (``results.money`` keeps text as it is
   and the evaluator's errors are their Excel codes).
2. ``read`` exits 0 or 1 and the inputs it reads are those LibreOffice
   computes with: the model run on the read scenario gives LibreOffice's
   dues, revenues and total (for every family whose due LibreOffice computes;
   a family whose due is an error must be named in a warning), plus the
   case's own expectations (e.g. "35 000" pasted as text reads 35000).
3. ``check`` exits 0 or 1 (never 2, unusable, or 3, a bug), prints fewer than
   15 finding lines, and for a structural edit says what was done
   ("insérée", "supprimée", "renommée"; for a moved column we expect
   "déplacée", our choice of word where the issue names none). Its wall
   time is printed (``-s`` shows it; also in the JUnit XML properties).

The locale matters: in formulas LibreOffice converts text to numbers with
the locale's conventions (its default "convert also locale dependent").
Measured with LibreOffice 7.4, text in a cell times 1:

    text          fr-FR      en-US
    "35 000"      35000      #VALUE!   (also with a no-break space)
    "2,5"         2.5        #VALUE!
    "1 020,00 €"  1020       #VALUE!
    "25 %"        0.25       0.25
    "35000.50"    #VALEUR!   35000.5
    "35,000"      35         35000

The bursars' LibreOffice is French, so the reference is fr-FR.

An unedited control, saved by LibreOffice, goes through the same checks.
The harness's own checks (LibreOffice reopens what it saved with the same
values; on the control it agrees with the model) tell a harness problem from
an engine one.

Many of these tests fail until the engine survives these edits: that is the
point (the issue). Do not weaken them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from libreoffice_uno import EditJob, UnoEditError, edit_in_libreoffice, edit_many, is_error

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.formats.scenario_json import load_scenario_json
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.generate import generate_workbook
from workbook_engine.workbook.layout import SHEET_FAMILIES, SHEET_PARAMS, Layout, Ref

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]

CAPACITY = 400
FORMATS = ("xlsx", "ods")
GRIDS = 3
NAMES = ["TOTAL_RECETTES"] + [f"RECETTES_G{g}" for g in range(1, GRIDS + 1)] + ["ID_FAMILLE", "DU_FAMILLE"]
MAX_FINDING_LINES = 15

# ---------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------


def at(ref: Ref) -> dict:
    return {"sheet": ref.sheet, "row": ref.row, "col": ref.col}


def fam(layout: Layout, i: int, key: str) -> dict:
    """The cell of family number i (0-based, sample order) in column key."""
    return {"sheet": SHEET_FAMILIES, "row": layout.first_row + i, "col": layout.column[key].col}


def a1(layout: Layout, i: int, key: str) -> str:
    return Ref(SHEET_FAMILIES, layout.first_row + i, layout.column[key].col).a1


def params_separator_row(layout: Layout) -> int:
    """An empty row between two parameters on Paramètres."""
    rows = sorted(c.ref.row for c in layout.params)
    return next(r for r in range(rows[0], rows[-1]) if r not in rows)


NEW_FAMILY = {
    "id": "F9999",
    "rfr_1": 30000,
    "rfr_2": 0,
    "caf_aid": 0,
    "parts": 2,
    "adults": 2,
    "children": 1,
    "other_dependents": 0,
    "notice": "oui",
    "other_enrolled": 0,
    "pupils_g1": 1,
    "pupils_g2": 0,
    "pupils_g3": 0,
}


def insert_family(layout: Layout) -> list[dict]:
    """Insert a row inside the family table, fill the formulas down from the
    row above (Ctrl+D), type a new family over the copied inputs."""
    row = layout.first_row + 10
    edits = [
        {"op": "insert_rows", "sheet": SHEET_FAMILIES, "row": row},
        {"op": "fill_down", "sheet": SHEET_FAMILIES, "from_row": row - 1, "to_row": row},
    ]
    for key, value in NEW_FAMILY.items():
        op = "set_string" if isinstance(value, str) else "set_value"
        edits.append({"op": op, "sheet": SHEET_FAMILIES, "row": row, "col": layout.column[key].col, "value": value})
    return edits


@dataclass(frozen=True)
class Case:
    id: str
    edits: Callable[[Layout], list[dict]]
    word: str | None = None  # what check must say about a structural edit
    ranges: Callable[[Layout], list[str]] = lambda layout: []  # extra cells to dump (pre-edit addresses)
    # Extra expectations on the read scenario: (layout, scenario read, LibreOffice dump) -> [(what, expected, got)]
    expect_read: Callable[[Layout, object, dict], list[tuple]] | None = None
    notes: str = ""


def _family(scenario, fid: str):
    return next((f for f in scenario.families if f.id == fid), None)


def expect_family_field(fid: str, attr: str, value) -> Callable:
    def check(layout, scenario, lo):
        f = _family(scenario, fid)
        return [(f"{fid}.{attr}", value, None if f is None else getattr(f, attr))]

    return check


def expect_absent(fid: str) -> Callable:
    def check(layout, scenario, lo):
        return [(f"{fid} read", False, _family(scenario, fid) is not None)]

    return check


def expect_new_family(layout, scenario, lo):
    f = _family(scenario, "F9999")
    if f is None:
        return [("F9999 read", True, False)]
    want = {"rfr_1": 30000.0, "parts": 2.0, "adults": 2, "children": 1, "notice": True, "pupils": (1, 0, 0)}
    return [(f"F9999.{k}", v, getattr(f, k)) for k, v in want.items()]


def expect_amount(layout, scenario, lo):
    return [("grid 2 tranche 2 amount", 1020.0, scenario.grids[1].tranches[1].amount)]


def expect_rate(layout, scenario, lo):
    return [("rate_2", 0.25, scenario.sibling_rates[0])]


def expect_notice_as_libreoffice(layout, scenario, lo):
    """LibreOffice's own formulas say whether "non " means no notice: the
    family's "Revenu retenu" is blank exactly when its notice counts as « non »."""
    income = lo["ranges"][f"{SHEET_FAMILIES}!{a1(layout, 3, 'income')}"]
    f = _family(scenario, "F0004")
    return [("F0004.notice as LibreOffice computes with", income is not None, None if f is None else f.notice)]


def expect_indicator_as_libreoffice(layout, scenario, lo):
    """ "RFR " in the indicator cell: LibreOffice's formulas use the RFR when a
    family's indicator equals its income (family F0001 has 2.5 parts)."""
    income = lo["ranges"][f"{SHEET_FAMILIES}!{a1(layout, 0, 'income')}"]
    indicator = lo["ranges"][f"{SHEET_FAMILIES}!{a1(layout, 0, 'indicator')}"]
    return [("indicator as LibreOffice computes with", "rfr" if indicator == income else "qf", scenario.indicator)]


def slot_row(layout: Layout, g: int, i: int) -> int:
    return layout.grids[g].slots[i].lower.ref.row


def caf(layout: Layout) -> int:
    return layout.column["caf_aid"].col


CASES = [
    Case("control", lambda L: []),
    Case(
        "delete_family_row",
        lambda L: [{"op": "delete_rows", "sheet": SHEET_FAMILIES, "row": L.first_row + 5}],
        "supprimée",
        expect_read=expect_absent("F0006"),
        notes="family F0006",
    ),
    Case(
        "delete_empty_family_row",
        lambda L: [{"op": "delete_rows", "sheet": SHEET_FAMILIES, "row": L.first_row + 330}],
        "supprimée",
        notes="an empty formula row below the 320 families",
    ),
    Case(
        "delete_params_separator_row",
        lambda L: [{"op": "delete_rows", "sheet": SHEET_PARAMS, "row": params_separator_row(L)}],
        "supprimée",
    ),
    Case(
        "delete_used_tranche_line",
        lambda L: [{"op": "delete_rows", "sheet": L.grids[0].sheet, "row": slot_row(L, 0, 2)}],
        "supprimée",
        notes="Grille 1, tranche C of A..E",
    ),
    Case(
        "delete_unused_tranche_line",
        lambda L: [{"op": "delete_rows", "sheet": L.grids[0].sheet, "row": slot_row(L, 0, 7)}],
        "supprimée",
        notes="Grille 1, line 8 of 10, blank",
    ),
    Case(
        "insert_column_before_B",
        lambda L: (
            [
                {"op": "insert_columns", "sheet": SHEET_FAMILIES, "col": 1},
                {
                    "op": "set_string",
                    "sheet": SHEET_FAMILIES,
                    "row": L.first_row - 1,
                    "col": 1,
                    "value": "Nom (interne)",
                },
            ]
            + [
                {"op": "set_string", "sheet": SHEET_FAMILIES, "row": L.first_row + i, "col": 1, "value": name}
                for i, name in enumerate(["Dupont", "Martin", "Bernard", "Petit"])
            ]
        ),
        "insérée",
    ),
    Case(
        "delete_caf_column",
        lambda L: [{"op": "delete_columns", "sheet": SHEET_FAMILIES, "col": caf(L)}],
        "supprimée",
        notes="« Aide CAF annuelle »; the sample does not add CAF aid to the income",
    ),
    Case("insert_row_fill_down_new_family", insert_family, "insérée", expect_read=expect_new_family),
    Case(
        "sort_families_by_rfr_desc",
        lambda L: [
            {
                "op": "sort_rows",
                "sheet": SHEET_FAMILIES,
                "first_row": L.first_row,
                "last_row": L.first_row + 319,
                "first_col": 0,
                "last_col": L.columns[-1].col,
                "key_col": L.column["rfr_1"].col,
                "ascending": False,
            }
        ],
    ),
    Case(
        "rename_grid_sheet", lambda L: [{"op": "rename_sheet", "sheet": L.grids[0].sheet, "name": "École"}], "renommée"
    ),
    Case(
        "move_caf_column_after_results",
        lambda L: [{"op": "move_column", "sheet": SHEET_FAMILIES, "col": caf(L), "to": L.columns[-1].col + 1}],
        "déplacée",
    ),
    Case(
        "swap_parts_and_adults",
        lambda L: [
            {"op": "move_column", "sheet": SHEET_FAMILIES, "col": L.column["adults"].col, "to": L.column["parts"].col}
        ],
        "déplacée",
    ),
    Case(
        "text_rfr_35_000",
        lambda L: [{"op": "set_string", **fam(L, 0, "rfr_1"), "value": "35 000"}],
        expect_read=expect_family_field("F0001", "rfr_1", 35000.0),
    ),
    Case(
        "text_parts_2_5",
        lambda L: [{"op": "set_string", **fam(L, 2, "parts"), "value": "2,5"}],
        expect_read=expect_family_field("F0003", "parts", 2.5),
        notes="F0003 had 4 parts: its due changes",
    ),
    Case(
        "text_amount_1_020_00_euro",
        lambda L: [{"op": "set_string", **at(L.grids[1].slots[1].amount.ref), "value": "1 020,00 €"}],
        expect_read=expect_amount,
        notes="Grille 2, tranche B (720 before)",
    ),
    Case(
        "text_rate_25_percent",
        lambda L: [{"op": "set_string", **at(L.param["rate_2"].ref), "value": "25 %"}],
        expect_read=expect_rate,
    ),
    Case(
        "text_rfr_english_35000_50",
        lambda L: [{"op": "set_string", **fam(L, 2, "rfr_1"), "value": "35000.50"}],
        notes="text a French spreadsheet cannot convert: #VALEUR! for F0003 and every sum over it",
    ),
    Case(
        "notice_non_trailing_space",
        lambda L: [{"op": "set_string", **fam(L, 3, "notice"), "value": "non "}],
        ranges=lambda L: [f"{SHEET_FAMILIES}!{a1(L, 3, 'income')}"],
        expect_read=expect_notice_as_libreoffice,
    ),
    Case(
        "indicator_rfr_trailing_space",
        lambda L: [{"op": "set_string", **at(L.param["indicator"].ref), "value": "RFR "}],
        ranges=lambda L: [f"{SHEET_FAMILIES}!{a1(L, 0, k)}" for k in ("income", "indicator")],
        expect_read=expect_indicator_as_libreoffice,
        notes="the sample's indicator is QF",
    ),
]
CASE = {c.id: c for c in CASES}
PARAMS = [pytest.param(c.id, fmt, id=f"{c.id}-{fmt}") for c in CASES for fmt in FORMATS]


# ---------------------------------------------------------------------------
# Fixtures: one sample workbook, one LibreOffice batch, per module
# ---------------------------------------------------------------------------


@dataclass
class Sample:
    path: Path
    layout: Layout
    scenario: object


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Sample:
    scenario = load_sample()
    path = tmp_path_factory.mktemp("bursar") / "sample.xlsx"
    layout = generate_workbook(scenario, path, capacity=CAPACITY)
    assert len(scenario.families) == 320 and scenario.n_grids == GRIDS
    return Sample(path, layout, scenario)


@pytest.fixture(scope="module")
def edited(uno_office, sample, tmp_path_factory) -> dict:
    """Every case made by LibreOffice in one driver call; case id -> pending result."""
    out = tmp_path_factory.mktemp("lo_edits")
    jobs = [
        EditJob(
            sample.path,
            c.edits(sample.layout),
            out,
            stem=c.id,
            formats=FORMATS,
            dump_names=NAMES,
            dump_ranges=c.ranges(sample.layout),
            reload=True,
        )
        for c in CASES
    ]
    start = time.perf_counter()
    pending = edit_many(uno_office, jobs)
    print(f"\nLibreOffice: {len(jobs)} edit jobs in {time.perf_counter() - start:.1f} s")
    return {c.id: p for c, p in zip(CASES, pending)}


def lo_result(edited, case_id):
    return edited[case_id].get()


def reference(edited, case_id: str, fmt: str) -> dict:
    """LibreOffice's values for the saved file: reopened and recalculated."""
    return lo_result(edited, case_id).reloaded[fmt]


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------


def cents(v):
    """A figure as compared: errors as their Excel code, blanks None, text as
    it is, numbers rounded half away from zero to the cent."""
    if is_error(v):
        return v["error"]
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return v
    return float(Decimal(repr(float(v))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def family_id(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def lo_families(names: dict) -> dict[str, object]:
    """id -> DU_FAMILLE, zipping the two named ranges LibreOffice dumped."""
    ids, dues = names["ID_FAMILLE"], names["DU_FAMILLE"]
    assert isinstance(ids, list) and isinstance(dues, list) and len(ids) == len(dues), (ids, dues)
    return {family_id(i): d for i, d in zip(ids, dues) if i is not None}


def lo_figures(names: dict) -> dict[str, object]:
    out = {"total.revenue": names["TOTAL_RECETTES"]}
    out.update({f"grids[{g - 1}].revenue": names[f"RECETTES_G{g}"] for g in range(1, GRIDS + 1)})
    return out


def json_figures(results: dict) -> dict[str, object]:
    out = {"total.revenue": results["total"]["revenue"]}
    out.update({f"grids[{i}].revenue": g["revenue"] for i, g in enumerate(results["grids"])})
    return out


def differences(expected: dict, got: dict, limit: int = 12) -> list[str]:
    keys = list(expected) + [k for k in got if k not in expected]
    diffs = [
        f"{k}: LibreOffice {cents(expected.get(k, 'absent'))!r}, engine {cents(got.get(k, 'absent'))!r}"
        for k in keys
        if k not in expected or k not in got or cents(expected[k]) != cents(got[k])
    ]
    return diffs[:limit] + ([f"... {len(diffs) - limit} more"] if len(diffs) > limit else [])


def brief(text: str, lines: int = 8) -> str:
    """The first lines of a command's output, for an assertion message."""
    all_lines = text.strip().splitlines()
    more = f"\n... ({len(all_lines) - lines} more lines)" if len(all_lines) > lines else ""
    return "\n".join(line[:300] for line in all_lines[:lines]) + more


def run_cli(capsys, *argv: str) -> tuple[int, str, str, float]:
    capsys.readouterr()
    start = time.perf_counter()
    code = main(list(argv))
    seconds = time.perf_counter() - start
    out, err = capsys.readouterr()
    return code, out, err, seconds


# ---------------------------------------------------------------------------
# The harness itself
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_libreoffice_made_the_edit(edited, case_id):
    """The job ran, both files exist, LibreOffice reopens each with the values
    it had before saving (so the reference is what the file computes)."""
    r = lo_result(edited, case_id)
    for fmt in FORMATS:
        assert r.path(fmt).stat().st_size > 0
        again = r.reloaded[fmt]
        assert again["names"] == r.names, f"{fmt}: reopened values differ from the values saved"
        assert again["ranges"] == r.ranges
    ids = [i for i in r.names["ID_FAMILLE"] if i is not None]
    assert len(ids) == len(set(ids)) >= 319


def test_libreoffice_agrees_with_the_model_on_the_control(edited, sample):
    """The dump is right: on the unedited file LibreOffice gives the model's figures."""
    model = simulate(sample.scenario).to_json()
    for fmt in FORMATS:
        lo = reference(edited, "control", fmt)["names"]
        assert differences(lo_figures(lo), json_figures(model)) == [], fmt
        assert differences(lo_families(lo), {f["id"]: f["total_due"] for f in model["families"]}) == [], fmt


def test_the_edits_did_what_they_say(edited, sample):
    """Spot checks that LibreOffice made each edit as meant."""
    control = lo_result(edited, "control").names

    def n(case: str) -> dict:
        return lo_result(edited, case).names

    def ids(case: str) -> list:
        return [i for i in n(case)["ID_FAMILLE"] if i is not None]

    assert len(ids("control")) == 320
    assert "F0006" not in ids("delete_family_row") and len(ids("delete_family_row")) == 319
    assert len(n("delete_empty_family_row")["ID_FAMILLE"]) == CAPACITY - 1
    assert "F9999" in ids("insert_row_fill_down_new_family")
    assert len(n("insert_row_fill_down_new_family")["ID_FAMILLE"]) == CAPACITY + 1
    assert not is_error(lo_families(n("insert_row_fill_down_new_family"))["F9999"])
    assert lo_families(n("insert_row_fill_down_new_family"))["F9999"] is not None
    assert sorted(ids("sort_families_by_rfr_desc")) == sorted(ids("control")) != ids("sort_families_by_rfr_desc")
    assert lo_families(n("sort_families_by_rfr_desc")) == lo_families(control)
    assert "École" in lo_result(edited, "rename_grid_sheet").sheets
    assert lo_result(edited, "rename_grid_sheet").name_refs["RECETTES_G1"] == "$École.$B$20"
    for same in (
        "delete_empty_family_row",
        "delete_params_separator_row",
        "delete_unused_tranche_line",
        "insert_column_before_B",
        "delete_caf_column",
        "rename_grid_sheet",
        "move_caf_column_after_results",
        "swap_parts_and_adults",
    ):
        assert lo_figures(n(same)) == lo_figures(control), same
    for changed in (
        "delete_used_tranche_line",
        "text_rfr_35_000",
        "text_parts_2_5",
        "text_amount_1_020_00_euro",
        "text_rate_25_percent",
    ):
        assert lo_figures(n(changed)) != lo_figures(control), changed
    english = n("text_rfr_english_35000_50")
    assert is_error(english["TOTAL_RECETTES"]) and english["TOTAL_RECETTES"]["error"] == "#VALUE!"
    assert is_error(lo_families(english)["F0003"])


def test_office_is_french(uno_office):
    """The session's LibreOffice reads and shows numbers the French way."""
    probe = uno_office.locale_probe
    assert probe["half"] == "0,5"
    assert probe["text_2_5_times_2"] == 5.0
    assert probe["english_decimal_times_2"]["error"] == "#VALUE!"


def test_driver_reports_uno_errors(uno_office, sample, tmp_path):
    with pytest.raises(UnoEditError, match=r"edit 0 .*unknown op 'explode'"):
        edit_in_libreoffice(uno_office, sample.path, [{"op": "explode"}], tmp_path)
    with pytest.raises(UnoEditError, match=r"no sheet named 'Grille 9'"):
        edit_in_libreoffice(uno_office, sample.path, [{"op": "delete_rows", "sheet": "Grille 9", "row": 1}], tmp_path)
    with pytest.raises(UnoEditError, match=r"edit 1 .*IndexOutOfBoundsException|edit 1 .*RuntimeException"):
        edit_in_libreoffice(
            uno_office,
            sample.path,
            [
                {"op": "set_value", "sheet": 0, "cell": "A1", "value": 1},
                {"op": "delete_rows", "sheet": 0, "row": 2_000_000},
            ],
            tmp_path,
        )


# ---------------------------------------------------------------------------
# The engine on each edited file
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case_id,fmt", PARAMS)
def test_evaluate_gives_libreoffice_values(edited, case_id, fmt, capsys):
    path = lo_result(edited, case_id).path(fmt)
    lo = reference(edited, case_id, fmt)["names"]
    code, out, err, _ = run_cli(capsys, "evaluate", str(path), "--json")
    assert code == 0, f"evaluate exited {code}: {brief(err)}"
    results = json.loads(out)
    diffs = differences(lo_figures(lo), json_figures(results))
    assert not diffs, "evaluate --json differs from LibreOffice:\n" + "\n".join(diffs)
    engine = {}
    for f in results["families"]:
        assert f["id"] not in engine, f"family {f['id']} twice in the results"
        engine[f["id"]] = f["total_due"]
    diffs = differences(lo_families(lo), engine)
    assert not diffs, "families' total due (DU_FAMILLE) differ from LibreOffice:\n" + "\n".join(diffs)


@pytest.mark.parametrize("case_id,fmt", PARAMS)
def test_read_gives_the_inputs_libreoffice_computes_with(edited, sample, case_id, fmt, capsys, tmp_path):
    case = CASE[case_id]
    path = lo_result(edited, case_id).path(fmt)
    ref = reference(edited, case_id, fmt)
    lo = ref["names"]
    out_json = tmp_path / "scenario.json"
    code, _out, err, _ = run_cli(capsys, "read", str(path), "-o", str(out_json))
    lo_fams = lo_families(lo)
    uncomputable = [fid for fid, due in lo_fams.items() if is_error(due)]
    if uncomputable:
        # LibreOffice itself computes no due for these families (an input it
        # cannot read): no scenario can say what the workbook says, so read
        # refuses (exit 2), naming each family and its cell, and writes nothing.
        assert code == 2, f"read exited {code}: {brief(err)}"
        assert all(fid in err for fid in uncomputable) and "Familles!" in err, brief(err)
        assert not out_json.exists()
        return
    assert code in (0, 1), f"read exited {code}: {brief(err)}"
    scenario = load_scenario_json(out_json)  # what read wrote is a valid scenario
    model = simulate(scenario).to_json()

    read_ids = [f.id for f in scenario.families]
    assert sorted(read_ids) == sorted(lo_fams), (
        f"the families read are not LibreOffice's: read only {sorted(set(read_ids) - set(lo_fams))[:10]}, "
        f"LibreOffice only {sorted(set(lo_fams) - set(read_ids))[:10]}, {len(read_ids)} read ids"
    )
    computed = {fid: due for fid, due in lo_fams.items() if not is_error(due)}
    diffs = differences(computed, {f["id"]: f["total_due"] for f in model["families"] if f["id"] in computed})
    assert not diffs, "the model on the inputs read gives other dues than LibreOffice:\n" + "\n".join(diffs)
    figures = {k: v for k, v in lo_figures(lo).items() if not is_error(v)}
    diffs = differences(figures, {k: v for k, v in json_figures(model).items() if k in figures})
    assert not diffs, "the model on the inputs read gives other revenues than LibreOffice:\n" + "\n".join(diffs)
    if case.expect_read:
        wrong = [(what, want, got) for what, want, got in case.expect_read(sample.layout, scenario, ref) if want != got]
        assert not wrong, "inputs read (what, expected, read): " + repr(wrong)


@pytest.mark.parametrize("case_id,fmt", PARAMS)
def test_check_reports_the_edit_calmly(edited, case_id, fmt, capsys, record_property):
    case = CASE[case_id]
    path = lo_result(edited, case_id).path(fmt)
    code, out, err, seconds = run_cli(capsys, "check", str(path))
    record_property("check_seconds", round(seconds, 3))
    with capsys.disabled():
        print(f"\n  check {case_id}.{fmt}: {seconds:.2f} s, exit {code}", end="")
    text = out + err
    assert code in (0, 1), f"check exited {code}: {brief(text)}"
    assert "refus" not in text.lower(), brief(text)
    findings = [line for line in out.splitlines() if line.startswith("    - ")]
    assert len(findings) < MAX_FINDING_LINES, f"{len(findings)} finding lines:\n" + "\n".join(findings[:40])
    if case.word:
        assert any(case.word in line for line in text.splitlines()), (
            f"check does not say the edit (« {case.word} »):\n{brief(text, 12)}"
        )
