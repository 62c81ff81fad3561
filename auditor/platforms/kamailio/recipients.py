"""Where a Kamailio or OpenSIPS front end relays calls: the carriers and other SIP hosts it sends requests
to receive every call's numbers and names (BAA-101), and a relay over UDP or TCP carries them in clear
(ENC-SIG-101), as the Asterisk adapter judges a trunk's registration and endpoint.

Read as the servers read them:

* **dispatcher (Kamailio)**: without ``db_url`` the module loads ``list_file`` (default
  /etc/kamailio/dispatcher.list, looked up beside kamailio.cfg by its base name; dispatch.c ``ds_load_list``:
  ``setid uri [flags priority attrs]``, a URI without a scheme is taken as ``sip:``). Each destination is a
  recipient; its transport is the URI's ``transport`` parameter (``sips:`` is TLS, none is UDP:
  core resolution picks UDP). With ``db_url`` the destinations are in the database: ERROR.
  A destination's ``sockname``/``socket`` attribute (or the ``ds_default_sockname``/``ds_default_socket``
  parameter) is its send socket (pack_dest): it must be one of the listen lines (by ``name``; by
  proto, address or advertised address, and port, as grep_sock_info matches), else Kamailio drops the
  destination at load or refuses to start, or the socket is one the files do not show (an interface
  address, a socket block): ERROR. A send socket does not change the transport: tm sends over the URI's
  (uri2dst2), and core get_send_socket2 uses a forced socket of another protocol only to look for one of
  the URI's protocol on the same address and port, else any: ``socket=tls:...`` on a URI without
  ``;transport=tls`` still relays over UDP, and the finding says so.
* **carrierroute (Kamailio)** with ``config_source`` ``file`` (the default): each target of its
  ``config_file`` (carrierroute.conf; auditor/parsers/carrierroute.py) is a destination: cr_func.c
  rewrites the request URI to ``sip:<user>@<target host>``, so its transport is what the target host
  carries (``;transport=``), else UDP (a ``sips:`` request URI keeps ``sips:``, which the files do not
  show: never a PASS from it). A ``NULL`` target relays nothing. Its targets are recipients whatever their
  ``status`` (an RPC activates a target without a file change). With ``config_source`` ``db``: ERROR.
* **OpenSIPS 1.x dispatcher** with ``list_file`` (and no ``db_url``): the list file, read as its 1.x
  ds_load_list reads it (facts), judged as Kamailio's but without send sockets (1.x has none).
* **Database-backed routing**: Kamailio ``drouting``, ``lcr``, ``carrierroute`` with ``config_source``
  ``db``, ``uac`` with ``reg_db_url`` (registrations to remote registrars); OpenSIPS ``dispatcher``
  (from 1.8, or without ``list_file``), ``load_balancer``, ``drouting``, ``carrierroute`` and
  ``uac_registrant`` (all database-backed): loaded, their destinations are not in the files: ERROR
  naming the module.
* **Literal destinations in the routing**: ``$du``/``$ru`` set to a literal URI (or ``"sip:" + $rU +
  "@host"``), ``$rd`` / ``sethost()`` / ``rewritehost()`` to a literal host, ``seturi()``/``rewriteuri()``,
  ``forward*()``/``send*()`` (core: ``forward_tls`` is TLS, the others UDP/TCP), ``t_relay(host, port)``,
  ``t_relay_to_udp|tcp|tls()``, ``t_relay_to("proto:host:port")``, ``t_replicate*()``. A host set alone
  ($rd, sethost) keeps the request's own transport parameter: the host is a recipient, and where no ``$du``
  or dispatcher selection sets the next hop the transport is not in the files (ERROR). A destination
  computed from variables (a database lookup, location) is not a literal one and is not listed here, nor is
  a string with a ``$`` variable in it.
* A private address or a one-label name is the clinic's own PBX or media server behind the proxy: not a
  recipient (as an Asterisk static contact), but a relay to it over UDP/TCP is still plaintext signalling.
  Loopback is this host. A KEMI routing script (``cfgengine``) is not read: ERROR.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.kamailio import (
    CARRIERROUTE_CONF,
    DISPATCHER_LIST,
    LISTEN_RE,
    ROUTING,
    KamailioFacts,
    OpenSipsFacts,
)
from voxaudit.platforms.asterisk.recipients import RecipientSet, register_fix
from voxaudit.platforms.common import is_loopback
from voxaudit.platforms.kamailio.common import kemi_routing
from voxaudit.platforms.kamailio.hep import capture_host_ok, uri_parts
from voxaudit.records.recipients import PhiRecipient
from voxaudit.records.transport import SignallingPath
from voxaudit.remediation import Change, note

ROLE = "SIP destination (relayed calls)"
DS_ROLE = ROLE  # one party whether the list or the routing names it
ENCRYPTED = {"tls", "wss"}
KAMAILIO_SOURCES = ("kamailio.cfg", ROUTING, DISPATCHER_LIST, CARRIERROUTE_CONF)
OPENSIPS_SOURCES = ("kamailio.cfg", ROUTING, DISPATCHER_LIST)

# function -> the transport it always uses; "" for the URI's own (UDP when it names none); "?" when it sets
# the host alone (the request's own transport parameter stays). The destination is the first argument.
_CALLS: dict[str, str] = {
    "forward": "", "forward_udp": "udp", "forward_tcp": "tcp", "forward_tls": "tls", "forward_sctp": "sctp",
    "send": "", "send_tcp": "tcp", "t_relay": "", "t_relay_to_udp": "udp", "t_relay_to_tcp": "tcp",
    "t_relay_to_tls": "tls", "t_relay_to_sctp": "sctp", "t_relay_to": "", "t_replicate": "",
    "t_replicate_udp": "udp", "t_replicate_tcp": "tcp", "t_replicate_tls": "tls", "seturi": "", "rewriteuri": "",
    "sethost": "?", "rewritehost": "?", "sethostport": "?", "rewritehostport": "?",
}
HOST_ONLY = ("the host is set alone and no $du or dispatcher selection sets the next hop: the request keeps its "
             "own transport parameter, which the files do not show")
NOT_A_HOST = "the destination host written there is not a host name (not quoted: any value may be a secret)"
PROTOS = ("udp:", "tcp:", "tls:", "sctp:", "ws:", "wss:")

# Routing modules whose destinations live in a database: (module, parameter that must be set for it, or "")
KAMAILIO_DB_MODULES = (("drouting", ""), ("lcr", ""), ("uac", "reg_db_url"))
OPENSIPS_DB_MODULES = (("dispatcher", ""), ("load_balancer", ""), ("drouting", ""), ("carrierroute", ""),
                       ("uac_registrant", ""))

BAA_REMEDIATION = {
    "kamailio": "Sign a business associate agreement with each carrier or SIP provider the proxy relays calls to "
                "(dispatcher.list destinations, carrierroute.conf targets, $du/$ru and t_relay_to_*/forward "
                "targets in kamailio.cfg) and add "
                "it to the business_associates: register with its hosts, or stop relaying there.",
    "opensips": "Sign a business associate agreement with each carrier or SIP provider the proxy relays calls to "
                "($du/$ru and forward/t_relay targets in opensips.cfg, dispatcher/drouting/load_balancer rows in "
                "the database) and add it to the business_associates: register with its hosts.",
}
TLS_REMEDIATION = {
    "kamailio": "Relay to carriers over TLS: write each dispatcher.list destination as "
                "sip:<host>:5061;transport=tls (a socket=tls:<ip>:5061 attribute alone does not make it TLS), "
                "each carrierroute.conf target as <host>:5061;transport=tls, set $du = "
                "\"sip:<host>:5061;transport=tls\", use t_relay_to_tls()/forward_tls() instead of the _udp/_tcp "
                "forms, with enable_tls=yes and tls.so loaded; keep plain relays to 127.0.0.1 only.",
    "opensips": "Relay to carriers over TLS: load proto_tls (with tls_mgm client domains) and set $du = "
                "\"sip:<host>:5061;transport=tls\" (or the drouting/dispatcher destination with ;transport=tls); "
                "keep plain relays to 127.0.0.1 only.",
}


class _Dest:
    """One place requests are relayed to: where it is configured, the host, the transport, and why the files
    cannot settle the transport ("" when they can)."""

    def __init__(self, where: ConfigObject, how: str, value: str, role: str, transport: str = "",
                 undecidable: str = "") -> None:
        host, address, uri_transport = uri_parts(value)
        low = value.strip().strip('"').lower()
        for proto in PROTOS:  # "udp:host:port" (t_relay_to): the protocol first
            if low.startswith(proto):
                uri_transport = uri_transport or proto[:-1]
                host, address = uri_parts(value.strip().strip('"')[len(proto):])[:2]
                break
        if low.startswith("sips:") and not uri_transport:
            uri_transport = "tls"
        self.where, self.how, self.role, self.host, self.address = where, how, role, host, address
        if transport == "?":  # the host alone: only a transport written with it settles the transport
            self.transport = uri_transport
        else:
            self.transport = transport or uri_transport or "udp"
        self.undecidable = undecidable or ("" if self.transport else HOST_ONLY)
        self.note = ""  # said after the finding's setting (a send socket that does not apply)


def _db_reasons(facts: KamailioFacts) -> list[tuple[ConfigObject, str]]:
    """Loaded routing modules whose destinations are in a database (or a file the audit does not read)."""
    out: list[tuple[ConfigObject, str]] = []
    params = {o.name: o for o in facts.of_kind("kamailio.modparam")}
    opensips = isinstance(facts, OpenSipsFacts)
    for module, needs in (OPENSIPS_DB_MODULES if opensips else KAMAILIO_DB_MODULES):
        m = facts.named("kamailio.module", module)
        if m is None or (needs and f"{module}.{needs}" not in params):
            continue
        if module == "dispatcher" and "dispatcher.list_file" in params and "dispatcher.db_url" not in params:
            continue  # OpenSIPS 1.x reading its list file (the facts read it as dispatcher.list)
        what = "registrations (uac_reg)" if module == "uac" else "destinations"
        out.append((m, f"{module} is loaded and its {what} are rows of its database table, not in the "
                       "configuration files: the carriers it sends calls to are not known"))
    if not opensips:
        ds = facts.named("kamailio.module", "dispatcher")
        if ds is not None and "dispatcher.db_url" in params:
            out.append((params["dispatcher.db_url"], "dispatcher reads its destinations from its database "
                                                     "(db_url): the carriers it sends calls to are not known"))
        cr = facts.named("kamailio.module", "carrierroute")
        source = params.get("carrierroute.config_source")
        if cr is not None and source is not None and (source.get("value") or "").strip().strip('"') == "db":
            out.append((cr, "carrierroute reads its routes from its database (config_source db): the carriers "
                            "it sends calls to are not known"))  # "file": the facts read carrierroute.conf
    return out


def _computed(value: str) -> bool:
    """A string the routing fills from variables at run time ("sip:$rd", OpenSIPS format strings)."""
    return "$" in value


def _destinations(facts: KamailioFacts) -> list[_Dest]:
    out: list[_Dest] = []
    for c in facts.of_kind("kamailio.call"):
        transport = _CALLS.get(c.name)
        value = c.get("arg1") if transport is not None else None
        if transport is None or not value or _computed(value):
            continue
        if c.name == "t_relay" and (isinstance(facts, OpenSipsFacts) or not c.get("arg2")):
            continue  # OpenSIPS t_relay([flags]); Kamailio t_relay(host, port) only with both
        port = c.get("arg2") if c.name not in ("seturi", "rewriteuri", "t_relay_to", "t_replicate") else None
        if port and ":" not in value and config_port(port):
            value = f"{value}:{port}"
        out.append(_Dest(c, f"{facts.cfg_name} {c.name}()", value, ROLE, transport))
    for a in facts.of_kind("kamailio.assign"):
        value = a.get("value") or ""
        if value and not _computed(value.replace("sip:*@", "sip:@", 1)):
            out.append(_Dest(a, f"{facts.cfg_name} {a.name} =", value, ROLE, "?" if a.name == "$rd" else ""))
    listens = facts.of_kind("kamailio.listen")
    params = {o.name: o for o in facts.of_kind("kamailio.modparam")}
    default = {key: (params[f"dispatcher.ds_default_{key}"].get("value") or "").strip().strip('"')
               for key in ("sockname", "socket") if f"dispatcher.ds_default_{key}" in params}
    for d in facts.of_kind("kamailio.dispatcher"):
        how = f"dispatcher.list set {d.name}"
        dest = _Dest(d, how, d.get("uri") or "", DS_ROLE)
        if not isinstance(facts, OpenSipsFacts):  # OpenSIPS 1.x list lines carry no send socket
            own = {k: d.get(k) or "" for k in ("sockname", "socket")}
            dest.undecidable, dest.note = _send_socket(own if any(own.values()) else default, dest, listens)
        out.append(dest)
    for t in facts.of_kind("kamailio.carrierroute"):
        host = t.get("host") or ""
        if host:  # NULL: the prefix is blocked, nothing is relayed
            out.append(_Dest(t, f"{CARRIERROUTE_CONF} domain {t.get('domain')} prefix {t.get('prefix') or 'NULL'}",
                             "sip:" + host, ROLE))
    return out


WS_OVER_TLS = ("a WS destination sent through a TLS send socket: whether it leaves as WSS depends on the "
               "WebSocket connection, which the files do not show")
DEFAULT_PORTS = {"tls": "5061", "wss": "5061"}  # else 5060 (core: SIPS_PORT for TLS, SIP_PORT otherwise)
SOCKET_UNKNOWN = ("its send socket ({what}) is none of the listen lines of kamailio.cfg: Kamailio drops such a "
                  "destination when it loads the list (or refuses to start), unless the socket is one the files do "
                  "not show (an interface address, a socket block); how it is relayed is not known")


def _send_socket(spec: dict[str, str], dest: _Dest, listens: list[ConfigObject]) -> tuple[str, str]:
    """(undecidable, note) for a dispatcher destination's send socket (pack_dest: ``sockname`` first, then
    ``socket``): ERROR when it is not a listen line; a note when it is one of another transport than the
    URI's, which Kamailio then does not use (get_send_socket2)."""
    if spec.get("sockname"):
        name = spec["sockname"].lower()
        match = next((x for x in listens if (x.get("sockname") or "").lower() == name), None)
        what = "sockname attribute"
    elif spec.get("socket"):
        written = spec["socket"].strip()
        m = LISTEN_RE.match(written)
        what = "socket attribute"
        # written as a listen line writes its address (placeholders a deployment fills in alike included)
        match = next((x for x in listens if x.name.split()[0].lower() == written.lower()), None)
        if match is None and m and m.end() == len(written) and m.group("addr"):
            proto, host, port = (m.group("proto") or "").lower(), m.group("addr").strip("[]").lower(), \
                m.group("port") or ""
            for x in listens:
                own = x.get("proto") or "udp"
                if proto and own != proto:
                    continue
                adv = LISTEN_RE.match(x.get("advertise") or "")
                adv_host, adv_port = (adv.group("addr").strip("[]"), adv.group("port") or "") if adv else ("", "")
                if port and port not in {x.get("port") or DEFAULT_PORTS.get(own, "5060"), adv_port}:
                    continue
                if host in {(x.get("address") or "").lower(), adv_host.lower()}:
                    match = x
                    break
    else:
        return dest.undecidable, ""
    if match is None:
        return SOCKET_UNKNOWN.format(what=what), ""
    proto = match.get("proto") or "udp"
    if proto == dest.transport:
        return dest.undecidable, ""
    if proto == "tls" and dest.transport == "ws":  # get_send_socket2 keeps a TLS socket for WS: WSS or not is
        return WS_OVER_TLS, ""                    # the WebSocket connection's, which the files do not show
    return dest.undecidable, (f" (its {what} names a {proto.upper()} socket, which Kamailio does not use for a "
                              f"{(dest.transport or 'udp').upper()} destination: the URI's transport decides)")


