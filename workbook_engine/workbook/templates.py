"""The workbooks shipped in ``templates/``: for 1, 2 and 3 grids (the
federation's 1UP, 2UP, 3UP), a blank workbook and a filled example with its
scenario JSON, all produced by the engine from the sample structure.

Regenerate with ``workbook-engine templates -o templates``; a test fails when
the committed files differ from what the code generates.
"""

from __future__ import annotations

from pathlib import Path

from workbook_engine.formats.files import write_text_atomic
from workbook_engine.formats.sample import load_sample
from workbook_engine.formats.scenario_json import dumps_scenario
from workbook_engine.model.restructure import select_grids
from workbook_engine.workbook.generate import blank_scenario, generate_workbook


def template_files(n_grids: int) -> dict[str, str]:
    """File kind -> file name inside ``templates/{n}UP/``."""
    tag = f"{n_grids}UP"
    return {
        "blank": f"tarification_{tag}_vierge.xlsx",
        "example": f"exemple_{tag}.xlsx",
        "scenario": f"exemple_{tag}.json",
    }


def write_templates(root: str | Path) -> list[Path]:
    root = Path(root)
    sample = load_sample()
    written = []
    for n in (1, 2, 3):
        folder = root / f"{n}UP"
        folder.mkdir(parents=True, exist_ok=True)
        names = template_files(n)
        scenario, _ = select_grids(sample, list(range(1, n + 1)))
        generate_workbook(blank_scenario(n), folder / names["blank"])
        generate_workbook(scenario, folder / names["example"])
        write_text_atomic(folder / names["scenario"], dumps_scenario(scenario))
        written += [folder / name for name in names.values()]
    return written
