"""Which part of an .xlsx package is the workbook: one rule for the safety
gate and every reader.

A package says it twice: the root relationships (``_rels/.rels``) name the
``officeDocument``, and ``[Content_Types].xml`` gives one part the
workbook's content type. Excel and LibreOffice follow the relationships,
openpyxl the content types. A file where the two disagree would let the
gate inspect one workbook while a reader reads another (a decoy holding a
harmless sheet in front of a million-row one): it is refused. The parts
come already parsed (each caller parses XML its own safe way); this module
only decides.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

WORKBOOK_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        "application/vnd.ms-excel.template.macroEnabled.main+xml",
    }
)
OFFICE_DOCUMENT = "/officeDocument"
DEFAULT_PART = "xl/workbook.xml"


class PackageMismatch(ValueError):
    """The package names no workbook part, or two: the French reason."""


def workbook_part(
    office_documents: Iterable[str], typed_parts: Iterable[tuple[str, str]], members: Collection[str]
) -> str:
    """The workbook part of a package.

    ``office_documents``: the targets of the root relationships of type
    officeDocument (resolved, without a leading "/"); ``typed_parts``: the
    content types' overrides as (part, content type); ``members``: the
    package's part names. Raises :class:`PackageMismatch`."""
    by_rels = sorted(set(office_documents))
    by_types = sorted({part.lstrip("/") for part, ctype in typed_parts if ctype.strip() in WORKBOOK_TYPES})
    if len(by_rels) > 1 or len(by_types) > 1:
        found = ", ".join(f"« {p[:60]} »" for p in sorted(set(by_rels + by_types))[:3])
        raise PackageMismatch(f"structure anormale : plusieurs parties se disent le classeur ({found}) : refusé")
    if by_rels and by_types and by_rels != by_types:
        raise PackageMismatch(
            f"structure anormale : les relations désignent « {by_rels[0][:60]} » comme classeur, les types de "
            f"contenu « {by_types[0][:60]} » : refusé (fichier piégé ou corrompu)"
        )
    part = (by_rels or by_types or [DEFAULT_PART])[0]
    if part not in members:
        raise PackageMismatch(f"partie classeur « {part[:60]} » absente : fichier incomplet")
    return part
