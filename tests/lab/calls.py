"""Real calls in the lab: Kamailio (registrar and proxy, SIP over TLS only) and rtpengine (media anchor,
userspace forwarding) in a PBX network namespace; two baresip user agents, alice and bob, each in a
namespace of its own. They register over TLS, and alice calls bob twice: once with SRTP (SDES, baresip's
``mediaenc=srtp-mand``) and once with plain RTP. Nothing is crafted: what crosses the links is what the
Debian packages send (TLS, RTP or SRTP with RTCP).

The three namespaces hang off a bridge in the scanner's namespace (the bridge and its ports carry no
address, so nothing is routed there). A voxaudit pcap target sniffs the PBX's bridge port, the one link
every call crosses twice (phone to rtpengine, rtpengine to phone), and judges it.

Audio is baresip's ``ausine`` (a 440 Hz tone; no sound card, no speech, nothing played or recorded); bob's
receive rate in his log shows the media really went end to end. Every process is started in
its own process group and stopped by it; the user agents also run under baresip's own ``-t``; the
namespaces, the bridge and its ports are deleted on exit. Addresses exist only inside the namespaces
(10.30.0.0/24) and on their loopbacks.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.lab import servers
from tests.lab.servers import LabUnavailable, Server

PBX, ALICE, BOB = "10.30.0.1", "10.30.0.11", "10.30.0.12"
DOMAIN = "pbx.lab.example"
TLS_PORT, NG_PORT = 5061, 22222
MODULES = Path("/usr/lib/baresip/modules")
KAMAILIO_DIR = Path(__file__).resolve().parent / "kamailio"
PASSWORDS = {"alice": "alice-Call-Pw-31", "bob": "bob-Call-Pw-47"}  # registrar.cfg's htable
CALL_SECONDS = 5
# (name, baresip mediaenc, the phones' RTP port range, codec). One port range per call, so each stream in
# a capture can be told to its call. The plain call speaks Opus: compressed audio looks as random as
# ciphertext by entropy alone, the hard case for a capture that cannot read the SDP (SIP over TLS).
CALLS = (("srtp", "srtp-mand", (20000, 20199), "PCMU"), ("plain", "", (21000, 21199), "opus/48000/2"))
# Phone to phone, SIP over UDP with no registrar: the SDP and its SDES keys in clear, for the controls
# that read SDP. It never crosses the PBX's link (the bridge forwards it between the phones' ports).
DIRECT = ("sdes-clear", "srtp-mand", (22000, 22199), "PCMU")
ADDRESSES = {"alice": ALICE, "bob": BOB}


@dataclass
class CallLab:
    tag: str
    work: Path
    namespaces: dict[str, str]   # role (pbx, alice, bob) -> namespace name
    ports: dict[str, str]        # role -> its bridge port in the scanner's namespace
    bridge: str
    servers: list[Server] = field(default_factory=list)

    @property
    def capture_if(self) -> str:
        """The PBX's bridge port: every packet of every call goes through it."""
        return self.ports["pbx"]

    def stop(self) -> None:
        """Every process this lab started (by process group, last first), then its namespaces and links."""
        while self.servers:
            self.servers.pop().stop()
        for ns in self.namespaces.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10, check=False)
        for ifname in (*self.ports.values(), self.bridge):
            subprocess.run(["ip", "link", "del", ifname], capture_output=True, timeout=10, check=False)


@dataclass
class Call:
    name: str                     # "srtp" or "plain"
    mediaenc: str
    rtp_ports: tuple[int, int]    # the phones' RTP range for this call
    caller_log: str = ""
    callee_log: str = ""
    direct: bool = False          # phone to phone over UDP, no registrar, no rtpengine
    codec: str = "PCMU"           # the one codec offered, as baresip names it (PCMU, opus/48000/2, G722/16000/1)
    received_bps: int = 0         # bob's last receive rate for audio (the tone arrived through rtpengine)
    seconds: float = 0.0

    @property
    def established(self) -> bool:
        return "Call established" in self.caller_log and "Call established" in self.callee_log

    @property
    def srtp(self) -> bool:
        return "SRTP is Enabled" in self.caller_log + self.callee_log

    def owns(self, endpoint: str) -> bool:
        """Whether a capture's ``address:port`` is a phone's end of this call."""
        host, _, port = endpoint.rpartition(":")
        return host in (ALICE, BOB) and port.isdigit() and self.rtp_ports[0] <= int(port) <= self.rtp_ports[1]


