"""TLS endpoints as scanned: SIP-TLS on 5061, admin UIs, WSS. Protocol versions, weak suites,
the certificate's validity and strength."""
from __future__ import annotations

from auditor.check import Param, check
from checks.common import TLS_PARAM

PLATFORMS = ["sip", "tls"]
SOURCES = ["tls"]
ORDER = {"SSL 2.0": 0.2, "SSL 3.0": 0.3, "TLS 1.0": 1.0, "TLS 1.1": 1.1, "TLS 1.2": 1.2, "TLS 1.3": 1.3}
WARN_DAYS = Param(name="cert_warning_days", default=30, help="Flag certificates that expire within this many days")
MIN_RSA = 2048
MIN_EC = 256
E1 = ["164.312(e)(1)", "164.312(e)(2)(ii)"]


def _scans(facts):
    return [s for s in facts.tls if s.completed]


@check(
    id="TLS-NET-101", title="Endpoints refuse TLS versions below the profile minimum", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=SOURCES, params=[TLS_PARAM],
    rationale="TLS 1.0 and 1.1 are deprecated (RFC 8996); accepting them allows downgrade to weak cryptography.",
    remediation={
        "sip": "Set the minimum protocol to TLS 1.2 on the SIP-TLS listener.",
        "tls": "Set the minimum protocol to TLS 1.2 on the web/admin server.",
        "asterisk": "pjsip.conf transport: method=tlsv1_2 (http.conf: tlsdisablev1=yes, tlsdisablev11=yes).",
        "kamailio": "tls.cfg: method = TLSv1.2+ in every profile.",
        "freeswitch": "sofia profile: tls-version=tlsv1.2,tlsv1.3.",
    },
)
def min_version(facts, ctx):
    floor = float(ctx.param("min_tls_version"))
    for s in _scans(facts):
        old = [v for v in s.accepted_versions if ORDER.get(v, 0) + 1e-9 < floor]
        name = f"tls {s.endpoint}"
        if old:
            yield ctx.fail(name, f"accepts {', '.join(old)} (all: {', '.join(s.accepted_versions)})",
                           fix=[f"minimum TLS version -> {ctx.param('min_tls_version')}"])
        else:
            yield ctx.passed(name, f"accepts only {', '.join(s.accepted_versions)}")


@check(
    id="TLS-NET-102", title="No weak cipher suites (NULL, export, RC4, DES/3DES, anonymous)", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="Weak suites can be broken or offer no authentication at all; a downgrade makes them the ones used.",
    remediation={
        "sip": "Restrict cipher suites to AEAD suites (ECDHE with AES-GCM or ChaCha20).",
        "tls": "Restrict cipher suites to AEAD suites (ECDHE with AES-GCM or ChaCha20).",
        "asterisk": "pjsip transport: cipher=ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256 (no @SECLEVEL=0).",
        "kamailio": "tls.cfg: cipher_list = ECDHE+AESGCM:ECDHE+CHACHA20 (never @SECLEVEL=0).",
        "freeswitch": "sofia profile: tls-ciphers=ECDHE+AESGCM:ECDHE+CHACHA20.",
    },
)
def weak_ciphers(facts, ctx):
    for s in _scans(facts):
        name = f"tls {s.endpoint}"
        if s.weak_ciphers:
            yield ctx.fail(name, f"weak suites accepted: {', '.join(s.weak_ciphers[:6])}",
                           fix=["remove NULL/EXPORT/RC4/DES/3DES/anonymous suites"])
        else:
            yield ctx.passed(name, "no NULL, anonymous, EXPORT, RC4, DES, 3DES or MD5 suite accepted "
                                   f"({', '.join(v for v in s.accepted_versions if v != 'TLS 1.3') or 'TLS 1.3 only'})")


@check(
    id="TLS-NET-103", title="The certificate is trusted, current and names the service", severity="high",
    hipaa=E1 + ["164.312(d)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Phones that accept an untrusted, expired or mismatched certificate accept anyone's; phones
    that reject it fall back to plaintext or stop working.""",
    remediation={
        "sip": "Install a certificate for the SIP domain from a CA the phones trust (public or the clinic's own CA).",
        "tls": "Install a certificate for the admin UI's name from a trusted CA.",
        "asterisk": "pjsip transport: cert_file/priv_key_file with a CA-issued certificate for the PBX name.",
        "kamailio": "tls.cfg: certificate/private_key issued for the SIP domain; ca_list for clients.",
        "freeswitch": "Replace $${certs_dir}/wss.pem and agent.pem with CA-issued certificates.",
    },
)
def certificate_valid(facts, ctx):
    for s in _scans(facts):
        c, name = s.certificate, f"tls {s.endpoint}"
        if c is None:
            yield ctx.unknown(name, "not evaluated: no certificate was read")
            continue
        problems = []
        if c.days_left < 0:
            problems.append(f"expired {-c.days_left} days ago ({c.not_after[:10]})")
        if not c.trusted:
            problems.append("self-signed" if c.self_signed else f"not trusted (issuer {c.issuer})")
        if c.hostname_match is False:
            problems.append(f"does not match {s.server_name}")
        if problems:
            yield ctx.fail(name, f"{c.subject}: " + "; ".join(problems), fix=["install a CA-issued certificate"])
        else:
            yield ctx.passed(name, f"{c.subject}, trusted, valid until {c.not_after[:10]}"
                                   + (f", matches {s.server_name}" if c.hostname_match else ""))


@check(
    id="TLS-NET-104", title="The certificate's key is strong and not about to expire", severity="medium",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=SOURCES, params=[WARN_DAYS],
    rationale="RSA below 2048 bits or EC below 256 bits is breakable; a certificate days from expiry becomes an outage.",
    remediation={
        "sip": "Reissue with RSA 3072 or ECDSA P-256, and automate renewal.",
        "tls": "Reissue with RSA 3072 or ECDSA P-256, and automate renewal.",
        "asterisk": "Reissue the pjsip transport certificate (RSA 3072 / P-256) and automate renewal.",
        "kamailio": "Reissue the tls.cfg certificate (RSA 3072 / P-256) and automate renewal.",
        "freeswitch": "Reissue wss.pem/agent.pem (RSA 3072 / P-256) and automate renewal.",
    },
)
def certificate_strength(facts, ctx):
    warn = int(ctx.param("cert_warning_days"))
    for s in _scans(facts):
        c, name = s.certificate, f"tls {s.endpoint}"
        if c is None:
            yield ctx.unknown(name, "not evaluated: no certificate was read")
            continue
        problems = []
        if (c.key_type in {"RSA", "DSA"} and c.key_bits < MIN_RSA) or (c.key_type == "EC" and c.key_bits < MIN_EC):
            problems.append(f"{c.key_type} {c.key_bits}-bit key")
        if c.days_left < 0:
            problems.append(f"expired {-c.days_left} days ago ({c.not_after[:10]})")
        elif c.days_left < warn:
            problems.append(f"expires in {c.days_left} days")
        if problems:
            yield ctx.fail(name, "; ".join(problems), fix=["reissue the certificate"])
        elif c.key_type not in {"RSA", "DSA", "EC", "Ed25519"} or c.key_bits <= 0:
            yield ctx.unknown(name, f"not evaluated: key type {c.key_type or '?'} not recognised "
                                           f"({c.days_left} days left)")
        else:
            yield ctx.passed(name, f"{c.key_type} {c.key_bits}-bit, {c.days_left} days left")
