"""Real calls in the lab: two baresip user agents in their own network namespaces, joined by a veth link,
place a call with SRTP (SDES, baresip's ``mediaenc=srtp-mand``) and a call with plain RTP. Nothing is
crafted: what crosses the link is what baresip sends (SIP over UDP, SDP, RTP or SRTP with RTCP), and a
voxaudit capture on the link judges it.

Audio is a 440 Hz tone written at test time (no sound card, no speech). Every process runs under
``timeout`` and baresip's own ``-t``; the namespaces are deleted on exit. Addresses exist only inside
the namespaces (10.30.0.0/24).
"""
from __future__ import annotations

import math
import os
import shutil
import struct
import subprocess
import sys
import time
import wave
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.lab.servers import LabUnavailable

CALLER, CALLEE = "10.30.0.11", "10.30.0.12"
MODULES = Path("/usr/lib/baresip/modules")


@dataclass
class CallLink:
    caller_ns: str
    callee_ns: str
    caller_if: str
    work: Path


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)
    if proc.returncode != 0:
        raise LabUnavailable(f"the kernel refused 'ip {' '.join(args)}': {proc.stderr.strip()}")


def _tone(path: Path, seconds: int = 12) -> None:
    with wave.open(str(path), "wb") as w:  # baresip's aufile source reads 16-bit PCM
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / 8000)))
                               for i in range(8000 * seconds)))


def _ua(work: Path, name: str, address: str, ifname: str, mediaenc: str) -> Path:
    d = work / f"{name}-{mediaenc or 'plain'}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "config").write_text(f"""module_path {MODULES}
sip_listen {address}:5060
net_interface {ifname}
audio_source aufile,{work / 'tone.wav'}
audio_player aufile,{d / 'heard.wav'}
audio_alert aufile,/dev/null
module g711.so
module aufile.so
module srtp.so
module_app account.so
module_app menu.so
""")
    enc = f";mediaenc={mediaenc}" if mediaenc else ""
    (d / "accounts").write_text(f"<sip:{name}@{address}>;regint=0{enc};answermode=auto\n")
    return d


@contextmanager
def call_link(work: Path) -> Iterator[CallLink]:
    """Two namespaces with a veth pair between them (caller 10.30.0.11, callee 10.30.0.12)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        raise LabUnavailable("network namespaces need root and iproute2")
    if shutil.which("baresip") is None or not (MODULES / "srtp.so").is_file():
        raise LabUnavailable("baresip missing: install Debian package baresip-core")
    tag = f"{os.getpid() % 100000}"
    link = CallLink(f"vxa-ca-{tag}", f"vxa-cb-{tag}", f"vca{tag}", work)
    work.mkdir(parents=True, exist_ok=True)
    _tone(work / "tone.wav")
    try:
        _ip("netns", "add", link.caller_ns)
        _ip("netns", "add", link.callee_ns)
        _ip("-n", link.caller_ns, "link", "add", link.caller_if, "type", "veth", "peer", "name", f"vcb{tag}",
            "netns", link.callee_ns)
        _ip("-n", link.caller_ns, "addr", "add", f"{CALLER}/24", "dev", link.caller_if)
        _ip("-n", link.callee_ns, "addr", "add", f"{CALLEE}/24", "dev", f"vcb{tag}")
        for ns, ifname in ((link.caller_ns, link.caller_if), (link.callee_ns, f"vcb{tag}")):
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", ifname, "up")
        yield link
    finally:
        for ns in (link.caller_ns, link.callee_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10, check=False)


def place_call(link: CallLink, mediaenc: str, seconds: int = 5) -> tuple[str, str]:
    """One call from caller to callee (both with ``mediaenc``: "srtp-mand" or "" for plain RTP), answered
    at once and hung up after ``seconds``; returns both user agents' logs."""
    tag = link.caller_if[3:]
    callee = _ua(link.work, "bob", CALLEE, f"vcb{tag}", mediaenc)
    caller = _ua(link.work, "alice", CALLER, link.caller_if, mediaenc)
    answer = subprocess.Popen(["ip", "netns", "exec", link.callee_ns, "timeout", str(seconds + 10), "baresip",
                               "-f", str(callee), "-t", str(seconds + 4)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        dial = subprocess.run(["ip", "netns", "exec", link.caller_ns, "timeout", str(seconds + 8), "baresip", "-f",
                               str(caller), "-e", f"/dial sip:bob@{CALLEE}", "-t", str(seconds)],
                              capture_output=True, text=True, timeout=seconds + 20, check=False, stdin=subprocess.DEVNULL)
        out, _ = answer.communicate(timeout=seconds + 15)
    finally:
        if answer.poll() is None:
            answer.kill()
            answer.wait(timeout=10)
    return dial.stdout, out.decode(errors="replace")


def capture_calls(link: CallLink, repo: Path, seconds: int = 5) -> tuple[dict, list[tuple[str, str]]]:
    """A voxaudit pcap target sniffing the caller's end of the link through both calls (SRTP, then plain
    RTP), scanned through the CLI inside the caller's namespace; (scan.json, the calls' logs)."""
    import json
    inv = link.work / "inventory.yaml"
    inv.write_text(f"""clinics:
  - name: Lab calls
    sites:
      - name: call link
        targets:
          - name: call-capture
            platform: pcap
            pcap: {{interface: {link.caller_if}, seconds: {2 * seconds + 8}, capture_point: access}}
""")
    out = link.work / "out"
    scan = subprocess.Popen(["ip", "netns", "exec", link.caller_ns, str(Path(sys.executable).parent / "voxaudit"),
                             "scan", str(inv), "-o", str(out), "-f", "json", "-q", "--no-history"],
                            cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        logs = [place_call(link, "srtp-mand", seconds), place_call(link, "", seconds)]
        _, err = scan.communicate(timeout=2 * seconds + 60)
    finally:
        if scan.poll() is None:
            scan.kill()
            scan.wait(timeout=10)
    if not (out / "scan.json").is_file():
        raise AssertionError(f"the capture scan wrote no scan.json: {err.decode(errors='replace')[-2000:]}")
    return json.loads((out / "scan.json").read_text()), logs
