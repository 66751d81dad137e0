"""workbook_engine: the OGEC social-pricing model, in Python and in Excel.

The small API for scripts::

    import workbook_engine as we
    scenario = we.load_scenario("scenario.json", families_csv="familles.csv")
    results = we.simulate(scenario)
    results.families, results.grids, results.tranches   # pandas DataFrames
    results.to_json()                                    # the SPEC's results JSON
"""

__version__ = "0.1.0"

from .domain import CustomParts, Family, Grid, Scenario, Tranche
from .model import simulate
from .problems import InputError, Problem
from .results import Results
from .scenario_json import dumps_scenario, scenario_from_dict, scenario_to_dict

__all__ = [
    "CustomParts", "Family", "Grid", "Scenario", "Tranche",
    "InputError", "Problem", "Results",
    "simulate", "scenario_from_dict", "scenario_to_dict", "dumps_scenario",
]