def _run(argv: list[str], what: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    if proc.returncode != 0:
        raise LabUnavailable(f"{what}: '{' '.join(argv)}' failed: {proc.stderr.strip()[:300]}")
    return proc.stdout


def _ip(*args: str) -> None:
    _run(["ip", *args], "the kernel refused a namespace or link")


def _listening(ns: str, proto: str, port: int) -> bool:
    out = subprocess.run(["ss", "-N", ns, "-Hln" + proto, f"sport = :{port}"], capture_output=True, text=True,
                         timeout=10, check=False).stdout
    return bool(out.strip())


def _wait(ready: Callable[[], bool], server: Server, what: str, timeout: float = 20.0) -> None:
    """Until ``ready()``; RuntimeError with the end of the server's log if it exits or takes too long."""
    servers.wait_until(ready, server.proc, what, timeout=timeout, log=server.log)


def _start(lab: CallLab, role: str, name: str, argv: list[str], cwd: Path) -> Server:
    """``argv`` inside the role's namespace, in a process group of its own (``ip netns exec`` execs it, so
    the process started is the program itself), output to ``cwd/<name>.log``."""
    cwd.mkdir(parents=True, exist_ok=True)
    proc = servers._spawn(["ip", "netns", "exec", lab.namespaces[role], *argv], cwd, name=name)
    server = Server(name, proc, 0, cwd, getattr(proc, "log_path", None))
    lab.servers.append(server)
    return server


def _check_installed() -> None:
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("ss") is None:
        raise LabUnavailable("network namespaces need root and iproute2 (ip, ss)")
    missing = [f"{path} (Debian package {pkg})" for path, pkg in (
        ("/usr/sbin/kamailio", "kamailio"), ("/usr/bin/rtpengine", "rtpengine-daemon"),
        ("/usr/bin/baresip", "baresip-core"), (str(MODULES / "srtp.so"), "baresip-core"))
        if not Path(path).exists()]
    missing += [f"kamailio/modules/{module} (Debian package {pkg})" for module, pkg in (
        ("tls.so", "kamailio-tls-modules"), ("rtpengine.so", "kamailio-extra-modules"))
        if not list(Path("/usr/lib").glob(f"*/kamailio/modules/{module}"))]
    if missing:
        raise LabUnavailable(f"missing for the real calls: {', '.join(missing)} (scripts/setup.sh --test installs them)")


def _links(lab: CallLab) -> None:
    """The bridge and its ports in the scanner's namespace carry no address at all (not even IPv6
    link-local: addrgenmode none), so nothing is routed there; frames crossing the bridge do not meet the
    host's iptables (br_netfilter's nf_call_* off for this bridge)."""
    _ip("link", "add", lab.bridge, "type", "bridge")
    _ip("link", "set", lab.bridge, "type", "bridge", "nf_call_iptables", "0", "nf_call_ip6tables", "0",
        "nf_call_arptables", "0")
    _ip("link", "set", lab.bridge, "addrgenmode", "none")
    _ip("link", "set", lab.bridge, "up")
    for role, ns in lab.namespaces.items():
        _ip("netns", "add", ns)
        port = lab.ports[role]
        _ip("link", "add", port, "type", "veth", "peer", "name", "vc0", "netns", ns)
        _ip("link", "set", port, "addrgenmode", "none")
        _ip("link", "set", port, "master", lab.bridge)
        _ip("link", "set", port, "up")
        address = PBX if role == "pbx" else ADDRESSES[role]
        _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "vc0")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "link", "set", "vc0", "up")


