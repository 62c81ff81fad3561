"""Real calls captured between network namespaces and judged by the packet checks (tests/lab/calls.py)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.lab import calls, servers

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    started = time.monotonic()
    try:
        with calls.call_link(tmp_path_factory.mktemp("calls")) as link:
            doc, logs = calls.capture_calls(link, REPO)
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    print(f"real calls: {time.monotonic() - started:.1f} s")
    return doc, logs


def test_both_calls_were_real_and_established(captured):
    _, logs = captured
    (srtp_caller, srtp_callee), (plain_caller, plain_callee) = logs
    assert "Call established" in srtp_caller and "SRTP is Enabled" in srtp_caller + srtp_callee
    assert "Call established" in plain_caller and "SRTP is Enabled" not in plain_caller + plain_callee


def test_the_capture_judges_the_real_traffic(captured):
    doc, _ = captured
    (target,) = doc["targets"]
    assert target["failure"] is None, target["failure"]
    facts = target["facts"]
    streams = facts.get("streams", [])
    print("streams:", [(s.get("src"), s.get("dst"), s.get("encrypted"), s.get("packets")) for s in streams])
    results = {}
    for r in doc["results"]:
        results.setdefault(r["check_id"], []).append((r["status"], r["resource"], r["evidence"]))
    for cid in ("ENC-MEDIA-101", "ENC-MEDIA-103", "ENC-SIG-101"):
        print(cid, results.get(cid))
    media = results["ENC-MEDIA-101"]
    assert any(s == "FAIL" for s, _, _ in media), media   # the plain RTP call
    assert any(s == "PASS" for s, _, _ in media), media   # the SRTP call
    # SDES keys travel in the SDP of cleartext SIP (UDP): the key exchange is exposed, and so is the signalling
    assert any(s == "FAIL" for s, _, _ in results["ENC-MEDIA-103"]), results["ENC-MEDIA-103"]
    assert any(s == "FAIL" for s, _, _ in results["ENC-SIG-101"]), results["ENC-SIG-101"]
