"""Scores (how well it is configured) and coverage (how much of it we could see).

The unit is one check on one target. Its score is the share of its resources
that pass (waived failures and NOT_APPLICABLE left out), weighted by the check's
severity. A safeguard's score is the weighted mean of its units; the overall
score is the mean of safeguards weighted by the profile. A unit with any ERROR
(unreachable, unparsable, not collected, a bug, a part not understood) is uncovered: it
lowers coverage and never counts as a pass; its errors count against its evaluated resources.
See docs/scoring.md.
"""
from __future__ import annotations

from collections import Counter
from itertools import repeat
from operator import attrgetter, is_not
from typing import Optional

import msgspec

from voxaudit.check import CheckMeta
from voxaudit.model import Result, Status
from voxaudit.profile import Profile


class SafeguardScore(msgspec.Struct, kw_only=True, omit_defaults=True):  # saved in scans, defaults left out
    id: str
    title: str
    citation: str
    level: str
    weight: float
    score: Optional[float]
    coverage: Optional[float]
    passed: int = 0
    failed: int = 0
    waived: int = 0
    errors: int = 0
    not_applicable: int = 0
    checks: list[str] = []


class ScoreCard(msgspec.Struct, kw_only=True, omit_defaults=True):
    overall: Optional[float]
    coverage: Optional[float]
    safeguards: list[SafeguardScore]
    by_target: dict[str, Optional[float]] = {}
    counts: dict[str, int] = {}


class _Unit:
    __slots__ = ("passed", "failed", "waived", "errors", "na")

    def __init__(self) -> None:
        self.passed = self.failed = self.waived = self.errors = self.na = 0

    @property
    def evaluated(self) -> bool:
        return self.passed + self.failed + self.waived > 0

    @property
    def applicable(self) -> bool:
        return self.evaluated or self.errors > 0


# A result's effective status (WAIVED for a waived failure, as Result.effective_status), by its raw
# status and whether it carries a waiver; looked up, not computed per result (140,000 at 10,000 extensions).
_EFFECTIVE = {(st, waived): ("WAIVED" if waived and st == Status.FAIL else st.value)
              for st in Status for waived in (False, True)}
_FIELD = {"PASS": "passed", "FAIL": "failed", "WAIVED": "waived", "ERROR": "errors", "NOT_APPLICABLE": "na"}


def _tally(results: list[Result]) -> tuple[dict[tuple[str, str], _Unit], dict[str, int]]:
    """Units (target, check) and the count of each effective status, both in order of first appearance
    (the order the scores are summed in and the counts are written in), in one pass over the results."""
    # Counted at C speed, keyed by what decides a unit's counts; a key's first appearance keeps its place.
    seen = Counter(zip(map(_TARGET, results), map(_CHECK, results), map(_STATUS, results),
                       map(is_not, map(_WAIVER, results), repeat(None))))
    units: dict[tuple[str, str], _Unit] = {}
    counts: dict[str, int] = {}
    for (target, cid, status, waived), n in seen.items():
        u = units.get((target, cid))
        if u is None:
            u = units[(target, cid)] = _Unit()
        eff = _EFFECTIVE[(status, waived)]
        field = _FIELD.get(eff, "na")
        setattr(u, field, getattr(u, field) + n)
        counts[eff] = counts.get(eff, 0) + n
    return units, counts


_TARGET, _CHECK, _STATUS, _WAIVER = (attrgetter(name) for name in ("target", "check_id", "status", "waiver"))


def _score(units: dict[tuple[str, str], _Unit], profile: Profile, meta: dict[str, CheckMeta],
           targets: Optional[set[str]] = None) -> tuple[Optional[float], Optional[float], list[SafeguardScore]]:
    sg_scores: list[SafeguardScore] = []
    covered_all: set[tuple[str, str]] = set()
    applicable_all: set[tuple[str, str]] = set()
    for sg in profile.safeguards:
        s = SafeguardScore(id=sg.id, title=sg.title, citation=sg.citation, level=sg.level, weight=sg.weight,
                           score=None, coverage=None, checks=sg.checks)
        num = den = 0.0
        covered = applicable = 0
        checks = set(sg.checks)
        for (target, cid), u in units.items():
            if cid not in checks or (targets is not None and target not in targets):
                continue
            s.passed += u.passed
            s.failed += u.failed
            s.waived += u.waived
            s.errors += u.errors
            s.not_applicable += u.na
            if not u.applicable:
                continue
            applicable += 1
            applicable_all.add((target, cid))
            if u.errors == 0:
                covered += 1
                covered_all.add((target, cid))
            if u.passed + u.failed > 0 and cid in meta:
                # Resources that could not be judged count against the unit, never for it: an
                # unreadable part must not lift a score by hiding the findings beside it.
                w = meta[cid].severity.weight
                num += w * u.passed / (u.passed + u.failed + u.errors)
                den += w
        s.score = round(100 * num / den, 1) if den else None
        s.coverage = round(100 * covered / applicable, 1) if applicable else None
        sg_scores.append(s)
    weighted = [(s.weight, s.score) for s in sg_scores if s.score is not None and s.weight > 0]
    total_w = sum(w for w, _ in weighted)
    overall = round(sum(w * sc for w, sc in weighted) / total_w, 1) if total_w else None
    coverage = round(100 * len(covered_all) / len(applicable_all), 1) if applicable_all else None
    return overall, coverage, sg_scores


def score(results: list[Result], profile: Profile, meta: dict[str, CheckMeta]) -> ScoreCard:
    units, counts = _tally(results)
    overall, coverage, sgs = _score(units, profile, meta)
    per_target: dict[str, dict[tuple[str, str], _Unit]] = {}
    for key, u in units.items():  # each target's units, in the order _score would meet them
        per_target.setdefault(key[0], {})[key] = u
    by_target = {}
    for target in sorted(per_target):
        # One target: its units are all the units, so its score is the overall one (the same sums).
        by_target[target] = overall if len(per_target) == 1 else _score(per_target[target], profile, meta)[0]
    return ScoreCard(overall=overall, coverage=coverage, safeguards=sgs, by_target=by_target, counts=counts)
