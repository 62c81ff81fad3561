"""chan_sip (sip.conf, users.conf): the legacy channel driver, still on many clinic PBXes.

chan_sip runs when modules.conf loads it (main/loader.c) and sip.conf exists (its reload_config()
refuses to start without one). Once it runs, its [general] policy applies whether or not any peer is
defined: guests, username disclosure and its listening sockets are judged from [general] alone, with
chan_sip's own defaults where [general] is silent. Peers come from sip.conf and from users.conf users
with ``hassip`` (built as facts by auditor.facts.asterisk_sip).
"""
from __future__ import annotations

from dataclasses import dataclass

from auditor.check import check
from auditor.facts.asterisk_sip import ast_true
from auditor.facts.common import ConfigObject, Setting
from auditor.model import SourceRef
from checks.asterisk._common import PLATFORMS
from checks.common import SECRET_PARAM, is_loopback, judge_secrets

E1 = ["164.312(e)(1)", "164.312(e)(2)(ii)"]
# [general] policy depends on sip.conf and on modules.conf (does chan_sip load at all?); peers also on users.conf.
GENERAL_SOURCES = ["sip.conf", "modules.conf"]
PEER_SOURCES = ["sip.conf", "users.conf", "modules.conf"]
_AST_FALSE = {"no", "false", "n", "f", "0", "off"}  # main/utils.c ast_false()
_LOAD_KEYS = ("load", "require", "preload", "preload-require")


@dataclass
class ChanSip:
    """Whether chan_sip runs, why (for evidence), and the line that decided it."""

    loaded: bool
    why: str
    where: SourceRef | None = None


def _is_chan_sip(value: str) -> bool:
    """loader.c resource_name_match(): case-insensitive, with or without the ``.so`` suffix."""
    name = value.strip().lower()
    return (name.removesuffix(".so")) == "chan_sip"


def chan_sip_state(facts) -> ChanSip:
    """Read modules.conf the way loader_config_init() does: explicit load/require/preload entries,
    then every module in the directory when ``autoload`` is true, then ``noload`` removes a module
    from that list whichever way it got there."""
    if not facts.has_config("sip.conf"):
        return ChanSip(False, "no sip.conf: chan_sip does not start without it")
    if not facts.has_config("modules.conf"):
        return ChanSip(True, "sip.conf is present; modules.conf was not collected, so chan_sip is assumed loaded")
    mods = facts.first("modules.modules")
    if mods is None:
        return ChanSip(False, "modules.conf has no [modules] section: Asterisk loads no module from it")
    noload = next((s for s in mods.settings.get("noload", []) if _is_chan_sip(s.value)), None)
    if noload is not None:
        return ChanSip(False, "modules.conf: noload => chan_sip.so", noload.source)
    explicit = next((s for k in _LOAD_KEYS for s in mods.settings.get(k, []) if _is_chan_sip(s.value)), None)
    if explicit is not None:
        return ChanSip(True, "modules.conf loads chan_sip.so explicitly", explicit.source)
    if ast_true(mods.get("autoload")):
        return ChanSip(True, "modules.conf: autoload=yes and no noload => chan_sip.so", mods.location("autoload"))
    return ChanSip(False, "modules.conf neither autoloads nor loads chan_sip.so", mods.location("autoload"))


def _peers(facts) -> list[ConfigObject]:
    return facts.of_kind("sip.peer")


def _not_running(ctx, state: ChanSip):
    return ctx.not_applicable("sip.conf", f"chan_sip is not loaded ({state.why})", state.where)


def _last_of(obj: ConfigObject | None, keys: tuple[str, ...]) -> Setting | None:
    """The value Asterisk ends with when several option names set the same thing (bindaddr and
    udpbindaddr): the one written last. Facts keep order per option name only, so across names
    the later line wins (exact within one file, which is where both are written in practice)."""
    if obj is None:
        return None
    found = [s for k in keys for s in obj.settings.get(k, [])]
    return max(found, key=lambda s: s.line, default=None)


