"""Capture files are decoded from bytes (auditor.collectors.packets.decode_frame), not dissected packet by
packet by scapy; scapy's own dissection is the oracle these tests hold the decoder to, on crafted frames of
every link type decoded here and on thousands of mutations of them (cut short, bytes changed, junk after)."""
from __future__ import annotations

import random
import struct
from pathlib import Path

import msgspec
import pytest

pytest.importorskip("scapy")

from scapy.layers.inet import IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting  # noqa: E402
from scapy.layers.l2 import CookedLinux, Dot1AD, Dot1Q, Ether  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402

from tests.lab.traffic import clinic_frames  # noqa: E402
from voxaudit.collectors.packets import _Analyser, _dissect, analyse, decode_frame  # noqa: E402
from voxaudit.targets import PcapSource  # noqa: E402

SIP = (b"INVITE sip:100@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5\r\n\r\nv=0\r\nc=IN IP4 10.0.0.5\r\n"
       b"m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n")
RTP = bytes([0x80, 0]) + bytes(10) + bytes(range(160))
TFTP = b"\x00\x01805ec0aa0001.cfg\x00octet\x00"
HTTP = b"GET /prov/0004f2aa0002.cfg HTTP/1.1\r\nHost: x\r\n\r\n"
TLS = b"\x17\x03\x03\x00\x10" + bytes(16)
A, B = "10.0.0.5", "10.0.0.1"

# (link type, frame): one of each shape the decoder walks.
FRAMES = [
    (1, Ether() / IP(src=A, dst=B) / UDP(sport=5060, dport=5060) / SIP),
    (1, Ether() / Dot1Q(vlan=20) / IP(src=A, dst=B) / UDP(sport=4000, dport=4002) / RTP),
    (1, Ether() / Dot1AD(vlan=5) / Dot1Q(vlan=30) / IP(src=A, dst=B) / UDP(sport=4000, dport=4002) / RTP),
    (1, Ether() / Dot1Q(vlan=7) / Dot1Q(vlan=8) / IPv6(src="fe80::1", dst="2001:db8::5") / UDP(sport=5060, dport=5060) / SIP),
    (1, Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting()
     / UDP(sport=4000, dport=4002) / RTP),
    (1, Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(offset=0, m=1)
     / UDP(sport=4000, dport=4002) / RTP),
    (1, Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(offset=3) / UDP(sport=4000, dport=4002) / RTP),
    (1, Ether() / IP(src=A, dst=B, flags="MF") / UDP(sport=3000, dport=69) / TFTP),
    (1, Ether() / IP(src=A, dst=B, frag=10) / UDP(sport=4000, dport=4002) / RTP),
    (1, Ether() / IP(src=A, dst=B, options=b"\x01\x01\x01\x00") / TCP(sport=3333, dport=80) / HTTP),
    (1, Ether() / IP(src=A, dst=B) / TCP(sport=3333, dport=5061, options=[("NOP", None)] * 4) / TLS),
    (1, Ether() / IP(src=A, dst=B) / UDP(sport=4000, dport=4002, len=20) / RTP),  # UDP length short of the data
    (1, Ether() / IP(src=A, dst=B, len=30) / UDP(sport=4000, dport=4002) / RTP),  # IP length short of the data
    (113, CookedLinux() / IP(src=A, dst=B) / UDP(sport=5060, dport=5060) / SIP),
    (101, IP(src=A, dst=B) / UDP(sport=5060, dport=5060) / SIP),
    (101, IPv6(src="::1", dst="::1") / TCP(sport=80, dport=3333) / b"HTTP/1.1 200 OK\r\n"),
]


def _state(an: _Analyser) -> tuple:
    streams = {k: (s["packets"], bytes(s["sample"]), dict(s["first_bytes"])) for k, s in an.streams.items()}
    return (an.packets, an.undecoded, {v: dict(c) for v, c in an.vlans.items()}, dict(an.sip_clear), an.sdes_in_clear,
            an.sip_tls, streams, dict(an.prov), an.sdp_media)


def _mutations(frame: bytes, rng: random.Random, n: int):
    yield frame
    for _ in range(n):
        data = bytearray(frame)
        op = rng.random()
        if op < 0.4:
            data = data[:rng.randrange(1, len(data) + 1)]
        elif op < 0.8:
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30)))
        yield bytes(data)


@pytest.mark.parametrize("seed", range(2))
def test_the_decoder_reads_every_frame_as_scapy_dissects_it(seed):
    rng = random.Random(seed)
    compared = 0
    for linktype, packet in FRAMES:
        for frame in _mutations(bytes(packet), rng, 40):
            fast, oracle = _Analyser(), _Analyser()
            fast.add_frame(linktype, frame)
            oracle.add(_dissect(linktype, frame))
            assert _state(fast) == _state(oracle), (linktype, frame.hex())
            compared += 1
    assert compared == len(FRAMES) * 41


def test_the_clinic_capture_gives_the_facts_scapy_gave(tmp_path):
    path = tmp_path / "clinic.pcap"
    wrpcap(str(path), clinic_frames() * 3)
    oracle = _Analyser()
    for packet in clinic_frames() * 3:
        oracle.add(packet)
    spec = PcapSource(file=str(path))
    assert msgspec.to_builtins(analyse(spec)) == msgspec.to_builtins(oracle.facts(spec, "clinic.pcap"))


