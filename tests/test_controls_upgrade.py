"""Nothing breaks across the controls redesign: a 1.x scan, its waivers, baselines and history keep working,
and a safeguard scores exactly the controls that cite it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_cli import voxaudit
from voxaudit.history import History, Snapshot, diff
from voxaudit.model import Status, Waiver
from voxaudit.profile import ProfileError, load_profile
from voxaudit.scan import load_scan, save_scan
from voxaudit.service import rescore

OLD_SCAN = REPO / "tests" / "fixtures" / "scans" / "riverside-1.6.json"


@pytest.fixture(scope="module")
def upgraded(registry):
    """The 1.6 scan of the example clinic, and the same saved facts re-evaluated by today's controls."""
    old = load_scan(OLD_SCAN)
    new = rescore(old, registry, load_profile("hipaa-security-rule", registry), [])
    return old, new


def test_a_1x_scan_loads_and_renders(tmp_path):
    doc = load_scan(OLD_SCAN)
    assert doc.schema_version == "1.6" and any(r.check_id == "AST-VM-101" for r in doc.results)
    proc = voxaudit("report", OLD_SCAN, "--format", "md", "--format", "sarif", "-o", tmp_path, "-q")
    assert proc.returncode in (0, 1), proc.stderr
    assert "AST-VM-101" in (tmp_path / "report.md").read_text()


def test_rescore_of_a_1x_scan_gives_controls_with_their_old_ids(upgraded, registry):
    _, new = upgraded
    assert new.schema_version.startswith("2.")
    converted = set(registry.aliases())
    assert converted, "no 1.x check has become a control"
    for r in new.results:
        assert r.check_id not in converted, f"{r.check_id} is an alias; results carry the control's ID"
    pins = [r for r in new.results if r.check_id == "MBX-PIN-101"]
    assert pins and all(r.alias == "AST-VM-101" for r in pins)


def test_diff_across_the_upgrade_matches_findings_by_their_old_ids(upgraded):
    """The same clinic before and after the upgrade: no finding reported as both resolved and new."""
    old, new = upgraded
    d = diff(Snapshot.of(old), Snapshot.of(new))
    resolved = {(t, res) for _, t, res, *_ in d.resolved}
    fresh = {(t, res) for _, t, res, *_ in d.new}
    assert not resolved & fresh, sorted(resolved & fresh)[:5]
    assert len(d.resolved) <= 2 and len(_old_kinds(new, d.new)) <= 2, (d.resolved, d.new)


def _old_kinds(doc, findings):
    """The findings of bindings a 1.x check became (an alias): what a bindings added since (the HTTPS listener's
    TLS, judged from the same saved facts) finds is new by right, not a finding the upgrade lost track of."""
    aliased = {(r.check_id, r.target, r.resource) for r in doc.results if r.alias}
    return [f for f in findings if (f[0], f[1], f[2]) in aliased]


def test_history_store_compares_a_1x_scan_with_a_2x_scan(upgraded, tmp_path):
    old, new = upgraded
    store = History(tmp_path / "h.sqlite")
    store.record(old)
    later = new.replace(scan_id="after", finished_at="2999-01-01T00:00:00+00:00")
    store.record(later)
    prev = store.previous(later)
    assert prev is not None and prev.scan_id == old.scan_id
    d = diff(prev, Snapshot.of(later))
    assert len(_old_kinds(later, d.new)) <= 2 and d.summary()["resolved"] <= 2, d.summary()
    assert store.snapshot("after").by_alias, "results of controls are stored with their 1.x IDs"
    store.close()


def test_a_waiver_written_with_a_1x_id_still_waives(registry):
    old = load_scan(OLD_SCAN)
    failing = next(r for r in old.results if r.check_id == "AST-VM-102" and r.status == Status.FAIL)
    waiver = Waiver(check="AST-VM-102", resource=failing.resource, owner="IT", reason="new PINs Friday",
                    expires="2999-01-01")
    new = rescore(old, registry, load_profile("hipaa-security-rule", registry), [waiver])
    waived = [r for r in new.results if r.waiver is not None]
    assert [(r.check_id, r.resource) for r in waived] == [("MBX-PIN-102", failing.resource)]
    assert not any("matched no failing result" in w for w in new.warnings)


