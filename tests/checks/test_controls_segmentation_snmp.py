"""SEG-VLAN-101..106 and ACC-SNMP-101..103: voice segmentation and SNMP management access, judged on
hand-built records, and the same weakness judged alike on every platform bound to a control
(switch running-configs, a packet capture's VLANs, an SNMP agent's answers)."""
from __future__ import annotations

from pathlib import Path

from voxaudit.checks.segmentation import (
    native_not_voice,
    routing_filtered,
    trunking_not_negotiated,
    voice_data_separate,
    voice_vlan_advertised,
    voice_vlan_exists,
)
from voxaudit.checks.snmp import community_strength, v1_v2c_off, v3_auth_priv
from voxaudit.collectors.offline import collect_switch_configs
from voxaudit.control import Params
from voxaudit.facts.network import PacketFacts, SnmpAttempt, SnmpFacts, VlanTraffic
from voxaudit.model import Severity, Status
from voxaudit.records.secrets import SecretShape
from voxaudit.records.segmentation import (
    TrunkNative,
    TrunkNegotiation,
    VoiceDataSeparation,
    VoiceNetworkAdvertisement,
    VoiceRouting,
    VoiceSegment,
)
from voxaudit.records.snmp import CleartextSnmp, SnmpCommunity, SnmpV3Security

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
P = Params({})


# -- the judges, branch by branch ------------------------------------------------------------------

def test_voice_has_its_own_vlan():
    v = voice_vlan_exists.judge(VoiceSegment(subject="sw", voice_networks=("VLAN 20 (named VOICE)",)), P)
    assert (v.status, v.evidence) == (PASS, "voice VLAN: VLAN 20 (named VOICE)")
    v = voice_vlan_exists.judge(VoiceSegment(subject="sw"), P)
    assert (v.status, v.evidence) == (FAIL, "no VLAN carries voice: phones share the data VLAN")


def test_voice_and_data_separate():
    j = voice_data_separate.judge
    v = j(VoiceDataSeparation(subject="p", voice_network="20", shared=True, detail="both 20"), P)
    assert (v.status, v.evidence) == (FAIL, "both 20")
    assert j(VoiceDataSeparation(subject="p", voice_network="0", untagged_trunk=True), P).status == FAIL
    assert j(VoiceDataSeparation(subject="p", voice_network="20", shared=True), P).evidence == \
        "voice VLAN 20 also carries data"
    v = j(VoiceDataSeparation(subject="p", voice_network="20", detail="voice only"), P)
    assert (v.status, v.evidence) == (PASS, "voice only")
    assert j(VoiceDataSeparation(subject="p", voice_network="20"), P).status == PASS


def test_trunking_not_negotiated():
    j = trunking_not_negotiated.judge
    rec = TrunkNegotiation(subject="p", port="Gi1", negotiation="dynamic", setting="switchport mode dynamic auto")
    assert j(rec, P).evidence == "switchport mode dynamic auto: negotiates a trunk with DTP"
    rec = TrunkNegotiation(subject="p", port="Gi1", negotiation="dynamic", setting="m", trunking_now=True)
    assert (j(rec, P).status, j(rec, P).evidence) == (FAIL, "m: negotiates a trunk with DTP and is trunking now")
    rec = TrunkNegotiation(subject="p", port="Gi1", negotiation="advertised", setting="trunk without nonegotiate")
    assert (j(rec, P).status, j(rec, P).evidence) == (FAIL, "trunk without nonegotiate: DTP frames still sent")
    rec = TrunkNegotiation(subject="p", port="Gi1", negotiation="off", setting="switchport nonegotiate")
    assert (j(rec, P).status, j(rec, P).evidence) == (PASS, "switchport nonegotiate")


def test_native_not_voice():
    v = native_not_voice.judge(TrunkNative(subject="p", port="Gi1", native_network="20", voice_how="named VOICE"), P)
    assert (v.status, v.evidence) == (FAIL, "native VLAN 20 is the voice VLAN (named VOICE)")
    v = native_not_voice.judge(TrunkNative(subject="p", port="Gi1", native_network="1", native_note=" (by default)"), P)
    assert (v.status, v.evidence) == (PASS, "native VLAN 1 (by default)")


