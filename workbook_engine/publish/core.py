"""The whole publication of one scenario into a folder:

- ``article_reglement_financier.docx`` and ``.pdf``: the article, from one
  content description;
- ``avis/<id>.pdf``: one notice per family (file names from the ids, never
  from names);
- ``avis_familles.pdf``: every notice, each from a new page, to print;
- ``publipostage.csv``: the figures of every notice, for mail merge;
- ``publication.json``: the manifest (see ``outdir``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbook_engine.model.domain import Scenario
from workbook_engine.publish.article import Options, article
from workbook_engine.publish.mailmerge import mailmerge_csv
from workbook_engine.publish.notice import notice
from workbook_engine.publish.outdir import NOTICES_DIR, OutputFolder, safe_stem
from workbook_engine.publish.render_docx import to_docx
from workbook_engine.publish.render_pdf import to_pdf
from workbook_engine.publish.statements import statements, worked_example

ARTICLE = "article_reglement_financier"
MERGED = "avis_familles.pdf"
MAILMERGE = "publipostage.csv"


@dataclass
class Publication:
    """What was written (paths relative to ``out``)."""

    out: Path
    article: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    merged: str = MERGED
    mailmerge: str = MAILMERGE
    named: int = 0  # notices addressed by name
    removed: list[str] = field(default_factory=list)  # a previous publication's files not written again


def notice_files(scenario: Scenario) -> list[str]:
    taken: set[str] = set()
    return [f"{NOTICES_DIR}/{safe_stem(f.id, taken)}.pdf" for f in scenario.families]


def publish(
    scenario: Scenario,
    out: Path,
    options: Options,
    *,
    names: dict[str, str] | None = None,
    inputs: list[Path] | None = None,
) -> Publication:
    """Write the publication of a validated scenario into ``out``."""
    names = names or {}
    folder = OutputFolder(out, inputs or [])  # refuses a folder it must not write into, before any work
    sts = statements(scenario)
    files = notice_files(scenario)
    pub = Publication(out, article=[f"{ARTICLE}.docx", f"{ARTICLE}.pdf"], notices=files)
    pub.merged = MERGED if files else ""  # a scenario without families: the article alone
    folder.plan([*pub.article, *([MERGED] if files else []), MAILMERGE, *files])

    doc = article(scenario, worked_example(scenario), options)
    folder.write(f"{ARTICLE}.docx", to_docx(doc))
    folder.write(f"{ARTICLE}.pdf", to_pdf([doc]))
    letters = [notice(scenario, st, options, names.get(st.id)) for st in sts]
    for rel, letter in zip(files, letters):
        folder.write(rel, to_pdf([letter]))
    if letters:
        folder.write(MERGED, to_pdf(letters))
    folder.write(MAILMERGE, mailmerge_csv(scenario, sts, files, options))
    pub.named = sum(1 for st in sts if st.id in names)
    pub.removed = folder.finish()
    return pub
