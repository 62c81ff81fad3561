"""voxaudit benchmarks: one command, one table (``./scripts/bench.sh``).

Measured now: parse + facts + checks + scoring of a synthetic FreePBX-style Asterisk tree
with N endpoints and N mailboxes (default 10,000), offline, in this process; the whole CLI
(``voxaudit scan --format json``, its own process, peak RSS from the kernel) on the same tree
paired run by run with a 30-line reader of the same files (benchmarks/minimal_parser.py), next to the
least a scan saving the same per-object evidence must do in CPython (benchmarks/lower_bound.py), and
``voxaudit --version`` paired with a bare ``python -c pass`` (ratios of medians, so a busy
machine's drift cancels); ``--large N`` adds the CLI case at N (memory must grow linearly); and
the demo clinic end to end. Peak memory is tracemalloc's peak in one extra run (timed runs are not traced). Each case runs
--repeat times; the table shows the median and the best.

With --lab (root, the lab's Debian packages; see tests/lab/): the lab's full live scan next to
sslyze's own scan (all cipher suites and the certificate) of the same TLS endpoints, and a
50-clinic fleet of lab targets on loopback collected concurrently (a child process per live
target; clinics split across 2 processes) and sequentially. The fleet's memory column is peak resident memory of the
whole process tree (RSS), not tracemalloc, so the three modes are timed and measured alike.
"""
from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import msgspec

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from voxaudit.engine.collect import TargetSpec  # noqa: E402
from voxaudit.profile import load_profile  # noqa: E402
from voxaudit.registry import load_registry  # noqa: E402
from voxaudit.service import run_scan  # noqa: E402


def synthetic_tree(root: Path, n: int) -> Path:
    """A FreePBX-shaped tree: templates, per-extension endpoint/aor/auth, one mailbox each."""
    etc = root / "etc" / "asterisk"
    etc.mkdir(parents=True)
    (etc / "pjsip.conf").write_text("#include pjsip_custom.conf\n#include pjsip.transports.conf\n"
                                    "#include pjsip.endpoint.conf\n#include pjsip.aor.conf\n#include pjsip.auth.conf\n")
    (etc / "pjsip_custom.conf").write_text(
        "[phone](!)\ntype=endpoint\ncontext=from-internal\ndisallow=all\nallow=g722,ulaw\n"
        "transport=tls\nmedia_encryption=sdes\ncontact_deny=0.0.0.0/0.0.0.0\ncontact_permit=10.0.0.0/255.0.0.0\n")
    (etc / "pjsip.transports.conf").write_text(
        "[udp]\ntype=transport\nprotocol=udp\nbind=0.0.0.0:5060\n"
        "[tls]\ntype=transport\nprotocol=tls\nbind=0.0.0.0:5061\nmethod=tlsv1_2\ncert_file=/k.crt\npriv_key_file=/k.key\n")
    ep, aor, auth, vm = [], [], [], ["[general]\nattach=no\nminpassword=6\nmaxsecs=180\n", "[default]"]
    for i in range(n):
        ext = 10000 + i
        ep.append(f"[{ext}](phone)\naors={ext}\nauth={ext}-auth\ncallerid=Ext {ext} <{ext}>\n")
        aor.append(f"[{ext}]\ntype=aor\nmax_contacts=1\n")
        auth.append(f"[{ext}-auth]\ntype=auth\nauth_type=userpass\nusername={ext}\npassword=Pw{ext * 7919:x}Zq{i % 97}\n")
        pin = "".join(str((ext * 31 + k * 7) % 10) for k in range(6)) if i % 50 else str(ext)
        vm.append(f"{ext} => {pin},User {i},u{i}@clinic.example,,attach=no|delete=no")
    (etc / "pjsip.endpoint.conf").write_text("\n".join(ep))
    (etc / "pjsip.aor.conf").write_text("\n".join(aor))
    (etc / "pjsip.auth.conf").write_text("\n".join(auth))
    (etc / "voicemail.conf").write_text("\n".join(vm) + "\n")
    (etc / "logger.conf").write_text("[logfiles]\nmessages => notice,warning,error,security\n")
    (etc / "extensions.conf").write_text("[from-internal]\nexten => *97,1,VoiceMailMain(${CALLERID(num)}@default)\n")
    return root


