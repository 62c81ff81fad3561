"""The drift controls' judge on its own (checks/drift.py); the pairing and the records are tested in
tests/test_drift.py (saved facts) and tests/lab/test_drift.py (running Kamailio)."""
from __future__ import annotations

import pytest

from voxaudit.checks.drift import admin_drift, media_drift, plaintext_drift, suite_drift, version_drift
from voxaudit.control import Params
from voxaudit.model import SourceRef, Status
from voxaudit.records.drift import WireComparison

CONTROLS = {"DRIFT-SIG-101": plaintext_drift, "DRIFT-MEDIA-101": media_drift, "DRIFT-TLS-101": version_drift,
            "DRIFT-TLS-102": suite_drift, "DRIFT-ADMIN-101": admin_drift}
AT = SourceRef(file="kamailio.cfg", line=18)


@pytest.mark.parametrize("cid", sorted(CONTROLS))
def test_each_state(cid):
    ctl = CONTROLS[cid]
    assert ctl.id == cid and "164.312(e)(1)" in ctl.hipaa  # DRIFT-ADMIN-101 also cites 164.312(a)(1)
    judge = ctl.judge
    p = Params({})
    drift = judge(WireComparison(subject="listen tls", source=AT, configured="no plaintext SIP listener",
                                 wire="edge 10.0.0.5 udp/5060 answers", drift=True), p)
    assert drift.status == Status.FAIL and "no plaintext SIP listener" in drift.evidence and "udp/5060" in drift.evidence
    same = judge(WireComparison(subject="listen tls", configured="c", wire="w"), p)
    assert same.status == Status.PASS and "wire agrees" in same.evidence
    stricter = judge(WireComparison(subject="s", configured="c", wire="w", stricter=True), p)
    assert stricter.status == Status.PASS and "stricter" in stricter.evidence
    unsure = judge(WireComparison(subject="s", undecidable="wire evidence missing", drift=True), p)
    assert unsure.status == Status.ERROR  # never PASS, and an undecidable comparison is no FAIL either
    none = judge(WireComparison(subject="(target)", claimed=False, configured="the configuration states no X"), p)
    assert none.status == Status.NOT_APPLICABLE and "states no X" in none.evidence


def test_drift_controls_cover_the_servers_that_bind_what_they_compare():
    """A drift control has no binding of its own: the catalogue and `checks list --platform` show it on the
    configuration platforms that bind the control it compares (never an empty platforms column)."""
    from voxaudit.registry import SERVER_PLATFORMS, load_registry

    registry = load_registry()
    for cid, ctl in CONTROLS.items():
        basis = registry.get(ctl.compares)
        assert basis is not None, cid
        expected = [p for p in basis.meta.platforms if p in SERVER_PLATFORMS]
        assert expected and registry.get(cid).meta.platforms == expected, cid
    assert registry.get("DRIFT-MEDIA-101").meta.platforms == ["asterisk", "freeswitch"]  # no media on SIP proxies
