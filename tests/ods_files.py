"""A tiny OpenDocument spreadsheet writer for tests: content.xml written by
hand, so that tests can build the odd shapes real files have (repeated rows
and columns, merged cells, paragraphs, dates, errors, named expressions) and
hostile ones (a DTD, a repeated row of ten million rows, a part claiming
2 GB) without LibreOffice.

    table("Feuille", [row(num(1), formula("of:=[.A1]*2"))])
    write_ods(path, content_xml([table(...)], names=[named_range("X", "$Feuille.$A$1")]))
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

MIME = "application/vnd.oasis.opendocument.spreadsheet"
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "of": "urn:oasis:names:tc:opendocument:xmlns:of:1.2",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "script": "urn:oasis:names:tc:opendocument:xmlns:script:1.0",
}
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _xmlns(*prefixes: str) -> str:
    return " ".join(f'xmlns:{p}="{NS[p]}"' for p in prefixes)


def _attrs(**attrs) -> str:
    """Attributes: python names with "__" for ":" and "_" for "-"."""
    out = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.replace("__", ":").replace("_", "-")
        out.append(f" {name}={quoteattr(str(value))}")
    return "".join(out)


# ---------------------------------------------------------------------------
# Cells, rows, tables
# ---------------------------------------------------------------------------


def cell(
    *paragraphs: str, repeat: int | None = None, covered: bool = False, raw_text: str | None = None, **attrs
) -> str:
    """A cell: ``paragraphs`` become <text:p> children (``raw_text``: the
    children's XML as is), ``attrs`` its attributes."""
    tag = "table:covered-table-cell" if covered else "table:table-cell"
    a = _attrs(table__number_columns_repeated=repeat, **attrs)
    body = raw_text if raw_text is not None else "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    return f"<{tag}{a}>{body}</{tag}>" if body else f"<{tag}{a}/>"


def empty(repeat: int | None = None, covered: bool = False) -> str:
    return cell(repeat=repeat, covered=covered)


def num(value: float | str, repeat: int | None = None, kind: str = "float", **attrs) -> str:
    return cell(str(value), repeat=repeat, office__value_type=kind, office__value=value, **attrs)


def text(*paragraphs: str, repeat: int | None = None, **attrs) -> str:
    return cell(*paragraphs, repeat=repeat, office__value_type="string", calcext__value_type="string", **attrs)


def boolean(value: bool, **attrs) -> str:
    return cell(
        "VRAI" if value else "FAUX",
        office__value_type="boolean",
        office__boolean_value="true" if value else "false",
        **attrs,
    )


def date(iso: str, **attrs) -> str:
    return cell(iso, office__value_type="date", office__date_value=iso, **attrs)


def time_(duration: str, **attrs) -> str:
    return cell(duration, office__value_type="time", office__time_value=duration, **attrs)


def formula(text_: str, value: float | None = 0, repeat: int | None = None, **attrs) -> str:
    """A formula cell (its cached value is what a spreadsheet showed: the
    reader ignores it)."""
    if value is None:
        return cell(repeat=repeat, table__formula=text_, **attrs)
    return cell(
        str(value), repeat=repeat, table__formula=text_, office__value_type="float", office__value=value, **attrs
    )


def error_cell(code: str, formula_text: str | None = None) -> str:
    """How LibreOffice writes an error: a string value with calcext's error type."""
    return cell(
        code,
        table__formula=formula_text,
        office__value_type="string",
        office__string_value="",
        calcext__value_type="error",
    )


def row(*cells: str, repeat: int | None = None) -> str:
    a = _attrs(table__number_rows_repeated=repeat)
    return f"<table:table-row{a}>{''.join(cells)}</table:table-row>"


def table(name: str, rows: list[str], names: list[str] = (), columns: str = "<table:table-column/>", **attrs) -> str:
    """A sheet; ``names``: its sheet-local named ranges / expressions."""
    local = f"<table:named-expressions>{''.join(names)}</table:named-expressions>" if names else ""
    return f"<table:table{_attrs(table__name=name, **attrs)}>{columns}{''.join(rows)}{local}</table:table>"


def named_range(name: str, address: str, base: str | None = None) -> str:
    a = _attrs(table__name=name, table__base_cell_address=base, table__cell_range_address=address)
    return f"<table:named-range{a}/>"


def named_expression(name: str, expression: str, base: str | None = None) -> str:
    a = _attrs(table__name=name, table__base_cell_address=base, table__expression=expression)
    return f"<table:named-expression{a}/>"


def content_xml(
    tables: list[str], names: list[str] = (), prolog: str = DECL, before_body: str = "", settings: str = ""
) -> str:
    """content.xml of a spreadsheet holding ``tables`` and the global ``names``."""
    named = f"<table:named-expressions>{''.join(names)}</table:named-expressions>" if names else ""
    ns = _xmlns("office", "style", "text", "table", "fo", "of", "calcext", "xlink", "script")
    return (
        f"{prolog}<office:document-content {ns} "
        f'office:version="1.3">{before_body}<office:body><office:spreadsheet>{settings}{"".join(tables)}{named}'
        "</office:spreadsheet></office:body></office:document-content>"
    )


# ---------------------------------------------------------------------------
# The package
# ---------------------------------------------------------------------------


def manifest_xml(entries: list[str] = (), extra: str = "", mime: str = MIME) -> str:
    files = "".join(
        f'<manifest:file-entry manifest:full-path="{e}" manifest:media-type="text/xml"/>'
        for e in ["content.xml", "styles.xml", "meta.xml", "settings.xml", *entries]
    )
    return (
        f'{DECL}<manifest:manifest {_xmlns("manifest")} manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/>{files}{extra}'
        "</manifest:manifest>"
    )


STYLES = (
    f'{DECL}<office:document-styles {_xmlns("office", "style")} office:version="1.3">'
    "<office:styles/></office:document-styles>"
)
META = f'{DECL}<office:document-meta {_xmlns("office")} office:version="1.3"><office:meta/></office:document-meta>'
SETTINGS = (
    f'{DECL}<office:document-settings {_xmlns("office")} office:version="1.3"><office:settings/>'
    "</office:document-settings>"
)


def write_ods(
    path: Path,
    content: str | bytes,
    *,
    mime: str = MIME,
    manifest: str | None = None,
    extra: dict[str, str | bytes] | None = None,
    replace: dict[str, str | bytes] | None = None,
) -> Path:
    """An .ods package: ``mimetype`` first and stored, as ODF asks, then the
    manifest, content, styles, meta and settings; ``extra`` parts added,
    ``replace`` parts written instead of the defaults."""
    parts: dict[str, str | bytes] = {
        "META-INF/manifest.xml": manifest if manifest is not None else manifest_xml(mime=mime),
        "content.xml": content,
        "styles.xml": STYLES,
        "meta.xml": META,
        "settings.xml": SETTINGS,
    }
    parts.update(replace or {})
    parts.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mime, compress_type=zipfile.ZIP_STORED)
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def simple_ods(path: Path, tables: list[str], names: list[str] = (), **options) -> Path:
    return write_ods(path, content_xml(tables, names), **options)
