"""mod_sofia profiles and directory users as signalling and media records.

A sofia profile answers plain SIP on its sip-port unless ``tls=true`` and ``tls-only=true``
(both default to false), except when it is bound (``sip-ip``) to loopback. A call's media is SRTP
only when ``rtp_secure_media`` (or ``rtp_secure_media_inbound``) is mandatory/true; ``optional``
offers SRTP and falls back to plain RTP. A value set in the dialplan applies per call, under
conditions the audit does not evaluate.
"""
from __future__ import annotations

import re
from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.common import is_loopback
from voxaudit.platforms.freeswitch.common import (
    HOST_ADDRESS_VARIABLES,
    fs_true,
    module_loaded,
    profile_label,
    runtime_reason,
    runtime_var,
    websocket_binding,
)
from voxaudit.records.transport import MediaPolicy, SignallingPath

REQUIRED = {"mandatory", "true"}
OFFERED = {"optional"}

TLS_REMEDIATION = {
    "freeswitch": "In the profile (sip_profiles/<name>.xml): tls=true and tls-only=true (in vanilla configs set "
                  "internal_ssl_enable / external_ssl_enable=true in vars.xml), with a certificate in "
                  "$${base_dir}/conf/tls (agent.pem, cafile.pem).",
    "fusionpbx": "Advanced > SIP Profiles > (profile): tls = true, tls-only = true; reload the profile.",
}
SRTP_REMEDIATION = {
    "freeswitch": "Add <variable name=\"rtp_secure_media\" value=\"mandatory\"/> to the domain's or user's "
                  "<variables> in the directory (or set it in the dialplan before bridge).",
    "fusionpbx": "Accounts > Extensions > (extension) > Advanced: add variable rtp_secure_media=mandatory, or "
                 "Dialplan > Global variables.",
}


def plain_websocket(p: ConfigObject) -> tuple[str, str] | None:
    """The profile's ws-binding (SIP over WebSocket without TLS, transport=ws) when it is reachable beyond
    loopback: sofia.c adds it whatever tls-only says."""
    ws = websocket_binding(p, "ws-binding")
    return None if ws is None or is_loopback(ws[1]) else ws


def profile_signalling(facts: FreeSwitchFacts) -> Iterator[SignallingPath]:
    for p in facts.of_kind("sofia.profile"):
        subject, ip = profile_label(p), p.get("sip-ip")
        ws = plain_websocket(p)
        if ws is not None and (is_loopback(ip) or (fs_true(p.get("tls")) and fs_true(p.get("tls-only")))):
            hidden = runtime_reason(p, "ws-binding") if runtime_var(ws[1]) not in HOST_ADDRESS_VARIABLES else None
            if hidden is not None:
                yield SignallingPath(subject=subject, source=hidden[1], section=subject, plaintext=True, setting="",
                                     undecidable=hidden[0])
            else:
                yield SignallingPath(subject=subject, source=p.location("ws-binding"), section=subject, plaintext=True,
                                     setting=f"ws-binding={ws[0]}: plaintext SIP over WebSocket (transport=ws), "
                                             "whatever tls-only says")
            continue
        if is_loopback(ip):
            yield SignallingPath(subject=subject, source=p.location("sip-ip"), section=subject, plaintext=True,
                                 loopback=True, setting=f"profile bound to {ip}")
            continue
        hidden = runtime_reason(p, "tls", "tls-only")
        if hidden is not None:
            yield SignallingPath(subject=subject, source=hidden[1], section=subject, plaintext=True, setting="",
                                 undecidable=hidden[0])
        elif not fs_true(p.get("tls")):
            yield SignallingPath(subject=subject, source=p.location("tls"), section=subject, plaintext=True,
                                 setting=f"tls={p.get('tls') or 'unset'}: SIP only in plaintext")
        elif not fs_true(p.get("tls-only")):
            yield SignallingPath(subject=subject, source=p.location("tls-only"), section=subject, plaintext=True,
                                 setting="tls=true but tls-only=false: plaintext SIP still accepted")
        else:
            yield SignallingPath(subject=subject, source=p.location("tls-only"), section=subject, plaintext=False,
                                 setting="tls=true, tls-only=true")


VERTO_NOT_COLLECTED = "modules.conf.xml was not collected: whether mod_verto is loaded is unknown"


def verto_signalling(facts: FreeSwitchFacts) -> Iterator[SignallingPath]:
    """mod_verto's WebSocket listeners (verto.conf.xml bind-local): call signalling and the users' logins
    (JSON-RPC ``login`` carries the password) travel in clear unless the listener is ``secure="true"``
    (WSS), whatever the sofia profiles say. Nothing counts when mod_verto is not loaded."""
    loaded = module_loaded(facts, "mod_verto")
    if loaded is False:
        return
    for o in facts.of_kind("verto.listen"):
        subject, address = f"verto {o.name}", o.get("address") or ""
        host_address = runtime_var(address) in HOST_ADDRESS_VARIABLES  # the host's own address: never loopback
        hidden = None if host_address else runtime_reason(o, "address")
        if loaded is None:
            yield SignallingPath(subject=subject, source=o.source, section=subject, plaintext=True, setting="",
                                 undecidable=VERTO_NOT_COLLECTED)
        elif o.get("secure") == "yes":
            yield SignallingPath(subject=subject, source=o.location("secure"), section=subject, plaintext=False,
                                 setting='bind-local secure="true": WSS')
        elif hidden is not None:
            yield SignallingPath(subject=subject, source=hidden[1], section=subject, plaintext=True, setting="",
                                 undecidable=hidden[0])
        elif is_loopback(address):
            yield SignallingPath(subject=subject, source=o.location("address"), section=subject, plaintext=True,
                                 loopback=True, setting=f"verto listener bound to {address}")
        else:
            yield SignallingPath(subject=subject, source=o.location("address"), section=subject, plaintext=True,
                                 setting=f"bind-local {address or '(any)'}:{o.get('port')} without secure=\"true\": "
                                         "verto logins and call signalling over plain WebSocket")


