"""Collecting many targets at once: a global worker limit, a per-clinic limit (so one MSP client's
slow site cannot starve the others, and one clinic's devices are not hammered), a per-target
deadline that stops the work, and each finished target appended to a journal so an interrupted
run keeps what it had collected and can resume.

How ``--target-timeout`` stops a target (it does not only label it):

* **Live targets** (SIP, TLS, SNMP, switch CLI, SSH mirrors, packet sniffing) are collected each in
  a forked child process, in its own process group, killed with SIGKILL at the deadline. The child
  sends its progress lines and, at the end, its record as JSON over a pipe, then leaves with
  ``os._exit`` (nothing a collector left behind, such as sslyze's threads, is waited for).
  Live facts are small, so the round trip costs next to nothing.
* **Offline targets** (a copied tree, a capture file) are collected in this process's main thread,
  one at a time, under a real-time interval timer: at the deadline SIGALRM's handler raises
  :class:`DeadlineExceeded` inside the collection. Python code and regular expressions (the
  ``re`` engine checks for signals while it matches) stop there, and a reader that swallowed it
  gets it again every :data:`REFIRE_S`. Offline parsing is CPU-bound, so threads never ran two of
  them at once anyway, and shipping a 10,000-extension tree's facts back from a child would cost
  several times its parse (measured: ~1.2 s to parse, ~6 s more to serialise and rebuild).
  Where no such timer can be used (not the main thread, no SIGALRM, a timer already armed by
  someone else), offline targets go to child processes too.

A target past its deadline becomes an ERROR (timeout) for its checks; every other target's record
is kept, and nothing is left running once :func:`collect_fleet` returns.
"""
from __future__ import annotations

import contextlib
import math
import os
import queue as queue_module
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

from voxaudit.engine.collect import Progress, TargetSpec, address_of, collect
from voxaudit.engine.journal import Journal, OnDone, finish
from voxaudit.model import ErrorKind
from voxaudit.scan import CollectionFailure, TargetRecord, dump_target, load_target

if TYPE_CHECKING:  # multiprocessing is loaded when a live target needs a child (an offline scan never does)
    import multiprocessing.process
    from multiprocessing.connection import Connection

REFIRE_S = 1.0          # an offline reader that swallowed the deadline gets it again this often
KILL_WAIT_S = 2.0       # after SIGKILL, how long to wait for the child to be reaped
PROCESS_GRACE_S = 10.0  # --processes: a shard that does not stop its own target in time is given up on


def collect_fleet(specs: list[TargetSpec], progress: Progress | None = None, max_workers: int = 8,
                  per_clinic: int = 2, target_timeout: float = 600.0, journal: Journal | None = None,
                  resume: bool = False, on_done: Callable[[TargetRecord], None] | None = None,
                  processes: int = 0) -> list[TargetRecord]:
    """Records in inventory order. A target past its deadline is stopped and recorded as a timeout
    ERROR (see the module docstring for how each kind of target is stopped).

    ``processes`` > 1 splits the clinics across that many child processes, each collecting its share
    with its own share of the worker limit (see :func:`_collect_in_processes`), so offline parsing
    uses every core instead of one."""
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
    _Supervisor(progress, max(1, max_workers), max(1, per_clinic), target_timeout,
                lambda rec, raw=None: finish(rec, done, journal, progress, on_done, raw)).run(todo)
    return [done[s.name] for s in specs if s.name in done]


def failed_record(spec: TargetSpec, kind: ErrorKind, reason: str, duration: float = 0.0) -> TargetRecord:
    return TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic, site=spec.site,
                        address=address_of(spec), failure=CollectionFailure(kind=kind, reason=reason),
                        duration_s=round(duration, 4))


def timeout_record(spec: TargetSpec, target_timeout: float, duration: float) -> TargetRecord:
    return failed_record(spec, ErrorKind.TIMEOUT, f"collection exceeded {target_timeout:g} s and was stopped",
                         duration)


def is_live(spec: TargetSpec) -> bool:
    """Talks to a device over the network (or sniffs an interface): collected in a child process."""
    return spec.live


# -- Offline targets: this process's main thread, under a real-time timer ---------------------------

class DeadlineExceeded(BaseException):
    """Raised inside an offline collection at its deadline. A BaseException, so that no reader's
    ``except Exception`` (there to turn bad input into a Problem) takes it for bad input."""


def _guarded_collect(spec: TargetSpec, progress: Progress | None) -> TargetRecord:
    """The frame :func:`_on_alarm` looks for: the deadline is raised only while it is on the stack."""
    return collect(spec, progress)


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    while frame is not None:
        if frame.f_code is _guarded_collect.__code__:
            raise DeadlineExceeded()
        frame = frame.f_back
    # the collection already returned: the timer is being disarmed, nothing to stop


def inline_deadline_available() -> bool:
    """A SIGALRM timer can stop work only in the main thread, and must not clobber someone else's."""
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))


