"""Drift: a host's configuration against what probes and captures of the same host saw (docs/drift.md).

Run once per scan after every target is judged, from the saved :class:`~voxaudit.scan.TargetRecord` s
only (``rescore`` and ``report`` compute the same): in each clinic, a configuration target (Asterisk,
FreeSWITCH, Kamailio, OpenSIPS) that says which host it is (an SSH target's address, a config_dir
target's ``address:``) is paired with the clinic's live targets of that host (sip and tls targets by
address; a capture when one of its media streams has that host at one end, the capture cut down to
those streams). Both sides' records are derived by the platform bindings' own views, the same records
the configuration and probe controls judge, so "configured" and "observed" are one requirement read
twice. Each drift control (checks/drift.py) is judged on the configuration target: NOT_APPLICABLE with
no paired probe that looks at its requirement, ERROR when a side's evidence failed or was not
understood, FAIL with both the setting (file:line) and the observation (target, host:port, what was seen).
"""
from __future__ import annotations

import ipaddress
import os
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import msgspec

from voxaudit.control import BoundControl, Params, _takes_params
from voxaudit.model import ErrorKind, Result, SourceRef, Status
from voxaudit.records.base import Record
from voxaudit.records.drift import WIRE_FIX, WireComparison
from voxaudit.records.tls import AcceptedSuites, ProtocolVersions, is_tls13_suite, version_name
from voxaudit.registry import SERVER_PLATFORMS, Registry, Rule
from voxaudit.scan import TargetRecord

CONFIG_PLATFORMS = SERVER_PLATFORMS
LIVE_PLATFORMS = ("sip", "tls", "pcap")
SIP_TLS = "sip"  # TLS scans compared with a SIP server's TLS settings: purpose sip-tls (a sip target's own scan)
MAX_LISTED = 3
FIX = [WIRE_FIX]


