"""SNMP-NET-*: over the attempts the SNMP collector records (live runs are in tests/lab/test_snmp.py)."""
from __future__ import annotations

from auditor.facts.network import SnmpAttempt, SnmpFacts
from auditor.model import Status

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
