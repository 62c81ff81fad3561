"""Switch and MDM misses found on real trees (tests/real_trees/scale-juniper-ex4200-switch,
openfest-2019-switches, ncsc-ios-example-mdm): each test failed before its fix.

* A Juniper Junos configuration (``## Last changed:`` header, ``version 12.3R6.6;``, curly-brace
  hierarchy) was taken for Cisco IOS because of its ``version`` line, then refused as "truncated: it
  does not end with 'end'": a false reason that sends the auditor looking for a cut-off copy. It is now
  refused as a Junos configuration voxaudit does not read (still a fatal problem: ERROR, never judged).
* The Catalyst's out-of-band management port (``interface FastEthernet0`` / ``no ip address`` /
  ``no ip route-cache``) and other routed interfaces without ``no switchport`` were read as switchports
  left at the default ``dynamic auto`` and failed SW-VLAN-103 (DTP) although they never switch.
* An ``interface`` block that is not one interface (``interface range ...``, a hand-written
  ``interface GigabitEthernet1/0/21-22``) was silently dropped or judged as a port of that name; it is a
  gap now. ``interface GigabitEthernet 1/0/5`` (a pasted script's spelling) is the port Gi1/0/5.
* A setting the file states after a vendor default kept the default's marker: ``lldp run`` was
  reported as "LLDP on (by default)".
* An Apple declarative-management declaration (``{"Type": "com.apple.configuration.passcode.settings",
  "Identifier", "Payload"}``, tests/real_trees/fleetdm-ios-ddm-passcode) was refused as "neither
  Android nor Intune", and the fleet it locks was reported as having no passcode policy (FAIL).
"""
from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import statuses
from voxaudit.collectors.offline import collect_mdm_policies, collect_switch_configs
from voxaudit.model import Status
from voxaudit.parsers.switch_config import other_vendor, parse_switch_config

CANARY = "CANARY-9f3a71"

JUNOS = f"""## Last changed: 2017-09-29 20:35:41 UTC
version 12.3R6.6;
system {{
    host-name edge-sw01;
    root-authentication {{
        encrypted-password "{CANARY}";
    }}
    services {{
        ssh;
        telnet;
    }}
}}
interfaces {{
    ge-0/0/4 {{
        unit 0 {{
            family ethernet-switching;
        }}
    }}
}}
"""

IOS_TAIL = "line vty 0 4\n transport input ssh\n!\nend\n"


def _problems(facts) -> list:
    return [p for cf in facts.configs.values() for p in cf.problems]


def test_junos_is_refused_as_junos_not_as_truncated_ios(tmp_path):
    (tmp_path / "edge.conf").write_text(JUNOS)
    facts = collect_switch_configs(tmp_path)
    (problem,) = _problems(facts)
    assert problem.fatal and problem.line == 1
    assert "Juniper Junos configuration" in problem.message and "truncated" not in problem.message
    assert CANARY not in problem.message
    assert not facts.of_kind("switch.device")  # never judged as IOS; the runner makes its checks ERROR


def test_curly_brace_config_without_header_is_refused_for_what_it_is(tmp_path):
    body = JUNOS.split("\n", 2)[2]  # no "## Last changed", no "version ...;": only the hierarchy
    (tmp_path / "edge.conf").write_text(body)
    cfg, problems = parse_switch_config(tmp_path / "edge.conf", "edge.conf")
    assert cfg is None and problems[0].fatal
    assert "curly-brace" in problems[0].message and "truncated" not in problems[0].message


def test_ios_with_brace_banner_is_still_ios(tmp_path):
    # a banner's text may look like a brace hierarchy; the file's hostname/interface lines say IOS
    text = ("hostname sw1\n!\nbanner login ^C\ncontact {\n  noc desk\n}\nsite {\n}\n^C\n!\n"
            "interface Gi1/0/1\n switchport mode access\n!\n")
    (tmp_path / "sw1.cfg").write_text(text + IOS_TAIL)
    cfg, problems = parse_switch_config(tmp_path / "sw1.cfg", "sw1.cfg")
    assert cfg is not None and cfg.dialect == "ios" and not problems


