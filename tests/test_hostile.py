"""Bad and hostile workbooks (issue 7): a corpus built by the tests
(``hostile_files``), each answered by the safety gate with exit 2 and one
French line naming the file, or read with a report of what was left alone;
always in bounded time and memory (measured and printed: run with ``-s``).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from hostile_files import (
    bomb,
    bombs_in_total,
    bzip2_members,
    cell_beyond_the_sheet,
    corrupted_member,
    csv_file,
    csv_utf16,
    docx_file,
    duplicate_member,
    ebcdic_sheet,
    encrypted,
    encrypted_zip_flag,
    external_entity,
    far_cell,
    html_file,
    laughing_encryption_info,
    laughing_part,
    long_text,
    malformed_sheet,
    many_parts,
    many_sheets,
    many_strings,
    million_rows,
    missing_sheet_part,
    ods_file,
    ole_garbage,
    pdf_file,
    plain_zip,
    random_bytes,
    shared_sheet_part,
    sheet_part,
    spinning_encryption_info,
    text_in_number_cell,
    truncated,
    utf16_doctype_sheet,
    wide_row,
    with_encryption_info,
    with_external_link,
    with_macros,
    write,
    xls_file,
    xlsb_like,
)

from workbook_engine.cli.main import main
from workbook_engine.formats.sample import load_sample
from workbook_engine.model.problems import InputError
from workbook_engine.safety.gate import (
    MAX_ROWS,
    MAX_SHEET_PART_BYTES,
    inspect_workbook,
    iterparse_xml,
    parse_xml,
    workbook_password,
)
from workbook_engine.workbook.generate import generate_workbook
from workbook_engine.workbook.reader import load_workbook_scenario, read_workbook

TIME_BOUND = 10.0  # seconds: generous; most cases take milliseconds
MEMORY_BOUND = 256  # MiB of Python allocations (tracemalloc peak)
SECRET = "SECRET-DU-SERVEUR-0451"
PASSWORD = "Ogec-2026!"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A small genuine filled workbook (12 families, 3 grids)."""
    s = load_sample()
    path = tmp_path_factory.mktemp("hostile") / "base.xlsx"
    generate_workbook(replace(s, families=s.families[:12]), path, capacity=15)
    return path


@pytest.fixture(scope="module")
def encrypted_base(base, tmp_path_factory) -> Path:
    return encrypted(base, tmp_path_factory.mktemp("enc") / "chiffre.xlsx", PASSWORD)


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_mib: float


def run(argv: list[str], password: str | None = None) -> Run:
    """The command line in-process, timed, with its peak Python memory."""
    out, err = io.StringIO(), io.StringIO()
    tracemalloc.start()
    t = time.perf_counter()
    try:
        with workbook_password(password), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        seconds = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return Run(code, out.getvalue(), err.getvalue(), seconds, peak)


def report(case: str, command: str, r: Run) -> None:
    print(f"\n[hostile] {case:34s} {command:5s} exit {r.code}  {r.seconds:6.3f} s  {r.peak_mib:7.1f} MiB")


# ---------------------------------------------------------------------------
# The corpus: refused with exit 2 and one French line naming the file
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable  # (folder, base, encrypted base, secret file) -> path
    words: tuple[str, ...]  # in the French message
    password: str | None = None
    commands: tuple[str, ...] = ("read", "check")


def _at(name: str, make: Callable[[Path, Path], Path]) -> Callable:
    """A case built from the base workbook."""
    return lambda d, base, enc, secret: make(base, d / name)


def _alone(name: str, make: Callable[[Path], Path]) -> Callable:
    return lambda d, base, enc, secret: make(d / name)