def test_routing_filtered():
    j = routing_filtered.judge
    assert j(VoiceRouting(subject="sw", routed=False), P).status == NA
    v = j(VoiceRouting(subject="sw", routed=True, voice_network="20", filtered="voice VLAN filtered: VOICE-IN in"), P)
    assert (v.status, v.evidence) == (PASS, "voice VLAN filtered: VOICE-IN in")
    v = j(VoiceRouting(subject="sw", routed=True, voice_network="20", routing="ip routing"), P)
    assert (v.status, v.evidence) == (FAIL, "voice VLAN 20 is routed here (ip routing) with no ACL on it or on "
                                            "the data VLANs")
    assert j(VoiceRouting(subject="sw", routed=True, voice_network="20"), P).status == FAIL


def test_voice_vlan_advertised():
    j = voice_vlan_advertised.judge
    assert j(VoiceNetworkAdvertisement(subject="sw"), P).status == NA
    v = j(VoiceNetworkAdvertisement(subject="sw", voice_networks=(30, 20), discovery_note=" (by default)"), P)
    assert (v.status, v.evidence) == (PASS, "LLDP on (by default); voice VLAN 20, 30 advertised")
    v = j(VoiceNetworkAdvertisement(subject="sw", voice_networks=(20,), discovery_on=False,
                                    discovery_note=" (by default)"), P)
    assert (v.status, v.evidence) == (FAIL, "LLDP is off (by default)")
    v = j(VoiceNetworkAdvertisement(subject="sw", voice_networks=(20,), unannounced=(20,), silent_ports=("1", "2")), P)
    assert v.status == FAIL and "VLAN 20 is not flagged 'voice'" in v.evidence
    assert "no lldp transmit on phone ports 1, 2" in v.evidence


def test_community_strength():
    j = community_strength.judge
    strong = SecretShape(present=True, length=24)
    v = j(SnmpCommunity(subject="c", label="c", secret=strong), P)
    assert (v.status, v.evidence) == (PASS, "read-only, 24 characters, not a known default")
    v = j(SnmpCommunity(subject="c", label="c", secret=strong, writable=True), P)
    assert (v.status, v.evidence) == (FAIL, "read-write")
    v = j(SnmpCommunity(subject="c", label="c", secret=SecretShape(present=True, length=6, weakness="known-weak")), P)
    assert (v.status, v.evidence) == (FAIL, "community is a known default or common value")
    v = j(SnmpCommunity(subject="c", label="c", secret=SecretShape(present=True, length=8), writable=True), P)
    assert (v.status, v.evidence) == (FAIL, "community is 8 characters, shorter than 12; read-write")
    v = j(SnmpCommunity(subject="s", label="default 'public'", observed=True, answered_over=("v1", "v2c")), P)
    assert (v.status, v.evidence) == (FAIL, "answers with default 'public' over v1, v2c")
    v = j(SnmpCommunity(subject="s", label="default 'public'", observed=True), P)
    assert (v.status, v.evidence) == (PASS, "default 'public' gets no answer")


def test_v1_v2c_off():
    j = v1_v2c_off.judge
    v = j(CleartextSnmp(subject="c", community="c", active=True, access="ro"), P)
    assert (v.status, v.evidence) == (FAIL, "SNMP v1/v2c community active (ro)")
    v = j(CleartextSnmp(subject="sw"), P)
    assert (v.status, v.evidence) == (PASS, "no active SNMP v1/v2c community")
    v = j(CleartextSnmp(subject="s", community="env:C", observed=True, active=True, answered_over=("v2c",)), P)
    assert (v.status, v.evidence) == (FAIL, "community env:C answered over v2c (cleartext)")
    v = j(CleartextSnmp(subject="s", community="env:C", observed=True), P)
    assert (v.status, v.evidence) == (PASS, "community env:C gets no answer")


def test_v3_auth_priv():
    j = v3_auth_priv.judge
    assert j(SnmpV3Security(subject="g", user="g", levels=("authPriv",)), P).evidence == "authPriv"
    v = j(SnmpV3Security(subject="g", user="g", levels=("authNoPriv",)), P)
    assert (v.status, v.evidence) == (FAIL, "authNoPriv: values sent in clear")
    v = j(SnmpV3Security(subject="g", user="g", levels=("noAuthNoPriv",)), P)
    assert (v.status, v.evidence) == (FAIL, "noAuthNoPriv")
    v = j(SnmpV3Security(subject="u", user="u", observed=True, levels=("noAuthNoPriv", "authNoPriv", "authPriv")), P)
    assert (v.status, v.evidence) == (FAIL, "answered at noAuthNoPriv, authNoPriv")
    v = j(SnmpV3Security(subject="u", user="u", observed=True, levels=("authPriv",)), P)
    assert (v.status, v.evidence) == (PASS, "answered only at authPriv")
    v = j(SnmpV3Security(subject="u", user="u", observed=True, undecidable="not evaluated: no level answered"), P)
    assert (v.status, v.evidence) == (ERROR, "not evaluated: no level answered")
    assert j(SnmpV3Security(subject="u", user="u"), P).status == ERROR  # no level known: never a pass


