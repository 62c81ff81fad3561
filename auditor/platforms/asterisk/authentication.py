"""Asterisk authentication as records: pjsip auth passwords, manager (AMI) and ARI users, chan_sip peer
secrets; which pjsip endpoints take calls without authentication; chan_sip's guest and username policy.

chan_sip runs when modules.conf loads it (main/loader.c) and sip.conf exists (its reload_config()
refuses to start without one); once it runs its [general] policy applies whether or not a peer is
defined, with chan_sip's own defaults where [general] is silent (allowguest and alwaysauthreject both
default to yes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_sip import PJSIP_OBJECT_SOURCES, ast_true
from voxaudit.facts.common import ConfigObject
from voxaudit.model import SourceRef
from voxaudit.platforms.asterisk.access import ami_general
from voxaudit.platforms.asterisk.common import chan_sip_state
from voxaudit.records.authentication import (
    ACCEPTED,
    CHALLENGED,
    TRUSTED,
    AccountSecret,
    UnauthenticatedRequest,
    UserDisclosure,
)
from voxaudit.records.secrets import SecretShape
from voxaudit.remediation import Change, note, set_

GENERAL_SOURCES = ("sip.conf", "modules.conf")
PEER_SOURCES = ("sip.conf", "users.conf", "modules.conf")
PJSIP_SOURCES = tuple(PJSIP_OBJECT_SOURCES)
CANNOT_JUDGE = "its strength cannot be judged from the configuration"


# -- account secrets ---------------------------------------------------------------------------------

def account_secret(obj: ConfigObject, key: str, label: str, stored_hashed: Optional[str] = None) -> AccountSecret:
    """One account's ``key`` secret as a record: hashed or a deployment placeholder is undecidable."""
    info = obj.secrets.get(key)
    subject = f"{label} {obj.name}"
    if stored_hashed:
        return AccountSecret(subject=subject, source=obj.source, section=obj.name, account=obj.name,
                             secret=SecretShape.of(info), undecidable=f"{stored_hashed}; {CANNOT_JUDGE}")
    if info is not None and info.placeholder:
        return AccountSecret(subject=subject, source=info.source or obj.source, section=obj.name, account=obj.name,
                             secret=SecretShape.of(info),
                             undecidable=f"{key} is a placeholder filled in at deployment; {CANNOT_JUDGE}")
    return AccountSecret(subject=subject, source=info.source if info else obj.source, section=obj.name,
                         account=obj.name, secret=SecretShape.of(info))


def secret_fix(key: str, *extra: str) -> Callable[[AccountSecret], list[str]]:
    def fix(cred: AccountSecret) -> list[str]:
        return [f"[{cred.section}]", f"{key}=<random, 16+ characters>", *extra]
    return fix


def pjsip_auth_secrets(facts: AsteriskFacts) -> Iterator[AccountSecret]:
    for a in facts.of_kind("pjsip.auth"):
        hashed = "md5_cred" in a.secrets and "password" not in a.secrets
        yield account_secret(a, "password", "auth", "md5_cred stored; strength not assessable offline" if hashed else None)


def ami_secrets(facts: AsteriskFacts) -> Iterator[AccountSecret]:
    if ami_general(facts) is None:  # AMI listens nowhere: with enabled=no its TLS server alone still takes log-ins
        return
    for u in facts.of_kind("manager.user"):
        yield account_secret(u, "secret", "manager user")


def ari_secrets(facts: AsteriskFacts) -> Iterator[AccountSecret]:
    for u in facts.of_kind("ari.user"):
        info = u.secrets.get("password")
        crypt = (u.get("password_format") or "plain").lower() == "crypt" and info is not None and info.present
        yield account_secret(u, "password", "ari user", "password stored as crypt; strength not assessable" if crypt else None)


# -- chan_sip: does it run at all? -------------------------------------------------------------------

def chan_sip_secrets(facts: AsteriskFacts) -> Iterator[AccountSecret]:
    if not chan_sip_state(facts).loaded:
        return
    for p in facts.of_kind("sip.peer"):
        hashed = "md5secret" in p.secrets and "secret" not in p.secrets
        yield account_secret(p, "secret", "sip peer", "secret stored as md5secret; strength not assessable offline"
                             if hashed else None)


# -- requests without credentials --------------------------------------------------------------------

