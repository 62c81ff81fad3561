"""SNMP as the agent answers it, from the attempts the SNMP collector records.

Agents drop a wrong community without a word, so "no answer" is a refusal only because the
collector established that the agent is there (any answer, or a USM report to a made-up v3 user);
otherwise the target is an ERROR, and a credential reference that could not be resolved is an
ERROR (auth) before anything is sent. Factory-default communities are tried only on request
(``try_default_communities``); the inventory's communities and v3 users always are.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.network import SnmpAttempt, SnmpFacts
from voxaudit.records.secrets import SecretShape
from voxaudit.records.snmp import CleartextSnmp, SnmpCommunity, SnmpV3Security

SOURCES = ("snmp",)
FIX = {"snmp": "net-snmp: remove rocommunity/rwcommunity lines, createUser <u> SHA <auth> AES <priv> and "
               "rouser <u> priv; switches: see ACC-SNMP-101..103 for the vendor commands."}
DEFAULT = SecretShape(present=True, weakness="known-weak")


def _answered_by_credential(attempts: list[SnmpAttempt]) -> dict[str, list[str]]:
    """Community label -> the versions it was answered over (empty: tried, never answered)."""
    out: dict[str, list[str]] = {}
    for a in attempts:
        out.setdefault(a.credential, [])
        if a.answered:
            out[a.credential].append(a.version)
    return dict(sorted(out.items()))


def default_communities(facts: SnmpFacts) -> Iterator[SnmpCommunity]:
    tried = [a for a in facts.attempts if a.origin == "default"]
    for label, answered in _answered_by_credential(tried).items():
        yield SnmpCommunity(subject=f"snmp {label}", observed=True, label=label, secret=DEFAULT,
                            answered_over=tuple(answered))


def inventory_communities(facts: SnmpFacts) -> Iterator[CleartextSnmp]:
    mine = [a for a in facts.attempts if a.version in {"v1", "v2c"} and a.origin == "inventory"]
    for label, answered in _answered_by_credential(mine).items():
        yield CleartextSnmp(subject=f"snmp {label}", observed=True, community=label, active=bool(answered),
                            answered_over=tuple(answered))


def v3_users(facts: SnmpFacts) -> Iterator[SnmpV3Security]:
    users: dict[str, dict[str, SnmpAttempt]] = {}
    for a in facts.attempts:
        if a.version == "v3":
            users.setdefault(a.credential, {})[a.level] = a
    for user, levels in sorted(users.items()):
        answered = tuple(lvl for lvl in ("noAuthNoPriv", "authNoPriv", "authPriv")
                         if levels.get(lvl) and levels[lvl].answered)
        undecidable = ""
        if not answered:
            detail = next((a.detail for a in levels.values() if a.detail), "no answer")
            undecidable = (f"not evaluated: no level answered ({detail}); "
                           "check the user's credentials in the inventory")
        yield SnmpV3Security(subject=f"snmpv3 user {user}", observed=True, user=user, levels=answered,
                             undecidable=undecidable)


def community_fix(c: SnmpCommunity) -> list[str]:
    return ["remove the default community"]


def cleartext_fix(s: CleartextSnmp) -> list[str]:
    return ["move monitoring to SNMPv3 authPriv and remove the community"]


def v3_fix(u: SnmpV3Security) -> list[str]:
    return [f"rouser {u.user} priv (or the vendor's authPriv group)"]


BINDINGS = (
    Binding("ACC-SNMP-101", "snmp", default_communities, SOURCES, "SNMP-NET-101", FIX, community_fix,
            none="default communities not tried (opt-in: try_default_communities)"),
    Binding("ACC-SNMP-102", "snmp", inventory_communities, SOURCES, "SNMP-NET-102", FIX, cleartext_fix,
            none="no community from the inventory was tried"),
    Binding("ACC-SNMP-103", "snmp", v3_users, SOURCES, "SNMP-NET-103", FIX, v3_fix,
            none="no SNMPv3 user in the inventory"),
)
