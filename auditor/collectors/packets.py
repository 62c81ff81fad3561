"""Packet evidence: read a pcap or pcapng file (frames decoded from bytes here; scapy reads the file and
dissects the link types not decoded here), or (opt-in) sniff an interface for N seconds with scapy.

What is kept is shape, never content: counts of SIP messages in clear and whether their SDP
carries SDES keys (a=crypto: counted, not kept), TLS records on the SIP-TLS port (SIP over TLS:
counted, unreadable), RTP/SRTP streams by SSRC with packet counts and how they were classified,
802.1Q VLAN ids and which kinds of traffic each carries, and provisioning fetches over TFTP/HTTP
(file names, which name devices, not people). Payloads, caller identities and audio never leave
this module.

How a stream is told SRTP from RTP, first rule that applies:
1. an SDP seen in clear announced its address and port (``c=`` and ``m=``, the latest announcement
   before its first packet): RTP/SAVP (SAVPF, UDP/TLS/RTP/SAVP) means SRTP, RTP/AVP means plain RTP,
   whatever the payload looks like (Opus and other compressed codecs look random in clear);
2. no SDP for it (SIP over TLS hides it, or the call began before the capture): the payload. SRTP
   payloads are ciphertext: near 8 bits/byte, and their first byte random from packet to packet.
   A codec in clear either sits well below (G.711, G.722) or, compressed (Opus), keeps a frame
   header in its first byte (Opus's TOC byte takes one or two values for a whole call).
"""
from __future__ import annotations

import ipaddress
import math
import re
import socket
import struct
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Optional

from voxaudit.collectors.offline import CollectionError
from voxaudit.extras import require_for_target
from voxaudit.facts.network import PacketFacts, ProvisioningFetch, RtpStream, VlanTraffic
from voxaudit.targets import PcapSource

MAX_PACKETS = 200_000
SIP_START = re.compile(rb"^(INVITE|REGISTER|OPTIONS|ACK|BYE|CANCEL|SUBSCRIBE|NOTIFY|MESSAGE|INFO|PRACK|UPDATE|"
                       rb"REFER|PUBLISH) sip[s]?:|^SIP/2\.0 \d{3}")
PROV_PATH = re.compile(rb"^(GET|HEAD) (\S+\.(?:cfg|xml|cnf|txt|boot|conf|ini|bin|ld))(?:\?\S*)? HTTP/1\.[01]", re.I)
ENTROPY_ENCRYPTED = 7.5  # bits per byte; encrypted payloads sit near 8, G.711 audio well below
HEADER_MIN_PACKETS = 20  # the first-byte test needs this many packets of a stream
MAX_SDP_ENDPOINTS = 10_000  # address:port announcements kept from cleartext SDP (bounded memory)
MAX_SDP_LINES = 500
MAX_FETCH_PATHS = 1_000  # distinct provisioning paths kept from one capture
MAX_STREAMS = 20_000  # distinct RTP streams tracked (bounded memory); the packets of any further ones are counted
SIP_TLS_PORTS = frozenset({5061})  # SIP over TLS (RFC 3261 26.2.2's sips: default)
TLS_RECORD_TYPES = frozenset({20, 21, 22, 23})  # change_cipher_spec, alert, handshake, application_data
RTCP_TYPES = range(200, 205)  # SR, RR, SDES, BYE, APP (RFC 3550): the media's control packets, SRTCP alike


# A folder shown as it is: a short word ("prov", "provisioning", "yealink", "t4x"); anything else may be a
# per-tenant token (3CX: /provisioning/<random>/) and is shown as "...".
_PLAIN_FOLDER = re.compile(r"[A-Za-z][A-Za-z_\-]{0,11}\d{0,2}[A-Za-z]?")


