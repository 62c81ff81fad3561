"""Kamailio and OpenSIPS authentication as records: the database URL's password (#!define DBURL,
modparam db_url), and whether the routing logic authenticates REGISTER and INVITE.

Both speak the SER configuration language and share these views; only the remediation differs. The
default kamailio.cfg keeps authentication behind WITH_AUTH: without an auth module and a call such as
auth_check()/www_authorize() (or a source-address check for trunks) anyone registers as anyone.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.kamailio import ROUTING, KamailioFacts
from voxaudit.platforms.kamailio.common import kemi_routing, script_calls
from voxaudit.records.authentication import ACCEPTED, CHALLENGED, AccountSecret, UnauthenticatedRequest
from voxaudit.records.secrets import SecretShape
from voxaudit.remediation import Change, note

AUTH_CALLS = {"auth_check", "www_authorize", "proxy_authorize", "www_authenticate", "proxy_authenticate",
              "auth_challenge", "pv_www_authenticate", "pv_proxy_authenticate", "allow_source_address",
              "allow_trusted", "allow_address", "www_challenge", "proxy_challenge", "check_source_address"}
AUTH_MODULES = {"auth", "permissions"}
CANNOT_JUDGE = "its strength cannot be judged from the configuration"
SOURCES = ("kamailio.cfg",)
ROUTING_SOURCES = ("kamailio.cfg", ROUTING)  # what the routing logic does (a KEMI engine: unknown)


def database_secrets(facts: KamailioFacts) -> Iterator[AccountSecret]:
    """Database URLs' passwords, and every other value the configuration holds as a secret by its name
    (a custom ``cfg`` variable such as ``server.api_token``, the auth module's ``secret``, a define
    holding a password): each is a credential something presents or checks, judged the same way."""
    for o in facts.objects:
        if o.kind not in {"kamailio.define", "kamailio.modparam", "kamailio.global"}:
            continue
        key = next((k for k in o.secrets if k.endswith(".password")), None)
        subject = f"database URL {o.name}"
        if key is None:
            key = next((k for k in o.secrets if k.endswith(".secret") and o.secrets[k].present), None)
            subject = f"secret {o.name}"
        if key is None:
            continue
        info = o.secrets[key]
        undecidable = f"{key} is a placeholder filled in at deployment; {CANNOT_JUDGE}" if info.placeholder else ""
        yield AccountSecret(subject=subject, source=info.source or o.source, section=o.name,
                            account=o.name, option=key, secret=SecretShape.of(info), undecidable=undecidable)


def secret_fix(cred: AccountSecret) -> list[str]:
    return [f"[{cred.section}]", f"{cred.option}=<random, 16+ characters>"]


def secret_change(cred: AccountSecret, params: object, facts: KamailioFacts) -> list[Change]:
    return [note(facts.cfg_name, "", f"{cred.subject}: set a new random database password (16+ characters) "
                                     f"in {cred.option}, and the same on the database server")]


def _routing(facts: KamailioFacts, request: str) -> UnauthenticatedRequest:
    kemi = kemi_routing(facts)
    if kemi:  # the native route blocks never run: their calls (or their absence) prove nothing
        return UnauthenticatedRequest(subject="routing", request=request, undecidable=kemi)
    used = sorted({c.name for c in facts.of_kind("kamailio.call")} & AUTH_CALLS)
    if used and AUTH_MODULES & {m.name for m in facts.of_kind("kamailio.module")}:
        return UnauthenticatedRequest(subject="routing", request=request, outcome=CHALLENGED,
                                      detail=f"authentication in routing: {', '.join(used)}")
    scripts = script_calls(facts)
    if scripts:  # the routing hands requests to a script that may well authenticate them
        return UnauthenticatedRequest(subject="routing", request=request, undecidable=(
            f"no authentication function in the route blocks, but they call {', '.join(scripts)}(): what the "
            "script does is not read"))
    return UnauthenticatedRequest(subject="routing", request=request, outcome=ACCEPTED,
                                  detail="no authentication function in the routing logic")


def routing_calls(facts: KamailioFacts) -> Iterator[UnauthenticatedRequest]:
    yield _routing(facts, "call")


def routing_registrations(facts: KamailioFacts) -> Iterator[UnauthenticatedRequest]:
    yield _routing(facts, "registration")


def auth_fix(req: UnauthenticatedRequest) -> list[str]:
    return ["#!define WITH_AUTH"]


DB_REMEDIATION = {
    "kamailio": "Create the database user with a random password and set #!define DBURL "
                "\"mysql://kamailio:<password>@localhost/kamailio\" (kamctlrc: DBRWPW).",
    "opensips": "Create the database user with a random password and set every db_url modparam to "
                "\"mysql://opensips:<password>@localhost/opensips\" (opensips-cli: database_url).",
}
AUTH_REMEDIATION = {
    "kamailio": "Add #!define WITH_AUTH (and WITH_MYSQL with a subscriber table), so route[AUTH] "
                "calls auth_check() for REGISTER and INVITE; or allow_source_address() for trunks.",
    "opensips": "loadmodule \"auth.so\" and \"auth_db.so\"; in the request route: if (!www_authorize(\"\", "
                "\"subscriber\")) { www_challenge(\"\", \"auth\"); exit; } for REGISTER and INVITE "
                "(check_source_address() for trunks).",
}

BINDINGS = tuple(
    b for platform in ("kamailio", "opensips") for b in (
        Binding("AUTH-SECRET-101", platform, database_secrets, SOURCES, "KAM-ACC-103", DB_REMEDIATION, secret_fix,
                change=secret_change,
                none="no database URL with credentials and no secret-named setting"),
        Binding("AUTH-SIP-101", platform, routing_calls, ROUTING_SOURCES, "KAM-ACC-101", AUTH_REMEDIATION, auth_fix),
        Binding("AUTH-SIP-102", platform, routing_registrations, ROUTING_SOURCES, "KAM-ACC-101", AUTH_REMEDIATION,
                auth_fix),
    )
)
