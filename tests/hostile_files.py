"""Generators of bad and hostile workbooks, built at test time (no committed
binaries): each function writes one file and returns its path.

Most start from a small genuine workbook and rewrite zip members; zip bombs
are built from repeated deflate blocks (so a gigabyte costs a few kilobytes
and no time), OLE2 files by a minimal compound-file writer, encrypted
workbooks by msoffcrypto-tool.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)
"""A billion laughs: &lol9; expands to 10^9 "lol"s (3 GB)."""


def sheet_part(base: Path, sheet: str = "Familles") -> str:
    """The zip member of a sheet of a workbook the engine wrote."""
    with zipfile.ZipFile(base) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    import re

    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"', wb).group(1)
    target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return "xl/" + (target.group(1) or target.group(2)).lstrip("/").removeprefix("xl/")


def rewrite(
    src: Path,
    dst: Path,
    replace: dict[str, bytes | str] | None = None,
    add: dict[str, bytes | str] | None = None,
    drop: tuple[str, ...] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """A copy of the zip ``src`` with members replaced, added or dropped."""
    replace, add = dict(replace or {}), dict(add or {})
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression, compresslevel=1) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = replace.pop(info.filename, None)
            zout.writestr(info.filename, zin.read(info) if data is None else data)
        for name, data in {**replace, **add}.items():
            zout.writestr(name, data)
    return dst


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------
# Not workbooks
# ---------------------------------------------------------------------------


def csv_file(path: Path) -> Path:
    return write(path, b"id;rfr_1;parts\nF1;35 000;2\nF2;18 500,50;1,5\n")


def csv_utf16(path: Path) -> Path:
    return write(path, "id\trfr_1\nF1\t35000\n".encode("utf-16"))


def html_file(path: Path) -> Path:
    return write(path, b"<html><body><table><tr><td>F1</td><td>35000</td></tr></table></body></html>")


def pdf_file(path: Path) -> Path:
    return write(path, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")


def random_bytes(path: Path) -> Path:
    return write(path, b"\x00\x01" + random.Random(7).randbytes(4096))


# ---------------------------------------------------------------------------
# OLE2 compound files: old .xls and encrypted workbooks
# ---------------------------------------------------------------------------


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A minimal compound file (version 3, 512-byte sectors) holding streams
    of at least 4,096 bytes each (so no mini stream is needed); at most 3."""
    assert 1 <= len(streams) <= 3
    end, free, fat_sect, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_sect, end]
    data_sectors, starts = [], []
    for content in streams.values():
        content = content.ljust(max(4096, -(-len(content) // 512) * 512), b"\0")
        starts.append(len(fat))
        n = len(content) // 512
        fat += [len(fat) + i + 1 for i in range(n - 1)] + [end]
        data_sectors += [content[i * 512 : (i + 1) * 512] for i in range(n)]
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(raw), kind, 1, no_stream, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    names = list(streams)
    entries = [entry("Root Entry", 5, 1, no_stream, end, 0)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else no_stream
        entries.append(entry(name, 2, no_stream, right, starts[i], len(streams[name])))
    while len(entries) < 4:
        entries.append(
            b"\0" * 64
            + struct.pack("<HBB3I", 0, 0, 0, no_stream, no_stream, no_stream)
            + b"\0" * 36
            + struct.pack("<IQ", 0, 0)
        )
    header = (
        OLE_MAGIC
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + b"".join(entries) + b"".join(data_sectors)


def xls_file(path: Path) -> Path:
    """An Excel 97-2003 file, as far as a reader can tell: a Workbook stream
    (a BOF record) in a compound file."""
    bof = struct.pack("<HHHH", 0x0809, 16, 0x0600, 0x0005) + b"\0" * 12
    return write(path, ole_file({"Workbook": bof}))


def ole_garbage(path: Path) -> Path:
    return write(path, OLE_MAGIC + random.Random(3).randbytes(3000))


def encrypted(base: Path, path: Path, password: str) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(base, "rb") as f:
        OOXMLFile(f).encrypt(password, out)
    return write(path, out.getvalue())


def with_encryption_info(encrypted_path: Path, path: Path, edit) -> Path:
    """An encrypted workbook whose EncryptionInfo XML is rewritten by
    ``edit`` (the stream keeps its length: padded with spaces)."""
    import olefile

    path.write_bytes(encrypted_path.read_bytes())
    ole = olefile.OleFileIO(str(path), write_mode=True)
    info = ole.openstream("EncryptionInfo").read()
    xml = edit(info[8:])
    assert len(xml) <= len(info) - 8, (len(xml), len(info))
    ole.write_stream("EncryptionInfo", info[:8] + xml.ljust(len(info) - 8, b" "))
    ole.close()
    return path


def laughing_encryption_info(xml: bytes) -> bytes:
    return f'<?xml version="1.0"?>{LAUGHS}<encryption>&lol9;</encryption>'.encode()


def spinning_encryption_info(xml: bytes) -> bytes:
    return xml.replace(b'spinCount="100000"', b'spinCount="9999999"').replace(b"    <keyData", b"   <keyData", 1)


# ---------------------------------------------------------------------------
# Broken and oversized zips
# ---------------------------------------------------------------------------


def truncated(base: Path, path: Path, keep: float = 0.5) -> Path:
    data = base.read_bytes()
    return write(path, data[: int(len(data) * keep)])


def corrupted_member(base: Path, path: Path, member: str) -> Path:
    """Flip bytes in the middle of a member's compressed data."""
    data = bytearray(base.read_bytes())
    with zipfile.ZipFile(base) as z:
        info = z.getinfo(member)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    mid = start + info.compress_size // 2
    for i in range(mid, mid + 16):
        data[i] ^= 0x5A
    return write(path, bytes(data))


def zip_with_raw_members(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> Path:
    """A zip written by hand: (name, deflated bytes, crc, compressed size,
    declared uncompressed size) per member, sizes as given (they may lie)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, raw, crc, csize, usize in members:
        offset = out.tell()
        n = name.encode()
        out.write(
            struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, csize, usize, len(n), 0) + n + raw
        )
        central.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                csize,
                usize,
                len(n),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + n
        )
    cd = central.getvalue()
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), out.tell(), 0)
    return write(path, out.getvalue() + cd + eocd)


def genuine_members(base: Path, skip: str) -> list[tuple[str, bytes, int, int, int]]:
    """The members of ``base`` as raw deflate data, except ``skip``."""
    members = []
    with zipfile.ZipFile(base) as z:
        for info in z.infolist():
            if info.filename == skip:
                continue
            data = z.read(info)
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw = c.compress(data) + c.flush()
            members.append((info.filename, raw, zlib.crc32(data), len(raw), len(data)))
    return members


def deflated_repeat(head: bytes, filler: bytes, times: int) -> bytes:
    """A raw deflate stream of ``head`` then ``filler`` repeated, built in no
    time: each fully flushed block is self-contained, so it can be repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(filler) + c.flush(zlib.Z_FULL_FLUSH)
    return first + block * times + c.flush(zlib.Z_FINISH)


def bomb(base: Path, path: Path, declared: int) -> Path:
    """The families sheet replaced by a gigabyte of XML (1 MB compressed:
    a sheet's start, then empty elements) whose size the central directory
    gives as ``declared`` bytes: honest (refused before inflating) or lying
    (refused while reading: zipfile stops at the declared size, the CRC fails)."""
    part = sheet_part(base)
    raw = deflated_repeat(f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode(), b"<x/>" * (1 << 18), 1024)
    return zip_with_raw_members(path, genuine_members(base, part) + [(part, raw, 0, len(raw), declared)])


def bombs_in_total(base: Path, path: Path, each: int, n: int) -> Path:
    """``n`` extra members each declared (honestly) ``each`` bytes."""
    raw = deflated_repeat(b"", b"\0" * (1 << 20), each >> 20)
    return zip_with_raw_members(
        path, genuine_members(base, "") + [(f"xl/media/zeros{i}.bin", raw, 0, len(raw), each) for i in range(n)]
    )


def many_parts(base: Path, path: Path, n: int) -> Path:
    return rewrite(base, path, add={f"xl/media/p{i}.txt": b"" for i in range(n)}, compression=zipfile.ZIP_STORED)


def many_sheets(base: Path, path: Path, n: int) -> Path:
    """workbook.xml declaring ``n`` sheets, all reading one tiny part."""
    with zipfile.ZipFile(base) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    sheets = "".join(f'<sheet name="S{i}" sheetId="{1000 + i}" r:id="rX"/>' for i in range(n))
    link = f'<Relationship Id="rX" Type="{REL_NS}/worksheet" Target="worksheets/x.xml"/>'
    tiny = f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'
    return rewrite(
        base,
        path,
        replace={
            "xl/workbook.xml": wb.replace("</sheets>", sheets + "</sheets>"),
            "xl/_rels/workbook.xml.rels": rels.replace("</Relationships>", link + "</Relationships>"),
        },
        add={"xl/worksheets/x.xml": tiny},
    )


def sheet_xml(rows: bytes, dimension: str = "A1") -> bytes:
    return (
        (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}">'
            f'<dimension ref="{dimension}"/><sheetData>'
        ).encode()
        + rows
        + b"</sheetData></worksheet>"
    )


def with_sheet(base: Path, path: Path, xml: bytes, sheet: str = "Familles") -> Path:
    return rewrite(base, path, replace={sheet_part(base, sheet): xml})


def million_rows(base: Path, path: Path) -> Path:
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, 1_000_001))
    return with_sheet(base, path, sheet_xml(rows, "A1:A1000000"))


def wide_row(base: Path, path: Path, cells: int = 100_000) -> Path:
    return with_sheet(base, path, sheet_xml(b'<row r="1">' + b"<c><v>1</v></c>" * cells + b"</row>"))


def far_cell(base: Path, path: Path) -> Path:
    """One cell at the very last row and column, the dimension claiming the
    whole sheet."""
    return with_sheet(base, path, sheet_xml(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "A1:XFD1048576"))


def cell_beyond_the_sheet(base: Path, path: Path) -> Path:
    """A cell whose address lies past any sheet's last row, in a row that
    does not (the gate looks at rows, the cell's own address is the reader's)."""
    return with_sheet(base, path, sheet_xml(b'<row r="1"><c r="A99999999999999999999"><v>1</v></c></row>'))


def long_text(base: Path, path: Path, mib: int = 2) -> Path:
    text = b"A" * (mib << 20)
    return with_sheet(
        base, path, sheet_xml(b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + text + b"</t></is></c></row>")
    )


def many_strings(base: Path, path: Path, n: int = 1_100_000) -> Path:
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{n}" uniqueCount="{n}">'.encode()
        + b"<si><t>x</t></si>" * n
        + b"</sst>"
    )
    return rewrite(base, path, replace={"xl/sharedStrings.xml": xml})


# ---------------------------------------------------------------------------
# XML: entity expansion and external entities
# ---------------------------------------------------------------------------


def with_doctype(xml: bytes, doctype: str) -> bytes:
    """``xml`` with a DOCTYPE inserted after its declaration, and the root's
    first text (or the root itself) referring to the entity."""
    decl_end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    return xml[:decl_end] + doctype.encode() + xml[decl_end:]


def laughing_part(base: Path, path: Path, member: str) -> Path:
    """A billion-laughs DOCTYPE in ``member``, the entity used in a text or
    an attribute value, so a parser that expands entities would explode."""
    with zipfile.ZipFile(base) as z:
        xml = z.read(member)
    xml = with_doctype(xml, LAUGHS)
    if member == "xl/sharedStrings.xml":
        xml = xml.replace(b"<t>", b"<t>&lol9;", 1)
    elif member.endswith("workbook.xml"):
        xml = xml.replace(b'<sheet name="', b'<sheet name="&lol9;', 1)
    elif member.startswith("xl/worksheets/"):
        xml = (
            xml.replace(
                b"<sheetData>", b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1
            )
            if b"<row " not in xml[:2000]
            else xml
        )
    return rewrite(base, path, replace={member: xml})


def external_entity(base: Path, path: Path, member: str, secret: Path, parameter: bool = False) -> Path:
    """An external entity pointing at a local file, referenced in a text
    (or, with ``parameter``, a parameter entity loading a remote DTD)."""
    with zipfile.ZipFile(base) as z:
        xml = z.read(member)
    if parameter:
        doctype = f'<!DOCTYPE x [<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]>'
    else:
        doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    xml = with_doctype(xml, doctype).replace(b"<t>", b"<t>&xxe;", 1)
    return rewrite(base, path, replace={member: xml})


def utf16_doctype_sheet(base: Path, path: Path) -> Path:
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS + f'<worksheet xmlns="{MAIN_NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return with_sheet(base, path, xml.encode("utf-16"))


def ebcdic_sheet(base: Path, path: Path) -> Path:
    xml = b'<?xml version="1.0" encoding="cp500"?>' + f'<worksheet xmlns="{MAIN_NS}"/>'.encode("cp500")
    return with_sheet(base, path, xml)


# ---------------------------------------------------------------------------
# Odd packages
# ---------------------------------------------------------------------------


def duplicate_member(base: Path, path: Path) -> Path:
    import warnings

    rewrite(base, path)
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as z:
        warnings.simplefilter("ignore")  # "Duplicate name": the point
        z.writestr("xl/workbook.xml", b"<x/>")
    return path


def bzip2_members(base: Path, path: Path) -> Path:
    return rewrite(base, path, compression=zipfile.ZIP_BZIP2)


def encrypted_zip_flag(base: Path, path: Path) -> Path:
    """Set the "encrypted" flag of every member (local and central headers)."""
    data = bytearray(base.read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        while i >= 0:
            data[i + flag_at] |= 0x01
            i = data.find(sig, i + 4)
    return write(path, bytes(data))


def ods_file(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    return path


def docx_file(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.'
            'document.main+xml"/></Types>',
        )
        z.writestr("word/document.xml", "<w:document/>")
    return path


def plain_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("familles.csv", "id;rfr_1\nF1;35000\n")
    return path


def xlsb_like(base: Path, path: Path) -> Path:
    with zipfile.ZipFile(base) as z:
        types = z.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.binary.macroEnabled.main",
    )
    return rewrite(base, path, replace={"[Content_Types].xml": types}, drop=("xl/workbook.xml",))


def missing_sheet_part(base: Path, path: Path) -> Path:
    return rewrite(base, path, drop=(sheet_part(base, "Paramètres"),))


def shared_sheet_part(base: Path, path: Path) -> Path:
    """Two sheets reading the same part (the families sheet, read twice)."""
    with zipfile.ZipFile(base) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    famille = sheet_part(base).removeprefix("xl/")
    params = sheet_part(base, "Paramètres").removeprefix("xl/")
    return rewrite(base, path, replace={"xl/_rels/workbook.xml.rels": rels.replace(params, famille)})


def malformed_sheet(base: Path, path: Path) -> Path:
    return with_sheet(base, path, sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c>'))  # </row> missing


def text_in_number_cell(base: Path, path: Path) -> Path:
    """A cell typed as a number holding text (openpyxl raises ValueError)."""
    with zipfile.ZipFile(base) as z:
        part = sheet_part(base, "Paramètres")
        xml = z.read(part)
    xml = xml.replace(b"<v>", b"<v>abc", 1)
    return rewrite(base, path, replace={part: xml})


# ---------------------------------------------------------------------------
# Reported, not refused
# ---------------------------------------------------------------------------


def with_macros(base: Path, path: Path) -> Path:
    """An .xlsm: a VBA project (never run) and its content type."""
    with zipfile.ZipFile(base) as z:
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    types = types.replace(
        "</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/'
        '2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
    )
    vba = ole_file({"VBA": b'Attribute VB_Name = "Module1"\nSub Auto_Open()\nShell "calc.exe"\nEnd Sub\n'})
    return rewrite(
        base,
        path,
        replace={"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
        add={"xl/vbaProject.bin": vba},
    )


def with_external_link(base: Path, path: Path, target: str) -> Path:
    """A link to another workbook (never opened nor followed)."""
    with zipfile.ZipFile(base) as z:
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        wb = z.read("xl/workbook.xml").decode()
    types = types.replace(
        "</Types>",
        '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"'
        "/></Types>",
    )
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdExt" Type="{REL_NS}/externalLink" '
        'Target="externalLinks/externalLink1.xml"/></Relationships>',
    )
    wb = wb.replace("</sheets>", '</sheets><externalReferences><externalReference r:id="rIdExt"/></externalReferences>')
    link = (
        f'<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><externalBook r:id="rId1"><sheetNames>'
        '<sheetName val="Feuil1"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="1">'
        '<cell r="A1"><v>42</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>'
    )
    link_rels = (
        f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/externalLinkPath" '
        f'Target="{target}" TargetMode="External"/></Relationships>'
    )
    return rewrite(
        base,
        path,
        replace={"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels, "xl/workbook.xml": wb},
        add={"xl/externalLinks/externalLink1.xml": link, "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels},
    )
