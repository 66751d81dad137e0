"""Tolerant CSV import of families, and the French text readers behind it."""

from __future__ import annotations

import json

import pytest

from workbook_engine.formats.families_csv import load_scenario, read_families_csv
from workbook_engine.formats.textnum import needed_tolerance, parse_int, parse_number, parse_yes_no
from workbook_engine.model.domain import Family
from workbook_engine.model.problems import InputError

NBSP, NNBSP = "\u00a0", "\u202f"


def write(tmp_path, text: str, name: str = "familles.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems_of(excinfo) -> dict[str, str]:
    """where -> message, for the errors of an InputError."""
    return {p.where: p.message for p in excinfo.value.problems if p.severity == "error"}


# --- text readers -------------------------------------------------------------

REJECT = ValueError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35000", 35000.0),
        ("35000.5", 35000.5),
        ("35000,5", 35000.5),
        ("35 000", 35000.0),
        ("35 000,50 €", 35000.5),
        (f"35{NBSP}000,50{NNBSP}€", 35000.5),
        ("  35000  ", 35000.0),
        ("35000 EUR", 35000.0),
        ("35000eur", 35000.0),
        ("+12", 12.0),
        ("-12,5", -12.5),
        ("1 234 567,8", 1234567.8),
        ("1,234", 1.234),  # a single comma is decimal (French convention)
        (",5", 0.5),
        ("0", 0.0),
        ("abc", REJECT),
        ("12,34,5", REJECT),
        ("1e400", REJECT),
        ("1e5", REJECT),
        ("1,2E+05", REJECT),
        ("1.234,56", REJECT),
        ("3 5000", REJECT),
        ("inf", REJECT),
        ("nan", REJECT),
        ("", REJECT),
        ("   ", REJECT),
        ("€", REJECT),
        ("12 €€", REJECT),
        ("9" * 400, REJECT),
        ("- 5", REJECT),
    ],
)
def test_parse_number(text, expected):
    if expected is REJECT:
        with pytest.raises(ValueError) as excinfo:
            parse_number(text)
        assert str(excinfo.value)  # a reason to show
    else:
        assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "tolerated"),
    [("35000", False), ("-12.5", False), (" 7 ", False), ("35000,5", True), ("35 000", True), ("12 €", True)],
)
def test_needed_tolerance(text, tolerated):
    assert needed_tolerance(text) is tolerated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oui", True),
        ("OUI", True),
        (" Oui ", True),
        ("O", True),
        ("o", True),
        ("1", True),
        ("yes", True),
        ("Y", True),
        ("vrai", True),
        ("x", True),
        ("X", True),
        ("non", False),
        ("NON", False),
        ("N", False),
        ("0", False),
        ("no", False),
        ("faux", False),
        ("peut-être", REJECT),
        ("", REJECT),
        ("2", REJECT),
        ("ouii", REJECT),
    ],
)
def test_parse_yes_no(text, expected):
    if expected is REJECT:
        with pytest.raises(ValueError):
            parse_yes_no(text)
    else:
        assert parse_yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        ("2,0", 2),
        ("2.0", 2),
        (" 3 ", 3),
        ("0", 0),
        ("1 000", 1000),
        ("-1", -1),
        ("2.5", REJECT),
        ("2,5", REJECT),
        ("deux", REJECT),
        ("", REJECT),
        ("2 €", REJECT),
        ("1e3", REJECT),
    ],
)
def test_parse_int(text, expected):
    if expected is REJECT:
        with pytest.raises(ValueError):
            parse_int(text)
    else:
        value = parse_int(text)
        assert value == expected and isinstance(value, int)


# --- reading families -----------------------------------------------------------

HEADER = "id;rfr_1;rfr_2;caf_aid;parts;adults;children;other_dependents;notice;other_enrolled;pupils_g1;pupils_g2"


def test_semicolon_file_reads_every_input(tmp_path):
    path = write(tmp_path, HEADER + "\nF0001;35000;1200,5;300;4;2;3;1;oui;1;2;1\n")
    assert read_families_csv(path, 2) == [
        Family(
            id="F0001",
            pupils=(2, 1),
            rfr_1=35000.0,
            rfr_2=1200.5,
            caf_aid=300.0,
            parts=4.0,
            adults=2,
            children=3,
            other_dependents=1,
            notice=True,
            other_enrolled=1,
        )
    ]


