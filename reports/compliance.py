"""compliance.csv: one row per safeguard x target x control, as Prowler's compliance CSVs are.

Prowler writes one file per framework with upper-case headers, ';' between cells and a row per
requirement and finding; this file keeps its column names where they mean the same thing
(REQUIREMENTS_ID is the safeguard, CHECKID the control, ACCOUNTID the clinic, REGION the site,
RESOURCEID the target) and adds voxaudit's (docs/formats.md lists them all). The row's STATUS is
the control's verdict on that target over all its resources:

* FAIL: at least one resource fails and is not waived ("failing", as in every report);
* ERROR: none failing, but at least one could not be assessed;
* WAIVED: every failure is waived (MUTED is true, as Prowler marks muted findings);
* PASS: every assessed resource passes; NOT_APPLICABLE: nothing on the target it applies to;
* MANUAL: no control of the safeguard runs on this target's platform (one row, CHECKID empty):
  the safeguard is not assessed there, never counted as passed.
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from typing import Any

from voxaudit.model import Result
from voxaudit.reports.escaping import csv_cell
from voxaudit.scan import ScanDocument, TargetRecord

COLUMNS = [
    # Prowler's generic compliance columns
    "PROVIDER", "DESCRIPTION", "ACCOUNTID", "REGION", "ASSESSMENTDATE", "REQUIREMENTS_ID",
    "REQUIREMENTS_DESCRIPTION", "REQUIREMENTS_ATTRIBUTES_SECTION", "REQUIREMENTS_ATTRIBUTES_TYPE", "STATUS",
    "STATUSEXTENDED", "RESOURCEID", "RESOURCENAME", "CHECKID", "MUTED", "FRAMEWORK", "NAME",
    # voxaudit's
    "CHECK_TITLE", "SEVERITY", "HIPAA", "ALIASES", "RESOURCES", "PASSED", "FAILED", "WAIVED", "ERRORS",
    "NOT_APPLICABLE", "ERROR_KINDS", "SCAN_ID", "PROFILE_ID", "PROFILE_VERSION",
]
DELIMITER = ";"
FRAMEWORK = "HIPAA"
EXAMPLES = 3  # failing (or not assessed) resources quoted in STATUSEXTENDED
SECTIONS = {
    "308": "Administrative safeguards (164.308)",
    "310": "Physical safeguards (164.310)",
    "312": "Technical safeguards (164.312)",
    "314": "Organizational requirements (164.314)",
    "316": "Policies, procedures and documentation (164.316)",
    "514": "Privacy Rule: uses and disclosures (164.514)",
    "530": "Privacy Rule: administrative requirements (164.530)",
}
_PART = re.compile(r"^164\.(\d{3})")


def section_of(citation: str) -> str:
    """The HIPAA section a safeguard's citation falls in; a proposed rule's citation as written."""
    m = _PART.match(citation)
    if m:
        return SECTIONS.get(m.group(1), f"45 CFR 164.{m.group(1)}")
    return citation


def _examples(results: list[Result]) -> str:
    shown = "; ".join(f"{r.resource} ({r.evidence})" if r.evidence else r.resource for r in results[:EXAMPLES])
    more = f"; and {len(results) - EXAMPLES} more" if len(results) > EXAMPLES else ""
    return shown + more


def verdict(results: list[Result]) -> tuple[str, str, bool, dict[str, int]]:
    """(STATUS, STATUSEXTENDED, MUTED, counts) of one control on one target."""
    by: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by[r.effective_status].append(r)
    counts = {s: len(by[s]) for s in ("PASS", "FAIL", "WAIVED", "ERROR", "NOT_APPLICABLE")}
    total = len(results)
    if by["FAIL"]:
        return "FAIL", f"{counts['FAIL']} of {total} failing: {_examples(by['FAIL'])}", False, counts
    if by["ERROR"]:
        return "ERROR", f"{counts['ERROR']} of {total} not assessed: {_examples(by['ERROR'])}", False, counts
    if by["WAIVED"]:
        w = by["WAIVED"][0].waiver
        who = f" (owner {w.owner}, expires {w.expires})" if w is not None else ""
        return "WAIVED", f"{counts['WAIVED']} of {total} failing, waived{who}: {_examples(by['WAIVED'])}", True, counts
    if by["PASS"]:
        return "PASS", f"{counts['PASS']} of {total} pass", False, counts
    return "NOT_APPLICABLE", _examples(by["NOT_APPLICABLE"]) or "nothing this control applies to", False, counts


def rows(doc: ScanDocument) -> list[dict[str, Any]]:
    """Every row, in the profile's safeguard order, then target order, then the safeguard's control order."""
    meta = doc.meta()
    grouped: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in doc.results:
        grouped[(r.target, r.check_id)].append(r)
    out = []
    for sg in doc.safeguards:
        citation = str(sg.get("citation") or sg["id"])
        for t in doc.targets:
            common = _common(doc, sg, citation, t)
            made = 0
            for cid in sg.get("checks", []):
                results = grouped.get((t.name, cid))
                c = meta.get(cid)
                if not results or c is None:
                    continue
                status, extended, muted, counts = verdict(results)
                kinds = sorted({r.error_kind.value for r in results if r.error_kind is not None})
                out.append(common | {
                    "STATUS": status, "STATUSEXTENDED": extended, "CHECKID": cid, "MUTED": str(muted).lower(),
                    "CHECK_TITLE": c.title, "SEVERITY": c.severity.value, "HIPAA": " ".join(c.hipaa),
                    "ALIASES": " ".join(c.aliases.get(t.platform, [])), "RESOURCES": len(results),
                    "PASSED": counts["PASS"], "FAILED": counts["FAIL"], "WAIVED": counts["WAIVED"],
                    "ERRORS": counts["ERROR"], "NOT_APPLICABLE": counts["NOT_APPLICABLE"], "ERROR_KINDS": " ".join(kinds),
                })
                made += 1
            if not made:
                out.append(common | {
                    "STATUS": "MANUAL", "MUTED": "false",
                    "STATUSEXTENDED": f"no control of this safeguard runs on {t.platform}; assess it by other means",
                    "RESOURCES": 0, "PASSED": 0, "FAILED": 0, "WAIVED": 0, "ERRORS": 0, "NOT_APPLICABLE": 0,
                })
    return out


def _common(doc: ScanDocument, sg: dict[str, Any], citation: str, t: TargetRecord) -> dict[str, Any]:
    return {
        "PROVIDER": t.platform, "DESCRIPTION": doc.profile.description, "ACCOUNTID": t.clinic, "REGION": t.site,
        "ASSESSMENTDATE": doc.finished_at, "REQUIREMENTS_ID": sg["id"], "REQUIREMENTS_DESCRIPTION": sg.get("title", ""),
        "REQUIREMENTS_ATTRIBUTES_SECTION": section_of(citation), "REQUIREMENTS_ATTRIBUTES_TYPE": sg.get("level", ""),
        "RESOURCEID": t.name, "RESOURCENAME": t.source, "FRAMEWORK": FRAMEWORK, "NAME": doc.profile.title,
        "SCAN_ID": doc.scan_id, "PROFILE_ID": doc.profile.id, "PROFILE_VERSION": doc.profile.version,
    }


def render_compliance_doc(doc: ScanDocument) -> str:
    """compliance.csv; every cell through csv_cell (a configuration's text is never a formula)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, delimiter=DELIMITER, restval="")
    w.writeheader()
    for row in rows(doc):
        w.writerow({k: csv_cell(v) for k, v in row.items()})
    return buf.getvalue()
