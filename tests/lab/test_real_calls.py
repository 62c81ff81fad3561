"""Real calls through Kamailio (TLS registrar) and rtpengine, captured on the PBX's link by a voxaudit pcap
target and judged by the packet controls (tests/lab/calls.py); a phone-to-phone call with its SDP in clear,
captured on the callee's link, for the controls that read SDP. Plus the collector's reading of SIP over TLS
and RTCP, on frames shaped like the ones those calls send (no root needed)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.lab import calls, servers
from voxaudit.collectors.packets import analyse
from voxaudit.targets import PcapSource

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    started = time.monotonic()
    try:
        with calls.call_lab(tmp_path_factory.mktemp("calls")) as lab:
            doc, placed, driver = calls.scan_calls(lab, REPO)
            logs = {p.name: p.read_text(errors="replace")[-3000:] for p in (lab.work / "pbx").glob("*.log")}
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    assert not driver.error, (driver.error, logs)
    print(f"real calls: {time.monotonic() - started:.1f} s (capture listening after {driver.waited} s)")
    return doc, placed, logs


def test_every_call_was_established_and_carried_audio(captured):
    _, placed, logs = captured
    srtp, plain, direct = placed
    for call in placed:
        registered = "{0/TLS/v4} 200 OK" in call.caller_log and "{0/TLS/v4} 200 OK" in call.callee_log
        assert registered != call.direct, call.name  # through the registrar: both phones registered over TLS
        assert call.established, (call.name, call.caller_log[-1500:], call.callee_log[-1500:], logs)
        # bob received audio: the tone crossed rtpengine (and, for SRTP, its decryption and re-encryption)
        assert call.received_bps > 30000, (call.name, call.callee_log[-800:])
        print(f"{call.name}: {call.seconds} s, bob received {call.received_bps} bit/s")
    assert srtp.srtp and "AES_CM_128_HMAC_SHA1_80" in srtp.callee_log
    assert direct.srtp and not plain.srtp


def test_the_capture_judges_the_real_calls(captured):
    doc, placed, _ = captured
    (target,) = [t for t in doc["targets"] if t["name"] == "call-capture"]
    assert target["failure"] is None, target["failure"]
    judged = calls.per_call(doc, "call-capture", placed)
    assert judged["sdes-clear"]["streams"] == []  # phone to phone: never on the PBX's link
    for name, seen in judged.items():
        print(name, seen.get("packets"), [(s["src"], s["dst"], s["kind"], s["packets"]) for s in seen.get("streams", [])])
        for verdict in seen["verdicts"]:
            print("   ", *verdict)
    facts = target["facts"]
    # each call crosses the PBX's link four times: both phones to rtpengine and back
    for name, kind, status in (("srtp", "srtp", "PASS"), ("plain", "rtp", "FAIL")):
        streams = judged[name]["streams"]
        assert len(streams) == 4 and {s["kind"] for s in streams} == {kind}, (name, streams)
        assert all(s["packets"] >= 100 for s in streams), streams
        assert all(any(a.startswith(f"{calls.PBX}:") for a in (s["src"], s["dst"])) for s in streams)
        # SIP over TLS hides the SDP: the kind comes from the payloads alone, and the evidence says so.
        # The plain call's Opus is near 8 bits/byte like ciphertext; its frame header (TOC byte) gives it away.
        assert all("no SDP seen; payload entropy" in s["basis"] for s in streams), streams
        if kind == "rtp":
            assert all("frame header in clear" in s["basis"] for s in streams), streams
        assert [v[1] for v in judged[name]["verdicts"]] == [status] * 4, judged[name]["verdicts"]
    assert len(facts["streams"]) == 8  # nothing else: no direct phone-to-phone media
    # the signalling: no SIP in clear, SIP over TLS counted, no SRTP key exposed
    assert facts.get("sip_in_clear", {}) == {} and facts.get("sdes_keys_in_clear", 0) == 0
    assert facts["sip_tls_records"] > 20, facts
    capture = dict(((cid, status), evidence) for cid, status, evidence in judged["capture"]["verdicts"])
    assert ("ENC-SIG-101", "PASS") in capture and "SIP over TLS seen" in capture["ENC-SIG-101", "PASS"], capture
    assert ("ENC-MEDIA-103", "PASS") in capture, capture
    assert ("SEG-VLAN-102", "PASS") in capture, capture
    (vlan,) = facts["vlans"]
    assert vlan["kinds"]["voice-signalling"] >= facts["sip_tls_records"], vlan


def test_the_sdp_in_clear_is_read_on_the_phones_link(captured):
    """bob's link: the direct call's SIP over UDP, its SDP offering RTP/SAVP with SDES keys, and bob's legs
    of the calls through the PBX (SRTP and RTP, told apart by entropy) beside his TLS signalling."""
    doc, placed, _ = captured
    (target,) = [t for t in doc["targets"] if t["name"] == "phone-capture"]
    assert target["failure"] is None, target["failure"]
    facts = target["facts"]
    judged = calls.per_call(doc, "phone-capture", placed)
    for name, seen in judged.items():
        print(name, seen.get("packets"), [(s["src"], s["dst"], s["kind"], s["packets"], s["basis"])
                                          for s in seen.get("streams", [])])
        for verdict in seen["verdicts"]:
            print("   ", *verdict)
    direct = judged["sdes-clear"]["streams"]
    assert len(direct) == 2 and all(s["kind"] == "srtp" and "RTP/SAVP" in s["basis"] for s in direct), direct
    assert [v[1] for v in judged["sdes-clear"]["verdicts"]] == ["PASS"] * 2
    assert [v[1] for v in judged["srtp"]["verdicts"]] == ["PASS"] * 2  # bob's leg only: to and from rtpengine
    assert [v[1] for v in judged["plain"]["verdicts"]] == ["FAIL"] * 2
    assert facts["sdes_keys_in_clear"] >= 2 and facts["sip_in_clear"].get("INVITE", 0) >= 1, facts
    assert facts["sip_tls_records"] > 0
    capture = {(cid, status) for cid, status, _ in judged["capture"]["verdicts"]}
    assert {("ENC-SIG-101", "FAIL"), ("ENC-MEDIA-103", "FAIL")} <= capture, capture


def _frames() -> list:
    """A TLS handshake and application records between a phone and 5061, the TCP ACKs between them, an
    SRTP stream and its SRTCP: the shape of the real calls' traffic, with random bytes for ciphertext."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    phone, pbx = "10.30.0.11", "10.30.0.1"
    frames = [Ether() / IP(src=phone, dst=pbx) / TCP(sport=40000, dport=5061, flags="PA") /
              (bytes([22, 3, 1, 0, 200]) + os.urandom(200))]
    frames += [Ether() / IP(src=a, dst=b) / TCP(sport=s, dport=d, flags="PA") /
               (bytes([23, 3, 3, 1, 0]) + os.urandom(256))
               for a, b, s, d in [(phone, pbx, 40000, 5061), (pbx, phone, 5061, 40000)] * 5]
    frames += [Ether() / IP(src=pbx, dst=phone) / TCP(sport=5061, dport=40000, flags="A")] * 3
    frames += [Ether() / IP(src=phone, dst=pbx) / UDP(sport=20000, dport=30000) /
               (bytes([0x80, 0, 0, i]) + bytes(4) + bytes.fromhex("5555eeee") + os.urandom(170)) for i in range(20)]
    frames += [Ether() / IP(src=phone, dst=pbx) / UDP(sport=20001, dport=30001) /
               (bytes([0x80, 200, 0, 6]) + bytes.fromhex("5555eeee") + os.urandom(30))] * 2
    return frames


