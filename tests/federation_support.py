"""Shared by the federation tests: the command line with ``batch`` and
``collect`` registered, as the lead wires them into ``cli.build_parser``."""

from __future__ import annotations

import argparse
from unittest import mock

from workbook_engine import cli
from workbook_engine.federation import register


def subparsers_of(parser: argparse.ArgumentParser):
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _parser() -> argparse.ArgumentParser:
    parser = _original_build_parser()
    sub = subparsers_of(parser)
    if "batch" not in sub.choices:  # not yet wired by cli.py itself
        register(sub)
    return parser


_original_build_parser = cli.build_parser


def run_cli(argv: list[str]) -> int:
    """``cli.main`` (exit codes, French errors) with the federation commands."""
    with mock.patch.object(cli, "build_parser", _parser):
        return cli.main(argv)
