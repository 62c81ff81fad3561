"""TLS policy: the protocol floor, cipher suites, peer verification and certificates, whether read in
configuration or seen on the wire.

Evidence quotes the record's setting as the platform writes it; the controls know no option name.
"""
from __future__ import annotations

from collections.abc import Callable

from voxaudit.check import Param
from voxaudit.checks.params import TLS_PARAM
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.tls import (
    MOZILLA_PROFILE,
    AcceptedSuites,
    CipherSuites,
    PeerVerification,
    PresentedCertificate,
    ProtocolVersions,
    ServerCredentials,
    forward_secret,
    in_mozilla_intermediate,
    suite_traits,
    version_name,
)

E1 = ("164.312(e)(1)", "164.312(e)(2)(ii)")
E1_AUTH = (*E1, "164.312(d)")
WARN_DAYS = Param(name="cert_warning_days", default=30, help="Flag certificates that expire within this many days")
MAX_LIFETIME = Param(name="max_cert_lifetime_days", default=398,
                     help="Longest acceptable certificate lifetime in days (CA/Browser Forum: 398)")
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
    try:
        floor = float(params.str("min_tls_version"))
    except ValueError:
        floor = float("nan")
    if not 1.0 <= floor <= 1.3:  # NaN too: compared with NaN no version would be below the floor (a PASS)
        return unknown("the profile's min_tls_version is not a TLS version (1.0 to 1.3)")
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


def _verb(tls: AcceptedSuites) -> str:
    return "accepts" if tls.observed or not tls.setting else f"{tls.setting} admits"


def _listed(suites: AcceptedSuites, bad: list[tuple[str, str]]) -> str:
    shown = [f"{v + ' ' if v else ''}{n} ({suite_traits(n)})" for v, n in bad[:6]]
    more = f" and {len(bad) - 6} more" if len(bad) > 6 else ""
    return "; ".join(shown) + more


@control(
    id="ENC-TLS-108", title="TLS accepts only the Mozilla intermediate profile's cipher suites", severity="medium",
    hipaa=E1, area="transport", record=AcceptedSuites,
    references=("https://ssl-config.mozilla.org/guidelines/5.7.json",),
    rationale="""The Mozilla intermediate profile (the one sslyze and testssl.sh check against) keeps,
    below TLS 1.3, only ephemeral (EC)DHE key exchange with AES-GCM or ChaCha20-Poly1305. CBC suites
    carry the padding-oracle attacks (Lucky13, POODLE-TLS) and static-RSA suites the Bleichenbacher
    family (ROBOT); a listener that still accepts them lets an attacker in the path pick them.""",
)
def mozilla_suites(tls: AcceptedSuites, params: Params) -> Verdict:
    return _every_suite(tls, in_mozilla_intermediate, f"outside {MOZILLA_PROFILE}", f"in {MOZILLA_PROFILE}")


@control(
    id="ENC-TLS-109", title="Every TLS cipher suite has forward secrecy (no static RSA key exchange)", severity="high",
    hipaa=E1, area="transport", record=AcceptedSuites,
    rationale="""With static RSA key exchange every session key is sent encrypted under the server's
    long-term key: whoever records SIP-TLS today and obtains that key later (a backup, a retired
    PBX, a breach) decrypts every recorded call setup, and the SRTP keys it carried. Ephemeral
    (EC)DHE key exchange leaves nothing to decrypt.""",
)
def forward_secrecy(tls: AcceptedSuites, params: Params) -> Verdict:
    return _every_suite(tls, forward_secret, "without forward secrecy", "use ephemeral key exchange")


def _every_suite(tls: AcceptedSuites, good: Callable[[str], bool], bad_text: str, good_text: str) -> Verdict:
    """Every listed suite meets ``good``; unknown when nothing was listed (never PASS on no evidence)."""
    if tls.undecidable:
        return unknown(tls.undecidable)
    if not tls.suites:
        return unknown(f"not evaluated: no cipher suite listed ({tls.setting})")
    bad = [(v, n) for v, n in tls.suites if not good(n)]
    if bad:
        return failed(f"{_verb(tls)} {len(bad)} suite(s) {bad_text}: {_listed(tls, bad)}")
    return passed(f"all {len(tls.suites)} suite(s) {good_text} ({tls.setting})")


@control(
    id="ENC-TLS-110", title="The certificate's lifetime is at most 398 days", severity="low", hipaa=E1,
    area="transport", record=PresentedCertificate, params=[MAX_LIFETIME],
    references=("https://cabforum.org/working-groups/server/baseline-requirements/",),
    rationale="""Publicly trusted CAs have not issued certificates valid over 398 days since
    September 2020, and clients (Apple, Chrome) reject longer ones; a long-lived certificate is one
    whose key stays exposed for years and whose renewal nobody remembers how to do.""",
)
def certificate_lifetime(seen: PresentedCertificate, params: Params) -> Verdict:
    c = seen.certificate
    if c is None:
        return _unread(seen)
    if c.lifetime_days is None:
        return unknown("not evaluated: the scan did not record the certificate's validity period")
    limit = params.int("max_cert_lifetime_days")
    if c.lifetime_days > limit:
        return failed(f"{c.holder}: valid {c.lifetime_days} days, over {limit}")
    return passed(f"valid {c.lifetime_days} days (at most {limit})")


@control(
    id="ENC-TLS-111", title="The certificate names its service in subjectAltName", severity="medium",
    hipaa=E1_AUTH, area="transport", record=PresentedCertificate,
    rationale="""Clients match the service name against subjectAltName only (RFC 6125, RFC 5922 for
    SIP; Chrome and Apple ignore the subject's common name): a certificate with no SAN fails
    verification in every current client, which pushes phones and trunks to "verify off".""",
)
def certificate_san(seen: PresentedCertificate, params: Params) -> Verdict:
    c = seen.certificate
    if c is None:
        return _unread(seen)
    if c.san_names is None:
        return unknown("not evaluated: the scan did not record the certificate's subjectAltName")
    if not c.san_names:
        return failed(f"{c.holder}: no subjectAltName DNS name, address or URI; clients that verify names reject it")
    return passed("subjectAltName " + ", ".join(c.san_names[:4]) + (" ..." if len(c.san_names) > 4 else ""))
