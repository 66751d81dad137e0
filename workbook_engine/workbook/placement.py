"""Find the layout in a workbook through its names, whatever the bursar did.

A workbook made by this engine describes itself: a stamp (``WE_MODELE``, a
defined name holding "workbook_engine/<version>/<grids>/<tranche lines>/
<family rows>") says which layout it was generated with, and a defined name
points at every input cell, every tranche column and every family column
(``layout.Layout.blocks``). Excel and LibreOffice keep names right through
inserted, deleted and moved rows and columns, sorts and sheet renames, so
``place_layout`` finds every cell where the bursar's edits put it:

1. the layout the file was generated with, from the stamp (or, for a file of
   the first release, without a stamp, from its sheets and the SPEC's names);
2. where each name points now (``Moves``: per sheet, where each row and
   column went, or that it was deleted);
3. that layout moved accordingly (``relocated``): cell addresses, family
   table, formulas rewritten as the spreadsheet rewrote them;
4. the edits themselves, each once, as ``StructureEdit`` (a sheet renamed,
   a column inserted, deleted or moved, lines deleted or inserted).

The reader, the checker, ``evaluate`` and ``collect`` then work from the
relocated layout: nothing reads a fixed address.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from workbook_engine.evaluator.refs import MAX_COL, MAX_ROW, col_index
from workbook_engine.model.limits import MAX_CAPACITY, MAX_GRIDS, MAX_SLOTS
from workbook_engine.workbook.layout import (
    DEFAULT_SLOTS,
    LAYOUT_ID,
    LAYOUT_VERSION,
    PREVIOUS_SLOT_ATTRS,
    SHEET_FAMILIES,
    SHEET_HELP,
    SHEET_PARAMS,
    SHEET_SCALE,
    SHEET_SUMMARY,
    SLOT_ATTRS,
    SLOT_COLUMN_NAMES,
    STAMP_NAME,
    Block,
    Cell,
    GridLayout,
    Layout,
    PreviousSlot,
    Ref,
    Slot,
    build_layout,
    grid_sheet,
)
from workbook_engine.workbook.moves import AxisMap, Moves, translate

# What a stamp may say: beyond the writer's limits it is no stamp of ours.
_STAMP = re.compile(r'"?' + LAYOUT_ID + r"/(\d{1,3})/(\d{1,3})/(\d{1,4})/(\d{1,6})\"?")
# A defined name's target: 'Sheet name'!$A$1:$B$2 or Sheet!$A$1 (bounded).
_AREA = re.compile(
    r"(?:'((?:[^']|''){1,100})'|([^'!:$\s]{1,100}))!\$?([A-Z]{1,3})\$?(\d{1,7})"
    r"(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?"
)
MAX_NAME_TEXT = 300
MARGIN = 1_000  # rows a stamp may claim beyond what the file holds (rows deleted at the end)
DELETED_ROW = -1  # a cell (or the column of a family field) that an edit deleted

EditKind = Literal[
    "sheet_renamed",
    "sheet_missing",
    "column_inserted",
    "column_deleted",
    "column_moved",
    "rows_inserted",
    "rows_deleted",
    "name_missing",
    "name_broken",
    "cells_shifted",
    "no_stamp",
]


@dataclass(frozen=True)
class Stamp:
    version: int
    n_grids: int
    n_slots: int
    capacity: int


@dataclass(frozen=True)
class StructureEdit:
    """One edit of the bursar's, found once. ``sheet`` is the sheet's name in
    the file; ``row``/``col`` (0-based, in the file) where it happened when
    that is known; ``label`` what was there (a column header, a name)."""

    kind: EditKind
    sheet: str
    row: int | None = None
    col: int | None = None
    count: int = 1
    label: str = ""
    old: str = ""  # the layout's name for a renamed sheet, or the neighbour of an inserted column


@dataclass
class Placement:
    stamp: Stamp | None
    generated: Layout  # the layout the file was generated with
    layout: Layout  # where its cells are now (deleted ones at DELETED_ROW)
    moves: Moves
    edits: list[StructureEdit] = field(default_factory=list)


class NotOurWorkbook(ValueError):
    """The file carries neither our stamp nor the layout's sheets and names."""


