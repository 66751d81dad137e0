"""``check --format junit``: one test case per workbook, one failure per
cause (grouped as the text output groups them), so any CI shows them.

The shape is the one CI servers read (Jenkins' junit-10.xsd, GitLab, GitHub
actions' test reporters): ``testsuites`` > ``testsuite`` > ``testcase`` >
``failure`` / ``error`` / ``system-out``. A cause at or above the
``--fail-on`` threshold is a ``failure`` (type: the part and severity,
message: the line ``check`` prints; text: the advice and every cell); an
unusable workbook is an ``error``; causes below the threshold, and notes
(macros, links), go to the test case's ``system-out``.
"""

from __future__ import annotations

import datetime as _dt
import xml.etree.ElementTree as ET
from pathlib import Path

from workbook_engine.report.causes import SEVERITY_WORDS, Cause
from workbook_engine.report.gate import DEFAULT_FAIL_ON, FailOn, fails
from workbook_engine.report.summary import summarize
from workbook_engine.report.text import xml_safe
from workbook_engine.workbook.check import CheckReport, show_figure

SUITE = "workbook-engine check"


def _cause_text(cause: Cause) -> str:
    lines = [cause.line, f"Que faire : {cause.advice}", "Cellules :"]
    for f in cause.findings:
        detail = f.cell or f.where
        if f.family:
            detail += f" (famille {f.family})"
        if f.count > 1:
            detail += f" et {f.count - 1} autre(s) cellule(s) de la colonne"
        if f.part == "inputs":
            detail += f" : valeur saisie {show_figure(f.found, 'text')}" if f.found is not None else ""
        elif f.expected is not None or f.found is not None:
            detail += f" : attendu {show_figure(f.expected, f.unit)}, trouvé {show_figure(f.found, f.unit)}"
        lines.append(f"  - {detail}")
    return "\n".join(lines)


def junit_xml(
    reports: list[CheckReport],
    fail_on: FailOn = DEFAULT_FAIL_ON,
    seconds: dict[Path, float] | None = None,
    now: _dt.datetime | None = None,
) -> str:
    seconds = seconds or {}
    stamp = (now or _dt.datetime.now(_dt.UTC)).replace(microsecond=0).isoformat()
    suite = ET.Element("testsuite", name=SUITE, timestamp=stamp)
    failures = errors = 0
    total = 0.0
    for report in reports:
        took = seconds.get(report.path, 0.0)
        total += took
        case = ET.SubElement(
            suite,
            "testcase",
            classname=SUITE,
            name=xml_safe(report.path),
            file=xml_safe(report.path),
            time=f"{took:.3f}",
        )
        out: list[str] = []
        if report.unusable:
            errors += 1
            ET.SubElement(case, "error", type="unusable", message=xml_safe(report.unusable)).text = xml_safe(
                f"{report.path} : {report.unusable}"
            )
        else:
            summary = summarize(report, fail_on)
            failed = False
            for cause in summary.causes:
                if fails(cause.first, fail_on):
                    failed = True
                    ET.SubElement(
                        case, "failure", type=f"{cause.part}.{cause.severity}", message=xml_safe(cause.line)
                    ).text = xml_safe(_cause_text(cause))
                else:
                    out.append(f"{SEVERITY_WORDS[cause.severity]} : {cause.line}")
            failures += failed
            out.insert(0, f"{summary.verdict_text} ({report.families} familles)")
        out += [f"Note : {n}" for n in report.notes]
        if out:
            ET.SubElement(case, "system-out").text = xml_safe("\n".join(out))
    counts = {
        "tests": str(len(reports)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": "0",
        "time": f"{total:.3f}",
    }
    suite.attrib.update(counts)
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