def measure(label: str, fn, repeat: int) -> dict:
    """Time ``repeat`` plain runs, then one more under tracemalloc for peak memory (it slows runs)."""
    times, detail = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        detail = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"case": label, "median_s": statistics.median(times), "best_s": min(times),
            "peak_mib": peak / 2**20, "detail": detail}


class PeakRss:
    """Peak resident memory of this process and its Python children (sampled from /proc every 0.1 s;
    the lab's servers, also children of this process, are left out).

    For the fleet cases, where tracemalloc would both miss the child processes and slow only the
    traced process, making the comparison unfair."""

    def __init__(self) -> None:
        import threading
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree_rss_kib(pid: int) -> int:
        total = 0
        todo = [pid]
        while todo:
            p = todo.pop()
            try:
                status = Path(f"/proc/{p}/status").read_text()
                if p != pid and not Path(f"/proc/{p}/comm").read_text().startswith("python"):
                    continue
                total += int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS:")))
                for task in Path(f"/proc/{p}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, StopIteration, ValueError):
                continue
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_kib = max(self.peak_kib, self._tree_rss_kib(os.getpid()))

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def lab_rows(registry, profile, clinics: int) -> list[dict]:
    """Live cases against the lab on loopback; each measured once (they take seconds to minutes)."""
    import subprocess
    from contextlib import ExitStack

    from tests.lab import run as lab_run
    from voxaudit.targets import SipSource, SshSource

    rows = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        t0 = time.perf_counter()
        lab = lab_run.start_lab(work, stack, real_calls=False)  # the calls would add ~18 s to the compared scan
        start_s = time.perf_counter() - t0
        inv = lab_run.write_inventory(work, lab)
        proc, wall = lab_run.run_scan(work, lab, inv, work / "out")
        rows.append({"case": "lab: start every server", "median_s": start_s, "best_s": start_s, "peak_mib": 0.0,
                     "detail": "sshd, 2x kamailio, snmpd, fakenos, netns"})
        rows.append({"case": "lab: full live scan (voxaudit scan, CLI)", "median_s": wall, "best_s": wall,
                     "peak_mib": 0.0, "detail": f"exit {proc.returncode}; 9 targets, every collector"})
        # sslyze's own scan of the lab's TLS endpoints: every cipher suite of every version + certificate
        endpoints = [lab["kamailio_weak"].tls_port, lab["kamailio_hardened"].tls_port]
        code = ("import time,sys\nfrom sslyze import *\nreqs=[ServerScanRequest(server_location=ServerNetworkLocation("
                "'127.0.0.1', p, ip_address='127.0.0.1'), scan_commands={ScanCommand.SSL_2_0_CIPHER_SUITES,"
                "ScanCommand.SSL_3_0_CIPHER_SUITES,ScanCommand.TLS_1_0_CIPHER_SUITES,ScanCommand.TLS_1_1_CIPHER_SUITES,"
                "ScanCommand.TLS_1_2_CIPHER_SUITES,ScanCommand.TLS_1_3_CIPHER_SUITES,ScanCommand.CERTIFICATE_INFO})"
                f" for p in {endpoints}]\ns=Scanner(); s.queue_scans(reqs); list(s.get_results())\n")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=1800)
        ssl_s = time.perf_counter() - t0
        rows.append({"case": "sslyze's own scan of the 2 lab TLS endpoints", "median_s": ssl_s, "best_s": ssl_s,
                     "peak_mib": 0.0, "detail": f"lab scan / sslyze = {wall / ssl_s:.2f}x (target < 1.5x)"})
        # fleet: every clinic has a PBX read over SSH and a SIP edge probed
        ssh, kw = lab["ssh"], lab["kamailio_weak"]
        import getpass
        specs = []
        for c in range(clinics):
            specs.append(TargetSpec(name=f"pbx-{c}", platform="asterisk", clinic=f"clinic {c}",
                                    source=SshSource(address="127.0.0.1", port=ssh.port, username=getpass.getuser(),
                                                     key=f"file:{ssh.client_key}", known_hosts=work / "known_hosts",
                                                     config_dir=str(lab["tree"] / "etc" / "asterisk"),
                                                     spool_dir=str(lab["tree"] / "var" / "spool" / "asterisk"))))
            specs.append(TargetSpec(name=f"edge-{c}", platform="sip", clinic=f"clinic {c}",
                                    source=SipSource(address="127.0.0.1", udp=kw.sip_port, tcp=kw.sip_port, tls=None,
                                                     timeout=1.5)))
        timings = {}
        for label, workers, per, procs in (("concurrent, threads", 32, 2, 0), ("concurrent, 2 processes", 32, 2, 2),
                                           ("sequential", 1, 1, 0)):
            with PeakRss() as rss:
                t0 = time.perf_counter()
                doc = run_scan(specs, registry, profile, [], max_workers=workers, per_clinic=per, processes=procs)
                timings[label] = time.perf_counter() - t0
            peak = rss.peak_kib / 1024  # resident, this process and its collecting children
            failed = sum(1 for t in doc.targets if t.failure)
            rows.append({"case": f"fleet: {clinics} clinics x 2 lab targets, {label}", "median_s": timings[label],
                         "best_s": timings[label], "peak_mib": peak,
                         "detail": f"{len(doc.targets)} targets, {failed} failed, workers {workers}"
                                   + (f" in {procs} processes" if procs else "")})
        best = min(timings["concurrent, threads"], timings["concurrent, 2 processes"])
        rows[-1]["detail"] += f"; speed-up {timings['sequential'] / best:.1f}x (target >= 10x)"
    return rows