def read_stamp(names: dict[str, str]) -> Stamp | None:
    text = next((v for k, v in names.items() if k.upper() == STAMP_NAME), None)
    if text is None or len(text) > 100:
        return None
    m = _STAMP.fullmatch(text.strip().lstrip("="))
    if m is None:
        return None
    version, grids, slots, capacity = (int(x) for x in m.groups())
    if not (1 <= grids <= MAX_GRIDS and 1 <= slots <= MAX_SLOTS and 1 <= capacity <= MAX_CAPACITY):
        return None
    return Stamp(version, grids, slots, capacity)


def parse_area(text: str | None) -> Block | None:
    """The cells a defined name points at; None when it is broken (#REF!),
    a constant or anything else."""
    if not text or len(text) > MAX_NAME_TEXT or "#REF" in text.upper():
        return None
    m = _AREA.fullmatch(text.strip().lstrip("="))
    if m is None:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    c0, r0 = col_index(m.group(3)), int(m.group(4)) - 1
    c1 = col_index(m.group(5)) if m.group(5) else c0
    r1 = int(m.group(6)) - 1 if m.group(6) else r0
    if not (0 <= r0 <= r1 < MAX_ROW and 0 <= c0 <= c1 < MAX_COL):
        return None
    return Block(sheet, r0, c0, r1, c1)


# ---------------------------------------------------------------------------
# The generated layout
# ---------------------------------------------------------------------------


RowsHeld = Callable[[str], int]  # file sheet -> rows it really holds (its last row + 1; 0 when missing)


def generated_layout(
    names: dict[str, str], sheet_names: list[str], rows_held: RowsHeld | None = None
) -> tuple[Stamp | None, Layout]:
    """The layout the file was generated with: from its stamp, or for an
    unstamped file of the first release, from its grid sheets and names.
    Sizes read from names are capped by the rows the sheets really hold
    (``rows_held``) and by the writer's limits: a name stretched to a
    million rows costs nothing."""
    stamp = read_stamp(names)
    if stamp is not None:
        n_grids, n_slots, capacity = stamp.n_grids, stamp.n_slots, stamp.capacity
        if rows_held is not None:
            # A stamp claiming far more than the file holds (edited to 100
            # grids of 1,000 lines and 100,000 families in a 40 kB file) is
            # held to the file: each grid has its sheet, each line and family
            # row a row. Within MARGIN rows the stamp stands, so that rows
            # the bursar deleted at the end are still reported as deleted.
            held = max((rows_held(name) for name in sheet_names), default=0)
            n_grids = min(n_grids, max(1, len(sheet_names)))
            n_slots = n_slots if n_slots <= held + MARGIN else max(1, held)
            capacity = capacity if capacity <= held + MARGIN else max(1, held)
        return stamp, build_layout(n_grids, n_slots, capacity, min(stamp.version, LAYOUT_VERSION))
    n_grids = 0
    while grid_sheet(n_grids + 1) in sheet_names:
        n_grids += 1
    upper = {k.upper(): v for k, v in names.items()}
    if n_grids == 0 or "ID_FAMILLE" not in upper or SHEET_FAMILIES not in sheet_names:
        raise NotOurWorkbook(
            "ce classeur ne vient pas de workbook_engine (ni tampon « WE_MODELE », ni feuilles "
            "« Paramètres », « Grille 1 », « Familles ») : utilisez un classeur généré par "
            "workbook-engine generate"
        )
    slots = parse_area(upper.get("FAMILLES_TRANCHE_G1"))
    fams = parse_area(upper.get("ID_FAMILLE"))
    n_slots = min(slots.rows, MAX_SLOTS) if slots else DEFAULT_SLOTS
    capacity = min(fams.rows, MAX_CAPACITY) if fams else 1
    if rows_held is not None:
        if slots is not None:
            n_slots = max(1, min(n_slots, rows_held(slots.sheet) - slots.r0))
        if fams is not None:
            capacity = max(1, min(capacity, rows_held(fams.sheet) - fams.r0))
    return None, build_layout(n_grids, n_slots, capacity, version=1)


# ---------------------------------------------------------------------------
# Where the names point now
# ---------------------------------------------------------------------------

FormulaAt = Callable[[str, int, int], str | None]  # (file sheet, row, col) -> formula text or None


