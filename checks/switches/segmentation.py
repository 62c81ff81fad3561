"""Voice/data segmentation on the access switches: voice VLAN, VLAN hopping, inter-VLAN filtering.

Segmentation is how a clinic keeps a compromised workstation from sniffing calls or reaching
the PBX's admin ports; HHS's 2025 proposal makes it an explicit requirement.
"""
from __future__ import annotations

from auditor.check import check
from checks.switches._common import (
    PLATFORMS,
    SOURCES,
    active_ports,
    by_default,
    flavor_of,
    port_voice,
    switch_label,
    voice_vlans,
)

VOICE_VLAN_FIX = {
    "ios": "vlan 20 / name VOICE, then on each phone port: switchport voice vlan 20.",
    "eos": "vlan 20 / name VOICE, then on each phone port: switchport phone vlan 20 and switchport mode trunk phone.",
    "aos-s": "vlan 20 / name \"VOICE\" / tagged <phone ports> / voice.",
}
LLDP_FIX = {
    "ios": "lldp run (global); optionally network-policy profile 1 / voice vlan <V> cos 5 and network-policy 1 "
           "on the phone ports.",
    "eos": "lldp run (on by default; do not disable it).",
    "aos-s": "lldp run (on by default) and the 'voice' qualifier on the voice VLAN: vlan <V> / voice.",
}


