"""Encrypted workbooks and other OLE2 compound files.

Excel's "encrypt with password" stores the workbook in an OLE2 compound file
(EncryptionInfo + EncryptedPackage streams). With the password it is
decrypted in memory with msoffcrypto-tool, after vetting what msoffcrypto
would trust: the agile encryption XML (parsed with minidom there: DOCTYPEs
refused here first) and its spin count (hash rounds: Excel uses 100,000).
An OLE2 file without those streams is an old binary .xls (or another Office
document): refused.
"""

from __future__ import annotations

import io
import re
import struct
from typing import BinaryIO

from workbook_engine.safety.safe_xml import parse_xml, xml_prolog_problem

MAX_SPIN_COUNT = 1_000_000
MAX_INFO_BYTES = 1 << 20  # the EncryptionInfo stream: ~1.5 kB in practice
MAX_PROLOG = 64 << 10


class Unreadable(ValueError):
    """The file cannot be used (French message, without the file name)."""


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__} : {text[:200]}" if text else type(exc).__name__


def decrypt_ole(fh: BinaryIO, password: str | None) -> bytes:
    """The decrypted workbook of an encrypted OLE2 file; refuses an old .xls
    and anything else stored in OLE2."""
    import msoffcrypto
    import olefile

    fh.seek(0)
    try:
        ole = olefile.OleFileIO(fh)
        streams = {"/".join(s) for s in ole.listdir(streams=True, storages=False)}
    except Exception:  # noqa: BLE001 - any failure: a damaged file
        raise Unreadable("fichier Office ancien format (OLE2) endommagé ou illisible") from None
    if "EncryptionInfo" not in streams or "EncryptedPackage" not in streams:
        ole.close()
        if {"Workbook", "Book"} & streams:
            raise Unreadable(
                "ancien classeur Excel 97-2003 (.xls), non pris en charge : ouvrez-le dans Excel ou "
                "LibreOffice et enregistrez-le au format .xlsx"
            )
        raise Unreadable("document Office ancien format (OLE2) qui n'est pas un classeur .xlsx")
    try:
        info = ole.openstream("EncryptionInfo").read() if ole.get_size("EncryptionInfo") <= MAX_INFO_BYTES else b""
    except Exception:  # noqa: BLE001
        info = b""
    finally:
        ole.close()
    if password is None:
        raise Unreadable(
            "classeur protégé par un mot de passe (chiffré) : relancez la commande avec "
            "--password MOT_DE_PASSE pour le déchiffrer"
        )
    problem = _encryption_info_problem(info)
    if problem:
        raise Unreadable(f"classeur chiffré illisible : {problem}")
    fh.seek(0)
    try:
        office = msoffcrypto.OfficeFile(fh)
        office.load_key(password=password, verify_password=True)
        out = io.BytesIO()
        office.decrypt(out)
    except msoffcrypto.exceptions.InvalidKeyError:
        raise Unreadable("mot de passe incorrect : le classeur chiffré n'a pas pu être déchiffré") from None
    except Exception as exc:  # noqa: BLE001 - unsupported or damaged encryption
        raise Unreadable(f"classeur chiffré illisible ({one_line(exc)})") from None
    return out.getvalue()


_SPIN = re.compile(rb"""spinCount\s*=\s*["'](\d+)["']""")


def _encryption_info_problem(info: bytes) -> str | None:
    """msoffcrypto parses the agile encryption XML with minidom and derives
    the key with ``spinCount`` hash rounds: vet both first."""
    if len(info) < 8:
        return "description du chiffrement absente, tronquée ou démesurée"
    major, minor = struct.unpack("<HH", info[:4])
    if (major, minor) != (4, 4):
        return None  # standard encryption: fixed binary header, 50,000 rounds
    xml = info[8:]
    problem = xml_prolog_problem(xml[:MAX_PROLOG], len(xml) <= MAX_PROLOG)
    if problem:
        return problem
    try:
        parse_xml(xml)
    except Exception as exc:  # noqa: BLE001
        return f"description du chiffrement invalide ({one_line(exc)})"
    spins = [int(s) for s in _SPIN.findall(xml)]
    if any(s > MAX_SPIN_COUNT for s in spins):
        rounds = f"{max(spins):,}".replace(",", " ")
        return f"nombre d'itérations du mot de passe démesuré ({rounds}) : refusé"
    return None