# -- one weakness, every platform ------------------------------------------------------------------

IOS_HEAD = """\
version 15.2
hostname clinic-test
!
vlan 10
 name DATA
!
vlan 20
 name VOICE
!
"""


def _switch(tmp_path: Path, body: str):
    (tmp_path / "sw.cfg").write_text(IOS_HEAD + body + "end\n")
    return collect_switch_configs(tmp_path)


def _same(registry, aliases: tuple[str, ...]) -> Severity:
    controls = {registry.get(a).control.id for a in aliases}
    severities = {registry.get(a).meta.severity for a in aliases}
    assert len(controls) == 1 and len(severities) == 1, (controls, severities)
    return severities.pop()


def test_voice_and_data_sharing_a_vlan_fails_alike_configured_and_seen(tmp_path, run, registry):
    assert _same(registry, ("SW-VLAN-102", "PCAP-103")) == Severity.HIGH
    sw = _switch(tmp_path, "interface GigabitEthernet1/0/2\n switchport access vlan 20\n switchport voice vlan 20\n!\n"
                           "interface GigabitEthernet1/0/3\n switchport access vlan 10\n switchport mode access\n"
                           " switchport voice vlan 20\n!\n")
    configured = run("SW-VLAN-102", sw)
    seen = run("PCAP-103", PacketFacts(source="c.pcap", capture_point="access", vlans=[
        VlanTraffic(vlan=20, packets=9, kinds={"voice-media": 6, "data": 3}),
        VlanTraffic(vlan=30, packets=5, kinds={"voice-signalling": 5})]))
    assert configured == {"port sw.cfg GigabitEthernet1/0/2": FAIL, "port sw.cfg GigabitEthernet1/0/3": PASS}
    assert seen == {"vlan 20": FAIL, "vlan 30": PASS}


def test_default_and_cleartext_snmp_fail_alike_configured_and_answered(tmp_path, run, registry):
    assert _same(registry, ("SW-SNMP-101", "SNMP-NET-101")) == Severity.CRITICAL
    assert _same(registry, ("SW-SNMP-102", "SNMP-NET-102")) == Severity.MEDIUM
    assert _same(registry, ("SW-SNMP-103", "SNMP-NET-103")) == Severity.HIGH
    sw = _switch(tmp_path, "snmp-server community public RO\nsnmp-server group MONITOR v3 auth\n"
                           "snmp-server group SECURE v3 priv\n")
    agent = SnmpFacts(address="10.0.0.2", attempts=[
        SnmpAttempt(version="v2c", credential="default 'public'", origin="default", answered=True),
        SnmpAttempt(version="v2c", credential="env:SW_COMMUNITY", answered=True),
        SnmpAttempt(version="v3", credential="mon", level="authNoPriv", answered=True),
        SnmpAttempt(version="v3", credential="mon", level="authPriv", answered=True),
        SnmpAttempt(version="v3", credential="sec", level="authNoPriv", answered=False),
        SnmpAttempt(version="v3", credential="sec", level="authPriv", answered=True)])
    assert set(run("SW-SNMP-101", sw).values()) == set(run("SNMP-NET-101", agent).values()) == {FAIL}
    assert set(run("SW-SNMP-102", sw).values()) == set(run("SNMP-NET-102", agent).values()) == {FAIL}
    assert sorted(run("SW-SNMP-103", sw).values()) == sorted(run("SNMP-NET-103", agent).values()) == [FAIL, PASS]
    fixed = _switch(tmp_path, "snmp-server group SECURE v3 priv\n")
    assert set(run("SW-SNMP-102", fixed).values()) == {PASS}
    assert set(run("SW-SNMP-101", fixed).values()) == {NA}


def test_controls_carry_the_segmentation_citation(registry):
    for cid in ("SEG-VLAN-101", "SEG-VLAN-102", "SEG-VLAN-103", "SEG-VLAN-104", "SEG-VLAN-105", "SEG-VLAN-106"):
        assert "NPRM-segmentation" in registry.get(cid).meta.hipaa, cid
    assert registry.get("SEG-VLAN-102").meta.aliases == {"switch": ["SW-VLAN-102"], "pcap": ["PCAP-103"]}
    assert registry.get("ACC-SNMP-101").meta.aliases == {"switch": ["SW-SNMP-101"], "snmp": ["SNMP-NET-101"]}