def test_comma_separator_with_quoted_decimal_comma(tmp_path):
    path = write(tmp_path, 'id,rfr_1,parts,pupils_g1\nF1,"35 000,50 €",4,2\nF2,12000.5,"2,5",1\n')
    families = read_families_csv(path, 1)
    assert [(f.id, f.rfr_1, f.parts, f.pupils) for f in families] == [
        ("F1", 35000.5, 4.0, (2,)),
        ("F2", 12000.5, 2.5, (1,)),
    ]


def test_comma_separator_unquoted_decimal_comma_is_reported_with_a_hint(tmp_path):
    path = write(tmp_path, "id,rfr_1,parts,pupils_g1\nF1,35000,5,4,2\n")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(path, 1)
    message = problems_of(excinfo)["ligne 2"]
    assert "5 valeurs pour 4 colonnes" in message and "guillemets" in message


def test_french_numbers_and_non_breaking_spaces(tmp_path):
    text = (
        "id;rfr_1;rfr_2;caf_aid;parts;pupils_g1\n"
        f"F1;35{NBSP}000,50{NNBSP}€;1 000 €;250,75 EUR;3,5;1\n"
        "F2;35000,5;0;0;2;1\n"
    )
    f1, f2 = read_families_csv(write(tmp_path, text), 1)
    assert (f1.rfr_1, f1.rfr_2, f1.caf_aid, f1.parts) == (35000.5, 1000.0, 250.75, 3.5)
    assert f2.rfr_1 == 35000.5


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path, encoding):
    text = "id;rfr_1;parts;pupils_g1\r\nFamille-é;35 000,50 €;4;1\r\n"
    (family,) = read_families_csv(write(tmp_path, text, encoding=encoding), 1)
    assert family.id == "Famille-é"  # the BOM is not part of the "id" header
    assert family.rfr_1 == 35000.5


def test_cp1252_is_mentioned_only_when_it_may_explain_a_problem(tmp_path):
    quiet = write(tmp_path, "id;rfr_1;parts;pupils_g1\nFé;abc;4;1\n", "a.csv", "cp1252")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(quiet, 1)
    assert not any("Windows-1252" in p.message for p in excinfo.value.problems)

    accented = write(tmp_path, "id;rfr_1;parts;pupils_g1\nF1;35000 €é;4;1\n", "b.csv", "cp1252")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(accented, 1)
    notes = [p for p in excinfo.value.problems if "Windows-1252" in p.message]
    assert len(notes) == 1 and notes[0].severity == "warning"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("oui", True), ("non", False), ("O", True), ("N", False), ("1", True), ("0", False), (" Non ", False)],
)
def test_notice_answers(tmp_path, cell, expected):
    path = write(tmp_path, f"id;rfr_1;parts;notice;pupils_g1\nF1;1000;1;{cell};1\n")
    assert read_families_csv(path, 1)[0].notice is expected


def test_blank_cells_take_family_defaults(tmp_path):
    path = write(tmp_path, HEADER + "\nF1;;;;;;;;;;;\n")
    assert read_families_csv(path, 2) == [Family(id="F1", pupils=(0, 0))]
    assert Family(id="F1", pupils=(0, 0)).notice is True


def test_missing_optional_columns_read_as_blank(tmp_path):
    path = write(tmp_path, "pupils_g1;ID\n1;F1\n")
    assert read_families_csv(path, 1) == [Family(id="F1", pupils=(1,))]


def test_header_case_spaces_quotes_blank_lines_and_empty_rows(tmp_path):
    text = '\n ID ;"RFR_1"; Parts ;Pupils_G1;;\n\nF1;35000;4;1;;\n;;;;;\n"F;2";"1 000";2;0;;\n   \n'
    families = read_families_csv(write(tmp_path, text), 1)
    assert [(f.id, f.rfr_1, f.parts, f.pupils) for f in families] == [
        ("F1", 35000.0, 4.0, (1,)),
        ("F;2", 1000.0, 2.0, (0,)),
    ]