REFUSED = [
    Case("fichier vide", _alone("vide.xlsx", lambda p: write(p, b"")), ("fichier vide",)),
    Case("CSV nommé .xlsx", _alone("familles.xlsx", csv_file), ("texte ou CSV", "enregistrez-le au format .xlsx")),
    Case("CSV UTF-16 nommé .xlsx", _alone("familles16.xlsx", csv_utf16), ("texte ou CSV",)),
    Case("page HTML nommée .xlsx", _alone("page.xlsx", html_file), ("HTML ou XML",)),
    Case("PDF nommé .xlsx", _alone("scan.xlsx", pdf_file), ("PDF",)),
    Case("octets quelconques", _alone("bruit.xlsx", random_bytes), ("format inconnu",)),
    Case("ancien .xls (OLE2)", _alone("ancien.xls", xls_file), ("Excel 97-2003 (.xls)", "format .xlsx")),
    Case("OLE2 endommagé", _alone("ole.xlsx", ole_garbage), ("OLE2", "endommagé")),
    Case("classeur chiffré sans mot de passe", lambda d, b, enc, s: enc, ("mot de passe", "chiffré", "--password")),
    Case(
        "classeur chiffré, mauvais mot de passe",
        lambda d, b, enc, s: enc,
        ("mot de passe incorrect",),
        password="pas-le-bon",
    ),
    Case(
        "chiffré : billion laughs dans EncryptionInfo",
        lambda d, b, enc, s: with_encryption_info(enc, d / "rire.xlsx", laughing_encryption_info),
        ("chiffré illisible", "DOCTYPE"),
        password=PASSWORD,
    ),
    Case(
        "chiffré : 10 millions d'itérations",
        lambda d, b, enc, s: with_encryption_info(enc, d / "lent.xlsx", spinning_encryption_info),
        ("itérations", "9 999 999"),
        password=PASSWORD,
    ),
    Case("zip tronqué de moitié", _at("moitie.xlsx", truncated), ("tronqué ou endommagé",)),
    Case("zip tronqué à la fin", _at("fin.xlsx", lambda b, p: truncated(b, p, 0.999)), ("tronqué ou endommagé",)),
    Case(
        "partie corrompue (CRC)",
        _at("crc.xlsx", lambda b, p: corrupted_member(b, p, sheet_part(b))),
        ("endommagée", "xl/worksheets/"),
    ),
    Case(
        "bombe zip : 3 Go annoncés",
        _at("bombe.xlsx", lambda b, p: bomb(b, p, 3 << 30)),
        ("se décompresserait en 3 Go", "sans le décompresser"),
    ),
    Case(
        "bombe zip : 1,2 Go au total",
        _at("bombes.xlsx", lambda b, p: bombs_in_total(b, p, 600 << 20, 2)),
        ("1,2 Go", "au plus 1 Go"),
    ),
    Case(
        "bombe zip : répertoire menteur (1 Mo annoncé)",
        _at("menteur.xlsx", lambda b, p: bomb(b, p, 1 << 20)),
        ("endommagée",),
    ),
    Case(
        "bombe zip : répertoire menteur (60 Mo annoncés)",
        _at("menteur60.xlsx", lambda b, p: bomb(b, p, 60 << 20)),
        ("endommagée",),
    ),
    Case("5 000 parties", _at("parties.xlsx", lambda b, p: many_parts(b, p, 5000)), ("parties", "au plus 1 000")),
    Case("3 000 feuilles", _at("feuilles.xlsx", lambda b, p: many_sheets(b, p, 3000)), ("trop de feuilles", "3 008")),
    Case("un million de lignes", _at("million.xlsx", million_rows), ("Familles", "plus de 100 000 lignes")),
    Case("une ligne de 100 000 cellules", _at("large.xlsx", wide_row), ("plus de 16 384 cellules",)),
    Case("cellule en XFD1048576", _at("loin.xlsx", far_cell), ("au-delà de la ligne 100 000",)),
    Case(
        "cellule au-delà de la dernière ligne",
        _at("adresse.xlsx", cell_beyond_the_sheet),
        ("A99999999999999999999", "hors des limites"),
    ),
    Case("texte de 2 Mo", _at("texte.xlsx", long_text), ("texte de plus de 1 Mo",)),
    Case("1,1 million de textes partagés", _at("textes.xlsx", many_strings), ("trop de textes partagés",)),
    Case(
        "billion laughs : feuille",
        _at("rire1.xlsx", lambda b, p: laughing_part(b, p, sheet_part(b))),
        ("DOCTYPE", "Familles"),
    ),
    Case(
        "billion laughs : sharedStrings",
        _at("rire2.xlsx", lambda b, p: laughing_part(b, p, "xl/sharedStrings.xml")),
        ("DOCTYPE", "sharedStrings"),
    ),
    Case(
        "billion laughs : workbook.xml",
        _at("rire3.xlsx", lambda b, p: laughing_part(b, p, "xl/workbook.xml")),
        ("DOCTYPE", "workbook.xml"),
    ),
    Case(
        "billion laughs : [Content_Types].xml",
        _at("rire4.xlsx", lambda b, p: laughing_part(b, p, "[Content_Types].xml")),
        ("DOCTYPE", "Content_Types"),
    ),
    Case("billion laughs : feuille en UTF-16", _at("rire16.xlsx", utf16_doctype_sheet), ("DOCTYPE",)),
    Case(
        "XXE : fichier local dans sharedStrings",
        lambda d, b, e, secret: external_entity(b, d / "xxe.xlsx", "xl/sharedStrings.xml", secret),
        ("DOCTYPE", "sharedStrings"),
    ),
    Case(
        "XXE : entité paramètre dans une feuille",
        lambda d, b, e, secret: external_entity(b, d / "xxe2.xlsx", sheet_part(b, "Paramètres"), secret, True),
        ("DOCTYPE", "Paramètres"),
    ),
    Case("encodage EBCDIC", _at("ebcdic.xlsx", ebcdic_sheet), ("encodage XML « cp500 »",)),
    Case("partie en double", _at("double.xlsx", duplicate_member), ("en double",)),
    Case("compression bzip2", _at("bz2.xlsx", bzip2_members), ("méthode de compression",)),
    Case("zip chiffré", _at("zipchiffre.xlsx", encrypted_zip_flag), ("archive zip chiffrée",)),
    Case("classeur .ods renommé", _alone("calc.xlsx", ods_file), ("OpenDocument (.ods)",)),
    Case("document Word renommé", _alone("lettre.xlsx", docx_file), ("Word",)),
    Case("zip d'un CSV", _alone("archive.xlsx", plain_zip), ("archive zip qui n'est pas un classeur",)),
    Case("classeur .xlsb", _at("binaire.xlsx", xlsb_like), (".xlsb",)),
    Case("feuille absente", _at("incomplet.xlsx", missing_sheet_part), ("Paramètres", "absente")),
    Case("deux feuilles, une partie", _at("meme.xlsx", shared_sheet_part), ("même partie",)),
    Case("XML mal formé", _at("malforme.xlsx", malformed_sheet), ("non conforme",)),
    Case("texte dans une cellule nombre", _at("textenombre.xlsx", text_in_number_cell), ("non conforme",)),
    Case("fichier introuvable", lambda d, b, e, s: d / "absent.xlsx", ("introuvable",)),
    Case("un dossier", lambda d, b, e, s: d, ("fichier ordinaire",), commands=("read",)),  # check: its workbooks
]


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_hostile_file_is_refused_cleanly(case, base, encrypted_base, secret, tmp_path):
    path = case.build(tmp_path, base, encrypted_base, secret)
    for command in case.commands:
        r = run([command, str(path)], case.password)
        report(case.name, command, r)
        assert r.code == 2, r.out + r.err
        assert "Traceback" not in r.err and "erreur interne" not in r.err
        text = r.err if command == "read" else r.out
        lines = [line for line in text.splitlines() if str(path) in line]
        assert len(lines) == 1, text  # one line names the file and says what is wrong
        for word in case.words:
            assert word in lines[0], (word, lines[0])
        assert SECRET not in r.out + r.err
        assert r.seconds < TIME_BOUND and r.peak_mib < MEMORY_BOUND
    with workbook_password(case.password), pytest.raises(InputError):
        read_workbook(path)


