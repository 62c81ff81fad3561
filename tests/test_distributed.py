"""Distributed mode without a broker: the message a site collector gets and what it answers, queue
routing, and the broker and store URLs' handling of passwords. The broker itself is exercised for
real in tests/lab/test_distributed.py."""
from __future__ import annotations

import json

import msgspec
import pytest

from tests.conftest import EXAMPLE
from voxaudit.engine.broker import (
    MESSAGE_VERSION,
    DistributedError,
    broker_url,
    collect_entry,
    message,
    queue_name,
    redact_url,
)
from voxaudit.engine.collect import collect
from voxaudit.history import redact
from voxaudit.inventory import load_inventory
from voxaudit.model import ErrorKind
from voxaudit.scan import target_from_builtins


def write_inventory(tmp_path, community_ref: str = "env:SWITCH_RO") -> object:
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"""\
clinics:
  - name: Riverside
    sites:
      - name: Main St. (2nd floor)
        targets:
          - name: riverside-pbx
            platform: asterisk
            config_dir: {EXAMPLE}
      - name: Annex
        collector_queue: msp.annex
        targets:
          - name: annex-switch
            platform: snmp
            address: 127.0.0.1
            snmp: {{port: 9, communities: [{community_ref}], timeout: 0.2}}
""")
    return load_inventory(inv)


def test_queue_names_come_from_the_site_unless_the_inventory_names_one(tmp_path):
    pbx, switch = write_inventory(tmp_path)
    assert queue_name(pbx.site, pbx.queue) == "voxaudit.site.main-st-2nd-floor"
    assert queue_name(switch.site, switch.queue) == "msp.annex"


def test_the_message_carries_references_never_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCH_RO", "s3cret-community")
    _, switch = write_inventory(tmp_path)
    sent = json.dumps(message(switch, 60))
    assert "env:SWITCH_RO" in sent and "s3cret-community" not in sent


def test_a_collector_rebuilds_the_target_and_collects_the_same_facts(tmp_path):
    pbx, _ = write_inventory(tmp_path)
    answer = collect_entry(message(pbx, 60), collector="c1@site")
    remote = target_from_builtins(answer["record"])
    local = collect(pbx)
    assert remote.failure is None and remote.collector == "c1@site"
    assert msgspec.to_builtins(remote.facts) == msgspec.to_builtins(local.facts)
    assert (remote.clinic, remote.site) == ("Riverside", "Main St. (2nd floor)")


def test_a_bad_message_is_a_failed_record_not_an_exception(tmp_path):
    pbx, _ = write_inventory(tmp_path)
    sent = message(pbx, 60)
    future = target_from_builtins(collect_entry(dict(sent, v=99))["record"])
    assert future.failure.kind == ErrorKind.PARSE and future.name == "riverside-pbx"
    # a version 1 message (the raw inventory entry) is refused by name, not half-read
    v1 = {"v": 1, "entry": {"target": {"name": "riverside-pbx", "platform": "asterisk", "config_dir": str(EXAMPLE)},
                            "clinic": "Riverside", "site": "Main"}}
    old = target_from_builtins(collect_entry(v1)["record"])
    assert old.failure.kind == ErrorKind.PARSE and old.name == "riverside-pbx"
    assert "message version 1" in old.failure.reason and f"speaks {MESSAGE_VERSION}" in old.failure.reason
    assert old.facts is None
    bad = target_from_builtins(collect_entry(dict(sent, target=dict(sent["target"], platform="fax-machine")))["record"])
    assert bad.failure.kind == ErrorKind.PARSE and "platform" in bad.failure.reason
    empty = target_from_builtins(collect_entry({})["record"])
    assert empty.failure is not None


def test_broker_url_from_a_reference_and_never_shown_with_its_password(monkeypatch, tmp_path):
    monkeypatch.setenv("MSP_BROKER", "rediss://:pw-Zq81@broker.msp.example:6380/2")
    assert broker_url("env:MSP_BROKER") == "rediss://:pw-Zq81@broker.msp.example:6380/2"
    monkeypatch.setenv("VOXAUDIT_BROKER", "redis://127.0.0.1:6379/0")
    assert broker_url(None) == "redis://127.0.0.1:6379/0"
    assert redact_url("redis://:pw-Zq81@h:1/0") == "redis://:***@h:1/0"
    with pytest.raises(DistributedError) as exc:
        broker_url("http://user:pw-Zq81@h/")
    assert "pw-Zq81" not in str(exc.value)
    with pytest.raises(DistributedError, match="MISSING_VAR"):
        broker_url("env:MISSING_VAR")
    assert redact("postgresql://msp:pw-Zq81@db.msp.example:5432/voxaudit") == \
        "postgresql://msp:***@db.msp.example:5432/voxaudit"


def test_cli_distributed_mode_needs_an_inventory():
    from tests.test_cli import voxaudit

    proc = voxaudit("scan", "--config-dir", str(EXAMPLE), "--broker", "redis://127.0.0.1:1/0")
    assert proc.returncode == 2 and "needs an INVENTORY" in proc.stderr
