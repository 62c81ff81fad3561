"""One report model, built from a saved scan, that every renderer reads.

Renderers never look at facts directly: what a report can show is decided here,
and nothing here carries a secret (facts hold none) or message content (facts
hold none either).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from voxaudit.check import AREAS, CheckMeta, binding_key
from voxaudit.model import Result, Severity
from voxaudit.scan import ScanDocument, TargetRecord
from voxaudit.scoring import SafeguardScore

SEVERITY_ORDER = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
FIX_FIRST = 10  # findings in the report's "fix first" list
_ANCHOR_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Finding:
    """A failing check on one target, with every failing resource and the fix."""

    meta: CheckMeta
    target: str
    flavor: str
    results: list[Result]
    safeguards: list[str]
    anchor: str = ""  # the element id its jump links point at: made of safe characters only
    priority: float = 0.0  # severity weight x the weights of the safeguards it is scored under

    @property
    def severity(self) -> str:
        return self.meta.severity.value

    platform: str = ""

    @property
    def remediation(self) -> str:
        """The fixes of the bindings this finding's results came from (all the control's, in older scans)."""
        return self.meta.remediation_for(self.flavor, {binding_key(self.platform, r.alias) for r in self.results})


RECIPIENTS_CONTROL = "BAA-101"  # its results (resource = one outside party) are the report's data-flow inventory


@dataclass
class Recipient:
    """One outside party PHI flows to, for the "PHI recipients" section: from a BAA-101 result."""

    clinic: str
    target: str
    party: str  # "host (role)", as the adapter named it
    status: str  # PASS (BAA in force), FAIL, ERROR (not known), WAIVED
    evidence: str


@dataclass
class ReportModel:
    doc: ScanDocument
    findings: list[Finding]
    waived: list[Result]
    errors: list[Result]
    passed_checks: list[tuple[CheckMeta, str, int]]
    safeguards: list[SafeguardScore]
    findings_by_safeguard: dict[str, list[Finding]]
    severity_counts: dict[str, int]
    area_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    fix_first: list[Finding] = field(default_factory=list)
    safeguard_by_id: dict[str, SafeguardScore] = field(default_factory=dict)
    recipients: list[Recipient] = field(default_factory=list)

    @property
    def failing(self) -> int:
        """FAIL results that are not waived: the one "failing" count of every output."""
        return self.doc.scores.counts.get("FAIL", 0)

    @property
    def clinic(self) -> str:
        """The clinic the report is about when its targets share one (a portfolio's clinic report)."""
        clinics = {t.clinic for t in self.doc.targets}
        return clinics.pop() if len(clinics) == 1 else ""

    @property
    def subject(self) -> str:
        """What the report's title names: the clinic, else its targets."""
        return self.clinic or ", ".join(t.name for t in self.doc.targets) or "no target"

    @property
    def score(self) -> Optional[float]:
        return self.doc.scores.overall

    @property
    def coverage(self) -> Optional[float]:
        return self.doc.scores.coverage

    @property
    def grade(self) -> str:
        s = self.score
        if s is None:
            return "n/a"
        return "A" if s >= 90 else "B" if s >= 80 else "C" if s >= 70 else "D" if s >= 60 else "F"

    @property
    def areas(self) -> dict[str, str]:
        return AREAS


def build_report(doc: ScanDocument) -> ReportModel:
    meta = doc.meta()
    flavors = {t.name: _flavor(t) for t in doc.targets}
    platforms = {t.name: t.platform for t in doc.targets}
    sg_of: dict[str, list[str]] = defaultdict(list)
    for sg in doc.safeguards:
        for cid in sg.get("checks", []):
            sg_of[cid].append(sg["id"])
    grouped: dict[tuple[str, str], list[Result]] = defaultdict(list)
    waived, errors = [], []
    passes: dict[tuple[str, str], int] = defaultdict(int)
    failing_units = set()
    for r in doc.results:
        status = r.effective_status
        if status == "FAIL":
            grouped[(r.target, r.check_id)].append(r)
            failing_units.add((r.target, r.check_id))
        elif status == "WAIVED":
            waived.append(r)
        elif status == "ERROR":
            errors.append(r)
        elif status == "PASS":
            passes[(r.target, r.check_id)] += 1
    findings = [
        Finding(meta=meta[cid], target=target, flavor=flavors.get(target, ""), results=rs, safeguards=sg_of[cid],
                platform=platforms.get(target, ""))
        for (target, cid), rs in grouped.items() if cid in meta
    ]
    findings.sort(key=lambda f: (-f.meta.severity.rank, f.meta.id, f.target))
    weight = {sg["id"]: float(sg.get("weight", 0)) for sg in doc.safeguards}
    used: set[str] = set()
    for f in findings:
        f.priority = f.meta.severity.weight * sum(weight.get(sid, 0.0) for sid in f.safeguards)
        f.anchor = _anchor(f"f-{f.meta.id}-{f.target}", used)
    fix_first = sorted((f for f in findings if f.priority > 0),
                       key=lambda f: (-f.priority, -f.meta.severity.rank, -len(f.results), f.meta.id, f.target))[:FIX_FIRST]
    by_sg: dict[str, list[Finding]] = {sg["id"]: [] for sg in doc.safeguards}
    for f in findings:
        for sid in f.safeguards:
            by_sg.setdefault(sid, []).append(f)
    sev_counts = {s: 0 for s in SEVERITY_ORDER}
    for f in findings:
        sev_counts[f.severity] += 1
    area_counts: dict[str, dict[str, int]] = {a: {"PASS": 0, "FAIL": 0} for a in AREAS}
    for (target, cid), _n in passes.items():
        if cid in meta and (target, cid) not in failing_units:
            area_counts[meta[cid].area]["PASS"] += 1
    for f in findings:
        area_counts[f.meta.area]["FAIL"] += 1
    passed_checks = sorted(
        [(meta[cid], target, n) for (target, cid), n in passes.items() if cid in meta and (target, cid) not in failing_units],
        key=lambda x: (x[0].id, x[1]),
    )
    return ReportModel(doc=doc, findings=findings, waived=waived, errors=errors, passed_checks=passed_checks,
                       safeguards=doc.scores.safeguards, findings_by_safeguard=by_sg, severity_counts=sev_counts,
                       area_counts=area_counts, fix_first=fix_first,
                       safeguard_by_id={s.id: s for s in doc.scores.safeguards}, recipients=recipients(doc))


def _flavor(t: TargetRecord) -> str:
    """Whose terms a target's fixes are given in: the tree's flavor (freepbx, fusionpbx), or the vendors of
    its phones (comma-separated), else its platform."""
    flavor = getattr(t.facts, "flavor", None)
    if flavor:
        return str(flavor)
    if t.facts is not None and t.platform == "phone":
        vendors = sorted({o.get("vendor") or "" for o in t.facts.objects if o.kind == "phone.device"} - {""})
        if vendors:
            return ",".join(vendors)
    return t.platform


def recipients(doc: ScanDocument) -> list[Recipient]:
    """Each clinic's PHI recipients (the data-flow inventory), from BAA-101's results: one per party
    named in configuration; "(target)" and "(unread parts of ...)" results (nothing collected, no party) are not parties."""
    clinic = {t.name: t.clinic for t in doc.targets}
    rows = [Recipient(clinic=clinic.get(r.target, ""), target=r.target, party=r.resource, status=r.effective_status,
                      evidence=r.evidence)
            for r in doc.results if r.check_id == RECIPIENTS_CONTROL and not r.resource.startswith("(")]
    rows.sort(key=lambda x: (x.clinic, x.target, x.party))
    return rows


def _anchor(text: str, used: set[str]) -> str:
    """An element id of safe characters only (target names are anyone's text), unique in the page."""
    base = _ANCHOR_UNSAFE_RE.sub("-", text).strip("-")[:80] or "f"
    anchor, n = base, 1
    while anchor in used:
        n += 1
        anchor = f"{base}-{n}"
    used.add(anchor)
    return anchor
