"""The journal both executors keep: each finished target appended at once, so an interrupted run keeps
what it collected and ``--resume`` skips it."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from voxaudit.engine.collect import Progress
from voxaudit.scan import TargetRecord, dump_target, load_target

JOURNAL_NAME = "targets.partial.jsonl"
OnDone = Callable[[TargetRecord], None]


class Journal:
    """One JSON line per finished target, flushed at once (a crash loses at most the line being written)."""

    def __init__(self, path: Path | None) -> None:
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
                rec = load_target(line)
            except ValueError:
                continue  # a line cut by the interruption
            out[rec.name] = rec
        return out

    def append(self, rec: TargetRecord, raw: str | None = None) -> None:
        """``raw``: the record's JSON when it arrived as JSON (from a child), so it is not dumped twice."""
        if self.path is None:
            return
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write((raw if raw is not None else dump_target(rec)) + "\n")
            fh.flush()

    def remove(self) -> None:
        if self.path is not None and self.path.exists():
            self.path.unlink()


def finish(rec: TargetRecord, done: dict[str, TargetRecord], journal: Journal, progress: Progress | None,
           on_done: OnDone | None, raw: str | None = None) -> None:
    """Keep a finished target: in memory, in the journal at once, and on the progress display."""
    done[rec.name] = rec
    journal.append(rec, raw)
    if progress:
        progress(rec.name, "failed: " + rec.failure.reason if rec.failure else "done")
    if on_done:
        on_done(rec)
