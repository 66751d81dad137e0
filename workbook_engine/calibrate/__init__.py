"""Calibration (issue 9): brackets and amounts that reach each grid's budget
target while asking every family a comparable effort, under the bursar's
constraints.

``core``: the method and the result types; ``solver``: the numerics;
``constraints``: the bursar's constraints; ``brackets``: new bounds and top
splits; ``report``: French text, report sheets, JSON. The ``calibrate``
command lives with the others, in ``cli.calibrate``.
"""

from workbook_engine.calibrate.constraints import CONSTRAINT_NAMES, GridConstraints
from workbook_engine.calibrate.core import BracketFigures, Calibration, CalibrationOptions, GridCalibration, calibrate
from workbook_engine.calibrate.report import calibration_json, calibration_sheets, format_calibration

__all__ = [
    "CONSTRAINT_NAMES",
    "BracketFigures",
    "Calibration",
    "CalibrationOptions",
    "GridCalibration",
    "GridConstraints",
    "calibrate",
    "calibration_json",
    "calibration_sheets",
    "format_calibration",
]
