"""Renderers: HTML, Markdown, JSON, CSV, SARIF 2.1.0 and JUnit XML from one report model."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Callable
from xml.etree import ElementTree as ET

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from auditor import __version__
from auditor.scan import ScanDocument, dump_scan, write_scan
from reports.escaping import (
    csv_cell,
    json_safe,
    md_code,
    md_code_block,
    md_text,
    xml_safe,
)
from reports.model import ReportModel, build_report

FORMATS = ("html", "md", "json", "csv", "sarif", "junit")
FILENAMES = {"html": "report.html", "md": "report.md", "json": "scan.json", "csv": "findings.csv",
             "sarif": "results.sarif", "junit": "junit.xml"}
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _fmt(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"




def _env(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]) if autoescape else False,
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["md"] = md_text  # every config-derived string in report.md goes through one of these three
    env.filters["code"] = md_code
    env.filters["block"] = md_code_block
    return env


def render_html(model: ReportModel) -> str:
    return _env(True).get_template("report.html.j2").render(m=model, doc=model.doc, version=__version__)


def render_markdown(model: ReportModel) -> str:
    return _env(False).get_template("report.md.j2").render(m=model, doc=model.doc, version=__version__)


def render_json(model: ReportModel) -> str:
    return dump_scan(model.doc)


def render_csv(model: ReportModel) -> str:
    meta = model.doc.meta()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["target", "check_id", "severity", "title", "status", "resource", "evidence", "location", "fix",
                "hipaa", "error_kind", "waiver_owner", "waiver_reason", "waiver_expires"])
    for r in model.doc.results:
        m = meta.get(r.check_id)
        w.writerow([csv_cell(cell) for cell in (
            r.target, r.check_id, m.severity.value if m else "", m.title if m else "", r.effective_status, r.resource,
            r.evidence, str(r.location) if r.location else "", " / ".join(r.fix), " ".join(m.hipaa) if m else "",
            r.error_kind.value if r.error_kind else "", r.waiver.owner if r.waiver else "",
            r.waiver.reason if r.waiver else "", r.waiver.expires if r.waiver else "",
        )])
    for warning in model.doc.warnings:  # "target: where: message": a part not understood, shown, never dropped
        target, _, rest = warning.partition(": ")
        where, _, message = rest.partition(": ")
        row = [target, "", "", "configuration not understood", "WARNING", where, message or rest, where,
               "", "", "", "", "", ""]
        w.writerow([csv_cell(cell) for cell in row])
    return buf.getvalue()


def render_sarif(model: ReportModel) -> str:
    doc = model.doc
    checks = sorted(doc.checks, key=lambda c: c.id)
    index = {c.id: i for i, c in enumerate(checks)}
    rules = [{
        "id": c.id,
        "name": "".join(w.capitalize() for w in c.title.replace("/", " ").split() if w.isalnum()) or c.id,
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.rationale},
        "help": {"text": "\n".join(f"{k}: {v}" for k, v in c.remediation.items()),
                 "markdown": "\n\n".join(f"**{k}**: {v}" for k, v in c.remediation.items())},
        "defaultConfiguration": {"level": SARIF_LEVEL[c.severity.value]},
        "properties": {"tags": ["security", "hipaa", c.area] + [f"HIPAA-{h}" for h in c.hipaa],
                       "security-severity": SECURITY_SEVERITY[c.severity.value], "precision": "high"},
    } for c in checks]
    results = []
    for r in doc.results:
        status = r.effective_status
        if status not in {"FAIL", "WAIVED"} or r.check_id not in index:
            continue
        c = checks[index[r.check_id]]
        res = {
            "ruleId": r.check_id, "ruleIndex": index[r.check_id], "level": SARIF_LEVEL[c.severity.value],
            "message": {"text": json_safe(f"[{r.target}] {r.resource}: {r.evidence}")},
            "partialFingerprints": {"voxaudit/v1": f"{r.target}|{r.check_id}|{r.resource}"},
            "properties": {"target": r.target, "resource": r.resource, "fix": r.fix},
        }
        if r.location is not None:
            loc = {"physicalLocation": {"artifactLocation": {"uri": r.location.file, "uriBaseId": "CONFIGROOT"}}}
            if r.location.line:
                loc["physicalLocation"]["region"] = {"startLine": r.location.line}
            res["locations"] = [loc]
        if r.waiver is not None:
            res["suppressions"] = [{"kind": "external", "status": "accepted",
                                    "justification": f"{r.waiver.reason} (owner {r.waiver.owner}, expires {r.waiver.expires})"}]
        results.append(res)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "voxaudit", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/voxaudit/voxaudit", "rules": rules}},
            "automationDetails": {"id": f"voxaudit/{doc.profile.id}/{doc.scan_id}"},
            "results": results,
            # What was present but not understood, and collection failures: the run still succeeded,
            # but these parts were not assessed (code-scanning shows them as tool notifications).
            "invocations": [{
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": json_safe(w)}} for w in doc.warnings
                ] + [
                    {"level": "error", "message": {"text": json_safe(
                        f"{t.name}: not collected ({t.failure.kind.value}): {t.failure.reason}")}}
                    for t in doc.targets if t.failure is not None
                ],
            }],
            "properties": {"profile": doc.profile.id, "score": doc.scores.overall, "coverage": doc.scores.coverage},
        }],
    }
    return json.dumps(sarif, indent=2)


def render_junit(model: ReportModel) -> str:
    doc = model.doc
    meta = doc.meta()
    suites = ET.Element("testsuites", name=f"voxaudit {doc.profile.id}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for target in doc.targets:
        rs = [r for r in doc.results if r.target == target.name]
        counts = {"tests": len(rs), "failures": 0, "errors": 0, "skipped": 0}
        suite = ET.SubElement(suites, "testsuite", name=xml_safe(target.name), timestamp=doc.started_at)
        for r in rs:
            m = meta.get(r.check_id)
            case = ET.SubElement(suite, "testcase", classname=f"{r.check_id} {m.title if m else ''}".strip(),
                                 name=xml_safe(r.resource))
            status = r.effective_status
            if status == "FAIL":
                counts["failures"] += 1
                el = ET.SubElement(case, "failure", message=xml_safe(r.evidence), type=m.severity.value if m else "")
                el.text = xml_safe("\n".join([f"location: {r.location}" if r.location else ""] + r.fix).strip())
            elif status == "ERROR":
                counts["errors"] += 1
                ET.SubElement(case, "error", message=xml_safe(r.evidence), type=r.error_kind.value if r.error_kind else "error")
            elif status in {"NOT_APPLICABLE", "WAIVED"}:
                counts["skipped"] += 1
                msg = r.evidence if status == "NOT_APPLICABLE" else f"waived by {r.waiver.owner}: {r.waiver.reason}"
                ET.SubElement(case, "skipped", message=xml_safe(msg))
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        suites.set(k, str(v))
    if doc.warnings:  # parts present but not understood: shown beside the results, never dropped
        first = suites.find("testsuite")
        holder = first if first is not None else ET.SubElement(suites, "testsuite", name="voxaudit")
        ET.SubElement(holder, "system-err").text = xml_safe("\n".join(f"warning: {w}" for w in doc.warnings))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


RENDERERS: dict[str, Callable[[ReportModel], str]] = {
    "html": render_html, "md": render_markdown, "json": render_json, "csv": render_csv,
    "sarif": render_sarif, "junit": render_junit,
}


def render_format(doc: ScanDocument, fmt: str) -> str:
    """One format as text (what ``-o -`` writes to standard output)."""
    return RENDERERS[fmt](build_report(doc))


def write_reports(doc: ScanDocument, formats: list[str], outdir: Path) -> list[Path]:
    """Render each format into ``outdir``; the JSON scan is always written, first."""
    outdir.mkdir(parents=True, exist_ok=True)
    model = build_report(doc)
    wanted = ["json"] + [f for f in formats if f != "json"]
    written = []
    for fmt in wanted:
        path = outdir / FILENAMES[fmt]
        tmp = path.with_name(path.name + ".tmp")
        if fmt == "json":  # the largest file: written as it is encoded, never held whole
            with tmp.open("wb") as out:
                write_scan(doc, out)
        else:
            tmp.write_text(RENDERERS[fmt](model), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