def _start_pbx(lab: CallLab) -> None:
    pbx = lab.work / "pbx"
    pbx.mkdir(parents=True, exist_ok=True)
    servers.make_certs(pbx, "hardened")  # the lab CA and a leaf for pbx.lab.example
    rtpe = _start(lab, "pbx", "rtpengine", [
        "/usr/bin/rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--log-level=6",
        "--table=-1",  # no kernel module: rtpengine forwards every packet in userspace
        f"--interface={PBX}", f"--listen-ng=127.0.0.1:{NG_PORT}", "--port-min=30000", "--port-max=30199",
        f"--pidfile={pbx / 'rtpengine.pid'}"], pbx)
    _wait(lambda: _listening(lab.namespaces["pbx"], "u", NG_PORT), rtpe, "rtpengine")
    for src, dst in (("registrar.cfg", "kamailio.cfg"), ("registrar-tls.cfg", "tls.cfg")):
        text = (KAMAILIO_DIR / src).read_text()
        for key, value in (("@DIR@", str(pbx)), ("@ADDR@", PBX), ("@PORT_TLS@", str(TLS_PORT)),
                           ("@PORT_NG@", str(NG_PORT))):
            text = text.replace(key, value)
        (pbx / dst).write_text(text)
    (pbx / "run").mkdir(exist_ok=True)
    kam = _start(lab, "pbx", "kamailio", [
        "/usr/sbin/kamailio", "-DD", "-E", "-f", str(pbx / "kamailio.cfg"), "-P", str(pbx / "kamailio.pid"),
        "-Y", str(pbx / "run"), "-m", "64", "-M", "8"], pbx)
    _wait(lambda: _listening(lab.namespaces["pbx"], "t", TLS_PORT), kam, "kamailio (registrar)")


@contextmanager
def call_lab(work: Path) -> Iterator[CallLab]:
    """The namespaces, the bridge, rtpengine and Kamailio running; everything stopped and deleted on exit."""
    _check_installed()
    tag = f"{os.getpid() % 100000}"
    work.mkdir(parents=True, exist_ok=True)
    lab = CallLab(tag, work, {r: f"vxa-{r}-{tag}" for r in ("pbx", "alice", "bob")},
                  {"pbx": f"vxk{tag}", "alice": f"vxa{tag}", "bob": f"vxb{tag}"}, f"vxbr{tag}")
    try:
        _links(lab)
        _start_pbx(lab)
        yield lab
    finally:
        lab.stop()


def _ua(lab: CallLab, user: str, call: Call) -> Path:
    """baresip's configuration for one user agent and one call: SIP over TLS to the registrar as outbound
    proxy, the call's RTP port range, a 440 Hz tone as microphone (ausine makes 48 kHz stereo; baresip
    resamples it for PCMU), no speaker."""
    d = lab.work / f"{call.name}-{user}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "config").write_text(f"""module_path {MODULES}
sip_listen {ADDRESSES[user]}:5060
sip_cafile {lab.work / 'pbx' / 'ca.pem'}
net_interface vc0
rtp_ports {call.rtp_ports[0]}-{call.rtp_ports[1]}
audio_source ausine,440
ausrc_srate 48000
ausrc_channels 2
auplay_srate 8000
audio_alert aufile,/dev/null
module g711.so
module g722.so
module opus.so
module ausine.so
module aufile.so
module srtp.so
module_app account.so
module_app menu.so
""")
    enc = f";mediaenc={call.mediaenc}" if call.mediaenc else ""
    if call.direct:
        account = f"<sip:{user}@{ADDRESSES[user]}>;regint=0"
    else:
        account = (f"<sip:{user}@{DOMAIN};transport=tls>;auth_pass={PASSWORDS[user]}"
                   f";outbound=\"sip:{PBX}:{TLS_PORT};transport=tls\";regint=300")
    (d / "accounts").write_text(f"{account};audio_codecs={call.codec}{enc};answermode=auto\n")
    return d


def _registered(server: Server) -> bool:
    return bool(re.search(r"200 OK .*\[\d+ binding", server.tail()))


def _received_bps(log: str) -> int:
    """baresip's status line ends in ``audio=TX/RX (bit/s)``: the last receive rate it showed."""
    rates = re.findall(r"audio=\d+/(\d+) \(bit/s\)", log[-4000:])
    return int(rates[-1]) if rates else 0


