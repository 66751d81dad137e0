"""Real LibreOffice, driven through UNO, for tests: the bursar's edits.

One ``soffice`` per test session (:func:`start_office`, behind the
``uno_office`` fixture of ``conftest.py``), with a private fr-FR profile
that recalculates every file on load. The UNO work happens in
``tests/uno_driver.py`` under the system Python (``/usr/bin/python3``, which
has Debian's ``python3-uno``; the test interpreter cannot import ``uno``);
see that file for the edit vocabulary and the dump format.

    result = edit_in_libreoffice(office, src, [{"op": "delete_rows", "sheet": "Familles", "row": 8}],
                                 out_dir, dump_names=["TOTAL_RECETTES"])
    result.xlsx, result.ods, result.names["TOTAL_RECETTES"]

:func:`edit_many` runs several jobs in one driver call (one connection; a
failed job raises only when its result is used).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
DRIVER = Path(__file__).with_name("uno_driver.py")

# The private profile: fr-FR locale (number parsing and display: "0,5"; the
# UI, hence error texts such as "#VALEUR !") and recalculation of every
# formula on load, .xlsx and .ods alike (as tests/libreoffice_recalc.py).
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>fr-FR</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse"><value>fr-FR</value></prop></item>
<item oor:path="/org.openoffice.Office.Linguistic/General"><prop oor:name="UILocale" oor:op="fuse"><value>fr-FR</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
# (ooLocale alone is reset to the system's UI language at start, LANG=C gives
# en-US; Linguistic/General/UILocale is what LibreOffice derives it from.)


class UnoUnavailable(RuntimeError):
    """soffice or the system Python's ``uno`` is missing."""


class UnoEditError(RuntimeError):
    """LibreOffice (or the driver) failed on a job."""


def missing_requirements() -> str | None:
    """Why real-LibreOffice edit tests cannot run here, or None."""
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        return "LibreOffice (soffice) is not installed: apt-get install -y libreoffice-calc-nogui"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} is missing (the UNO driver runs under the system Python with python3-uno)"
    done = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import uno: apt-get install -y python3-uno"
    return None


@dataclass
class Office:
    """A running soffice that accepts UNO connections on a private pipe."""

    process: subprocess.Popen
    connect: str
    profile: Path
    locale_probe: dict = field(default_factory=dict)

    def driver(self, args: list[str], stdin: str | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
        if self.process.poll() is not None:
            raise UnoEditError(f"soffice exited (status {self.process.returncode})")
        return subprocess.run(
            [SYSTEM_PYTHON, str(DRIVER), "--connect", self.connect, *args],
            input=stdin,
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.driver(["--terminate", "--wait", "5"], timeout=30)
                self.process.wait(timeout=20)
            except (subprocess.TimeoutExpired, UnoEditError, OSError):
                pass
        if self.process.poll() is None:
            # Our own process group (start_new_session): soffice's wrapper and soffice.bin.
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.profile, ignore_errors=True)


def start_office(timeout: float = 90) -> Office:
    """Start soffice headless with a private fr-FR profile; wait until it
    accepts connections and check that the locale took effect."""
    why = missing_requirements()
    if why:
        raise UnoUnavailable(why)
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    profile = Path(tempfile.mkdtemp(prefix="lo-uno-profile-"))
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(PROFILE_SETTINGS, encoding="utf-8")
    pipe = f"workbook_engine_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    office = Office(process, f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext", profile)
    try:
        done = office.driver(["--probe", "--wait", str(timeout)], timeout=timeout + 60)
        if done.returncode != 0:
            raise UnoEditError(f"soffice did not answer: {done.stderr.strip()}")
        office.locale_probe = json.loads(done.stdout)
        probe = office.locale_probe
        if probe.get("half") != "0,5" or probe.get("text_2_5_times_2") != 5.0:
            raise UnoEditError(f"the fr-FR profile did not take effect: {probe}")
    except BaseException:
        office.stop()
        raise
    return office


