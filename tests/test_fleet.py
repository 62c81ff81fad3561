"""Fleet collection: concurrency limits, per-target deadline, isolation, journal and resume."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import msgspec

from tests.conftest import EXAMPLE
from voxaudit.engine import journal as journal_module
from voxaudit.engine import local as fleet
from voxaudit.engine.collect import TargetSpec
from voxaudit.engine.collect import collect as REAL_COLLECT
from voxaudit.engine.local import Journal, collect_fleet
from voxaudit.model import ErrorKind
from voxaudit.scan import TargetRecord
from voxaudit.targets import SipSource


def specs(clinics: int, per: int) -> list[TargetSpec]:
    return [TargetSpec(name=f"c{c}-t{t}", platform="asterisk", config_dir=EXAMPLE, clinic=f"clinic {c}")
            for c in range(clinics) for t in range(per)]


def live_specs(clinics: int, per: int) -> list[TargetSpec]:
    return [TargetSpec(name=f"c{c}-t{t}", platform="sip", clinic=f"clinic {c}",
                       source=SipSource(address="127.0.0.1")) for c in range(clinics) for t in range(per)]


def peak_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals], key=lambda e: (e[0], e[1]))
    peak = active = 0
    for _, delta in events:
        active += delta
        peak = max(peak, active)
    return peak


def test_limits_are_respected(monkeypatch, tmp_path):
    """Live targets run in child processes: each child notes when it worked, and no more than the
    limits ever overlapped, globally and per clinic."""
    log = tmp_path / "intervals"

    def slow_collect(spec, progress=None):
        t0 = time.time()
        time.sleep(0.3)
        with log.open("a") as fh:
            fh.write(f"{spec.clinic}\t{t0}\t{time.time()}\n")
        return TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic)

    monkeypatch.setattr(fleet, "collect", slow_collect)
    started = time.monotonic()
    records = collect_fleet(live_specs(6, 4), max_workers=6, per_clinic=2)
    elapsed = time.monotonic() - started
    assert [r.name for r in records] == [s.name for s in live_specs(6, 4)]  # inventory order
    assert all(r.failure is None for r in records)
    rows = [line.split("\t") for line in log.read_text().splitlines()]
    assert len(rows) == 24
    assert peak_overlap([(float(a), float(b)) for _, a, b in rows]) <= 6
    for clinic in {c for c, _, _ in rows}:
        assert peak_overlap([(float(a), float(b)) for c, a, b in rows if c == clinic]) <= 2
    assert elapsed < 24 * 0.3 / 2  # concurrent, not sequential


def test_offline_and_live_targets_mixed(monkeypatch):
    """Offline trees are read here, between looks at the live children; every record comes back,
    in inventory order, with the real offline facts."""
    def live_collect(spec, progress=None):
        if not spec.live:
            return REAL_COLLECT(spec, progress)
        time.sleep(0.2)
        return TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic)

    monkeypatch.setattr(fleet, "collect", live_collect)
    mixed = [s for pair in zip(specs(3, 2), live_specs(3, 2)) for s in pair]
    mixed = [s.replace(name=f"{i}-{s.name}") for i, s in enumerate(mixed)]
    records = collect_fleet(mixed, max_workers=3, per_clinic=1)
    assert [r.name for r in records] == [s.name for s in mixed]
    assert all(r.failure is None for r in records)
    assert all(r.facts is not None for r in records if r.platform == "asterisk")


def test_hung_target_times_out_and_others_complete(monkeypatch):
    def collect(spec, progress=None):
        if spec.name == "c0-t0":
            time.sleep(5)
        return TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic)

    monkeypatch.setattr(fleet, "collect", collect)
    started = time.monotonic()
    records = {r.name: r for r in collect_fleet(specs(2, 2), max_workers=4, per_clinic=2, target_timeout=1)}
    assert time.monotonic() - started < 4
    assert records["c0-t0"].failure.kind == ErrorKind.TIMEOUT
    assert all(r.failure is None for n, r in records.items() if n != "c0-t0")


def test_journal_survives_and_resume_skips_collected(tmp_path, monkeypatch):
    calls: list[str] = []

    def collect(spec, progress=None):
        calls.append(spec.name)
        return TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic)

    seen: list[str] = []

    def interrupt_after_three(rec):
        seen.append(rec.name)
        if len(seen) == 3:
            raise KeyboardInterrupt  # the operator presses ^C while the run is under way

    monkeypatch.setattr(fleet, "collect", collect)
    journal = Journal(tmp_path / "out" / journal_module.JOURNAL_NAME)
    try:
        collect_fleet(specs(2, 2), max_workers=1, per_clinic=1, journal=journal, on_done=interrupt_after_three)
    except KeyboardInterrupt:
        pass
    saved = journal.load()
    assert len(saved) >= 3  # everything finished before the interrupt is on disk
    calls.clear()
    records = collect_fleet(specs(2, 2), journal=journal, resume=True)
    assert set(calls) == {s.name for s in specs(2, 2)} - set(saved) and len(records) == 4


def test_cli_fleet_of_clinics_with_a_broken_one(tmp_path):
    inv = tmp_path / "inventory.yaml"
    clinics = "\n".join(f"""  - name: Clinic {i}
    sites:
      - name: main
        targets:
          - name: pbx-{i}
            platform: asterisk
            config_dir: {EXAMPLE if i != 3 else tmp_path / 'missing'}""" for i in range(8))
    inv.write_text("clinics:\n" + clinics + "\n")
    out = tmp_path / "out"
    proc = subprocess.run([str(Path(sys.executable).parent / "voxaudit"), "scan", str(inv), "-o", str(out), "-q",
                           "--workers", "4", "--per-clinic", "1"], check=False, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    failed = [t["name"] for t in doc["targets"] if t["failure"]]
    assert failed == ["pbx-3"] and len(doc["targets"]) == 8
    assert not (out / journal_module.JOURNAL_NAME).exists()  # folded into the reports
    portfolio = json.loads((out / "portfolio.json").read_text())["clinics"]
    assert len(portfolio) == 8 and all((out / r["report"]).exists() for r in portfolio)
    broken = next(r for r in portfolio if r["clinic"] == "Clinic 3")
    assert broken["score"] is None and broken["errors"] > 0
    one = json.loads((out / "clinic-0" / "scan.json").read_text())
    assert {t["name"] for t in one["targets"]} == {"pbx-0"}  # a clinic's report holds only its own targets
    html = (out / "portfolio.html").read_text()
    assert 'href="clinic-5/report.html"' in html and (out / "portfolio.csv").read_text().startswith("clinic,")


def test_processes_split_the_clinics_and_keep_the_journal_live(tmp_path):
    """Several processes, each with its own threads: the same records as one process, every target
    journaled as it finished, and progress relayed from the children."""
    todo = specs(3, 2) + [TargetSpec(name="c3-missing", platform="asterisk", config_dir=tmp_path / "nope",
                                     clinic="clinic 3")]
    seen: list[tuple[str, str]] = []
    journal = Journal(tmp_path / journal_module.JOURNAL_NAME)
    split = collect_fleet(todo, lambda t, m: seen.append((t, m)), max_workers=4, journal=journal, processes=2)
    single = collect_fleet(todo, max_workers=4)
    assert [r.name for r in split] == [s.name for s in todo]
    def comparable(rec: TargetRecord) -> dict:
        data = {k: v for k, v in msgspec.to_builtins(rec).items() if k != "duration_s"}
        if data["facts"] and data["facts"].get("spool"):
            data["facts"]["spool"].pop("collected_at")  # a clock reading, not a fact about the tree
        return data

    assert [comparable(r) for r in split] == [comparable(r) for r in single]
    assert split[-1].failure is not None and all(r.failure is None for r in split[:-1])
    assert {json.loads(line)["name"] for line in journal.path.read_text().splitlines()} == {s.name for s in todo}
    assert {t for t, m in seen if m == "collecting"} == {s.name for s in todo}
