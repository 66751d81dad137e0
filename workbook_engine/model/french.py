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


# The control characters a workbook's text may carry (C0, DEL, C1: ESC, BEL,
# CSI...), which act on a terminal (set its title, clear it) and mean nothing
# on paper. One table for every output: each maps to its Unicode control
# picture (␛, ␇, ␡; C1 codes to U+FFFD). ``str.translate`` takes it as it
# is, or a copy that lets some characters through or drops them all.
CONTROL_PICTURES: dict[int, int] = (
    {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421} | {c: 0xFFFD for c in range(0x80, 0xA0)}
)
