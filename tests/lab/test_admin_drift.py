"""DRIFT-ADMIN-101 across network namespaces: the PBX's configuration copy binds AMI to 127.0.0.1, but on the
running host (the 'phone' namespace, 10.20.0.1) a listener accepts AMI connections on 0.0.0.0:5038. voxaudit,
run in the other namespace through the CLI, connects to the port over the veth link and reports the drift.

Asterisk is not packaged for Debian 12, so the listener greets as Asterisk's manager.c does (its first line)
and nothing more; the probe sends nothing and never logs in."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PBX, SCANNER = "10.20.0.1", "10.20.0.9"
LISTENER = """
import socket, sys, time
s = socket.create_server(("0.0.0.0", 5038))
s.settimeout(1.0)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    try:
        conn, _ = s.accept()
    except OSError:
        continue
    with conn:
        conn.sendall(b"Asterisk Call Manager/7.0.3\\r\\n")
        conn.settimeout(1.0)
        try:
            conn.recv(1)
        except OSError:
            pass
"""


@pytest.fixture(scope="module")
def addressed_pair(netns_pair):
    """The lab's namespace pair (tests/lab/conftest.py) with an address on each end: the PBX and the scanner."""
    for ns, ifname, addr in ((netns_pair.phone_ns, netns_pair.phone_if, PBX),
                             (netns_pair.switch_ns, netns_pair.switch_if, SCANNER)):
        subprocess.run(["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", ifname], check=True, timeout=10,
                       capture_output=True)
    return netns_pair


def test_ami_bound_to_loopback_in_the_copy_answers_on_the_network(addressed_pair, tmp_path):
    tree = tmp_path / "pbx" / "etc" / "asterisk"
    tree.mkdir(parents=True)
    (tree / "manager.conf").write_text("[general]\nenabled=yes\nport=5038\nbindaddr=127.0.0.1\n")
    (tree / "pjsip.conf").write_text("[transport-udp]\ntype=transport\nprotocol=udp\nbind=127.0.0.1:5060\n")
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"""
clinics:
  - name: Lab
    sites:
      - name: server room
        targets:
          - name: pbx
            platform: asterisk
            config_dir: {tree}
            address: {PBX}
          - name: pbx-ports
            platform: sip
            address: {PBX}
            sip: {{udp: null, tcp: null, tls: null, timeout: 2, admin_ports: [5038, 8088]}}
""")
    listener = subprocess.Popen(["ip", "netns", "exec", addressed_pair.phone_ns, sys.executable, "-c", LISTENER, "20"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        out = tmp_path / "out"
        started = time.monotonic()
        proc = subprocess.run(["ip", "netns", "exec", addressed_pair.switch_ns, str(Path(sys.executable).parent / "voxaudit"),
                               "scan", str(inv), "-o", str(out), "-f", "json", "-q", "--no-history"],
                              capture_output=True, text=True, timeout=120, cwd=REPO)
        took = time.monotonic() - started
    finally:
        listener.kill()
        listener.wait(timeout=10)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    ports = next(t for t in doc["targets"] if t["name"] == "pbx-ports")["facts"]["admin_ports"]
    assert [(p["port"], p["state"], p.get("service", "")) for p in ports] == [(5038, "open", "AMI"), (8088, "closed", "")]
    (admin,) = [r for r in doc["results"] if r["check_id"] == "DRIFT-ADMIN-101"]
    assert admin["status"] == "FAIL" and admin["target"] == "pbx", admin
    assert admin["location"] == {"file": "manager.conf", "line": 4}  # the bindaddr line: the setting
    assert f"pbx-ports {PBX} port 5038: accepted a connection (AMI)" in admin["evidence"]  # the observation
    live = {(r["resource"], r["status"]) for r in doc["results"] if r["check_id"] == "ACC-ADMIN-101" and r["target"] == "pbx-ports"}
    assert live == {("tcp/5038", "FAIL"), ("tcp/8088", "PASS")}
    print(f"admin-port drift scan across namespaces: {took:.1f} s")