@dataclass
class EditJob:
    src: Path
    edits: list[dict]
    out_dir: Path
    stem: str | None = None
    formats: tuple[str, ...] = ("xlsx", "ods")
    dump_names: list[str] = field(default_factory=list)
    dump_ranges: list[str] = field(default_factory=list)
    reload: bool = False
    reprotect: bool = False

    def outputs(self) -> dict[str, Path]:
        stem = self.stem or self.src.stem + "_edited"
        return {fmt: self.out_dir / f"{stem}.{fmt}" for fmt in self.formats}

    def to_json(self) -> dict:
        return {
            "source": str(self.src.resolve()),
            "edits": self.edits,
            "outputs": {fmt: str(p.resolve()) for fmt, p in self.outputs().items()},
            "dump": {"names": list(self.dump_names), "ranges": list(self.dump_ranges)},
            "reload": self.reload,
            "reprotect": self.reprotect,
        }


@dataclass
class EditResult:
    """What LibreOffice did. ``names``/``ranges``: values after the edits and
    ``calculateAll()`` (see uno_driver.py for the value format);
    ``reloaded[fmt]``: the same dumped from the saved file reopened (and
    recalculated) by LibreOffice, when asked."""

    xlsx: Path | None
    ods: Path | None
    names: dict
    ranges: dict
    name_refs: dict
    sheets: list[str]
    reloaded: dict
    seconds: float
    unprotected: list[str]
    raw: dict

    def path(self, fmt: str) -> Path:
        p = getattr(self, fmt)
        assert p is not None, f"no .{fmt} was asked for"
        return p


@dataclass
class PendingResult:
    """A job's outcome: its result, or the error LibreOffice reported."""

    job: EditJob
    raw: dict

    def get(self) -> EditResult:
        if self.raw.get("error"):
            raise UnoEditError(self.raw["error"])
        r = self.raw
        outs = {fmt: Path(p) for fmt, p in r["outputs"].items()}
        return EditResult(
            outs.get("xlsx"),
            outs.get("ods"),
            r["names"],
            r["ranges"],
            r["name_refs"],
            r["sheets"],
            r["reloaded"],
            r["seconds"],
            r["unprotected"],
            r,
        )


def edit_many(office: Office, jobs: list[EditJob], timeout: float = 1800) -> list[PendingResult]:
    """Run jobs in one driver call; each result raises UnoEditError on ``get()``
    if its job failed."""
    for job in jobs:
        job.out_dir.mkdir(parents=True, exist_ok=True)
    spec = json.dumps({"jobs": [j.to_json() for j in jobs]}, ensure_ascii=False)
    done = office.driver([], stdin=spec, timeout=timeout)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise UnoEditError(f"uno_driver failed ({done.returncode}): {done.stderr.strip()}")
    results = json.loads(done.stdout)["results"]
    if len(results) != len(jobs):
        raise UnoEditError(f"uno_driver returned {len(results)} results for {len(jobs)} jobs")
    return [PendingResult(j, r) for j, r in zip(jobs, results)]


def edit_in_libreoffice(
    office: Office,
    src: Path,
    edits: list[dict],
    out_dir: Path,
    *,
    formats: tuple[str, ...] = ("xlsx", "ods"),
    dump_names: list[str] = (),
    dump_ranges: list[str] = (),
    stem: str | None = None,
    reload: bool = False,
    reprotect: bool = False,
) -> EditResult:
    """Open ``src`` in LibreOffice, apply ``edits``, recalculate, save in each
    format into ``out_dir`` and dump the named ranges / ranges asked for."""
    job = EditJob(
        Path(src),
        list(edits),
        Path(out_dir),
        stem,
        tuple(formats),
        list(dump_names),
        list(dump_ranges),
        reload,
        reprotect,
    )
    return edit_many(office, [job])[0].get()


# ---------------------------------------------------------------------------
# Reading the dumped values
# ---------------------------------------------------------------------------


def is_error(v) -> bool:
    return isinstance(v, dict) and "error" in v


def excel_value(v):
    """A dumped value as the engine's JSON writes a cell: errors as their
    Excel code ("#VALUE!"), everything else as it is."""
    return v["error"] if is_error(v) else v
