"""The runner: collect facts per target, evaluate checks, apply waivers, score.

Isolation is the rule: a target that cannot be collected, a config file Asterisk
would refuse, or a check that raises yields ERROR results with a reason for what
it affects, and every other result is kept.
"""
from __future__ import annotations

import gc
import os
import shutil
import threading
import time
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Iterator, Optional

from auditor.check import CheckContext, Part
from auditor.collectors import live, offline
from auditor.collectors.offline import CollectionError
from auditor.collectors.packets import PcapSpec
from auditor.collectors.sip import SipSpec
from auditor.collectors.snmp import SnmpSpec
from auditor.collectors.ssh import SshSpec, mirror
from auditor.collectors.switch_cli import SwitchCliSpec, collect_switch_cli
from auditor.collectors.tls import TlsTarget
from auditor.facts.common import PlatformFacts
from auditor.model import ErrorKind, Result, SourceRef, Status, Waiver
from auditor.profile import Profile
from auditor.registry import Registry, Rule
from auditor.scan import CollectionFailure, ProfileRef, ScanDocument, TargetRecord
from auditor.scoring import score
from auditor.waivers import apply_waivers

Progress = Callable[[str, str], None]  # (target, message)


@dataclass(frozen=True)
class TargetEntry:
    """A target as its inventory gives it (credential references, never values), with its clinic and
    site: what distributed mode sends through the broker for a site's collector to rebuild the spec."""

    target: dict[str, Any]
    clinic: str
    site: str
    vantage: str = ""
    queue: str = ""  # the site's collector queue, if the inventory names one


@dataclass
class TargetSpec:
    """One thing to audit; offline targets point at a copied configuration tree."""

    name: str
    platform: str
    config_dir: Path
    spool_dir: Optional[Path] = None
    logrotate: list[Path] = field(default_factory=list)
    clinic: str = ""
    site: str = ""
    ssh: Optional[SshSpec] = None  # live: mirror the remote tree over SFTP, then audit it like a copy
    sip: Optional[SipSpec] = None  # live: SIP probes (platform "sip")
    tls: list[TlsTarget] = field(default_factory=list)  # live: TLS endpoints (platform "tls")
    pcap: Optional[PcapSpec] = None  # a capture file, or an opt-in sniff (platform "pcap")
    snmp: Optional[SnmpSpec] = None  # live: SNMP versions and credentials answered (platform "snmp")
    cli: Optional[SwitchCliSpec] = None  # live: switch CLI over SSH with netmiko (platform "switch")
    vantage: str = ""  # where the scanner sits, e.g. "data" (for reachability findings)
    entry: Optional[TargetEntry] = None  # set for inventory targets (distributed mode needs it)


# platform -> how to collect its facts from a target; adding a platform is one entry here
# plus its facts class in auditor.scan.PlatformFacts.
Collector = Callable[[TargetSpec, Optional[Callable[[str], None]]], object]
COLLECTORS: dict[str, Collector] = {
    "asterisk": lambda spec, note: offline.collect_asterisk_tree(
        spec.config_dir, spool_dir=spec.spool_dir, logrotate_files=spec.logrotate or None, progress=note),
    "freeswitch": lambda spec, note: offline.collect_freeswitch_tree(spec.config_dir, progress=note),
    "kamailio": lambda spec, note: offline.collect_kamailio_tree(spec.config_dir, progress=note),
    "opensips": lambda spec, note: offline.collect_opensips_tree(spec.config_dir, progress=note),
    "phone": lambda spec, note: offline.collect_phone_files(spec.config_dir, progress=note),
    "switch": lambda spec, note: collect_switch_cli(spec.cli, spec.name, note) if spec.cli
    else offline.collect_switch_configs(spec.config_dir, progress=note),
    "sip": lambda spec, note: live.collect_sip(spec.sip, spec.vantage, note),
    "tls": lambda spec, note: live.collect_tls(spec.tls, spec.vantage, note),
    "pcap": lambda spec, note: live.collect_pcap(spec.pcap, note),
    "snmp": lambda spec, note: live.collect_snmp(spec.snmp, note),
    "mdm": lambda spec, note: offline.collect_mdm_policies(spec.config_dir, progress=note),
}
SUPPORTED_PLATFORMS = tuple(COLLECTORS)
# What `voxaudit scan --config-dir PATH --platform P` accepts: a copy on disk (pcap: a capture file).
OFFLINE_PLATFORMS = ("asterisk", "freeswitch", "kamailio", "opensips", "phone", "switch", "mdm", "pcap")