def pjsip_endpoint_calls(facts: AsteriskFacts) -> Iterator[UnauthenticatedRequest]:
    identified = {i.get("endpoint") for i in facts.of_kind("pjsip.identify")}
    for ep in facts.of_kind("pjsip.endpoint"):
        subject = f"endpoint {ep.name}"
        if ep.name.lower() == "anonymous":
            yield UnauthenticatedRequest(subject=subject, source=ep.source, section=ep.name, request="call",
                                         outcome=ACCEPTED, detail="anonymous endpoint accepts unauthenticated calls")
        elif auth := ep.get("auth"):
            yield UnauthenticatedRequest(subject=subject, source=ep.location("auth"), section=ep.name, request="call",
                                         outcome=CHALLENGED, detail=f"auth={auth}")
        elif ep.name in identified:
            yield UnauthenticatedRequest(subject=subject, source=ep.source, section=ep.name, request="call",
                                         outcome=TRUSTED, detail="matched by IP (identify); no digest expected")
        else:
            yield UnauthenticatedRequest(subject=subject, source=ep.source, section=ep.name, request="call",
                                         outcome=ACCEPTED,
                                         detail="no auth= and no identify: calls are accepted unauthenticated")


def endpoint_fix(req: UnauthenticatedRequest) -> list[str]:
    if req.section.lower() == "anonymous":
        return [f"; delete [{req.section}]"]
    return [f"[{req.section}]", f"auth={req.section}-auth"]


@dataclass(frozen=True)
class _GuestPolicy:
    guests: bool
    guests_default: bool
    rejects: bool
    context: str
    where: Optional[SourceRef]


def _guest_policy(facts: AsteriskFacts) -> _GuestPolicy:
    general = facts.first("sip.general")
    allowguest = general.get("allowguest") if general else None
    authreject = general.get("alwaysauthreject") if general else None
    guests = allowguest is None or ast_true(allowguest)  # DEFAULT_ALLOWGUEST TRUE
    rejects = authreject is None or ast_true(authreject)  # DEFAULT_ALWAYSAUTHREJECT TRUE
    where = general.location("allowguest" if guests else "alwaysauthreject") if general is not None else None
    return _GuestPolicy(guests, allowguest is None, rejects, (general.get("context") if general else None) or "default",
                        where)


GUESTS_OFF = "allowguest=no, alwaysauthreject on"
SIP_GENERAL = "sip.conf [general]"


def chan_sip_guest_calls(facts: AsteriskFacts) -> Iterator[UnauthenticatedRequest]:
    """allowguest sends unauthenticated INVITEs into the [general] context."""
    state = chan_sip_state(facts)
    if not state.loaded:
        yield UnauthenticatedRequest(subject="sip.conf", source=state.where, request="call",
                                     inactive=f"chan_sip is not loaded ({state.why})")
        return
    p = _guest_policy(facts)
    if p.guests:
        yield UnauthenticatedRequest(subject=SIP_GENERAL, source=p.where, section="general", request="call",
                                     outcome=ACCEPTED,
                                     detail=f"allowguest is on{' (the default)' if p.guests_default else ''}: "
                                            f"unauthenticated calls enter context '{p.context}'")
    else:
        yield UnauthenticatedRequest(subject=SIP_GENERAL, source=p.where, section="general", request="call",
                                     outcome=CHALLENGED, detail=GUESTS_OFF if p.rejects
                                     else "allowguest=no: unauthenticated calls are challenged")


def chan_sip_user_disclosure(facts: AsteriskFacts) -> Iterator[UserDisclosure]:
    """With guests allowed chan_sip answers unknown users differently whatever alwaysauthreject says
    (chan_sip.c: 'If we allow guests, there is no way around that'); alwaysauthreject=no does the same."""
    state = chan_sip_state(facts)
    if not state.loaded:
        yield UserDisclosure(subject="sip.conf", source=state.where, inactive=f"chan_sip is not loaded ({state.why})")
        return
    p = _guest_policy(facts)
    problems = []
    if p.guests:
        problems.append(f"allowguest is on{' (the default)' if p.guests_default else ''}: valid usernames can be "
                        "told from invalid ones")
    if not p.rejects:
        problems.append("alwaysauthreject is off: failed authentication reveals valid usernames")
    yield UserDisclosure(subject=SIP_GENERAL, source=p.where, section="general", disclosed=bool(problems),
                         detail="; ".join(problems) or GUESTS_OFF)


def guest_call_fix(req: UnauthenticatedRequest) -> list[str]:
    return ["[general]", "allowguest=no"]


def disclosure_fix(rec: UserDisclosure) -> list[str]:
    return ["[general]", *(["allowguest=no"] if "allowguest" in rec.detail else []),
            *(["alwaysauthreject=yes"] if "alwaysauthreject" in rec.detail else [])]


