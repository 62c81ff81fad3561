"""findings.ocsf.json: OCSF 1.5 Compliance Finding events (class_uid 2003) for SIEMs and security lakes.

One event per result that was judged or could not be judged: FAIL, WAIVED, ERROR and PASS, as
Prowler's OCSF output carries every check outcome, its passes included (a consumer needs the PASS
that closes an earlier FAIL). NOT_APPLICABLE results are left out: nothing was evaluated.

* ``compliance``: the control's HIPAA citations as ``requirements``, the control ID as ``control``,
  the result as ``status_id`` (Pass 1, Fail 3 for FAIL and WAIVED, Warning 2 for ERROR: "no result
  due to missing information"), the check that ran (the 1.x ID of the platform's binding) in ``checks``;
* the finding's own ``status_id`` is New, or Suppressed for a waived failure; ``status_code`` is
  voxaudit's status (PASS, FAIL, WAIVED, ERROR), ``status_detail`` its evidence;
* ``resources``: the resource on its target, with where it was read; ``remediation``: the fix in the
  target's flavor and the control's page; ``unmapped``: target, clinic, site, fix lines, waiver,
  error kind and the profile's safeguards the control belongs to.

Events are built as plain data (a 10,000-extension scan has 140,000 results); tests/test_ocsf.py
validates every one against py-ocsf-models' ComplianceFinding. Like every report, nothing here
comes from a configuration value: resources, evidence and fixes are secret-free by construction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, TextIO

import msgspec

from voxaudit.check import AREAS, CheckMeta, binding_key
from voxaudit.model import Result
from voxaudit.reports.escaping import json_safe
from voxaudit.reports.links import PROJECT_URL, control_doc_url
from voxaudit.reports.sarif import fingerprint
from voxaudit.scan import ScanDocument, TargetRecord

OCSF_VERSION = "1.5.0"
CATEGORY_UID, CATEGORY_NAME = 2, "Findings"
CLASS_UID, CLASS_NAME = 2003, "Compliance Finding"
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE
SEVERITY = {"info": (1, "Informational"), "low": (2, "Low"), "medium": (3, "Medium"), "high": (4, "High"),
            "critical": (5, "Critical")}
# compliance.status_id: 1 Pass, 2 Warning (no result for missing information), 3 Fail
COMPLIANCE_STATUS = {"PASS": (1, "Pass"), "FAIL": (3, "Fail"), "WAIVED": (3, "Fail"), "ERROR": (2, "Warning")}
# the finding's workflow status: 1 New, 3 Suppressed
FINDING_STATUS = {"WAIVED": (3, "Suppressed")}
NEW = (1, "New")
EMITTED = frozenset(COMPLIANCE_STATUS)
_CFR_PART = re.compile(r"^164\.(\d{3})")


def standards_of(citations: list[str]) -> list[str]:
    """The HIPAA rules a control's citations belong to (164.3xx Security Rule, 164.5xx Privacy Rule, the 2025
    proposed Security Rule for the profiles' NPRM-* safeguards)."""
    out = []
    for c in citations:
        m = _CFR_PART.match(c)
        name = ("HIPAA Security Rule" if m.group(1).startswith("3") else "HIPAA Privacy Rule") if m else \
            "HIPAA Security Rule NPRM (90 FR 898, proposed)" if c.startswith("NPRM") else "HIPAA"
        if name not in out:
            out.append(name)
    return out or ["HIPAA"]


def requirement(citation: str) -> str:
    """A citation as a requirement name: 164.312(d) -> 45 CFR 164.312(d)."""
    return f"45 CFR {citation}" if _CFR_PART.match(citation) else citation


