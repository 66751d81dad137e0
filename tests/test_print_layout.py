"""The printable layout without LibreOffice: layout versions side by side,
the Barème's cells, the text measures behind row heights.

(The printed pages themselves, rendered by LibreOffice: ``test_print.py``.)"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from workbook_engine.formats.sample import load_sample
from workbook_engine.model.domain import CustomParts, Tranche
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook import textfit
from workbook_engine.workbook.cached import number_text
from workbook_engine.workbook.check import check_workbook
from workbook_engine.workbook.file import open_workbook_file
from workbook_engine.workbook.generate import generate_workbook, layout_for
from workbook_engine.workbook.layout import LAYOUT_VERSION, build_layout
from workbook_engine.workbook.writer import write_workbook


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.mark.parametrize("version", [1, 2])
def test_a_workbook_of_an_earlier_layout_version_checks_clean(tmp_path, sample, version):
    """Workbooks bursars already have keep being read and checked against
    their own formulas: written as that version wrote them, they check clean."""
    layout = build_layout(sample.n_grids, version=version)
    path = tmp_path / f"v{version}.xlsx"
    write_workbook(path, layout, sample, simulate(sample))
    report = check_workbook(path)
    assert report.version == str(version)
    assert report.exit_code == 0, report.format()
    assert not report.findings, report.format()


def test_the_current_version_checks_clean_and_says_so(tmp_path, sample):
    path = tmp_path / "v3.xlsx"
    generate_workbook(sample, path)
    report = check_workbook(path)
    assert report.version == str(LAYOUT_VERSION) == "3"
    assert report.exit_code == 0 and not report.findings, report.format()


def test_version_3_changes_the_barème_only_among_these_cells():
    """The grid sheets, Paramètres and Synthèse are the same cells with the
    same formulas in versions 2 and 3; the Barème is new (and keeps its
    names of version 2); version 3 adds last year's brackets and the
    comparison with them (keys "previous"), and nothing else."""
    v2, v3 = build_layout(3, version=2), build_layout(3, version=3)

    def cells(layout, prefix):
        # Family columns by key, not letter: version 3 inserts each grid's
        # comparison columns after its own, so later grids' letters moved.
        key = {c.letter: c.key for c in layout.columns}

        def by_key(formula):
            if formula is None:
                return None
            return re.sub(
                r"Familles!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)",
                lambda m: f"Familles[{key[m[1]]}]{m[2]}:[{key[m[3]]}]{m[4]}",
                formula,
            )

        at = {c.col: c.key for c in layout.columns}

        def where(ref):
            return (ref.sheet, ref.row, at[ref.col]) if ref.sheet == "Familles" else ref

        return {
            c.key: (where(c.ref), by_key(c.formula), c.name)
            for c in layout.scalar_cells()
            if not c.key.startswith(prefix) and "previous" not in c.key
        }

    assert cells(v2, "scale.") == cells(v3, "scale.")
    assert not any("previous" in c.key for c in v2.scalar_cells())
    names2 = {n for n in v2.blocks if n.startswith("BAREME")}
    assert names2 < {n for n in v3.blocks if n.startswith("BAREME")}
    assert {"BAREME_STRUCTURE", "BAREME_ANNEE", "BAREME_REDUCTION_2", "BAREME_EXEMPLE_INDICATEUR"} <= set(v3.blocks)
    assert v2.stamp.startswith("workbook_engine/2/") and v3.stamp.startswith("workbook_engine/3/")


def _variant(sample, **changes):
    grids = list(sample.grids)
    # A bound with cents and one above a million: the French text of every case.
    t = list(grids[0].tranches)
    t[1] = Tranche(t[1].label, 6000.5, t[1].amount)
    t.append(Tranche("F", 1_250_000, 2000))
    grids[0] = replace(grids[0], tranches=tuple(t))
    return replace(sample, grids=tuple(grids), **changes)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"indicator": "rfr", "include_caf_aid": True, "sibling_scope": "network"},
        {"parts_policy": "custom", "custom_parts": CustomParts(1, 0.5, 0.25, 1.5, 0.5, 0.75)},
    ],
)
def test_the_barème_formulas_compute_what_the_writer_caches(tmp_path, sample, changes):
    """The engine's own evaluator computes every Barème formula of the file
    (the French number texts included) to the value the writer cached."""
    scenario = _variant(sample, **changes)
    path = tmp_path / "b.xlsx"
    generate_workbook(scenario, path, capacity=len(scenario.families))
    layout = layout_for(scenario, capacity=len(scenario.families))
    ev = open_workbook_file(path).evaluation()
    from cached_cells import cached_values

    cached = cached_values(path)
    for c in layout.scale:
        got, want = ev(c.ref), cached(c.ref)
        assert (got if got not in (None,) else "") == (want if want is not None else ""), c.key
    texts = [str(cached(c.ref)) for c in layout.scale if c.key.endswith(".range")]
    assert "de 6\u00a0000,50 € à moins de 9\u00a0000 €" in texts
    assert "1\u00a0250\u00a0000 € et plus" in texts


def test_number_text_writes_french_numbers():
    assert [number_text(x) for x in (0, 6000, 6000.5, 18000.05, 1_250_000, 999)] == [
        "0",
        "6\u00a0000",
        "6\u00a0000,50",
        "18\u00a0000,05",
        "1\u00a0250\u00a0000",
        "999",
    ]
    assert [number_text(x, trim=True) for x in (0.5, 1, 0.25, 1.5)] == ["0,5", "1", "0,25", "1,5"]


def test_text_measures_wrap_and_grow():
    """More text takes more lines; a wider column fewer; bold is wider."""
    text = "Enfants dans d'autres établissements catholiques"
    assert textfit.lines(text, 60) == 1
    assert textfit.lines(text, 12) >= 3 > textfit.lines(text, 25)
    assert textfit.text_points("Barème", bold=True) > textfit.text_points("Barème")
    assert textfit.lines(text, textfit.width_for(text)) == 1
    assert textfit.row_height(3) > textfit.row_height(2) > textfit.row_height(1)


def test_check_messages_show_figures_as_the_workbook_does():
    """Ratios as percentages, amplitudes as 2,25, money in euros; more
    decimals only when two different figures would read alike."""
    from workbook_engine.workbook.check import Finding

    line = str(Finding("numbers", "error", "Synthèse!H6", "évolution", -0.018895, -0.02, "ratio"))
    assert "attendu -1,89 %, trouvé -2,00 %" in line
    line = str(Finding("numbers", "error", "Familles!AH4", "taux d'effort", 0.0123456, 0.0123458, "ratio"))
    assert "attendu 1,234560 %, trouvé 1,234580 %" in line
    line = str(Finding("numbers", "error", "'Grille 1'!B25", "amplitude", 2.25, 2.3, "factor"))
    assert "attendu 2,25, trouvé 2,30" in line
    line = str(Finding("numbers", "error", "Familles!Z4", "dû", 1234.56, 1234.5, "eur"))
    assert "attendu 1\u202f234,56 €, trouvé 1\u202f234,50 €" in line


def test_a_number_typed_as_text_is_reported_as_the_cell_shows_it(tmp_path, sample):
    """ "25 %" typed as text in a rate cell reads 25,0 % in the message, not
    0,25; an amount reads in euros."""
    import openpyxl

    from workbook_engine.workbook.reader import read_workbook

    path = tmp_path / "t.xlsx"
    layout = generate_workbook(sample, path)
    wb = openpyxl.load_workbook(path)
    rate, amount = layout.param["rate_2"], layout.grids[0].slots[0].amount
    wb[rate.ref.sheet][rate.ref.a1] = "25 %"
    wb[amount.ref.sheet][amount.ref.a1] = "1 020,00 €"
    wb.save(path)
    messages = [str(p) for p in read_workbook(path).problems]
    assert any(rate.ref.a1 in m and "lu comme le tableur le lit : 25,0 %" in m for m in messages), messages
    assert any(amount.ref.a1 in m and "1\u202f020,00 €" in m for m in messages), messages
