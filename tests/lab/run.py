"""The whole lab in one go: start every server on loopback (and the namespaces), write one
inventory covering every live collector, scan it with ``voxaudit scan``, and stop everything.

    python -m tests.lab.run [--keep DIR] [--json]

Prints how long the lab took to start, the scan's wall time and each target's collection time, and
the real calls' verdicts: an SRTP call and a plain-RTP call between two baresip phones through Kamailio
(TLS registrar) and rtpengine, placed while the scan's ``call-capture`` target sniffs the PBX's link
(tests/lab/calls.py). The test suite runs it through tests/lab/test_full_lab.py; benchmarks/ reuses
its timings.
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


def start_lab(work: Path, stack: ExitStack, real_calls: bool = True) -> dict:
    """Every lab component; returns what the inventory needs. Components the kernel or the machine
    cannot run are left out with the reason in ``skipped``. ``real_calls``: the PBX namespace for the
    real calls (its capture adds about 22 s to the scan's wall time)."""
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
    if real_calls:
        from tests.lab import calls
        try:
            lab["calls"] = stack.enter_context(calls.call_lab(work / "calls"))
        except servers.LabUnavailable as exc:
            lab["skipped"]["real calls"] = str(exc)
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
    if "calls" in lab:  # a clinic of its own: it starts at once beside the others, and drift pairs nothing with it
        from tests.lab import calls
        text += "  - name: Lab calls\n    sites:\n      - name: PBX link\n        targets:\n"
        text += calls.inventory_target(lab["calls"])
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
    driver = None
    if "calls" in lab:  # the calls start once the call-capture target listens on the PBX's link
        from tests.lab import calls
        driver = lab["call_driver"] = calls.CallDriver(lab["calls"])
        driver.start()
    started = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=lab_env(), cwd=REPO)
    finally:
        if sender is not None:
            sender.terminate()
            sender.wait(timeout=10)
        if driver is not None:
            driver.join(timeout=120)
    return proc, round(time.monotonic() - started, 2)


def real_calls(doc: dict, lab: dict, timings: dict) -> list[str]:
    """The real calls' figures into ``timings`` and one line per call and per capture-wide verdict."""
    driver = lab.get("call_driver")
    if driver is None:
        return []
    from tests.lab import calls
    if driver.error:
        timings["real_calls"] = {"error": driver.error}
        return [f"the calls failed: {driver.error}"]
    judged = calls.per_call(doc, "call-capture", driver.calls)
    timings["real_calls"] = {c.name: {"seconds": c.seconds, "established": c.established, "srtp": c.srtp,
                                      "media_packets": judged[c.name]["packets"],
                                      "streams": [s["kind"] for s in judged[c.name]["streams"]],
                                      "verdicts": sorted({v[1] for v in judged[c.name]["verdicts"]})}
                             for c in driver.calls}
    timings["real_calls"]["capture_packets"] = judged["capture"]["packets"]
    lines = []
    for c in driver.calls:
        seen = judged[c.name]
        lines.append(f"{c.name} call: {'established' if c.established else 'NOT established'} "
                     f"({c.seconds} s, SRTP {'on' if c.srtp else 'off'}), {len(seen['streams'])} streams, "
                     f"{seen['packets']} media packets; ENC-MEDIA-101 "
                     f"{', '.join(sorted({v[1] for v in seen['verdicts']})) or 'none'}")
    lines += [f"{cid} {status}: {evidence[:140]}" for cid, status, evidence in judged["capture"]["verdicts"]]
    return lines


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
    calls_verdicts = real_calls(doc, lab, timings)
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
