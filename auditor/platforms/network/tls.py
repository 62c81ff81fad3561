"""TLS endpoints as a scan saw them (SIP-TLS on 5061, admin UIs, WSS): the versions and weak suites
they accepted and the certificate they presented. Only completed scans give records; an
incomplete one is the engine's ERROR for that endpoint."""
from __future__ import annotations

from typing import Iterator, Union

from voxaudit.control import Binding, Params
from voxaudit.facts.network import SipFacts, TlsEndpointFacts, TlsScan
from voxaudit.records.tls import (
    MOZILLA_CIPHERS,
    AcceptedSuites,
    CertificateInfo,
    CipherSuites,
    PresentedCertificate,
    ProtocolVersions,
)

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
SUITE_REMEDIATION = {
    "sip": "Accept only the Mozilla intermediate suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 "
           "below TLS 1.3 (no CBC, no static RSA).",
    "tls": "Accept only the Mozilla intermediate suites (ssl-config.mozilla.org, intermediate): ECDHE with "
           "AES-GCM or ChaCha20-Poly1305 below TLS 1.3.",
    "asterisk": f"pjsip.conf transport: cipher={MOZILLA_CIPHERS.replace(':', ',')}",
    "kamailio": f"tls.cfg, every profile: cipher_list = {MOZILLA_CIPHERS}",
    "opensips": f"modparam(\"tls_mgm\", \"ciphers_list\", \"[<domain>]{MOZILLA_CIPHERS}\")",
    "freeswitch": f"sofia profile: <param name=\"tls-ciphers\" value=\"{MOZILLA_CIPHERS}\"/>",
}
LIFETIME_REMEDIATION = {
    "sip": "Reissue the SIP-TLS certificate valid at most 398 days (90 with ACME) and automate its renewal.",
    "tls": "Reissue the certificate valid at most 398 days (90 with ACME) and automate its renewal.",
    "kamailio": "Reissue the tls.cfg certificate valid at most 398 days and automate its renewal.",
    "asterisk": "Reissue the pjsip transport certificate valid at most 398 days and automate its renewal.",
    "freeswitch": "Reissue wss.pem/agent.pem valid at most 398 days and automate its renewal.",
}
SAN_REMEDIATION = {
    "sip": "Reissue the certificate with a subjectAltName naming the SIP domain (and the address phones use).",
    "tls": "Reissue the certificate with a subjectAltName naming the host clients connect to.",
    "kamailio": "Reissue the tls.cfg certificate with subjectAltName DNS:<SIP domain>.",
    "asterisk": "Reissue the pjsip transport certificate with subjectAltName DNS:<PBX name>.",
    "freeswitch": "Reissue wss.pem/agent.pem with subjectAltName DNS:<PBX name>.",
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


def accepted_suites(facts: Scanned) -> Iterator[AcceptedSuites]:
    """Every suite each accepted version accepted; a scan that did not list them (saved by an older
    voxaudit, or the listing ran out of time) is undecidable, never "nothing weak"."""
    for s in _scans(facts):
        subject = f"tls {s.endpoint}"
        if not s.suites_listed:
            yield AcceptedSuites(subject=subject, observed=True, undecidable="not evaluated: " + (
                s.suites_error or "this scan did not list the accepted cipher suites (rescan with this version)"))
            continue
        suites = tuple((v, n) for v in ORDER if v in s.suites for n in s.suites[v])
        yield AcceptedSuites(subject=subject, observed=True, suites=suites,
                             setting="listed per version: " + ", ".join(v for v in ORDER if v in s.suites))


def presented_certificates(facts: Scanned) -> Iterator[PresentedCertificate]:
    for s in _scans(facts):
        c = s.certificate
        info = None if c is None else CertificateInfo(
            holder=c.subject, issuer=c.issuer, not_after=c.not_after, days_left=c.days_left, key_type=c.key_type,
            key_bits=c.key_bits, self_signed=c.self_signed, trusted=c.trusted, hostname_match=c.hostname_match,
            lifetime_days=c.lifetime_days, san_names=None if c.san_names is None else tuple(c.san_names))
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


def suites_fix(rec: AcceptedSuites) -> list[str]:
    return ["cipher suites -> " + MOZILLA_CIPHERS]


def lifetime_fix(rec: PresentedCertificate, params: Params) -> list[str]:
    return [f"reissue the certificate valid at most {params.int('max_cert_lifetime_days')} days (90 with ACME)"]


def san_fix(rec: PresentedCertificate) -> list[str]:
    return [f"reissue the certificate with subjectAltName DNS:{rec.server_name or '<service name>'}"]


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
        Binding("ENC-TLS-108", platform, accepted_suites, SOURCES, remediation=SUITE_REMEDIATION, fix=suites_fix,
                none=NONE),
        Binding("ENC-TLS-109", platform, accepted_suites, SOURCES, remediation=SUITE_REMEDIATION, fix=suites_fix,
                none=NONE),
        Binding("ENC-TLS-110", platform, presented_certificates, SOURCES, remediation=LIFETIME_REMEDIATION,
                fix=lifetime_fix, none=NONE),
        Binding("ENC-TLS-111", platform, presented_certificates, SOURCES, remediation=SAN_REMEDIATION, fix=san_fix,
                none=NONE),
    )
)
