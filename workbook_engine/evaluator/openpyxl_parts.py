"""Self-contained modules of openpyxl (the formula tokenizer, the date
serial helpers) and of XlsxWriter (``utility``: A1 references, sheet-name
quoting), loaded without their package's ``__init__``.

``import openpyxl.formula.tokenizer`` first runs ``openpyxl/__init__``,
which imports the whole library (workbook, styles, writer: ~0.2-0.4 s), and
``import xlsxwriter.utility`` the whole writer (~25 ms), while ``check``
only needs these files (each imports only the standard library, and
``utility`` XlsxWriter's ``color``). When the library is already imported,
its own modules are used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def openpyxl_part(name: str) -> ModuleType:
    """``openpyxl.<name>`` (e.g. "formula.tokenizer"), loaded alone."""
    return _part("openpyxl", name)


def xlsxwriter_utility() -> ModuleType:
    """``xlsxwriter.utility``, loaded alone. It imports ``xlsxwriter.color``
    by its full name: that name is lent, while it runs, to ``color`` loaded
    alone (a module found in ``sys.modules`` is imported without its package)."""
    if "xlsxwriter" in sys.modules or "workbook_engine.evaluator._xlsxwriter_utility" in sys.modules:
        return _part("xlsxwriter", "utility")
    color = _part("xlsxwriter", "color")
    lent = "xlsxwriter.color" not in sys.modules
    if lent:
        sys.modules["xlsxwriter.color"] = color
    try:
        return _part("xlsxwriter", "utility")
    finally:
        if lent:
            del sys.modules["xlsxwriter.color"]


def _part(library: str, name: str) -> ModuleType:
    full = f"{library}.{name}"
    if library in sys.modules:
        return importlib.import_module(full)
    own = f"workbook_engine.evaluator._{library}_{name.replace('.', '_')}"
    if own in sys.modules:
        return sys.modules[own]
    package = importlib.util.find_spec(library)  # finds, does not run, the package
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
