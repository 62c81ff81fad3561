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
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, TypeVar

from voxaudit.collectors import offline
from voxaudit.collectors.offline import CollectionError
from voxaudit.facts.common import PlatformFacts
from voxaudit.model import ErrorKind
from voxaudit.scan import CollectionFailure, TargetRecord
from voxaudit.targets import (
    PLATFORMS,
    TREE_PLATFORMS,
    CliSource,
    ConfigDirSource,
    PcapSource,
    SipSource,
    SnmpSource,
    Source,
    SshSource,
    Target,
    TlsSource,
)

Progress = Callable[[str, str], None]  # (target, message)
Note = Optional[Callable[[str], None]]
# The 1.x names: a target is one model (voxaudit.targets.Target), also what the broker sends.
TargetSpec = Target
SourceT = TypeVar("SourceT", bound=Source)


def _tree(target: Target) -> ConfigDirSource:
    """A tree platform's source: a copy on disk (an SSH source is mirrored into one before this)."""
    return _source(target, ConfigDirSource)


def _asterisk(target: Target, note: Note) -> object:
    src = _tree(target)
    return offline.collect_asterisk_tree(Path(src.config_dir), spool_dir=Path(src.spool_dir) if src.spool_dir else None,
                                         logrotate_files=[Path(p) for p in src.logrotate] or None, progress=note,
                                         evidence_dir=_evidence(src))


def _evidence(src: ConfigDirSource) -> Optional[Path]:
    """The host evidence bundle given with a copied tree (--evidence, ``evidence_dir``), if any."""
    return Path(src.evidence_dir) if src.evidence_dir else None


def _switch(target: Target, note: Note) -> object:
    if isinstance(target.source, CliSource):
        from voxaudit.collectors.switch_cli import collect_switch_cli
        return collect_switch_cli(target.source, target.name, note)
    return offline.collect_switch_configs(Path(_tree(target).config_dir), progress=note)


def _config_root(target: Target) -> str:
    """The directory a configuration copy's file names are relative to: where the reader found the tree in
    what it was given (etc/asterisk inside a snapshot, FreeSWITCH's conf dir), else what it was given."""
    src = target.source
    if not isinstance(src, ConfigDirSource):
        return ""
    given = Path(src.config_dir)
    if target.platform == "asterisk":
        given = offline.locate_tree(given)[0]
    elif target.platform == "freeswitch":
        found = offline.locate_freeswitch_conf(given)
        given = found[0] if found is not None else given
    return str(given.resolve()) if given.is_dir() else ""


def _host_root(target: Target) -> str:
    """The directory host evidence, logrotate and spool file names are relative to: the evidence folder given,
    else the snapshot root the reader found the tree in (the root holding etc/asterisk or etc/freeswitch)."""
    src = target.source
    if not isinstance(src, ConfigDirSource):
        return ""
    root: Optional[Path] = Path(src.evidence_dir) if src.evidence_dir else None
    if root is None and target.platform == "asterisk":
        root = offline.locate_tree(Path(src.config_dir))[1]
    elif root is None and target.platform == "freeswitch":
        found = offline.locate_freeswitch_conf(Path(src.config_dir))
        root = offline.freeswitch_snapshot(found[0]) if found is not None else None
    return str(root.resolve()) if root is not None and root.is_dir() else ""


def address_of(target: Target) -> str:
    """The host a target describes, as the drift stage pairs targets by (its source's address, if any)."""
    address = getattr(target.source, "address", "")
    return address if isinstance(address, str) else ""


def _live() -> Any:
    """The network collectors, imported when a live target is collected (an offline audit never loads them)."""
    from voxaudit.collectors import live
    return live


def _source(target: Target, kind: type[SourceT]) -> SourceT:
    """The target's source as the kind its platform is collected from (a hand-built mismatch is a clear ERROR)."""
    if not isinstance(target.source, kind):
        raise CollectionError("not_collected", f"a {target.platform} target needs a "
                                               f"{kind.__struct_config__.tag} source, not {target.source.kind}")
    return target.source


# platform -> how to collect its facts from a (resolved) target; adding a platform is one entry here,
# its name in voxaudit.targets.PLATFORMS, and its facts class in voxaudit.scan.PlatformFacts.
Collector = Callable[[Target, Note], object]
COLLECTORS: dict[str, Collector] = {
    "asterisk": _asterisk,
    "freeswitch": lambda t, note: offline.collect_freeswitch_tree(Path(_tree(t).config_dir), progress=note,
                                                                  evidence_dir=_evidence(_tree(t))),
    "kamailio": lambda t, note: offline.collect_kamailio_tree(Path(_tree(t).config_dir), progress=note),
    "opensips": lambda t, note: offline.collect_opensips_tree(Path(_tree(t).config_dir), progress=note),
    "phone": lambda t, note: offline.collect_phone_files(Path(_tree(t).config_dir), progress=note),
    "switch": _switch,
    "sip": lambda t, note: _live().collect_sip(_source(t, SipSource), t.vantage, note),
    "tls": lambda t, note: _live().collect_tls(_source(t, TlsSource), t.vantage, note),
    "pcap": lambda t, note: _live().collect_pcap(_source(t, PcapSource), note),
    "snmp": lambda t, note: _live().collect_snmp(_source(t, SnmpSource), note),
    "mdm": lambda t, note: offline.collect_mdm_policies(Path(_tree(t).config_dir), progress=note),
}
SUPPORTED_PLATFORMS = PLATFORMS
assert tuple(COLLECTORS) == PLATFORMS, "voxaudit.targets.PLATFORMS and COLLECTORS list the same platforms"
# What `voxaudit scan --config-dir PATH --platform P` accepts: a copy on disk (pcap: a capture file).
OFFLINE_PLATFORMS = (*TREE_PLATFORMS, "pcap")


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


def collect(target: Target, progress: Optional[Progress] = None) -> TargetRecord:
    """Collect one target: its relative paths resolved (once, here), an SSH tree mirrored into a local copy."""
    started = time.perf_counter()
    record = TargetRecord(name=target.name, platform=target.platform, clinic=target.clinic, site=target.site,
                          source=target.source.display + (target.source.config_dir
                                                          if isinstance(target.source, SshSource) else ""),
                          address=address_of(target))
    mirrored = None
    try:
        note = (lambda m: progress(target.name, f"reading {m}")) if progress else None
        collector = COLLECTORS.get(target.platform)
        if collector is None:
            raise CollectionError("parse", f"platform {target.platform!r} is not supported; "
                                           f"supported: {', '.join(SUPPORTED_PLATFORMS)}")
        target = target.resolved()
        if isinstance(target.source, SshSource):
            from voxaudit.collectors.ssh import mirror
            mirrored = mirror(target.source, note)
            target = target.replace(source=ConfigDirSource(
                config_dir=str(mirrored.config_dir), spool_dir=str(mirrored.spool_dir) if mirrored.spool_dir else None,
                logrotate=[str(p) for p in mirrored.logrotate],
                evidence_dir=str(mirrored.evidence) if mirrored.evidence else None))
        with gc_paused():
            facts = collector(target, note)
        if isinstance(facts, PlatformFacts):
            facts.flag_unread_roots()  # present with content, nothing understood: a gap, never "empty"
        record.facts = facts  # type: ignore[assignment]  # each collector returns its platform's facts
        if mirrored is None:
            record.config_root = _config_root(target)
            record.host_root = _host_root(target)
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
