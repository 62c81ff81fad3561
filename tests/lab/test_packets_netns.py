"""Real 802.1Q-tagged frames between two network namespaces: a 'phone' namespace sends the
clinic's traffic over a veth pair, and voxaudit, running inside the 'switch port' namespace,
sniffs it (the opt-in live capture) and reports what the wire shows. Nothing leaves the
namespaces. (Kernels without veth/netns support skip this with the kernel's message.)"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab import servers

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def netns_pair():
    try:
        pair = servers.make_netns_pair()
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    yield pair
    pair.delete()


def test_live_sniff_of_tagged_frames_in_a_namespace(netns_pair, tmp_path):
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"""
clinics:
  - name: Lab clinic
    sites:
      - name: idf
        targets:
          - name: trunk-capture
            platform: pcap
            pcap: {{interface: {netns_pair.switch_if}, seconds: 4, capture_point: trunk}}
""")
    sender = subprocess.Popen(["ip", "netns", "exec", netns_pair.phone_ns, sys.executable, "-m", "tests.lab.traffic",
                               netns_pair.phone_if, "7"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out = tmp_path / "out"
        proc = subprocess.run(["ip", "netns", "exec", netns_pair.switch_ns, str(Path(sys.executable).parent / "voxaudit"),
                               "scan", str(inv), "-o", str(out), "-f", "json", "-q"], capture_output=True, text=True,
                              timeout=120, cwd=REPO)
    finally:
        sender.wait(timeout=30)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    facts = doc["targets"][0]["facts"]
    assert facts is not None, doc["targets"][0]["failure"]
    assert {v["vlan"] for v in facts["vlans"]} >= {10, 20}, (facts, sender.stdout.read())  # tags on the wire
    kinds = {s["ssrc"]: s["kind"] for s in facts["streams"]}
    assert kinds.get("1111aaaa") == "rtp" and kinds.get("2222bbbb") == "srtp"
    failing = {(r.get("alias") or r["check_id"]) for r in doc["results"] if r["status"] == "FAIL"}
    assert failing == {"PCAP-101", "PCAP-102", "PCAP-103", "PCAP-104"}
