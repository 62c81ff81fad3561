"""One target model per source kind: what an inventory entry validates into is what the collector
receives and what the broker carries (and brings back unchanged); errors name file:line:key, never a
value; relative paths are resolved once, against the inventory's folder or the site collector's."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE
from voxaudit.collectors.offline import CollectionError
from voxaudit.engine import collect as collect_module
from voxaudit.engine.broker import WORKER_BASE_ENV, collect_entry, message
from voxaudit.inventory import InventoryError, load_inventory
from voxaudit.scan import target_from_builtins
from voxaudit.targets import (
    CliSource,
    ConfigDirSource,
    PcapSource,
    SipSource,
    SnmpSource,
    SshSource,
    Target,
    TlsSource,
)

CANARY = "Canary-Value-5Jr2"

EVERY_KIND = """\
clinics:
  - name: Riverside
    sites:
      - name: Main
        scanner_vantage: data
        collector_queue: msp.main
        targets:
          - name: copy
            platform: asterisk
            config_dir: trees/pbx
            spool_dir: spool
            logrotate: [logrotate/asterisk]
          - name: pbx
            platform: asterisk
            address: 10.0.0.5
            ssh: {username: auditor, key: file:keys/auditor, known_hosts: known_hosts, config_dir: /etc/asterisk,
                  spool_dir: /var/spool/asterisk, logrotate: [/etc/logrotate.d/asterisk]}
          - name: edge
            platform: sip
            address: 10.0.0.5
            sip: {tls: 5061, domain: pbx.example, ca_file: ca/clinic.pem, enumeration: true, known_user: "100"}
          - name: admin-ui
            platform: tls
            address: 10.0.0.5
            tls: [{port: 443, server_name: pbx.example, ca_file: ca/clinic.pem}, {port: 8443, purpose: other}]
          - name: sw-snmp
            platform: snmp
            address: 10.0.0.2
            snmp: {communities: [env:SW_RO], users: [{username: mon, auth: env:A, priv: "keyring:sw/mon"}]}
          - name: sw
            platform: switch
            address: 10.0.0.2
            cli: {username: auditor, password: env:SW_PW, known_hosts: known_hosts}
          - name: trunk
            platform: pcap
            pcap: {file: captures/trunk.pcapng, capture_point: trunk}
