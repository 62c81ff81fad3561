"""voxaudit benchmarks: one command, one table (``./scripts/bench.sh``).

Measured now: parse + facts + checks + scoring of a synthetic FreePBX-style Asterisk tree
with N endpoints and N mailboxes (default 10,000), offline, in this process; and the demo
clinic end to end. Peak memory is tracemalloc's peak in one extra run (timed runs are not traced). Each case runs
--repeat times; the table shows the median and the best.

Planned (live-lab issue): full lab scan next to sslyze's own scan, fleet concurrency.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.profile import load_profile  # noqa: E402
from auditor.registry import load_registry  # noqa: E402
from auditor.runner import TargetSpec, run_scan  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10_000, help="endpoints and mailboxes in the synthetic tree")
    ap.add_argument("--repeat", type=int, default=3)
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

    def demo():
        doc = run_scan([TargetSpec(name="riverside", platform="asterisk",
                                   config_dir=REPO / "examples" / "riverside-family-clinic")], registry, profile, [])
        return f"{len(doc.results)} results, score {doc.scores.overall}"

    rows.append(measure("example clinic (15 extensions), scan only", demo, args.repeat))
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':<{width}}  {'median s':>9}  {'best s':>8}  {'peak MiB':>8}  detail")
    for r in rows:
        print(f"{r['case']:<{width}}  {r['median_s']:>9.3f}  {r['best_s']:>8.3f}  {r['peak_mib']:>8.1f}  {r['detail']}")


if __name__ == "__main__":
    main()