def config_port(value: str) -> bool:
    return value.isdigit() and 0 < len(value) <= 5


def relay_recipients(facts: KamailioFacts) -> Iterator[PhiRecipient]:
    """Carriers and SIP hosts calls are relayed to: a recipient each, unless local or on the clinic's LAN."""
    kemi = kemi_routing(facts)
    if kemi:
        yield PhiRecipient(subject="SIP destinations of the KEMI routing", source=None, role=ROLE,
                           how=f"{facts.cfg_name} cfgengine",
                           undecidable=f"{kemi}: where it relays calls is not known")
    for where, reason in _db_reasons(facts):
        yield PhiRecipient(subject=f"SIP destinations of {where.name.partition('.')[0]}", source=where.source,
                           role=ROLE, how=f"{facts.cfg_name} {where.name.partition('.')[0]}", undecidable=reason)
    found = RecipientSet()
    junk: set[str] = set()
    for d in _destinations(facts):
        if capture_host_ok(d.host):
            found.add(d.role, d.host, d.how, d.where.location(), lan_is_local=True)
        elif d.host and d.how not in junk:  # a destination is written there, but not one the audit can name
            junk.add(d.how)
            yield PhiRecipient(subject=f"{d.role} at {d.how}", source=d.where.location(), role=d.role, how=d.how,
                               undecidable=NOT_A_HOST)
    yield from found.records()