def place_call(lab: CallLab, call: Call, seconds: int = CALL_SECONDS) -> Call:
    """bob registers and answers automatically; once he is registered, alice registers and calls
    sip:bob@pbx.lab.example through the registrar, and hangs up after about ``seconds`` (baresip -t).
    A direct call: bob listens on UDP 5060 and alice calls sip:bob@10.30.0.12 herself."""
    started = time.monotonic()
    bob_dir, alice_dir = _ua(lab, "bob", call), _ua(lab, "alice", call)
    bob = _start(lab, "bob", f"baresip-bob-{call.name}", ["baresip", "-f", str(bob_dir), "-t", str(seconds + 12)],
                 bob_dir)
    try:
        if call.direct:
            _wait(lambda: _listening(lab.namespaces["bob"], "u", 5060), bob, "baresip bob listening")
        else:
            _wait(lambda: _registered(bob), bob, "baresip bob registering over TLS", timeout=10)
        callee = f"sip:bob@{BOB}" if call.direct else f"sip:bob@{DOMAIN}"
        alice = _start(lab, "alice", f"baresip-alice-{call.name}",
                       ["baresip", "-f", str(alice_dir), "-e", f"/dial {callee}", "-t", str(seconds + 2)], alice_dir)
        try:
            alice.proc.wait(timeout=seconds + 15)
        except subprocess.TimeoutExpired:
            pass
        finally:
            alice.stop()
    finally:
        time.sleep(0.5)  # bob sees alice's BYE
        bob.stop()
    call.caller_log, call.callee_log = alice.tail(20000), bob.tail(20000)
    call.received_bps = _received_bps(call.callee_log)
    call.seconds = round(time.monotonic() - started, 2)
    return call


def place_calls(lab: CallLab, seconds: int = CALL_SECONDS, direct: bool = False) -> list[Call]:
    """The SRTP call, then the plain-RTP call (then, with ``direct``, the phone-to-phone SDES call)."""
    placed = [place_call(lab, Call(name, enc, ports, codec=codec), seconds) for name, enc, ports, codec in CALLS]
    if direct:
        name, enc, ports, codec = DIRECT
        placed.append(place_call(lab, Call(name, enc, ports, direct=True, codec=codec), seconds))
    return placed


def _ifindex(ifname: str) -> int:
    try:
        return int(Path(f"/sys/class/net/{ifname}/ifindex").read_text())
    except (OSError, ValueError):
        return -1


def capturing(ifname: str) -> bool:
    """Whether some packet socket (a sniffer) is bound to ``ifname`` in the scanner's namespace."""
    index = _ifindex(ifname)
    try:
        rows = Path("/proc/net/packet").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(len(cols) > 4 and cols[4] == str(index) for cols in (r.split() for r in rows))


class CallDriver(threading.Thread):
    """Places the calls once the capture listens on the PBX's port (and, with ``direct``, on bob's) or after
    ``wait`` seconds anyway: run beside a scan whose pcap targets sniff those ports."""

    def __init__(self, lab: CallLab, seconds: int = CALL_SECONDS, wait: float = 60.0, direct: bool = False) -> None:
        super().__init__(name="lab-calls", daemon=True)
        self.lab, self.seconds, self.wait, self.direct = lab, seconds, wait, direct
        self.interfaces = [lab.capture_if, lab.ports["bob"]] if direct else [lab.capture_if]
        self.calls: list[Call] = []
        self.error = ""
        self.waited = 0.0

    def run(self) -> None:
        started = time.monotonic()
        while not all(map(capturing, self.interfaces)) and time.monotonic() - started < self.wait:
            time.sleep(0.05)
        self.waited = round(time.monotonic() - started, 2)
        try:
            self.calls = place_calls(self.lab, self.seconds, self.direct)
        except Exception as exc:  # reported by the test or the runner, with the logs' end
            self.error = f"{exc.__class__.__name__}: {exc}"


