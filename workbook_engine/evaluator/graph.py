"""Dependency order over column runs and single cells.

Each run reads rectangles (its formula's references over its rows); the runs
whose cells lie in those rectangles come first (topological order, found by
interval search per column, so a 2,000-row run is one node, not 2,000).

Special cases:

* a run that reads its own column only above each row (a running total)
  is evaluated row by row downwards ("asc"), only below ("desc") upwards;
* runs caught in a cycle are split into single cells and ordered again, so
  that formulas that only look circular at column level still evaluate;
* cells that really read themselves, directly or through others, are
  circular references: they get #REF! and are reported.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from workbook_engine.evaluator.parser import Dep
from workbook_engine.evaluator.runs import Run

VECTOR, ASC, DESC, CYCLE = "vector", "asc", "desc", "cycle"


@dataclass
class Step:
    run: Run
    mode: str  # VECTOR, ASC, DESC or CYCLE


class _Index:
    """Runs per (sheet, column), sorted by row, for interval queries."""

    def __init__(self, runs: list[Run]):
        by_col: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        for i, r in enumerate(runs):
            by_col.setdefault((r.sheet, r.col), []).append((r.r0, r.r1, i))
        self.cols: dict[int, list[int]] = {}
        self.starts: dict[tuple[int, int], list[int]] = {}
        self.ends: dict[tuple[int, int], list[int]] = {}
        self.ids: dict[tuple[int, int], list[int]] = {}
        for key, items in by_col.items():
            items.sort()
            self.starts[key] = [a for a, _, _ in items]
            self.ends[key] = [b for _, b, _ in items]
            self.ids[key] = [i for _, _, i in items]
            self.cols.setdefault(key[0], []).append(key[1])
        for cols in self.cols.values():
            cols.sort()

    def overlapping(self, sheet: int, c0: int, c1: int, r0: int, r1: int) -> Iterator[int]:
        cols = self.cols.get(sheet)
        if not cols:
            return
        lo = bisect.bisect_left(cols, c0)
        hi = bisect.bisect_right(cols, c1)
        for col in cols[lo:hi]:
            key = (sheet, col)
            j = bisect.bisect_left(self.ends[key], r0)
            i = bisect.bisect_right(self.starts[key], r1)
            if j < i:
                yield from self.ids[key][j:i]


def _self_mode(run: Run) -> str | None:
    """How a run reads its own cells: None (it does not), ASC (only rows
    above each cell), DESC (only rows below), CYCLE (each cell reads itself)
    or "mixed" (anything else: split into cells)."""
    modes = set()
    for d in run.form.deps:
        if d.sheet != run.sheet:
            continue
        c0, c1 = d.cols_for(run.col)
        if not (c0 <= run.col <= c1):
            continue
        lo, hi = d.rows_for(run.r0, run.r1)
        if hi < run.r0 or lo > run.r1:
            continue
        modes.add(_dep_mode(d, run))
    modes.discard(None)
    if not modes:
        return None
    if len(modes) == 1:
        return modes.pop()
    return "mixed"


def _dep_mode(d: Dep, run: Run) -> str | None:
    # rows read by cell r: between end0(r) and end1(r); each end is either a
    # fixed row A or r + offset.
    def end_minus_r(row_value: int, is_abs: bool, r: int) -> int:
        return (row_value - r) if is_abs else row_value

    rows = (run.r0, run.r1)
    # highest row read minus r, worst case over the run (extremes at its ends)
    hi_rel = max(max(end_minus_r(d.r0, d.r0_abs, r), end_minus_r(d.r1, d.r1_abs, r)) for r in rows)
    lo_rel = min(min(end_minus_r(d.r0, d.r0_abs, r), end_minus_r(d.r1, d.r1_abs, r)) for r in rows)
    if hi_rel < 0:
        return ASC
    if lo_rel > 0:
        return DESC
    # does every cell read itself?
    every = all(
        min(end_minus_r(d.r0, d.r0_abs, r), end_minus_r(d.r1, d.r1_abs, r))
        <= 0
        <= max(end_minus_r(d.r0, d.r0_abs, r), end_minus_r(d.r1, d.r1_abs, r))
        for r in rows
    )
    return CYCLE if every else "mixed"


def _explode(run: Run) -> list[Run]:
    return [Run(run.sheet, run.col, r, r, run.form) for r in range(run.r0, run.r1 + 1)]


def order(runs: list[Run]) -> list[Step]:
    """Evaluation steps in dependency order."""
    modes: dict[int, str] = {}
    work: list[Run] = []
    for run in runs:
        m = _self_mode(run) if run.size > 1 or run.form.deps else None
        if run.size == 1 and m is not None and m != CYCLE:
            m = CYCLE if _reads_itself(run) else None
        if m == "mixed":
            for cell in _explode(run):
                modes[id(cell)] = CYCLE if _reads_itself(cell) else VECTOR
                work.append(cell)
            continue
        modes[id(run)] = m or VECTOR
        work.append(run)
    steps, stuck = _toposort(work, modes)
    if not stuck:
        return steps
    # split the runs caught in cycles into cells and try again: formulas that
    # only look circular at column level then evaluate
    cyc = _cyclic(stuck, modes)
    again: list[Run] = []
    for run in work:
        if id(run) in cyc and run.size > 1 and modes.get(id(run)) != CYCLE:
            for cell in _explode(run):
                modes[id(cell)] = VECTOR
                again.append(cell)
        else:
            again.append(run)
    work = again
    steps, stuck = _toposort(work, modes)
    if not stuck:
        return steps
    # what is still stuck: real cycles (#REF!), then what reads them
    cyc = _cyclic(stuck, modes)
    for r in stuck:
        if id(r) in cyc:
            modes[id(r)] = CYCLE
    tail, still = _toposort(stuck, modes, ignore=cyc)
    return steps + tail + [Step(r, CYCLE) for r in still]


def _reads_itself(run: Run) -> bool:
    for d in run.form.deps:
        if d.sheet != run.sheet:
            continue
        c0, c1 = d.cols_for(run.col)
        lo, hi = d.rows_for(run.r0, run.r1)
        if c0 <= run.col <= c1 and lo <= run.r0 <= hi:
            return True
    return False


def _edges(work: list[Run], modes: dict[int, str]) -> list[list[int]]:
    """For each node, the nodes it reads."""
    index = _Index(work)
    reads: list[list[int]] = []
    for i, run in enumerate(work):
        got: set[int] = set()
        for d in run.form.deps:
            c0, c1 = d.cols_for(run.col)
            r0, r1 = d.rows_for(run.r0, run.r1)
            got.update(index.overlapping(d.sheet, c0, c1, r0, r1))
        got.discard(i)  # self-reads are handled by the run's mode
        reads.append(sorted(got))
    return reads


def _toposort(
    work: list[Run], modes: dict[int, str], ignore: AbstractSet[int] = frozenset()
) -> tuple[list[Step], list[Run]]:
    reads = _edges(work, modes)
    n = len(work)
    indeg = [0] * n
    users: list[list[int]] = [[] for _ in range(n)]
    for i, deps in enumerate(reads):
        for j in deps:
            if id(work[i]) in ignore:
                continue  # a cell on a cycle just gets #REF!
            indeg[i] += 1
            users[j].append(i)
    ready = [i for i in range(n) if indeg[i] == 0]
    ready.reverse()
    out: list[Step] = []
    while ready:
        i = ready.pop()
        run = work[i]
        out.append(Step(run, modes.get(id(run), VECTOR)))
        for k in users[i]:
            indeg[k] -= 1
            if indeg[k] == 0:
                ready.append(k)
    stuck = [work[i] for i in range(n) if indeg[i] > 0]
    return out, stuck


def _cyclic(stuck: list[Run], modes: dict[int, str]) -> set[int]:
    """ids of the nodes that lie on a cycle (strongly connected components
    of more than one node, or reading themselves), iterative Tarjan."""
    reads = _edges(stuck, modes)
    n = len(stuck)
    index = [-1] * n
    low = [0] * n
    on = [False] * n
    stack: list[int] = []
    counter = 0
    result: set[int] = set()
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            v, pi = work.pop()
            if pi == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on[v] = True
            recurse = False
            for k in range(pi, len(reads[v])):
                w = reads[v][k]
                if index[w] == -1:
                    work.append((v, k + 1))
                    work.append((w, 0))
                    recurse = True
                    break
                if on[w]:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on[w] = False
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or modes.get(id(stuck[v])) == CYCLE or _reads_itself(stuck[v]):
                    result.update(id(stuck[w]) for w in comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return result
