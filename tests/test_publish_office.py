"""``publish`` in the slow tier: the article's .docx opened by LibreOffice
(Writer) headless and converted to PDF, and the sample structure's 320
notices read back and compared with the model."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from publish_support import check_notice, flat, pdf_pages, require_poppler, small_scenario

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import SAMPLE_FILE, load_sample
from workbook_engine.formats.scenario_json import dumps_scenario
from workbook_engine.model.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]


def convert_to_pdf(soffice: str, docx: Path, out_dir: Path) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        return subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(docx),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )


def test_the_docx_opens_in_libreoffice_and_converts_to_pdf(libreoffice, tmp_path):
    require_poppler()
    src = tmp_path / "s.json"
    src.write_text(dumps_scenario(small_scenario()), encoding="utf-8")
    out = tmp_path / "publication"
    assert main(["publish", str(src), "-o", str(out), "--deadline", "2027-09-01"]) == 0
    done = convert_to_pdf(libreoffice, out / "article_reglement_financier.docx", tmp_path / "lo")
    pdf = tmp_path / "lo" / "article_reglement_financier.pdf"
    if not pdf.exists() and "could not be loaded" in done.stderr + done.stdout:
        why = "LibreOffice Writer is not installed (apt-get install -y libreoffice-writer-nogui)"
        if os.environ.get("CI"):
            pytest.fail(why + ": required in CI to open the article's .docx")
        pytest.skip(why)
    assert done.returncode == 0 and pdf.exists(), done.stderr
    text = flat(" ".join(pdf_pages(pdf)))
    assert "Contribution des familles" in text and "1er septembre 2027" in text
    for grid in small_scenario().grids:
        assert grid.name in text
    assert "18 000 € et plus" not in text  # the small scenario's own bounds, not the sample's
    assert "15 000 € et plus 862,50 €" in text


@pytest.mark.slow
def test_every_notice_of_the_sample_structure_is_the_models(tmp_path):
    """The 320 families of the shipped sample: each notice of the merged PDF
    against the model, and the per-family files the same pages."""
    require_poppler()
    out = tmp_path / "publication"
    sample = ROOT / "workbook_engine" / "formats" / "data" / SAMPLE_FILE
    assert main(["publish", str(sample), "-o", str(out)]) == 0
    scenario = load_sample()
    fams = simulate(scenario).families
    pages = pdf_pages(out / "avis_familles.pdf")
    assert len(pages) == len(fams) == 320
    ids = set(fams["id"])
    for page, (_, row) in zip(pages, fams.iterrows()):
        check_notice(scenario, row, page)
        assert set(flat(page).replace("–", " ").split()) & ids == {row["id"]}
    for i in range(0, 320, 16):  # every 16th family's own file is its page of the merged PDF
        fid = fams["id"].iloc[i]
        assert pdf_pages(out / "avis" / f"{fid}.pdf") == [pages[i]]


def test_a_workbook_saved_as_ods_by_libreoffice_publishes_like_its_scenario(libreoffice, tmp_path):
    """The bursar's workbook as LibreOffice saves it (.ods, fr-FR): checked,
    then published with the very figures of the scenario it was made from."""
    require_poppler()
    from libreoffice_recalc import recalculate

    from workbook_engine.workbook.generate import generate_workbook

    scenario = small_scenario()
    xlsx = tmp_path / "classeur.xlsx"
    generate_workbook(scenario, xlsx, capacity=60)
    (ods,) = recalculate(xlsx, tmp_path / "lo", fmt="ods", locale="fr-FR")
    assert main(["publish", str(ods), "-o", str(tmp_path / "depuis_ods")]) == 0
    src = tmp_path / "s.json"
    src.write_text(dumps_scenario(scenario), encoding="utf-8")
    assert main(["publish", str(src), "-o", str(tmp_path / "depuis_json")]) == 0
    for name in ("publipostage.csv",):
        assert (tmp_path / "depuis_ods" / name).read_bytes() == (tmp_path / "depuis_json" / name).read_bytes()
    assert pdf_pages(tmp_path / "depuis_ods" / "avis_familles.pdf") == pdf_pages(
        tmp_path / "depuis_json" / "avis_familles.pdf"
    )
