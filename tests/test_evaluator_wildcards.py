"""Excel wildcards (* ? ~) in criteria, lookups and SEARCH: the same answers
as a regular expression on small cases, and linear time on hostile ones
(a pattern such as "*a*a*a*b" against 32,767 letters)."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from test_evaluator import values

from workbook_engine.evaluator.criteria import Wildcard


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text("ab*?~", max_size=7), st.text("ab*?~", max_size=9), st.integers(0, 3))
def test_wildcards_match_like_a_regular_expression(pattern, text, start):
    reference = _regex(pattern)
    w = Wildcard(pattern)
    assert w.fullmatch(text) == (reference.fullmatch(text) is not None)
    expected = next((p for p in range(start, len(text) + 1) if reference.match(text, p)), None)
    assert w.search(text, start) == expected


def test_hostile_patterns_stay_fast(tmp_path):
    letters = "a" * 32_000
    t = time.perf_counter()
    _, v = values(
        tmp_path,
        {
            "A1": letters,
            "A2": letters,
            "B1": '=COUNTIF(A1:A2,"*a*a*a*a*a*a*b")',
            "B2": '=MATCH("*a*a*a*a*a*a*b",A1:A2,0)',
            "B3": '=SEARCH("a*a*a*a*a*a*b",A1)',
            "B4": '=COUNTIF(A1:A2,"*a*a*a*a*a*a*a")',
            "C1": "=A1&A2",
            "C2": '=SUBSTITUTE(A1,"a","aa")',
            "C3": '=LEN(A1&"x")',
        },
    )
    assert v("B1") == 0 and v("B2") == "#N/A" and v("B3") == "#VALUE!" and v("B4") == 2
    assert v("C1") == "#VALUE!" and v("C2") == "#VALUE!"  # over Excel's 32,767 characters
    assert v("C3") == 32_001
    assert time.perf_counter() - t < 5
