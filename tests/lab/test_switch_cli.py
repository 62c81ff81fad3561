"""The switch CLI collector (netmiko) against a fake Cisco IOS switch (fakenos) on loopback:
the live running-config gives the same findings as the saved copy; host keys are enforced;
a wrong password is an auth ERROR; the password never reaches an output."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks.test_switches import FIXTURES
from tests.lab import servers
from voxaudit.check import CheckContext
from voxaudit.collectors.offline import collect_switch_configs
from voxaudit.model import ErrorKind
from voxaudit.registry import load_registry

pytestmark = pytest.mark.lab


def _findings(facts) -> set:
    out = set()
    for chk in load_registry().all():
        if "switch" in chk.meta.platforms:
            for o in chk(facts, CheckContext(chk.defaults())):
                out.add((chk.id, o.resource.split(" ", 2)[-1] if o.resource.startswith("port ") else "", o.status.value))
    return out


# fakenos's server thread raises when a client refuses its host key (the unknown-key case below): expected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_live_cli_equals_saved_config(fake_switch, tmp_path):
    known = tmp_path / "known_hosts"
    known.write_text(fake_switch.known_hosts_line + "\n")
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"""
clinics:
  - name: Lab clinic
    sites:
      - name: idf
        targets:
          - name: clinic-core
            platform: switch
            address: 127.0.0.1
            cli: {{device_type: cisco_ios, port: {fake_switch.port}, username: auditor, password: env:LAB_SW_PW,
                   known_hosts: known_hosts, timeout: 10}}
          - name: core-wrong-pw
            platform: switch
            address: 127.0.0.1
            cli: {{device_type: cisco_ios, port: {fake_switch.port}, username: auditor, password: env:LAB_SW_BAD,
                   known_hosts: known_hosts, timeout: 5}}
          - name: core-unknown-key
            platform: switch
            address: 127.0.0.1
            cli: {{device_type: cisco_ios, port: {fake_switch.port}, username: auditor, password: env:LAB_SW_PW,
                   known_hosts: empty_known_hosts, timeout: 5}}
""")
    (tmp_path / "empty_known_hosts").write_text("")
    env = dict(os.environ, LAB_SW_PW=servers.SWITCH_PASSWORD, LAB_SW_BAD="not-the-password")
    out = tmp_path / "out"
    proc = subprocess.run([str(Path(sys.executable).parent / "voxaudit"), "scan", str(inv), "-o", str(out), "-f",
                           "all", "-q"], capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    live = next(t for t in doc["targets"] if t["name"] == "clinic-core")
    assert live["failure"] is None, live["failure"]
    assert live["source"] == f"cli://auditor@127.0.0.1:{fake_switch.port}"
    failing = {(r["check_id"], r["resource"].split(" ", 2)[-1]) for r in doc["results"]
               if r["target"] == "clinic-core" and r["status"] == "FAIL"}
    offline = collect_switch_configs(FIXTURES / "weak" / "clinic-core-c2960x.cfg")
    expected = {(cid, res) for cid, res, status in _findings(offline) if status == "FAIL"}
    assert {c for c, _ in failing} == {c for c, _ in expected}
    assert ("SEG-VLAN-102", "GigabitEthernet1/0/2") in failing  # SW-VLAN-102 in 1.x
    kinds = {t["name"]: (t["failure"] or {}).get("kind") for t in doc["targets"]}
    reasons = {t["name"]: (t["failure"] or {}).get("reason", "") for t in doc["targets"]}
    assert kinds["core-wrong-pw"] == ErrorKind.AUTH.value, reasons and "authentication failed" in reasons["core-wrong-pw"]
    assert kinds["core-unknown-key"] == ErrorKind.AUTH.value and "host key" in reasons["core-unknown-key"]
    text = "".join(p.read_text(errors="replace") for p in out.iterdir()) + proc.stdout + proc.stderr
    assert servers.SWITCH_PASSWORD not in text and "clinicRW" not in text