def _listeners(ctx, facts, state: ChanSip):
    """chan_sip always opens a UDP socket (udpbindaddr/bindaddr, default 0.0.0.0:5060) and, unless
    tcpenable is false, a TCP one on tcpbindaddr (default: the UDP address). Both are plaintext."""
    general = facts.first("sip.general")
    udp = _last_of(general, ("bindaddr", "udpbindaddr"))
    udp_addr = udp.value if udp is not None else "0.0.0.0"
    udp_where = udp.source if udp is not None else (general.source if general is not None else None)
    if is_loopback(udp_addr):
        yield ctx.passed("chan_sip udp listener", f"plaintext UDP bound to loopback {udp_addr}", udp_where)
    else:
        yield ctx.fail("chan_sip udp listener",
                       f"chan_sip listens for plaintext SIP on UDP {udp_addr}{'' if udp else ' (the default)'}",
                       udp_where, fix=["[general]", "udpbindaddr=127.0.0.1"])
    tcp_on = _last_of(general, ("tcpenable",))
    if tcp_on is not None and tcp_on.value.strip().lower() not in _AST_FALSE:  # enabled unless ast_false()
        tcp = _last_of(general, ("tcpbindaddr",))
        tcp_addr = tcp.value if tcp is not None else udp_addr
        if is_loopback(tcp_addr):
            yield ctx.passed("chan_sip tcp listener", f"plaintext TCP bound to loopback {tcp_addr}", tcp_on.source)
        else:
            yield ctx.fail("chan_sip tcp listener", f"tcpenable is on: plaintext SIP on TCP {tcp_addr}",
                           tcp_on.source, fix=["[general]", "tcpenable=no"])


@check(
    id="AST-SIP-101", title="chan_sip signals over TLS only (listeners and peers)", severity="high",
    hipaa=["164.312(e)(1)"], area="transport", platforms=PLATFORMS, sources=PEER_SOURCES,
    rationale="""Whenever chan_sip runs it listens for plaintext SIP on UDP (udpbindaddr, default
    0.0.0.0:5060) and, with tcpenable, on TCP, even with no peer defined: caller numbers and names,
    SDP with SDES keys and digest exchanges cross the network in clear, and guests and scanners reach
    it. Its default transport is UDP; a peer that allows udp or tcp signals in clear. Only TLS
    (tlsenable, transport=tls) protects signalling; plaintext sockets belong on loopback.""",
    remediation={
        "asterisk": "Prefer unloading chan_sip (noload => chan_sip.so; it was removed in Asterisk 21) and using "
                    "chan_pjsip with a TLS transport. Otherwise in sip.conf [general] set udpbindaddr=127.0.0.1, "
                    "tcpenable=no, tlsenable=yes, tlsbindaddr=0.0.0.0:5061, tlscertfile; on each peer transport=tls.",
        "freepbx": "Settings > Advanced Settings > SIP Channel Driver = chan_pjsip; or Settings > Asterisk SIP "
                   "Settings > Chan SIP Settings: bind chan_sip to 127.0.0.1, enable TLS, and set each extension's "
                   "Transport = TLS.",
    },
)
def chan_sip_tls(facts, ctx):
    state = chan_sip_state(facts)
    if not state.loaded:
        yield _not_running(ctx, state)
        return
    yield from _listeners(ctx, facts, state)
    general = facts.first("sip.general")
    tls_on = bool(general and ast_true(general.get("tlsenable") or general.get("sslenable")))
    default_transport = (general.get("transport") if general else None) or "udp"
    for peer in _peers(facts):
        transports = [t.strip().lower() for t in (peer.get("transport") or default_transport).split(",")]
        res = f"sip peer {peer.name}"
        if transports == ["tls"] and tls_on:
            yield ctx.passed(res, "transport=tls", peer.location("transport"))
        else:
            why = "tlsenable is off in [general]" if not tls_on else f"transport={','.join(transports)} admits plaintext"
            yield ctx.fail(res, why, peer.location("transport"), fix=[f"[{peer.name}]", "transport=tls"])


