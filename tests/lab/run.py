"""The whole lab in one go: start every server on loopback (and the namespaces), write one
inventory covering every live collector, scan it with ``voxaudit scan``, and stop everything.

    python -m tests.lab.run [--keep DIR] [--json]

Prints how long the lab took to start, the scan's wall time and each target's collection time.
The test suite runs it through tests/lab/test_full_lab.py; benchmarks/ reuses its timings.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from tests.lab import servers

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "riverside-family-clinic"
SWITCH_CONFIG = REPO / "tests" / "fixtures" / "switches" / "weak" / "clinic-core-c2960x.cfg"


def start_lab(work: Path, stack: ExitStack) -> dict:
    """Every lab component; returns what the inventory needs. Components the kernel or the machine
    cannot run are left out with the reason in ``skipped``."""
    started = time.monotonic()
    lab: dict = {"skipped": {}}
    ssh = servers.start_sshd(work / "sshd")
    stack.callback(ssh.server.stop)
    tree = servers.stage_pbx_tree(EXAMPLE, work / "pbx-root")
    (work / "known_hosts").write_text(ssh.known_hosts_line() + "\n")
    lab.update(ssh=ssh, tree=tree)
    for variant in ("weak", "hardened"):
        k = servers.start_kamailio(work / f"kamailio-{variant}", variant)
        stack.callback(k.server.stop)
        lab[f"kamailio_{variant}"] = k
    snmp = servers.start_snmpd(work / "snmpd")
    stack.callback(snmp.server.stop)
    lab["snmp"] = snmp
    switch = servers.start_fake_switch(work / "switch", SWITCH_CONFIG)
    stack.callback(switch.stop)
    with (work / "known_hosts").open("a") as fh:
        fh.write(switch.known_hosts_line + "\n")
    lab["switch"] = switch
    try:
        pair = servers.make_netns_pair(switch_in_root=True)
        stack.callback(pair.delete)
        lab["netns"] = pair
    except servers.LabUnavailable as exc:
        lab["skipped"]["packets"] = str(exc)
    lab["start_seconds"] = round(time.monotonic() - started, 2)
    return lab


def write_inventory(work: Path, lab: dict) -> Path:
    ssh, kw, kh, snmp, sw = lab["ssh"], lab["kamailio_weak"], lab["kamailio_hardened"], lab["snmp"], lab["switch"]
    tree = lab["tree"]
    import getpass
    pcap = ""
    if "netns" in lab:
        pcap = f"""
          - name: trunk-capture
            platform: pcap
            pcap: {{interface: {lab['netns'].switch_if}, seconds: 3, capture_point: trunk}}"""
    text = f"""# The voxaudit lab: every live collector against real servers on 127.0.0.1.
clinics:
  - name: Lab clinic
    sites:
      - name: front desk
        scanner_vantage: data
        targets:
          - name: pbx-ssh
            platform: asterisk
            address: 127.0.0.1
            ssh:
              port: {ssh.port}
              username: {getpass.getuser()}
              key: file:{ssh.client_key}
              known_hosts: known_hosts
              config_dir: {tree}/etc/asterisk
              spool_dir: {tree}/var/spool/asterisk
              logrotate: [{tree}/etc/logrotate.d/asterisk]
          - name: edge-weak
            platform: sip
            address: 127.0.0.1
            sip: {{udp: {kw.sip_port}, tcp: {kw.sip_port}, tls: {kw.tls_port}, domain: pbx.lab.example,
                  enumeration: true, known_user: alice, invite: true, invite_target: bob, rate_per_second: 10,
                  timeout: 1.5}}
          - name: switch-snmp
            platform: snmp
            address: 127.0.0.1
            snmp:
              port: {snmp.port}
              communities: [env:LAB_SNMP_COMMUNITY]
              try_default_communities: true
              timeout: 1
              users: [{{username: labauth, auth: env:LAB_SNMP_AUTH, priv: env:LAB_SNMP_PRIV}}]
          - name: clinic-core
            platform: switch
            address: 127.0.0.1
            cli: {{device_type: cisco_ios, port: {sw.port}, username: auditor, password: env:LAB_SW_PW,
                   known_hosts: known_hosts, timeout: 10}}{pcap}
      - name: server room
        scanner_vantage: voice
        targets:
          - name: edge-hardened
            platform: sip
            address: 127.0.0.1
            sip: {{udp: {servers.free_port()}, tcp: {servers.free_port()}, tls: {kh.tls_port},
                  domain: pbx.lab.example, ca_file: {kh.workdir}/ca.pem, enumeration: true, known_user: alice,
                  invite: true, invite_target: bob, rate_per_second: 10, timeout: 1.5}}
          - name: edge-hardened-tls
            platform: tls
            address: 127.0.0.1
            tls: [{{port: {kh.tls_port}, purpose: sip-tls, server_name: pbx.lab.example,
                    ca_file: {kh.workdir}/ca.pem}}]
          - name: snmp-hardened
            platform: snmp
            address: 127.0.0.1
            snmp:
              port: {snmp.port}
              timeout: 1
              users: [{{username: labpriv, auth: env:LAB_SNMP_AUTH, priv: env:LAB_SNMP_PRIV}}]
          - name: pbx-down
            platform: sip
            address: 127.0.0.1
            sip: {{udp: {servers.free_port()}, tcp: {servers.free_port()}, tls: null, timeout: 1}}
