"""--target-timeout stops the work, it does not only label it.

Real hangs, not sleeps that would end on their own: a regular expression with exponential
backtracking (the C regex engine holding the interpreter, as a reader's slow regex on a hostile
line would), a pure-Python endless loop, and a live collector that ignores signals and has started
a process of its own. Each must be over at the deadline (plus a small margin), its checks ERROR
(timeout), every other target kept, and ``voxaudit scan`` must exit right after its reports.
"""
from __future__ import annotations

import gc
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, REPO
from voxaudit.engine import collect as runner
from voxaudit.engine.collect import TargetSpec
from voxaudit.engine.local import collect_fleet
from voxaudit.model import ErrorKind
from voxaudit.targets import SnmpSource

TIMEOUT = 1.0
MARGIN = 1.0  # the deadline's own granularity is well under this; the rest is process start-up and reaping
CATASTROPHIC = re.compile(r"(a+)+$")  # exponential on 'aaa…b': years for 60 characters


def hang_in_regex(spec, note):
    CATASTROPHIC.match("a" * 60 + "b")
    raise AssertionError("the regex returned")


def hang_in_python(spec, note):
    n = 0
    while True:
        n += 1


def hang_live(spec, note):
    """In the live target's child process: immune to SIGTERM/SIGALRM/SIGINT, with a process of its own."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGALRM, signal.SIGINT})
    helper = subprocess.Popen(["sleep", "3600"])
    Path(os.environ["VOXAUDIT_TEST_PIDFILE"]).write_text(f"{os.getpid()} {helper.pid}")
    time.sleep(3600)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose (its parent has not reaped it yet)
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def offline(name: str, clinic: str = "A") -> TargetSpec:
    return TargetSpec(name=name, platform="asterisk", config_dir=EXAMPLE, clinic=clinic)


@pytest.mark.parametrize("hang", [hang_in_regex, hang_in_python], ids=["regex", "python-loop"])
def test_offline_hang_is_stopped_at_the_deadline(monkeypatch, hang):
    real = runner.COLLECTORS["asterisk"]
    monkeypatch.setitem(runner.COLLECTORS, "asterisk",
                        lambda spec, note: hang(spec, note) if spec.name == "hung" else real(spec, note))
    started = time.monotonic()
    records = {r.name: r for r in collect_fleet([offline("before"), offline("hung"), offline("after", "B")],
                                                target_timeout=TIMEOUT)}
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + MARGIN, elapsed
    assert records["hung"].failure.kind == ErrorKind.TIMEOUT and "stopped" in records["hung"].failure.reason
    assert records["before"].facts is not None and records["after"].facts is not None
    assert gc.isenabled()  # the collection's gc pause was undone on the way out
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # and the timer disarmed
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_live_hang_is_killed_with_what_it_started(monkeypatch, tmp_path):
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("VOXAUDIT_TEST_PIDFILE", str(pidfile))
    monkeypatch.setitem(runner.COLLECTORS, "snmp", hang_live)
    live = TargetSpec(name="snmp-hung", platform="snmp", clinic="A", source=SnmpSource(address="127.0.0.1"))
    started = time.monotonic()
    records = {r.name: r for r in collect_fleet([live, offline("pbx", "B")], target_timeout=TIMEOUT)}
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + MARGIN, elapsed
    assert records["snmp-hung"].failure.kind == ErrorKind.TIMEOUT
    assert records["pbx"].facts is not None
    child, helper = map(int, pidfile.read_text().split())
    deadline = time.monotonic() + 2
    while (alive(child) or alive(helper)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child) and not alive(helper)  # the whole process group went


def test_a_collector_that_crashes_its_process_costs_only_its_target(monkeypatch):
    monkeypatch.setitem(runner.COLLECTORS, "snmp", lambda spec, note: os._exit(3))
    live = TargetSpec(name="snmp-crash", platform="snmp", source=SnmpSource(address="127.0.0.1"))
    records = {r.name: r for r in collect_fleet([live, offline("pbx")], target_timeout=30)}
    assert records["snmp-crash"].failure.kind == ErrorKind.BUG
    assert "exit code 3" in records["snmp-crash"].failure.reason
    assert records["pbx"].facts is not None


def test_offline_targets_off_the_main_thread_go_to_children(monkeypatch):
    """A SIGALRM timer only works in the main thread: elsewhere offline targets are stopped like live ones."""
    import threading

    real = runner.COLLECTORS["asterisk"]
    monkeypatch.setitem(runner.COLLECTORS, "asterisk",
                        lambda spec, note: hang_in_regex(spec, note) if spec.name == "hung" else real(spec, note))
    out: list = []
    th = threading.Thread(target=lambda: out.append(collect_fleet([offline("hung"), offline("ok", "B")],
                                                                  target_timeout=TIMEOUT)))
    started = time.monotonic()
    th.start()
    th.join(timeout=30)
    assert not th.is_alive() and time.monotonic() - started < TIMEOUT + MARGIN + 1
    records = {r.name: r for r in out[0]}
    assert records["hung"].failure.kind == ErrorKind.TIMEOUT and records["ok"].facts is not None


DRIVER = """
import os, re, signal, subprocess, sys, time
from pathlib import Path
from voxaudit.engine import collect as runner
from tests.test_deadlines import hang_in_regex, hang_live