_gc_lock = threading.Lock()
_gc_pausers = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while facts or results are built.

    A 10,000-extension tree becomes millions of small acyclic objects; the collector rescanning
    them at every generation threshold cost ~40% of the audit (benchmarks/). Reference counting
    still frees everything; the pause is counted so concurrent collections share it safely."""
    global _gc_pausers
    with _gc_lock:
        _gc_pausers += 1
        if _gc_pausers == 1:
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0:
                gc.enable()


def collect(spec: TargetSpec, progress: Optional[Progress] = None) -> TargetRecord:
    started = time.perf_counter()
    source = f"{spec.ssh.display}{spec.ssh.config_dir}" if spec.ssh else \
        f"sip://{spec.sip.address}" if spec.sip else \
        f"snmp://{spec.snmp.address}:{spec.snmp.port}" if spec.snmp else \
        spec.cli.display if spec.cli else \
        ", ".join(t.endpoint for t in spec.tls) if spec.tls else \
        (str(spec.pcap.path or f"iface:{spec.pcap.interface}") if spec.pcap else str(spec.config_dir))
    record = TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic, site=spec.site, source=source)
    mirrored = None
    try:
        note = (lambda m: progress(spec.name, f"reading {m}")) if progress else None
        collector = COLLECTORS.get(spec.platform)
        if collector is None:
            raise CollectionError("parse", f"platform {spec.platform!r} is not supported; "
                                           f"supported: {', '.join(SUPPORTED_PLATFORMS)}")
        if spec.ssh is not None:
            mirrored = mirror(spec.ssh, note)
            spec = replace(spec, config_dir=mirrored.config_dir, spool_dir=mirrored.spool_dir,
                           logrotate=mirrored.logrotate)
        with gc_paused():
            facts = collector(spec, note)
        if isinstance(facts, PlatformFacts):
            facts.flag_unread_roots()  # present with content, nothing understood: a gap, never "empty"
        record.facts = facts  # type: ignore[assignment]  # each collector returns its platform's facts
    except CollectionError as exc:
        record.failure = CollectionFailure(kind=ErrorKind(exc.kind), reason=exc.reason)
    except OSError as exc:
        record.failure = CollectionFailure(kind=ErrorKind.CONNECTIVITY, reason=f"{exc.__class__.__name__}: {exc.strerror or exc}")
    except Exception as exc:  # a reader bug or a hostile input it did not foresee: this target only
        # The message is not kept: it may quote a value read from the configuration (any may be secret).
        record.failure = CollectionFailure(
            kind=ErrorKind.BUG, reason=f"reading the configuration failed ({exc.__class__.__name__}); "
                                       "set VOXAUDIT_DEBUG=1 for a traceback")
        if os.environ.get("VOXAUDIT_DEBUG"):
            traceback.print_exc()
    finally:
        if mirrored is not None:
            shutil.rmtree(mirrored.root, ignore_errors=True)
    record.duration_s = round(time.perf_counter() - started, 4)
    return record


def _error(check_id: str, target: str, kind: ErrorKind, reason: str, location: Optional[SourceRef] = None,
           alias: Optional[str] = None) -> Result:
    return Result(check_id=check_id, target=target, resource="(target)", status=Status.ERROR,
                  evidence=reason, error_kind=kind, location=location, alias=alias or None)


def _last_traceback(exc: BaseException) -> list[TracebackType]:
    """The innermost traceback entry of ``exc`` (where a check failed), as a list of at most one."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return [tb] if tb is not None else []


def evaluate_target(record: TargetRecord, checks: list[Rule], params: dict[str, Any]) -> list[Result]:
    """Every rule's results on one target: each part (a control's binding on this platform, or a check)
    is gated on its sources, run, and stamped with its alias; NOT_APPLICABLE when no part found anything."""
    results: list[Result] = []
    ctx = CheckContext(params=params)
    for chk in checks:
        parts = chk.parts(record.platform)
        if not parts:
            continue
        if record.failure is not None or record.facts is None:
            failure = record.failure or CollectionFailure(kind=ErrorKind.BUG, reason="no facts were collected")
            results.append(_error(chk.id, record.name, failure.kind, failure.reason, alias=parts[0].alias))
            continue
        before = len(results)
        for part in parts:
            results += _run_part(chk.id, part, record, ctx)
        if len(results) == before:
            results.append(Result(check_id=chk.id, target=record.name, resource="(target)", status=Status.NOT_APPLICABLE,
                                  evidence=parts[0].none, alias=parts[0].alias or None))
    return results


