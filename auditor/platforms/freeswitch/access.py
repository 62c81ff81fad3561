"""mod_event_socket (autoload_configs/event_socket.conf.xml) as an administrative interface.

The event socket is always plaintext; it listens on ``listen-ip`` (127.0.0.1 when unset; the vanilla
file says '::', every interface) and ``apply-inbound-acl`` limits who may connect, unless the list lets
every address in (see ``acl_limits``). ``$${local_ip_v4}`` is the host's own address, never loopback.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.common import config_int, is_loopback
from voxaudit.platforms.freeswitch.common import HOST_ADDRESS_VARIABLES, acl_limits, runtime_reason, runtime_var
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


def esl_fix(iface: AdminInterface) -> list[str]:
    return ['<param name="listen-ip" value="127.0.0.1"/>', '<param name="apply-inbound-acl" value="loopback.auto"/>']


BINDINGS = (
    Binding("ACC-ADMIN-101", "freeswitch", event_socket, ("event_socket.conf.xml",), "FS-ESL-101", ESL_REMEDIATION,
            esl_fix, none="event socket not configured"),
)
