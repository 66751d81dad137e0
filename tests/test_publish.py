"""``workbook-engine publish``: the article and the notices, read back from
the PDFs (poppler) and compared with the model's figures to the cent.

Expected figures come from ``simulate`` (the model's DataFrames), never
from the publish package's own statements.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from publish_support import (
    SCENARIOS,
    check_notice,
    flat,
    money_text,
    pdf_pages,
    rate_text,
    require_poppler,
    short_text,
    small_scenario,
)

from workbook_engine.cli.main import main
from workbook_engine.formats.scenario_json import dumps_scenario
from workbook_engine.model.domain import Family, Scenario
from workbook_engine.model.money import excel_round
from workbook_engine.model.simulate import simulate
from workbook_engine.publish.outdir import safe_stem
from workbook_engine.publish.typography import french_date, money, money_short, parse_date

DEADLINE, DEADLINE_TEXT = "15/09/2027", "15 septembre 2027"
CONTACT = "Secrétariat, 01 23 45 67 89"
# Names that appear nowhere else: any hit outside a letter is a leak.
NAMES = {"FAM-02": "Zorglubowski Élodie", "FAM-05": "Famille Quetzalcoatl", "FAM-11": "M. et Mme Xylophanès"}


def publish_json(tmp: Path, scenario: Scenario, *extra: str) -> tuple[Path, int]:
    src = tmp / "scenario.json"
    src.write_text(dumps_scenario(scenario), encoding="utf-8")
    out = tmp / "publication"
    return out, main(["publish", str(src), "-o", str(out), *extra])


_PUBLISHED: dict[str, tuple[str, Scenario, Path]] = {}


def publication(name: str, tmp_path_factory) -> tuple[str, Scenario, Path]:
    """Each small scenario published once per session; qf_fiscal with --names, --deadline and --contact."""
    require_poppler()
    if name not in _PUBLISHED:
        scenario = SCENARIOS[name]()
        tmp = tmp_path_factory.mktemp(name)
        extra: list[str] = []
        if name == "qf_fiscal":
            names = tmp / "noms.csv"
            names.write_text("id;nom\n" + "".join(f"{k};{v}\n" for k, v in NAMES.items()), encoding="utf-8")
            extra = ["--names", str(names), "--deadline", DEADLINE, "--contact", CONTACT]
        out, code = publish_json(tmp, scenario, *extra)
        assert code == 0
        _PUBLISHED[name] = (name, scenario, out)
    return _PUBLISHED[name]


@pytest.fixture(params=sorted(SCENARIOS))
def published(request, tmp_path_factory):
    return publication(request.param, tmp_path_factory)


def article_text(out: Path) -> str:
    """The article's words, its pages' footers (structure, page N / M) left out."""
    pages = pdf_pages(out / "article_reglement_financier.pdf")
    body = [re.sub(r"\n[^\n]*– page \d+ / \d+\s*$", "\n", page.rstrip() + "\n") for page in pages]
    assert all("– page" not in b for b in body)
    return flat(" ".join(body))


def notice_page(out: Path, fid: str) -> str:
    """The notice's one page, laid out as printed (table columns apart)."""
    pages = pdf_pages(out / "avis" / f"{fid}.pdf")
    assert len(pages) == 1, f"{fid}: the notice holds on one page"
    return pages[0]


def notice_text(out: Path, fid: str) -> str:
    return flat(notice_page(out, fid))


def test_every_amount_on_each_notice_is_the_models(published):
    _, scenario, out = published
    for _, row in simulate(scenario).families.iterrows():
        check_notice(scenario, row, notice_page(out, row["id"]))


def test_no_notice_mentions_another_family(published):
    _, scenario, out = published
    ids = {f.id for f in scenario.families}
    merged = pdf_pages(out / "avis_familles.pdf")
    assert len(merged) == len(ids)
    for f, page in zip(scenario.families, merged):
        for text in (notice_text(out, f.id), flat(page)):
            assert set(re.findall(r"[\w-]+", text)) & ids == {f.id}