def test_vendor_sniffing_stays_linear_on_hostile_input():
    lines = ["a" * 60 + " " + "x " * 99 + "{"] * 400 + ["}"] * 400
    start = time.perf_counter()
    assert other_vendor(lines) == "a curly-brace (Junos-style) configuration"
    assert other_vendor(["x" + " " * 5000 + "{"] * 400) is None
    assert time.perf_counter() - start < 1.0


CATALYST = """hostname access-sw
!
vlan 25
 name phones
!
interface FastEthernet0
 no ip address
 no ip route-cache cef
 no ip route-cache
!
interface GigabitEthernet0/0
 vrf forwarding Mgmt-vrf
 ip address 192.0.2.10 255.255.255.0
!
interface GigabitEthernet1/0/1
 switchport access vlan 10
 switchport voice vlan 25
!
interface GigabitEthernet1/0/2
!
interface GigabitEthernet1/0/3
 no ip address
 switchport mode access
!
"""


def test_management_and_routed_ports_are_not_switchports(tmp_path, run):
    (tmp_path / "access-sw.cfg").write_text(CATALYST + IOS_TAIL)
    facts = collect_switch_configs(tmp_path)
    ports = {p.get("interface") for p in facts.of_kind("switch.port")}
    assert ports == {"GigabitEthernet1/0/1", "GigabitEthernet1/0/2", "GigabitEthernet1/0/3"}
    dtp = run("SW-VLAN-103", facts)
    assert statuses(dtp, Status.FAIL) == {"port access-sw.cfg GigabitEthernet1/0/1",
                                          "port access-sw.cfg GigabitEthernet1/0/2"}  # dynamic auto by default
    assert dtp["port access-sw.cfg GigabitEthernet1/0/3"] == Status.PASS  # a switchport line wins


def test_real_openfest_2019_core_management_port_is_not_judged(run):
    tree = Path(__file__).resolve().parent / "real_trees" / "openfest-2019-switches" / "configs"
    facts = collect_switch_configs(tree)
    dtp = run("SW-VLAN-103", facts)
    assert "port coresw.cfg FastEthernet0" not in dtp
    assert dtp["port coresw.cfg GigabitEthernet1/0/17"] == Status.FAIL  # trunk list, no mode: dynamic auto


SCRIPT = """hostname noc-sw
!
vlan 25
 name phones
!
interface GigabitEthernet 1/0/5
 switchport access vlan 25
 switchport mode access
!
interface range GigabitEthernet1/0/1 - 4
 switchport access vlan 25
!
interface GigabitEthernet1/0/21-22
 switchport access vlan 10
!
interface Serial0/0/0.1 point-to-point
 ip address 192.0.2.1 255.255.255.252
!
lldp run
!
"""


def test_interface_ranges_are_gaps_and_spaced_names_are_ports(tmp_path, run):
    (tmp_path / "noc-sw.cfg").write_text(SCRIPT + IOS_TAIL)
    facts = collect_switch_configs(tmp_path)
    ports = {p.get("interface") for p in facts.of_kind("switch.port")}
    assert ports == {"GigabitEthernet1/0/5"}  # the serial subinterface is routed, the ranges are no port
    gaps = [p for p in _problems(facts) if not p.fatal]
    assert [(p.line, p.note) for p in gaps] == [(10, False), (13, False)]
    assert "interface range" in gaps[0].message and "GigabitEthernet1/0/21-22" in gaps[1].message
    dtp = run("SW-VLAN-103", facts)
    assert dtp["port noc-sw.cfg GigabitEthernet1/0/5"] == Status.PASS
    # gaps (note=False): the runner reports them and turns every check on this file's switch into an ERROR
    # for the unread part (tests/real_trees/openfest-2019-switches holds it end to end)
    assert facts.configs["noc-sw.cfg"].fatal_problem is None


def test_a_stated_setting_is_not_reported_as_the_default(tmp_path, run, registry):
    from voxaudit.check import CheckContext

    (tmp_path / "noc-sw.cfg").write_text(SCRIPT + IOS_TAIL)
    facts = collect_switch_configs(tmp_path)
    dev = facts.named("switch.device", "noc-sw.cfg")
    assert dev.get("lldp") == "on" and dev.get("lldp.default") is None
    ctl = registry.get("SW-LLDP-101")
    (outcome,) = [o for o in ctl(facts, CheckContext(ctl.defaults())) if "noc-sw" in o.resource]
    assert "by default" not in outcome.evidence


