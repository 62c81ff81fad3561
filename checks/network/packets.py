"""What a packet capture proves: media and signalling in clear, voice sharing a VLAN with data,
phones fetching their configuration in clear.

A capture proves what it holds, not what it lacks: a check whose traffic is absent from the
capture is not evaluated (NOT_APPLICABLE with the reason), never passed."""
from __future__ import annotations

from auditor.check import check

PLATFORMS = ["pcap"]
SOURCES = ["capture"]


@check(
    id="PCAP-101", title="No unencrypted RTP media on the wire", severity="high",
    hipaa=["164.312(e)(1)", "164.312(e)(2)(ii)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="Plain RTP can be replayed into audio by anyone who captures it: the conversation itself is PHI.",
    remediation={"pcap": "Require SRTP on every endpoint and trunk (Asterisk media_encryption=sdes/dtls, FreeSWITCH "
                         "rtp_secure_media=mandatory, phones: SRTP compulsory) and re-capture to confirm."},
)
def rtp_in_clear(facts, ctx):
    if not facts.streams:
        yield ctx.not_applicable(facts.source, "no RTP/SRTP stream in the capture")
        return
    for s in facts.streams:
        name = f"stream {s.src} -> {s.dst} ssrc {s.ssrc}"
        if s.kind == "rtp":
            yield ctx.fail(name, f"unencrypted RTP, {s.packets} packets, payload type {s.payload_type} ({s.basis})",
                           fix=["require SRTP on both endpoints of this stream"])
        else:
            yield ctx.passed(name, f"SRTP, {s.packets} packets ({s.basis})")


@check(
    id="PCAP-102", title="No SIP signalling in clear, and no SRTP keys in clear", severity="high",
    hipaa=["164.312(e)(1)", "164.312(e)(2)(ii)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Cleartext SIP exposes who calls whom; SDES keys (a=crypto) in cleartext SIP let anyone
    decrypt the SRTP that follows.""",
    remediation={"pcap": "Move phones and trunks to SIP over TLS (5061); SDES only ever over TLS, or DTLS-SRTP."},
)
def sip_in_clear(facts, ctx):
    total = sum(facts.sip_in_clear.values())
    if total == 0 and not facts.streams:
        # Nothing voice-related at all: the capture cannot show how signalling travels.
        yield ctx.not_applicable(facts.source, "not evaluated: the capture holds no SIP and no media stream")
        return
    if total == 0:
        yield ctx.passed(facts.source, f"no cleartext SIP while {len(facts.streams)} media stream(s) flowed: "
                                       "their signalling went encrypted")
        return
    methods = ", ".join(f"{k} x{v}" for k, v in sorted(facts.sip_in_clear.items()))
    if facts.sdes_keys_in_clear:
        yield ctx.fail(facts.source, f"{total} cleartext SIP messages ({methods}) carrying "
                                     f"{facts.sdes_keys_in_clear} SRTP key line(s): the media is decryptable",
                       fix=["SIP over TLS before SDES, or DTLS-SRTP"])
    else:
        yield ctx.fail(facts.source, f"{total} cleartext SIP messages ({methods})", fix=["SIP over TLS"])


@check(
    id="PCAP-103", title="Voice traffic does not share a VLAN with data traffic", severity="high",
    hipaa=["164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Voice frames in the same VLAN as workstation traffic (or untagged on a trunk) mean phones
    and PCs share a broadcast domain: the segmentation the switch config promises is not in effect.""",
    remediation={"pcap": "Put phones on the voice VLAN (switchport voice vlan / LLDP-MED network policy), tag voice "
                         "on trunks, and keep data off that VLAN; see the SW-VLAN checks."},
)
def voice_data_vlans(facts, ctx):
    voice_vlans = [v for v in facts.vlans if v.kinds.get("voice-media") or v.kinds.get("voice-signalling")]
    if not voice_vlans:
        yield ctx.not_applicable(facts.source, "no voice traffic in the capture")
        return
    for v in voice_vlans:
        name = f"vlan {v.vlan}" if v.vlan else "untagged frames"
        data = v.kinds.get("data", 0) + v.kinds.get("provisioning", 0)
        if data:
            yield ctx.fail(name, f"voice and data together: {v.kinds}", fix=["separate voice onto its own VLAN"])
        elif v.vlan == 0 and facts.capture_point == "trunk":
            yield ctx.fail(name, "voice frames untagged on a trunk: they land in the native VLAN",
                           fix=["tag the voice VLAN on trunks; native VLAN unused"])
        else:
            yield ctx.passed(name, f"voice only: {v.kinds}")


@check(
    id="PCAP-104", title="Phones do not fetch their configuration in clear (TFTP/HTTP)", severity="high",
    hipaa=["164.312(e)(1)", "164.312(d)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="Provisioning files hold SIP passwords; fetched over TFTP or HTTP they are readable on the LAN.",
    remediation={"pcap": "Provision over HTTPS with per-device credentials (see PHONE-PRV-101), and block TFTP/69 "
                         "and HTTP to the provisioning server from the voice VLAN."},
)
def provisioning_in_clear(facts, ctx):
    if not facts.provisioning:
        # Phones fetch at boot or on a schedule: a capture without a fetch shows nothing either way.
        yield ctx.not_applicable(facts.source, "not evaluated: no cleartext provisioning fetch in the capture, "
                                               "and an HTTPS one cannot be told apart; capture a phone booting "
                                               "to assess")
        return
    for f in facts.provisioning:
        yield ctx.fail(f"{f.protocol} {f.path}", f"{f.requests} cleartext {f.protocol.upper()} fetch(es) of a "
                                                 "provisioning file", fix=["provision over HTTPS"])
