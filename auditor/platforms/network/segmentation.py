"""Voice/data segmentation as a packet capture shows it: the VLANs voice frames travel in, and what
else travels there. A capture point on a trunk sees tags, so untagged voice there is in the native VLAN."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.network import PacketFacts
from voxaudit.records.segmentation import VoiceDataSeparation

REMEDIATION = {"pcap": "Put phones on the voice VLAN (switchport voice vlan / LLDP-MED network policy), tag voice "
                       "on trunks, and keep data off that VLAN; see the SEG-VLAN controls."}


def voice_vlans_seen(facts: PacketFacts) -> Iterator[VoiceDataSeparation]:
    for v in facts.vlans:
        if not (v.kinds.get("voice-media") or v.kinds.get("voice-signalling")):
            continue
        name = f"vlan {v.vlan}" if v.vlan else "untagged frames"
        data = v.kinds.get("data", 0) + v.kinds.get("provisioning", 0)
        untagged_trunk = not data and v.vlan == 0 and facts.capture_point == "trunk"
        if data:
            detail = f"voice and data together: {v.kinds}"
        elif untagged_trunk:
            detail = "voice frames untagged on a trunk: they land in the native VLAN"
        else:
            detail = f"voice only: {v.kinds}"
        yield VoiceDataSeparation(subject=name, observed=True, voice_network=str(v.vlan), shared=bool(data),
                                  untagged_trunk=untagged_trunk, detail=detail)


def separation_fix(seen: VoiceDataSeparation) -> list[str]:
    if seen.untagged_trunk and not seen.shared:
        return ["tag the voice VLAN on trunks; native VLAN unused"]
    return ["separate voice onto its own VLAN"]


BINDINGS = (
    Binding("SEG-VLAN-102", "pcap", voice_vlans_seen, ("capture",), "PCAP-103", REMEDIATION, separation_fix,
            none="no voice traffic in the capture"),
)
