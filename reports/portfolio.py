"""The MSP view: every clinic of a scan on one page, and one report per clinic; also CSV and JSON.

The page (``portfolio.html``) is one self-contained file: fleet totals, clinics whose collection
failed pinned first as needing attention (never sorted among the assessed ones), each clinic's
score, trend from the history store, failing and error counts, a clinic x safeguard heat map, and
the findings that recur across clinics. Sorting and filtering run in the page; its only script is
``reports/static/portfolio.js``, inlined and allowed by hash in the page's Content-Security-Policy,
which also forbids every request (no CDN, no font, no image from anywhere).

Each clinic's report is the same report as any scan's, over that clinic's targets only, scored
against the same profile, so a clinic can be handed its own file and nothing of its neighbours.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Optional

from voxaudit.history import History, HistoryError, Snapshot, diff
from voxaudit.model import Result, Status
from voxaudit.profile import Profile
from voxaudit.reports.escaping import csv_cell
from voxaudit.reports.pdf import PdfError
from voxaudit.reports.render import _env, write_reports
from voxaudit.scan import ScanDocument
from voxaudit.scoring import score

NO_CLINIC = "(no clinic)"
HISTORY_POINTS = 12  # earlier scans drawn in a clinic's trend line


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "clinic"


def clinic_documents(doc: ScanDocument, profile: Profile) -> dict[str, ScanDocument]:
    meta = doc.meta()
    by_clinic: dict[str, list[Any]] = defaultdict(list)
    for t in doc.targets:
        by_clinic[t.clinic or NO_CLINIC].append(t)
    results_of: dict[str, list[Result]] = defaultdict(list)
    for r in doc.results:
        results_of[r.target].append(r)
    out = {}
    for clinic in sorted(by_clinic):
        targets = by_clinic[clinic]
        results = [r for t in targets for r in results_of.get(t.name, [])]
        out[clinic] = doc.replace(targets=targets, results=results, trend=None, scores=score(results, profile, meta),
                                  warnings=_own_warnings(doc.warnings, {t.name for t in targets}, len(by_clinic)))
    return out


def _own_warnings(warnings: list[str], names: set[str], clinics: int) -> list[str]:
    """A clinic's warnings: those of its own targets ("target: file:line: ..."). The others (a shared
    waivers file's) may name any clinic's resources: they stay in the fleet's report unless there is one clinic."""
    if clinics == 1:
        return list(warnings)
    prefixes = tuple(f"{name}: " for name in names)
    return [w for w in warnings if w.startswith(prefixes)]


def clinic_slugs(clinics: list[str]) -> dict[str, str]:
    """Each clinic's folder name: its slug, made unique ("Clinic A" and "clinic-a" must not share a report)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for clinic in clinics:
        base = name = slug(clinic)
        n = 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        out[clinic] = name
    return out


# -- trends from the history store ---------------------------------------------------------------

_STATUS = {"PASS": Status.PASS, "FAIL": Status.FAIL, "ERROR": Status.ERROR, "NOT_APPLICABLE": Status.NOT_APPLICABLE,
           "WAIVED": Status.NOT_APPLICABLE}  # a waived failure counts neither for nor against a score


def clinic_trends(store: History, docs: dict[str, ScanDocument], profile: Profile,
                  limit: int = HISTORY_POINTS) -> dict[str, dict[str, Any]]:
    """Each clinic's change since its previous scan and its score over its last ``limit`` scans.

    The store keeps one overall score per scan, which for a fleet scan is the fleet's: a clinic's
    earlier scores are recomputed here from the stored results of its own targets, against this
    profile, so its trend compares like with like. A scan is a clinic's when it covered any of
    the clinic's targets (as ``History.previous`` decides)."""
    out: dict[str, dict[str, Any]] = {}
    cache: dict[str, tuple[Snapshot, dict[str, list[tuple[str, str, str, str]]]]] = {}
    try:
        for clinic, cdoc in docs.items():
            meta = cdoc.meta()
            names = {t.name for t in cdoc.targets}
            past: dict[str, dict[str, Any]] = {}
            for name in sorted(names):
                for row in store.scans(limit=limit + 1, target=name):
                    if row["scan_id"] != cdoc.scan_id and (row["finished_at"] or "") <= cdoc.finished_at:
                        past[row["scan_id"]] = row
            earlier = sorted(past.values(), key=lambda r: (r["finished_at"] or "", r["row"]))[-limit:]
            points: list[dict[str, Any]] = []
            previous: Optional[Snapshot] = None
            for row in earlier:
                if row["scan_id"] not in cache:
                    snap = store.snapshot(row["scan_id"])
                    grouped: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
                    for (cid, target, resource), (status, _sev) in snap.results.items():
                        grouped[target].append((cid, target, resource, status))
                    cache[row["scan_id"]] = (snap, grouped)
                snap, grouped = cache[row["scan_id"]]
                mine = [r for name in names for r in grouped.get(name, [])]
                results = [Result(cid, target, resource, _STATUS.get(status, Status.ERROR))
                           for cid, target, resource, status in mine]
                clinic_score = score(results, profile, meta).overall
                points.append({"scan_id": row["scan_id"], "finished_at": row["finished_at"], "score": clinic_score})
                previous = Snapshot(scan_id=snap.scan_id, overall=clinic_score,
                                    results={(c, t, r): snap.results[(c, t, r)] for c, t, r, _ in mine},
                                    safeguards={}, targets=snap.targets & names)
            points.append({"scan_id": cdoc.scan_id, "finished_at": cdoc.finished_at, "score": cdoc.scores.overall,
                           "current": True})
            trend: dict[str, Any] = {"history": points}
            if previous is not None:
                trend.update(diff(previous, Snapshot.of(cdoc)).summary())
            out[clinic] = trend
    except (HistoryError, sqlite3.Error):
        pass  # a store that cannot be read costs the trends, never the portfolio
    return out


