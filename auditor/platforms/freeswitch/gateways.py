"""mod_sofia gateways (carrier trunks) as signalling records (ENC-SIG-101): how FreeSWITCH registers to and
calls a carrier, judged like an Asterisk trunk registration, apart from the profile's own listener.

Read as sofia.c ``parse_gateways`` and mod_sofia.c build them: ``register-transport`` (default udp;
``sofia_glue_str2transport``: udp, tcp, sctp, tls, ws, wss; any other value, or a TLS one on a profile without
``tls=true``, makes sofia refuse the gateway: no signalling) is the transport of the gateway's requests and of
the Contact it registers (``;transport=`` in it: the carrier's calls come back over that transport), and
mod_sofia refuses a call whose transport differs from it. The request URI is ``sip:`` + ``proxy`` (default the
``realm``, default the gateway's name); a ``;transport=`` written in ``proxy``, ``register-proxy`` or
``outbound-proxy`` is where sofia-sip sends those requests. So the trunk is encrypted only when
register-transport is tls (or wss) and no proxy names a plaintext transport; loopback when every host it
sends to is this one. A value taken from the running host (``$${var}``) is ERROR, never a guess.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.asterisk.recipients import uri_host
from voxaudit.platforms.common import is_loopback
from voxaudit.platforms.freeswitch.common import fs_true, runtime_reason
from voxaudit.records.transport import SignallingPath
from voxaudit.remediation import Change, note, set_

SOFIA_TRANSPORTS = {"udp", "tcp", "sctp", "tls", "ws", "wss"}  # sofia_glue_str2transport()
ENCRYPTED = {"tls", "wss"}
PROXIES = ("register-proxy", "outbound-proxy")
MAX_VALUE = 1024  # longer values are not read as URIs (bounded work on hostile input)

REMEDIATION = {
    "freeswitch": "Register and call the carrier over TLS: in the gateway (sip_profiles/external/<gateway>.xml) set "
                  "<param name=\"register-transport\" value=\"tls\"/> and <param name=\"proxy\" "
                  "value=\"<carrier>:5061;transport=tls\"/> (no transport=udp/tcp in proxy, register-proxy or "
                  "outbound-proxy), on a profile with tls=true; if the carrier offers no TLS, record that in the "
                  "risk analysis and choose one that does.",
    "fusionpbx": "Accounts > Gateways > (gateway): Register Transport = tls, Proxy = <carrier>:5061 (Advanced: no "
                 "transport=udp/tcp in Register Proxy / Outbound Proxy); the gateway's SIP profile needs TLS enabled "
                 "(Advanced > SIP Profiles > external: tls = true).",
}


def _transport_param(value: str) -> str:
    """The ``transport`` URI parameter of a proxy value ("tls" for a ``sips:`` URI without one); ""."""
    text = value.strip()[:MAX_VALUE]
    head, _, params = text.partition(";")
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "transport":
            return val.strip().lower().rstrip(">")
    return "tls" if head.lower().startswith("sips:") else ""


def _proxy(gw: ConfigObject) -> tuple[str, str]:
    """(the value the gateway sends to, the param it comes from): proxy, else realm, else its name."""
    for key in ("proxy", "realm"):
        value = gw.get(key)
        if value:
            return value, key
    return gw.name, "name"


def _profile_tls(facts: FreeSwitchFacts, gw: ConfigObject) -> Optional[bool]:
    """Whether the gateway's profile has tls=true (None when the profile is not found or its tls is a variable)."""
    name = gw.get("profile") or ""
    prof = next((p for p in facts.of_kind("sofia.profile") if p.name == name), None)
    if prof is None or runtime_reason(prof, "tls") is not None:
        return None
    return fs_true(prof.get("tls"))