def capture_seconds(seconds: int = CALL_SECONDS, calls: int = 2) -> int:
    """How long a capture target listens: the calls with registration and teardown, and a margin."""
    return calls * (seconds + 4) + 4


def inventory_target(lab: CallLab, name: str = "call-capture", indent: int = 10, role: str = "pbx",
                     calls: int = 2) -> str:
    """A pcap target (YAML, one list item) sniffing a bridge port (the PBX's by default) through the calls."""
    pad = " " * indent
    return (f"{pad}- name: {name}\n{pad}  platform: pcap\n"
            f"{pad}  pcap: {{interface: {lab.ports[role]}, seconds: {capture_seconds(calls=calls)}, "
            "capture_point: access}\n")


def per_call(doc: dict, target: str, calls: list[Call]) -> dict[str, dict]:
    """For each call: the capture's streams that are its own (by the phones' RTP ports), and the verdicts
    of the packet controls on them; the capture-wide verdicts (signalling, keys, VLANs) under "capture"."""
    rec = next(t for t in doc["targets"] if t["name"] == target)
    streams = rec["facts"].get("streams", []) if rec.get("facts") else []
    results = [r for r in doc["results"] if r["target"] == target]
    out: dict[str, dict] = {}
    for call in calls:
        mine = [s for s in streams if call.owns(s["src"]) or call.owns(s["dst"])]
        verdicts = [(r["check_id"], r["status"], r["evidence"]) for r in results
                    if r["check_id"] == "ENC-MEDIA-101" and any(f"{s['src']} -> {s['dst']}" in r["resource"]
                                                                for s in mine)]
        out[call.name] = {"streams": mine, "packets": sum(s["packets"] for s in mine), "verdicts": verdicts}
    out["capture"] = {"packets": rec["facts"].get("packets", 0) if rec.get("facts") else 0,
                      "verdicts": [(r["check_id"], r["status"], r["evidence"]) for r in results
                                   if r["check_id"] != "ENC-MEDIA-101"]}
    return out


def scan_calls(lab: CallLab, repo: Path, seconds: int = CALL_SECONDS) -> tuple[dict, list[Call], CallDriver]:
    """The calls on their own, the direct one too: an inventory with two capture targets (the PBX's port,
    ``call-capture``, and bob's, ``phone-capture``), ``voxaudit scan`` in the scanner's namespace, and the
    calls placed while both sniff; (scan.json, the calls, the driver)."""
    import json
    import sys
    inv = lab.work / "inventory.yaml"
    inv.write_text("clinics:\n  - name: Lab calls\n    sites:\n      - name: call link\n        targets:\n"
                   + inventory_target(lab, calls=3) + inventory_target(lab, "phone-capture", role="bob", calls=3))
    out = lab.work / "out"
    driver = CallDriver(lab, seconds, direct=True)
    driver.start()
    proc = subprocess.run([str(Path(sys.executable).parent / "voxaudit"), "scan", str(inv), "-o", str(out), "-f",
                           "json", "-q", "--no-history"], cwd=repo, capture_output=True, text=True,
                          timeout=capture_seconds(seconds, 3) + 120, check=False, stdin=subprocess.DEVNULL)
    driver.join(timeout=4 * seconds + 60)
    if not (out / "scan.json").is_file():
        raise AssertionError(f"the capture scan wrote no scan.json (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads((out / "scan.json").read_text()), driver.calls, driver
