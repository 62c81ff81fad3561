"""Red team, round 3: hostile capture files against the byte-level frame decoder (auditor.collectors.packets).

Each case here failed before its fix: every pcapng file raised AttributeError; cleartext SIP behind a ninth
802.1Q tag or IPv6 extension header, or carried in a tunnel a remote SPAN uses (GRE, ERSPAN, IP in IP, VXLAN),
was counted as "other", so a capture full of cleartext SIP could read as "signalling went encrypted"."""
from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest

pytest.importorskip("scapy")

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt  # noqa: E402
from scapy.layers.l2 import Dot1Q, Ether  # noqa: E402
from scapy.utils import wrpcapng  # noqa: E402

from voxaudit.collectors.packets import analyse, decode_frame  # noqa: E402
from voxaudit.targets import PcapSource  # noqa: E402

SIP = b"INVITE sip:100@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5\r\n\r\n"
INNER = IP(src="10.0.0.5", dst="10.0.0.1") / UDP(sport=5060, dport=5060) / SIP


def _pcap(path: Path, frames: list[bytes]) -> None:
    """A classic Ethernet pcap written byte by byte (scapy would dissect 16,000 tags to write them)."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for frame in frames:
        out += struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))


def _sip_seen(frame: bytes) -> tuple[int, bool]:
    decoded = decode_frame(1, frame)
    assert decoded is not None
    vlan, l4 = decoded
    return vlan, l4 is not None and l4[5].startswith(b"INVITE ") and l4[1:5] == ("10.0.0.5", "10.0.0.1", 5060, 5060)


def test_a_pcapng_capture_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.pcapng"
    wrpcapng(str(path), [Ether() / INNER] * 3)
    facts = analyse(PcapSource(file=str(path)))
    assert facts.sip_in_clear == {"INVITE": 3}


def test_sip_behind_many_vlan_tags_is_seen() -> None:
    frame = Ether()
    for vid in range(9, 0, -1):
        frame = frame / Dot1Q(vlan=vid)
    assert _sip_seen(bytes(frame / INNER)) == (9, True)


def test_sip_behind_many_ipv6_extension_headers_is_seen() -> None:
    frame = Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2")
    for _ in range(12):
        frame = frame / IPv6ExtHdrDestOpt()
    decoded = decode_frame(1, bytes(frame / UDP(sport=5060, dport=5060) / SIP))
    assert decoded is not None and decoded[1] is not None and decoded[1][5].startswith(b"INVITE ")


@pytest.mark.parametrize("tunnel", ["gre-ip", "gre-ethernet", "erspan2", "erspan3", "ipip", "vxlan"])
def test_sip_in_a_tunnel_is_seen_with_the_inner_vlan(tunnel: str) -> None:
    tagged = bytes(Ether() / Dot1Q(vlan=30) / INNER)
    gre = bytes(IP(src="192.0.2.1", dst="192.0.2.2", proto=47))  # GRE headers written by hand
    sequenced = b"\x10\x00"  # the S flag: a 4-byte sequence number follows the protocol
    frames = {
        "gre-ip": gre + b"\x00\x00\x08\x00" + bytes(INNER),
        "gre-ethernet": gre + b"\x00\x00\x65\x58" + tagged,
        # GRE with a sequence number, then the 8-byte ERSPAN type II header and the mirrored frame
        "erspan2": gre + sequenced + b"\x88\xbe" + bytes(4) + bytes(8) + tagged,
        "erspan3": gre + sequenced + b"\x22\xeb" + bytes(4) + bytes(12) + tagged,
        "ipip": bytes(IP(src="192.0.2.1", dst="192.0.2.2", proto=4) / INNER),
        "vxlan": bytes(IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=40000, dport=4789)) + b"\x08" + bytes(7)
        + tagged,
    }
    raw = bytearray(frames[tunnel])
    raw[2:4] = struct.pack("!H", len(raw))  # the outer lengths cover what follows them
    if tunnel == "vxlan":
        raw[24:26] = struct.pack("!H", len(raw) - 20)
    frame = bytes(Ether(type=0x0800)) + bytes(raw)
    vlan, seen = _sip_seen(frame)
    assert seen
    assert vlan == (0 if tunnel in ("gre-ip", "ipip") else 30)


def test_an_inner_packet_ends_where_its_carrier_does() -> None:
    """A forged inner length cannot reach past the outer packet (into the Ethernet padding or the next header)."""
    inner = bytes(IP(src="10.0.0.5", dst="10.0.0.1", len=1400) / UDP(sport=5060, dport=5060, len=1380) / SIP)
    outer = bytearray(bytes(IP(src="192.0.2.1", dst="192.0.2.2", proto=47)) + b"\x00\x00\x08\x00" + inner)
    outer[2:4] = struct.pack("!H", len(outer))
    decoded = decode_frame(1, bytes(Ether(type=0x0800)) + bytes(outer) + b"PADDING-CANARY-7f3a9c")
    assert decoded is not None and decoded[1] is not None
    assert b"CANARY" not in decoded[1][5]


def test_a_flood_of_tags_and_headers_is_linear(tmp_path: Path) -> None:
    """A 64 KiB frame of nothing but VLAN tags, MPLS labels or IPv6 extension headers: one pass each."""
    v6 = bytes(Ether() / IPv6(src="::1", dst="::1", nh=60, plen=0))  # 0: up to the end of the frame
    flood = [b"\x00" * 12 + b"\x81\x00\x00\x05" * 16000 + b"\x08\x00" + bytes(INNER),
             b"\x00" * 12 + b"\x88\x47" + b"\x00\x01\x00\x40" * 16000 + b"\x00\x01\x01\x40" + bytes(INNER),
             v6 + (b"\x3c\x00" + bytes(6)) * 8000 + b"\x11\x00" + bytes(6) + bytes(UDP(sport=5060, dport=5060) / SIP)]
    path = tmp_path / "flood.pcap"
    _pcap(path, flood * 300)
    started = time.perf_counter()
    facts = analyse(PcapSource(file=str(path)))
    assert time.perf_counter() - started < 20
    assert facts.sip_in_clear == {"INVITE": 900}


def test_rtp_on_the_vxlan_port_is_not_taken_for_a_tunnel() -> None:
    """RTP with eight CSRCs (first byte 0x88, its 0x08 bit set) on UDP 4789 stays an RTP packet."""
    rtp = bytes([0x88, 0]) + bytes(10) + bytes(32) + bytes(range(160))
    decoded = decode_frame(1, bytes(Ether() / IP(src="10.0.0.5", dst="10.0.0.1") / UDP(sport=4000, dport=4789) / rtp))
    assert decoded is not None and decoded[1] is not None and decoded[1][5] == rtp


def test_a_capture_that_keeps_the_frame_checksum_is_read(tmp_path: Path) -> None:
    """The link type field's top bits say "FCS present, 4 bytes" (libpcap LT_FCS_LENGTH): still Ethernet."""
    frame = bytes(Ether() / INNER) + b"\xde\xad\xbe\xef"
    path = tmp_path / "fcs.pcap"
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 0x14000001))
    out += (struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame) * 3
    path.write_bytes(bytes(out))
    assert analyse(PcapSource(file=str(path))).sip_in_clear == {"INVITE": 3}


@pytest.mark.parametrize("shim", [
    b"\x88\x47" + b"\x00\x01\x00\x40" + b"\x00\x02\x01\x40",  # MPLS: two labels, the second the bottom of the stack
    b"\x88\x64" + b"\x11\x00\x00\x01\x00\x40" + b"\x00\x21",  # PPPoE session, PPP protocol IPv4
])
def test_sip_under_mpls_labels_or_pppoe_is_seen(shim: bytes) -> None:
    assert _sip_seen(bytes(12) + shim + bytes(INNER)) == (0, True)
