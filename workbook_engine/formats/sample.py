"""The sample structure shipped with the package (``workbook-engine demo``).

A realistic OGEC of three units (école, collège, lycée) and a few hundred
families, drawn with a fixed seed. ``data/sample_scenario.json`` is this
function's output, committed so the demo needs no computation to start; a
test proves the two are the same.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from workbook_engine.formats.scenario_json import scenario_from_dict
from workbook_engine.model.domain import Family, Grid, Scenario, Tranche
from workbook_engine.model.money import excel_round

SEED = 2026
SAMPLE_FILE = "sample_scenario.json"

# name, old single tariff, tranches (label, lower QF bound, yearly amount)
_GRIDS = (
    ("École", 650, (("A", 0, 420), ("B", 6000, 560), ("C", 9000, 650), ("D", 13000, 780), ("E", 18000, 940))),
    ("Collège", 850, (("A", 0, 540), ("B", 6000, 720), ("C", 9000, 850), ("D", 13000, 1020), ("E", 18000, 1260))),
    ("Lycée", 1000, (("A", 0, 600), ("B", 6000, 840), ("C", 9000, 1000), ("D", 13000, 1240), ("E", 18000, 1560))),
)


def fiscal_parts(adults: int, children: int, others: int) -> float:
    """French tax parts: 1 per adult, 0.5 for each of the first two children,
    1 from the third, 0.5 more for a single parent, 0.5 per other dependent."""
    parts = adults + 0.5 * min(children, 2) + max(children - 2, 0) + 0.5 * others
    return parts + (0.5 if adults == 1 and children > 0 else 0)


def make_sample(n_families: int = 320, seed: int = SEED) -> Scenario:
    rng = np.random.default_rng(seed)
    families = []
    for i in range(1, n_families + 1):
        adults = 1 if rng.random() < 0.22 else 2
        children = int(rng.choice([1, 2, 3, 4, 5], p=[0.30, 0.38, 0.21, 0.08, 0.03]))
        others = 1 if rng.random() < 0.03 else 0
        # Incomes: log-normal around 38 000 EUR for two adults, lower for one.
        median = 38000 if adults == 2 else 21000
        rfr = float(round(median * rng.lognormal(0, 0.55)))
        separate = adults == 2 and rng.random() < 0.08
        rfr_2 = float(round(rfr * rng.uniform(0.3, 0.6))) if separate else 0.0
        rfr_1 = rfr - rfr_2
        caf = float(round(rng.uniform(600, 3600))) if rfr < 20000 and rng.random() < 0.6 else 0.0
        notice = bool(rng.random() > 0.06)
        # Each child is enrolled in one unit, or elsewhere.
        pupils = [0, 0, 0]
        other_enrolled = 0
        for _ in range(children):
            where = rng.choice(4, p=[0.42, 0.28, 0.20, 0.10])
            if where == 3:
                other_enrolled += 1
            else:
                pupils[where] += 1
        if sum(pupils) == 0:
            pupils[int(rng.integers(0, 3))] = 1
            other_enrolled = max(other_enrolled - 1, 0)
        families.append(
            Family(
                id=f"F{i:04d}",
                rfr_1=rfr_1,
                rfr_2=rfr_2,
                caf_aid=caf,
                parts=fiscal_parts(adults, children, others),
                adults=adults,
                children=children,
                other_dependents=others,
                notice=notice,
                pupils=tuple(pupils),
                other_enrolled=other_enrolled,
            )
        )
    grids = []
    for g, (name, old, tranches) in enumerate(_GRIDS):
        enrolled = sum(f.pupils[g] for f in families)
        # Target: about 4 % above what the old single tariff brought in.
        target = excel_round(old * enrolled * 0.96 * 1.04, -2)
        grids.append(
            Grid(
                name=name,
                old_tariff=float(old),
                budget_target=target,
                tranches=tuple(Tranche(lb, float(lo), float(am)) for lb, lo, am in tranches),
            )
        )
    return Scenario(
        structure="OGEC Saint-Joseph (exemple)",
        year="2026-2027",
        indicator="qf",
        sibling_rates=(0.1, 0.2, 0.3),
        sibling_scope="structure",
        grids=tuple(grids),
        families=tuple(families),
    )


def load_sample() -> Scenario:
    """The committed sample scenario."""
    import json

    text = resources.files("workbook_engine.formats").joinpath("data", SAMPLE_FILE).read_text(encoding="utf-8")
    scenario, problems = scenario_from_dict(json.loads(text))
    assert not problems, problems
    return scenario
