"""SW-*: Cisco IOS, Arista EOS and Aruba AOS-S running-configs, weak and hardened
(fixtures in tests/fixtures/switches/, written in each vendor's own `show running-config` form)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec

from tests.conftest import statuses
from voxaudit.collectors.offline import collect_switch_configs
from voxaudit.facts.switches import expand_ports, expand_vlans
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "switches"
IOS, AOS = "clinic-core-c2960x.cfg", "clinic-edge-2930f.cfg"


def weak():
    return collect_switch_configs(FIXTURES / "weak")


def test_dialects_are_recognised():
    facts = collect_switch_configs(FIXTURES / "hardened")
    flavors = {d.name: d.get("flavor") for d in facts.of_kind("switch.device")}
    assert flavors == {"clinic-core-c9200.cfg": "ios", "clinic-edge-2930f.cfg": "aos-s", "clinic-leaf-arista.cfg": "eos"}
    port = facts.named("switch.port", "clinic-core-c9200.cfg GigabitEthernet1/0/1")
    assert (port.get("access_vlan"), port.get("voice_vlan"), port.get("dtp")) == ("10", "20", "off")
    assert port.location("voice_vlan").line == 32  # 1-based, as the file shows it


def test_port_and_vlan_lists_expand():
    assert expand_ports("1-4,A1,B3-B5,Trk1") == ["1", "2", "3", "4", "A1", "B3", "B4", "B5", "Trk1"]
    assert expand_vlans("10,20-22") == [10, 20, 21, 22]
    assert expand_vlans("all") == []


def test_segmentation_weaknesses_are_found(run):
    facts = weak()
    assert statuses(run("SW-VLAN-102", facts), FAIL) == {
        f"port {IOS} GigabitEthernet1/0/2", f"port {AOS} 21", f"port {AOS} 22"}
    assert run("SW-VLAN-102", facts)[f"port {IOS} GigabitEthernet1/0/1"] == PASS
    assert statuses(run("SW-VLAN-103", facts), FAIL) == {
        f"port {IOS} GigabitEthernet1/0/2", f"port {IOS} GigabitEthernet1/0/3", f"port {IOS} GigabitEthernet1/0/24"}
    assert run("SW-VLAN-103", facts)[f"port {IOS} GigabitEthernet1/0/1"] == PASS  # mode access
    assert f"port {IOS} GigabitEthernet1/0/4" not in run("SW-VLAN-103", facts)  # shut down
    assert statuses(run("SW-VLAN-104", facts), FAIL) == {f"port {IOS} GigabitEthernet1/0/24"}
    assert statuses(run("SW-ACL-101", facts), FAIL) == {
        f"switch clinic-core ({IOS}) VLAN 20", f"switch Clinic-Edge-2930F ({AOS}) VLAN 20"}
    lldp = run("SW-LLDP-101", facts)
    assert set(lldp.values()) == {FAIL} and len(lldp) == 2  # IOS: lldp off by default; AOS-S: VLAN not 'voice'
    assert set(run("SW-VLAN-101", facts).values()) == {PASS}  # both have a voice VLAN (one only by name)


def test_management_weaknesses_are_found(run):
    facts = weak()
    snmp = run("SW-SNMP-101", facts)
    assert statuses(snmp, FAIL) == {f"{IOS} snmp community #1", f"{IOS} snmp community #2", f"{AOS} snmp community #1"}
    assert statuses(run("SW-SNMP-102", facts), FAIL) == set(snmp)
    assert run("SW-SNMP-103", facts) == {f"{IOS} snmp group MONITOR": FAIL}
    assert set(run("SW-MGT-101", facts).values()) == {FAIL}
    assert set(run("SW-LOG-101", facts).values()) == {FAIL}


def test_findings_name_the_line_and_never_the_community(run, registry):
    facts = weak()
    text = msgspec.json.encode(facts).decode()
    assert "clinicRW" not in text and '"public"' not in text
    outcomes = registry.get("SW-SNMP-101")(facts)
    rw = next(o for o in outcomes if o.resource == f"{IOS} snmp community #2")
    assert "read-write" in rw.evidence and rw.location.line == 79


def test_hardened_switches_pass(run, registry):
    facts = collect_switch_configs(FIXTURES / "hardened")
    for cid in [i for i in registry.known_ids() if i.startswith("SW-")]:
        result = run(cid, facts)
        assert FAIL not in result.values(), (cid, result)
    assert run("SW-VLAN-103", facts)[
        "port clinic-core-c9200.cfg GigabitEthernet1/0/24"] == PASS
    assert run("SW-ACL-101", facts)["switch clinic-leaf (clinic-leaf-arista.cfg)"] == NA  # layer 2 only


def test_truncated_and_binary_configs_error_with_file_and_line(tmp_path):
    root = tmp_path / "configs"
    shutil.copytree(FIXTURES / "hardened", root)
    full = (FIXTURES / "weak" / IOS).read_text().splitlines()
    (root / "cut-c2960x.cfg").write_text("\n".join(full[:60]) + "\n")  # copy stopped mid-file
    (root / "garbage.cfg").write_bytes(b"interface Gi1/0/1\n\xff\xfe\x00binary")
    exe = Path(sys.executable).parent / "voxaudit"
    out = tmp_path / "out"
    proc = subprocess.run([str(exe), "scan", "--config-dir", str(root), "--platform", "switch", "-o", str(out), "-q",
                           "-f", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    errors = {r["resource"]: r["evidence"] for r in doc["results"] if r["status"] == "ERROR"}
    assert errors["switch cut-c2960x.cfg"].startswith("cut-c2960x.cfg:60: configuration is truncated")
    assert errors["switch garbage.cfg"].startswith("garbage.cfg:2: not text")
    passes = {r["resource"] for r in doc["results"] if r["status"] == "PASS"}
    assert "port clinic-core-c9200.cfg GigabitEthernet1/0/1" in passes  # the good files still audited
