"""Real 802.1Q-tagged frames between two network namespaces: a 'phone' namespace sends the
clinic's traffic over a veth pair, and voxaudit, running inside the 'switch port' namespace,
sniffs it (the opt-in live capture) and reports what the wire shows. Nothing leaves the
namespaces. (Kernels without veth/netns support skip this with the kernel's message.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.lab import servers

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]


def test_live_sniff_of_tagged_frames_in_a_namespace(netns_pair, tmp_path):
    doc, said = servers.sniff_lab_traffic(netns_pair, tmp_path, "Lab clinic", "trunk-capture")
    facts = doc["targets"][0]["facts"]
    assert facts is not None, doc["targets"][0]["failure"]
    assert {v["vlan"] for v in facts["vlans"]} >= {10, 20}, (facts, said)  # tags on the wire
    kinds = {s["ssrc"]: s["kind"] for s in facts["streams"]}
    assert kinds.get("1111aaaa") == "rtp" and kinds.get("2222bbbb") == "srtp"
    failing = {(r.get("alias") or r["check_id"]) for r in doc["results"] if r["status"] == "FAIL"}
    assert failing == {"PCAP-101", "PCAP-102", "PCAP-103", "PCAP-104"}