def relay_paths(facts: KamailioFacts) -> Iterator[SignallingPath]:
    """Each literal relay destination as a signalling path: plaintext unless it is reached over TLS."""
    kemi = kemi_routing(facts)
    if kemi:
        yield SignallingPath(subject="SIP relays of the KEMI routing", source=None, section="cfgengine",
                             plaintext=True, setting="", undecidable=f"{kemi}: how it relays calls is not known")
    for where, reason in _db_reasons(facts):
        module = where.name.partition(".")[0]
        yield SignallingPath(subject=f"SIP relays of {module}", source=where.source, section=module, plaintext=True,
                             setting="", undecidable=reason.replace("the carriers it sends calls to are",
                                                                    "their transports are"))
    seen: set[str] = set()
    # a host set alone ($rd, sethost) decides where the request goes only when no next hop ($du, or a dispatcher
    # selection, which sets it) overrides the request URI; with one, the next hop's own record judges it
    next_hop = any(a.name == "$du" for a in facts.of_kind("kamailio.assign")) or any(
        c.name.startswith(("ds_select", "ds_next")) for c in facts.of_kind("kamailio.call"))
    for d in _destinations(facts):
        if d.undecidable == HOST_ONLY and next_hop:
            continue
        named = capture_host_ok(d.host)
        label = d.address if named else d.how
        subject = f"SIP relay to {label}" + (f" over {d.transport.upper()}" if d.transport else "")
        if subject in seen:
            continue
        seen.add(subject)
        encrypted = d.transport in ENCRYPTED
        setting = (f"{d.how} relays calls to {d.address} over {d.transport.upper()}"
                   f"{'' if encrypted else ', unencrypted'}{d.note}") if named else ""
        yield SignallingPath(subject=subject, source=d.where.location(), section=d.how, plaintext=not encrypted,
                             loopback=named and is_loopback(d.host), address=d.address if named else "",
                             setting=setting, undecidable=d.undecidable or ("" if named else NOT_A_HOST))


