"""The application service: the one pipeline the CLI, the benchmarks and the tests call.

targets -> an executor collects them (local threads/processes, or site collectors behind a
broker) -> evaluate -> waivers -> scores -> the scan document. ``rescore`` re-runs the
evaluation on a saved scan's facts, with no collector and no network. Gates, baselines, the
history store and the portfolio's trends are wired here too, so every caller gets the same.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from voxaudit.engine.collect import Progress, TargetSpec
from voxaudit.engine.evaluate import build_document, now_iso
from voxaudit.model import Result, Severity, Waiver
from voxaudit.profile import Profile
from voxaudit.registry import Registry
from voxaudit.scan import ScanDocument, TargetRecord, Trend
from voxaudit.structured import StructuredFileError, load_json


def run_scan(specs: list[TargetSpec], registry: Registry, profile: Profile, waivers: list[Waiver],
             waivers_source: Optional[str] = None, progress: Optional[Progress] = None,
             max_workers: int = 8, per_clinic: int = 2, target_timeout: float = 600.0,
             journal_path: Optional[Path] = None, resume: bool = False,
             on_done: Optional[Callable[[TargetRecord], None]] = None, broker: Optional[str] = None,
             queue_timeout: float = 300.0, processes: int = 0) -> ScanDocument:
    """Collect every target (here concurrently, see auditor.engine.local; or with ``broker``, by each site's
    collector, see auditor.engine.broker), then evaluate and score here."""
    from voxaudit.engine.journal import Journal
    from voxaudit.engine.local import collect_fleet

    started = now_iso()
    if len(specs) == 1 and not broker and not resume:
        journal_path = None  # one target: nothing another could resume, and no second dump of its facts
    if broker:
        from voxaudit.engine.broker import collect_distributed
        records = collect_distributed(specs, broker, progress, target_timeout=target_timeout,
                                      queue_timeout=queue_timeout, journal=Journal(journal_path), resume=resume,
                                      on_done=on_done)
    else:
        records = collect_fleet(specs, progress, max_workers=max_workers, per_clinic=per_clinic,
                                target_timeout=target_timeout, journal=Journal(journal_path), resume=resume,
                                on_done=on_done, processes=processes)
    registers = registers_of(specs)
    for rec in records:
        rec.business_associates = registers.get(rec.name)  # saved with the scan: rescore judges the same
    return build_document(records, registry, profile, waivers, started, waivers_source)


def registers_of(specs: list[TargetSpec]) -> dict[str, list[dict[str, Any]]]:
    """Each target's business-associate register, as the engine hands it to BAA-101 (targets without one
    are left out: unknown, not empty)."""
    return {s.name: [a.as_json() for a in s.business_associates] for s in specs
            if s.business_associates is not None}


def rescore(doc: ScanDocument, registry: Registry, profile: Profile, waivers: list[Waiver],
            waivers_source: Optional[str] = None,
            registers: Optional[dict[str, list[dict[str, Any]]]] = None) -> ScanDocument:
    """Re-evaluate saved facts; no collector runs, so nothing touches the network. Each target's
    business-associate register is the one saved with it, unless ``registers`` gives another."""
    return build_document(doc.targets, registry, profile, waivers, doc.started_at, waivers_source, scan_id=doc.scan_id,
                          registers=registers)


class BaselineError(Exception):
    pass


def gate(doc: ScanDocument, fail_on: Optional[str], fail_under: Optional[float],
          baseline: Optional[set[tuple[Any, str, str]]] = None) -> list[str]:
    """Why CI should fail this scan: a finding at or above ``fail_on`` not in the baseline, a score below
    ``fail_under``. Empty when it passes."""
    reasons = []
    meta = doc.meta()
    if fail_on:
        floor = Severity(fail_on).rank
        hits: dict[str, set[str]] = {}  # failing control -> the 1.x IDs its failing results answer for
        for r in doc.results:
            if (r.effective_status == "FAIL" and r.check_id in meta and meta[r.check_id].severity.rank >= floor
                    and (baseline is None or not in_baseline(r, baseline))):
                hits.setdefault(r.check_id, set()).update([r.alias] if r.alias else [])
        if hits:
            named = [f"{cid} ({', '.join(sorted(hits[cid]))})" if hits[cid] else cid for cid in sorted(hits)[:8]]
            reasons.append(f"{len(hits)} control(s) failing at or above {fail_on}: {', '.join(named)}"
                           + (" ..." if len(hits) > 8 else ""))
    if fail_under is not None:
        score = doc.scores.overall
        if score is None or score < fail_under:
            reasons.append(f"score {score if score is not None else 'n/a'} is below --fail-under {fail_under}")
    return reasons


def in_baseline(r: Result, baseline: set[tuple[Any, str, str]]) -> bool:
    """Known when the baseline names the finding by its control or, written before the controls, by
    the 1.x check ID the result's binding replaced."""
    return (r.check_id, r.target, r.resource) in baseline or (r.alias, r.target, r.resource) in baseline


def load_baseline(path: Optional[Path]) -> Optional[set[tuple[Any, str, str]]]:
    if path is None:
        return None
    try:
        data = load_json(Path(path), "baseline")
        return {(f["check"], f["target"], f["resource"]) for f in data["findings"]}
    except StructuredFileError as exc:
        raise BaselineError(str(exc)) from None
    except (KeyError, TypeError) as exc:
        raise BaselineError(f"{path}: not a voxaudit baseline file ({exc.__class__.__name__})") from None


def record_history(doc: ScanDocument, output: Optional[Path], history_db: Optional[str]) -> Optional[str]:
    """Trend since the previous scan (into ``doc.trend``), then record this one. A history problem never
    costs the scan: it comes back as the warning to show."""
    from voxaudit.history import History, HistoryError, Snapshot, diff
    try:
        store = History(history_db)
        try:
            prev = store.previous(doc)
            if prev is not None:
                doc.trend = Trend(**diff(prev, Snapshot.of(doc)).summary())
            store.record(doc, output)
        finally:
            store.close()
    except HistoryError as exc:
        return f"history not recorded: {exc}"
    return None


def portfolio_trends(doc: ScanDocument, prof: Profile, history_db: Optional[str]) -> dict[str, dict[str, Any]]:
    """Each clinic's change since its previous scan and its score over its recent scans, recomputed
    from the stored results of its own targets (none when the store cannot be read)."""
    from voxaudit.history import History, HistoryError
    from voxaudit.reports.portfolio import clinic_documents, clinic_trends

    try:
        store = History(history_db)
        try:
            return clinic_trends(store, clinic_documents(doc, prof), prof)
        finally:
            store.close()
    except HistoryError:
        return {}
