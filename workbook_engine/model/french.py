"""Figures as a French spreadsheet shows them, for messages and summaries:
1 234,50 €, +12,3 %, 1 : 3,00. A blank is "-"; what a workbook cell shows
instead of a number (#VALUE!, a text) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable

# A figure as the results JSON holds it: a number, the text a workbook cell
# shows instead (#VALUE!), or a blank.
Figure = float | str | None


def _shown(fmt: Callable[[float], str]) -> Callable[[Figure], str]:
    def show(x: Figure) -> str:
        if x is None:
            return "-"
        if isinstance(x, str) or isinstance(x, bool):
            return str(x)
        return fmt(x).replace(",", "\u202f").replace(".", ",")

    return show


eur = _shown(lambda x: f"{x:,.2f} €")
pct = _shown(lambda x: f"{x * 100:+.1f} %")
share = _shown(lambda x: f"{x * 100:.1f} %")
ratio = _shown(lambda x: f"1 : {x:.2f}")