def find_moves(
    layout: Layout,
    names: dict[str, str],
    sheet_names: list[str],
    formula_at: FormulaAt,
    header_at: Callable[[str, int, int], object],
    stamped: bool = True,
) -> tuple[Moves, list[StructureEdit]]:
    """Where the layout's rows, columns and sheets went, and the edits that
    moved them. An unstamped workbook (first release) has only the SPEC's
    names: the others are not missed."""
    upper = {k.upper(): v for k, v in names.items()}
    # A name stretched past any real table (Familles!$A$4:$A$1048576) is not
    # trusted: sizes come from the stamp and from what the file holds.
    found: dict[str, Block | None] = {
        n: b if (b := parse_area(upper.get(n))) is not None and b.rows <= MAX_CAPACITY + 1 else None
        for n in layout.blocks
    }
    edits: list[StructureEdit] = []
    moves = Moves()

    # Sheets: where most of a sheet's names point now.
    by_sheet: dict[str, Counter[str]] = {}
    for name, block in layout.blocks.items():
        where = found[name]
        if where is not None:
            by_sheet.setdefault(block.sheet, Counter())[where.sheet] += 1
    present = set(sheet_names)
    for sheet in _layout_sheets(layout):
        votes = by_sheet.get(sheet)
        target = votes.most_common(1)[0][0] if votes else (sheet if sheet in present else None)
        if target is not None and target not in present:
            target = None
        moves.sheets[sheet] = target
        if target is None:
            edits.append(StructureEdit("sheet_missing", sheet))
        elif target != sheet:
            edits.append(StructureEdit("sheet_renamed", target, old=sheet))

    rows: dict[str, AxisMap] = {}
    cols: dict[str, AxisMap] = {}
    conflicts: set[str] = set()

    def learn(axis: dict[str, AxisMap], sheet: str, index: int, target: int | None) -> None:
        m = axis.setdefault(sheet, AxisMap())
        if index in m.known and m.known[index] != target:
            conflicts.add(sheet)
            return
        m.set(index, target)

    # Columns and single rows from every name whose block kept its shape.
    for name, block in layout.blocks.items():
        got = found[name]
        if got is None or moves.sheets.get(block.sheet) != got.sheet:
            continue
        width = block.c1 - block.c0
        if got.c1 - got.c0 == width:
            for i in range(width + 1):
                learn(cols, block.sheet, block.c0 + i, got.c0 + i)
        if block.rows == 1 and got.rows == 1:
            learn(rows, block.sheet, block.r0, got.r0)
    # Names that are broken (#REF!): a column range whose column no other
    # name locates lost its column; a single cell whose column is known lost
    # its row (a row deleted on Paramètres), else its column.
    for name, block in layout.blocks.items():
        if found[name] is not None or name not in upper or moves.sheets.get(block.sheet) is None:
            continue
        if "#REF" not in upper[name].upper():
            continue  # not a deletion: a name edited into nonsense (name_broken below)
        col_known = block.c0 in cols.get(block.sheet, AxisMap()).known
        if block.rows > 1 and not col_known:
            learn(cols, block.sheet, block.c0, None)
        elif block.rows == 1 and block.c0 == block.c1:
            if col_known:
                learn(rows, block.sheet, block.r0, None)
            else:
                learn(cols, block.sheet, block.c0, None)
    # Rows of the tables: the family table and each grid's tranche lines.
    _family_rows(layout, found, rows, edits, moves)
    for gl in layout.grids:
        _slot_rows(layout, gl, found, rows, edits, moves, formula_at)
    for block_name in ("SYNTHESE_GRILLES",) + tuple(f"BAREME_G{g.number}" for g in layout.grids):
        block, got = layout.blocks[block_name], found.get(block_name)
        if got is not None and got.rows == block.rows:
            for i in (0, block.rows - 1):
                learn(rows, block.sheet, block.r0 + i, got.r0 + i)
    moves.rows, moves.cols = rows, cols
    for sheet in sorted(conflicts):
        edits.append(StructureEdit("cells_shifted", moves.sheet(sheet) or sheet))
    for name in sorted(n for n in layout.blocks if n not in upper and stamped):
        edits.append(StructureEdit("name_missing", moves.sheet(layout.blocks[name].sheet) or "", label=name))
    # Present but pointing at no cells of ours (not a #REF! left by a deletion).
    for name in sorted(n for n in layout.blocks if n in upper and found[n] is None and "#REF" not in upper[n].upper()):
        edits.append(StructureEdit("name_broken", moves.sheet(layout.blocks[name].sheet) or "", label=name))
    edits += _column_edits(layout, moves, header_at)
    edits += _row_edits(layout, moves)
    edits += [
        StructureEdit("rows_deleted", moves.sheet(b.sheet) or b.sheet, label=n)
        for n, b in layout.blocks.items()
        if b.rows == 1 and n in upper and found[n] is None and rows.get(b.sheet, AxisMap()).known.get(b.r0, 0) is None
    ]
    return moves, edits


