"""SNMP probes with pysnmp: which versions and credentials an agent answers, sysDescr, VLANs.

Only GET/GETNEXT (walks are bounded); never SET. Communities come from the inventory as
credential references; the small list of factory defaults ("public", "private") is tried
only when ``try_default_communities`` is on. For each SNMPv3 user the agent is asked at the
weaker levels first (noAuthNoPriv, then authNoPriv): an answer there is the finding.

Unknown is never a refusal: agents ignore a wrong community by design, so silence to 'public'
means something only when the agent is known to be there. One SNMPv3 GET for a made-up user
(no credential: the agent answers it with a USM report) tells that, besides any other answer;
when nothing at all answered, the target is an ERROR (connectivity), not a pass. A credential
reference that cannot be resolved (unset variable, missing file, no keyring) makes the target an
ERROR (auth) before anything is sent; messages name references, never values.
"""
from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from voxaudit.collectors.offline import CollectionError
from voxaudit.credentials import CredentialError, resolve
from voxaudit.extras import require_for_target
from voxaudit.facts.network import SnmpAttempt, SnmpFacts
from voxaudit.targets import SnmpSource, SnmpUser

DEFAULT_COMMUNITIES = ("public", "private")
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
QBRIDGE_VLAN_NAME = "1.3.6.1.2.1.17.7.1.4.3.1.1"   # dot1qVlanStaticName
LLDP_MED_POLICY_VLAN = "1.0.8802.1.1.2.1.5.4795.1.2.1.1.3"  # lldpXMedLocMediaPolicyVlanID (LLDP-EXT-MED-MIB)
MAX_WALK = 512
AUTHORIZATION_ERROR = 16  # error-status authorizationError (RFC 3416)


def _protocols():
    from pysnmp.hlapi.v3arch import asyncio as h
    auth = {"md5": h.usmHMACMD5AuthProtocol, "sha": h.usmHMACSHAAuthProtocol,
            "sha256": h.usmHMAC192SHA256AuthProtocol, "sha512": h.usmHMAC384SHA512AuthProtocol}
    priv = {"des": h.usmDESPrivProtocol, "aes": h.usmAesCfb128Protocol, "aes256": h.usmAesCfb256Protocol}
    return auth, priv


def _remote_reports() -> tuple[type, ...]:
    """Error indications that only a report from the agent produces: it is there, and said no."""
    from pysnmp.proto import errind
    return (errind.UnknownUserName, errind.WrongDigest, errind.NotInTimeWindow, errind.UnknownEngineID,
            errind.UnsupportedSecurityLevel, errind.DecryptionError, errind.ReportPduReceived)


_CONTROLS = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")


def _agent_text(value: object, limit: int) -> str:
    """Text an agent returned (sysDescr, a VLAN name), as it may be shown: bounded, no control
    characters (an agent's terminal escapes must not reach a terminal or a report)."""
    return str(value)[:limit].translate(_CONTROLS)


@dataclass
class _Answer:
    answered: bool           # a response PDU came back for this credential (even one carrying an error status)
    remote: bool             # the agent said something (a response, or a USM report refusing the request)
    value: str | None = None
    detail: str = ""


async def _get(engine, auth_data, target, oid: str) -> _Answer:
    from pysnmp.hlapi.v3arch.asyncio import (
        ContextData,
        ObjectIdentity,
        ObjectType,
        get_cmd,
    )
    err_ind, err_status, _, binds = await get_cmd(engine, auth_data, target, ContextData(),
                                                  ObjectType(ObjectIdentity(oid)))
    if err_ind:
        return _Answer(False, isinstance(err_ind, _remote_reports()), detail=str(err_ind)[:120])
    if err_status:
        # authorizationError is the agent refusing this credential or level (VACM, e.g. "rouser u priv");
        # any other error status (noSuchName, genErr...) came back to a request it accepted.
        refused = int(err_status) == AUTHORIZATION_ERROR
        return _Answer(not refused, True, detail=err_status.prettyPrint()[:120])
    return _Answer(True, True, value=_agent_text(binds[0][1], 200))


async def _walk(engine, auth_data, target, oid: str) -> list[tuple[str, str]]:
    from pysnmp.hlapi.v3arch.asyncio import (
        ContextData,
        ObjectIdentity,
        ObjectType,
        walk_cmd,
    )
    out = []
    async for err_ind, err_status, _, binds in walk_cmd(engine, auth_data, target, ContextData(),
                                                        ObjectType(ObjectIdentity(oid)), lexicographicMode=False):
        if err_ind or err_status:
            break
        for name, value in binds:
            out.append((str(name), _agent_text(value, 64)))
        if len(out) >= MAX_WALK:
            break
    return out


MIN_USM_PASSPHRASE = 8  # RFC 3414 11.2: shorter auth/priv passphrases are refused by agents and pysnmp


@dataclass
class _Resolved:
    communities: list[tuple[str, str]]                       # (reference, value)
    users: list[tuple[SnmpUser, str | None, str | None]]  # (user, auth value, priv value)


