"""Evaluate: saved facts in, results out, with no I/O: every rule on every target, waivers, scores, the document.

For each control and each binding of it on the target's platform (or a 1.x check), the binding
is gated on its source files (unread or refused: ERROR), its records are judged, and each
result is stamped with the binding's alias; a rule with nothing to judge is NOT_APPLICABLE.
``voxaudit rescore`` runs only this floor, on a saved scan's facts.
"""
from __future__ import annotations

import os
import traceback
import uuid
from datetime import date, datetime, timezone
from types import TracebackType
from typing import Any, Mapping, Optional, Sequence

import msgspec

from voxaudit.check import CheckContext, Part
from voxaudit.engine.collect import gc_paused
from voxaudit.model import ErrorKind, Result, SourceRef, Status, Waiver
from voxaudit.profile import Profile
from voxaudit.records.recipients import REGISTER_PARAM, register_value
from voxaudit.registry import Registry, Rule
from voxaudit.scan import CollectionFailure, ProfileRef, ScanDocument, TargetRecord
from voxaudit.scoring import score
from voxaudit.waivers import apply_waivers


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
        # A target-level answer speaks for the binding a 1.x check became, when there is one (so baselines,
        # waivers and diffs keyed by the old ID keep matching), whatever order the adapters loaded in.
        lead = next((p for p in parts if p.alias), parts[0])
        if record.failure is not None or record.facts is None:
            failure = record.failure or CollectionFailure(kind=ErrorKind.BUG, reason="no facts were collected")
            results.append(_error(chk.id, record.name, failure.kind, failure.reason, alias=lead.alias))
            continue
        before = len(results)
        # One ERROR per refused file or unread part of one, however many bindings of the control read it: a
        # result's identity (control, target, resource) stays unique for history, baselines and waivers.
        said: set[str] = set()
        for part in parts:
            results += _run_part(chk.id, part, record, ctx, said)
        if len(results) - before > 1:
            _unique_resources(results, before)
        if len(results) == before:
            results.append(Result(check_id=chk.id, target=record.name, resource="(target)", status=Status.NOT_APPLICABLE,
                                  evidence=lead.none, alias=lead.alias or None))
    return results


def _unique_resources(results: list[Result], start: int) -> None:
    """Two objects of one name (two ``[admin]`` sections in manager.conf and a file it includes, a peer
    written twice) each keep their verdict, told apart by where they are written: the later ones are
    named ``resource (file:line)``, so (control, target, resource) stays unique."""
    names = [r.resource for r in results[start:]]
    if len(set(names)) == len(names):
        return
    seen: set[str] = set()
    for i in range(start, len(results)):
        r = results[i]
        if r.resource in seen:
            where = f" ({r.location.file}:{r.location.line})" if r.location is not None else ""
            name, n = f"{r.resource}{where}", 2
            while name in seen:
                name, n = f"{r.resource}{where} #{n}", n + 1
            results[i] = msgspec.structs.replace(r, resource=name)
        seen.add(results[i].resource)


def _claim(said: set[str], resource: str, alias: Optional[str]) -> Optional[str]:
    """The name of an ERROR that several bindings of one control may give alike (a refused file, an unread
    part of one): the first takes ``resource``, a later one with a 1.x ID takes ``resource`` naming it (its
    old check keeps its answer), any other is said once already. Keeps (control, target, resource) unique."""
    for name in (resource, f"{resource[:-1]}: {alias})" if alias and resource.endswith(")") else ""):
        if name and name not in said:
            said.add(name)
            return name
    return None


def _run_part(check_id: str, part: Part, record: TargetRecord, ctx: CheckContext,
              said: Optional[set[str]] = None) -> list[Result]:
    facts = record.facts
    assert facts is not None
    alias = part.alias or None
    said = set() if said is None else said
    for source in part.sources:
        state, reason = facts.source_state(source)
        if state in ("error", "not_collected"):
            name = _claim(said, "(target)", alias)
            if name is None:
                return []
            if state == "error":
                return [Result(check_id, record.name, name, Status.ERROR,
                               f"{facts.source_name(source)} could not be used: {reason}", None, [], ErrorKind.PARSE,
                               None, alias)]
            return [Result(check_id, record.name, name, Status.ERROR, reason, None, [], ErrorKind.NOT_COLLECTED, None,
                           alias)]
    results = []
    for source in part.sources:
        for resource, reason in facts.resource_errors(source):
            name = _claim(said, resource, alias)
            if name is not None:
                results.append(Result(check_id=check_id, target=record.name, resource=name, status=Status.ERROR,
                                      evidence=reason, error_kind=ErrorKind.PARSE, alias=alias))
    try:
        if part.results is not None:
            return results + part.results(facts, ctx, check_id, record.name, alias)
        outcomes = part.run(facts, ctx)
    except Exception as exc:  # a bug in one check must not cost the others
        # Only the exception's type: its message may quote a configuration value (any may be secret).
        where = next((f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
                      for tb in _last_traceback(exc)), "")
        if os.environ.get("VOXAUDIT_DEBUG"):
            traceback.print_exc()
        return results + [_error(check_id, record.name, ErrorKind.BUG, f"check raised {exc.__class__.__name__}{where}",
                                 alias=alias)]
    target = record.name
    for o in outcomes:
        results.append(Result(check_id, target, o.resource, o.status, o.evidence, o.location, o.fix,
                              (o.error_kind or ErrorKind.BUG) if o.status == Status.ERROR else None, None, alias))
    return results


# target name -> its clinic's business-associate register (entries as the inventory writes them)
Registers = Mapping[str, Sequence[Mapping[str, Any]]]


def evaluate(records: list[TargetRecord], registry: Registry, profile: Profile,
             waivers: list[Waiver], today: Optional[date] = None,
             registers: Optional[Registers] = None) -> tuple[list[Result], list[str], list[Rule]]:
    """Every rule on every target. A target's business-associate register (``registers``) reaches the
    controls as one more parameter of that target only, with the scan's date, so the judge stays pure."""
    checks = [c for c in (registry.get(cid) for cid in profile.check_ids()) if c is not None]
    results: list[Result] = []
    day = today or date.today()
    for rec in records:
        params = profile.parameters
        register = registers.get(rec.name) if registers else None
        if register is not None:
            params = {**params, REGISTER_PARAM: register_value(register, day)}
        results += evaluate_target(rec, checks, params)
    from voxaudit.engine.drift import evaluate_drift  # configuration against wire, across a clinic's targets
    results += evaluate_drift(records, registry, profile.parameters, [c.id for c in checks])
    warnings = apply_waivers(results, waivers, today)
    return results, warnings, checks


def now_iso() -> str:
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
                   today: Optional[date] = None, registers: Optional[Registers] = None) -> ScanDocument:
    with gc_paused():
        if registers is None:  # the registers saved with the targets (a rescore, a resumed fleet)
            registers = {r.name: r.business_associates for r in records if r.business_associates is not None}
        results, warnings, checks = evaluate(records, registry, profile, waivers, today, registers)
    meta = {c.id: c.meta for c in checks}
    return ScanDocument(
        scan_id=scan_id or uuid.uuid4().hex[:12], started_at=started_at, finished_at=now_iso(),
        profile=ProfileRef(id=profile.id, title=profile.title, version=profile.version,
                           description=profile.description, lineage=profile.lineage, parameters=profile.parameters),
        safeguards=[msgspec.to_builtins(s) for s in profile.safeguards],
        waivers_source=waivers_source, targets=records, checks=[c.meta for c in checks], results=results,
        scores=score(results, profile, meta), warnings=warnings + parse_warnings(records),
    )