def fetch_path(raw: str) -> str:
    """A fetched path fit for a report: the file name and folders that are short words (any other folder
    is ``...``: 3CX and others put a per-tenant secret there), no query, fragment or ``;`` parameters (``?token=``,
    ``;jsessionid=``), no ``user:password@`` of an absolute-form request (``GET http://u:p@host/x.cfg``),
    printable ASCII only. Provisioning servers put secrets in all of those; the file name that
    names the device is what the finding needs."""
    cut = min((i for i in (raw.find("?"), raw.find("#"), raw.find(";")) if i >= 0), default=len(raw))
    path, prefix = raw[:cut], ""
    scheme, sep, rest = path.partition("://")
    if sep:
        authority, _, path = rest.partition("/")
        prefix = f"{scheme}://{authority.rpartition('@')[2]}/"
    *folders, name = path.split("/")
    shown = prefix + "".join(f"{f if _PLAIN_FOLDER.fullmatch(f) or not f else '...'}/" for f in folders) + name
    return "".join(ch if " " < ch <= "~" else "?" for ch in shown) or "?"


def _expected_distinct(n: int) -> float:
    """How many distinct values n uniformly random bytes take, on average."""
    return 256 * (1 - (255 / 256) ** n)


def _rtp_payload_offset(payload: bytes) -> int:
    """Where an RTP (or SRTP: its header is in clear) packet's payload starts: after the CSRC list and the
    header extension (RFC 3550 5.1, 5.3.1)."""
    offset = 12 + 4 * (payload[0] & 0x0F)
    if payload[0] & 0x10 and len(payload) >= offset + 4:
        offset += 4 + 4 * int.from_bytes(payload[offset + 2:offset + 4], "big")
    return offset


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def _entropy(data: bytes) -> float:
    if not data:
        return 0.0
    counts = Counter(data)
    n = len(data)
    return max(0.0, -sum(c / n * math.log2(c / n) for c in counts.values()))  # never "-0.00"


# Link types (tcpdump.org/linktypes.html) decoded here; any other is dissected by scapy.
LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108
LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2 = 113, 228, 229, 276
ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_8021Q = 0x0800, 0x86DD, 0x8100
OUTER_TAGS = frozenset({0x88A8, 0x9100})  # 802.1ad service tags: skipped, the customer (0x8100) tag is the VLAN
ETHERTYPE_MPLS = frozenset({0x8847, 0x8848})  # a label stack, then the IP packet (its version nibble says which)
ETHERTYPE_PPPOE_SESSION = 0x8864
PPP_IP = {0x0021: ETHERTYPE_IPV4, 0x0057: ETHERTYPE_IPV6}
CUT_SHORT = -2
# Chains of tags, labels and extension headers are walked to their end: every step consumes at least four bytes,
# so the walk is linear in the frame however many a hostile frame stacks (a fixed cap of 8 let a ninth tag hide
# cleartext SIP as "other"). Encapsulations (GRE, ERSPAN, IP in IP, VXLAN) nest at most MAX_ENCAPSULATIONS deep.
MAX_ENCAPSULATIONS = 8
IPV6_EXTENSIONS = frozenset({0, 43, 60})  # hop-by-hop, routing, destination options: (length + 1) x 8 bytes
IPV6_FRAGMENT, IPV6_AH = 44, 51  # AH: (length + 2) x 4 bytes
PROTO_IPIP, PROTO_IPV6, PROTO_GRE = 4, 41, 47
GRE_IP = {0x0800: ETHERTYPE_IPV4, 0x86DD: ETHERTYPE_IPV6}
GRE_ETHERNET, GRE_ERSPAN2, GRE_ERSPAN3 = 0x6558, 0x88BE, 0x22EB  # transparent bridging; ERSPAN I/II, III
VXLAN_PORT = 4789
ETHERNET = -3  # "an Ethernet frame starts here" (inside GRE, ERSPAN or VXLAN)
# libpcap's LT_LINKTYPE(): the header's link type field carries the FCS length in its top six bits (a capture
# that keeps each frame's checksum: 0x14000001 is Ethernet with a 4-byte FCS, refused before as an unknown type)
LT_LINKTYPE_MASK = 0x03FFFFFF
NULL_FAMILIES_V6 = frozenset({10, 24, 28, 30})  # AF_INET6 on Linux, the BSDs and macOS
Layer4 = tuple[bool, str, str, int, int, bytes]  # is UDP, source, destination, ports, payload