# -- the portfolio ---------------------------------------------------------------------------------

@dataclass
class Portfolio:
    """What the page, the JSON and the CSV show: built once from the per-clinic documents."""

    doc: ScanDocument
    rows: list[dict[str, Any]]
    safeguards: list[dict[str, Any]]
    recurring: list[dict[str, Any]]
    totals: dict[str, Any] = field(default_factory=dict)

    @property
    def attention(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["attention"]]

    @property
    def assessed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if not r["attention"]]


def _sparkline(points: list[dict[str, Any]], width: int = 110, height: int = 26) -> list[tuple[float, float]]:
    """Where each assessed score of ``points`` sits in a ``width`` x ``height`` box: the y range is the
    clinic's own (at least 10 points high), so a change of a few points shows; gaps where not assessed."""
    scores = [p["score"] for p in points if p["score"] is not None]
    if len(points) < 2 or not scores:
        return []
    low, high = min(scores), max(scores)
    if high - low < 10:
        # A 10-point window around the scores, moved inside 0..100 at the ends. (Clipping it there and then
        # testing the width again once sent a flat 61.6 to the 90..100 window: floating point makes
        # 66.6 - 56.6 a hair under 10, and the line was drawn two rows lower, over another clinic's.)
        low = min(max(0.0, (high + low) / 2 - 5), 90.0)
        high = low + 10
    step = (width - 6) / (len(points) - 1)
    top, bottom = 3.0, height - 3.0

    def y(score: float) -> float:
        return round(min(bottom, max(top, bottom - (score - low) / (high - low) * (bottom - top))), 1)

    return [(round(3 + i * step, 1), y(p["score"])) for i, p in enumerate(points) if p["score"] is not None]


def _row(clinic: str, folder: str, d: ScanDocument, trend: dict[str, Any]) -> dict[str, Any]:
    meta = d.meta()
    failing_checks: dict[str, set[str]] = defaultdict(set)
    for r in d.results:
        if r.effective_status == "FAIL" and r.check_id in meta:
            failing_checks[meta[r.check_id].severity.value].add(r.check_id)
    failures = [{"target": t.name, "kind": t.failure.kind.value, "reason": t.failure.reason}
                for t in d.targets if t.failure is not None]
    history = trend.get("history") or []
    delta = trend.get("score_delta")
    return {
        "clinic": clinic, "report": f"{folder}/report.html", "targets": len(d.targets),
        "score": d.scores.overall, "coverage": d.scores.coverage,
        "failing": d.scores.counts.get("FAIL", 0), "errors": d.scores.counts.get("ERROR", 0),
        "critical": len(failing_checks.get("critical", ())), "high": len(failing_checks.get("high", ())),
        "score_delta": delta, "new_findings": trend.get("new"), "previous_scan": trend.get("previous_scan"),
        # Needs attention: a target could not be collected, or nothing could be assessed at all.
        "attention": bool(failures) or d.scores.overall is None, "failures": failures,
        "safeguards": {s.id: s.score for s in d.scores.safeguards},
        "history": [{"scan_id": p["scan_id"], "finished_at": p["finished_at"], "score": p["score"]} for p in history],
        "spark": _sparkline(history),
    }


