"""SNMP as the agent answers it: default communities, v1/v2c in use, SNMPv3 without privacy.

Agents drop a wrong community without a word, so "no answer" is a refusal only because the
collector established that the agent is there (any answer, or a USM report to a made-up v3 user);
otherwise the target is an ERROR, and a credential reference that could not be resolved is an
ERROR (auth) before anything is sent. These checks never see an unresolved credential as silence."""
from __future__ import annotations

from auditor.check import check

PLATFORMS = ["snmp"]
SOURCES = ["snmp"]
FIX = {"snmp": "net-snmp: remove rocommunity/rwcommunity lines, createUser <u> SHA <auth> AES <priv> and "
               "rouser <u> priv; switches: see SW-SNMP-101..103 for the vendor commands."}


def _answered_by_credential(attempts) -> dict[str, list[str]]:
    """Community label -> the versions it was answered over (empty: tried, never answered)."""
    out: dict[str, list[str]] = {}
    for a in attempts:
        out.setdefault(a.credential, [])
        if a.answered:
            out[a.credential].append(a.version)
    return dict(sorted(out.items()))


@check(
    id="SNMP-NET-101", title="The agent refuses factory-default communities", severity="critical",
    hipaa=["164.312(a)(1)", "164.312(d)"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="'public' and 'private' are the first thing every scanner tries; an answer hands out the device's "
              "interfaces, VLANs, neighbours and often its configuration.",
    remediation=FIX,
)
def default_communities(facts, ctx):
    tried = [a for a in facts.attempts if a.origin == "default"]
    if not tried:
        yield ctx.not_applicable(facts.address, "default communities not tried (opt-in: try_default_communities)")
        return
    for label, answered in _answered_by_credential(tried).items():
        if answered:
            yield ctx.fail(f"snmp {label}", f"answers with {label} over {', '.join(answered)}",
                           fix=["remove the default community"])
        else:
            yield ctx.passed(f"snmp {label}", f"{label} gets no answer")


@check(
    id="SNMP-NET-102", title="SNMP v1/v2c is not answered", severity="medium",
    hipaa=["164.312(e)(1)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="v1/v2c send the community and every value in clear; SNMPv3 with privacy encrypts them.",
    remediation=FIX,
)
def v2c_in_use(facts, ctx):
    mine = [a for a in facts.attempts if a.version in {"v1", "v2c"} and a.origin == "inventory"]
    if not mine:
        yield ctx.not_applicable(facts.address, "no community from the inventory was tried")
        return
    for label, answered in _answered_by_credential(mine).items():
        if answered:
            yield ctx.fail(f"snmp {label}", f"community {label} answered over {', '.join(answered)} (cleartext)",
                           fix=["move monitoring to SNMPv3 authPriv and remove the community"])
        else:
            yield ctx.passed(f"snmp {label}", f"community {label} gets no answer")


@check(
    id="SNMP-NET-103", title="SNMPv3 users are only answered with authentication and privacy", severity="high",
    hipaa=["164.312(e)(1)", "164.312(d)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="An agent that answers a v3 user at noAuthNoPriv needs no password; at authNoPriv every value "
              "still crosses the network in clear.",
    remediation=FIX,
)
def v3_priv(facts, ctx):
    users = sorted({a.credential for a in facts.attempts if a.version == "v3"})
    if not users:
        yield ctx.not_applicable(facts.address, "no SNMPv3 user in the inventory")
        return
    for user in users:
        levels = {a.level: a for a in facts.attempts if a.version == "v3" and a.credential == user}
        weak = [lvl for lvl in ("noAuthNoPriv", "authNoPriv") if levels.get(lvl) and levels[lvl].answered]
        if weak:
            yield ctx.fail(f"snmpv3 user {user}", f"answered at {', '.join(weak)}",
                           fix=[f"rouser {user} priv (or the vendor's authPriv group)"])
        elif levels.get("authPriv") and levels["authPriv"].answered:
            yield ctx.passed(f"snmpv3 user {user}", "answered only at authPriv")
        else:
            detail = next((a.detail for a in levels.values() if a.detail), "no answer")
            yield ctx.unknown(f"snmpv3 user {user}", f"not evaluated: no level answered ({detail}); "
                                                            "check the user's credentials in the inventory")
