"""Collect: one target in, one secret-free :class:`~auditor.scan.TargetRecord` out (all I/O is here, below).

Isolation is the rule: a target that cannot be collected or a config file the platform would
refuse yields a record with a failure or problems, never an exception; the evaluation turns
them into ERROR results for what they affect, and every other result is kept.
"""
from __future__ import annotations

import gc
import os
import shutil
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from voxaudit.collectors import live, offline
from voxaudit.collectors.offline import CollectionError
from voxaudit.collectors.packets import PcapSpec
from voxaudit.collectors.sip import SipSpec
from voxaudit.collectors.snmp import SnmpSpec
from voxaudit.collectors.ssh import SshSpec, mirror
from voxaudit.collectors.switch_cli import SwitchCliSpec, collect_switch_cli
from voxaudit.collectors.tls import TlsTarget
from voxaudit.facts.common import PlatformFacts
from voxaudit.model import ErrorKind
from voxaudit.scan import CollectionFailure, TargetRecord

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
                # What was built while paused is kept (facts, results): frozen out of the collector's
                # sight, or the first collection after enabling walks all of it (0.3 s at 10,000
                # extensions). Frozen objects are still freed by reference counting.
                gc.freeze()
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


