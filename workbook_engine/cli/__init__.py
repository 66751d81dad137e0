"""The ``workbook-engine`` command line: wiring only, no rules.

``main(argv)`` returns the exit code (tests run it in process); the exit
codes and the mapping of errors to them live in ``common``; one module per
group of commands.
"""

from workbook_engine.cli.main import entrypoint, main

__all__ = ["entrypoint", "main"]