"""
KINDS = {"copy": ConfigDirSource, "pbx": SshSource, "edge": SipSource, "admin-ui": TlsSource,
         "sw-snmp": SnmpSource, "sw": CliSource, "trunk": PcapSource}


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    inv = folder / "inventory.yaml"
    inv.write_text(text, encoding="utf-8")
    return inv


@pytest.fixture
def received(monkeypatch) -> dict[str, Target]:
    """What each collector was handed (the SSH mirror is where an ssh target's collection starts)."""
    seen: dict[str, Target] = {}

    def recorder(target: Target, note: Any) -> object:
        seen[target.name] = target
        raise CollectionError("not_collected", "recorded")

    for platform in collect_module.COLLECTORS:
        monkeypatch.setitem(collect_module.COLLECTORS, platform, recorder)

    def mirror(source: SshSource, note: Any) -> object:
        seen["pbx"] = Target(name="pbx", platform="asterisk", source=source)
        raise CollectionError("not_collected", "recorded")

    import voxaudit.collectors.ssh as ssh_module  # collect() imports mirror from there when an SSH target comes
    monkeypatch.setattr(ssh_module, "mirror", mirror)
    return seen


def test_an_inventory_entry_is_the_model_the_collector_receives_and_the_broker_carries(tmp_path, received,
                                                                                        monkeypatch):
    targets = load_inventory(write(tmp_path / "central", EVERY_KIND))
    assert {t.name: type(t.source) for t in targets} == KINDS
    assert {(t.clinic, t.site, t.vantage, t.queue) for t in targets} == {("Riverside", "Main", "data", "msp.main")}
    edge = next(t for t in targets if t.name == "edge")
    assert (edge.source.address, edge.source.tls, edge.source.udp, edge.source.known_user) == ("10.0.0.5", 5061, 5060, "100")

    for t in targets:
        collect_module.collect(t)
    central = dict(received)
    received.clear()
    # the site collector sits in the same folder here, so it must receive exactly what a local scan does
    monkeypatch.setenv(WORKER_BASE_ENV, str(tmp_path / "central"))
    for t in targets:
        sent = json.loads(json.dumps(message(t, 60)))  # JSON only, as Celery sends it
        assert sent["target"] == t.message()
        back = Target.validate(sent["target"])
        assert back == t and back.message() == t.message() and type(back.source) is type(t.source)  # unchanged
        record = target_from_builtins(collect_entry(sent, collector="site")["record"])
        assert record.failure is not None and record.failure.reason == "recorded"
    assert set(central) == set(KINDS)
    for name, t in central.items():
        assert isinstance(t.source, KINDS[name])
        assert received[name] == t, name


def test_the_message_carries_references_and_paths_as_written(tmp_path, monkeypatch):
    monkeypatch.setenv("SW_PW", CANARY)
    targets = {t.name: t for t in load_inventory(write(tmp_path, EVERY_KIND))}
    sent = json.dumps([message(t, 60) for t in targets.values()])
    assert CANARY not in sent and "env:SW_PW" in sent and "file:keys/auditor" in sent
    assert str(tmp_path) not in sent  # nothing resolved against the dispatcher's folder
    assert message(targets["pbx"], 60)["target"]["source"]["kind"] == "ssh"


def test_relative_paths_resolve_once_against_the_inventory_or_the_site_collector(tmp_path, received, monkeypatch):
    central, site = tmp_path / "central", tmp_path / "site"
    targets = {t.name: t for t in load_inventory(write(central, EVERY_KIND))}
    for t in targets.values():
        collect_module.collect(t)
    copy, pcap, tls, sip, cli, ssh = (received[n].source for n in ("copy", "trunk", "admin-ui", "edge", "sw", "pbx"))
    assert isinstance(copy, ConfigDirSource) and copy.config_dir == str(central / "trees/pbx")
    assert copy.spool_dir == str(central / "spool") and copy.logrotate == [str(central / "logrotate/asterisk")]
    assert isinstance(pcap, PcapSource) and pcap.file == str(central / "captures/trunk.pcapng")
    assert isinstance(tls, TlsSource) and tls.endpoints[0].ca_file == str(central / "ca/clinic.pem")
    assert tls.endpoints[1].ca_file == ""  # nothing given: nothing invented
    assert isinstance(sip, SipSource) and sip.ca_file == str(central / "ca/clinic.pem")
    assert isinstance(cli, CliSource) and cli.known_hosts == str(central / "known_hosts") and cli.base == central
    # remote paths on the device are never resolved locally; file: references resolve against the same base
    assert isinstance(ssh, SshSource) and ssh.config_dir == "/etc/asterisk" and ssh.known_hosts == str(central / "known_hosts")
    assert ssh.base == central and ssh.key == "file:keys/auditor"
    # once: resolving a resolved target changes nothing, and the model as loaded keeps what was written
    once = targets["copy"].resolved()
    assert once.resolved() == once
    assert targets["copy"].source.config_dir == "trees/pbx"  # type: ignore[union-attr]
    # a site collector resolves the same message against its own folder
    received.clear()
    monkeypatch.setenv(WORKER_BASE_ENV, str(site))
    collect_entry(message(targets["copy"], 60))
    assert received["copy"].source.config_dir == str(site / "trees/pbx")  # type: ignore[union-attr]


@pytest.mark.parametrize("entry, key, line", [
    # an unknown key inside a section, at the target, in an SNMP user, in a TLS endpoint
    ("platform: asterisk\n      address: 10.0.0.5\n      ssh: {{username: u, key: file:k, config_dir: /etc,\n"
     "            colour: {c}}}", "clinics.0.sites.0.targets.0.ssh.colour", 10),
    ("platform: asterisk\n      config_dir: x\n      colour: {c}", "clinics.0.sites.0.targets.0.colour", 9),
    ("platform: snmp\n      address: 10.0.0.2\n      snmp:\n        users: [{{username: m, auth: env:A, pin: {c}}}]",
     "clinics.0.sites.0.targets.0.snmp.users.0.pin", 10),
    ("platform: tls\n      address: 10.0.0.5\n      tls:\n        - {{port: 443, colour: {c}}}",
     "clinics.0.sites.0.targets.0.tls.0.colour", 10),
    # a wrong type, and a secret written where a reference belongs
    ("platform: snmp\n      address: 10.0.0.2\n      snmp:\n        port: {c}", "clinics.0.sites.0.targets.0.snmp.port", 10),
    ("platform: tls\n      address: 10.0.0.5\n      tls: [{{port: {c}}}]", "clinics.0.sites.0.targets.0.tls.0.port", 9),
    ("platform: asterisk\n      address: 10.0.0.5\n      ssh:\n        username: u\n        config_dir: /etc\n"
     "        password: {c}", "clinics.0.sites.0.targets.0.ssh.password", 12),
    ("platform: switch\n      address: 10.0.0.2\n      cli: {{username: u, enable_secret: {c}}}",
     "clinics.0.sites.0.targets.0.cli.enable_secret", 9),
    ("platform: sip\n      address: 10.0.0.5\n      sip: {{timeout: {c}}}", "clinics.0.sites.0.targets.0.sip.timeout", 9),
])
def test_errors_name_file_line_and_key_never_the_value(tmp_path, entry, key, line):
    text = "clinics:\n- name: C\n  sites:\n  - name: S\n    targets:\n    - name: t\n      " + entry.format(c=CANARY) + "\n"
    inv = write(tmp_path, text)
    with pytest.raises(InventoryError) as exc:
        load_inventory(inv)
    message_ = str(exc.value)
    assert message_.startswith(f"{inv}:{line}: {key}: "), message_
    assert CANARY not in message_ and "\n" not in message_


@pytest.mark.parametrize("entry, says", [
    ("platform: asterisk\n      config_dir: x\n      sip: {udp: 5060}", "sip: not used by a asterisk target"),
    ("platform: sip\n      address: 10.0.0.5\n      config_dir: x", "config_dir: not used by a sip target"),
    ("platform: asterisk\n      config_dir: x\n      clinic: Other", "clinic: not a target key"),
    ("platform: sip\n      address: 10.0.0.5\n      sip: {address: 10.9.9.9}", "sip.address: Extra inputs"),
    ("platform: tls\n      address: 10.0.0.5\n      tls: [{port: 443, host: 10.9.9.9}]", "takes no host"),
])
def test_a_key_that_would_be_ignored_is_refused_by_name(tmp_path, entry, says):
    inv = write(tmp_path, "clinics:\n- name: C\n  sites:\n  - name: S\n    targets:\n    - name: t\n      " + entry + "\n")
    with pytest.raises(InventoryError) as exc:
        load_inventory(inv)
    assert f"{inv}:6: clinics.0.sites.0.targets.0: " in str(exc.value) and says in str(exc.value)


def test_a_hand_built_target_whose_source_does_not_fit_its_platform_is_refused():
    with pytest.raises(ValueError, match="not read through sip"):
        Target(name="t", platform="asterisk", source=SipSource(address="10.0.0.5"))
    offline = Target(name="t", platform="asterisk", config_dir=EXAMPLE)  # the inventory layout, by keyword
    assert offline.source == ConfigDirSource(config_dir=str(EXAMPLE)) and not offline.live
    assert Target(name="c", platform="pcap", source=PcapSource(interface="eth1", seconds=5)).live