def test_a_baseline_written_from_a_1x_scan_keeps_ci_green(upgraded, tmp_path):
    _, new = upgraded
    base = tmp_path / "baseline.json"
    assert voxaudit("baseline", OLD_SCAN, "-o", base).returncode == 0
    assert "AST-VM-101" in base.read_text()
    scan = tmp_path / "new.json"
    save_scan(new, scan)
    gated = voxaudit("report", scan, "--format", "json", "-o", tmp_path / "out", "--fail-on", "low", "-q")
    assert gated.returncode == 1  # the clinic has findings
    known = voxaudit("report", scan, "--format", "json", "-o", tmp_path / "out2", "--fail-on", "low",
                     "--baseline", base, "-q")
    new_ids = {r.check_id for r in new.results if r.status == Status.FAIL}
    old_ids = {f["check"] for f in json.loads(base.read_text())["findings"]}
    # Every requirement 1.x judged is matched by the baseline; what still fails the gate is only what bindings
    # added since 1.x find (no 1.x ID is their alias, e.g. the HTTPS listener's TLS): new findings, which a
    # baseline cannot know.
    if known.returncode != 0:
        failing = known.stderr.rsplit(":", 1)[1].strip().split(", ")
        assert known.returncode == 1 and "control(s) failing" in known.stderr, known.stderr
        in_baseline = {(f["check"], f["target"], f["resource"]) for f in json.loads(base.read_text())["findings"]}
        unmatched = [r for r in new.results if r.status == Status.FAIL and r.check_id in failing
                     and (r.alias or r.check_id, r.target, r.resource) not in in_baseline]
        assert unmatched and all(r.alias is None for r in unmatched), (
            known.stderr, sorted(new_ids - old_ids), [(r.check_id, r.alias, r.resource) for r in unmatched])


def test_checks_show_answers_an_old_id():
    proc = voxaudit("checks", "show", "FS-VM-101")
    assert proc.returncode == 0, proc.stderr
    assert "1.x ID of controls MBX-PIN-101" in " ".join(proc.stdout.split())


@pytest.mark.parametrize("profile", ["hipaa-security-rule", "hipaa-2025-nprm"])
def test_a_safeguard_scores_exactly_the_controls_that_cite_it(registry, profile):
    p = load_profile(profile, registry)
    ids = {s.id for s in p.safeguards}
    for rule in registry.all():
        cited = set(rule.meta.hipaa) & ids
        scored = {s.id for s in p.safeguards_of(rule.id)}
        assert cited == scored, (rule.id, sorted(cited), sorted(scored))
        assert set(rule.meta.hipaa) - ids <= set(p.not_scored), (rule.id, rule.meta.hipaa)


def test_the_saved_scan_shows_citations_and_scoring_that_agree(upgraded):
    _, new = upgraded
    scored: dict[str, set[str]] = {}
    for s in new.scores.safeguards:
        for cid in s.checks:
            scored.setdefault(cid, set()).add(s.id)
    safeguards = {s.id for s in new.scores.safeguards}
    for m in new.checks:
        assert set(m.hipaa) & safeguards == scored.get(m.id, set()), m.id


def _profile(tmp_path: Path, body: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text("id: p\ntitle: P\nextends: hipaa-security-rule\n" + body)
    return str(path)


def test_a_profile_list_that_contradicts_the_citations_refuses_to_load(registry, tmp_path):
    wrong = _profile(tmp_path, "safeguards:\n  - id: '164.312(e)(1)'\n    checks: [MBX-PIN-101]\n")
    with pytest.raises(ProfileError, match="disagree with the checks' own HIPAA citations"):
        load_profile(wrong, registry)
    right = _profile(tmp_path, "safeguards:\n  - id: '164.312(a)(2)(i)'\n    checks: [MBX-PIN-105, AST-VM-109, '*']\n"
                     "    title: x\n")
    with pytest.raises(ProfileError, match="listed but not citing"):
        load_profile(right, registry)


def test_a_citation_the_profile_does_not_score_must_be_declared(registry, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\ntitle: P\nsafeguards:\n  - {id: '164.312(d)', title: Auth, level: required}\n")
    with pytest.raises(ProfileError, match="neither scores"):
        load_profile(str(path), registry)
    path.write_text("id: p\ntitle: P\nselect: ['MBX-PIN-10[1-4]']\n"
                    "safeguards:\n  - {id: '164.312(d)', title: Auth, level: required}\n"
                    "not_scored: {'164.308(a)(5)(ii)(D)': 'password management reviewed by hand'}\n")
    p = load_profile(str(path), registry)
    assert p.check_ids() == ["MBX-PIN-101", "MBX-PIN-102", "MBX-PIN-103", "MBX-PIN-104"]
