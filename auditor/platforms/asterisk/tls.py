"""chan_pjsip TLS transports (pjsip.conf ``type=transport``, ``protocol=tls``) as TLS policy records.

PJSIP's ``method`` names the lowest version a transport admits; unset, PJSIP's default admits
TLS 1.0. ``verify_server`` is off by default. ``cipher`` (res_pjsip config_transport.c) is a
comma-separated list of single suites, by OpenSSL name (compared case-sensitively) or number
(``0xC02B``, ``49195``); several ``cipher=`` lines add up; a name PJSIP does not know makes the
transport fail to load ("Cipher '...' is unsupported"). Unset, PJSIP hands OpenSSL its own default
list, ``HIGH:-COMPLEMENTOFDEFAULT`` (PJ_SSL_SOCK_OSSL_CIPHERS), which keeps CBC and static-RSA suites.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding, Params
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.common import ConfigObject
from voxaudit.platforms.asterisk.common import WEAK_CIPHER_RE, tls_version, transports
from voxaudit.platforms.openssl import admitted_suites, default_tls13_suites, how_read, suites_by_id
from voxaudit.records.tls import (
    MOZILLA_CIPHERS,
    AcceptedSuites,
    CipherSuites,
    PeerVerification,
    ProtocolVersions,
    ServerCredentials,
)
from voxaudit.remediation import Change, note, set_

SOURCES = ("pjsip.conf",)
NONE = "no TLS transport defined"
STRONG_CIPHERS = "cipher=ECDHE-ECDSA-AES256-GCM-SHA384,ECDHE-RSA-AES256-GCM-SHA384"
CATCH_ALL = {"ALL", "DEFAULT:ALL"}
PJSIP_DEFAULT_CIPHERS = "HIGH:-COMPLEMENTOFDEFAULT"  # pjlib ssl_sock_ossl.c, when cipher= is unset
MOZILLA_PJSIP = MOZILLA_CIPHERS.replace(":", ",")
# method values after which PJSIP also offers TLS 1.3 (OpenSSL 1.1.1 and later)
ADMITS_TLS13 = {"", "default", "unspecified", "sslv23", "tlsv1_3"}

VERSION_REMEDIATION = {
    "asterisk": "In each TLS transport set method=tlsv1_2 (or tlsv1_3).",
    "freepbx": "Settings > Asterisk SIP Settings > SIP Settings [chan_pjsip] > TLS/SSL/SRTP Settings: "
               "SSL Method = tlsv1_2.",
}
VERIFY_REMEDIATION = {
    "asterisk": "In each TLS transport set cert_file and priv_key_file, ca_list_file, and verify_server=yes "
                "(verify_client=yes where phones hold client certificates).",
    "freepbx": "Settings > Asterisk SIP Settings > chan_pjsip > TLS/SSL/SRTP Settings: Verify Server = Yes; "
               "choose a certificate from Admin > Certificate Management.",
}
CIPHER_REMEDIATION = {
    "asterisk": "Remove cipher= (use OpenSSL's defaults) or list only AEAD suites, e.g. "
                "cipher=ECDHE-ECDSA-AES256-GCM-SHA384,ECDHE-RSA-AES256-GCM-SHA384.",
    "freepbx": "Remove the cipher override from pjsip.transports_custom.conf (FreePBX leaves it unset by default).",
}

SUITE_REMEDIATION = {
    "asterisk": f"In each TLS transport list only the Mozilla intermediate suites: cipher={MOZILLA_PJSIP}",
    "freepbx": "Put the cipher= line in the TLS transport's section of pjsip.transports_custom_post.conf "
               "(FreePBX's SIP Settings page has no cipher field).",
}


def _tls(facts: AsteriskFacts) -> list[ConfigObject]:
    return [t for t in transports(facts).values() if (t.get("protocol") or "").lower() == "tls"]


def protocol_versions(facts: AsteriskFacts) -> Iterator[ProtocolVersions]:
    for t in _tls(facts):
        method = t.get("method")
        setting = "method not set: PJSIP's default" if method is None else f"method={method}"
        yield ProtocolVersions(subject=f"transport {t.name}", source=t.location("method"), section=f"[{t.name}]",
                               versions=(tls_version(method),), setting=setting)


def cipher_suites(facts: AsteriskFacts) -> Iterator[CipherSuites]:
    for t in _tls(facts):
        cipher = t.get("cipher")
        subject, section = f"transport {t.name}", f"[{t.name}]"
        if cipher is None:
            yield CipherSuites(subject=subject, source=t.location(), section=section, setting="the library's default list")
            continue
        weak = [c for c in cipher.replace(",", ":").split(":") if WEAK_CIPHER_RE.search(c) and not c.startswith("!")]
        if not weak and cipher.strip().upper() in CATCH_ALL:
            weak = [cipher]
        yield CipherSuites(subject=subject, source=t.location("cipher"), section=section, weak=tuple(weak),
                           setting="cipher list")


def _pjsip_suite(token: str) -> str | None:
    """One ``cipher=`` item as the suite PJSIP takes it for: a name, or a number (hex ``0x..`` or decimal,
    as atoi reads it); None when it is neither (PJSIP refuses the transport)."""
    if token.lower().startswith("0x"):
        digits = token[2:10]
        number = int(digits, 16) if digits and all(c in "0123456789abcdefABCDEF" for c in digits) else None
    elif token[:1].isdigit():
        digits = token[:len(token) - len(token.lstrip("0123456789"))][:10]
        number = int(digits)
    else:
        ok = "-" in token or token.startswith("TLS_")
        return token if ok and len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token) else None
    return suites_by_id().get(number & 0xFFFF) if number is not None else None


def accepted_suites(facts: AsteriskFacts) -> Iterator[AcceptedSuites]:
    """Every suite each TLS transport admits: its cipher= suites (by name or number), or PJSIP's default
    list as OpenSSL expands it, and OpenSSL's TLS 1.3 suites when its method admits TLS 1.3."""
    for t in _tls(facts):
        subject, section = f"transport {t.name}", f"[{t.name}]"
        tls13 = (t.get("method") or "").strip().lower() in ADMITS_TLS13
        items = [i.strip() for v in t.values("cipher") for i in v.split(",") if i.strip()]
        if not items:
            suites, lacking = admitted_suites(PJSIP_DEFAULT_CIPHERS, tls13)
            yield AcceptedSuites(subject=subject, source=t.location(), section=section, suites=tuple(("", n) for n in suites),
                                 setting=how_read(f"cipher unset: PJSIP's default list {PJSIP_DEFAULT_CIPHERS}", lacking))
            continue
        named: list[str] = []
        for i, item in enumerate(items[:256]):
            suite = _pjsip_suite(item)
            if suite is None:
                yield AcceptedSuites(subject=subject, source=t.location("cipher"), section=section, undecidable=(
                    f"not evaluated: cipher item {i + 1} is not a cipher suite name or number this scan knows "
                    "(PJSIP refuses a transport whose cipher list names one it does not know)"))
                break
            if suite not in named:
                named.append(suite)
        else:
            extra = [s for s in default_tls13_suites() if s not in named] if tls13 else []
            yield AcceptedSuites(subject=subject, source=t.location("cipher"), section=section,
                                 suites=tuple(("", n) for n in (*named, *extra)),
                                 setting="the suites cipher= lists" + (" and OpenSSL's TLS 1.3 suites" if extra else ""))


