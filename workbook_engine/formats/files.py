"""Writing files safely: through a temporary file in the same folder, then an
atomic rename, so an interrupted run never leaves a half-written file."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces
    ``path`` at once, on failure it is removed. An existing output keeps its
    mode and owner (a family workbook kept private stays private); an output
    that is not a regular file (a link, a pipe, a device, a folder) is
    refused rather than replaced: as root, ``-o /dev/null`` must not replace
    /dev/null."""
    from workbook_engine.model.problems import UsageError

    path = Path(path)
    try:
        existing: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise UsageError(
            f"{path} : ce n'est pas un fichier ordinaire (lien, tube, périphérique ou dossier) : "
            "choisissez un autre nom de sortie"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=".~", suffix=path.suffix, dir=path.parent if str(path.parent) else ".")
    except OSError as exc:
        raise UsageError(write_failure(path, exc)) from None
    os.close(fd)
    try:
        try:
            yield Path(tmp)
        except Exception as exc:
            cause = os_error_of(exc)
            if cause is None:
                raise
            # Disk full, quota, a read-only or vanished folder: the output is
            # not written; the previous one, if any, is left as it was.
            quiet_zip_finaliser()
            raise UsageError(write_failure(path, cause)) from None
        if existing is None:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual rights
        else:
            os.chmod(tmp, stat.S_IMODE(existing.st_mode))
            with contextlib.suppress(PermissionError):  # only root may give a file to someone else
                os.chown(tmp, existing.st_uid, existing.st_gid)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class UnreadableInput(ValueError):
    """An input file refused before it is read: ``message`` in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_input(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of a text input (a families or schools CSV, a scenario
    JSON), bounded: a pipe, a device or a folder is refused before it is
    opened (``--families /dev/zero`` would read forever, a FIFO block), and
    so is a file over ``limit`` bytes (``MAX_INPUT_BYTES``), read no further
    than the limit. Raises :class:`UnreadableInput`."""
    from workbook_engine.model.limits import MAX_INPUT_BYTES, size_text

    limit = MAX_INPUT_BYTES if limit is None else limit
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableInput(
                "ce n'est pas un fichier ordinaire (tube, périphérique ou dossier) : donnez le chemin d'un fichier"
            )
        if st.st_size > limit:
            raise UnreadableInput(f"fichier de {size_text(st.st_size)} : au plus {size_text(limit)} accepté")
        # O_NONBLOCK: a file swapped for a pipe after the check still cannot block the run.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise UnreadableInput(f"fichier illisible : {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UnreadableInput(f"fichier de plus de {size_text(limit)} : au plus {size_text(limit)} accepté")
    return data


def os_error_of(exc: BaseException) -> OSError | None:
    """The OSError behind an exception: itself, or what a library wrapped
    (XlsxWriter raises its own ``FileCreateError(OSError)`` on a full disk)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError):
            return current
        inner = next((a for a in getattr(current, "args", ()) if isinstance(a, OSError)), None)
        if inner is not None:
            return inner
        current = current.__cause__ or current.__context__
    return None


def write_failure(path: Path, exc: OSError) -> str:
    """One French line naming the output (never the temporary file)."""
    reasons = {
        errno.ENOSPC: "disque plein",
        errno.EDQUOT: "quota de disque atteint",
        errno.EROFS: "disque en lecture seule",
        errno.EACCES: "accès refusé",
        errno.EPERM: "accès refusé",
        errno.ENOENT: "dossier absent",
        errno.EFBIG: "fichier trop grand pour ce disque",
    }
    reason = reasons.get(exc.errno or 0) or (exc.strerror or type(exc).__name__)
    return (
        f"{path} : écriture impossible ({reason}) : rien n'a été écrit ; "
        "libérez de la place ou choisissez un autre dossier"
    )


def quiet_zip_finaliser() -> None:
    """A zip writer that failed to close (disk full) tries again when it is
    collected and Python prints "Exception ignored in: ZipFile.__del__" with a
    traceback: the failure is already told in one line, so that second
    telling is silenced (other unraisable exceptions still show)."""
    previous = sys.unraisablehook
    if getattr(previous, "quiet_zip", False):
        return

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if isinstance(unraisable.exc_value, OSError) and "ZipFile" in getattr(unraisable.object, "__qualname__", ""):
            return
        previous(unraisable)

    hook.quiet_zip = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def refuse_overwrite(
    output: Path, *inputs: Path | None, instead: str = "un autre nom de sortie", as_problem: bool = False
) -> None:
    """Never write over an input file: refuse when ``output`` is one of
    ``inputs`` (the same file, by whatever path or link). ``instead`` says
    what to choose instead. A :class:`UsageError` by default (a command
    asked the impossible); with ``as_problem``, an :class:`InputError`
    holding one problem located at ``output``, for the library functions
    that report every refusal as a problem. Both exit with 2."""
    from workbook_engine.model.problems import InputError, Problem, UsageError

    if not output.exists() or not any(s is not None and s.exists() and output.samefile(s) for s in inputs):
        return
    message = f"refus d'écraser un fichier d'entrée ; choisissez {instead}"
    if as_problem:
        raise InputError([Problem("", "", None, message, source=str(output))])
    raise UsageError(f"{output} : {message}")


def workbook_paths(items: list[str]) -> list[Path]:
    """Files as given, folders expanded to the workbooks they hold (sorted;
    Excel's lock files and our temporary files left out; a sub-folder that
    cannot be listed is listed itself, to be reported)."""
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        paths += _workbooks_in(p) if p.is_dir() else [p]
    return paths


def _workbooks_in(folder: Path) -> list[Path]:
    """The workbooks under a folder, sorted. os.walk tells of a sub-folder it
    cannot list (rglob skips it in silence): that folder is listed itself,
    and the commands report it as unreadable instead of going on without
    its files."""
    found: list[Path] = []
    for here, _dirs, files in os.walk(folder, onerror=lambda e: found.append(Path(e.filename))):
        found.extend(
            Path(here) / f
            for f in files
            if Path(f).suffix.lower() in (".xlsx", ".xlsm", ".ods") and not f.startswith(("~$", ".~"))
        )
    return sorted(found)
