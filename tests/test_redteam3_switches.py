"""Red team, round 3: hostile switch running-configs (auditor.parsers.switch_config, auditor.facts.switches).

Each failed before its fix: a port command in a shape not understood (a template placeholder, a private-VLAN
or QinQ mode) silently took the default (access VLAN 1, "dynamic auto"), so a phone port whose data VLAN was
unknown passed voice/data separation; other vendors' IOS-like files (Ruckus ICX, NX-OS, Aruba AOS-CX, Dell
OS10) were read as IOS, or refused as "truncated"."""
from __future__ import annotations

from pathlib import Path

import pytest

from voxaudit.facts.switches import build_switch_facts

CANARY = "CANARY-7f3a9c"


def _build(tmp_path: Path, text: str):
    (tmp_path / "sw1.cfg").write_text(text)
    facts = build_switch_facts(tmp_path)
    return facts, [p for c in facts.configs.values() for p in c.problems]


@pytest.mark.parametrize("line", ["switchport access vlan {{ data_vlan }}", f"switchport access vlan {CANARY}",
                                  "switchport mode private-vlan host", "switchport mode dot1q-tunnel",
                                  f"switchport trunk native vlan {CANARY}"])
def test_a_port_command_not_understood_is_a_gap_not_a_default(tmp_path: Path, line: str) -> None:
    text = (f"hostname sw1\n!\nvlan 20\n name VOICE\n!\ninterface GigabitEthernet1/0/1\n switchport voice vlan 20\n"
            f" {line}\n!\nend\n")
    _facts, problems = _build(tmp_path, text)
    gaps = [p for p in problems if not p.fatal and not p.note]
    assert [p.line for p in gaps] == [8]
    assert "GigabitEthernet1/0/1" in gaps[0].message and "not understood" in gaps[0].message
    assert CANARY not in gaps[0].message and "{{" not in gaps[0].message


def test_understood_port_commands_give_no_gap(tmp_path: Path) -> None:
    text = ("hostname sw1\n!\ninterface GigabitEthernet1/0/1\n switchport access vlan 10\n switchport mode trunk phone\n"
            " switchport trunk native vlan 999\n switchport voice vlan 20\n!\nend\n")
    facts, problems = _build(tmp_path, text)
    assert not problems
    port = next(o for o in facts.objects if o.kind == "switch.port")
    assert port.get("access_vlan") == "10" and port.get("mode") == "access"


@pytest.mark.parametrize("text,family", [
    ("ver 08.0.95T213\n!\nvlan 20 name VOICE by port\n tagged ethe 1/1/1 to 1/1/48\n!\nhostname icx1\n!\n"
     "interface ethernet 1/1/1\n voice-vlan 20\n!\nend\n", "Ruckus ICX"),
    ("!Command: show running-config\n!Time: Mon Nov 23\nversion 9.3(8) Bios:version 05.45\nhostname nx1\n"
     "feature lldp\ninterface Ethernet1/1\n  switchport access vlan 10\n", "NX-OS"),
    ("!Version ArubaOS-CX GL.10.04.0001\n!export-password: default\nhostname cx1\nvlan 1,20\ninterface 1/1/1\n"
     "    no shutdown\n    vlan access 10\n", "AOS-CX"),
    ("! Version 10.5.2.3\n! Last configuration change at Nov  1\n!\nhostname os10\n!\ninterface ethernet1/1/1\n"
     " switchport access vlan 10\n!\nend\n", "OS10"),
])
def test_another_vendors_ios_like_file_is_named_not_read_as_ios(tmp_path: Path, text: str, family: str) -> None:
    facts, problems = _build(tmp_path, text)
    assert len(problems) == 1 and problems[0].fatal
    assert family in problems[0].message and "truncated" not in problems[0].message
    assert not [o for o in facts.objects if o.kind == "switch.port"]