def _u16(data: bytes, at: int) -> int:
    return (data[at] << 8) | data[at + 1]


def _link(linktype: int, frame: bytes) -> Optional[tuple[int, int, int]]:
    """(VLAN id, EtherType, where the network header starts) of a frame; CUT_SHORT as the EtherType for a frame
    shorter than its link header (scapy cannot dissect it either: it is counted undecoded), -1 for one cut
    inside its VLAN tags. None for a link type not decoded here. The VLAN is the first 802.1Q tag's (0 untagged), as
    scapy's ``pkt[Dot1Q]`` gives it."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return 0, CUT_SHORT, 0
        return _ethernet(frame, 0)
    if linktype == LINKTYPE_LINUX_SLL:
        return (0, _u16(frame, 14), 16) if len(frame) >= 16 else (0, CUT_SHORT, 0)
    if linktype == LINKTYPE_LINUX_SLL2:
        return (0, _u16(frame, 0), 20) if len(frame) >= 20 else (0, CUT_SHORT, 0)
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        if not frame:
            return 0, CUT_SHORT, 0
        version = frame[0] >> 4
        if len(frame) < (40 if version == 6 else 20):  # the outermost header cut short: scapy cannot dissect it either
            return 0, CUT_SHORT, 0
        return 0, {4: ETHERTYPE_IPV4, 6: ETHERTYPE_IPV6}.get(version, -1), 0
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if len(frame) < 4:
            return 0, CUT_SHORT, 0
        # NULL: the family in the capturing host's byte order; LOOP: network order. Both orders are tried.
        family = min(int.from_bytes(frame[:4], "little"), int.from_bytes(frame[:4], "big"))
        return 0, ETHERTYPE_IPV4 if family == 2 else ETHERTYPE_IPV6 if family in NULL_FAMILIES_V6 else -1, 4
    return None


def _ethernet(frame: bytes, start: int) -> tuple[int, int, int]:
    """(VLAN id, EtherType, where the network header starts) of the Ethernet frame at ``start``: every 802.1Q/ad
    tag, an MPLS label stack and a PPPoE session header are walked (each step consumes bytes: linear in the
    frame); -1 as the EtherType for a frame cut inside them or too short for its header."""
    if len(frame) < start + 14:
        return 0, -1, 0
    etype, at, vlan = _u16(frame, start + 12), start + 14, 0
    while etype == ETHERTYPE_8021Q or etype in OUTER_TAGS:
        if len(frame) < at + 4:
            return vlan, -1, 0
        if etype == ETHERTYPE_8021Q and not vlan:
            vlan = _u16(frame, at) & 0x0FFF
        etype, at = _u16(frame, at + 2), at + 4
    if etype in ETHERTYPE_MPLS:
        while len(frame) >= at + 4 and not frame[at + 2] & 0x01:  # bottom-of-stack bit
            at += 4
        if len(frame) < at + 5:
            return vlan, -1, 0
        at += 4
        etype = {4: ETHERTYPE_IPV4, 6: ETHERTYPE_IPV6}.get(frame[at] >> 4, -1)
    elif etype == ETHERTYPE_PPPOE_SESSION:
        if len(frame) < at + 8:
            return vlan, -1, 0
        etype, at = PPP_IP.get(_u16(frame, at + 6), -1), at + 8
    return vlan, etype, at


def _tunnel(proto: int, frame: bytes, here: int, end: int) -> Optional[tuple[int, int]]:
    """(EtherType, or ETHERNET for a bridged frame; where it starts) of the packet an IP packet carries in a
    tunnel: IPv4 or IPv6 in IP, GRE (IP, transparent Ethernet, ERSPAN type I, II and III: the remote SPAN a
    capture is often taken through); None when the protocol is no tunnel or its header is cut short."""
    if proto == PROTO_IPIP:
        return ETHERTYPE_IPV4, here
    if proto == PROTO_IPV6:
        return ETHERTYPE_IPV6, here
    if proto != PROTO_GRE or end < here + 4:
        return None
    flags, ptype = _u16(frame, here), _u16(frame, here + 2)
    if flags & 0x4007:  # a routing field (RFC 1701) or another version (PPTP's enhanced GRE): not decoded
        return None
    at = here + 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
    if ptype in GRE_IP:
        return GRE_IP[ptype], at
    if ptype == GRE_ETHERNET:
        return ETHERNET, at
    if ptype == GRE_ERSPAN2:  # type II has a sequence number and an 8-byte header; type I neither
        return ETHERNET, at + (8 if flags & 0x1000 else 0)
    if ptype == GRE_ERSPAN3 and end >= at + 12:  # 12 bytes, and an 8-byte platform sub-header when O is set
        return ETHERNET, at + 12 + (8 if frame[at + 11] & 0x01 else 0)
    return None


def _network(etype: int, frame: bytes, at: int) -> Optional[tuple[str, str, int, int, int]]:
    """(source, destination, protocol, where its header starts, where the IP payload ends) of an IPv4 or IPv6
    packet that carries the start of a transport header; None for anything else (a later fragment, a
    packet cut short). Addresses as scapy prints them (dotted quad; RFC 5952 compressed IPv6)."""
    if etype == ETHERTYPE_IPV4:
        if len(frame) < at + 20 or frame[at] >> 4 != 4:
            return None
        header, total = (frame[at] & 0x0F) * 4, _u16(frame, at + 2)
        if header < 20 or _u16(frame, at + 6) & 0x1FFF:  # a later fragment carries no transport header
            return None
        end = at + total if total >= header else len(frame)
        src = "%d.%d.%d.%d" % tuple(frame[at + 12:at + 16])
        dst = "%d.%d.%d.%d" % tuple(frame[at + 16:at + 20])
        return src, dst, frame[at + 9], at + header, min(end, len(frame))
    if etype == ETHERTYPE_IPV6:
        if len(frame) < at + 40:
            return None
        length, proto = _u16(frame, at + 4), frame[at + 6]
        end = at + 40 + length if length else len(frame)  # 0: a jumbogram's length is in an option
        src = socket.inet_ntop(socket.AF_INET6, frame[at + 8:at + 24])
        dst = socket.inet_ntop(socket.AF_INET6, frame[at + 24:at + 40])
        here = at + 40
        while True:  # each header consumes at least 8 bytes: linear in the frame
            if proto in IPV6_EXTENSIONS and len(frame) >= here + 2:
                proto, here = frame[here], here + (frame[here + 1] + 1) * 8
            elif proto == IPV6_AH and len(frame) >= here + 2:
                proto, here = frame[here], here + (frame[here + 1] + 2) * 4
            elif proto == IPV6_FRAGMENT and len(frame) >= here + 8:
                if _u16(frame, here + 2) >> 3:
                    return None
                proto, here = frame[here], here + 8
            else:
                break
        return src, dst, proto, here, min(end, len(frame))
    return None


def decode_frame(linktype: int, frame: bytes) -> Optional[tuple[int, Optional[Layer4]]]:
    """The frame's VLAN (CUT_SHORT for a frame shorter than its link header) and, for UDP and TCP over IP,
    (is UDP, source, destination, source port, destination port, payload); None for a link type this does not
    decode. The payload ends at the IP length (Ethernet padding is not payload) and, for UDP, at the UDP length.
    A packet in a tunnel (IP in IP, GRE, ERSPAN, VXLAN: how remote SPAN and many trunks carry traffic) is the
    packet inside it, with its own addresses and, when the outer frame is untagged, the mirrored frame's VLAN."""
    link = _link(linktype, frame)
    if link is None:
        return None
    vlan, etype, at = link
    if etype == CUT_SHORT:
        return CUT_SHORT, None
    for _ in range(MAX_ENCAPSULATIONS + 1):
        if etype == ETHERNET:  # a bridged frame in a tunnel: a remote SPAN keeps the original VLAN tag there
            inner_vlan, etype, at = _ethernet(frame, at)
            vlan = vlan or inner_vlan
        ip = _network(etype, frame, at)
        if ip is None:
            return vlan, None
        src, dst, proto, here, end = ip
        if proto == 17 and end >= here + 8:
            length = _u16(frame, here + 4)
            stop = min(end, here + length) if length >= 8 else end
            sport, dport = _u16(frame, here), _u16(frame, here + 2)
            # VXLAN (RFC 7348): flags 0x08 (a VNI follows), the reserved bytes zero; RTP on this port has a
            # version of 2 in its first byte, never 0x08, so a media stream is not taken for a tunnel
            if dport == VXLAN_PORT and stop >= here + 16 + 14 and frame[here + 8] == 0x08 \
                    and not any(frame[here + 9:here + 12]) and not frame[here + 15]:
                frame, etype, at = frame[:stop], ETHERNET, here + 16
                continue
            return vlan, (True, src, dst, sport, dport, frame[here + 8:stop])
        if proto == 6 and end >= here + 20:
            offset = max((frame[here + 12] >> 4) * 4, 20)
            return vlan, (False, src, dst, _u16(frame, here), _u16(frame, here + 2), frame[here + offset:end])
        inner = _tunnel(proto, frame, here, end)
        if inner is None:
            return vlan, None
        frame, (etype, at) = frame[:end], inner  # an inner packet ends where its carrier does
    return vlan, None