def _run_part(check_id: str, part: Part, record: TargetRecord, ctx: CheckContext) -> list[Result]:
    facts = record.facts
    assert facts is not None
    alias = part.alias or None
    for source in part.sources:
        state, reason = facts.source_state(source)
        if state == "error":
            return [_error(check_id, record.name, ErrorKind.PARSE, f"{source} could not be used: {reason}", alias=alias)]
        if state == "not_collected":
            return [_error(check_id, record.name, ErrorKind.NOT_COLLECTED, reason, alias=alias)]
    results = [Result(check_id=check_id, target=record.name, resource=resource, status=Status.ERROR,
                      evidence=reason, error_kind=ErrorKind.PARSE, alias=alias)
               for source in part.sources for resource, reason in facts.resource_errors(source)]
    try:
        outcomes = part.run(facts, ctx)
    except Exception as exc:  # a bug in one check must not cost the others
        # Only the exception's type: its message may quote a configuration value (any may be secret).
        where = next((f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
                      for tb in _last_traceback(exc)), "")
        if os.environ.get("VOXAUDIT_DEBUG"):
            traceback.print_exc()
        return results + [_error(check_id, record.name, ErrorKind.BUG, f"check raised {exc.__class__.__name__}{where}",
                                 alias=alias)]
    for o in outcomes:
        results.append(Result(check_id=check_id, target=record.name, resource=o.resource, status=o.status,
                              evidence=o.evidence, location=o.location, fix=o.fix, alias=alias,
                              error_kind=(o.error_kind or ErrorKind.BUG) if o.status == Status.ERROR else None))
    return results


def evaluate(records: list[TargetRecord], registry: Registry, profile: Profile,
             waivers: list[Waiver], today: Optional[date] = None) -> tuple[list[Result], list[str], list[Rule]]:
    checks = [c for c in (registry.get(cid) for cid in profile.check_ids()) if c is not None]
    results: list[Result] = []
    for rec in records:
        results += evaluate_target(rec, checks, profile.parameters)
    warnings = apply_waivers(results, waivers, today)
    return results, warnings, checks


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_warnings(records: list[TargetRecord]) -> list[str]:
    """Every part of a configuration that was present but not understood (a gap: it lowers coverage)
    or that the audit only notes; problems that stopped a file are ERROR results instead."""
    out = []
    for rec in records:
        if rec.facts is None:
            continue
        for cf in rec.facts.configs.values():
            for p in cf.problems:
                if not p.fatal:
                    where = f"{p.file}:{p.line}" if p.line else p.file
                    out.append(f"{rec.name}: {where}: {'note: ' if p.note else ''}{p.message}")
    return out


def build_document(records: list[TargetRecord], registry: Registry, profile: Profile, waivers: list[Waiver],
                   started_at: str, waivers_source: Optional[str] = None, scan_id: Optional[str] = None,
                   today: Optional[date] = None) -> ScanDocument:
    with gc_paused():
        results, warnings, checks = evaluate(records, registry, profile, waivers, today)
    meta = {c.id: c.meta for c in checks}
    return ScanDocument(
        scan_id=scan_id or uuid.uuid4().hex[:12], started_at=started_at, finished_at=_now(),
        profile=ProfileRef(id=profile.id, title=profile.title, version=profile.version,
                           description=profile.description, lineage=profile.lineage, parameters=profile.parameters),
        safeguards=[s.model_dump() for s in profile.safeguards],
        waivers_source=waivers_source, targets=records, checks=[c.meta for c in checks], results=results,
        scores=score(results, profile, meta), warnings=warnings + parse_warnings(records),
    )


def run_scan(specs: list[TargetSpec], registry: Registry, profile: Profile, waivers: list[Waiver],
             waivers_source: Optional[str] = None, progress: Optional[Progress] = None,
             max_workers: int = 8, per_clinic: int = 2, target_timeout: float = 600.0,
             journal_path: Optional[Path] = None, resume: bool = False,
             on_done: Optional[Callable[[TargetRecord], None]] = None, broker: Optional[str] = None,
             queue_timeout: float = 300.0, processes: int = 0) -> ScanDocument:
    """Collect every target (here concurrently, see auditor.fleet; or with ``broker``, by each site's
    collector, see auditor.distributed), then evaluate and score here."""
    from auditor.fleet import Journal, collect_fleet

    started = _now()
    if broker:
        from auditor.distributed import collect_distributed
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
