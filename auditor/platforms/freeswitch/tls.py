"""mod_sofia profiles with TLS enabled (``tls=true``), and their secure WebSocket listeners
(``wss-binding``), as TLS policy records.

``tls-version`` lists every version a profile admits; unset or empty, mod_sofia admits TLS 1.0
to 1.3 (the vanilla ``sip_tls_version`` is "tlsv1,tlsv1.1,tlsv1.2"). ``tls-verify-policy``
unset is ``none``: any peer certificate is accepted. ``tls-ciphers`` goes to OpenSSL's
SSL_CTX_set_cipher_list (sofia-sip tport_tls.c); unset or empty it is mod_sofia's
``ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH`` (sofia.c), which keeps CBC and static-RSA suites.

A ``wss-binding`` listens whatever ``tls`` says, and none of the profile's TLS params reach it (sofia.c
passes them only with tls=true): sofia-sip builds its own context (tport_type_ws.c
``tport_wss_create_ssl_ctx``) refusing SSLv2, SSLv3 and TLS 1.0 only, with the fixed cipher list
``!eNULL:!aNULL:!DSS:HIGH:@STRENGTH``. Its lowest version is then whatever the host OpenSSL's own
policy (openssl.cnf MinProtocol) allows: not in the configuration. It serves browsers and is never a
client, so peer verification does not apply to it.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.freeswitch.common import (
    TLS_NAMES,
    fs_true,
    profile_label,
    runtime_reason,
    websocket_binding,
)
from voxaudit.platforms.openssl import admitted_suites, how_read
from voxaudit.records.tls import MOZILLA_CIPHERS, AcceptedSuites, PeerVerification, ProtocolVersions
from voxaudit.remediation import Change, note, set_

SOURCES = ("sofia",)
NONE = "no profile has TLS enabled nor a wss-binding"
SOFIA_DEFAULT_VERSIONS = "tlsv1,tlsv1.1,tlsv1.2,tlsv1.3"  # mod_sofia's default when unset or empty
SOFIA_DEFAULT_CIPHERS = "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"  # mod_sofia's default when unset or empty

VERSION_REMEDIATION = {
    "freeswitch": "In vars.xml set sip_tls_version=tlsv1.2 (or the profile's tls-version param to tlsv1.2).",
    "fusionpbx": "Advanced > Variables > SIP: sip_tls_version = tlsv1.2.",
}
VERIFY_REMEDIATION = {
    "freeswitch": "Set tls-verify-policy to 'out' (external/trunk profiles) or 'all' (where phones hold "
                  "certificates), with tls-verify-date=true.",
    "fusionpbx": "Advanced > SIP Profiles > (profile): tls-verify-policy = out (or all).",
}

SUITE_REMEDIATION = {
    "freeswitch": f'In each TLS profile: <param name="tls-ciphers" value="{MOZILLA_CIPHERS}"/>',
    "fusionpbx": f"Advanced > SIP Profiles > (profile): tls-ciphers = {MOZILLA_CIPHERS}",
}


WSS_CIPHERS = "!eNULL:!aNULL:!DSS:HIGH:@STRENGTH"  # sofia-sip tport_type_ws.c, not configurable
WSS_VERSIONS = ("sofia-sip's WSS context admits TLS 1.1 and later (only SSLv2, SSLv3 and TLS 1.0 are refused); "
                "whether TLS 1.1 is refused depends on the host OpenSSL's policy (openssl.cnf MinProtocol), "
                "not on this configuration")


def _tls(facts: FreeSwitchFacts) -> list[ConfigObject]:
    return [p for p in facts.of_kind("sofia.profile") if fs_true(p.get("tls"))]


def _wss(facts: FreeSwitchFacts) -> list[tuple[ConfigObject, str]]:
    """Profiles with a secure WebSocket listener, and its label."""
    out = []
    for p in facts.of_kind("sofia.profile"):
        if websocket_binding(p, "wss-binding") is not None:
            out.append((p, f"{profile_label(p)} wss-binding"))
    return out


def protocol_versions(facts: FreeSwitchFacts) -> Iterator[ProtocolVersions]:
    for p in _tls(facts):
        label = profile_label(p)
        hidden = runtime_reason(p, "tls-version")
        if hidden is not None:
            yield ProtocolVersions(subject=label, source=hidden[1], section=label, versions=(), undecidable=hidden[0])
            continue
        raw = p.get("tls-version") or SOFIA_DEFAULT_VERSIONS
        names = [v.strip().lower() for v in raw.split(",") if v.strip()]
        yield ProtocolVersions(subject=label, source=p.location("tls-version"), section=label,
                               versions=tuple(TLS_NAMES.get(v, 1.0) for v in names), setting=f"tls-version={raw}")
    for p, label in _wss(facts):
        yield ProtocolVersions(subject=label, source=p.location("wss-binding"), section=label,
                               versions=(1.1, 1.2, 1.3), undecidable=WSS_VERSIONS)


def peer_verification(facts: FreeSwitchFacts) -> Iterator[PeerVerification]:
    for p in _tls(facts):
        label = profile_label(p)
        hidden = runtime_reason(p, "tls-verify-policy")
        if hidden is not None:
            yield PeerVerification(subject=label, source=hidden[1], section=label, verifies=False, setting="",
                                   undecidable=hidden[0])
            continue
        policy = (p.get("tls-verify-policy") or "none").lower()
        yield PeerVerification(subject=label, source=p.location("tls-verify-policy"), section=label,
                               verifies=policy not in {"none", ""}, setting=f"tls-verify-policy={policy}")


def accepted_suites(facts: FreeSwitchFacts) -> Iterator[AcceptedSuites]:
    """Each TLS profile's tls-ciphers (unset: mod_sofia's default) as OpenSSL expands it, with OpenSSL's
    TLS 1.3 suites when tls-version admits TLS 1.3. The list itself is not quoted: evidence names suites."""
    for p in _tls(facts):
        label = profile_label(p)
        hidden = runtime_reason(p, "tls-ciphers")
        if hidden is not None:
            yield AcceptedSuites(subject=label, source=hidden[1], section=p.name, undecidable=hidden[0])
            continue
        hidden_versions = runtime_reason(p, "tls-version")
        versions = "" if hidden_versions is not None else (p.get("tls-version") or SOFIA_DEFAULT_VERSIONS)
        tls13 = hidden_versions is not None or "tlsv1.3" in versions.lower().replace(" ", "").split(",")
        configured = p.get("tls-ciphers")
        suites, lacking = admitted_suites(configured or SOFIA_DEFAULT_CIPHERS, tls13)
        setting = "tls-ciphers" if configured else f"tls-ciphers unset: mod_sofia's default {SOFIA_DEFAULT_CIPHERS}"
        if not suites:
            yield AcceptedSuites(subject=label, source=p.location("tls-ciphers"), section=p.name, setting=setting,
                                 undecidable="not evaluated: tls-ciphers selects no suite this OpenSSL knows (on the "
                                             "same OpenSSL the profile's TLS listener does not start)")
            continue
        yield AcceptedSuites(subject=label, source=p.location("tls-ciphers"), section=p.name,
                             suites=tuple(("", n) for n in suites), setting=how_read(setting, lacking))
    for p, label in _wss(facts):
        suites, lacking = admitted_suites(WSS_CIPHERS, True)
        setting = f"wss-binding: sofia-sip's fixed WSS cipher list {WSS_CIPHERS} (no FreeSWITCH param sets it)"
        if not suites:
            yield AcceptedSuites(subject=label, source=p.location("wss-binding"), section=p.name, setting=setting,
                                 undecidable="not evaluated: the WSS cipher list selects no suite this OpenSSL knows")
            continue
        yield AcceptedSuites(subject=label, source=p.location("wss-binding"), section=p.name,
                             suites=tuple(("", n) for n in suites), setting=how_read(setting, lacking))


def suites_fix(rec: AcceptedSuites) -> list[str]:
    if rec.subject.endswith(" wss-binding"):  # no param reaches the WSS context: move WSS behind a TLS proxy
        return ["<!-- remove wss-binding; terminate WSS in a TLS proxy with the Mozilla intermediate suites -->"]
    return [f'<param name="tls-ciphers" value="{MOZILLA_CIPHERS}"/>']


def suites_change(rec: AcceptedSuites) -> list[Change]:
    if rec.subject.endswith(" wss-binding"):  # fixed in sofia-sip: a person decides (drop WSS, or proxy it)
        return [note("sofia", rec.section, "the wss-binding listener's cipher list is fixed in sofia-sip (no FreeSWITCH "
                     "param changes it): remove wss-binding, or terminate WSS in a TLS proxy with the Mozilla "
                     "intermediate suites", "sofia.profile")]
    return [set_("sofia", rec.section, "tls-ciphers", MOZILLA_CIPHERS, "sofia.profile")]


def version_fix(rec: ProtocolVersions) -> list[str]:
    return ['<param name="tls-version" value="tlsv1.2"/>']


def verify_fix(rec: PeerVerification) -> list[str]:
    return ['<param name="tls-verify-policy" value="out"/>']


BINDINGS = (
    Binding("ENC-TLS-101", "freeswitch", protocol_versions, SOURCES, "FS-TLS-102", VERSION_REMEDIATION, version_fix,
            NONE),
    Binding("ENC-TLS-103", "freeswitch", peer_verification, SOURCES, "FS-TLS-103", VERIFY_REMEDIATION, verify_fix, NONE),
    Binding("ENC-TLS-108", "freeswitch", accepted_suites, SOURCES, remediation=SUITE_REMEDIATION, fix=suites_fix,
            none=NONE, change=suites_change),
    Binding("ENC-TLS-109", "freeswitch", accepted_suites, SOURCES, remediation=SUITE_REMEDIATION, fix=suites_fix,
            none=NONE, change=suites_change),
)
