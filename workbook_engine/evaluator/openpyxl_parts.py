"""Two self-contained modules of openpyxl (the formula tokenizer, the date
serial helpers), loaded without openpyxl's package ``__init__``.

``import openpyxl.formula.tokenizer`` first runs ``openpyxl/__init__``,
which imports the whole library (workbook, styles, writer: ~0.2-0.4 s),
while ``check`` only needs these two files (each imports only the standard
library). When openpyxl is already imported, its own modules are used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def openpyxl_part(name: str) -> ModuleType:
    """``openpyxl.<name>`` (e.g. "formula.tokenizer"), loaded alone."""
    full = f"openpyxl.{name}"
    if "openpyxl" in sys.modules:
        return importlib.import_module(full)
    own = f"workbook_engine.evaluator._openpyxl_{name.replace('.', '_')}"
    if own in sys.modules:
        return sys.modules[own]
    package = importlib.util.find_spec("openpyxl")  # finds, does not run, the package
    if package is None or not package.submodule_search_locations:
        return importlib.import_module(full)
    path = Path(next(iter(package.submodule_search_locations)), *name.split(".")).with_suffix(".py")
    spec = importlib.util.spec_from_file_location(own, path)
    if spec is None or spec.loader is None:
        return importlib.import_module(full)
    module = importlib.util.module_from_spec(spec)
    sys.modules[own] = module
    spec.loader.exec_module(module)
    return module