@check(
    id="SW-VLAN-101", title="Voice has its own VLAN", severity="high",
    hipaa=["164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Phones on the data VLAN share a broadcast domain with every workstation: RTP can be
    captured and the PBX reached from any infected PC.""",
    remediation=VOICE_VLAN_FIX,
)
def voice_vlan_exists(facts, ctx):
    for dev in facts.of_kind("switch.device"):
        found = voice_vlans(facts, dev.name)
        if found:
            desc = ", ".join(f"VLAN {v} ({how})" for v, how in sorted(found.items()))
            yield ctx.passed(switch_label(dev), f"voice VLAN: {desc}", dev.source)
        else:
            yield ctx.fail(switch_label(dev), "no VLAN carries voice: phones share the data VLAN", dev.source,
                           fix=[VOICE_VLAN_FIX[dev.get("flavor") or "ios"]])


@check(
    id="SW-VLAN-102", title="Phone ports keep voice and data on separate VLANs", severity="high",
    hipaa=["164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""When a port's data VLAN is the voice VLAN, the PC plugged in behind the phone sits in the
    voice network, next to every other phone's media and the PBX.""",
    remediation={
        "ios": "switchport access vlan <data VLAN> with switchport voice vlan <voice VLAN> (they must differ).",
        "eos": "switchport access vlan <data VLAN> with switchport phone vlan <voice VLAN> (they must differ).",
        "aos-s": "On the voice VLAN: tagged <port>; on the data VLAN: untagged <port> (voice never untagged on a "
                 "port with a PC behind the phone).",
    },
)
def voice_data_separate(facts, ctx):
    ports = [(p, v) for p in active_ports(facts) if (v := port_voice(facts, p)) is not None]
    if not ports:
        yield ctx.not_applicable("running-config", "no port carries a voice VLAN")
        return
    for p, (voice, untagged) in ports:
        name, aos = f"port {p.name}", flavor_of(facts, p) == "aos-s"
        if untagged and aos:
            yield ctx.fail(name, f"the voice VLAN {voice} is untagged on this port: a PC behind the phone joins it",
                           p.location("access_vlan"),
                           fix=[f"vlan {voice}: tagged {p.get('interface')}; vlan <data>: untagged {p.get('interface')}"])
        elif untagged:
            yield ctx.fail(name, f"access VLAN and voice VLAN are both {voice}", p.location("access_vlan"),
                           fix=[f"interface {p.get('interface')}: switchport access vlan <data VLAN>"])
        else:
            yield ctx.passed(name, f"data VLAN {p.get('access_vlan')}{by_default(p, 'access_vlan')}, "
                                   f"voice VLAN {voice} tagged", p.location("voice_vlan"))


@check(
    id="SW-VLAN-103", title="Dynamic trunking (DTP) is off on switch ports", severity="medium",
    hipaa=["164.312(a)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""A port left in dynamic mode turns into a trunk for any device that speaks DTP, giving a
    workstation every VLAN including voice (switch-spoofing VLAN hopping).""",
    remediation={
        "ios": "Access ports: switchport mode access and switchport nonegotiate; trunks: switchport mode trunk "
               "and switchport nonegotiate.",
        "eos": "Not applicable: EOS does not run DTP.",
        "aos-s": "Not applicable: AOS-S does not run DTP.",
    },
)
def dtp_off(facts, ctx):
    ports = [p for p in active_ports(facts) if p.get("dtp") != "unsupported"]
    if not ports:
        yield ctx.not_applicable("running-config", "no switch here runs DTP (EOS and AOS-S do not)")
        return
    for p in ports:
        mode, name = p.get("mode") or "dynamic auto", f"port {p.name}"
        if mode.startswith("dynamic"):
            now = " and is trunking now" if "trunk" in (p.get("oper_mode") or "") else ""
            yield ctx.fail(name, f"switchport mode {mode}{by_default(p, 'mode')}: negotiates a trunk with DTP{now}",
                           p.location("mode"),
                           fix=[f"interface {p.get('interface')}: switchport mode access / switchport nonegotiate"])
        elif mode == "trunk" and p.get("dtp") != "off":
            yield ctx.fail(name, "trunk without switchport nonegotiate: DTP frames still sent", p.location("mode"),
                           fix=[f"interface {p.get('interface')}: switchport nonegotiate"])
        else:
            how = "switchport nonegotiate" if p.get("dtp") == "off" else "switchport mode access (never trunks)"
            yield ctx.passed(name, how, p.location("dtp") if p.get("dtp") == "off" else p.location("mode"))


@check(
    id="SW-VLAN-104", title="Trunks do not carry the voice VLAN as their native (untagged) VLAN", severity="medium",
    hipaa=["164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Untagged frames on a trunk land in the native VLAN; with voice as native, anything plugged
    into the trunk's far end without tags lands in the voice network, and double-tagging attacks reach it.""",
    remediation={
        "ios": "switchport trunk native vlan <unused VLAN, e.g. 999> on every trunk.",
        "eos": "switchport trunk native vlan <unused VLAN, e.g. 999> on every trunk.",
        "aos-s": "On the trunk port: untagged in an unused VLAN (e.g. vlan 999 / untagged <port>), tagged in voice.",
    },
)
def native_not_voice(facts, ctx):
    trunks = [p for p in active_ports(facts) if p.get("mode") == "trunk"]
    if not trunks:
        yield ctx.not_applicable("running-config", "no trunk ports")
        return
    for p in trunks:
        native, name = p.get("native_vlan") or "1", f"port {p.name}"
        voice = voice_vlans(facts, p.source.file)
        if native.isdigit() and int(native) in voice:
            yield ctx.fail(name, f"native VLAN {native} is the voice VLAN ({voice[int(native)]})",
                           p.location("native_vlan"),
                           fix=[f"interface {p.get('interface')}: native VLAN -> an unused VLAN"])
        else:
            yield ctx.passed(name, f"native VLAN {native}{by_default(p, 'native_vlan')}", p.location("native_vlan"))


@check(
    id="SW-ACL-101", title="Routing between voice and data VLANs is filtered", severity="high",
    hipaa=["164.312(a)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Separate VLANs segment nothing if the switch routes between them without a filter: every
    workstation can still reach the PBX's SIP, web and SSH ports.""",
    remediation={
        "ios": "ip access-list extended VOICE-IN (permit only SIP/RTP to the PBX, deny data subnets), then "
               "interface Vlan<voice> / ip access-group VOICE-IN in, and the mirror on the data SVI.",
        "eos": "ip access-list VOICE-IN ..., then interface Vlan<voice> / ip access-group VOICE-IN in.",
        "aos-s": "ip access-list extended \"VOICE-IN\" ..., then vlan <voice> / ip access-group \"VOICE-IN\" in.",
    },
)
def inter_vlan_acl(facts, ctx):
    for dev in facts.of_kind("switch.device"):
        label = switch_label(dev)
        voice = voice_vlans(facts, dev.name)
        vlans = {int(v.get("id") or 0): v for v in facts.of_kind("switch.vlan") if v.source.file == dev.name}
        routed_voice = [vid for vid in voice if vid in vlans and vlans[vid].get("routed") == "yes"]
        if dev.get("ip_routing") != "on" or not routed_voice:
            yield ctx.not_applicable(label, "this switch does not route the voice VLAN: filter voice/data traffic "
                                            "on the router or firewall that does", dev.location("ip_routing"))
            continue
        for vid in routed_voice:
            v = vlans[vid]
            data = [o for o_id, o in vlans.items() if o_id not in voice and o.get("routed") == "yes"]
            if v.values("acl"):
                yield ctx.passed(f"{label} VLAN {vid}", f"voice VLAN filtered: {'; '.join(v.values('acl'))}",
                                 v.location("acl"))
            elif data and all(d.values("acl") for d in data):
                yield ctx.passed(f"{label} VLAN {vid}", "every routed data VLAN is filtered", data[0].location("acl"))
            else:
                yield ctx.fail(f"{label} VLAN {vid}", f"voice VLAN {vid} is routed here (ip routing) with no ACL on it "
                                                     "or on the data VLANs", v.location("routed"),
                               fix=[f"VLAN {vid} routed interface: ip access-group <VOICE-IN> in"])


@check(
    id="SW-LLDP-101", title="Phones learn the voice VLAN from LLDP-MED", severity="medium",
    hipaa=["164.312(e)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Phones from Yealink, Poly and most vendors other than Cisco only learn the voice VLAN
    from LLDP-MED; without it they fall back to the data VLAN and all segmentation is lost.""",
    remediation=LLDP_FIX,
)
def lldp_med(facts, ctx):
    for dev in facts.of_kind("switch.device"):
        label = switch_label(dev)
        voice = voice_vlans(facts, dev.name)
        if not voice:
            yield ctx.not_applicable(label, "no voice VLAN to advertise")
            continue
        problems = []
        if dev.get("lldp") != "on":
            problems.append(f"LLDP is off{by_default(dev, 'lldp')}")
        if dev.get("flavor") == "aos-s":
            undeclared = [vid for vid, how in voice.items() if how.startswith("named")]
            if undeclared:
                problems.append(f"VLAN {', '.join(map(str, undeclared))} is not flagged 'voice', so LLDP-MED "
                                "does not advertise it")
        silent = [p.get("interface") for p in active_ports(facts, dev.name)
                  if p.get("lldp_transmit") == "off" and p.get("voice_vlan")]
        if silent:
            problems.append(f"no lldp transmit on phone ports {', '.join(silent)}")
        if problems:
            yield ctx.fail(label, "; ".join(problems), dev.location("lldp"),
                           fix=[LLDP_FIX[flavor_of(facts, dev)]])
        else:
            yield ctx.passed(label, f"LLDP on{by_default(dev, 'lldp')}; voice VLAN "
                                    f"{', '.join(map(str, sorted(voice)))} advertised", dev.location("lldp"))