@check(
    id="AST-SIP-102", title="chan_sip peers require SRTP", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=PEER_SOURCES,
    rationale="""chan_sip sends plain RTP unless encryption=yes is set on the peer. chan_sip reads
    encryption per peer only: encryption=yes in sip.conf [general] changes nothing.""",
    remediation={
        "asterisk": "Set encryption=yes on each peer (with transport=tls so the SDES key is protected).",
        "freepbx": "Applications > Extensions > (chan_sip extension) > Advanced: Enable Encryption = Yes (SRTP only).",
    },
)
def chan_sip_srtp(facts, ctx):
    state = chan_sip_state(facts)
    if not state.loaded:
        yield _not_running(ctx, state)
        return
    if not _peers(facts):
        yield ctx.not_applicable("sip.conf", "chan_sip has no peers")
        return
    general = facts.first("sip.general")
    ignored = " (encryption in sip.conf [general] is not a peer default; chan_sip ignores it)" if (
        general is not None and general.get("encryption") is not None) else ""
    for peer in _peers(facts):
        value = peer.get("encryption")
        res = f"sip peer {peer.name}"
        if ast_true(value):
            yield ctx.passed(res, "encryption=yes", peer.location("encryption"))
        else:
            yield ctx.fail(res, f"encryption={value or 'no (default)'}: plain RTP{ignored}", peer.location("encryption"),
                           fix=[f"[{peer.name}]", "encryption=yes"])


@check(
    id="AST-SIP-103", title="chan_sip rejects guests and hides valid usernames", severity="high",
    hipaa=["164.312(d)", "164.312(a)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=GENERAL_SOURCES,
    rationale="""Whenever chan_sip runs, even with no peer at all, allowguest (default yes) sends
    unauthenticated INVITEs into the [general] context (default 'default'). With guests allowed,
    chan_sip also answers unknown users differently from known ones whatever alwaysauthreject says
    (chan_sip.c: 'If we allow guests, there is no way around that'); alwaysauthreject=no does the
    same with guests off. Either lets a scanner enumerate extensions before guessing passwords.""",
    remediation={
        "asterisk": "In sip.conf [general] set allowguest=no and alwaysauthreject=yes (or unload chan_sip: "
                    "noload => chan_sip.so in modules.conf).",
        "freepbx": "Settings > Asterisk SIP Settings > General SIP Settings: Allow Anonymous Inbound SIP Calls = No, "
                   "Allow SIP Guests = No; alwaysauthreject is set in sip_general_custom.conf.",
    },
)
def chan_sip_guests(facts, ctx):
    state = chan_sip_state(facts)
    if not state.loaded:
        yield _not_running(ctx, state)
        return
    general = facts.first("sip.general")
    allowguest = general.get("allowguest") if general else None
    authreject = general.get("alwaysauthreject") if general else None
    context = (general.get("context") if general else None) or "default"
    guests = allowguest is None or ast_true(allowguest)  # DEFAULT_ALLOWGUEST TRUE
    rejects = authreject is None or ast_true(authreject)  # DEFAULT_ALWAYSAUTHREJECT TRUE
    problems, fixes = [], ["[general]"]
    if guests:
        problems.append(f"allowguest is on{' (the default)' if allowguest is None else ''}: unauthenticated "
                        f"calls enter context '{context}' and valid usernames can be told from invalid ones")
        fixes.append("allowguest=no")
    if not rejects:
        problems.append("alwaysauthreject is off: failed authentication reveals valid usernames")
        fixes.append("alwaysauthreject=yes")
    where = general.location("allowguest" if guests else "alwaysauthreject") if general is not None else None
    if problems:
        yield ctx.fail("sip.conf [general]", "; ".join(problems), where, fix=fixes)
    else:
        yield ctx.passed("sip.conf [general]", "allowguest=no, alwaysauthreject on", where)


@check(
    id="AST-SIP-104", title="chan_sip peer secrets are strong and unique", severity="critical",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS, sources=PEER_SOURCES,
    params=[SECRET_PARAM],
    rationale="""A guessed SIP secret lets an attacker register as the extension: receive its
    calls, make toll fraud calls, and reach voicemail as that user.""",
    remediation={
        "asterisk": "Give each peer a random secret of at least 16 characters (e.g. `openssl rand -base64 18`).",
        "freepbx": "Applications > Extensions > (extension) > General: Secret; FreePBX generates strong ones by default.",
    },
)
def chan_sip_secrets(facts, ctx):
    state = chan_sip_state(facts)
    if not state.loaded:
        yield _not_running(ctx, state)
        return
    if not _peers(facts):
        yield ctx.not_applicable("sip.conf", "chan_sip has no peers")
        return
    yield from judge_secrets(ctx, _peers(facts), "secret", "sip peer", stored_hashed=lambda p: (
        "secret stored as md5secret; strength not assessable offline"
        if "md5secret" in p.secrets and "secret" not in p.secrets else None))
