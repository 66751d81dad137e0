"""Reshape scenarios: keep some grids (split); later, merge several."""

from __future__ import annotations

from dataclasses import replace

from .domain import Scenario


def select_grids(s: Scenario, grids: list[int]) -> tuple[Scenario, int]:
    """The scenario restricted to ``grids`` (1-based, in that order); each
    family keeps its pupils there, and families left with none are dropped.
    Returns the scenario and the number of families dropped."""
    idx = [g - 1 for g in grids]
    kept, dropped = [], 0
    for f in s.families:
        pupils = tuple(f.pupils[i] for i in idx)
        if sum(pupils) == 0:
            dropped += 1
            continue
        kept.append(replace(f, pupils=pupils))
    return replace(s, grids=tuple(s.grids[i] for i in idx), families=tuple(kept)), dropped
