"""SNMP against a real net-snmp agent on loopback, configured from the corpus's Debian snmpd.conf:
its 'public' community, a lab v2c community, an authPriv user and an authNoPriv user."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from tests.lab import servers
from voxaudit.collectors.snmp import probe
from voxaudit.targets import SnmpSource, SnmpUser

pytestmark = pytest.mark.lab


def test_versions_and_levels_answered(snmp_lab, monkeypatch):
    for k, v in servers.SNMP_SECRETS.items():
        monkeypatch.setenv(f"LAB_SNMP_{k.upper()}", v)
    facts = probe(SnmpSource(address="127.0.0.1", port=snmp_lab.port, communities=["env:LAB_SNMP_COMMUNITY"],
                           try_default_communities=True, timeout=1,
                           users=[SnmpUser(username="labpriv", auth="env:LAB_SNMP_AUTH", priv="env:LAB_SNMP_PRIV"),
                                  SnmpUser(username="labauth", auth="env:LAB_SNMP_AUTH", priv="env:LAB_SNMP_PRIV")]))
    answered = {(a.version, a.credential, a.level) for a in facts.attempts if a.answered}
    assert ("v2c", "default 'public'", "") in answered          # the corpus config's community
    assert ("v2c", "env:LAB_SNMP_COMMUNITY", "") in answered
    assert ("v2c", "default 'private'", "") not in answered
    assert ("v3", "labpriv", "authPriv") in answered and ("v3", "labpriv", "authNoPriv") not in answered
    assert ("v3", "labauth", "authNoPriv") in answered
    assert facts.sys_descr.startswith("Linux")
    dumped = msgspec.json.encode(facts).decode()
    assert not any(v in dumped for v in servers.SNMP_SECRETS.values())


def test_scan_reports_snmp_findings_and_silent_agent(snmp_lab, tmp_path):
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"""
clinics:
  - name: Lab clinic
    sites:
      - name: idf
        targets:
          - name: switch-snmp
            platform: snmp
            address: 127.0.0.1
            snmp:
              port: {snmp_lab.port}
              communities: [env:LAB_SNMP_COMMUNITY]
              try_default_communities: true
              timeout: 1
              users:
                - {{username: labpriv, auth: env:LAB_SNMP_AUTH, priv: env:LAB_SNMP_PRIV}}
                - {{username: labauth, auth: env:LAB_SNMP_AUTH, priv: env:LAB_SNMP_PRIV}}
          - name: switch-unresolved
            platform: snmp
            address: 127.0.0.1
            snmp:
              port: {snmp_lab.port}
              communities: [env:LAB_SNMP_COMMUNITY, env:LAB_SNMP_NOT_SET]
              try_default_communities: true
              timeout: 1
          - name: switch-wrong-v3
            platform: snmp
            address: 127.0.0.1
            snmp:
              port: {snmp_lab.port}
              timeout: 1
              users: [{{username: labpriv, auth: env:LAB_SNMP_PRIV, priv: env:LAB_SNMP_AUTH}}]
          - name: snmp-silent
            platform: snmp
            address: 127.0.0.1
            snmp:
              port: {servers.free_port(__import__('socket').SOCK_DGRAM)}
              timeout: 0.5
              users: [{{username: labpriv, auth: env:LAB_SNMP_AUTH, priv: env:LAB_SNMP_PRIV}}]
""")
    env = dict(os.environ, **{f"LAB_SNMP_{k.upper()}": v for k, v in servers.SNMP_SECRETS.items()})
    out = tmp_path / "out"
    proc = subprocess.run([str(Path(sys.executable).parent / "voxaudit"), "scan", str(inv), "-o", str(out), "-f",
                           "all", "-q"], check=False, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    res = {(r["target"], (r.get("alias") or r["check_id"]), r["resource"]): r["status"] for r in doc["results"]}
    assert res[("switch-snmp", "SNMP-NET-101", "snmp default 'public'")] == "FAIL"
    assert res[("switch-snmp", "SNMP-NET-101", "snmp default 'private'")] == "PASS"
    assert res[("switch-snmp", "SNMP-NET-102", "snmp env:LAB_SNMP_COMMUNITY")] == "FAIL"
    assert res[("switch-snmp", "SNMP-NET-103", "snmpv3 user labpriv")] == "PASS"
    assert res[("switch-snmp", "SNMP-NET-103", "snmpv3 user labauth")] == "FAIL"
    silent = {r["status"] for r in doc["results"] if r["target"] == "snmp-silent"}
    assert silent == {"ERROR"}
    # An unset reference: ERROR (auth) for the target, naming the reference; never "no answer" and a PASS.
    unresolved = {(r["status"], r["error_kind"]) for r in doc["results"] if r["target"] == "switch-unresolved"}
    assert unresolved == {("ERROR", "auth")}
    assert any("env:LAB_SNMP_NOT_SET" in r["evidence"] for r in doc["results"] if r["target"] == "switch-unresolved")
    # Credentials the agent rejects (auth and priv swapped): the user is unknown (ERROR), not passed.
    assert res[("switch-wrong-v3", "SNMP-NET-103", "snmpv3 user labpriv")] == "ERROR"
    text = "".join(p.read_text(errors="replace") for p in out.iterdir()) + proc.stdout + proc.stderr
    assert not any(v in text for v in servers.SNMP_SECRETS.values())
