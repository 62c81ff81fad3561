"""SNMP management access: no default or guessable community, no cleartext v1/v2c, SNMPv3 only with
authentication and privacy; judged on what a device is configured with and on what its agent answers.

A device taken over through a default SNMP community can mirror the voice VLAN to any port.
Evidence describes a community's shape ("community is 6 characters"), never the community.
"""
from __future__ import annotations

from voxaudit.checks.authentication import weakness
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.snmp import CleartextSnmp, SnmpCommunity, SnmpV3Security

MIN_COMMUNITY = 12
WEAK_LEVELS = ("noAuthNoPriv", "authNoPriv")


@control(
    id="ACC-SNMP-101", title="No default, guessable or writable SNMP community", severity="critical",
    hipaa=("164.312(a)(1)", "164.312(d)"), area="access", record=SnmpCommunity,
    rationale="""'public' and 'private' are the first thing every scanner tries; an answer hands out the
    device's interfaces, VLANs, neighbours and often its configuration, and a read-write community lets
    anyone rewrite it: move a port to the voice VLAN or mirror calls to a capture port.""",
)
def community_strength(c: SnmpCommunity, params: Params) -> Verdict:
    if c.observed:
        if c.answered_over:
            return failed(f"answers with {c.label} over {', '.join(c.answered_over)}")
        return passed(f"{c.label} gets no answer")
    if c.undecidable and not c.writable:
        return unknown(c.undecidable)
    problems = []
    reason = "" if c.undecidable else weakness(c.secret, MIN_COMMUNITY)
    if reason:
        problems.append(reason.replace("secret", "community"))
    if c.writable:
        problems.append("read-write")
    if problems:
        return failed("; ".join(problems))
    return passed(f"read-only, {c.secret.length} characters, not a known default")


@control(
    id="ACC-SNMP-102", title="SNMP v1/v2c is off", severity="medium", hipaa=("164.312(e)(1)",), area="transport",
    record=CleartextSnmp,
    rationale="""v1/v2c send the community and every reply (interface names, VLANs, neighbours' addresses)
    in clear text; SNMPv3 with privacy encrypts them.""",
)
def v1_v2c_off(s: CleartextSnmp, params: Params) -> Verdict:
    if s.observed:
        if s.answered_over:
            return failed(f"community {s.community} answered over {', '.join(s.answered_over)} (cleartext)")
        return passed(f"community {s.community} gets no answer")
    if s.active:
        return failed(f"SNMP v1/v2c community active ({s.access})")
    return passed("no active SNMP v1/v2c community")


@control(
    id="ACC-SNMP-103", title="SNMPv3 uses authentication and privacy (authPriv)", severity="high",
    hipaa=("164.312(e)(1)", "164.312(d)"), area="transport", record=SnmpV3Security,
    rationale="""An SNMPv3 user accepted at noAuthNoPriv needs no password; at authNoPriv it authenticates
    but every value still crosses the network in clear.""",
)
def v3_auth_priv(u: SnmpV3Security, params: Params) -> Verdict:
    if u.undecidable:
        return unknown(u.undecidable)
    weak = [lvl for lvl in u.levels if lvl != "authPriv"]
    if weak:
        if u.observed:
            return failed(f"answered at {', '.join(weak)}")
        return failed("authNoPriv: values sent in clear" if weak == ["authNoPriv"] else ", ".join(weak))
    if "authPriv" in u.levels:
        return passed("answered only at authPriv" if u.observed else "authPriv")
    return unknown("no security level known for this user")