def _layout_sheets(layout: Layout) -> list[str]:
    return [SHEET_HELP, SHEET_PARAMS] + [g.sheet for g in layout.grids] + [SHEET_FAMILIES, SHEET_SUMMARY, SHEET_SCALE]


def _majority_block(blocks: list[Block | None]) -> Block | None:
    shapes = Counter((b.sheet, b.r0, b.r1) for b in blocks if b is not None)
    if not shapes:
        return None
    (sheet, r0, r1), _n = shapes.most_common(1)[0]
    return Block(sheet, r0, 0, r1, 0)


def _family_rows(
    layout: Layout, found: dict[str, Block | None], rows: dict[str, AxisMap], edits: list[StructureEdit], moves: Moves
) -> None:
    """Family rows are all alike: deleted rows are taken from the end of the
    table, inserted ones before its last row (which is where a range grows)."""
    got = _majority_block([found.get(c.name) for c in layout.columns if c.name])
    if got is None:
        return
    first, n = layout.first_row, layout.capacity
    m = rows.setdefault(SHEET_FAMILIES, AxisMap())
    m.set(first, got.r0)
    if got.rows < n:
        for i in range(got.rows, n):
            m.set(first + i, None)
        edits.append(StructureEdit("rows_deleted", got.sheet, count=n - got.rows, label="familles"))
    elif got.rows > n:
        m.set(first + n - 1, got.r1)
        edits.append(StructureEdit("rows_inserted", got.sheet, count=got.rows - n, label="familles"))
    else:
        m.set(first + n - 1, got.r1)


def _slot_rows(
    layout: Layout,
    gl: GridLayout,
    found: dict[str, Block | None],
    rows: dict[str, AxisMap],
    edits: list[StructureEdit],
    moves: Moves,
    formula_at: FormulaAt,
) -> None:
    """Tranche lines differ by their tranche number: align the lines the file
    has with the layout's by what their formulas say (references aside)."""
    names = [n.format(g=gl.number) for n in SLOT_COLUMN_NAMES.values()]
    got = _majority_block([found.get(n) for n in names])
    if got is None:
        return
    first = gl.slots[0].label.ref.row
    n = len(gl.slots)
    m = rows.setdefault(gl.sheet, AxisMap())
    if got.rows == n:
        m.set(first, got.r0)
        m.set(first + n - 1, got.r1)
        return
    sheet = got.sheet
    file_cols = [
        moves.col(gl.sheet, getattr(gl.slots[0], a).ref.col) for a in ("upper", "families", "pupils", "revenue")
    ]
    wanted = [
        tuple(_shape(getattr(s, a).formula) for a in ("upper", "families", "pupils", "revenue")) for s in gl.slots
    ]
    have = [
        tuple(_shape(formula_at(sheet, r, c) if c is not None else None) for c in file_cols)
        for r in range(got.r0, got.r1 + 1)
    ]
    matcher = difflib.SequenceMatcher(None, wanted, have, autojunk=False)
    for op, i0, i1, j0, j1 in matcher.get_opcodes():
        common = min(i1 - i0, j1 - j0) if op == "replace" else (i1 - i0 if op == "equal" else 0)
        for k in range(common):
            m.set(first + i0 + k, got.r0 + j0 + k)
        for k in range(i0 + common, i1):
            m.set(first + k, None)
            edits.append(StructureEdit("rows_deleted", sheet, count=1, label=f"tranche{k + 1}"))
        if j1 - j0 > common:
            edits.append(
                StructureEdit(
                    "rows_inserted", sheet, row=got.r0 + j0 + common, count=j1 - j0 - common, label="tranches"
                )
            )