def test_names_appear_on_their_own_letters_only(tmp_path_factory):
    _, scenario, out = publication("qf_fiscal", tmp_path_factory)
    for f in scenario.families:
        text = notice_text(out, f.id)
        for fid, who in NAMES.items():
            assert (who in text) == (fid == f.id), (f.id, who)
    merged = flat(" ".join(pdf_pages(out / "avis_familles.pdf")))
    assert all(who in merged for who in NAMES.values())
    # Nowhere else: not in the CSV, the manifest, the article, nor any file name.
    for path in out.rglob("*"):
        assert not any(part in path.name for who in NAMES.values() for part in who.split()), path
        if path.is_file() and path.suffix in (".csv", ".json"):
            data = path.read_text(encoding="utf-8-sig")
            assert not any(part in data for who in NAMES.values() for part in who.split() if len(part) > 3), path
    article = article_text(out)
    assert not any(who in article for who in NAMES.values())


def test_names_never_reach_the_terminal(tmp_path, capsys):
    names = tmp_path / "noms.csv"
    names.write_text("FAM-02;Zorglubowski Élodie\nFAM-99;Inconnu Absentovitch\n", encoding="utf-8")
    out, code = publish_json(tmp_path, tiny_scenario(), "--names", str(names))
    assert code == 0
    said = capsys.readouterr()
    assert "1 ligne(s) pour des familles absentes" in said.err
    for word in ("Zorglubowski", "Absentovitch"):
        assert word not in said.out + said.err


def test_article_holds_every_tranche_rate_and_the_worked_example(published):
    name, scenario, out = published
    text = article_text(out)
    for grid in scenario.grids:
        assert grid.name in text
        for i, t in enumerate(grid.tranches):
            if i + 1 < len(grid.tranches):
                bounds = f"de {short_text(t.lower)} à moins de {short_text(grid.tranches[i + 1].lower)}"
            else:
                bounds = f"{short_text(t.lower)} et plus"
            assert f"{t.label} {bounds} {short_text(t.amount)}" in text, (grid.name, t)
    r2, r3, r4 = scenario.sibling_rates
    if any(scenario.sibling_rates):
        assert f"2e enfant : {rate_text(r2)} de réduction" in text
        assert f"3e enfant : {rate_text(r3)} de réduction" in text
        assert f"4e enfant et suivants : {rate_text(r4)} de réduction" in text
    else:
        assert "Aucune réduction n'est appliquée pour les frères et sœurs" in text
    # The method's example, computed by the model with this scenario's rules.
    fam = Family("EX", (1,) * scenario.n_grids, rfr_1=35000, parts=4, adults=2, children=3)
    ex = simulate(replace(scenario, families=(fam,), sibling_scope="structure")).families.iloc[0]
    assert "35 000 €" in text
    if scenario.indicator == "qf":
        parts = f"{ex['parts_used']:g}".replace(".", ",")
        assert f"= {parts} parts" in text and f"= {short_text(excel_round(ex['indicator'], 2))}." in text
    else:
        assert f"a pour indicateur {short_text(ex['indicator'])}" in text
    for g, grid in enumerate(scenario.grids, start=1):
        line = f"{grid.name} : tranche {ex[f'tranche_g{g}']}, soit {short_text(ex[f'amount_g{g}'])} par élève et par an"
        assert line in text, line
    # The rules as configured.
    if scenario.parts_policy == "custom":
        c = scenario.custom_parts
        assert "calculé par l'établissement" in text
        assert f"{c.single_parent_bonus:g} part de plus pour un parent isolé".replace(".", ",") in text
        assert "2 × 1 + 0,5 + 0,75 + 1 = 4,25 parts" in text
    elif scenario.indicator == "qf":
        assert "celui qui figure sur l'avis d'imposition" in text and "parent isolé" in text
    if scenario.indicator == "rfr":
        assert "sans division par le nombre de parts" in text
    assert ("aides annuelles versées par la CAF" in text) == scenario.include_caf_aid
    assert ("autre établissement de l'Enseignement catholique comptent en premier" in text) == (
        scenario.sibling_scope == "network"
    )
    tops = " ; ".join(f"{g.name} : {short_text(g.tranches[-1].amount)}" for g in scenario.grids)
    assert f"la tranche la plus haute de chaque unité ({tops})" in text
    assert "[texte générique, à adapter par l'établissement]" in text


