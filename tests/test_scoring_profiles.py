"""Profiles (validation, inheritance), scoring (weights, coverage), waivers (expiry)."""
from __future__ import annotations

from datetime import date

import msgspec
import pytest

from voxaudit.model import ErrorKind, Result, Status, Waiver
from voxaudit.profile import Profile, ProfileError, Safeguard, load_profile
from voxaudit.scoring import score
from voxaudit.waivers import WaiverError, apply_waivers, load_waivers


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_builtin_profiles_cover_the_required_safeguards(registry):
    p = load_profile("hipaa-security-rule", registry)
    ids = {s.id for s in p.safeguards}
    for needed in ("164.308(a)(1)(ii)(D)", "164.308(a)(5)(ii)(C)", "164.308(a)(5)(ii)(D)", "164.310(d)(2)(i)",
                   "164.312(a)(1)", "164.312(a)(2)(i)", "164.312(a)(2)(iv)", "164.312(b)", "164.312(c)(1)",
                   "164.312(d)", "164.312(e)(1)", "164.312(e)(2)(ii)", "164.316(b)(2)(i)", "164.530(c)", "164.514(d)"):
        assert needed in ids
    assert set(p.check_ids()) == set(registry.ids())  # every built-in check is scored somewhere


def test_stricter_profile_extends_instead_of_copying(registry):
    base = load_profile("hipaa-security-rule", registry)
    strict = load_profile("hipaa-2025-nprm", registry)
    assert strict.lineage == ["hipaa-security-rule", "hipaa-2025-nprm"]
    assert all(s.level == "required" for s in strict.safeguards)
    assert {s.id for s in base.safeguards} < {s.id for s in strict.safeguards}
    assert strict.parameters["min_pin_length"] > base.parameters["min_pin_length"]
    assert strict.parameters["log_retention_years"] == 6  # inherited


@pytest.mark.parametrize("body, message", [
    ("safeguards:\n  - {id: X, title: T, level: required, checks: [AST-NOPE-101]}\n", "unknown check id"),
    ("safeguards:\n  - {id: X, title: T, level: required, checks: ['ZZZ-*']}\n", "matches no known check"),
    ("parameters: {min_pin_lenght: 6}\nsafeguards: []\n", "unknown parameter 'min_pin_lenght'"),
    ("parameters: {min_pin_length: six}\nsafeguards: []\n", "should be a int"),
    ("safeguards:\n  - {id: X, title: T, level: mandatory, checks: []}\n", "level"),
    ("safeguards:\n  - {id: X, level: required, checks: []}\n", "needs a title"),
    ("bogus: 1\nsafeguards: []\n", "bogus"),
])
def test_profile_validation_errors(tmp_path, registry, body, message):
    path = _write(tmp_path, "p.yaml", "id: p\ntitle: P\n" + body)
    with pytest.raises(ProfileError) as exc:
        load_profile(str(path), registry)
    assert message in str(exc.value)


def test_profile_yaml_error_has_a_line(tmp_path, registry):
    path = _write(tmp_path, "p.yaml", "id: p\ntitle: [unclosed\n")
    with pytest.raises(ProfileError, match=r"p\.yaml:\d+: profile: invalid YAML"):
        load_profile(str(path), registry)


def _profile(*checks: str) -> Profile:
    return Profile(id="t", title="t", version="1", description="", lineage=["t"], parameters={},
                   safeguards=[Safeguard(id="S", title="S", citation="S", level="required", weight=3, checks=list(checks))])


def _r(check, status, resource="r", target="t", kind=None, alias=None):
    return Result(check_id=check, target=target, resource=resource, status=status, error_kind=kind, alias=alias)


def test_score_weights_severity_and_coverage_is_separate(registry):
    meta = {c.id: c.meta for c in registry.all()}
    # MBX-PIN-101 is critical (10), LOG-AUD-105 (was AST-LOG-105) low (1)
    results = [_r("MBX-PIN-101", Status.FAIL), _r("LOG-AUD-105", Status.PASS, alias="AST-LOG-105")]
    card = score(results, _profile("MBX-PIN-101", "LOG-AUD-105"), meta)
    assert card.overall == pytest.approx(100 * 1 / 11, abs=0.1)
    assert card.coverage == 100.0


def test_error_lowers_coverage_never_counts_as_pass(registry):
    meta = {c.id: c.meta for c in registry.all()}
    results = [_r("MBX-PIN-101", Status.PASS), _r("MBX-PIN-102", Status.ERROR, kind=ErrorKind.PARSE)]
    card = score(results, _profile("MBX-PIN-101", "MBX-PIN-102"), meta)
    assert card.overall == 100.0        # only what was evaluated is scored...
    assert card.coverage == 50.0        # ...and the gap is shown, not hidden
    assert card.safeguards[0].errors == 1