def kamailio_fix(path: SignallingPath) -> list[str]:
    host = path.address.rpartition(":")[0] if path.address.count(":") == 1 else path.address
    if path.section.startswith("dispatcher.list"):
        return [f"{path.section.rpartition(' ')[2]} sip:{host or '<carrier>'}:5061;transport=tls"]
    if path.section.startswith(CARRIERROUTE_CONF):
        return [f"target {host or '<carrier>'}:5061;transport=tls {{"]
    return [f'$du = "sip:{host or "<carrier>"}:5061;transport=tls";', "t_relay();"]


def opensips_fix(path: SignallingPath) -> list[str]:
    host = path.address.rpartition(":")[0] if path.address.count(":") == 1 else path.address
    return ['loadmodule "proto_tls.so"', f'$du = "sip:{host or "<carrier>"}:5061;transport=tls";', "t_relay();"]


def relay_change(path: SignallingPath, params: object, facts: KamailioFacts) -> list[Change]:
    """The Kamailio/OpenSIPS writers change tls.cfg lines only: a note before the line the finding names."""
    return [note(facts.cfg_name, "", f"{path.subject}: relay this destination over TLS "
                                     "(sip:<host>:5061;transport=tls, t_relay_to_tls/forward_tls)")]


def _none(what: str) -> str:
    return f"no {what} relays calls to a literal SIP destination, and no database-backed routing module is loaded"


BINDINGS = tuple(
    b for platform, fix, sources in (("kamailio", kamailio_fix, KAMAILIO_SOURCES),
                                     ("opensips", opensips_fix, OPENSIPS_SOURCES)) for b in (
        Binding("BAA-101", platform, relay_recipients, sources, remediation=BAA_REMEDIATION, fix=register_fix,
                none=_none("dispatcher list or routing block")),
        Binding("ENC-SIG-101", platform, relay_paths, sources, remediation=TLS_REMEDIATION, fix=fix,
                none=_none("routing block or dispatcher list"), change=relay_change),
    )
)
