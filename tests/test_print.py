"""The printed workbook, as LibreOffice (fr-FR) prints it to PDF, read back
with poppler's ``pdftotext -bbox-layout``: no two words overlap on any page,
every header and label is printed whole, the Barème is one A4 portrait page
holding the school's rules, Familles prints no page without a family.

Rendering is slow: the workbooks are generated and printed once for the
module (one LibreOffice run for all of them)."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cached_cells import cached_values
from libreoffice_recalc import recalculate

from workbook_engine.formats.sample import load_sample
from workbook_engine.model.domain import CustomParts, Family, Grid, Scenario
from workbook_engine.model.restructure import select_grids
from workbook_engine.model.simulate import simulate
from workbook_engine.workbook.cached import number_text
from workbook_engine.workbook.generate import blank_scenario, generate_workbook, layout_for
from workbook_engine.workbook.layout import (
    EXAMPLE_RFR,
    SCALE_TEXT,
    SHEET_FAMILIES,
    SHEET_HELP,
    SHEET_PARAMS,
    SHEET_SCALE,
    SHEET_SUMMARY,
    SUMMARY_HEADERS,
    Layout,
)
from workbook_engine.workbook.writer import HELP_LINES, HIDDEN_COLUMNS, TOTAL_NOTE, family_header

A4 = (595.3, 841.9)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word]
    lines: list[str]
    sheet: str = ""

    @property
    def text(self) -> str:
        return _norm(" ".join(self.lines))


def read_pdf(path: Path) -> list[Page]:
    """Pages, words and lines as pdftotext lays them out; each page's sheet
    from its footer ("Familles ... Page 3 / 12"); the Barème has none."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml)
    root = ET.fromstring(xml)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    pages = []
    for i, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        words, lines = [], []
        for line in page.iterfind(".//h:line", ns):
            ws = [
                Word(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                for w in line.iterfind("h:word", ns)
            ]
            words += ws
            lines.append(" ".join(w.text for w in ws))
        p = Page(i, float(page.get("width")), float(page.get("height")), words, lines)
        marker = next((w for w in reversed(words) if w.text == "Page" and w.y0 > p.height - 60), None)
        if marker is not None:  # the footer: the sheet's name on the left, on the line of "Page n / N"
            footer = [w for w in words if abs(w.y1 - marker.y1) < 1 and w.x1 < p.width / 2]
            p.sheet = _norm(" ".join(w.text for w in sorted(footer, key=lambda w: w.x0)))
        elif SCALE_TEXT["title"] in p.text:
            p.sheet = SHEET_SCALE
        pages.append(p)
    return pages


def seven_grids(sample: Scenario) -> Scenario:
    """The sample's three grids and four more (copies, renamed): a filled
    workbook of seven grids."""
    names = ("École", "Collège", "Lycée", "Lycée pro", "BTS", "Internat", "Cantine")
    grids = tuple(replace(sample.grids[i % 3], name=names[i]) for i in range(7))
    families = tuple(replace(f, pupils=f.pupils + f.pupils[:3] + f.pupils[:1]) for f in sample.families)
    return replace(sample, grids=grids, families=families)


CASES = ("blank1", "blank3", "blank7", "filled1", "filled3", "filled7")


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Scenario]:
    sample = load_sample()
    out = {f"blank{n}": blank_scenario(n) for n in (1, 3, 7)}
    out["filled1"] = select_grids(sample, [1])[0]
    out["filled3"] = sample
    out["filled7"] = seven_grids(sample)
    return out


@pytest.fixture(scope="module")
def printed(libreoffice, tmp_path_factory, scenarios) -> dict[str, list[Page]]:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is required: apt-get install -y poppler-utils")
    src = tmp_path_factory.mktemp("print_src")
    paths = []
    for name in CASES:
        paths.append(src / f"{name}.xlsx")
        generate_workbook(scenarios[name], paths[-1])
    pdfs = recalculate(paths, tmp_path_factory.mktemp("print_pdf"), fmt="pdf", locale="fr-FR")
    return {name: read_pdf(pdf) for name, pdf in zip(CASES, pdfs)}