def peer_verification(facts: AsteriskFacts) -> Iterator[PeerVerification]:
    for t in _tls(facts):
        on = t.flag("verify_server")
        yield PeerVerification(subject=f"transport {t.name}", source=t.location("verify_server"), section=f"[{t.name}]",
                               verifies=on, setting="verify_server=yes" if on else "verify_server is off")


def server_credentials(facts: AsteriskFacts) -> Iterator[ServerCredentials]:
    for t in _tls(facts):
        yield ServerCredentials(subject=f"transport {t.name}", source=t.location(), section=f"[{t.name}]",
                                missing=tuple(k for k in ("cert_file", "priv_key_file") if not t.get(k)))


def version_fix(rec: ProtocolVersions) -> list[str]:
    return [rec.section, "method=tlsv1_2"]


def cipher_fix(rec: CipherSuites) -> list[str]:
    return [rec.section, STRONG_CIPHERS]


def suites_fix(rec: AcceptedSuites) -> list[str]:
    return [rec.section, f"cipher={MOZILLA_PJSIP}"]


def verify_fix(rec: PeerVerification) -> list[str]:
    return [rec.section, "verify_server=yes", "ca_list_file=/etc/ssl/certs/ca-certificates.crt"]


def credentials_fix(rec: ServerCredentials) -> list[str]:
    return [rec.section] + [f"{k}=/etc/asterisk/keys/<file>" for k in rec.missing]


TRANSPORT = "pjsip.transport"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def version_change(rec: ProtocolVersions) -> list[Change]:
    return [set_("pjsip.conf", rec.section.strip("[]"), "method", "tlsv1_2", TRANSPORT)]


def cipher_change(rec: CipherSuites) -> list[Change]:
    key, _, value = STRONG_CIPHERS.partition("=")
    return [set_("pjsip.conf", rec.section.strip("[]"), key, value, TRANSPORT)]


def suites_change(rec: AcceptedSuites) -> list[Change]:
    return [set_("pjsip.conf", rec.section.strip("[]"), "cipher", MOZILLA_PJSIP, TRANSPORT)]


def verify_change(rec: PeerVerification, params: Params, facts: AsteriskFacts) -> list[Change]:
    """verify_server=yes, with the system's CA bundle only where the transport names no CA of its own."""
    name = rec.section.strip("[]")
    out = [set_("pjsip.conf", name, "verify_server", "yes", TRANSPORT)]
    t = facts.named(TRANSPORT, name)
    if t is not None and not (t.get("ca_list_file") or t.get("ca_list_path")):
        out.append(set_("pjsip.conf", name, "ca_list_file", CA_BUNDLE, TRANSPORT))
    return out


def credentials_change(rec: ServerCredentials) -> list[Change]:
    return [note("pjsip.conf", rec.section.strip("[]"), f"{rec.subject}: set {' and '.join(rec.missing)} to the "
                                                        "certificate and key issued for this PBX here")]


BINDINGS = (
    Binding("ENC-TLS-101", "asterisk", protocol_versions, SOURCES, "AST-TLS-102", VERSION_REMEDIATION, version_fix, NONE,
            change=version_change),
    Binding("ENC-TLS-104", "asterisk", server_credentials, SOURCES, "AST-TLS-103", VERIFY_REMEDIATION, credentials_fix,
            NONE, change=credentials_change),
    Binding("ENC-TLS-103", "asterisk", peer_verification, SOURCES, "AST-TLS-103", VERIFY_REMEDIATION, verify_fix, NONE,
            change=verify_change),
    Binding("ENC-TLS-102", "asterisk", cipher_suites, SOURCES, "AST-TLS-104", CIPHER_REMEDIATION, cipher_fix, NONE,
            change=cipher_change),
    Binding("ENC-TLS-108", "asterisk", accepted_suites, SOURCES, remediation=SUITE_REMEDIATION, fix=suites_fix,
            none=NONE, change=suites_change),
    Binding("ENC-TLS-109", "asterisk", accepted_suites, SOURCES, remediation=SUITE_REMEDIATION, fix=suites_fix,
            none=NONE, change=suites_change),
)