def _declaration(dtype: str, payload: str) -> str:
    return f'{{\n  "Type": "{dtype}",\n  "Identifier": "com.example.{CANARY}",\n  "Payload": {payload}\n}}\n'


def test_ddm_passcode_declaration_is_the_passcode_policy(tmp_path, run):
    (tmp_path / "passcode.json").write_text(_declaration(
        "com.apple.configuration.passcode.settings",
        '{\n    "MinimumLength": 4,\n    "MaximumInactivityInMinutes": 10\n  }'))
    (tmp_path / "status.json").write_text(_declaration(
        "com.apple.configuration.management.status-subscriptions", '{"StatusItems": []}'))
    facts = collect_mdm_policies(tmp_path)
    assert not _problems(facts)  # both read; a status subscription is no gap
    (code,) = facts.of_kind("mdm.passcode")
    assert code.get("required") == "yes" and code.get("required.option").startswith("MinimumLength")
    assert code.location("min_length").line == 5
    assert run("MDM-ACC-101", facts) == {"ios passcode (passcode.json)": Status.FAIL}  # 4 < 6, not "no policy"
    assert run("MDM-ACC-102", facts) == {"ios passcode (passcode.json)": Status.FAIL}  # 10 > 5 minutes
    types = {p.get("payload_types") for p in facts.of_kind("mdm.profile")}
    assert "com.apple.configuration.management.status-subscriptions" in types


def test_ddm_passcode_without_keys_requires_nothing_and_odd_values_are_gaps(tmp_path, run):
    (tmp_path / "empty.json").write_text(_declaration("com.apple.configuration.passcode.settings", "{}"))
    facts = collect_mdm_policies(tmp_path)
    assert run("MDM-ACC-101", facts) == {"ios passcode (empty.json)": Status.FAIL}  # RequirePasscode defaults false
    (tmp_path / "empty.json").unlink()
    (tmp_path / "odd.json").write_text(_declaration("com.apple.configuration.passcode.settings",
                                                    f'{{"RequirePasscode": "true", "MinimumLength": "{CANARY}"}}'))
    facts = collect_mdm_policies(tmp_path)
    gaps = _problems(facts)
    assert gaps and all(not p.fatal and not p.note for p in gaps)
    assert all(CANARY not in p.message for p in gaps)
    assert run("MDM-ACC-101", facts).get("ios passcode (odd.json)") != Status.PASS


def test_ddm_legacy_profile_reference_is_a_gap(tmp_path):
    (tmp_path / "legacy.json").write_text(_declaration(
        "com.apple.configuration.legacy", f'{{"ProfileURL": "https://mdm.example/{CANARY}.mobileconfig"}}'))
    facts = collect_mdm_policies(tmp_path)
    (gap,) = _problems(facts)
    assert not gap.fatal and not gap.note and "ProfileURL" in gap.message and CANARY not in gap.message


def test_json_that_is_no_declaration_is_still_refused(tmp_path):
    (tmp_path / "other.json").write_text('{"Type": "com.apple.configuration.passcode.settings", "Payload": []}')
    (problem,) = _problems(collect_mdm_policies(tmp_path))
    assert problem.fatal and "Apple declaration" in problem.message


def test_a_placeholder_community_is_not_judged_by_its_length(tmp_path, run):
    """A deploy-time placeholder (``@_PW_@``, filled in when the file is pushed) was rated as a 6-character
    community; its strength is not known (ERROR), while read-write stays a FAIL whatever the value."""
    from voxaudit.secretinfo import describe_secret

    assert describe_secret("@_RO_PW_@", "x", None).placeholder  # type: ignore[arg-type]
    (tmp_path / "sw1.cfg").write_text("hostname sw1\n!\nsnmp-server community @_RO_PW_@ RO\n"
                                      "snmp-server community @_RW_PW_@ RW\n!\nend\n")
    got = run("ACC-SNMP-101", collect_switch_configs(tmp_path))
    assert got == {"sw1.cfg snmp community #1": Status.ERROR, "sw1.cfg snmp community #2": Status.FAIL}
