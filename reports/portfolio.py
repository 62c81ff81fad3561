"""The MSP view: every clinic of a scan on one page (score, coverage, critical and high findings,
errors, trend), sortable, each linking to that clinic's own report; also CSV and JSON.

Each clinic's report is the same report as any scan's, over that clinic's targets only, scored
against the same profile, so a clinic can be handed its own file and nothing of its neighbours.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Optional

from auditor.profile import Profile
from auditor.scan import ScanDocument
from auditor.scoring import score
from reports.render import _env, write_reports


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "clinic"


def clinic_documents(doc: ScanDocument, profile: Profile) -> dict[str, ScanDocument]:
    meta = doc.meta()
    out = {}
    for clinic in sorted({t.clinic or "(no clinic)" for t in doc.targets}):
        targets = [t for t in doc.targets if (t.clinic or "(no clinic)") == clinic]
        names = {t.name for t in targets}
        results = [r for r in doc.results if r.target in names]
        out[clinic] = doc.replace(targets=targets, results=results, trend=None, scores=score(results, profile, meta))
    return out


def rows(docs: dict[str, ScanDocument], trends: Optional[dict[str, dict]] = None) -> list[dict]:
    trends = trends or {}
    out = []
    for clinic, d in docs.items():
        meta = d.meta()
        failing = {}
        for r in d.results:
            if r.effective_status == "FAIL" and r.check_id in meta:
                sev = meta[r.check_id].severity.value
                failing.setdefault(sev, set()).add(r.check_id)
        trend = trends.get(clinic) or {}
        out.append({
            "clinic": clinic, "report": f"{slug(clinic)}/report.html", "targets": len(d.targets),
            "score": d.scores.overall, "coverage": d.scores.coverage,
            "critical": len(failing.get("critical", ())), "high": len(failing.get("high", ())),
            "errors": sum(1 for r in d.results if r.status == "ERROR"),
            "score_delta": trend.get("score_delta"), "new_findings": trend.get("new"),
        })
    return sorted(out, key=lambda r: (r["score"] is None, r["score"] if r["score"] is not None else 0))


def write_portfolio(doc: ScanDocument, profile: Profile, outdir: Path, formats: list[str],
                    trends: Optional[dict[str, dict]] = None) -> list[Path]:
    docs = clinic_documents(doc, profile)
    written = []
    for clinic, d in docs.items():
        written += write_reports(d, formats, outdir / slug(clinic))
    table = rows(docs, trends)
    html = _env(True).get_template("portfolio.html.j2").render(doc=doc, rows=table)
    for name, text in (("portfolio.html", html), ("portfolio.json", json.dumps(
            {"scan_id": doc.scan_id, "profile": doc.profile.id, "clinics": table}, indent=1)),
            ("portfolio.csv", _csv(table))):
        (outdir / name).write_text(text, encoding="utf-8")
        written.append(outdir / name)
    return written


def _csv(table: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(table[0]) if table else ["clinic"])
    w.writeheader()
    for r in table:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()
