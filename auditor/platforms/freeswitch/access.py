"""mod_event_socket (autoload_configs/event_socket.conf.xml) and mod_xml_rpc (xml_rpc.conf.xml) as
administrative interfaces.

The event socket is always plaintext; it listens on ``listen-ip`` (127.0.0.1 when unset; the vanilla
file says '::', every interface) and ``apply-inbound-acl`` limits who may connect, unless the list lets
every address in (see ``acl_limits``). ``$${local_ip_v4}`` is the host's own address, never loopback.

mod_xml_rpc serves the whole FreeSWITCH API over plain HTTP (abyss) on ``http-port`` (8080 when unset)
on every address: its do_config() has no bind address and no ACL, and no TLS. It only counts when
modules.conf.xml loads it; a tree without modules.conf.xml cannot say.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.common import config_int, is_loopback
from voxaudit.platforms.freeswitch.common import (
    HOST_ADDRESS_VARIABLES,
    acl_limits,
    loaded_unconfigured,
    module_loaded,
    runtime_reason,
    runtime_var,
    unconfigured_reason,
)
from voxaudit.records.access import AdminInterface

ESL_REMEDIATION = {
    "freeswitch": "In autoload_configs/event_socket.conf.xml set listen-ip=127.0.0.1 (or ::1) and "
                  "apply-inbound-acl=loopback.auto.",
    "fusionpbx": "Advanced > Settings > Event Socket: listen IP 127.0.0.1 (FusionPBX connects locally).",
}


ESL_PORT = 8021  # mod_event_socket's default listen-port


def _socket(ip: str, source: SourceRef, *, loopback: bool = False, limited: bool = False, limit: str = "",
            undecidable: str = "", port: int = ESL_PORT) -> AdminInterface:
    return AdminInterface(subject="event_socket", source=source, section="event_socket.conf.xml",
                          service="event socket", listen=ip, loopback=loopback, plaintext=not loopback,
                          limited=limited, limit=limit, undecidable=undecidable, port=port)


def event_socket(facts: FreeSwitchFacts) -> Iterator[AdminInterface]:
    s = facts.first("event_socket.settings")
    if s is None:
        # mod_event_socket's config(): without event_socket.conf it listens on 127.0.0.1:8021 (loopback.auto)
        load = loaded_unconfigured(facts, "mod_event_socket", "event_socket.settings")
        why = unconfigured_reason(facts, "mod_event_socket", "event_socket.conf.xml") if load is not None else None
        if load is not None and why is not None:
            yield _socket("127.0.0.1", load.source, undecidable=why)
        elif load is not None:
            yield _socket("127.0.0.1 (built-in default: no event_socket.conf)", load.source, loopback=True)
        return
    ip = s.get("listen-ip") or "127.0.0.1"
    port = config_int(s.get("listen-port")) or ESL_PORT
    acl = s.get("apply-inbound-acl")
    loopback = is_loopback(ip)
    host_address = runtime_var(ip) in HOST_ADDRESS_VARIABLES  # the host's own address: never loopback
    hidden = None if host_address else runtime_reason(s, "listen-ip")
    if hidden is None and not loopback:
        hidden = runtime_reason(s, "apply-inbound-acl")
    if hidden is not None:
        yield _socket(ip, hidden[1], undecidable=hidden[0], port=port)
    elif loopback:
        yield _socket(ip, s.location("listen-ip"), loopback=True, port=port)
    else:
        limited = acl_limits(facts, acl)
        limit = (f"apply-inbound-acl={acl}" if limited
                 else f"apply-inbound-acl={acl}, which lets every address in" if acl else "no inbound ACL")
        yield _socket(ip, s.location("apply-inbound-acl" if acl else "listen-ip"), limited=limited, limit=limit,
                      port=port)


XML_RPC_PORT = 8080  # mod_xml_rpc's do_config(): "if (!globals.port) globals.port = 8080"
XML_RPC_REMEDIATION = {
    "freeswitch": "Remove mod_xml_rpc from modules.conf.xml (use the event socket on loopback instead); it has "
                  "no bind address, ACL or TLS setting. If it must stay, firewall its http-port to the management "
                  "hosts.",
    "fusionpbx": "Advanced > Modules: stop and disable XML RPC (FusionPBX uses the event socket).",
}


def _xml_rpc(port: int, source: SourceRef, *, undecidable: str = "") -> AdminInterface:
    return AdminInterface(subject="xml_rpc", source=source, section="xml_rpc.conf.xml", service="mod_xml_rpc HTTP API",
                          listen=f"every address, port {port}", port=port, plaintext=not undecidable,
                          limit="" if undecidable else "no address limit (mod_xml_rpc has no bind address or ACL setting)",
                          undecidable=undecidable)


def xml_rpc(facts: FreeSwitchFacts) -> Iterator[AdminInterface]:
    s = facts.first("xml_rpc.settings")
    if s is None:
        return
    loaded = module_loaded(facts, "mod_xml_rpc")
    if loaded is False:
        return
    hidden = runtime_reason(s, "http-port")
    port = config_int(s.get("http-port")) or XML_RPC_PORT
    if loaded is None:
        yield _xml_rpc(port, s.source, undecidable="modules.conf.xml was not collected: whether mod_xml_rpc is "
                       "loaded is unknown")
    elif hidden is not None:
        yield _xml_rpc(port, hidden[1], undecidable=hidden[0])
    else:
        yield _xml_rpc(port, s.location("http-port"))


def xml_rpc_fix(iface: AdminInterface) -> list[str]:
    return ['<!-- <load module="mod_xml_rpc"/> -->']


def esl_fix(iface: AdminInterface) -> list[str]:
    return ['<param name="listen-ip" value="127.0.0.1"/>', '<param name="apply-inbound-acl" value="loopback.auto"/>']


BINDINGS = (
    Binding("ACC-ADMIN-101", "freeswitch", event_socket, ("event_socket.conf.xml",), "FS-ESL-101", ESL_REMEDIATION,
            esl_fix, none="event socket not configured"),
    Binding("ACC-ADMIN-101", "freeswitch", xml_rpc, ("xml_rpc.conf.xml",),
            remediation=XML_RPC_REMEDIATION, fix=xml_rpc_fix, none="mod_xml_rpc not configured or not loaded"),
)