def test_sip_over_tls_and_rtcp_are_voice_traffic(tmp_path, run):
    from scapy.utils import wrpcap
    path = tmp_path / "tls-call.pcap"
    wrpcap(str(path), _frames())
    facts = analyse(PcapSource(file=path, capture_point="access"))
    assert facts.sip_tls_records == 11 and not facts.sip_in_clear
    assert facts.vlans[0].kinds == {"voice-signalling": 14, "voice-media": 22}
    assert [s.kind for s in facts.streams] == ["srtp"]
    assert set(run("PCAP-102", facts).values()) == {"PASS"}
    # TLS signalling alone (registrations, no call yet) still shows how signalling travels
    wrpcap(str(path), _frames()[:14])
    quiet = analyse(PcapSource(file=path, capture_point="access"))
    assert not quiet.streams and quiet.sip_tls_records == 11
    assert set(run("PCAP-102", quiet).values()) == {"PASS"}
    assert set(run("PCAP-103", quiet).values()) == {"PASS"}


def test_cleartext_sip_on_5061_is_still_cleartext(tmp_path, run):
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap
    path = tmp_path / "clear-5061.pcap"
    wrpcap(str(path), [Ether() / IP(src="10.30.0.11", dst="10.30.0.1") / TCP(sport=40000, dport=5061, flags="PA") /
                       b"REGISTER sip:pbx.lab.example SIP/2.0\r\nContent-Length: 0\r\n\r\n"])
    facts = analyse(PcapSource(file=path, capture_point="access"))
    assert facts.sip_in_clear == {"REGISTER": 1} and facts.sip_tls_records == 0
    assert set(run("PCAP-102", facts).values()) == {"FAIL"}


