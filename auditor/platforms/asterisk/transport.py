"""chan_pjsip transports, trunks and endpoints, and chan_sip listeners and peers, as signalling and
media records.

A pjsip transport's ``protocol`` defaults to udp and its ``bind`` to every address; an endpoint's
``media_encryption`` defaults to no, and ``media_encryption_optimistic=yes`` falls back to plain RTP.
An endpoint not pinned to a transport (``transport=``) can use any. chan_sip always opens a UDP
socket (udpbindaddr/bindaddr, default 0.0.0.0:5060) and a TCP one unless tcpenable is false; its
peers default to [general] transport (udp), and SRTP only with ``encryption=yes`` on the peer.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding, Params
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_sip import PJSIP_OBJECT_SOURCES, ast_false, ast_true
from voxaudit.facts.common import ConfigObject, Setting
from voxaudit.platforms.asterisk.common import chan_sip_state, endpoint_transports, transports
from voxaudit.platforms.common import derived, is_loopback
from voxaudit.records.transport import KeyExchange, MediaPolicy, SignallingPath
from voxaudit.remediation import Change, note, set_

TRANSPORT_SOURCES = ("pjsip.conf",)
PJSIP_SOURCES = tuple(PJSIP_OBJECT_SOURCES)
PEER_SOURCES = ("sip.conf", "users.conf", "modules.conf")
ENCRYPTED_SIGNALLING = {"tls", "wss"}
SRTP = {"sdes", "dtls"}
CHAN_SIP_OFF = "chan_sip is not loaded (no sip.conf, or modules.conf does not load it)"

TLS_REMEDIATION = {
    "asterisk": "Define a TLS transport (protocol=tls, bind=0.0.0.0:5061, cert_file, priv_key_file, method=tlsv1_2) "
                "and remove udp/tcp transports or bind them to 127.0.0.1; point endpoints at it with transport=.",
    "freepbx": "Settings > Asterisk SIP Settings > SIP Settings [chan_pjsip]: enable the TLS transport, pick a "
               "certificate from Certificate Management, and untick udp/tcp on external interfaces; then set each "
               "extension's Transport to the TLS one.",
}
TRUNK_REMEDIATION = {
    "asterisk": "Use the carrier's TLS endpoint: transport=<tls transport> on the registration and endpoint, "
                "server_uri=sip:<carrier>:5061;transport=tls (and media_encryption=sdes). If the carrier has "
                "no TLS, record that in the risk analysis and choose one that does.",
    "freepbx": "Connectivity > Trunks > (trunk) > pjsip Settings > Advanced: Transport = the TLS transport, "
               "SIP Server Port = 5061, Media Encryption = SRTP via in-SDP.",
}
CHAN_SIP_TLS_REMEDIATION = {
    "asterisk": "Prefer unloading chan_sip (noload => chan_sip.so; it was removed in Asterisk 21) and using "
                "chan_pjsip with a TLS transport. Otherwise in sip.conf [general] set udpbindaddr=127.0.0.1, "
                "tcpenable=no, tlsenable=yes, tlsbindaddr=0.0.0.0:5061, tlscertfile; on each peer transport=tls.",
    "freepbx": "Settings > Advanced Settings > SIP Channel Driver = chan_pjsip; or Settings > Asterisk SIP "
               "Settings > Chan SIP Settings: bind chan_sip to 127.0.0.1, enable TLS, and set each extension's "
               "Transport = TLS.",
}
SRTP_REMEDIATION = {
    "asterisk": "Set media_encryption=sdes (over a TLS transport) or media_encryption=dtls on each endpoint.",
    "freepbx": "Applications > Extensions > (extension) > Advanced > Media Encryption: SRTP via in-SDP "
               "(recommended); for trunks, Connectivity > Trunks > pjsip Settings > Advanced > Media Encryption.",
}
OPTIMISTIC_REMEDIATION = {
    "asterisk": "Set media_encryption_optimistic=no (the default) on endpoints that use SRTP.",
    "freepbx": "Remove media_encryption_optimistic=yes from pjsip.endpoint_custom_post.conf.",
}
SDES_REMEDIATION = {
    "asterisk": "Pin SDES endpoints to a TLS transport (transport=<tls transport>), or use media_encryption=dtls.",
    "freepbx": "Applications > Extensions > (extension) > Advanced: Transport = the TLS transport when "
               "Media Encryption is SRTP via in-SDP.",
}
CHAN_SIP_SRTP_REMEDIATION = {
    "asterisk": "Set encryption=yes on each peer (with transport=tls so the SDES key is protected).",
    "freepbx": "Applications > Extensions > (chan_sip extension) > Advanced: Enable Encryption = Yes (SRTP only).",
}


def _protocol(t: Optional[ConfigObject]) -> str:
    return (t.get("protocol") or "udp").lower() if t is not None else ""


# -- chan_pjsip ---------------------------------------------------------------------------------------

def pjsip_transports(facts: AsteriskFacts) -> Iterator[SignallingPath]:
    for t in transports(facts).values():
        proto, bind = _protocol(t), t.get("bind") or "0.0.0.0"
        subject, section = f"transport {t.name}", f"[{t.name}]"
        if proto in ENCRYPTED_SIGNALLING:
            yield SignallingPath(subject=subject, source=t.location("protocol"), section=section, plaintext=False,
                                 setting=f"protocol={proto}")
        else:
            loop = is_loopback(bind)
            yield SignallingPath(subject=subject, source=t.location("bind" if loop else "protocol"), section=section,
                                 plaintext=True, loopback=loop, setting=f"transport protocol={proto} on {bind}")


def pjsip_trunks(facts: AsteriskFacts) -> Iterator[SignallingPath]:
    """Registrations, and the endpoints a registration or an identify names: the carrier trunks."""
    all_t = transports(facts)
    regs = facts.of_kind("pjsip.registration")
    names = {r.get("endpoint") or r.name for r in regs}
    names |= {i.get("endpoint") or "" for i in facts.of_kind("pjsip.identify")}
    for r in regs:
        uri = (r.get("server_uri") or "").lower()
        proto = _protocol(all_t.get(r.get("transport") or ""))
        tls = uri.startswith("sips:") or "transport=tls" in uri or proto == "tls"
        setting = (f"registers over TLS ({uri or proto})" if tls else
                   f"registers over {proto or 'the default transport'} to {uri or 'an unspecified server'}")
        yield SignallingPath(subject=f"registration {r.name}", source=r.location("server_uri"), section=f"[{r.name}]",
                             plaintext=not tls, setting=setting)
    for name in sorted(n for n in names if n):
        ep = facts.named("pjsip.endpoint", name)
        if ep is None:
            continue
        pinned = all_t.get(ep.get("transport") or "")
        proto = _protocol(pinned) if pinned is not None else "any"
        setting = ("trunk endpoint pinned to a TLS transport" if proto == "tls" else
                   f"trunk endpoint uses transport {ep.get('transport') or '(unpinned)'} ({proto})")
        yield SignallingPath(subject=f"trunk endpoint {name}", source=ep.location("transport"), section=f"[{name}]",
                             plaintext=proto != "tls", setting=setting)


def _media_of(facts: AsteriskFacts) -> list[tuple[ConfigObject, str, bool]]:
    """Each endpoint with the media encryption res_pjsip ends with, and whether ``webrtc=yes`` decided it: it forces
    DTLS-SRTP whatever ``media_encryption`` says (sip_endpoint_apply_handler() in pjsip_configuration.c sets
    encryption to AST_SIP_MEDIA_ENCRYPT_DTLS after every option is read; Asterisk 15 and later). Worked out once per
    target: three views ask it of every endpoint."""
    def build() -> list[tuple[ConfigObject, str, bool]]:
        out = []
        for ep in facts.of_kind("pjsip.endpoint"):
            webrtc = ep.flag("webrtc")
            out.append((ep, "dtls" if webrtc else (ep.get("media_encryption") or "no").lower(), webrtc))
        return out
    return derived(facts, "asterisk.endpoint_media", build)


def _media_setting(ep: ConfigObject, value: str, webrtc: bool) -> tuple[str, str]:
    """(option that decided the media encryption, how to say it) for evidence: webrtc=yes, or media_encryption."""
    if webrtc:
        written = (ep.get("media_encryption") or "").lower()
        over = f" (overrides media_encryption={written})" if written and written != "dtls" else ""
        return "webrtc", f"webrtc=yes: DTLS-SRTP{over}"
    return "media_encryption", f"media_encryption={value}"


def _endpoint_media(ep: ConfigObject, at_fallback: bool, value: str, webrtc: bool) -> MediaPolicy:
    """``value``: the endpoint's media encryption as _media_of() reads it."""
    optimistic = value in SRTP and ep.flag("media_encryption_optimistic")
    key, setting = _media_setting(ep, value, webrtc)
    return MediaPolicy(subject=f"endpoint {ep.name}", section=f"[{ep.name}]",
                       source=ep.location("media_encryption_optimistic" if optimistic and at_fallback else key),
                       encrypted=value in SRTP, fallback=optimistic,
                       setting=setting + (", media_encryption_optimistic=yes" if optimistic else ""))


