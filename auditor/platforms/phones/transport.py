"""Desk phone lines as provisioned: the SIP transport each enabled account uses and its SRTP mode.

The collector gives each line's ``transport`` (udp unless set) and ``srtp`` (off, optional or
mandatory; off unless set), with the vendor option that sets them (``transport.option``,
``srtp.option``). Optional SRTP talks plain RTP to any peer that does not insist on encryption.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.phones import PLACEHOLDER, PhoneFacts
from voxaudit.platforms.phones.common import PLACEHOLDER_WHY, per_vendor
from voxaudit.records.transport import MediaPolicy, SignallingPath
from voxaudit.remediation.change import Change, note, set_

SOURCES = ("provisioning",)
NONE = "no enabled SIP lines"


TLS_REMEDIATION = per_vendor(
    yealink="account.N.sip_server.1.transport_type = 2 (TLS), with server port 5061.",
    polycom="reg.N.server.1.transport=\"TLS\" and reg.N.server.1.port=\"5061\".",
    grandstream="The account's SIP Transport = 2 (TLS): P130 for account 1, P448, P548, P648, P1748, P1848 for "
                "accounts 2-6 (account.N.sip.transport = TlsOrTcp in named-item XML).",
    cisco_spa="<SIP_Transport_N_>TLS</SIP_Transport_N_> with the proxy on port 5061.",
)
SRTP_REMEDIATION = per_vendor(
    yealink="account.N.srtp_encryption = 2 (compulsory).",
    polycom="sec.srtp.enable=\"1\", sec.srtp.offer=\"1\", sec.srtp.require=\"1\".",
    grandstream="The account's SRTP Mode = 2 (enabled and forced): P183 for account 1, P443, P543, P643, P1743, "
                "P1843 for accounts 2-6 (account.N.audio.srtpMode = EnabledAndForced in named-item XML).",
    cisco_spa="<Secure_Call_Setting_N_>Yes</Secure_Call_Setting_N_>.",
)


def line_signalling(facts: PhoneFacts) -> Iterator[SignallingPath]:
    for a in facts.of_kind("phone.account"):
        transport = a.get("transport") or "udp"
        option = a.get("transport.option") or "transport (default)"
        if a.get("transport.unknown"):  # set only by a file the phone may load: not known
            yield SignallingPath(subject=a.name, source=a.source, section=option, plaintext=True,
                                 setting=f"{option} not known", undecidable=a.get("transport.unknown") or "")
            continue
        if a.get("transport.placeholder"):  # an unrendered template: the server decides, not the file
            yield SignallingPath(subject=a.name, source=a.location("transport"), section=option, plaintext=True,
                                 setting=f"{option} = {PLACEHOLDER}", undecidable=f"{option} is {PLACEHOLDER_WHY}")
            continue
        yield SignallingPath(subject=a.name, source=a.location("transport"), section=option,
                             plaintext=transport != "tls",
                             setting=f"{option} = TLS" if transport == "tls" else f"{option} gives {transport.upper()}")


def line_media(facts: PhoneFacts) -> Iterator[MediaPolicy]:
    for a in facts.of_kind("phone.account"):
        mode = a.get("srtp") or "off"
        option = a.get("srtp.option") or "SRTP (default: off)"
        if a.get("srtp.unknown"):  # set only by a file the phone may load: not known
            yield MediaPolicy(subject=a.name, source=a.source, section=option, encrypted=False, fallback=False,
                              setting=f"{option} not known", undecidable=a.get("srtp.unknown") or "")
            continue
        if a.get("srtp.placeholder"):
            yield MediaPolicy(subject=a.name, source=a.location("srtp"), section=option, encrypted=False,
                              fallback=False, setting=f"{option} = {PLACEHOLDER}",
                              undecidable=f"{option} is {PLACEHOLDER_WHY}")
            continue
        yield MediaPolicy(subject=a.name, source=a.location("srtp"), section=option,
                          encrypted=mode in {"optional", "mandatory"}, fallback=mode == "optional",
                          setting=f"{option}: SRTP {mode}")


def tls_fix(rec: SignallingPath) -> list[str]:
    return [f"{rec.section} -> TLS"]


def srtp_fix(rec: MediaPolicy) -> list[str]:
    return [f"{rec.section} -> mandatory"]


def _line(subject: str) -> tuple[str, str]:
    """The provisioning file and the account number of a line record (``FILE line N``)."""
    file, _, n = subject.rpartition(" line ")
    return file, n


def srtp_change(rec: MediaPolicy) -> list[Change]:
    """Yealink: ``account.N.srtp_encryption = 2`` (0 disabled, 1 optional, 2 compulsory). The writer
    places it in Yealink files only; another vendor's finding is reported as not yet patchable."""
    file, n = _line(rec.subject)
    return [set_(file, rec.subject, f"account.{n}.srtp_encryption", "2", kind="phone.account")]


def tls_change(rec: SignallingPath) -> list[Change]:
    """Yealink: TLS needs the registrar to offer SIP over TLS on its port first: a person's change."""
    file, n = _line(rec.subject)
    return [note(file, rec.subject,
                 f"set account.{n}.sip_server.1.transport_type = 2 (TLS) and account.{n}.sip_server.1.port "
                 "to the registrar's TLS port once the registrar offers SIP over TLS", kind="phone.account")]


BINDINGS = (
    Binding("ENC-SIG-101", "phone", line_signalling, SOURCES, "PHONE-TLS-101", TLS_REMEDIATION, tls_fix, NONE,
            change=tls_change),
    Binding("ENC-MEDIA-101", "phone", line_media, SOURCES, "PHONE-SRTP-101", SRTP_REMEDIATION, srtp_fix, NONE,
            change=srtp_change),
    Binding("ENC-MEDIA-102", "phone", line_media, SOURCES, "PHONE-SRTP-101", SRTP_REMEDIATION, srtp_fix, NONE,
            change=srtp_change),
)
