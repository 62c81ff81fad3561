"""Desk phone lines as provisioned: the SIP transport each enabled account uses and its SRTP mode.

The collector gives each line's ``transport`` (udp unless set) and ``srtp`` (off, optional or
mandatory; off unless set), with the vendor option that sets them (``transport.option``,
``srtp.option``). Optional SRTP talks plain RTP to any peer that does not insist on encryption.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.phones import PhoneFacts
from voxaudit.platforms.phones.common import per_vendor
from voxaudit.records.transport import MediaPolicy, SignallingPath

SOURCES = ("provisioning",)
NONE = "no enabled SIP lines"


TLS_REMEDIATION = per_vendor(
    yealink="account.N.sip_server.1.transport_type = 2 (TLS), with server port 5061.",
    polycom="reg.N.server.1.transport=\"TLS\" and reg.N.server.1.port=\"5061\".",
    grandstream="P130 = 2 (TLS) for account 1 (and the matching P-value for other accounts).",
    cisco_spa="<SIP_Transport_N_>TLS</SIP_Transport_N_> with the proxy on port 5061.",
)
SRTP_REMEDIATION = per_vendor(
    yealink="account.N.srtp_encryption = 2 (compulsory).",
    polycom="sec.srtp.enable=\"1\", sec.srtp.offer=\"1\", sec.srtp.require=\"1\".",
    grandstream="P183 = 2 (SRTP enabled and forced).",
    cisco_spa="<Secure_Call_Setting_N_>Yes</Secure_Call_Setting_N_>.",
)


def line_signalling(facts: PhoneFacts) -> Iterator[SignallingPath]:
    for a in facts.of_kind("phone.account"):
        transport = a.get("transport") or "udp"
        option = a.get("transport.option") or "transport (default)"
        yield SignallingPath(subject=a.name, source=a.location("transport"), section=option,
                             plaintext=transport != "tls",
                             setting=f"{option} = TLS" if transport == "tls" else f"{option} gives {transport.upper()}")


def line_media(facts: PhoneFacts) -> Iterator[MediaPolicy]:
    for a in facts.of_kind("phone.account"):
        mode = a.get("srtp") or "off"
        option = a.get("srtp.option") or "SRTP (default: off)"
        yield MediaPolicy(subject=a.name, source=a.location("srtp"), section=option,
                          encrypted=mode in {"optional", "mandatory"}, fallback=mode == "optional",
                          setting=f"{option}: SRTP {mode}")


def tls_fix(rec: SignallingPath) -> list[str]:
    return [f"{rec.section} -> TLS"]


def srtp_fix(rec: MediaPolicy) -> list[str]:
    return [f"{rec.section} -> mandatory"]


BINDINGS = (
    Binding("ENC-SIG-101", "phone", line_signalling, SOURCES, "PHONE-TLS-101", TLS_REMEDIATION, tls_fix, NONE),
    Binding("ENC-MEDIA-101", "phone", line_media, SOURCES, "PHONE-SRTP-101", SRTP_REMEDIATION, srtp_fix, NONE),
    Binding("ENC-MEDIA-102", "phone", line_media, SOURCES, "PHONE-SRTP-101", SRTP_REMEDIATION, srtp_fix, NONE),
)