def endpoint_media(facts: AsteriskFacts) -> Iterator[MediaPolicy]:
    for ep, value, webrtc in _media_of(facts):
        yield _endpoint_media(ep, False, value, webrtc)


def srtp_endpoints(facts: AsteriskFacts) -> Iterator[MediaPolicy]:
    """Only the endpoints that use SRTP (whether it is required means nothing on the others),
    located at the fallback setting where there is one."""
    for ep, value, webrtc in _media_of(facts):
        if value in SRTP:
            yield _endpoint_media(ep, True, value, webrtc)


def sdes_keys(facts: AsteriskFacts) -> Iterator[KeyExchange]:
    plain_of: dict[str, list[str]] = {}  # transport= (or "" unpinned) -> the plaintext transports it leaves usable
    for ep, value, _webrtc in _media_of(facts):
        if value != "sdes":  # webrtc=yes turns a written sdes into DTLS
            continue
        pinned = ep.get("transport")
        plain = plain_of.get(pinned or "")
        if plain is None:  # the same for every endpoint with this transport=: worked out once
            plain = plain_of[pinned or ""] = [t.name for t in endpoint_transports(facts, ep)
                                              if _protocol(t) not in ENCRYPTED_SIGNALLING]
        how = "is pinned to" if pinned else "is not pinned and can use"
        yield KeyExchange(subject=f"endpoint {ep.name}", source=ep.location("transport"), section=f"[{ep.name}]",
                          exposed=bool(plain),
                          setting=f"SDES endpoint {how} plaintext transport(s) {', '.join(plain)}" if plain
                          else "SDES over TLS only")