def _resolve_all(spec: SnmpSource) -> _Resolved:
    """Every credential the inventory names, or CollectionError(auth) naming each that cannot be
    resolved: a check that needed it must not read silence as a refusal."""
    problems: list[str] = []
    out = _Resolved([], [])

    def value(ref: str | None) -> str | None:
        if not ref:
            return None
        try:
            return resolve(ref, spec.base).reveal()
        except CredentialError as exc:
            problems.append(str(exc))  # names the reference and why, never a value
            return None

    for ref in spec.communities:
        v = value(ref)
        if v is not None:
            out.communities.append((ref, v))
    for i, user in enumerate(spec.users):
        auth, priv = value(user.auth), value(user.priv)
        for what, got in (("auth", auth), ("priv", priv)):
            if got is not None and len(got) < MIN_USM_PASSPHRASE:
                # pysnmp raises WrongValueError mid-probe (a "bug" for the target); the length is said, never the value
                problems.append(f"users[{i}].{what}: the passphrase it names is shorter than {MIN_USM_PASSPHRASE} "
                                "characters, which SNMPv3 (RFC 3414) refuses")
        out.users.append((user, auth, priv))
    if problems:
        raise CollectionError("auth", "SNMP credentials could not be resolved, nothing was sent: " + "; ".join(problems))
    return out


async def _probe(spec: SnmpSource, creds: _Resolved) -> tuple[SnmpFacts, bool]:
    """The facts, and whether the agent said anything at all."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        SnmpEngine,
        UdpTransportTarget,
        UsmUserData,
    )

    engine = SnmpEngine()
    target = await UdpTransportTarget.create((spec.address, spec.port), timeout=spec.timeout, retries=0)
    facts = SnmpFacts(address=spec.address, port=spec.port)
    answered_with = None
    tries = [(ref, value, "inventory") for ref, value in creds.communities]
    if spec.try_default_communities:
        tries += [(f"default '{c}'", c, "default") for c in DEFAULT_COMMUNITIES]
    jobs = []  # every attempt runs concurrently: silence costs one timeout, not one per attempt
    for label, value, origin in tries:
        for version, model in (("v1", 0), ("v2c", 1)):
            jobs.append((SnmpAttempt(version=version, credential=label, origin=origin, answered=False),
                         CommunityData(value, mpModel=model)))
    auth_p, priv_p = _protocols()
    for user, auth_key, priv_key in creds.users:
        levels = [("noAuthNoPriv", UsmUserData(user.username))]
        if auth_key:
            levels.append(("authNoPriv", UsmUserData(user.username, auth_key,
                                                     authProtocol=auth_p.get(user.auth_protocol))))
        if auth_key and priv_key:
            levels.append(("authPriv", UsmUserData(user.username, auth_key, priv_key,
                                                   authProtocol=auth_p.get(user.auth_protocol),
                                                   privProtocol=priv_p.get(user.priv_protocol))))
        for level, auth in levels:
            jobs.append((SnmpAttempt(version="v3", credential=user.username, level=level, answered=False), auth))
    # Is anyone there? A made-up v3 user carries no credential; a live v3 agent reports it unknown.
    presence = UsmUserData(f"voxaudit-{secrets.token_hex(4)}")
    results = await asyncio.gather(_get(engine, presence, target, SYS_DESCR),
                                   *(_get(engine, auth, target, SYS_DESCR) for _, auth in jobs))
    alive = results[0].remote
    for (attempt, auth), answer in zip(jobs, results[1:]):
        attempt.answered, attempt.detail = answer.answered, answer.detail
        facts.attempts.append(attempt)
        alive = alive or answer.remote
        if answer.value is not None and answered_with is None:
            answered_with, facts.sys_descr = auth, answer.value
    if answered_with is not None:
        facts.vlans = [v for _, v in await _walk(engine, answered_with, target, QBRIDGE_VLAN_NAME)]
        facts.lldp_med_voice_vlans = [v for _, v in await _walk(engine, answered_with, target, LLDP_MED_POLICY_VLAN)]
    engine.close_dispatcher()
    return facts, alive


def probe(spec: SnmpSource) -> SnmpFacts:
    if not spec.communities and not spec.try_default_communities and not spec.users:
        raise CollectionError("not_collected", "an snmp target needs communities, users, or "
                                               "try_default_communities: true")
    require_for_target("an SNMP target", "pysnmp.hlapi.v3arch.asyncio", "pysnmp.proto.errind")
    creds = _resolve_all(spec)
    limit = spec.timeout * 40 + 10  # one concurrent round of GETs, then two bounded walks
    try:
        facts, alive = asyncio.run(asyncio.wait_for(_probe(spec, creds), timeout=limit))
    except TimeoutError:
        raise CollectionError("timeout", f"the SNMP probe of {spec.address}:{spec.port} did not finish within "
                                         f"{limit:g} s") from None
    if not alive:
        # Wrong communities are met with silence by design: silence from an agent that never showed
        # itself proves nothing about any of them.
        raise CollectionError("connectivity", f"no SNMP answer from {spec.address}:{spec.port} to any version or "
                                              "credential, nor to an SNMPv3 discovery (silent, filtered or down)")
    return facts
