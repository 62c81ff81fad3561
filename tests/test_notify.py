"""The webhook's summary speaks the one vocabulary: its ``failing`` is the count the terminal, the HTML
report and the portfolio show (FAIL results not waived), and it stays minimum-necessary."""
from __future__ import annotations

import json
import re

from tests.conftest import EXAMPLE
from voxaudit.engine.collect import TargetSpec
from voxaudit.model import Waiver
from voxaudit.notify import payload
from voxaudit.profile import load_profile
from voxaudit.reports.render import render_format
from voxaudit.service import run_scan


def test_payload_failing_is_the_reports_failing_and_names_nothing(registry):
    waiver = Waiver(check="MBX-PIN-103", owner="it@clinic.example", reason="replacement ordered", expires="2999-01-01")
    doc = run_scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE)], registry,
                   load_profile("hipaa-security-rule", registry), [waiver])
    body = payload(doc, "https://reports.msp.example/riverside/")
    failing = sum(1 for r in doc.results if r.effective_status == "FAIL")
    waived = sum(1 for r in doc.results if r.effective_status == "WAIVED")
    assert waived >= 1 and body["waived"] == waived  # the waiver took, and the failing count leaves it out
    assert body["failing"] == failing == doc.scores.counts["FAIL"]
    shown = re.search(r'<div class="l">Failing</div><div class="v">(\d+)</div>', render_format(doc, "html"))
    assert shown and int(shown.group(1)) == body["failing"]
    assert body["errors"] == sum(1 for r in doc.results if r.status.value == "ERROR")
    # Counts per severity are of controls, each once: never more than the failing results.
    assert 0 < sum(body["failing_checks_by_severity"].values()) <= body["failing"]
    text = json.dumps(body)
    for leak in ("mailbox", "riverside-pbx", "AST-", "MBX-", "evidence", str(EXAMPLE)):
        assert leak not in text, leak
