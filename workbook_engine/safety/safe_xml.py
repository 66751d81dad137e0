"""XML for untrusted workbooks: every XML parser of ours goes through here.

``parse_xml`` / ``iterparse_xml`` are defusedxml with DTDs forbidden: no
entity is ever expanded ("billion laughs"), no external entity or DTD is ever
fetched (XXE). ``xml_prolog_problem`` is the safety gate's first line: a
DOCTYPE, where entities are declared, can only stand in a document's prolog,
so reading the prolog of every part refuses them before any parser runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO, cast
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as _safe_et

# What ElementTree's iterparse yields: (event, element); for "start-ns" the
# element is a (prefix, uri) pair, for "end-ns" None.
XmlEvent = tuple[str, Element | tuple[str, str] | None]

# defusedxml has no type hints: its functions are ElementTree's, with the
# same results, hence the casts below.


def parse_xml(data: bytes) -> Element:
    """An ElementTree element; DTDs, entities and external references are
    refused (defusedxml), never expanded or fetched."""
    return cast(Element, _safe_et.fromstring(data, forbid_dtd=True))


def iterparse_xml(source: BinaryIO, events: tuple[str, ...] = ("end",)) -> Iterator[XmlEvent]:
    """Streaming parse with the same protections as ``parse_xml``."""
    return cast("Iterator[XmlEvent]", _safe_et.iterparse(source, events=events, forbid_dtd=True))


_DECL_ENCODING = re.compile(r"""encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_ENCODINGS = {
    "utf-8",
    "utf8",
    "utf-16",
    "utf-16le",
    "utf-16be",
    "us-ascii",
    "ascii",
    "iso-8859-1",
    "latin-1",
    "latin1",
    "windows-1252",
    "cp1252",
}


def xml_prolog_problem(head: bytes, complete: bool) -> str | None:
    """Why the start of an XML part is refused, or None. ``head`` is its first
    bytes (``complete`` when it is the whole part). Only a prolog of
    declarations, processing instructions, comments and spaces may precede the
    root element: a DOCTYPE there is the only way to declare an entity."""
    if head.startswith(b"\xef\xbb\xbf"):
        text = head[3:].decode("utf-8", "replace")
    elif head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "encodage UTF-32 non pris en charge"
    elif head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2] in (b"<\x00", b"\x00<"):
        le = head[:2] in (b"\xff\xfe", b"<\x00")
        body = head[2:] if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head
        text = body[: len(body) // 2 * 2].decode("utf-16-le" if le else "utf-16-be", "replace")
    else:
        text = head.decode("latin-1")
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return None if complete else "en-tête XML anormalement long"
        if text.startswith("<?", i):
            j = text.find("?>", i)
            if j < 0:
                return "en-tête XML incomplet ou anormalement long"
            m = _DECL_ENCODING.search(text, i, j)
            if text.startswith("<?xml", i) and m and m.group(1).lower() not in _ENCODINGS:
                return f"encodage XML « {m.group(1)[:40]} » non pris en charge"
            i = j + 2
        elif text.startswith("<!--", i):
            j = text.find("-->", i + 4)
            if j < 0:
                return "en-tête XML incomplet ou anormalement long"
            i = j + 3
        elif text.startswith("<!", i):
            return (
                "déclaration DOCTYPE ou d'entités XML, interdite dans un classeur (fichier piégé ou "
                "corrompu) : refusé sans l'interpréter"
            )
        elif text.startswith("<", i) and i + 1 < n and (text[i + 1].isalpha() or text[i + 1] in "_:"):
            return None
        else:
            return "contenu inattendu au début d'une partie XML"


def looks_xml(name: str, head: bytes) -> bool:
    if name.lower().endswith((".xml", ".rels", ".vml")):
        return True
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00")[:1] == b"<"
