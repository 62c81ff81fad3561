"""SNMP-NET-*: over the attempts the SNMP collector records (live runs are in tests/lab/test_snmp.py)."""
from __future__ import annotations

import socket
import time

import msgspec

from voxaudit.facts.network import SnmpAttempt, SnmpFacts
from voxaudit.model import ErrorKind, Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE


def facts(*attempts) -> SnmpFacts:
    return SnmpFacts(address="10.0.0.2", attempts=list(attempts))


def test_defaults_v2c_and_v3_levels(run):
    weak = facts(SnmpAttempt(version="v2c", credential="default 'public'", origin="default", answered=True),
                 SnmpAttempt(version="v2c", credential="default 'private'", origin="default", answered=False),
                 SnmpAttempt(version="v2c", credential="env:SW_COMMUNITY", answered=True),
                 SnmpAttempt(version="v3", credential="mon", level="noAuthNoPriv", answered=False),
                 SnmpAttempt(version="v3", credential="mon", level="authNoPriv", answered=True),
                 SnmpAttempt(version="v3", credential="mon", level="authPriv", answered=True))
    assert run("SNMP-NET-101", weak) == {"snmp default 'public'": FAIL, "snmp default 'private'": PASS}
    assert run("SNMP-NET-102", weak) == {"snmp env:SW_COMMUNITY": FAIL}
    assert run("SNMP-NET-103", weak) == {"snmpv3 user mon": FAIL}


def test_hardened_agent(run):
    good = facts(SnmpAttempt(version="v3", credential="mon", level="noAuthNoPriv", answered=False),
                 SnmpAttempt(version="v3", credential="mon", level="authNoPriv", answered=False),
                 SnmpAttempt(version="v3", credential="mon", level="authPriv", answered=True))
    assert run("SNMP-NET-103", good) == {"snmpv3 user mon": PASS}
    assert set(run("SNMP-NET-101", good).values()) == {NA}  # defaults are opt-in
    assert set(run("SNMP-NET-102", good).values()) == {NA}


def test_v3_user_never_answered_is_not_evaluated(run):
    silent_user = facts(SnmpAttempt(version="v3", credential="mon", level="noAuthNoPriv", answered=False,
                                    detail="Unknown USM user"),
                        SnmpAttempt(version="v3", credential="mon", level="authPriv", answered=False,
                                    detail="Unknown USM user"))
    assert run("SNMP-NET-103", silent_user) == {"snmpv3 user mon": Status.ERROR}


# The collector, over real UDP on loopback: what it does when it cannot know.

CANARY = "Canary-Community-7Qx9"


def _scan_one(spec, registry, base=None):
    from voxaudit.profile import load_profile
    from voxaudit.runner import TargetSpec, collect, evaluate

    target = TargetSpec(name="sw", platform="snmp", source=spec)
    rec = collect(target.at(base) if base else target)
    results, _, _ = evaluate([rec], registry, load_profile("hipaa-security-rule", registry), [])
    return rec, [r for r in results if (r.alias or r.check_id).startswith("SNMP-NET-")]


def _dead_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unresolvable_credentials_are_auth_errors_naming_references_only(monkeypatch, tmp_path, registry):
    """SNMP-NET-102 used to PASS ("gets no answer") for a community whose env: variable was unset."""
    from voxaudit.targets import SnmpSource, SnmpUser

    monkeypatch.setenv("SW_COMMUNITY_OK", CANARY)
    monkeypatch.delenv("SW_COMMUNITY_UNSET", raising=False)
    monkeypatch.setattr("keyring.get_password", lambda *a: (_ for _ in ()).throw(RuntimeError(CANARY)))
    started = time.monotonic()
    rec, results = _scan_one(SnmpSource(address="127.0.0.1", port=_dead_udp_port(), timeout=0.5,
                                        communities=["env:SW_COMMUNITY_OK", "env:SW_COMMUNITY_UNSET"],
                                        try_default_communities=True,
                                        users=[SnmpUser(username="mon", auth="file:missing-auth.txt",
                                                        priv="keyring:sw/mon")]),
                             registry, base=tmp_path)
    assert time.monotonic() - started < 0.5  # nothing was sent: no timeout was waited for
    assert rec.failure.kind == ErrorKind.AUTH
    for ref in ("env:SW_COMMUNITY_UNSET", "file:missing-auth.txt", "keyring:sw/mon"):
        assert ref in rec.failure.reason
    assert "env:SW_COMMUNITY_OK" not in rec.failure.reason  # resolved fine
    assert {(r.status, r.error_kind) for r in results} == {(Status.ERROR, ErrorKind.AUTH)}
    assert {(r.alias or r.check_id) for r in results} == {"SNMP-NET-101", "SNMP-NET-102", "SNMP-NET-103"}
    assert CANARY not in msgspec.json.encode(rec).decode() + "".join(r.evidence for r in results)


def test_silence_from_an_agent_never_seen_is_an_error_not_a_pass(registry):
    """Agents drop wrong communities without a word, so 'public' unanswered by a dead port must not
    pass SNMP-NET-101; the probe's own v3 discovery finds no agent, and the target is an ERROR."""
    from voxaudit.targets import SnmpSource

    rec, results = _scan_one(SnmpSource(address="127.0.0.1", port=_dead_udp_port(), timeout=0.5,
                                      try_default_communities=True), registry)
    assert rec.failure.kind == ErrorKind.CONNECTIVITY and "discovery" in rec.failure.reason
    assert {r.status for r in results} == {Status.ERROR}


def test_credential_errors_never_carry_values(monkeypatch, tmp_path):
    """Every way a reference fails names the reference and the reason, never the value (a canary in
    the environment, in a file that is not UTF-8, in a keyring backend's own error message)."""
    import keyring
    import pytest

    from voxaudit.credentials import CredentialError, resolve

    secret_bytes = CANARY.encode() + b"\xff\xfe"
    (tmp_path / "binary").write_bytes(secret_bytes)
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("CANARY_SET", CANARY)
    monkeypatch.setenv("CANARY_EMPTY", "")
    monkeypatch.setattr(keyring, "get_password", lambda *a: (_ for _ in ()).throw(RuntimeError(CANARY)))
    assert resolve("env:CANARY_SET").reveal() == CANARY and CANARY not in repr(resolve("env:CANARY_SET"))
    for ref, why in (("env:CANARY_UNSET", "not set"), ("env:CANARY_EMPTY", "empty"), ("file:empty", "empty"),
                     ("file:binary", "not UTF-8"), ("file:missing", "cannot read"), ("keyring:svc/u", "keyring"),
                     ("plain-" + CANARY, "not a credential reference")):
        with pytest.raises(CredentialError) as err:
            resolve(ref, tmp_path)
        assert why in str(err.value) and CANARY not in str(err.value) and "\\xff" not in str(err.value), ref
