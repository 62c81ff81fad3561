"""Switch knowledge shared by the adapter's views: which VLANs carry voice, which device a port belongs to."""
from __future__ import annotations

import re
from typing import Optional

from voxaudit.facts.common import ConfigObject
from voxaudit.facts.switches import SwitchFacts
from voxaudit.platforms.common import config_int, derived

PLATFORMS = ["switch"]
SOURCES = ["running-config"]
VOICE_NAME_RE = re.compile(r"(?i)voice|voip|phone|telephon|\buc\b")


def device_of(facts: SwitchFacts, obj: ConfigObject) -> Optional[ConfigObject]:
    return facts.named("switch.device", obj.source.file)


def flavor_of(facts: SwitchFacts, obj: ConfigObject) -> str:
    dev = device_of(facts, obj)
    return (dev.get("flavor") if dev else None) or "ios"


def switch_label(dev: ConfigObject) -> str:
    host = dev.get("hostname")
    return f"switch {host} ({dev.name})" if host else f"switch {dev.name}"


def voice_vlans(facts: SwitchFacts, file: str) -> dict[int, str]:
    """VLAN id -> how we know it carries voice, for one switch file.

    Declared (a port's voice/phone VLAN, an AOS-S ``voice`` VLAN) wins; a VLAN merely named
    like voice counts too, because a voice VLAN the switch was never told about is itself a
    finding of some checks. Worked out once for every file of the target: every port asks."""
    return dict(derived(facts, "switch.voice_vlans", lambda: _voice_vlans_by_file(facts)).get(file, {}))


def _voice_vlans_by_file(facts: SwitchFacts) -> dict[str, dict[int, str]]:
    by_file: dict[str, dict[int, str]] = {}
    for port in facts.of_kind("switch.port"):
        if (v := config_int(port.get("voice_vlan"))) is not None:
            by_file.setdefault(port.source.file, {}).setdefault(v, f"voice VLAN of {port.get('interface')}")
    for vlan in facts.of_kind("switch.vlan"):
        found = by_file.setdefault(vlan.source.file, {})
        vid = config_int(vlan.get("id")) or 0
        if vlan.get("voice") == "yes":
            found[vid] = "declared 'voice'"
        elif vid not in found and VOICE_NAME_RE.search(vlan.get("name") or ""):
            found[vid] = f"named {vlan.get('name')}"
    return by_file


def active_ports(facts: SwitchFacts, file: Optional[str] = None) -> list[ConfigObject]:
    return [p for p in facts.of_kind("switch.port")
            if p.get("shutdown") != "yes" and (file is None or p.source.file == file)]


def by_default(obj: ConfigObject, key: str) -> str:
    return " (by default)" if obj.get(f"{key}.default") == "yes" else ""


def port_voice(facts: SwitchFacts, port: ConfigObject) -> Optional[tuple[str, bool]]:
    """(voice VLAN, untagged?) for a port that carries voice, else None.

    IOS/EOS say it per port (voice/phone vlan); on AOS-S a port carries voice when it is a
    member of a voice VLAN, tagged (good) or untagged (the PC behind the phone joins it)."""
    declared = port.get("voice_vlan") or ""
    if config_int(declared) is not None:
        return declared, declared == port.get("access_vlan")
    voice = voice_vlans(facts, port.source.file)
    access = port.get("access_vlan") or ""
    if config_int(access) in voice:
        return access, True
    tagged = [v for v in port.values("tagged") if config_int(v) in voice]
    if tagged:
        return tagged[0], False
    return None
