"""Collecting many targets at once: a global worker limit, a per-clinic limit (so one MSP client's
slow site cannot starve the others, and one clinic's devices are not hammered), a per-target
deadline, and each finished target appended to a journal so an interrupted run keeps what it
had collected and can resume.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Optional

from auditor.model import ErrorKind
from auditor.runner import Progress, TargetSpec, collect
from auditor.scan import CollectionFailure, TargetRecord

JOURNAL_NAME = "targets.partial.jsonl"


class Journal:
    """One JSON line per finished target, flushed at once (a crash loses at most the line being written)."""

    def __init__(self, path: Optional[Path]) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def load(self) -> dict[str, TargetRecord]:
        if self.path is None or not self.path.exists():
            return {}
        out = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rec = TargetRecord.model_validate_json(line)
            except ValueError:
                continue  # a line cut by the interruption
            out[rec.name] = rec
        return out

    def append(self, rec: TargetRecord) -> None:
        if self.path is None:
            return
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(rec.model_dump_json() + "\n")
            fh.flush()

    def remove(self) -> None:
        if self.path is not None and self.path.exists():
            self.path.unlink()


def collect_fleet(specs: list[TargetSpec], progress: Optional[Progress] = None, max_workers: int = 8,
                  per_clinic: int = 2, target_timeout: float = 600.0, journal: Optional[Journal] = None,
                  resume: bool = False, on_done: Optional[Callable[[TargetRecord], None]] = None) -> list[TargetRecord]:
    """Records in inventory order. A target past its deadline is recorded as a timeout ERROR; its
    worker is left to finish on its own (every collector is itself bounded) and its late result dropped."""
    journal = journal or Journal(None)
    done: dict[str, TargetRecord] = journal.load() if resume else {}
    if not resume:
        journal.remove()
    todo = [s for s in specs if s.name not in done]
    for name, rec in done.items():
        if progress:
            progress(name, "done (resumed from the journal)")
        if on_done:
            on_done(rec)
    clinic_slots: dict[str, threading.Semaphore] = {}
    started_at: dict[str, float] = {}
    lock = threading.Lock()

    def run_one(spec: TargetSpec) -> TargetRecord:
        with lock:
            slot = clinic_slots.setdefault(spec.clinic or "", threading.Semaphore(max(1, per_clinic)))
        with slot:
            started_at[spec.name] = time.monotonic()  # the deadline runs from here, not from queueing
            if progress:
                progress(spec.name, "collecting")
            return collect(spec, progress)

    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="voxaudit-collect")
    futures: dict[Future, TargetSpec] = {}
    try:
        for spec in todo:
            futures[pool.submit(run_one, spec)] = spec
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for fut in finished:
                spec = futures[fut]
                try:
                    rec = fut.result()
                except Exception as exc:  # a collector bug must not cost the fleet
                    rec = TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic, site=spec.site,
                                       failure=CollectionFailure(kind=ErrorKind.BUG,
                                                                 reason=f"collector raised {exc.__class__.__name__}"))
                finish(rec, done, journal, progress, on_done)
            now = time.monotonic()
            for fut in list(pending):
                spec = futures[fut]
                started = started_at.get(spec.name)
                if started is not None and now - started > target_timeout:
                    pending.discard(fut)
                    rec = TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic, site=spec.site,
                                       failure=CollectionFailure(kind=ErrorKind.TIMEOUT,
                                                                 reason=f"collection exceeded {target_timeout:g} s"))
                    finish(rec, done, journal, progress, on_done)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [done[s.name] for s in specs if s.name in done]


def finish(rec: TargetRecord, done: dict, journal: Journal, progress, on_done) -> None:
    """Keep a finished target: in memory, in the journal at once, and on the progress display."""
    done[rec.name] = rec
    journal.append(rec)
    if progress:
        progress(rec.name, "failed: " + rec.failure.reason if rec.failure else "done")
    if on_done:
        on_done(rec)