def test_placeholders_stay_until_the_bursar_gives_them(published):
    name, scenario, out = published
    article = article_text(out)
    without = next(f for f in scenario.families if not f.notice)
    letter = notice_text(out, without.id)
    if name == "qf_fiscal":  # --deadline and --contact given
        for text in (article, letter):
            assert DEADLINE_TEXT in text and CONTACT in text and "à compléter" not in text
    else:
        for text in (article, letter):
            assert "[date limite à compléter]" in text
            assert "[contact à compléter : nom, téléphone, adresse électronique]" in text


def test_docx_holds_the_same_text_as_the_pdf(published):
    _, scenario, out = published
    d = Document(str(out / "article_reglement_financier.docx"))
    words = []
    for item in d.iter_inner_content():  # paragraphs and tables in the body's order
        if hasattr(item, "rows"):
            words += [" ".join(c.text for c in r.cells) for r in item.rows]
        else:
            words.append(item.text)
    docx_text = flat(" ".join(words))
    # Same words in the same order (the PDF's bullets and footers aside).
    assert article_text(out).replace("•", "").replace(" ", "") == docx_text.replace(" ", "")
    footer = d.sections[0].footer.paragraphs[0].text
    assert scenario.structure in footer and scenario.year in footer
    assert len(d.tables) == scenario.n_grids
    highlighted = [r.text for p in d.paragraphs for r in p.runs if r.font.highlight_color is not None]
    assert ("[texte générique, à adapter par l'établissement]" in highlighted) and all(
        h.startswith("[") for h in highlighted
    )


def test_csv_for_mail_merge_holds_the_models_figures(published):
    name, scenario, out = published
    raw = (out / "publipostage.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    fams = simulate(scenario).families
    assert [r["famille"] for r in rows] == list(fams["id"])

    def num(text: str) -> float:
        assert re.fullmatch(r"-?\d+,\d{2}", text), text
        return float(text.replace(",", "."))

    for r, (_, m) in zip(rows, fams.iterrows()):
        assert num(r["total_du"]) == m["total_due"] and num(r["ancien_du"]) == m["old_due"]
        assert num(r["ecart"]) == m["change"]
        assert r["total_du_texte"].replace("\u202f", " ").replace("\u00a0", " ") == money_text(m["total_due"])
        for g in range(1, scenario.n_grids + 1):
            assert num(r[f"g{g}_du"]) == m[f"due_g{g}"] and r[f"g{g}_tranche"] == m[f"tranche_g{g}"]
            assert int(r[f"g{g}_eleves"]) == m[f"pupils_g{g}"]
        assert r["avis_fourni"] == ("oui" if m["notice"] else "non")
        if m["notice"]:
            assert num(r["revenu"]) == excel_round(m["income"], 2)
            assert num(r["indicateur"]) == excel_round(m["indicator"], 2)
            assert float(r["taux_effort"].replace(",", ".")) == pytest.approx(m["effort"], abs=5e-7)
        else:
            assert r["revenu"] == r["indicateur"] == r["taux_effort"] == ""
        assert (out / r["fichier_avis"]).is_file()
        assert r["date_limite"] == (DEADLINE_TEXT if name == "qf_fiscal" else "")


def test_a_notice_renders_to_an_image(published, tmp_path):
    """The page as a printer sees it: rendered by poppler, ink on it."""
    _, scenario, out = published
    fid = scenario.families[0].id
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "60", "-f", "1", "-l", "1", str(out / "avis" / f"{fid}.pdf"), str(tmp_path / "p")],
        check=True,
    )
    (image,) = tmp_path.glob("p*.pgm")
    data = image.read_bytes()
    magic, size, _, pixels = data.split(b"\n", 3)
    width, height = (int(x) for x in size.split())
    assert magic == b"P5" and width in (496, 497) and height == 702  # A4 at 60 dpi
    dark = sum(1 for b in pixels if b < 128)
    assert dark > 2000, "the page has text on it"


def tiny_scenario() -> Scenario:
    """Three families: enough for the rules of the output folder, and quick."""
    s = small_scenario()
    return replace(s, families=s.families[:3])


