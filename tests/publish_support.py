"""Helpers of the publish tests: small scenarios that exercise every rule a
notice or the article states, poppler to read the PDFs back, and French
amounts parsed back to numbers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from workbook_engine.model.domain import CustomParts, Family, Grid, Scenario, Tranche
from workbook_engine.model.money import excel_round

GRIDS = (
    Grid(
        "École",
        (Tranche("A", 0, 400), Tranche("B", 6000, 560), Tranche("C", 9000, 690), Tranche("D", 15000, 862.5)),
        600.0,
        20000.0,
    ),
    Grid("Collège", (Tranche("A", 0, 500), Tranche("B", 8000, 740.5), Tranche("C", 14000, 1010)), 800.0, None),
    Grid("Lycée", (Tranche("A", 0, 650), Tranche("B", 7000, 980), Tranche("C", 12000, 1234.56)), None, 15000.0),
)


def small_scenario() -> Scenario:
    """20 families: siblings across grids (up to 5 children), a few without
    a tax notice, separate filers, CAF aid, one-parent families; ids of
    different lengths so one is never a prefix of another's token."""
    families = []
    for i in range(1, 21):
        children = 1 + (i * 7) % 5
        adults = 1 if i % 6 == 0 else 2
        pupils = [0, 0, 0]
        for c in range(children):
            pupils[(i + c) % 3] += 1
        rfr = 9000.0 + (i * 4373) % 61000 + (0.5 if i % 4 == 0 else 0.0)
        parts = adults + 0.5 * min(children, 2) + max(children - 2, 0) + (0.5 if adults == 1 else 0)
        families.append(
            Family(
                id=f"FAM-{i:02d}",
                pupils=tuple(pupils),
                rfr_1=rfr,
                rfr_2=3100.0 if i % 5 == 0 else 0.0,
                caf_aid=1200.0 if i % 3 == 0 else 0.0,
                parts=parts,
                adults=adults,
                children=children,
                other_dependents=1 if i == 7 else 0,
                notice=i % 7 != 3,
                other_enrolled=1 if i % 4 == 1 else 0,
            )
        )
    return Scenario(
        grids=GRIDS,
        families=tuple(families),
        structure="OGEC Sainte-Anne (test)",
        year="2027-2028",
        sibling_rates=(0.1, 0.25, 0.5),
    )


def rfr_scenario() -> Scenario:
    """The RFR itself as indicator (bounds in RFR), CAF aid counted, the
    network sibling scope."""
    s = small_scenario()
    grids = tuple(replace(g, tranches=tuple(replace(t, lower=t.lower * 3) for t in g.tranches)) for g in s.grids)
    return replace(s, grids=grids, indicator="rfr", include_caf_aid=True, sibling_scope="network")


def custom_parts_scenario() -> Scenario:
    """The school's own parts (not the defaults), one grid, no sibling reduction."""
    s = small_scenario()
    fams = tuple(replace(f, pupils=(sum(f.pupils),), parts=None) for f in s.families)
    return replace(
        s,
        grids=(s.grids[0],),
        families=fams,
        parts_policy="custom",
        custom_parts=CustomParts(
            adult=1, child_1=0.5, child_2=0.75, child_3_plus=1, single_parent_bonus=1, other_dependent=0.5
        ),
        sibling_rates=(0.0, 0.0, 0.0),
    )


SCENARIOS = {"qf_fiscal": small_scenario, "rfr_caf_network": rfr_scenario, "custom_parts": custom_parts_scenario}


def require_poppler() -> None:
    """Skip without poppler-utils, with the reason; fail in CI, where .ci/run installs it."""
    missing = [p for p in ("pdftotext", "pdftoppm") if shutil.which(p) is None]
    if missing:
        why = f"poppler-utils ({', '.join(missing)}) is not installed: apt-get install -y poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(why + " (required in CI)")
        pytest.skip(why)


def pdf_pages(path: Path) -> list[str]:
    """The text of each page, laid out (pdftotext -layout)."""
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    pages = done.stdout.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


# "1 234,50 €" with any kind of space (pdftotext gives the no-break spaces
# as spaces or as themselves); a leading minus kept.
AMOUNT = re.compile(r"(-?\d{1,3}(?:[ \u00a0\u202f]\d{3})*(?:,\d{1,2})?)[ \u00a0\u202f]?€")


def amounts(text: str) -> list[float]:
    return [float(re.sub(r"[ \u00a0\u202f]", "", m).replace(",", ".")) for m in AMOUNT.findall(text)]


def squash(text: str) -> str:
    """Every run of spaces (no-break ones too) as one space."""
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


