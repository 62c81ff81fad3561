"""Kamailio tls.cfg profiles and OpenSIPS tls_mgm domains as TLS policy records.

Both read as ``tls.profile`` objects ([server:default], [client:carrier] ...). ``method`` names
the lowest version a profile admits ("TLSv1.2+"); unset it is SSLv23, which admits TLS 1.0.
``verify_certificate`` is off unless set. ``cipher_list`` (OpenSIPS ``ciphers_list``) goes to
OpenSSL's SSL_CTX_set_cipher_list; unset, OpenSSL's DEFAULT list stands (CBC and static-RSA suites
included); TLS 1.3 suites are OpenSSL's, neither server sets them. TLS counts only when it is on:
Kamailio needs ``enable_tls=yes`` and tls.so, OpenSIPS the proto_tls module.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.kamailio import KamailioFacts
from voxaudit.platforms.kamailio.common import TRUE, tls_enabled
from voxaudit.platforms.openssl import default_tls13_suites, expand_cipher_list, named_suites, openssl_version
from voxaudit.records.tls import MOZILLA_CIPHERS, AcceptedSuites, PeerVerification, ProtocolVersions
from voxaudit.remediation import Change, note, set_

SOURCES = ("kamailio.cfg", "tls.cfg")
TLS_METHODS = {"sslv2": 0.2, "sslv3": 0.3, "sslv23": 1.0, "tlsv1": 1.0, "tlsv1.1": 1.1, "tlsv1.2": 1.2, "tlsv1.3": 1.3}

VERSION_REMEDIATION = {
    "kamailio": "In tls.cfg set method = TLSv1.2+ in [server:default] and [client:default].",
    "opensips": "modparam(\"tls_mgm\", \"tls_method\", \"[<domain>]TLSv1_2-TLSv1_3\") for every domain.",
}
SUITE_REMEDIATION = {
    "kamailio": f"In tls.cfg, in every [server:...] and [client:...] profile: cipher_list = {MOZILLA_CIPHERS}",
    "opensips": f"modparam(\"tls_mgm\", \"ciphers_list\", \"[<domain>]{MOZILLA_CIPHERS}\") for every domain.",
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


def _admits_tls13(method: str) -> bool:
    m = method.lower().replace("_", ".")
    return m in {"", "sslv23", "tlsv1.3"} or m.endswith("+") or m.endswith("tlsv1.3")


def _suites(p: ConfigObject) -> tuple[tuple[str, ...], str]:
    """(the suites a profile admits, how they were read); no suites: OpenSSL selects none from the list."""
    configured = p.get("cipher_list")
    below13 = expand_cipher_list(configured or "DEFAULT") or ()
    lacking = [n for n in named_suites(configured or "") if n not in below13]
    setting = (f"cipher_list as OpenSSL {openssl_version()} expands it" if configured
               else "cipher_list unset: OpenSSL's DEFAULT list")
    if lacking:
        setting += f" (named there, unknown to this OpenSSL: {', '.join(lacking[:4])})"
    if not below13 and not lacking:
        return (), setting
    tls13 = default_tls13_suites() if _admits_tls13(p.get("method") or "") else ()
    return (*below13, *lacking, *tls13), setting


def accepted_suites(facts: KamailioFacts) -> Iterator[AcceptedSuites]:
    """Each profile's cipher_list as OpenSSL expands it (unset: OpenSSL's DEFAULT), the suites it
    names that this OpenSSL lacks, and the TLS 1.3 suites when its method admits TLS 1.3. The list
    itself is not quoted: the evidence names suites."""
    for p in _profiles(facts):
        suites, setting = _suites(p)
        subject, source, section = f"tls [{p.name}]", p.location("cipher_list"), f"[{p.name}]"
        if not suites:
            yield AcceptedSuites(subject=subject, source=source, section=section, setting=setting, undecidable=(
                "not evaluated: cipher_list selects no suite this OpenSSL knows (on the same OpenSSL the TLS "
                "module refuses the profile)"))
            continue
        yield AcceptedSuites(subject=subject, source=source, section=section, setting=setting,
                             suites=tuple(("", n) for n in suites))


def suites_fix(rec: AcceptedSuites) -> list[str]:
    return [rec.section, f"cipher_list = {MOZILLA_CIPHERS}"]


def version_fix(rec: ProtocolVersions) -> list[str]:
    return [rec.section, "method = TLSv1.2+"]


def verify_fix(rec: PeerVerification) -> list[str]:
    return [rec.section, "verify_certificate = yes"]


PROFILE = "tls.profile"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def _name(section: str) -> str:
    return section.strip("[]")


# modparam("tls", ...) names of the tls.cfg keys, for profiles the module parameters make
_MODPARAM_NAMES = {"method": "tls_method", "verify_certificate": "verify_certificate", "cipher_list": "cipher_list"}


def _from_modparams(facts: KamailioFacts, name: str) -> bool:
    """Is this profile made by modparam("tls", ...) (no tls.cfg configured), so a tls.cfg edit would not
    be read by the tls module?"""
    return facts.named(PROFILE, name) is not None and facts.named("kamailio.modparam", "tls.config") is None


def _modparam_note(facts: KamailioFacts, rec_subject: str, key: str, value: str) -> list[Change]:
    return [note(facts.cfg_name, "", f"{rec_subject}: set by the tls module parameters (no tls.cfg is configured): "
                                     f"modparam(\"tls\", \"{_MODPARAM_NAMES[key]}\", \"{value}\")")]


def version_change(rec: ProtocolVersions, params: object, facts: KamailioFacts) -> list[Change]:
    if _from_modparams(facts, _name(rec.section)):
        return _modparam_note(facts, rec.subject, "method", "TLSv1.2+")
    return [set_("tls.cfg", _name(rec.section), "method", "TLSv1.2+", PROFILE, sep=" = ")]


def suites_change(rec: AcceptedSuites, params: object, facts: KamailioFacts) -> list[Change]:
    if _from_modparams(facts, _name(rec.section)):
        return _modparam_note(facts, rec.subject, "cipher_list", MOZILLA_CIPHERS)
    return [set_("tls.cfg", _name(rec.section), "cipher_list", MOZILLA_CIPHERS, PROFILE, sep=" = ")]


def verify_change(rec: PeerVerification, params: object, facts: KamailioFacts) -> list[Change]:
    """verify_certificate = yes, with the system's CA bundle where the profile names no CA list."""
    name = _name(rec.section)
    if _from_modparams(facts, name):
        return _modparam_note(facts, rec.subject, "verify_certificate", "1")
    out = [set_("tls.cfg", name, "verify_certificate", "yes", PROFILE, sep=" = ")]
    p = facts.named(PROFILE, name)
    if p is not None and not (p.get("ca_list") or p.get("ca_path")):
        out.append(set_("tls.cfg", name, "ca_list", CA_BUNDLE, PROFILE, sep=" = "))
    return out


BINDINGS = tuple(
    b for platform in ("kamailio", "opensips") for b in (
        # OpenSIPS keeps these in tls_mgm modparams ("[domain]value" strings): no structured fix there yet
        Binding("ENC-TLS-101", platform, protocol_versions, SOURCES, "KAM-TLS-103", VERSION_REMEDIATION, version_fix,
                "TLS not enabled or no tls.cfg", change=version_change if platform == "kamailio" else None),
        Binding("ENC-TLS-103", platform, peer_verification, SOURCES, "KAM-TLS-104", VERIFY_REMEDIATION, verify_fix,
                "TLS not enabled or no TLS client profile", change=verify_change if platform == "kamailio" else None),
        Binding("ENC-TLS-108", platform, accepted_suites, SOURCES, remediation=SUITE_REMEDIATION, fix=suites_fix,
                none="TLS not enabled or no tls.cfg", change=suites_change if platform == "kamailio" else None),
        Binding("ENC-TLS-109", platform, accepted_suites, SOURCES, remediation=SUITE_REMEDIATION, fix=suites_fix,
                none="TLS not enabled or no tls.cfg", change=suites_change if platform == "kamailio" else None),
    )
)
