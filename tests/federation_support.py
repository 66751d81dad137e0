"""Shared by the federation tests: the command line, run in process."""

from __future__ import annotations

from workbook_engine.cli import main


def run_cli(argv: list[str]) -> int:
    """``workbook-engine`` (exit codes, French errors), in process."""
    return main(argv)
