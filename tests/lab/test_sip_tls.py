"""SIP and TLS probes against real Kamailio front ends on loopback (weak and hardened), a
silent port and a device answering garbage, through the inventory and the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.lab import servers

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab_scan(kamailio_weak, kamailio_hardened, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sipscan")
    garbage, garbage_port, _ = servers.garbage_udp_server()
    dead_port = servers.free_port()
    inv = tmp / "inventory.yaml"
    inv.write_text(f"""
clinics:
  - name: Lab clinic
    sites:
      - name: front desk
        scanner_vantage: data
        targets:
          - name: edge-weak
            platform: sip
            address: 127.0.0.1
            sip:
              udp: {kamailio_weak.sip_port}
              tcp: {kamailio_weak.sip_port}
              tls: {kamailio_weak.tls_port}
              domain: pbx.lab.example
              enumeration: true
              known_user: alice
              invite: true
              invite_target: bob
              rate_per_second: 10
              timeout: 1.5
          - name: edge-dead
            platform: sip
            address: 127.0.0.1
            sip: {{udp: {dead_port}, tcp: {dead_port}, tls: null, timeout: 1}}
          - name: edge-garbage
            platform: sip
            address: 127.0.0.1
            sip: {{udp: {garbage_port}, tcp: null, tls: null, timeout: 1}}
      - name: server room
        scanner_vantage: voice
        targets:
          - name: edge-hardened
            platform: sip
            address: 127.0.0.1
            sip:
              udp: {servers.free_port()}
              tcp: {servers.free_port()}
              tls: {kamailio_hardened.tls_port}
              domain: pbx.lab.example
              ca_file: {kamailio_hardened.workdir}/ca.pem
              enumeration: true
              known_user: alice
              invite: true
              invite_target: bob
              rate_per_second: 10
              timeout: 1.5
          - name: admin-ui
            platform: tls
            address: 127.0.0.1
            tls:
              - {{port: {kamailio_hardened.tls_port}, purpose: sip-tls, server_name: pbx.lab.example,
                  ca_file: {kamailio_hardened.workdir}/ca.pem}}
""")
    out = tmp / "out"
    exe = Path(sys.executable).parent / "voxaudit"
    started = time.monotonic()
    proc = subprocess.run([str(exe), "scan", str(inv), "-o", str(out), "-f", "all", "-q"], check=False,
                          capture_output=True,
                          text=True, timeout=300)
    elapsed = time.monotonic() - started
    garbage.close()
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    return doc, proc, out, elapsed


def _status(doc, target):
    out = {}
    for r in doc["results"]:
        if r["target"] == target:
            out.setdefault((r.get("alias") or r["check_id"]), set()).add(r["status"])
    return out


def test_weak_front_end_shows_every_weakness(lab_scan):
    doc, *_ = lab_scan
    weak = _status(doc, "edge-weak")
    for cid in ("SIP-NET-101", "SIP-NET-102", "SIP-NET-104", "SIP-NET-105", "SIP-NET-107",
                "TLS-NET-101", "TLS-NET-103", "TLS-NET-104", "ENC-TLS-108", "ENC-TLS-109", "ENC-TLS-110", "ENC-TLS-111"):
        assert "FAIL" in weak[cid], (cid, weak[cid])
    assert weak["SIP-NET-103"] == {"PASS"}  # REGISTER is at least refused (404) or challenged
    evidence = {(r.get("alias") or r["check_id"]): r["evidence"] for r in doc["results"] if r["target"] == "edge-weak" and r["status"] == "FAIL"}
    assert "TLS 1.0" in evidence["TLS-NET-101"]
    assert "expired" in evidence["TLS-NET-103"] and "self-signed" in evidence["TLS-NET-103"]
    assert "expired 30 days ago" in evidence["TLS-NET-104"] or "expired 31 days ago" in evidence["TLS-NET-104"]
    assert "kamailio (5.6" in evidence["SIP-NET-102"]


def test_hardened_front_end_passes(lab_scan):
    doc, *_ = lab_scan
    for target in ("edge-hardened", "admin-ui"):
        statuses = _status(doc, target)
        assert not any("FAIL" in s or "ERROR" in s for s in statuses.values()), (target, statuses)
    hardened = _status(doc, "edge-hardened")
    assert hardened["SIP-NET-104"] == {"PASS"} and hardened["SIP-NET-105"] == {"PASS"}
    assert hardened["SIP-NET-107"] == {"NOT_APPLICABLE"}  # scanned from the voice VLAN


def test_dead_and_garbage_targets_are_errors_and_nothing_else_is_lost(lab_scan):
    doc, proc, out, elapsed = lab_scan
    dead, garbage = _status(doc, "edge-dead"), _status(doc, "edge-garbage")
    assert set().union(*dead.values()) == {"ERROR"} and set().union(*garbage.values()) == {"ERROR"}
    reasons = {r["target"]: (r["error_kind"], r["evidence"]) for r in doc["results"] if r["status"] == "ERROR"}
    assert reasons["edge-dead"][0] == "connectivity" and "no SIP service answered" in reasons["edge-dead"][1]
    assert reasons["edge-garbage"][0] == "parse" and "not SIP" in reasons["edge-garbage"][1]
    assert "Traceback" not in proc.stderr
    assert elapsed < 60, elapsed  # bounded probes; the figure itself is reported by benchmarks/
    html = (out / "report.html").read_text()
    assert "edge-hardened" in html and "edge-dead" in html


def test_probes_are_bounded_and_never_send_credentials(lab_scan):
    doc, _proc, out, _ = lab_scan
    weak = next(t for t in doc["targets"] if t["name"] == "edge-weak")
    assert weak["facts"]["probes_sent"] <= 24
    assert weak["facts"]["invite"]["statuses"]  # the opt-in INVITE ran, and was answered
    text = "".join(p.read_text(errors="replace") for p in out.iterdir())
    for secret in ("alice-Lab-Pw-17", "bob-Lab-Pw-23", "PRIVATE KEY"):
        assert secret not in text