def page_rows(page: Page) -> list[str]:
    """The page's text row by row (words on one baseline, left to right),
    whatever blocks pdftotext made of the columns."""
    rows: list[list[Word]] = []
    for w in sorted(page.words, key=lambda w: w.y1):
        if rows and abs(rows[-1][-1].y1 - w.y1) < 2:
            rows[-1].append(w)
        else:
            rows.append([w])
    return [_norm(" ".join(w.text for w in sorted(r, key=lambda w: w.x0))) for r in rows]


def sheet_pages(pages: list[Page], sheet: str) -> list[Page]:
    return [p for p in pages if p.sheet == sheet]


@pytest.mark.parametrize("case", CASES)
def test_every_page_belongs_to_a_sheet_and_no_two_words_overlap(printed, case):
    """Words printed over other words (a row too short for its wrapped
    text, a header over its values, a label running into a figure) show as
    word boxes that intersect."""
    for page in printed[case]:
        assert page.sheet, f"{case} page {page.number}: no sheet name in the footer: {page.lines[:3]}"
        words = sorted(page.words, key=lambda w: w.y0)
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if b.y0 >= a.y1:
                    break
                dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                if dx > 0.5 and dy > 0.4 * min(a.y1 - a.y0, b.y1 - b.y0):
                    pytest.fail(f"{case} page {page.number} ({page.sheet}): « {a.text} » overlaps « {b.text} »")


def _missing(expected: list[str], pages: list[Page]) -> list[str]:
    """Expected texts of which a word is not printed on these pages (a word
    cut by a narrow column, or a text stopped by its row)."""
    words = {w.text for p in pages for w in p.words}
    return [t for t in expected if not all(w in words for w in _norm(t).split(" "))]


@pytest.mark.parametrize("case", CASES)
def test_every_header_and_label_is_printed_whole(printed, scenarios, case):
    pages, s = printed[case], scenarios[case]
    layout = layout_for(s)
    names = {g: grid.name for g, grid in enumerate(s.grids, start=1)}
    expected = {
        SHEET_HELP: [t for _style, t in HELP_LINES if t],
        SHEET_PARAMS: [c.label for c in layout.params] + [c.help for c in layout.params if c.help],
        SHEET_FAMILIES: [family_header(c, names) for c in layout.columns if not c.key.startswith(HIDDEN_COLUMNS)],
        SHEET_SUMMARY: list(SUMMARY_HEADERS.values())
        + [c.label for c in layout.summary if c.key.startswith("total.families_")]
        + [TOTAL_NOTE],
        SHEET_SCALE: [t.text for t in layout.scale_texts],
    }
    for gl in layout.grids:
        slot = gl.slots[0]
        expected[gl.sheet] = [gl.name.label, gl.old_tariff.label, gl.budget_target.label, gl.name.help] + [
            getattr(slot, a).label for a in ("label", "lower", "upper", "amount", "families", "pupils", "revenue")
        ]
        expected[gl.sheet] += [c.label for c in gl.summary]
    for sheet, texts in expected.items():
        pages_of = sheet_pages(pages, sheet)
        assert pages_of, f"{case}: sheet {sheet} not printed"
        assert not _missing(texts, pages_of), (sheet, _missing(texts, pages_of))


def _money(x: float) -> str:
    return f"{x:,.2f} €".replace(",", " ").replace(".", ",")


