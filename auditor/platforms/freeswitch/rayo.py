"""mod_rayo (rayo.conf.xml) as records: an XMPP server whose clients control calls (answer, dial, record,
join) and receive every offer with the caller's number. Its listeners are administrative interfaces
(ACC-ADMIN-101), its users' passwords and the domain's dialback shared secret account secrets
(AUTH-SECRET-101), the servers it connects out to PHI recipients (BAA-101).

Read as mod_rayo.c do_config() and xmpp_streams.c read it (freeswitch 07572484, the last commit before the
module left the tree; facts.freeswitch ``rayo`` says what is kept): a client (c2s) stream must STARTTLS
before SASL PLAIN only when the <domain> has both ``cert`` and ``key`` (xmpp_send_client_header_tls;
without them the stream goes straight to the login, in clear); server (s2s) streams are never offered
TLS. A listener's ``acl`` lets only that network list connect; ``port`` 0 or none is 5222 (c2s) or 5269
(s2s). Nothing here counts unless modules.conf.xml loads mod_rayo; without modules.conf.xml it may: ERROR.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.asterisk.recipients import RecipientSet, register_fix
from voxaudit.platforms.common import config_int, is_loopback
from voxaudit.platforms.freeswitch.authentication import secret_change, secret_record
from voxaudit.platforms.freeswitch.common import (
    HOST_ADDRESS_VARIABLES,
    acl_limits,
    module_loaded,
    runtime_reason,
    runtime_var,
)
from voxaudit.records.access import AdminInterface
from voxaudit.records.authentication import AccountSecret
from voxaudit.records.recipients import PhiRecipient

SOURCES = ("rayo.conf.xml",)
MODULE = "mod_rayo"
PORTS = {"c2s": 5222, "s2s": 5269}  # iksemel IKS_JABBER_PORT / IKS_JABBER_SERVER_PORT
NOT_COLLECTED = "modules.conf.xml was not collected: whether mod_rayo is loaded is unknown"
SERVICES = {"c2s": "mod_rayo XMPP call control (c2s)", "s2s": "mod_rayo XMPP server-to-server (s2s)"}


def _iface(o: ConfigObject, source: SourceRef, *, loopback: bool = False, plaintext: bool = False,
           limited: bool = False, limit: str = "", undecidable: str = "") -> AdminInterface:
    kind = o.get("type") or "c2s"
    port = config_int(o.get("port")) or PORTS.get(kind, 0)
    return AdminInterface(subject=f"rayo {o.name}", source=source, section="rayo.conf.xml",
                          service=SERVICES.get(kind, kind), listen=o.get("address") or "", port=port,
                          loopback=loopback, plaintext=plaintext, limited=limited, limit=limit,
                          undecidable=undecidable)


def listeners(facts: FreeSwitchFacts) -> Iterator[AdminInterface]:
    loaded = module_loaded(facts, MODULE)
    if loaded is False:
        return
    for o in facts.of_kind("rayo.listen"):
        address = o.get("address") or ""
        host_address = runtime_var(address) in HOST_ADDRESS_VARIABLES  # the host's own address: never loopback
        hidden = None if host_address else runtime_reason(o, "address")
        acl = o.get("acl") or ""
        loopback = not host_address and hidden is None and is_loopback(address)
        if hidden is None and not loopback and acl:
            hidden = runtime_reason(o, "acl")
        tls = o.get("tls") == "yes"
        if loaded is None:
            yield _iface(o, source=o.source, undecidable=NOT_COLLECTED)
        elif hidden is not None:
            yield _iface(o, source=hidden[1], undecidable=hidden[0])
        elif loopback:
            yield _iface(o, source=o.location("address"), loopback=True)
        else:
            limited = bool(acl) and acl_limits(facts, acl)
            limit = (f"acl={acl}" if limited else f"acl={acl}, which lets every address in" if acl
                     else "no acl")
            yield _iface(o, source=o.location("acl" if acl else "address"), plaintext=not tls, limited=limited,
                         limit=limit if not tls else "client streams must STARTTLS (the domain's cert and key)")


def secrets(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    """Each rayo user's password (SASL PLAIN), and the domain's shared-secret when it sets one (without one,
    server dialback does not work: nothing to judge)."""
    loaded = module_loaded(facts, MODULE)
    if loaded is False:
        return
    for o in [*facts.of_kind("rayo.domain"), *facts.of_kind("rayo.user")]:
        key = "shared-secret" if o.kind == "rayo.domain" else "password"
        subject = f"rayo domain {o.name} shared-secret" if key == "shared-secret" else f"rayo user {o.name}"
        hidden = runtime_reason(o, key)
        info = o.secrets.get(key)
        if key == "shared-secret" and hidden is None and (info is None or not info.present):
            continue
        if loaded is None:
            yield secret_record(o, key, subject, NOT_COLLECTED)
        elif hidden is not None:
            yield secret_record(o, key, subject, hidden[0], hidden[1])
        else:
            yield secret_record(o, key, subject)


ROLE = "XMPP server (mod_rayo outbound connection)"


def connections(facts: FreeSwitchFacts) -> Iterator[PhiRecipient]:
    """The servers mod_rayo connects out to (<connect address|domain>): they receive call offers and events."""
    if module_loaded(facts, MODULE) is False:
        return
    found = RecipientSet()
    for o in facts.of_kind("rayo.connect"):
        key = "address" if o.get("address") else "domain"
        found.add(ROLE, o.get(key) or "", f"rayo.conf.xml <connect> {key}", o.location(key))
    yield from found.records()


ADMIN_REMEDIATION = {
    "freeswitch": "Remove mod_rayo from modules.conf.xml unless a Rayo client needs it; if it does, listen on "
                  "127.0.0.1 (or limit each <listen> with acl= to the clients' addresses), and set the <domain>'s "
                  "cert and key so clients must use TLS.",
    "fusionpbx": "Advanced > Modules: stop and disable Rayo unless it is used; if it is, edit rayo.conf.xml as for "
                 "FreeSWITCH (listen on 127.0.0.1 or with an acl, cert and key set).",
}
SECRET_REMEDIATION = {
    "freeswitch": "Give each rayo.conf.xml <user> a random password of 16+ characters, and the <domain> a random "
                  "shared-secret.",
    "fusionpbx": "Edit rayo.conf.xml: a random 16+ character password for each <user> and a random shared-secret.",
}
BAA_REMEDIATION = {
    "freeswitch": "Sign a business associate agreement with the operator of each XMPP server rayo.conf.xml connects "
                  "to and add it to the business_associates: register, or remove the <connect>.",
    "fusionpbx": "Sign a BAA with the operator of each server rayo.conf.xml <connect> names, or remove it.",
}


def admin_fix(iface: AdminInterface) -> list[str]:
    return ['<listen type="c2s" port="5222" address="127.0.0.1" acl="loopback.auto"/>',
            '<domain name="..." shared-secret="<random>" cert="<cert.pem>" key="<key.pem>">']


def secret_fix(cred: AccountSecret) -> list[str]:
    if cred.subject.endswith("shared-secret"):
        return ['<domain name="..." shared-secret="<random, 16+ characters>">']
    return [f'<user name="{cred.account}" password="<random, 16+ characters>"/>']


BINDINGS = (
    Binding("ACC-ADMIN-101", "freeswitch", listeners, SOURCES, remediation=ADMIN_REMEDIATION, fix=admin_fix,
            none="mod_rayo not configured, not loaded, or with no listener"),
    Binding("AUTH-SECRET-101", "freeswitch", secrets, SOURCES, remediation=SECRET_REMEDIATION, fix=secret_fix,
            none="mod_rayo not configured, not loaded, or with no user", change=secret_change),
    Binding("BAA-101", "freeswitch", connections, SOURCES, remediation=BAA_REMEDIATION, fix=register_fix,
            none="mod_rayo connects out to no XMPP server"),
)
