"""check's reports: JUnit read by a JUnit consumer and held to the schema's
shape, the gate (--fail-on), JSON kept as --json, the HTML page escaped,
offline, and read back from its DOM in a real headless chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree
from report_workbooks import chromium_driver, generate, open_in_chromium, replace_cells, tampered  # noqa: F401

from workbook_engine.cli.main import main
from workbook_engine.report.causes import causes
from workbook_engine.workbook.check import check_workbook

# The shape CI servers read (after Jenkins' junit-10.xsd): testsuites >
# testsuite > testcase > failure* / error* / system-out.
JUNIT_XSD = b"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:element name="failure"><xs:complexType mixed="true">
    <xs:attribute name="type" type="xs:string"/><xs:attribute name="message" type="xs:string"/></xs:complexType></xs:element>
  <xs:element name="error"><xs:complexType mixed="true">
    <xs:attribute name="type" type="xs:string"/><xs:attribute name="message" type="xs:string"/></xs:complexType></xs:element>
  <xs:element name="system-out" type="xs:string"/>
  <xs:element name="testcase"><xs:complexType><xs:sequence>
      <xs:element ref="error" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element ref="failure" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element ref="system-out" minOccurs="0"/></xs:sequence>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="classname" type="xs:string" use="required"/>
    <xs:attribute name="file" type="xs:string"/>
    <xs:attribute name="time" type="xs:decimal"/></xs:complexType></xs:element>
  <xs:element name="testsuite"><xs:complexType><xs:sequence>
      <xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
    <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
    <xs:attribute name="time" type="xs:decimal"/>
    <xs:attribute name="timestamp" type="xs:dateTime"/></xs:complexType></xs:element>
  <xs:element name="testsuites"><xs:complexType><xs:sequence>
      <xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
    <xs:attribute name="name" type="xs:string"/>
    <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
    <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
    <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
    <xs:attribute name="time" type="xs:decimal"/></xs:complexType></xs:element>
</xs:schema>"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder as CI sees it: a clean workbook, a tampered one, a broken file."""
    d = tmp_path_factory.mktemp("reports")
    clean = generate(d / "a_propre.xlsx")
    tampered(clean, d / "b_modifie.xlsx")
    (d / "c_casse.xlsx").write_bytes(b"pas un classeur")
    return d


def test_junit_one_case_per_workbook_one_failure_per_cause(folder, tmp_path, capsys):
    from junitparser import Error, Failure, JUnitXml

    out = tmp_path / "report.xml"
    assert main(["check", str(folder), "--format", "junit", "-o", str(out)]) == 2  # the broken file
    assert "Rapport écrit" in capsys.readouterr().out
    etree.XMLSchema(etree.XML(JUNIT_XSD)).assertValid(etree.parse(str(out)))
    xml = JUnitXml.fromfile(str(out))
    cases = {Path(c.name).name: c for suite in xml for c in suite}
    assert sorted(cases) == ["a_propre.xlsx", "b_modifie.xlsx", "c_casse.xlsx"]
    assert cases["a_propre.xlsx"].is_passed
    assert [type(r) for r in cases["c_casse.xlsx"].result] == [Error]
    failures = [r for r in cases["b_modifie.xlsx"].result if isinstance(r, Failure)]
    report = check_workbook(folder / "b_modifie.xlsx")
    expected = [c for c in causes(report.findings) if c.severity != "info"]
    assert len(failures) == len(expected) >= 3
    assert [f.message for f in failures] == [c.line for c in expected]
    assert {f.type for f in failures} >= {"structure.error", "numbers.error", "inputs.warning"}


def test_fail_on_decides_the_exit_code(folder, capsys):
    tampered_file = str(folder / "b_modifie.xlsx")
    clean = str(folder / "a_propre.xlsx")
    assert main(["check", clean, "--fail-on", "info"]) == 0  # nothing at all
    assert main(["check", tampered_file]) == 1
    assert main(["check", tampered_file, "--fail-on", "error"]) == 1  # it has errors
    capsys.readouterr()


