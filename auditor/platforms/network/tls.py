"""TLS endpoints as a scan saw them (SIP-TLS on 5061, admin UIs, WSS): the versions and weak suites
they accepted and the certificate they presented. Only completed scans give records; an
incomplete one is the engine's ERROR for that endpoint."""
from __future__ import annotations

from typing import Iterator, Union

from voxaudit.control import Binding, Params
from voxaudit.facts.network import SipFacts, TlsEndpointFacts, TlsScan
from voxaudit.records.tls import CertificateInfo, CipherSuites, PresentedCertificate, ProtocolVersions

Scanned = Union[SipFacts, TlsEndpointFacts]
PLATFORMS = ("sip", "tls")
SOURCES = ("tls",)
NONE = "no TLS endpoint scanned"
ORDER = {"SSL 2.0": 0.2, "SSL 3.0": 0.3, "TLS 1.0": 1.0, "TLS 1.1": 1.1, "TLS 1.2": 1.2, "TLS 1.3": 1.3}

VERSION_REMEDIATION = {
    "sip": "Set the minimum protocol to TLS 1.2 on the SIP-TLS listener.",
    "tls": "Set the minimum protocol to TLS 1.2 on the web/admin server.",
    "asterisk": "pjsip.conf transport: method=tlsv1_2 (http.conf: tlsdisablev1=yes, tlsdisablev11=yes).",
    "kamailio": "tls.cfg: method = TLSv1.2+ in every profile.",
    "freeswitch": "sofia profile: tls-version=tlsv1.2,tlsv1.3.",
}
CIPHER_REMEDIATION = {
    "sip": "Restrict cipher suites to AEAD suites (ECDHE with AES-GCM or ChaCha20).",
    "tls": "Restrict cipher suites to AEAD suites (ECDHE with AES-GCM or ChaCha20).",
    "asterisk": "pjsip transport: cipher=ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256 (no @SECLEVEL=0).",
    "kamailio": "tls.cfg: cipher_list = ECDHE+AESGCM:ECDHE+CHACHA20 (never @SECLEVEL=0).",
    "freeswitch": "sofia profile: tls-ciphers=ECDHE+AESGCM:ECDHE+CHACHA20.",
}
CERT_REMEDIATION = {
    "sip": "Install a certificate for the SIP domain from a CA the phones trust (public or the clinic's own CA).",
    "tls": "Install a certificate for the admin UI's name from a trusted CA.",
    "asterisk": "pjsip transport: cert_file/priv_key_file with a CA-issued certificate for the PBX name.",
    "kamailio": "tls.cfg: certificate/private_key issued for the SIP domain; ca_list for clients.",
    "freeswitch": "Replace $${certs_dir}/wss.pem and agent.pem with CA-issued certificates.",
}
STRENGTH_REMEDIATION = {
    "sip": "Reissue with RSA 3072 or ECDSA P-256, and automate renewal.",
    "tls": "Reissue with RSA 3072 or ECDSA P-256, and automate renewal.",
    "asterisk": "Reissue the pjsip transport certificate (RSA 3072 / P-256) and automate renewal.",
    "kamailio": "Reissue the tls.cfg certificate (RSA 3072 / P-256) and automate renewal.",
    "freeswitch": "Reissue wss.pem/agent.pem (RSA 3072 / P-256) and automate renewal.",
}


def _scans(facts: Scanned) -> list[TlsScan]:
    return [s for s in facts.tls if s.completed]


def protocol_versions(facts: Scanned) -> Iterator[ProtocolVersions]:
    for s in _scans(facts):
        yield ProtocolVersions(subject=f"tls {s.endpoint}", observed=True,
                               versions=tuple(ORDER.get(v, 0.0) for v in s.accepted_versions))


def cipher_suites(facts: Scanned) -> Iterator[CipherSuites]:
    for s in _scans(facts):
        covered = ", ".join(v for v in s.accepted_versions if v != "TLS 1.3") or "TLS 1.3 only"
        yield CipherSuites(subject=f"tls {s.endpoint}", observed=True, weak=tuple(s.weak_ciphers), setting=covered)


def presented_certificates(facts: Scanned) -> Iterator[PresentedCertificate]:
    for s in _scans(facts):
        c = s.certificate
        info = None if c is None else CertificateInfo(
            holder=c.subject, issuer=c.issuer, not_after=c.not_after, days_left=c.days_left, key_type=c.key_type,
            key_bits=c.key_bits, self_signed=c.self_signed, trusted=c.trusted, hostname_match=c.hostname_match)
        yield PresentedCertificate(subject=f"tls {s.endpoint}", observed=True, certificate=info,
                                   server_name=s.server_name)


def version_fix(rec: ProtocolVersions, params: Params) -> list[str]:
    return [f"minimum TLS version -> TLS {params.str('min_tls_version')}"]


def cipher_fix(rec: CipherSuites) -> list[str]:
    return ["remove NULL/EXPORT/RC4/DES/3DES/anonymous suites"]


def certificate_fix(rec: PresentedCertificate) -> list[str]:
    return ["install a CA-issued certificate"]


def reissue_fix(rec: PresentedCertificate) -> list[str]:
    return ["reissue the certificate"]


BINDINGS = tuple(
    b for platform in PLATFORMS for b in (
        Binding("ENC-TLS-101", platform, protocol_versions, SOURCES, "TLS-NET-101", VERSION_REMEDIATION, version_fix,
                NONE),
        Binding("ENC-TLS-102", platform, cipher_suites, SOURCES, "TLS-NET-102", CIPHER_REMEDIATION, cipher_fix, NONE),
        Binding("ENC-TLS-105", platform, presented_certificates, SOURCES, "TLS-NET-103", CERT_REMEDIATION,
                certificate_fix, NONE),
        Binding("ENC-TLS-106", platform, presented_certificates, SOURCES, "TLS-NET-104", STRENGTH_REMEDIATION,
                reissue_fix, NONE),
        Binding("ENC-TLS-107", platform, presented_certificates, SOURCES, "TLS-NET-104", STRENGTH_REMEDIATION,
                reissue_fix, NONE),
    )
)
