"""What a scanner learns from the network: the banner a SIP service answers with, and which voice
services (SIP transports, TLS endpoints such as admin UIs) answer from where the scanner sits."""
from __future__ import annotations

from typing import Iterator, Union

from voxaudit.control import Binding
from voxaudit.facts.network import SipFacts, TlsEndpointFacts
from voxaudit.platforms.common import is_loopback
from voxaudit.records.access import AdminInterface, Banner, Reachability

# Inventory vantages (scanner_vantage) that are a data, guest or external network, not voice or management.
DATA_VANTAGES = {"data", "data-vlan", "guest", "guest-wifi", "workstations", "internet", "external"}
BANNER_REMEDIATION = {
    "sip": "Remove or genericise the Server and User-Agent headers.",
    "asterisk": "pjsip.conf [global]: user_agent=PBX (no version); sip.conf: useragent=PBX, sdpowner=PBX.",
    "kamailio": "server_signature=no and user_agent_header=\"User-Agent: SIP edge\" in kamailio.cfg.",
    "freeswitch": "sofia profile: user-agent-string=PBX and username=PBX.",
}
SEGMENTATION_REMEDIATION = {
    "sip": "Filter the data VLAN from the voice VLAN: allow only the specific softphone/app flows via an ACL "
           "or firewall rule to the SBC, deny the rest (see SEG-VLAN-105 for switch ACLs).",
    "tls": "Reach admin UIs only from a management VLAN or VPN; deny them from the data VLAN at the firewall.",
    "asterisk": "Also bind pjsip transports and http.conf to the voice/management addresses only.",
    "kamailio": "Also listen= only on the voice VLAN address.",
    "freeswitch": "Also bind sofia profiles' sip-ip to the voice VLAN address.",
}
NO_VANTAGE = "the inventory does not say where the scanner sits (scanner_vantage)"


def sip_banners(facts: SipFacts) -> Iterator[Banner]:
    for t in facts.transports:
        if t.state == "answered":
            yield Banner(subject=f"sip {t.transport}/{t.port}", observed=True, header="Server/User-Agent",
                         text=(t.options.server if t.options else "") or "")


def reachability(facts: Union[SipFacts, TlsEndpointFacts]) -> Iterator[Reachability]:
    vantage = (facts.vantage or "").lower()
    if not vantage:
        return
    reached = [f"sip {t.transport}/{t.port}" for t in getattr(facts, "transports", []) if t.state == "answered"]
    reached += [f"tls {s.endpoint} ({s.purpose or 'tls'})" for s in facts.tls if s.completed]
    yield Reachability(subject=facts.address, observed=True, vantage=vantage, data_network=vantage in DATA_VANTAGES,
                       reached=tuple(reached))


# Greetings that prove a plaintext management protocol (the collector names them; the bytes are not kept).
PLAINTEXT_SERVICES = {"AMI", "event socket"}
ADMIN_REMEDIATION = {
    "sip": "Close the port to the scanner's network: bind the interface to 127.0.0.1 (manager.conf bindaddr, "
           "http.conf bindaddr, event_socket.conf.xml listen-ip) or filter it at the host firewall.",
}


def admin_ports(facts: SipFacts) -> Iterator[AdminInterface]:
    """The management ports the inventory listed, as the scanner found them: open with a plaintext
    greeting (AMI, event socket), open and silent (HTTP or HTTPS: a request would tell, a tls target
    does), or closed/filtered (no listener reachable from here)."""
    loopback = is_loopback(facts.address)
    for p in facts.admin_ports:
        subject = f"tcp/{p.port}"
        if p.state != "open":
            yield AdminInterface(subject=subject, observed=True, service=f"TCP port {p.port}", port=p.port,
                                 limit=f"{p.state} from the scanner")
            continue
        service = p.service if p.service in PLAINTEXT_SERVICES else f"TCP port {p.port} ({p.service})"
        yield AdminInterface(subject=subject, observed=True, service=service, listen=facts.address, port=p.port,
                             loopback=loopback, plaintext=p.service in PLAINTEXT_SERVICES,
                             undecidable="" if p.service in PLAINTEXT_SERVICES or loopback else (
                                 f"port {p.port} accepts connections but sent no greeting that names a plaintext "
                                 "protocol; scan it as a tls target to tell HTTP from HTTPS"))


def admin_fix(iface: AdminInterface) -> list[str]:
    return [f"port {iface.port}: bind the service to 127.0.0.1 or filter it from this network"]


def banner_fix(banner: Banner) -> list[str]:
    return ["remove the version from the Server header"]


def segmentation_fix(seen: Reachability) -> list[str]:
    return ["deny data-VLAN -> voice-VLAN traffic except the required flows"]


BINDINGS = (
    Binding("ACC-ADMIN-101", "sip", admin_ports, (), remediation=ADMIN_REMEDIATION, fix=admin_fix,
            none="no management port listed (admin_ports:)"),
    Binding("ACC-NET-103", "sip", sip_banners, ("sip",), "SIP-NET-102", BANNER_REMEDIATION, banner_fix,
            none="no SIP transport answered"),
    Binding("ACC-NET-104", "sip", reachability, (), "SIP-NET-107", SEGMENTATION_REMEDIATION, segmentation_fix,
            none=NO_VANTAGE),
    Binding("ACC-NET-104", "tls", reachability, (), "SIP-NET-107", SEGMENTATION_REMEDIATION, segmentation_fix,
            none=NO_VANTAGE),
)
