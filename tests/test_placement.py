"""Finding the layout through the workbook's names (placement) and rewriting
the layout's formulas as a spreadsheet rewrites them after an edit (moves).

The edits here are simulated on the names alone, as a spreadsheet leaves
them; ``test_bursar_edits.py`` makes the same edits in real LibreOffice."""

from __future__ import annotations

import pytest

from workbook_engine.workbook.layout import SHEET_FAMILIES, Block, build_layout, stamp_text
from workbook_engine.workbook.moves import AxisMap, Moves, translate
from workbook_engine.workbook.placement import (
    MAX_CAPACITY,
    NotOurWorkbook,
    parse_area,
    place_layout,
    read_stamp,
)

LAYOUT = build_layout(3, 10, 40)


def names_of(layout, edit=lambda name, block: block) -> dict[str, str]:
    """The workbook's names after an edit: ``edit(name, block)`` gives the
    block a name points at now (None: broken, #REF!)."""
    out = {"WE_MODELE": f'"{layout.stamp}"'}
    for name, block in layout.blocks.items():
        moved = edit(name, block)
        out[name] = "#REF!" if moved is None else moved.absolute
    return out


def place(names, sheets=None, formulas=None, headers=None):
    sheets = sheets or [
        "Mode d'emploi",
        "Paramètres",
        "Grille 1",
        "Grille 2",
        "Grille 3",
        "Familles",
        "Synthèse",
        "Barème",
    ]
    return place_layout(
        names, sheets, lambda s, r, c: (formulas or {}).get((s, r, c)), lambda s, r, c: (headers or {}).get((s, r, c))
    )


# -- moves: one formula rewritten -----------------------------------------------


def moves_with(sheet: str, rows: dict | None = None, cols: dict | None = None, rename: dict | None = None) -> Moves:
    m = Moves(sheets=dict(rename or {}))
    if rows is not None:
        m.rows[sheet] = AxisMap(dict(rows))
    if cols is not None:
        m.cols[sheet] = AxisMap(dict(cols))
    return m


@pytest.mark.parametrize(
    "formula, moves, expected",
    [
        # a column inserted before B: B and everything right of it move one column
        ('IF(A4="","",B4+C4)', moves_with("Familles", cols={0: 0, 1: 2}), 'IF(A4="","",C4+D4)'),
        # the family row placeholder stays a placeholder
        ('IF(A{r}="","",B{r})', moves_with("Familles", cols={0: 0, 1: 2}), 'IF(A{r}="","",C{r})'),
        # a deleted column: its reference becomes #REF!
        ("B4+IF(X,D4,0)", moves_with("Familles", cols={1: 1, 3: None, 4: 3}), "B4+IF(X,#REF!,0)"),
        # a range loses its deleted last row and shrinks
        ("SUM($A$4:$A$43)", moves_with("Familles", rows={3: 3, 42: None}), "SUM($A$4:$A$42)"),
        # a renamed sheet is quoted as a spreadsheet quotes it
        ("'Grille 1'!$B$8:$B$17", moves_with("Grille 1", rename={"Grille 1": "École"}), "École!$B$8:$B$17"),
        ("'Grille 1'!$B$3", moves_with("Grille 1", rename={"Grille 1": "L'École"}), "'L''École'!$B$3"),
        # text literals and function names are never references
        # (columns no name locates move with the nearest one left of them)
        (
            'IF(TRIM(I4)="B4","A1",COUNTIFS(E8:E17,1))',
            moves_with("Familles", cols={1: 5}),
            'IF(TRIM(M4)="B4","A1",COUNTIFS(I8:I17,1))',
        ),
    ],
)
def test_translate_follows_the_spreadsheet(formula, moves, expected):
    sheet = "Grille 1" if "Grille" in formula else "Familles"
    assert translate(formula, sheet, moves) == expected


