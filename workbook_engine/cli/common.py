"""What every command shares: the exit codes, JSON output, grid lists.

Exit codes: 0 ok, 1 findings (a check found inconsistencies, a reader
warned), 2 unusable input (a full disk too: the output named), 3 internal
error (a bug: please report it), 130 Ctrl-C, 143 SIGTERM. The
mapping of exceptions to them is ``main.main``'s, in one place.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import TextIO

from workbook_engine.model.french import CONTROL_PICTURES
from workbook_engine.model.problems import UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3


# Control characters a cell may hold (ESC, BEL, C1 codes) would act on the
# terminal: set its title, clear it. Shown as Unicode control pictures
# (␛, ␇) instead; tab, line feed and carriage return (progress bars) pass.
_CONTROL_PICTURES = {c: p for c, p in CONTROL_PICTURES.items() if chr(c) not in "\t\n\r"}


class ControlFree:
    """A text stream that never writes a control character as it is."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(text.translate(_CONTROL_PICTURES))

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextlib.contextmanager
def control_free_output() -> Iterator[None]:
    """stdout and stderr, for the time of a command, free of control
    characters (whatever text a file brought: messages, reports, JSON)."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ControlFree(out), ControlFree(err)
    try:
        yield
    finally:  # a stream a command replaced meanwhile (stdout to devnull on a broken pipe) stays
        if isinstance(sys.stdout, ControlFree):
            sys.stdout = out
        if isinstance(sys.stderr, ControlFree):
            sys.stderr = err


EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # the shell's codes for SIGINT and SIGTERM


class Terminated(BaseException):
    """SIGTERM, raised where the program is so that every ``finally`` runs
    (temporary files next to an output are removed) before it stops."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def terminate_cleanly() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C instead of killing the process where it
    stands (only kill -9 can still leave a temporary ``.~*`` file)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def print_json(data: object) -> None:
    # Never NaN or Infinity: they are not JSON (inputs are bounded; a bug then fails loudly).
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def parse_grid_list(text: str, n_grids: int) -> list[int]:
    try:
        grids = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--grids {text} : numéros de grilles séparés par des virgules attendus (ex. 1,2)") from None
    bad = [g for g in grids if not 1 <= g <= n_grids]
    if not grids or bad:
        raise UsageError(f"--grids {text} : le classeur a {n_grids} grille(s), numérotées de 1 à {n_grids}")
    return grids