# -- chan_sip -----------------------------------------------------------------------------------------

def _last_of(obj: Optional[ConfigObject], keys: tuple[str, ...]) -> Optional[Setting]:
    """The value Asterisk ends with when several option names set the same thing (bindaddr and
    udpbindaddr): the one written last (exact within one file, where both are written in practice)."""
    if obj is None:
        return None
    found = [s for k in keys for s in obj.settings.get(k, [])]
    return max(found, key=lambda s: s.line, default=None)


def chan_sip_signalling(facts: AsteriskFacts) -> Iterator[SignallingPath]:
    if not chan_sip_state(facts).loaded:
        return
    general = facts.first("sip.general")
    udp = _last_of(general, ("bindaddr", "udpbindaddr"))
    udp_addr = udp.value if udp is not None else "0.0.0.0"
    udp_where = udp.source if udp is not None else (general.source if general is not None else None)
    yield SignallingPath(subject="chan_sip udp listener", source=udp_where, section="[general]", plaintext=True,
                         loopback=is_loopback(udp_addr),
                         setting=f"chan_sip listens on UDP {udp_addr}{'' if udp else ' (the default)'}")
    tcp_on = _last_of(general, ("tcpenable",))
    if tcp_on is not None and not ast_false(tcp_on.value.strip()):  # enabled unless ast_false()
        tcp = _last_of(general, ("tcpbindaddr",))
        tcp_addr = tcp.value if tcp is not None else udp_addr
        yield SignallingPath(subject="chan_sip tcp listener", source=tcp_on.source, section="[general]",
                             plaintext=True, loopback=is_loopback(tcp_addr),
                             setting=f"tcpenable is on: chan_sip listens on TCP {tcp_addr}")
    tls_on = bool(general and ast_true(general.get("tlsenable") or general.get("sslenable")))
    default_transport = (general.get("transport") if general else None) or "udp"
    for peer in facts.of_kind("sip.peer"):
        allowed = [t.strip().lower() for t in (peer.get("transport") or default_transport).split(",")]
        ok = allowed == ["tls"] and tls_on
        setting = ("transport=tls" if ok else "tlsenable is off in [general]" if not tls_on
                   else f"transport={','.join(allowed)} admits plaintext")
        yield SignallingPath(subject=f"sip peer {peer.name}", source=peer.location("transport"),
                             section=f"[{peer.name}]", plaintext=not ok, setting=setting)