# A sheet prefix is bounded (a sheet name has at most 31 characters): an
# unbounded one made the pattern quadratic on a run of letters.
_SHAPE_REF = re.compile(
    r"(?:'(?:[^']|''){1,62}'|[^\W\d][\w.]{0,30})?!?\$?[A-Z]{1,3}\$?\d{1,7}(?::\$?[A-Z]{1,3}\$?\d{1,7})?"
)


def _shape(formula: str | None) -> str:
    """A formula without its references: what a line's formula says whatever
    the rows and columns moved around it."""
    if not formula:
        return ""
    return _SHAPE_REF.sub("@", formula.lstrip("=").upper().replace(" ", "")[:2000])


def _column_edits(layout: Layout, moves: Moves, header_at: Callable[[str, int, int], object]) -> list[StructureEdit]:
    """Family columns deleted, inserted among the layout's, or moved."""
    edits: list[StructureEdit] = []
    sheet = moves.sheet(SHEET_FAMILIES)
    cmap = moves.cols.get(SHEET_FAMILIES)
    if sheet is None or cmap is None:
        return edits
    header_row = moves.row(SHEET_FAMILIES, layout.first_row - 1)
    placed = []
    for c in layout.columns:
        target = cmap(c.col)
        if target is None:
            edits.append(StructureEdit("column_deleted", sheet, label=c.header))
        else:
            placed.append((target, c))
    placed.sort(key=lambda t: t[0])
    # Moved: the columns out of the layout's order (outside the longest run
    # that kept it).
    order = [c.col for _t, c in placed]
    keep = set(_longest_increasing(order))
    for target, c in placed:
        if c.col not in keep:
            edits.append(StructureEdit("column_moved", sheet, col=target, label=c.header))
    # Inserted: file columns inside the table that hold no layout column.
    if placed:
        taken = {t for t, _c in placed}
        after = {t: c for t, c in placed}
        for col in range(placed[0][0], placed[-1][0] + 1):
            if col not in taken:
                right = next((after[t] for t in sorted(taken) if t > col), None)
                header = header_at(sheet, header_row, col) if header_row is not None else None
                edits.append(
                    StructureEdit(
                        "column_inserted",
                        sheet,
                        col=col,
                        label="" if header is None else str(header)[:60],
                        old=right.header if right else "",
                    )
                )
    return edits