def host_key(address: str) -> str:
    """An address as pairing compares it: an IP in its canonical form, a name lower-cased (no DNS: evaluation
    does no I/O, so a configuration named by host name pairs only with probes that use the same name)."""
    a = address.strip().strip("[]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(a).compressed
    except ValueError:
        return a


def _loopback(key: str) -> bool:
    try:
        return ipaddress.ip_address(key).is_loopback
    except ValueError:
        return key == "localhost"


def target_host(rec: TargetRecord) -> str:
    """The host a target describes ("" when it does not say): the record's address, a live target's facts,
    or the address in an SSH target's source (ssh://user@host:port/path)."""
    addr = str(getattr(rec, "address", "") or "")
    if not addr and rec.facts is not None:
        addr = str(getattr(rec.facts, "address", "") or "")
    if not addr and rec.source.startswith("ssh://"):
        rest = rec.source[len("ssh://"):].split("/", 1)[0].rsplit("@", 1)[-1]
        addr = rest[1:].split("]", 1)[0] if rest.startswith("[") else rest.rsplit(":", 1)[0]
    return host_key(addr) if addr else ""


def _stream_host(endpoint: str) -> str:
    """"10.0.0.5:4000" -> "10.0.0.5" (an IPv6 stream endpoint is "addr:port" too: the last colon splits)."""
    return host_key(endpoint.rsplit(":", 1)[0])


@dataclass
class _Live:
    """One paired live target: its record, its facts as compared (a capture cut to the host's streams)."""

    record: TargetRecord
    facts: Any


@dataclass
class _Side:
    """One side's records of one requirement: each with the target it came from, and why some are missing."""

    records: list[tuple[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    probed: bool = False  # some target on this side has a binding for the requirement at all


def _source_failure(binding: Any, facts: Any) -> str:
    """Why a binding's sources cannot be used (as the evaluation gates them), or ""."""
    for source in binding.sources:
        state, reason = facts.source_state(source)
        if state == "error":
            return f"{facts.source_name(source)} could not be used: {reason}"
        if state == "not_collected":
            return str(reason)
    for source in binding.sources:
        for resource, reason in facts.resource_errors(source):
            return f"{resource}: {reason}"
    return ""


def _derive(rule: Optional[Rule], name: str, platform: str, facts: Any, failure: str, params: Params,
            side: _Side, keep: Callable[[Any], bool] = lambda r: True) -> None:
    """The records the platform's bindings of ``rule`` give on ``facts``, through the bindings' own views."""
    if not isinstance(rule, BoundControl):
        return
    bindings = [b for b in rule.bindings if b.platform == platform]
    if not bindings:
        return
    side.probed = True
    if failure:
        side.failures.append(f"{name}: {failure}")
        return
    for b in bindings:
        why = _source_failure(b, facts)
        if why:
            side.failures.append(f"{name}: {why}")
            continue
        view: Any = b.view
        try:
            got = list(view(facts, params) if _takes_params(view) else view(facts))
        except Exception as exc:  # a view bug costs this comparison only; never the message (values)
            if os.environ.get("VOXAUDIT_DEBUG"):
                traceback.print_exc()
            side.failures.append(f"{name}: deriving the records raised {exc.__class__.__name__}")
            continue
        side.records += [(name, r) for r in got if keep(r)]


def _bound(rule: Optional[Rule], platform: str) -> bool:
    return isinstance(rule, BoundControl) and any(b.platform == platform for b in rule.bindings)


def _failure(rec: TargetRecord) -> str:
    if rec.failure is not None:
        kind = rec.failure.kind
        return f"not collected ({str(getattr(kind, 'value', kind))}: {rec.failure.reason})"
    return "no facts were collected" if rec.facts is None else ""


def _where(rec: Record) -> str:
    return f" ({rec.source.file}:{rec.source.line})" if rec.source is not None and rec.source.line else (
        f" ({rec.source.file})" if rec.source is not None else "")


def _listed(recs: Sequence[Record], text: Callable[[Any], str]) -> str:
    shown = "; ".join(f"{text(r)}{_where(r)}" for r in recs[:MAX_LISTED])
    return shown + (f"; and {len(recs) - MAX_LISTED} more" if len(recs) > MAX_LISTED else "")


def _subject(recs: Sequence[Record]) -> str:
    return recs[0].subject + (f" (+{len(recs) - 1})" if len(recs) > 1 else "")


def _seen(items: Sequence[tuple[str, Any]], text: Callable[[Any], str], host: str) -> str:
    shown = "; ".join(f"{t} {host} {text(r)}" for t, r in items[:MAX_LISTED])
    return shown + (f"; and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _wire_verdict_inputs(wire: _Side, decisive: Callable[[Any], bool]) -> tuple[list[tuple[str, Any]], list[str]]:
    """(decisive observations, reasons the rest could not tell)."""
    good = [(t, r) for t, r in wire.records if decisive(r)]
    unsure = [f"{t}: {r.subject}: {getattr(r, 'undecidable', '')}" for t, r in wire.records if not decisive(r)]
    return good, wire.failures + unsure


Comparison = Callable[[_Side, _Side, str, str], Optional[WireComparison]]


def _finish(config_recs: Sequence[Record], configured: str, contradicting: list[tuple[str, Any]],
            agreeing: list[tuple[str, Any]], unsure: list[str], text: Callable[[Any], str], host: str,
            stricter: bool = False) -> WireComparison:
    """The comparison once the configuration's claim is known: a contradiction decides (FAIL) whatever else
    failed; otherwise something that could not tell makes it undecidable (ERROR, never PASS)."""
    first = config_recs[0]
    subject, source, section = _subject(config_recs), first.source, first.section
    if contradicting:
        return WireComparison(subject=subject, source=source, section=section, configured=configured, drift=True,
                              wire=_seen(contradicting, text, host))
    if unsure:
        return WireComparison(subject=subject, source=source, section=section, configured=configured,
                              undecidable="wire evidence missing or inconclusive: " + "; ".join(unsure[:MAX_LISTED]))
    return WireComparison(subject=subject, source=source, section=section, configured=configured, stricter=stricter,
                          wire=_seen(agreeing, text, host))


def _silent(what: str) -> WireComparison:
    """The configuration states nothing the wire could contradict (NOT_APPLICABLE, saying so)."""
    return WireComparison(subject="(target)", claimed=False, configured=f"the configuration states no {what}")


def _unclaimable(recs: Sequence[Any], nothing: str, unshown: str,
                 unclear: Callable[[Any], Any] = lambda r: r.undecidable, unstated: str = "not stated"
                 ) -> Optional[WireComparison]:
    """The configuration side before any comparison: nothing to claim (NOT_APPLICABLE, saying what is
    missing), or records that cannot tell (ERROR, never PASS); None when its claim can be compared."""
    if not recs:
        return _silent(nothing)
    unsure = [r for r in recs if unclear(r)]
    if unsure:
        return WireComparison(subject=_subject(unsure), source=unsure[0].source,
                              undecidable=f"the configuration does not show {unshown}: "
                                          + (unsure[0].undecidable or unstated))
    return None


def _not_claimed(recs: Sequence[Any], configured: str) -> WireComparison:
    """The configuration makes no claim the wire could contradict (it admits the weakness itself, or the
    probes could not tell): NOT_APPLICABLE here, the configuration control judges it."""
    return WireComparison(subject=_subject(recs), source=recs[0].source, claimed=False, configured=configured)


def compare_signalling(config: _Side, wire: _Side, host: str, target: str) -> Optional[WireComparison]:
    recs = [r for _, r in config.records]
    early = _unclaimable(recs, "SIP listener", "its listeners")
    if early is not None:
        return early
    plain = [r for r in recs if r.plaintext]
    beyond = [r for r in plain if not r.loopback]
    if beyond:
        return _not_claimed(beyond, "the configuration itself admits plaintext SIP beyond loopback ("
                            + _listed(beyond, lambda r: r.setting) + "); ENC-SIG-101 judges it")
    if plain and _loopback(host):
        return _not_claimed(plain, "plaintext SIP on loopback only (" + _listed(plain, lambda r: r.setting)
                            + "), and the probes reached this host on loopback: they cannot tell")
    claim = recs if not plain else plain
    configured = ("no plaintext SIP listener: " + _listed(recs, lambda r: r.setting) if not plain else
                  "plaintext SIP on loopback only: " + _listed(plain, lambda r: r.setting))
    good, unsure = _wire_verdict_inputs(wire, lambda r: not r.undecidable)
    if not good and not unsure:
        return None
    answered = [(t, r) for t, r in good if r.plaintext]
    closed = [(t, r) for t, r in good if not r.plaintext]
    return _finish(claim, configured, answered, closed, unsure, lambda r: r.setting, host)


def compare_media(config: _Side, wire: _Side, host: str, target: str) -> Optional[WireComparison]:
    recs = [r for _, r in config.records]
    early = _unclaimable(recs, "media policy (a proxy that relays SDP does not set it)", "the media policy")
    if early is not None:
        return early
    plain = [r for r in recs if not r.encrypted or r.fallback]
    if plain:
        return _not_claimed(plain, "the configuration itself admits plain RTP (" + _listed(plain, lambda r: r.setting)
                            + "); ENC-MEDIA-101/102 judge it")
    configured = f"SRTP required on all {len(recs)}: " + _listed(recs, lambda r: f"{r.subject}: {r.setting}")
    good, unsure = _wire_verdict_inputs(wire, lambda r: not r.undecidable)
    if not good and not unsure:
        return None
    clear = [(t, r) for t, r in good if not r.encrypted]
    srtp = [(t, r) for t, r in good if r.encrypted]
    return _finish(recs, configured, clear, srtp, unsure, lambda r: f"{r.subject}: plain RTP, {r.setting}"
                   if not r.encrypted else f"{r.subject}: {r.setting}", host)


def compare_versions(config: _Side, wire: _Side, host: str, target: str) -> Optional[WireComparison]:
    recs = [r for _, r in config.records]
    early = _unclaimable(recs, "TLS listener (TLS off, or no TLS settings)", "its TLS versions",
                         lambda r: r.undecidable or not r.versions, "no version stated")
    if early is not None:
        return early
    lowest = min(min(r.versions) for r in recs)
    deciding = [r for r in recs if min(r.versions) == lowest]
    configured = f"nothing below {version_name(lowest)} (" + _listed(deciding, lambda r: r.setting) + ")"
    good, unsure = _wire_verdict_inputs(wire, lambda r: bool(r.versions))
    if not good and not unsure:
        return None

    def text(r: ProtocolVersions) -> str:
        return f"{r.subject}: accepts " + ", ".join(version_name(v) for v in sorted(r.versions))
    older = [(t, r) for t, r in good if any(0 < v < lowest for v in r.versions)]
    stricter = bool(good) and all(min(r.versions) > lowest for _, r in good)
    return _finish(deciding, configured, older, [x for x in good if x not in older], unsure, text, host, stricter)


def compare_suites(config: _Side, wire: _Side, host: str, target: str) -> Optional[WireComparison]:
    recs = [r for _, r in config.records]
    early = _unclaimable(recs, "TLS listener (TLS off, or no TLS settings)", "its cipher suites")
    if early is not None:
        return early
    allowed = {name for r in recs for _, name in r.suites}
    below13 = sorted(n for n in allowed if not is_tls13_suite(n))
    configured = (f"{len(below13)} suite(s) below TLS 1.3 selected (" + _listed(recs, lambda r: r.setting) + ")")
    good, unsure = _wire_verdict_inputs(wire, lambda r: not r.undecidable)
    if not good and not unsure:
        return None
    extra: dict[int, list[str]] = {}
    for i, (_, r) in enumerate(good):
        names = sorted({n for _, n in r.suites if n not in allowed})
        if names:
            extra[i] = names

    def text(r: AcceptedSuites) -> str:
        names = sorted({n for _, n in r.suites if n not in allowed})
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        return f"{r.subject}: accepts {shown}, not selected by the configuration" if names else \
            f"{r.subject}: accepts only selected suites"
    contradicting = [good[i] for i in extra]
    return _finish(recs, configured, contradicting, [x for i, x in enumerate(good) if i not in extra], unsure,
                   text, host)


def compare_admin(config: _Side, wire: _Side, host: str, target: str) -> Optional[WireComparison]:
    """Management interfaces the configuration keeps on loopback (AMI, HTTP/ARI, event socket) against
    connections to the same ports from the scanner: one accepted is the drift."""
    recs = [r for _, r in config.records if r.port]
    early = _unclaimable(recs, "management interface with a known port", "where it listens")
    if early is not None:
        return early
    beyond = [r for r in recs if not r.loopback]
    if beyond:
        return _not_claimed(beyond, "the configuration itself listens beyond loopback (" + _listed(
            beyond, lambda r: f"{r.service} on {r.listen or 'every address'}:{r.port}") + "); ACC-ADMIN-101 judges it")
    if _loopback(host):
        return _not_claimed(recs, "management interfaces on loopback only, and the probes reached this host "
                                  "on loopback: they cannot tell")
    ports = {r.port for r in recs}
    seen = [(t, r) for t, r in wire.records if r.port in ports]
    if not seen and not wire.failures:
        return None
    configured = "on loopback only: " + _listed(recs, lambda r: f"{r.service} {r.listen}:{r.port}")
    answered = [(t, r) for t, r in seen if r.listen]
    shut = [(t, r) for t, r in seen if not r.listen]
    return _finish(recs, configured, answered, shut, wire.failures,
                   lambda r: f"port {r.port}: " + (f"accepted a connection ({r.service})" if r.listen else r.limit),
                   host)


@dataclass(frozen=True)
class Requirement:
    """One drift control: how to compare the records both sides give of the control it ``compares``
    (written on the control itself), and what NA says."""

    drift_id: str
    compare: Comparison
    nothing: str
    live: tuple[str, ...]  # the live platforms whose observations of this host count
    sip_tls_only: bool = False  # compare only TLS scans of SIP (sip-tls), not an admin UI on the same host


REQUIREMENTS = (
    Requirement("DRIFT-SIG-101", compare_signalling,
                "no SIP probe of this host looked at plaintext SIP", ("sip",)),
    Requirement("DRIFT-MEDIA-101", compare_media,
                "no capture of this host's media streams and no SDP in a probe's answers", ("sip", "pcap")),
    Requirement("DRIFT-TLS-101", compare_versions,
                "no completed SIP-TLS scan of this host (a sip target's TLS port, or a tls endpoint with "
                "purpose sip-tls)", ("sip", "tls"), sip_tls_only=True),
    Requirement("DRIFT-TLS-102", compare_suites,
                "no completed SIP-TLS scan of this host", ("sip", "tls"), sip_tls_only=True),
    Requirement("DRIFT-ADMIN-101", compare_admin,
                "no probe of this host connected to the management ports the configuration names (a sip target's "
                "admin_ports:)", ("sip",)),
)


def compared(registry: Registry, drift_id: str) -> str:
    """The control a drift control sets configuration against wire for (its ``compares``)."""
    rule = registry.get(drift_id)
    return rule.control.compares if isinstance(rule, BoundControl) else ""


def _paired(config_host: str, live: Iterable[TargetRecord]) -> list[_Live]:
    out = []
    for rec in live:
        if rec.platform == "pcap":
            facts = rec.facts
            streams = [s for s in getattr(facts, "streams", []) if config_host in (_stream_host(s.src), _stream_host(s.dst))]
            if facts is not None and streams:  # the capture holds this host's media: only those streams compare
                out.append(_Live(rec, msgspec.structs.replace(facts, streams=streams)))
        elif target_host(rec) == config_host:
            out.append(_Live(rec, rec.facts))
    return out


def _sip_tls(facts: Any) -> Any:
    scans = getattr(facts, "tls", None)
    if not scans:
        return facts
    return msgspec.structs.replace(facts, tls=[s for s in scans if (s.purpose or "").startswith(SIP_TLS)])


def drift_records(records: Sequence[TargetRecord], registry: Registry,
                  params: Mapping[str, Any]) -> list[tuple[str, TargetRecord, Optional[WireComparison], str]]:
    """(drift control, configuration target, comparison or None, why there is none) for every configuration
    target that says which host it is, in every clinic."""
    p = Params(params)
    clinics: dict[str, list[TargetRecord]] = {}
    for rec in records:
        clinics.setdefault(rec.clinic, []).append(rec)
    out: list[tuple[str, TargetRecord, Optional[WireComparison], str]] = []
    for members in clinics.values():
        live = [r for r in members if r.platform in LIVE_PLATFORMS]
        for cfg in members:
            if cfg.platform not in CONFIG_PLATFORMS:
                continue
            try:
                out += _config_target(cfg, live, registry, p)
            except Exception as exc:  # a bug here costs this target's drift only; never the message (values)
                if os.environ.get("VOXAUDIT_DEBUG"):
                    traceback.print_exc()
                out += [(req.drift_id, cfg, WireComparison(
                    subject="(target)", undecidable=f"comparing raised {exc.__class__.__name__}"), "")
                        for req in REQUIREMENTS]
    return out


def _config_target(cfg: TargetRecord, live: list[TargetRecord], registry: Registry,
                   p: Params) -> list[tuple[str, TargetRecord, Optional[WireComparison], str]]:
    out: list[tuple[str, TargetRecord, Optional[WireComparison], str]] = []
    host = target_host(cfg)
    pairs = _paired(host, live) if host else []
    failed = _failure(cfg)
    for req in REQUIREMENTS:
        rule = registry.get(compared(registry, req.drift_id))
        if failed and not pairs and _bound(rule, cfg.platform):  # as every rule on a target not collected: ERROR
            out.append((req.drift_id, cfg, WireComparison(subject="(target)", undecidable=failed), ""))
            continue
        if not host:
            out.append((req.drift_id, cfg, None, "the target does not say which host it is (address:); "
                                                 "nothing to compare its configuration with"))
            continue
        if not pairs:
            out.append((req.drift_id, cfg, None, f"no live target in this clinic probes or captures {host}"))
            continue
        config, wire = _Side(), _Side()
        _derive(rule, cfg.name, cfg.platform, cfg.facts, _failure(cfg), p, config,
                keep=lambda r: not r.observed)
        for pair in (x for x in pairs if x.record.platform in req.live):
            facts = _sip_tls(pair.facts) if req.sip_tls_only and pair.facts is not None else pair.facts
            _derive(rule, pair.record.name, pair.record.platform, facts, _failure(pair.record), p, wire,
                    keep=lambda r: r.observed)
        if config.failures:
            first = next((r for _, r in config.records), None)
            out.append((req.drift_id, cfg, WireComparison(
                subject=first.subject if first is not None else "(target)",
                undecidable="configuration evidence missing: " + "; ".join(config.failures[:MAX_LISTED])), ""))
            continue
        got = req.compare(config, wire, host, cfg.name) if wire.probed else None
        out.append((req.drift_id, cfg, got, f"{req.nothing} ({host})" if got is None else ""))
    return out


def evaluate_drift(records: Sequence[TargetRecord], registry: Registry, params: Mapping[str, Any],
                   selected: Iterable[str]) -> list[Result]:
    """The drift controls the profile selects, judged on each configuration target (see the module text)."""
    wanted = {cid: registry.get(cid) for cid in selected}
    if not any(req.drift_id in wanted for req in REQUIREMENTS):
        return []
    p = Params(params)
    results: list[Result] = []
    for drift_id, cfg, comparison, why in drift_records(records, registry, params):
        rule = wanted.get(drift_id)
        if not isinstance(rule, BoundControl):
            continue
        if comparison is None:
            results.append(Result(drift_id, cfg.name, "(target)", Status.NOT_APPLICABLE, why))
            continue
        v = rule.control.judge(comparison, p)
        location: Optional[SourceRef] = comparison.source
        results.append(Result(drift_id, cfg.name, comparison.subject, v.status, v.evidence, location,
                              list(FIX) if v.status == Status.FAIL else [],
                              (v.error_kind or ErrorKind.NOT_COLLECTED) if v.status == Status.ERROR else None))
    return results
