"""workbook_engine: the OGEC social-pricing model, in Python and in Excel.

The small API for scripts::

    import workbook_engine as we
    scenario = we.load_scenario("scenario.json", families_csv="familles.csv")
    results = we.simulate(scenario)
    results.families, results.grids, results.tranches   # pandas DataFrames
    results.to_json()                                    # the SPEC's results JSON
    calc = we.evaluate_workbook("classeur.xlsx")         # any workbook's formulas, headlessly
    calc["Grille 1!B20"]                                 # a cell's value
"""

__version__ = "0.1.0"

import logging
from importlib import import_module
from typing import TYPE_CHECKING

# A library leaves logging to the application: without this, a record of ours
# would reach Python's last-resort handler and print to a bursar's terminal.
logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from workbook_engine.formats.scenario_json import dumps_scenario, scenario_from_dict, scenario_to_dict
    from workbook_engine.model.domain import CustomParts, Family, Grid, Scenario, Tranche
    from workbook_engine.model.problems import InputError, Problem
    from workbook_engine.model.results import Results
    from workbook_engine.model.simulate import simulate
    from workbook_engine.workbook.calc import evaluate_workbook

__all__ = [
    "CustomParts",
    "Family",
    "Grid",
    "Scenario",
    "Tranche",
    "InputError",
    "Problem",
    "Results",
    "simulate",
    "scenario_from_dict",
    "scenario_to_dict",
    "dumps_scenario",
    "evaluate_workbook",
]

# The public names are imported on first use (PEP 562): ``import workbook_engine``
# (every command does) must not pay for numpy and pandas.
_LAZY = {
    "CustomParts": "workbook_engine.model.domain",
    "Family": "workbook_engine.model.domain",
    "Grid": "workbook_engine.model.domain",
    "Scenario": "workbook_engine.model.domain",
    "Tranche": "workbook_engine.model.domain",
    "InputError": "workbook_engine.model.problems",
    "Problem": "workbook_engine.model.problems",
    "Results": "workbook_engine.model.results",
    "simulate": "workbook_engine.model.simulate",
    "scenario_from_dict": "workbook_engine.formats.scenario_json",
    "scenario_to_dict": "workbook_engine.formats.scenario_json",
    "dumps_scenario": "workbook_engine.formats.scenario_json",
    "evaluate_workbook": "workbook_engine.workbook.calc",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