# A fresh interpreter runs the command and reports its wall time and peak RSS. Measured from here
# instead, the child's peak would start at this process's size: Linux keeps the high-water mark
# across fork and exec, and this process holds the in-process cases' trees.
_LAUNCH = """
import os, resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(code, time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_process(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one process, from the kernel's own accounting."""
    out = subprocess.run([sys.executable, "-c", _LAUNCH, *argv], capture_output=True, text=True, check=True).stdout
    code, wall, rss_kib = out.split()
    if int(code) not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:3])} ... exited {code}")
    return float(wall), int(rss_kib) / 1024


def paired(label: str, argv: list[str], floor: list[str], floor_label: str, repeat: int) -> dict:
    """``argv`` and its floor in turn, ``repeat`` pairs; the ratio of medians (the machine's drift cancels)."""
    mine, base, rss, base_rss = [], [], [], []
    run_process(argv), run_process(floor)  # warm the page cache for both
    for _ in range(repeat):
        w, m = run_process(argv)
        mine.append(w)
        rss.append(m)
        w, m = run_process(floor)
        base.append(w)
        base_rss.append(m)
    ratio = statistics.median(mine) / statistics.median(base)
    return {"case": label, "median_s": statistics.median(mine), "best_s": min(mine), "peak_mib": max(rss),
            "detail": f"{ratio:.1f}x {floor_label} ({statistics.median(base):.3f} s, {max(base_rss):.0f} MiB peak RSS)"}


def compile_package() -> None:
    """Byte-compile the package as ``pip install`` does, so the timed processes start from bytecode whether
    or not this checkout was ever imported with bytecode writing on (PYTHONDONTWRITEBYTECODE, a fresh clone)."""
    for folder in ("auditor", "checks", "reports", "profiles"):
        compileall.compile_dir(REPO / folder, quiet=1, workers=1)


