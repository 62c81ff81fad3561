"""Collecting many targets at once: a global worker limit, a per-clinic limit (so one MSP client's
slow site cannot starve the others, and one clinic's devices are not hammered), a per-target
deadline, and each finished target appended to a journal so an interrupted run keeps what it
had collected and can resume.
"""
from __future__ import annotations

import math
import multiprocessing
import queue as queue_module
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
                  resume: bool = False, on_done: Optional[Callable[[TargetRecord], None]] = None,
                  processes: int = 0) -> list[TargetRecord]:
    """Records in inventory order. A target past its deadline is recorded as a timeout ERROR; its
    worker is left to finish on its own (every collector is itself bounded) and its late result dropped.

    ``processes`` > 1 splits the clinics across that many child processes, each collecting its share
    with its own threads (see :func:`_collect_in_processes`), so SSH crypto and parsing use every
    core instead of one."""
    journal = journal or Journal(None)
    done: dict[str, TargetRecord] = journal.load() if resume else {}
    if not resume:
        journal.remove()
    todo = [s for s in specs if s.name not in done]
    if processes > 1 and len({s.clinic for s in todo}) > 1:
        _collect_in_processes(todo, processes, done, journal, progress, on_done, max_workers=max_workers,
                              per_clinic=per_clinic, target_timeout=target_timeout)
        return [done[s.name] for s in specs if s.name in done]
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


def _collect_in_processes(todo: list[TargetSpec], processes: int, done: dict, journal: Journal, progress, on_done,
                          max_workers: int, per_clinic: int, target_timeout: float) -> None:
    """Each child process takes whole clinics (so the per-clinic limit still holds) and collects them
    with its share of the worker threads; every finished target comes back at once over a queue,
    so the journal and the progress display stay live. A child that dies costs only its own
    unfinished targets, which become ERRORs."""
    clinics = list(dict.fromkeys(s.clinic for s in todo))
    shards: list[list[TargetSpec]] = [[] for _ in range(min(processes, len(clinics)))]
    for spec in todo:
        shards[clinics.index(spec.clinic) % len(shards)].append(spec)
    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    results = ctx.Queue()
    threads_each = max(1, math.ceil(max_workers / len(shards)))
    children = [ctx.Process(target=_child, args=(shard, results, threads_each, per_clinic, target_timeout),
                            name=f"voxaudit-collect-{i}", daemon=True) for i, shard in enumerate(shards)]
    for child in children:
        child.start()
    owner = {spec.name: i for i, shard in enumerate(shards) for spec in shard}
    waiting = {spec.name: spec for spec in todo}
    try:
        while waiting:
            try:
                kind, name, payload = results.get(timeout=1.0)
            except queue_module.Empty:
                for i, child in enumerate(children):
                    if not child.is_alive():
                        for lost in [n for n in waiting if owner[n] == i]:
                            spec = waiting.pop(lost)
                            finish(TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic,
                                                site=spec.site, failure=CollectionFailure(
                                                    kind=ErrorKind.BUG, reason="the collecting process died "
                                                    f"(exit code {child.exitcode})")), done, journal, progress, on_done)
                continue
            if kind == "progress":
                if progress and name in waiting:
                    progress(name, payload)
            elif name in waiting:
                del waiting[name]
                finish(TargetRecord.model_validate_json(payload), done, journal, progress, on_done)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join(timeout=5)
        results.close()


def _child(shard: list[TargetSpec], results, threads: int, per_clinic: int, target_timeout: float) -> None:
    def note(name: str, message: str) -> None:
        if message == "collecting" or message.startswith("reading"):
            results.put(("progress", name, message))

    def send(rec: TargetRecord) -> None:
        results.put(("record", rec.name, rec.model_dump_json()))

    collect_fleet(shard, note, max_workers=threads, per_clinic=per_clinic, target_timeout=target_timeout,
                  on_done=send)
