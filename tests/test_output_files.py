"""Outputs are written safely: never through a link, a pipe or a device,
and an output written again keeps its mode and owner."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from workbook_engine.cli import main
from workbook_engine.formats.files import write_text_atomic
from workbook_engine.model.problems import UsageError


def test_an_existing_output_keeps_its_mode_and_owner(tmp_path):
    out = tmp_path / "s.json"
    out.write_text("old")
    os.chmod(out, 0o600)
    if os.geteuid() == 0:
        os.chown(out, 1234, 1234)
    write_text_atomic(out, "new")
    st = out.stat()
    assert out.read_text() == "new" and stat.S_IMODE(st.st_mode) == 0o600
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (1234, 1234)


def test_a_new_output_gets_the_usual_rights(tmp_path):
    out = tmp_path / "s.json"
    write_text_atomic(out, "new")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("kind", ["fifo", "symlink", "folder"])
def test_an_output_that_is_not_a_regular_file_is_refused_and_kept(tmp_path, kind, capsys):
    target = tmp_path / "keep.txt"
    target.write_text("keep")
    out = tmp_path / "out.xlsx"
    if kind == "fifo":
        os.mkfifo(out)
    elif kind == "symlink":
        out.symlink_to(target)
    else:
        out.mkdir()
    with pytest.raises(UsageError, match="pas un fichier ordinaire"):
        write_text_atomic(out, "x")
    assert main(["generate", "--grids", "1", "--capacity", "5", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and ".~" not in err  # the -o path, never the temporary file
    assert target.read_text() == "keep"
    assert {"fifo": stat.S_ISFIFO, "symlink": stat.S_ISLNK, "folder": stat.S_ISDIR}[kind](os.lstat(out).st_mode)
    assert [p.name for p in Path(tmp_path).iterdir() if p.name.startswith(".~")] == []
