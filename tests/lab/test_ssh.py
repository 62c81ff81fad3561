"""The SSH collector against a real OpenSSH server on loopback: the live audit of a tree
equals the offline audit of the same tree; host keys are enforced; dead, silent and
misconfigured targets become ERROR results with a reason while the rest is kept."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from tests.conftest import EXAMPLE
from tests.lab import servers
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.engine.collect import TargetSpec, collect
from voxaudit.model import ErrorKind
from voxaudit.targets import SshSource

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def remote_tree(tmp_path_factory) -> Path:
    """The example clinic as it would sit on a PBX: etc/ and var/ under one root."""
    return servers.stage_pbx_tree(EXAMPLE, tmp_path_factory.mktemp("pbx") / "root")


def ssh_spec(lab, tree: Path, tmp_path: Path, **over) -> SshSource:
    known = tmp_path / "known_hosts"
    if not known.exists():
        known.write_text(lab.known_hosts_line() + "\n")
    args = dict(address=servers.LOOPBACK, port=lab.port, username=os.environ.get("USER") or "root",
                key=f"file:{lab.client_key}", known_hosts=known, timeout=5,
                config_dir=str(tree / "etc" / "asterisk"), spool_dir=str(tree / "var" / "spool" / "asterisk"),
                logrotate=[str(tree / "etc" / "logrotate.d" / "asterisk")])
    args.update(over)
    return SshSource(**args)


def _comparable(facts) -> dict:
    data = json.loads(msgspec.json.encode(facts))
    if data.get("spool"):
        data["spool"].pop("collected_at", None)
    # Host evidence is read over SSH only with host_evidence: true (tests/lab/test_ssh_evidence.py);
    # offline, a snapshot root that holds a bundle (the example clinic's) is read as one.
    data.pop("host", None)
    data.get("configs", {}).pop("host evidence", None)
    return data


def test_live_facts_equal_offline_facts(ssh_lab, remote_tree, tmp_path):
    import getpass
    spec = TargetSpec(name="pbx", platform="asterisk",
                      source=ssh_spec(ssh_lab, remote_tree, tmp_path, username=getpass.getuser()))
    record = collect(spec)
    assert record.failure is None, record.failure
    assert record.source.startswith(f"ssh://{getpass.getuser()}@127.0.0.1:{ssh_lab.port}/")
    offline = collect_asterisk_tree(remote_tree / "etc" / "asterisk",
                                    spool_dir=remote_tree / "var" / "spool" / "asterisk",
                                    logrotate_files=[remote_tree / "etc" / "logrotate.d" / "asterisk"])
    assert _comparable(record.facts) == _comparable(offline)
    assert record.facts.spool.mailboxes and record.facts.spool.recordings.files > 0
    assert not list(Path("/tmp").glob("voxaudit-ssh-*"))  # the mirror is removed after the audit


def test_other_platforms_are_collected_over_ssh_too(ssh_lab, tmp_path):
    from tests.checks.test_switches import FIXTURES as SWITCHES
    remote = servers.stage_tree(SWITCHES / "weak", tmp_path / "configs")
    spec = TargetSpec(name="switches", platform="switch",
                      source=ssh_spec(ssh_lab, remote, tmp_path, config_dir=str(remote), spool_dir=None, logrotate=[]))
    record = collect(spec)
    assert record.failure is None, record.failure
    assert {d.get("flavor") for d in record.facts.of_kind("switch.device")} == {"ios", "aos-s"}


def test_unknown_host_key_is_refused_unless_trust_on_first_use(ssh_lab, remote_tree, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    refused = collect(TargetSpec(name="pbx", platform="asterisk",
                                 source=ssh_spec(ssh_lab, remote_tree, tmp_path, known_hosts=empty)))
    assert refused.failure.kind == ErrorKind.AUTH and "host key unknown" in refused.failure.reason
    tofu = collect(TargetSpec(name="pbx", platform="asterisk",
                              source=ssh_spec(ssh_lab, remote_tree, tmp_path, known_hosts=empty,
                                           trust_on_first_use=True)))
    assert tofu.failure is None
    assert ssh_lab.host_public_key.split()[1] in empty.read_text()  # recorded for next time


def test_changed_host_key_is_refused(ssh_lab, remote_tree, tmp_path):
    other = servers.keygen(tmp_path / "other_host")
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(f"[127.0.0.1]:{ssh_lab.port} {' '.join(other.with_suffix('.pub').read_text().split()[:2])}\n")
    record = collect(TargetSpec(name="pbx", platform="asterisk",
                                source=ssh_spec(ssh_lab, remote_tree, tmp_path, known_hosts=wrong)))
    assert record.failure.kind == ErrorKind.AUTH and "does NOT match" in record.failure.reason


def test_dead_silent_and_unauthorised_targets(ssh_lab, remote_tree, tmp_path):
    dead = collect(TargetSpec(name="dead", platform="asterisk",
                              source=ssh_spec(ssh_lab, remote_tree, tmp_path, port=servers.free_port())))
    assert dead.failure.kind == ErrorKind.CONNECTIVITY
    sock, port = servers.silent_tcp_server()
    try:
        started = time.monotonic()
        silent = collect(TargetSpec(name="silent", platform="asterisk",
                                    source=ssh_spec(ssh_lab, remote_tree, tmp_path, port=port, timeout=1.5)))
        assert time.monotonic() - started < 15  # bounded by the target's timeout, not hung
        assert silent.failure is not None and silent.failure.kind in {ErrorKind.TIMEOUT, ErrorKind.CONNECTIVITY}
    finally:
        sock.close()
    stranger = servers.keygen(tmp_path / "stranger")
    denied = collect(TargetSpec(name="denied", platform="asterisk",
                                source=ssh_spec(ssh_lab, remote_tree, tmp_path, key=f"file:{stranger}")))
    assert denied.failure.kind == ErrorKind.AUTH and "authentication failed" in denied.failure.reason
    missing = collect(TargetSpec(name="nokey", platform="asterisk",
                                 source=ssh_spec(ssh_lab, remote_tree, tmp_path, key=None, password="env:VOXAUDIT_UNSET_PW")))
    assert missing.failure.kind == ErrorKind.AUTH and "VOXAUDIT_UNSET_PW is not set" in missing.failure.reason


def test_inventory_scan_over_ssh_keeps_other_targets_and_secrets(ssh_lab, remote_tree, tmp_path):
    import getpass
    known = tmp_path / "known_hosts"
    known.write_text(ssh_lab.known_hosts_line() + "\n")
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"""
clinics:
  - name: Riverside Family Clinic
    sites:
      - name: main
        targets:
          - name: pbx-live
            platform: asterisk
            address: 127.0.0.1
            ssh:
              port: {ssh_lab.port}
              username: {getpass.getuser()}
              key: file:{ssh_lab.client_key}
              known_hosts: known_hosts
              config_dir: {remote_tree}/etc/asterisk
              spool_dir: {remote_tree}/var/spool/asterisk
              logrotate: [{remote_tree}/etc/logrotate.d/asterisk]
          - name: pbx-down
            platform: asterisk
            address: 127.0.0.1
            ssh:
              port: {servers.free_port()}
              username: auditor
              password: env:PBX_DOWN_PASSWORD
              known_hosts: known_hosts
              timeout: 2
              config_dir: /etc/asterisk
""")
    out = tmp_path / "out"
    env = dict(os.environ, PBX_DOWN_PASSWORD="Sup3r-Secret-Lab-Pw")
    exe = Path(sys.executable).parent / "voxaudit"
    proc = subprocess.run([str(exe), "scan", str(inv), "-o", str(out), "-f", "all", "-q"], capture_output=True,
                          text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    by_target = {}
    for r in doc["results"]:
        by_target.setdefault(r["target"], set()).add(r["status"])
    assert by_target["pbx-down"] == {"ERROR"}
    assert "FAIL" in by_target["pbx-live"] and "PASS" in by_target["pbx-live"]
    everything = proc.stdout + proc.stderr + "".join(p.read_text(errors="replace") for p in out.iterdir())
    assert "Sup3r-Secret-Lab-Pw" not in everything
    assert "OPENSSH PRIVATE KEY" not in everything