# ---------------------------------------------------------------------------
# XML: two layers, the gate's prolog check and defusedxml behind it
# ---------------------------------------------------------------------------


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/workbook.xml", "sheet"])
def test_without_the_gate_openpyxl_still_refuses_entities(base, secret, tmp_path, member):
    """The second layer: openpyxl alone (defusedxml) refuses the DOCTYPE of a
    billion laughs and of an external entity, fast, leaking nothing."""
    member = sheet_part(base) if member == "sheet" else member
    for path in (
        laughing_part(base, tmp_path / "rire.xlsx", member),
        external_entity(base, tmp_path / "xxe.xlsx", member, secret),
    ):
        t = time.perf_counter()
        try:
            wb = openpyxl.load_workbook(path, read_only=True, keep_links=False)
            text = repr([list(ws.iter_rows(values_only=True)) for ws in wb.worksheets])
            wb.close()
        except Exception as exc:  # noqa: BLE001 - refusing is the point
            text = repr(exc)
        assert time.perf_counter() - t < TIME_BOUND
        assert SECRET not in text
        assert "lollol" not in text


def test_safe_parsers_refuse_dtds(secret):
    for xml in (
        b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
        f'<!DOCTYPE a [<!ENTITY e SYSTEM "{secret.as_uri()}">]><a>&e;</a>'.encode(),
        b"<!DOCTYPE a><a/>",
    ):
        with pytest.raises(DefusedXmlException) as exc:
            parse_xml(xml)
        assert SECRET not in str(exc.value)
        with pytest.raises(DefusedXmlException):
            list(iterparse_xml(io.BytesIO(xml)))
    assert parse_xml(b"<a>x</a>").text == "x"