def collect_inline(spec: TargetSpec, progress: Progress | None, target_timeout: float) -> TargetRecord:
    """Collect in this thread (the main one); stopped by SIGALRM at the deadline."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    started = time.perf_counter()
    try:
        signal.setitimer(signal.ITIMER_REAL, max(target_timeout, 0.001), REFIRE_S)  # 0 would disarm it
        try:
            return _guarded_collect(spec, progress)
        except DeadlineExceeded:
            return timeout_record(spec, target_timeout, time.perf_counter() - started)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


# -- Live targets: one child process each, killed at the deadline --------------------------------

def _start_method() -> str:
    # fork: the child starts at once with everything imported (and the parent's state, e.g. test doubles);
    # its collector never touches the parent's threads' locks (it talks to the parent over its own pipe).
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods and sys.platform != "darwin" else "spawn"


def _child_main(spec: TargetSpec, conn: Connection, relay_progress: bool) -> None:
    """In the child: its own process group (the parent's SIGKILL reaches whatever it starts), collect,
    send the record, and leave at once without running exit handlers or waiting for threads."""
    code = 0
    try:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        note = (lambda _name, message: conn.send(("progress", message))) if relay_progress else None
        rec = collect(spec, note)
        conn.send(("record", dump_target(rec)))
    except BaseException as exc:  # noqa: BLE001 - the parent must hear of it, whatever it was
        code = 1
        with contextlib.suppress(BaseException):
            conn.send(("bug", exc.__class__.__name__))  # the type only: a message may quote a value
    finally:
        try:
            conn.close()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


@dataclass
class _Child:
    spec: TargetSpec
    proc: multiprocessing.process.BaseProcess
    conn: Connection
    started: float
    deadline: float


def _kill(proc: multiprocessing.process.BaseProcess) -> None:
    """SIGKILL the child's process group (and the child itself, in case it had not made one yet)."""
    pid = proc.pid
    if pid is not None:
        kills: tuple[Callable[[], None], ...] = (lambda: os.killpg(pid, signal.SIGKILL), proc.kill)
        for kill in kills:
            try:
                kill()
            except (ProcessLookupError, PermissionError, OSError, AttributeError):
                pass
    proc.join(timeout=KILL_WAIT_S)


class _Supervisor:
    """Runs in the calling thread: starts children for live targets, collects offline targets inline
    between two looks at the children, and ends each child at its deadline."""

    def __init__(self, progress: Progress | None, max_workers: int, per_clinic: int, target_timeout: float,
                 emit: Callable[..., None]) -> None:
        self.progress, self.max_workers, self.per_clinic = progress, max_workers, per_clinic
        self.timeout, self.emit = target_timeout, emit
        self._ctx: Any = None
        self.children: dict[Connection, _Child] = {}
        self.busy: Counter[str] = Counter()

    @property
    def ctx(self) -> Any:
        """The multiprocessing context, made when the first child is started."""
        if self._ctx is None:
            import multiprocessing

            self._ctx = multiprocessing.get_context(_start_method())
        return self._ctx

    def run(self, todo: list[TargetSpec]) -> None:
        inline = inline_deadline_available()
        waiting = list(todo)
        try:
            while waiting or self.children:
                offline_waiting = inline and any(not is_live(s) for s in waiting)
                live_room = self.max_workers - (1 if offline_waiting and self.max_workers > 1 else 0)
                next_inline = None
                for spec in list(waiting):
                    clinic = spec.clinic or ""
                    if self.busy[clinic] >= self.per_clinic:
                        continue
                    if inline and not is_live(spec):
                        if next_inline is None and len(self.children) < self.max_workers:
                            next_inline = spec
                        continue
                    if len(self.children) >= live_room:
                        continue
                    waiting.remove(spec)
                    self._start(spec)
                if next_inline is not None:
                    waiting.remove(next_inline)
                    self._reap(0)
                    self._inline(next_inline)
                    continue
                self._reap(self._wait_time())
        finally:
            for child in list(self.children.values()):
                _kill(child.proc)
                child.conn.close()
            self.children.clear()

    def _inline(self, spec: TargetSpec) -> None:
        clinic = spec.clinic or ""
        self.busy[clinic] += 1
        try:
            if self.progress:
                self.progress(spec.name, "collecting")
            rec = collect_inline(spec, self.progress, self.timeout)
        finally:
            self.busy[clinic] -= 1
        self.emit(rec)

    def _start(self, spec: TargetSpec) -> None:
        if self.progress:
            self.progress(spec.name, "collecting")
        receiver, sender = self.ctx.Pipe(duplex=False)
        proc = self.ctx.Process(target=_child_main, args=(spec, sender, self.progress is not None),
                                name=f"voxaudit-{spec.name}"[:60], daemon=True)
        started = time.monotonic()  # the deadline runs from here, not from queueing
        proc.start()
        sender.close()
        try:
            os.setpgid(proc.pid, proc.pid)  # both sides set it: no window where a kill misses a grandchild
        except OSError:
            pass
        self.busy[spec.clinic or ""] += 1
        self.children[receiver] = _Child(spec, proc, receiver, started, started + self.timeout)

    def _wait_time(self) -> float:
        if not self.children:
            return 0.0
        nearest = min(c.deadline for c in self.children.values()) - time.monotonic()
        return max(0.0, min(1.0, nearest))

    def _reap(self, timeout: float) -> None:
        if not self.children:
            return
        from multiprocessing.connection import wait as wait_for

        wait_for(list(self.children), timeout)
        for conn in list(self.children):
            self._drain(self.children[conn])
        now = time.monotonic()
        for _conn, child in list(self.children.items()):
            if now >= child.deadline:
                _kill(child.proc)  # anything it sent before the deadline was read just above
                self._end(child, timeout_record(child.spec, self.timeout, now - child.started))

    def _drain(self, child: _Child) -> None:
        """Read whatever the child has sent; end it when it sent its record or can send nothing more."""
        while child.conn in self.children:
            try:
                if not child.conn.poll(0):
                    return
                kind, payload = child.conn.recv()
            except (EOFError, OSError):
                child.proc.join(timeout=KILL_WAIT_S)
                self._end(child, failed_record(child.spec, ErrorKind.BUG, "the collecting process died (exit code "
                                               f"{child.proc.exitcode})", time.monotonic() - child.started))
                return
            if kind == "progress":
                if self.progress:
                    self.progress(child.spec.name, payload)
            elif kind == "record":
                try:
                    rec = load_target(payload)
                except ValueError:
                    rec, payload = failed_record(child.spec, ErrorKind.BUG, "the collecting process sent an "
                                                 "unreadable record", time.monotonic() - child.started), None
                self._end(child, rec, payload)
            else:
                self._end(child, failed_record(child.spec, ErrorKind.BUG, f"the collector raised {payload}",
                                               time.monotonic() - child.started))

    def _end(self, child: _Child, rec: TargetRecord, raw: str | None = None) -> None:
        if self.children.pop(child.conn, None) is None:
            return
        self.busy[child.spec.clinic or ""] -= 1
        child.conn.close()
        child.proc.join(timeout=KILL_WAIT_S)  # it leaves right after sending
        if child.proc.exitcode is None:
            _kill(child.proc)
        self.emit(rec, raw)


# -- Several processes, each with its share of the clinics -----------------------------------------

def _collect_in_processes(todo: list[TargetSpec], processes: int, done: dict[str, TargetRecord], journal: Journal,
                          progress: Progress | None, on_done: OnDone | None,
                          max_workers: int, per_clinic: int, target_timeout: float) -> None:
    """Each child process takes whole clinics (so the per-clinic limit still holds) and collects them
    with its share of the worker limit; every finished target comes back at once over a queue,
    so the journal and the progress display stay live. A child that dies costs only its own
    unfinished targets, which become ERRORs; one that does not stop a target past its deadline
    (plus a grace) has that target recorded as a timeout, and is ended with the others at the end."""
    clinics = list(dict.fromkeys(s.clinic for s in todo))
    shards: list[list[TargetSpec]] = [[] for _ in range(min(processes, len(clinics)))]
    for spec in todo:
        shards[clinics.index(spec.clinic) % len(shards)].append(spec)
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    results = ctx.Queue()
    threads_each = max(1, math.ceil(max_workers / len(shards)))
    children = [ctx.Process(target=_child, args=(shard, results, threads_each, per_clinic, target_timeout),
                            name=f"voxaudit-collect-{i}", daemon=True) for i, shard in enumerate(shards)]
    for child in children:
        child.start()
    owner = {spec.name: i for i, shard in enumerate(shards) for spec in shard}
    waiting = {spec.name: spec for spec in todo}
    started_at: dict[str, float] = {}
    try:
        while waiting:
            try:
                kind, name, payload = results.get(timeout=1.0)
            except queue_module.Empty:
                now = time.monotonic()
                for lost, t0 in list(started_at.items()):
                    if lost in waiting and now - t0 > target_timeout + PROCESS_GRACE_S:
                        spec = waiting.pop(lost)
                        finish(timeout_record(spec, target_timeout, now - t0), done, journal, progress, on_done)
                for i, child in enumerate(children):
                    if not child.is_alive():
                        for lost in [n for n in waiting if owner[n] == i]:
                            spec = waiting.pop(lost)
                            finish(failed_record(spec, ErrorKind.BUG, "the collecting process died "
                                                 f"(exit code {child.exitcode})"), done, journal, progress, on_done)
                continue
            if kind == "progress":
                if payload == "collecting":
                    started_at.setdefault(name, time.monotonic())
                if progress and name in waiting:
                    progress(name, payload)
            elif name in waiting:
                del waiting[name]
                finish(load_target(payload), done, journal, progress, on_done, raw=payload)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
                child.join(timeout=KILL_WAIT_S)
        results.close()


def _child(shard: list[TargetSpec], results: Any, threads: int, per_clinic: int, target_timeout: float) -> None:
    def note(name: str, message: str) -> None:
        if message == "collecting" or message.startswith("reading"):
            results.put(("progress", name, message))

    def send(rec: TargetRecord) -> None:
        results.put(("record", rec.name, dump_target(rec)))

    collect_fleet(shard, note, max_workers=threads, per_clinic=per_clinic, target_timeout=target_timeout,
                  on_done=send)