def test_not_applicable_is_excluded(registry):
    meta = {c.id: c.meta for c in registry.all()}
    results = [_r("MBX-PIN-101", Status.PASS), _r("AST-SIP-101", Status.NOT_APPLICABLE)]
    card = score(results, _profile("MBX-PIN-101", "AST-SIP-101"), meta)
    assert card.overall == 100.0 and card.coverage == 100.0


def test_partial_pass_fraction_within_a_check(registry):
    meta = {c.id: c.meta for c in registry.all()}
    results = [_r("MBX-PIN-101", Status.PASS, "a"), _r("MBX-PIN-101", Status.PASS, "b"),
               _r("MBX-PIN-101", Status.PASS, "c"), _r("MBX-PIN-101", Status.FAIL, "d")]
    assert score(results, _profile("MBX-PIN-101"), meta).overall == 75.0


def test_waiver_applies_expires_and_stays_visible(registry):
    meta = {c.id: c.meta for c in registry.all()}
    # Written against the 1.x ID: it still matches the control's results on Asterisk (their alias).
    results = [_r("MBX-PIN-101", Status.FAIL, "mailbox 1@default", alias="AST-VM-101"),
               _r("MBX-PIN-101", Status.PASS, "mailbox 2@default", alias="AST-VM-101")]
    live = Waiver(check="AST-VM-1*", resource="mailbox 1@*", owner="IT", reason="retiring", expires="2030-01-01")
    warnings = apply_waivers(results, [live], today=date(2026, 11, 22))
    assert results[0].effective_status == "WAIVED" and results[0].status == Status.FAIL
    assert not warnings
    assert score(results, _profile("MBX-PIN-101"), meta).overall == 100.0
    warnings = apply_waivers(results, [live], today=date(2030, 1, 2))
    assert results[0].effective_status == "FAIL"
    assert any("expired on 2030-01-01" in w for w in warnings)


def test_unused_waiver_is_reported():
    w = Waiver(check="AST-VM-101", owner="IT", reason="x", expires="2999-01-01")
    passing = [_r("MBX-PIN-101", Status.PASS, "mailbox 2@default", alias="AST-VM-101")]
    assert any("matched no failing result; remove it" in m for m in apply_waivers(passing, [w]))
    # A control that did not run (filtered out, or no target of its platform) is not "fixed": keep it.
    (message,) = apply_waivers([], [msgspec.structs.replace(w, target="pbx-1")])
    assert message.startswith("pbx-1: waiver for AST-VM-101") and "did not run in this scan" in message
    assert "remove it" not in message


@pytest.mark.parametrize("body, message", [
    ("waivers:\n  - {check: A, owner: '', reason: r, expires: 2030-01-01}\n", "owner"),
    ("waivers:\n  - {check: A, owner: o, reason: r, expires: someday}\n", "expires"),
    ("waivers:\n  - {check: A, owner: o, reason: r}\n", "expires"),
    ("nope: 1\n", "expected a list"),
])
def test_waiver_file_validation(tmp_path, body, message):
    with pytest.raises(WaiverError, match=message):
        load_waivers(_write(tmp_path, "w.yaml", body))


def test_errors_beside_findings_count_against_the_unit(registry):
    """An unreadable part must not lift a score by removing the findings beside it from scoring."""
    meta = {c.id: c.meta for c in registry.all()}
    results = [_r("MBX-PIN-101", Status.PASS, "a"), _r("MBX-PIN-101", Status.FAIL, "b"),
               _r("MBX-PIN-101", Status.ERROR, "(unread parts of voicemail.conf)", kind=ErrorKind.PARSE)]
    card = score(results, _profile("MBX-PIN-101"), meta)
    assert card.overall == pytest.approx(100 / 3, abs=0.1)
    assert card.coverage == 0.0
    clean = score(results[:2], _profile("MBX-PIN-101"), meta)
    assert card.overall < clean.overall


def test_builtin_profile_files_are_named_after_their_ids(registry):
    """Built-in profiles are found by file name (no profile is parsed to learn IDs), so each file's id is its name;
    a copy in the profiles folder under another name is refused at load, not silently taken for another profile."""
    from voxaudit.profile import PROFILES_DIR, builtin_profiles

    shipped = builtin_profiles()
    assert set(shipped) == {"hipaa-security-rule", "hipaa-2025-nprm"}
    for pid, path in shipped.items():
        assert load_profile(pid, registry).id == pid
        assert path.parent == PROFILES_DIR
    misnamed = PROFILES_DIR / "zz-misnamed-test.yaml"
    misnamed.write_text(shipped["hipaa-security-rule"].read_text(encoding="utf-8"), encoding="utf-8")
    try:
        with pytest.raises(ProfileError, match="named after its id"):
            load_profile("zz-misnamed-test", registry)
    finally:
        misnamed.unlink()
