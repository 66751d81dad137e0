"""Recalculate workbooks with LibreOffice headless: our stand-in for the
bursar's familiar spreadsheet application.

LibreOffice does not recalculate OOXML on load by default; a private user
profile whose settings set ``OOXMLRecalcMode`` to 0 ("always") makes
``soffice --convert-to xlsx`` recalculate every formula before saving. The
profile may also set a locale (fr-FR, en-US): it decides how the
spreadsheet converts numbers typed as text. ``tests/libreoffice_uno.py``
drives LibreOffice through UNO for edits; this is the plain conversion.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
{locale}</oor:items>
"""
_LOCALE = """<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>{tag}</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse"><value>{tag}</value></prop></item>
"""
FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "ods": "ods", "pdf": "pdf:calc_pdf_Export"}


def soffice() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculate(
    paths: list[Path] | Path, out_dir: Path, timeout: float = 600, *, fmt: str = "xlsx", locale: str | None = None
) -> list[Path]:
    """Open each workbook in LibreOffice, recalculate everything, save it as
    ``fmt`` (xlsx, ods, or pdf: every sheet printed as its print set-up says) into ``out_dir`` (same file names); returns the
    saved paths. ``locale`` ("fr-FR", "en-US"): the profile's, else the
    machine's."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    paths = [paths] if isinstance(paths, Path) else list(paths)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        settings = _SETTINGS.format(locale=_LOCALE.format(tag=locale) if locale else "")
        (user / "registrymodifications.xcu").write_text(settings, encoding="utf-8")
        cmd = [
            exe,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--convert-to",
            FILTERS[fmt],
            "--outdir",
            str(out_dir),
        ]
        done = subprocess.run(cmd + [str(p) for p in paths], capture_output=True, text=True, timeout=timeout)
    outs = [out_dir / f"{p.stem}.{fmt}" for p in paths]
    missing = [o for o in outs if not o.exists()]
    if done.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return outs
