"""The gate's counting shortcuts say exactly what the plain byte searches
they replace say: where the last cell tag of a chunk starts, and whether a
chunk holds prefixed tags (hypothesis, on chunks built from tag fragments)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workbook_engine.safety.gate import _PREFIXED, _last_cell

# Fragments of sheet XML, tricky ones included: "<c" followed by every kind
# of byte, <col>/<cfRule> (not cells), prefixed tags, truncated tags.
FRAGMENTS = [
    b"<c",
    b"<c ",
    b"<c>",
    b"<c/",
    b"<c\n",
    b"<c\t",
    b"<c\r",
    b"<col ",
    b"<cfRule ",
    b"<cx",
    b'<c r="A1">',
    b"<row ",
    b"<x:c ",
    b"<x:row>",
    b":c",
    b":r",
    b":ro",
    b":row",
    b"A1:C3",
    b"<v>1</v></c>",
    b"</row>",
    b" ",
    b"c",
    b"<",
    b":",
]
chunks = st.lists(st.sampled_from(FRAGMENTS), max_size=200).map(b"".join)


def _last_cell_plainly(data: bytes) -> int:
    return max(data.rfind(b"<c" + end) for end in (b" ", b">", b"/", b"\n", b"\t", b"\r"))


@given(chunks)
def test_last_cell_is_the_last_cell_tag(data: bytes) -> None:
    assert _last_cell(data) == _last_cell_plainly(data)


def test_last_cell_after_many_other_c_tags() -> None:
    """Past 64 tags that are no cells, the plain searches decide."""
    for before in (b"", b'<c r="A1"/>', b"<c\t"):
        for others in (63, 64, 65, 200):
            data = b"<row>" + before + b"<col/>" * others
            assert _last_cell(data) == _last_cell_plainly(data)
    assert _last_cell(b'<c r="A1"/>' + b"<col/>" * 100) == 0


@given(chunks)
def test_prefixed_is_either_search(data: bytes) -> None:
    assert (_PREFIXED.search(data) is not None) == (b":row" in data or b":c" in data)