def chan_sip_media(facts: AsteriskFacts) -> Iterator[MediaPolicy]:
    """chan_sip reads encryption per peer only: encryption= in [general] is no peer default."""
    if not chan_sip_state(facts).loaded:
        return
    general = facts.first("sip.general")
    ignored = " (encryption in sip.conf [general] is not a peer default; chan_sip ignores it)" if (
        general is not None and general.get("encryption") is not None) else ""
    for peer in facts.of_kind("sip.peer"):
        value = peer.get("encryption")
        on = ast_true(value)
        yield MediaPolicy(subject=f"sip peer {peer.name}", source=peer.location("encryption"), section=f"[{peer.name}]",
                          encrypted=on, setting="encryption=yes" if on else f"encryption={value or 'no (default)'}{ignored}")


# -- fixes --------------------------------------------------------------------------------------------

def transport_fix(rec: SignallingPath) -> list[str]:
    return [rec.section, "protocol=tls", "bind=0.0.0.0:5061", "method=tlsv1_2"]


def trunk_fix(rec: SignallingPath) -> list[str]:
    if rec.subject.startswith("registration "):
        return [rec.section, "transport=<tls transport>", "server_uri=sip:<carrier>:5061;transport=tls"]
    return [rec.section, "transport=<tls transport>", "media_encryption=sdes"]


def chan_sip_tls_fix(rec: SignallingPath) -> list[str]:
    if rec.subject == "chan_sip udp listener":
        return [rec.section, "udpbindaddr=127.0.0.1"]
    if rec.subject == "chan_sip tcp listener":
        return [rec.section, "tcpenable=no"]
    return [rec.section, "transport=tls"]


def srtp_fix(rec: MediaPolicy) -> list[str]:
    return [rec.section, "media_encryption=sdes"]


def optimistic_fix(rec: MediaPolicy) -> list[str]:
    return [rec.section, "media_encryption_optimistic=no"]


def sdes_fix(rec: KeyExchange) -> list[str]:
    return [rec.section, "transport=<tls transport>"]


def chan_sip_srtp_fix(rec: MediaPolicy) -> list[str]:
    return [rec.section, "encryption=yes"]


def transport_change(rec: SignallingPath) -> list[Change]:
    return [note("pjsip.conf", rec.section.strip("[]"), f"{rec.subject}: make it protocol=tls with this PBX's "
                                                        "certificate, or bind it to 127.0.0.1, here")]


