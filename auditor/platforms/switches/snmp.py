"""SNMP as IOS, EOS and AOS-S running-configs set it up: v1/v2c communities (``snmp-server community``,
not counted once ``snmpv3 only`` disables them) and SNMPv3 groups and users with their security level."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.switches import SwitchFacts
from voxaudit.platforms.switches.common import SOURCES, switch_label
from voxaudit.records.secrets import SecretShape
from voxaudit.records.snmp import CleartextSnmp, SnmpCommunity, SnmpV3Security

COMMUNITY_REMEDIATION = {
    "ios": "no snmp-server community <old>; if v2c must stay: snmp-server community <random 20+> RO <ACL>.",
    "eos": "no snmp-server community <old>; if v2c must stay: snmp-server community <random 20+> ro <ACL>.",
    "aos-s": "no snmp-server community \"public\"; prefer snmpv3 only; if v2c must stay: "
             "snmp-server community \"<random 20+>\" operator restricted.",
}
V2C_REMEDIATION = {
    "ios": "no snmp-server community <name> for each community; monitor with SNMPv3 authPriv.",
    "eos": "no snmp-server community <name> for each community; monitor with SNMPv3 authPriv.",
    "aos-s": "snmpv3 enable, then snmpv3 only (v1/v2c requests are refused).",
}
SNMP_V3_FIX = {
    "ios": "snmp-server group <group> v3 priv, and users with: snmp-server user <u> <group> v3 auth sha <..> priv aes 128 <..>.",
    "eos": "snmp-server group <group> v3 priv, and users with: snmp-server user <u> <group> v3 auth sha256 <..> priv aes <..>.",
    "aos-s": "snmpv3 user \"<u>\" auth sha \"<..>\" priv aes \"<..>\", then snmpv3 only.",
}
LEVELS = {"priv": "authPriv", "auth": "authNoPriv", "noauth": "noAuthNoPriv"}


def _communities(facts: SwitchFacts) -> list[ConfigObject]:
    return [s for s in facts.of_kind("switch.snmp") if s.get("version") == "v1/v2c" and not s.get("disabled_by")]


def communities(facts: SwitchFacts) -> Iterator[SnmpCommunity]:
    for c in _communities(facts):
        info = c.secrets.get("community")
        yield SnmpCommunity(subject=c.name, source=c.source, label=c.name, secret=SecretShape.of(info),
                            writable=c.get("access") == "rw",
                            undecidable="the community is a deployment placeholder, filled in when the file is "
                                        "applied: its strength is not known" if info is not None and info.placeholder else "")


def cleartext_versions(facts: SwitchFacts) -> Iterator[CleartextSnmp]:
    active = _communities(facts)
    for c in active:
        yield CleartextSnmp(subject=c.name, source=c.source, community=c.name, active=True,
                            access=c.get("access") or "")
    bad_files = {c.source.file for c in active}
    for dev in facts.of_kind("switch.device"):
        if dev.name not in bad_files:
            yield CleartextSnmp(subject=switch_label(dev), source=dev.source)


def v3_security(facts: SwitchFacts) -> Iterator[SnmpV3Security]:
    for s in facts.of_kind("switch.snmp"):
        if s.get("version") != "v3":
            continue
        dev = facts.named("switch.device", s.source.file)
        level = s.get("security_level") or ""
        yield SnmpV3Security(subject=s.name, source=s.source, user=s.name,
                             section=f"{(dev.get('flavor') if dev else None) or 'ios'} running-config",
                             levels=(LEVELS.get(level, level),))


def community_fix(c: SnmpCommunity) -> list[str]:
    return ["remove the community; use SNMPv3 authPriv"]


def cleartext_fix(s: CleartextSnmp) -> list[str]:
    return ["remove the community"]


def v3_fix(u: SnmpV3Security) -> list[str]:
    return [SNMP_V3_FIX[u.section.split(" ", 1)[0] or "ios"]]


BINDINGS = (
    Binding("ACC-SNMP-101", "switch", communities, tuple(SOURCES), "SW-SNMP-101", COMMUNITY_REMEDIATION,
            community_fix, none="no SNMP v1/v2c community is active"),
    Binding("ACC-SNMP-102", "switch", cleartext_versions, tuple(SOURCES), "SW-SNMP-102", V2C_REMEDIATION,
            cleartext_fix, none="no switch configuration"),
    Binding("ACC-SNMP-103", "switch", v3_security, tuple(SOURCES), "SW-SNMP-103", SNMP_V3_FIX, v3_fix,
            none="no SNMPv3 group or user"),
)