def test_an_axis_moves_unknown_rows_with_the_anchor_above():
    m = AxisMap({2: 2, 9: None, 12: 11})
    assert [m(i) for i in (0, 2, 5, 9, 10, 12, 20)] == [0, 2, 5, None, 9, 11, 19]
    assert m.span(8, 10) == (8, 9) and m.span(9, 9) is None
    below = AxisMap({3: None, 6: 5})  # nothing known above row 2: it moves like row 6, less the deletion
    assert below(2) == 2 and below(4) == 3


# -- names and the stamp ----------------------------------------------------------


@pytest.mark.parametrize(
    "text, block",
    [
        ("Familles!$A$4:$A$403", Block("Familles", 3, 0, 402, 0)),
        ("'Grille 1'!$B$3", Block("Grille 1", 2, 1, 2, 1)),
        ("'L''École'!$B$3:$C$4", Block("L'École", 2, 1, 3, 2)),
        ("Familles!#REF!", None),
        ("#REF!", None),
        ('"text"', None),
        ("Familles!$A$0", None),
        ("A" * 400, None),
    ],
)
def test_parse_area(text, block):
    assert parse_area(text) == block


@pytest.mark.parametrize(
    "text, ok",
    [
        ('"workbook_engine/2/3/10/2000"', True),
        ("workbook_engine/2/3/10/2000", True),
        ('"workbook_engine/2/0/10/2000"', False),
        (f'"workbook_engine/2/3/10/{MAX_CAPACITY + 1}"', False),
        ('"other/2/3/10/2000"', False),
        ('"workbook_engine/2/3/10/' + "9" * 5000 + '"', False),
    ],
)
def test_the_stamp_is_read_strictly(text, ok):
    assert (read_stamp({"WE_MODELE": text}) is not None) == ok


# -- placement ----------------------------------------------------------------------


def test_an_untouched_workbook_is_where_the_layout_says():
    p = place(names_of(LAYOUT))
    assert p.edits == [] and p.stamp.capacity == 40
    assert p.layout.column["rfr_1"].col == LAYOUT.column["rfr_1"].col
    assert [c.ref for c in p.layout.params] == [c.ref for c in LAYOUT.params]


def test_a_column_inserted_in_familles_moves_every_column_right_of_it():
    rfr = LAYOUT.column["rfr_1"].col

    def insert(name, block):
        if block.sheet == SHEET_FAMILIES and block.c0 >= rfr:
            return Block(block.sheet, block.r0, block.c0 + 1, block.r1, block.c1 + 1)
        return block

    header_row = LAYOUT.first_row - 1
    p = place(names_of(LAYOUT, insert), headers={("Familles", header_row, rfr): "Nom (interne)"})
    assert p.layout.column["id"].col == 0 and p.layout.column["rfr_1"].col == rfr + 1
    assert p.layout.column["total_due"].col == LAYOUT.column["total_due"].col + 1
    inserted = [e for e in p.edits if e.kind == "column_inserted"]
    assert len(inserted) == 1 and inserted[0].col == rfr and inserted[0].label == "Nom (interne)"
    assert inserted[0].old == LAYOUT.column["rfr_1"].header
    # the income formula now reads the RFR one column further right
    assert "C{r}+D{r}" in p.layout.column["income"].template


def test_a_deleted_column_reads_blank_and_is_reported_once():
    caf = LAYOUT.column["caf_aid"].col

    def delete(name, block):
        if block.sheet != SHEET_FAMILIES:
            return block
        if block.c0 == caf:
            return None
        shift = 1 if block.c0 > caf else 0
        return Block(block.sheet, block.r0, block.c0 - shift, block.r1, block.c1 - shift)

    p = place(names_of(LAYOUT, delete))
    assert p.layout.column["caf_aid"].col < 0
    assert [e.kind for e in p.edits] == ["column_deleted"]
    assert "#REF!" in p.layout.column["income"].template