real = runner.COLLECTORS["asterisk"]
runner.COLLECTORS["asterisk"] = lambda spec, note: hang_in_regex(spec, note) if spec.name == "pbx-hung" else real(spec, note)
runner.COLLECTORS["snmp"] = hang_live
from voxaudit.cli import main
sys.argv = ["voxaudit", *sys.argv[1:]]
main()
"""


def _scan(tmp_path: Path, inventory: str, name: str) -> tuple[float, subprocess.CompletedProcess, dict]:
    inv = tmp_path / f"{name}.yaml"
    inv.write_text(inventory)
    out = tmp_path / name
    env = dict(os.environ, VOXAUDIT_TEST_PIDFILE=str(tmp_path / f"{name}.pids"), PYTHONPATH=str(REPO))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", DRIVER, "scan", str(inv), "-o", str(out), "-q", "-f", "json",
                           "--no-history", "--target-timeout", str(TIMEOUT)], check=False, capture_output=True,
                          text=True,
                          timeout=120, env=env, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert proc.returncode in (0, 1), proc.stderr
    return elapsed, proc, json.loads((out / "scan.json").read_text())


def test_cli_exits_right_after_the_deadline(tmp_path):
    """The whole command, measured: with two targets that would run forever it takes no longer than
    without them plus the deadline and a small margin, and writes everything else."""
    def inventory(*targets: str) -> str:
        return "clinics:\n  - name: Clinic\n    sites:\n      - name: main\n        targets:\n" + "".join(
            f"          - {t}\n" for t in targets)

    ok = f"{{name: pbx-ok, platform: asterisk, config_dir: {EXAMPLE}}}"
    good = inventory(ok)
    hung = inventory(ok, f"{{name: pbx-hung, platform: asterisk, config_dir: {EXAMPLE}}}",
                     "{name: snmp-hung, platform: snmp, address: 127.0.0.1, snmp: {try_default_communities: true}}")
    baseline, _, _ = _scan(tmp_path, good, "baseline")
    elapsed, proc, doc = _scan(tmp_path, hung, "hung")
    print(f"\nscan without hung targets {baseline:.2f} s; with two hung targets and --target-timeout "
          f"{TIMEOUT:g}: {elapsed:.2f} s")
    assert elapsed < baseline + TIMEOUT + MARGIN + 0.5, (baseline, elapsed)
    errors = {(r["target"], r["error_kind"]) for r in doc["results"] if r["status"] == "ERROR"}
    assert ("pbx-hung", "timeout") in errors and ("snmp-hung", "timeout") in errors
    # pbx-ok's only ERROR is what no copy of /etc/asterisk holds (FreePBX's web session lifetime)
    # and no business-associate register was given (BAA-101: unknown, not passed)
    assert {(r["check_id"], r["error_kind"]) for r in doc["results"] if r["target"] == "pbx-ok" and r["status"] == "ERROR"} \
        == {("ACC-LOGOFF-101", "not_collected"), ("BAA-101", "not_collected")}
    assert {r["status"] for r in doc["results"] if r["target"] == "pbx-ok"} >= {"PASS", "FAIL"}
    assert "Traceback" not in proc.stderr


# -- TLS and SIP probes of endpoints that never answer: bounded by the timeout, not by retries ------

class Listener:
    """A real TCP endpoint on 127.0.0.1 that misbehaves: ``silent`` accepts and never writes,
    ``trickle`` accepts and sends one byte every 0.2 s forever, ``never-accepts`` has a full backlog
    (further SYNs are dropped, as by a filtering firewall)."""

    def __init__(self, mode: str) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list = []
        self.stop = threading.Event()
        if mode == "never-accepts":
            self.sock.listen(0)
            for _ in range(4):
                s = socket.socket()
                s.setblocking(False)
                try:
                    s.connect(("127.0.0.1", self.port))
                except BlockingIOError:
                    pass
                self.held.append(s)
            time.sleep(0.2)
            return
        self.sock.listen(64)
        self.sock.settimeout(0.1)

        def serve() -> None:
            while not self.stop.is_set():
                try:
                    conn, _ = self.sock.accept()
                    self.held.append(conn)
                except OSError:
                    pass
                if mode == "trickle":
                    for c in list(self.held):
                        try:
                            c.send(b"\x16")
                        except OSError:
                            self.held.remove(c)
                    time.sleep(0.2)
        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        for s in self.held:
            s.close()
        self.sock.close()


@pytest.mark.parametrize("mode", ["silent", "never-accepts", "trickle"])
def test_tls_scan_of_a_dead_endpoint_takes_one_timeout(mode):
    from voxaudit.collectors.tls import TlsTarget, scan_tls

    listener = Listener(mode)
    try:
        started = time.monotonic()
        scan = scan_tls([TlsTarget(host="127.0.0.1", port=listener.port, timeout=1)])[0]
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    print(f"\nTLS scan, {mode} endpoint, timeout 1 s: {elapsed:.2f} s ({scan.error})")
    assert not scan.completed and scan.error
    assert elapsed < 1 + 0.5, elapsed  # was 19 s (silent) and 9 s (never accepts) before
    assert ("TCP connection" in scan.error) if mode == "never-accepts" else ("never answers" in scan.error)


def test_tls_scan_bound_holds_for_every_endpoint_at_once():
    """Endpoints are scanned in parallel: three dead ones still cost one timeout, not three."""
    from voxaudit.collectors.tls import MAX_TIMEOUTS, TlsTarget, scan_tls

    listeners = [Listener(m) for m in ("silent", "never-accepts", "trickle")]
    try:
        started = time.monotonic()
        scans = scan_tls([TlsTarget(host="127.0.0.1", port=x.port, timeout=1) for x in listeners])
        elapsed = time.monotonic() - started
    finally:
        for x in listeners:
            x.close()
    assert all(not s.completed for s in scans) and elapsed < 1.5 and MAX_TIMEOUTS == 17


def test_sip_tls_transport_that_never_handshakes_is_bounded():
    from voxaudit.collectors.offline import CollectionError
    from voxaudit.collectors.sip import probe
    from voxaudit.targets import SipSource

    listener = Listener("trickle")
    try:
        started = time.monotonic()
        with pytest.raises(CollectionError) as err:
            probe(SipSource(address="127.0.0.1", udp=None, tcp=None, tls=listener.port, timeout=1))
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert elapsed < 1.5, elapsed  # the handshake is bounded, however slowly the bytes trickle in
    assert "no TLS handshake within 1 s" in err.value.reason


class PickyTlsServer:
    """A real TLS 1.2+ server (Python's ssl, the lab's certificate) that answers hellos for old
    versions with silence instead of an alert, as some stacks do. ``stall_after``: after that many
    connections it stops answering anything (a server that hung in the middle of the scan)."""

    def __init__(self, workdir: Path, stall_after: int = 0) -> None:
        import socket
        import ssl
        import threading

        from tests.lab.servers import make_certs

        workdir.mkdir(parents=True, exist_ok=True)
        make_certs(workdir, "hardened")
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(workdir / "cert.pem", workdir / "key.pem")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stall_after, self.seen, self.held, self.stop = stall_after, 0, [], threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.seen += 1
            threading.Thread(target=self._one, args=(conn, self.seen), daemon=True).start()

    def _one(self, conn, n: int) -> None:
        self.held.append(conn)
        conn.settimeout(3)
        try:
            head = conn.recv(11, __import__("socket").MSG_PEEK)
        except OSError:
            return
        old = len(head) < 11 or head[0] & 0x80 or head[0] != 0x16 or (head[9], head[10]) < (3, 3)
        if old or (self.stall_after and n > self.stall_after):
            return  # read, and never answer
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except OSError:
            pass

    def close(self) -> None:
        self.stop.set()
        for c in self.held:
            c.close()
        self.sock.close()


def test_tls_silence_counts_as_refusal_only_when_later_handshakes_were_answered(tmp_path):
    from voxaudit.collectors.tls import TlsTarget, scan_tls

    picky = PickyTlsServer(tmp_path / "picky")
    try:
        started = time.monotonic()
        scan = scan_tls([TlsTarget(host="127.0.0.1", port=picky.port, timeout=1, ca_file=str(tmp_path / "picky" /
                                                                                            "ca.pem"))])[0]
        elapsed = time.monotonic() - started
    finally:
        picky.close()
    print(f"\nTLS scan of a server ignoring old hellos: {elapsed:.2f} s, {scan.accepted_versions}")
    assert scan.completed, scan.error
    assert scan.accepted_versions == ["TLS 1.2", "TLS 1.3"] and scan.weak_ciphers == []
    from voxaudit.collectors.tls import MAX_TIMEOUTS
    assert elapsed < MAX_TIMEOUTS * 1


def test_tls_server_that_stops_answering_mid_scan_is_unknown_not_refused(tmp_path):
    from voxaudit.collectors.tls import TlsTarget, scan_tls

    stalling = PickyTlsServer(tmp_path / "stall", stall_after=1)  # answers the first handshake only
    try:
        scan = scan_tls([TlsTarget(host="127.0.0.1", port=stalling.port, timeout=0.5)])[0]
    finally:
        stalling.close()
    assert not scan.completed
    assert "not established" in scan.error and "TLS 1.0" in scan.error  # never "accepts only TLS 1.2"
