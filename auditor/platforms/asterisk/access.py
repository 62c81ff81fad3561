"""Asterisk's management interfaces (manager.conf AMI, http.conf, ari.conf) and who may reach them and
its pjsip endpoints, as records.

AMI listens on ``bindaddr`` (default 0.0.0.0) in clear whatever ``tlsenable`` says, when ``enabled`` is
true; with ``enabled=no`` its TLS server still starts on a ``tlsbindaddr`` (see tls_listeners.py), and its
users can log in there. The HTTP server, which carries ARI, listens in clear on ``bindaddr`` (no listener
when unset) next to its TLS one; ARI
is on by default once ari.conf has a [general]. A manager user's ``permit``/``deny`` limit where it logs in
from; a pjsip ACL, an endpoint's acl/permit/deny/contact ACL, or matching a trunk by IP limits an endpoint.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_sip import PJSIP_OBJECT_SOURCES
from voxaudit.facts.common import ConfigObject
from voxaudit.platforms.asterisk.common import yes
from voxaudit.platforms.asterisk.tls_listeners import ami_tls_listener
from voxaudit.platforms.common import config_int, is_loopback
from voxaudit.records.access import AddressLimit, AdminInterface
from voxaudit.remediation import Change, note, set_

ACL_KEYS = ("acl", "permit", "deny", "contact_acl", "contact_permit", "contact_deny")
OPEN_ACLS = {"0.0.0.0/0.0.0.0", "0.0.0.0/0", "::/0", "0.0.0.0"}

HTTP_REMEDIATION = {
    "asterisk": "In http.conf: bindaddr=127.0.0.1, tlsenable=yes, tlsbindaddr=0.0.0.0:8089, tlscertfile=..., "
                "tlsprivatekey=...",
    "freepbx": "Settings > Advanced Settings > Asterisk Builtin mini-HTTP server: HTTP Bind Address = 127.0.0.1, "
               "Enable TLS for the mini-HTTP Server = Yes, HTTPS Bind Port = 8089.",
}
ARI_REMEDIATION = {
    "asterisk": "Disable ARI (ari.conf [general] enabled=no) or serve it only over HTTPS with http.conf "
                "bindaddr=127.0.0.1 and tlsenable=yes.",
    "freepbx": "Settings > Advanced Settings > Asterisk REST Interface: Enable ARI = No unless a module needs it; "
               "otherwise restrict the mini-HTTP server to HTTPS.",
}
AMI_REMEDIATION = {
    "asterisk": "In manager.conf [general] set bindaddr=127.0.0.1; if remote AMI is needed use tlsenable=yes, "
                "tlsbindaddr=0.0.0.0:5039 and firewall it to the management host.",
    "freepbx": "Keep AMI on 127.0.0.1 (Settings > Advanced Settings > Asterisk Manager Host = localhost); "
               "FreePBX itself connects locally.",
}
AMI_ACL_REMEDIATION = {
    "asterisk": "For each manager user: deny=0.0.0.0/0.0.0.0 then permit=127.0.0.1/255.255.255.255 (and the "
                "management host).",
    "freepbx": "Settings > Asterisk Manager Users > (user): Deny 0.0.0.0/0.0.0.0, Permit 127.0.0.1/255.255.255.0.",
}
ENDPOINT_REMEDIATION = {
    "asterisk": "Add a pjsip ACL: [acl] type=acl deny=0.0.0.0/0.0.0.0 permit=<voice VLAN>/24 (applies to all), "
                "or per endpoint contact_deny=0.0.0.0/0.0.0.0 and contact_permit=<voice VLAN>/24.",
    "freepbx": "Applications > Extensions > (extension) > Advanced: Permit/Deny; or Connectivity > Firewall with "
               "the voice VLAN as a Trusted/Local zone.",
}


def http_general(facts: AsteriskFacts) -> Optional[ConfigObject]:
    """http.conf [general] when the HTTP server is enabled."""
    http = facts.first("http.general")
    return http if http is not None and yes(http.get("enabled")) else None


def ami_general(facts: AsteriskFacts) -> Optional[ConfigObject]:
    """manager.conf [general] when AMI listens at all: ``enabled``, or its TLS server alone."""
    general = facts.first("manager.general")
    if general is None:
        return None
    return general if yes(general.get("enabled")) or ami_tls_listener(facts) is not None else None


AMI_PORT, HTTP_PORT, HTTPS_PORT = 5038, 8088, 8089  # manager.c DEFAULT_MANAGER_PORT, http.c DEFAULT_PORT/_TLS_PORT


def _http_listener(http: ConfigObject, service: str, subject: str, obj: ConfigObject, key: str) -> AdminInterface:
    bind = http.get("bindaddr") or ""
    return AdminInterface(subject=subject, source=obj.location(key), section=subject, service=service, listen=bind,
                          loopback=bool(bind) and is_loopback(bind), plaintext=bool(bind) and not is_loopback(bind),
                          port=config_int(http.get("bindport")) or HTTP_PORT)


def http_server(facts: AsteriskFacts) -> Iterator[AdminInterface]:
    http = http_general(facts)
    if http is not None:
        yield _http_listener(http, "HTTP server", "http.conf [general]", http, "bindaddr")


def ari_interface(facts: AsteriskFacts) -> Iterator[AdminInterface]:
    ari = facts.first("ari.general")
    http = http_general(facts)
    if ari is not None and yes(ari.get("enabled") or "yes") and http is not None:
        yield _http_listener(http, "ARI", "ari.conf [general]", ari, "enabled")


def ami_interface(facts: AsteriskFacts) -> Iterator[AdminInterface]:
    general = ami_general(facts)
    if general is None:
        return
    if not yes(general.get("enabled")):  # the TLS server alone (enabled=no, tlsbindaddr): no plaintext listener
        yield AdminInterface(subject="manager.conf [general]", source=general.location("tlsbindaddr"),
                             section="manager.conf [general]", service="AMI over TLS only")
        return
    bind = general.get("bindaddr") or "0.0.0.0"
    yield AdminInterface(subject="manager.conf [general]", source=general.location("bindaddr"),
                         section="manager.conf [general]", service="AMI", listen=bind,
                         loopback=is_loopback(bind), plaintext=not is_loopback(bind),
                         port=config_int(general.get("port")) or AMI_PORT)


def _open_acl(value: str) -> bool:
    return value.replace(" ", "") in OPEN_ACLS


def ami_logins(facts: AsteriskFacts) -> Iterator[AddressLimit]:
    if ami_general(facts) is None:
        return
    for u in facts.of_kind("manager.user"):
        permits, denies = u.values("permit"), u.values("deny")
        res = f"manager user {u.name}"
        if not permits and not denies:
            yield AddressLimit(subject=res, source=u.source, section=f"manager.conf [{u.name}]", holder=u.name)
            continue
        limit = f"deny {', '.join(denies)}; permit {', '.join(permits) or '(none)'}"
        why = ("permit opens AMI to every address" if any(_open_acl(p) for p in permits)
               else "" if denies else "permit without a preceding deny does not restrict anything")
        yield AddressLimit(subject=res, source=u.location("permit"), section=f"manager.conf [{u.name}]",
                           holder=u.name, limit=limit, open=why)


def endpoint_limits(facts: AsteriskFacts) -> Iterator[AddressLimit]:
    global_acl = facts.of_kind("pjsip.acl")
    identified = {i.get("endpoint") for i in facts.of_kind("pjsip.identify")}
    for ep in facts.of_kind("pjsip.endpoint"):
        name = ep.name
        source, limit = ep.source, ""
        if global_acl:
            source, limit = global_acl[0].source, f"global pjsip ACL {global_acl[0].name} applies"
        elif name in identified and not ep.get("auth"):
            limit = "trunk matched by source IP (identify) with no inbound auth"
        else:
            for key in ACL_KEYS:  # the first ACL option set, each looked up once
                value = ep.get(key)
                if value:
                    source, limit = ep.location(key), f"{key}={value}"
                    break
        yield AddressLimit(subject=f"endpoint {name}", source=source, section=f"pjsip.conf [{name}]", holder=name,
                           limit=limit)


def http_fix(iface: AdminInterface) -> list[str]:
    return ["[general]", "bindaddr=127.0.0.1", "tlsenable=yes", "tlsbindaddr=0.0.0.0:8089"]


def ari_fix(iface: AdminInterface) -> list[str]:
    return ["; http.conf", "bindaddr=127.0.0.1", "tlsenable=yes"]


def ami_fix(iface: AdminInterface) -> list[str]:
    return ["[general]", "bindaddr=127.0.0.1"]


def ami_login_fix(lim: AddressLimit) -> list[str]:
    return [f"[{lim.holder}]", "deny=0.0.0.0/0.0.0.0", "permit=127.0.0.1/255.255.255.255"]


def endpoint_fix(lim: AddressLimit) -> list[str]:
    return [f"[{lim.holder}]", "contact_deny=0.0.0.0/0.0.0.0", "contact_permit=<voice VLAN>/255.255.255.0"]


def http_change(iface: AdminInterface) -> list[Change]:
    """HTTP and ARI both listen where http.conf binds: loopback ends the plaintext listener."""
    return [set_("http.conf", "general", "bindaddr", "127.0.0.1", "http.general")]


def ami_change(iface: AdminInterface) -> list[Change]:
    return [set_("manager.conf", "general", "bindaddr", "127.0.0.1", "manager.general")]


def ami_login_change(lim: AddressLimit) -> list[Change]:
    return [note("manager.conf", lim.holder, f"manager user {lim.holder}: add deny=0.0.0.0/0.0.0.0 and permit= the "
                                             "management hosts here")]


def endpoint_change(lim: AddressLimit) -> list[Change]:
    return [note("pjsip.conf", lim.holder, f"endpoint {lim.holder}: limit it to the voice VLAN here "
                                           "(contact_deny=0.0.0.0/0.0.0.0, contact_permit=<voice VLAN>)")]


BINDINGS = (
    Binding("ACC-ADMIN-101", "asterisk", ami_interface, ("manager.conf",), "AST-AMI-101", AMI_REMEDIATION, ami_fix,
            none="AMI disabled", change=ami_change),
    Binding("ACC-ADMIN-101", "asterisk", http_server, ("http.conf",), "AST-HTTP-101", HTTP_REMEDIATION, http_fix,
            none="HTTP server disabled", change=http_change),
    Binding("ACC-ADMIN-101", "asterisk", ari_interface, ("ari.conf", "http.conf"), "AST-ARI-101", ARI_REMEDIATION,
            ari_fix, none="ARI disabled or not configured, or the HTTP server is off", change=http_change),
    Binding("ACC-ADMIN-103", "asterisk", ami_logins, ("manager.conf",), "AST-AMI-103", AMI_ACL_REMEDIATION,
            ami_login_fix, none="AMI disabled or has no users", change=ami_login_change),
    Binding("ACC-NET-101", "asterisk", endpoint_limits, tuple(PJSIP_OBJECT_SOURCES), "AST-ACC-101",
            ENDPOINT_REMEDIATION, endpoint_fix, none="no pjsip endpoints defined", change=endpoint_change),
)
