"""A small clinic's traffic as real Ethernet frames (scapy): phones on tagged VLAN 20, a PC on
VLAN 10, one phone misplaced on VLAN 10, cleartext SIP carrying SDES keys, plain RTP, SRTP,
and phones fetching their configuration over TFTP and HTTP. Audio payloads are silence or
random bytes, never speech.

Run inside a network namespace: ``python -m tests.lab.traffic IFACE SECONDS``.
"""
from __future__ import annotations

import os
import sys
import time

SDP = ("v=0\r\no=phone 1 1 IN IP4 10.20.0.21\r\ns=-\r\nc=IN IP4 10.20.0.21\r\nt=0 0\r\n"
       "m=audio 16000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
       "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyBpZiAvZGV2L3JhbmRvbQ\r\n")


def clinic_frames() -> list:
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Dot1Q, Ether

    phone, pbx, pc, srv = "10.20.0.21", "10.20.0.1", "10.10.0.50", "10.10.0.5"
    eth = Ether(src="02:00:00:00:00:21", dst="02:00:00:00:00:01")
    v20, v10 = Dot1Q(vlan=20), Dot1Q(vlan=10)
    frames = []
    invite = (f"INVITE sip:102@{pbx} SIP/2.0\r\nVia: SIP/2.0/UDP {phone}:5060;branch=z9hG4bKlab1\r\n"
              f"From: <sip:101@{pbx}>;tag=1\r\nTo: <sip:102@{pbx}>\r\nCall-ID: lab1\r\nCSeq: 1 INVITE\r\n"
              f"Content-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n\r\n{SDP}")
    frames.append(eth / v20 / IP(src=phone, dst=pbx) / UDP(sport=5060, dport=5060) / invite.encode())
    frames.append(eth / v20 / IP(src=pbx, dst=phone) / UDP(sport=5060, dport=5060) /
                  b"SIP/2.0 100 Trying\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    for seq in range(20):  # plain RTP, G.711 silence, on the voice VLAN
        hdr = bytes([0x80, 0x00]) + seq.to_bytes(2, "big") + (seq * 160).to_bytes(4, "big") + bytes.fromhex("1111aaaa")
        frames.append(eth / v20 / IP(src=phone, dst=pbx) / UDP(sport=17000, dport=18000) / (hdr + b"\xff" * 160))
    for seq in range(20):  # SRTP to the port the SDP offered as RTP/SAVP
        hdr = bytes([0x80, 0x00]) + seq.to_bytes(2, "big") + (seq * 160).to_bytes(4, "big") + bytes.fromhex("2222bbbb")
        frames.append(eth / v20 / IP(src=pbx, dst=phone) / UDP(sport=18002, dport=16000) / (hdr + os.urandom(170)))
    for seq in range(20):  # a misplaced phone talking plain RTP on the data VLAN
        hdr = bytes([0x80, 0x08]) + seq.to_bytes(2, "big") + (seq * 160).to_bytes(4, "big") + bytes.fromhex("3333cccc")
        frames.append(eth / v10 / IP(src=pc, dst=srv) / UDP(sport=20000, dport=20002) / (hdr + b"\xd5" * 160))
    frames.append(eth / v10 / IP(src=pc, dst=srv) / TCP(sport=50000, dport=445, flags="PA") / b"\x00\x00\x00\x2fSMB")
    frames.append(eth / v20 / IP(src=phone, dst=srv) / UDP(sport=2070, dport=69) / b"\x00\x01805ec0aa0001.cfg\x00octet\x00")
    frames.append(eth / v10 / IP(src=pc, dst=srv) / TCP(sport=50001, dport=80, flags="PA") /
                  b"GET /prov/0004f2aa0002.cfg?mac=0004f2aa0002 HTTP/1.1\r\nHost: prov\r\n\r\n")
    return frames


def main(iface: str, seconds: float) -> None:
    from scapy.sendrecv import sendp
    frames = clinic_frames()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sendp(frames, iface=iface, verbose=False)
        time.sleep(0.2)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
