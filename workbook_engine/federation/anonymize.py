"""Pseudonymise a filled workbook before sharing it.

Each family id becomes ``F-`` + 10 base32 characters of HMAC-SHA256(key, id):
the same key and id give the same pseudonym in every file and every year, so
a federation can link a family's records without ever seeing its id; without
the key, a pseudonym cannot be traced back (nor guessed from a list of
likely ids). The key is the bursar's or federation's secret: never stored in
the workbook, never defaulted.

The workbook is regenerated from the scenario it holds (read, then written
afresh with the same number of family rows and tranche lines): every input
number and every result is kept; anything that is not a scenario input is
dropped: cell comments, notes typed beside the tables, extra sheets, hidden
content, the author and "last modified by" of the file's properties. The
structure name, the year and the grid names stay (they name the school, not
a family). Families are listed in pseudonym order, since the bursar's order
(often alphabetical) says something about names.

This is pseudonymisation, not anonymisation: incomes and household
compositions remain personal data under the GDPR.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from pathlib import Path

from workbook_engine.formats.files import refuse_overwrite
from workbook_engine.model.domain import Scenario
from workbook_engine.model.limits import MAX_ROWS
from workbook_engine.model.problems import InputError, Problem

KEY_ENV = "WORKBOOK_ENGINE_KEY"
MIN_KEY_LENGTH = 16  # bytes: a short key could be found by trying keys against a guessable id
MAX_SLOTS = 200  # tranche lines kept from the input's layout
PREFIX = "F-"
LENGTH = 10  # base32 characters: 50 bits, a collision once in ~10^6 files of 50,000 families (checked anyway)


def pseudonym(family_id: str, key: bytes) -> str:
    """The stable pseudonym of a family id under ``key``."""
    digest = hmac.new(key, family_id.encode("utf-8"), hashlib.sha256).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii")[:LENGTH]


def check_key(key: bytes) -> None:
    if len(key) < MIN_KEY_LENGTH:
        raise InputError(
            [
                Problem(
                    "",
                    "clé",
                    None,
                    f"clé trop courte ({len(key)} octet(s)) : {MIN_KEY_LENGTH} "
                    "caractères au moins, gardée secrète et la même d'une année sur "
                    "l'autre",
                )
            ]
        )


def pseudonymize(scenario: Scenario, key: bytes) -> Scenario:
    """The scenario with pseudonymous family ids, sorted by pseudonym."""
    check_key(key)
    renamed = {f.id: pseudonym(f.id, key) for f in scenario.families}
    if len(set(renamed.values())) < len(renamed):  # 50 bits: practically never; never silently
        raise InputError(
            [
                Problem(
                    "",
                    "id",
                    None,
                    "deux identifiants donnent le même pseudonyme avec cette clé : choisissez une autre clé",
                )
            ]
        )
    families = sorted((replace(f, id=renamed[f.id]) for f in scenario.families), key=lambda f: f.id)
    return replace(scenario, families=tuple(families))


def anonymize(in_path: str | Path, out_path: str | Path, key: bytes) -> int:
    """Write ``out_path``: the workbook ``in_path`` with pseudonymous family
    ids, numbers kept, free text dropped (see the module). Returns the number
    of families. Raises InputError when the workbook cannot be read whole, or
    ``out_path`` is the input."""
    # Here, not at the top: the command line reads KEY_ENV without loading the workbook's reader and writer.
    from workbook_engine.workbook.generate import generate_workbook
    from workbook_engine.workbook.reader import read_workbook

    in_path, out_path = Path(in_path), Path(out_path)
    check_key(key)
    refuse_overwrite(out_path, in_path, as_problem=True)
    read = read_workbook(in_path)
    if read.scenario is None:
        raise InputError(read.problems)
    # The input's shape (family rows, tranche lines), within what a real workbook needs.
    slots, capacity = min(read.layout.n_slots, MAX_SLOTS), min(read.layout.capacity, MAX_ROWS)
    generate_workbook(pseudonymize(read.scenario, key), out_path, slots=slots, capacity=capacity)
    return len(read.scenario.families)
