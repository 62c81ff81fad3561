"""Packet evidence with scapy: read a pcap, or (opt-in) sniff an interface for N seconds.

What is kept is shape, never content: counts of SIP messages in clear and whether their SDP
carries SDES keys (a=crypto: counted, not kept), RTP/SRTP streams by SSRC with packet counts
and how they were classified, 802.1Q VLAN ids and which kinds of traffic each carries, and
provisioning fetches over TFTP/HTTP (file names, which name devices, not people). Payloads,
caller identities and audio never leave this module.
"""
from __future__ import annotations

import math
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from voxaudit.collectors.offline import CollectionError
from voxaudit.extras import require_for_target
from voxaudit.facts.network import PacketFacts, ProvisioningFetch, RtpStream, VlanTraffic
from voxaudit.targets import PcapSource

MAX_PACKETS = 200_000
SIP_START = re.compile(rb"^(INVITE|REGISTER|OPTIONS|ACK|BYE|CANCEL|SUBSCRIBE|NOTIFY|MESSAGE|INFO|PRACK|UPDATE|"
                       rb"REFER|PUBLISH) sip[s]?:|^SIP/2\.0 \d{3}")
PROV_PATH = re.compile(rb"^(GET|HEAD) (\S+\.(?:cfg|xml|cnf|txt|boot|conf|ini|bin|ld))(?:\?\S*)? HTTP/1\.[01]", re.I)
ENTROPY_ENCRYPTED = 7.5  # bits per byte; encrypted payloads sit near 8, G.711 audio well below


def _entropy(data: bytes) -> float:
    if not data:
        return 0.0
    counts = Counter(data)
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


class _Analyser:
    def __init__(self) -> None:
        self.packets = 0
        self.sip_clear = Counter()           # method or "response" -> count
        self.sdes_in_clear = 0
        self.savp_ports: set[int] = set()    # media ports offered as RTP/SAVP in cleartext SDP
        self.streams: dict[tuple, dict] = {}
        self.vlans: dict[int, Counter] = defaultdict(Counter)   # vlan id (0 = untagged) -> kind -> packets
        self.prov: Counter = Counter()

    def add(self, pkt) -> None:
        from scapy.layers.inet import IP, TCP, UDP
        from scapy.layers.inet6 import IPv6
        from scapy.layers.l2 import Dot1Q

        self.packets += 1
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
        kind = self._classify(pkt, ip, l4, payload)
        self.vlans[vlan][kind] += 1

    def _classify(self, pkt, ip, l4, payload: bytes) -> str:
        from scapy.layers.inet import UDP

        is_udp = isinstance(l4, UDP)
        sport, dport = int(l4.sport), int(l4.dport)
        if SIP_START.match(payload[:64]):
            first = payload.split(b" ", 1)[0].decode(errors="replace")
            self.sip_clear["response" if first.startswith("SIP/") else first] += 1
            if b"\r\n\r\n" in payload:
                body = payload.split(b"\r\n\r\n", 1)[1]
                self.sdes_in_clear += body.count(b"a=crypto:")
                for m in re.finditer(rb"^m=audio (\d+) (\S+)", body, re.M):
                    if b"SAVP" in m.group(2):
                        self.savp_ports.add(int(m.group(1)))
            return "voice-signalling"
        if is_udp and dport == 69 and payload[:2] == b"\x00\x01":  # TFTP read request
            name = payload[2:].split(b"\x00", 1)[0].decode(errors="replace")[:120]
            self.prov[("tftp", name)] += 1
            return "provisioning"
        if not is_udp and (m := PROV_PATH.match(payload[:300])):
            self.prov[("http", m.group(2).decode(errors="replace")[:160])] += 1
            return "provisioning"
        if is_udp and sport >= 1024 and dport >= 1024 and len(payload) >= 12 and payload[0] >> 6 == 2:
            pt = payload[1] & 0x7F
            if pt < 35 or 96 <= pt <= 127:
                ssrc = int.from_bytes(payload[8:12], "big")
                key = (str(ip.src), sport, str(ip.dst), dport, ssrc)
                s = self.streams.setdefault(key, {"packets": 0, "pt": pt, "sample": bytearray(), "vlan": 0})
                s["packets"] += 1
                if len(s["sample"]) < 16384:
                    s["sample"] += payload[12:172]
                return "voice-media"
        if not is_udp and (dport in {80, 443, 445, 139, 3389, 22, 21, 25, 993, 8080} or
                           sport in {80, 443, 445, 139, 3389, 22, 21, 25, 993, 8080}):
            return "data"
        return "other"

    def facts(self, spec: PcapSource, source: str) -> PacketFacts:
        streams = []
        for (src, sport, dst, dport, ssrc), s in self.streams.items():
            if s["packets"] < 5:
                continue  # a few odd datagrams are not a media stream
            if dport in self.savp_ports or sport in self.savp_ports:
                kind, basis = "srtp", "offered as RTP/SAVP in the SDP seen"
            else:
                e = _entropy(bytes(s["sample"]))
                kind = "srtp" if e >= ENTROPY_ENCRYPTED else "rtp"
                basis = f"payload entropy {e:.2f} bits/byte"
            streams.append(RtpStream(src=f"{src}:{sport}", dst=f"{dst}:{dport}", ssrc=f"{ssrc:08x}",
                                     packets=s["packets"], payload_type=s["pt"], kind=kind, basis=basis))
        vlans = [VlanTraffic(vlan=v, packets=sum(c.values()), kinds=dict(c)) for v, c in sorted(self.vlans.items())]
        prov = [ProvisioningFetch(protocol=p, path=name, requests=n) for (p, name), n in sorted(self.prov.items())]
        return PacketFacts(source=source, capture_point=spec.capture_point, packets=self.packets,
                           sip_in_clear=dict(self.sip_clear), sdes_keys_in_clear=self.sdes_in_clear,
                           streams=streams, vlans=vlans, provisioning=prov)


def analyse(spec: PcapSource, progress=None) -> PacketFacts:
    # scapy decodes capture files as well as sniffed frames: both come with the live extra
    require_for_target("a pcap target (capture file or sniff)", "scapy.layers.inet", "scapy.layers.inet6",
                       "scapy.layers.l2", "scapy.utils", "scapy.error")
    an = _Analyser()
    limit = min(spec.max_packets, MAX_PACKETS)
    path = Path(spec.file) if spec.file else None
    if path is not None:
        from scapy.error import Scapy_Exception
        from scapy.utils import PcapReader

        if not path.exists():
            raise CollectionError("connectivity", f"capture file {path} does not exist")
        if progress:
            progress(f"reading {path.name}")
        try:
            with PcapReader(str(path)) as reader:
                for pkt in reader:
                    an.add(pkt)
                    if an.packets >= limit:
                        break
        except (Scapy_Exception, EOFError, ValueError, OSError) as exc:
            if an.packets == 0:
                raise CollectionError("parse", f"{path.name}: not a readable pcap/pcapng file "
                                               f"({exc.__class__.__name__})") from None
            # a truncated capture: what was read stands
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
