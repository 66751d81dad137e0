"""What the gate returns: a workbook that passed, where to read it, and
what it holds that is never run or followed; and how the gate refuses one."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from workbook_engine.model.limits import MAX_PART_BYTES, MAX_SHEET_PART_BYTES, MAX_TEXT_RUN, size_text
from workbook_engine.model.problems import InputError, Problem

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


def refuse(path: str | Path, message: str) -> InputError:
    """The one-line French error naming the file."""
    return InputError([Problem("", "", None, message, source=str(path))])


@dataclass(frozen=True)
class SafeWorkbook:
    """A workbook that passed the gate: where to read it, and what it holds
    that is never run or followed."""

    path: Path
    data: bytes | None = field(default=None, repr=False)  # decrypted content; None: read ``path``
    encrypted: bool = False
    sheets: tuple[tuple[str, str], ...] = ()  # (sheet name, part)
    parts: int = 0
    uncompressed_bytes: int = 0
    cells: int = 0
    rows: int = 0
    macros: tuple[str, ...] = ()
    external_links: tuple[str, ...] = ()  # file names the workbook links to
    data_connections: bool = False
    # the decompressed parts by zip member name, when the gate kept them (``keep_parts``); else None
    contents: Mapping[str, bytes] | None = field(default=None, repr=False, compare=False)

    def open(self) -> BinaryIO:
        """The zip, as a binary file (the decrypted bytes when encrypted),
        named after the file so that messages about it name the file."""
        if self.data is None:
            return open(self.path, "rb")
        fh = io.BytesIO(self.data)
        fh.name = str(self.path)
        return fh

    @contextmanager
    def zip(self) -> Iterator[zipfile.ZipFile]:
        with self.open() as fh, zipfile.ZipFile(fh) as zf:
            yield zf

    @contextmanager
    def open_part(self, name: str) -> Iterator[io.RawIOBase]:
        """A part as a stream that never yields more than its cap."""
        with self.zip() as zf, zf.open(name) as raw:
            cap = MAX_SHEET_PART_BYTES if name in {p for _s, p in self.sheets} else MAX_PART_BYTES
            yield _Capped(raw, cap, self.path, name)

    def notes(self) -> list[str]:
        """What was found and deliberately left alone (French)."""
        out = []
        if self.macros:
            out.append(
                f"macros ({', '.join(self.macros)}) : jamais exécutées ; workbook-engine ne lit que les "
                "valeurs et les formules"
            )
        if self.external_links:
            out.append(
                "liaison(s) vers d'autres classeurs ("
                + ", ".join(f"« {t} »" for t in self.external_links)
                + ") : jamais ouvertes ni suivies ; seules les valeurs enregistrées dans ce classeur comptent"
            )
        if self.data_connections:
            out.append("connexions à des données externes : jamais actualisées")
        return out

    def warnings(self) -> list[Problem]:
        return [Problem("", "", None, n, "warning", str(self.path)) for n in self.notes()]


class _Capped(io.RawIOBase):
    """A read-only stream that refuses to go past ``cap`` bytes."""

    def __init__(self, raw: IO[bytes], cap: int, path: Path, name: str):
        self.raw, self.cap, self.path, self.name, self.seen = raw, cap, path, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            data = self.raw.read(min(len(view), self.cap + 1 - self.seen))
            self.seen += len(data)
            if self.seen > self.cap:
                raise refuse(self.path, f"partie « {self.name} » plus grande que {size_text(self.cap)} : refusée")
            view[: len(data)] = data
            return len(data)


class TagCutter:
    """Streams an XML part's chunks as pieces that end before their last
    "<" (a tag may straddle two chunks: it is counted with the next one),
    refusing any text run between two tags longer than ``MAX_TEXT_RUN``
    (``too_long`` gives the refusal). What follows the last "<" of the part
    is ``tail`` once the chunks are done."""

    def __init__(self, too_long: Callable[[], InputError]):
        self.too_long = too_long
        self.run = 0
        self.carry = b""

    def feed(self, chunk: bytes) -> bytes:
        lt = chunk.find(b"<")
        if self.run + (len(chunk) if lt < 0 else lt) > MAX_TEXT_RUN:
            raise self.too_long()
        self.run = self.run + len(chunk) if lt < 0 else len(chunk) - chunk.rfind(b"<") - 1
        data = self.carry + chunk
        cut = data.rfind(b"<")
        data, self.carry = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
        return data

    @property
    def tail(self) -> bytes:
        """The part's last tag, closed by a space so that it counts; empty
        when nothing is left."""
        return self.carry + b" " if self.carry else b""
