"""The shell of the standalone French HTML pages: no script, no network, no
external asset (inline CSS only), so a page works from a file and as an
e-mail attachment; readable by screen readers (lang, headings, tables with
captions and header scopes), contrasts of at least 7:1 for text, printable."""

from __future__ import annotations

import html

from workbook_engine import __version__
from workbook_engine.report.text import xml_safe

# Colours: text #1b1b1b on white (contrast 17:1); badges white on #8b0000
# (error, 10:1), #1b1b1b on #ffd24d (warning, 12:1), white on #1f4e79
# (information, 9:1), white on #1d5e20 (ok, 8:1). A badge always says its
# word: colour never carries the meaning alone.
CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; color: #1b1b1b;
       background: #fff; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 2px solid #1f4e79; padding-bottom: 0.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.4rem; }
h4 { font-size: 1rem; margin: 1rem 0 0.3rem; }
p.meta { color: #3d3d3d; margin: 0.2rem 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; width: 100%; font-size: 0.95rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #767676; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e8eef4; }
th[scope="row"] { font-weight: 600; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.25rem; font-weight: 700;
         font-size: 0.85rem; }
/* Colours belong to the badges only: a table may carry the same word as a
   class (the findings table does) and must keep its readable header. */
.badge.error { background: #8b0000; color: #fff; }
.badge.warning { background: #ffd24d; color: #1b1b1b; }
.badge.info { background: #1f4e79; color: #fff; }
.badge.ok { background: #1d5e20; color: #fff; }
.badge.accepted { background: #1f4e79; color: #fff; }
.badge.unusable, .badge.findings { background: #8b0000; color: #fff; }
.cause { border-left: 4px solid #767676; padding-left: 0.8rem; margin: 1rem 0; }
.cause.sev-error { border-left-color: #8b0000; }
.cause.sev-warning { border-left-color: #b38600; }
.cause.sev-info { border-left-color: #1f4e79; }
.advice { margin: 0.2rem 0 0.4rem; }
a { color: #0b4f8a; }
a:focus { outline: 3px solid #1b1b1b; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  a { color: #1b1b1b; text-decoration: none; }
  h2 { break-before: page; }
  h2:first-of-type { break-before: auto; }
  tr, .cause h4 { break-inside: avoid; }
  thead { display: table-header-group; }
  .badge { border: 1px solid #1b1b1b; }
  .no-print { display: none; }
}
"""


def esc(value: object) -> str:
    """Anything that may come from a workbook, escaped for HTML text and attributes."""
    return html.escape(xml_safe(value), quote=True)


def page(title: str, body: str, generated: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="workbook-engine ' + esc(__version__) + '">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header>\n<h1>{esc(title)}</h1>\n<p class="meta">{esc(generated)}</p>\n</header>\n'
        f"<main>\n{body}</main>\n</body>\n</html>\n"
    )


def table(caption: str, headers: list[str], rows: list[str], css_class: str = "") -> str:
    """A data table: ``rows`` are ready ``<tr>`` elements (their first cell a
    ``th scope="row"`` when it names the row)."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    cls = f' class="{css_class}"' if css_class else ""
    return (
        f"<table{cls}>\n<caption>{esc(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n"
    )
