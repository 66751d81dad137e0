"""The output folder of a publication and its manifest.

``publish`` writes into a new or empty folder, or into the folder of a
previous publication: one that holds our manifest (``publication.json``)
and nothing the manifest does not list. Anything else there (the school's
own files) makes it refuse, so it never mixes with nor deletes a file it
did not write. Each file is written through ``formats.files.atomic_output``;
the manifest is written first (listing the old and new files) and last
(the new ones), so an interrupted run leaves a folder the next run still
recognises. Notices of families no longer published are removed at the end:
the folder never holds a stale notice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from workbook_engine.formats.files import atomic_output, refuse_overwrite
from workbook_engine.model.problems import UsageError

MANIFEST = "publication.json"
KIND = "workbook-engine publish"
NOTICES_DIR = "avis"


def safe_stem(fid: str, taken: set[str]) -> str:
    """A file name for a family id: letters, digits, ``-``, ``_`` and ``.``
    kept, anything else ``_``; ``-2``, ``-3``... when two ids meet (case
    ignored: Windows and macOS folders ignore it)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", fid).strip(".") or "famille"
    candidate, n = stem, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}"
    taken.add(candidate.lower())
    return candidate


def _previous_files(out: Path) -> list[str]:
    """The files of the previous publication in ``out`` ([] for a new or
    empty folder); UsageError when ``out`` holds anything else."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise UsageError(f"{out} : ce n'est pas un dossier ; indiquez un dossier de sortie (nouveau ou vide)")
    # ".~" files: a temporary file of formats.files left by a killed run.
    present = sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir() and not p.name.startswith(".~")
    )
    if not present:
        return []
    manifest = out / MANIFEST
    listed: list[str] = []
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("kind") == KIND and isinstance(data.get("files"), list):
                listed = [str(f) for f in data["files"]]
        except (ValueError, UnicodeDecodeError):
            listed = []
    if not listed:
        raise UsageError(
            f"{out} : ce dossier n'est pas vide et ne vient pas d'une publication précédente ; "
            "indiquez un dossier nouveau ou vide"
        )
    foreign = [p for p in present if p != MANIFEST and p not in listed]
    if foreign:
        more = f" et {len(foreign) - 1} autre(s)" if len(foreign) > 1 else ""
        raise UsageError(
            f"{out} : ce dossier contient des fichiers qui ne viennent pas de la publication précédente "
            f"({foreign[0]}{more}) ; indiquez un dossier nouveau ou vide"
        )
    return listed


class OutputFolder:
    """Where a publication writes: ``plan`` the files, then ``write`` each,
    then ``finish``."""

    def __init__(self, out: Path, inputs: list[Path]) -> None:
        self.out = out
        self.inputs = inputs
        self.previous = _previous_files(out)
        self.files: list[str] = []

    def plan(self, files: list[str]) -> None:
        for rel in files:
            refuse_overwrite(self.out / rel, *self.inputs)
        self.files = list(files)
        for folder in {(self.out / rel).parent for rel in files} | {self.out}:
            folder.mkdir(parents=True, exist_ok=True)
        self._manifest(sorted(set(self.previous) | set(files)))

    def write(self, rel: str, data: bytes) -> None:
        with atomic_output(self.out / rel) as tmp:
            tmp.write_bytes(data)

    def finish(self) -> list[str]:
        """Write the final manifest; remove the previous publication's files
        this one did not write again. Returns the removed files."""
        self._manifest(self.files)
        stale = [f for f in self.previous if f not in self.files and f != MANIFEST]
        for rel in stale:
            (self.out / rel).unlink(missing_ok=True)
        return stale

    def _manifest(self, files: list[str]) -> None:
        text = json.dumps({"kind": KIND, "version": 1, "files": files}, ensure_ascii=False, indent=1) + "\n"
        with atomic_output(self.out / MANIFEST) as tmp:
            tmp.write_text(text, encoding="utf-8")