def test_fail_on_error_lets_warnings_pass(folder, tmp_path, capsys):
    from report_workbooks import inline_text, layout

    lay = layout()
    notice = f"{lay.column['notice'].letter}{lay.first_row + 3}"
    warned = replace_cells(
        folder / "a_propre.xlsx", tmp_path / "warned.xlsx", {lay.families_sheet: {notice: inline_text("peut-être")}}
    )
    assert {f.severity for f in check_workbook(warned).findings} == {"warning"}
    assert main(["check", str(warned)]) == 1  # today's behaviour
    assert main(["check", str(warned), "--fail-on", "error"]) == 0
    capsys.readouterr()
    assert main(["check", str(warned), "--fail-on", "error", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 0 and doc["fail_on"] == "error" and doc["findings"][0]["severity"] == "warning"


def test_json_alias_and_format_json_agree(folder, capsys):
    path = str(folder / "b_modifie.xlsx")
    assert main(["check", path, "--json"]) == 1
    alias = json.loads(capsys.readouterr().out)
    assert main(["check", path, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == alias
    assert alias["status"] == "findings" and alias["findings"]
    assert main(["check", path, "--json", "--format", "html"]) == 2
    assert "se contredisent" in capsys.readouterr().err


def test_reports_never_overwrite_an_input(folder, capsys):
    path = folder / "b_modifie.xlsx"
    before = path.read_bytes()
    assert main(["check", str(path), "--format", "html", "-o", str(path)]) == 2
    assert main(["check", str(path), "--annotate", str(path)]) == 2
    assert path.read_bytes() == before
    assert "écraser" in capsys.readouterr().err


def test_html_is_standalone_and_escapes_the_workbook(folder, tmp_path, capsys):
    """An answer with markup in it shows as text; the page names no
    external resource and runs no script."""
    from report_workbooks import layout

    lay = layout()
    cell = f"{lay.column['notice'].letter}{lay.first_row + 1}"
    hostile = '<script>alert("x")</script>&amp;'
    escaped = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    src = folder / "a_propre.xlsx"
    path = replace_cells(
        src,
        tmp_path / "hostile.xlsx",
        {lay.families_sheet: {cell: lambda e: f'<c r="{cell}" t="inlineStr"><is><t>{escaped}</t></is></c>'}},
    )
    out = tmp_path / "r.html"
    assert main(["check", str(path), "--format", "html", "-o", str(out)]) == 1
    capsys.readouterr()
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert '<html lang="fr">' in page and "@media print" in page
    assert "<caption>" in page and 'scope="col"' in page and 'scope="row"' in page


@pytest.mark.slow
def test_html_report_read_back_in_headless_chromium(chromium_driver, folder, tmp_path, capsys):  # noqa: F811
    from selenium.webdriver.common.by import By

    out = tmp_path / "report.html"
    assert main(["check", str(folder), "--format", "html", "-o", str(out)]) == 2
    capsys.readouterr()
    report = check_workbook(folder / "b_modifie.xlsx")
    driver = open_in_chromium(chromium_driver, out, tmp_path / "profile")
    try:
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
        assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Contrôle des classeurs")
        sections = driver.find_elements(By.CSS_SELECTOR, "section.workbook")
        verdicts = {Path(s.get_attribute("data-file")).name: s.get_attribute("data-verdict") for s in sections}
        assert verdicts == {"a_propre.xlsx": "ok", "b_modifie.xlsx": "findings", "c_casse.xlsx": "unusable"}
        tampered_section = next(s for s in sections if s.get_attribute("data-file").endswith("b_modifie.xlsx"))
        rows = tampered_section.find_elements(By.CSS_SELECTOR, "tr.finding")
        shown = sorted((r.get_attribute("data-cell"), r.get_attribute("data-family") or None) for r in rows)
        assert shown == sorted((f.cell, f.family) for f in report.findings)
        messages = [e.text for e in tampered_section.find_elements(By.CSS_SELECTOR, "section.cause .message")]
        assert messages == [c.message for c in causes(report.findings)]
        advice = tampered_section.find_elements(By.CSS_SELECTOR, "section.cause .advice")
        assert all(a.text.startswith("Que faire :") for a in advice) and len(advice) == len(messages)
        # Nothing was fetched: the page is one document, no resource besides itself.
        fetched = driver.execute_script("return performance.getEntriesByType('resource').length")
        assert fetched == 0
        for th in tampered_section.find_elements(By.CSS_SELECTOR, "table.findings th[scope=col]"):
            assert th.text
        # Every piece of text is readable: WCAG contrast of at least 4.5:1
        # between its colour and the first opaque background behind it, as
        # the browser computed them (a table header once inherited white text
        # on a pale background).
        worst = driver.execute_script(_CONTRAST_SCRIPT)
        assert worst["ratio"] >= 4.5, worst
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


_CONTRAST_SCRIPT = """
function rgb(c) { const m = c.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; }
function lum(c) {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
}
function background(el) {
  for (; el; el = el.parentElement) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.a > 0) return c;
  }
  return {r: 255, g: 255, b: 255, a: 1};
}
let worst = {ratio: 99, text: ""};
for (const el of document.querySelectorAll("body *")) {
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < worst.ratio) worst = {ratio: ratio, text: el.textContent.trim().slice(0, 60)};
}
return worst;
"""


def test_pre_commit_hook_runs_check_on_workbooks():
    import tomllib

    import yaml

    root = Path(__file__).resolve().parent.parent
    (hook,) = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "workbook-engine-check"
    files = re.compile(hook["files"])
    assert files.search("ecoles/saint-joseph.xlsx") and files.search("modeles/3UP.ods")
    assert not files.search("familles.csv") and not files.search("notes.xlsx.bak")
    scripts = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    command, sub = hook["entry"].split()
    assert command in scripts and sub == "check"
