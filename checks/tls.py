"""TLS policy: the protocol floor, cipher suites, peer verification and certificates, whether read in
configuration or seen on the wire.

Evidence quotes the record's setting as the platform writes it; the controls know no option name.
"""
from __future__ import annotations

from voxaudit.check import Param
from voxaudit.checks.params import TLS_PARAM
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.tls import (
    CipherSuites,
    PeerVerification,
    PresentedCertificate,
    ProtocolVersions,
    ServerCredentials,
    version_name,
)

E1 = ("164.312(e)(1)", "164.312(e)(2)(ii)")
E1_AUTH = (*E1, "164.312(d)")
WARN_DAYS = Param(name="cert_warning_days", default=30, help="Flag certificates that expire within this many days")
MIN_RSA = 2048
MIN_EC = 256
KNOWN_KEYS = {"RSA", "DSA", "EC", "Ed25519"}


@control(
    id="ENC-TLS-101", title="TLS refuses protocol versions below the profile minimum", severity="high", hipaa=E1,
    area="transport", record=ProtocolVersions, params=[TLS_PARAM],
    rationale="""TLS 1.0 and 1.1 are deprecated (RFC 8996), and SSL is broken; a listener that still
    admits them lets an attacker in the path downgrade signalling, and the SRTP keys it carries, to
    weak cryptography. Several SIP stacks admit TLS 1.0 unless told otherwise.""",
)
def protocol_floor(tls: ProtocolVersions, params: Params) -> Verdict:
    if tls.undecidable:
        return unknown(tls.undecidable)
    floor = float(params.str("min_tls_version"))
    low = [version_name(v) for v in tls.versions if v + 1e-9 < floor]
    if tls.observed:
        seen = ", ".join(version_name(v) for v in tls.versions)
        return failed(f"accepts {', '.join(low)} (all: {seen})") if low else passed(f"accepts only {seen}")
    return failed(f"{tls.setting} admits {', '.join(low)}") if low else passed(tls.setting)


@control(
    id="ENC-TLS-102", title="TLS admits no weak cipher suites (NULL, export, RC4, DES/3DES, anonymous)",
    severity="high", hipaa=E1, area="transport", record=CipherSuites,
    rationale="""RC4, DES/3DES, NULL, export and anonymous suites can be broken or offer no
    authentication at all; a listener that admits them lets a downgrade make them the ones used.""",
)
def no_weak_ciphers(tls: CipherSuites, params: Params) -> Verdict:
    if tls.observed:
        if tls.weak:
            return failed(f"weak suites accepted: {', '.join(tls.weak[:6])}")
        return passed(f"no NULL, anonymous, EXPORT, RC4, DES, 3DES or MD5 suite accepted ({tls.setting})")
    if tls.weak:
        return failed(f"{tls.setting} admits weak suites ({', '.join(tls.weak)})")
    return passed(f"{tls.setting} has no broken suites")


@control(
    id="ENC-TLS-103", title="TLS peers' certificates are verified", severity="medium", hipaa=E1_AUTH,
    area="transport", record=PeerVerification,
    rationale="""A TLS connection that accepts any certificate from the carrier, PBX or proxy it talks
    to authenticates no one: a man in the middle presents his own and reads the call setup and the
    SRTP keys it carries.""",
)
def peer_verified(tls: PeerVerification, params: Params) -> Verdict:
    if tls.undecidable:
        return unknown(tls.undecidable)
    return passed(tls.setting) if tls.verifies else failed(f"{tls.setting}: any certificate is accepted from peers")


@control(
    id="ENC-TLS-104", title="TLS listeners have a certificate and private key", severity="medium", hipaa=E1_AUTH,
    area="transport", record=ServerCredentials,
    rationale="""A TLS listener with no certificate and private key of its own cannot prove who it
    is to the phones and peers that connect to it, so they cannot tell it from an impostor.""",
)
def server_credentials(tls: ServerCredentials, params: Params) -> Verdict:
    if tls.missing:
        return failed(f"TLS listener without {', '.join(tls.missing)}")
    return passed("certificate and private key configured")


def _unread(cert: PresentedCertificate) -> Verdict:
    return unknown("not evaluated: no certificate was read")


@control(
    id="ENC-TLS-105", title="The certificate presented is trusted, current and names the service", severity="high",
    hipaa=E1_AUTH, area="transport", record=PresentedCertificate,
    rationale="""Phones that accept an untrusted, expired or mismatched certificate accept anyone's;
    phones that reject it fall back to plaintext or stop working.""",
)
def certificate_valid(seen: PresentedCertificate, params: Params) -> Verdict:
    c = seen.certificate
    if c is None:
        return _unread(seen)
    problems = []
    if c.days_left < 0:
        problems.append(f"expired {-c.days_left} days ago ({c.not_after[:10]})")
    if not c.trusted:
        problems.append("self-signed" if c.self_signed else f"not trusted (issuer {c.issuer})")
    if c.hostname_match is False:
        problems.append(f"does not match {seen.server_name}")
    if problems:
        return failed(f"{c.holder}: " + "; ".join(problems))
    return passed(f"{c.holder}, trusted, valid until {c.not_after[:10]}"
                  + (f", matches {seen.server_name}" if c.hostname_match else ""))


@control(
    id="ENC-TLS-106", title="The certificate's key is strong", severity="medium", hipaa=E1, area="transport",
    record=PresentedCertificate,
    rationale="RSA or DSA below 2048 bits, or EC below 256 bits, can be factored or solved: the certificate proves nothing.",
)
def certificate_key(seen: PresentedCertificate, params: Params) -> Verdict:
    c = seen.certificate
    if c is None:
        return _unread(seen)
    if (c.key_type in {"RSA", "DSA"} and c.key_bits < MIN_RSA) or (c.key_type == "EC" and c.key_bits < MIN_EC):
        return failed(f"{c.key_type} {c.key_bits}-bit key")
    if c.key_type not in KNOWN_KEYS or c.key_bits <= 0:
        return unknown(f"not evaluated: key type {c.key_type or '?'} not recognised")
    return passed(f"{c.key_type} {c.key_bits}-bit key")


@control(
    id="ENC-TLS-107", title="The certificate is not expired or about to expire", severity="medium", hipaa=E1,
    area="transport", record=PresentedCertificate, params=[WARN_DAYS],
    rationale="""A certificate days from expiry becomes an outage, and the usual workaround (phones
    told to accept any certificate, or plaintext) outlives it.""",
)
def certificate_expiry(seen: PresentedCertificate, params: Params) -> Verdict:
    c = seen.certificate
    if c is None:
        return _unread(seen)
    warn = params.int("cert_warning_days")
    if c.days_left < 0:
        return failed(f"expired {-c.days_left} days ago ({c.not_after[:10]})")
    if c.days_left < warn:
        return failed(f"expires in {c.days_left} days")
    return passed(f"{c.days_left} days left, valid until {c.not_after[:10]}")