def test_every_bad_value_is_reported_in_one_error_with_line_and_column(tmp_path):
    text = (
        HEADER + "\n"
        "F1;35000;0;0;4;2;3;0;oui;0;2;0\n"
        "\n"  # a blank line still counts in the editor's numbering
        "F2;abc;0;0;4;2;3;0;oui;0;2;0\n"
        '"F\n3";35000;0;0;4;2;3;0;peut-être;0;2;0\n'  # a quoted line break spans two lines
        "F4;35000;0;0;4;2;3;0;oui;0;2,5;0\n"
        "F5;1.234,56;0;0;4;deux;3;0;oui;0;1;0\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(InputError) as excinfo:
        read_families_csv(path, 2)
    found = problems_of(excinfo)
    assert set(found) == {
        "ligne 4, colonne rfr_1",
        "ligne 5, colonne notice",
        "ligne 7, colonne pupils_g1",
        "ligne 8, colonne rfr_1",
        "ligne 8, colonne adults",
    }
    by_where = {p.where: p for p in excinfo.value.problems}
    bad = by_where["ligne 4, colonne rfr_1"]
    assert (bad.field, bad.value, bad.source) == ("rfr_1", "abc", str(path))
    assert by_where["ligne 7, colonne pupils_g1"].value == "2,5"
    assert "entier" in by_where["ligne 7, colonne pupils_g1"].message
    assert "ligne 4, colonne rfr_1" in str(excinfo.value)


def test_blank_and_repeated_ids_are_reported_with_lines(tmp_path):
    path = write(tmp_path, "id;rfr_1;parts;pupils_g1\nF1;1;1;1\n;2;1;1\nF1;3;1;1\n")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(path, 1)
    found = problems_of(excinfo)
    assert "manquant" in found["ligne 3, colonne id"]
    assert "ligne 2" in found["ligne 4, colonne id"]


def test_unknown_and_repeated_columns(tmp_path):
    path = write(tmp_path, "id;rfr_1;nom;RFR_1;pupils_g1\nF1;1;Dupont;1;1\n")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(path, 1)
    found = problems_of(excinfo)
    assert "inconnue" in found["ligne 1, colonne nom"]
    assert "rfr_2" in found["ligne 1, colonne nom"]  # says which columns are known
    assert "double" in found["ligne 1, colonne RFR_1"]


def test_missing_pupils_column(tmp_path):
    path = write(tmp_path, "id;rfr_1;parts;pupils_g1\nF1;1;1;1\n")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(path, 3)
    fields = {p.field for p in excinfo.value.problems}
    assert {"pupils_g2", "pupils_g3"} <= fields
    assert all(p.where == "ligne 1" for p in excinfo.value.problems)


def test_extra_pupils_column_and_missing_id_column(tmp_path):
    path = write(tmp_path, "rfr_1;parts;pupils_g1;pupils_g2\n1;1;1;0\n")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(path, 1)
    found = problems_of(excinfo)
    assert "en trop" in found["ligne 1, colonne pupils_g2"]
    assert "id" in found["ligne 1"]


def test_ticked_notice_column_refuses_blank_cells(tmp_path):
    path = write(tmp_path, "id;rfr_1;parts;notice;pupils_g1\nF1;1;1;x;1\nF2;;;;1\n")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(path, 1)
    assert "oui ou non" in problems_of(excinfo)["ligne 3, colonne notice"]


def test_trailing_empty_cells_are_harmless_but_extra_values_are_not(tmp_path):
    path = write(tmp_path, "id;rfr_1;parts;pupils_g1\nF1;1;1;1;;\nF2;1;1;1;7\n")
    with pytest.raises(InputError) as excinfo:
        read_families_csv(path, 1)
    assert set(problems_of(excinfo)) == {"ligne 3"}


def test_a_stray_quote_loses_no_family(tmp_path):
    """A quote in the middle of a cell is read as the csv module reads it
    (as SCHOOLS.csv is): the row is not dropped in silence."""
    families = read_families_csv(write(tmp_path, 'id;pupils_g1\nF1;1\n"F"2;1\nF3;2\n'), 1)
    assert [(f.id, f.pupils) for f in families] == [("F1", (1,)), ("F2", (1,)), ("F3", (2,))]


def test_an_empty_row_above_a_wider_header(tmp_path):
    text = ";;\n" + HEADER + "\nF1;35000;;0;4;2;2;0;oui;0;1;0\n"
    assert [f.id for f in read_families_csv(write(tmp_path, text), 2)] == ["F1"]


@pytest.mark.parametrize(
    ("text", "reason"), [("", "vide"), ("\n  \n", "vide"), ('""\n;;\n', "vide"), ("id;pupils_g1\n", "aucune famille")]
)
def test_empty_files(tmp_path, text, reason):
    with pytest.raises(InputError) as excinfo:
        read_families_csv(write(tmp_path, text), 1)
    assert reason in str(excinfo.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(InputError) as excinfo:
        read_families_csv(tmp_path / "absent.csv", 1)
    assert "illisible" in str(excinfo.value)


# --- scenario JSON + families CSV ----------------------------------------------------

SCENARIO = {
    "structure": "OGEC Saint-Joseph",
    "year": "2026-2027",
    "grids": [
        {
            "name": "École",
            "old_tariff": 600,
            "tranches": [{"label": "A", "lower": 0, "amount": 400}, {"label": "B", "lower": 8000, "amount": 600}],
        },
        {
            "name": "Collège",
            "tranches": [{"label": "A", "lower": 0, "amount": 500}, {"label": "B", "lower": 8000, "amount": 800}],
        },
    ],
    "families": [{"id": "JSON1", "rfr_1": 1000, "parts": 1, "pupils": [1, 0]}],
}


def write_json(tmp_path, data) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_load_scenario_replaces_families_by_the_csv(tmp_path):
    scenario_path = write_json(tmp_path, SCENARIO)
    csv_path = write(tmp_path, "id;rfr_1;parts;notice;pupils_g1;pupils_g2\nF1;35 000;4;oui;2;1\nF2;;;non;0;1\n")
    scenario = load_scenario(scenario_path, csv_path)
    assert [f.id for f in scenario.families] == ["F1", "F2"]
    assert scenario.families[0].pupils == (2, 1)
    assert [g.name for g in scenario.grids] == ["École", "Collège"]


def test_load_scenario_without_csv_is_the_json(tmp_path):
    scenario = load_scenario(write_json(tmp_path, SCENARIO))
    assert [f.id for f in scenario.families] == ["JSON1"]


def test_load_scenario_reports_both_files_together(tmp_path):
    bad = json.loads(json.dumps(SCENARIO))
    bad["sibling_rates"] = [0.1, 2, 0]
    bad["grids"][1]["tranches"][1]["amount"] = -5
    scenario_path = write_json(tmp_path, bad)
    csv_path = write(
        tmp_path,
        "id;rfr_1;parts;notice;pupils_g1;pupils_g2\n"
        "F1;-5;4;oui;1;0\n"  # rule: negative income
        "F2;;;oui;1;0\n"  # rule: notice given but no income, no parts
        "F3;abc;1;oui;1;0\n",  # unreadable
    )
    with pytest.raises(InputError) as excinfo:
        load_scenario(scenario_path, csv_path)
    got = {(p.source, p.where, p.field) for p in excinfo.value.problems}
    assert got == {
        (scenario_path, "scénario", "sibling_rates[1]"),
        (scenario_path, "grille 2 (Collège), tranche B", "amount"),
        (str(csv_path), "ligne 2, colonne rfr_1", "rfr_1"),
        (str(csv_path), "ligne 3, colonne rfr_1", "rfr_1"),
        (str(csv_path), "ligne 3, colonne parts", "parts"),
        (str(csv_path), "ligne 4, colonne rfr_1", "rfr_1"),  # once, not again as "missing"
    }
    by_where = {p.where: p for p in excinfo.value.problems}
    assert by_where["ligne 2, colonne rfr_1"].value == "-5"  # the raw cell, as in the file


def test_csv_problems_carry_their_line_and_family_as_data(tmp_path):
    csv_path = write(
        tmp_path,
        "id;rfr_1;parts;notice;pupils_g1;pupils_g2\nF2;abc;1;oui;1;0\nF1;35000;1;oui;0;-1\n",
    )
    with pytest.raises(InputError) as excinfo:
        load_scenario(write_json(tmp_path, SCENARIO), csv_path)
    got = {(p.where, p.line, p.family, p.grid) for p in excinfo.value.problems}
    assert got == {
        ("ligne 2, colonne rfr_1", 2, None, None),  # unreadable: no family yet
        ("ligne 3, colonne pupils_g2", 3, "F1", 2),  # a rule: the family and the grid it is about
    }


def test_load_scenario_reads_the_csv_even_when_the_json_is_unreadable(tmp_path):
    scenario_path = tmp_path / "scenario.json"
    scenario_path.write_text("{not json", encoding="utf-8")
    csv_path = write(tmp_path, "id;rfr_1;parts;pupils_g1;pupils_g2\nF1;abc;1;1;0\n")
    with pytest.raises(InputError) as excinfo:
        load_scenario(scenario_path, csv_path)
    sources = [p.source for p in excinfo.value.problems]
    assert sources == [str(scenario_path), str(csv_path)]