def test_previous_publication_is_replaced_and_stale_notices_removed(tmp_path):
    s = tiny_scenario()
    out, code = publish_json(tmp_path, s)
    assert code == 0 and (out / "avis" / "FAM-03.pdf").exists()
    fewer = replace(s, families=s.families[:-1])
    out2, code = publish_json(tmp_path, fewer)
    assert out2 == out and code == 0
    assert not (out / "avis" / "FAM-03.pdf").exists() and (out / "avis" / "FAM-02.pdf").exists()
    manifest = json.loads((out / "publication.json").read_text(encoding="utf-8"))
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted([*manifest["files"], "publication.json"]) == on_disk


def test_a_folder_holding_other_files_is_refused(tmp_path, capsys):
    out = tmp_path / "publication"
    out.mkdir()
    (out / "budget.xlsx").write_bytes(b"the school's own file")
    src = tmp_path / "s.json"
    src.write_text(dumps_scenario(small_scenario()), encoding="utf-8")
    assert main(["publish", str(src), "-o", str(out)]) == 2
    assert "ne vient pas d'une publication précédente" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["budget.xlsx"]


def test_an_input_is_never_written_over(tmp_path, capsys):
    out, code = publish_json(tmp_path, tiny_scenario())
    assert code == 0
    names = out / "publipostage.csv"  # an output of the previous run, given as an input
    before = names.read_bytes()
    assert main(["publish", str(tmp_path / "scenario.json"), "-o", str(out), "--names", str(names)]) == 2
    assert "refus d'écraser un fichier d'entrée" in capsys.readouterr().err
    assert names.read_bytes() == before


@pytest.mark.parametrize(
    "args, said",
    [
        (["--deadline", "31/02/2027"], "cette date n'existe pas"),
        (["--deadline", "demain"], "date attendue"),
        (["--names", "MISSING.csv"], "MISSING.csv"),
        (["--families", "F.csv"], "F.csv"),
    ],
)
def test_unusable_input_exits_2(tmp_path, capsys, args, said):
    src = tmp_path / "s.json"
    src.write_text(dumps_scenario(small_scenario()), encoding="utf-8")
    args = [a if not a.endswith(".csv") else str(tmp_path / a) for a in args]
    assert main(["publish", str(src), "-o", str(tmp_path / "out"), *args]) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_names_file_without_names_is_refused_by_line(tmp_path, capsys):
    names = tmp_path / "noms.csv"
    names.write_text("FAM-01;Dupontel\nFAM-02\n", encoding="utf-8")
    _, code = publish_json(tmp_path, small_scenario(), "--names", str(names))
    assert code == 2
    err = capsys.readouterr().err
    assert "ligne 2" in err and "Dupontel" not in err


def test_typography_is_the_models_with_no_break_units():
    assert money(1234.5) == "1\u202f234,50\u00a0€"
    assert money_short(6000) == "6\u202f000\u00a0€" and money_short(862.5) == "862,50\u00a0€"
    assert french_date(parse_date("2027-10-01")) == "1er octobre 2027"
    assert french_date(parse_date("15.09.2027")) == DEADLINE_TEXT


def test_file_names_from_ids_are_safe_and_distinct():
    taken: set[str] = set()
    stems = [safe_stem(i, taken) for i in ("A/1", "A_1", "a_1", "..", "F 2")]
    assert stems == ["A_1", "A_1-2", "a_1-3", "famille", "F_2"]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    from workbook_engine.workbook.generate import generate_workbook

    path = tmp_path_factory.mktemp("workbook") / "classeur.xlsx"
    generate_workbook(small_scenario(), path, capacity=60)
    return path


def test_a_coherent_workbook_publishes_what_its_scenario_publishes(workbook, tmp_path, tmp_path_factory):
    require_poppler()
    out = tmp_path / "depuis_classeur"
    assert main(["publish", str(workbook), "-o", str(out), "--names", str(_names_file(tmp_path))]) == 0
    _, _, from_json = publication("qf_fiscal", tmp_path_factory)
    # The same figures, to the byte: the workbook's inputs went through the model.
    json_rows = (from_json / "publipostage.csv").read_text(encoding="utf-8-sig").splitlines()
    wb_rows = (out / "publipostage.csv").read_text(encoding="utf-8-sig").splitlines()
    # The JSON publication was given --deadline and --contact: compare the other columns.
    assert [r.rsplit(";", 2)[0] for r in wb_rows] == [r.rsplit(";", 2)[0] for r in json_rows]