def money_text(x: float) -> str:
    """How a test expects an amount to the cent, spaces squashed."""
    whole, cents = f"{x:.2f}".split(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return f"{sign}{' '.join(groups)},{cents} €"


def flat(text: str) -> str:
    """Every run of white space (no-break spaces, line ends) as one space."""
    return re.sub(r"\s+", " ", text).strip()


def short_text(x: float) -> str:
    """An amount as the article prints it: no ",00" for whole euros."""
    return money_text(x).replace(",00 €", " €")


def ordinal(n: int) -> str:
    return "1er" if n == 1 else f"{n}e"


def rate_text(r: float) -> str:
    x = excel_round(r * 100, 2)
    return (f"{int(x)}" if x == int(x) else f"{x}".replace(".", ",")) + " %"


def expected_children(scenario: Scenario, row, g: int) -> list[tuple[int, float, float]]:
    """(rank, rate, amount after reduction) of the grid's children, from the model's ranking."""
    r2, r3, r4 = scenario.sibling_rates
    amount = float(row[f"amount_g{g}"])
    before, pupils = int(row[f"ranked_before_g{g}"]), int(row[f"pupils_g{g}"])
    out = []
    for rank in range(before + 1, before + pupils + 1):
        r = 0.0 if rank == 1 else r2 if rank == 2 else r3 if rank == 3 else r4
        out.append((rank, r, excel_round(amount * (1 - r), 2)))
    return out


def check_notice(scenario: Scenario, row, page: str) -> None:
    """One notice's page against the model's row for its family: every
    figure where it belongs, and no amount that is not one of the family's."""
    old_tariffs = {g.old_tariff for g in scenario.grids if g.old_tariff is not None}
    fid = row["id"]
    text = flat(page)
    assert f"Référence de la famille : {fid}" in text
    allowed = set(old_tariffs)
    if row["notice"]:
        income, indicator = excel_round(row["income"], 2), excel_round(row["indicator"], 2)
        assert f"retenu : {money_text(income)}" in text, fid
        label = "Quotient familial retenu" if scenario.indicator == "qf" else "Indicateur retenu (revenu)"
        assert f"{label} : {money_text(indicator)}" in text, fid
        effort = f"{excel_round(row['effort'] * 100, 1):.1f}".replace(".", ",") + " %"
        assert f"représente {effort} de votre revenu" in text, fid
        allowed |= {income, indicator}
    else:
        assert "avis non fourni" in text and "Taux d'effort" not in text, fid
    total_pupils = 0
    shows_children = sum(int(row[f"pupils_g{g}"]) for g in range(1, scenario.n_grids + 1)) > 1 or any(
        r for g in range(1, scenario.n_grids + 1) for _, r, _ in expected_children(scenario, row, g)
    )
    assert ("Réductions pour frères et sœurs" in text) == shows_children, fid
    for g, grid in enumerate(scenario.grids, start=1):
        pupils = int(row[f"pupils_g{g}"])
        if pupils == 0:
            assert f"{grid.name} {row[f'tranche_g{g}']} " not in text.split("Réductions")[0].split("Votre tarif")[1]
            continue
        total_pupils += pupils
        amount, due = float(row[f"amount_g{g}"]), float(row[f"due_g{g}"])
        line = f"{grid.name} {row[f'tranche_g{g}']} {money_text(amount)} {pupils} {money_text(due)}"
        assert line in text, (fid, line, text)
        allowed |= {amount, due}
        for rank, r, after in expected_children(scenario, row, g):
            if shows_children:
                child = f"{ordinal(rank)} enfant {grid.name} {money_text(amount)} {rate_text(r) if r else 'aucune'} {money_text(after)}"
                assert child in text, (fid, child, text)
            allowed.add(after)
    assert f"Total annuel {total_pupils} {money_text(row['total_due'])}" in text, fid
    allowed.add(float(row["total_due"]))
    if old_tariffs:
        assert f"aurait été de {money_text(row['old_due'])}" in text, fid
        change = float(row["change"])
        verdict = (
            f"soit {money_text(abs(change))} de {'plus' if change > 0 else 'moins'}"
            if change
            else "soit le même montant"
        )
        assert verdict in text, fid
        allowed |= {float(row["old_due"]), abs(change)}
    # Zero is "les unités sans ancien tarif comptent 0 €".
    allowed.add(0.0)
    # Every amount printed is one of this family's figures (or an old tariff);
    # read from the laid-out page, where a table's columns stay apart.
    stray = [a for a in amounts(page) if not any(abs(a - b) < 0.005 for b in allowed)]
    assert not stray, (fid, stray)