def _pcap(path: Path, linktype: int, frames: list[bytes]) -> Path:
    body = b"".join(struct.pack("<IIII", 0, 0, len(f), len(f)) + f for f in frames)
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype) + body)
    return path


@pytest.mark.parametrize("linktype, header", [
    (0, struct.pack("<I", 2)), (0, struct.pack(">I", 2)), (108, struct.pack(">I", 2)),  # NULL in either byte order, LOOP
])
def test_loopback_captures_in_either_byte_order(tmp_path, linktype, header):
    frame = header + bytes(IP(src="127.0.0.1", dst="127.0.0.1") / UDP(sport=5060, dport=5060) / SIP)
    facts = analyse(PcapSource(file=str(_pcap(tmp_path / "lo.pcap", linktype, [frame]))))
    assert facts.sip_in_clear == {"INVITE": 1} and facts.sdes_keys_in_clear == 1


@pytest.mark.parametrize("family", [10, 24, 28, 30])  # AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, macOS
def test_ipv6_on_a_bsd_loopback_capture(tmp_path, family):
    frame = struct.pack("<I", family) + bytes(IPv6(src="::1", dst="::1") / UDP(sport=5060, dport=5060) / SIP)
    assert decode_frame(0, frame) == (0, (True, "::1", "::1", 5060, 5060, SIP))


def test_linux_sll2_and_a_link_type_left_to_scapy(tmp_path):
    sll2 = struct.pack(">HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, bytes(8)) + bytes(
        IP(src=A, dst=B) / UDP(sport=5060, dport=5060) / SIP)
    assert decode_frame(276, sll2) == (0, (True, A, B, 5060, 5060, SIP))
    assert decode_frame(127, bytes(8)) is None  # radiotap: scapy dissects it (no IP in it here: "other")
    an = _Analyser()
    an.add_frame(127, bytes(8))
    assert an.packets == 1 and dict(an.vlans[0]) == {"other": 1}


def test_padding_is_not_payload():
    """Bytes past the UDP length (or the IP length: Ethernet's minimum frame) are not part of the datagram:
    a forged UDP length hid no SDES key in the padding from the count, and none is found there."""
    frame = bytes(Ether() / IP(src=A, dst=B) / UDP(sport=5060, dport=5060, len=8 + 33) / SIP)
    vlan, l4 = decode_frame(1, frame)
    assert l4 is not None and l4[5] == SIP[:33]
    an = _Analyser()
    an.add_frame(1, frame)
    assert an.sip_clear == {"INVITE": 1} and an.sdes_in_clear == 0


def test_a_capture_of_frames_cut_short_is_still_an_error(tmp_path):
    from voxaudit.collectors.offline import CollectionError

    path = _pcap(tmp_path / "cut.pcap", 1, [bytes(10)] * 5)
    with pytest.raises(CollectionError) as err:
        analyse(PcapSource(file=str(path)))
    assert "no packet could be decoded" in str(err.value)


def test_streams_beyond_the_bound_are_counted_and_said_not_judged(tmp_path, monkeypatch, run):
    """A capture of 200,000 packets each with its own SSRC held 194 MiB of per-stream state; streams beyond
    MAX_STREAMS are now counted, and the media control says it could not judge them (ERROR, never silence)."""
    from voxaudit.collectors import packets

    monkeypatch.setattr(packets, "MAX_STREAMS", 3)
    frames = []
    for ssrc in range(5):
        rtp = bytes([0x80, 0]) + bytes(6) + ssrc.to_bytes(4, "big") + bytes(range(160))
        frames += [bytes(Ether() / IP(src=A, dst=B) / UDP(sport=4000 + 2 * ssrc, dport=6000) / rtp)] * 6
    facts = analyse(PcapSource(file=str(_pcap(tmp_path / "many.pcap", 1, frames))))
    assert len(facts.streams) == 3 and facts.untracked_stream_packets == 12 and facts.max_streams == 3
    got = run("ENC-MEDIA-101", facts)
    assert got["streams beyond the first 3"] == "ERROR" and list(got.values()).count("FAIL") == 3


def test_packets_nobody_decoded_are_said_not_skipped(tmp_path, registry):
    """10 frames cut inside their link header beside 6 readable RTP packets: the capture was judged on the 6
    alone (a PASS over traffic never read); now each capture control also gives one ERROR naming the count."""
    from voxaudit.engine.evaluate import evaluate
    from voxaudit.profile import load_profile
    from voxaudit.scan import TargetRecord

    rtp = bytes([0x80, 0]) + bytes(10) + bytes(range(160))
    frames = [bytes(Ether() / IP(src=A, dst=B) / UDP(sport=4000, dport=6000) / rtp)] * 6 + [bytes(10)] * 10
    facts = analyse(PcapSource(file=str(_pcap(tmp_path / "mixed.pcap", 1, frames))))
    assert facts.undecoded_packets == 10 and facts.packets == 16
    results, _, _ = evaluate([TargetRecord(name="cap", platform="pcap", facts=facts)], registry,
                             load_profile("hipaa-security-rule", registry), [])
    undecoded = {r.check_id: r.status for r in results if r.resource == "(packets not decoded)"}
    assert undecoded.get("ENC-MEDIA-101") == "ERROR" and undecoded.get("ENC-SIG-101") == "ERROR", undecoded
    assert any("10 of 16 packets could not be decoded" in r.evidence for r in results)