def _dissect(linktype: int, frame: bytes) -> Any:
    """A frame scapy dissects, as its PcapReader would: a link type it does not know, or a frame its dissector
    fails on, is a Raw packet (counted as undecoded)."""
    from scapy.config import conf
    from scapy.packet import Raw

    cls = conf.l2types.num2layer.get(linktype)
    if cls is None:
        return Raw(frame)
    try:
        return cls(frame)
    except Exception:  # scapy's own reader falls back alike (PcapReader.read_packet)
        return Raw(frame)


class _Analyser:
    def __init__(self) -> None:
        self.packets = 0
        self.sip_clear = Counter()           # method or "response" -> count
        self.sdes_in_clear = 0
        self.sip_tls = 0                     # TLS records to or from the SIP-TLS port
        # (address, port) -> [(packet number, "savp" or "avp")]: what cleartext SDP announced for it
        self.sdp_media: dict[tuple[str, int], list[tuple[int, str]]] = {}
        self.streams: dict[tuple, dict] = {}
        self.vlans: dict[int, Counter] = defaultdict(Counter)   # vlan id (0 = untagged) -> kind -> packets
        self.prov: Counter = Counter()
        self.undecoded = 0  # packets of a link type scapy does not decode
        self.untracked = 0  # RTP packets of streams beyond MAX_STREAMS

    def add(self, pkt) -> None:
        """A packet scapy dissected: a sniffed frame, or one of a link type :func:`decode_frame` leaves to scapy."""
        from scapy.layers.inet import IP, TCP, UDP
        from scapy.layers.inet6 import IPv6
        from scapy.layers.l2 import Dot1Q
        from scapy.packet import Padding

        self.packets += 1
        if type(pkt).__name__ == "Raw":  # scapy knew no layer for the capture's link type: nothing decoded
            self.undecoded += 1
        vlan = pkt[Dot1Q].vlan if pkt.haslayer(Dot1Q) else 0
        ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
        if ip is None:
            self.vlans[vlan]["other"] += 1
            return
        l4 = pkt.getlayer(UDP) or pkt.getlayer(TCP)
        if l4 is None:
            self.vlans[vlan]["other"] += 1
            return
        payload = bytes(l4.payload)
        # Padding (past the UDP or IP length: Ethernet's minimum frame, a forged length) is not payload.
        padding = sum(len(layer.load) for layer in l4.iterpayloads() if isinstance(layer, Padding))
        payload = payload[:len(payload) - padding]
        kind = self._classify(isinstance(l4, UDP), str(ip.src), str(ip.dst), int(l4.sport), int(l4.dport), payload)
        self.vlans[vlan][kind] += 1

    def add_frame(self, linktype: int, frame: bytes) -> None:
        """A captured frame as bytes, decoded by :func:`decode_frame` (one slice per header, no packet objects:
        scapy's dissection costs ~30x more). A link type it does not decode is dissected by scapy, as before."""
        decoded = decode_frame(linktype, frame)
        if decoded is None:
            self.add(_dissect(linktype, frame))
            return
        self.packets += 1
        vlan, l4 = decoded
        if vlan == CUT_SHORT:
            self.undecoded += 1
            vlan = 0
        kind = "other" if l4 is None else self._classify(*l4)
        self.vlans[vlan][kind] += 1

    def _classify(self, is_udp: bool, src: str, dst: str, sport: int, dport: int, payload: bytes) -> str:
        if SIP_START.match(payload[:64]):
            first = payload.split(b" ", 1)[0].decode(errors="replace")
            self.sip_clear["response" if first.startswith("SIP/") else first] += 1
            if b"\r\n\r\n" in payload:
                body = payload.split(b"\r\n\r\n", 1)[1]
                self.sdes_in_clear += body.count(b"a=crypto:")
                self._sdp(body)
            return "voice-signalling"
        if is_udp and dport == 69 and payload[:2] == b"\x00\x01":  # TFTP read request
            name = payload[2:].split(b"\x00", 1)[0].decode(errors="replace")[:120]
            self._fetch("tftp", name)
            return "provisioning"
        if not is_udp and (m := PROV_PATH.match(payload[:300])):
            self._fetch("http", m.group(2).decode(errors="replace")[:160])
            return "provisioning"
        if not is_udp and (sport in SIP_TLS_PORTS or dport in SIP_TLS_PORTS):
            # Signalling over TLS (cleartext SIP on this port was counted above): a segment opening a TLS
            # record is counted; one continuing a record, or a bare ACK, is still this connection's signalling.
            if len(payload) >= 5 and payload[0] in TLS_RECORD_TYPES and payload[1] == 3:
                self.sip_tls += 1
            return "voice-signalling"
        if is_udp and sport >= 1024 and dport >= 1024 and len(payload) >= 12 and payload[0] >> 6 == 2:
            pt = payload[1] & 0x7F
            if pt < 35 or 96 <= pt <= 127:
                ssrc = int.from_bytes(payload[8:12], "big")
                key = (src, sport, dst, dport, ssrc)
                s = self.streams.get(key)
                if s is None and len(self.streams) >= MAX_STREAMS:
                    self.untracked += 1  # counted with the media, not classified: the facts say so
                    return "voice-media"
                if s is None:
                    s = self.streams[key] = {"packets": 0, "pt": pt, "sample": bytearray(), "first": self.packets,
                                             "first_bytes": Counter()}
                s["packets"] += 1
                offset = _rtp_payload_offset(payload)
                if offset < len(payload):
                    s["first_bytes"][payload[offset]] += 1
                if len(s["sample"]) < 16384:
                    s["sample"] += payload[offset:offset + 160]
                return "voice-media"
            if payload[1] in RTCP_TYPES:  # RTCP or SRTCP beside a stream: counted with the media, not a stream
                return "voice-media"
        if not is_udp and (dport in {80, 443, 445, 139, 3389, 22, 21, 25, 993, 8080} or
                           sport in {80, 443, 445, 139, 3389, 22, 21, 25, 993, 8080}):
            return "data"
        return "other"

    def _fetch(self, protocol: str, raw: str) -> None:
        """Count one provisioning fetch by its path as evidence (:func:`fetch_path`); at most
        MAX_FETCH_PATHS distinct paths, the rest counted together (each path becomes a finding)."""
        path = fetch_path(raw)
        if (protocol, path) not in self.prov and len(self.prov) >= MAX_FETCH_PATHS:
            path = "(other paths)"
        self.prov[(protocol, path)] += 1

    def _sdp(self, body: bytes) -> None:
        """Each m= line's address (its own c=, else the session's) and port, with its transport profile."""
        session, media = "", []  # media: [address or "", port, profile]
        for raw in body.split(b"\n", MAX_SDP_LINES)[:MAX_SDP_LINES]:
            line = raw.strip().decode("ascii", errors="replace")
            if line.startswith("c=") and len(parts := line[2:].split()) >= 3:
                address = _address(parts[2].split("/", 1)[0])
                if media:
                    media[-1][0] = address
                else:
                    session = address
            elif line.startswith("m=") and len(parts := line[2:].split()) >= 3 and parts[1].isdigit() \
                    and len(parts[1]) <= 5:  # a port; 5,000 digits would make int() raise
                media.append(["", int(parts[1]), "savp" if "SAVP" in parts[2].upper() else "avp"])
        for address, port, profile in media:
            key = (address or session, port)
            if not key[0] or port == 0 or (key not in self.sdp_media and len(self.sdp_media) >= MAX_SDP_ENDPOINTS):
                continue
            seen = self.sdp_media.setdefault(key, [])
            seen.append((self.packets, profile))
            del seen[:-8]

    def _announced(self, s: dict, *endpoints: tuple[str, int]) -> str:
        """The profile cleartext SDP gave either end of a stream: the latest announcement up to the stream's
        first packet, else the first one after it (an answer seen after early media)."""
        seen = sorted(a for e in endpoints for a in self.sdp_media.get(e, ()))
        before = [profile for number, profile in seen if number <= s["first"]]
        return before[-1] if before else (seen[0][1] if seen else "")

    def _kind(self, s: dict, src: str, sport: int, dst: str, dport: int) -> tuple[str, str]:
        profile = self._announced(s, (_address(dst), dport), (_address(src), sport))
        if profile == "savp":
            return "srtp", "offered as RTP/SAVP in the SDP seen"
        if profile == "avp":
            return "rtp", "offered as plain RTP/AVP in the SDP seen"
        e = _entropy(bytes(s["sample"]))
        basis = f"no SDP seen; payload entropy {e:.2f} bits/byte"
        n, distinct = sum(s["first_bytes"].values()), len(s["first_bytes"])
        if e >= ENTROPY_ENCRYPTED and n >= HEADER_MIN_PACKETS and distinct < _expected_distinct(n) / 4:
            return "rtp", (f"{basis}, but its first payload byte takes {distinct} value(s) over {n} packets: "
                           "a codec's frame header in clear, not ciphertext")
        return ("srtp" if e >= ENTROPY_ENCRYPTED else "rtp"), basis

    def facts(self, spec: PcapSource, source: str) -> PacketFacts:
        streams = []
        for (src, sport, dst, dport, ssrc), s in self.streams.items():
            if s["packets"] < 5:
                continue  # a few odd datagrams are not a media stream
            kind, basis = self._kind(s, src, sport, dst, dport)
            streams.append(RtpStream(src=f"{src}:{sport}", dst=f"{dst}:{dport}", ssrc=f"{ssrc:08x}",
                                     packets=s["packets"], payload_type=s["pt"], kind=kind, basis=basis))
        vlans = [VlanTraffic(vlan=v, packets=sum(c.values()), kinds=dict(c)) for v, c in sorted(self.vlans.items())]
        prov = [ProvisioningFetch(protocol=p, path=name, requests=n) for (p, name), n in sorted(self.prov.items())]
        return PacketFacts(source=source, capture_point=spec.capture_point, packets=self.packets,
                           sip_in_clear=dict(self.sip_clear), sdes_keys_in_clear=self.sdes_in_clear,
                           sip_tls_records=self.sip_tls,
                           streams=streams, vlans=vlans, provisioning=prov, untracked_stream_packets=self.untracked,
                           undecoded_packets=self.undecoded,
                           max_streams=MAX_STREAMS)


