"""Calibration (issue 9): brackets and amounts that reach each grid's budget
target while asking every family a comparable effort, under the bursar's
constraints.

``core``: the method and the result types; ``solver``: the numerics;
``constraints``: the bursar's constraints; ``brackets``: new bounds and top
splits; ``report``: French text, report sheets, JSON; ``command``: the
``calibrate`` command (``register(subparsers)``).
"""

from .command import register
from .constraints import CONSTRAINT_NAMES, GridConstraints
from .core import BracketFigures, Calibration, CalibrationOptions, GridCalibration, calibrate
from .report import calibration_json, calibration_sheets, format_calibration

__all__ = ["CONSTRAINT_NAMES", "BracketFigures", "Calibration", "CalibrationOptions", "GridCalibration",
           "GridConstraints", "calibrate", "calibration_json", "calibration_sheets", "format_calibration",
           "register"]
