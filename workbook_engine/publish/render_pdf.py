"""Blocks to PDF with fpdf2 (pure Python: publish needs no external program).

The font is Liberation Sans, embedded from the package (``fonts/``, SIL Open
Font License, text beside it): it has every character French typography
needs (the narrow no-break space U+202F of the thousands, €, « »), and
fpdf2 embeds only the glyphs used. A placeholder is printed bold, dark red
and bracketed, so an unfinished article shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from workbook_engine.publish.blocks import Bullets, Document, Heading, Paragraph, Span, Table
from workbook_engine.publish.typography import french_spacing

FONT = "LiberationSans"
FONT_FILES = {"": "LiberationSans-Regular.ttf", "B": "LiberationSans-Bold.ttf"}
BODY_SIZE = 10.5
LINE = 5.2  # mm per line of body text
HEADING_SIZES = {0: 16.0, 1: 13.0, 2: 11.5}
INK = (0, 0, 0)
PLACEHOLDER_INK = (170, 0, 0)
HEAD_FILL = (225, 230, 240)


def font_path(style: str) -> Path:
    return Path(str(resources.files("workbook_engine.publish").joinpath("fonts", FONT_FILES[style])))


class _Pdf(FPDF):
    footer_text = ""
    page_numbers = False

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 90, 90)
        text = self.footer_text
        if self.page_numbers:
            text = f"{text} – page {self.page_no()} / {{nb}}" if text else f"page {self.page_no()} / {{nb}}"
        self.cell(0, 5, french_spacing(text), align="C")
        self.set_text_color(*INK)


def new_pdf() -> _Pdf:
    pdf = _Pdf(format="A4")
    for style in FONT_FILES:
        pdf.add_font(FONT, style, str(font_path(style)))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    # The metadata says what the file is, never whose it is.
    pdf.set_creator("workbook-engine publish")
    pdf.set_lang("fr-FR")
    return pdf


def _spans(pdf: FPDF, parts: Iterable[Span], size: float, indent: float = 0.0) -> None:
    """One paragraph of mixed styles. fpdf2's text regions break lines
    across spans at spaces only (``write()`` may cut a word in two when a
    span starts near the end of a line)."""
    with pdf.text_columns(text_align="LEFT", l_margin=pdf.l_margin + indent, line_height=1.15) as cols:
        with cols.paragraph() as par:
            for s in parts:
                pdf.set_font(FONT, "" if s.style == "plain" else "B", size)
                pdf.set_text_color(*(PLACEHOLDER_INK if s.style == "placeholder" else INK))
                par.write(french_spacing(s.text))
    pdf.set_text_color(*INK)


def _table(pdf: FPDF, t: Table) -> None:
    pdf.set_font(FONT, "", BODY_SIZE - 0.5)
    total = sum(t.widths)
    width = pdf.epw
    with pdf.table(
        col_widths=tuple(w / total * width for w in t.widths),
        text_align=t.align,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
        line_height=LINE,
        padding=1.2,
        first_row_as_headings=True,
    ) as table:
        row = table.row()
        for h in t.header:
            row.cell(french_spacing(h))
        for i, r in enumerate(t.rows):
            last = t.strong_last and i == len(t.rows) - 1
            row = table.row(style=FontFace(emphasis="BOLD") if last else None)
            for c in r:
                row.cell(french_spacing(c))
    pdf.ln(2)


def _height(block: object) -> float:
    """About the height a heading's next block needs on the same page."""
    if isinstance(block, Table):
        return (len(block.rows) + 1) * (LINE + 2.4)
    return 2 * LINE


def draw(pdf: _Pdf, doc: Document) -> None:
    """Draw a document's blocks from the current page on."""
    pdf.add_page()  # draws the previous page's footer: only then is the footer this document's
    pdf.footer_text, pdf.page_numbers = doc.footer, doc.page_numbers
    for i, b in enumerate(doc.blocks):
        if isinstance(b, Heading):
            after = doc.blocks[i + 1] if i + 1 < len(doc.blocks) else None
            if pdf.will_page_break(_height(after) + 12):
                pdf.add_page()  # a heading stays with its table, or with a paragraph's first lines
            pdf.ln(1.5 if b.level == 2 else 2.5)
            pdf.set_font(FONT, "B", HEADING_SIZES.get(b.level, BODY_SIZE))
            pdf.multi_cell(0, LINE + (2 if b.level == 0 else 1), french_spacing(b.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(b, Paragraph):
            if b.spans:
                _spans(pdf, b.spans, BODY_SIZE)
                pdf.ln(1.5)
        elif isinstance(b, Bullets):
            for item in b.items:
                if pdf.will_page_break(LINE):
                    pdf.add_page()
                y = pdf.get_y()
                pdf.set_font(FONT, "", BODY_SIZE)
                pdf.set_xy(pdf.l_margin + 2, y)
                pdf.cell(5, LINE * 0.95, "•")
                pdf.set_xy(pdf.l_margin, y)
                _spans(pdf, item, BODY_SIZE, indent=7)
            pdf.ln(1.5)
        else:
            _table(pdf, b)


def to_pdf(docs: Iterable[Document]) -> bytes:
    """One PDF of the documents, each from a new page."""
    pdf = new_pdf()
    for doc in docs:
        draw(pdf, doc)
    return bytes(pdf.output())