def verto_fix(rec: SignallingPath) -> list[str]:
    return ['<param name="bind-local" value="$${local_ip_v4}:8082" secure="true"/>',
            "<!-- and remove the bind-local without secure=\"true\" -->"]


VERTO_REMEDIATION = {
    "freeswitch": "In autoload_configs/verto.conf.xml keep only bind-local params with secure=\"true\" (WSS, with "
                  "secure-combined/secure-chain certificates), or unload mod_verto if no browser client uses it.",
    "fusionpbx": "Advanced > Modules: stop mod_verto if unused; otherwise edit verto.conf.xml so that every "
                 "bind-local has secure=\"true\".",
}


# The caller's offer already carries SRTP keys: the vanilla dialplan's ${rtp_has_crypto} test (set by
# sofia from the SDP's a=crypto), or a match of crypto suite names in the received SDP.
_OFFER_HAS_CRYPTO = re.compile(r"aes_cm|aead_aes|crypto|rtp_sdes_suites", re.IGNORECASE)


def _opportunistic(d: ConfigObject) -> bool:
    """A dialplan set that applies only when the caller already offered SRTP (the vanilla
    default.xml's "global" extension): it keeps SRTP for such callers but never makes it required of
    the others, so it does not change what the directory says about a user's media."""
    if (d.get("branch") or "action") != "action":
        return False
    field = (d.get("condition-field") or "").strip().lower()
    if field == "${rtp_has_crypto}":
        return True
    return field == "${switch_r_sdp}" and bool(_OFFER_HAS_CRYPTO.search(d.get("condition-expression") or ""))


def user_media(facts: FreeSwitchFacts) -> Iterator[MediaPolicy]:
    dialplan = [d for d in facts.of_kind("dialplan.set")
                if (d.get("value") or "").split(":")[0].strip().lower() in REQUIRED and not _opportunistic(d)]
    for u in facts.of_kind("directory.user"):
        key = "rtp_secure_media" if u.get("rtp_secure_media") else "rtp_secure_media_inbound"
        mode = (u.get(key) or "").split(":")[0].strip().lower()
        subject, section = f"user {u.name}", f"directory user {u.name}"
        hidden = runtime_reason(u, key)
        if hidden is not None:
            yield MediaPolicy(subject=subject, source=hidden[1], section=section, encrypted=False, setting="",
                              undecidable=hidden[0])
        elif mode in REQUIRED:
            yield MediaPolicy(subject=subject, source=u.location("rtp_secure_media"), section=section, encrypted=True,
                              setting=f"rtp_secure_media={mode}")
        elif dialplan:
            d = dialplan[0]
            yield MediaPolicy(subject=subject, source=d.source, section=section, encrypted=False, setting="",
                              undecidable=f"rtp_secure_media={mode or 'unset'} in the directory; the dialplan sets it "
                                          f"to {d.get('value')} at {d.source.file}:{d.source.line} under conditions "
                                          "the audit does not evaluate")
        else:
            yield MediaPolicy(subject=subject, source=u.location("rtp_secure_media"), section=section,
                              encrypted=mode in OFFERED, fallback=mode in OFFERED,
                              setting=f"rtp_secure_media={mode}" if mode
                              else "rtp_secure_media not set in the directory (plain RTP accepted)")


def tls_fix(rec: SignallingPath) -> list[str]:
    if rec.setting.startswith("ws-binding="):
        return ["<!-- remove the ws-binding param; browsers use wss-binding -->"]
    if "tls=true" in rec.setting:
        return ['<param name="tls-only" value="true"/>']
    return ['<param name="tls" value="true"/>', '<param name="tls-only" value="true"/>']


def srtp_fix(rec: MediaPolicy) -> list[str]:
    return ['<variable name="rtp_secure_media" value="mandatory"/>']


BINDINGS = (
    Binding("ENC-SIG-101", "freeswitch", profile_signalling, ("sofia",), "FS-TLS-101", TLS_REMEDIATION, tls_fix,
            "no sofia profiles"),
    Binding("ENC-SIG-101", "freeswitch", verto_signalling, ("sofia",), remediation=VERTO_REMEDIATION, fix=verto_fix,
            none="no verto listeners"),
    Binding("ENC-MEDIA-101", "freeswitch", user_media, ("directory",), "FS-SRTP-101", SRTP_REMEDIATION, srtp_fix,
            "no directory users"),
    Binding("ENC-MEDIA-102", "freeswitch", user_media, ("directory",), "FS-SRTP-101", SRTP_REMEDIATION, srtp_fix,
            "no directory users"),
)