def _millis(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass(frozen=True)
class _Control:
    """What every event of one control shares (computed once per control, not per result)."""

    title: str
    rationale: str
    area: str
    requirements: list[str]
    standards: list[str]
    severity: tuple[int, str]


@dataclass(frozen=True)
class _Target:
    """What every event on one target shares."""

    platform: str
    flavor: str
    labels: list[str]
    source: str
    extra: dict[str, str]  # clinic, site


def _control(c: CheckMeta) -> _Control:
    return _Control(title=json_safe(c.title), rationale=json_safe(c.rationale), area=AREAS.get(c.area, c.area),
                    requirements=[requirement(h) for h in c.hipaa], standards=standards_of(c.hipaa),
                    severity=SEVERITY[c.severity.value])


def _target(t: TargetRecord | None) -> _Target:
    if t is None:
        return _Target(platform="", flavor="", labels=[], source="", extra={})
    extra = {k: json_safe(v) for k, v in (("clinic", t.clinic), ("site", t.site)) if v}
    return _Target(platform=t.platform, flavor=str(getattr(t.facts, "flavor", t.platform)) if t.facts is not None else "",
                   labels=[f"{k}:{v}" for k, v in extra.items()], source=json_safe(t.source), extra=extra)


def finding(doc: ScanDocument, r: Result, c: CheckMeta, t: _Target, ctl: _Control, safeguards: list[dict[str, str]],
            time_ms: int, occurrence: int) -> dict[str, Any]:
    """One Compliance Finding event (plain data, key order fixed; the constant parts are shared between events)."""
    status = r.effective_status
    sev_id, sev_name = ctl.severity
    comp_id, comp_name = COMPLIANCE_STATUS[status]
    fin_id, fin_name = FINDING_STATUS.get(status, NEW)
    uid = f"voxaudit-{fingerprint(r.target, r.check_id, r.resource)}" + (f"-{occurrence}" if occurrence > 1 else "")
    target, name = json_safe(r.target), json_safe(r.resource)
    resource: dict[str, Any] = {"uid": f"{target}/{name}", "name": name, "type": t.platform or "target",
                                "group": {"name": target}}
    data = {k: v for k, v in (("source", t.source), ("location", json_safe(str(r.location)) if r.location else ""))
            if v}
    if data:
        resource["data"] = data
    if t.labels:
        resource["labels"] = t.labels
    unmapped: dict[str, Any] = {"target": target, **t.extra}
    if r.alias:
        unmapped["alias"] = r.alias
    if r.fix:
        unmapped["fix"] = [json_safe(f) for f in r.fix]
    if r.error_kind is not None:
        unmapped["error_kind"] = r.error_kind.value
    if r.waiver is not None:
        unmapped["waiver"] = {"owner": json_safe(r.waiver.owner), "reason": json_safe(r.waiver.reason),
                              "expires": json_safe(r.waiver.expires)}
    if safeguards:
        unmapped["safeguards"] = safeguards
    evidence = json_safe(r.evidence)
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE, "activity_name": "Create",
        "category_uid": CATEGORY_UID, "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID, "class_name": CLASS_NAME,
        "type_uid": TYPE_UID, "type_name": f"{CLASS_NAME}: Create",
        "time": time_ms,
        "severity_id": sev_id, "severity": sev_name,
        "status_id": fin_id, "status": fin_name, "status_code": status,
        "status_detail": evidence,
        "message": f"{name}: {evidence}" if evidence else name,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "voxaudit", "uid": "voxaudit", "vendor_name": "voxaudit", "version": doc.tool_version,
                        "url_string": PROJECT_URL},
            "uid": f"{doc.scan_id}-{uid}",
            "correlation_uid": doc.scan_id,
            "event_code": r.check_id,
            "labels": [f"profile:{doc.profile.id}"],
        },
        "finding_info": {"uid": uid, "title": ctl.title, "types": [ctl.area], "created_time": time_ms},
        "compliance": {
            "category": ctl.area,
            "checks": [{"uid": r.alias or r.check_id, "status": comp_name, "status_id": comp_id}],
            "control": r.check_id,
            "requirements": ctl.requirements,
            "standards": ctl.standards,
            "status_id": comp_id,
        },
        "resources": [resource],
        "unmapped": unmapped,
    }
    if status != "PASS":  # the why and the fix, where there is something to fix or to look at
        event["finding_info"]["desc"] = ctl.rationale
        fix = c.remediation_for(t.flavor, [binding_key(t.platform, r.alias)]) if c.remediation else c.title
        event["remediation"] = {"desc": json_safe(fix),
                                "references": [control_doc_url(r.check_id)]}
    return event


def build_findings(doc: ScanDocument) -> list[dict[str, Any]]:
    """Every event of a scan, in the scan's order."""
    return list(iter_findings(doc))


def iter_findings(doc: ScanDocument) -> Iterator[dict[str, Any]]:
    """Every event of a scan, in the scan's order, one at a time (an event as a dict takes tens of
    kilobytes: 20,000 mailboxes held at once took most of a gigabyte)."""
    meta = doc.meta()
    controls = {cid: _control(c) for cid, c in meta.items()}
    targets = {t.name: _target(t) for t in doc.targets}
    sg_of: dict[str, list[dict[str, str]]] = {}
    for sg in doc.safeguards:
        for cid in sg.get("checks", []):
            sg_of.setdefault(cid, []).append({"id": str(sg["id"]), "title": str(sg.get("title", "")),
                                              "level": str(sg.get("level", ""))})
    time_ms = _millis(doc.finished_at)
    seen: dict[tuple[str, str, str], int] = {}
    for r in doc.results:
        c = meta.get(r.check_id)
        if c is None or r.effective_status not in EMITTED:
            continue
        key = (r.target, r.check_id, r.resource)
        seen[key] = seen.get(key, 0) + 1
        t = targets.get(r.target) or _target(None)
        yield finding(doc, r, c, t, controls[r.check_id], sg_of.get(r.check_id, []), time_ms, seen[key])


def write_ocsf(doc: ScanDocument, out: TextIO) -> None:
    """The OCSF array, written event by event: a JSON array, one event per line (as Prowler writes its
    OCSF file; compact). Never held whole (20,000 mailboxes make 240 MB of events)."""
    encode = msgspec.json.encode
    first = True
    for e in iter_findings(doc):
        out.write("[\n" if first else ",\n")
        out.write(encode(e).decode())
        first = False
    out.write("[]\n" if first else "\n]\n")


def render_ocsf_doc(doc: ScanDocument) -> str:
    """The same array as text (``-o -`` and the tests)."""
    import io

    buf = io.StringIO()
    write_ocsf(doc, buf)
    return buf.getvalue()
