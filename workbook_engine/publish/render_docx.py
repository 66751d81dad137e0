"""Blocks to an editable .docx (python-docx), which Word and LibreOffice
Writer open. Only the built-in styles (Title, Heading 1 and 2, List Bullet,
Table Grid) are used, so the article pasted into the school's règlement
financier takes that document's own styles. A placeholder is bold and
highlighted in yellow: the school sees at once what it must complete.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from docx import Document as new_docx
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.shared import Cm
from docx.text.paragraph import Paragraph as DocxParagraph

from workbook_engine.publish.blocks import Bullets, Document, Heading, Paragraph, Span, Table
from workbook_engine.publish.typography import french_spacing

ALIGN = {"L": WD_ALIGN_PARAGRAPH.LEFT, "R": WD_ALIGN_PARAGRAPH.RIGHT, "C": WD_ALIGN_PARAGRAPH.CENTER}
TEXT_WIDTH_CM = 16.0


def _runs(par: DocxParagraph, parts: Iterable[Span]) -> None:
    for s in parts:
        run = par.add_run(french_spacing(s.text))
        if s.style in ("strong", "placeholder"):
            run.bold = True
        if s.style == "placeholder":
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def to_docx(doc: Document) -> bytes:
    d = new_docx()
    d.core_properties.author = "workbook-engine publish"
    d.core_properties.language = "fr-FR"
    for b in doc.blocks:
        if isinstance(b, Heading):
            d.add_heading(french_spacing(b.text), level=b.level)
        elif isinstance(b, Paragraph):
            if b.spans:
                _runs(d.add_paragraph(), b.spans)
        elif isinstance(b, Bullets):
            for item in b.items:
                _runs(d.add_paragraph(style="List Bullet"), item)
        else:
            _table(d, b)
    if doc.footer:
        d.sections[0].footer.paragraphs[0].text = french_spacing(doc.footer)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _table(d: DocxDocument, t: Table) -> None:
    table = d.add_table(rows=1 + len(t.rows), cols=len(t.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total = sum(t.widths)
    for j, w in enumerate(t.widths):
        # The grid column (LibreOffice reads it) and every cell (Word reads those).
        table.columns[j].width = Cm(TEXT_WIDTH_CM * w / total)
        for cell in table.columns[j].cells:
            cell.width = Cm(TEXT_WIDTH_CM * w / total)
    rows = [t.header, *t.rows]
    for i, values in enumerate(rows):
        bold = i == 0 or (t.strong_last and i == len(rows) - 1)
        for j, text in enumerate(values):
            par = table.cell(i, j).paragraphs[0]
            par.alignment = ALIGN[t.align[j]]
            run = par.add_run(french_spacing(text))
            run.bold = bold
    d.add_paragraph()