def test_a_renamed_sheet_is_followed():
    def rename(name, block):
        return Block("École", block.r0, block.c0, block.r1, block.c1) if block.sheet == "Grille 1" else block

    sheets = ["Mode d'emploi", "Paramètres", "École", "Grille 2", "Grille 3", "Familles", "Synthèse", "Barème"]
    p = place(names_of(LAYOUT, rename), sheets)
    assert p.layout.grids[0].sheet == "École" and p.layout.grids[0].name.ref.sheet == "École"
    assert [(e.kind, e.sheet, e.old) for e in p.edits] == [("sheet_renamed", "École", "Grille 1")]
    assert "École!" in p.layout.column["tranche_no_g1"].template


def test_deleted_family_rows_shrink_the_table():
    def delete(name, block):
        if block.sheet == SHEET_FAMILIES and block.rows > 1:
            return Block(block.sheet, block.r0, block.c0, block.r1 - 2, block.c1)
        return block

    p = place(names_of(LAYOUT, delete))
    assert p.layout.capacity == 38 and p.layout.first_row == LAYOUT.first_row
    assert [(e.kind, e.count) for e in p.edits] == [("rows_deleted", 2)]


def test_a_deleted_tranche_line_is_found_by_what_its_formulas_say():
    """Tranche lines differ by their tranche number: the line deleted is told
    apart from the others by the formulas left in the file."""
    gl = LAYOUT.grids[1]
    first = gl.slots[0].label.ref.row
    gone = 3  # 0-based: the 4th line

    def delete(name, block):
        if block.sheet != gl.sheet:
            return block
        if block.rows > 1:
            return Block(block.sheet, block.r0, block.c0, block.r1 - 1, block.c1)
        return Block(block.sheet, block.r0 - 1, block.c0, block.r1 - 1, block.c1) if block.r0 > first + gone else block

    formulas = {}
    for i, slot in enumerate(gl.slots):
        if i == gone:
            continue
        row = first + i - (1 if i > gone else 0)
        for attr in ("upper", "families", "pupils", "revenue"):
            cell = getattr(slot, attr)
            formulas[(gl.sheet, row, cell.ref.col)] = "=" + cell.formula
    p = place(names_of(LAYOUT, delete), formulas=formulas)
    assert [(e.kind, e.label) for e in p.edits] == [("rows_deleted", "tranche4")]
    assert [s.number for s in p.layout.grids[1].slots] == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    assert p.layout.grids[1].slots[3].families.ref.row == first + gone


def test_an_unstamped_workbook_of_the_first_release_is_read_as_version_1():
    old = build_layout(2, 10, 40, version=1)
    names = {n: v for n, v in names_of(old).items() if n in ("ID_FAMILLE", "FAMILLES_TRANCHE_G1", "DU_FAMILLE")}
    p = place(names, ["Paramètres", "Grille 1", "Grille 2", "Familles"])
    assert p.stamp is None and p.layout.version == 1 and p.layout.n_grids == 2
    assert [e.kind for e in p.edits if e.kind != "sheet_missing"] == ["no_stamp"]


def test_a_file_that_is_not_ours_or_lost_a_layout_sheet_is_refused():
    with pytest.raises(NotOurWorkbook):
        place({}, ["Feuil1"])
    names = names_of(LAYOUT)
    with pytest.raises(NotOurWorkbook, match="Familles"):
        place(names, ["Paramètres", "Grille 1", "Grille 2", "Grille 3"])


def test_the_stamp_text_round_trips():
    assert read_stamp({"we_modele": f'"{stamp_text(3, 12, 500)}"'}).n_slots == 12


def test_a_name_stretched_to_a_million_rows_is_not_trusted():
    """One edited name must not make every reader walk a million rows."""

    def stretch(name, block):
        return Block(block.sheet, block.r0, block.c0, 1_048_575, block.c1) if name == "ID_FAMILLE" else block

    p = place(names_of(LAYOUT, stretch))
    assert p.layout.capacity == LAYOUT.capacity
    assert [(e.kind, e.label) for e in p.edits] == [("name_broken", "ID_FAMILLE")]
