"""CSV files as bursars and federations export them: the one reading rule
shared by the families CSV (:mod:`families_csv`) and SCHOOLS.csv
(``federation.batch``).

- Encoding: UTF-8 with or without BOM, UTF-16 with BOM, and Windows-1252
  (old Excel "CSV (séparateur : point-virgule)") when the file is not valid
  UTF-8.
- Separator: the header line (the first non-blank line) containing ``;``
  means ``;``; one containing a tab, as Excel's "Texte Unicode" export,
  means tab; else ``,``.
- Rows: quoted fields (a quoted cell may span lines), spaces after a
  separator skipped; blank lines and rows of empty cells (``;;;;``) left
  out; each row comes with the line it starts on, counted the way a text
  editor does (from 1, whatever the newline convention). The first row is
  the header.

What a row means (its columns, its blank cells) is the caller's.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from workbook_engine.formats.files import UnreadableInput, read_input
from workbook_engine.model.limits import MAX_CAPACITY, MAX_CELL_TEXT, count_text

__all__ = ["CsvRows", "CsvUnreadable", "decode", "read_csv_rows", "separator"]


class CsvUnreadable(ValueError):
    """The file cannot be read as CSV text: ``message`` in French, ``line``
    when the fault is at a line (0: the whole file)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message, self.line = message, line

    @property
    def where(self) -> str:
        return f"ligne {self.line}" if self.line else ""


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class MixedEncoding(ValueError):
    """UTF-8 text holding a byte that is not UTF-8 (at ``line``)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding used (UnicodeDecodeError if none
    fits; :class:`MixedEncoding` for UTF-8 holding a stray non-UTF-8 byte)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if _UTF8_SEQUENCE.search(data):
            # Valid UTF-8 accents elsewhere: one stray byte, not a Windows-1252 file.
            # Read as cp1252 the whole file would turn every "é" into "Ã©" without a word.
            line = data.count(b"\n", 0, exc.start) + 1
            raise MixedEncoding(line) from None
        return data.decode("cp1252"), "cp1252"


def separator(header_text: str) -> str:
    """The separator a header line uses."""
    return ";" if ";" in header_text else "\t" if "\t" in header_text else ","


@dataclass(frozen=True)
class CsvRows:
    """A CSV file's records that hold a value (blank lines and rows of empty
    cells left out), each with the line it starts on; the first is the
    header. ``encoding`` is the one the file was read with."""

    rows: list[tuple[int, list[str]]]
    encoding: str
    sep: str


def read_csv_rows(path: str | Path, max_rows: int = MAX_CAPACITY) -> CsvRows:
    """Read, decode and split a CSV file. Raises :class:`CsvUnreadable` when
    the file cannot be read (not a regular file, over ``MAX_INPUT_BYTES``),
    has no known encoding, holds more than ``max_rows`` rows after its
    header, holds no value, or the csv module gives up (a cell over its size
    limit)."""
    try:
        data = read_input(path)
    except UnreadableInput as exc:
        raise CsvUnreadable(exc.message) from None
    try:
        text, encoding = decode(data)
    except MixedEncoding as exc:
        raise CsvUnreadable(
            "octet qui n'est pas de l'UTF-8 dans un fichier UTF-8 (encodages mélangés) : corrigez la ligne "
            "ou enregistrez le fichier en « CSV UTF-8 »",
            exc.line,
        ) from None
    except UnicodeDecodeError:
        raise CsvUnreadable("encodage non reconnu : enregistrez le fichier en « CSV UTF-8 »") from None
    # One newline convention, so that line numbers count the way editors do;
    # a BOM starting a line is two files put end to end, never data.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n\ufeff", "\n")
    header_text = next((ln for ln in text.split("\n") if ln.strip()), "")
    sep = separator(header_text)
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
    start = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                if len(rows) > max_rows:  # the header plus max_rows rows already
                    raise CsvUnreadable(
                        f"plus de {count_text(max_rows)} lignes : au plus {count_text(max_rows)} "
                        "(limite des classeurs)",
                        start,
                    )
                rows.append((start, cells))
            start = reader.line_num + 1  # a quoted cell may span lines
    except csv.Error as exc:
        if "field larger" in str(exc):
            # The csv module stops at 131,072 characters; a spreadsheet cell holds 32,767.
            raise CsvUnreadable(
                f"valeur de plus de {count_text(csv.field_size_limit())} caractères : au plus "
                f"{count_text(MAX_CELL_TEXT)} (une cellule de tableur)",
                reader.line_num,
            ) from None
        raise CsvUnreadable(f"fichier CSV illisible : {exc}", reader.line_num) from None
    if not rows:
        raise CsvUnreadable("fichier vide")
    return CsvRows(rows, encoding, sep)