def secret_change(cred: AccountSecret) -> list[Change]:
    """A new secret is never generated into a patch: a note where the account is written."""
    return [note("", cred.section, f"set a new random secret (16+ characters) for {cred.subject} here")]


def endpoint_auth_change(req: UnauthenticatedRequest) -> list[Change]:
    return [note("pjsip.conf", req.section, f"{req.subject}: remove it, or give it auth= an auth object, here")]


def guest_change(req: UnauthenticatedRequest) -> list[Change]:
    return [set_("sip.conf", "general", "allowguest", "no", "sip.general")]


def disclosure_change(rec: UserDisclosure) -> list[Change]:
    return [set_("sip.conf", "general", line.split("=")[0], line.split("=")[1], "sip.general")
            for line in disclosure_fix(rec)[1:]]


# -- bindings ----------------------------------------------------------------------------------------

PJSIP_SECRET_REMEDIATION = {
    "asterisk": "Set each auth's password to a random 16+ character value (e.g. `openssl rand -base64 18`).",
    "freepbx": "Applications > Extensions > (extension) > General: Secret (use the generated value).",
}
ARI_REMEDIATION = {
    "asterisk": "Give each ARI user a random password of 16+ characters; prefer password_format=crypt.",
    "freepbx": "Settings > Advanced Settings > Asterisk REST Interface: set a new ARI Password.",
}
AMI_REMEDIATION = {
    "asterisk": "Set a random secret of 16+ characters for each manager user.",
    "freepbx": "Settings > Asterisk Manager Users: change each user's secret; for the FreePBX 'admin' user change "
               "AMPMGRPASS in /etc/freepbx.conf and Advanced Settings > Asterisk Manager Password together.",
}
CHAN_SIP_SECRET_REMEDIATION = {
    "asterisk": "Give each peer a random secret of at least 16 characters (e.g. `openssl rand -base64 18`).",
    "freepbx": "Applications > Extensions > (extension) > General: Secret; FreePBX generates strong ones by default.",
}
ENDPOINT_AUTH_REMEDIATION = {
    "asterisk": "Remove [anonymous] type=endpoint; give every endpoint auth=<auth object>, or for trunks match "
                "the carrier by IP with a type=identify object.",
    "freepbx": "Settings > Asterisk SIP Settings > General: Allow Anonymous Inbound SIP Calls = No; "
               "Allow SIP Guests = No.",
}
GUEST_REMEDIATION = {
    "asterisk": "In sip.conf [general] set allowguest=no and alwaysauthreject=yes (or unload chan_sip: "
                "noload => chan_sip.so in modules.conf).",
    "freepbx": "Settings > Asterisk SIP Settings > General SIP Settings: Allow Anonymous Inbound SIP Calls = No, "
               "Allow SIP Guests = No; alwaysauthreject is set in sip_general_custom.conf.",
}


BINDINGS = (
    Binding("AUTH-SECRET-101", "asterisk", pjsip_auth_secrets, PJSIP_SOURCES, "AST-ACC-103", PJSIP_SECRET_REMEDIATION,
            secret_fix("password"), none="no pjsip auth objects", change=secret_change),
    Binding("AUTH-SECRET-101", "asterisk", ami_secrets, ("manager.conf",), "AST-AMI-102", AMI_REMEDIATION,
            secret_fix("secret"), none="AMI disabled or has no users", change=secret_change),
    Binding("AUTH-SECRET-101", "asterisk", ari_secrets, ("ari.conf",), "AST-ARI-102", ARI_REMEDIATION,
            secret_fix("password", "password_format=crypt"), none="no ARI users", change=secret_change),
    Binding("AUTH-SECRET-101", "asterisk", chan_sip_secrets, PEER_SOURCES, "AST-SIP-104", CHAN_SIP_SECRET_REMEDIATION,
            secret_fix("secret"), none="chan_sip is not loaded or has no peers", change=secret_change),
    Binding("AUTH-SIP-101", "asterisk", pjsip_endpoint_calls, PJSIP_SOURCES, "AST-ACC-102", ENDPOINT_AUTH_REMEDIATION,
            endpoint_fix, none="no pjsip endpoints defined", change=endpoint_auth_change),
    Binding("AUTH-SIP-101", "asterisk", chan_sip_guest_calls, GENERAL_SOURCES, "AST-SIP-103", GUEST_REMEDIATION,
            guest_call_fix, none="chan_sip is not loaded", change=guest_change),
    Binding("AUTH-SIP-103", "asterisk", chan_sip_user_disclosure, GENERAL_SOURCES, "AST-SIP-103", GUEST_REMEDIATION,
            disclosure_fix, none="chan_sip is not loaded", change=disclosure_change),
)
