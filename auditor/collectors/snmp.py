"""SNMP probes with pysnmp: which versions and credentials an agent answers, sysDescr, VLANs.

Only GET/GETNEXT (walks are bounded); never SET. Communities come from the inventory as
credential references; the small list of factory defaults ("public", "private") is tried
only when ``try_default_communities`` is on. For each SNMPv3 user the agent is asked at the
weaker levels first (noAuthNoPriv, then authNoPriv): an answer there is the finding.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from auditor.collectors.offline import CollectionError
from auditor.credentials import CredentialError, resolve
from auditor.facts.network import SnmpAttempt, SnmpFacts

DEFAULT_COMMUNITIES = ("public", "private")
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
QBRIDGE_VLAN_NAME = "1.3.6.1.2.1.17.7.1.4.3.1.1"   # dot1qVlanStaticName
LLDP_MED_POLICY_VLAN = "1.0.8802.1.1.2.1.5.4795.1.2.1.1.3"  # lldpXMedLocMediaPolicyVlanID (LLDP-EXT-MED-MIB)
MAX_WALK = 512


@dataclass
class SnmpUser:
    username: str
    auth: Optional[str] = None        # credential reference to the auth passphrase
    priv: Optional[str] = None        # credential reference to the privacy passphrase
    auth_protocol: str = "sha"        # md5, sha, sha256, sha512
    priv_protocol: str = "aes"        # des, aes, aes256


@dataclass
class SnmpSpec:
    address: str
    port: int = 161
    communities: list[str] = field(default_factory=list)   # credential references
    try_default_communities: bool = False                    # opt-in
    users: list[SnmpUser] = field(default_factory=list)
    timeout: float = 1.5
    base: Optional[Path] = None


def _protocols():
    from pysnmp.hlapi.v3arch import asyncio as h
    auth = {"md5": h.usmHMACMD5AuthProtocol, "sha": h.usmHMACSHAAuthProtocol,
            "sha256": h.usmHMAC192SHA256AuthProtocol, "sha512": h.usmHMAC384SHA512AuthProtocol}
    priv = {"des": h.usmDESPrivProtocol, "aes": h.usmAesCfb128Protocol, "aes256": h.usmAesCfb256Protocol}
    return auth, priv


async def _get(engine, auth_data, target, oid: str) -> tuple[Optional[str], str]:
    from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, get_cmd
    err_ind, err_status, _, binds = await get_cmd(engine, auth_data, target, ContextData(),
                                                  ObjectType(ObjectIdentity(oid)))
    if err_ind:
        return None, str(err_ind)
    if err_status:
        return None, err_status.prettyPrint()
    return str(binds[0][1])[:200], ""


async def _walk(engine, auth_data, target, oid: str) -> list[tuple[str, str]]:
    from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, walk_cmd
    out = []
    async for err_ind, err_status, _, binds in walk_cmd(engine, auth_data, target, ContextData(),
                                                        ObjectType(ObjectIdentity(oid)), lexicographicMode=False):
        if err_ind or err_status:
            break
        for name, value in binds:
            out.append((str(name), str(value)[:64]))
        if len(out) >= MAX_WALK:
            break
    return out


async def _probe(spec: SnmpSpec) -> SnmpFacts:
    from pysnmp.hlapi.v3arch.asyncio import CommunityData, SnmpEngine, UdpTransportTarget, UsmUserData

    engine = SnmpEngine()
    target = await UdpTransportTarget.create((spec.address, spec.port), timeout=spec.timeout, retries=0)
    facts = SnmpFacts(address=spec.address, port=spec.port)
    answered_with = None
    tries: list[tuple[str, str, str]] = []  # (label, community value, origin)
    for ref in spec.communities:
        try:
            tries.append((ref, resolve(ref, spec.base).reveal(), "inventory"))
        except CredentialError as exc:
            facts.attempts.append(SnmpAttempt(version="v2c", credential=ref, answered=False, detail=str(exc)))
    if spec.try_default_communities:
        tries += [(f"default '{c}'", c, "default") for c in DEFAULT_COMMUNITIES]
    jobs = []  # every attempt runs concurrently: silence costs one timeout, not one per attempt
    for label, value, origin in tries:
        for version, model in (("v1", 0), ("v2c", 1)):
            jobs.append((SnmpAttempt(version=version, credential=label, origin=origin, answered=False),
                         CommunityData(value, mpModel=model)))
    auth_p, priv_p = _protocols()
    for user in spec.users:
        levels = [("noAuthNoPriv", UsmUserData(user.username))]
        try:
            auth_key = resolve(user.auth, spec.base).reveal() if user.auth else None
            priv_key = resolve(user.priv, spec.base).reveal() if user.priv else None
        except CredentialError as exc:
            facts.attempts.append(SnmpAttempt(version="v3", credential=user.username, level="authPriv",
                                              answered=False, detail=str(exc)))
            continue
        if auth_key:
            levels.append(("authNoPriv", UsmUserData(user.username, auth_key,
                                                     authProtocol=auth_p.get(user.auth_protocol))))
        if auth_key and priv_key:
            levels.append(("authPriv", UsmUserData(user.username, auth_key, priv_key,
                                                   authProtocol=auth_p.get(user.auth_protocol),
                                                   privProtocol=priv_p.get(user.priv_protocol))))
        for level, auth in levels:
            jobs.append((SnmpAttempt(version="v3", credential=user.username, level=level, answered=False), auth))
    results = await asyncio.gather(*(_get(engine, auth, target, SYS_DESCR) for _, auth in jobs))
    for (attempt, auth), (descr, err) in zip(jobs, results):
        attempt.answered, attempt.detail = descr is not None, err[:120]
        facts.attempts.append(attempt)
        if descr is not None and answered_with is None:
            answered_with, facts.sys_descr = auth, descr
    if answered_with is not None:
        facts.vlans = [v for _, v in await _walk(engine, answered_with, target, QBRIDGE_VLAN_NAME)]
        facts.lldp_med_voice_vlans = [v for _, v in await _walk(engine, answered_with, target, LLDP_MED_POLICY_VLAN)]
    engine.close_dispatcher()
    return facts


def probe(spec: SnmpSpec) -> SnmpFacts:
    if not spec.communities and not spec.try_default_communities and not spec.users:
        raise CollectionError("not_collected", "an snmp target needs communities, users, or "
                                               "try_default_communities: true")
    facts = asyncio.run(asyncio.wait_for(_probe(spec), timeout=spec.timeout * 40 + 10))
    v3 = [a for a in facts.attempts if a.version == "v3"]
    if v3 and not any(a.answered for a in facts.attempts):
        # Valid v3 credentials always get an answer (or a USM report); silence means down or filtered.
        # Wrong communities are met with silence by design, so they alone never make this an error.
        raise CollectionError("connectivity", f"no SNMP answer from {spec.address}:{spec.port} to any version "
                                              f"or credential (silent, filtered or down)")
    return facts
