"""Encryption in transit as seen on the wire: SIP answering in clear on UDP/TCP and the media an SDP
answer offers (SIP probes, platform ``sip``), and the RTP streams and cleartext SIP a packet capture
holds (platform ``pcap``). Every record is ``observed``.

A probe that got no answer shows nothing: silence is undecidable, never a pass. A capture proves what
it holds, not what it lacks: with no SIP (in clear or over TLS on 5061) and no media in it, it gives no
record at all. SIP over TLS hides its SDP: the capture's streams are then told SRTP from RTP by their
payloads' entropy (see voxaudit.collectors.packets), and SDES keys inside TLS are not exposed on the wire.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.network import PacketFacts, SipFacts
from voxaudit.platforms.network.common import per_platform
from voxaudit.records.transport import KeyExchange, MediaPolicy, SignallingPath

SIP_SOURCES = ("sip",)
CAPTURE_SOURCES = ("capture",)


PLAINTEXT_REMEDIATION = per_platform(
    "Offer SIP only over TLS (5061) on addresses phones and trunks use; close 5060 or bind it to loopback.",
    "pjsip.conf: remove udp/tcp transports (or bind them to 127.0.0.1); keep a transport with protocol=tls.",
    "listen=tls:<address>:5061 only (udp/tcp on 127.0.0.1 if an internal hop needs them).",
    "sofia profiles: tls=true, tls-only=true; bind sip-ip/sip-port of plaintext profiles to loopback.")
SDP_REMEDIATION = per_platform(
    "Offer only RTP/SAVP (SDES over TLS) or DTLS-SRTP.",
    "media_encryption=sdes (or dtls) on every endpoint, media_encryption_optimistic=no.",
    "Kamailio relays SDP; enforce SRTP on the PBX and rtpengine (RTP/SAVP).",
    "rtp_secure_media=mandatory on the sofia profiles.")
RTP_REMEDIATION = {"pcap": "Require SRTP on every endpoint and trunk (Asterisk media_encryption=sdes/dtls, FreeSWITCH "
                           "rtp_secure_media=mandatory, phones: SRTP compulsory) and re-capture to confirm."}
CLEAR_SIP_REMEDIATION = {"pcap": "Move phones and trunks to SIP over TLS (5061); SDES only ever over TLS, or DTLS-SRTP."}


# -- SIP probes ---------------------------------------------------------------------------------------

def plaintext_answers(facts: SipFacts) -> Iterator[SignallingPath]:
    for t in facts.transports:
        if t.transport not in {"udp", "tcp"}:
            continue
        where = f"{t.transport}/{t.port}"
        subject = f"sip {where}"
        if t.state == "answered":
            yield SignallingPath(subject=subject, observed=True, section=where, plaintext=True,
                                 setting=f"{where} answers (OPTIONS -> {t.options.status if t.options else '?'})")
        elif t.state == "closed":  # refused, ICMP unreachable, or no TCP connection at all
            yield SignallingPath(subject=subject, observed=True, section=where, plaintext=False,
                                 setting=f"no plaintext SIP: {t.detail or t.state}")
        else:  # UDP silence or a connection that never answered SIP: filtered, or ignoring this scanner
            yield SignallingPath(subject=subject, observed=True, section=where, plaintext=True, setting="",
                                 undecidable=f"not evaluated: {t.detail or t.state}; silence does not show that "
                                             "nothing speaks SIP here")


def offered_media(facts: SipFacts) -> Iterator[MediaPolicy]:
    for t in facts.transports:
        if t.state != "answered":
            continue
        for r in (t.options, t.unauth_register):
            if r is None or r.sdp is None:
                continue
            sdp = r.sdp
            secure = sdp.crypto_lines > 0 or sdp.fingerprint or all("SAVP" in p for p in sdp.media_protocols)
            yield MediaPolicy(subject=f"sip {t.transport}/{t.port}", observed=True, encrypted=secure,
                              setting=f"media {', '.join(sdp.media_protocols) or '?'}; crypto lines "
                                      f"{sdp.crypto_lines}; fingerprint {'yes' if sdp.fingerprint else 'no'}")


def plaintext_fix(rec: SignallingPath) -> list[str]:
    return [f"close {rec.section} or bind it to loopback; use TLS on 5061"]


def sdp_fix(rec: MediaPolicy) -> list[str]:
    return ["offer RTP/SAVP only"]


# -- packet captures ----------------------------------------------------------------------------------

def captured_streams(facts: PacketFacts) -> Iterator[MediaPolicy]:
    for s in facts.streams:
        srtp = s.kind != "rtp"
        yield MediaPolicy(subject=f"stream {s.src} -> {s.dst} ssrc {s.ssrc}", observed=True, encrypted=srtp,
                          setting=f"SRTP, {s.packets} packets ({s.basis})" if srtp
                          else f"{s.packets} packets, payload type {s.payload_type} ({s.basis})")
    if facts.untracked_stream_packets:
        n = facts.untracked_stream_packets
        yield MediaPolicy(subject=f"streams beyond the first {facts.max_streams:,}", observed=True, encrypted=False,
                          setting=f"{n:,} media packets", undecidable=(
                              f"{n:,} media packets of streams beyond the first {facts.max_streams:,} were counted, "
                              "not classified: whether they were encrypted is not known"))


def _clear_sip(facts: PacketFacts) -> tuple[int, str]:
    total = sum(facts.sip_in_clear.values())
    return total, ", ".join(f"{k} x{v}" for k, v in sorted(facts.sip_in_clear.items()))


def _quiet(facts: PacketFacts) -> str:
    """No cleartext SIP: what the capture shows instead. SIP over TLS seen on 5061 is shown as such; without
    it, media flowing with no SIP in clear means its signalling took an encrypted path (or another link)."""
    streams = f"{len(facts.streams)} media stream(s)"
    if facts.sip_tls_records:
        flowing = f", {streams} flowed" if facts.streams else ""
        return (f"no cleartext SIP; SIP over TLS seen ({facts.sip_tls_records} TLS records on port 5061, "
                f"SDP inside unreadable){flowing}")
    return f"no cleartext SIP while {streams} flowed: their signalling went encrypted"


def _voice(facts: PacketFacts, total: int) -> bool:
    """Whether the capture holds anything that shows how signalling travels."""
    return bool(total or facts.streams or facts.sip_tls_records)


def captured_signalling(facts: PacketFacts) -> Iterator[SignallingPath]:
    total, methods = _clear_sip(facts)
    if not _voice(facts, total):
        return  # nothing voice-related: the capture cannot show how signalling travels
    keys = f" carrying {facts.sdes_keys_in_clear} SRTP key line(s)" if facts.sdes_keys_in_clear else ""
    yield SignallingPath(subject=facts.source, observed=True, plaintext=total > 0,
                         setting=f"{total} cleartext SIP messages ({methods}){keys}" if total else _quiet(facts))


def captured_keys(facts: PacketFacts) -> Iterator[KeyExchange]:
    total, methods = _clear_sip(facts)
    if not _voice(facts, total):
        return
    if facts.sdes_keys_in_clear:
        setting = (f"{total} cleartext SIP messages ({methods}) carrying {facts.sdes_keys_in_clear} "
                   "SRTP key line(s)")
    else:
        setting = f"no SRTP key line in {total} cleartext SIP messages" if total else _quiet(facts)
    yield KeyExchange(subject=facts.source, observed=True, exposed=facts.sdes_keys_in_clear > 0, setting=setting)


def stream_fix(rec: MediaPolicy) -> list[str]:
    return ["require SRTP on both endpoints of this stream"]


def clear_sip_fix(rec: SignallingPath) -> list[str]:
    return ["SIP over TLS before SDES, or DTLS-SRTP" if "SRTP key" in rec.setting else "SIP over TLS"]


def keys_fix(rec: KeyExchange) -> list[str]:
    return ["SIP over TLS before SDES, or DTLS-SRTP"]


NO_VOICE = "not evaluated: the capture holds no SIP and no media stream"

BINDINGS = (
    Binding("ENC-SIG-101", "sip", plaintext_answers, SIP_SOURCES, "SIP-NET-101", PLAINTEXT_REMEDIATION, plaintext_fix,
            "UDP/TCP not probed"),
    Binding("ENC-MEDIA-101", "sip", offered_media, SIP_SOURCES, "SIP-NET-106", SDP_REMEDIATION, sdp_fix,
            "no SDP in any answer"),
    Binding("ENC-MEDIA-101", "pcap", captured_streams, CAPTURE_SOURCES, "PCAP-101", RTP_REMEDIATION, stream_fix,
            "no RTP/SRTP stream in the capture"),
    Binding("ENC-MEDIA-103", "pcap", captured_keys, CAPTURE_SOURCES, "PCAP-102", CLEAR_SIP_REMEDIATION, keys_fix,
            NO_VOICE),
    Binding("ENC-SIG-101", "pcap", captured_signalling, CAPTURE_SOURCES, "PCAP-102", CLEAR_SIP_REMEDIATION,
            clear_sip_fix, NO_VOICE),
)