# ---------------------------------------------------------------------------
# Reported, not refused: macros, links to other workbooks
# ---------------------------------------------------------------------------


def test_macros_are_reported_and_never_run(base, tmp_path):
    path = with_macros(base, tmp_path / "macros.xlsm")
    r = run(["read", str(path)])
    report("macros (.xlsm)", "read", r)
    assert r.code == 0, r.err
    safe = inspect_workbook(path)
    assert safe.macros == ("xl/vbaProject.bin",)
    assert any("jamais exécutées" in str(w) and str(path) in str(w) for w in safe.warnings())
    assert load_workbook_scenario(path) == load_workbook_scenario(base)
    r = run(["check", str(path)])
    report("macros (.xlsm)", "check", r)
    assert r.code == 0, r.out + r.err


def test_external_links_are_reported_and_never_opened(base, tmp_path, monkeypatch):
    target = tmp_path / "autre.xlsx"
    target.write_bytes(b"never to be opened")
    path = with_external_link(base, tmp_path / "liens.xlsx", target.as_uri())
    opened: list[str] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    r = run(["read", str(path)])
    report("liaison externe", "read", r)
    assert r.code == 0, r.err
    safe = inspect_workbook(path)
    assert safe.external_links == ("autre.xlsx",)
    assert any("autre.xlsx" in n and "jamais ouvertes ni suivies" in n for n in safe.notes())
    r = run(["check", str(path)])
    report("liaison externe", "check", r)
    assert r.code == 0, r.out + r.err
    assert not any("autre.xlsx" in f for f in opened), opened


# ---------------------------------------------------------------------------
# Encrypted workbooks with the right password
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_encrypted_workbook_reads_with_its_password(base, encrypted_base, tmp_path):
    r = run(["read", str(encrypted_base)], PASSWORD)
    report("chiffré, bon mot de passe", "read", r)
    assert r.code == 0, r.err
    with workbook_password(PASSWORD):
        assert load_workbook_scenario(encrypted_base) == load_workbook_scenario(base)
    assert inspect_workbook(encrypted_base, PASSWORD).encrypted
    out = tmp_path / "s.json"
    assert run(["read", str(encrypted_base), "-o", str(out)], PASSWORD).code == 0
    assert run(["merge", str(encrypted_base), "-o", str(tmp_path / "m.xlsx")], PASSWORD).code == 0
    assert not list(tmp_path.glob(".~*")), "no decrypted copy left on disk"


def test_encrypted_workbook_checks_with_its_password(encrypted_base):
    r = run(["check", str(encrypted_base)], PASSWORD)
    report("chiffré, bon mot de passe", "check", r)
    assert r.code == 0, r.out + r.err


# ---------------------------------------------------------------------------
# A legitimate workbook passes quickly
# ---------------------------------------------------------------------------


def test_the_default_workbook_passes_the_gate_quickly(tmp_path):
    path = tmp_path / "exemple.xlsx"
    generate_workbook(load_sample(), path)
    t = time.perf_counter()
    safe = inspect_workbook(path)
    seconds = time.perf_counter() - t
    print(
        f"\n[hostile] gate on the 320-family sample (2,000 rows): {seconds:.3f} s, {safe.rows} rows, "
        f"{safe.cells} cells, {safe.parts} parts"
    )
    assert seconds < 2.0
    assert safe.notes() == [] and not safe.encrypted
    assert safe.rows < MAX_ROWS and safe.uncompressed_bytes < MAX_SHEET_PART_BYTES