def _rtp(src: str, sport: int, dst: str, dport: int, ssrc: str, payload, packets: int = 30) -> list:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    return [Ether() / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) /
            (bytes([0x80, 96, 0, i]) + bytes(4) + bytes.fromhex(ssrc) + payload()) for i in range(packets)]


def _invite(src: str, sdp: str) -> list:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    return [Ether() / IP(src=src, dst="10.30.0.1") / UDP(sport=5060, dport=5060) /
            (f"INVITE sip:bob@10.30.0.1 SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: {len(sdp)}"
             f"\r\n\r\n{sdp}").encode()]


def test_opus_in_clear_is_plain_rtp_whatever_its_entropy(tmp_path, run):
    """The misjudgment real baresip calls showed: plain Opus (payload entropy 7.84) was taken for SRTP.
    Its SDP, when seen, says RTP/AVP; without SDP, its constant first byte (Opus TOC) is no ciphertext."""
    from scapy.utils import wrpcap
    opus = lambda: b"\x78" + os.urandom(120)  # noqa: E731  a TOC byte, then compressed (random-looking) frames
    sdp = "v=0\r\no=- 1 1 IN IP4 10.30.0.11\r\ns=-\r\nc=IN IP4 10.30.0.11\r\nt=0 0\r\nm=audio 21000 RTP/AVP 96\r\n"
    frames = (_invite("10.30.0.11", sdp) + _rtp("10.30.0.11", 21000, "10.30.0.1", 30000, "0000aaaa", opus)
              + _rtp("10.30.0.12", 21002, "10.30.0.1", 30002, "0000bbbb", opus)
              + _rtp("10.30.0.12", 21004, "10.30.0.1", 30004, "0000cccc", lambda: os.urandom(130)))
    path = tmp_path / "opus.pcap"
    wrpcap(str(path), frames)
    facts = analyse(PcapSource(file=path, capture_point="access"))
    kinds = {s.ssrc: (s.kind, s.basis) for s in facts.streams}
    assert kinds["0000aaaa"] == ("rtp", "offered as plain RTP/AVP in the SDP seen")
    assert kinds["0000bbbb"][0] == "rtp" and "frame header in clear" in kinds["0000bbbb"][1]
    assert kinds["0000cccc"][0] == "srtp" and kinds["0000cccc"][1].startswith("no SDP seen; payload entropy")
    media = run("PCAP-101", facts)
    assert sorted(media.values()) == ["FAIL", "FAIL", "PASS"]


def test_an_sdp_speaks_for_its_own_address_only(tmp_path):
    """An RTP/SAVP offer from one phone does not make another host's stream on the same port SRTP, and a
    later SAVP offer does not rewrite a stream that began under an RTP/AVP one."""
    from scapy.utils import wrpcap
    silence = lambda: b"\xff" * 160  # noqa: E731
    savp = ("v=0\r\no=- 1 1 IN IP4 10.30.0.11\r\ns=-\r\nc=IN IP4 10.30.0.11\r\nt=0 0\r\n"
            "m=audio 16000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:canary\r\n")
    avp = savp.replace("RTP/SAVP", "RTP/AVP").replace("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:canary\r\n", "")
    frames = (_invite("10.30.0.11", savp) + _rtp("10.30.0.12", 16000, "10.30.0.1", 30000, "0000dddd", silence)
              + _invite("10.30.0.13", avp.replace("10.30.0.11", "10.30.0.13"))
              + _rtp("10.30.0.13", 16000, "10.30.0.1", 30002, "0000eeee", silence)
              + _invite("10.30.0.13", savp.replace("10.30.0.11", "10.30.0.13")))
    path = tmp_path / "two-phones.pcap"
    wrpcap(str(path), frames)
    facts = analyse(PcapSource(file=path, capture_point="access"))
    kinds = {s.ssrc: (s.kind, s.basis) for s in facts.streams}
    assert kinds["0000dddd"] == ("rtp", "no SDP seen; payload entropy 0.00 bits/byte")
    assert kinds["0000eeee"] == ("rtp", "offered as plain RTP/AVP in the SDP seen")
    assert facts.sdes_keys_in_clear == 2 and "canary" not in repr(facts)
