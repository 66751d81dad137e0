"""Excel's built-in number formats and the date-format test, as openpyxl
has them (``openpyxl.styles.numbers``, MIT licence), copied so that reading a
workbook does not import openpyxl's whole package (start-up; see
``openpyxl_parts``). ``tests/test_perf_startup.py`` checks they are the same.
"""

from __future__ import annotations

import re

BUILTIN_FORMATS: dict[int, str] = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)",
    38: "#,##0_);[Red](#,##0)",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)',
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
}

_LITERAL_GROUP = r'".*?"'  # anything in quotes
_LOCALE_GROUP = r"\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]"  # anything in square brackets, except hours or minutes or seconds
STRIP_RE = re.compile(f"{_LITERAL_GROUP}|{_LOCALE_GROUP}")


def is_date_format(fmt: str | None) -> bool:
    """Whether a number format shows a date or a time (openpyxl's rule)."""
    if fmt is None:
        return False
    fmt = fmt.split(";")[0]  # only look at the first format
    fmt = STRIP_RE.sub("", fmt)  # ignore some formats
    return re.search(r"(?<![_\\])[dmhysDMHYS]", fmt) is not None
