"""The content of a published document as a short list of typed blocks, so
its text exists once: the PDF and the .docx renderers draw the same blocks.

A paragraph is a sequence of spans; a span is plain, strong, or a
placeholder: text the school must still complete or adapt, shown bracketed
and highlighted so nobody prints it unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SpanStyle = Literal["plain", "strong", "placeholder"]
Align = Literal["L", "R", "C"]


@dataclass(frozen=True)
class Span:
    text: str
    style: SpanStyle = "plain"


Inline = str | Span  # a bare string is a plain span


def spans(*parts: Inline) -> tuple[Span, ...]:
    return tuple(p if isinstance(p, Span) else Span(p) for p in parts if p)


def strong(text: str) -> Span:
    return Span(text, "strong")


def placeholder(text: str) -> Span:
    return Span(text, "placeholder")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 0: the document's title, 1: a section, 2: a sub-section


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]

    @classmethod
    def of(cls, *parts: Inline) -> Paragraph:
        return cls(spans(*parts))


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Span, ...], ...]

    @classmethod
    def of(cls, *items: tuple[Span, ...] | str) -> Bullets:
        return cls(tuple(spans(i) if isinstance(i, str) else i for i in items))


@dataclass(frozen=True)
class Table:
    """A table with a header row; ``widths`` are relative column widths;
    ``strong_last`` prints the last row (a total) in bold."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    align: tuple[Align, ...]
    strong_last: bool = False


Block = Heading | Paragraph | Bullets | Table


@dataclass(frozen=True)
class Document:
    """A document: its blocks, and a footer line for every page."""

    blocks: tuple[Block, ...]
    footer: str = ""
    page_numbers: bool = False

    def text(self) -> str:
        """Every word of the document, one block a line (for reports and tests)."""
        lines: list[str] = []
        for b in self.blocks:
            if isinstance(b, Heading):
                lines.append(b.text)
            elif isinstance(b, Paragraph):
                lines.append("".join(s.text for s in b.spans))
            elif isinstance(b, Bullets):
                lines += ["".join(s.text for s in item) for item in b.items]
            else:
                lines += [" | ".join(b.header)] + [" | ".join(r) for r in b.rows]
        return "\n".join(lines)