def _recurring(docs: dict[str, ScanDocument]) -> list[dict[str, Any]]:
    """Checks failing at two clinics or more: "27 of 40 clinics: trivial voicemail PINs"."""
    failing: dict[str, set[str]] = defaultdict(set)
    assessed: dict[str, set[str]] = defaultdict(set)
    resources: dict[str, int] = defaultdict(int)
    meta: dict[str, Any] = {}
    for clinic, d in docs.items():
        meta.update(d.meta())
        for r in d.results:
            status = r.effective_status
            if status in {"PASS", "FAIL", "WAIVED"}:
                assessed[r.check_id].add(clinic)
            if status == "FAIL":
                failing[r.check_id].add(clinic)
                resources[r.check_id] += 1
    out = []
    for cid, clinics in failing.items():
        if len(clinics) < 2 or cid not in meta:
            continue
        m = meta[cid]
        out.append({"check_id": cid, "title": m.title, "severity": m.severity.value, "rank": m.severity.rank,
                    "clinics": sorted(clinics), "count": len(clinics), "assessed": len(assessed[cid]),
                    "of": len(docs), "resources": resources[cid]})
    out.sort(key=lambda r: (-r["count"], -r["rank"], r["check_id"]))
    return out


def build_portfolio(doc: ScanDocument, docs: dict[str, ScanDocument],
                    trends: Optional[dict[str, dict[str, Any]]] = None) -> Portfolio:
    trends = trends or {}
    folders = clinic_slugs(list(docs))
    rows = [_row(clinic, folders[clinic], d, trends.get(clinic) or {}) for clinic, d in docs.items()]
    # Clinics needing attention first (by name), then the assessed ones, worst score first.
    rows.sort(key=lambda r: (not r["attention"], r["score"] if not r["attention"] else 0, r["clinic"]))
    recurring = _recurring(docs)
    totals = {
        "clinics": len(rows), "attention": sum(1 for r in rows if r["attention"]),
        "targets": len(doc.targets), "not_collected": sum(1 for t in doc.targets if t.failure is not None),
        "score": doc.scores.overall, "coverage": doc.scores.coverage,
        "failing": doc.scores.counts.get("FAIL", 0), "errors": doc.scores.counts.get("ERROR", 0),
        "critical": sum(r["critical"] for r in rows), "high": sum(r["high"] for r in rows),
        "recurring": len(recurring),
    }
    return Portfolio(doc=doc, rows=rows, safeguards=list(doc.safeguards), recurring=recurring, totals=totals)


def _script() -> tuple[str, str]:
    """The page's script and its CSP hash: nothing else may run in the page."""
    text = files("voxaudit.reports").joinpath("static", "portfolio.js").read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError("reports/static/portfolio.js must not contain '</' (it is inlined in a <script>)")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"'sha256-{digest}'"


def render_portfolio(p: Portfolio) -> str:
    script, script_hash = _script()
    return _env(True).get_template("portfolio.html.j2").render(
        p=p, doc=p.doc, script=script, script_hash=script_hash, heat=_heat_class)


def _heat_class(value: Optional[float]) -> str:
    if value is None:
        return "h-na"
    if value == 0:
        return "h-zero"
    return "h" + str(min(9, int(value // 10)))


def write_portfolio(doc: ScanDocument, profile: Profile, outdir: Path, formats: list[str],
                    trends: Optional[dict[str, dict[str, Any]]] = None) -> list[Path]:
    docs = clinic_documents(doc, profile)
    folders = clinic_slugs(list(docs))
    written: list[Path] = []
    pdf_failure: Optional[PdfError] = None
    for clinic, d in docs.items():
        try:
            written += write_reports(d, formats, outdir / folders[clinic])
        except PdfError as exc:  # every clinic's other reports and the portfolio are still written
            written += exc.written
            pdf_failure = pdf_failure or exc
    p = build_portfolio(doc, docs, trends)
    data = {"scan_id": doc.scan_id, "profile": doc.profile.id, "totals": p.totals,
            "clinics": [{k: v for k, v in r.items() if k != "spark"} for r in p.rows], "recurring": p.recurring}
    for name, text in (("portfolio.html", render_portfolio(p)), ("portfolio.json", json.dumps(data, indent=1)),
                       ("portfolio.csv", _csv(p.rows))):
        (outdir / name).write_text(text, encoding="utf-8")
        written.append(outdir / name)
    if pdf_failure is not None:
        raise PdfError(str(pdf_failure), written)
    return written


CSV_FIELDS = ["clinic", "report", "targets", "score", "coverage", "failing", "critical", "high", "errors",
              "score_delta", "new_findings", "attention", "not_collected"]


def _csv(table: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for r in table:
        cells = {**r, "attention": "yes" if r["attention"] else "",
                 "not_collected": " ".join(f"{f['target']} ({f['kind']})" for f in r["failures"])}
        w.writerow([csv_cell(v) if isinstance(v, str) else ("" if v is None else v) for v in (cells[k] for k in CSV_FIELDS)])
    return buf.getvalue()