def loaded_gateways(facts: FreeSwitchFacts) -> Iterator[ConfigObject]:
    """The gateways sofia loads, or may load (a register-transport only the running host knows is kept: never a
    gateway dropped on a guess). Shared by ENC-SIG-101 and BAA-101, so both read one set of trunks."""
    seen: set[str] = set()
    for gw in facts.of_kind("sofia.gateway"):
        if gw.name in seen:
            continue  # sofia.c: gateway names are global (sofia_reg_find_gateway): "Ignoring duplicate gateway"
        seen.add(gw.name)
        if runtime_reason(gw, "register-transport") is None:
            transport = (gw.get("register-transport") or "udp").strip().lower()
            if transport not in SOFIA_TRANSPORTS:
                continue  # sofia.c: "unsupported transport": the gateway is not loaded, it signals nothing
            if transport in ENCRYPTED and _profile_tls(facts, gw) is False:
                continue  # a TLS transport on a profile without tls=true: refused the same way
        yield gw


def gateway_signalling(facts: FreeSwitchFacts) -> Iterator[SignallingPath]:
    for gw in loaded_gateways(facts):
        subject = f"gateway {gw.name}"
        hidden = runtime_reason(gw, "register-transport", "proxy", "realm", *PROXIES)
        if hidden is not None:
            yield SignallingPath(subject=subject, source=hidden[1], section=gw.name, plaintext=True, setting="",
                                 undecidable=hidden[0])
            continue
        transport = (gw.get("register-transport") or "udp").strip().lower()
        target, key = _proxy(gw)
        values = [(key, target)] + [(k, gw.get(k) or "") for k in PROXIES if gw.get(k)]
        plain = [(k, t) for k, t in ((k, _transport_param(v)) for k, v in values) if t and t not in ENCRYPTED]
        hosts = [uri_host(v) for _, v in values]
        loopback = all(h and is_loopback(h) for h in hosts)
        where = "register-transport" if gw.get("register-transport") is not None else key
        if transport not in ENCRYPTED:
            setting = (f"register-transport={gw.get('register-transport') or 'unset (udp)'}: the gateway registers "
                       f"and calls {hosts[0]} over {transport.upper()}, unencrypted")
            yield SignallingPath(subject=subject, source=gw.location(where), section=gw.name,
                                 plaintext=True, loopback=loopback, address=hosts[0], setting=setting)
        elif plain:
            k, t = plain[0]
            yield SignallingPath(subject=subject, source=gw.location(k), section=gw.name,
                                 plaintext=True, loopback=loopback, address=hosts[0],
                                 setting=f"register-transport={transport} but {k} names transport={t}: requests "
                                         f"to {hosts[0]} go over {t.upper()}, unencrypted")
        else:
            yield SignallingPath(subject=subject, source=gw.location(where), section=gw.name,
                                 plaintext=False, loopback=loopback, address=hosts[0],
                                 setting=f"register-transport={transport}: the gateway signals {hosts[0]} over TLS")


def gateway_fix(rec: SignallingPath) -> list[str]:
    return ['<param name="register-transport" value="tls"/>',
            f'<param name="proxy" value="{rec.address or "<carrier>"}:5061;transport=tls"/>']


def gateway_change(rec: SignallingPath, params: object, facts: FreeSwitchFacts) -> list[Change]:
    """register-transport written on the gateway: its value is replaced (a proxy without a transport parameter is
    then resolved for TLS, sips SRV or port 5061); otherwise, or when a proxy names a plaintext transport, a note
    for a person (the proxy's value is theirs to rewrite)."""
    gw = facts.named("sofia.gateway", rec.section)
    if gw is not None and gw.get("register-transport") is not None and rec.setting.startswith("register-transport=") \
            and " but " not in rec.setting:
        return [set_("sofia", rec.section, "register-transport", "tls", "sofia.gateway")]
    return [note("sofia", rec.section, f"{rec.subject}: set register-transport=tls and proxy "
                                       "<carrier>:5061;transport=tls")]


BINDINGS = (
    Binding("ENC-SIG-101", "freeswitch", gateway_signalling, ("sofia",), remediation=REMEDIATION, fix=gateway_fix,
            none="no sofia gateway (carrier trunk)", change=gateway_change),
)
