"""workbook_engine: the OGEC social-pricing model, in Python and in Excel.

The small API for scripts::

    import workbook_engine as we
    scenario = we.load_scenario("scenario.json", families_csv="familles.csv")
    results = we.simulate(scenario)
    results.families, results.grids, results.tranches   # pandas DataFrames
    results.to_json()                                    # the SPEC's results JSON
"""

__version__ = "0.1.0"

from workbook_engine.model.domain import CustomParts, Family, Grid, Scenario, Tranche
from workbook_engine.model.simulate import simulate
from workbook_engine.model.problems import InputError, Problem
from workbook_engine.model.results import Results
from workbook_engine.formats.scenario_json import dumps_scenario, scenario_from_dict, scenario_to_dict

__all__ = [
    "CustomParts", "Family", "Grid", "Scenario", "Tranche",
    "InputError", "Problem", "Results",
    "simulate", "scenario_from_dict", "scenario_to_dict", "dumps_scenario",
]
