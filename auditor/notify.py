"""Scan notifications with minimum-necessary content (45 CFR 164.514(d)): counts, scores and a
link, never finding text, resource names, evidence, targets' addresses or anything from a
device. A webhook receiver (chat, ticketing) learns that a scan ran and how it went, and
follows the link for the rest.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Optional

from voxaudit.scan import ScanDocument


def payload(doc: ScanDocument, report_url: Optional[str] = None) -> dict:
    meta = doc.meta()
    failing: dict[str, set] = {}
    for r in doc.results:
        if r.effective_status == "FAIL" and r.check_id in meta:
            failing.setdefault(meta[r.check_id].severity.value, set()).add(r.check_id)
    return {
        "tool": "voxaudit", "scan_id": doc.scan_id, "finished_at": doc.finished_at, "profile": doc.profile.id,
        "score": doc.scores.overall, "coverage": doc.scores.coverage,
        "targets": len(doc.targets), "targets_not_collected": sum(1 for t in doc.targets if t.failure),
        # "failing" is the one count the terminal, the HTML report and the portfolio show: FAIL results not
        # waived. failing_checks_by_severity counts controls (each once, however many resources fail it).
        "failing": doc.scores.counts.get("FAIL", 0),
        "failing_checks_by_severity": {k: len(v) for k, v in sorted(failing.items())},
        "errors": doc.scores.counts.get("ERROR", 0), "waived": doc.scores.counts.get("WAIVED", 0),
        "new_findings": doc.trend.new if doc.trend else None, "score_change": doc.trend.score_delta if doc.trend else None,
        "report": report_url,
    }


def send_webhook(url: str, body: dict, timeout: float = 10.0) -> Optional[str]:
    """POST the body as JSON; returns None on success, else a one-line reason."""
    if not url.lower().startswith(("https://", "http://")):
        return "the webhook URL must be http(s)://"
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "voxaudit"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (scheme checked above)
            if resp.status >= 300:
                return f"webhook answered HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"webhook unreachable ({getattr(exc, 'reason', exc)})"
    return None