"""
    inv = work / "inventory.yaml"
    inv.write_text(text)
    return inv


def lab_env() -> dict:
    env = dict(os.environ, LAB_SW_PW=servers.SWITCH_PASSWORD)
    env.update({f"LAB_SNMP_{k.upper()}": v for k, v in servers.SNMP_SECRETS.items()})
    return env


def run_scan(work: Path, lab: dict, inv: Path, out: Path) -> tuple[subprocess.CompletedProcess, float]:
    exe = Path(sys.executable).parent / "voxaudit"
    argv = [str(exe), "scan", str(inv), "-o", str(out), "-f", "all", "-q"]
    sender = None
    if "netns" in lab:  # the capture target sniffs the veth end while the phone namespace talks
        pair = lab["netns"]
        sender = subprocess.Popen(["ip", "netns", "exec", pair.phone_ns, sys.executable, "-m", "tests.lab.traffic",
                                   pair.phone_if, "25"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=lab_env(), cwd=REPO)
    finally:
        if sender is not None:
            sender.terminate()
            sender.wait(timeout=10)
    return proc, round(time.monotonic() - started, 2)


def real_calls(work: Path, timings: dict) -> list[str]:
    """An SRTP call and a plain-RTP call between two baresip user agents in network namespaces, captured by
    a voxaudit pcap target on their link (tests/lab/calls.py); each packet control's verdicts, one line each."""
    from tests.lab import calls
    started = time.monotonic()
    try:
        with calls.call_link(work) as link:
            doc, _ = calls.capture_calls(link, Path(__file__).resolve().parents[2])
    except servers.LabUnavailable as exc:
        timings["skipped"]["real calls"] = str(exc)
        return []
    timings["real_calls_s"] = round(time.monotonic() - started, 2)
    return [f"{r['check_id']} {r['status']} {r['resource']}: {r['evidence'][:120]}" for r in doc["results"]
            if r["status"] in ("PASS", "FAIL")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="write the inventory and reports here and keep them")
    ap.add_argument("--json", action="store_true", help="print the timings as JSON")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="voxaudit-lab-"))
    work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        lab = start_lab(work, stack)
        inv = write_inventory(work, lab)
        proc, wall = run_scan(work, lab, inv, work / "out")
    doc = json.loads((work / "out" / "scan.json").read_text())
    timings = {"lab_start_s": lab["start_seconds"], "scan_wall_s": wall,
               "targets": {t["name"]: t["duration_s"] for t in doc["targets"]}, "skipped": lab["skipped"],
               "exit_code": proc.returncode}
    calls_verdicts = real_calls(work / "calls", timings)
    if args.json:
        print(json.dumps(timings))
    else:
        print(f"lab started in {timings['lab_start_s']} s; scan took {wall} s (exit {proc.returncode})")
        for name, secs in timings["targets"].items():
            print(f"  {name:20s} {secs:8.3f} s")
        for what, why in lab["skipped"].items():
            print(f"  skipped {what}: {why}")
        for line in calls_verdicts:
            print(f"  real calls: {line}")
        print(f"reports in {work / 'out'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if proc.returncode in (0, 1) else proc.returncode


if __name__ == "__main__":
    sys.exit(main())
