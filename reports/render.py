"""Renderers from one report model: HTML, Markdown, JSON, CSV and JUnit XML here; SARIF 2.1.0 (reports.sarif),
OCSF (reports.ocsf) and the per-safeguard compliance CSV (reports.compliance) beside; this module dispatches."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from voxaudit import __version__
from voxaudit.reports.escaping import (
    csv_cell,
    md_code,
    md_code_block,
    md_text,
    xml_safe,
)
from voxaudit.scan import ScanDocument, dump_scan, write_scan

if TYPE_CHECKING:
    from jinja2 import Environment

    from voxaudit.reports.model import ReportModel

# jinja2, ElementTree and the SARIF/OCSF/compliance writers are imported by the renderer that needs
# them, and the report model is built only for a format that reads it: scan.json alone (the CI and
# benchmark case) needs neither.

FORMATS = ("html", "md", "json", "csv", "sarif", "junit", "ocsf", "compliance", "pdf")
FILENAMES = {"html": "report.html", "md": "report.md", "json": "scan.json", "csv": "findings.csv",
             "sarif": "results.sarif", "junit": "junit.xml", "ocsf": "findings.ocsf.json",
             "compliance": "compliance.csv", "pdf": "report.pdf"}


def _fmt(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"




# C0 controls but tab and newline, DEL and C1: an HTML file holding them is harmless in a browser, but `cat`,
# `less -R` or `-o -` to a terminal would run the escape sequences a hostile name carries.
_HTML_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _no_controls(value: Any) -> Any:
    """Every value a template prints, without control characters (escaped markup stays markup)."""
    if isinstance(value, str):
        cleaned = _HTML_CONTROLS.sub("", value)
        # already-escaped markup (jinja's Markup, a str with __html__) stays markup, of its own type
        return type(value)(cleaned) if hasattr(value, "__html__") else cleaned
    return value


def _env(autoescape: bool) -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("voxaudit.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]) if autoescape else False,
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=_no_controls if autoescape else None,
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
    from voxaudit.reports.sarif import render_sarif_doc

    return render_sarif_doc(model.doc)


def render_ocsf(model: ReportModel) -> str:
    from voxaudit.reports.ocsf import render_ocsf_doc

    return render_ocsf_doc(model.doc)


def render_compliance(model: ReportModel) -> str:
    from voxaudit.reports.compliance import render_compliance_doc

    return render_compliance_doc(model.doc)


def render_junit(model: ReportModel) -> str:
    from xml.etree import ElementTree as ET

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
    "sarif": render_sarif, "junit": render_junit, "ocsf": render_ocsf, "compliance": render_compliance,
}


def render_format(doc: ScanDocument, fmt: str) -> str:
    """One format as text (what ``-o -`` writes to standard output)."""
    from voxaudit.reports.model import build_report

    return RENDERERS[fmt](build_report(doc))


def write_reports(doc: ScanDocument, formats: list[str], outdir: Path) -> list[Path]:
    """Render each format into ``outdir``; the JSON scan is always written, first."""
    outdir.mkdir(parents=True, exist_ok=True)
    model: ReportModel | None = None  # built on first use: scan.json alone does not read it
    wanted = ["json"] + [f for f in formats if f not in {"json", "pdf"}]
    written: list[Path] = []
    for fmt in wanted:
        path = outdir / FILENAMES[fmt]
        tmp = path.with_name(path.name + ".tmp")
        if fmt == "json":  # the largest file: written as it is encoded, never held whole
            with tmp.open("wb") as out:
                write_scan(doc, out)
        elif fmt == "ocsf":  # an event per result: written as built, never held whole
            from voxaudit.reports.ocsf import write_ocsf

            with tmp.open("w", encoding="utf-8") as text_out:
                write_ocsf(doc, text_out)
        else:
            if model is None:
                from voxaudit.reports.model import build_report
                model = build_report(doc)
            tmp.write_text(RENDERERS[fmt](model), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    if "pdf" in formats:  # binary, by headless Chromium, last: without it, reports.pdf.PdfError after the others
        from voxaudit.reports.model import build_report
        from voxaudit.reports.pdf import write_pdf
        written.append(write_pdf(model or build_report(doc), outdir / FILENAMES["pdf"], written))
    return written