def cli_rows(size: int, repeat: int, tmp: Path) -> list[dict]:
    """The whole product as a user runs it (``voxaudit scan --format json``, its own process, peak RSS)
    against a 30-line reader of the same files; ``voxaudit --version`` against a bare interpreter."""
    compile_package()
    exe = Path(sys.executable).parent / "voxaudit"
    tree = synthetic_tree(tmp / f"cli-{size}", size) / "etc" / "asterisk"
    out = tmp / f"out-{size}"
    scan = [str(exe), "scan", "--config-dir", str(tree), "--format", "json", "-o", str(out), "--no-history", "-q"]
    floor = [sys.executable, str(REPO / "benchmarks" / "minimal_parser.py"), str(tree)]
    rows = [paired(f"voxaudit scan --format json, {size:,} endpoints + {size:,} mailboxes (RSS)", scan, floor,
                   "the minimal parser", repeat)]
    rows[-1]["detail"] += f"; scan.json {(out / 'scan.json').stat().st_size / 2**20:.0f} MiB"
    results = len(msgspec.json.decode((out / "scan.json").read_bytes())["results"])
    bound = [sys.executable, str(REPO / "benchmarks" / "lower_bound.py"), str(tree), str(results), str(tmp / "bound.json")]
    rows.append(paired(f"  lower bound: read, keep facts, {results:,} results, write (no audit logic)", bound, floor,
                       "the minimal parser", repeat))
    rows.append(paired("voxaudit --version (RSS)", [str(exe), "--version"], [sys.executable, "-c", "pass"],
                       "python -c pass", max(repeat, 5)))
    return rows


def pcap_rows(repeat: int, frames: int = 20_000) -> list[dict]:
    """A capture of the lab's clinic traffic repeated to ``frames`` frames, read by the pcap collector, paired
    run by run with scapy's raw reader going through the same file (the file's framing alone, nothing decoded)."""
    from scapy.utils import RawPcapReader, wrpcap

    from tests.lab.traffic import clinic_frames
    from voxaudit.collectors.packets import analyse
    from voxaudit.targets import PcapSource

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clinic.pcap"
        traffic = clinic_frames()
        wrpcap(str(path), (traffic * (frames // len(traffic) + 1))[:frames])
        spec = PcapSource(file=str(path), max_packets=frames)

        def framing() -> int:
            with RawPcapReader(str(path)) as reader:
                return sum(1 for _ in reader)

        mine, base = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            facts = analyse(spec)
            mine.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            framing()
            base.append(time.perf_counter() - t0)
        tracemalloc.start()
        analyse(spec)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    ratio = statistics.median(mine) / statistics.median(base)
    return [{"case": f"pcap collector, {frames:,} frames", "median_s": statistics.median(mine), "best_s": min(mine),
             "peak_mib": peak, "detail": f"{ratio:.1f}x scapy's raw reader alone ({statistics.median(base):.3f} s); "
                                        f"{len(facts.streams)} streams, {statistics.median(mine) / frames * 1e6:.0f} us/frame"}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10_000, help="endpoints and mailboxes in the synthetic tree")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lab", action="store_true", help="also the live-lab cases (needs root and tests/lab's packages)")
    ap.add_argument("--clinics", type=int, default=50, help="clinics in the --lab fleet case")
    ap.add_argument("--large", type=int, default=0, metavar="N",
                    help="also the CLI case at N endpoints + N mailboxes (e.g. 50000: memory must stay linear)")
    args = ap.parse_args()
    registry = load_registry()
    profile = load_profile("hipaa-security-rule", registry)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tree = synthetic_tree(Path(tmp), args.size)

        def synthetic():
            doc = run_scan([TargetSpec(name="synthetic", platform="asterisk", config_dir=tree)], registry, profile, [])
            return f"{len(doc.results):,} results, score {doc.scores.overall}"

        rows.append(measure(f"parse+check {args.size:,} endpoints + {args.size:,} mailboxes", synthetic, args.repeat))
        rows += cli_rows(args.size, args.repeat, Path(tmp))
        if args.large:
            rows += cli_rows(args.large, 1, Path(tmp))[:1]

    def demo():
        doc = run_scan([TargetSpec(name="riverside", platform="asterisk",
                                   config_dir=REPO / "examples" / "riverside-family-clinic")], registry, profile, [])
        return f"{len(doc.results)} results, score {doc.scores.overall}"

    rows.append(measure("example clinic (15 extensions), scan only", demo, args.repeat))
    rows += pcap_rows(args.repeat)
    if args.lab:
        rows += lab_rows(registry, profile, args.clinics)
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':<{width}}  {'median s':>9}  {'best s':>8}  {'peak MiB':>8}  detail")
    for r in rows:
        print(f"{r['case']:<{width}}  {r['median_s']:>9.3f}  {r['best_s']:>8.3f}  {r['peak_mib']:>8.1f}  {r['detail']}")


if __name__ == "__main__":
    main()