def trunk_change(rec: SignallingPath) -> list[Change]:
    return [note("pjsip.conf", rec.section.strip("[]"), f"{rec.subject}: move it to the carrier's TLS service here "
                                                        "(transport= a TLS transport, port 5061)")]


def chan_sip_tls_change(rec: SignallingPath) -> list[Change]:
    return [note("sip.conf", rec.section.strip("[]"), f"{rec.subject}: unload chan_sip, or move it to TLS here "
                                                      "(tlsenable, tlscertfile, transport=tls)")]


def srtp_change(rec: MediaPolicy, params: Params, facts: AsteriskFacts) -> list[Change]:
    """SDES only where the endpoint can use nothing but TLS transports (else its key travels in clear,
    a new finding); which TLS transport to pin it to is a person's choice."""
    name = rec.section.strip("[]")
    ep = facts.named("pjsip.endpoint", name)
    usable = endpoint_transports(facts, ep) if ep is not None else []
    if usable and all(_protocol(t) in ENCRYPTED_SIGNALLING for t in usable):
        return [set_("pjsip.conf", name, "media_encryption", "sdes", "pjsip.endpoint")]
    return [note("pjsip.conf", name, f"{rec.subject}: pin it to a TLS transport, then set media_encryption=sdes here")]


def optimistic_change(rec: MediaPolicy) -> list[Change]:
    return [set_("pjsip.conf", rec.section.strip("[]"), "media_encryption_optimistic", "no", "pjsip.endpoint")]


def sdes_change(rec: KeyExchange) -> list[Change]:
    return [note("pjsip.conf", rec.section.strip("[]"), f"{rec.subject}: pin it to a TLS transport here (transport=)")]


def chan_sip_srtp_change(rec: MediaPolicy) -> list[Change]:
    return [note("sip.conf", rec.section.strip("[]"), f"{rec.subject}: set encryption=yes once it uses transport=tls")]


BINDINGS = (
    Binding("ENC-SIG-101", "asterisk", pjsip_transports, TRANSPORT_SOURCES, "AST-TLS-101", TLS_REMEDIATION,
            transport_fix, "no pjsip transports defined", change=transport_change),
    Binding("ENC-SIG-101", "asterisk", pjsip_trunks, PJSIP_SOURCES, "AST-TLS-105", TRUNK_REMEDIATION, trunk_fix,
            "no trunks (registrations or identify-matched endpoints)", change=trunk_change),
    Binding("ENC-SIG-101", "asterisk", chan_sip_signalling, PEER_SOURCES, "AST-SIP-101", CHAN_SIP_TLS_REMEDIATION,
            chan_sip_tls_fix, CHAN_SIP_OFF, change=chan_sip_tls_change),
    Binding("ENC-MEDIA-101", "asterisk", endpoint_media, PJSIP_SOURCES, "AST-SRTP-101", SRTP_REMEDIATION, srtp_fix,
            "no pjsip endpoints defined", change=srtp_change),
    Binding("ENC-MEDIA-102", "asterisk", srtp_endpoints, PJSIP_SOURCES, "AST-SRTP-102", OPTIMISTIC_REMEDIATION,
            optimistic_fix, "no endpoint uses SRTP", change=optimistic_change),
    Binding("ENC-MEDIA-103", "asterisk", sdes_keys, PJSIP_SOURCES, "AST-SRTP-103", SDES_REMEDIATION, sdes_fix,
            "no endpoint uses SDES", change=sdes_change),
    Binding("ENC-MEDIA-101", "asterisk", chan_sip_media, PEER_SOURCES, "AST-SIP-102", CHAN_SIP_SRTP_REMEDIATION,
            chan_sip_srtp_fix, "chan_sip is not loaded, or has no peers", change=chan_sip_srtp_change),
)
