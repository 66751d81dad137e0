"""Family ids as a person reads them.

Two ids a bursar cannot tell apart on screen are one family typed twice,
not two families: ``F1`` and ``F1`` with a zero-width space, a fullwidth
``Ｆ１``, ``é`` typed as one character or as ``e`` plus an accent. Ids are
compared by their *key*: Unicode NFKC, invisible format characters
(zero-width spaces and joiners, a BOM, direction marks) removed, case kept.
An id holding an invisible or control character (a line break or a tab
shows, and stays), or longer than a spreadsheet cell, is refused outright (the spreadsheet would show another
id, or cut it into one equal to its neighbour's).
"""

from __future__ import annotations

import unicodedata

from workbook_engine.model.limits import MAX_CELL_TEXT, count_text

__all__ = ["id_key", "id_problem"]


def id_key(text: str) -> str:
    """What an id looks like on screen: NFKC, invisible characters dropped."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf").strip()


def describe(c: str) -> str:
    """A character named for a bursar (U+200B, ESPACE SANS CHASSE...)."""
    return f"U+{ord(c):04X}" + (f" ({unicodedata.name(c)})" if unicodedata.name(c, "") else "")


def id_problem(text: str) -> str | None:
    """Why an id cannot be kept as typed (French), or None."""
    if len(text) > MAX_CELL_TEXT:
        return (
            f"identifiant de {count_text(len(text))} caractères : au plus {count_text(MAX_CELL_TEXT)} "
            "(une cellule de tableur le couperait)"
        )
    hidden = next((c for c in text if unicodedata.category(c) in ("Cf", "Cc") and c not in "\t\n\r"), None)
    if hidden is not None:
        return f"identifiant contenant un caractère invisible ou de contrôle ({describe(hidden)}) : retapez-le"
    return None