def _longest_increasing(seq: list[int]) -> list[int]:
    """One longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(seq)
    for i, x in enumerate(seq):
        k = bisect.bisect_left(tails, x)
        if k == len(tails):
            tails.append(x)
            tail_idx.append(i)
        else:
            tails[k] = x
            tail_idx[k] = i
        prev[i] = tail_idx[k - 1] if k else -1
    out, i = [], tail_idx[-1] if tail_idx else -1
    while i >= 0:
        out.append(seq[i])
        i = prev[i]
    return out[::-1]


def _row_edits(layout: Layout, moves: Moves) -> list[StructureEdit]:
    """Rows inserted or deleted between two named cells outside the tables
    (Paramètres' blank separator rows, the summary blocks...); the tables'
    own lines are told by ``_family_rows`` and ``_slot_rows``."""
    tables = {gl.sheet: range(gl.slots[0].label.ref.row, gl.slots[-1].label.ref.row + 1) for gl in layout.grids}
    edits = []
    for sheet, m in moves.rows.items():
        if sheet == SHEET_FAMILIES:
            continue
        table = tables.get(sheet, range(0))
        anchors = sorted((k, v) for k, v in m.known.items() if v is not None)
        for (k0, v0), (k1, v1) in zip(anchors, anchors[1:]):
            if k0 in table and k1 in table:
                continue
            gap = (v1 - v0) - (k1 - k0)
            deleted_between = sum(1 for k in range(k0 + 1, k1) if m.known.get(k, 0) is None)
            gap += deleted_between
            target = moves.sheet(sheet) or sheet
            if gap > 0:
                edits.append(StructureEdit("rows_inserted", target, row=v0 + 1, count=gap))
            elif gap < 0:
                edits.append(StructureEdit("rows_deleted", target, row=v0 + 1, count=-gap))
    return edits


# ---------------------------------------------------------------------------
# The layout, moved
# ---------------------------------------------------------------------------


def relocate(layout: Layout, moves: Moves) -> Layout:
    """The layout with every cell where the file has it now and every formula
    as the spreadsheet rewrote it. A deleted cell gets row DELETED_ROW; a
    deleted tranche line is dropped; a deleted family column gets column
    DELETED_ROW (it reads blank)."""

    def ref(r: Ref) -> Ref:
        sheet, row, col = moves.sheet(r.sheet), moves.row(r.sheet, r.row), moves.col(r.sheet, r.col)
        if sheet is None or row is None or col is None:
            return Ref(r.sheet if sheet is None else sheet, DELETED_ROW, DELETED_ROW)
        return Ref(sheet, row, col)

    def cell(c: Cell) -> Cell:
        formula = None if c.formula is None else translate(c.formula, c.ref.sheet, moves)
        return replace(c, ref=ref(c.ref), formula=formula)

    grids = []
    for gl in layout.grids:
        slots = tuple(
            Slot(s.number, *(cell(getattr(s, a)) for a in SLOT_ATTRS))
            for s in gl.slots
            if moves.row(gl.sheet, s.label.ref.row) is not None
        )
        grids.append(
            replace(
                gl,
                sheet=moves.sheet(gl.sheet) or gl.sheet,
                name=cell(gl.name),
                old_tariff=cell(gl.old_tariff),
                budget_target=cell(gl.budget_target),
                slots=slots,
                previous=tuple(
                    PreviousSlot(p.number, *(cell(getattr(p, a)) for a in PREVIOUS_SLOT_ATTRS))
                    for p in gl.previous
                    if moves.row(gl.sheet, p.label.ref.row) is not None
                ),
                totals=tuple(cell(c) for c in gl.totals),
                summary=tuple(cell(c) for c in gl.summary),
                header_row=_or(moves.row(gl.sheet, gl.header_row), gl.header_row),
            )
        )
    fam = SHEET_FAMILIES
    span = moves.row_span(fam, layout.first_row, layout.last_row)
    first, last = span if span is not None else (layout.first_row, layout.first_row - 1)
    columns = []
    for c in layout.columns:
        col = moves.col(fam, c.col)
        template = None if c.template is None else translate(c.template, fam, moves)
        columns.append(replace(c, col=DELETED_ROW if col is None else col, template=template))
    return replace(
        layout,
        params=tuple(cell(c) for c in layout.params),
        grids=tuple(grids),
        columns=tuple(columns),
        first_row=first,
        capacity=max(last - first + 1, 0),
        summary=tuple(cell(c) for c in layout.summary),
        scale=tuple(cell(c) for c in layout.scale),
        family_headers=tuple(cell(c) for c in layout.family_headers),
        families_sheet=moves.sheet(fam) or fam,
        n_slots=max((len(g.slots) for g in grids), default=0),
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def place_layout(
    names: dict[str, str],
    sheet_names: list[str],
    formula_at: FormulaAt,
    header_at: Callable[[str, int, int], object],
    rows_held: RowsHeld | None = None,
) -> Placement:
    """Find the layout in a file (see the module docstring). ``formula_at``
    and ``header_at`` read the file's cells (file sheet names, 0-based);
    ``rows_held`` caps the sizes names claim (see ``generated_layout``)."""
    stamp, generated = generated_layout(names, sheet_names, rows_held)
    moves, edits = find_moves(generated, names, sheet_names, formula_at, header_at, stamp is not None)
    essential = {SHEET_PARAMS, SHEET_FAMILIES} | {g.sheet for g in generated.grids}
    lost = [e.sheet for e in edits if e.kind == "sheet_missing" and e.sheet in essential]
    if lost:
        raise NotOurWorkbook(
            "feuille(s) " + ", ".join(f"« {s} »" for s in lost) + " supprimée(s) : le classeur ne "
            "peut plus calculer les tarifs ; reprenez une version précédente du classeur"
        )
    if stamp is None:
        edits.insert(0, StructureEdit("no_stamp", SHEET_PARAMS))
    elif stamp.version > LAYOUT_VERSION:
        pass  # a newer release wrote it: read it as ours, the structure check will tell
    # The usual file (nothing moved) is read as generated: no formula to rewrite.
    layout = generated if moves.is_identity() else relocate(generated, moves)
    return Placement(stamp, generated, layout, moves, edits)