@pytest.mark.parametrize("case", CASES)
def test_the_barème_is_one_a4_portrait_page_of_the_rules(printed, scenarios, case):
    s = scenarios[case]
    (page,) = sheet_pages(printed[case], SHEET_SCALE)
    assert (round(page.width), round(page.height)) == (round(A4[0]), round(A4[1]))
    text = page.text
    if s.structure:
        assert _norm(s.structure) in text and f"Année scolaire {s.year}" in text
    for t in ("Calcul de la contribution", "Réductions pour les frères et sœurs", "Exemple"):
        assert t in text
    assert "mode d'emploi" not in text.lower() and "cellule" not in text.lower() and "colonne" not in text.lower()
    for i, rate in enumerate(s.sibling_rates):
        label = ("2e enfant", "3e enfant", "4e enfant et suivants")[i]
        # (a narrow column may wrap the label: its first line carries the rate)
        rate_text = f"{rate * 100:.1f} %".replace(".", ",")
        assert any(r.startswith(label[:9]) and r.endswith(rate_text) for r in page_rows(page)), label
    for grid in s.grids:
        for i, t in enumerate(grid.tranches):
            words = (
                f"{number_text(t.lower)} € et plus"
                if i == len(grid.tranches) - 1
                else f"de {number_text(t.lower)} € à moins de {number_text(grid.tranches[i + 1].lower)} €"
            )
            assert _norm(words) in text, words
            assert _money(t.amount) in text
    if s.grids[0].tranches:
        assert any(r.startswith("Quotient") and r.endswith("8 750,00 €") for r in page_rows(page))
        family = Family("EX", (1,) * s.n_grids, rfr_1=EXAMPLE_RFR, parts=4, adults=2, children=3)
        model = simulate(replace(s, families=(family,))).to_json()["families"][0]
        printed_rows = page_rows(page)
        for g, grid in enumerate(s.grids):
            label = model["tranches"][g]
            amount = next(t.amount for t in grid.tranches if t.label == label)
            assert f"{grid.name} {label} {_money(amount)}" in printed_rows, (grid.name, label, printed_rows[-8:])
    # Unused tranche lines print nothing: one bracket in words per tranche in use.
    used = sum(len(g.tranches) for g in s.grids)
    assert text.count(" à moins de ") + text.count(" € et plus") == used


@pytest.mark.parametrize("case", CASES)
def test_familles_prints_no_page_without_a_family(printed, scenarios, case):
    s = scenarios[case]
    pages = sheet_pages(printed[case], SHEET_FAMILIES)
    assert pages
    ids = {f.id for f in s.families}
    for page in pages:
        assert "Identifiant" in page.text, f"page {page.number}: the header rows are not repeated"
        if ids:
            assert ids & {w.text for w in page.words}, f"{case} page {page.number}: no family on it"
    if ids:
        printed_ids = {w.text for p in pages for w in p.words} & ids
        assert printed_ids == ids  # down to the last family, and no further
    else:
        # A blank workbook prints one page of empty lines per band of columns.
        bands = [page.text for page in pages]
        assert len(set(bands)) == len(bands), "a band of columns printed twice"


def test_page_counts(printed, capsys):
    """Reported for the record (issue 14 asks for the counts before and after)."""
    for case, pages in printed.items():
        counts: dict[str, int] = {}
        for p in pages:
            counts[p.sheet] = counts.get(p.sheet, 0) + 1
        print(case, len(pages), counts)
        assert counts[SHEET_SCALE] == 1 and counts[SHEET_HELP] == 1 and counts[SHEET_SUMMARY] == 1


# -- LibreOffice computes the Barème as the writer cached it --------------------


def test_libreoffice_computes_the_barème_as_cached(libreoffice, tmp_path):
    """Every Barème cell recalculated by LibreOffice (fr-FR) equals the value
    the writer cached, under every indicator and parts rule."""
    sample = load_sample()
    variants = [
        sample,
        replace(sample, indicator="rfr", include_caf_aid=True, sibling_scope="network"),
        replace(sample, parts_policy="custom", custom_parts=CustomParts(1, 0.5, 0.25, 1.5, 0.5, 0.75)),
        replace(sample, grids=(Grid("", ()),) * 2, families=()),
    ]
    paths = []
    for i, s in enumerate(variants):
        paths.append(tmp_path / f"v{i}.xlsx")
        generate_workbook(s, paths[-1], capacity=max(len(s.families), 1))
    out = recalculate(paths, tmp_path / "lo", locale="fr-FR")
    for s, src, lo in zip(variants, paths, out):
        layout: Layout = layout_for(s, capacity=max(len(s.families), 1))
        want, got = cached_values(src), cached_values(lo)
        for c in layout.scale:
            w, g = want(c.ref), got(c.ref)
            assert (g if g is not None else "") == (w if w is not None else ""), (src.name, c.key, g, w)
