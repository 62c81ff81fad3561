"""Voice/data segmentation as IOS, EOS and AOS-S running-configs write it.

A VLAN carries voice when a port declares it (``switchport voice vlan``/``phone vlan``), AOS-S flags it
``voice``, or its name says so. IOS/EOS put the phone's VLAN per port; on AOS-S a port carries voice by
being a member of a voice VLAN, tagged (good) or untagged (the PC behind the phone joins it). Only IOS
runs DTP; ports keep ``dynamic auto`` and native VLAN 1 unless told otherwise.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.switches import SwitchFacts
from voxaudit.platforms.common import config_int
from voxaudit.platforms.switches.common import (
    SOURCES,
    active_ports,
    by_default,
    flavor_of,
    port_voice,
    switch_label,
    voice_vlans,
)
from voxaudit.records.segmentation import (
    TrunkNative,
    TrunkNegotiation,
    VoiceDataSeparation,
    VoiceNetworkAdvertisement,
    VoiceRouting,
    VoiceSegment,
)

VOICE_VLAN_FIX = {
    "ios": "vlan 20 / name VOICE, then on each phone port: switchport voice vlan 20.",
    "eos": "vlan 20 / name VOICE, then on each phone port: switchport phone vlan 20 and switchport mode trunk phone.",
    "aos-s": "vlan 20 / name \"VOICE\" / tagged <phone ports> / voice.",
}
SEPARATE_REMEDIATION = {
    "ios": "switchport access vlan <data VLAN> with switchport voice vlan <voice VLAN> (they must differ).",
    "eos": "switchport access vlan <data VLAN> with switchport phone vlan <voice VLAN> (they must differ).",
    "aos-s": "On the voice VLAN: tagged <port>; on the data VLAN: untagged <port> (voice never untagged on a "
             "port with a PC behind the phone).",
}
DTP_REMEDIATION = {
    "ios": "Access ports: switchport mode access and switchport nonegotiate; trunks: switchport mode trunk "
           "and switchport nonegotiate.",
    "eos": "Not applicable: EOS does not run DTP.",
    "aos-s": "Not applicable: AOS-S does not run DTP.",
}
NATIVE_REMEDIATION = {
    "ios": "switchport trunk native vlan <unused VLAN, e.g. 999> on every trunk.",
    "eos": "switchport trunk native vlan <unused VLAN, e.g. 999> on every trunk.",
    "aos-s": "On the trunk port: untagged in an unused VLAN (e.g. vlan 999 / untagged <port>), tagged in voice.",
}
ACL_REMEDIATION = {
    "ios": "ip access-list extended VOICE-IN (permit only SIP/RTP to the PBX, deny data subnets), then "
           "interface Vlan<voice> / ip access-group VOICE-IN in, and the mirror on the data SVI.",
    "eos": "ip access-list VOICE-IN ..., then interface Vlan<voice> / ip access-group VOICE-IN in.",
    "aos-s": "ip access-list extended \"VOICE-IN\" ..., then vlan <voice> / ip access-group \"VOICE-IN\" in.",
}
LLDP_FIX = {
    "ios": "lldp run (global); optionally network-policy profile 1 / voice vlan <V> cos 5 and network-policy 1 "
           "on the phone ports.",
    "eos": "lldp run (on by default; do not disable it).",
    "aos-s": "lldp run (on by default) and the 'voice' qualifier on the voice VLAN: vlan <V> / voice.",
}
NO_CONFIG = "no switch configuration"


def _flavor(section: str) -> str:
    """The dialect a record's section names; one this module has no text for (a hand-edited saved scan)
    falls back to IOS wording rather than failing the control."""
    flavor = section.split(" ", 1)[0]
    return flavor if flavor in VOICE_VLAN_FIX else "ios"


def voice_segments(facts: SwitchFacts) -> Iterator[VoiceSegment]:
    for dev in facts.of_kind("switch.device"):
        found = voice_vlans(facts, dev.name)
        yield VoiceSegment(subject=switch_label(dev), source=dev.source,
                           section=f"{dev.get('flavor') or 'ios'} running-config",
                           voice_networks=tuple(f"VLAN {v} ({how})" for v, how in sorted(found.items())))


def phone_ports(facts: SwitchFacts) -> Iterator[VoiceDataSeparation]:
    for p in active_ports(facts):
        found = port_voice(facts, p)
        if found is None:
            continue
        voice, untagged = found
        flavor = flavor_of(facts, p)
        iface = p.get("interface") or p.name
        if untagged and flavor == "aos-s":
            detail = f"the voice VLAN {voice} is untagged on this port: a PC behind the phone joins it"
        elif untagged:
            detail = f"access VLAN and voice VLAN are both {voice}"
        else:
            detail = f"data VLAN {p.get('access_vlan')}{by_default(p, 'access_vlan')}, voice VLAN {voice} tagged"
        yield VoiceDataSeparation(subject=f"port {p.name}", source=p.location("access_vlan" if untagged else "voice_vlan"),
                                  section=f"{flavor} running-config", voice_network=voice, shared=untagged,
                                  detail=detail, port=iface)


def separation_fix(sep: VoiceDataSeparation) -> list[str]:
    if _flavor(sep.section) == "aos-s":
        return [f"vlan {sep.voice_network}: tagged {sep.port}; vlan <data>: untagged {sep.port}"]
    return [f"interface {sep.port}: switchport access vlan <data VLAN>"]


def trunk_negotiation(facts: SwitchFacts) -> Iterator[TrunkNegotiation]:
    for p in active_ports(facts):
        if p.get("dtp") == "unsupported":
            continue
        mode, iface = p.get("mode") or "dynamic auto", p.get("interface") or p.name
        if mode.startswith("dynamic"):
            yield TrunkNegotiation(subject=f"port {p.name}", source=p.location("mode"), port=iface,
                                   negotiation="dynamic", setting=f"switchport mode {mode}{by_default(p, 'mode')}",
                                   trunking_now="trunk" in (p.get("oper_mode") or ""))
        elif mode == "trunk" and p.get("dtp") != "off":
            yield TrunkNegotiation(subject=f"port {p.name}", source=p.location("mode"), port=iface,
                                   negotiation="advertised", setting="trunk without switchport nonegotiate")
        else:
            off = p.get("dtp") == "off"
            yield TrunkNegotiation(subject=f"port {p.name}", source=p.location("dtp") if off else p.location("mode"),
                                   port=iface, negotiation="off",
                                   setting="switchport nonegotiate" if off else "switchport mode access (never trunks)")


def negotiation_fix(port: TrunkNegotiation) -> list[str]:
    if port.negotiation == "dynamic":
        return [f"interface {port.port}: switchport mode access / switchport nonegotiate"]
    return [f"interface {port.port}: switchport nonegotiate"]


def trunk_natives(facts: SwitchFacts) -> Iterator[TrunkNative]:
    for p in active_ports(facts):
        if p.get("mode") != "trunk":
            continue
        native = p.get("native_vlan") or "1"
        voice = voice_vlans(facts, p.source.file)
        vid = config_int(native)
        how = voice[vid] if vid is not None and vid in voice else ""
        yield TrunkNative(subject=f"port {p.name}", source=p.location("native_vlan"), port=p.get("interface") or p.name,
                          native_network=native, native_note=by_default(p, "native_vlan"), voice_how=how)


def native_fix(trunk: TrunkNative) -> list[str]:
    return [f"interface {trunk.port}: native VLAN -> an unused VLAN"]


def voice_routing(facts: SwitchFacts) -> Iterator[VoiceRouting]:
    for dev in facts.of_kind("switch.device"):
        label = switch_label(dev)
        voice = voice_vlans(facts, dev.name)
        vlans = {config_int(v.get("id")) or 0: v for v in facts.of_kind("switch.vlan") if v.source.file == dev.name}
        routed_voice = [vid for vid in voice if vid in vlans and vlans[vid].get("routed") == "yes"]
        if dev.get("ip_routing") != "on" or not routed_voice:
            yield VoiceRouting(subject=label, source=dev.location("ip_routing"), routed=False)
            continue
        data = [o for o_id, o in vlans.items() if o_id not in voice and o.get("routed") == "yes"]
        for vid in routed_voice:
            v = vlans[vid]
            subject = f"{label} VLAN {vid}"
            if v.values("acl"):
                yield VoiceRouting(subject=subject, source=v.location("acl"), routed=True, voice_network=str(vid),
                                   filtered=f"voice VLAN filtered: {'; '.join(v.values('acl'))}")
            elif data and all(d.values("acl") for d in data):
                yield VoiceRouting(subject=subject, source=data[0].location("acl"), routed=True,
                                   voice_network=str(vid), filtered="every routed data VLAN is filtered")
            else:
                yield VoiceRouting(subject=subject, source=v.location("routed"), routed=True, voice_network=str(vid),
                                   routing="ip routing")


def routing_fix(route: VoiceRouting) -> list[str]:
    return [f"VLAN {route.voice_network} routed interface: ip access-group <VOICE-IN> in"]


def advertisements(facts: SwitchFacts) -> Iterator[VoiceNetworkAdvertisement]:
    for dev in facts.of_kind("switch.device"):
        voice = voice_vlans(facts, dev.name)
        unannounced: tuple[int, ...] = ()
        if dev.get("flavor") == "aos-s":
            unannounced = tuple(vid for vid, how in voice.items() if how.startswith("named"))
        silent = tuple(p.get("interface") or p.name for p in active_ports(facts, dev.name)
                       if p.get("lldp_transmit") == "off" and p.get("voice_vlan"))
        yield VoiceNetworkAdvertisement(subject=switch_label(dev), source=dev.location("lldp"),
                                        section=f"{flavor_of(facts, dev)} running-config",
                                        voice_networks=tuple(voice), discovery_on=dev.get("lldp") == "on",
                                        discovery_note=by_default(dev, "lldp"), unannounced=unannounced,
                                        silent_ports=silent)


def segment_fix(seg: VoiceSegment) -> list[str]:
    return [VOICE_VLAN_FIX[_flavor(seg.section)]]


def lldp_fix(adv: VoiceNetworkAdvertisement) -> list[str]:
    return [LLDP_FIX[_flavor(adv.section)]]


BINDINGS = (
    Binding("SEG-VLAN-101", "switch", voice_segments, tuple(SOURCES), "SW-VLAN-101", VOICE_VLAN_FIX, segment_fix,
            none=NO_CONFIG),
    Binding("SEG-VLAN-102", "switch", phone_ports, tuple(SOURCES), "SW-VLAN-102", SEPARATE_REMEDIATION,
            separation_fix, none="no port carries a voice VLAN"),
    Binding("SEG-VLAN-103", "switch", trunk_negotiation, tuple(SOURCES), "SW-VLAN-103", DTP_REMEDIATION,
            negotiation_fix, none="no switch here runs DTP (EOS and AOS-S do not)"),
    Binding("SEG-VLAN-104", "switch", trunk_natives, tuple(SOURCES), "SW-VLAN-104", NATIVE_REMEDIATION, native_fix,
            none="no trunk ports"),
    Binding("SEG-VLAN-105", "switch", voice_routing, tuple(SOURCES), "SW-ACL-101", ACL_REMEDIATION, routing_fix,
            none=NO_CONFIG),
    Binding("SEG-VLAN-106", "switch", advertisements, tuple(SOURCES), "SW-LLDP-101", LLDP_FIX, lldp_fix,
            none=NO_CONFIG),
)
