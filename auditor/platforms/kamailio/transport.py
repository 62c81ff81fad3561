"""Kamailio and OpenSIPS listeners (``listen=`` / ``socket=``) and TLS support as signalling records.

Without any listen line the proxy binds UDP and TCP 5060 on every interface. TLS is on in Kamailio
with ``enable_tls=yes`` and tls.so loaded (the default config keeps both behind WITH_TLS); in
OpenSIPS it is the proto_tls module, or proto_wss for WebRTC clients (both with tls_mgm domains).
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.kamailio import KamailioFacts, OpenSipsFacts
from voxaudit.platforms.common import is_loopback
from voxaudit.platforms.kamailio.common import OPENSIPS_TLS_PROTOS, tls_enabled, tls_switch
from voxaudit.records.transport import SignallingPath, TlsSupport
from voxaudit.remediation import Change, note

SOURCES = ("kamailio.cfg",)
ENCRYPTED = {"tls", "wss"}

LISTENER_REMEDIATION = {
    "kamailio": "Define WITH_TLS, listen=tls:<address>:5061 only (keep udp/tcp on 127.0.0.1 or the "
                "internal media network if an internal hop needs it), and load tls.so with a tls.cfg.",
    "opensips": "socket=tls:<address>:5061 only (udp/tcp sockets on 127.0.0.1 if an internal hop needs "
                "them), with loadmodule \"proto_tls.so\" and \"tls_mgm.so\".",
}
ENABLE_REMEDIATION = {
    "kamailio": "Add #!define WITH_TLS at the top of kamailio.cfg (enable_tls=yes, loadmodule "
                "\"tls.so\", modparam(\"tls\", \"config\", \"/etc/kamailio/tls.cfg\")).",
    "opensips": "loadmodule \"tls_mgm.so\" and \"proto_tls.so\", with modparam(\"tls_mgm\", "
                "\"certificate\", ...) and \"private_key\" for the server domain.",
}


# OpenSIPS socket protocols that carry no SIP: HEP tracing, BIN clustering, SMPP, MSRP sessions.
NOT_SIP = {"hep_udp", "hep_tcp", "hep_tls", "bin", "bins", "smpp", "msrp", "msrps"}


def listeners(facts: KamailioFacts) -> Iterator[SignallingPath]:
    every = facts.of_kind("kamailio.listen")
    listens = [lst for lst in every if (lst.get("proto") or "udp") not in NOT_SIP]
    if every and not listens:
        return  # sockets, none of them SIP
    if listens and not isinstance(facts, OpenSipsFacts) and not tls_enabled(facts):
        # main.c turns TLS off without enable_tls and tls.so, and socket_info.c then never opens the
        # tls_listen sockets: no listener, so nothing to credit (ENC-SIG-102 says TLS is off; with only
        # tls listens Kamailio stops: "no listening sockets")
        listens = [lst for lst in listens if (lst.get("proto") or "udp") != "tls"]
        if not listens:
            return
    if not listens:
        yield SignallingPath(subject=facts.cfg_name, plaintext=True, address="<address>",
                             setting="no listen=/socket= lines: the proxy binds plaintext 5060 on all interfaces")
        return
    for lst in listens:
        proto, addr = lst.get("proto") or "udp", lst.get("address") or ""
        where = f"on {addr}" if addr else "on an address the configuration leaves empty (filled in at deployment)"
        yield SignallingPath(subject=f"listen {lst.name}", source=lst.source, plaintext=proto not in ENCRYPTED,
                             loopback=is_loopback(addr), address=addr, setting=f"{proto} listener {where}")


def tls_support(facts: KamailioFacts) -> Iterator[TlsSupport]:
    on = tls_enabled(facts)
    if isinstance(facts, OpenSipsFacts):
        loaded = sorted({m.name for m in facts.of_kind("kamailio.module")} & OPENSIPS_TLS_PROTOS)
        yield TlsSupport(subject=facts.cfg_name, enabled=on,
                         setting=f"{' and '.join(loaded)} loaded" if on else "neither proto_tls nor proto_wss loaded")
        return
    g = tls_switch(facts)
    yield TlsSupport(subject=facts.cfg_name, source=g.source if g is not None and on else None, enabled=on,
                     setting=f"{g.name}={g.get('value')} and tls.so loaded" if on and g is not None
                     else "enable_tls/tls.so missing")


def listener_fix(rec: SignallingPath) -> list[str]:
    return [f"listen=tls:{rec.address}:5061"]


def kamailio_enable_fix(rec: TlsSupport) -> list[str]:
    return ["#!define WITH_TLS"]


def opensips_enable_fix(rec: TlsSupport) -> list[str]:
    return ["loadmodule \"proto_tls.so\""]


def listener_change(rec: SignallingPath, params: object, facts: KamailioFacts) -> list[Change]:
    """Which plaintext listener to drop (or keep on loopback for an internal hop) is a person's choice."""
    return [note(facts.cfg_name, "", f"{rec.subject}: plaintext SIP; replace it with a TLS listener "
                                     "(listen=tls:<address>:5061) or bind it to 127.0.0.1 if an internal hop needs it")]


BINDINGS = tuple(
    b for platform, enable_fix in (("kamailio", kamailio_enable_fix), ("opensips", opensips_enable_fix)) for b in (
        Binding("ENC-SIG-101", platform, listeners, SOURCES, "KAM-TLS-101", LISTENER_REMEDIATION, listener_fix,
                "no listeners", change=listener_change),
        Binding("ENC-SIG-102", platform, tls_support, SOURCES, "KAM-TLS-102", ENABLE_REMEDIATION, enable_fix,
                "no SIP front end configuration"),
    )
)
