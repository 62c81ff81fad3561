"""Voice/data segmentation: voice has its own network, data stays out of it, trunks do not leak it,
routing between voice and data is filtered, phones are told which network is theirs.

Segmentation is how a clinic keeps a compromised workstation from sniffing calls or reaching
the PBX's admin ports; HHS's 2025 proposal makes it an explicit requirement.
"""
from __future__ import annotations

from voxaudit.control import Params, Verdict, control, failed, not_applicable, passed
from voxaudit.records.segmentation import (
    TrunkNative,
    TrunkNegotiation,
    VoiceDataSeparation,
    VoiceNetworkAdvertisement,
    VoiceRouting,
    VoiceSegment,
)

SEGMENTED = ("164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation")


@control(
    id="SEG-VLAN-101", title="Voice has its own VLAN", severity="high", hipaa=SEGMENTED, area="access",
    record=VoiceSegment,
    rationale="""Phones on the data VLAN share a broadcast domain with every workstation: RTP can be
    captured and the PBX reached from any infected PC.""",
)
def voice_vlan_exists(seg: VoiceSegment, params: Params) -> Verdict:
    if seg.voice_networks:
        return passed(f"voice VLAN: {', '.join(seg.voice_networks)}")
    return failed("no VLAN carries voice: phones share the data VLAN")


@control(
    id="SEG-VLAN-102", title="Voice and data traffic never share a VLAN", severity="high", hipaa=SEGMENTED,
    area="access", record=VoiceDataSeparation,
    rationale="""When a phone port's data VLAN is the voice VLAN, or voice and workstation traffic are seen
    in the same VLAN (or untagged on a trunk), phones and PCs share a broadcast domain: the PC behind the
    phone sits next to every other phone's media and the PBX, and the promised segmentation is not in
    effect.""",
)
def voice_data_separate(sep: VoiceDataSeparation, params: Params) -> Verdict:
    if sep.shared or sep.untagged_trunk:
        return failed(sep.detail or f"voice VLAN {sep.voice_network} also carries data")
    return passed(sep.detail or f"voice VLAN {sep.voice_network} carries voice only")


@control(
    id="SEG-VLAN-103", title="Ports do not negotiate trunking dynamically", severity="medium",
    hipaa=("164.312(a)(1)", "NPRM-segmentation"), area="access", record=TrunkNegotiation,
    rationale="""A port left to negotiate its mode turns into a trunk for any device that asks, giving a
    workstation every VLAN including voice (switch-spoofing VLAN hopping).""",
)
def trunking_not_negotiated(port: TrunkNegotiation, params: Params) -> Verdict:
    if port.negotiation == "dynamic":
        now = " and is trunking now" if port.trunking_now else ""
        return failed(f"{port.setting}: negotiates a trunk with DTP{now}")
    if port.negotiation == "advertised":
        return failed(f"{port.setting}: DTP frames still sent")
    return passed(port.setting)


@control(
    id="SEG-VLAN-104", title="Trunks do not carry the voice VLAN as their native (untagged) VLAN",
    severity="medium", hipaa=SEGMENTED, area="access", record=TrunkNative,
    rationale="""Untagged frames on a trunk land in the native VLAN; with voice as native, anything plugged
    into the trunk's far end without tags lands in the voice network, and double-tagging attacks reach it.""",
)
def native_not_voice(trunk: TrunkNative, params: Params) -> Verdict:
    if trunk.voice_how:
        return failed(f"native VLAN {trunk.native_network} is the voice VLAN ({trunk.voice_how})")
    return passed(f"native VLAN {trunk.native_network}{trunk.native_note}")


@control(
    id="SEG-VLAN-105", title="Routing between voice and data VLANs is filtered", severity="high",
    hipaa=("164.312(a)(1)", "NPRM-segmentation"), area="access", record=VoiceRouting,
    rationale="""Separate VLANs segment nothing if the device routes between them without a filter: every
    workstation can still reach the PBX's SIP, web and SSH ports.""",
)
def routing_filtered(route: VoiceRouting, params: Params) -> Verdict:
    if not route.routed:
        return not_applicable("this switch does not route the voice VLAN: filter voice/data traffic on the "
                              "router or firewall that does")
    if route.filtered:
        return passed(route.filtered)
    how = f" ({route.routing})" if route.routing else ""
    return failed(f"voice VLAN {route.voice_network} is routed here{how} with no ACL on it or on the data VLANs")


@control(
    id="SEG-VLAN-106", title="Phones learn the voice VLAN from LLDP-MED", severity="medium",
    hipaa=("164.312(e)(1)", "NPRM-segmentation"), area="access", record=VoiceNetworkAdvertisement,
    rationale="""Most phones only learn the voice VLAN from an LLDP-MED network policy; without it they fall
    back to the data VLAN and all segmentation is lost.""",
)
def voice_vlan_advertised(adv: VoiceNetworkAdvertisement, params: Params) -> Verdict:
    if not adv.voice_networks:
        return not_applicable("no voice VLAN to advertise")
    problems = []
    if not adv.discovery_on:
        problems.append(f"LLDP is off{adv.discovery_note}")
    if adv.unannounced:
        problems.append(f"VLAN {', '.join(map(str, adv.unannounced))} is not flagged 'voice', so LLDP-MED "
                        "does not advertise it")
    if adv.silent_ports:
        problems.append(f"no lldp transmit on phone ports {', '.join(adv.silent_ports)}")
    if problems:
        return failed("; ".join(problems))
    return passed(f"LLDP on{adv.discovery_note}; voice VLAN {', '.join(map(str, sorted(adv.voice_networks)))} "
                  "advertised")
