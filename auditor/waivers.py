"""Waivers: accepted risks with an owner, a reason and an expiry.

A waived failure stays in every report, marked WAIVED with its owner and reason,
and leaves the score's denominator. An expired waiver stops applying and is
reported, so accepted risks are revisited rather than forgotten.
"""
from __future__ import annotations

import fnmatch
from datetime import date
from pathlib import Path
from typing import Optional

import msgspec

from voxaudit.model import Result, Status, Waiver
from voxaudit.structured import StructuredFileError, field, field_error, invalid, line_of, load_yaml


class WaiverError(Exception):
    pass


class _WaiverIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    check: str
    resource: str = "*"
    target: str = "*"
    owner: str
    reason: str
    expires: date

    def __post_init__(self) -> None:
        for name in ("check", "owner", "reason"):  # the first blank one is named
            if not getattr(self, name).strip():
                raise field_error(name, "must not be empty")
            setattr(self, name, getattr(self, name).strip())


def load_waivers(path: Path) -> list[Waiver]:
    try:
        data, tree = load_yaml(Path(path), "waivers file")
    except StructuredFileError as exc:
        raise WaiverError(str(exc)) from None
    items = data.get("waivers") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise WaiverError(f"{path}: expected a list under 'waivers:'")
    out = []
    for i, item in enumerate(items, start=1):
        try:
            w = msgspec.convert(item, _WaiverIn, strict=False)
        except msgspec.ValidationError as exc:
            loc, message = invalid(exc, _WaiverIn)
            line = line_of(tree, (*(("waivers",) if isinstance(data, dict) else ()), i - 1, *loc))
            raise WaiverError(f"{path}:{line or '?'}: waiver #{i}: {field(loc) or 'entry'}: {message}") from None
        out.append(Waiver(check=w.check, resource=w.resource, target=w.target, owner=w.owner,
                          reason=w.reason, expires=w.expires.isoformat()))
    return out


def is_expired(w: Waiver, today: date) -> bool:
    return date.fromisoformat(w.expires) < today


def apply_waivers(results: list[Result], waivers: list[Waiver], today: Optional[date] = None) -> list[str]:
    """Attach matching, unexpired waivers to FAIL results; return warnings to show the user."""
    if not waivers:  # nothing to attach; only a re-scored scan's results can carry one to take off
        for r in results:
            if r.waiver is not None:
                r.waiver = None
        return []
    today = today or date.today()
    warnings: list[str] = []
    used: set[int] = set()
    # FAIL results by check ID and by the 1.x check ID their binding replaced (a waiver written against
    # a 1.x ID still matches: it is the alias), in result order.
    failing: dict[str, list[Result]] = {}
    for r in results:
        r.waiver = None
        if r.status == Status.FAIL:
            failing.setdefault(r.check_id, []).append(r)
            if r.alias is not None and r.alias != r.check_id:
                failing.setdefault(r.alias, []).append(r)
    for idx, w in enumerate(waivers):
        if is_expired(w, today):
            warnings.append(f"{w.target + ': ' if w.target != '*' else ''}waiver for {w.check} on {w.resource} (owner "
                            f"{w.owner}) expired on {w.expires}; it no longer applies")
            continue
        # The check pattern is matched once per distinct check ID (or 1.x alias) rather than once per result:
        # a fleet's 100,000 findings against a long waivers file stay W x (controls), not W x (results).
        for key, candidates in failing.items():
            if not fnmatch.fnmatchcase(key, w.check):
                continue
            for r in candidates:
                if (r.waiver is None and fnmatch.fnmatchcase(r.resource, w.resource)
                        and fnmatch.fnmatchcase(r.target, w.target)):
                    r.waiver = w
                    used.add(idx)
    ran = {r.check_id for r in results} | {r.alias for r in results if r.alias}
    for idx, w in enumerate(waivers):
        if idx in used or is_expired(w, today):
            continue
        # Named after its target when it names one: per-clinic reports keep their own targets' warnings.
        where = f"{w.target}: " if w.target != "*" else ""
        if not any(fnmatch.fnmatchcase(cid, w.check) for cid in ran):
            warnings.append(f"{where}waiver for {w.check} on {w.resource}: that control did not run in this scan (not "
                            "selected, or no target of its platform); the waiver is kept for scans that run it")
        else:
            warnings.append(f"{where}waiver for {w.check} on {w.resource} matched no failing result; remove it if the "
                            "issue is fixed")
    return warnings
