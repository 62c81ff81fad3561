"""The switch's own management plane: SNMP, Telnet/HTTP administration, remote logging.

A switch taken over through a default SNMP community or a sniffed Telnet password can mirror
the voice VLAN to any port; its logs are part of the audit trail for who changed segmentation.
"""
from __future__ import annotations

from auditor.check import check
from checks.common import weak_secret_reason
from checks.switches._common import PLATFORMS, SOURCES, by_default, switch_label

SNMP_V3_FIX = {
    "ios": "snmp-server group <group> v3 priv, and users with: snmp-server user <u> <group> v3 auth sha <..> priv aes 128 <..>.",
    "eos": "snmp-server group <group> v3 priv, and users with: snmp-server user <u> <group> v3 auth sha256 <..> priv aes <..>.",
    "aos-s": "snmpv3 user \"<u>\" auth sha \"<..>\" priv aes \"<..>\", then snmpv3 only.",
}


def _communities(facts):
    return [s for s in facts.of_kind("switch.snmp") if s.get("version") == "v1/v2c" and not s.get("disabled_by")]


@check(
    id="SW-SNMP-101", title="No default, guessable or writable SNMP community", severity="critical",
    hipaa=["164.312(a)(1)", "164.312(d)"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""'public'/'private' are tried by every scanner; a read-write community lets anyone rewrite the
    switch: move a port to the voice VLAN or mirror calls to a capture port.""",
    remediation={
        "ios": "no snmp-server community <old>; if v2c must stay: snmp-server community <random 20+> RO <ACL>.",
        "eos": "no snmp-server community <old>; if v2c must stay: snmp-server community <random 20+> ro <ACL>.",
        "aos-s": "no snmp-server community \"public\"; prefer snmpv3 only; if v2c must stay: "
                 "snmp-server community \"<random 20+>\" operator restricted.",
    },
)
def snmp_community_strength(facts, ctx):
    communities = _communities(facts)
    if not communities:
        yield ctx.not_applicable("running-config", "no SNMP v1/v2c community is active")
        return
    for c in communities:
        info = c.secrets.get("community")
        problems = []
        reason = weak_secret_reason(info, 12)
        if reason:
            problems.append(reason.replace("secret", "community"))
        if c.get("access") == "rw":
            problems.append("read-write")
        if problems:
            yield ctx.fail(c.name, "; ".join(problems), c.source, fix=["remove the community; use SNMPv3 authPriv"])
        else:
            yield ctx.passed(c.name, f"read-only, {info.length} characters, not a known default", c.source)


@check(
    id="SW-SNMP-102", title="SNMP v1/v2c is off", severity="medium",
    hipaa=["164.312(e)(1)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="""v1/v2c send the community and every reply (interface names, VLANs, neighbours' addresses)
    in clear text; SNMPv3 with privacy encrypts them.""",
    remediation={
        "ios": "no snmp-server community <name> for each community; monitor with SNMPv3 authPriv.",
        "eos": "no snmp-server community <name> for each community; monitor with SNMPv3 authPriv.",
        "aos-s": "snmpv3 enable, then snmpv3 only (v1/v2c requests are refused).",
    },
)
def snmp_v2c_off(facts, ctx):
    communities = _communities(facts)
    bad_files = {c.source.file for c in communities}
    for c in communities:
        yield ctx.fail(c.name, f"SNMP v1/v2c community active ({c.get('access')})", c.source,
                       fix=["remove the community"])
    for dev in facts.of_kind("switch.device"):
        if dev.name not in bad_files:
            yield ctx.passed(switch_label(dev), "no active SNMP v1/v2c community", dev.source)


@check(
    id="SW-SNMP-103", title="SNMPv3 uses authentication and privacy (authPriv)", severity="high",
    hipaa=["164.312(e)(1)", "164.312(d)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="noAuthNoPriv answers anyone; authNoPriv authenticates but still sends every value in clear.",
    remediation=SNMP_V3_FIX,
)
def snmp_v3_priv(facts, ctx):
    v3 = [s for s in facts.of_kind("switch.snmp") if s.get("version") == "v3"]
    if not v3:
        yield ctx.not_applicable("running-config", "no SNMPv3 group or user")
        return
    for s in v3:
        level = s.get("security_level")
        if level == "priv":
            yield ctx.passed(s.name, "authPriv", s.source)
        else:
            dev = facts.named("switch.device", s.source.file)
            yield ctx.fail(s.name, {"auth": "authNoPriv: values sent in clear", "noauth": "noAuthNoPriv"}.get(level, level),
                           s.source, fix=[SNMP_V3_FIX[(dev.get("flavor") if dev else None) or "ios"]])


@check(
    id="SW-MGT-101", title="Switch administration is encrypted (SSH/HTTPS only)", severity="high",
    hipaa=["164.312(e)(1)", "164.312(d)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Telnet and plain-HTTP administration send the admin password in clear to anyone on the
    management path, and with it control over voice segmentation.""",
    remediation={
        "ios": "line vty 0 15 / transport input ssh; no ip http server (keep ip http secure-server if the web UI is used).",
        "eos": "management telnet / shutdown; management api http-commands with protocol https only.",
        "aos-s": "no telnet-server; web-management ssl; no web-management plaintext.",
    },
)
def management_encrypted(facts, ctx):
    for dev in facts.of_kind("switch.device"):
        problems, fixes = [], []
        for vty in dev.values("vty"):
            transport = vty.split(": ", 1)[-1]
            if "telnet: enabled" == vty or any(w in transport.split() for w in ("telnet", "all")) \
                    or transport == "(release default)":
                problems.append(f"line vty {vty}" if dev.get("flavor") != "aos-s" else "telnet-server enabled (default)")
        if problems:
            fixes.append("transport input ssh on every vty line" if dev.get("flavor") != "aos-s" else "no telnet-server")
        if dev.get("http_plain") == "on":
            problems.append(f"plain HTTP management on{by_default(dev, 'http_plain')}")
            fixes.append("no ip http server" if dev.get("flavor") != "aos-s" else "no web-management plaintext")
        if problems:
            yield ctx.fail(switch_label(dev), "; ".join(problems), dev.location("vty"), fix=fixes)
        else:
            yield ctx.passed(switch_label(dev), "no Telnet or plain-HTTP administration", dev.location("vty"))


@check(
    id="SW-LOG-101", title="Switch logs go to a remote syslog server", severity="medium",
    hipaa=["164.312(b)", "164.308(a)(1)(ii)(D)"], area="audit-log", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Configuration changes to voice segmentation and port-security events must be reviewable;
    the switch's own buffer is small and lost on reboot.""",
    remediation={
        "ios": "logging host <syslog server> (and service timestamps log datetime msec localtime).",
        "eos": "logging host <syslog server>.",
        "aos-s": "logging <syslog server IP>.",
    },
)
def remote_syslog(facts, ctx):
    for dev in facts.of_kind("switch.device"):
        hosts = dev.values("logging_host")
        if hosts:
            yield ctx.passed(switch_label(dev), f"logs sent to {', '.join(hosts)}", dev.location("logging_host"))
        else:
            yield ctx.fail(switch_label(dev), "no remote syslog host: logs stay in the switch's buffer", dev.source,
                           fix=["logging host <server>" if dev.get("flavor") != "aos-s" else "logging <server>"])