def analyse(spec: PcapSource, progress=None) -> PacketFacts:
    # scapy decodes capture files as well as sniffed frames: both come with the live extra
    require_for_target("a pcap target (capture file or sniff)", "scapy.layers.inet", "scapy.layers.inet6",
                       "scapy.layers.l2", "scapy.utils", "scapy.error")
    an = _Analyser()
    limit = min(spec.max_packets, MAX_PACKETS)
    path = Path(spec.file) if spec.file else None
    if path is not None:
        from scapy.error import Scapy_Exception
        from scapy.utils import RawPcapReader

        if not path.exists():
            raise CollectionError("not_collected", f"capture file {path} does not exist")
        if not path.is_file():  # a FIFO would block the reader for ever, a device never end
            raise CollectionError("parse", f"{path.name}: not a regular file, not a capture")
        if progress:
            progress(f"reading {path.name}")
        unreadable = (Scapy_Exception, EOFError, ValueError, OSError, struct.error)
        try:
            reader = RawPcapReader(str(path))  # a pcapng file gets scapy's RawPcapNgReader
        except unreadable as exc:
            raise CollectionError("parse", f"{path.name}: not a readable pcap/pcapng file "
                                           f"({exc.__class__.__name__})") from None
        with reader:
            packets = iter(reader)
            while an.packets < limit:
                # Only reading the file may fail here (a truncated capture keeps what was read); an.add
                # runs outside this guard, so a fault of ours is never taken for the end of the file.
                try:
                    frame, meta = next(packets)
                except StopIteration:
                    break
                except unreadable as exc:
                    if an.packets == 0:
                        raise CollectionError("parse", f"{path.name}: not a readable pcap/pcapng file "
                                                       f"({exc.__class__.__name__})") from None
                    break  # a truncated capture: what was read stands
                # pcapng: each packet's interface says its link type (the reader has none of its own: a
                # getattr default naming reader.linktype raised AttributeError on every pcapng file)
                linktype = getattr(meta, "linktype", None)
                linktype = reader.linktype if linktype is None else linktype
                an.add_frame(linktype & LT_LINKTYPE_MASK, frame)
        # Nothing read is nothing judged: every control would be NOT_APPLICABLE from a capture that shows
        # nothing (an empty file, a link type scapy cannot decode), which is not "nothing to find".
        if an.packets == 0:
            raise CollectionError("parse", f"{path.name}: the capture holds no packets; nothing could be judged")
        if an.undecoded == an.packets:
            raise CollectionError("parse", f"{path.name}: no packet could be decoded (a link type voxaudit does not "
                                           "read, or every packet cut short); nothing could be judged")
        return an.facts(spec, path.name)
    if spec.interface and spec.seconds > 0:
        import scapy.layers.inet  # noqa: F401  register Ethernet/802.1Q/IP so sniffed frames decode
        import scapy.layers.inet6  # noqa: F401
        import scapy.layers.l2  # noqa: F401
        from scapy.sendrecv import sniff
        if progress:
            progress(f"listening on {spec.interface} for {spec.seconds:g} s")
        started = time.monotonic()
        try:
            sniff(iface=spec.interface, timeout=min(spec.seconds, 300), count=limit, store=False, prn=an.add)
        except (OSError, PermissionError) as exc:
            raise CollectionError("connectivity", f"cannot capture on {spec.interface}: "
                                                  f"{getattr(exc, 'strerror', None) or exc}") from None
        facts = an.facts(spec, f"{spec.interface} ({time.monotonic() - started:.1f} s)")
        return facts
    raise CollectionError("not_collected", "a pcap target needs pcap_file, or interface and seconds (opt-in sniff)")