def _names_file(tmp: Path) -> Path:
    path = tmp / "noms.csv"
    path.write_text("".join(f"{k};{v}\n" for k, v in NAMES.items()), encoding="utf-8")
    return path


def test_a_workbook_that_is_not_coherent_is_refused_and_nothing_written(workbook, tmp_path, capsys):
    import openpyxl

    wb = openpyxl.load_workbook(workbook)
    ((sheet, ref),) = wb.defined_names["DU_FAMILLE"].destinations
    first = ref.replace("$", "").split(":")[0]
    wb[sheet][first] = 12345  # a due typed over its formula
    bad = tmp_path / "modifie.xlsx"
    wb.save(bad)
    out = tmp_path / "publication"
    assert main(["publish", str(bad), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "publication refusée, le classeur n'est pas cohérent" in err
    assert f"workbook-engine check {bad}" in err and first in err
    assert not out.exists()


def test_a_workbook_takes_no_families_csv(workbook, tmp_path, capsys):
    csv_path = tmp_path / "f.csv"
    csv_path.write_text("id;rfr_1\n", encoding="utf-8")
    assert main(["publish", str(workbook), "-o", str(tmp_path / "o"), "--families", str(csv_path)]) == 2
    assert "--families s'emploie avec un scénario JSON" in capsys.readouterr().err


def test_a_cent_between_the_childrens_lines_and_the_due_is_explained():
    """The due is rounded once over a unit's children (SPEC); each child's
    line on its own: 646,875 and 215,625 both round up."""
    from workbook_engine.publish.article import Options
    from workbook_engine.publish.notice import notice
    from workbook_engine.publish.statements import statements

    s = small_scenario()
    fam = Family("SEUL", (3, 0, 0), rfr_1=90000, parts=2, adults=2, children=3)
    s = replace(s, families=(fam,), sibling_rates=(0.25, 0.75, 0.75))
    (st,) = statements(s)
    row = simulate(s).families.iloc[0]
    assert st.grids[0].due == row["due_g1"] == 1725.0  # 862,50 × (1 + 0,75 + 0,25)
    assert [k.after for k in st.grids[0].children] == [862.5, 646.88, 215.63]
    text = notice(s, st, Options()).text()
    assert "d'où un écart possible d'un centime" in text
    (plain,) = statements(small_scenario())[:1]
    assert "écart possible" not in notice(small_scenario(), plain, Options()).text()


def test_control_characters_from_the_workbook_never_reach_a_publication(tmp_path, capsys):
    """A structure and a grid named with ESC, BEL and a C1 CSI (as a hostile
    or damaged workbook may hold them): publish writes every document, and no
    control character is in any of them (python-docx refused them: exit 3)."""
    import zipfile

    from hostile_round2 import control_in_names

    from workbook_engine.workbook.generate import generate_workbook

    base = tmp_path / "base.xlsx"
    generate_workbook(
        replace(
            tiny_scenario(),
            structure="OGEC Saint-Joseph (exemple)",
            grids=(
                replace(tiny_scenario().grids[0], name="École"),
                *tiny_scenario().grids[1:],
            ),
        ),
        base,
    )
    source = control_in_names(base, tmp_path / "classeur.xlsx")
    out = tmp_path / "publication"
    assert main(["publish", str(source), "-o", str(out)]) == 0, capsys.readouterr().err
    controls = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    texts = []
    for path in out.rglob("*"):
        if path.suffix == ".pdf":
            texts += pdf_pages(path)
        elif path.suffix == ".docx":
            with zipfile.ZipFile(path) as z:
                texts += [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
        elif path.suffix == ".csv":
            texts.append(path.read_text(encoding="utf-8-sig"))
    assert texts and not any(controls.search(t) for t in texts)
    assert "pwned" in "".join(texts)  # the text around the controls is kept: only the controls go
