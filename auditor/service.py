"""The application service: the one pipeline the CLI, the benchmarks and the tests call.

targets -> an executor collects them (local threads/processes, or site collectors behind a
broker) -> evaluate -> waivers -> scores -> the scan document. ``rescore`` re-runs the
evaluation on a saved scan's facts, with no collector and no network.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from auditor.engine.collect import Progress, TargetSpec
from auditor.engine.evaluate import build_document, now_iso
from auditor.model import Waiver
from auditor.profile import Profile
from auditor.registry import Registry
from auditor.scan import ScanDocument, TargetRecord


def run_scan(specs: list[TargetSpec], registry: Registry, profile: Profile, waivers: list[Waiver],
             waivers_source: Optional[str] = None, progress: Optional[Progress] = None,
             max_workers: int = 8, per_clinic: int = 2, target_timeout: float = 600.0,
             journal_path: Optional[Path] = None, resume: bool = False,
             on_done: Optional[Callable[[TargetRecord], None]] = None, broker: Optional[str] = None,
             queue_timeout: float = 300.0, processes: int = 0) -> ScanDocument:
    """Collect every target (here concurrently, see auditor.engine.local; or with ``broker``, by each site's
    collector, see auditor.engine.broker), then evaluate and score here."""
    from auditor.engine.journal import Journal
    from auditor.engine.local import collect_fleet

    started = now_iso()
    if broker:
        from auditor.engine.broker import collect_distributed
        records = collect_distributed(specs, broker, progress, target_timeout=target_timeout,
                                      queue_timeout=queue_timeout, journal=Journal(journal_path), resume=resume,
                                      on_done=on_done)
    else:
        records = collect_fleet(specs, progress, max_workers=max_workers, per_clinic=per_clinic,
                                target_timeout=target_timeout, journal=Journal(journal_path), resume=resume,
                                on_done=on_done, processes=processes)
    return build_document(records, registry, profile, waivers, started, waivers_source)


def rescore(doc: ScanDocument, registry: Registry, profile: Profile, waivers: list[Waiver],
            waivers_source: Optional[str] = None) -> ScanDocument:
    """Re-evaluate saved facts; no collector runs, so nothing touches the network."""
    return build_document(doc.targets, registry, profile, waivers, doc.started_at, waivers_source, scan_id=doc.scan_id)
