"""The house's rules, run with the tests so that CI (which runs exactly the
README's test command) enforces them: imports one way (import-linter's
contracts in pyproject.toml), lint (ruff) and types (mypy: strict on the
model, the evaluator and the formats, no error elsewhere)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)


def tool(name: str) -> str:
    """A tool of the test extras, beside this Python; a missing one fails
    (the README's test command installs them)."""
    exe = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert exe, f"{name} is missing: python3 -m pip install '.[test]'"
    return exe


def test_imports_point_down_only():
    done = run(tool("lint-imports"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_no_import_cycle():
    import grimp

    graph = grimp.build_graph("workbook_engine", exclude_type_checking_imports=True)
    cycles = sorted(
        {
            tuple(sorted((m, n)))
            for m in graph.modules
            for n in graph.find_modules_directly_imported_by(m)
            if graph.chain_exists(importer=n, imported=m)
        }
    )
    assert cycles == []


def test_lint_and_format():
    done = run(tool("ruff"), "check", "workbook_engine", "tests", "bench")
    assert done.returncode == 0, done.stdout[-4000:]
    done = run(tool("ruff"), "format", "--check", "workbook_engine", "tests", "bench")
    assert done.returncode == 0, done.stdout[-4000:]


@pytest.mark.slow
def test_types():
    done = run(tool("mypy"))
    assert done.returncode == 0, done.stdout[-6000:]


def test_the_package_is_typed_and_quiet():
    import logging

    import workbook_engine

    assert (ROOT / "workbook_engine" / "py.typed").exists()
    handlers = logging.getLogger("workbook_engine").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)
    assert workbook_engine.__version__
