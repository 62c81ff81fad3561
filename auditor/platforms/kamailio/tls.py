"""Kamailio tls.cfg profiles and OpenSIPS tls_mgm domains as TLS policy records.

Both read as ``tls.profile`` objects ([server:default], [client:carrier] ...). ``method`` names
the lowest version a profile admits ("TLSv1.2+"); unset it is SSLv23, which admits TLS 1.0.
``verify_certificate`` is off unless set. TLS counts only when it is on: Kamailio needs
``enable_tls=yes`` and tls.so, OpenSIPS the proto_tls module.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.kamailio import KamailioFacts
from voxaudit.platforms.kamailio.common import TRUE, tls_enabled
from voxaudit.records.tls import PeerVerification, ProtocolVersions

SOURCES = ("kamailio.cfg", "tls.cfg")
TLS_METHODS = {"sslv2": 0.2, "sslv3": 0.3, "sslv23": 1.0, "tlsv1": 1.0, "tlsv1.1": 1.1, "tlsv1.2": 1.2, "tlsv1.3": 1.3}

VERSION_REMEDIATION = {
    "kamailio": "In tls.cfg set method = TLSv1.2+ in [server:default] and [client:default].",
    "opensips": "modparam(\"tls_mgm\", \"tls_method\", \"[<domain>]TLSv1_2-TLSv1_3\") for every domain.",
}
VERIFY_REMEDIATION = {
    "kamailio": "In tls.cfg [client:default]: verify_certificate = yes, ca_list = /etc/ssl/certs/ca-certificates.crt.",
    "opensips": "modparam(\"tls_mgm\", \"verify_cert\", \"[<client domain>]1\") and \"ca_list\" for the "
                "client domain.",
}


def _profiles(facts: KamailioFacts) -> list[ConfigObject]:
    return facts.of_kind("tls.profile") if tls_enabled(facts) else []


def protocol_versions(facts: KamailioFacts) -> Iterator[ProtocolVersions]:
    for p in _profiles(facts):
        method = p.get("method")
        version = TLS_METHODS.get((method or "SSLv23").lower().rstrip("+"), 1.0)
        yield ProtocolVersions(subject=f"tls [{p.name}]", source=p.location("method"), section=f"[{p.name}]",
                               versions=(version,), setting=f"method = {method or 'unset (SSLv23)'}")


def peer_verification(facts: KamailioFacts) -> Iterator[PeerVerification]:
    for p in _profiles(facts):
        if not p.name.lower().startswith("client"):
            continue
        on = (p.get("verify_certificate") or "no").lower() in TRUE
        yield PeerVerification(subject=f"tls [{p.name}]", source=p.location("verify_certificate"), section=f"[{p.name}]",
                               verifies=on, setting="verify_certificate = yes" if on else "verify_certificate is off")


def version_fix(rec: ProtocolVersions) -> list[str]:
    return [rec.section, "method = TLSv1.2+"]


def verify_fix(rec: PeerVerification) -> list[str]:
    return [rec.section, "verify_certificate = yes"]


BINDINGS = tuple(
    b for platform in ("kamailio", "opensips") for b in (
        Binding("ENC-TLS-101", platform, protocol_versions, SOURCES, "KAM-TLS-103", VERSION_REMEDIATION, version_fix,
                "TLS not enabled or no tls.cfg"),
        Binding("ENC-TLS-103", platform, peer_verification, SOURCES, "KAM-TLS-104", VERIFY_REMEDIATION, verify_fix,
                "no TLS client profile"),
    )
)
