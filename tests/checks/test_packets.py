"""PCAP-*: a capture file written from the lab's clinic traffic (tests/lab/traffic.py), read back
through the pcap collector; truncated and non-pcap files."""
from __future__ import annotations

import os

import msgspec

from tests.conftest import statuses
from tests.lab.traffic import clinic_frames
from voxaudit.collectors.offline import CollectionError
from voxaudit.collectors.packets import analyse
from voxaudit.model import Status
from voxaudit.targets import PcapSource

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE


def capture(tmp_path):
    from scapy.utils import wrpcap
    path = tmp_path / "clinic.pcap"
    wrpcap(str(path), clinic_frames())
    return analyse(PcapSource(file=path, capture_point="trunk"))


def test_streams_vlans_and_provisioning_are_recognised(tmp_path):
    facts = capture(tmp_path)
    kinds = {s.ssrc: s.kind for s in facts.streams}
    assert kinds == {"1111aaaa": "rtp", "2222bbbb": "srtp", "3333cccc": "rtp"}
    assert facts.sdes_keys_in_clear == 1 and facts.sip_in_clear == {"INVITE": 1, "response": 1}
    assert {v.vlan for v in facts.vlans} == {10, 20}
    assert {(p.protocol, p.path) for p in facts.provisioning} == {("tftp", "805ec0aa0001.cfg"),
                                                                  ("http", "/prov/0004f2aa0002.cfg")}
    assert "inline:" not in msgspec.json.encode(facts).decode()  # SDES keys are counted, never kept


def test_checks_over_the_capture(tmp_path, run):
    facts = capture(tmp_path)
    media = run("PCAP-101", facts)
    assert statuses(media, FAIL) == {"stream 10.20.0.21:17000 -> 10.20.0.1:18000 ssrc 1111aaaa",
                                     "stream 10.10.0.50:20000 -> 10.10.0.5:20002 ssrc 3333cccc"}
    assert len(statuses(media, PASS)) == 1
    assert set(run("PCAP-102", facts).values()) == {FAIL}
    assert run("PCAP-103", facts) == {"vlan 10": FAIL, "vlan 20": FAIL}  # 20 carries a provisioning fetch
    assert len(statuses(run("PCAP-104", facts), FAIL)) == 2


def test_quiet_capture_passes(tmp_path, run):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Dot1Q, Ether
    from scapy.utils import wrpcap
    frames = [Ether() / Dot1Q(vlan=20) / IP(src="10.20.0.21", dst="10.20.0.1") / UDP(sport=17000, dport=18000) /
              (bytes([0x80, 0, 0, i]) + bytes(4) + bytes.fromhex("4444dddd") + os.urandom(170)) for i in range(10)]
    path = tmp_path / "good.pcap"
    wrpcap(str(path), frames)
    facts = analyse(PcapSource(file=path, capture_point="access"))
    for cid in ("PCAP-101", "PCAP-102", "PCAP-103"):
        assert set(run(cid, facts).values()) == {PASS}, cid
    # no provisioning fetch was captured at all: nothing of that kind to judge, not a pass
    assert set(run("PCAP-104", facts).values()) == {Status.NOT_APPLICABLE}


def test_not_a_capture_is_a_parse_error(tmp_path):
    bad = tmp_path / "notes.pcap"
    bad.write_text("this is not a capture\n")
    try:
        analyse(PcapSource(file=bad))
    except CollectionError as exc:
        assert exc.kind == "parse" and "notes.pcap" in exc.reason
    else:
        raise AssertionError("expected a parse error")
